//! rust-hdl's native simulation of `atomik_state_table`, checked every cycle
//! by the hdl crate's timing-contract checker ([`atomik_hdl::contract`], the
//! same one the Verilator co-simulation uses) against the core crate's
//! `Table`: `ready`, `result_valid` exactly LATENCY cycles after each
//! READ/SWAP/SWAP_KEEP, `result` and `result_clean`. Mutants with forwarding
//! removed must fail.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use atomik_hdl::contract::{Checker, Cycle, Inputs, Outputs, junk, width_mask};
use atomik_hdl::{AtomikStateTable, Forwarding};
use common::{OP_ACCUM, OP_LOAD, OP_READ, OP_SWAP, OP_SWAP_KEEP};
use rust_hdl::prelude::*;

// ---------------------------------------------------------------- stimulus

#[derive(Clone, Copy, Debug)]
enum Cmd {
    /// op_valid = 0 for one cycle (op/addr/data driven with junk)
    Idle,
    /// reset = 1 for one cycle
    Reset,
    /// Hold op_valid = 1 until the op is accepted. `expect` = hand-computed
    /// (result, result_clean), cross-checked against the model.
    Op {
        op: u64,
        addr: u64,
        data: u64,
        expect: Option<(u64, bool)>,
    },
}

impl Cmd {
    /// What is driven while this command is presented.
    fn cycle(self) -> Cycle {
        match self {
            Cmd::Idle => Cycle::Idle,
            Cmd::Reset => Cycle::Reset,
            // Addresses are reduced by the contract's input rule; the op
            // field is 3 bits wide.
            Cmd::Op { op, addr, data, .. } => Cycle::Op {
                op: u8::try_from(op).expect("3-bit opcode"),
                addr: u32::try_from(addr).expect("address fits 32 bits"),
                data,
            },
        }
    }
}

fn op(op: u64, addr: u64, data: u64) -> Cmd {
    Cmd::Op {
        op,
        addr,
        data,
        expect: None,
    }
}
fn op_expect(op: u64, addr: u64, data: u64, result: u64, clean: bool) -> Cmd {
    Cmd::Op {
        op,
        addr,
        data,
        expect: Some((result, clean)),
    }
}

// ---------------------------------------------------------------- harness

#[derive(Default, Debug)]
struct Report {
    cycles: u64,
    accepted: u64,
    results: u64,
    /// The first mismatch with the contract (the run stops there: after it
    /// the hardware and the model no longer share a state), or a test vector
    /// whose hand-computed result disagrees with the model.
    errors: Vec<String>,
    seconds: f64,
}

const ALL: Forwarding = Forwarding::ALL;
const NONE: Forwarding = Forwarding::NONE;

/// Drives `inputs` onto the table's ports.
fn drive<const A: usize, const W: usize>(x: &mut AtomikStateTable<A, W>, i: Inputs) {
    x.reset.next = i.reset;
    x.op_valid.next = i.op_valid;
    x.op.next = u64::from(i.op).to_bits();
    x.addr.next = u64::from(i.addr).to_bits();
    x.data_in.next = i.data_in.to_bits();
}

/// What the table shows (sampled at the falling edge, when the inputs have
/// settled: `ready` is what the rising edge samples).
fn sample<const A: usize, const W: usize>(x: &AtomikStateTable<A, W>) -> Outputs {
    Outputs {
        ready: x.ready.val(),
        result_valid: x.result_valid.val(),
        result: x.result.val().to_u64(),
        result_clean: x.result_clean.val(),
    }
}

/// Checks one cycle driven with `cmd`; returns whether the command is done
/// (an op is held until accepted).
fn check_cycle(checker: &mut Checker, cmd: Cmd, out: &Outputs) -> Result<bool, String> {
    let edge = checker.step(&cmd.cycle(), out).map_err(|m| m.to_string())?;
    match cmd {
        Cmd::Op { expect, .. } if edge.accepted => {
            let model = edge.result.map(|e| (e.value, e.clean));
            if expect.is_some() && model != expect {
                return Err(format!(
                    "{}: model gives {model:x?}, test expects {expect:x?}",
                    cmd.cycle()
                ));
            }
            Ok(true)
        }
        Cmd::Op { .. } => Ok(false),
        Cmd::Idle | Cmd::Reset => Ok(true),
    }
}

