//! What a co-simulation run is: the design, the seed, the load, and the
//! options that change the cycles driven.

use std::path::{Path, PathBuf};

use crate::design::Design;
use crate::verilated::{Model, ModelError};

/// How often [`RunConfig::new`] reads back every context, in accepted ops
/// (also the default of `atomik cosim --sweep-every`).
pub const DEFAULT_SWEEP_EVERY: u64 = 100_000;

/// What to run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// The design to simulate.
    pub design: Design,
    /// Seed of the stimulus (and of the random initial state, if any).
    pub seed: u64,
    /// Stop once at least this many ops were accepted (control port and
    /// lanes; counted as batches are checked, so a run overshoots by up to
    /// a few batches), then sweep and drain.
    pub ops: u64,
    /// READ every context every this many ops (0: only the final sweep).
    pub sweep_every: u64,
    /// Start from random flop and memory contents instead of zeros.
    pub random_state: bool,
    /// Present an op on the control port and on every lane in every cycle
    /// (resets and sweeps still happen): ops per cycle at saturation.
    pub full_load: bool,
    /// Trace the whole run to this VCD file (uses the slower traced model;
    /// a VCD grows by ~1 kB per cycle, so keep `ops` small).
    pub vcd: Option<PathBuf>,
    /// After a passing run, drive a fresh model with the same stimulus
    /// again without the checker and time the model alone
    /// ([`crate::Report::bare_model_cycles_per_second`]). Ignored with `vcd`.
    pub measure_bare: bool,
}

impl RunConfig {
    /// `ops` random ops on `design` from `seed`, sweeping every
    /// [`DEFAULT_SWEEP_EVERY`] ops.
    pub fn new(design: Design, seed: u64, ops: u64) -> Self {
        RunConfig {
            design,
            seed,
            ops,
            sweep_every: DEFAULT_SWEEP_EVERY,
            random_state: false,
            full_load: false,
            vcd: None,
            measure_bare: false,
        }
    }

    /// The `atomik cosim` arguments (after `cosim`) that run exactly this
    /// configuration: every field that changes the cycles driven or the
    /// model's initial state. (`vcd` only adds a trace, so it is left out.)
    pub fn replay_args(&self) -> Vec<String> {
        let mut args = vec![
            "--design".to_string(),
            self.design.name().to_string(),
            "--seed".to_string(),
            self.seed.to_string(),
            "--ops".to_string(),
            self.ops.to_string(),
        ];
        if self.sweep_every != DEFAULT_SWEEP_EVERY {
            args.extend(["--sweep-every".to_string(), self.sweep_every.to_string()]);
        }
        if self.random_state {
            args.push("--random-state".to_string());
        }
        if self.full_load {
            args.push("--full-load".to_string());
        }
        args
    }

    /// The shell command that replays this configuration:
    /// `atomik cosim` + [`replay_args`](Self::replay_args).
    pub fn replay_command(&self) -> String {
        format!("atomik cosim {}", self.replay_args().join(" "))
    }

    pub(crate) fn model(&self, vcd: Option<&Path>) -> Result<Model, ModelError> {
        let state = self.random_state.then(|| self.state_seed());
        Model::with_options(self.design, vcd, state)
    }

    fn state_seed(&self) -> u32 {
        // Fold the 64-bit seed; 0 means "no random state" to the shim.
        let folded = (self.seed ^ (self.seed >> 32)) & u64::from(u32::MAX);
        u32::try_from(folded).expect("masked to 32 bits").max(1)
    }
}
