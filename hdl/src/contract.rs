//! The timing contract of `atomik_state_table`, in executable form.
//!
//! [`Checker`] is the core crate's `Table` advanced one clock cycle at a
//! time next to the hardware, checking every output the contract pins down:
//! `ready` (low only while `reset` is high and during the clearing sweep
//! after it), `result_valid` exactly [`LATENCY`](crate::LATENCY) cycles after
//! each accepted READ/SWAP/SWAP_KEEP and at no other time, `result` and
//! `result_clean`. Both simulators drive this one checker: rust-hdl's native
//! simulation (`hdl/tests/sim.rs`) and the Verilator co-simulation
//! (`atomik-sim`), so the contract is written down once.
//!
//! The vocabulary is shared too: a [`Cycle`] is what a testbench drives in
//! one clock cycle, [`Cycle::inputs`] the port values that stand for it, and
//! [`Outputs`] what the table showed during that cycle.
//!
//! ```
//! use atomik::Opcode;
//! use atomik_hdl::contract::{Checker, Cycle, Outputs};
//!
//! let mut checker = Checker::new(16, 32);
//! let idle = Outputs { ready: true, ..Outputs::default() };
//! checker.step(&Cycle::op(Opcode::Load, 3, 0xAB), &idle).unwrap();
//! let read = checker.step(&Cycle::op(Opcode::Read, 3, 0), &idle).unwrap();
//! assert_eq!(read.result.map(|e| e.value), Some(0xAB));
//! ```
// Port values are bit fields sliced out of junk words, masked to their width
// first: the truncating casts are the point.
#![allow(clippy::cast_possible_truncation)]

use std::collections::VecDeque;
use std::fmt;

use atomik::{Opcode, Table};

/// The mask of a `width`-bit context word: the rule for every data value
/// driven into or expected from a table of that width.
#[inline]
pub const fn width_mask(width: u32) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    }
}

/// What a testbench drives during one clock cycle.
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

