/*
 * bench.c — libatomik_core against the original header-only library, from C.
 *
 * Built by `make -C bindings/c bench` with gcc -O2 (no -march) and linked
 * against the release static library, i.e. the way a C user builds. The
 * baselines are `static inline` functions written the way the original
 * single-header library implements them, so they are compiled and inlined
 * into this file exactly as the original would be.
 *
 *   fp_reduce          XOR fold of a 1 MiB buffer (fits in L2), many passes
 *   table_accum        one call per ACCUM: 256 contexts, 4096 pre-generated
 *                      pseudo-random (addr, delta) pairs replayed many times
 *   table_accum_batch  one atomik_table_accum_batch call per 4096 pairs,
 *                      against the same inline loop
 *
 * Every ratio is two numbers measured in this run: SAMPLES interleaved
 * samples (the order rotates every sample), median of each. The inline
 * table loop is timed twice per sample (next to each library variant) and
 * the median of all those runs is the baseline of both table ratios. All
 * timed table runs use the same table memory, so placement cannot favour
 * one side. ratio = library throughput / baseline throughput (> 1: library
 * faster).
 *
 * Results are checked: each pair computes bit-identical results (separate
 * tables after an odd number of replays, so the XORs do not cancel; the
 * fold on the 1 MiB buffer and on odd lengths/alignments; and the shared
 * timed table against the model of its whole history).
 *
 *   bench            human-readable table
 *   bench --json     one JSON object
 *
 * Exit status: 1 if any result differs; missing a performance target is
 * reported, not an error.
 */
#define _POSIX_C_SOURCE 200112L /* clock_gettime, posix_memalign */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atomik_core.h"

enum {
    SAMPLES = 31,                /* median of these */
    FP_BYTES = 1 << 20,          /* 1 MiB */
    CONTEXTS = 256,
    PAIRS = 4096,
    TARGET_SAMPLE_NS = 10000000, /* about 10 ms per timed run */
    VERIFY_REPLAYS = 3           /* odd */
};

/* Keep a value alive / make memory "changed", so the compiler can neither
 * drop nor hoist the measured work out of the repetition loops. */
#define OPAQUE(x) __asm__ volatile("" : "+r"(x) : : "memory")
#define CLOBBER() __asm__ volatile("" : : : "memory")

static volatile uint64_t sink;

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median (sorts v). */
static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    return (n % 2) ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* ---- baselines: the original header-only implementation ------------------ */

static inline uint64_t base_fp_reduce(const void *data, size_t len) {
    const uint8_t *p = (const uint8_t *)data;
    uint64_t acc = 0, chunk;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        memcpy(&chunk, p + i, 8);
        acc ^= chunk;
    }
    if (i < len) {
        chunk = 0;
        memcpy(&chunk, p + i, len - i);
        acc ^= chunk;
    }
    return acc;
}

static inline void base_table_accum(atomik_table_t *t, uint32_t addr, uint64_t delta) {
    if (addr < t->num_contexts) {
        t->contexts[addr].accumulator ^= delta;
        t->contexts[addr].delta_count++;
    }
}

/* ---- the measured loops ---------------------------------------------------- */

static uint8_t *fp_buf;
static uint32_t addrs[PAIRS];
static uint64_t deltas[PAIRS];

static uint64_t run_fp_lib(long reps) {
    uint64_t acc = 0;
    long r;
    for (r = 0; r < reps; r++) {
        uint64_t v;
        CLOBBER();
        v = atomik_fp_reduce(fp_buf, FP_BYTES);
        OPAQUE(v);
        acc += v;
    }
    return acc;
}

static uint64_t run_fp_base(long reps) {
    uint64_t acc = 0;
    long r;
    for (r = 0; r < reps; r++) {
        uint64_t v;
        CLOBBER(); /* the buffer "may have changed": no hoisting */
        v = base_fp_reduce(fp_buf, FP_BYTES);
        OPAQUE(v);
        acc += v;
    }
    return acc;
}

static void run_accum_lib(atomik_table_t *t, long reps) {
    long r;
    int i;
    for (r = 0; r < reps; r++) {
        for (i = 0; i < PAIRS; i++) {
            atomik_table_accum(t, addrs[i], deltas[i]);
        }
    }
}

static void run_accum_base(atomik_table_t *t, long reps) {
    long r;
    int i;
    for (r = 0; r < reps; r++) {
        for (i = 0; i < PAIRS; i++) {
            base_table_accum(t, addrs[i], deltas[i]);
        }
        CLOBBER();
    }
}

