//! # atomik-sim — co-simulation of the hardware against the software model
//!
//! The committed Verilog (`hdl/verilog/`) runs in Verilator, driven from Rust
//! through a thin binding of our own ([`verilated`]), and every cycle the
//! outputs are compared with the core crate's `Table` under the timing
//! contract of docs/hardware.md ([`Checker`], from the hdl crate, where the
//! rust-hdl testbench drives the same checker): `ready`, `result_valid`
//! exactly LATENCY cycles after each READ/SWAP/SWAP_KEEP, `result` and
//! `result_clean`.
//!
//! ```no_run
//! use atomik_sim::{Design, RunConfig, run};
//! let design = Design::named("default")?;
//! let report = run(&RunConfig::new(design, 42, 1_000_000), |_| {})?;
//! assert_eq!(report.mismatches, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A failure replays from its seed, shrinks to a minimal cycle sequence and
//! is traced to a VCD ([`diagnose`]). Why not the `verilator`/`verilated`
//! crates: see docs/ARCHITECTURE.md.
#![deny(missing_docs)]

pub mod axis;
pub mod board;
pub mod config;
pub mod design;
mod dispatch;
pub mod lanes;
pub mod lockstep;
pub mod stimulus;
pub mod uart;
pub mod verilated;

/// The timing contract's checker and vocabulary: one implementation, in the
/// hdl crate, shared with rust-hdl's native testbench.
pub use atomik_hdl::contract as check;
pub use atomik_hdl::contract::{
    Checker, Counts, Cycle, Edge, Expected, Inputs, LaneAccum, Mismatch, MismatchKind, Outputs,
    width_mask,
};
pub use axis::{AxisCycle, AxisGenerator};
pub use config::{DEFAULT_SWEEP_EVERY, RunConfig};
pub use design::{Design, Kind, UnknownDesign};
pub use dispatch::{Diagnosis, diagnose_any, run};
pub use lanes::{LaneCycle, LaneGenerator};
pub use lockstep::{Failure, Report, Split, check_cycles, diagnose, minimize, run_inputs};
pub use stimulus::{Counted, Generator, Source, Stimulus};
pub use verilated::{
    AxisPortsIn, AxisPortsOut, BoardPortsIn, BoardPortsOut, LanePortsIn, MAX_LANES, Model,
    ModelError, PortsIn, PortsOut,
};

/// Cycles from acceptance to `result_valid` of `atomik_state_table` (the
/// hdl crate's [`LATENCY`](atomik_hdl::LATENCY)), for sizing cycle
/// sequences; [`Design::latency`] has every design's.
pub const LATENCY_CYCLES: usize = atomik_hdl::LATENCY;

/// Where failure traces go: `<workspace>/target/cosim/fail-<seed>.vcd`
/// (or under `CARGO_TARGET_DIR` when set).
pub fn default_vcd_path(seed: u64) -> std::path::PathBuf {
    atomik_codegen::target_dir()
        .join("cosim")
        .join(format!("fail-{seed}.vcd"))
}
