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
//!  cycle b    S0 : ram_acc read @addr; compare addr with S1 (h1), E (h2), W (h3)
//!  cycle b+1  S1 : base = h3 ? W2 : ram_acc data                  (one LUT after the BRAM)
//!  cycle b+2  E  : cur = h1 ? W : h2 ? W2 : base ; W <= cur ^ delta
//!  cycle b+3  W  : both memories written @addr        (W2 <= W one cycle later)
//! ```
//!
//! The read of cycle b misses the writes of the ops one, two and three ahead
//! (the last one writes in the same edge, undefined on iCE40): h1..h3 forward
//! them. Only one LUT follows the block RAM's output: on a full iCE40 the RAMs
//! sit far from the logic, and that route is the slowest in the design.
//!
//! Control view (control op accepted in cycle a, sees lane ops of cycles < a):
//!
//! ```text
//!  cycle a    ram_view read @view_addr; compare with S1 (g1), E (g2), W (g3)
//!  cycle a+1  vb <= g3 ? W2 : ram_view data
//!  cycle a+2  view <= g1 ? W : g2 ? W2 : vb                 (registered output)
//! ```
//!
//! At a+2, lane op a-1 is in W and lane op a-2 in W2; lane op a-3 was in W2
//! at a+1. Lane op a itself is not forwarded, because the control op of a
//! cycle executes before its lanes.

use rust_hdl::prelude::*;

use crate::state_ram::StateRam;

/// An ACCUM-only lane over `2^A` contexts of `W` bits.
#[derive(LogicBlock, Debug)]
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

    zero_w: Constant<Bits<W>>,
    ram_acc: StateRam<A, W>,
    ram_view: StateRam<A, W>,
    cur: Signal<Local, Bits<W>>,

    s1_valid: DFF<Bit>,
    s1_addr: DFF<Bits<A>>,
    s1_delta: DFF<Bits<W>>,
    s1_h1: DFF<Bit>,
    s1_h2: DFF<Bit>,
    s1_h3: DFF<Bit>,
    e_valid: DFF<Bit>,
    e_addr: DFF<Bits<A>>,
    e_delta: DFF<Bits<W>>,
    e_base: DFF<Bits<W>>,
    e_h1: DFF<Bit>,
    e_h2: DFF<Bit>,
    v_g1: DFF<Bit>,
    v_g2: DFF<Bit>,
    v_g3: DFF<Bit>,
    v_h1: DFF<Bit>,
    v_h2: DFF<Bit>,
    v_base: DFF<Bits<W>>,
    v_out: DFF<Bits<W>>,
    w_valid: DFF<Bit>,
    w_addr: DFF<Bits<A>>,
    w_acc: DFF<Bits<W>>,
    w2_acc: DFF<Bits<W>>,
}

impl<const A: usize, const W: usize> Default for LaneBank<A, W> {
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
            view_addr: Default::default(),
            view: Default::default(),
            ram_acc: Default::default(),
            ram_view: Default::default(),
            cur: Default::default(),
            s1_valid: Default::default(),
            s1_addr: Default::default(),
            s1_delta: Default::default(),
            s1_h1: Default::default(),
            s1_h2: Default::default(),
            s1_h3: Default::default(),
            e_valid: Default::default(),
            e_addr: Default::default(),
            e_delta: Default::default(),
            e_base: Default::default(),
            e_h1: Default::default(),
            e_h2: Default::default(),
            v_g1: Default::default(),
            v_g2: Default::default(),
            v_g3: Default::default(),
            v_h1: Default::default(),
            v_h2: Default::default(),
            v_base: Default::default(),
            v_out: Default::default(),
            w_valid: Default::default(),
            w_addr: Default::default(),
            w_acc: Default::default(),
            w2_acc: Default::default(),
        }
    }
}