static int run_batch_lib(atomik_table_t *t, long reps) {
    long r;
    for (r = 0; r < reps; r++) {
        if (atomik_table_accum_batch(t, addrs, deltas, PAIRS) != ATOMIK_OK) {
            return 1;
        }
    }
    return 0;
}

/* ---- tables ---------------------------------------------------------------- */

static uint64_t refs[CONTEXTS];

/* A table over caller-provided, page-aligned contexts (the struct is public,
 * as in the original), every context loaded with refs[i]. */
static int new_table(atomik_table_t *t) {
    void *p = NULL;
    uint32_t i;
    if (posix_memalign(&p, 4096, CONTEXTS * sizeof(atomik_ctx_t)) != 0) {
        return 1;
    }
    memset(p, 0, CONTEXTS * sizeof(atomik_ctx_t));
    t->contexts = (atomik_ctx_t *)p;
    t->num_contexts = CONTEXTS;
    for (i = 0; i < CONTEXTS; i++) {
        atomik_table_load(t, i, refs[i]);
    }
    return 0;
}

static int tables_equal(const atomik_table_t *a, const atomik_table_t *b) {
    uint32_t i;
    if (a->num_contexts != b->num_contexts) return 0;
    for (i = 0; i < a->num_contexts; i++) {
        if (a->contexts[i].reference != b->contexts[i].reference ||
            a->contexts[i].accumulator != b->contexts[i].accumulator ||
            a->contexts[i].delta_count != b->contexts[i].delta_count) {
            return 0;
        }
    }
    return 1;
}

/* Whether t equals `replays` replays of the pairs on a fresh table, given
 * `once` = a fresh table after one replay: XOR deltas cancel in pairs, the
 * counts add up. */
static int table_matches_history(const atomik_table_t *t, const atomik_table_t *once,
                                 long replays) {
    uint32_t i;
    for (i = 0; i < CONTEXTS; i++) {
        const uint64_t acc = (replays % 2) ? once->contexts[i].accumulator : 0;
        const uint32_t count = (uint32_t)((uint64_t)once->contexts[i].delta_count *
                                          (uint64_t)replays);
        if (t->contexts[i].reference != refs[i] || t->contexts[i].accumulator != acc ||
            t->contexts[i].delta_count != count) {
            return 0;
        }
    }
    return 1;
}

/* A repetition count so that one timed run takes about TARGET_SAMPLE_NS. */
static long calibrate(double ns_per_rep) {
    const long reps = ns_per_rep > 0 ? (long)(TARGET_SAMPLE_NS / ns_per_rep) : 1000;
    return reps > 0 ? reps : 1;
}

/* ---- the measurements ------------------------------------------------------ */

/* fp_reduce: library against the inline fold. */
struct fp_measure {
    long reps;                             /* passes per timed run */
    double lib[SAMPLES], base[SAMPLES];    /* ns per timed run */
    int same;                              /* results bit-identical */
};

/* table_accum and table_accum_batch against the inline loop. All timed runs
 * use `timed`; `model` is a fresh table after one replay of the pairs. */
struct table_measure {
    long reps;                             /* replays of the pairs per timed run */
    long replays;                          /* replays `timed` has seen so far */
    double accum_lib[SAMPLES], batch_lib[SAMPLES], base[2 * SAMPLES];
    int accum_same, batch_same;
    atomik_table_t timed, model;
};

/* The figures the report prints, from the medians. */
struct figures {
    double fp_lib, fp_base, accum_lib, batch_lib, base; /* GB/s; ns per ACCUM */
    double r_fp, r_accum, r_batch;                      /* library / baseline */
};

/* The 1 MiB buffer, the (addr, delta) pairs and the references, all from
 * one fixed seed. */
static int make_data(void) {
    uint64_t seed = 0xA70B1C;
    int i;
    fp_buf = (uint8_t *)malloc(FP_BYTES + 8);
    if (fp_buf == NULL) return 1;
    for (i = 0; i < FP_BYTES + 8; i++) fp_buf[i] = (uint8_t)splitmix(&seed);
    for (i = 0; i < PAIRS; i++) {
        addrs[i] = (uint32_t)(splitmix(&seed) % CONTEXTS);
        deltas[i] = splitmix(&seed);
    }
    for (i = 0; i < CONTEXTS; i++) refs[i] = splitmix(&seed);
    return 0;
}

/* Library and inline fold agree on the buffer and on odd lengths and
 * alignments (the tail handling). */
