//! One ACCUM-only lane of `atomik_lane_table`: the lane's own accumulator
//! bank plus the control port's view of it.
//!
//! The bank holds, for every context, the XOR of every delta this lane has
//! ever applied to it since the last reset. It is never cleared by LOAD or
//! SWAP: the control port compensates instead (see `lane_table.rs`), so the
//! lane never waits for the control port or for another lane.
//!
//! The bank is stored twice, in two BRAM-mapped memories written together:
//! `ram_acc` is read by the lane's own read-modify-write, `ram_view` by the
//! control port. A simple dual-port block RAM has one read port, and both
//! readers need one every cycle.
//!
//! Lane pipeline (delta accepted in cycle b):
//!
//! ```text
//!  cycle b    S0 : ram_acc read @addr; compare addr with S1, E, W
//!  cycle b+1  S1 : base = fwd_w2_to_s1 ? W2 : ram_acc data          (one LUT after the BRAM)
//!  cycle b+2  E  : cur = fwd_w_to_e ? W : fwd_w2_to_e ? W2 : base ; W <= cur ^ delta
//!  cycle b+3  W  : both memories written @addr        (W2 <= W one cycle later)
//! ```
//!
//! The read of cycle b misses the writes of the ops one, two and three ahead
//! (the last one writes in the same edge, undefined on iCE40); the three
//! forwarding paths supply them. Only one LUT follows the block RAM's output:
//! on a full iCE40 the RAMs sit far from the logic, and that route is the
//! slowest in the design.
//!
//! The control port's view ([`LaneView`], control op accepted in cycle a,
//! sees lane ops of cycles < a):
//!
//! ```text
//!  cycle a    ram_view read @view_addr; compare with S1, E, W
//!  cycle a+1  base <= fwd_w2_to_base ? W2 : ram_view data
//!  cycle a+2  view <= fwd_w_to_out ? W : fwd_w2_to_out ? W2 : base   (registered output)
//! ```
//!
//! At a+2, lane op a-1 is in W and lane op a-2 in W2; lane op a-3 was in W2
//! at a+1. Lane op a itself is not forwarded, because the control op of a
//! cycle executes before its lanes.

use rust_hdl::prelude::*;

use crate::pipeline::AddrMatch;
use crate::state_ram::StateRam;

/// An ACCUM-only lane over `2^A` contexts of `W` bits: its accumulating
/// pipeline and the control port's view of it.
#[derive(LogicBlock, Debug, Default)]
pub(crate) struct LaneBank<const A: usize, const W: usize> {
    /// Clock of every register and memory.
    pub clock: Signal<In, Clock>,
    /// Synchronous flush (the table's reset): drops the lane's ops in flight.
    pub flush: Signal<In, Bit>,
    /// The reset sweep is writing zero to context `clear_addr` this cycle.
    pub clear: Signal<In, Bit>,
    /// Context cleared by the sweep.
    pub clear_addr: Signal<In, Bits<A>>,
    /// A delta is accepted this cycle.
    pub valid: Signal<In, Bit>,
    /// Its context.
    pub addr: Signal<In, Bits<A>>,
    /// The delta.
    pub delta: Signal<In, Bits<W>>,
    /// Context the control port reads this cycle.
    pub view_addr: Signal<In, Bits<A>>,
    /// Three cycles later (registered): this lane's total at `view_addr`,
    /// including every lane op accepted before the cycle `view_addr` was presented.
    pub view: Signal<Out, Bits<W>>,
    accum: LaneAccum<A, W>,
    control_view: LaneView<A, W>,
}

impl<const A: usize, const W: usize> Logic for LaneBank<A, W> {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, accum, control_view);
        self.accum.flush.next = self.flush.val();
        self.accum.clear.next = self.clear.val();
        self.accum.clear_addr.next = self.clear_addr.val();
        self.accum.valid.next = self.valid.val();
        self.accum.addr.next = self.addr.val();
        self.accum.delta.next = self.delta.val();
        self.control_view.view_addr.next = self.view_addr.val();
        self.control_view.s1_valid.next = self.accum.s1_valid.val();
        self.control_view.s1_addr.next = self.accum.s1_addr.val();
        self.control_view.e_valid.next = self.accum.e_valid.val();
        self.control_view.e_addr.next = self.accum.e_addr.val();
        self.control_view.w_valid.next = self.accum.w_valid.val();
        self.control_view.w_addr.next = self.accum.w_addr.val();
        self.control_view.w_acc.next = self.accum.w_acc.val();
        self.control_view.w2_acc.next = self.accum.w2_acc.val();
        self.view.next = self.control_view.view.val();
    }
}

