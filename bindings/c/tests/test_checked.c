/*
 * test_checked.c — the checked API: status codes and strings, version
 * macros and functions, checked table operations (every NULL argument,
 * out-of-range addresses, zero sizes, allocation failure), SWAP to a new
 * reference, the all-or-nothing batch, checked MERGE and atomik_accum_many.
 */
#if !defined(__cplusplus) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* setrlimit under -std=c99 */
#endif
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "check.h"

#ifndef EXPECTED_VERSION
#error "compile with -DEXPECTED_VERSION=\"x.y.z\" (the Makefile takes it from Cargo.toml)"
#endif

/* Whether this process runs under AddressSanitizer or valgrind: both replace
 * the allocator, so the address-space limit used to force allocation
 * failures would break them. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#if UNDER_ASAN
/* Under AddressSanitizer, allocations above 1 GiB fail (return NULL) instead
 * of aborting the process: the allocation-failure checks stay strict. */
#ifdef __cplusplus
extern "C" const char *__asan_default_options(void);
#endif
const char *__asan_default_options(void) {
    return "allocator_may_return_null=1:max_allocation_size_mb=1024";
}
#endif

static int under_valgrind(void) {
    const char *p = getenv("LD_PRELOAD");
    return p != NULL && strstr(p, "vgpreload") != NULL;
}

/* Makes large allocations fail for sure: caps the address space at 1 GiB
 * (far above what the tests use, far below 96 GB), or under ASan relies on
 * max_allocation_size_mb above. Returns 1 if large allocations will fail. */
static int limit_address_space(void) {
    struct rlimit rl;
    if (UNDER_ASAN) {
        return 1;
    }
    if (under_valgrind()) {
        return 0; /* valgrind owns the address space: no reliable limit */
    }
    if (getrlimit(RLIMIT_AS, &rl) != 0) {
        return 0;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur <= ((rlim_t)1 << 30)) {
        return 1;
    }
    rl.rlim_cur = (rlim_t)1 << 30;
    return setrlimit(RLIMIT_AS, &rl) == 0;
}

/* ---- status codes ---------------------------------------------------------- */

static void test_status_values(void) {
    /* the numeric values are part of the ABI */
    CHECK_EQ_INT(ATOMIK_OK, 0);
    CHECK_EQ_INT(ATOMIK_ERR_NULL, 1);
    CHECK_EQ_INT(ATOMIK_ERR_OUT_OF_RANGE, 2);
    CHECK_EQ_INT(ATOMIK_ERR_ZERO_SIZE, 3);
    CHECK_EQ_INT(ATOMIK_ERR_ALLOC, 4);
    CHECK_EQ_INT(ATOMIK_ERR_INVALID_ARGUMENT, 5);
    CHECK_EQ_INT(ATOMIK_ERR_REFERENCE_MISMATCH, 6);
    CHECK_EQ_INT(ATOMIK_ERR_TRUNCATED, 7);
    CHECK_EQ_INT(ATOMIK_ERR_BAD_VERSION, 8);
    CHECK_EQ_INT(ATOMIK_ERR_BAD_CHECKSUM, 9);
    CHECK_EQ_INT(ATOMIK_ERR_WIDTH_MISMATCH, 10);
    CHECK_EQ_INT(ATOMIK_ERR_BAD_KIND, 11);
    CHECK_EQ_INT(ATOMIK_ERR_RESERVED, 12);
    CHECK_EQ_INT(ATOMIK_ERR_BUFFER_TOO_SMALL, 13);
    CHECK_EQ_INT(ATOMIK_ERR_BEYOND_WINDOW, 14);
    CHECK_EQ_INT(ATOMIK_ERR_FUTURE_EPOCH, 15);
    CHECK_EQ_INT(ATOMIK_ERR_TOO_MANY_SENDERS, 16);
    CHECK_EQ_INT(ATOMIK_ERR_EPOCH_EXHAUSTED, 17);
    CHECK_EQ_INT(ATOMIK_ERR_INTERNAL, 18);
    CHECK_EQ_INT(ATOMIK_ERR_BOARD_OPEN, 19);
    CHECK_EQ_INT(ATOMIK_ERR_BOARD_IO, 20);
    CHECK_EQ_INT(ATOMIK_ERR_BOARD_TIMEOUT, 21);
    CHECK_EQ_INT(ATOMIK_ERR_BOARD_RESET, 22);
    CHECK_EQ_INT(ATOMIK_ERR_BOARD_PROTOCOL, 23);
    CHECK_EQ_INT(ATOMIK_ERR_BOARD_VERSION, 24);
    CHECK_EQ_INT(ATOMIK_STATUS_COUNT, 25);
    CHECK_EQ_INT(ATOMIK_STATUS_COUNT, ATOMIK_ERR_BOARD_VERSION + 1);
    CHECK_EQ_SIZE(sizeof(atomik_status), sizeof(int));
    CHECK_EQ_INT(ATOMIK_OUTCOME_APPLIED, 0);
    CHECK_EQ_INT(ATOMIK_OUTCOME_DUPLICATE, 1);
    CHECK_EQ_INT(ATOMIK_OUTCOME_STALE, 2);
    CHECK_EQ_INT(ATOMIK_OUTCOME_OWN, 3);
    CHECK_EQ_INT(ATOMIK_MSG_ACCUM, 0);
    CHECK_EQ_INT(ATOMIK_MSG_LOAD, 1);
    CHECK_EQ_INT(ATOMIK_MSG_V1_LEN, 40);
    CHECK_EQ_INT(ATOMIK_COMPAT_LEN, 16);
}