static int fp_results_identical(void) {
    int i, same = atomik_fp_reduce(fp_buf, FP_BYTES) == base_fp_reduce(fp_buf, FP_BYTES);
    for (i = 0; i < 64; i++) {
        const size_t len = (size_t)FP_BYTES - 32 + (size_t)i;
        if (atomik_fp_reduce(fp_buf + i % 8, len) != base_fp_reduce(fp_buf + i % 8, len)) {
            same = 0;
        }
    }
    return same;
}

/* Separate tables after an odd number of replays (so the XORs do not
 * cancel) must be identical, and not trivially so. Also builds the
 * one-replay model of the timed table. */
static int verify_tables(struct table_measure *m) {
    atomik_table_t v_lib, v_base, v_batch;
    int i;
    if (new_table(&v_lib) || new_table(&v_base) || new_table(&v_batch)) return 1;
    run_accum_lib(&v_lib, VERIFY_REPLAYS);
    run_accum_base(&v_base, VERIFY_REPLAYS);
    if (run_batch_lib(&v_batch, VERIFY_REPLAYS)) return 1;
    m->accum_same = tables_equal(&v_lib, &v_base);
    m->batch_same = tables_equal(&v_batch, &v_base);
    /* and the comparison is not trivial */
    for (i = 0; i < CONTEXTS && v_base.contexts[i].accumulator == 0; i++) {
    }
    if (i == CONTEXTS) m->accum_same = m->batch_same = 0;
    free(v_lib.contexts);
    free(v_base.contexts);
    free(v_batch.contexts);
    if (new_table(&m->model)) return 1;
    run_accum_base(&m->model, 1);
    return 0;
}

/* Repetition counts (this also warms the caches and the clock). */
static void calibrate_runs(struct fp_measure *fp, struct table_measure *tm) {
    double t0 = now_ns();
    sink = run_fp_base(8);
    fp->reps = calibrate((now_ns() - t0) / 8);
    t0 = now_ns();
    run_accum_base(&tm->timed, 64);
    tm->reps = calibrate((now_ns() - t0) / 64);
    tm->replays += 64;
}

/* Sample s of fp_reduce: library and inline fold, order rotating. */
static void sample_fp(struct fp_measure *fp, int s) {
    uint64_t a = 0, b = 0;
    int k;
    for (k = 0; k < 2; k++) {
        const double t0 = now_ns();
        if ((k + s) % 2 == 0) {
            a = run_fp_lib(fp->reps);
            fp->lib[s] = now_ns() - t0;
        } else {
            b = run_fp_base(fp->reps);
            fp->base[s] = now_ns() - t0;
        }
    }
    if (a != b) fp->same = 0;
    sink ^= a;
}

/* Sample s of the table loops: library per call, inline, library batch,
 * inline again, order rotating. Returns 1 if the batch call fails. */
static int sample_tables(struct table_measure *m, int s) {
    int k;
    for (k = 0; k < 4; k++) {
        const double t0 = now_ns();
        switch ((k + s) % 4) {
        case 0:
            run_accum_lib(&m->timed, m->reps);
            m->accum_lib[s] = now_ns() - t0;
            break;
        case 1:
            run_accum_base(&m->timed, m->reps);
            m->base[2 * s] = now_ns() - t0;
            break;
        case 2:
            if (run_batch_lib(&m->timed, m->reps)) {
                fprintf(stderr, "atomik_table_accum_batch failed\n");
                return 1;
            }
            m->batch_lib[s] = now_ns() - t0;
            break;
        default:
            run_accum_base(&m->timed, m->reps);
            m->base[2 * s + 1] = now_ns() - t0;
            break;
        }
        m->replays += m->reps;
    }
    return 0;
}

/* Medians into throughputs and ratios (sorts the samples). */
static struct figures compute_figures(struct fp_measure *fp, struct table_measure *m) {
    struct figures f;
    const double ops = (double)m->reps * PAIRS;
    f.fp_lib = (double)FP_BYTES * (double)fp->reps / median(fp->lib, SAMPLES); /* B/ns = GB/s */
    f.fp_base = (double)FP_BYTES * (double)fp->reps / median(fp->base, SAMPLES);
    f.accum_lib = median(m->accum_lib, SAMPLES) / ops; /* ns per ACCUM */
    f.batch_lib = median(m->batch_lib, SAMPLES) / ops;
    f.base = median(m->base, 2 * SAMPLES) / ops;
    f.r_fp = f.fp_lib / f.fp_base;
    f.r_accum = f.base / f.accum_lib;
    f.r_batch = f.base / f.batch_lib;
    return f;
}