/// A lane's accumulating pipeline: its bank (`ram_acc`), read, merged with
/// the writes in flight, added to and written back (to both copies).
#[derive(LogicBlock, Debug)]
pub(crate) struct LaneAccum<const A: usize, const W: usize> {
    /// Clock of every register and memory.
    pub clock: Signal<In, Clock>,
    /// Synchronous flush (the table's reset): drops the lane's ops in flight.
    pub flush: Signal<In, Bit>,
    /// The reset sweep is writing zero to context `clear_addr` this cycle.
    pub clear: Signal<In, Bit>,
    /// Context cleared by the sweep.
    pub clear_addr: Signal<In, Bits<A>>,
    /// A delta is accepted this cycle.
    pub valid: Signal<In, Bit>,
    /// Its context.
    pub addr: Signal<In, Bits<A>>,
    /// The delta.
    pub delta: Signal<In, Bits<W>>,
    /// The S1 stage holds a delta (for the control port's view).
    pub s1_valid: Signal<Out, Bit>,
    /// Its context.
    pub s1_addr: Signal<Out, Bits<A>>,
    /// The E stage holds a delta.
    pub e_valid: Signal<Out, Bit>,
    /// Its context.
    pub e_addr: Signal<Out, Bits<A>>,
    /// The W stage writes both copies of the bank this cycle.
    pub w_valid: Signal<Out, Bit>,
    /// Its context.
    pub w_addr: Signal<Out, Bits<A>>,
    /// Its new total.
    pub w_acc: Signal<Out, Bits<W>>,
    /// W's total one cycle later.
    pub w2_acc: Signal<Out, Bits<W>>,

    zero_w: Constant<Bits<W>>,
    ram_acc: StateRam<A, W>,
    /// The op now in S1 will be in W when this op is in E.
    match_w_to_e: AddrMatch<A>,
    /// The op now in E will be in W2 when this op is in E.
    match_w2_to_e: AddrMatch<A>,
    /// The op now in W writes in the edge this op reads: W2 in S1.
    match_w2_to_s1: AddrMatch<A>,
    cur: Signal<Local, Bits<W>>,

    r_s1_valid: DFF<Bit>,
    r_s1_addr: DFF<Bits<A>>,
    s1_delta: DFF<Bits<W>>,
    s1_fwd_w_to_e: DFF<Bit>,
    s1_fwd_w2_to_e: DFF<Bit>,
    s1_fwd_w2_to_s1: DFF<Bit>,
    r_e_valid: DFF<Bit>,
    r_e_addr: DFF<Bits<A>>,
    e_delta: DFF<Bits<W>>,
    e_base: DFF<Bits<W>>,
    e_fwd_w_to_e: DFF<Bit>,
    e_fwd_w2_to_e: DFF<Bit>,
    r_w_valid: DFF<Bit>,
    r_w_addr: DFF<Bits<A>>,
    r_w_acc: DFF<Bits<W>>,
    r_w2_acc: DFF<Bits<W>>,
}

impl<const A: usize, const W: usize> Default for LaneAccum<A, W> {
    fn default() -> Self {
        Self {
            zero_w: Constant::new(Bits::default()),
            clock: Default::default(),
            flush: Default::default(),
            clear: Default::default(),
            clear_addr: Default::default(),
            valid: Default::default(),
            addr: Default::default(),
            delta: Default::default(),
            ram_acc: Default::default(),
            match_w_to_e: Default::default(),
            match_w2_to_e: Default::default(),
            match_w2_to_s1: Default::default(),
            cur: Default::default(),
            s1_valid: Default::default(),
            r_s1_valid: Default::default(),
            s1_addr: Default::default(),
            r_s1_addr: Default::default(),
            s1_delta: Default::default(),
            s1_fwd_w_to_e: Default::default(),
            s1_fwd_w2_to_e: Default::default(),
            s1_fwd_w2_to_s1: Default::default(),
            e_valid: Default::default(),
            r_e_valid: Default::default(),
            e_addr: Default::default(),
            r_e_addr: Default::default(),
            e_delta: Default::default(),
            e_base: Default::default(),
            e_fwd_w_to_e: Default::default(),
            e_fwd_w2_to_e: Default::default(),
            w_valid: Default::default(),
            r_w_valid: Default::default(),
            w_addr: Default::default(),
            r_w_addr: Default::default(),
            w_acc: Default::default(),
            r_w_acc: Default::default(),
            w2_acc: Default::default(),
            r_w2_acc: Default::default(),
        }
    }
}