static void test_status_str(void) {
    /* every code has its own non-empty description */
    static const char *const expected[] = {
        "ok",
        "NULL pointer argument",
        "address out of range",
        "zero size: at least one context is required",
        "memory allocation failed",
        "invalid argument",
        "contexts have different references",
        "truncated message: need more bytes",
        "unsupported message version",
        "message checksum mismatch",
        "message value width is not 64 bits",
        "unknown message kind",
        "reserved message byte is not zero",
        "output buffer too small",
        "sequence number beyond the receive window; resend later",
        "delta for an epoch whose LOAD has not arrived; resend later",
        "too many senders",
        "epoch counter exhausted",
        "internal error in libatomik_core (a caught panic)",
        "cannot open the board's serial port",
        "board serial port I/O failed",
        "no reply from the board; the next call resends the ops in flight, none is applied twice",
        "the board was reset: its table is cleared and the ops in flight were lost",
        "the board violated the link protocol",
        "the board speaks another link protocol version",
    };
    static const int unknown[] = {-1, ATOMIK_STATUS_COUNT, ATOMIK_STATUS_COUNT + 1, 100,
                                  INT_MAX, INT_MIN, -19};
    int code, other;
    size_t i;
    CHECK_EQ_SIZE(sizeof expected / sizeof expected[0], ATOMIK_STATUS_COUNT);
    for (code = 0; code < ATOMIK_STATUS_COUNT; code++) {
        const char *s = atomik_status_str(code);
        CHECK(s != NULL);
        if (s == NULL) continue;
        CHECK(s[0] != '\0');
        CHECK_EQ_STR(s, expected[code]);
        CHECK(strcmp(s, "unknown status code") != 0);
        /* static storage: the same pointer every time */
        CHECK_EQ_PTR(atomik_status_str(code), s);
        for (other = 0; other < code; other++) {
            CHECK(strcmp(s, atomik_status_str(other)) != 0);
        }
    }
    for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *s = atomik_status_str(unknown[i]);
        CHECK(s != NULL);
        CHECK_EQ_STR(s, "unknown status code");
    }
    /* the enum constants work directly (C++: enum to int) */
    CHECK_EQ_STR(atomik_status_str(ATOMIK_ERR_OUT_OF_RANGE), "address out of range");
}

/* ---- version ---------------------------------------------------------------- */

static void test_version(void) {
    char buf[64];
    unsigned maj = 0, min = 0, pat = 0;
    const char *lib = atomik_version_string();
    CHECK(lib != NULL);
    /* header macros, library, and the workspace's Cargo.toml all agree */
    CHECK_EQ_STR(ATOMIK_VERSION_STRING, EXPECTED_VERSION);
    CHECK_EQ_STR(lib, EXPECTED_VERSION);
    CHECK_EQ_STR(lib, ATOMIK_VERSION_STRING);
    CHECK_EQ_PTR(atomik_version_string(), lib);
    CHECK_EQ_INT(ATOMIK_VERSION,
                 ATOMIK_VERSION_MAJOR * 10000 + ATOMIK_VERSION_MINOR * 100 + ATOMIK_VERSION_PATCH);
    CHECK_EQ_U64(atomik_version(), ATOMIK_VERSION);
    CHECK_EQ_INT(sscanf(EXPECTED_VERSION, "%u.%u.%u", &maj, &min, &pat), 3);
    CHECK_EQ_INT(ATOMIK_VERSION_MAJOR, maj);
    CHECK_EQ_INT(ATOMIK_VERSION_MINOR, min);
    CHECK_EQ_INT(ATOMIK_VERSION_PATCH, pat);
    CHECK_EQ_U64(atomik_version(), maj * 10000u + min * 100u + pat);
    /* the macro is usable in #if */
#if ATOMIK_VERSION < 100 || !defined(ATOMIK_VERSION_MAJOR)
    CHECK(0 && "ATOMIK_VERSION not usable in #if");
#endif
    snprintf(buf, sizeof buf, "%d.%d.%d", ATOMIK_VERSION_MAJOR, ATOMIK_VERSION_MINOR,
             ATOMIK_VERSION_PATCH);
    CHECK_EQ_STR(buf, ATOMIK_VERSION_STRING);
}

