/*
 * test_static_table.c — ATOMIK_TABLE_STATIC_SIZE, as in the original: with
 * the macro defined before the include, every atomik_table_t carries an
 * inline buffer of N contexts that atomik_table_init uses for tables of at
 * most N contexts (no heap); larger tables come from the heap. The library
 * only touches the two leading members, so every table function works on
 * both kinds. valgrind / LeakSanitizer check that nothing leaks.
 */
#define ATOMIK_TABLE_STATIC_SIZE 8
#include "check.h"

#include <stddef.h>

static void test_layout_with_buffer(void) {
    atomik_table_t t;
    CHECK_EQ_SIZE(offsetof(atomik_table_t, contexts), 0);
    CHECK_EQ_SIZE(offsetof(atomik_table_t, num_contexts), sizeof(void *));
    CHECK_EQ_SIZE(sizeof t._static_buf / sizeof t._static_buf[0], 8);
    CHECK(offsetof(atomik_table_t, _static_buf) >= sizeof(void *) + sizeof(uint32_t));
    CHECK(sizeof(atomik_table_t) >= 2 * sizeof(void *) + 8 * sizeof(atomik_ctx_t));
}

static void exercise(atomik_table_t *t, uint32_t n) {
    uint32_t i;
    uint64_t v = 0;
    for (i = 0; i < n; i++) {
        CHECK_EQ_U64(atomik_table_read(t, i), 0);
        atomik_table_load(t, i, 0x1000 + i);
        atomik_table_accum(t, i, 0x1);
        CHECK_STATUS(atomik_table_accum_checked(t, i, 0x10), ATOMIK_OK);
    }
    for (i = 0; i < n; i++) {
        CHECK_EQ_U64(atomik_table_read(t, i), (0x1000 + i) ^ 0x11);
        CHECK_EQ_U64(t->contexts[i].delta_count, 2);
    }
    CHECK_EQ_U64(atomik_table_swap(t, n - 1), (0x1000 + n - 1) ^ 0x11);
    CHECK_STATUS(atomik_table_swap_to(t, 0, 0xABC, &v), ATOMIK_OK);
    CHECK_EQ_U64(v, 0x1000 ^ 0x11);
    CHECK_EQ_U64(atomik_table_read(t, 0), 0xABC);
    /* bounds come from num_contexts, not the buffer size */
    atomik_table_accum(t, n, 0xFF);
    CHECK_EQ_U64(atomik_table_read(t, n), 0);
    CHECK_STATUS(atomik_table_accum_checked(t, n, 1), ATOMIK_ERR_OUT_OF_RANGE);
    CHECK_STATUS(atomik_table_read_checked(t, UINT32_MAX, &v), ATOMIK_ERR_OUT_OF_RANGE);
    {
        uint32_t addrs[3];
        uint64_t deltas[3];
        addrs[0] = 0;
        addrs[1] = n - 1;
        addrs[2] = n; /* out of range: nothing applied */
        deltas[0] = 0x100;
        deltas[1] = 0x200;
        deltas[2] = 0x400;
        CHECK_STATUS(atomik_table_accum_batch(t, addrs, deltas, 3), ATOMIK_ERR_OUT_OF_RANGE);
        CHECK_EQ_U64(atomik_table_read(t, 0), 0xABC);
        CHECK_STATUS(atomik_table_accum_batch(t, addrs, deltas, 2), ATOMIK_OK);
        /* with n == 1, addresses 0 and n-1 are the same context */
        CHECK_EQ_U64(atomik_table_read(t, 0), 0xABC ^ (n == 1 ? 0x300 : 0x100));
    }
}

static void test_small_tables_use_inline_buffer(void) {
    uint32_t n;
    for (n = 1; n <= 8; n++) {
        atomik_table_t t;
        memset(&t, 0xA5, sizeof t); /* garbage, including the buffer */
        CHECK_EQ_INT(atomik_table_init(&t, n), 0);
        CHECK_EQ_PTR(t.contexts, t._static_buf);
        CHECK_EQ_U64(t.num_contexts, n);
        /* the whole buffer is zeroed */
        CHECK_EQ_U64(t._static_buf[7].reference, 0);
        CHECK_EQ_U64(t._static_buf[7].accumulator, 0);
        exercise(&t, n);
        atomik_table_free(&t);
        CHECK(t.contexts == NULL);
        CHECK_EQ_U64(t.num_contexts, 0);
        atomik_table_free(&t); /* twice is safe */
        CHECK(t.contexts == NULL);
    }
}

