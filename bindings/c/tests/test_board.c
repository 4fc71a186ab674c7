/*
 * test_board.c — board handles against the co-simulated board: starts
 * `atomik board cosim board_sim --pty` (the committed board top in
 * Verilator behind a pseudo-terminal), opens the path it prints through
 * atomik_board_open exactly as a program opens /dev/ttyUSB0, and runs the
 * shared scenario (crates/atomik-board/scenario.txt) that the Rust, Python
 * and CLI faces run too: a line on its own through the single-op call it
 * names, a `batch` ... `end` through atomik_board_execute. Then every NULL
 * and bad argument, the batch calls' all-or-nothing checks, read_all, and a
 * second session that finds the table as the first left it.
 *
 * The Makefile passes the paths: ATOMIK_CLI (the `atomik` binary) and
 * ATOMIK_SCENARIO (the scenario file).
 */
#if !defined(_POSIX_C_SOURCE) || _POSIX_C_SOURCE < 200809L
#undef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#ifndef ATOMIK_CLI
#error "define ATOMIK_CLI: the path of the atomik binary (the Makefile does)"
#endif
#ifndef ATOMIK_SCENARIO
#error "define ATOMIK_SCENARIO: the path of scenario.txt (the Makefile does)"
#endif

/* board_sim's baud (the same RTL as the boards' at 8 clock cycles per bit). */
#define SIM_BAUD 3375000u
/* The co-simulation runs slower than real time; a loaded machine more so. */
#define TIMEOUT_MS 120000u

static pid_t server_pid = -1;
static char server_path[256];

/* Starts the pty server; returns 1 when its path was read. */
static int start_server(void) {
    int fds[2];
    FILE *out;
    if (pipe(fds) != 0) {
        perror("pipe");
        return 0;
    }
    server_pid = fork();
    if (server_pid < 0) {
        perror("fork");
        return 0;
    }
    if (server_pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(ATOMIK_CLI, "atomik", "board", "cosim", "board_sim", "--pty", (char *)NULL);
        perror("exec " ATOMIK_CLI);
        _exit(127);
    }
    close(fds[1]);
    out = fdopen(fds[0], "r");
    if (out == NULL) {
        close(fds[0]);
        return 0;
    }
    if (fgets(server_path, sizeof server_path, out) == NULL) {
        fclose(out);
        fprintf(stderr, "the pty server printed no path (is %s built?)\n", ATOMIK_CLI);
        return 0;
    }
    fclose(out);
    server_path[strcspn(server_path, "\n")] = '\0';
    return strncmp(server_path, "/dev/pts/", 9) == 0;
}

static void stop_server(void) {
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
        server_pid = -1;
    }
}

static atomik_board_t *open_board(void) {
    atomik_board_t *b = NULL;
    CHECK_STATUS(atomik_board_open(server_path, SIM_BAUD, &b), ATOMIK_OK);
    CHECK(b != NULL);
    if (b != NULL) {
        CHECK_STATUS(atomik_board_set_timeout(b, TIMEOUT_MS), ATOMIK_OK);
    }
    return b;
}

/* ---- the shared scenario --------------------------------------------------- */

typedef struct {
    atomik_board_op_t op;
    int has_expect;
    uint64_t value;
    int clean; /* -1: not checked */
} step_t;

#define MAX_STEPS 256

static int opcode_of(const char *name, uint32_t *code) {
    static const char *const names[] = {"load", "accum", "read", "swap", "swap_keep"};
    static const uint32_t codes[] = {ATOMIK_OP_LOAD, ATOMIK_OP_ACCUM, ATOMIK_OP_READ,
                                     ATOMIK_OP_SWAP, ATOMIK_OP_SWAP_KEEP};
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(name, names[i]) == 0) {
            *code = codes[i];
            return 1;
        }
    }
    return 0;
}

static int has_data(uint32_t code) {
    return code == ATOMIK_OP_LOAD || code == ATOMIK_OP_ACCUM || code == ATOMIK_OP_SWAP;
}