/* ---- checked tables ----------------------------------------------------- */

static void test_table_init_checked(void) {
    atomik_table_t t;
    memset(&t, 0xA5, sizeof t);
    CHECK_STATUS(atomik_table_init_checked(&t, 5), ATOMIK_OK);
    CHECK(t.contexts != NULL);
    CHECK_EQ_U64(t.num_contexts, 5);
    CHECK_EQ_U64(t.contexts[4].reference, 0);
    atomik_table_free(&t);

    memset(&t, 0xA5, sizeof t);
    CHECK_STATUS(atomik_table_init_checked(&t, 0), ATOMIK_ERR_ZERO_SIZE);
    CHECK(t.contexts == NULL); /* left as an empty table, safe to free */
    CHECK_EQ_U64(t.num_contexts, 0);
    atomik_table_free(&t);

    CHECK_STATUS(atomik_table_init_checked(NULL, 5), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_init_checked(NULL, 0), ATOMIK_ERR_NULL);
}

/* Regression (39621af): the checked read-only operations wrote the context
 * back after reading it, so a `const` table in read-only memory crashed
 * them. The contexts here sit in a page made read-only: any write faults. */
static void test_read_only_ops_never_write_the_table(void) {
    enum { N = 4 };
    const size_t page = 4096;
    atomik_table_t t;
    uint64_t v = 0;
    int clean = -1;
    uint32_t i;
    void *p = NULL;
    CHECK_EQ_INT(posix_memalign(&p, page, page), 0);
    if (p == NULL) return;
    t.contexts = (atomik_ctx_t *)p;
    t.num_contexts = N;
    for (i = 0; i < N; i++) {
        atomik_load(&t.contexts[i], 0x10 + i);
    }
    atomik_accum(&t.contexts[1], 0xF);
    CHECK_EQ_INT(mprotect(p, page, PROT_READ), 0);
    CHECK_STATUS(atomik_table_read_checked(&t, 1, &v), ATOMIK_OK);
    CHECK_EQ_U64(v, 0x11 ^ 0xF);
    CHECK_STATUS(atomik_table_is_clean_checked(&t, 1, &clean), ATOMIK_OK);
    CHECK_EQ_INT(clean, 0);
    CHECK_STATUS(atomik_table_is_clean_checked(&t, 2, &clean), ATOMIK_OK);
    CHECK_EQ_INT(clean, 1);
    CHECK_EQ_U64(atomik_table_read(&t, 3), 0x13);
    CHECK_EQ_U64(atomik_read(&t.contexts[0]), 0x10);
    CHECK_EQ_INT(atomik_is_clean(&t.contexts[0]), 1);
    CHECK_EQ_INT(mprotect(p, page, PROT_READ | PROT_WRITE), 0);
    free(p);
}

static void test_alloc_failure(void) {
    atomik_table_t t;
    atomik_status st;
    const int limited = limit_address_space();
    /* UINT32_MAX contexts = 96 GiB */
    memset(&t, 0xA5, sizeof t);
    st = atomik_table_init_checked(&t, UINT32_MAX);
    if (limited) {
        CHECK_STATUS(st, ATOMIK_ERR_ALLOC);
    }
    if (st == ATOMIK_ERR_ALLOC) {
        CHECK(t.contexts == NULL);
        CHECK_EQ_U64(t.num_contexts, 0);
        atomik_table_free(&t);
    } else {
        /* the allocator granted 96 GiB (lazily): still a valid table */
        CHECK_STATUS(st, ATOMIK_OK);
        CHECK_EQ_U64(t.num_contexts, UINT32_MAX);
        atomik_table_free(&t);
    }

    memset(&t, 0xA5, sizeof t);
    if (limited) {
        CHECK_EQ_INT(atomik_table_init(&t, UINT32_MAX), -1);
        CHECK(t.contexts == NULL);
        CHECK_EQ_U64(t.num_contexts, 0);
    } else {
        const int rc = atomik_table_init(&t, UINT32_MAX);
        CHECK(rc == 0 || rc == -1);
        if (rc == -1) {
            CHECK(t.contexts == NULL);
            CHECK_EQ_U64(t.num_contexts, 0);
        }
        atomik_table_free(&t);
    }

    /* replicas report allocation failure too (only tried when it must fail:
     * a replica initialises every context, so a granted 96 GiB would be
     * written in full) */
    if (limited) {
        atomik_replica_t *r = (atomik_replica_t *)&t; /* non-NULL garbage */
        CHECK_STATUS(atomik_replica_new(1, UINT32_MAX, &r), ATOMIK_ERR_ALLOC);
        CHECK(r == NULL);
        atomik_replica_free(r);
    }

    /* and everything still works afterwards */
    CHECK_STATUS(atomik_table_init_checked(&t, 3), ATOMIK_OK);
    CHECK_STATUS(atomik_table_accum_checked(&t, 2, 9), ATOMIK_OK);
    atomik_table_free(&t);
    printf("allocation failure: %s\n",
           limited ? (UNDER_ASAN ? "forced with ASan max_allocation_size_mb (strict checks)"
                                 : "forced with RLIMIT_AS (strict checks)")
                   : "not forced under valgrind (lenient checks)");
}

