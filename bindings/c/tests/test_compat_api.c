/*
 * test_compat_api.c — the compatibility API of the original single-header
 * library: contexts, tables, XOR fingerprints. Semantics (docs/contracts.md §1 and §3,
 * header comments), NULL safety (new in libatomik_core), out-of-range
 * addresses, struct layouts, the original README vector and algebraic
 * properties over pseudo-random values.
 */
#include <limits.h>
#include <stddef.h>

#include "check.h"

/* ---- layout: the structs must match the original byte for byte ---------- */

/* Compile-time checks (C99 has no static_assert: a negative array size fails). */
typedef char layout_ctx_size[(sizeof(atomik_ctx_t) == 24) ? 1 : -1];
typedef char layout_ctx_ref[(offsetof(atomik_ctx_t, reference) == 0) ? 1 : -1];
typedef char layout_ctx_acc[(offsetof(atomik_ctx_t, accumulator) == 8) ? 1 : -1];
typedef char layout_ctx_cnt[(offsetof(atomik_ctx_t, delta_count) == 16) ? 1 : -1];
typedef char layout_tab_ctx[(offsetof(atomik_table_t, contexts) == 0) ? 1 : -1];
typedef char layout_tab_num[(offsetof(atomik_table_t, num_contexts) == sizeof(void *)) ? 1 : -1];
typedef char layout_fp_size[(sizeof(atomik_fingerprint_t) == 16) ? 1 : -1];

static void test_layout(void) {
    /* The same facts at run time, so a failure names the values. */
    CHECK_EQ_SIZE(sizeof(atomik_ctx_t), 24);
    CHECK_EQ_SIZE(offsetof(atomik_ctx_t, reference), 0);
    CHECK_EQ_SIZE(offsetof(atomik_ctx_t, accumulator), 8);
    CHECK_EQ_SIZE(offsetof(atomik_ctx_t, delta_count), 16);
    CHECK_EQ_SIZE(sizeof(((atomik_ctx_t *)0)->delta_count), 4);
    CHECK_EQ_SIZE(offsetof(atomik_table_t, contexts), 0);
    CHECK_EQ_SIZE(offsetof(atomik_table_t, num_contexts), sizeof(void *));
    CHECK_EQ_SIZE(sizeof(((atomik_table_t *)0)->num_contexts), 4);
    /* Without ATOMIK_TABLE_STATIC_SIZE the table is just the two members. */
    CHECK_EQ_SIZE(ATOMIK_TABLE_STATIC_SIZE, 0);
    CHECK_EQ_SIZE(sizeof(atomik_table_t), 2 * sizeof(void *));
    CHECK_EQ_SIZE(sizeof(atomik_fingerprint_t), 16);
    CHECK_EQ_SIZE(offsetof(atomik_fingerprint_t, reference), 0);
    CHECK_EQ_SIZE(offsetof(atomik_fingerprint_t, accumulator), 8);
}

/* ---- the original README vector ------------------------------------------ */

static void test_readme_vector(void) {
    atomik_ctx_t ctx;
    atomik_init(&ctx);
    atomik_load(&ctx, 0xDEADBEEFCAFEBABEULL);
    atomik_accum(&ctx, 0xFFULL);
    CHECK_EQ_U64(atomik_read(&ctx), 0xDEADBEEFCAFEBA41ULL);
    CHECK_CTX(ctx, 0xDEADBEEFCAFEBABEULL, 0xFFULL, 1);
    CHECK_EQ_INT(atomik_is_clean(&ctx), 0);
    /* Rolling back is accumulating the same delta again. */
    atomik_accum(&ctx, 0xFFULL);
    CHECK_EQ_U64(atomik_read(&ctx), 0xDEADBEEFCAFEBABEULL);
    CHECK_EQ_INT(atomik_is_clean(&ctx), 1);
    CHECK_EQ_U64(ctx.delta_count, 2);
}

/* ---- single contexts ----------------------------------------------------- */