/// The input port values of one cycle, already reduced to the table's
/// address and data widths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inputs {
    /// `reset`.
    pub reset: bool,
    /// `op_valid`.
    pub op_valid: bool,
    /// `op` (3 bits).
    pub op: u8,
    /// `addr`, below the number of contexts.
    pub addr: u32,
    /// `data_in`, masked to the width.
    pub data_in: u64,
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

    /// The port values for this cycle on a table of `contexts` (a power of
    /// two) × `width` bits. `junk` (see [`junk`]) fills the inputs that carry
    /// no meaning (everything but `reset` and `op_valid` on idle and reset
    /// cycles); half the reset cycles also raise `op_valid`, which `ready`
    /// low must make harmless.
    #[inline]
    pub fn inputs(&self, contexts: usize, width: u32, junk: u64) -> Inputs {
        let amask = contexts as u64 - 1;
        let dmask = width_mask(width);
        // Bits of junk: [0..3) op, [3..) address, all of it rotated for data.
        let junk_inputs = |reset, op_valid| Inputs {
            reset,
            op_valid,
            op: (junk & 7) as u8,
            addr: ((junk >> 3) & amask) as u32,
            data_in: junk.rotate_left(17) & dmask,
        };
        match *self {
            Cycle::Idle => junk_inputs(false, false),
            Cycle::Reset => junk_inputs(true, junk >> 63 == 1),
            Cycle::Op { op, addr, data } => Inputs {
                reset: false,
                op_valid: true,
                op: op & 7,
                addr: (u64::from(addr) & amask) as u32,
                data_in: data & dmask,
            },
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
#[inline]
pub fn junk(cycle: u64) -> u64 {
    // SplitMix64's output function.
    let mut z = cycle.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The outputs the table showed during one cycle (before its closing rising
/// edge).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outputs {
    /// `ready`.
    pub ready: bool,
    /// `result_valid`.
    pub result_valid: bool,
    /// `result`.
    pub result: u64,
    /// `result_clean`.
    pub result_clean: bool,
}

/// A result the model predicts, and where it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    /// The op that produces it.
    pub op: Opcode,
    /// Its context address.
    pub addr: u32,
    /// The cycle in which it was accepted.
    pub accepted_at: u64,
    /// The cycle in which `result_valid` must be high.
    pub due: u64,
    /// The expected `result`.
    pub value: u64,
    /// The expected `result_clean`.
    pub clean: bool,
}

/// How the hardware disagreed with the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MismatchKind {
    /// `ready` differs from the contract (low only during reset and the sweep).
    Ready {
        /// What the contract says.
        expected: bool,
    },
    /// A result was due and `result_valid` stayed low.
    MissingResult(Expected),
    /// `result_valid` was high with no result due.
    UnexpectedResult {
        /// The `result` port.
        value: u64,
        /// The `result_clean` port.
        clean: bool,
    },
    /// `atomik_axis`: `s_axis_tready` differs from the contract (the
    /// table ready and fewer results owed than the FIFO holds).
    TReady {
        /// What the contract says.
        expected: bool,
        /// Results owed (in the FIFO or the table) before the cycle's edge.
        owed: usize,
    },
    /// `atomik_axis` offered a different result beat than its FIFO model
    /// holds (`None`: `m_axis_tvalid` low / the FIFO empty).
    ResultBeat {
        /// The FIFO head the model predicts.
        expected: Option<u128>,
        /// What `m_axis_tvalid` / `m_axis_tdata` showed.
        actual: Option<u128>,
    },
    /// The result arrived on time with the wrong value or clean flag.
    WrongResult {
        /// What the model predicts.
        expected: Expected,
        /// The `result` port.
        value: u64,
        /// The `result_clean` port.
        clean: bool,
    },
}

/// One disagreement between the hardware and the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Cycle (from the start of the run) in which it was observed.
    pub cycle: u64,
    /// What went wrong.
    pub kind: MismatchKind,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.cycle;
        match self.kind {
            MismatchKind::Ready { expected } => write!(
                f,
                "cycle {c}: ready is {}, expected {}",
                u8::from(!expected),
                u8::from(expected)
            ),
            MismatchKind::MissingResult(e) => write!(
                f,
                "cycle {c}: no result_valid for {} [{}] accepted in cycle {} (expected {:#x}, clean {})",
                e.op, e.addr, e.accepted_at, e.value, e.clean
            ),
            MismatchKind::UnexpectedResult { value, clean } => write!(
                f,
                "cycle {c}: result_valid with no result due (result {value:#x}, clean {clean})"
            ),
            MismatchKind::TReady { expected, owed } => write!(
                f,
                "cycle {c}: s_axis_tready is {}, expected {} ({owed} results owed)",
                u8::from(!expected),
                u8::from(expected)
            ),
            MismatchKind::ResultBeat { expected, actual } => {
                let beat = |b: Option<u128>| {
                    b.map_or("none (tvalid low)".into(), |b| format!("{b:#034x}"))
                };
                write!(
                    f,
                    "cycle {c}: result beat {}, expected {}",
                    beat(actual),
                    beat(expected)
                )
            }
            MismatchKind::WrongResult {
                expected: e,
                value,
                clean,
            } => write!(
                f,
                "cycle {c}: {} [{}] accepted in cycle {}: expected {:#x} clean {}, hardware gave {:#x} clean {}",
                e.op, e.addr, e.accepted_at, e.value, e.clean, value, clean
            ),
        }
    }
}

/// Counters of a checked run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Cycles checked.
    pub cycles: u64,
    /// Ops accepted (`op_valid && ready`), reserved opcodes and lane ACCUMs
    /// included.
    pub ops: u64,
    /// Results compared (value, clean flag and arrival cycle).
    pub results: u64,
    /// Reset cycles.
    pub resets: u64,
}

/// What the rising edge at the end of a checked cycle did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    /// The cycle's op (if any) was accepted: `op_valid && ready`.
    pub accepted: bool,
    /// The result the accepted op will produce, due [`LATENCY`](crate::LATENCY)
    /// cycles later.
    pub result: Option<Expected>,
}

/// One ACCUM on an ACCUM-only lane of a multi-lane table: it takes effect in
/// the same rising edge as the control op, after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaneAccum {
    /// Context address (reduced modulo the number of contexts).
    pub addr: u32,
    /// The delta (masked to the width).
    pub delta: u64,
}

/// The reference model with the timing contract.
#[derive(Debug)]
pub struct Checker {
    contexts: usize,
    /// `contexts - 1`: every design has a power-of-two number of contexts,
    /// so addresses reduce with a mask rather than a division.
    addr_mask: u32,
    mask: u64,
    /// Cycles from acceptance to `result_valid`: [`LATENCY`](crate::LATENCY) for
    /// `atomik_state_table`, `LANE_LATENCY` for `atomik_lane_table`.
    latency: u64,
    table: Table<u64>,
    /// Cycles of `ready` low still due after the last reset cycle.
    busy: usize,
    pending: VecDeque<Expected>,
    counts: Counts,
}

