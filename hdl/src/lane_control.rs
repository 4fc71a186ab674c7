//! The control port of `atomik_lane_table`: the (reference, state) memories,
//! the op pipeline, the reset sweep and the result registers.
//!
//! The lanes' banks are never cleared by LOAD or SWAP. Instead, with
//! `L` = XOR of every lane bank at the context (the lanes' running total), a
//! context is stored as (r, y) = (reference, reference ^ accumulator' ^ L0),
//! where accumulator' holds only the control port's own ACCUMs and `L0` is
//! the lanes' total when the context was last loaded. The state is then
//! `y ^ L` for the current `L`, and every op is again a select:
//!
//! | op        | result  | new r   | new y   |
//! |-----------|---------|---------|---------|
//! | LOAD d    | -       | d       | d ^ L   |
//! | ACCUM d   | -       | r       | y ^ d   |
//! | READ      | y ^ L   | r       | y       |
//! | SWAP d    | y ^ L   | d       | d ^ L   |
//! | SWAP_KEEP | y ^ L   | y ^ L   | y       |
//! | reserved  | -       | r       | y       |
//!
//! and `result_clean` (accumulator == 0) is `r == y ^ L`.
//!
//! Pipeline (op accepted in cycle a, [`LANE_LATENCY`](crate::LANE_LATENCY) = 6),
//! built from the blocks of `pipeline.rs` (decode, op stages, hazard
//! compares, execute, result registers, reset sweep):
//!
//! ```text
//!  a    S0 : decode; compare addr with S1/S2/S3/E/W; BRAM read; lanes read their view
//!  a+1  S1 : b1 = fwd_w2_to_s1 ? W2 : BRAM                  (one LUT after the BRAM)
//!  a+2  S2 : b2 = fwd_w_to_s2 ? W : fwd_w2_to_s2 ? W2 : b1  (lanes: registered views)
//!  a+3  S3 : b3 = fwd_w_to_s3 ? W : b2 ; L = XOR of lane views ; b3.y ^ L precomputed
//!  a+4  E  : cur = fwd_w_to_e ? W : b3 ; new (r, y) = one-hot select ; result = cur.y ^ L
//!  a+5  W  : BRAM write                             O : zero test of the accumulator
//!  a+6  F  : result_valid / result / result_clean (registers)
//! ```
//!
//! The read of cycle a misses the control writes issued at the ends of cycles
//! a (op a-5: same-edge collision, from W2 in S1), a+1 (op a-4, from W2 in
//! S2), a+2 (op a-3, from W in S2), a+3 (op a-2, from W in S3) and a+4
//! (op a-1, from W in E).

use rust_hdl::prelude::*;

use crate::pipeline::{
    ExecuteStage, OpDecode, OpFlags, OpStage, ResetSweep, ResultStage, StateStore,
};

/// The control pipeline of the lanes table over `2^A` contexts of `W` bits.
#[derive(LogicBlock, Debug)]
pub(crate) struct LaneControl<const A: usize, const W: usize> {
    /// Single clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: flushes the pipeline and starts the sweep.
    pub reset: Signal<In, Bit>,
    /// Ops (control and lanes) are accepted this cycle.
    pub ready: Signal<Out, Bit>,
    /// The control op is presented.
    pub op_valid: Signal<In, Bit>,
    /// Its opcode.
    pub op: Signal<In, Bits<3>>,
    /// Its context.
    pub addr: Signal<In, Bits<A>>,
    /// LOAD value, ACCUM delta or SWAP reference.
    pub data_in: Signal<In, Bits<W>>,
    /// XOR of every lane's view of `addr`, three cycles after `addr` was presented.
    pub lane_sum: Signal<In, Bits<W>>,
    /// The reset sweep clears `clear_addr` this cycle (for the lanes too).
    pub clearing: Signal<Out, Bit>,
    /// Context being cleared.
    pub clear_addr: Signal<Out, Bits<A>>,
    /// Result outputs, as in the single-port table.
    pub result_valid: Signal<Out, Bit>,
    /// The state when the op executed (swaps: before the swap).
    pub result: Signal<Out, Bits<W>>,
    /// READ only: the accumulator was zero.
    pub result_clean: Signal<Out, Bit>,

    /// 1 in the correct design; 0 in the mutant whose LOAD/SWAP forget the lanes.
    lanes_in_load: Constant<Bit>,
    accept: Signal<Local, Bit>,
    sweep: ResetSweep<A>,
    /// S0..S3, the op's path: decode, hazard compares, forwarding decisions.
    front: LaneFront<A, W>,
    /// S1..S3, the data path: the writes the read missed merged in.
    merge: LaneMerge<W>,
    exec: ExecuteStage<A, W>,
    /// (r, y): the reference and the compensated state; W and W2.
    store: StateStore<A, W>,
    result_stage: ResultStage<W>,
}