static void test_ctx_ops(void) {
    atomik_ctx_t ctx;
    uint64_t s;
    memset(&ctx, 0xA5, sizeof ctx);
    atomik_init(&ctx);
    CHECK_CTX(ctx, 0, 0, 0);
    CHECK_EQ_U64(atomik_read(&ctx), 0);
    CHECK_EQ_INT(atomik_is_clean(&ctx), 1);

    /* LOAD clears the accumulator and the count. */
    atomik_accum(&ctx, 0x1234);
    atomik_load(&ctx, 0x1111);
    CHECK_CTX(ctx, 0x1111, 0, 0);

    atomik_accum(&ctx, 0x0F0F);
    atomik_accum(&ctx, 0x00FF);
    CHECK_EQ_U64(ctx.accumulator, 0x0FF0);
    CHECK_EQ_U64(ctx.delta_count, 2);
    CHECK_EQ_U64(atomik_read(&ctx), 0x1111 ^ 0x0FF0);

    /* SWAP (= SWAP_KEEP) returns the state and starts a clean epoch from it. */
    s = atomik_swap(&ctx);
    CHECK_EQ_U64(s, 0x1111 ^ 0x0FF0);
    CHECK_CTX(ctx, s, 0, 0);
    CHECK_EQ_U64(atomik_read(&ctx), s);
    CHECK_EQ_INT(atomik_is_clean(&ctx), 1);

    /* An accumulator that cancels to zero is clean even with a non-zero count. */
    atomik_accum(&ctx, 5);
    atomik_accum(&ctx, 5);
    CHECK_EQ_INT(atomik_is_clean(&ctx), 1);
    CHECK_EQ_U64(ctx.delta_count, 2);

    /* ACCUM of zero still counts. */
    atomik_accum(&ctx, 0);
    CHECK_EQ_U64(ctx.delta_count, 3);
    CHECK_EQ_INT(atomik_is_clean(&ctx), 1);

    /* delta_count wraps at 2^32. */
    ctx.delta_count = UINT32_MAX;
    atomik_accum(&ctx, 1);
    CHECK_EQ_U64(ctx.delta_count, 0);
    CHECK_EQ_U64(ctx.accumulator, 1);

    /* The functions touch the three fields only as documented: a context
     * the caller fills by hand works (the struct is public, as in the original). */
    ctx.reference = 0xAAAA;
    ctx.accumulator = 0x5555;
    ctx.delta_count = 7;
    CHECK_EQ_U64(atomik_read(&ctx), 0xFFFF);
    CHECK_EQ_INT(atomik_is_clean(&ctx), 0);
}

static void test_merge(void) {
    atomik_ctx_t a, b;
    atomik_init(&a);
    atomik_init(&b);
    atomik_load(&a, 100);
    atomik_load(&b, 100);
    atomik_accum(&a, 0x01);
    atomik_accum(&a, 0x02);
    atomik_accum(&b, 0x10);
    atomik_merge(&a, &b);
    CHECK_CTX(a, 100, 0x13, 3);
    CHECK_EQ_U64(atomik_read(&a), 100 ^ 0x13);
    /* src unchanged */
    CHECK_CTX(b, 100, 0x10, 1);

    /* The compat merge does not compare references (as the original). */
    atomik_load(&b, 999);
    atomik_accum(&b, 0x100);
    atomik_merge(&a, &b);
    CHECK_CTX(a, 100, 0x113, 4);

    /* dst == src is allowed: the accumulator cancels, counts double. */
    atomik_merge(&a, &a);
    CHECK_CTX(a, 100, 0, 8);

    /* delta counts wrap when added */
    a.delta_count = UINT32_MAX;
    b.delta_count = 2;
    atomik_merge(&a, &b);
    CHECK_EQ_U64(a.delta_count, 1);
}

static void test_ctx_null_safety(void) {
    atomik_ctx_t ctx;
    atomik_init(&ctx);
    atomik_load(&ctx, 42);
    atomik_accum(&ctx, 1);

    atomik_init(NULL);
    atomik_load(NULL, 1);
    atomik_accum(NULL, 1);
    CHECK_EQ_U64(atomik_read(NULL), 0);
    CHECK_EQ_U64(atomik_swap(NULL), 0);
    CHECK_EQ_INT(atomik_is_clean(NULL), 1);
    atomik_merge(NULL, NULL);
    atomik_merge(&ctx, NULL);
    atomik_merge(NULL, &ctx);
    /* ctx survived all of it */
    CHECK_CTX(ctx, 42, 1, 1);
}

