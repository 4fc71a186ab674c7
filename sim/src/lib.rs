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
//! let report = run(&RunConfig::new(Design::Default, 42, 1_000_000), |_| {})?;
//! assert_eq!(report.mismatches, 0);
//! # Ok::<(), atomik_sim::ModelError>(())
//! ```
//!
//! A failure replays from its seed, shrinks to a minimal cycle sequence and
//! is traced to a VCD ([`diagnose`]). Why not the `verilator`/`verilated`
//! crates: see docs/ARCHITECTURE.md.
#![deny(missing_docs)]

pub mod axis;
pub mod lanes;
pub mod lockstep;
pub mod stimulus;
pub mod verilated;

/// The timing contract's checker and vocabulary: one implementation, in the
/// hdl crate, shared with rust-hdl's native testbench.
pub use atomik_hdl::contract as check;
pub use atomik_hdl::contract::{
    Checker, Counts, Cycle, Edge, Expected, Inputs, LaneAccum, Mismatch, MismatchKind, Outputs,
    width_mask,
};
pub use axis::{AxisCycle, AxisGenerator};
pub use lanes::{LaneCycle, LaneGenerator};
pub use lockstep::{
    DEFAULT_SWEEP_EVERY, Diagnosis, Failure, Report, RunConfig, Split, check_cycles, diagnose,
    diagnose_any, minimize, run, run_inputs,
};
pub use stimulus::{Counted, Generator, Source, Stimulus};
pub use verilated::{
    AVAILABLE, AxisPortsIn, AxisPortsOut, Design, ECP5_LANES, ICE40_LANES, Kind, LanePortsIn,
    MAX_LANES, Model, ModelError, PortsIn, PortsOut, UnknownDesign,
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
