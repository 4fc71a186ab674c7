//! Stimulus for `atomik_axis`: op beats offered on the slave stream, and
//! `m_axis_tready` patterns on the master stream.
//!
//! The ops are the table's own random stimulus ([`Generator`]: every
//! opcode, hot addresses, repeated deltas, resets, READ sweeps). Around it,
//! [`AxisGenerator`] switches between patterns that each last a random
//! number of cycles:
//!
//! * `m_axis_tready`: always high, random, mostly low, toggling, and held
//!   low for up to 400 cycles (the FIFO fills within a dozen, so most stalls
//!   hold `s_axis_tready` low for hundreds of cycles);
//! * `s_axis_tvalid`: every cycle, three in four, one in eight, or a gap.
//!
//! Resets of 1 to 16 cycles land anywhere, with beats waiting on both
//! streams. Before every READ sweep the generator lets both streams drain
//! (and waits out a clearing sweep), so that every READ of the sweep is
//! taken and the whole table is compared.
//!
//! The AXI source rule (a beat offered and not taken stays put) needs the
//! wrapper's `s_axis_tready` within the cycle, so it runs in the shim
//! (csrc/model.h, `Axis`): an offer made while an earlier beat is waiting is
//! dropped, and the shim reports the beat it drove for the checker.

// Decisions are bit fields sliced out of random words, masked to their
// width first: the truncating casts are the point.
#![allow(clippy::cast_possible_truncation)]

use std::fmt;

use atomik_hdl::axis_check::{AxisChecker, op_beat, table_op};
use atomik_hdl::contract::{Counts, Cycle, Mismatch};

use crate::config::RunConfig;
use crate::design::Design;
use crate::stimulus::{Counted, Generator, Source, Stimulus};
use crate::verilated::{AxisPortsIn, AxisPortsOut, Model};

/// What `atomik_axis` is driven with in one cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AxisCycle {
    /// `aresetn` (low: a reset cycle).
    pub aresetn: bool,
    /// An op beat is offered (`s_axis_tvalid`, unless an earlier beat is
    /// still waiting).
    pub offer: bool,
    /// The offered beat: `[63:0]` data, `[71:64]` addr, `[74:72]` op.
    pub beat: u128,
    /// `m_axis_tready`.
    pub m_tready: bool,
}

impl AxisCycle {
    /// A reset cycle.
    pub const RESET: AxisCycle = AxisCycle {
        aresetn: false,
        offer: false,
        beat: 0,
        m_tready: false,
    };

    /// An offer of `op` with `m_axis_tready` as given.
    pub fn offer(op: &Cycle, m_tready: bool) -> AxisCycle {
        match *op {
            Cycle::Op { op, addr, data } => AxisCycle {
                offer: true,
                beat: op_beat(op, addr as u8, data),
                m_tready,
                ..AxisCycle::IDLE
            },
            Cycle::Reset => AxisCycle::RESET,
            Cycle::Idle => AxisCycle {
                m_tready,
                ..AxisCycle::IDLE
            },
        }
    }
}

impl fmt::Display for AxisCycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.aresetn {
            return f.write_str("RESET (aresetn low)");
        }
        if self.offer {
            write!(f, "offer {}", table_op(self.beat))?;
        } else {
            f.write_str("no offer")?;
        }
        write!(f, " | m_axis_tready {}", u8::from(self.m_tready))
    }
}

impl Counted for AxisChecker {
    fn counts(&self) -> Counts {
        AxisChecker::counts(self)
    }
}

impl Stimulus for AxisCycle {
    type Ports = AxisPortsIn;
    type Out = AxisPortsOut;
    type Checker = AxisChecker;
    type Source = AxisGenerator;
    const IDLE: AxisCycle = AxisCycle {
        aresetn: true,
        offer: false,
        beat: 0,
        m_tready: true,
    };

    fn source(config: &RunConfig) -> AxisGenerator {
        AxisGenerator::new(config.design, config.seed, config.sweep_every)
            .full_load(config.full_load)
    }

