/*
 * test_fingerprint.c — the checked XOR-fingerprint functions and the
 * position-aware fingerprint (atomik_pos_fp_*): NULL handling, agreement
 * between the O(1) update and a rescan, and the changes only the
 * position-aware one can see (swapped chunks, paired bit flips, length).
 */
#include <stddef.h>

#include "check.h"

/* A non-NULL pointer with a length beyond PTRDIFF_MAX. The functions must
 * reject the length before touching the memory. */
#define HUGE_LEN ((size_t)PTRDIFF_MAX + 1)

static void fill(uint8_t *p, size_t n, uint64_t seed) {
    size_t i;
    for (i = 0; i < n; i++) {
        p[i] = (uint8_t)rng_next(&seed);
    }
}

/* ---- checked XOR fingerprint ---------------------------------------------- */

static void test_fp_reduce_checked(void) {
    uint8_t buf[100];
    uint64_t out;
    size_t len;
    fill(buf, sizeof buf, 1);
    for (len = 0; len <= sizeof buf; len++) {
        out = 0x77;
        CHECK_STATUS(atomik_fp_reduce_checked(buf, len, &out), ATOMIK_OK);
        CHECK_EQ_U64(out, ref_xor_fold(buf, len));
        CHECK_EQ_U64(out, atomik_fp_reduce(buf, len));
    }
    out = 0x77;
    CHECK_STATUS(atomik_fp_reduce_checked(NULL, 0, &out), ATOMIK_OK);
    CHECK_EQ_U64(out, 0);
    out = 0x77;
    CHECK_STATUS(atomik_fp_reduce_checked(NULL, 8, &out), ATOMIK_ERR_NULL);
    CHECK_EQ_U64(out, 0x77);
    CHECK_STATUS(atomik_fp_reduce_checked(buf, 8, NULL), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_fp_reduce_checked(buf, 0, NULL), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_fp_reduce_checked(NULL, 0, NULL), ATOMIK_ERR_NULL);
    /* len > PTRDIFF_MAX is reported, and out is not written */
    out = 0x77;
    CHECK_STATUS_HUGE_LEN(atomik_fp_reduce_checked(buf, HUGE_LEN, &out));
    CHECK_STATUS_HUGE_LEN(atomik_fp_reduce_checked(buf, SIZE_MAX, &out));
    CHECK_EQ_U64(out, 0x77);
    /* the compat function returns 0 for such lengths */
    CHECK_EQ_U64(atomik_fp_reduce(buf, HUGE_LEN), 0);
}

static void test_fp_load_update_checked(void) {
    uint8_t data[77];
    atomik_fingerprint_t fp, saved;
    fill(data, sizeof data, 2);
    atomik_fp_init(&fp);
    CHECK_STATUS(atomik_fp_load_checked(&fp, data, sizeof data), ATOMIK_OK);
    CHECK_EQ_U64(fp.reference, ref_xor_fold(data, sizeof data));
    CHECK_EQ_U64(fp.accumulator, 0);
    CHECK_STATUS(atomik_fp_update_checked(&fp, data, sizeof data), ATOMIK_OK);
    CHECK_EQ_INT(atomik_fp_changed(&fp), 0);
    data[70] ^= 1;
    CHECK_STATUS(atomik_fp_update_checked(&fp, data, sizeof data), ATOMIK_OK);
    CHECK_EQ_INT(atomik_fp_changed(&fp), 1);
    CHECK_EQ_U64(fp.accumulator, fp.reference ^ ref_xor_fold(data, sizeof data));
    CHECK_EQ_U64(fp.accumulator, (uint64_t)1 << (8 * (70 % 8)));

    /* errors leave the fingerprint unchanged */
    saved = fp;
    CHECK_STATUS(atomik_fp_load_checked(NULL, data, sizeof data), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_fp_load_checked(&fp, NULL, 8), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_fp_load_checked(NULL, NULL, 0), ATOMIK_ERR_NULL);
    CHECK_STATUS_HUGE_LEN(atomik_fp_load_checked(&fp, data, HUGE_LEN));
    CHECK_STATUS(atomik_fp_update_checked(NULL, data, sizeof data), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_fp_update_checked(&fp, NULL, 8), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_fp_update_checked(NULL, NULL, 0), ATOMIK_ERR_NULL);
    CHECK_STATUS_HUGE_LEN(atomik_fp_update_checked(&fp, data, HUGE_LEN));
    CHECK_EQ_U64(fp.reference, saved.reference);
    CHECK_EQ_U64(fp.accumulator, saved.accumulator);

    /* NULL data with len 0 is the empty input */
    CHECK_STATUS(atomik_fp_update_checked(&fp, NULL, 0), ATOMIK_OK);
    CHECK_EQ_U64(fp.accumulator, fp.reference);
    CHECK_STATUS(atomik_fp_load_checked(&fp, NULL, 0), ATOMIK_OK);
    CHECK_EQ_U64(fp.reference, 0);
    CHECK_EQ_U64(fp.accumulator, 0);
}

