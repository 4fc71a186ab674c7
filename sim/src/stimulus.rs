//! Stimulus: a seeded random source of [`Cycle`]s, and their port values.

// Decisions are bit fields sliced out of random words, masked to their
// width first: the truncating casts are the point.
#![allow(clippy::cast_possible_truncation)]

use atomik::Opcode;

pub use atomik_hdl::contract::{Cycle, junk};

use crate::verilated::{Design, PortsIn};

/// The port values for `cycle` on `design`, with `junk` (see [`junk`]) on the
/// inputs that carry no meaning. The rule lives in
/// [`Cycle::inputs`](atomik_hdl::contract::Cycle::inputs), shared with the
/// rust-hdl testbench.
#[inline]
pub fn ports(cycle: &Cycle, design: Design, junk: u64) -> PortsIn {
    cycle.inputs(design.contexts(), design.width(), junk).into()
}

/// Random stimulus from a seed: every opcode (reserved ones too), idle gaps,
/// a few hot addresses so back-to-back hazards are frequent, repeated deltas
/// so contexts come back clean, occasional resets, and a READ sweep of every
/// context every `sweep_every` accepted ops.
#[derive(Debug)]
pub struct Generator {
    rng: fastrand::Rng,
    contexts: u32,
    hot: [u32; 4],
    last_data: u64,
    sweep_every: u64,
    since_sweep: u64,
    sweep_at: Option<u32>,
    started: bool,
}

impl Generator {
    /// Stimulus for `design` from `seed`; sweeps every `sweep_every` ops (0: never).
    pub fn new(design: Design, seed: u64, sweep_every: u64) -> Self {
        let contexts = design.contexts() as u32;
        let mut rng = fastrand::Rng::with_seed(seed);
        let hot = [0, contexts - 1, rng.u32(..contexts), rng.u32(..contexts)];
        Generator {
            rng,
            contexts,
            hot,
            last_data: 0,
            sweep_every,
            since_sweep: 0,
            sweep_at: None,
            started: false,
        }
    }

    /// Starts a READ of every context, in address order, from the next cycle.
    pub fn start_sweep(&mut self) {
        self.sweep_at = Some(0);
        self.since_sweep = 0;
    }

    /// Whether a sweep is in progress.
    pub fn sweeping(&self) -> bool {
        self.sweep_at.is_some()
    }

    /// The next cycle's stimulus. (Ops presented while `ready` is low are
    /// simply not accepted; the checker knows which ones were.)
    pub fn next_cycle(&mut self) -> Cycle {
        if !self.started {
            // Every run starts from a reset.
            self.started = true;
            return Cycle::Reset;
        }
        if let Some(a) = self.sweep_at {
            self.sweep_at = (a + 1 < self.contexts).then_some(a + 1);
            return Cycle::op(Opcode::Read, a, 0);
        }
        // One 64-bit draw decides everything but the data (the checker
        // thread is the co-simulation's bottleneck, so draws are budgeted).
        // Each decision scales a bit field to its range: x * n >> bits.
        let bits = self.rng.u64(..);
        let field =
            |shift: u32, width: u32, n: u64| (((bits >> shift) & ((1 << width) - 1)) * n) >> width;
        match field(0, 16, 1000) {
            0..=99 => return Cycle::Idle,
            // About one reset every 500k cycles: rare enough that the sweep
            // it forces (ready low for `contexts` cycles) costs little.
            100 if field(16, 16, 500) == 0 => return Cycle::Reset,
            101 if field(16, 16, 20) == 0 => {
                // Move a hot spot now and then.
                self.hot[field(32, 2, 4) as usize] = field(34, 16, u64::from(self.contexts)) as u32;
            }
            _ => {}
        }
        self.since_sweep += 1;
        if self.sweep_every > 0 && self.since_sweep >= self.sweep_every {
            self.start_sweep();
        }
        let addr = if field(50, 1, 2) == 0 {
            self.hot[field(51, 2, 4) as usize]
        } else {
            field(16, 16, u64::from(self.contexts)) as u32
        };
        let data = match field(53, 4, 10) {
            0 => self.last_data, // the same delta twice: back to clean
            1 => 0,
            2 => self.rng.u64(0..16),
            _ => self.rng.u64(..),
        };
        self.last_data = data;
        let op = match field(57, 7, 100) {
            0..=14 => Opcode::Load.bits(),
            15..=49 => Opcode::Accum.bits(),
            50..=74 => Opcode::Read.bits(),
            75..=84 => Opcode::Swap.bits(),
            85..=94 => Opcode::SwapKeep.bits(),
            k => 5 + (k % 3) as u8, // reserved 5..=7
        };
        Cycle::Op { op, addr, data }
    }
}