/// The testbench: every cycle, drive the current command (junk on the
/// inputs that carry no meaning), sample the outputs at the falling edge
/// and check them, until every command ran and every result arrived.
fn testbench<const A: usize, const W: usize>(
    mut sim: Sim<AtomikStateTable<A, W>>,
    cmds: &[Cmd],
    report: &Mutex<Report>,
) -> Result<(), SimError> {
    let mut x = sim.init()?;
    let (contexts, width) = (1usize << A, u32::try_from(W).expect("a supported width"));
    let mut checker = Checker::new(contexts, width);
    let mut error = None;
    let mut i = 0usize;
    wait_clock_true!(sim, clock, x);
    // cycle k starts right after a rising edge
    while (i < cmds.len() || checker.in_flight() > 0) && error.is_none() {
        let k = checker.counts().cycles;
        let cmd = cmds.get(i).copied().unwrap_or(Cmd::Idle);
        drive(&mut x, cmd.cycle().inputs(contexts, width, junk(k)));
        wait_clock_false!(sim, clock, x);
        match check_cycle(&mut checker, cmd, &sample(&x)) {
            Ok(done) => i += usize::from(done),
            Err(e) => error = Some(format!("cmd {i}: {e}")),
        }
        wait_clock_true!(sim, clock, x);
    }
    let c = checker.counts();
    *report.lock().unwrap() = Report {
        cycles: c.cycles,
        accepted: c.ops,
        results: c.results,
        errors: error.into_iter().collect(),
        seconds: 0.0,
    };
    sim.done(x)
}

/// Simulate `cmds` on AtomikStateTable<A, W> (forwarding on/off), checking every
/// cycle against the contract.
fn run<const A: usize, const W: usize>(fwd: Forwarding, cmds: Vec<Cmd>) -> Report {
    let report = Arc::new(Mutex::new(Report::default()));
    let rep = report.clone();
    let max_time = 10 * (4 * cmds.len() as u64 + 100_000);
    let mut sim = Simulation::<AtomikStateTable<A, W>>::new();
    // 10 ps clock period (time unit of the simulator is 1 ps)
    sim.add_clock(5, |x: &mut Box<AtomikStateTable<A, W>>| {
        x.clock.next = !x.clock.val()
    });
    sim.add_testbench(move |sim| testbench(sim, &cmds, &rep));
    let t0 = Instant::now();
    let outcome = sim.run(Box::new(AtomikStateTable::<A, W>::new(fwd)), max_time);
    let mut r = std::mem::take(&mut *report.lock().unwrap());
    r.seconds = t0.elapsed().as_secs_f64();
    if let Err(e) = outcome {
        r.errors.push(format!("simulation error: {e:?}"));
    }
    println!(
        "A={A} W={W} {fwd:?}: {} cycles, {} ops accepted, {} results, {:.2} s, {:.0} cycles/s, {} errors",
        r.cycles,
        r.accepted,
        r.results,
        r.seconds,
        r.cycles as f64 / r.seconds,
        r.errors.len()
    );
    for e in &r.errors {
        println!("    {e}");
    }
    r
}

// ---------------------------------------------------------------- vectors