/* ---- position-aware fingerprint -------------------------------------------- */

static uint64_t pos(const uint8_t *p, size_t n) {
    uint64_t out = 0;
    CHECK_STATUS(atomik_pos_fp_reduce(p, n, &out), ATOMIK_OK);
    return out;
}

static void test_pos_fp_reduce(void) {
    uint8_t a[64], b[64];
    uint64_t out;
    size_t i;
    fill(a, sizeof a, 3);

    /* deterministic, and not the XOR fold */
    CHECK_EQ_U64(pos(a, sizeof a), pos(a, sizeof a));
    CHECK(pos(a, sizeof a) != atomik_fp_reduce(a, sizeof a));

    /* swapped chunks: invisible to the XOR fold, visible here */
    memcpy(b, a, sizeof a);
    memcpy(b, a + 8, 8);
    memcpy(b + 8, a, 8);
    CHECK_EQ_U64(atomik_fp_reduce(b, sizeof b), atomik_fp_reduce(a, sizeof a));
    CHECK(pos(b, sizeof b) != pos(a, sizeof a));

    /* paired bit flips in two chunks */
    memcpy(b, a, sizeof a);
    b[3] ^= 0x10;
    b[3 + 16] ^= 0x10;
    CHECK_EQ_U64(atomik_fp_reduce(b, sizeof b), atomik_fp_reduce(a, sizeof a));
    CHECK(pos(b, sizeof b) != pos(a, sizeof a));

    /* the length is mixed in: trailing zero bytes change it */
    memset(b, 0, sizeof b);
    CHECK_EQ_U64(atomik_fp_reduce(b, 3), atomik_fp_reduce(b, 5));
    CHECK(pos(b, 3) != pos(b, 5));
    CHECK(pos(b, 0) != pos(b, 8));
    CHECK(pos(b, 8) != pos(b, 16));

    /* every single-byte change of a 64-byte buffer changes it */
    for (i = 0; i < sizeof a; i++) {
        memcpy(b, a, sizeof a);
        b[i] ^= 0x80;
        CHECK(pos(b, sizeof b) != pos(a, sizeof a));
    }

    /* alignment does not matter */
    {
        uint8_t big[80];
        memcpy(big + 5, a, sizeof a);
        CHECK_EQ_U64(pos(big + 5, sizeof a), pos(a, sizeof a));
    }

    /* NULL handling */
    out = 0x77;
    CHECK_STATUS(atomik_pos_fp_reduce(NULL, 0, &out), ATOMIK_OK);
    CHECK_EQ_U64(out, pos(a, 0)); /* the empty input */
    out = 0x77;
    CHECK_STATUS(atomik_pos_fp_reduce(NULL, 1, &out), ATOMIK_ERR_NULL);
    CHECK_STATUS_HUGE_LEN(atomik_pos_fp_reduce(a, HUGE_LEN, &out));
    CHECK_EQ_U64(out, 0x77);
    CHECK_STATUS(atomik_pos_fp_reduce(a, 8, NULL), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_pos_fp_reduce(NULL, 0, NULL), ATOMIK_ERR_NULL);
}

