//! Stimulus for `atomik_lane_table`: the control port plus ACCUM lanes.
//!
//! [`LaneGenerator`] mixes two kinds of cycles. Random ones: the control
//! port runs the table's own random stimulus ([`Generator`]: every opcode,
//! idle gaps, hot addresses, resets, READ sweeps) while each lane presents
//! an ACCUM three times in four, half of them on a few hot addresses. And
//! scripted races: every lane and the control op on one address, with a
//! LOAD, SWAP, SWAP_KEEP, ACCUM or READ racing lane ACCUMs to that address
//! at every distance from 0 to `LANE_LATENCY + 1` cycles before and after
//! it, then a READ of the address; the races walk through every (op,
//! distance before, distance after) in turn, so a run of a few thousand
//! cycles has covered them all. Now and then a reset lands inside a race.

// Decisions are bit fields sliced out of random words, masked to their
// width first: the truncating casts are the point.
#![allow(clippy::cast_possible_truncation)]

use std::collections::VecDeque;
use std::fmt;

use atomik::Opcode;
use atomik_hdl::contract::{Checker, Cycle, LaneAccum, Mismatch};

use crate::config::RunConfig;
use crate::design::Design;
use crate::stimulus::{Generator, Source, Stimulus, contract_accepted, ports};
use crate::verilated::{LanePortsIn, MAX_LANES, Model, PortsOut};

/// What a lanes table with `N` lanes is driven with in one cycle: the
/// control port and every lane (lane `i` presents `ACCUM [addr[i]]
/// delta[i]` when bit `i` of `valid` is set; the address and delta of an
/// invalid lane are ignored). Sized to `N` (not to the most lanes any
/// design has): the checking thread copies and walks every cycle, and for
/// the 3-lane preset 16 lane slots made it the co-simulation's bottleneck.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaneCycle<const N: usize> {
    /// The control port.
    pub control: Cycle,
    /// Bit `i`: lane `i` presents an ACCUM.
    pub valid: u16,
    /// Lane addresses.
    pub addr: [u8; N],
    /// Lane deltas.
    pub delta: [u64; N],
}

impl<const N: usize> LaneCycle<N> {
    /// `valid` has a bit per lane.
    const FITS: () = assert!(N <= MAX_LANES && MAX_LANES <= 16);

    /// The control op `control` with no lane valid.
    pub const fn control_only(control: Cycle) -> Self {
        let () = Self::FITS;
        LaneCycle {
            control,
            valid: 0,
            addr: [0; N],
            delta: [0; N],
        }
    }

    /// Sets lane `i` to `ACCUM [addr] delta`.
    pub fn with_lane(mut self, i: usize, addr: u8, delta: u64) -> Self {
        self.valid |= 1 << i;
        self.addr[i] = addr;
        self.delta[i] = delta;
        self
    }

    /// The valid lanes, in lane order.
    pub fn lanes(&self) -> impl Iterator<Item = (usize, LaneAccum)> + '_ {
        (0..N).filter(|i| self.valid >> i & 1 == 1).map(|i| {
            (
                i,
                LaneAccum {
                    addr: u32::from(self.addr[i]),
                    delta: self.delta[i],
                },
            )
        })
    }
}

impl<const N: usize> fmt::Display for LaneCycle<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.control)?;
        for (i, lane) in self.lanes() {
            write!(f, " | lane {i}: ACCUM [{}] {:#x}", lane.addr, lane.delta)?;
        }
        Ok(())
    }
}

impl<const N: usize> Stimulus for LaneCycle<N> {
    type Ports = LanePortsIn<N>;
    type Out = PortsOut;
    type Checker = Checker;
    type Source = LaneGenerator<N>;
    const IDLE: LaneCycle<N> = LaneCycle::control_only(Cycle::Idle);

    fn source(config: &RunConfig) -> LaneGenerator<N> {
        LaneGenerator::new(config.design, config.seed, config.sweep_every)
            .full_load(config.full_load)
    }

    fn checker(design: Design) -> Checker {
        design.checker()
    }

    #[inline]
    fn ops(&self) -> u64 {
        self.control.ops() + u64::from(self.valid.count_ones())
    }

    /// Lanes the design has but this cycle leaves invalid carry junk (the
    /// table must ignore it); lanes it does not have are zero.
    #[inline]
    fn ports(&self, design: Design, junk: u64) -> LanePortsIn<N> {
        debug_assert_eq!(design.lanes(), N);
        let mut addr = [0u8; N];
        let mut delta = [0u64; N];
        for i in 0..N {
            if self.valid >> i & 1 == 1 {
                addr[i] = self.addr[i];
                delta[i] = self.delta[i];
            } else {
                let j = junk.rotate_left(5 * i as u32 + 1);
                addr[i] = j as u8;
                delta[i] = j.rotate_left(29) ^ junk;
            }
        }
        let valid = u32::from(self.valid) & ((1u32 << N) - 1);
        LanePortsIn::new(ports(&self.control, design, junk), valid, addr, delta)
    }

