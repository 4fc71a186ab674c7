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
//! Pipeline (op accepted in cycle a, LATENCY = 4):
//!
//! ```text
//!  cycle a    S0 : decode op (one-hot), compare addr with S1/E/W  -> h1,h2,h3 ; BRAM read addr = addr
//!  cycle a+1  S1 : base = h2 ? W : h3 ? W2 : BRAM.rdata            (pre-merge, registered)
//!                  registered one-hot select masks for E
//!  cycle a+2  E  : cur = h1 ? W : base ; new (r,x) = one-hot select -> W regs
//!                  result = cur.x ; acc = cur.r ^ cur.x              -> O regs
//!  cycle a+3  W  : BRAM write (r,x) @ W.addr      O : clean = ~|acc -> F regs
//!  cycle a+4  F  : result_valid / result / result_clean outputs (registers)
//! ```
//!
//! A read sampled at the end of cycle a misses BRAM writes issued at the end of
//! cycles a (read-during-write collision, undefined on iCE40), a+1 and a+2; those
//! writes are exactly W2, W and W as seen in S1 (h3, h2) and E (h1).
//!
//! Reset: synchronous, flushes every valid bit and starts a sweep that writes
//! zeros to all 2^A contexts through the W stage (ready low meanwhile).

use atomik::Opcode;
use rust_hdl::prelude::*;

use crate::Forwarding;
use crate::state_ram::StateRam;

