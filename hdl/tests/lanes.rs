//! rust-hdl's native simulation of `atomik_lane_table`, checked every cycle
//! against the timing contract's `Checker` (the core crate's `Table`, as in
//! the Verilator co-simulation): in each accepted cycle the control op
//! executes first, then every valid lane's ACCUM. Checked: `ready` (low only
//! during reset and the clearing sweep), `result_valid` exactly
//! `LANE_LATENCY` cycles after each READ/SWAP/SWAP_KEEP and never otherwise,
//! `result` and `result_clean`. The mutant whose LOAD/SWAP forget the lane
//! banks must fail.
#![allow(clippy::cast_possible_truncation)] // addresses are masked to 8 bits

mod common;

use std::sync::{Arc, Mutex};

use atomik_hdl::LANE_LATENCY;
use atomik_hdl::contract::{self, Checker, LaneAccum, Outputs};
use atomik_hdl::lane_table::{AtomikLaneTable2, AtomikLaneTable3, AtomikLaneTable16, LaneVariant};
use common::{OP_ACCUM, OP_LOAD, OP_READ, OP_SWAP, OP_SWAP_KEEP};
use rust_hdl::prelude::*;

const CONTEXTS: u64 = 256;

/// What the testbench drives in one cycle. Ops presented while `ready` is
/// low are simply not accepted (the model predicts `ready`).
#[derive(Clone, Debug, Default)]
struct Cycle {
    reset: bool,
    /// (op, addr, data) on the control port.
    ctrl: Option<(u64, u64, u64)>,
    /// (addr, delta) per lane.
    lanes: Vec<Option<(u64, u64)>>,
}

/// Port access shared by every lane count.
trait LaneUut: Block + Logic + Sized + Send + 'static {
    const N: usize;
    fn make(v: LaneVariant) -> Self;
    fn drive(&mut self, c: &Cycle, junk: &mut fastrand::Rng);
    /// (ready, result_valid, result, result_clean)
    fn outputs(&self) -> (bool, bool, u64, bool);
    fn clock(&mut self) -> &mut Signal<In, Clock>;
}

macro_rules! lane_uut {
    ($t:ident, $n:literal, $na:literal, $nw:literal) => {
        impl LaneUut for $t {
            const N: usize = $n;
            fn make(v: LaneVariant) -> Self {
                $t::new(v)
            }
            fn drive(&mut self, c: &Cycle, junk: &mut fastrand::Rng) {
                self.reset.next = c.reset;
                // Inputs of invalid ops and lanes are junk: the table must ignore them.
                let (op, addr, data) =
                    c.ctrl
                        .unwrap_or((junk.u64(0..8), junk.u64(..), junk.u64(..)));
                self.op_valid.next = c.ctrl.is_some();
                self.op.next = op.to_bits();
                self.addr.next = (addr % CONTEXTS).to_bits();
                self.data_in.next = data.to_bits();
                let mut valid = Bits::<$n>::default();
                let mut addrs = Bits::<$na>::default();
                let mut deltas = Bits::<$nw>::default();
                for i in 0..$n {
                    let lane = c.lanes.get(i).copied().flatten();
                    let (a, d) = lane.unwrap_or((junk.u64(..), junk.u64(..)));
                    valid = valid.replace_bit(i, lane.is_some());
                    addrs.set_bits::<8>(8 * i, (a % CONTEXTS).to_bits());
                    deltas.set_bits::<64>(64 * i, d.to_bits());
                }
                self.lane_valid.next = valid;
                self.lane_addr.next = addrs;
                self.lane_delta.next = deltas;
            }
            fn outputs(&self) -> (bool, bool, u64, bool) {
                (
                    self.ready.val(),
                    self.result_valid.val(),
                    self.result.val().to_u64(),
                    self.result_clean.val(),
                )
            }
            fn clock(&mut self) -> &mut Signal<In, Clock> {
                &mut self.clock
            }
        }
    };
}
lane_uut!(AtomikLaneTable2, 2, 16, 128);
lane_uut!(AtomikLaneTable3, 3, 24, 192);
lane_uut!(AtomikLaneTable16, 16, 128, 1024);