static void test_table_checked_ops(void) {
    atomik_table_t t;
    uint64_t v = 0;
    int clean = -1;
    CHECK_STATUS(atomik_table_init_checked(&t, 4), ATOMIK_OK);

    CHECK_STATUS(atomik_table_load_checked(&t, 1, 0x1000), ATOMIK_OK);
    CHECK_STATUS(atomik_table_accum_checked(&t, 1, 0x0001), ATOMIK_OK);
    CHECK_STATUS(atomik_table_accum_checked(&t, 1, 0x0010), ATOMIK_OK);
    CHECK_STATUS(atomik_table_read_checked(&t, 1, &v), ATOMIK_OK);
    CHECK_EQ_U64(v, 0x1011);
    CHECK_EQ_U64(t.contexts[1].delta_count, 2);
    CHECK_STATUS(atomik_table_is_clean_checked(&t, 1, &clean), ATOMIK_OK);
    CHECK_EQ_INT(clean, 0);
    clean = -1;
    CHECK_STATUS(atomik_table_is_clean_checked(&t, 0, &clean), ATOMIK_OK);
    CHECK_EQ_INT(clean, 1);

    /* SWAP_KEEP */
    v = 0;
    CHECK_STATUS(atomik_table_swap_checked(&t, 1, &v), ATOMIK_OK);
    CHECK_EQ_U64(v, 0x1011);
    CHECK_CTX(t.contexts[1], 0x1011, 0, 0);
    CHECK_STATUS(atomik_table_accum_checked(&t, 1, 0x1), ATOMIK_OK);
    CHECK_STATUS(atomik_table_swap_checked(&t, 1, NULL), ATOMIK_OK); /* previous optional */
    CHECK_EQ_U64(t.contexts[1].reference, 0x1010);
    CHECK_EQ_U64(t.contexts[1].accumulator, 0);

    /* SWAP to a new reference */
    CHECK_STATUS(atomik_table_accum_checked(&t, 1, 0xF), ATOMIK_OK);
    v = 0;
    CHECK_STATUS(atomik_table_swap_to(&t, 1, 0xAB00, &v), ATOMIK_OK);
    CHECK_EQ_U64(v, 0x101F);
    CHECK_CTX(t.contexts[1], 0xAB00, 0, 0);
    CHECK_STATUS(atomik_table_swap_to(&t, 1, 0xCD00, NULL), ATOMIK_OK);
    CHECK_EQ_U64(atomik_table_read(&t, 1), 0xCD00);

    /* LOAD clears */
    CHECK_STATUS(atomik_table_accum_checked(&t, 1, 0x5), ATOMIK_OK);
    CHECK_STATUS(atomik_table_load_checked(&t, 1, 7), ATOMIK_OK);
    CHECK_EQ_U64(t.contexts[1].accumulator, 0);
    CHECK_EQ_U64(t.contexts[1].delta_count, 0);
    CHECK_EQ_U64(atomik_table_read(&t, 1), 7);
    atomik_table_free(&t);
}

/* Every checked table function: NULL table, NULL output, out-of-range
 * addresses (N, N+1, UINT32_MAX; 0 and N-1 are in range), a table whose
 * contexts pointer is NULL, an empty table. Nothing changes on error and
 * outputs are not written. */
/* The table of the error tests: ERR_N contexts, context i loaded with 0x50 + i. */
enum { ERR_N = 8 };

static void init_error_table(atomik_table_t *t) {
    uint32_t i;
    CHECK_STATUS(atomik_table_init_checked(t, ERR_N), ATOMIK_OK);
    for (i = 0; i < ERR_N; i++) {
        CHECK_STATUS(atomik_table_load_checked(t, i, 0x50 + i), ATOMIK_OK);
    }
}