/* ---- tables --------------------------------------------------------------- */

static void test_table_basic(void) {
    atomik_table_t t;
    uint32_t i;
    const uint32_t n = 16;
    memset(&t, 0xA5, sizeof t); /* garbage: init must not read it */
    CHECK_EQ_INT(atomik_table_init(&t, n), 0);
    CHECK(t.contexts != NULL);
    CHECK_EQ_U64(t.num_contexts, n);
    for (i = 0; i < n; i++) {
        CHECK_CTX(t.contexts[i], 0, 0, 0);
        CHECK_EQ_U64(atomik_table_read(&t, i), 0);
    }
    for (i = 0; i < n; i++) {
        atomik_table_load(&t, i, 1000 + i);
        atomik_table_accum(&t, i, (uint64_t)i << 8);
    }
    for (i = 0; i < n; i++) {
        CHECK_EQ_U64(atomik_table_read(&t, i), (1000 + i) ^ ((uint64_t)i << 8));
        CHECK_EQ_U64(t.contexts[i].delta_count, 1);
        /* the table functions act on the public contexts array */
        CHECK_EQ_U64(atomik_read(&t.contexts[i]), (1000 + i) ^ ((uint64_t)i << 8));
    }
    /* table SWAP is SWAP_KEEP */
    CHECK_EQ_U64(atomik_table_swap(&t, 3), 1003 ^ (3 << 8));
    CHECK_CTX(t.contexts[3], 1003 ^ (3 << 8), 0, 0);
    CHECK_EQ_U64(atomik_table_read(&t, 3), 1003 ^ (3 << 8));
    /* contexts are independent */
    CHECK_EQ_U64(atomik_table_read(&t, 2), 1002 ^ (2 << 8));
    CHECK_EQ_U64(atomik_table_read(&t, 4), 1004 ^ (4 << 8));

    atomik_table_free(&t);
    CHECK(t.contexts == NULL);
    CHECK_EQ_U64(t.num_contexts, 0);
    /* freeing twice is safe; operations on a freed table are no-ops */
    atomik_table_free(&t);
    CHECK(t.contexts == NULL);
    atomik_table_load(&t, 0, 1);
    atomik_table_accum(&t, 0, 1);
    CHECK_EQ_U64(atomik_table_read(&t, 0), 0);
    CHECK_EQ_U64(atomik_table_swap(&t, 0), 0);
}

/* Addresses 0, N-1, N, UINT32_MAX on tables of several sizes. */
static void test_table_out_of_range(void) {
    static const uint32_t sizes[] = {1, 2, 7, 256};
    size_t k;
    for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        const uint32_t n = sizes[k];
        atomik_table_t t;
        uint32_t i;
        uint32_t bad[3];
        size_t b;
        bad[0] = n;
        bad[1] = n + 1;
        bad[2] = UINT32_MAX;
        CHECK_EQ_INT(atomik_table_init(&t, n), 0);
        for (i = 0; i < n; i++) {
            atomik_table_load(&t, i, 0x100 + i);
        }
        /* in range: 0 and N-1 */
        atomik_table_accum(&t, 0, 0xF0);
        atomik_table_accum(&t, n - 1, 0x0F);
        if (n == 1) {
            CHECK_EQ_U64(atomik_table_read(&t, 0), 0x100 ^ 0xF0 ^ 0x0F);
        } else {
            CHECK_EQ_U64(atomik_table_read(&t, 0), 0x100 ^ 0xF0);
            CHECK_EQ_U64(atomik_table_read(&t, n - 1), (0x100 + n - 1) ^ 0x0F);
        }
        /* out of range: no effect, READ/SWAP give 0 */
        for (b = 0; b < 3; b++) {
            atomik_table_load(&t, bad[b], 0xDEAD);
            atomik_table_accum(&t, bad[b], 0xBEEF);
            CHECK_EQ_U64(atomik_table_read(&t, bad[b]), 0);
            CHECK_EQ_U64(atomik_table_swap(&t, bad[b]), 0);
        }
        for (i = 0; i < n; i++) {
            uint64_t want = 0x100 + i;
            if (i == 0) want ^= 0xF0;
            if (i == n - 1) want ^= 0x0F;
            CHECK_EQ_U64(atomik_table_read(&t, i), want);
            CHECK_EQ_U64(t.contexts[i].delta_count, (i == 0 ? 1u : 0u) + (i == n - 1 ? 1u : 0u));
        }
        atomik_table_free(&t);
    }
}