static void print_json(const struct fp_measure *fp, const struct table_measure *m,
                       const struct figures *f) {
    printf("{\"library_version\":\"%s\",\"compiler\":\"gcc %s\",\"flags\":\"-O2\","
           "\"samples\":%d,\"statistic\":\"median\","
           "\"fp_reduce\":{\"bytes\":%d,\"passes_per_sample\":%ld,"
           "\"library_gb_per_s\":%.3f,\"baseline_gb_per_s\":%.3f,\"ratio\":%.3f,"
           "\"target\":1.5,\"identical\":%s},"
           "\"table_accum\":{\"contexts\":%d,\"pairs\":%d,\"replays_per_sample\":%ld,"
           "\"library_ns_per_op\":%.4f,\"baseline_ns_per_op\":%.4f,\"ratio\":%.3f,"
           "\"target\":0.5,\"identical\":%s},"
           "\"table_accum_batch\":{\"contexts\":%d,\"pairs_per_call\":%d,"
           "\"library_ns_per_op\":%.4f,\"baseline_ns_per_op\":%.4f,\"ratio\":%.3f,"
           "\"target\":1.0,\"identical\":%s}}\n",
           atomik_version_string(), __VERSION__, SAMPLES, FP_BYTES, fp->reps, f->fp_lib,
           f->fp_base, f->r_fp, fp->same ? "true" : "false", CONTEXTS, PAIRS, m->reps,
           f->accum_lib, f->base, f->r_accum, m->accum_same ? "true" : "false", CONTEXTS,
           PAIRS, f->batch_lib, f->base, f->r_batch, m->batch_same ? "true" : "false");
}

static void print_text(const struct fp_measure *fp, const struct table_measure *m,
                       const struct figures *f) {
    printf("libatomik_core %s vs the original header-only code (inline C), gcc %s -O2\n",
           atomik_version_string(), __VERSION__);
    printf("median of %d interleaved samples; ratio = library / baseline throughput\n\n",
           SAMPLES);
    printf("%-34s %14s %14s %8s %8s  %s\n", "benchmark", "library", "inline C", "ratio",
           "target", "results");
    printf("%-34s %9.2f GB/s %9.2f GB/s %7.2fx %7.1fx  %s\n", "fp_reduce, 1 MiB in cache",
           f->fp_lib, f->fp_base, f->r_fp, 1.5, fp->same ? "identical" : "DIFFER");
    printf("%-34s %8.3f ns/op %8.3f ns/op %7.2fx %7.1fx  %s\n",
           "table_accum, one call per ACCUM", f->accum_lib, f->base, f->r_accum, 0.5,
           m->accum_same ? "identical" : "DIFFER");
    printf("%-34s %8.3f ns/op %8.3f ns/op %7.2fx %7.1fx  %s\n",
           "table_accum_batch, 4096 per call", f->batch_lib, f->base, f->r_batch, 1.0,
           m->batch_same ? "identical" : "DIFFER");
    printf("\n%d contexts; %d pseudo-random (addr, delta) pairs replayed %ld times per "
           "timed run; fp_reduce %ld passes per timed run\n",
           CONTEXTS, PAIRS, m->reps, fp->reps);
    printf("targets met: fp_reduce %s, table_accum %s, table_accum_batch %s\n",
           f->r_fp >= 1.5 ? "yes" : "NO", f->r_accum >= 0.5 ? "yes" : "NO",
           f->r_batch >= 1.0 ? "yes" : "NO");
}

/* Static: the sample arrays are too large to want on the stack. */
static struct fp_measure fp;
static struct table_measure tm;

int main(int argc, char **argv) {
    int json = 0, i, s, timed_same;
    struct figures f;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else {
            fprintf(stderr, "usage: %s [--json]\n", argv[0]);
            return 2;
        }
    }
    if (make_data()) return 1;
    if (new_table(&tm.timed)) {
        fprintf(stderr, "posix_memalign failed\n");
        return 1;
    }
    fp.same = fp_results_identical();
    if (verify_tables(&tm)) return 1;
    calibrate_runs(&fp, &tm);
    for (s = 0; s < SAMPLES; s++) {
        sample_fp(&fp, s);
        if (sample_tables(&tm, s)) return 1;
    }
    /* the shared table went through every variant: it must equal the model */
    timed_same = table_matches_history(&tm.timed, &tm.model, tm.replays);
    tm.accum_same = tm.accum_same && timed_same;
    tm.batch_same = tm.batch_same && timed_same;
    f = compute_figures(&fp, &tm);
    if (json) {
        print_json(&fp, &tm, &f);
    } else {
        print_text(&fp, &tm, &f);
    }
    free(tm.timed.contexts);
    free(tm.model.contexts);
    free(fp_buf);
    return (fp.same && tm.accum_same && tm.batch_same) ? 0 : 1;
}
