/*
 * replica_sync.c — two replicas converge over an unreliable byte stream.
 *
 * Replica A changes its table (LOAD, ACCUMs, a SWAP, a SWAP_KEEP) and
 * encodes every resulting message into one contiguous byte buffer. The
 * "network" duplicates one frame and drops another. Replica B consumes the
 * bytes with atomik_replica_apply_bytes: the duplicate is recognised (a
 * duplicated XOR delta would otherwise undo itself), a delta whose epoch
 * started in the lost frame is refused until it can be applied, and
 * atomik_replica_missing tells A what to retransmit. Finally both replicas
 * hold the same state.
 *
 *   cc replica_sync.c $(pkg-config --cflags --libs atomik_core) -o replica_sync
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "atomik_core.h"

enum { CONTEXTS = 4, MAX_MSGS = 16, FRAME = ATOMIK_MSG_V1_LEN };

/* What A has sent, kept for retransmission (indexed by seq). */
static uint8_t outbox[MAX_MSGS][FRAME];
static const char *what[MAX_MSGS];
static uint64_t sent = 0;

static int failed(atomik_status st, const char *call) {
    if (st != ATOMIK_OK) {
        fprintf(stderr, "%s: %s\n", call, atomik_status_str(st));
        return 1;
    }
    return 0;
}

/* Encodes the message of A's latest operation into the outbox. */
static int post(const atomik_msg_t *m, const char *description) {
    size_t written = 0;
    if (m->seq != sent || sent >= MAX_MSGS) {
        fprintf(stderr, "unexpected seq %" PRIu64 "\n", m->seq);
        return 1;
    }
    if (failed(atomik_msg_encode(m, outbox[sent], FRAME, &written), "atomik_msg_encode")) {
        return 1;
    }
    what[sent] = description;
    printf("  A seq %" PRIu64 ": %-34s -> %zu-byte frame\n", m->seq, description, written);
    sent++;
    return 0;
}

static const char *outcome_name(atomik_outcome o) {
    switch (o) {
    case ATOMIK_OUTCOME_APPLIED: return "applied";
    case ATOMIK_OUTCOME_DUPLICATE: return "duplicate, ignored";
    case ATOMIK_OUTCOME_STALE: return "stale epoch, ignored";
    case ATOMIK_OUTCOME_OWN: return "own message, ignored";
    }
    return "?";
}

/* Feeds a byte stream to B, frame by frame. Returns the number of frames. */
static int deliver(atomik_replica_t *b, const uint8_t *bytes, size_t len) {
    size_t off = 0;
    int frames = 0;
    while (off < len) {
        size_t consumed = 0;
        atomik_outcome oc = ATOMIK_OUTCOME_APPLIED;
        atomik_msg_t m;
        const atomik_status st =
            atomik_replica_apply_bytes(b, bytes + off, len - off, &consumed, &oc);
        if (consumed == 0) { /* a partial frame: wait for more bytes */
            printf("  B: %zu trailing bytes wait for the rest of their frame\n", len - off);
            break;
        }
        if (atomik_msg_decode(bytes + off, len - off, &m, NULL) == ATOMIK_OK) {
            printf("  B got seq %" PRIu64 " (%s): ", m.seq, m.seq < sent ? what[m.seq] : "?");
        } else {
            printf("  B got a malformed frame: ");
        }
        if (st == ATOMIK_OK) {
            printf("%s\n", outcome_name(oc));
        } else {
            printf("refused: %s\n", atomik_status_str(st));
        }
        off += consumed;
        frames++;
    }
    return frames;
}