static void test_table_zero_and_null(void) {
    atomik_table_t t;
    memset(&t, 0xA5, sizeof t);
    /* 0 contexts: success, empty table (as the original) */
    CHECK_EQ_INT(atomik_table_init(&t, 0), 0);
    CHECK(t.contexts == NULL);
    CHECK_EQ_U64(t.num_contexts, 0);
    atomik_table_load(&t, 0, 1);
    atomik_table_accum(&t, 0, 1);
    CHECK_EQ_U64(atomik_table_read(&t, 0), 0);
    CHECK_EQ_U64(atomik_table_swap(&t, 0), 0);
    CHECK_EQ_U64(atomik_table_read(&t, UINT32_MAX), 0);
    atomik_table_free(&t);
    CHECK(t.contexts == NULL);
    CHECK_EQ_U64(t.num_contexts, 0);

    /* NULL table */
    CHECK_EQ_INT(atomik_table_init(NULL, 4), -1);
    CHECK_EQ_INT(atomik_table_init(NULL, 0), -1);
    atomik_table_free(NULL);
    atomik_table_load(NULL, 0, 1);
    atomik_table_accum(NULL, 0, 1);
    CHECK_EQ_U64(atomik_table_read(NULL, 0), 0);
    CHECK_EQ_U64(atomik_table_swap(NULL, 0), 0);

    /* A table whose contexts pointer is NULL but claims contexts (a caller
     * bug the original would have crashed on): every op is a no-op. */
    t.contexts = NULL;
    t.num_contexts = 8;
    atomik_table_load(&t, 0, 1);
    atomik_table_accum(&t, 1, 1);
    CHECK_EQ_U64(atomik_table_read(&t, 0), 0);
    CHECK_EQ_U64(atomik_table_swap(&t, 0), 0);
    atomik_table_free(&t); /* free(NULL) is fine; the table is reset */
    CHECK(t.contexts == NULL);
    CHECK_EQ_U64(t.num_contexts, 0);
}

/* The header documents calloc: free(t->contexts) releases a table too
 * (valgrind / LeakSanitizer verify that nothing leaks). */
static void test_table_free_with_libc(void) {
    atomik_table_t t;
    CHECK_EQ_INT(atomik_table_init(&t, 32), 0);
    atomik_table_accum(&t, 31, 7);
    CHECK_EQ_U64(atomik_table_read(&t, 31), 7);
    free(t.contexts);
    t.contexts = NULL;
    t.num_contexts = 0;
}

/* A caller-provided contexts array (the original's struct is public). */
static void test_table_caller_storage(void) {
    atomik_ctx_t storage[4];
    atomik_table_t t;
    memset(storage, 0, sizeof storage);
    t.contexts = storage;
    t.num_contexts = 4;
    atomik_table_load(&t, 2, 0xABC);
    atomik_table_accum(&t, 2, 0x00F);
    atomik_table_accum(&t, 4, 0x00F); /* out of range: no write past the array */
    CHECK_EQ_U64(storage[2].reference, 0xABC);
    CHECK_EQ_U64(storage[2].accumulator, 0x00F);
    CHECK_EQ_U64(atomik_table_read(&t, 2), 0xAB3);
    CHECK_EQ_U64(storage[3].accumulator, 0);
}

/* ---- XOR fingerprint ----------------------------------------------------- */

