//! # atomik-sim — co-simulation of the hardware against the software model
//!
//! The committed Verilog (`hdl/verilog/`) runs in Verilator, driven from Rust
//! through a thin binding of our own ([`verilated`]), and every cycle the
//! outputs are compared with the core crate's `Table` under the timing
//! contract of DESIGN.md §3 ([`check::Checker`]): `ready`, `result_valid`
//! exactly LATENCY cycles after each READ/SWAP/SWAP_KEEP, `result` and
//! `result_clean`.
//!
//! ```no_run
//! use atomik_sim::{Design, RunConfig, run};
//! let report = run(&RunConfig::new(Design::Default, 42, 1_000_000), |_| {})?;
//! assert_eq!(report.mismatches, 0);
//! # Ok::<(), atomik_sim::ModelError>(())
//! ```
//!
//! A failure replays from its seed, shrinks to a minimal cycle sequence and
//! is traced to a VCD ([`diagnose`]). Why not the `verilator`/`verilated`
//! crates: see docs/ARCHITECTURE.md.
#![deny(missing_docs)]

pub mod check;
pub mod lockstep;
pub mod stimulus;
pub mod verilated;

pub use check::{Checker, Counts, Expected, LATENCY, LATENCY_CYCLES, Mismatch, MismatchKind};
pub use lockstep::{Failure, Report, RunConfig, check_cycles, diagnose, minimize, run};
pub use stimulus::{Cycle, Generator};
pub use verilated::{AVAILABLE, Design, Model, ModelError, PortsIn, PortsOut};

/// Where failure traces go: `<workspace>/target/cosim/fail-<seed>.vcd`
/// (or under `CARGO_TARGET_DIR` when set).
pub fn default_vcd_path(seed: u64) -> std::path::PathBuf {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("sim/ is inside the workspace");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace.join("target"), std::path::PathBuf::from);
    target.join("cosim").join(format!("fail-{seed}.vcd"))
}
