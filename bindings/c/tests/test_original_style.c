/*
 * test_original_style.c — a program written for the ORIGINAL single-header
 * atomik_core.h, exactly as its documentation showed it: one translation
 * unit defines ATOMIK_IMPLEMENTATION before the include, and only the
 * original API is used (quick start, a multi-context table, fingerprinting).
 * It must compile unchanged (C99 and C++17, strict warnings) against
 * libatomik_core's header and produce the same results.
 *
 * It deliberately relies on what the original header brought in: <stdint.h>,
 * <stddef.h>, <string.h> and, with ATOMIK_IMPLEMENTATION, <stdlib.h>
 * (malloc/free are used below without including <stdlib.h> here).
 */
#define ATOMIK_IMPLEMENTATION
#include "atomik_core.h"

#include <stdio.h>

/* from original_style_helper.c, another translation unit */
uint64_t helper_xor_of_states(const atomik_table_t *t);

static int failures = 0;

#define EXPECT(cond)                                                       \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                    \
        }                                                                  \
    } while (0)

/* --- Quick start ----------------------------------------------------------- */
static void quick_start(void) {
    atomik_ctx_t ctx;
    uint64_t state;

    atomik_init(&ctx);
    atomik_load(&ctx, 0xDEADBEEFCAFEBABEULL);
    atomik_accum(&ctx, 0xFFULL);
    state = atomik_read(&ctx); /* 0xDEADBEEFCAFEBA41 */
    printf("quick start: state = 0x%016llx\n", (unsigned long long)state);
    EXPECT(state == 0xDEADBEEFCAFEBA41ULL);

    /* undo by accumulating the same delta again */
    atomik_accum(&ctx, 0xFFULL);
    EXPECT(atomik_read(&ctx) == 0xDEADBEEFCAFEBABEULL);
    EXPECT(atomik_is_clean(&ctx));

    /* swap: read the state and start a new epoch from it */
    atomik_accum(&ctx, 0x0F0F0F0F0F0F0F0FULL);
    state = atomik_swap(&ctx);
    EXPECT(state == (0xDEADBEEFCAFEBABEULL ^ 0x0F0F0F0F0F0F0F0FULL));
    EXPECT(ctx.reference == state && ctx.accumulator == 0 && ctx.delta_count == 0);

    /* merge the deltas of two workers that started from the same reference */
    {
        atomik_ctx_t w1, w2;
        atomik_init(&w1);
        atomik_init(&w2);
        atomik_load(&w1, 1000);
        atomik_load(&w2, 1000);
        atomik_accum(&w1, 0x3);
        atomik_accum(&w2, 0x5);
        atomik_merge(&w1, &w2);
        EXPECT(atomik_read(&w1) == (1000 ^ 0x3 ^ 0x5));
        EXPECT(w1.delta_count == 2);
    }
}

/* --- Multi-context table ---------------------------------------------------- */
static uint64_t lcg_state = 88172645463325252ULL;
static uint64_t next_random(void) {
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lcg_state ^ (lcg_state >> 29);
}

static void multi_context(void) {
    atomik_table_t table;
    atomik_ctx_t shadow[256]; /* the same operations on standalone contexts */
    uint32_t i;
    uint64_t sum = 0;

    if (atomik_table_init(&table, 256) != 0) {
        fprintf(stderr, "atomik_table_init failed\n");
        failures++;
        return;
    }
    for (i = 0; i < table.num_contexts; i++) {
        const uint64_t baseline = next_random();
        atomik_table_load(&table, i, baseline);
        atomik_init(&shadow[i]);
        atomik_load(&shadow[i], baseline);
    }
    for (i = 0; i < 10000; i++) {
        const uint32_t sensor = (uint32_t)(next_random() % 256);
        const uint64_t delta = next_random();
        atomik_table_accum(&table, sensor, delta);
        atomik_accum(&shadow[sensor], delta);
    }
    for (i = 0; i < table.num_contexts; i++) {
        EXPECT(atomik_table_read(&table, i) == atomik_read(&shadow[i]));
        EXPECT(table.contexts[i].delta_count == shadow[i].delta_count);
        sum ^= atomik_table_read(&table, i);
    }
    /* out-of-range addresses are ignored */
    atomik_table_accum(&table, 256, 0xFFFF);
    EXPECT(atomik_table_read(&table, 256) == 0);
    EXPECT(atomik_table_swap(&table, 1000) == 0);
    {
        const uint64_t s = atomik_table_swap(&table, 7);
        EXPECT(s == atomik_read(&shadow[7]));
        EXPECT(atomik_table_read(&table, 7) == s);
        EXPECT(atomik_is_clean(&table.contexts[7]));
    }
    EXPECT(helper_xor_of_states(&table) == sum);
    printf("multi-context: 256 contexts, 10000 deltas, xor of all states = 0x%016llx\n",
           (unsigned long long)sum);
    EXPECT(sum != 0);
    atomik_table_free(&table);
}

/* --- Fingerprinting ---------------------------------------------------------- */
static void fingerprinting(void) {
    const size_t len = 4096;
    uint8_t *buffer = (uint8_t *)malloc(len); /* <stdlib.h> came with the header */
    atomik_fingerprint_t fp;
    uint64_t old_word, new_word;
    size_t i;

    if (buffer == NULL) {
        failures++;
        return;
    }
    for (i = 0; i < len; i++) {
        buffer[i] = (uint8_t)next_random();
    }
    atomik_fp_init(&fp);
    atomik_fp_load(&fp, buffer, len);
    EXPECT(!atomik_fp_changed(&fp));

    /* change one 8-byte word and tell the fingerprint in O(1) */
    memcpy(&old_word, buffer + 64, sizeof old_word);
    new_word = old_word ^ 0x00FF000000000000ULL;
    memcpy(buffer + 64, &new_word, sizeof new_word);
    atomik_fp_accum_delta(&fp, old_word, new_word);
    EXPECT(atomik_fp_changed(&fp));
    {
        /* a full rescan agrees */
        atomik_fingerprint_t scan;
        atomik_fp_init(&scan);
        scan.reference = fp.reference;
        atomik_fp_update(&scan, buffer, len);
        EXPECT(scan.accumulator == fp.accumulator);
    }
    /* change it back: unchanged again */
    memcpy(buffer + 64, &old_word, sizeof old_word);
    atomik_fp_update(&fp, buffer, len);
    EXPECT(!atomik_fp_changed(&fp));
    EXPECT(atomik_fp_reduce(buffer, len) == fp.reference);
    printf("fingerprint: 4096 bytes, reference = 0x%016llx\n", (unsigned long long)fp.reference);
    EXPECT(fp.reference != 0);
    free(buffer);
}

int main(void) {
    quick_start();
    multi_context();
    fingerprinting();
    if (failures != 0) {
        printf("test_original_style: %d FAILED\n", failures);
        return 1;
    }
    printf("test_original_style: original-style program OK\n");
    return 0;
}