int main(void) {
    atomik_replica_t *a = NULL, *b = NULL;
    atomik_msg_t m;
    uint64_t prev = 0;
    uint8_t wire[MAX_MSGS * 2 * FRAME];
    size_t wire_len = 0;
    atomik_gap_t gaps[8];
    size_t n_gaps = 0, i;
    atomik_replica_stats_t stats;
    int ok = 1;
    uint64_t s;

    if (failed(atomik_replica_new(1, CONTEXTS, &a), "atomik_replica_new(A)") ||
        failed(atomik_replica_new(2, CONTEXTS, &b), "atomik_replica_new(B)")) {
        return 1;
    }

    printf("1. Replica A makes changes; each yields a message to broadcast:\n");
    if (failed(atomik_replica_load(a, 0, 1000, &m), "load") || post(&m, "LOAD ctx0 = 1000") ||
        failed(atomik_replica_accum(a, 0, 0x0F, &m), "accum") || post(&m, "ACCUM ctx0 ^= 0x0F") ||
        failed(atomik_replica_accum(a, 1, 0xFF00, &m), "accum") ||
        post(&m, "ACCUM ctx1 ^= 0xFF00") ||
        failed(atomik_replica_swap_to(a, 1, 42, &prev, &m), "swap_to") ||
        post(&m, "SWAP ctx1 -> 42 (a new epoch)") ||
        failed(atomik_replica_accum(a, 1, 0x7, &m), "accum") ||
        post(&m, "ACCUM ctx1 ^= 0x7 (in that epoch)") ||
        failed(atomik_replica_swap_keep(a, 0, &prev, &m), "swap_keep") ||
        post(&m, "SWAP_KEEP ctx0")) {
        return 1;
    }

    printf("\n2. The network duplicates seq 1 and drops seq 3:\n");
    for (s = 0; s < sent; s++) {
        if (s == 3) {
            continue; /* lost */
        }
        memcpy(wire + wire_len, outbox[s], FRAME);
        wire_len += FRAME;
        if (s == 1) { /* duplicated */
            memcpy(wire + wire_len, outbox[s], FRAME);
            wire_len += FRAME;
        }
    }
    printf("  %zu bytes on the wire (%zu frames)\n", wire_len, wire_len / FRAME);

    printf("\n3. Replica B consumes the byte stream:\n");
    deliver(b, wire, wire_len);

    printf("\n4. B reports what it still needs from A (A has sent %" PRIu64 "):\n", sent);
    if (failed(atomik_replica_missing(b, 1, sent, gaps, 8, &n_gaps), "atomik_replica_missing")) {
        return 1;
    }
    for (i = 0; i < n_gaps && i < 8; i++) {
        printf("  missing seqs [%" PRIu64 ", %" PRIu64 ")\n", gaps[i].first, gaps[i].end);
    }
    ok = ok && n_gaps == 1 && gaps[0].first == 3 && gaps[0].end == 5;
    printf("  same state before retransmission: %s\n",
           atomik_replica_same_state(a, b) ? "yes" : "no");
    ok = ok && !atomik_replica_same_state(a, b);

    printf("\n5. A retransmits them:\n");
    wire_len = 0;
    for (i = 0; i < n_gaps && i < 8; i++) {
        for (s = gaps[i].first; s < gaps[i].end; s++) {
            memcpy(wire + wire_len, outbox[s], FRAME);
            wire_len += FRAME;
        }
    }
    deliver(b, wire, wire_len);

    printf("\n6. Result:\n");
    for (i = 0; i < CONTEXTS; i++) {
        uint64_t va = 0, vb = 0;
        atomik_replica_read(a, (uint32_t)i, &va);
        atomik_replica_read(b, (uint32_t)i, &vb);
        printf("  ctx%zu: A = %" PRIu64 ", B = %" PRIu64 "\n", i, va, vb);
        ok = ok && va == vb;
    }
    atomik_replica_stats(b, &stats);
    printf("  B: %" PRIu64 " applied, %" PRIu64 " duplicate, %" PRIu64 " stale, %" PRIu64
           " refused (resent later)\n",
           stats.applied, stats.duplicates, stats.stale, stats.refused);
    atomik_replica_missing(b, 1, sent, NULL, 0, &n_gaps);
    ok = ok && n_gaps == 0 && stats.applied == 6 && stats.duplicates == 1 && stats.refused == 1;
    {
        uint64_t v0 = 0, v1 = 0;
        atomik_replica_read(b, 0, &v0);
        atomik_replica_read(b, 1, &v1);
        ok = ok && v0 == (1000 ^ 0x0F) && v1 == (42 ^ 0x7);
    }
    ok = ok && atomik_replica_same_state(a, b);
    printf("  same state: %s\n", atomik_replica_same_state(a, b) ? "yes" : "no");

    atomik_replica_free(a);
    atomik_replica_free(b);
    printf("%s\n", ok ? "OK: the replicas converged" : "FAILED");
    return ok ? 0 : 1;
}