/* Nothing but the ACCUM of 1 into contexts 0 and ERR_N-1 (if `edges`)
 * changed the table; then frees it. */
static void check_error_table_and_free(atomik_table_t *t, int edges) {
    uint32_t i;
    for (i = 0; i < ERR_N; i++) {
        uint64_t want = 0x50 + i;
        if (edges && (i == 0 || i == ERR_N - 1)) want ^= 1;
        CHECK_EQ_U64(atomik_table_read(t, i), want);
    }
    atomik_table_free(t);
}

static void test_table_checked_first_and_last_address_work(void) {
    atomik_table_t t;
    uint64_t v;
    init_error_table(&t);
    CHECK_STATUS(atomik_table_accum_checked(&t, 0, 1), ATOMIK_OK);
    CHECK_STATUS(atomik_table_accum_checked(&t, ERR_N - 1, 1), ATOMIK_OK);
    CHECK_STATUS(atomik_table_read_checked(&t, 0, &v), ATOMIK_OK);
    CHECK_EQ_U64(v, 0x51);
    CHECK_STATUS(atomik_table_read_checked(&t, ERR_N - 1, &v), ATOMIK_OK);
    CHECK_EQ_U64(v, (0x50 + ERR_N - 1) ^ 1);
    check_error_table_and_free(&t, 1);
}

static void test_table_checked_null_table_is_null_and_outputs_untouched(void) {
    uint64_t v = 0x77;
    int clean = 0x77;
    CHECK_STATUS(atomik_table_load_checked(NULL, 0, 1), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_accum_checked(NULL, 0, 1), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_read_checked(NULL, 0, &v), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_is_clean_checked(NULL, 0, &clean), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_swap_checked(NULL, 0, &v), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_swap_checked(NULL, 0, NULL), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_swap_to(NULL, 0, 1, &v), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_swap_to(NULL, 0, 1, NULL), ATOMIK_ERR_NULL);
    CHECK_EQ_U64(v, 0x77);
    CHECK_EQ_INT(clean, 0x77);
}

static void test_table_checked_null_required_output_is_null(void) {
    /* the only required outputs: read and is_clean */
    atomik_table_t t;
    init_error_table(&t);
    CHECK_STATUS(atomik_table_read_checked(&t, 0, NULL), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_is_clean_checked(&t, 0, NULL), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_read_checked(NULL, 0, NULL), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_read_checked(&t, UINT32_MAX, NULL), ATOMIK_ERR_NULL);
    check_error_table_and_free(&t, 0);
}

static void test_table_checked_out_of_range_changes_nothing(void) {
    const uint32_t bad[] = {ERR_N, ERR_N + 1, UINT32_MAX};
    atomik_table_t t;
    size_t b;
    init_error_table(&t);
    for (b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        uint64_t v = 0x77;
        int clean = 0x77;
        CHECK_STATUS(atomik_table_load_checked(&t, bad[b], 1), ATOMIK_ERR_OUT_OF_RANGE);
        CHECK_STATUS(atomik_table_accum_checked(&t, bad[b], 1), ATOMIK_ERR_OUT_OF_RANGE);
        CHECK_STATUS(atomik_table_read_checked(&t, bad[b], &v), ATOMIK_ERR_OUT_OF_RANGE);
        CHECK_STATUS(atomik_table_is_clean_checked(&t, bad[b], &clean), ATOMIK_ERR_OUT_OF_RANGE);
        CHECK_STATUS(atomik_table_swap_checked(&t, bad[b], &v), ATOMIK_ERR_OUT_OF_RANGE);
        CHECK_STATUS(atomik_table_swap_checked(&t, bad[b], NULL), ATOMIK_ERR_OUT_OF_RANGE);
        CHECK_STATUS(atomik_table_swap_to(&t, bad[b], 1, &v), ATOMIK_ERR_OUT_OF_RANGE);
        CHECK_STATUS(atomik_table_swap_to(&t, bad[b], 1, NULL), ATOMIK_ERR_OUT_OF_RANGE);
        CHECK_EQ_U64(v, 0x77);
        CHECK_EQ_INT(clean, 0x77);
    }
    check_error_table_and_free(&t, 0);
}

