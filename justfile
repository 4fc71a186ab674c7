# atomik — the one entry point. `just --list` shows every recipe.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Environment for every recipe: warnings are errors in docs too.
export RUSTDOCFLAGS := "-D warnings"

# List the recipes.
default:
    @just --list

# The main job: the whole chain, end to end.
demo: deps
    cargo run --release -q -p atomik-cli -- demo

# Everything CI checks: formatting, lints, docs and all tests.
test: deps fmt-check lint doc header-check
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

# Regenerate bindings/c/atomik_core.h from crates/atomik-ffi (cbindgen).
header:
    cargo run -q -p atomik-header

# Fail if the committed header differs from what cbindgen generates now.
header-check:
    cargo run -q -p atomik-header -- --check

# Benchmarks: criterion suites, then the CLI's same-run comparisons.
bench:
    cargo bench -p atomik-benches
    cargo run --release -q -p atomik-cli -- bench

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