impl Checker {
    /// A checker for a table of `contexts` × `width` bits, in the state
    /// every context has after reset.
    ///
    /// # Panics
    /// If `contexts` is not a power of two of at most 2^32.
    pub fn new(contexts: usize, width: u32) -> Self {
        Self::with_latency(contexts, width, crate::LATENCY)
    }

    /// [`new`](Self::new) for a design whose results come `latency` cycles
    /// after acceptance (`atomik_lane_table`: [`LANE_LATENCY`](crate::LANE_LATENCY)).
    ///
    /// # Panics
    /// If `contexts` is not a power of two of at most 2^32.
    pub fn with_latency(contexts: usize, width: u32, latency: usize) -> Self {
        assert!(
            contexts.is_power_of_two(),
            "contexts must be a power of two"
        );
        Checker {
            contexts,
            addr_mask: u32::try_from(contexts - 1).expect("at most 2^32 contexts"),
            mask: width_mask(width),
            latency: latency as u64,
            table: Table::new(contexts).expect("designs have contexts"),
            busy: 0,
            pending: VecDeque::new(),
            counts: Counts::default(),
        }
    }

    /// What has been checked so far.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The model's table (after the cycles checked so far).
    pub fn table(&self) -> &Table<u64> {
        &self.table
    }

    /// Results still in flight.
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Whether the contract has `ready` high during a cycle driven with
    /// `cycle`, i.e. whether an op presented in it is accepted.
    #[inline]
    pub fn ready_for(&self, cycle: &Cycle) -> bool {
        !matches!(cycle, Cycle::Reset) && self.busy == 0
    }

    /// Checks the outputs the hardware showed during one cycle driven with
    /// `cycle`, then advances the model past that cycle's rising edge.
    #[inline]
    pub fn step(&mut self, cycle: &Cycle, out: &Outputs) -> Result<Edge, Mismatch> {
        self.step_with_lanes(cycle, &[], out)
    }

    /// [`step`](Self::step) for a multi-lane table: in the rising edge the
    /// control op (`cycle`) takes effect first, then every lane ACCUM in
    /// order. Lanes are accepted exactly when the control port is ready.
    #[inline]
    pub fn step_with_lanes(
        &mut self,
        cycle: &Cycle,
        lanes: &[LaneAccum],
        out: &Outputs,
    ) -> Result<Edge, Mismatch> {
        let k = self.counts.cycles;
        self.counts.cycles += 1;
        self.check_results(k, out)?;
        let ready = self.ready_for(cycle);
        if out.ready != ready {
            return Err(Mismatch {
                cycle: k,
                kind: MismatchKind::Ready { expected: ready },
            });
        }
        let edge = self.advance(k, cycle);
        if ready {
            for lane in lanes {
                self.accum_lane(*lane);
            }
        }
        Ok(edge)
    }

    /// Advances the model past one cycle driven with `cycle` without
    /// comparing any outputs (a result due in it is consumed): what the
    /// contract predicts, for explaining a sequence after the fact.
    pub fn advance_unchecked(&mut self, cycle: &Cycle) -> Edge {
        let k = self.counts.cycles;
        self.counts.cycles += 1;
        if self.pending.front().is_some_and(|e| e.due == k) {
            self.pending.pop_front();
        }
        self.advance(k, cycle)
    }

    /// Step 1 of a cycle: exactly the results due in cycle `k` are valid.
    #[inline]
    fn check_results(&mut self, k: u64, out: &Outputs) -> Result<(), Mismatch> {
        let fail = |kind| Err(Mismatch { cycle: k, kind });
        let clean = out.result_clean;
        match self.pending.front().copied() {
            Some(e) if e.due == k => {
                self.pending.pop_front();
                self.counts.results += 1;
                if !out.result_valid {
                    return fail(MismatchKind::MissingResult(e));
                }
                if out.result != e.value || clean != e.clean {
                    return fail(MismatchKind::WrongResult {
                        expected: e,
                        value: out.result,
                        clean,
                    });
                }
                Ok(())
            }
            _ if out.result_valid => fail(MismatchKind::UnexpectedResult {
                value: out.result,
                clean,
            }),
            _ => Ok(()),
        }
    }

