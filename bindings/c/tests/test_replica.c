/*
 * test_replica.c — replica handles: creation bounds, local operations and
 * the messages they produce, exactly-once application (duplicates, own
 * messages), gaps and retransmission, refusals that must not consume the
 * message (beyond window, future epoch, too many senders), stale epochs,
 * epoch exhaustion, the gap buffer protocol, statistics, every NULL
 * argument, and convergence under a lossy, duplicating, reordering network.
 */
#include <stddef.h>

#include "check.h"

#define EPOCH(counter, origin) (((uint64_t)(counter) << 32) | (uint64_t)(origin))

static atomik_replica_t *new_replica(uint32_t id, uint32_t contexts) {
    atomik_replica_t *r = NULL;
    CHECK_STATUS(atomik_replica_new(id, contexts, &r), ATOMIK_OK);
    CHECK(r != NULL);
    return r;
}

static atomik_replica_t *new_replica_with(uint32_t id, uint32_t contexts, uint32_t window,
                                          uint32_t max_senders) {
    atomik_replica_t *r = NULL;
    CHECK_STATUS(atomik_replica_new_with(id, contexts, window, max_senders, &r), ATOMIK_OK);
    CHECK(r != NULL);
    return r;
}

static uint64_t rd(const atomik_replica_t *r, uint32_t addr) {
    uint64_t v = 0;
    CHECK_STATUS(atomik_replica_read(r, addr, &v), ATOMIK_OK);
    return v;
}

static atomik_replica_stats_t stats_of(const atomik_replica_t *r) {
    atomik_replica_stats_t s;
    memset(&s, 0xA5, sizeof s);
    CHECK_STATUS(atomik_replica_stats(r, &s), ATOMIK_OK);
    return s;
}

/* An atomik_outcome holding a value no enumerator has (a sentinel that
 * shows whether the library wrote it). Set and read through memcpy: loading
 * an out-of-range enum value is undefined in C++. */
#define OUTCOME_SENTINEL 99
static void outcome_set_raw(atomik_outcome *o, int v) {
    memcpy(o, &v, sizeof v);
}
static int outcome_raw(const atomik_outcome *o) {
    int v;
    memcpy(&v, o, sizeof v);
    return v;
}

/* Applies m to r expecting status `st` and, if OK, outcome `oc` (on error
 * the outcome must not be written). */
static void apply_expect(atomik_replica_t *r, const atomik_msg_t *m, atomik_status st,
                         atomik_outcome oc, int line) {
    atomik_outcome got;
    int ok1, ok2;
    outcome_set_raw(&got, OUTCOME_SENTINEL);
    ok1 = CHECK_STATUS(atomik_replica_apply(r, m, &got), st);
    ok2 = CHECK_EQ_INT(outcome_raw(&got), st == ATOMIK_OK ? (int)oc : OUTCOME_SENTINEL);
    if (!ok1 || !ok2) {
        fprintf(stderr, "    (from test_replica.c:%d; msg sender %u seq %llu)\n", line,
                (unsigned)m->sender, (unsigned long long)m->seq);
    }
}
#define APPLY(r, m, st, oc) apply_expect((r), &(m), (st), (oc), __LINE__)
#define APPLY_OK(r, m) APPLY(r, m, ATOMIK_OK, ATOMIK_OUTCOME_APPLIED)
#define APPLY_ERR(r, m, st) APPLY(r, m, st, ATOMIK_OUTCOME_APPLIED) /* outcome unused */

/* A script of local operations (see SEND): LOAD or ACCUM `value` at `addr`. */
typedef enum { SEND_ACCUM, SEND_LOAD } send_kind_t;
typedef struct {
    send_kind_t kind;
    uint32_t addr;
    uint64_t value;
} local_op_t;

/* Runs the `n` operations of `ops` on r, each of which must succeed; m[i]
 * receives the message of ops[i]. */
static void send_script(atomik_replica_t *r, const local_op_t *ops, size_t n, atomik_msg_t *m,
                        int line) {
    size_t i;
    for (i = 0; i < n; i++) {
        atomik_status st = ops[i].kind == SEND_LOAD
                               ? atomik_replica_load(r, ops[i].addr, ops[i].value, &m[i])
                               : atomik_replica_accum(r, ops[i].addr, ops[i].value, &m[i]);
        if (!CHECK_STATUS(st, ATOMIK_OK)) {
            fprintf(stderr, "    (from test_replica.c:%d; operation %u)\n", line, (unsigned)i);
        }
    }
}
#define SEND(r, ops, m) send_script((r), (ops), sizeof(ops) / sizeof((ops)[0]), (m), __LINE__)

static size_t gap_count(const atomik_replica_t *r) {
    size_t n = 0x77;
    CHECK_STATUS(atomik_replica_gaps(r, NULL, 0, &n), ATOMIK_OK);
    return n;
}

/* ---- creation ---------------------------------------------------------------- */

static void test_create(void) {
    atomik_replica_t *r;
    atomik_replica_t *junk = (atomik_replica_t *)&r; /* any non-NULL value */
    static const uint32_t bad_windows[] = {0, 1, 32, 63, 65, 100, 65536 + 64, 131072, UINT32_MAX};
    size_t i;

    r = junk;
    CHECK_STATUS(atomik_replica_new(1, 8, &r), ATOMIK_OK);
    CHECK(r != NULL && r != junk);
    CHECK_EQ_U64(atomik_replica_next_seq(r), 0);
    CHECK_EQ_U64(rd(r, 0), 0);
    CHECK_EQ_U64(rd(r, 7), 0);
    CHECK_EQ_SIZE(gap_count(r), 0);
    {
        const atomik_replica_stats_t s = stats_of(r);
        CHECK_EQ_U64(s.applied, 0);
        CHECK_EQ_U64(s.duplicates, 0);
        CHECK_EQ_U64(s.stale, 0);
        CHECK_EQ_U64(s.refused, 0);
    }
    atomik_replica_free(r);

    /* zero contexts */
    r = junk;
    CHECK_STATUS(atomik_replica_new(1, 0, &r), ATOMIK_ERR_ZERO_SIZE);
    CHECK(r == NULL);
    r = junk;
    CHECK_STATUS(atomik_replica_new_with(1, 0, 64, 4, &r), ATOMIK_ERR_ZERO_SIZE);
    CHECK(r == NULL);
    /* NULL out */
    CHECK_STATUS(atomik_replica_new(1, 8, NULL), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_replica_new_with(1, 8, 64, 4, NULL), ATOMIK_ERR_NULL);
    /* windows: multiples of 64 in 64..=65536 */
    for (i = 0; i < sizeof bad_windows / sizeof bad_windows[0]; i++) {
        r = junk;
        CHECK_STATUS(atomik_replica_new_with(1, 8, bad_windows[i], 4, &r),
                     ATOMIK_ERR_INVALID_ARGUMENT);
        CHECK(r == NULL);
    }
    r = junk;
    CHECK_STATUS(atomik_replica_new_with(1, 8, 64, 0, &r), ATOMIK_ERR_INVALID_ARGUMENT);
    CHECK(r == NULL);
    r = new_replica_with(1, 1, 64, 1);
    atomik_replica_free(r);
    r = new_replica_with(1, 1, 65536, UINT32_MAX);
    atomik_replica_free(r);
    r = new_replica_with(UINT32_MAX, 3, 128, 2);
    atomik_replica_free(r);
    atomik_replica_free(NULL);
}