static int has_result(uint32_t code) {
    return code == ATOMIK_OP_READ || code == ATOMIK_OP_SWAP || code == ATOMIK_OP_SWAP_KEEP;
}

/* One op line: `name addr [data] [= value [clean|dirty]]`. Returns 1 if parsed. */
static int parse_step(char *line, step_t *s) {
    char *expect = strchr(line, '=');
    char *name, *tok;
    memset(s, 0, sizeof *s);
    s->clean = -1;
    if (expect != NULL) {
        *expect++ = '\0';
    }
    name = strtok(line, " \t\r\n");
    if (name == NULL || !opcode_of(name, &s->op.code)) {
        return 0;
    }
    tok = strtok(NULL, " \t\r\n");
    if (tok == NULL) return 0;
    s->op.addr = (uint32_t)strtoul(tok, NULL, 0);
    if (has_data(s->op.code)) {
        tok = strtok(NULL, " \t\r\n");
        if (tok == NULL) return 0;
        s->op.data = strtoull(tok, NULL, 0);
    }
    if (expect != NULL) {
        tok = strtok(expect, " \t\r\n");
        if (tok == NULL) return 0;
        s->has_expect = 1;
        s->value = strtoull(tok, NULL, 0);
        tok = strtok(NULL, " \t\r\n");
        if (tok != NULL) s->clean = strcmp(tok, "clean") == 0;
    }
    return 1;
}

static void check_result(const step_t *s, uint64_t value, int clean, int line) {
    if (!s->has_expect) return;
    if (!CHECK_EQ_U64(value, s->value) || (s->clean >= 0 && !CHECK_EQ_INT(clean, s->clean))) {
        fprintf(stderr, "    scenario line %d\n", line);
    }
}

/* A line on its own: the single-op call it names. */
static void run_single(atomik_board_t *b, const step_t *s, int line) {
    uint64_t v = 0xA5A5A5A5A5A5A5A5ULL;
    int clean = 7;
    switch (s->op.code) {
    case ATOMIK_OP_LOAD:
        CHECK_STATUS(atomik_board_load(b, s->op.addr, s->op.data), ATOMIK_OK);
        return;
    case ATOMIK_OP_ACCUM:
        CHECK_STATUS(atomik_board_accum(b, s->op.addr, s->op.data), ATOMIK_OK);
        return;
    case ATOMIK_OP_READ:
        CHECK_STATUS(atomik_board_read_clean(b, s->op.addr, &v, &clean), ATOMIK_OK);
        break;
    case ATOMIK_OP_SWAP:
        CHECK_STATUS(atomik_board_swap(b, s->op.addr, s->op.data, &v), ATOMIK_OK);
        clean = 0;
        break;
    default:
        CHECK_STATUS(atomik_board_swap_keep(b, s->op.addr, &v), ATOMIK_OK);
        clean = 0;
        break;
    }
    check_result(s, v, clean, line);
}

/* `batch` ... `end`: one atomik_board_execute. */
static void run_batch(atomik_board_t *b, const step_t *steps, size_t n, int line) {
    atomik_board_op_t ops[MAX_STEPS];
    atomik_board_result_t results[MAX_STEPS];
    size_t i, k = 0, expected = 0, got = 0;
    for (i = 0; i < n; i++) {
        ops[i] = steps[i].op;
        expected += (size_t)has_result(steps[i].op.code);
    }
    CHECK_STATUS(atomik_board_execute(b, ops, n, results, MAX_STEPS, &got), ATOMIK_OK);
    CHECK_EQ_SIZE(got, expected);
    for (i = 0; i < n && k < got; i++) {
        if (has_result(steps[i].op.code)) {
            check_result(&steps[i], results[k].value, results[k].clean, line);
            k++;
        }
    }
}