static void test_large_tables_use_heap(void) {
    static const uint32_t sizes[] = {9, 16, 1000};
    size_t k;
    for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        atomik_table_t t;
        const char *lo, *hi, *p;
        memset(&t, 0, sizeof t);
        CHECK_EQ_INT(atomik_table_init(&t, sizes[k]), 0);
        CHECK(t.contexts != NULL);
        CHECK(t.contexts != t._static_buf);
        /* and not inside the table object */
        lo = (const char *)&t;
        hi = lo + sizeof t;
        p = (const char *)t.contexts;
        CHECK(p < lo || p >= hi);
        CHECK_EQ_U64(t.num_contexts, sizes[k]);
        exercise(&t, sizes[k]);
        atomik_table_free(&t); /* a leak here fails valgrind/LSan */
        CHECK(t.contexts == NULL);
        CHECK_EQ_U64(t.num_contexts, 0);
    }
}

static void test_zero_and_null(void) {
    atomik_table_t t;
    memset(&t, 0xA5, sizeof t);
    /* 0 contexts: success and an empty table, as without the buffer */
    CHECK_EQ_INT(atomik_table_init(&t, 0), 0);
    CHECK(t.contexts == NULL);
    CHECK_EQ_U64(t.num_contexts, 0);
    atomik_table_free(&t);
    CHECK(t.contexts == NULL);
    /* NULL */
    CHECK_EQ_INT(atomik_table_init(NULL, 4), -1);
    CHECK_EQ_INT(atomik_table_init(NULL, 100), -1);
    atomik_table_free(NULL);
}

/* The checked initialiser always uses the heap; free releases it. */
static void test_checked_init_with_buffer(void) {
    atomik_table_t t;
    CHECK_STATUS(atomik_table_init_checked(&t, 4), ATOMIK_OK);
    CHECK(t.contexts != NULL);
    CHECK(t.contexts != t._static_buf);
    exercise(&t, 4);
    atomik_table_free(&t);
    CHECK(t.contexts == NULL);
    CHECK_STATUS(atomik_table_init_checked(&t, 0), ATOMIK_ERR_ZERO_SIZE);
    CHECK(t.contexts == NULL);
    atomik_table_free(&t);
}

/* The macros evaluate their arguments once. */
static void test_single_evaluation(void) {
    atomik_table_t tables[2];
    int calls = 0;
    atomik_table_t *p = tables;
    CHECK_EQ_INT(atomik_table_init((calls++, p++), 3), 0);
    CHECK_EQ_INT(calls, 1);
    CHECK_EQ_PTR(p, tables + 1);
    CHECK_EQ_PTR(tables[0].contexts, tables[0]._static_buf);
    atomik_table_free((calls++, --p));
    CHECK_EQ_INT(calls, 2);
    CHECK_EQ_PTR(p, tables);
    CHECK(tables[0].contexts == NULL);
}

/* Regression (16491fc): an inline-buffer table freed through a function
 * pointer (or the parenthesised name, bypassing any macro) reaches the
 * library, which used to free() the inline buffer. It must recognise it and
 * only reset. */
static void test_free_inline_buffer_through_the_library(void) {
    void (*free_fn)(atomik_table_t *) = atomik_table_free;
    atomik_table_t t;
    CHECK_EQ_INT(atomik_table_init(&t, 4), 0);
    CHECK_EQ_PTR(t.contexts, t._static_buf);
    atomik_table_accum(&t, 3, 0xFF);
    free_fn(&t);
    CHECK(t.contexts == NULL);
    CHECK_EQ_U64(t.num_contexts, 0);

    CHECK_EQ_INT(atomik_table_init(&t, 8), 0);
    CHECK_EQ_PTR(t.contexts, t._static_buf);
    (atomik_table_free)(&t);
    CHECK(t.contexts == NULL);

    /* A heap table freed the same way is still released (valgrind/LSan). */
    CHECK_EQ_INT((atomik_table_init)(&t, 4), 0);
    CHECK(t.contexts != NULL && t.contexts != t._static_buf);
    free_fn(&t);
    CHECK(t.contexts == NULL);
}

int main(void) {
    RUN_TEST(test_layout_with_buffer);
    RUN_TEST(test_free_inline_buffer_through_the_library);
    RUN_TEST(test_small_tables_use_inline_buffer);
    RUN_TEST(test_large_tables_use_heap);
    RUN_TEST(test_zero_and_null);
    RUN_TEST(test_checked_init_with_buffer);
    RUN_TEST(test_single_evaluation);
    return check_summary("test_static_table");
}