impl<const A: usize, const W: usize> LaneControl<A, W> {
    /// The control port; with `lanes_in_load` false it is the mutant whose
    /// LOAD and SWAP ignore the lanes' total (a deliberately wrong design).
    pub(crate) fn new(lanes_in_load: bool) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            ready: Default::default(),
            op_valid: Default::default(),
            op: Default::default(),
            addr: Default::default(),
            data_in: Default::default(),
            lane_sum: Default::default(),
            clearing: Default::default(),
            clear_addr: Default::default(),
            result_valid: Default::default(),
            result: Default::default(),
            result_clean: Default::default(),
            lanes_in_load: Constant::new(lanes_in_load),
            accept: Default::default(),
            sweep: Default::default(),
            front: Default::default(),
            merge: Default::default(),
            exec: Default::default(),
            store: Default::default(),
            result_stage: Default::default(),
        }
    }
}

impl<const A: usize, const W: usize> Logic for LaneControl<A, W> {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, sweep, front, merge, exec, store, result_stage);
        self.sweep.reset.next = self.reset.val();
        self.front.flush.next = self.reset.val();
        self.exec.flush.next = self.reset.val();
        self.store.flush.next = self.reset.val();
        self.result_stage.flush.next = self.reset.val();
        self.clearing.next = self.sweep.clearing.val();
        self.clear_addr.next = self.sweep.clear_addr.val();
        self.ready.next = !self.sweep.clearing.val() & !self.reset.val();
        self.accept.next = self.op_valid.val() & !self.sweep.clearing.val() & !self.reset.val();

        // ---- S0..S3: the op, its base (r, y) and the writes it must see ----
        self.store.read_address.next = self.addr.val();
        self.front.accept.next = self.accept.val();
        self.front.op.next = self.op.val();
        self.front.addr.next = self.addr.val();
        self.front.data_in.next = self.data_in.val();
        self.merge.read_r.next = self.store.read_r.val();
        self.merge.read_y.next = self.store.read_s.val();
        self.merge.w_r.next = self.store.w_r.val();
        self.merge.w_y.next = self.store.w_s.val();
        self.merge.w2_r.next = self.store.w2_r.val();
        self.merge.w2_y.next = self.store.w2_s.val();
        self.merge.fwd_w2_to_s1.next = self.front.fwd_w2_to_s1.val();
        self.merge.fwd_w2_to_s2.next = self.front.fwd_w2_to_s2.val();
        self.merge.fwd_w_to_s2.next = self.front.fwd_w_to_s2.val();
        self.merge.fwd_w_to_s3.next = self.front.fwd_w_to_s3.val();
        self.front.e_hit.next = self.exec.probe_hit.val();
        self.front.w_hit.next = self.store.probe_hit.val();
        self.exec.probe_addr.next = self.addr.val();
        self.store.probe_addr.next = self.addr.val();

        // ---- E: execute with the lanes' total; W; the result registers ----
        self.exec.in_valid.next = self.front.valid.val();
        self.exec.in_addr.next = self.front.op_addr.val();
        self.exec.in_data.next = self.front.data.val();
        self.exec.in_flags.next = self.front.flags.val();
        self.exec.in_fwd_w_to_e.next = self.front.fwd_w_to_e.val();
        self.exec.in_base_r.next = self.merge.base_r.val();
        self.exec.in_base_s.next = self.merge.base_y.val();
        self.exec.in_lanes.next = self.lane_sum.val();
        self.exec.lanes_in_load.next = self.lanes_in_load.val();
        self.exec.w_r.next = self.store.w_r.val();
        self.exec.w_s.next = self.store.w_s.val();
        self.store.in_valid.next = self.exec.valid.val();
        self.store.in_addr.next = self.exec.addr.val();
        self.store.in_r.next = self.exec.new_r.val();
        self.store.in_s.next = self.exec.new_s.val();
        self.store.clearing.next = self.sweep.clearing.val();
        self.store.clear_addr.next = self.sweep.clear_addr.val();
        self.result_stage.in_valid.next = self.exec.res.val();
        self.result_stage.in_read.next = self.exec.read.val();
        self.result_stage.in_result.next = self.exec.result.val();
        self.result_stage.in_acc.next = self.exec.acc.val();
        self.result_valid.next = self.result_stage.result_valid.val();
        self.result.next = self.result_stage.result.val();
        self.result_clean.next = self.result_stage.result_clean.val();
    }
}

