#!/bin/sh
# run.sh — runs one test program (one variant) for the Makefile and prints
# exactly one line: PASS with the program's own summary (its last output
# line), or FAIL followed by the whole log.
#
#   run.sh VARIANT NAME LOG COMMAND...
#
# If VG_LOG is set (valgrind variants), valgrind's own log is taken from
# that file: its heap summary is appended to the PASS line and the log is
# shown on failure.
variant=$1
name=$2
log=$3
shift 3
mkdir -p "$(dirname "$log")"
if "$@" >"$log" 2>&1; then
    summary=$(tail -n 1 "$log")
    if [ -n "${VG_LOG:-}" ] && [ -f "$VG_LOG" ]; then
        heap=$(sed -n 's/^==[0-9]*== *in use at exit: //p' "$VG_LOG" | head -n 1)
        if grep -q 'All heap blocks were freed' "$VG_LOG"; then
            summary="$summary [valgrind: 0 errors, all heap blocks freed]"
        else
            summary="$summary [valgrind: 0 errors, in use at exit: $heap]"
        fi
    fi
    printf '  PASS  %-12s %-20s %s\n' "$variant" "$name" "$summary"
else
    rc=$?
    printf '  FAIL  %-12s %-20s exit status %s, log: %s\n' "$variant" "$name" "$rc" "$log"
    printf '  ---------------------------------------------------------------------\n'
    sed 's/^/  | /' "$log"
    if [ -n "${VG_LOG:-}" ] && [ -f "$VG_LOG" ]; then
        printf '  --- valgrind log: %s\n' "$VG_LOG"
        sed 's/^/  | /' "$VG_LOG"
    fi
    printf '  ---------------------------------------------------------------------\n'
    exit 1
fi
