#!/bin/sh
# coverage.sh — fails unless every function the header declares is called by
# at least one test source.
#
#   coverage.sh HEADER TEST_SOURCES...
header=$1
shift
# Declarations: "<type> atomik_name(" at the start of a line (the inline
# helpers of ATOMIK_TABLE_STATIC_SIZE end in '_' and are excluded).
funcs=$(sed -n 's/^[a-z_0-9 ]*[ *]\(atomik_[a-z_0-9]*[a-z0-9]\)(.*/\1/p' "$header" | sort -u)
total=0
missing=""
for f in $funcs; do
    total=$((total + 1))
    if ! grep -q "\\<$f(" "$@"; then
        missing="$missing $f"
    fi
done
if [ "$total" -lt 50 ]; then
    echo "  FAIL  coverage: found only $total functions in $header (parser broken?)"
    exit 1
fi
if [ -n "$missing" ]; then
    echo "  FAIL  coverage: functions declared in the header but never called by a test:"
    for f in $missing; do echo "          $f"; done
    exit 1
fi
echo "  PASS  coverage     all $total functions declared in atomik_core.h are called by the tests"