static void test_fp_reduce_vectors(void) {
    uint8_t buf[64];
    size_t i;
    for (i = 0; i < sizeof buf; i++) {
        buf[i] = (uint8_t)i;
    }
    CHECK_EQ_U64(atomik_fp_reduce(buf, 0), 0);
    CHECK_EQ_U64(atomik_fp_reduce(NULL, 0), 0);
    CHECK_EQ_U64(atomik_fp_reduce(NULL, 16), 0); /* NULL data: 0 */
    /* one full chunk: little-endian */
    CHECK_EQ_U64(atomik_fp_reduce(buf, 8), 0x0706050403020100ULL);
    /* tail zero-padded */
    CHECK_EQ_U64(atomik_fp_reduce(buf, 1), 0x00);
    CHECK_EQ_U64(atomik_fp_reduce(buf + 1, 3), 0x030201ULL);
    CHECK_EQ_U64(atomik_fp_reduce(buf, 11), 0x0706050403020100ULL ^ 0x0A0908ULL);
    CHECK_EQ_U64(atomik_fp_reduce(buf, 16), 0x0706050403020100ULL ^ 0x0F0E0D0C0B0A0908ULL);
    /* equal chunks cancel: the documented blind spot of the XOR fold */
    {
        uint8_t twice[16];
        memcpy(twice, buf, 8);
        memcpy(twice + 8, buf, 8);
        CHECK_EQ_U64(atomik_fp_reduce(twice, 16), 0);
    }
}

/* Random lengths and misaligned pointers against the reference fold. */
static void test_fp_reduce_random(void) {
    enum { CAP = 4096 + 64 };
    uint8_t *buf = (uint8_t *)malloc(CAP);
    uint64_t rng = 12345;
    size_t i;
    int iter;
    CHECK(buf != NULL);
    if (buf == NULL) return;
    for (i = 0; i < CAP; i++) {
        buf[i] = (uint8_t)rng_next(&rng);
    }
    for (i = 0; i <= 300; i++) { /* every length up to 300, every alignment */
        size_t off = i % 16;
        CHECK_EQ_U64(atomik_fp_reduce(buf + off, i), ref_xor_fold(buf + off, i));
    }
    for (iter = 0; iter < 500; iter++) {
        size_t off = (size_t)(rng_next(&rng) % 64);
        size_t len = (size_t)(rng_next(&rng) % 4096);
        CHECK_EQ_U64(atomik_fp_reduce(buf + off, len), ref_xor_fold(buf + off, len));
    }
    free(buf);
}

static void test_fp_lifecycle(void) {
    uint8_t data[37];
    atomik_fingerprint_t fp;
    uint64_t old_chunk, new_chunk;
    size_t i;
    for (i = 0; i < sizeof data; i++) {
        data[i] = (uint8_t)(i * 7 + 1);
    }
    memset(&fp, 0xA5, sizeof fp);
    atomik_fp_init(&fp);
    CHECK_EQ_U64(fp.reference, 0);
    CHECK_EQ_U64(fp.accumulator, 0);
    CHECK_EQ_INT(atomik_fp_changed(&fp), 0);

    atomik_fp_load(&fp, data, sizeof data);
    CHECK_EQ_U64(fp.reference, ref_xor_fold(data, sizeof data));
    CHECK_EQ_U64(fp.accumulator, 0);
    CHECK_EQ_INT(atomik_fp_changed(&fp), 0);

    /* unchanged data: still unchanged */
    atomik_fp_update(&fp, data, sizeof data);
    CHECK_EQ_U64(fp.accumulator, 0);
    CHECK_EQ_INT(atomik_fp_changed(&fp), 0);

    /* change chunk 2 (bytes 16..23) */
    old_chunk = le64_load(data + 16);
    data[18] ^= 0x40;
    new_chunk = le64_load(data + 16);
    atomik_fp_update(&fp, data, sizeof data);
    CHECK_EQ_U64(fp.accumulator, fp.reference ^ ref_xor_fold(data, sizeof data));
    CHECK_EQ_U64(fp.accumulator, old_chunk ^ new_chunk);
    CHECK_EQ_INT(atomik_fp_changed(&fp), 1);

    /* the O(1) path agrees with the rescan */
    {
        atomik_fingerprint_t inc;
        data[18] ^= 0x40; /* back to the baseline */
        atomik_fp_init(&inc);
        atomik_fp_load(&inc, data, sizeof data);
        atomik_fp_accum_delta(&inc, old_chunk, new_chunk);
        CHECK_EQ_U64(inc.accumulator, fp.accumulator);
        CHECK_EQ_INT(atomik_fp_changed(&inc), 1);
        atomik_fp_accum_delta(&inc, new_chunk, old_chunk); /* undo */
        CHECK_EQ_INT(atomik_fp_changed(&inc), 0);
        /* changing the tail chunk (bytes 32..36, zero-padded) */
        old_chunk = ref_xor_fold(data + 32, 5);
        data[36] = 0xEE;
        new_chunk = ref_xor_fold(data + 32, 5);
        atomik_fp_accum_delta(&inc, old_chunk, new_chunk);
        atomik_fp_update(&fp, data, sizeof data);
        CHECK_EQ_U64(inc.accumulator, fp.accumulator);
    }

    /* the XOR fold cannot see swapped chunks (documented limitation) */
    {
        uint8_t sw[32];
        atomik_fingerprint_t f2;
        for (i = 0; i < sizeof sw; i++) sw[i] = (uint8_t)(i + 1);
        atomik_fp_init(&f2);
        atomik_fp_load(&f2, sw, sizeof sw);
        for (i = 0; i < 8; i++) {
            uint8_t tmp = sw[i];
            sw[i] = sw[8 + i];
            sw[8 + i] = tmp;
        }
        atomik_fp_update(&f2, sw, sizeof sw);
        CHECK_EQ_INT(atomik_fp_changed(&f2), 0);
    }
}