/* ---- local operations ----------------------------------------------------------- */

static void test_local_ops(void) {
    enum { ID = 7, N = 4 };
    atomik_replica_t *r = new_replica(ID, N);
    atomik_msg_t m;
    uint64_t prev = 0;

    memset(&m, 0xA5, sizeof m);
    CHECK_STATUS(atomik_replica_accum(r, 1, 0xF0, &m), ATOMIK_OK);
    CHECK_EQ_U64(m.kind, ATOMIK_MSG_ACCUM);
    CHECK_EQ_U64(m.sender, ID);
    CHECK_EQ_U64(m.epoch, 0); /* the initial epoch */
    CHECK_EQ_U64(m.seq, 0);
    CHECK_EQ_U64(m.addr, 1);
    CHECK_EQ_U64(m.value, 0xF0);
    CHECK_EQ_U64(rd(r, 1), 0xF0);
    CHECK_EQ_U64(atomik_replica_next_seq(r), 1);

    CHECK_STATUS(atomik_replica_load(r, 2, 0x1000, &m), ATOMIK_OK);
    CHECK_EQ_U64(m.kind, ATOMIK_MSG_LOAD);
    CHECK_EQ_U64(m.sender, ID);
    CHECK_EQ_U64(m.epoch, EPOCH(1, ID));
    CHECK_EQ_U64(m.seq, 1);
    CHECK_EQ_U64(m.addr, 2);
    CHECK_EQ_U64(m.value, 0x1000);
    CHECK_EQ_U64(rd(r, 2), 0x1000);

    CHECK_STATUS(atomik_replica_accum(r, 2, 0x0001, &m), ATOMIK_OK);
    CHECK_EQ_U64(m.epoch, EPOCH(1, ID)); /* ACCUMs carry the context's epoch */
    CHECK_EQ_U64(m.seq, 2);
    CHECK_EQ_U64(rd(r, 2), 0x1001);

    /* SWAP to a new reference travels as a LOAD of it */
    CHECK_STATUS(atomik_replica_swap_to(r, 2, 0x2000, &prev, &m), ATOMIK_OK);
    CHECK_EQ_U64(prev, 0x1001);
    CHECK_EQ_U64(m.kind, ATOMIK_MSG_LOAD);
    CHECK_EQ_U64(m.epoch, EPOCH(2, ID));
    CHECK_EQ_U64(m.seq, 3);
    CHECK_EQ_U64(m.value, 0x2000);
    CHECK_EQ_U64(rd(r, 2), 0x2000);

    /* SWAP_KEEP travels as a LOAD of the current state */
    CHECK_STATUS(atomik_replica_accum(r, 2, 0x0030, NULL), ATOMIK_OK); /* msg optional */
    CHECK_STATUS(atomik_replica_swap_keep(r, 2, &prev, &m), ATOMIK_OK);
    CHECK_EQ_U64(prev, 0x2030);
    CHECK_EQ_U64(m.kind, ATOMIK_MSG_LOAD);
    CHECK_EQ_U64(m.epoch, EPOCH(3, ID));
    CHECK_EQ_U64(m.seq, 5);
    CHECK_EQ_U64(m.value, 0x2030);
    CHECK_EQ_U64(rd(r, 2), 0x2030);

    /* optional outputs */
    CHECK_STATUS(atomik_replica_load(r, 3, 9, NULL), ATOMIK_OK);
    CHECK_STATUS(atomik_replica_swap_to(r, 3, 10, NULL, NULL), ATOMIK_OK);
    CHECK_STATUS(atomik_replica_swap_keep(r, 3, NULL, NULL), ATOMIK_OK);
    CHECK_EQ_U64(rd(r, 3), 10);
    CHECK_EQ_U64(atomik_replica_next_seq(r), 9);

    /* addresses 0 and N-1 are valid */
    CHECK_STATUS(atomik_replica_accum(r, 0, 1, NULL), ATOMIK_OK);
    CHECK_STATUS(atomik_replica_accum(r, N - 1, 1, NULL), ATOMIK_OK);
    CHECK_EQ_U64(atomik_replica_next_seq(r), 11);
    atomik_replica_free(r);
}

static void test_local_errors(void) {
    enum { N = 4 };
    atomik_replica_t *r = new_replica(3, N);
    const uint32_t bad[] = {N, N + 1, UINT32_MAX};
    atomik_msg_t m, sentinel;
    uint64_t prev, v;
    size_t b;
    memset(&sentinel, 0x5A, sizeof sentinel);
    CHECK_STATUS(atomik_replica_load(r, 1, 0x42, NULL), ATOMIK_OK);
    for (b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        m = sentinel;
        prev = 0x77;
        v = 0x77;
        CHECK_STATUS(atomik_replica_accum(r, bad[b], 1, &m), ATOMIK_ERR_OUT_OF_RANGE);
        CHECK_STATUS(atomik_replica_load(r, bad[b], 1, &m), ATOMIK_ERR_OUT_OF_RANGE);
        CHECK_STATUS(atomik_replica_swap_to(r, bad[b], 1, &prev, &m), ATOMIK_ERR_OUT_OF_RANGE);
        CHECK_STATUS(atomik_replica_swap_keep(r, bad[b], &prev, &m), ATOMIK_ERR_OUT_OF_RANGE);
        CHECK_STATUS(atomik_replica_read(r, bad[b], &v), ATOMIK_ERR_OUT_OF_RANGE);
        CHECK_EQ_MEM(&m, &sentinel, sizeof m);
        CHECK_EQ_U64(prev, 0x77);
        CHECK_EQ_U64(v, 0x77);
    }
    /* refused operations take no sequence number */
    CHECK_EQ_U64(atomik_replica_next_seq(r), 1);
    CHECK_EQ_U64(rd(r, 1), 0x42);

    /* NULL handle */
    CHECK_STATUS(atomik_replica_accum(NULL, 0, 1, &m), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_replica_load(NULL, 0, 1, &m), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_replica_swap_to(NULL, 0, 1, &prev, &m), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_replica_swap_keep(NULL, 0, &prev, &m), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_replica_read(NULL, 0, &v), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_replica_apply(NULL, &sentinel, NULL), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_replica_apply_bytes(NULL, (const uint8_t *)&sentinel, 40, NULL, NULL),
                 ATOMIK_ERR_NULL);
    {
        atomik_gap_t g[2];
        size_t n = 0x77;
        atomik_replica_stats_t s;
        CHECK_STATUS(atomik_replica_gaps(NULL, g, 2, &n), ATOMIK_ERR_NULL);
        CHECK_STATUS(atomik_replica_missing(NULL, 1, 5, g, 2, &n), ATOMIK_ERR_NULL);
        CHECK_EQ_SIZE(n, 0x77);
        CHECK_STATUS(atomik_replica_stats(NULL, &s), ATOMIK_ERR_NULL);
    }
    CHECK_EQ_U64(atomik_replica_expected(NULL, 1), 0);
    CHECK_EQ_U64(atomik_replica_next_seq(NULL), 0);
    CHECK_EQ_INT(atomik_replica_same_state(NULL, NULL), 0);
    CHECK_EQ_INT(atomik_replica_same_state(r, NULL), 0);
    CHECK_EQ_INT(atomik_replica_same_state(NULL, r), 0);
    CHECK_EQ_INT(atomik_replica_same_state(r, r), 1);

    /* NULL required outputs */
    CHECK_STATUS(atomik_replica_read(r, 0, NULL), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_replica_stats(r, NULL), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_replica_apply(r, NULL, NULL), ATOMIK_ERR_NULL);
    CHECK_EQ_U64(atomik_replica_next_seq(r), 1);
    atomik_replica_free(r);
}