/* The data of the position-aware tests: 25 full chunks and a 3-byte tail. */
enum { POS_LEN = 203 };

static void test_pos_fp_init_load_and_unchanged_update(void) {
    uint8_t data[POS_LEN];
    atomik_pos_fingerprint_t fp;
    fill(data, sizeof data, 4);
    memset(&fp, 0xA5, sizeof fp);
    atomik_pos_fp_init(&fp);
    CHECK_EQ_U64(fp.reference, 0);
    CHECK_EQ_U64(fp.accumulator, 0);
    CHECK_EQ_INT(atomik_pos_fp_changed(&fp), 0);
    CHECK_EQ_U64(atomik_pos_fp_value(&fp), 0);

    CHECK_STATUS(atomik_pos_fp_load(&fp, data, sizeof data), ATOMIK_OK);
    CHECK_EQ_U64(fp.reference, pos(data, sizeof data));
    CHECK_EQ_U64(fp.accumulator, 0);
    CHECK_EQ_INT(atomik_pos_fp_changed(&fp), 0);
    CHECK_EQ_U64(atomik_pos_fp_value(&fp), pos(data, sizeof data));
    CHECK_STATUS(atomik_pos_fp_update(&fp, data, sizeof data), ATOMIK_OK);
    CHECK_EQ_INT(atomik_pos_fp_changed(&fp), 0);
}

/* A fingerprint of `data` (filled), then 300 random chunk edits: the O(1)
 * path equals a full rescan after each. */
static atomik_pos_fingerprint_t pos_fp_after_random_edits(uint8_t data[POS_LEN]) {
    atomik_pos_fingerprint_t fp, inc;
    uint64_t rng = 77;
    int iter;
    fill(data, POS_LEN, 4);
    CHECK_STATUS(atomik_pos_fp_load(&fp, data, POS_LEN), ATOMIK_OK);
    inc = fp;
    for (iter = 0; iter < 300; iter++) {
        const size_t chunk = (size_t)(rng_next(&rng) % ((POS_LEN + 7) / 8));
        const size_t at = chunk * 8;
        const size_t n = (at + 8 <= POS_LEN) ? 8 : POS_LEN - at;
        uint8_t old_bytes[8], new_bytes[8];
        uint64_t old_val, new_val, r = rng_next(&rng);
        memset(old_bytes, 0, 8);
        memset(new_bytes, 0, 8);
        memcpy(old_bytes, data + at, n);
        memcpy(new_bytes, &r, n);
        memcpy(data + at, new_bytes, n);
        old_val = le64_load(old_bytes);
        new_val = le64_load(new_bytes);
        atomik_pos_fp_accum_delta(&inc, (uint64_t)chunk, old_val, new_val);
        CHECK_STATUS(atomik_pos_fp_update(&fp, data, POS_LEN), ATOMIK_OK);
        if (!CHECK_EQ_U64(inc.accumulator, fp.accumulator)) break;
        CHECK_EQ_U64(atomik_pos_fp_value(&fp), pos(data, POS_LEN));
        CHECK_EQ_INT(atomik_pos_fp_changed(&fp), fp.accumulator != 0);
    }
    CHECK_EQ_INT(atomik_pos_fp_changed(&fp), 1);
    return fp;
}

static void test_pos_fp_chunk_edits_equal_a_rescan(void) {
    uint8_t data[POS_LEN];
    (void)pos_fp_after_random_edits(data);
}