static void test_table_checked_empty_table_has_no_address(void) {
    const uint32_t bad[] = {ERR_N, ERR_N + 1, UINT32_MAX};
    atomik_table_t empty;
    uint64_t v;
    int clean;
    size_t b;
    empty.contexts = NULL;
    empty.num_contexts = 0;
    for (b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        CHECK_STATUS(atomik_table_load_checked(&empty, bad[b], 1), ATOMIK_ERR_OUT_OF_RANGE);
        CHECK_STATUS(atomik_table_read_checked(&empty, bad[b], &v), ATOMIK_ERR_OUT_OF_RANGE);
    }
    CHECK_STATUS(atomik_table_load_checked(&empty, 0, 1), ATOMIK_ERR_OUT_OF_RANGE);
    CHECK_STATUS(atomik_table_accum_checked(&empty, 0, 1), ATOMIK_ERR_OUT_OF_RANGE);
    CHECK_STATUS(atomik_table_read_checked(&empty, 0, &v), ATOMIK_ERR_OUT_OF_RANGE);
    CHECK_STATUS(atomik_table_is_clean_checked(&empty, 0, &clean), ATOMIK_ERR_OUT_OF_RANGE);
    CHECK_STATUS(atomik_table_swap_checked(&empty, 0, &v), ATOMIK_ERR_OUT_OF_RANGE);
    CHECK_STATUS(atomik_table_swap_to(&empty, 0, 1, &v), ATOMIK_ERR_OUT_OF_RANGE);
}

static void test_table_checked_null_contexts_with_a_size_is_null(void) {
    /* contexts == NULL but num_contexts != 0: reported as NULL */
    atomik_table_t broken;
    uint64_t v;
    int clean;
    broken.contexts = NULL;
    broken.num_contexts = ERR_N;
    CHECK_STATUS(atomik_table_load_checked(&broken, 0, 1), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_accum_checked(&broken, 0, 1), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_read_checked(&broken, 0, &v), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_is_clean_checked(&broken, 0, &clean), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_swap_checked(&broken, 0, &v), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_swap_to(&broken, 0, 1, &v), ATOMIK_ERR_NULL);
}

/* ---- batch --------------------------------------------------------------- */

/* A table `t` and its single-ACCUM model, loaded alike with random
 * references, and BATCH_COUNT random (addr, delta) pairs. */
enum { BATCH_N = 16, BATCH_COUNT = 1000 };
static struct {
    atomik_table_t t, model;
    uint32_t addrs[BATCH_COUNT];
    uint64_t deltas[BATCH_COUNT];
} bf;

static void batch_setup(void) {
    uint64_t rng = 7;
    size_t i;
    CHECK_STATUS(atomik_table_init_checked(&bf.t, BATCH_N), ATOMIK_OK);
    CHECK_STATUS(atomik_table_init_checked(&bf.model, BATCH_N), ATOMIK_OK);
    for (i = 0; i < BATCH_N; i++) {
        const uint64_t ref = rng_next(&rng);
        atomik_table_load(&bf.t, (uint32_t)i, ref);
        atomik_table_load(&bf.model, (uint32_t)i, ref);
    }
    for (i = 0; i < BATCH_COUNT; i++) {
        bf.addrs[i] = (uint32_t)(rng_next(&rng) % BATCH_N);
        bf.deltas[i] = rng_next(&rng);
    }
}

/* The table still equals the model (accumulators and counts); frees both. */
static void batch_check_model_and_free(void) {
    size_t i;
    for (i = 0; i < BATCH_N; i++) {
        CHECK_EQ_U64(bf.t.contexts[i].accumulator, bf.model.contexts[i].accumulator);
        CHECK_EQ_U64(bf.t.contexts[i].delta_count, bf.model.contexts[i].delta_count);
    }
    atomik_table_free(&bf.t);
    atomik_table_free(&bf.model);
}

static void test_batch_equals_single_accums(void) {
    uint32_t a2[2];
    uint64_t d2[2];
    size_t i;
    batch_setup();
    /* the batch equals BATCH_COUNT single ACCUMs (including repeated addresses) */
    CHECK_STATUS(atomik_table_accum_batch(&bf.t, bf.addrs, bf.deltas, BATCH_COUNT), ATOMIK_OK);
    for (i = 0; i < BATCH_COUNT; i++) {
        atomik_table_accum(&bf.model, bf.addrs[i], bf.deltas[i]);
    }
    for (i = 0; i < BATCH_N; i++) {
        CHECK_EQ_CTX(bf.t.contexts[i], bf.model.contexts[i]);
    }
    /* addresses 0 and N-1 are fine */
    a2[0] = 0;
    a2[1] = BATCH_N - 1;
    d2[0] = 0x10;
    d2[1] = 0x20;
    CHECK_STATUS(atomik_table_accum_batch(&bf.t, a2, d2, 2), ATOMIK_OK);
    atomik_table_accum(&bf.model, 0, 0x10);
    atomik_table_accum(&bf.model, BATCH_N - 1, 0x20);
    CHECK_EQ_U64(atomik_table_read(&bf.t, 0), atomik_table_read(&bf.model, 0));
    CHECK_EQ_U64(atomik_table_read(&bf.t, BATCH_N - 1), atomik_table_read(&bf.model, BATCH_N - 1));
    batch_check_model_and_free();
}

