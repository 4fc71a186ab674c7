//! The lockstep checker: the core crate's `Table` plus the timing contract
//! of DESIGN.md §3, advanced one clock cycle at a time next to the hardware.

use std::collections::VecDeque;
use std::fmt;

use atomik::{Opcode, Table};

use crate::stimulus::Cycle;
use crate::verilated::{Design, PortsOut};

/// Cycles from acceptance to `result_valid` (from the hdl crate, not copied).
pub const LATENCY: u64 = LATENCY_CYCLES as u64;

/// [`LATENCY`] as a `usize`, for sizing cycle sequences.
pub const LATENCY_CYCLES: usize = atomik_hdl::LATENCY;

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
            MismatchKind::Ready { expected } => {
                write!(
                    f,
                    "cycle {c}: ready is {}, expected {}",
                    u8::from(!expected),
                    u8::from(expected)
                )
            }
            MismatchKind::MissingResult(e) => write!(
                f,
                "cycle {c}: no result_valid for {} [{}] accepted in cycle {} (expected {:#x}, clean {})",
                e.op, e.addr, e.accepted_at, e.value, e.clean
            ),
            MismatchKind::UnexpectedResult { value, clean } => write!(
                f,
                "cycle {c}: result_valid with no result due (result {value:#x}, clean {clean})"
            ),
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
    /// Ops accepted (`op_valid && ready`), reserved opcodes included.
    pub ops: u64,
    /// Results compared (value, clean flag and arrival cycle).
    pub results: u64,
    /// Reset cycles.
    pub resets: u64,
}

/// The reference model with the timing contract.
#[derive(Debug)]
pub struct Checker {
    contexts: usize,
    /// `contexts - 1`: every design has a power-of-two number of contexts,
    /// so addresses reduce with a mask rather than a division.
    addr_mask: u32,
    mask: u64,
    table: Table<u64>,
    /// Cycles of `ready` low still due after the last reset cycle.
    busy: usize,
    pending: VecDeque<Expected>,
    counts: Counts,
}

impl Checker {
    /// A checker for `design`, in the state every context has after reset.
    pub fn new(design: Design) -> Self {
        let width = design.width();
        assert!(design.contexts().is_power_of_two());
        Checker {
            contexts: design.contexts(),
            addr_mask: u32::try_from(design.contexts() - 1).expect("at most 2^32 contexts"),
            mask: if width == 64 {
                u64::MAX
            } else {
                (1u64 << width) - 1
            },
            table: Table::new(design.contexts()).expect("designs have contexts"),
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

    /// Checks the outputs the hardware showed during one cycle driven with
    /// `cycle`, then advances the model past that cycle's rising edge.
    pub fn step(&mut self, cycle: &Cycle, out: &PortsOut) -> Result<(), Mismatch> {
        let k = self.counts.cycles;
        self.counts.cycles += 1;
        let fail = |kind| Err(Mismatch { cycle: k, kind });

        // 1. Outputs during cycle k: exactly the results due now.
        let valid = out.result_valid != 0;
        let clean = out.result_clean != 0;
        match self.pending.front().copied() {
            Some(e) if e.due == k => {
                self.pending.pop_front();
                self.counts.results += 1;
                if !valid {
                    return fail(MismatchKind::MissingResult(e));
                }
                if out.result != e.value || clean != e.clean {
                    return fail(MismatchKind::WrongResult {
                        expected: e,
                        value: out.result,
                        clean,
                    });
                }
            }
            _ if valid => {
                return fail(MismatchKind::UnexpectedResult {
                    value: out.result,
                    clean,
                });
            }
            _ => {}
        }

        // 2. ready: low only while reset is high and during the sweep after it.
        let reset = matches!(cycle, Cycle::Reset);
        let expected_ready = !reset && self.busy == 0;
        if (out.ready != 0) != expected_ready {
            return fail(MismatchKind::Ready {
                expected: expected_ready,
            });
        }

        // 3. The rising edge that ends cycle k.
        match *cycle {
            Cycle::Reset => {
                self.counts.resets += 1;
                self.table = Table::new(self.contexts).expect("designs have contexts");
                self.pending.clear();
                self.busy = self.contexts;
            }
            Cycle::Op { op, addr, data } if expected_ready => {
                self.counts.ops += 1;
                // Reserved opcodes (5..7) are accepted and do nothing.
                if let Some(op) = Opcode::from_bits(op) {
                    let a = addr & self.addr_mask;
                    let r = self
                        .table
                        .execute(op, a as usize, data & self.mask)
                        .expect("address reduced modulo the table size");
                    if let Some(o) = r {
                        self.pending.push_back(Expected {
                            op,
                            addr: a,
                            accepted_at: k,
                            due: k + LATENCY,
                            value: o.value,
                            clean: o.clean && op.reports_clean(),
                        });
                    }
                }
            }
            Cycle::Op { .. } | Cycle::Idle => {}
        }
        if !reset && self.busy > 0 {
            self.busy -= 1;
        }
        Ok(())
    }
}