/* ---- exactly once ------------------------------------------------------------------ */

static void test_apply_duplicates_own(void) {
    atomik_replica_t *a = new_replica(1, 4);
    atomik_replica_t *b = new_replica(2, 4);
    static const local_op_t ops[] = {
        {SEND_LOAD, 0, 0xAAAA0000},
        {SEND_ACCUM, 0, 0x00FF},
        {SEND_ACCUM, 1, 0x1234},
        {SEND_ACCUM, 0, 0x0F00},
    };
    atomik_msg_t m[4];
    atomik_replica_stats_t s;
    SEND(a, ops, m);

    CHECK_EQ_INT(atomik_replica_same_state(a, b), 0);
    APPLY_OK(b, m[0]);
    APPLY_OK(b, m[1]);
    CHECK_EQ_U64(rd(b, 0), 0xAAAA00FF);
    /* a duplicated ACCUM must not undo itself */
    APPLY(b, m[1], ATOMIK_OK, ATOMIK_OUTCOME_DUPLICATE);
    APPLY(b, m[0], ATOMIK_OK, ATOMIK_OUTCOME_DUPLICATE);
    CHECK_EQ_U64(rd(b, 0), 0xAAAA00FF);
    APPLY_OK(b, m[2]);
    APPLY_OK(b, m[3]);
    APPLY(b, m[3], ATOMIK_OK, ATOMIK_OUTCOME_DUPLICATE);
    APPLY(b, m[2], ATOMIK_OK, ATOMIK_OUTCOME_DUPLICATE);
    CHECK_EQ_U64(rd(b, 0), 0xAAAA0FFF);
    CHECK_EQ_U64(rd(b, 1), 0x1234);
    CHECK_EQ_INT(atomik_replica_same_state(a, b), 1);
    CHECK_EQ_INT(atomik_replica_same_state(b, a), 1);
    CHECK_EQ_U64(atomik_replica_expected(b, 1), 4);
    CHECK_EQ_U64(atomik_replica_expected(b, 99), 0); /* unknown sender */

    /* a replica's own messages come back: no effect */
    APPLY(a, m[1], ATOMIK_OK, ATOMIK_OUTCOME_OWN);
    APPLY(a, m[3], ATOMIK_OK, ATOMIK_OUTCOME_OWN);
    CHECK_EQ_U64(rd(a, 0), 0xAAAA0FFF);
    CHECK_EQ_INT(atomik_replica_same_state(a, b), 1);
    /* own even if the message is otherwise nonsense */
    {
        atomik_msg_t own = m[1];
        own.seq = 1000000;
        own.addr = 999;
        APPLY(a, own, ATOMIK_OK, ATOMIK_OUTCOME_OWN);
    }
    /* result pointer is optional */
    CHECK_STATUS(atomik_replica_apply(b, &m[2], NULL), ATOMIK_OK);

    s = stats_of(b);
    CHECK_EQ_U64(s.applied, 4);
    CHECK_EQ_U64(s.duplicates, 5);
    CHECK_EQ_U64(s.stale, 0);
    CHECK_EQ_U64(s.refused, 0);
    s = stats_of(a);
    CHECK_EQ_U64(s.applied, 0);
    CHECK_EQ_U64(s.duplicates, 0);
    atomik_replica_free(a);
    atomik_replica_free(b);
}

/* ---- gaps and retransmission ------------------------------------------------------- */

/* Replica a (id 10) sent GAP_SENT messages (a LOAD, then ACCUMs); b
 * received 0, 1, 3 and 5: 2 and 4 are lost, 6 and 7 not yet arrived. */
enum { GAP_SENT = 8 };
static struct {
    atomik_replica_t *a, *b;
    atomik_msg_t m[GAP_SENT];
} gf;

static void gap_setup(void) {
    int i;
    gf.a = new_replica(10, 4);
    gf.b = new_replica(20, 4);
    CHECK_STATUS(atomik_replica_load(gf.a, 0, 100, &gf.m[0]), ATOMIK_OK);
    for (i = 1; i < GAP_SENT; i++) {
        CHECK_STATUS(atomik_replica_accum(gf.a, (uint32_t)(i % 4), (uint64_t)1 << i, &gf.m[i]),
                     ATOMIK_OK);
    }
    APPLY_OK(gf.b, gf.m[0]);
    APPLY_OK(gf.b, gf.m[1]);
    APPLY_OK(gf.b, gf.m[3]);
    APPLY_OK(gf.b, gf.m[5]);
    CHECK_EQ_U64(atomik_replica_expected(gf.b, 10), 2);
}

static void gap_teardown(void) {
    atomik_replica_free(gf.a);
    atomik_replica_free(gf.b);
}

static void test_gaps_sizing_short_and_full_buffer(void) {
    /* sizing call (also with a buffer and cap 0: nothing written), then a
     * short buffer, then the whole list */
    atomik_gap_t g[4];
    size_t n;
    gap_setup();
    CHECK_EQ_SIZE(gap_count(gf.b), 2);
    memset(g, 0, sizeof g);
    n = 0;
    CHECK_STATUS(atomik_replica_gaps(gf.b, g, 0, &n), ATOMIK_OK);
    CHECK_EQ_SIZE(n, 2);
    CHECK_EQ_U64(g[0].end, 0);
    memset(g, 0, sizeof g);
    n = 0;
    CHECK_STATUS(atomik_replica_gaps(gf.b, g, 1, &n), ATOMIK_OK);
    CHECK_EQ_SIZE(n, 2);
    CHECK_EQ_U64(g[0].sender, 10);
    CHECK_EQ_U64(g[0].first, 2);
    CHECK_EQ_U64(g[0].end, 3);
    CHECK_EQ_U64(g[1].end, 0); /* not written beyond cap */
    CHECK_STATUS(atomik_replica_gaps(gf.b, g, 4, &n), ATOMIK_OK);
    CHECK_EQ_SIZE(n, 2);
    CHECK_EQ_U64(g[1].sender, 10);
    CHECK_EQ_U64(g[1].first, 4);
    CHECK_EQ_U64(g[1].end, 5);
    gap_teardown();
}

