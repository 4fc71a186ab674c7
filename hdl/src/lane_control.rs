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
//! Pipeline (op accepted in cycle a, [`LANE_LATENCY`](crate::LANE_LATENCY) = 6):
//!
//! ```text
//!  a    S0 : decode; compare addr with S1/S2/S3/E/W (h1..h5); BRAM read; lanes read their view
//!  a+1  S1 : b1 = h5 ? W2 : BRAM                      (one LUT after the BRAM)
//!  a+2  S2 : b2 = h3 ? W : h4 ? W2 : b1               (lanes: registered views)
//!  a+3  S3 : b3 = h2 ? W : b2 ; L = XOR of lane views ; b3.y ^ L precomputed
//!  a+4  E  : cur = h1 ? W : b3 ; new (r, y) = one-hot select ; result = cur.y ^ L
//!  a+5  W  : BRAM write                             O : zero test of the accumulator
//!  a+6  F  : result_valid / result / result_clean (registers)
//! ```
//!
//! The read of cycle a misses the control writes issued at the ends of cycles
//! a (op a-5: same-edge collision, from W2 in S1), a+1 (op a-4, from W2 in
//! S2), a+2 (op a-3, from W in S2), a+3 (op a-2, from W in S3) and a+4
//! (op a-1, from W in E).

use atomik::Opcode;
use rust_hdl::prelude::*;

use crate::state_ram::StateRam;
use crate::state_table::code;

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

    // ---- generation-time constants ----
    /// 1 in the correct design; 0 in the mutant whose LOAD/SWAP forget the lanes.
    lanes_in_load: Constant<Bit>,
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

    ram_r: StateRam<A, W>,
    ram_y: StateRam<A, W>,

    accept: Signal<Local, Bit>,
    b1_r: Signal<Local, Bits<W>>,
    b1_y: Signal<Local, Bits<W>>,
    b2_r: Signal<Local, Bits<W>>,
    b2_y: Signal<Local, Bits<W>>,
    b3_r: Signal<Local, Bits<W>>,
    b3_y: Signal<Local, Bits<W>>,
    wy_l: Signal<Local, Bits<W>>,
    m_wr: Signal<Local, Bits<W>>,
    m_br: Signal<Local, Bits<W>>,
    m_wx: Signal<Local, Bits<W>>,
    m_bx: Signal<Local, Bits<W>>,
    m_d: Signal<Local, Bits<W>>,
    m_kwy: Signal<Local, Bits<W>>,
    m_kby: Signal<Local, Bits<W>>,
    m_ud: Signal<Local, Bits<W>>,
    m_ul: Signal<Local, Bits<W>>,

    clear_on: DFF<Bit>,
    clr_cnt: DFF<Bits<A>>,

    // S1: one-hot op decode and hazard flags, registered in S0.
    s1_valid: DFF<Bit>,
    s1_addr: DFF<Bits<A>>,
    s1_data: DFF<Bits<W>>,
    s1_h1: DFF<Bit>,
    s1_h2: DFF<Bit>,
    s1_h3: DFF<Bit>,
    s1_h4: DFF<Bit>,
    s1_h5: DFF<Bit>,
    s1_take_d: DFF<Bit>, // LOAD | SWAP
    s1_accum: DFF<Bit>,
    s1_keep: DFF<Bit>,   // SWAP_KEEP
    s1_hold_r: DFF<Bit>, // ACCUM | READ | reserved
    s1_read: DFF<Bit>,
    s1_res: DFF<Bit>, // READ | SWAP | SWAP_KEEP

    // S2
    s2_valid: DFF<Bit>,
    s2_addr: DFF<Bits<A>>,
    s2_data: DFF<Bits<W>>,
    s2_b_r: DFF<Bits<W>>,
    s2_b_y: DFF<Bits<W>>,
    s2_h1: DFF<Bit>,
    s2_h2: DFF<Bit>,
    s2_h3: DFF<Bit>,
    s2_h4: DFF<Bit>,
    s2_take_d: DFF<Bit>,
    s2_accum: DFF<Bit>,
    s2_keep: DFF<Bit>,
    s2_hold_r: DFF<Bit>,
    s2_read: DFF<Bit>,
    s2_res: DFF<Bit>,

    // S3
    s3_valid: DFF<Bit>,
    s3_addr: DFF<Bits<A>>,
    s3_data: DFF<Bits<W>>,
    s3_b_r: DFF<Bits<W>>,
    s3_b_y: DFF<Bits<W>>,
    s3_h1: DFF<Bit>,
    s3_h2: DFF<Bit>,
    s3_take_d: DFF<Bit>,
    s3_accum: DFF<Bit>,
    s3_keep: DFF<Bit>,
    s3_hold_r: DFF<Bit>,
    s3_read: DFF<Bit>,
    s3_res: DFF<Bit>,

    // E: merged base, lane total, one-hot select flags.
    e_valid: DFF<Bit>,
    e_addr: DFF<Bits<A>>,
    e_data: DFF<Bits<W>>,
    e_b_r: DFF<Bits<W>>,
    e_b_y: DFF<Bits<W>>,
    e_b_s: DFF<Bits<W>>, // e_b_y ^ e_l: the state when not forwarding from W
    e_l: DFF<Bits<W>>,
    e_h1: DFF<Bit>,
    e_s_wr: DFF<Bit>, // new r = W.r
    e_s_br: DFF<Bit>, // new r = base.r
    e_s_wx: DFF<Bit>, // new r = W.y ^ L
    e_s_bx: DFF<Bit>, // new r = base.y ^ L
    e_s_d: DFF<Bit>,  // new r = d
    e_k_wy: DFF<Bit>, // new y includes W.y
    e_k_by: DFF<Bit>, // new y includes base.y
    e_ud: DFF<Bit>,   // new y includes d
    e_ul: DFF<Bit>,   // new y includes L
    e_res: DFF<Bit>,
    e_read: DFF<Bit>,

    w_valid: DFF<Bit>,
    w_addr: DFF<Bits<A>>,
    w_r: DFF<Bits<W>>,
    w_y: DFF<Bits<W>>,
    w2_r: DFF<Bits<W>>,
    w2_y: DFF<Bits<W>>,

    o_valid: DFF<Bit>,
    o_read: DFF<Bit>,
    o_result: DFF<Bits<W>>,
    o_acc: DFF<Bits<W>>,
    f_valid: DFF<Bit>,
    f_result: DFF<Bits<W>>,
    f_clean: DFF<Bit>,
}