fn directed(n: u64, mask: u64) -> Vec<Cmd> {
    let last = n - 1;
    let big = 0xDEAD_BEEF_CAFE_BABE & mask;
    let mut v = vec![Cmd::Reset, Cmd::Reset];
    // untouched contexts read as 0 / clean
    v.push(op_expect(OP_READ, 0, 0, 0, true));
    v.push(op_expect(OP_READ, last, 0, 0, true));
    // LOAD / ACCUM / READ back to back on address 0
    v.push(op(OP_LOAD, 0, 0xDEAD_BEEF_CAFE_BABE));
    v.push(op(OP_ACCUM, 0, 0xFF));
    v.push(op_expect(OP_READ, 0, 0, big ^ 0xFF, false));
    // the same on the last address with 0..6 idle cycles between the ops:
    // exercises forwarding from W (gap 0), W via pre-merge (1), W2 (2) and the BRAM (3+)
    for gap in 0..7u32 {
        let d = (0x0123_4567_89AB_CDEF_u64.rotate_left(gap * 8)) & mask;
        v.push(op(OP_LOAD, last, d));
        v.extend(std::iter::repeat_n(Cmd::Idle, gap as usize));
        v.push(op(OP_ACCUM, last, 0x55));
        v.extend(std::iter::repeat_n(Cmd::Idle, gap as usize));
        v.push(op_expect(OP_READ, last, 0, d ^ 0x55, false));
        v.extend(std::iter::repeat_n(Cmd::Idle, gap as usize));
        v.push(op(OP_ACCUM, last, 0x55)); // acc back to 0
        v.extend(std::iter::repeat_n(Cmd::Idle, gap as usize));
        v.push(op_expect(OP_READ, last, 0, d, true));
    }
    // SWAP returns the old value and installs a new reference with acc = 0
    v.push(op(OP_ACCUM, 0, 0x0F00));
    v.push(op_expect(OP_SWAP, 0, 0x1111, big ^ 0xFF ^ 0x0F00, false));
    v.push(op_expect(OP_READ, 0, 0, 0x1111, true));
    // SWAP_KEEP folds acc into ref
    v.push(op(OP_ACCUM, 0, 0x3));
    v.push(op_expect(OP_SWAP_KEEP, 0, 0xFFFF, 0x1112, false));
    v.push(op_expect(OP_READ, 0, 0, 0x1112, true));
    // reserved opcodes: no result, no state change
    for r in 5..8 {
        v.push(op(r, 0, 0xABCD));
    }
    v.push(op_expect(OP_READ, 0, 0, 0x1112, true));
    // reset in the middle of a stream: results of ops in flight are dropped
    v.push(op(OP_LOAD, 1, 0x77));
    v.push(op(OP_READ, 1, 0));
    v.push(op(OP_READ, 0, 0));
    v.push(Cmd::Reset);
    v.push(op_expect(OP_READ, 1, 0, 0, true)); // waits out the clearing sweep
    v.push(op_expect(OP_READ, 0, 0, 0, true));
    v.push(op_expect(OP_READ, last, 0, 0, true));
    v
}

fn random(n: u64, count: usize, seed: u64) -> Vec<Cmd> {
    let mut rng = fastrand::Rng::with_seed(seed);
    // A few hot addresses force back-to-back hazards on every forwarding path.
    let hot: Vec<u64> = (0..4).map(|_| rng.u64(0..n)).collect();
    let mut v = vec![Cmd::Reset];
    for i in 0..count {
        match rng.u32(0..100) {
            0..=11 => v.push(Cmd::Idle),
            12 if i > count / 3 && i < 2 * count / 3 => v.push(Cmd::Reset), // ~1 mid-run reset
            _ => {
                let addr = if rng.u32(0..10) < 6 {
                    hot[rng.usize(0..4)]
                } else {
                    rng.u64(0..n)
                };
                let code = match rng.u32(0..20) {
                    0..=3 => OP_LOAD,
                    4..=9 => OP_ACCUM,
                    10..=13 => OP_READ,
                    14..=15 => OP_SWAP,
                    16..=17 => OP_SWAP_KEEP,
                    _ => rng.u64(5..8),
                };
                v.push(op(code, addr, rng.u64(..)));
            }
        }
    }
    v
}

// ---------------------------------------------------------------- tests

#[test]
fn directed_256x64() {
    let r = run::<8, 64>(ALL, directed(256, width_mask(64)));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn directed_16x32() {
    let r = run::<4, 32>(ALL, directed(16, width_mask(32)));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn random_256x64() {
    let r = run::<8, 64>(ALL, random(256, 5000, 1));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn random_16x32() {
    let r = run::<4, 32>(ALL, random(16, 5000, 2));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

/// Asserts that the directed vectors and `random_ops` random ones (from
/// `seed`) both catch the mutant `fwd`.
fn assert_caught(fwd: Forwarding, random_ops: usize, seed: u64) {
    let d = run::<8, 64>(fwd, directed(256, width_mask(64)));
    assert!(
        !d.errors.is_empty(),
        "directed vectors did not catch mutant {fwd:?}"
    );
    let r = run::<8, 64>(fwd, random(256, random_ops, seed));
    assert!(
        !r.errors.is_empty(),
        "random vectors did not catch mutant {fwd:?}"
    );
}

/// The mutant (forwarding disabled) must be caught by both suites.
#[test]
fn mutant_without_forwarding_fails() {
    assert_caught(NONE, 5000, 1);
}

/// Each forwarding path on its own is needed: removing any one is caught.
#[test]
fn single_path_mutants_fail() {
    for fwd in [
        Forwarding {
            w_to_e: false,
            ..ALL
        },
        Forwarding {
            w_to_s1: false,
            ..ALL
        },
        Forwarding {
            w2_to_s1: false,
            ..ALL
        },
    ] {
        assert_caught(fwd, 2000, 3);
    }
}