static void test_missing_is_gaps_plus_unseen_tail(void) {
    atomik_gap_t g[4];
    size_t n;
    gap_setup();
    CHECK_STATUS(atomik_replica_missing(gf.b, 10, GAP_SENT, g, 4, &n), ATOMIK_OK);
    CHECK_EQ_SIZE(n, 3);
    CHECK_EQ_U64(g[0].first, 2);
    CHECK_EQ_U64(g[0].end, 3);
    CHECK_EQ_U64(g[1].first, 4);
    CHECK_EQ_U64(g[1].end, 5);
    CHECK_EQ_U64(g[2].sender, 10);
    CHECK_EQ_U64(g[2].first, 6);
    CHECK_EQ_U64(g[2].end, GAP_SENT);
    /* sent below a gap's end clips it; sent 0 needs nothing */
    CHECK_STATUS(atomik_replica_missing(gf.b, 10, 5, g, 4, &n), ATOMIK_OK);
    CHECK_EQ_SIZE(n, 2);
    CHECK_EQ_U64(g[1].first, 4);
    CHECK_EQ_U64(g[1].end, 5);
    CHECK_STATUS(atomik_replica_missing(gf.b, 10, 3, NULL, 0, &n), ATOMIK_OK);
    CHECK_EQ_SIZE(n, 1);
    CHECK_STATUS(atomik_replica_missing(gf.b, 10, 0, NULL, 0, &n), ATOMIK_OK);
    CHECK_EQ_SIZE(n, 0);
    /* an unknown sender: everything it sent */
    CHECK_STATUS(atomik_replica_missing(gf.b, 77, 5, g, 4, &n), ATOMIK_OK);
    CHECK_EQ_SIZE(n, 1);
    CHECK_EQ_U64(g[0].sender, 77);
    CHECK_EQ_U64(g[0].first, 0);
    CHECK_EQ_U64(g[0].end, 5);
    CHECK_STATUS(atomik_replica_missing(gf.b, 77, 0, g, 4, &n), ATOMIK_OK);
    CHECK_EQ_SIZE(n, 0);
    gap_teardown();
}

static void test_gap_queries_with_null_buffers_are_null(void) {
    atomik_gap_t g[4];
    size_t n;
    gap_setup();
    CHECK_STATUS(atomik_replica_gaps(gf.b, NULL, 1, &n), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_replica_gaps(gf.b, g, 4, NULL), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_replica_gaps(gf.b, NULL, 0, NULL), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_replica_missing(gf.b, 10, GAP_SENT, NULL, 1, &n), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_replica_missing(gf.b, 10, GAP_SENT, g, 4, NULL), ATOMIK_ERR_NULL);
    gap_teardown();
}

static void test_retransmitting_the_missing_seqs_converges(void) {
    atomik_gap_t g[4];
    size_t n, k;
    uint64_t s;
    int i;
    gap_setup();
    CHECK_EQ_INT(atomik_replica_same_state(gf.a, gf.b), 0);
    /* retransmit what is missing, in the order the replica reports it */
    CHECK_STATUS(atomik_replica_missing(gf.b, 10, GAP_SENT, g, 4, &n), ATOMIK_OK);
    for (k = 0; k < n && k < 4; k++) {
        for (s = g[k].first; s < g[k].end; s++) {
            APPLY_OK(gf.b, gf.m[s]);
        }
    }
    CHECK_EQ_SIZE(gap_count(gf.b), 0);
    CHECK_STATUS(atomik_replica_missing(gf.b, 10, GAP_SENT, NULL, 0, &n), ATOMIK_OK);
    CHECK_EQ_SIZE(n, 0);
    CHECK_EQ_U64(atomik_replica_expected(gf.b, 10), GAP_SENT);
    CHECK_EQ_INT(atomik_replica_same_state(gf.a, gf.b), 1);
    /* late duplicates of everything */
    for (i = 0; i < GAP_SENT; i++) {
        APPLY(gf.b, gf.m[i], ATOMIK_OK, ATOMIK_OUTCOME_DUPLICATE);
    }
    CHECK_EQ_INT(atomik_replica_same_state(gf.a, gf.b), 1);
    gap_teardown();
}

/* Gaps from several senders are reported per sender. */
static void test_gaps_several_senders(void) {
    atomik_replica_t *s1 = new_replica(5, 2);
    atomik_replica_t *s2 = new_replica(3, 2);
    atomik_replica_t *r = new_replica(9, 2);
    atomik_msg_t a[3], b[4];
    atomik_gap_t g[4];
    size_t n = 0, k;
    int i;
    for (i = 0; i < 3; i++) CHECK_STATUS(atomik_replica_accum(s1, 0, 1u << i, &a[i]), ATOMIK_OK);
    for (i = 0; i < 4; i++) CHECK_STATUS(atomik_replica_accum(s2, 1, 1u << i, &b[i]), ATOMIK_OK);
    APPLY_OK(r, a[2]);
    APPLY_OK(r, b[0]);
    APPLY_OK(r, b[3]);
    CHECK_STATUS(atomik_replica_gaps(r, g, 4, &n), ATOMIK_OK);
    CHECK_EQ_SIZE(n, 2);
    for (k = 0; k < n && k < 4; k++) {
        if (g[k].sender == 5) {
            CHECK_EQ_U64(g[k].first, 0);
            CHECK_EQ_U64(g[k].end, 2);
        } else {
            CHECK_EQ_U64(g[k].sender, 3);
            CHECK_EQ_U64(g[k].first, 1);
            CHECK_EQ_U64(g[k].end, 3);
        }
    }
    CHECK(n == 2 && g[0].sender != g[1].sender);
    atomik_replica_free(s1);
    atomik_replica_free(s2);
    atomik_replica_free(r);
}

/* ---- refusals that do not consume the message -------------------------------------- */