impl<const A: usize, const W: usize> LaneControl<A, W> {
    /// The control pipeline; `lanes_in_load = false` builds the mutant whose
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
            ram_y: Default::default(),
            accept: Default::default(),
            b1_r: Default::default(),
            b1_y: Default::default(),
            b2_r: Default::default(),
            b2_y: Default::default(),
            b3_r: Default::default(),
            b3_y: Default::default(),
            wy_l: Default::default(),
            m_wr: Default::default(),
            m_br: Default::default(),
            m_wx: Default::default(),
            m_bx: Default::default(),
            m_d: Default::default(),
            m_kwy: Default::default(),
            m_kby: Default::default(),
            m_ud: Default::default(),
            m_ul: Default::default(),
            clear_on: Default::default(),
            clr_cnt: Default::default(),
            s1_valid: Default::default(),
            s1_addr: Default::default(),
            s1_data: Default::default(),
            s1_h1: Default::default(),
            s1_h2: Default::default(),
            s1_h3: Default::default(),
            s1_h4: Default::default(),
            s1_h5: Default::default(),
            s1_take_d: Default::default(),
            s1_accum: Default::default(),
            s1_keep: Default::default(),
            s1_hold_r: Default::default(),
            s1_read: Default::default(),
            s1_res: Default::default(),
            s2_valid: Default::default(),
            s2_addr: Default::default(),
            s2_data: Default::default(),
            s2_b_r: Default::default(),
            s2_b_y: Default::default(),
            s2_h1: Default::default(),
            s2_h2: Default::default(),
            s2_h3: Default::default(),
            s2_h4: Default::default(),
            s2_take_d: Default::default(),
            s2_accum: Default::default(),
            s2_keep: Default::default(),
            s2_hold_r: Default::default(),
            s2_read: Default::default(),
            s2_res: Default::default(),
            s3_valid: Default::default(),
            s3_addr: Default::default(),
            s3_data: Default::default(),
            s3_b_r: Default::default(),
            s3_b_y: Default::default(),
            s3_h1: Default::default(),
            s3_h2: Default::default(),
            s3_take_d: Default::default(),
            s3_accum: Default::default(),
            s3_keep: Default::default(),
            s3_hold_r: Default::default(),
            s3_read: Default::default(),
            s3_res: Default::default(),
            e_valid: Default::default(),
            e_addr: Default::default(),
            e_data: Default::default(),
            e_b_r: Default::default(),
            e_b_y: Default::default(),
            e_b_s: Default::default(),
            e_l: Default::default(),
            e_h1: Default::default(),
            e_s_wr: Default::default(),
            e_s_br: Default::default(),
            e_s_wx: Default::default(),
            e_s_bx: Default::default(),
            e_s_d: Default::default(),
            e_k_wy: Default::default(),
            e_k_by: Default::default(),
            e_ud: Default::default(),
            e_ul: Default::default(),
            e_res: Default::default(),
            e_read: Default::default(),
            w_valid: Default::default(),
            w_addr: Default::default(),
            w_r: Default::default(),
            w_y: Default::default(),
            w2_r: Default::default(),
            w2_y: Default::default(),
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

impl<const A: usize, const W: usize> Logic for LaneControl<A, W> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, clear_on, clr_cnt, s1_valid, s1_addr, s1_data, s1_h1, s1_h2, s1_h3, s1_h4,
            s1_h5, s1_take_d, s1_accum, s1_keep, s1_hold_r, s1_read, s1_res, s2_valid, s2_addr,
            s2_data, s2_b_r, s2_b_y, s2_h1, s2_h2, s2_h3, s2_h4, s2_take_d, s2_accum, s2_keep,
            s2_hold_r, s2_read, s2_res, s3_valid, s3_addr, s3_data, s3_b_r, s3_b_y, s3_h1, s3_h2,
            s3_take_d, s3_accum, s3_keep, s3_hold_r, s3_read, s3_res, e_valid, e_addr, e_data,
            e_b_r, e_b_y, e_b_s, e_l, e_h1, e_s_wr, e_s_br, e_s_wx, e_s_bx, e_s_d, e_k_wy, e_k_by,
            e_ud, e_ul, e_res, e_read, w_valid, w_addr, w_r, w_y, w2_r, w2_y, o_valid, o_read,
            o_result, o_acc, f_valid, f_result, f_clean
        );
        self.ram_r.clock.next = self.clock.val();
        self.ram_y.clock.next = self.clock.val();

        // ================= S0: accept, decode, hazard compare =================
        self.ready.next = !self.clear_on.q.val() & !self.reset.val();
        self.accept.next = self.op_valid.val() & !self.clear_on.q.val() & !self.reset.val();
        self.clearing.next = self.clear_on.q.val();
        self.clear_addr.next = self.clr_cnt.q.val();
        self.ram_r.read_address.next = self.addr.val();
        self.ram_y.read_address.next = self.addr.val();
        self.s1_valid.d.next = self.accept.val();
        self.s1_addr.d.next = self.addr.val();
        self.s1_data.d.next = self.data_in.val();
        // hK: the op K ahead names the same context; its write is forwarded
        // at E (h1, from W), S3 (h2, from W), S2 (h3 from W, h4 from W2) and
        // S1 (h5, from W2: the write in the same edge as this read).
        self.s1_h1.d.next = self.s1_valid.q.val() & (self.s1_addr.q.val() == self.addr.val());
        self.s1_h2.d.next = self.s2_valid.q.val() & (self.s2_addr.q.val() == self.addr.val());
        self.s1_h3.d.next = self.s3_valid.q.val() & (self.s3_addr.q.val() == self.addr.val());
        self.s1_h4.d.next = self.e_valid.q.val() & (self.e_addr.q.val() == self.addr.val());
        self.s1_h5.d.next = self.w_valid.q.val() & (self.w_addr.q.val() == self.addr.val());
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

        // ================= S1: one LUT after the BRAM: the same-edge write =================
        self.b1_r.next = self.ram_r.read_data.val();
        self.b1_y.next = self.ram_y.read_data.val();
        if self.s1_h5.q.val() {
            self.b1_r.next = self.w2_r.q.val();
            self.b1_y.next = self.w2_y.q.val();
        }
        self.s2_b_r.d.next = self.b1_r.val();
        self.s2_b_y.d.next = self.b1_y.val();
        self.s2_valid.d.next = self.s1_valid.q.val();
        self.s2_addr.d.next = self.s1_addr.q.val();
        self.s2_data.d.next = self.s1_data.q.val();
        self.s2_h1.d.next = self.s1_h1.q.val();
        self.s2_h2.d.next = self.s1_h2.q.val();
        self.s2_h3.d.next = self.s1_h3.q.val();
        self.s2_h4.d.next = self.s1_h4.q.val();
        self.s2_take_d.d.next = self.s1_take_d.q.val();
        self.s2_accum.d.next = self.s1_accum.q.val();
        self.s2_keep.d.next = self.s1_keep.q.val();
        self.s2_hold_r.d.next = self.s1_hold_r.q.val();
        self.s2_read.d.next = self.s1_read.q.val();
        self.s2_res.d.next = self.s1_res.q.val();

        // ================= S2: merge the writes of ops 3 and 4 ahead =================
        self.b2_r.next = self.s2_b_r.q.val();
        self.b2_y.next = self.s2_b_y.q.val();
        if self.s2_h4.q.val() {
            self.b2_r.next = self.w2_r.q.val();
            self.b2_y.next = self.w2_y.q.val();
        }
        if self.s2_h3.q.val() {
            self.b2_r.next = self.w_r.q.val();
            self.b2_y.next = self.w_y.q.val();
        }
        self.s3_b_r.d.next = self.b2_r.val();
        self.s3_b_y.d.next = self.b2_y.val();
        self.s3_valid.d.next = self.s2_valid.q.val();
        self.s3_addr.d.next = self.s2_addr.q.val();
        self.s3_data.d.next = self.s2_data.q.val();
        self.s3_h1.d.next = self.s2_h1.q.val();
        self.s3_h2.d.next = self.s2_h2.q.val();
        self.s3_take_d.d.next = self.s2_take_d.q.val();
        self.s3_accum.d.next = self.s2_accum.q.val();
        self.s3_keep.d.next = self.s2_keep.q.val();
        self.s3_hold_r.d.next = self.s2_hold_r.q.val();
        self.s3_read.d.next = self.s2_read.q.val();
        self.s3_res.d.next = self.s2_res.q.val();

        // ================= S3: merge op 2 ahead, add the lanes' total =================
        self.b3_r.next = self.s3_b_r.q.val();
        self.b3_y.next = self.s3_b_y.q.val();
        if self.s3_h2.q.val() {
            self.b3_r.next = self.w_r.q.val();
            self.b3_y.next = self.w_y.q.val();
        }
        self.e_b_r.d.next = self.b3_r.val();
        self.e_b_y.d.next = self.b3_y.val();
        self.e_b_s.d.next = self.b3_y.val() ^ self.lane_sum.val();
        self.e_l.d.next = self.lane_sum.val();
        self.e_valid.d.next = self.s3_valid.q.val();
        self.e_addr.d.next = self.s3_addr.q.val();
        self.e_data.d.next = self.s3_data.q.val();
        self.e_h1.d.next = self.s3_h1.q.val();
        // One-hot select flags for E, all zero when S2 holds no op.
        self.e_s_wr.d.next = self.s3_valid.q.val() & self.s3_h1.q.val() & self.s3_hold_r.q.val();
        self.e_s_br.d.next = self.s3_valid.q.val() & !self.s3_h1.q.val() & self.s3_hold_r.q.val();
        self.e_s_wx.d.next = self.s3_valid.q.val() & self.s3_h1.q.val() & self.s3_keep.q.val();
        self.e_s_bx.d.next = self.s3_valid.q.val() & !self.s3_h1.q.val() & self.s3_keep.q.val();
        self.e_s_d.d.next = self.s3_valid.q.val() & self.s3_take_d.q.val();
        self.e_k_wy.d.next = self.s3_valid.q.val() & self.s3_h1.q.val() & !self.s3_take_d.q.val();
        self.e_k_by.d.next = self.s3_valid.q.val() & !self.s3_h1.q.val() & !self.s3_take_d.q.val();
        self.e_ud.d.next = self.s3_valid.q.val() & (self.s3_take_d.q.val() | self.s3_accum.q.val());
        self.e_ul.d.next =
            self.s3_valid.q.val() & self.s3_take_d.q.val() & self.lanes_in_load.val();
        self.e_res.d.next = self.s3_valid.q.val() & self.s3_res.q.val();
        self.e_read.d.next = self.s3_valid.q.val() & self.s3_read.q.val();

        // ================= E: execute (selects of registered values) =================
        self.m_wr.next = self.zero_w.val();
        self.m_br.next = self.zero_w.val();
        self.m_wx.next = self.zero_w.val();
        self.m_bx.next = self.zero_w.val();
        self.m_d.next = self.zero_w.val();
        self.m_kwy.next = self.zero_w.val();
        self.m_kby.next = self.zero_w.val();
        self.m_ud.next = self.zero_w.val();
        self.m_ul.next = self.zero_w.val();
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
        if self.e_k_wy.q.val() {
            self.m_kwy.next = self.ones_w.val();
        }
        if self.e_k_by.q.val() {
            self.m_kby.next = self.ones_w.val();
        }
        if self.e_ud.q.val() {
            self.m_ud.next = self.ones_w.val();
        }
        if self.e_ul.q.val() {
            self.m_ul.next = self.ones_w.val();
        }
        self.wy_l.next = self.w_y.q.val() ^ self.e_l.q.val();
        self.w_r.d.next = (self.m_wr.val() & self.w_r.q.val())
            | (self.m_br.val() & self.e_b_r.q.val())
            | (self.m_wx.val() & self.wy_l.val())
            | (self.m_bx.val() & self.e_b_s.q.val())
            | (self.m_d.val() & self.e_data.q.val());
        self.w_y.d.next = ((self.m_kwy.val() & self.w_y.q.val())
            | (self.m_kby.val() & self.e_b_y.q.val()))
            ^ (self.m_ud.val() & self.e_data.q.val())
            ^ (self.m_ul.val() & self.e_l.q.val());
        self.w_valid.d.next = self.e_valid.q.val() | self.clear_on.q.val();
        self.w_addr.d.next = self.e_addr.q.val();
        if self.clear_on.q.val() {
            // Reset sweep: E is empty, so every select flag is 0 and w_r/w_y get 0.
            self.w_addr.d.next = self.clr_cnt.q.val();
        }
        if self.e_h1.q.val() {
            self.o_result.d.next = self.wy_l.val();
            self.o_acc.d.next = self.wy_l.val() ^ self.w_r.q.val();
        } else {
            self.o_result.d.next = self.e_b_s.q.val();
            self.o_acc.d.next = self.e_b_s.q.val() ^ self.e_b_r.q.val();
        }
        self.o_valid.d.next = self.e_res.q.val();
        self.o_read.d.next = self.e_read.q.val();

        // ================= W: BRAM write port (all registered) =================
        self.ram_r.write_enable.next = self.w_valid.q.val();
        self.ram_r.write_address.next = self.w_addr.q.val();
        self.ram_r.write_data.next = self.w_r.q.val();
        self.ram_y.write_enable.next = self.w_valid.q.val();
        self.ram_y.write_address.next = self.w_addr.q.val();
        self.ram_y.write_data.next = self.w_y.q.val();
        self.w2_r.d.next = self.w_r.q.val();
        self.w2_y.d.next = self.w_y.q.val();

        // ================= O -> F: zero test, output registers =================
        self.f_valid.d.next = self.o_valid.q.val();
        self.f_result.d.next = self.o_result.q.val();
        self.f_clean.d.next = self.o_read.q.val() & !self.o_acc.q.val().any();
        self.result_valid.next = self.f_valid.q.val();
        self.result.next = self.f_result.q.val();
        self.result_clean.next = self.f_clean.q.val();

        // ================= reset sweep =================
        if self.clear_on.q.val() {
            self.clr_cnt.d.next = self.clr_cnt.q.val() + self.one_a.val();
            if self.clr_cnt.q.val() == self.last_a.val() {
                self.clear_on.d.next = false;
            }
        }
        if self.reset.val() {
            self.clear_on.d.next = true;
            self.clr_cnt.d.next = self.zero_a.val();
            self.s1_valid.d.next = false;
            self.s2_valid.d.next = false;
            self.s3_valid.d.next = false;
            self.e_valid.d.next = false;
            self.e_s_wr.d.next = false;
            self.e_s_br.d.next = false;
            self.e_s_wx.d.next = false;
            self.e_s_bx.d.next = false;
            self.e_s_d.d.next = false;
            self.e_k_wy.d.next = false;
            self.e_k_by.d.next = false;
            self.e_ud.d.next = false;
            self.e_ul.d.next = false;
            self.e_res.d.next = false;
            self.e_read.d.next = false;
            self.w_valid.d.next = false;
            self.o_valid.d.next = false;
            self.f_valid.d.next = false;
        }
    }
}