impl<const A: usize, const W: usize> Logic for LaneAccum<A, W> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, r_s1_valid, r_s1_addr, s1_delta, s1_fwd_w_to_e, s1_fwd_w2_to_e,
            s1_fwd_w2_to_s1, r_e_valid, r_e_addr, e_delta, e_base, e_fwd_w_to_e, e_fwd_w2_to_e,
            r_w_valid, r_w_addr, r_w_acc, r_w2_acc
        );
        self.ram_acc.clock.next = self.clock.val();

        // ---- S0: read the bank, compare with the ops in flight ----
        self.ram_acc.read_address.next = self.addr.val();
        self.r_s1_valid.d.next = self.valid.val();
        self.r_s1_addr.d.next = self.addr.val();
        self.s1_delta.d.next = self.delta.val();
        self.match_w_to_e.valid.next = self.r_s1_valid.q.val();
        self.match_w_to_e.stage_addr.next = self.r_s1_addr.q.val();
        self.match_w_to_e.addr.next = self.addr.val();
        self.match_w2_to_e.valid.next = self.r_e_valid.q.val();
        self.match_w2_to_e.stage_addr.next = self.r_e_addr.q.val();
        self.match_w2_to_e.addr.next = self.addr.val();
        self.match_w2_to_s1.valid.next = self.r_w_valid.q.val();
        self.match_w2_to_s1.stage_addr.next = self.r_w_addr.q.val();
        self.match_w2_to_s1.addr.next = self.addr.val();
        self.s1_fwd_w_to_e.d.next = self.match_w_to_e.hit.val();
        self.s1_fwd_w2_to_e.d.next = self.match_w2_to_e.hit.val();
        self.s1_fwd_w2_to_s1.d.next = self.match_w2_to_s1.hit.val();

        // ---- S1: only the same-edge write is merged right after the BRAM ----
        self.e_base.d.next = self.ram_acc.read_data.val();
        if self.s1_fwd_w2_to_s1.q.val() {
            self.e_base.d.next = self.r_w2_acc.q.val();
        }
        self.r_e_valid.d.next = self.r_s1_valid.q.val();
        self.r_e_addr.d.next = self.r_s1_addr.q.val();
        self.e_delta.d.next = self.s1_delta.q.val();
        self.e_fwd_w_to_e.d.next = self.s1_fwd_w_to_e.q.val();
        self.e_fwd_w2_to_e.d.next = self.s1_fwd_w2_to_e.q.val();

        // ---- E: merge the ops one and two ahead, add the delta ----
        self.cur.next = self.e_base.q.val();
        if self.e_fwd_w2_to_e.q.val() {
            self.cur.next = self.r_w2_acc.q.val();
        }
        if self.e_fwd_w_to_e.q.val() {
            self.cur.next = self.r_w_acc.q.val();
        }
        self.r_w_valid.d.next = self.r_e_valid.q.val() | self.clear.val();
        self.r_w_addr.d.next = self.r_e_addr.q.val();
        self.r_w_acc.d.next = self.cur.val() ^ self.e_delta.q.val();
        if self.clear.val() {
            // Reset sweep: the pipeline is empty (flushed), so write zero to the swept context.
            self.r_w_addr.d.next = self.clear_addr.val();
            self.r_w_acc.d.next = self.zero_w.val();
        }

        // ---- W: write both copies from registers ----
        self.ram_acc.write_enable.next = self.r_w_valid.q.val();
        self.ram_acc.write_address.next = self.r_w_addr.q.val();
        self.ram_acc.write_data.next = self.r_w_acc.q.val();
        self.r_w2_acc.d.next = self.r_w_acc.q.val();
        self.s1_valid.next = self.r_s1_valid.q.val();
        self.s1_addr.next = self.r_s1_addr.q.val();
        self.e_valid.next = self.r_e_valid.q.val();
        self.e_addr.next = self.r_e_addr.q.val();
        self.w_valid.next = self.r_w_valid.q.val();
        self.w_addr.next = self.r_w_addr.q.val();
        self.w_acc.next = self.r_w_acc.q.val();
        self.w2_acc.next = self.r_w2_acc.q.val();

        if self.flush.val() {
            self.r_s1_valid.d.next = false;
            self.r_e_valid.d.next = false;
            self.r_w_valid.d.next = false;
        }
    }
}