static void test_pos_fp_accum_delta_depends_on_the_index_and_undoes_itself(void) {
    uint8_t data[POS_LEN];
    const atomik_pos_fingerprint_t fp = pos_fp_after_random_edits(data);
    atomik_pos_fingerprint_t a = fp, b = fp;
    /* an edit in the wrong chunk index does not match */
    atomik_pos_fp_accum_delta(&a, 0, 1, 2);
    atomik_pos_fp_accum_delta(&b, 1, 1, 2);
    CHECK(a.accumulator != b.accumulator);
    /* accum_delta is self-inverse */
    atomik_pos_fp_accum_delta(&a, 0, 1, 2);
    CHECK_EQ_U64(a.accumulator, fp.accumulator);
    /* old == new is no change */
    atomik_pos_fp_accum_delta(&b, 1, 2, 1);
    atomik_pos_fp_accum_delta(&b, 9, 5, 5);
    CHECK_EQ_U64(b.accumulator, fp.accumulator);
}

static void test_pos_fp_null_arguments_leave_the_state_unchanged(void) {
    uint8_t data[POS_LEN];
    atomik_pos_fingerprint_t fp = pos_fp_after_random_edits(data);
    const atomik_pos_fingerprint_t saved = fp;
    CHECK_STATUS(atomik_pos_fp_load(NULL, data, sizeof data), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_pos_fp_load(&fp, NULL, 8), ATOMIK_ERR_NULL);
    CHECK_STATUS_HUGE_LEN(atomik_pos_fp_load(&fp, data, HUGE_LEN));
    CHECK_STATUS(atomik_pos_fp_update(NULL, data, sizeof data), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_pos_fp_update(&fp, NULL, 8), ATOMIK_ERR_NULL);
    CHECK_STATUS_HUGE_LEN(atomik_pos_fp_update(&fp, data, HUGE_LEN));
    CHECK_EQ_U64(fp.reference, saved.reference);
    CHECK_EQ_U64(fp.accumulator, saved.accumulator);
    atomik_pos_fp_init(NULL);
    atomik_pos_fp_accum_delta(NULL, 0, 1, 2);
    CHECK_EQ_INT(atomik_pos_fp_changed(NULL), 0);
    CHECK_EQ_U64(atomik_pos_fp_value(NULL), 0);
}

static void test_pos_fp_null_data_of_length_zero_is_empty(void) {
    uint8_t data[POS_LEN];
    atomik_pos_fingerprint_t fp = pos_fp_after_random_edits(data);
    CHECK_STATUS(atomik_pos_fp_load(&fp, NULL, 0), ATOMIK_OK);
    CHECK_EQ_U64(fp.reference, pos(data, 0));
    CHECK_STATUS(atomik_pos_fp_update(&fp, NULL, 0), ATOMIK_OK);
    CHECK_EQ_INT(atomik_pos_fp_changed(&fp), 0);
}

static void test_pos_fp_layout(void) {
    CHECK_EQ_SIZE(sizeof(atomik_pos_fingerprint_t), 16);
    CHECK_EQ_SIZE(offsetof(atomik_pos_fingerprint_t, reference), 0);
    CHECK_EQ_SIZE(offsetof(atomik_pos_fingerprint_t, accumulator), 8);
}

int main(void) {
    RUN_TEST(test_fp_reduce_checked);
    RUN_TEST(test_fp_load_update_checked);
    RUN_TEST(test_pos_fp_reduce);
    RUN_TEST(test_pos_fp_init_load_and_unchanged_update);
    RUN_TEST(test_pos_fp_chunk_edits_equal_a_rescan);
    RUN_TEST(test_pos_fp_accum_delta_depends_on_the_index_and_undoes_itself);
    RUN_TEST(test_pos_fp_null_arguments_leave_the_state_unchanged);
    RUN_TEST(test_pos_fp_null_data_of_length_zero_is_empty);
    RUN_TEST(test_pos_fp_layout);
    return check_summary("test_fingerprint");
}