/// The opcode as the `op` port sees it (the numbering is shared with the core crate).
pub(crate) fn code(op: Opcode) -> Bits<3> {
    u64::from(op.bits()).to_bits()
}

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

    // ---- generation-time constants ----
    fwd_h1: Constant<Bit>, // forward W into E          (op 1 ahead)
    fwd_h2: Constant<Bit>, // forward W into S1         (op 2 ahead)
    fwd_h3: Constant<Bit>, // forward W2 into S1        (op 3 ahead, BRAM read-during-write)
    zero_w: Constant<Bits<W>>,
    ones_w: Constant<Bits<W>>,
    zero_a: Constant<Bits<A>>,
    one_a: Constant<Bits<A>>,
    last_a: Constant<Bits<A>>,
    op_load: Constant<Bits<3>>,
    op_accum: Constant<Bits<3>>,
    op_read: Constant<Bits<3>>,
    op_swap: Constant<Bits<3>>,
    op_swap_keep: Constant<Bits<3>>,

    // ---- memories ----
    ram_r: StateRam<A, W>,
    ram_x: StateRam<A, W>,

    // ---- combinational temporaries ----
    accept: Signal<Local, Bit>,
    base_r: Signal<Local, Bits<W>>,
    base_x: Signal<Local, Bits<W>>,
    m_wr: Signal<Local, Bits<W>>,
    m_br: Signal<Local, Bits<W>>,
    m_wx: Signal<Local, Bits<W>>,
    m_bx: Signal<Local, Bits<W>>,
    m_d: Signal<Local, Bits<W>>,
    m_kwx: Signal<Local, Bits<W>>,
    m_kbx: Signal<Local, Bits<W>>,
    m_ud: Signal<Local, Bits<W>>,

    // ---- reset sweep ----
    clearing: DFF<Bit>,
    clr_cnt: DFF<Bits<A>>,

    // ---- S1 ----
    s1_valid: DFF<Bit>,
    s1_addr: DFF<Bits<A>>,
    s1_data: DFF<Bits<W>>,
    s1_h1: DFF<Bit>,
    s1_h2: DFF<Bit>,
    s1_h3: DFF<Bit>,
    s1_take_d: DFF<Bit>, // LOAD | SWAP
    s1_accum: DFF<Bit>,  // ACCUM
    s1_keep: DFF<Bit>,   // SWAP_KEEP
    s1_hold_r: DFF<Bit>, // r unchanged: ACCUM | READ | reserved
    s1_read: DFF<Bit>,   // READ
    s1_res: DFF<Bit>,    // READ | SWAP | SWAP_KEEP

    // ---- E ----
    e_valid: DFF<Bit>,
    e_addr: DFF<Bits<A>>,
    e_data: DFF<Bits<W>>,
    e_base_r: DFF<Bits<W>>,
    e_base_x: DFF<Bits<W>>,
    e_h1: DFF<Bit>,
    e_s_wr: DFF<Bit>, // new r = W.r
    e_s_br: DFF<Bit>, // new r = base.r
    e_s_wx: DFF<Bit>, // new r = W.x
    e_s_bx: DFF<Bit>, // new r = base.x
    e_s_d: DFF<Bit>,  // new r = d
    e_k_wx: DFF<Bit>, // new x includes W.x
    e_k_bx: DFF<Bit>, // new x includes base.x
    e_ud: DFF<Bit>,   // new x includes d (xor)
    e_res: DFF<Bit>,
    e_read: DFF<Bit>,

    // ---- W (BRAM write) and W2 (one cycle later) ----
    w_valid: DFF<Bit>,
    w_addr: DFF<Bits<A>>,
    w_r: DFF<Bits<W>>,
    w_x: DFF<Bits<W>>,
    w2_valid: DFF<Bit>,
    w2_addr: DFF<Bits<A>>,
    w2_r: DFF<Bits<W>>,
    w2_x: DFF<Bits<W>>,

    // ---- O (result + accumulator snapshot) and F (output registers) ----
    o_valid: DFF<Bit>,
    o_read: DFF<Bit>,
    o_result: DFF<Bits<W>>,
    o_acc: DFF<Bits<W>>,
    f_valid: DFF<Bit>,
    f_result: DFF<Bits<W>>,
    f_clean: DFF<Bit>,
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
        let Forwarding { h1, h2, h3 } = forwarding;
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
            fwd_h1: Constant::new(h1),
            fwd_h2: Constant::new(h2),
            fwd_h3: Constant::new(h3),
            zero_w: Constant::new(Bits::default()),
            ones_w: Constant::new(Bits::mask()),
            zero_a: Constant::new(Bits::default()),
            one_a: Constant::new(1u64.to_bits()),
            last_a: Constant::new(Bits::mask()),
            op_load: Constant::new(code(Opcode::Load)),
            op_accum: Constant::new(code(Opcode::Accum)),
            op_read: Constant::new(code(Opcode::Read)),
            op_swap: Constant::new(code(Opcode::Swap)),
            op_swap_keep: Constant::new(code(Opcode::SwapKeep)),
            ram_r: Default::default(),
            ram_x: Default::default(),
            accept: Default::default(),
            base_r: Default::default(),
            base_x: Default::default(),
            m_wr: Default::default(),
            m_br: Default::default(),
            m_wx: Default::default(),
            m_bx: Default::default(),
            m_d: Default::default(),
            m_kwx: Default::default(),
            m_kbx: Default::default(),
            m_ud: Default::default(),
            clearing: Default::default(),
            clr_cnt: Default::default(),
            s1_valid: Default::default(),
            s1_addr: Default::default(),
            s1_data: Default::default(),
            s1_h1: Default::default(),
            s1_h2: Default::default(),
            s1_h3: Default::default(),
            s1_take_d: Default::default(),
            s1_accum: Default::default(),
            s1_keep: Default::default(),
            s1_hold_r: Default::default(),
            s1_read: Default::default(),
            s1_res: Default::default(),
            e_valid: Default::default(),
            e_addr: Default::default(),
            e_data: Default::default(),
            e_base_r: Default::default(),
            e_base_x: Default::default(),
            e_h1: Default::default(),
            e_s_wr: Default::default(),
            e_s_br: Default::default(),
            e_s_wx: Default::default(),
            e_s_bx: Default::default(),
            e_s_d: Default::default(),
            e_k_wx: Default::default(),
            e_k_bx: Default::default(),
            e_ud: Default::default(),
            e_res: Default::default(),
            e_read: Default::default(),
            w_valid: Default::default(),
            w_addr: Default::default(),
            w_r: Default::default(),
            w_x: Default::default(),
            w2_valid: Default::default(),
            w2_addr: Default::default(),
            w2_r: Default::default(),
            w2_x: Default::default(),
            o_valid: Default::default(),
            o_read: Default::default(),
            o_result: Default::default(),
            o_acc: Default::default(),
            f_valid: Default::default(),
            f_result: Default::default(),
            f_clean: Default::default(),
        }
    }
}

