//! rust-hdl's native simulation of `atomik_state_table`, checked every cycle
//! against the core crate's `Table` (the reference model): `ready`,
//! `result_valid` exactly LATENCY cycles after each READ/SWAP/SWAP_KEEP,
//! `result` and `result_clean`. Mutants with forwarding removed must fail.
#![allow(clippy::cast_possible_truncation)] // stimulus values are masked to the width

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use atomik::{Opcode, Table};
use atomik_hdl::{AtomikStateTable, Forwarding, LATENCY};
use rust_hdl::prelude::*;

const OP_LOAD: u64 = Opcode::Load as u64;
const OP_ACCUM: u64 = Opcode::Accum as u64;
const OP_READ: u64 = Opcode::Read as u64;
const OP_SWAP: u64 = Opcode::Swap as u64;
const OP_SWAP_KEEP: u64 = Opcode::SwapKeep as u64;

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

// ---------------------------------------------------------------- reference model

/// The core `Table` plus what the contract says about timing.
struct Model {
    n: usize,
    mask: u64,
    table: Table<u64>,
    /// cycles of `ready` low still expected after the last reset cycle
    busy: usize,
    /// (cycle in which result_valid must be high, result, result_clean)
    pending: VecDeque<(u64, u64, bool)>,
}

impl Model {
    fn new(n: usize, w: usize) -> Self {
        let mask = if w == 64 { !0 } else { (1u64 << w) - 1 };
        Model {
            n,
            mask,
            table: Table::new(n).expect("non-empty"),
            busy: 0,
            pending: VecDeque::new(),
        }
    }
    fn reset(&mut self) {
        self.table = Table::new(self.n).expect("non-empty");
        self.pending.clear(); // in-flight results are flushed
        self.busy = self.n; // clearing sweep
    }
    /// Executes one accepted op; returns (result, result_clean) for the
    /// result-producing ops. Reserved opcodes change nothing.
    fn exec(&mut self, op: u64, addr: u64, data: u64) -> Option<(u64, bool)> {
        let op = Opcode::from_bits(op as u8)?;
        let out = self
            .table
            .execute(op, addr as usize, data & self.mask)
            .expect("address in range")?;
        Some((out.value, out.clean && op.reports_clean()))
    }
}

// ---------------------------------------------------------------- harness

#[derive(Default, Debug)]
struct Report {
    cycles: u64,
    accepted: u64,
    results: u64,
    errors: Vec<String>,
    seconds: f64,
}

const MAX_ERRORS: usize = 10;
const ALL: Forwarding = Forwarding::ALL;
const NONE: Forwarding = Forwarding::NONE;