/// The contract's view of one testbench cycle: the control op, and the
/// valid lanes' ACCUMs (executed after it, in the same edge).
fn contract_cycle(c: &Cycle) -> (contract::Cycle, Vec<LaneAccum>) {
    let control = match c.ctrl {
        _ if c.reset => contract::Cycle::Reset,
        Some((op, addr, data)) => contract::Cycle::Op {
            op: op as u8,
            addr: addr as u32,
            data,
        },
        None => contract::Cycle::Idle,
    };
    let lanes = c
        .lanes
        .iter()
        .flatten()
        .map(|&(addr, delta)| LaneAccum {
            addr: addr as u32,
            delta,
        })
        .collect();
    (control, lanes)
}

#[derive(Default, Debug)]
struct Report {
    cycles: u64,
    results: u64,
    errors: Vec<String>,
}

/// Simulates `cycles` on the table (or mutant), checking every cycle.
fn run<T: LaneUut>(variant: LaneVariant, cycles: Vec<Cycle>) -> Report {
    let report = Arc::new(Mutex::new(Report::default()));
    let rep = report.clone();
    let n = cycles.len() as u64;
    let mut sim = Simulation::<T>::new();
    sim.add_clock(5, |x: &mut Box<T>| {
        let c = x.clock();
        c.next = !c.val();
    });
    sim.add_testbench(move |mut sim: Sim<T>| {
        let mut x = sim.init()?;
        // The timing contract every simulator shares (hdl/src/contract.rs).
        let mut checker = Checker::with_latency(CONTEXTS as usize, 64, LANE_LATENCY);
        let mut junk = fastrand::Rng::with_seed(7);
        let mut errors = vec![];
        let idle = Cycle::default();
        x = sim.wait(6, x)?; // just after the first rising edge (t = 5)
        let mut k = 0u64;
        // Stop at the first mismatch: after it the model and the hardware
        // no longer share a state.
        while (k < n || checker.in_flight() > 0) && errors.is_empty() {
            let c = cycles.get(k as usize).unwrap_or(&idle);
            x.drive(c, &mut junk);
            x = sim.wait(5, x)?; // falling edge: inputs settled
            let (ready, result_valid, result, result_clean) = x.outputs();
            let out = Outputs {
                ready,
                result_valid,
                result,
                result_clean,
            };
            let (control, lanes) = contract_cycle(c);
            if let Err(m) = checker.step_with_lanes(&control, &lanes, &out) {
                errors.push(m.to_string());
            }
            x = sim.wait(5, x)?; // rising edge at the end of cycle k
            k += 1;
        }
        let results = checker.counts().results;
        let mut r = rep.lock().unwrap();
        r.cycles = k;
        r.results = results;
        r.errors = errors;
        sim.done(x)
    });
    let outcome = sim.run(Box::new(T::make(variant)), 10 * (n + 2 * CONTEXTS + 100));
    let mut r = std::mem::take(&mut *report.lock().unwrap());
    if let Err(e) = outcome {
        r.errors.push(format!("simulation error: {e:?}"));
    }
    println!(
        "{} lanes {variant:?}: {} cycles, {} results, {} errors",
        T::N,
        r.cycles,
        r.results,
        r.errors.len()
    );
    for e in r.errors.iter().take(5) {
        println!("    {e}");
    }
    r
}

// ---------------------------------------------------------------- stimulus

fn ctrl_op(rng: &mut fastrand::Rng) -> u64 {
    match rng.u32(0..20) {
        0..=3 => OP_LOAD,
        4..=7 => OP_ACCUM,
        8..=12 => OP_READ,
        13..=15 => OP_SWAP,
        16..=18 => OP_SWAP_KEEP,
        _ => rng.u64(5..8), // reserved: no state change, no result
    }
}

