# atomik — the one entry point. `just --list` shows every recipe.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Environment for every recipe: warnings are errors in docs too.
export RUSTDOCFLAGS := "-D warnings"

# List the recipes.
default:
    @just --list

# The main job: the whole chain, end to end (algebra, Verilog, lint,
# co-simulation, C library).
demo: deps
    cargo build --release -q -p atomik-ffi
    cargo run --release -q -p atomik-cli -- demo

# Everything CI checks: formatting, lints, docs and all tests.
test: deps fmt-check lint doc header-check verilog-check verilog-lint synth-check c-test
    cargo test --workspace --all-targets
    cargo test --workspace --doc

# Exactly what CI runs (.ci/run calls `just deps` and `just test`).
ci: deps test

# Install the system packages the hardware and C tiers need (idempotent).
deps:
    #!/usr/bin/env bash
    set -euo pipefail
    # command → Debian package that provides it
    declare -A need=(
        [verilator]=verilator [yosys]=yosys [nextpnr-ice40]=nextpnr-ice40
        [icepack]=fpga-icestorm [iverilog]=iverilog
        [gcc]=gcc [g++]=g++ [make]=make [objdump]=binutils
        [valgrind]=valgrind [pkg-config]=pkgconf
    )
    missing=()
    for cmd in "${!need[@]}"; do
        command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        echo "deps: all system packages present"
        exit 0
    fi
    echo "deps: installing ${missing[*]}"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo="sudo"
        else
            echo "deps: missing ${missing[*]} and not root; run 'sudo just deps' or 'apt-get install ${missing[*]}'" >&2
            exit 1
        fi
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

# The C library's tests (C99 and C++17; static, shared, ASan+UBSan, valgrind),
# examples and pkg-config consumers, against a release build of libatomik_core.
c-test:
    cargo build --release -q -p atomik-ffi
    make -C bindings/c -j2 check

# Regenerate bindings/c/atomik_core.h from crates/atomik-ffi (cbindgen).
header:
    cargo run -q -p atomik-header

# Fail if the committed header differs from what cbindgen generates now.
header-check:
    cargo run -q -p atomik-header -- --check

# Emit the committed Verilog (hdl/verilog/) and the timing diagram from rust-hdl.
verilog:
    cargo run -q -p atomik-cli -- verilog --all -o hdl/verilog
    cargo run -q -p atomik-hdl --example timing_diagram -- docs/images/timing.svg

# Fail if the committed Verilog or timing diagram differ from what rust-hdl emits now.
verilog-check:
    cargo run -q -p atomik-cli -- verilog --all --check -o hdl/verilog
    mkdir -p target
    cargo run -q -p atomik-hdl --example timing_diagram -- target/timing.svg target/timing.vcd > /dev/null
    cmp -s target/timing.svg docs/images/timing.svg || { echo "docs/images/timing.svg is stale: run 'just verilog'" >&2; exit 1; }

# verilator -Wall on every emitted file: zero warnings, no waivers.
verilog-lint:
    #!/usr/bin/env bash
    set -euo pipefail
    for f in $(find hdl/verilog -name '*.v' | sort); do
        verilator --lint-only -Wall "$f"
        echo "lint clean: $f"
    done

# Yosys only: the default table's memories must map to 8 SB_RAM40_4K blocks.
synth-check:
    python3 hdl/synth/synth.py --yosys-only --expect-bram 8

# Full iCE40 HX8K flow (yosys, nextpnr seeds 1-3, icepack); updates docs/hardware.md.
synth:
    python3 hdl/synth/synth.py --expect-bram 8 --report docs/hardware.md

# A long co-simulation: 100 M random ops on the default design (release build).
cosim ops="100000000" seed="":
    cargo run --release -q -p atomik-cli -- cosim --ops {{ops}} {{ if seed == "" { "" } else { "--seed " + seed } }}

# Benchmarks: criterion suites, then the CLI's same-run comparisons.
bench:
    cargo bench -p atomik-benches
    cargo run --release -q -p atomik-cli -- bench
    cargo build --release -q -p atomik-ffi
    make -s -C bindings/c bench

# API documentation for the workspace.
doc:
    cargo doc --workspace --no-deps

# Format all code.
fmt:
    cargo fmt --all

# Fail if anything is not formatted.
fmt-check:
    cargo fmt --all -- --check

# Clippy on every target, warnings are errors.
lint:
    cargo clippy --workspace --all-targets -- -D warnings
    cargo clippy -p atomik --no-default-features -- -D warnings