static void test_fp_null_safety(void) {
    uint8_t data[16];
    atomik_fingerprint_t fp;
    memset(data, 0x11, sizeof data);
    atomik_fp_init(NULL);
    atomik_fp_load(NULL, data, sizeof data);
    atomik_fp_update(NULL, data, sizeof data);
    CHECK_EQ_INT(atomik_fp_changed(NULL), 0);
    atomik_fp_accum_delta(NULL, 1, 2);

    /* NULL data with len > 0 is treated as empty (fingerprint 0) */
    atomik_fp_init(&fp);
    atomik_fp_load(&fp, data, sizeof data);
    CHECK_EQ_U64(fp.reference, 0); /* 16 equal bytes: two equal chunks cancel */
    data[0] = 0x12;
    atomik_fp_load(&fp, data, sizeof data);
    CHECK(fp.reference != 0);
    atomik_fp_load(&fp, NULL, 99);
    CHECK_EQ_U64(fp.reference, 0);
    CHECK_EQ_U64(fp.accumulator, 0);
    atomik_fp_load(&fp, data, sizeof data);
    atomik_fp_update(&fp, NULL, 99);
    CHECK_EQ_U64(fp.accumulator, fp.reference); /* reference ^ reduce(empty) */
    atomik_fp_update(&fp, NULL, 0);
    CHECK_EQ_U64(fp.accumulator, fp.reference);
}

/* ---- algebra over pseudo-random values ----------------------------------- */