/// Random cycles: a few hot addresses shared by the control port and every
/// lane, idle gaps, and a reset in the middle.
fn random(lanes: usize, count: usize, seed: u64) -> Vec<Cycle> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let hot: Vec<u64> = (0..3).map(|_| rng.u64(0..CONTEXTS)).collect();
    let pick = |rng: &mut fastrand::Rng| {
        if rng.u32(0..10) < 7 {
            hot[rng.usize(0..hot.len())]
        } else {
            rng.u64(0..CONTEXTS)
        }
    };
    let mut v = vec![Cycle {
        reset: true,
        ..Cycle::default()
    }];
    v.extend((0..CONTEXTS).map(|_| Cycle::default())); // the clearing sweep
    for i in 0..count {
        let r = rng.u32(0..1000);
        let mut c = Cycle::default();
        if r < 80 {
            v.push(c); // idle gap
            continue;
        }
        c.reset = r < 82 && i > count / 3 && i < 2 * count / 3;
        if rng.u32(0..10) < 8 {
            c.ctrl = Some((ctrl_op(&mut rng), pick(&mut rng), rng.u64(..)));
        }
        c.lanes = (0..lanes)
            .map(|_| (rng.u32(0..10) < 8).then(|| (pick(&mut rng), rng.u64(..))))
            .collect();
        v.push(c);
    }
    v
}

/// Every lane ACCUMs one hot address; `dist` cycles later a control op
/// `op` hits it (its lanes too); `dist` cycles after that a READ, then a
/// READ from the memories once everything has been written back. Covers
/// LOAD / SWAP / SWAP_KEEP racing lane ACCUMs at every forwarding distance.
fn races(lanes: usize, seed: u64) -> Vec<Cycle> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let h = rng.u64(0..CONTEXTS);
    let all =
        |rng: &mut fastrand::Rng, a: u64| (0..lanes).map(|_| Some((a, rng.u64(..)))).collect();
    let mut v = vec![Cycle {
        reset: true,
        ..Cycle::default()
    }];
    v.extend((0..CONTEXTS).map(|_| Cycle::default()));
    for op in [OP_LOAD, OP_SWAP, OP_SWAP_KEEP, OP_ACCUM, OP_READ] {
        for dist in 0..=LANE_LATENCY + 1 {
            // lanes first, alone
            v.push(Cycle {
                lanes: all(&mut rng, h),
                ..Cycle::default()
            });
            v.extend((1..dist).map(|_| Cycle::default()));
            // the control op, with every lane on the same address in the same cycle
            v.push(Cycle {
                ctrl: Some((op, h, rng.u64(..))),
                lanes: all(&mut rng, h),
                ..Cycle::default()
            });
            v.extend((1..dist).map(|_| Cycle::default()));
            v.push(Cycle {
                ctrl: Some((OP_READ, h, 0)),
                lanes: all(&mut rng, h),
                ..Cycle::default()
            });
            // a single lane, `dist` cycles before a READ
            let one = rng.usize(0..lanes);
            let mut lane_only = vec![None; lanes];
            lane_only[one] = Some((h, rng.u64(..)));
            v.push(Cycle {
                lanes: lane_only,
                ..Cycle::default()
            });
            v.extend((1..dist).map(|_| Cycle::default()));
            v.push(Cycle {
                ctrl: Some((OP_READ, h, 0)),
                ..Cycle::default()
            });
            v.extend((0..LANE_LATENCY + 2).map(|_| Cycle::default()));
            v.push(Cycle {
                ctrl: Some((OP_READ, h, 0)),
                ..Cycle::default()
            });
        }
    }
    v
}

// ---------------------------------------------------------------- tests

const OK: LaneVariant = LaneVariant::Correct;
const MUTANT: LaneVariant = LaneVariant::LoadForgetsLanes;

#[test]
fn races_3_lanes() {
    let r = run::<AtomikLaneTable3>(OK, races(3, 1));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert!(r.results > 100);
}

#[test]
fn random_3_lanes() {
    let r = run::<AtomikLaneTable3>(OK, random(3, 6000, 2));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn random_2_lanes() {
    let r = run::<AtomikLaneTable2>(OK, random(2, 3000, 3));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn races_and_random_16_lanes() {
    let r = run::<AtomikLaneTable16>(OK, races(16, 4));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let r = run::<AtomikLaneTable16>(OK, random(16, 3000, 5));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

/// The committed mutant (LOAD/SWAP forget the lane banks) must be caught by
/// both the directed races and the random stimulus.
#[test]
fn mutant_load_forgets_lanes_fails() {
    let r = run::<AtomikLaneTable3>(MUTANT, races(3, 1));
    assert!(!r.errors.is_empty(), "races did not catch the mutant");
    let r = run::<AtomikLaneTable3>(MUTANT, random(3, 3000, 2));
    assert!(
        !r.errors.is_empty(),
        "random stimulus did not catch the mutant"
    );
}
