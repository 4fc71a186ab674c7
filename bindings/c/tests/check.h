/*
 * check.h — the tiny assertion kit of the libatomik_core C tests.
 *
 * Valid C99 and C++17 (every test source is compiled as both). A failed check
 * prints file:line, the test name, the expression and the values, then the
 * test continues; check_summary() prints the totals and gives the exit code.
 *
 *   CHECK(cond)                 any condition
 *   CHECK_EQ_U64(a, b)          unsigned 64-bit values (printed hex + decimal)
 *   CHECK_EQ_INT(a, b)          signed integers
 *   CHECK_EQ_SIZE(a, b)         size_t values
 *   CHECK_EQ_PTR(a, b)          pointers
 *   CHECK_EQ_STR(a, b)          NUL-terminated strings (NULL is a failure)
 *   CHECK_EQ_MEM(a, b, n)       n bytes
 *   CHECK_STATUS(expr, want)    an atomik_status, printed with its name
 *   CHECK_STATUS_EITHER(expr, a, b)   one of two statuses
 *   CHECK_CTX(c, ref, acc, count)     an atomik_ctx_t's three fields
 *   CHECK_EQ_CTX(a, b)          two atomik_ctx_t, field by field
 *
 * The helpers are `static inline` so a TU that does not use one of them
 * does not trip -Wunused-function.
 */
#ifndef ATOMIK_TEST_CHECK_H
#define ATOMIK_TEST_CHECK_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomik_core.h"

typedef struct {
    unsigned long total;
    unsigned long failed;
    const char *test;
} check_state_t;

/* One instance per TU (each test program is a single TU). */
static check_state_t check_state_;

static inline void check_fail_head_(const char *file, int line, const char *what) {
    check_state_.failed++;
    fprintf(stderr, "%s:%d: FAIL in %s: %s\n", file, line,
            check_state_.test ? check_state_.test : "?", what);
}

static inline int check_bool_(int ok, const char *file, int line, const char *expr) {
    check_state_.total++;
    if (!ok) {
        check_fail_head_(file, line, expr);
    }
    return ok;
}

static inline int check_u64_(uint64_t a, uint64_t b, const char *file, int line, const char *ea,
                             const char *eb) {
    check_state_.total++;
    if (a != b) {
        check_fail_head_(file, line, "CHECK_EQ_U64");
        fprintf(stderr, "    %s = 0x%016" PRIx64 " (%" PRIu64 ")\n", ea, a, a);
        fprintf(stderr, "    %s = 0x%016" PRIx64 " (%" PRIu64 ")\n", eb, b, b);
        return 0;
    }
    return 1;
}

static inline int check_int_(long long a, long long b, const char *file, int line, const char *ea,
                             const char *eb) {
    check_state_.total++;
    if (a != b) {
        check_fail_head_(file, line, "CHECK_EQ_INT");
        fprintf(stderr, "    %s = %lld\n    %s = %lld\n", ea, a, eb, b);
        return 0;
    }
    return 1;
}

static inline int check_size_(size_t a, size_t b, const char *file, int line, const char *ea,
                              const char *eb) {
    check_state_.total++;
    if (a != b) {
        check_fail_head_(file, line, "CHECK_EQ_SIZE");
        fprintf(stderr, "    %s = %lu\n    %s = %lu\n", ea, (unsigned long)a, eb,
                (unsigned long)b);
        return 0;
    }
    return 1;
}

static inline int check_ptr_(const void *a, const void *b, const char *file, int line,
                             const char *ea, const char *eb) {
    check_state_.total++;
    if (a != b) {
        check_fail_head_(file, line, "CHECK_EQ_PTR");
        fprintf(stderr, "    %s = %p\n    %s = %p\n", ea, a, eb, b);
        return 0;
    }
    return 1;
}

static inline int check_str_(const char *a, const char *b, const char *file, int line,
                             const char *ea, const char *eb) {
    check_state_.total++;
    if (a == NULL || b == NULL || strcmp(a, b) != 0) {
        check_fail_head_(file, line, "CHECK_EQ_STR");
        fprintf(stderr, "    %s = %s%s%s\n", ea, a ? "\"" : "", a ? a : "NULL", a ? "\"" : "");
        fprintf(stderr, "    %s = %s%s%s\n", eb, b ? "\"" : "", b ? b : "NULL", b ? "\"" : "");
        return 0;
    }
    return 1;
}

static inline void check_hexdump_(const char *label, const void *p, size_t n) {
    const unsigned char *b = (const unsigned char *)p;
    size_t i;
    fprintf(stderr, "    %s =", label);
    for (i = 0; i < n; i++) {
        fprintf(stderr, "%s%02x", (i % 16 == 0 && i > 0) ? "\n      " : " ", b[i]);
    }
    fprintf(stderr, "\n");
}

static inline int check_mem_(const void *a, const void *b, size_t n, const char *file, int line,
                             const char *ea, const char *eb) {
    check_state_.total++;
    if (memcmp(a, b, n) != 0) {
        check_fail_head_(file, line, "CHECK_EQ_MEM");
        check_hexdump_(ea, a, n);
        check_hexdump_(eb, b, n);
        return 0;
    }
    return 1;
}