    fn checker(_: Design) -> AxisChecker {
        AxisChecker::new()
    }

    #[inline]
    fn ops(&self) -> u64 {
        u64::from(self.aresetn && self.offer)
    }

    /// Junk in the bits the wrapper must ignore: above the op field of an
    /// offered beat, and the whole beat when nothing is offered.
    #[inline]
    fn ports(&self, _: Design, junk: u64) -> AxisPortsIn {
        let junk = u128::from(junk) << 64 | u128::from(junk.rotate_left(23));
        let beat = if self.offer {
            self.beat & ((1 << 75) - 1) | junk & !((1 << 75) - 1)
        } else {
            junk
        };
        AxisPortsIn::new(self.aresetn, self.offer, beat, self.m_tready)
    }

    #[inline]
    fn check(&self, checker: &mut AxisChecker, out: &AxisPortsOut) -> Result<(), Mismatch> {
        let (inputs, outputs) = out.checked(self.aresetn, self.m_tready);
        checker.step(&inputs, &outputs).map(drop)
    }

    fn run(model: &mut Model, ins: &[AxisPortsIn], outs: &mut [AxisPortsOut]) {
        model.run_axis(ins, outs);
    }

    /// Whether an offer is taken depends on beats still waiting, which only
    /// the run knows (the VCD shows it).
    fn accepted(_: Design, cycles: &[AxisCycle]) -> Vec<Option<bool>> {
        vec![None; cycles.len()]
    }

    /// The offer dropped, or `m_axis_tready` raised.
    fn simpler(&self) -> Vec<AxisCycle> {
        let mut out = Vec::new();
        if self.offer {
            out.push(AxisCycle {
                offer: false,
                beat: 0,
                ..*self
            });
        }
        if self.aresetn && !self.m_tready {
            out.push(AxisCycle {
                m_tready: true,
                ..*self
            });
        }
        out
    }
}

/// How `m_axis_tready` behaves for a while.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Consumer {
    /// Always high: one op per cycle.
    Fast,
    /// High half the time.
    Random,
    /// High one cycle in eight.
    Slow,
    /// High every other cycle.
    Toggle,
    /// Low throughout: the FIFO fills and `s_axis_tready` drops.
    Stalled,
}

/// How often op beats are offered for a while.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Producer {
    /// Every cycle.
    Busy,
    /// Three cycles in four.
    Often,
    /// One cycle in eight.
    Rarely,
    /// Never (a gap).
    Gap,
}

/// Random stimulus for `atomik_axis` from a seed (see the module docs).
#[derive(Debug)]
pub struct AxisGenerator {
    ops: Generator,
    rng: fastrand::Rng,
    contexts: u64,
    consumer: Consumer,
    producer: Producer,
    /// Cycles left of the current consumer / producer pattern.
    consumer_left: u32,
    producer_left: u32,
    /// Reset cycles still to drive.
    reset_left: u32,
    /// Cycles since the last reset cycle (saturating).
    since_reset: u64,
    /// Drain cycles still to drive before a sweep's READs.
    drain_left: u64,
    full_load: bool,
}

/// Cycles in which a draining stream (`m_axis_tready` high, no offers)
/// surely empties: the table's latency plus a full FIFO, with margin.
const DRAIN: u64 = 2 * (atomik_hdl::LATENCY as u64 + atomik_hdl::designs::AXIS_FIFO_DEPTH as u64);

impl AxisGenerator {
    /// Stimulus for `design` (an `atomik_axis`) from `seed`; sweeps every
    /// `sweep_every` ops offered (0: never).
    pub fn new(design: Design, seed: u64, sweep_every: u64) -> Self {
        AxisGenerator {
            ops: Generator::new(design, seed, sweep_every),
            rng: fastrand::Rng::with_seed(seed ^ 0xA815_5EED),
            contexts: design.contexts() as u64,
            consumer: Consumer::Random,
            producer: Producer::Often,
            consumer_left: 0,
            producer_left: 0,
            reset_left: 0,
            since_reset: 0,
            drain_left: 0,
            full_load: false,
        }
    }