impl<const A: usize, const W: usize> Logic for LaneBank<A, W> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, s1_valid, s1_addr, s1_delta, s1_h1, s1_h2, s1_h3, e_valid, e_addr,
            e_delta, e_base, e_h1, e_h2, v_g1, v_g2, v_g3, v_h1, v_h2, v_base, v_out, w_valid,
            w_addr, w_acc, w2_acc
        );
        self.ram_acc.clock.next = self.clock.val();
        self.ram_view.clock.next = self.clock.val();

        // ---- S0: read both memories, compare with the ops in flight ----
        self.ram_acc.read_address.next = self.addr.val();
        self.ram_view.read_address.next = self.view_addr.val();
        self.s1_valid.d.next = self.valid.val();
        self.s1_addr.d.next = self.addr.val();
        self.s1_delta.d.next = self.delta.val();
        self.s1_h1.d.next = self.s1_valid.q.val() & (self.s1_addr.q.val() == self.addr.val());
        self.s1_h2.d.next = self.e_valid.q.val() & (self.e_addr.q.val() == self.addr.val());
        self.s1_h3.d.next = self.w_valid.q.val() & (self.w_addr.q.val() == self.addr.val());
        self.v_g1.d.next = self.s1_valid.q.val() & (self.s1_addr.q.val() == self.view_addr.val());
        self.v_g2.d.next = self.e_valid.q.val() & (self.e_addr.q.val() == self.view_addr.val());
        self.v_g3.d.next = self.w_valid.q.val() & (self.w_addr.q.val() == self.view_addr.val());

        // ---- S1: only the same-edge write is merged right after the BRAM ----
        self.e_base.d.next = self.ram_acc.read_data.val();
        if self.s1_h3.q.val() {
            self.e_base.d.next = self.w2_acc.q.val();
        }
        self.e_valid.d.next = self.s1_valid.q.val();
        self.e_addr.d.next = self.s1_addr.q.val();
        self.e_delta.d.next = self.s1_delta.q.val();
        self.e_h1.d.next = self.s1_h1.q.val();
        self.e_h2.d.next = self.s1_h2.q.val();
        self.v_base.d.next = self.ram_view.read_data.val();
        if self.v_g3.q.val() {
            self.v_base.d.next = self.w2_acc.q.val();
        }
        self.v_h1.d.next = self.v_g1.q.val();
        self.v_h2.d.next = self.v_g2.q.val();

        // ---- E: merge the ops one and two ahead, add the delta ----
        self.cur.next = self.e_base.q.val();
        if self.e_h2.q.val() {
            self.cur.next = self.w2_acc.q.val();
        }
        if self.e_h1.q.val() {
            self.cur.next = self.w_acc.q.val();
        }
        self.w_valid.d.next = self.e_valid.q.val() | self.clear.val();
        self.w_addr.d.next = self.e_addr.q.val();
        self.w_acc.d.next = self.cur.val() ^ self.e_delta.q.val();
        if self.clear.val() {
            // Reset sweep: the pipeline is empty (flushed), so write zero to the swept context.
            self.w_addr.d.next = self.clear_addr.val();
            self.w_acc.d.next = self.zero_w.val();
        }
        self.v_out.d.next = self.v_base.q.val();
        if self.v_h2.q.val() {
            self.v_out.d.next = self.w2_acc.q.val();
        }
        if self.v_h1.q.val() {
            self.v_out.d.next = self.w_acc.q.val();
        }
        self.view.next = self.v_out.q.val();

        // ---- W: write both copies from registers ----
        self.ram_acc.write_enable.next = self.w_valid.q.val();
        self.ram_acc.write_address.next = self.w_addr.q.val();
        self.ram_acc.write_data.next = self.w_acc.q.val();
        self.ram_view.write_enable.next = self.w_valid.q.val();
        self.ram_view.write_address.next = self.w_addr.q.val();
        self.ram_view.write_data.next = self.w_acc.q.val();
        self.w2_acc.d.next = self.w_acc.q.val();

        if self.flush.val() {
            self.s1_valid.d.next = false;
            self.e_valid.d.next = false;
            self.w_valid.d.next = false;
        }
    }
}