    /// Step 2: the rising edge that ends cycle `k`, driven with `cycle`.
    #[inline]
    fn advance(&mut self, k: u64, cycle: &Cycle) -> Edge {
        let accepted = self.ready_for(cycle);
        let mut result = None;
        match *cycle {
            Cycle::Reset => {
                self.counts.resets += 1;
                self.table = Table::new(self.contexts).expect("designs have contexts");
                self.pending.clear();
                self.busy = self.contexts;
            }
            Cycle::Op { op, addr, data } if accepted => {
                self.counts.ops += 1;
                result = self.execute(k, op, addr, data);
            }
            Cycle::Op { .. } | Cycle::Idle => {}
        }
        if !matches!(cycle, Cycle::Reset) && self.busy > 0 {
            self.busy -= 1;
        }
        Edge {
            accepted: accepted && matches!(cycle, Cycle::Op { .. }),
            result,
        }
    }

    /// One accepted control op; queues (and returns) its result, if any.
    /// Reserved opcodes (5..=7) are accepted and do nothing.
    #[inline]
    fn execute(&mut self, k: u64, op: u8, addr: u32, data: u64) -> Option<Expected> {
        let op = Opcode::from_bits(op)?;
        let a = addr & self.addr_mask;
        let o = self
            .table
            .execute(op, a as usize, data & self.mask)
            .expect("address reduced modulo the table size")?;
        let e = Expected {
            op,
            addr: a,
            accepted_at: k,
            due: k + self.latency,
            value: o.value,
            clean: o.clean && op.reports_clean(),
        };
        self.pending.push_back(e);
        Some(e)
    }

    fn accum_lane(&mut self, lane: LaneAccum) {
        self.counts.ops += 1;
        self.table
            .accum(
                (lane.addr & self.addr_mask) as usize,
                lane.delta & self.mask,
            )
            .expect("address reduced modulo the table size");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`LATENCY`](crate::LATENCY) in cycle-counter units.
    const LATENCY: u64 = crate::LATENCY as u64;

    const READY: Outputs = Outputs {
        ready: true,
        result_valid: false,
        result: 0,
        result_clean: false,
    };

    #[test]
    fn width_masks() {
        assert_eq!(width_mask(8), 0xFF);
        assert_eq!(width_mask(32), 0xFFFF_FFFF);
        assert_eq!(width_mask(64), u64::MAX);
    }

    #[test]
    fn inputs_reduce_the_address_and_mask_the_data() {
        let i = Cycle::op(Opcode::Load, 17, u64::MAX).inputs(16, 32, junk(0));
        assert_eq!((i.op_valid, i.addr, i.data_in), (true, 1, 0xFFFF_FFFF));
        let idle = Cycle::Idle.inputs(16, 8, u64::MAX);
        assert!(!idle.op_valid && !idle.reset && idle.addr < 16 && idle.data_in <= 0xFF);
    }

    /// The hook for multi-lane tables: the control op first, then the lanes.
    #[test]
    fn lanes_accumulate_after_the_control_op() {
        let mut c = Checker::new(16, 64);
        let lanes = [
            LaneAccum {
                addr: 3,
                delta: 0x0F,
            },
            LaneAccum {
                addr: 19,
                delta: 0xF0,
            }, // 19 mod 16 = 3
        ];
        let load = Cycle::op(Opcode::Load, 3, 0xAB00);
        assert!(c.step_with_lanes(&load, &lanes, &READY).unwrap().accepted);
        let read = c.step(&Cycle::op(Opcode::Read, 3, 0), &READY).unwrap();
        assert_eq!(read.result.map(|e| e.value), Some(0xABFF));
        assert_eq!(c.counts().ops, 4);
    }

    #[test]
    fn a_late_result_is_a_mismatch() {
        let mut c = Checker::new(16, 64);
        c.step(&Cycle::op(Opcode::Read, 0, 0), &READY).unwrap();
        for _ in 1..LATENCY {
            c.step(&Cycle::Idle, &READY).unwrap();
        }
        let m = c.step(&Cycle::Idle, &READY).unwrap_err();
        assert_eq!(m.cycle, LATENCY);
        assert!(matches!(m.kind, MismatchKind::MissingResult(_)));
    }
}
