//! Stimulus: what is driven in each clock cycle, and a seeded random source.

// Port values and decisions are bit fields sliced out of random words, masked
// to their width first: the truncating casts are the point.
#![allow(clippy::cast_possible_truncation)]

use std::fmt;

use atomik::Opcode;

use crate::verilated::{Design, PortsIn};

/// What the testbench drives during one clock cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cycle {
    /// `op_valid` low (the other inputs carry junk the table must ignore).
    Idle,
    /// `reset` high.
    Reset,
    /// `op_valid` high with this op (0..=7; 5..=7 are reserved), address and data.
    /// The address is reduced modulo the number of contexts, the data masked
    /// to the width.
    Op {
        /// Opcode.
        op: u8,
        /// Context address.
        addr: u32,
        /// `data_in`.
        data: u64,
    },
}

impl Cycle {
    /// Shorthand for an op cycle.
    pub fn op(op: Opcode, addr: u32, data: u64) -> Cycle {
        Cycle::Op {
            op: op.bits(),
            addr,
            data,
        }
    }

    /// The port values for this cycle. `junk` fills the inputs that carry no
    /// meaning (everything but `reset` and `op_valid` on idle and reset
    /// cycles); half the reset cycles also raise `op_valid`, which `ready`
    /// low must make harmless.
    pub fn ports(&self, design: Design, junk: u64) -> PortsIn {
        let amask = design.contexts() as u64 - 1;
        let dmask = if design.width() == 64 {
            u64::MAX
        } else {
            (1u64 << design.width()) - 1
        };
        // Bits of junk: [0..3) op, [3..) address, all of it rotated for data.
        let junk_op = (junk & 7) as u8;
        let junk_addr = ((junk >> 3) & amask) as u32;
        let junk_data = junk.rotate_left(17) & dmask;
        match *self {
            Cycle::Idle => PortsIn::new(false, false, junk_op, junk_addr, junk_data),
            Cycle::Reset => PortsIn::new(true, junk >> 63 == 1, junk_op, junk_addr, junk_data),
            Cycle::Op { op, addr, data } => PortsIn::new(
                false,
                true,
                op & 7,
                (u64::from(addr) & amask) as u32,
                data & dmask,
            ),
        }
    }
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Cycle::Idle => f.write_str("idle"),
            Cycle::Reset => f.write_str("RESET"),
            Cycle::Op { op, addr, data } => match Opcode::from_bits(op) {
                Some(o @ (Opcode::Read | Opcode::SwapKeep)) => write!(f, "{o} [{addr}]"),
                Some(o) => write!(f, "{o} [{addr}] {data:#x}"),
                None => write!(f, "reserved op {op} [{addr}] {data:#x}"),
            },
        }
    }
}

/// A deterministic function of the cycle number, for junk inputs, so that a
/// replay of the same cycles drives the same junk.
pub fn junk(cycle: u64) -> u64 {
    // SplitMix64's output function.
    let mut z = cycle.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
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
