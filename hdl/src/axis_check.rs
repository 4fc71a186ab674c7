//! The cycle-exact contract of `atomik_axis`, in executable form.
//!
//! [`AxisChecker`] predicts, in every cycle, the three outputs of the
//! AXI4-Stream wrapper from the inputs it was driven with, and compares them
//! with what the hardware showed:
//!
//! * `s_axis_tready` = the table's `ready` (low in reset and the clearing
//!   sweep) and fewer than [`AXIS_FIFO_DEPTH`] results owed (in the FIFO or
//!   still in the table's pipeline);
//! * `m_axis_tvalid` = the FIFO is not empty, and `m_axis_tdata` = its head:
//!   the result beat of the oldest accepted READ / SWAP / SWAP_KEEP not yet
//!   taken. A beat enters the FIFO at the edge that ends the cycle its
//!   result leaves the table ([`LATENCY`](crate::LATENCY) cycles after
//!   acceptance), so it is offered from the next cycle on.
//!
//! The table behind the wrapper is the contract's [`Checker`], so the value
//! of every result is the core crate's `Table`. Exact prediction implies the
//! AXI4-Stream rules for the result stream (a beat holds still until taken:
//! the FIFO head changes only on a pop) and that no result is lost,
//! duplicated or reordered. Both simulators drive this one checker: the
//! rust-hdl testbench in `axis.rs` and `atomik cosim --design axis`.
//!
//! Before the first reset cycle has ended the state is unknown (a model may
//! start from random flops), so the result stream is not compared until then.

use std::collections::VecDeque;

use crate::contract::{Checker, Counts, Cycle, Expected, Mismatch, MismatchKind};
use atomik_designs::AXIS_FIFO_DEPTH;

/// Bit offsets of the beat fields (docs/hardware.md, "Beat layout").
const ADDR_SHIFT: u32 = 64;
const OP_SHIFT: u32 = 72;
const CLEAN_BIT: u32 = 75;

/// The op beat `{op, addr, data}` (bits above the op field zero).
pub fn op_beat(op: u8, addr: u8, data: u64) -> u128 {
    u128::from(data) | u128::from(addr) << ADDR_SHIFT | u128::from(op & 7) << OP_SHIFT
}

/// The result beat the wrapper must send for `e`.
pub fn result_beat(e: &Expected) -> u128 {
    u128::from(e.value)
        | u128::from(e.addr) << ADDR_SHIFT
        | u128::from(e.op.bits()) << OP_SHIFT
        | u128::from(e.clean) << CLEAN_BIT
}

/// What the table behind the wrapper sees for an op beat that is taken:
/// the one decoding of the op-beat layout.
// The beat fields are masked to their widths: the truncation is the point.
#[allow(clippy::cast_possible_truncation)]
pub fn table_op(tdata: u128) -> Cycle {
    Cycle::Op {
        op: (tdata >> OP_SHIFT) as u8 & 7,
        addr: u32::from((tdata >> ADDR_SHIFT) as u8),
        data: tdata as u64,
    }
}

/// The inputs of `atomik_axis` during one cycle, as driven.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AxisInputs {
    /// `aresetn` (active low).
    pub aresetn: bool,
    /// `s_axis_tvalid`.
    pub s_tvalid: bool,
    /// `s_axis_tdata`.
    pub s_tdata: u128,
    /// `m_axis_tready`.
    pub m_tready: bool,
}

/// The outputs `atomik_axis` showed during one cycle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AxisOutputs {
    /// `s_axis_tready`.
    pub s_tready: bool,
    /// `m_axis_tvalid`.
    pub m_tvalid: bool,
    /// `m_axis_tdata`.
    pub m_tdata: u128,
}

/// What the rising edge at the end of a checked cycle did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AxisEdge {
    /// An op beat was taken (`s_axis_tvalid && s_axis_tready`).
    pub taken: bool,
    /// A result beat was taken (`m_axis_tvalid && m_axis_tready`).
    pub delivered: bool,
}

/// The reference model of `atomik_axis` with its cycle-exact timing.
#[derive(Debug)]
pub struct AxisChecker {
    /// The 256 x 64 table behind the wrapper, with its own timing.
    table: Checker,
    /// Results accepted by the table and not yet in the FIFO, oldest first.
    in_table: VecDeque<Expected>,
    /// Result beats in the FIFO, head first.
    fifo: VecDeque<u128>,
    /// A reset cycle has ended: the state is known.
    synced: bool,
    counts: Counts,
}

impl Default for AxisChecker {
    fn default() -> Self {
        Self::new()
    }
}

impl AxisChecker {
    /// A checker whose state is unknown until the first reset cycle.
    pub fn new() -> Self {
        AxisChecker {
            table: Checker::new(crate::DEFAULT_CONTEXTS, crate::DEFAULT_WIDTH),
            in_table: VecDeque::new(),
            fifo: VecDeque::new(),
            synced: false,
            counts: Counts::default(),
        }
    }

    /// Cycles checked, op beats taken (`ops`), result beats taken
    /// (`results`) and reset cycles.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Results owed: in the FIFO or still in the table.
    pub fn owed(&self) -> usize {
        self.fifo.len() + self.in_table.len()
    }