static void test_beyond_window(void) {
    enum { W = 64, SENT = W + 6 };
    atomik_replica_t *a = new_replica(1, 2);
    atomik_replica_t *b = new_replica_with(2, 2, W, 4);
    atomik_msg_t m[SENT];
    atomik_replica_stats_t s;
    int i;
    for (i = 0; i < SENT; i++) {
        CHECK_STATUS(atomik_replica_accum(a, (uint32_t)(i & 1), (uint64_t)i * 0x0101, &m[i]),
                     ATOMIK_OK);
    }
    /* seq W is beyond the window while seq 0 is missing */
    APPLY_ERR(b, m[W], ATOMIK_ERR_BEYOND_WINDOW);
    APPLY_ERR(b, m[W + 5], ATOMIK_ERR_BEYOND_WINDOW);
    CHECK_EQ_U64(atomik_replica_expected(b, 1), 0);
    CHECK_EQ_U64(rd(b, 0), 0);
    CHECK_EQ_U64(rd(b, 1), 0);
    /* seq W-1 is the last one inside it */
    APPLY_OK(b, m[W - 1]);
    CHECK_EQ_SIZE(gap_count(b), 1);
    for (i = 1; i < W - 1; i++) {
        APPLY_OK(b, m[i]);
    }
    /* still refused: seq 0 is missing, so base is 0 */
    APPLY_ERR(b, m[W], ATOMIK_ERR_BEYOND_WINDOW);
    APPLY_OK(b, m[0]);
    CHECK_EQ_U64(atomik_replica_expected(b, 1), W);
    /* the refused messages were not consumed: resent, they apply */
    for (i = W; i < SENT; i++) {
        APPLY_OK(b, m[i]);
    }
    CHECK_EQ_INT(atomik_replica_same_state(a, b), 1);
    s = stats_of(b);
    CHECK_EQ_U64(s.applied, SENT);
    CHECK_EQ_U64(s.refused, 3);
    CHECK_EQ_U64(s.duplicates, 0);
    atomik_replica_free(a);
    atomik_replica_free(b);
}

static void test_future_epoch_and_stale(void) {
    atomik_replica_t *a = new_replica(1, 2);
    atomik_replica_t *b = new_replica(2, 2);
    atomik_msg_t m[6];
    atomik_gap_t g[2];
    size_t n = 0;
    atomik_replica_stats_t s;
    static const local_op_t ops[] = {
        {SEND_LOAD, 0, 0x100},  /* epoch 1 */
        {SEND_ACCUM, 0, 0x001}, /* epoch 1 */
        {SEND_LOAD, 0, 0x200},  /* epoch 2 */
        {SEND_ACCUM, 0, 0x002}, /* epoch 2 */
        {SEND_ACCUM, 1, 0x777}, /* epoch 0 */
    };
    SEND(a, ops, m);
    CHECK_STATUS(atomik_replica_swap_keep(a, 1, NULL, &m[5]), ATOMIK_OK);

    /* an ACCUM before the LOAD of its epoch: refused, not consumed */
    APPLY_ERR(b, m[1], ATOMIK_ERR_FUTURE_EPOCH);
    APPLY_ERR(b, m[3], ATOMIK_ERR_FUTURE_EPOCH);
    CHECK_EQ_U64(rd(b, 0), 0);
    CHECK_EQ_U64(atomik_replica_expected(b, 1), 0);
    CHECK_STATUS(atomik_replica_missing(b, 1, 2, g, 2, &n), ATOMIK_OK);
    CHECK_EQ_SIZE(n, 1);
    CHECK_EQ_U64(g[0].first, 0);
    CHECK_EQ_U64(g[0].end, 2);

    /* the newest LOAD arrives first; older LOAD and its ACCUM become stale */
    APPLY_OK(b, m[2]);
    APPLY_OK(b, m[3]); /* resent after its LOAD */
    APPLY(b, m[0], ATOMIK_OK, ATOMIK_OUTCOME_STALE);
    APPLY(b, m[1], ATOMIK_OK, ATOMIK_OUTCOME_STALE);
    CHECK_EQ_U64(rd(b, 0), 0x202);
    /* stale messages are consumed: duplicates afterwards */
    APPLY(b, m[1], ATOMIK_OK, ATOMIK_OUTCOME_DUPLICATE);
    /* SWAP_KEEP's LOAD before the ACCUM it includes: the ACCUM is stale */
    APPLY_OK(b, m[5]);
    APPLY(b, m[4], ATOMIK_OK, ATOMIK_OUTCOME_STALE);
    CHECK_EQ_U64(rd(b, 1), 0x777);
    CHECK_EQ_INT(atomik_replica_same_state(a, b), 1);
    CHECK_EQ_U64(atomik_replica_expected(b, 1), 6);
    s = stats_of(b);
    CHECK_EQ_U64(s.applied, 3);
    CHECK_EQ_U64(s.stale, 3);
    CHECK_EQ_U64(s.duplicates, 1);
    CHECK_EQ_U64(s.refused, 2);
    atomik_replica_free(a);
    atomik_replica_free(b);
}

/* Two replicas LOAD the same context concurrently: the higher epoch stamp
 * (same counter: the higher origin id) wins everywhere. */
static void test_concurrent_loads(void) {
    atomik_replica_t *a = new_replica(1, 1);
    atomik_replica_t *b = new_replica(2, 1);
    atomik_msg_t ma, mb, acc_a;
    CHECK_STATUS(atomik_replica_load(a, 0, 0xAAAA, &ma), ATOMIK_OK);
    CHECK_STATUS(atomik_replica_accum(a, 0, 0x1, &acc_a), ATOMIK_OK);
    CHECK_STATUS(atomik_replica_load(b, 0, 0xBBBB, &mb), ATOMIK_OK);
    CHECK_EQ_U64(ma.epoch, EPOCH(1, 1));
    CHECK_EQ_U64(mb.epoch, EPOCH(1, 2));
    APPLY_OK(a, mb);
    APPLY(b, ma, ATOMIK_OK, ATOMIK_OUTCOME_STALE);
    APPLY(b, acc_a, ATOMIK_OK, ATOMIK_OUTCOME_STALE);
    CHECK_EQ_U64(rd(a, 0), 0xBBBB);
    CHECK_EQ_U64(rd(b, 0), 0xBBBB);
    CHECK_EQ_INT(atomik_replica_same_state(a, b), 1);
    atomik_replica_free(a);
    atomik_replica_free(b);
}

static void test_too_many_senders(void) {
    atomik_replica_t *r = new_replica_with(100, 2, 64, 2);
    atomik_replica_t *s[3];
    atomik_msg_t m[3], own;
    atomik_replica_stats_t st;
    int i;
    for (i = 0; i < 3; i++) {
        s[i] = new_replica((uint32_t)(10 + i), 2);
        CHECK_STATUS(atomik_replica_accum(s[i], 0, (uint64_t)1 << i, &m[i]), ATOMIK_OK);
    }
    APPLY_OK(r, m[0]);
    APPLY_OK(r, m[1]);
    APPLY_ERR(r, m[2], ATOMIK_ERR_TOO_MANY_SENDERS);
    APPLY_ERR(r, m[2], ATOMIK_ERR_TOO_MANY_SENDERS);
    CHECK_EQ_U64(rd(r, 0), 0x3);
    CHECK_EQ_U64(atomik_replica_expected(r, 12), 0); /* not consumed */
    /* known senders and own messages still work */
    CHECK_STATUS(atomik_replica_accum(s[0], 1, 0x10, &m[0]), ATOMIK_OK);
    APPLY_OK(r, m[0]);
    CHECK_STATUS(atomik_replica_accum(r, 1, 0x20, &own), ATOMIK_OK);
    APPLY(r, own, ATOMIK_OK, ATOMIK_OUTCOME_OWN);
    CHECK_EQ_U64(rd(r, 1), 0x30);
    st = stats_of(r);
    CHECK_EQ_U64(st.applied, 3);
    CHECK_EQ_U64(st.refused, 2);
    for (i = 0; i < 3; i++) atomik_replica_free(s[i]);
    atomik_replica_free(r);
}