/// The control port's read of one lane: the bank's second copy (written
/// with the first, from the lane's W stage), read at the control op's
/// context, with the lane writes that read misses forwarded.
#[derive(LogicBlock, Debug)]
pub(crate) struct LaneView<const A: usize, const W: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Context the control port reads this cycle.
    pub view_addr: Signal<In, Bits<A>>,
    /// The lane's S1 stage.
    pub s1_valid: Signal<In, Bit>,
    /// Its context.
    pub s1_addr: Signal<In, Bits<A>>,
    /// The lane's E stage.
    pub e_valid: Signal<In, Bit>,
    /// Its context.
    pub e_addr: Signal<In, Bits<A>>,
    /// The lane's W stage: it writes both copies this cycle.
    pub w_valid: Signal<In, Bit>,
    /// Its context.
    pub w_addr: Signal<In, Bits<A>>,
    /// Its new total.
    pub w_acc: Signal<In, Bits<W>>,
    /// W's total one cycle later.
    pub w2_acc: Signal<In, Bits<W>>,
    /// The lane's total at `view_addr`, two cycles later (registered).
    pub view: Signal<Out, Bits<W>>,

    ram_view: StateRam<A, W>,
    /// The lane op now in S1 is in W when the view is output.
    match_w_to_out: AddrMatch<A>,
    /// The lane op now in E is in W2 when the view is output.
    match_w2_to_out: AddrMatch<A>,
    /// The lane op now in W writes in the edge of this read: W2 into the base.
    match_w2_to_base: AddrMatch<A>,
    v1_fwd_w_to_out: DFF<Bit>,
    v1_fwd_w2_to_out: DFF<Bit>,
    v1_fwd_w2_to_base: DFF<Bit>,
    v2_fwd_w_to_out: DFF<Bit>,
    v2_fwd_w2_to_out: DFF<Bit>,
    v2_base: DFF<Bits<W>>,
    v3_out: DFF<Bits<W>>,
}

impl<const A: usize, const W: usize> Default for LaneView<A, W> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            view_addr: Default::default(),
            s1_valid: Default::default(),
            s1_addr: Default::default(),
            e_valid: Default::default(),
            e_addr: Default::default(),
            w_valid: Default::default(),
            w_addr: Default::default(),
            w_acc: Default::default(),
            w2_acc: Default::default(),
            view: Default::default(),
            ram_view: Default::default(),
            match_w_to_out: Default::default(),
            match_w2_to_out: Default::default(),
            match_w2_to_base: Default::default(),
            v1_fwd_w_to_out: Default::default(),
            v1_fwd_w2_to_out: Default::default(),
            v1_fwd_w2_to_base: Default::default(),
            v2_fwd_w_to_out: Default::default(),
            v2_fwd_w2_to_out: Default::default(),
            v2_base: Default::default(),
            v3_out: Default::default(),
        }
    }
}

impl<const A: usize, const W: usize> Logic for LaneView<A, W> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            v1_fwd_w_to_out,
            v1_fwd_w2_to_out,
            v1_fwd_w2_to_base,
            v2_fwd_w_to_out,
            v2_fwd_w2_to_out,
            v2_base,
            v3_out
        );
        self.ram_view.clock.next = self.clock.val();
        self.ram_view.read_address.next = self.view_addr.val();
        self.ram_view.write_enable.next = self.w_valid.val();
        self.ram_view.write_address.next = self.w_addr.val();
        self.ram_view.write_data.next = self.w_acc.val();
        // ---- the read: which lane writes in flight it misses ----
        self.match_w_to_out.valid.next = self.s1_valid.val();
        self.match_w_to_out.stage_addr.next = self.s1_addr.val();
        self.match_w_to_out.addr.next = self.view_addr.val();
        self.match_w2_to_out.valid.next = self.e_valid.val();
        self.match_w2_to_out.stage_addr.next = self.e_addr.val();
        self.match_w2_to_out.addr.next = self.view_addr.val();
        self.match_w2_to_base.valid.next = self.w_valid.val();
        self.match_w2_to_base.stage_addr.next = self.w_addr.val();
        self.match_w2_to_base.addr.next = self.view_addr.val();
        self.v1_fwd_w_to_out.d.next = self.match_w_to_out.hit.val();
        self.v1_fwd_w2_to_out.d.next = self.match_w2_to_out.hit.val();
        self.v1_fwd_w2_to_base.d.next = self.match_w2_to_base.hit.val();
        // ---- one cycle later: the base; then the output ----
        self.v2_base.d.next = self.ram_view.read_data.val();
        if self.v1_fwd_w2_to_base.q.val() {
            self.v2_base.d.next = self.w2_acc.val();
        }
        self.v2_fwd_w_to_out.d.next = self.v1_fwd_w_to_out.q.val();
        self.v2_fwd_w2_to_out.d.next = self.v1_fwd_w2_to_out.q.val();
        self.v3_out.d.next = self.v2_base.q.val();
        if self.v2_fwd_w2_to_out.q.val() {
            self.v3_out.d.next = self.w2_acc.val();
        }
        if self.v2_fwd_w_to_out.q.val() {
            self.v3_out.d.next = self.w_acc.val();
        }
        self.view.next = self.v3_out.q.val();
    }
}
