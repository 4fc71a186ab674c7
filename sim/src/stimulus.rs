//! Stimulus: a seeded random source of [`Cycle`]s, and their port values.

// Decisions are bit fields sliced out of random words, masked to their
// width first: the truncating casts are the point.
#![allow(clippy::cast_possible_truncation)]

use std::fmt;

use atomik::Opcode;

use atomik_hdl::contract::{Checker, Counts, Mismatch};
pub use atomik_hdl::contract::{Cycle, junk};

use crate::config::RunConfig;
use crate::design::Design;
use crate::verilated::{Model, PortsIn, PortsOut};

/// What one clock cycle of a design's stimulus is: the lock-step harness
/// ([`run`](crate::run), [`check_cycles`](crate::check_cycles),
/// [`diagnose`](crate::diagnose)) is written once over this trait, for
/// [`Cycle`] (`atomik_state_table`), [`LaneCycle`](crate::lanes::LaneCycle)
/// (`atomik_lane_table`) and [`AxisCycle`](crate::axis::AxisCycle)
/// (`atomik_axis`).
pub trait Stimulus: Copy + PartialEq + fmt::Debug + fmt::Display + Send + 'static {
    /// The input port struct the model takes.
    type Ports: Copy + Default + Send + 'static;
    /// The output port struct the model fills.
    type Out: Copy + Default + Send + 'static;
    /// The design's contract in executable form.
    type Checker: Counted;
    /// The seeded random source of this stimulus.
    type Source: Source<Self>;
    /// A cycle that drives nothing.
    const IDLE: Self;
    /// The random source of `config` (design, seed, sweep interval, load).
    fn source(config: &RunConfig) -> Self::Source;
    /// The checker of `design`, in its state before the first cycle.
    fn checker(design: Design) -> Self::Checker;
    /// Ops presented in this cycle (accepted when `ready` is high).
    fn ops(&self) -> u64;
    /// The port values, with `junk` (see [`junk`]) on meaningless inputs.
    fn ports(&self, design: Design, junk: u64) -> Self::Ports;
    /// Checks what the hardware showed in this cycle, and advances `checker`.
    fn check(&self, checker: &mut Self::Checker, out: &Self::Out) -> Result<(), Mismatch>;
    /// Runs the model for one cycle per element of `ins`.
    fn run(model: &mut Model, ins: &[Self::Ports], outs: &mut [Self::Out]);
    /// For explaining a failing sequence driven from the start on `design`:
    /// whether the contract has each cycle's op accepted (`None` where the
    /// contract alone cannot say: only the hardware's handshake decides).
    fn accepted(design: Design, cycles: &[Self]) -> Vec<Option<bool>>;
    /// Simpler versions of this cycle, for shrinking a failure: each does
    /// strictly less (so shrinking ends).
    fn simpler(&self) -> Vec<Self>;
}

/// A seeded random source of cycles that can be told to read every context.
pub trait Source<S> {
    /// The next cycle.
    fn next_cycle(&mut self) -> S;
    /// Starts a READ of every context, in address order, from the next cycle.
    fn start_sweep(&mut self);
    /// Whether a sweep is in progress.
    fn sweeping(&self) -> bool;
}

/// A checker that counts what it checked.
pub trait Counted {
    /// Cycles, accepted ops, results and resets checked so far.
    fn counts(&self) -> Counts;
}

impl Counted for Checker {
    fn counts(&self) -> Counts {
        Checker::counts(self)
    }
}

/// [`Stimulus::accepted`] for the table kinds, whose contract decides
/// acceptance from the control port alone.
pub(crate) fn contract_accepted<'a>(
    design: Design,
    controls: impl Iterator<Item = &'a Cycle>,
) -> Vec<Option<bool>> {
    let mut contract = design.checker();
    controls
        .map(|c| {
            let accepted = contract.ready_for(c);
            contract.advance_unchecked(c);
            Some(accepted)
        })
        .collect()
}

impl Stimulus for Cycle {
    type Ports = PortsIn;
    type Out = PortsOut;
    type Checker = Checker;
    type Source = Generator;
    const IDLE: Cycle = Cycle::Idle;

    fn source(config: &RunConfig) -> Generator {
        Generator::new(config.design, config.seed, config.sweep_every).full_load(config.full_load)
    }

    fn checker(design: Design) -> Checker {
        design.checker()
    }

    #[inline]
    fn ops(&self) -> u64 {
        u64::from(matches!(self, Cycle::Op { .. }))
    }

    #[inline]
    fn ports(&self, design: Design, junk: u64) -> PortsIn {
        ports(self, design, junk)
    }

    #[inline]
    fn check(&self, checker: &mut Checker, out: &PortsOut) -> Result<(), Mismatch> {
        checker.step(self, &out.outputs()).map(drop)
    }

    fn run(model: &mut Model, ins: &[PortsIn], outs: &mut [PortsOut]) {
        model.run(ins, outs);
    }

    fn accepted(design: Design, cycles: &[Cycle]) -> Vec<Option<bool>> {
        contract_accepted(design, cycles.iter())
    }

    /// An op becomes idle (keeping the cycles after it where they were).
    fn simpler(&self) -> Vec<Cycle> {
        match self {
            Cycle::Op { .. } => vec![Cycle::Idle],
            Cycle::Idle | Cycle::Reset => Vec::new(),
        }
    }
}

impl Source<Cycle> for Generator {
    fn next_cycle(&mut self) -> Cycle {
        Generator::next_cycle(self)
    }

    fn start_sweep(&mut self) {
        Generator::start_sweep(self);
    }

    fn sweeping(&self) -> bool {
        Generator::sweeping(self)
    }
}

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
    /// No idle cycles (see [`full_load`](Self::full_load)).
    full_load: bool,
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
            full_load: false,
        }
    }

    /// With `on`, the control port presents an op in every cycle (resets
    /// and sweeps still happen): for measuring ops per cycle at saturation.
    #[must_use]
    pub fn full_load(mut self, on: bool) -> Self {
        self.full_load = on;
        self
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

    /// Whether the opening reset has been generated.
    pub fn started(&self) -> bool {
        self.started
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
            0..=99 if !self.full_load => return Cycle::Idle,
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