static void test_algebra_properties(void) {
    uint64_t rng = 0xC0FFEE;
    int iter;
    for (iter = 0; iter < 2000; iter++) {
        const uint64_t ref = rng_next(&rng);
        const int n = (int)(rng_next(&rng) % 17);
        uint64_t deltas[16 + 1];
        uint64_t xor_all = 0;
        atomik_ctx_t a, b, c;
        int i;
        for (i = 0; i < n; i++) {
            deltas[i] = rng_next(&rng);
            xor_all ^= deltas[i];
        }
        /* READ after LOAD + ACCUMs = reference ^ XOR(deltas) */
        atomik_init(&a);
        atomik_load(&a, ref);
        CHECK_EQ_U64(atomik_read(&a), ref);
        for (i = 0; i < n; i++) atomik_accum(&a, deltas[i]);
        if (!CHECK_EQ_U64(atomik_read(&a), ref ^ xor_all)) break;
        CHECK_EQ_U64(a.delta_count, (uint32_t)n);
        CHECK_EQ_INT(atomik_is_clean(&a), xor_all == 0);

        /* order independence: reverse order gives the same state */
        atomik_init(&b);
        atomik_load(&b, ref);
        for (i = n - 1; i >= 0; i--) atomik_accum(&b, deltas[i]);
        CHECK_EQ_U64(atomik_read(&b), atomik_read(&a));
        CHECK_EQ_U64(b.accumulator, a.accumulator);

        /* self-inverse: applying every delta again restores the reference */
        for (i = 0; i < n; i++) atomik_accum(&b, deltas[i]);
        CHECK_EQ_U64(atomik_read(&b), ref);
        CHECK_EQ_INT(atomik_is_clean(&b), 1);

        /* MERGE = accumulating the other's deltas (same reference) */
        atomik_init(&c);
        atomik_load(&c, ref);
        {
            const uint64_t d = rng_next(&rng);
            atomik_ctx_t merged = a;
            atomik_accum(&c, d);
            atomik_merge(&merged, &c);
            CHECK_EQ_U64(atomik_read(&merged), ref ^ xor_all ^ d);
            CHECK_EQ_U64(merged.delta_count, (uint32_t)n + 1);
            /* merge is commutative in state */
            {
                atomik_ctx_t m2 = c;
                atomik_merge(&m2, &a);
                CHECK_EQ_U64(atomik_read(&m2), atomik_read(&merged));
            }
        }

        /* SWAP_KEEP preserves READ and cleans */
        {
            const uint64_t before = atomik_read(&a);
            CHECK_EQ_U64(atomik_swap(&a), before);
            CHECK_EQ_U64(atomik_read(&a), before);
            CHECK_EQ_INT(atomik_is_clean(&a), 1);
        }
    }
}

/* Table operations agree with the same operations on standalone contexts. */
static void test_table_matches_contexts(void) {
    enum { N = 13 };
    atomik_table_t t;
    atomik_ctx_t model[N];
    uint64_t rng = 99;
    int iter, i;
    CHECK_EQ_INT(atomik_table_init(&t, N), 0);
    for (i = 0; i < N; i++) atomik_init(&model[i]);
    for (iter = 0; iter < 5000; iter++) {
        const uint64_t r = rng_next(&rng);
        const uint32_t addr = (uint32_t)(r % (N + 3)); /* some out of range */
        const uint64_t v = rng_next(&rng);
        switch ((r >> 32) % 8) {
        case 0:
            atomik_table_load(&t, addr, v);
            if (addr < N) atomik_load(&model[addr], v);
            break;
        case 1: {
            const uint64_t got = atomik_table_swap(&t, addr);
            const uint64_t want = addr < N ? atomik_swap(&model[addr]) : 0;
            CHECK_EQ_U64(got, want);
            break;
        }
        case 2:
            CHECK_EQ_U64(atomik_table_read(&t, addr), addr < N ? atomik_read(&model[addr]) : 0);
            break;
        default:
            atomik_table_accum(&t, addr, v);
            if (addr < N) atomik_accum(&model[addr], v);
            break;
        }
    }
    /* field by field: the struct has 4 bytes of tail padding */
    for (i = 0; i < N; i++) {
        CHECK_EQ_CTX(t.contexts[i], model[i]);
    }
    atomik_table_free(&t);
}

int main(void) {
    RUN_TEST(test_layout);
    RUN_TEST(test_readme_vector);
    RUN_TEST(test_ctx_ops);
    RUN_TEST(test_merge);
    RUN_TEST(test_ctx_null_safety);
    RUN_TEST(test_table_basic);
    RUN_TEST(test_table_out_of_range);
    RUN_TEST(test_table_zero_and_null);
    RUN_TEST(test_table_free_with_libc);
    RUN_TEST(test_table_caller_storage);
    RUN_TEST(test_fp_reduce_vectors);
    RUN_TEST(test_fp_reduce_random);
    RUN_TEST(test_fp_lifecycle);
    RUN_TEST(test_fp_null_safety);
    RUN_TEST(test_algebra_properties);
    RUN_TEST(test_table_matches_contexts);
    return check_summary("test_compat_api");
}