/// Simulate `cmds` on AtomikStateTable<A, W> (forwarding on/off), checking every
/// cycle against the model: ready, result_valid, result, result_clean.
fn run<const A: usize, const W: usize>(
    fwd: Forwarding,
    cmds: Vec<Cmd>,
    vcd: Option<&str>,
) -> Report {
    let report = Arc::new(Mutex::new(Report::default()));
    let rep = report.clone();
    let n_cmds = cmds.len() as u64;
    let mut sim = Simulation::<AtomikStateTable<A, W>>::new();
    // 10 ps clock period (time unit of the simulator is 1 ps)
    sim.add_clock(5, |x: &mut Box<AtomikStateTable<A, W>>| {
        x.clock.next = !x.clock.val()
    });
    sim.add_testbench(move |mut sim: Sim<AtomikStateTable<A, W>>| {
        let mut x = sim.init()?;
        let mut model = Model::new(1 << A, W);
        let mut junk = fastrand::Rng::with_seed(99);
        let mut errors = vec![];
        let (mut k, mut accepted, mut results) = (0u64, 0u64, 0u64);
        let mut i = 0usize;
        wait_clock_true!(sim, clock, x);
        // cycle k starts right after a rising edge
        while (i < cmds.len() || !model.pending.is_empty()) && errors.len() < MAX_ERRORS {
            // 1. outputs during cycle k
            let due = model.pending.front().is_some_and(|p| p.0 == k);
            if due {
                let (_, res, clean) = model.pending.pop_front().unwrap();
                results += 1;
                if !x.result_valid.val() {
                    errors.push(format!(
                        "cycle {k}: result_valid missing (expected {res:#x})"
                    ));
                } else if x.result.val().to_u64() != res || x.result_clean.val() != clean {
                    errors.push(format!(
                        "cycle {k}: result {:#x} clean {} / expected {res:#x} clean {clean}",
                        x.result.val().to_u64(),
                        x.result_clean.val()
                    ));
                }
            } else if x.result_valid.val() {
                errors.push(format!("cycle {k}: unexpected result_valid"));
            }
            // 2. drive inputs for cycle k
            let cmd = cmds.get(i).copied().unwrap_or(Cmd::Idle);
            x.reset.next = matches!(cmd, Cmd::Reset);
            x.op_valid.next = matches!(cmd, Cmd::Op { .. });
            // Bits<N>::from(u64) panics if the value does not fit: mask to width.
            let amask = (1u64 << A) - 1;
            // Inputs while op_valid is low are junk: the table must ignore them.
            x.op.next = junk.u64(0..8).to_bits();
            x.addr.next = (junk.u64(..) & amask).to_bits();
            x.data_in.next = (junk.u64(..) & model.mask).to_bits();
            if let Cmd::Op { op, addr, data, .. } = cmd {
                x.op.next = op.to_bits();
                x.addr.next = (addr & amask).to_bits();
                x.data_in.next = (data & model.mask).to_bits();
            }
            // 3. falling edge: inputs have settled, `ready` is what the rising edge samples
            wait_clock_false!(sim, clock, x);
            let ready = x.ready.val();
            let model_ready = !matches!(cmd, Cmd::Reset) && model.busy == 0;
            if ready != model_ready {
                errors.push(format!("cycle {k}: ready {ready}, expected {model_ready}"));
            }
            // 4. what the rising edge at the end of cycle k does
            match cmd {
                Cmd::Reset => {
                    model.reset();
                    i += 1;
                }
                Cmd::Idle => {
                    i += 1;
                }
                Cmd::Op {
                    op,
                    addr,
                    data,
                    expect,
                } => {
                    if ready {
                        accepted += 1;
                        let r = model.exec(op, addr, data);
                        if expect.is_some() && r != expect {
                            errors.push(format!(
                                "cmd {i}: model gives {r:x?}, test expects {expect:x?}"
                            ));
                        }
                        if let Some((res, clean)) = r {
                            model.pending.push_back((k + LATENCY as u64, res, clean));
                        }
                        i += 1;
                    }
                }
            }
            if !matches!(cmd, Cmd::Reset) && model.busy > 0 {
                model.busy -= 1;
            }
            wait_clock_true!(sim, clock, x);
            k += 1;
        }
        let mut r = rep.lock().unwrap();
        r.cycles = k;
        r.accepted = accepted;
        r.results = results;
        r.errors = errors;
        sim.done(x)
    });
    let uut = AtomikStateTable::<A, W>::new(fwd);
    let max_time = 10 * (4 * n_cmds + 100_000);
    let t0 = Instant::now();
    let outcome = match vcd {
        Some(path) => sim.run_to_file(Box::new(uut), max_time, path),
        None => sim.run(Box::new(uut), max_time),
    };
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
    for e in r.errors.iter().take(5) {
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
    for gap in 0..7u64 {
        let d = (0x0123_4567_89AB_CDEF_u64.rotate_left(gap as u32 * 8)) & mask;
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
    let r = run::<8, 64>(ALL, directed(256, !0), None);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn directed_16x32() {
    let r = run::<4, 32>(ALL, directed(16, 0xFFFF_FFFF), None);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn random_256x64() {
    let r = run::<8, 64>(ALL, random(256, 5000, 1), None);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn random_16x32() {
    let r = run::<4, 32>(ALL, random(16, 5000, 2), None);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

/// The mutant (forwarding disabled) must be caught by both suites.
#[test]
fn mutant_without_forwarding_fails() {
    let d = run::<8, 64>(NONE, directed(256, !0), None);
    assert!(
        !d.errors.is_empty(),
        "directed vectors did not catch the mutant"
    );
    let r = run::<8, 64>(NONE, random(256, 5000, 1), None);
    assert!(
        !r.errors.is_empty(),
        "random vectors did not catch the mutant"
    );
}

/// Each forwarding path on its own is needed: removing any one is caught.
#[test]
fn single_path_mutants_fail() {
    for fwd in [
        Forwarding { h1: false, ..ALL },
        Forwarding { h2: false, ..ALL },
        Forwarding { h3: false, ..ALL },
    ] {
        let d = run::<8, 64>(fwd, directed(256, !0), None);
        assert!(
            !d.errors.is_empty(),
            "directed vectors did not catch mutant {fwd:?}"
        );
        let r = run::<8, 64>(fwd, random(256, 2000, 3), None);
        assert!(
            !r.errors.is_empty(),
            "random vectors did not catch mutant {fwd:?}"
        );
    }
}