    #[inline]
    fn check(&self, checker: &mut Checker, out: &PortsOut) -> Result<(), Mismatch> {
        let mut lanes = [LaneAccum { addr: 0, delta: 0 }; N];
        let mut n = 0;
        for (_, lane) in self.lanes() {
            lanes[n] = lane;
            n += 1;
        }
        checker
            .step_with_lanes(&self.control, &lanes[..n], &out.outputs())
            .map(drop)
    }

    fn run(model: &mut Model, ins: &[LanePortsIn<N>], outs: &mut [PortsOut]) {
        model.run_lanes(ins, outs);
    }

    fn accepted(design: Design, cycles: &[LaneCycle<N>]) -> Vec<Option<bool>> {
        contract_accepted(design, cycles.iter().map(|c| &c.control))
    }

    /// One lane dropped, or the control op made idle.
    fn simpler(&self) -> Vec<LaneCycle<N>> {
        let dropped = self.lanes().map(|(i, _)| {
            let mut c = *self;
            c.valid &= !(1 << i);
            c.addr[i] = 0;
            c.delta[i] = 0;
            c
        });
        let idle = self
            .control
            .simpler()
            .into_iter()
            .map(|control| LaneCycle { control, ..*self });
        dropped.chain(idle).collect()
    }
}

/// The control ops that race the lanes, in the order races walk through them.
const RACERS: [Opcode; 5] = [
    Opcode::Load,
    Opcode::Swap,
    Opcode::SwapKeep,
    Opcode::Accum,
    Opcode::Read,
];

/// Random and scripted stimulus for a lanes design with `N` lanes (see the
/// module docs).
#[derive(Debug)]
pub struct LaneGenerator<const N: usize> {
    control: Generator,
    rng: fastrand::Rng,
    /// Race distances run over `0..=latency + 1`.
    latency: usize,
    hot: [u8; 4],
    /// Races started so far: race `k` is the `k`-th (op, before, after).
    races: u64,
    /// The rest of the race in progress.
    script: VecDeque<LaneCycle<N>>,
    /// Every lane and the control port busy in every cycle.
    full_load: bool,
}

impl<const N: usize> LaneGenerator<N> {
    /// Stimulus for the lanes `design` from `seed`; sweeps every
    /// `sweep_every` ops of the control port (0: never).
    ///
    /// # Panics
    /// If `design` does not have `N` lanes.
    pub fn new(design: Design, seed: u64, sweep_every: u64) -> Self {
        assert_eq!(design.lanes(), N, "{design:?} does not have {N} lanes");
        let mut rng = fastrand::Rng::with_seed(seed ^ 0x1A7E_5EED);
        let hot = [0, u8::MAX, rng.u8(..), rng.u8(..)];
        LaneGenerator {
            control: Generator::new(design, seed, sweep_every),
            rng,
            latency: design.latency(),
            hot,
            races: 0,
            script: VecDeque::new(),
            full_load: false,
        }
    }

    /// With `on`, every lane and the control port present an op in every
    /// cycle (idle slots of the mix above get a random ACCUM or READ):
    /// for measuring ops per cycle at saturation.
    #[must_use]
    pub fn full_load(mut self, on: bool) -> Self {
        self.control = self.control.full_load(on);
        self.full_load = on;
        self
    }

    /// Under full load, fills every idle slot of `cycle`.
    fn saturate(&mut self, mut cycle: LaneCycle<N>) -> LaneCycle<N> {
        if !self.full_load {
            return cycle;
        }
        if cycle.control == Cycle::Idle {
            let op = if self.rng.bool() {
                Opcode::Accum
            } else {
                Opcode::Read
            };
            cycle.control = Cycle::op(op, u32::from(self.rng.u8(..)), self.rng.u64(..));
        }
        for i in 0..N {
            if cycle.valid >> i & 1 == 0 {
                let (a, d) = (self.hot[self.rng.usize(..4)], self.delta());
                cycle = cycle.with_lane(i, a, d);
            }
        }
        cycle
    }

    /// A delta for a lane: mostly random, sometimes small or zero.
    fn delta(&mut self) -> u64 {
        match self.rng.u8(..8) {
            0 => 0,
            1 => self.rng.u64(..16),
            _ => self.rng.u64(..),
        }
    }

