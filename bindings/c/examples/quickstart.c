/*
 * quickstart.c — the quick start from atomik_core.h, runnable.
 *
 *   cc quickstart.c $(pkg-config --cflags --libs atomik_core) -o quickstart
 *
 * Exit code 0 only if the library computes the documented values.
 */
#include <inttypes.h>
#include <stdio.h>

#include "atomik_core.h"

int main(void) {
    atomik_ctx_t ctx;
    uint64_t state, swapped;
    int ok = 1;

    printf("libatomik_core %s (header %s)\n", atomik_version_string(), ATOMIK_VERSION_STRING);
    if (atomik_version() != ATOMIK_VERSION) {
        printf("warning: header and library versions differ\n");
        ok = 0;
    }

    atomik_init(&ctx);
    atomik_load(&ctx, 0xDEADBEEFCAFEBABEULL);
    atomik_accum(&ctx, 0xFFULL);
    state = atomik_read(&ctx); /* 0xDEADBEEFCAFEBA41 */

    printf("LOAD  0xDEADBEEFCAFEBABE\n");
    printf("ACCUM 0x00000000000000FF\n");
    printf("READ  0x%016" PRIX64 "   (expected 0xDEADBEEFCAFEBA41)\n", state);
    printf("clean: %s, deltas since LOAD: %" PRIu32 "\n", atomik_is_clean(&ctx) ? "yes" : "no",
           ctx.delta_count);
    ok = ok && state == 0xDEADBEEFCAFEBA41ULL && !atomik_is_clean(&ctx) && ctx.delta_count == 1;

    /* ACCUM is its own inverse: the same delta again restores the reference. */
    atomik_accum(&ctx, 0xFFULL);
    printf("ACCUM 0x00000000000000FF again -> READ 0x%016" PRIX64 " (clean: %s)\n",
           atomik_read(&ctx), atomik_is_clean(&ctx) ? "yes" : "no");
    ok = ok && atomik_read(&ctx) == 0xDEADBEEFCAFEBABEULL && atomik_is_clean(&ctx);

    /* SWAP (keep): returns the state and starts a new epoch from it. */
    atomik_accum(&ctx, 0x1ULL);
    swapped = atomik_swap(&ctx);
    printf("ACCUM 0x1, SWAP -> 0x%016" PRIX64 ", new reference 0x%016" PRIX64 "\n", swapped,
           ctx.reference);
    ok = ok && swapped == 0xDEADBEEFCAFEBABFULL && ctx.reference == swapped &&
         atomik_is_clean(&ctx);

    printf("%s\n", ok ? "OK" : "MISMATCH");
    return ok ? 0 : 1;
}
