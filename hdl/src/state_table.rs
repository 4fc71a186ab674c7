//! `atomik_state_table`: 2^A contexts x W bits, each context = (reference, accumulator).
//!
//! Internally each context is stored as (r, x) = (reference, reference ^ accumulator)
//! in two BRAM-mapped memories.  With that encoding every op is a pure select:
//!
//! | op        | result | new r | new x   |
//! |-----------|--------|-------|---------|
//! | LOAD      | -      | d     | d       |
//! | ACCUM     | -      | r     | x ^ d   |
//! | READ      | x      | r     | x       |
//! | SWAP      | x      | d     | d       |
//! | SWAP_KEEP | x      | x     | x       |
//! | reserved  | -      | r     | x       |
//!
//! and `result_clean` (accumulator == 0) is `r == x`.
//!
//! Pipeline (op accepted in cycle a, LATENCY = 4), built from the blocks of
//! `pipeline.rs`:
//!
//! ```text
//!  cycle a    S0 : decode (dec), compare addr with S1/E/W      -> s1_fwd_* ; BRAM read addr = addr
//!  cycle a+1  S1 : base = fwd_w_to_s1 ? W : fwd_w2_to_s1 ? W2 : BRAM.rdata   (registered into E)
//!                  registered one-hot selects for E (exec)
//!  cycle a+2  E  : cur = fwd_w_to_e ? W : base ; new (r,x) = one-hot select -> W regs
//!                  result = cur.x ; acc = cur.r ^ cur.x              -> O regs (result_stage)
//!  cycle a+3  W  : BRAM write (r,x) @ W.addr      O : clean = ~|acc -> F regs
//!  cycle a+4  F  : result_valid / result / result_clean outputs (registers)
//! ```
//!
//! A read sampled at the end of cycle a misses BRAM writes issued at the end of
//! cycles a (read-during-write collision, undefined on iCE40), a+1 and a+2; those
//! writes are exactly W2 and W as seen in S1 (`fwd_w2_to_s1`, `fwd_w_to_s1`)
//! and W as seen in E (`fwd_w_to_e`).
//!
//! Reset: synchronous, flushes every valid bit and starts a sweep that writes
//! zeros to all 2^A contexts through the W stage (ready low meanwhile).

use rust_hdl::prelude::*;

use crate::Forwarding;
use crate::pipeline::{ExecuteStage, OpDecode, OpStage, ResetSweep, ResultStage, StateStore};

/// `2^A` contexts of `W` bits; the ports are the contract of docs/contracts.md §2.
#[derive(LogicBlock, Debug)]
pub struct AtomikStateTable<const A: usize, const W: usize> {
    // ---- interface (names are the Verilog port names) ----
    /// Single clock; everything is synchronous to its rising edge.
    pub clock: Signal<In, Clock>,
    /// Synchronous, active high: flushes the pipeline and clears every context.
    pub reset: Signal<In, Bit>,
    /// High when an op is accepted this cycle (low during reset and the clearing sweep).
    pub ready: Signal<Out, Bit>,
    /// An op is presented this cycle (accepted iff `ready` is high too).
    pub op_valid: Signal<In, Bit>,
    /// Opcode: 0 LOAD, 1 ACCUM, 2 READ, 3 SWAP, 4 SWAP_KEEP; 5..7 reserved (ignored).
    pub op: Signal<In, Bits<3>>,
    /// Context address.
    pub addr: Signal<In, Bits<A>>,
    /// LOAD value, ACCUM delta or SWAP reference.
    pub data_in: Signal<In, Bits<W>>,
    /// High exactly `LATENCY` cycles after a READ/SWAP/SWAP_KEEP was accepted.
    pub result_valid: Signal<Out, Bit>,
    /// The context's state when the op executed (for swaps: before the swap).
    pub result: Signal<Out, Bits<W>>,
    /// For READ: the accumulator was zero. 0 for the swaps.
    pub result_clean: Signal<Out, Bit>,

    // ---- generation-time constants: the forwarding paths (all 1 but in mutants) ----
    path_w_to_e: Constant<Bit>,
    path_w_to_s1: Constant<Bit>,
    path_w2_to_s1: Constant<Bit>,
    zero_w: Constant<Bits<W>>,

    // ---- pipeline blocks ----
    sweep: ResetSweep<A>,
    dec: OpDecode,
    s1: OpStage<A, W>,
    exec: ExecuteStage<A, W>,
    /// (r, x): the reference and the state x = r ^ accumulator; W and W2.
    store: StateStore<A, W>,
    result_stage: ResultStage<W>,