/* Runs the scenario file; returns the number of results checked. */
static int run_scenario(atomik_board_t *b) {
    static step_t batch[MAX_STEPS];
    char line[512];
    size_t in_batch = 0;
    int batching = 0, lineno = 0, checked = 0, batch_line = 0;
    FILE *f = fopen(ATOMIK_SCENARIO, "r");
    CHECK(f != NULL);
    if (f == NULL) return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        char *p = line;
        step_t s;
        lineno++;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '#' || *p == '\n' || *p == '\0') continue;
        if (strncmp(p, "batch", 5) == 0) {
            batching = 1;
            in_batch = 0;
            batch_line = lineno;
            continue;
        }
        if (strncmp(p, "end", 3) == 0) {
            run_batch(b, batch, in_batch, batch_line);
            batching = 0;
            continue;
        }
        if (!CHECK(parse_step(p, &s))) {
            fprintf(stderr, "    cannot parse scenario line %d\n", lineno);
            continue;
        }
        checked += s.has_expect;
        if (!batching) {
            run_single(b, &s, lineno);
        } else if (CHECK(in_batch < MAX_STEPS)) {
            batch[in_batch++] = s;
        }
    }
    fclose(f);
    CHECK(!batching);
    return checked;
}

static void test_scenario(atomik_board_t *b) {
    int checked = run_scenario(b);
    /* as many as the file expects: a parser that skipped lines would fail */
    CHECK(checked >= 25);
}

/* ---- NULL and bad arguments ------------------------------------------------ */