/// S0..S3 of the control port, the op's path: decode, the hazard
/// compares, and the forwarding decisions, each carried to the stage that
/// uses it (see [`LaneMerge`], the data path beside it).
#[derive(LogicBlock, Debug, Default)]
pub(crate) struct LaneFront<const A: usize, const W: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Drops every op in flight (the table's reset).
    pub flush: Signal<In, Bit>,
    /// A control op is accepted.
    pub accept: Signal<In, Bit>,
    /// Its opcode.
    pub op: Signal<In, Bits<3>>,
    /// Its context.
    pub addr: Signal<In, Bits<A>>,
    /// Its data.
    pub data_in: Signal<In, Bits<W>>,
    /// E holds an op on `addr` (four ahead).
    pub e_hit: Signal<In, Bit>,
    /// W writes `addr` in this edge (five ahead).
    pub w_hit: Signal<In, Bit>,
    /// The op leaving S3 for E: valid.
    pub valid: Signal<Out, Bit>,
    /// Its context.
    pub op_addr: Signal<Out, Bits<A>>,
    /// Its data.
    pub data: Signal<Out, Bits<W>>,
    /// What it does.
    pub flags: Signal<Out, OpFlags>,
    /// In S1: merge W2 (the write in the edge of the read).
    pub fwd_w2_to_s1: Signal<Out, Bit>,
    /// In S2: merge W2 (the op four ahead).
    pub fwd_w2_to_s2: Signal<Out, Bit>,
    /// In S2: merge W (three ahead).
    pub fwd_w_to_s2: Signal<Out, Bit>,
    /// In S3: merge W (two ahead).
    pub fwd_w_to_s3: Signal<Out, Bit>,
    /// For E: the op one ahead writes this context (forward W into E).
    pub fwd_w_to_e: Signal<Out, Bit>,

    dec: OpDecode,
    s1: OpStage<A, W>,
    s2: OpStage<A, W>,
    s3: OpStage<A, W>,
    // The forwarding decisions, registered in S0 and carried along.
    s1_fwd_w_to_e: DFF<Bit>,
    s1_fwd_w_to_s3: DFF<Bit>,
    s1_fwd_w_to_s2: DFF<Bit>,
    s1_fwd_w2_to_s2: DFF<Bit>,
    s1_fwd_w2_to_s1: DFF<Bit>,
    s2_fwd_w_to_e: DFF<Bit>,
    s2_fwd_w_to_s3: DFF<Bit>,
    s2_fwd_w_to_s2: DFF<Bit>,
    s2_fwd_w2_to_s2: DFF<Bit>,
    s3_fwd_w_to_e: DFF<Bit>,
    s3_fwd_w_to_s3: DFF<Bit>,
}

impl<const A: usize, const W: usize> Logic for LaneFront<A, W> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, s1_fwd_w_to_e, s1_fwd_w_to_s3, s1_fwd_w_to_s2, s1_fwd_w2_to_s2,
            s1_fwd_w2_to_s1, s2_fwd_w_to_e, s2_fwd_w_to_s3, s2_fwd_w_to_s2, s2_fwd_w2_to_s2,
            s3_fwd_w_to_e, s3_fwd_w_to_s3
        );
        clock!(self, clock, s1, s2, s3);
        self.s1.flush.next = self.flush.val();
        self.s2.flush.next = self.flush.val();
        self.s3.flush.next = self.flush.val();
        // ---- S0: decode; which ops ahead write this context ----
        self.dec.op.next = self.op.val();
        self.s1.in_valid.next = self.accept.val();
        self.s1.in_addr.next = self.addr.val();
        self.s1.in_data.next = self.data_in.val();
        self.s1.in_flags.next = self.dec.flags.val();
        self.s1.probe_addr.next = self.addr.val();
        self.s2.probe_addr.next = self.addr.val();
        self.s3.probe_addr.next = self.addr.val();
        self.s1_fwd_w_to_e.d.next = self.s1.probe_hit.val();
        self.s1_fwd_w_to_s3.d.next = self.s2.probe_hit.val();
        self.s1_fwd_w_to_s2.d.next = self.s3.probe_hit.val();
        self.s1_fwd_w2_to_s2.d.next = self.e_hit.val();
        self.s1_fwd_w2_to_s1.d.next = self.w_hit.val();
        // ---- the op and its decisions move on, each used where it is due ----
        self.s2_fwd_w_to_e.d.next = self.s1_fwd_w_to_e.q.val();
        self.s2_fwd_w_to_s3.d.next = self.s1_fwd_w_to_s3.q.val();
        self.s2_fwd_w_to_s2.d.next = self.s1_fwd_w_to_s2.q.val();
        self.s2_fwd_w2_to_s2.d.next = self.s1_fwd_w2_to_s2.q.val();
        self.s3_fwd_w_to_e.d.next = self.s2_fwd_w_to_e.q.val();
        self.s3_fwd_w_to_s3.d.next = self.s2_fwd_w_to_s3.q.val();
        self.s2.in_valid.next = self.s1.valid.val();
        self.s2.in_addr.next = self.s1.addr.val();
        self.s2.in_data.next = self.s1.data.val();
        self.s2.in_flags.next = self.s1.flags.val();
        self.s3.in_valid.next = self.s2.valid.val();
        self.s3.in_addr.next = self.s2.addr.val();
        self.s3.in_data.next = self.s2.data.val();
        self.s3.in_flags.next = self.s2.flags.val();
        self.valid.next = self.s3.valid.val();
        self.op_addr.next = self.s3.addr.val();
        self.data.next = self.s3.data.val();
        self.flags.next = self.s3.flags.val();
        self.fwd_w2_to_s1.next = self.s1_fwd_w2_to_s1.q.val();
        self.fwd_w2_to_s2.next = self.s2_fwd_w2_to_s2.q.val();
        self.fwd_w_to_s2.next = self.s2_fwd_w_to_s2.q.val();
        self.fwd_w_to_s3.next = self.s3_fwd_w_to_s3.q.val();
        self.fwd_w_to_e.next = self.s3_fwd_w_to_e.q.val();
    }
}