static inline int check_status_(int got, int want, const char *file, int line, const char *expr) {
    check_state_.total++;
    if (got != want) {
        check_fail_head_(file, line, expr);
        fprintf(stderr, "    got      %d (%s)\n    expected %d (%s)\n", got,
                atomik_status_str(got), want, atomik_status_str(want));
        return 0;
    }
    return 1;
}

static inline int check_status2_(int got, int want1, int want2, const char *file, int line,
                                 const char *expr) {
    check_state_.total++;
    if (got != want1 && got != want2) {
        check_fail_head_(file, line, expr);
        fprintf(stderr, "    got      %d (%s)\n    expected %d (%s) or %d (%s)\n", got,
                atomik_status_str(got), want1, atomik_status_str(want1), want2,
                atomik_status_str(want2));
        return 0;
    }
    return 1;
}

#define CHECK(cond) check_bool_(!!(cond), __FILE__, __LINE__, "CHECK(" #cond ")")
#define CHECK_EQ_U64(a, b) \
    check_u64_((uint64_t)(a), (uint64_t)(b), __FILE__, __LINE__, #a, #b)
#define CHECK_EQ_INT(a, b) \
    check_int_((long long)(a), (long long)(b), __FILE__, __LINE__, #a, #b)
#define CHECK_EQ_SIZE(a, b) check_size_((size_t)(a), (size_t)(b), __FILE__, __LINE__, #a, #b)
#define CHECK_EQ_PTR(a, b) \
    check_ptr_((const void *)(a), (const void *)(b), __FILE__, __LINE__, #a, #b)
#define CHECK_EQ_STR(a, b) check_str_((a), (b), __FILE__, __LINE__, #a, #b)
#define CHECK_EQ_MEM(a, b, n) check_mem_((a), (b), (n), __FILE__, __LINE__, #a, #b)
#define CHECK_STATUS(expr, want) \
    check_status_((int)(expr), (int)(want), __FILE__, __LINE__, #expr " == " #want)

/* A context's reference, accumulator and delta_count, each checked (and
 * reported) as CHECK_EQ_U64 would. `c` names a context: it is evaluated once
 * per field. */
#define CHECK_CTX(c, ref, acc, count)         \
    do {                                      \
        CHECK_EQ_U64((c).reference, ref);     \
        CHECK_EQ_U64((c).accumulator, acc);   \
        CHECK_EQ_U64((c).delta_count, count); \
    } while (0)
#define CHECK_EQ_CTX(a, b) CHECK_CTX(a, (b).reference, (b).accumulator, (b).delta_count)

/* For behaviour the header leaves open between two codes. */
#define CHECK_STATUS_EITHER(expr, want1, want2)                                   \
    check_status2_((int)(expr), (int)(want1), (int)(want2), __FILE__, __LINE__, \
                   #expr " in {" #want1 ", " #want2 "}")
/* Regression (16491fc): some functions took lengths beyond PTRDIFF_MAX
 * (which no object can have) to build slices; every one now refuses them.
 * A length beyond PTRDIFF_MAX: the header does not say which status it gets
 * (the library gives ATOMIK_ERR_NULL for inputs and ATOMIK_ERR_INVALID_ARGUMENT
 * for atomik_msg_encode's capacity); either is accepted, never success. */
#define CHECK_STATUS_HUGE_LEN(expr) \
    CHECK_STATUS_EITHER(expr, ATOMIK_ERR_NULL, ATOMIK_ERR_INVALID_ARGUMENT)

/* Runs one test function, naming it in failure messages. */
#define RUN_TEST(fn)                 \
    do {                             \
        check_state_.test = #fn;     \
        fn();                        \
        check_state_.test = NULL;    \
    } while (0)

/* Prints the totals (the runner shows the last line) and returns the exit code. */
static inline int check_summary(const char *program) {
    if (check_state_.failed == 0) {
        printf("%s: %lu checks passed\n", program, check_state_.total);
        return EXIT_SUCCESS;
    }
    printf("%s: %lu of %lu checks FAILED\n", program, check_state_.failed, check_state_.total);
    return EXIT_FAILURE;
}

/* ---- shared test utilities ------------------------------------------------ */

/* splitmix64: a deterministic pseudo-random stream for the property tests. */
static inline uint64_t rng_next(uint64_t *state) {
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Little-endian load/store independent of the host's byte order. */
static inline uint64_t le64_load(const uint8_t *p) {
    uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static inline void le64_store(uint8_t *p, uint64_t v) {
    int i;
    for (i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static inline void le32_store(uint8_t *p, uint32_t v) {
    int i;
    for (i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static inline uint32_t le32_load(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

/* Reference XOR fold, written from the documented definition: XOR of the
 * little-endian 8-byte chunks, the tail zero-padded. */
static inline uint64_t ref_xor_fold(const uint8_t *p, size_t len) {
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        acc ^= le64_load(p + i);
    }
    if (i < len) {
        uint8_t tail[8];
        memset(tail, 0, sizeof tail);
        memcpy(tail, p + i, len - i);
        acc ^= le64_load(tail);
    }
    return acc;
}

#endif /* ATOMIK_TEST_CHECK_H */