/* A message for an address the receiver does not have is consumed (every
 * replica drops it alike), reported as out of range. */
static void test_message_out_of_range(void) {
    atomik_replica_t *big = new_replica(1, 8);
    atomik_replica_t *small = new_replica(2, 4);
    static const local_op_t ops[] = {
        {SEND_ACCUM, 6, 0x66},
        {SEND_LOAD, 4, 0x44},
        {SEND_ACCUM, 3, 0x33},
    };
    atomik_msg_t m[3];
    atomik_replica_stats_t s;
    SEND(big, ops, m);
    APPLY_ERR(small, m[0], ATOMIK_ERR_OUT_OF_RANGE);
    APPLY_ERR(small, m[1], ATOMIK_ERR_OUT_OF_RANGE);
    APPLY_OK(small, m[2]);
    CHECK_EQ_U64(atomik_replica_expected(small, 1), 3);
    CHECK_EQ_SIZE(gap_count(small), 0);
    APPLY(small, m[0], ATOMIK_OK, ATOMIK_OUTCOME_DUPLICATE);
    CHECK_EQ_U64(rd(small, 3), 0x33);
    s = stats_of(small);
    CHECK_EQ_U64(s.applied, 1);
    CHECK_EQ_U64(s.refused, 2);
    CHECK_EQ_U64(s.duplicates, 1);
    /* different table sizes are never the same state */
    CHECK_EQ_INT(atomik_replica_same_state(big, small), 0);
    /* the largest address */
    {
        atomik_msg_t far = m[2];
        far.seq = 3;
        far.addr = UINT32_MAX;
        APPLY_ERR(small, far, ATOMIK_ERR_OUT_OF_RANGE);
        CHECK_EQ_U64(atomik_replica_expected(small, 1), 4);
        far.seq = 4;
        far.addr = 4; /* N */
        APPLY_ERR(small, far, ATOMIK_ERR_OUT_OF_RANGE);
        far.seq = 5;
        far.addr = 0;
        APPLY_OK(small, far);
        CHECK_EQ_U64(rd(small, 0), 0x33);
    }
    /* an unknown kind in a message struct */
    {
        atomik_msg_t bad = m[2];
        bad.kind = 7;
        bad.seq = 6;
        APPLY_ERR(small, bad, ATOMIK_ERR_BAD_KIND);
        CHECK_EQ_U64(atomik_replica_expected(small, 1), 6);
    }
    atomik_replica_free(big);
    atomik_replica_free(small);
}

/* The epoch counter of a context is 32 bits: a LOAD whose epoch counter is
 * 2^32-1 leaves no room for another local reload. */
static void test_epoch_exhausted(void) {
    atomik_replica_t *r = new_replica(2, 2);
    atomik_msg_t load, m, sentinel;
    uint64_t prev = 0x77;
    memset(&load, 0, sizeof load);
    load.kind = ATOMIK_MSG_LOAD;
    load.sender = 1;
    load.epoch = EPOCH(0xFFFFFFFFu, 1);
    load.seq = 0;
    load.addr = 0;
    load.value = 0xE0;
    APPLY_OK(r, load);
    CHECK_EQ_U64(rd(r, 0), 0xE0);
    memset(&sentinel, 0x5A, sizeof sentinel);
    m = sentinel;
    CHECK_STATUS(atomik_replica_load(r, 0, 1, &m), ATOMIK_ERR_EPOCH_EXHAUSTED);
    CHECK_STATUS(atomik_replica_swap_to(r, 0, 1, &prev, &m), ATOMIK_ERR_EPOCH_EXHAUSTED);
    CHECK_STATUS(atomik_replica_swap_keep(r, 0, &prev, &m), ATOMIK_ERR_EPOCH_EXHAUSTED);
    CHECK_EQ_MEM(&m, &sentinel, sizeof m);
    CHECK_EQ_U64(atomik_replica_next_seq(r), 0);
    CHECK_EQ_U64(rd(r, 0), 0xE0);
    /* ACCUMs in that epoch still work; other contexts are unaffected */
    CHECK_STATUS(atomik_replica_accum(r, 0, 0x0F, &m), ATOMIK_OK);
    CHECK_EQ_U64(m.epoch, EPOCH(0xFFFFFFFFu, 1));
    CHECK_EQ_U64(rd(r, 0), 0xEF);
    CHECK_STATUS(atomik_replica_load(r, 1, 5, &m), ATOMIK_OK);
    CHECK_EQ_U64(m.epoch, EPOCH(1, 2));
    atomik_replica_free(r);
}

/* ---- apply_bytes ------------------------------------------------------------------- */

/* Replica a (id 1) made three messages, encoded back to back in `buf`; b
 * (id 2, window 64, 4 senders) receives them as bytes. */
static struct {
    atomik_replica_t *a, *b;
    atomik_msg_t m[3];
    uint8_t buf[3 * 40];
} ab;

static void apply_bytes_setup(void) {
    static const local_op_t ops[] = {
        {SEND_LOAD, 2, 0x2000},
        {SEND_ACCUM, 2, 0x0002},
        {SEND_ACCUM, 3, 0x0003},
    };
    int i;
    ab.a = new_replica(1, 4);
    ab.b = new_replica_with(2, 4, 64, 4);
    SEND(ab.a, ops, ab.m);
    for (i = 0; i < 3; i++) {
        CHECK_STATUS(atomik_msg_encode(&ab.m[i], ab.buf + 40 * i, 40, NULL), ATOMIK_OK);
    }
}

static void apply_bytes_teardown(void) {
    atomik_replica_free(ab.a);
    atomik_replica_free(ab.b);
}

/* b takes the stream: each frame applied once, consumed 40. */
static void apply_bytes_stream(void) {
    size_t off = 0, consumed;
    atomik_outcome oc;
    while (off < sizeof ab.buf) {
        consumed = 0;
        outcome_set_raw(&oc, OUTCOME_SENTINEL);
        CHECK_STATUS(atomik_replica_apply_bytes(ab.b, ab.buf + off, sizeof ab.buf - off,
                                                &consumed, &oc),
                     ATOMIK_OK);
        CHECK_EQ_INT(oc, ATOMIK_OUTCOME_APPLIED);
        if (!CHECK_EQ_SIZE(consumed, 40)) break;
        off += consumed;
    }
    CHECK_EQ_INT(atomik_replica_same_state(ab.a, ab.b), 1);
}