/// S1..S3 of the control port, the data path: the BRAM word (r, y) with
/// every write its read missed merged in, one or two per stage, so that
/// only one LUT follows the block RAM.
#[derive(LogicBlock, Debug, Default)]
pub(crate) struct LaneMerge<const W: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The memories' words, one cycle after the read.
    pub read_r: Signal<In, Bits<W>>,
    /// See `read_r`.
    pub read_y: Signal<In, Bits<W>>,
    /// The W stage's write.
    pub w_r: Signal<In, Bits<W>>,
    /// See `w_r`.
    pub w_y: Signal<In, Bits<W>>,
    /// W2: W's write one cycle later.
    pub w2_r: Signal<In, Bits<W>>,
    /// See `w2_r`.
    pub w2_y: Signal<In, Bits<W>>,
    /// The decisions of [`LaneFront`], each in its stage.
    pub fwd_w2_to_s1: Signal<In, Bit>,
    /// See `fwd_w2_to_s1`.
    pub fwd_w2_to_s2: Signal<In, Bit>,
    /// See `fwd_w2_to_s1`.
    pub fwd_w_to_s2: Signal<In, Bit>,
    /// See `fwd_w2_to_s1`.
    pub fwd_w_to_s3: Signal<In, Bit>,
    /// The base for E: every write but the one of the op one ahead merged.
    pub base_r: Signal<Out, Bits<W>>,
    /// See `base_r`.
    pub base_y: Signal<Out, Bits<W>>,
    b1_r: Signal<Local, Bits<W>>,
    b1_y: Signal<Local, Bits<W>>,
    b2_r: Signal<Local, Bits<W>>,
    b2_y: Signal<Local, Bits<W>>,
    s2_b_r: DFF<Bits<W>>,
    s2_b_y: DFF<Bits<W>>,
    s3_b_r: DFF<Bits<W>>,
    s3_b_y: DFF<Bits<W>>,
}

impl<const W: usize> Logic for LaneMerge<W> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, s2_b_r, s2_b_y, s3_b_r, s3_b_y);
        // ---- S1: only the same-edge write, one LUT after the BRAM ----
        self.b1_r.next = self.read_r.val();
        self.b1_y.next = self.read_y.val();
        if self.fwd_w2_to_s1.val() {
            self.b1_r.next = self.w2_r.val();
            self.b1_y.next = self.w2_y.val();
        }
        self.s2_b_r.d.next = self.b1_r.val();
        self.s2_b_y.d.next = self.b1_y.val();
        // ---- S2: the writes of the ops three (W) and four (W2) ahead ----
        self.b2_r.next = self.s2_b_r.q.val();
        self.b2_y.next = self.s2_b_y.q.val();
        if self.fwd_w2_to_s2.val() {
            self.b2_r.next = self.w2_r.val();
            self.b2_y.next = self.w2_y.val();
        }
        if self.fwd_w_to_s2.val() {
            self.b2_r.next = self.w_r.val();
            self.b2_y.next = self.w_y.val();
        }
        self.s3_b_r.d.next = self.b2_r.val();
        self.s3_b_y.d.next = self.b2_y.val();
        // ---- S3: the write of the op two ahead ----
        self.base_r.next = self.s3_b_r.q.val();
        self.base_y.next = self.s3_b_y.q.val();
        if self.fwd_w_to_s3.val() {
            self.base_r.next = self.w_r.val();
            self.base_y.next = self.w_y.val();
        }
    }
}