/* Pins 16491fc: the batch became one pass that undoes the applied prefix on a
 * bad address; the undo must restore accumulators and delta counts exactly. */
static void test_batch_with_a_bad_address_applies_nothing(void) {
    /* one bad address anywhere (first, middle, last) and nothing is applied */
    static const uint32_t bad_addrs[] = {BATCH_N, BATCH_N + 1, UINT32_MAX};
    const size_t positions[] = {0, BATCH_COUNT / 2, BATCH_COUNT - 1};
    size_t bi, pi;
    batch_setup();
    for (bi = 0; bi < 3; bi++) {
        for (pi = 0; pi < 3; pi++) {
            const uint32_t saved = bf.addrs[positions[pi]];
            bf.addrs[positions[pi]] = bad_addrs[bi];
            CHECK_STATUS(atomik_table_accum_batch(&bf.t, bf.addrs, bf.deltas, BATCH_COUNT),
                         ATOMIK_ERR_OUT_OF_RANGE);
            bf.addrs[positions[pi]] = saved;
        }
    }
    batch_check_model_and_free();
}

static void test_batch_of_zero_pairs_is_a_noop(void) {
    /* count == 0: no-op, arrays may be NULL, even on an empty table */
    atomik_table_t empty;
    empty.contexts = NULL;
    empty.num_contexts = 0;
    batch_setup();
    CHECK_STATUS(atomik_table_accum_batch(&bf.t, NULL, NULL, 0), ATOMIK_OK);
    CHECK_STATUS(atomik_table_accum_batch(&bf.t, bf.addrs, bf.deltas, 0), ATOMIK_OK);
    CHECK_STATUS(atomik_table_accum_batch(&empty, NULL, NULL, 0), ATOMIK_OK);
    CHECK_STATUS(atomik_table_accum_batch(&empty, bf.addrs, bf.deltas, 1),
                 ATOMIK_ERR_OUT_OF_RANGE);
    batch_check_model_and_free();
}

static void test_batch_null_arguments_are_null(void) {
    atomik_table_t broken;
    broken.contexts = NULL;
    broken.num_contexts = BATCH_N;
    batch_setup();
    CHECK_STATUS(atomik_table_accum_batch(NULL, bf.addrs, bf.deltas, BATCH_COUNT),
                 ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_accum_batch(NULL, bf.addrs, bf.deltas, 0), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_accum_batch(&bf.t, NULL, bf.deltas, BATCH_COUNT), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_accum_batch(&bf.t, bf.addrs, NULL, BATCH_COUNT), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_accum_batch(&bf.t, NULL, NULL, 1), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_table_accum_batch(&broken, bf.addrs, bf.deltas, BATCH_COUNT),
                 ATOMIK_ERR_NULL);
    batch_check_model_and_free();
}

static void test_batch_refuses_counts_no_array_can_have(void) {
    /* refused before any access */
    batch_setup();
    CHECK_STATUS_HUGE_LEN(
        atomik_table_accum_batch(&bf.t, bf.addrs, bf.deltas, (size_t)PTRDIFF_MAX));
    CHECK_STATUS_HUGE_LEN(atomik_table_accum_batch(&bf.t, bf.addrs, bf.deltas, SIZE_MAX));
    batch_check_model_and_free();
}

/* ---- contexts: swap_to, merge_checked, accum_many ------------------------ */

static void test_swap_to(void) {
    atomik_ctx_t c;
    uint64_t prev = 0;
    atomik_init(&c);
    atomik_load(&c, 0x10);
    atomik_accum(&c, 0x01);
    CHECK_STATUS(atomik_swap_to(&c, 0x200, &prev), ATOMIK_OK);
    CHECK_EQ_U64(prev, 0x11);
    CHECK_CTX(c, 0x200, 0, 0);
    atomik_accum(&c, 0x3);
    CHECK_STATUS(atomik_swap_to(&c, 0x300, NULL), ATOMIK_OK);
    CHECK_EQ_U64(atomik_read(&c), 0x300);
    prev = 0x77;
    CHECK_STATUS(atomik_swap_to(NULL, 1, &prev), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_swap_to(NULL, 1, NULL), ATOMIK_ERR_NULL);
    CHECK_EQ_U64(prev, 0x77);
}