static void test_apply_bytes_truncated_consumes_and_applies_nothing(void) {
    size_t consumed = 0x77;
    atomik_outcome oc;
    apply_bytes_setup();
    CHECK_STATUS(atomik_replica_apply_bytes(ab.b, ab.buf, 39, &consumed, &oc),
                 ATOMIK_ERR_TRUNCATED);
    CHECK_EQ_SIZE(consumed, 0);
    CHECK_STATUS(atomik_replica_apply_bytes(ab.b, NULL, 0, &consumed, &oc), ATOMIK_ERR_TRUNCATED);
    CHECK_EQ_SIZE(consumed, 0);
    apply_bytes_teardown();
}

static void test_apply_bytes_skips_a_corrupt_frame_whole(void) {
    uint8_t f[40];
    size_t consumed = 0;
    atomik_outcome oc;
    apply_bytes_setup();
    memcpy(f, ab.buf, 40);
    f[30] ^= 0x80;
    outcome_set_raw(&oc, OUTCOME_SENTINEL);
    CHECK_STATUS(atomik_replica_apply_bytes(ab.b, f, 40, &consumed, &oc), ATOMIK_ERR_BAD_CHECKSUM);
    CHECK_EQ_SIZE(consumed, 40);
    CHECK_EQ_INT(outcome_raw(&oc), OUTCOME_SENTINEL);
    CHECK_EQ_U64(rd(ab.b, 2), 0);
    f[0] = 9;
    CHECK_STATUS(atomik_replica_apply_bytes(ab.b, f, 40, &consumed, &oc), ATOMIK_ERR_BAD_VERSION);
    CHECK_EQ_SIZE(consumed, 40);
    apply_bytes_teardown();
}

static void test_apply_bytes_applies_a_stream_once(void) {
    size_t consumed;
    atomik_outcome oc;
    apply_bytes_setup();
    apply_bytes_stream();
    /* again: duplicates */
    CHECK_STATUS(atomik_replica_apply_bytes(ab.b, ab.buf, sizeof ab.buf, &consumed, &oc),
                 ATOMIK_OK);
    CHECK_EQ_INT(oc, ATOMIK_OUTCOME_DUPLICATE);
    CHECK_EQ_SIZE(consumed, 40);
    /* outputs optional */
    CHECK_STATUS(atomik_replica_apply_bytes(ab.b, ab.buf + 40, 40, NULL, NULL), ATOMIK_OK);
    apply_bytes_teardown();
}

static void test_apply_bytes_refusal_consumes_the_frame_not_the_message(void) {
    /* the frame is consumed from the byte stream (consumed = 40, as in
     * atomik_msg_decode), but the message is not marked as processed, so a
     * retransmission is applied later */
    atomik_msg_t far;
    uint8_t f[40];
    size_t consumed = 0;
    atomik_outcome oc;
    apply_bytes_setup();
    apply_bytes_stream();
    far = ab.m[2];
    far.seq = 64 + 3;
    CHECK_STATUS(atomik_msg_encode(&far, f, sizeof f, NULL), ATOMIK_OK);
    CHECK_STATUS(atomik_replica_apply_bytes(ab.b, f, 40, &consumed, &oc),
                 ATOMIK_ERR_BEYOND_WINDOW);
    CHECK_EQ_SIZE(consumed, 40);
    CHECK_EQ_U64(atomik_replica_expected(ab.b, 1), 3);
    apply_bytes_teardown();
}

static void test_apply_bytes_null_and_impossible_lengths_consume_nothing(void) {
    size_t consumed = 0x77;
    atomik_outcome oc;
    apply_bytes_setup();
    CHECK_STATUS(atomik_replica_apply_bytes(ab.b, NULL, 40, &consumed, &oc), ATOMIK_ERR_NULL);
    CHECK_STATUS_HUGE_LEN(
        atomik_replica_apply_bytes(ab.b, ab.buf, (size_t)PTRDIFF_MAX + 1, &consumed, &oc));
    CHECK_STATUS(atomik_replica_apply_bytes(NULL, ab.buf, 40, &consumed, &oc), ATOMIK_ERR_NULL);
    CHECK_EQ_SIZE(consumed, 0x77);
    apply_bytes_teardown();
}

/* ---- convergence under a hostile network --------------------------------------------- */

enum { NODES = 3, CTXS = 6, OPS = 150, MAXQ = NODES * OPS * 3 };

typedef struct {
    atomik_msg_t msg;
    int to;
} packet_t;

/* The fuzz's world: the nodes, every message each sent (indexed by seq),
 * the network queue and its randomness. */
static struct {
    atomik_replica_t *node[NODES];
    atomik_msg_t sent[NODES][OPS];
    packet_t q[MAXQ];
    size_t qn;
    uint64_t rng;
} fz;

/* Node i performs a random local operation (its seq-th) into sent[i][seq]. */
static atomik_msg_t *fuzz_local_op(int i, int seq) {
    const uint64_t r = rng_next(&fz.rng);
    const uint32_t addr = (uint32_t)(r % CTXS);
    atomik_msg_t *m = &fz.sent[i][seq];
    atomik_replica_t *n = fz.node[i];
    switch ((r >> 8) % 10) {
    case 0:
        CHECK_STATUS(atomik_replica_load(n, addr, rng_next(&fz.rng), m), ATOMIK_OK);
        break;
    case 1:
        CHECK_STATUS(atomik_replica_swap_to(n, addr, rng_next(&fz.rng), NULL, m), ATOMIK_OK);
        break;
    case 2:
        CHECK_STATUS(atomik_replica_swap_keep(n, addr, NULL, m), ATOMIK_OK);
        break;
    default:
        CHECK_STATUS(atomik_replica_accum(n, addr, rng_next(&fz.rng), m), ATOMIK_OK);
        break;
    }
    CHECK_EQ_U64(m->seq, (uint64_t)seq);
    return m;
}

/* Queues m from node `from` to every other node: lost 20%, duplicated 20%. */
static void fuzz_send(const atomik_msg_t *m, int from) {
    int to;
    for (to = 0; to < NODES; to++) {
        const uint64_t fate = rng_next(&fz.rng) % 10;
        if (to == from || fate < 2) continue; /* lost */
        fz.q[fz.qn].msg = *m;
        fz.q[fz.qn].to = to;
        fz.qn++;
        if (fate < 4) { /* duplicated */
            fz.q[fz.qn].msg = *m;
            fz.q[fz.qn].to = to;
            fz.qn++;
        }
    }
}