impl<const A: usize, const W: usize> Logic for AtomikStateTable<A, W> {
    #[hdl_gen]
    fn update(&mut self) {
        // Clock every register; default d = q (hold).
        dff_setup!(
            self, clock, clearing, clr_cnt, s1_valid, s1_addr, s1_data, s1_h1, s1_h2, s1_h3,
            s1_take_d, s1_accum, s1_keep, s1_hold_r, s1_read, s1_res, e_valid, e_addr, e_data,
            e_base_r, e_base_x, e_h1, e_s_wr, e_s_br, e_s_wx, e_s_bx, e_s_d, e_k_wx, e_k_bx, e_ud,
            e_res, e_read, w_valid, w_addr, w_r, w_x, w2_valid, w2_addr, w2_r, w2_x, o_valid,
            o_read, o_result, o_acc, f_valid, f_result, f_clean
        );
        self.ram_r.clock.next = self.clock.val();
        self.ram_x.clock.next = self.clock.val();

        // ================= S0: accept, decode, hazard compare =================
        self.ready.next = !self.clearing.q.val() & !self.reset.val();
        self.accept.next = self.op_valid.val() & !self.clearing.q.val() & !self.reset.val();
        self.ram_r.read_address.next = self.addr.val();
        self.ram_x.read_address.next = self.addr.val();

        self.s1_valid.d.next = self.accept.val();
        self.s1_addr.d.next = self.addr.val();
        self.s1_data.d.next = self.data_in.val();
        // h1: the op now in S1 will be in W when this op is in E.
        // h2: the op now in E will be in W when this op is in S1.
        // h3: the op now in W writes the BRAM in the same edge as this op's read.
        self.s1_h1.d.next =
            self.fwd_h1.val() & self.s1_valid.q.val() & (self.s1_addr.q.val() == self.addr.val());
        self.s1_h2.d.next =
            self.fwd_h2.val() & self.e_valid.q.val() & (self.e_addr.q.val() == self.addr.val());
        self.s1_h3.d.next =
            self.fwd_h3.val() & self.w_valid.q.val() & (self.w_addr.q.val() == self.addr.val());
        self.s1_take_d.d.next =
            (self.op.val() == self.op_load.val()) | (self.op.val() == self.op_swap.val());
        self.s1_accum.d.next = self.op.val() == self.op_accum.val();
        self.s1_keep.d.next = self.op.val() == self.op_swap_keep.val();
        self.s1_hold_r.d.next = !((self.op.val() == self.op_load.val())
            | (self.op.val() == self.op_swap.val())
            | (self.op.val() == self.op_swap_keep.val()));
        self.s1_read.d.next = self.op.val() == self.op_read.val();
        self.s1_res.d.next = (self.op.val() == self.op_read.val())
            | (self.op.val() == self.op_swap.val())
            | (self.op.val() == self.op_swap_keep.val());

        // ================= S1: pre-merge BRAM data with W / W2 =================
        self.base_r.next = self.ram_r.read_data.val();
        self.base_x.next = self.ram_x.read_data.val();
        if self.s1_h3.q.val() {
            self.base_r.next = self.w2_r.q.val();
            self.base_x.next = self.w2_x.q.val();
        }
        if self.s1_h2.q.val() {
            self.base_r.next = self.w_r.q.val();
            self.base_x.next = self.w_x.q.val();
        }
        self.e_base_r.d.next = self.base_r.val();
        self.e_base_x.d.next = self.base_x.val();
        self.e_valid.d.next = self.s1_valid.q.val();
        self.e_addr.d.next = self.s1_addr.q.val();
        self.e_data.d.next = self.s1_data.q.val();
        self.e_h1.d.next = self.s1_h1.q.val();
        // One-hot select flags for E, all zero when S1 holds no op.
        self.e_s_wr.d.next = self.s1_valid.q.val() & self.s1_h1.q.val() & self.s1_hold_r.q.val();
        self.e_s_br.d.next = self.s1_valid.q.val() & !self.s1_h1.q.val() & self.s1_hold_r.q.val();
        self.e_s_wx.d.next = self.s1_valid.q.val() & self.s1_h1.q.val() & self.s1_keep.q.val();
        self.e_s_bx.d.next = self.s1_valid.q.val() & !self.s1_h1.q.val() & self.s1_keep.q.val();
        self.e_s_d.d.next = self.s1_valid.q.val() & self.s1_take_d.q.val();
        self.e_k_wx.d.next = self.s1_valid.q.val() & self.s1_h1.q.val() & !self.s1_take_d.q.val();
        self.e_k_bx.d.next = self.s1_valid.q.val() & !self.s1_h1.q.val() & !self.s1_take_d.q.val();
        self.e_ud.d.next = self.s1_valid.q.val() & (self.s1_take_d.q.val() | self.s1_accum.q.val());
        self.e_res.d.next = self.s1_valid.q.val() & self.s1_res.q.val();
        self.e_read.d.next = self.s1_valid.q.val() & self.s1_read.q.val();

        // ================= E: execute (two LUT levels per bit) =================
        self.m_wr.next = self.zero_w.val();
        self.m_br.next = self.zero_w.val();
        self.m_wx.next = self.zero_w.val();
        self.m_bx.next = self.zero_w.val();
        self.m_d.next = self.zero_w.val();
        self.m_kwx.next = self.zero_w.val();
        self.m_kbx.next = self.zero_w.val();
        self.m_ud.next = self.zero_w.val();
        if self.e_s_wr.q.val() {
            self.m_wr.next = self.ones_w.val();
        }
        if self.e_s_br.q.val() {
            self.m_br.next = self.ones_w.val();
        }
        if self.e_s_wx.q.val() {
            self.m_wx.next = self.ones_w.val();
        }
        if self.e_s_bx.q.val() {
            self.m_bx.next = self.ones_w.val();
        }
        if self.e_s_d.q.val() {
            self.m_d.next = self.ones_w.val();
        }
        if self.e_k_wx.q.val() {
            self.m_kwx.next = self.ones_w.val();
        }
        if self.e_k_bx.q.val() {
            self.m_kbx.next = self.ones_w.val();
        }
        if self.e_ud.q.val() {
            self.m_ud.next = self.ones_w.val();
        }
        self.w_r.d.next = (self.m_wr.val() & self.w_r.q.val())
            | (self.m_br.val() & self.e_base_r.q.val())
            | (self.m_wx.val() & self.w_x.q.val())
            | (self.m_bx.val() & self.e_base_x.q.val())
            | (self.m_d.val() & self.e_data.q.val());
        self.w_x.d.next = ((self.m_kwx.val() & self.w_x.q.val())
            | (self.m_kbx.val() & self.e_base_x.q.val()))
            ^ (self.m_ud.val() & self.e_data.q.val());
        self.w_valid.d.next = self.e_valid.q.val() | self.clearing.q.val();
        self.w_addr.d.next = self.e_addr.q.val();
        if self.clearing.q.val() {
            // Reset sweep: E is empty, so all select flags are 0 and w_r/w_x get 0.
            self.w_addr.d.next = self.clr_cnt.q.val();
        }
        if self.e_h1.q.val() {
            self.o_result.d.next = self.w_x.q.val();
            self.o_acc.d.next = self.w_r.q.val() ^ self.w_x.q.val();
        } else {
            self.o_result.d.next = self.e_base_x.q.val();
            self.o_acc.d.next = self.e_base_r.q.val() ^ self.e_base_x.q.val();
        }
        self.o_valid.d.next = self.e_res.q.val();
        self.o_read.d.next = self.e_read.q.val();

        // ================= W: BRAM write port (all registered) =================
        self.ram_r.write_enable.next = self.w_valid.q.val();
        self.ram_r.write_address.next = self.w_addr.q.val();
        self.ram_r.write_data.next = self.w_r.q.val();
        self.ram_x.write_enable.next = self.w_valid.q.val();
        self.ram_x.write_address.next = self.w_addr.q.val();
        self.ram_x.write_data.next = self.w_x.q.val();
        self.w2_valid.d.next = self.w_valid.q.val();
        self.w2_addr.d.next = self.w_addr.q.val();
        self.w2_r.d.next = self.w_r.q.val();
        self.w2_x.d.next = self.w_x.q.val();

        // ================= O -> F: zero test, output registers =================
        self.f_valid.d.next = self.o_valid.q.val();
        self.f_result.d.next = self.o_result.q.val();
        self.f_clean.d.next = self.o_read.q.val() & !self.o_acc.q.val().any();
        self.result_valid.next = self.f_valid.q.val();
        self.result.next = self.f_result.q.val();
        self.result_clean.next = self.f_clean.q.val();

        // ================= reset sweep control =================
        if self.clearing.q.val() {
            self.clr_cnt.d.next = self.clr_cnt.q.val() + self.one_a.val();
            if self.clr_cnt.q.val() == self.last_a.val() {
                self.clearing.d.next = false;
            }
        }

        // ================= synchronous reset: flush everything =================
        if self.reset.val() {
            self.clearing.d.next = true;
            self.clr_cnt.d.next = self.zero_a.val();
            self.s1_valid.d.next = false;
            self.e_valid.d.next = false;
            self.e_s_wr.d.next = false;
            self.e_s_br.d.next = false;
            self.e_s_wx.d.next = false;
            self.e_s_bx.d.next = false;
            self.e_s_d.d.next = false;
            self.e_k_wx.d.next = false;
            self.e_k_bx.d.next = false;
            self.e_ud.d.next = false;
            self.e_res.d.next = false;
            self.e_read.d.next = false;
            self.w_valid.d.next = false;
            self.w2_valid.d.next = false;
            self.o_valid.d.next = false;
            self.f_valid.d.next = false;
        }
    }
}