    /// Whether the contract has `s_axis_tready` high in a cycle driven with
    /// `aresetn`.
    pub fn s_tready(&self, aresetn: bool) -> bool {
        aresetn && self.table.ready_for(&Cycle::Idle) && self.owed() < AXIS_FIFO_DEPTH
    }

    /// Checks the outputs of one cycle driven with `i`, then advances the
    /// model past its rising edge.
    pub fn step(&mut self, i: &AxisInputs, o: &AxisOutputs) -> Result<AxisEdge, Mismatch> {
        let k = self.counts.cycles;
        self.counts.cycles += 1;
        let fail = |kind| Err(Mismatch { cycle: k, kind });
        let shown = o.m_tvalid.then_some(o.m_tdata);
        // During reset no beat is offered, in the very first reset cycle
        // too (AXI4-Stream: "during reset, TVALID must be driven LOW");
        // before the first reset the FIFO's contents are unknown.
        let expected = if !i.aresetn {
            Some(None)
        } else {
            self.synced.then(|| self.fifo.front().copied())
        };
        if let Some(head) = expected.filter(|&head| head != shown) {
            return fail(MismatchKind::ResultBeat {
                expected: head,
                actual: shown,
            });
        }
        let ready = self.s_tready(i.aresetn);
        if o.s_tready != ready {
            return fail(MismatchKind::TReady {
                expected: ready,
                owed: self.owed(),
            });
        }
        if !i.aresetn {
            self.reset();
            return Ok(AxisEdge::default());
        }
        let edge = AxisEdge {
            taken: i.s_tvalid && ready,
            delivered: o.m_tvalid && i.m_tready,
        };
        if edge.delivered {
            self.counts.results += 1;
            self.fifo.pop_front();
        }
        if self.in_table.front().is_some_and(|e| e.due == k) {
            let e = self.in_table.pop_front().expect("just seen");
            self.fifo.push_back(result_beat(&e));
        }
        let op = if edge.taken {
            self.counts.ops += 1;
            table_op(i.s_tdata)
        } else {
            Cycle::Idle
        };
        if let Some(e) = self.table.advance_unchecked(&op).result {
            self.in_table.push_back(e);
        }
        Ok(edge)
    }

    /// The edge that ends a reset cycle: table, pipeline and FIFO empty.
    fn reset(&mut self) {
        self.counts.resets += 1;
        self.table.advance_unchecked(&Cycle::Reset);
        self.in_table.clear();
        self.fifo.clear();
        self.synced = true;
    }
}

#[cfg(test)]
mod tests {
    use atomik::Opcode;

    use super::*;

    fn after_reset() -> AxisChecker {
        let mut c = AxisChecker::new();
        let reset = AxisInputs::default();
        c.step(&reset, &AxisOutputs::default()).unwrap();
        for _ in 0..crate::DEFAULT_CONTEXTS {
            let idle = AxisInputs {
                aresetn: true,
                ..AxisInputs::default()
            };
            c.step(&idle, &AxisOutputs::default()).unwrap();
        }
        c
    }

    /// The documented timing: a READ taken in cycle 0 is offered from cycle
    /// LATENCY + 1 on, and held there while `m_axis_tready` is low.
    #[test]
    fn a_result_beat_is_offered_latency_plus_one_cycles_later_and_held() {
        let mut c = after_reset();
        let read = AxisInputs {
            aresetn: true,
            s_tvalid: true,
            s_tdata: op_beat(Opcode::Read.bits(), 7, 0),
            m_tready: false,
        };
        let ready = AxisOutputs {
            s_tready: true,
            ..AxisOutputs::default()
        };
        assert!(c.step(&read, &ready).unwrap().taken);
        let stalled = AxisInputs {
            s_tvalid: false,
            ..read
        };
        for _ in 0..crate::LATENCY {
            c.step(&stalled, &ready).unwrap();
        }
        let beat = result_beat(&Expected {
            op: Opcode::Read,
            addr: 7,
            accepted_at: 0,
            due: 0,
            value: 0,
            clean: true,
        });
        let offered = AxisOutputs {
            m_tvalid: true,
            m_tdata: beat,
            ..ready
        };
        assert_eq!(c.fifo.front(), Some(&beat));
        c.step(&stalled, &offered).unwrap();
        c.step(&stalled, &offered).unwrap();
        let taken = AxisInputs {
            m_tready: true,
            ..stalled
        };
        assert!(c.step(&taken, &offered).unwrap().delivered);
        c.step(&taken, &ready).unwrap();
        assert_eq!(c.counts().results, 1);
    }

    #[test]
    fn tready_drops_when_the_fifo_is_owed_in_full() {
        let mut c = after_reset();
        let read = AxisInputs {
            aresetn: true,
            s_tvalid: true,
            s_tdata: op_beat(Opcode::Read.bits(), 1, 0),
            m_tready: false,
        };
        for _ in 0..AXIS_FIFO_DEPTH {
            let beat = c.fifo.front().copied();
            let o = AxisOutputs {
                s_tready: true,
                m_tvalid: beat.is_some(),
                m_tdata: beat.unwrap_or(0),
            };
            c.step(&read, &o).unwrap();
        }
        assert_eq!(c.owed(), AXIS_FIFO_DEPTH);
        assert!(!c.s_tready(true));
    }
}
