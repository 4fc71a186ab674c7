/*
 * original_style_helper.c — the second translation unit of the
 * original-style program: it includes the header WITHOUT
 * ATOMIK_IMPLEMENTATION (as every TU but one did with the original), twice
 * (include guard). Linking it with test_original_style.c proves the header
 * defines nothing that would collide between translation units.
 */
#include "atomik_core.h"
#include "atomik_core.h"

uint64_t helper_xor_of_states(const atomik_table_t *t);

uint64_t helper_xor_of_states(const atomik_table_t *t) {
    uint64_t acc = 0;
    uint32_t i;
    for (i = 0; i < t->num_contexts; i++) {
        acc ^= atomik_read(&t->contexts[i]);
    }
    return acc;
}