static void fuzz_shuffle(void) {
    size_t k;
    for (k = fz.qn; k > 1; k--) {
        const size_t x = (size_t)(rng_next(&fz.rng) % k);
        const packet_t tmp = fz.q[k - 1];
        fz.q[k - 1] = fz.q[x];
        fz.q[x] = tmp;
    }
}

/* Delivers the queue; refused messages (beyond window, future epoch) stay queued. */
static void fuzz_deliver(void) {
    int round;
    for (round = 0; round < 50 && fz.qn > 0; round++) {
        size_t k, keep = 0;
        for (k = 0; k < fz.qn; k++) {
            atomik_outcome oc;
            const atomik_status st = atomik_replica_apply(fz.node[fz.q[k].to], &fz.q[k].msg, &oc);
            if (st == ATOMIK_ERR_BEYOND_WINDOW || st == ATOMIK_ERR_FUTURE_EPOCH) {
                fz.q[keep++] = fz.q[k];
            } else {
                CHECK_STATUS(st, ATOMIK_OK);
            }
        }
        fz.qn = keep;
    }
}

/* Node i applies what it reports missing from node j; 1 if anything applied. */
static int fuzz_retransmit(int i, int j) {
    atomik_gap_t g[64];
    size_t n = 0, k;
    int progress = 0;
    CHECK_STATUS(atomik_replica_missing(fz.node[i], (uint32_t)(j + 1), OPS, g, 64, &n),
                 ATOMIK_OK);
    for (k = 0; k < n && k < 64; k++) {
        uint64_t s;
        for (s = g[k].first; s < g[k].end; s++) {
            const atomik_status st = atomik_replica_apply(fz.node[i], &fz.sent[j][s], NULL);
            if (st == ATOMIK_OK) progress = 1;
            else if (st != ATOMIK_ERR_BEYOND_WINDOW && st != ATOMIK_ERR_FUTURE_EPOCH)
                CHECK_STATUS(st, ATOMIK_OK);
        }
    }
    return progress;
}

/* Anti-entropy: retransmit whatever each node reports missing, until quiet. */
static void fuzz_anti_entropy(void) {
    int round, i, j;
    for (round = 0; round < 200; round++) {
        int progress = 0;
        for (i = 0; i < NODES; i++) {
            for (j = 0; j < NODES; j++) {
                if (i != j && fuzz_retransmit(i, j)) progress = 1;
            }
        }
        if (!progress) break;
    }
}

/* Every node has every message, the network really was hostile, and all
 * nodes hold the same state. */
static void fuzz_check_converged(void) {
    uint64_t dups = 0, refused = 0, stale = 0;
    int i, j;
    for (i = 0; i < NODES; i++) {
        const atomik_replica_stats_t s = stats_of(fz.node[i]);
        for (j = 0; j < NODES; j++) {
            if (i != j) {
                size_t n = 0x77;
                CHECK_EQ_U64(atomik_replica_expected(fz.node[i], (uint32_t)(j + 1)), OPS);
                CHECK_STATUS(
                    atomik_replica_missing(fz.node[i], (uint32_t)(j + 1), OPS, NULL, 0, &n),
                    ATOMIK_OK);
                CHECK_EQ_SIZE(n, 0);
            }
        }
        CHECK_EQ_SIZE(gap_count(fz.node[i]), 0);
        dups += s.duplicates;
        refused += s.refused;
        stale += s.stale;
    }
    CHECK(dups > 0);
    CHECK(refused > 0);
    CHECK(stale > 0);
    for (i = 1; i < NODES; i++) {
        CHECK_EQ_INT(atomik_replica_same_state(fz.node[0], fz.node[i]), 1);
        for (j = 0; j < CTXS; j++) {
            CHECK_EQ_U64(rd(fz.node[i], (uint32_t)j), rd(fz.node[0], (uint32_t)j));
        }
    }
}

static void test_convergence_fuzz(void) {
    int i, j;
    fz.qn = 0;
    fz.rng = 2024;
    for (i = 0; i < NODES; i++) fz.node[i] = new_replica_with((uint32_t)(i + 1), CTXS, 64, 8);
    /* every node performs OPS random local operations; the network loses
     * 20%, duplicates 20% and reorders everything */
    for (j = 0; j < OPS; j++) {
        for (i = 0; i < NODES; i++) {
            fuzz_send(fuzz_local_op(i, j), i);
        }
    }
    fuzz_shuffle();
    fuzz_deliver();
    fuzz_anti_entropy();
    fuzz_check_converged();
    for (i = 0; i < NODES; i++) atomik_replica_free(fz.node[i]);
}

static void test_gap_layout(void) {
    CHECK_EQ_SIZE(sizeof(atomik_gap_t), 24);
    CHECK_EQ_SIZE(offsetof(atomik_gap_t, sender), 0);
    CHECK_EQ_SIZE(offsetof(atomik_gap_t, first), 8);
    CHECK_EQ_SIZE(offsetof(atomik_gap_t, end), 16);
    CHECK_EQ_SIZE(sizeof(atomik_replica_stats_t), 32);
    CHECK_EQ_SIZE(offsetof(atomik_replica_stats_t, applied), 0);
    CHECK_EQ_SIZE(offsetof(atomik_replica_stats_t, duplicates), 8);
    CHECK_EQ_SIZE(offsetof(atomik_replica_stats_t, stale), 16);
    CHECK_EQ_SIZE(offsetof(atomik_replica_stats_t, refused), 24);
    CHECK_EQ_SIZE(sizeof(atomik_outcome), sizeof(int));
}

int main(void) {
    RUN_TEST(test_gap_layout);
    RUN_TEST(test_create);
    RUN_TEST(test_local_ops);
    RUN_TEST(test_local_errors);
    RUN_TEST(test_apply_duplicates_own);
    RUN_TEST(test_gaps_sizing_short_and_full_buffer);
    RUN_TEST(test_missing_is_gaps_plus_unseen_tail);
    RUN_TEST(test_gap_queries_with_null_buffers_are_null);
    RUN_TEST(test_retransmitting_the_missing_seqs_converges);
    RUN_TEST(test_gaps_several_senders);
    RUN_TEST(test_beyond_window);
    RUN_TEST(test_future_epoch_and_stale);
    RUN_TEST(test_concurrent_loads);
    RUN_TEST(test_too_many_senders);
    RUN_TEST(test_message_out_of_range);
    RUN_TEST(test_epoch_exhausted);
    RUN_TEST(test_apply_bytes_truncated_consumes_and_applies_nothing);
    RUN_TEST(test_apply_bytes_skips_a_corrupt_frame_whole);
    RUN_TEST(test_apply_bytes_applies_a_stream_once);
    RUN_TEST(test_apply_bytes_refusal_consumes_the_frame_not_the_message);
    RUN_TEST(test_apply_bytes_null_and_impossible_lengths_consume_nothing);
    RUN_TEST(test_convergence_fuzz);
    return check_summary("test_replica");
}