    /// With `on`, a beat is offered and `m_axis_tready` is high in every
    /// cycle (resets and sweeps still happen): ops per cycle at saturation.
    #[must_use]
    pub fn full_load(mut self, on: bool) -> Self {
        self.ops = self.ops.full_load(on);
        self.full_load = on;
        self
    }

    /// Drain cycles needed before a sweep: the streams empty and any
    /// clearing sweep after a reset is over.
    fn drain_needed(&self) -> u64 {
        let since_reset = if self.reset_left > 0 {
            0
        } else {
            self.since_reset
        };
        DRAIN + (self.contexts + 1).saturating_sub(since_reset)
    }

    /// Picks the next patterns when the current ones run out.
    fn next_patterns(&mut self) {
        if self.consumer_left == 0 {
            (self.consumer, self.consumer_left) = match self.rng.u8(..10) {
                0..=2 => (Consumer::Fast, self.rng.u32(100..3000)),
                3..=5 => (Consumer::Random, self.rng.u32(50..2000)),
                6 => (Consumer::Slow, self.rng.u32(100..1000)),
                7 => (Consumer::Toggle, self.rng.u32(20..200)),
                _ => (Consumer::Stalled, self.rng.u32(1..400)),
            };
        }
        if self.producer_left == 0 {
            (self.producer, self.producer_left) = match self.rng.u8(..8) {
                0..=2 => (Producer::Busy, self.rng.u32(50..2000)),
                3..=5 => (Producer::Often, self.rng.u32(50..2000)),
                6 => (Producer::Rarely, self.rng.u32(50..500)),
                _ => (Producer::Gap, self.rng.u32(1..50)),
            };
        }
        self.consumer_left -= 1;
        self.producer_left -= 1;
    }

    /// `m_axis_tready` and whether to offer a beat in this cycle.
    fn handshakes(&mut self) -> (bool, bool) {
        if self.full_load {
            return (true, true);
        }
        self.next_patterns();
        let bits = self.rng.u8(..);
        let m_tready = match self.consumer {
            Consumer::Fast => true,
            Consumer::Random => bits & 1 == 1,
            Consumer::Slow => bits & 7 == 0,
            Consumer::Toggle => self.consumer_left % 2 == 0,
            Consumer::Stalled => false,
        };
        let offer = match self.producer {
            Producer::Busy => true,
            Producer::Often => bits >> 3 & 3 != 0,
            Producer::Rarely => bits >> 5 == 0,
            Producer::Gap => false,
        };
        (m_tready, offer)
    }

    fn cycle(&mut self) -> AxisCycle {
        if self.reset_left > 0 {
            self.reset_left -= 1;
            return AxisCycle::RESET;
        }
        if self.drain_left > 0 {
            self.drain_left -= 1;
            return AxisCycle::IDLE;
        }
        if self.ops.sweeping() {
            return AxisCycle::offer(&self.ops.next_cycle(), true);
        }
        // About one reset every 20 000 cycles, 1 to 16 cycles long, with
        // beats waiting on both streams (the table's own are rarer).
        if self.ops.started() && self.rng.u32(..20_000) == 0 {
            self.reset_left = self.rng.u32(..16);
            return AxisCycle::RESET;
        }
        let (m_tready, offer) = self.handshakes();
        if !offer && self.ops.started() {
            return AxisCycle::offer(&Cycle::Idle, m_tready);
        }
        let c = AxisCycle::offer(&self.ops.next_cycle(), m_tready);
        if self.ops.sweeping() {
            self.drain_left = self.drain_needed();
        }
        c
    }
}

impl Source<AxisCycle> for AxisGenerator {
    fn next_cycle(&mut self) -> AxisCycle {
        let c = self.cycle();
        self.since_reset = if c.aresetn { self.since_reset + 1 } else { 0 };
        c
    }

    fn start_sweep(&mut self) {
        self.ops.start_sweep();
        self.drain_left = self.drain_needed();
    }

    fn sweeping(&self) -> bool {
        self.drain_left > 0 || self.ops.sweeping()
    }
}
