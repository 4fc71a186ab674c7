#!/usr/bin/env bash
# `just deps`: installs every system package and Python tool the project
# needs, idempotently. One line per package group on the terminal; the full
# apt/pip output goes to target/deps.log, whose tail is shown on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
log=target/deps.log
: > "$log"

fail() {
    echo "deps: $1 failed; last lines of $log:" >&2
    tail -n 25 "$log" >&2
    exit 1
}

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo="sudo"
    fi
fi

# group name | commands to probe | Debian packages that provide them
groups=(
    "hardware|verilator yosys nextpnr-ice40 icepack iverilog|verilator yosys nextpnr-ice40 fpga-icestorm iverilog"
    "C toolchain|gcc g++ make objdump valgrind pkg-config|gcc g++ make binutils valgrind pkgconf"
    "formal solvers|z3 boolector|z3 boolector"
    "replication|nats-server openssl mkfs.ext2 losetup fstrim mount|nats-server openssl e2fsprogs mount util-linux"
    "syscall tracing|strace|strace"
    "board programmer|openFPGALoader|openfpgaloader"
)
updated=0
for group in "${groups[@]}"; do
    IFS='|' read -r name cmds pkgs <<< "$group"
    missing=0
    for cmd in $cmds; do
        command -v "$cmd" >/dev/null 2>&1 || missing=1
    done
    if [ "$missing" -eq 0 ]; then
        echo "deps: $name: present"
        continue
    fi
    if [ "$(id -u)" -ne 0 ] && [ -z "$sudo" ]; then
        echo "deps: $name missing and not root; run 'sudo just deps' or 'apt-get install $pkgs'" >&2
        exit 1
    fi
    if [ "$updated" -eq 0 ]; then
        $sudo apt-get update >> "$log" 2>&1 || fail "apt-get update"
        updated=1
    fi
    start=$SECONDS
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends $pkgs \
        >> "$log" 2>&1 || fail "installing $name ($pkgs)"
    echo "deps: $name: installed $pkgs in $((SECONDS - start)) s"
done

# venv DIR REQUIREMENTS: create DIR if needed and install REQUIREMENTS into
# it; a stamp (a copy of the requirements) skips pip when nothing changed.
venv() {
    local dir=$1 req=$2
    if [ -x "$dir/bin/python" ] && cmp -s "$req" "$dir/.requirements"; then
        echo "deps: $dir: present"
        return
    fi
    local start=$SECONDS
    python3 -m venv "$dir" >> "$log" 2>&1 || fail "creating $dir"
    "$dir/bin/python" -m pip install --disable-pip-version-check -r "$req" >> "$log" 2>&1 \
        || fail "pip install into $dir"
    cp "$req" "$dir/.requirements"
    echo "deps: $dir: installed $(grep -c '^[a-zA-Z]' "$req") packages in $((SECONDS - start)) s"
}
venv .venv tools/requirements.txt
venv .venv-oracle tools/requirements-oracle.txt
venv .venv-oracle-040 tools/requirements-oracle-040.txt
start=$SECONDS
bash bindings/python/py39.sh >> "$log" 2>&1 || fail "CPython 3.9 (.venv-py39)"
echo "deps: .venv-py39: $(tail -n 1 "$log") in $((SECONDS - start)) s"