static void test_merge_checked(void) {
    atomik_ctx_t a, b, saved;
    atomik_init(&a);
    atomik_init(&b);
    atomik_load(&a, 5);
    atomik_load(&b, 5);
    atomik_accum(&a, 0x100);
    atomik_accum(&b, 0x011);
    atomik_accum(&b, 0x022);
    CHECK_STATUS(atomik_merge_checked(&a, &b), ATOMIK_OK);
    CHECK_CTX(a, 5, 0x133, 3);
    CHECK_EQ_U64(b.accumulator, 0x033); /* src unchanged */

    /* mismatch: dst unchanged */
    atomik_load(&b, 6);
    atomik_accum(&b, 0xFFFF);
    saved = a;
    CHECK_STATUS(atomik_merge_checked(&a, &b), ATOMIK_ERR_REFERENCE_MISMATCH);
    CHECK_EQ_CTX(a, saved);
    CHECK_EQ_U64(b.reference, 6);
    CHECK_EQ_U64(b.accumulator, 0xFFFF);

    /* dst == src */
    CHECK_STATUS(atomik_merge_checked(&a, &a), ATOMIK_OK);
    CHECK_EQ_U64(a.accumulator, 0);
    CHECK_EQ_U64(a.delta_count, 6);

    /* NULLs */
    CHECK_STATUS(atomik_merge_checked(NULL, &b), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_merge_checked(&a, NULL), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_merge_checked(NULL, NULL), ATOMIK_ERR_NULL);
    CHECK_EQ_U64(a.accumulator, 0);
    CHECK_EQ_U64(a.delta_count, 6);
}

static void test_accum_many(void) {
    uint64_t rng = 4242;
    size_t n;
    uint64_t deltas[300];
    for (n = 0; n < 300; n += (n < 40 ? 1 : 37)) {
        atomik_ctx_t a, b;
        size_t i;
        for (i = 0; i < n; i++) deltas[i] = rng_next(&rng);
        atomik_init(&a);
        atomik_init(&b);
        atomik_load(&a, 0x1234);
        atomik_load(&b, 0x1234);
        atomik_accum(&a, 0xAB);
        atomik_accum(&b, 0xAB);
        CHECK_STATUS(atomik_accum_many(&a, deltas, n), ATOMIK_OK);
        for (i = 0; i < n; i++) atomik_accum(&b, deltas[i]);
        CHECK_EQ_CTX(a, b);
    }
    {
        atomik_ctx_t c;
        atomik_init(&c);
        atomik_accum(&c, 9);
        CHECK_STATUS(atomik_accum_many(&c, NULL, 0), ATOMIK_OK);
        CHECK_STATUS(atomik_accum_many(&c, deltas, 0), ATOMIK_OK);
        CHECK_STATUS(atomik_accum_many(&c, NULL, 3), ATOMIK_ERR_NULL);
        CHECK_STATUS(atomik_accum_many(NULL, deltas, 3), ATOMIK_ERR_NULL);
        CHECK_STATUS(atomik_accum_many(NULL, NULL, 0), ATOMIK_ERR_NULL);
        CHECK_STATUS_HUGE_LEN(atomik_accum_many(&c, deltas, (size_t)PTRDIFF_MAX));
        CHECK_STATUS_HUGE_LEN(atomik_accum_many(&c, deltas, SIZE_MAX));
        CHECK_EQ_U64(c.accumulator, 9);
        CHECK_EQ_U64(c.delta_count, 1);
        /* delta_count wraps */
        c.delta_count = UINT32_MAX - 1;
        CHECK_STATUS(atomik_accum_many(&c, deltas, 3), ATOMIK_OK);
        CHECK_EQ_U64(c.delta_count, 1);
    }
}

int main(void) {
    RUN_TEST(test_status_values);
    RUN_TEST(test_status_str);
    RUN_TEST(test_version);
    RUN_TEST(test_table_init_checked);
    RUN_TEST(test_table_checked_ops);
    RUN_TEST(test_table_checked_first_and_last_address_work);
    RUN_TEST(test_table_checked_null_table_is_null_and_outputs_untouched);
    RUN_TEST(test_table_checked_null_required_output_is_null);
    RUN_TEST(test_table_checked_out_of_range_changes_nothing);
    RUN_TEST(test_table_checked_empty_table_has_no_address);
    RUN_TEST(test_table_checked_null_contexts_with_a_size_is_null);
    RUN_TEST(test_batch_equals_single_accums);
    RUN_TEST(test_batch_with_a_bad_address_applies_nothing);
    RUN_TEST(test_batch_of_zero_pairs_is_a_noop);
    RUN_TEST(test_batch_null_arguments_are_null);
    RUN_TEST(test_batch_refuses_counts_no_array_can_have);
    RUN_TEST(test_read_only_ops_never_write_the_table);
    RUN_TEST(test_swap_to);
    RUN_TEST(test_merge_checked);
    RUN_TEST(test_accum_many);
    RUN_TEST(test_alloc_failure); /* last: it may lower RLIMIT_AS */
    return check_summary("test_checked");
}