    /// `cycle` with every lane presenting an ACCUM on `addr`; one time in
    /// four the lanes pair up with equal deltas, so they cancel and the
    /// context can come back clean.
    fn all_lanes_on(&mut self, mut cycle: LaneCycle<N>, addr: u8) -> LaneCycle<N> {
        let paired = self.rng.u8(..4) == 0;
        let mut last = 0;
        for i in 0..N {
            let d = match (paired, i % 2) {
                (true, 1) => last,
                (true, _) if i + 1 == N => 0,
                _ => self.delta(),
            };
            last = d;
            cycle = cycle.with_lane(i, addr, d);
        }
        cycle
    }

    /// `cycle` with each lane presenting an ACCUM three times in four, half
    /// of them on a hot address.
    fn random_lanes(&mut self, mut cycle: LaneCycle<N>) -> LaneCycle<N> {
        for i in 0..N {
            let bits = self.rng.u8(..);
            if bits & 3 == 0 {
                continue;
            }
            let addr = if bits & 4 == 0 {
                self.hot[usize::from(bits >> 3 & 3)]
            } else {
                self.rng.u8(..)
            };
            let d = self.delta();
            cycle = cycle.with_lane(i, addr, d);
        }
        cycle
    }

    /// Scripts the next race: lanes on `a` `before` cycles ahead of the
    /// racing control op, then with it, then lanes on `a` (half of them)
    /// in each of the `after` cycles up to and including a READ of `a`.
    fn script_race(&mut self) {
        let span = self.latency as u64 + 2; // distances 0..=latency + 1
        let k = self.races;
        self.races += 1;
        let op = RACERS[(k % RACERS.len() as u64) as usize];
        let before = (k / RACERS.len() as u64 % span) as usize;
        let after = 1 + (k / (RACERS.len() as u64 * span) % span) as usize;
        let a = if self.rng.bool() {
            self.hot[self.rng.usize(..4)]
        } else {
            self.rng.u8(..)
        };
        let racer = Cycle::op(op, u32::from(a), self.delta());
        let read = Cycle::op(Opcode::Read, u32::from(a), 0);
        for t in 0..=before + after {
            let c = match t {
                0 if before > 0 => self.all_lanes_on(LaneCycle::IDLE, a),
                t if t < before => self.random_lanes(LaneCycle::IDLE),
                t if t == before => self.all_lanes_on(LaneCycle::control_only(racer), a),
                t if t == before + after => self.all_lanes_on(LaneCycle::control_only(read), a),
                _ => {
                    let c = self.random_lanes(LaneCycle::IDLE);
                    self.half_lanes_on(c, a)
                }
            };
            self.script.push_back(c);
        }
        // About one race in 1024 (one cycle in 25 000) is cut by a reset,
        // flushing what is in flight: rare enough that the sweep it forces
        // (`ready` low for 256 cycles) costs about 1% of the cycles.
        if self.rng.u16(..1024) == 0 {
            let at = self.rng.usize(..self.script.len());
            self.script[at].control = Cycle::Reset;
        }
    }

    /// Moves about half of `cycle`'s lanes onto `addr`.
    fn half_lanes_on(&mut self, mut cycle: LaneCycle<N>, addr: u8) -> LaneCycle<N> {
        for i in 0..N {
            if self.rng.bool() {
                let d = self.delta();
                cycle = cycle.with_lane(i, addr, d);
            }
        }
        cycle
    }
}

impl<const N: usize> LaneGenerator<N> {
    /// The next cycle of the race in progress, a new race, or a random cycle.
    fn mixed_cycle(&mut self) -> LaneCycle<N> {
        if let Some(c) = self.script.pop_front() {
            return c;
        }
        // A race one time in sixteen (races last 3 to 17 cycles, so about
        // a third of all cycles are races), never in the middle of a sweep.
        if !self.control.sweeping() && self.control.started() && self.rng.u8(..16) == 0 {
            self.script_race();
            if let Some(c) = self.script.pop_front() {
                return c;
            }
        }
        let control = self.control.next_cycle();
        self.random_lanes(LaneCycle::control_only(control))
    }
}

impl<const N: usize> Source<LaneCycle<N>> for LaneGenerator<N> {
    fn next_cycle(&mut self) -> LaneCycle<N> {
        let c = self.mixed_cycle();
        self.saturate(c)
    }

    fn start_sweep(&mut self) {
        self.control.start_sweep();
    }

    fn sweeping(&self) -> bool {
        !self.script.is_empty() || self.control.sweeping()
    }
}