    // ---- S1: the forwarding decisions, registered in S0 ----
    /// The op now in S1 will be in W when this op is in E.
    s1_fwd_w_to_e: DFF<Bit>,
    /// The op now in E will be in W when this op is in S1.
    s1_fwd_w_to_s1: DFF<Bit>,
    /// The op now in W writes the BRAM in the edge this op reads it: W2 in S1.
    s1_fwd_w2_to_s1: DFF<Bit>,

    // ---- combinational ----
    accept: Signal<Local, Bit>,
    base_r: Signal<Local, Bits<W>>,
    base_x: Signal<Local, Bits<W>>,
}

impl<const A: usize, const W: usize> Default for AtomikStateTable<A, W> {
    fn default() -> Self {
        Self::new(Forwarding::ALL)
    }
}

impl<const A: usize, const W: usize> AtomikStateTable<A, W> {
    /// The table with the given forwarding paths; anything but
    /// [`Forwarding::ALL`] is a deliberately broken mutant for testing the tests.
    pub fn new(forwarding: Forwarding) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            ready: Default::default(),
            op_valid: Default::default(),
            op: Default::default(),
            addr: Default::default(),
            data_in: Default::default(),
            result_valid: Default::default(),
            result: Default::default(),
            result_clean: Default::default(),
            path_w_to_e: Constant::new(forwarding.w_to_e),
            path_w_to_s1: Constant::new(forwarding.w_to_s1),
            path_w2_to_s1: Constant::new(forwarding.w2_to_s1),
            zero_w: Constant::new(Bits::default()),
            sweep: Default::default(),
            dec: Default::default(),
            s1: Default::default(),
            exec: Default::default(),
            store: Default::default(),
            result_stage: Default::default(),
            s1_fwd_w_to_e: Default::default(),
            s1_fwd_w_to_s1: Default::default(),
            s1_fwd_w2_to_s1: Default::default(),
            accept: Default::default(),
            base_r: Default::default(),
            base_x: Default::default(),
        }
    }
}

impl<const A: usize, const W: usize> Logic for AtomikStateTable<A, W> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, s1_fwd_w_to_e, s1_fwd_w_to_s1, s1_fwd_w2_to_s1);
        clock!(self, clock, sweep, s1, exec, store, result_stage);
        self.sweep.reset.next = self.reset.val();
        self.s1.flush.next = self.reset.val();
        self.exec.flush.next = self.reset.val();
        self.store.flush.next = self.reset.val();
        self.result_stage.flush.next = self.reset.val();

        // ================= S0: accept, decode, read, hazard compares =================
        self.ready.next = !self.sweep.clearing.val() & !self.reset.val();
        self.accept.next = self.op_valid.val() & !self.sweep.clearing.val() & !self.reset.val();
        self.store.read_address.next = self.addr.val();
        self.dec.op.next = self.op.val();
        self.s1.in_valid.next = self.accept.val();
        self.s1.in_addr.next = self.addr.val();
        self.s1.in_data.next = self.data_in.val();
        self.s1.in_flags.next = self.dec.flags.val();
        self.s1.probe_addr.next = self.addr.val();
        self.exec.probe_addr.next = self.addr.val();
        self.store.probe_addr.next = self.addr.val();
        self.s1_fwd_w_to_e.d.next = self.path_w_to_e.val() & self.s1.probe_hit.val();
        self.s1_fwd_w_to_s1.d.next = self.path_w_to_s1.val() & self.exec.probe_hit.val();
        self.s1_fwd_w2_to_s1.d.next = self.path_w2_to_s1.val() & self.store.probe_hit.val();

        // ================= S1: merge the BRAM word with W / W2, into E =================
        self.base_r.next = self.store.read_r.val();
        self.base_x.next = self.store.read_s.val();
        if self.s1_fwd_w2_to_s1.q.val() {
            self.base_r.next = self.store.w2_r.val();
            self.base_x.next = self.store.w2_s.val();
        }
        if self.s1_fwd_w_to_s1.q.val() {
            self.base_r.next = self.store.w_r.val();
            self.base_x.next = self.store.w_s.val();
        }
        self.exec.in_valid.next = self.s1.valid.val();
        self.exec.in_addr.next = self.s1.addr.val();
        self.exec.in_data.next = self.s1.data.val();
        self.exec.in_flags.next = self.s1.flags.val();
        self.exec.in_fwd_w_to_e.next = self.s1_fwd_w_to_e.q.val();
        self.exec.in_base_r.next = self.base_r.val();
        self.exec.in_base_s.next = self.base_x.val();
        // No lanes: the stored state is the state.
        self.exec.in_lanes.next = self.zero_w.val();
        self.exec.lanes_in_load.next = false;
        self.exec.w_r.next = self.store.w_r.val();
        self.exec.w_s.next = self.store.w_s.val();

        // ================= E -> W (or the reset sweep), and the results =================
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