static void test_bad_arguments(atomik_board_t *b) {
    atomik_board_t *none = (atomik_board_t *)&none; /* a sentinel the call must clear */
    atomik_board_op_t ops[3] = {{ATOMIK_OP_LOAD, 9, 5}, {ATOMIK_OP_READ, 9, 0},
                                {ATOMIK_OP_SWAP_KEEP, 9, 0}};
    atomik_board_result_t r[2];
    uint32_t addrs[2] = {10, 256};
    uint64_t deltas[2] = {1, 2}, v = 0;
    size_t n = 99;
    int clean = 7;

    CHECK_STATUS(atomik_board_open(NULL, SIM_BAUD, &none), ATOMIK_ERR_NULL);
    CHECK(none == NULL);
    CHECK_STATUS(atomik_board_open(server_path, SIM_BAUD, NULL), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_board_open(server_path, 0, &none), ATOMIK_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(atomik_board_open("/nonexistent/ttyUSB9", SIM_BAUD, &none),
                 ATOMIK_ERR_BOARD_OPEN);
    CHECK(none == NULL);
    CHECK_STATUS(atomik_board_close(NULL), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_board_set_timeout(NULL, 1), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_board_set_timeout(b, 0), ATOMIK_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(atomik_board_load(NULL, 0, 1), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_board_accum(NULL, 0, 1), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_board_read(NULL, 0, &v), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_board_read(b, 0, NULL), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_board_read_clean(b, 0, NULL, &clean), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_board_swap(NULL, 0, 1, &v), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_board_swap_keep(NULL, 0, &v), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_board_execute(NULL, ops, 3, r, 2, &n), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_board_accum_batch(NULL, addrs, deltas, 1), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_board_read_all(NULL, &v, 256), ATOMIK_ERR_NULL);

    /* addresses above 255: nothing is sent */
    CHECK_STATUS(atomik_board_load(b, 256, 1), ATOMIK_ERR_OUT_OF_RANGE);
    CHECK_STATUS(atomik_board_accum(b, 1000, 1), ATOMIK_ERR_OUT_OF_RANGE);
    CHECK_STATUS(atomik_board_read(b, 256, &v), ATOMIK_ERR_OUT_OF_RANGE);
    CHECK_STATUS(atomik_board_swap(b, 256, 1, &v), ATOMIK_ERR_OUT_OF_RANGE);
    CHECK_STATUS(atomik_board_swap_keep(b, 0xFFFFFFFFu, &v), ATOMIK_ERR_OUT_OF_RANGE);

    /* batches are checked whole before anything is sent */
    ops[1].code = 5;
    CHECK_STATUS(atomik_board_execute(b, ops, 3, r, 2, &n), ATOMIK_ERR_INVALID_ARGUMENT);
    ops[1].code = ATOMIK_OP_READ;
    ops[2].addr = 256;
    CHECK_STATUS(atomik_board_execute(b, ops, 3, r, 2, &n), ATOMIK_ERR_OUT_OF_RANGE);
    ops[2].addr = 9;
    CHECK_STATUS(atomik_board_execute(b, ops, 3, r, 1, &n), ATOMIK_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ_SIZE(n, 2);
    CHECK_STATUS(atomik_board_execute(b, ops, 3, NULL, 2, &n), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_board_execute(b, NULL, 3, r, 2, &n), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_board_accum_batch(b, addrs, deltas, 2), ATOMIK_ERR_OUT_OF_RANGE);
    CHECK_STATUS(atomik_board_accum_batch(b, NULL, deltas, 1), ATOMIK_ERR_NULL);
    /* count 0: a no-op, NULL arrays allowed */
    CHECK_STATUS(atomik_board_execute(b, NULL, 0, NULL, 0, &n), ATOMIK_OK);
    CHECK_EQ_SIZE(n, 0);
    CHECK_STATUS(atomik_board_accum_batch(b, NULL, NULL, 0), ATOMIK_OK);
    /* none of the refused calls reached the board: context 9 and 10 are untouched */
    CHECK_STATUS(atomik_board_read_clean(b, 9, &v, &clean), ATOMIK_OK);
    CHECK_EQ_U64(v, 0);
    CHECK_EQ_INT(clean, 1);
    CHECK_STATUS(atomik_board_read(b, 10, &v), ATOMIK_OK);
    CHECK_EQ_U64(v, 0);

    /* the valid batch runs, in order */
    CHECK_STATUS(atomik_board_execute(b, ops, 3, r, 2, NULL), ATOMIK_OK);
    CHECK_EQ_U64(r[0].value, 5);
    CHECK_EQ_INT(r[0].clean, 1);
    CHECK_EQ_U64(r[1].value, 5);
    CHECK_EQ_INT(r[1].clean, 0);
    addrs[1] = 11;
    CHECK_STATUS(atomik_board_accum_batch(b, addrs, deltas, 2), ATOMIK_OK);
    CHECK_STATUS(atomik_board_read(b, 11, &v), ATOMIK_OK);
    CHECK_EQ_U64(v, 2);
}

/* ---- every context, and a second session ------------------------------------ */

static void test_read_all_and_reopen(atomik_board_t **bp) {
    static uint64_t before[256], after[256];
    uint64_t v = 0;
    CHECK_STATUS(atomik_board_read_all(*bp, before, 255), ATOMIK_ERR_BUFFER_TOO_SMALL);
    CHECK_STATUS(atomik_board_read_all(*bp, NULL, 256), ATOMIK_ERR_NULL);
    CHECK_STATUS(atomik_board_read_all(*bp, before, 256), ATOMIK_OK);
    CHECK_EQ_U64(before[1], 0xF5); /* as the scenario left it */
    CHECK_EQ_U64(before[9], 5);
    CHECK_EQ_U64(before[11], 2);
    /* CLOSE returns the board to compatible mode; the table stays */
    CHECK_STATUS(atomik_board_close(*bp), ATOMIK_OK);
    *bp = open_board();
    if (*bp == NULL) return;
    CHECK_STATUS(atomik_board_read_all(*bp, after, 256), ATOMIK_OK);
    CHECK_EQ_MEM(after, before, sizeof before);
    CHECK_STATUS(atomik_board_read(*bp, 255, &v), ATOMIK_OK);
    CHECK_EQ_U64(v, before[255]);
}

int main(void) {
    atomik_board_t *b;
    if (!CHECK(start_server())) {
        stop_server();
        return check_summary("test_board");
    }
    b = open_board();
    if (b != NULL) {
        check_state_.test = "test_scenario";
        test_scenario(b);
        check_state_.test = "test_bad_arguments";
        test_bad_arguments(b);
        check_state_.test = "test_read_all_and_reopen";
        test_read_all_and_reopen(&b);
        if (b != NULL) {
            CHECK_STATUS(atomik_board_close(b), ATOMIK_OK);
        }
    }
    stop_server();
    return check_summary("test_board");
}
