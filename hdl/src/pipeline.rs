//! Pipeline blocks shared by `atomik_state_table` and `atomik_lane_table`
//! (the control port) and the lane banks: op decode, the registers of an op
//! in flight, the hazard compare, the execute stage (its one-hot select
//! masks and the new state), the result registers and the reset sweep.
//!
//! Each is a rust-hdl block; `verilog_nested::flatten_all` inlines them into
//! the emitted module, where their signals keep the instance name as a
//! prefix (`exec$fwd_w_to_e$q`).
//!
//! The state a context stores is (r, s): its reference and a *stored state*
//! s. In the single-port table s = r ^ accumulator, the state itself. In
//! the lanes table s is compensated for the lane banks (see
//! `lane_control.rs`): the state is s ^ L, with L the lanes' total at the
//! context. The execute stage takes L as an input; the single-port table
//! ties it to zero, which yosys and Verilator fold away.

use atomik::Opcode;
use rust_hdl::prelude::*;

use crate::state_ram::StateRam;

/// The opcode as the `op` port sees it (the numbering is shared with the core crate).
pub(crate) fn code(op: Opcode) -> Bits<3> {
    u64::from(op.bits()).to_bits()
}

/// What an op does, decoded once in S0 and carried down the pipeline as
/// one packed signal (one-hot where it matters for the selects).
#[derive(Default, PartialEq, Eq, LogicStruct, Copy, Clone, Debug)]
pub(crate) struct OpFlags {
    /// LOAD or SWAP: the new reference is the op's data.
    pub take_d: Bit,
    /// ACCUM.
    pub accum: Bit,
    /// SWAP_KEEP: the new reference is the current state.
    pub keep: Bit,
    /// The reference is unchanged: ACCUM, READ, reserved.
    pub hold_r: Bit,
    /// READ (the only op whose result carries `result_clean`).
    pub read: Bit,
    /// READ, SWAP or SWAP_KEEP: the op produces a result.
    pub res: Bit,
}

/// Decode of an opcode (combinational). Reserved codes decode to "keep the
/// reference, no result": no state change.
#[derive(LogicBlock, Debug)]
pub(crate) struct OpDecode {
    /// The opcode.
    pub op: Signal<In, Bits<3>>,
    /// What it does.
    pub flags: Signal<Out, OpFlags>,
    op_load: Constant<Bits<3>>,
    op_accum: Constant<Bits<3>>,
    op_read: Constant<Bits<3>>,
    op_swap: Constant<Bits<3>>,
    op_swap_keep: Constant<Bits<3>>,
}

impl Default for OpDecode {
    fn default() -> Self {
        Self {
            op: Default::default(),
            flags: Default::default(),
            op_load: Constant::new(code(Opcode::Load)),
            op_accum: Constant::new(code(Opcode::Accum)),
            op_read: Constant::new(code(Opcode::Read)),
            op_swap: Constant::new(code(Opcode::Swap)),
            op_swap_keep: Constant::new(code(Opcode::SwapKeep)),
        }
    }
}

impl Logic for OpDecode {
    #[hdl_gen]
    fn update(&mut self) {
        self.flags.next.take_d =
            (self.op.val() == self.op_load.val()) | (self.op.val() == self.op_swap.val());
        self.flags.next.accum = self.op.val() == self.op_accum.val();
        self.flags.next.keep = self.op.val() == self.op_swap_keep.val();
        self.flags.next.hold_r = !((self.op.val() == self.op_load.val())
            | (self.op.val() == self.op_swap.val())
            | (self.op.val() == self.op_swap_keep.val()));
        self.flags.next.read = self.op.val() == self.op_read.val();
        self.flags.next.res = (self.op.val() == self.op_read.val())
            | (self.op.val() == self.op_swap.val())
            | (self.op.val() == self.op_swap_keep.val());
    }
}

/// The registers of one op in flight between two pipeline stages: valid,
/// context, data and what it does. `flush` (the table's reset) drops the op.
#[derive(LogicBlock, Debug, Default)]
pub(crate) struct OpStage<const A: usize, const W: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Drops the op entering this cycle.
    pub flush: Signal<In, Bit>,
    /// An op enters.
    pub in_valid: Signal<In, Bit>,
    /// Its context.
    pub in_addr: Signal<In, Bits<A>>,
    /// Its data.
    pub in_data: Signal<In, Bits<W>>,
    /// What it does.
    pub in_flags: Signal<In, OpFlags>,
    /// The registered op: valid.
    pub valid: Signal<Out, Bit>,
    /// Its context.
    pub addr: Signal<Out, Bits<A>>,
    /// Its data.
    pub data: Signal<Out, Bits<W>>,
    /// What it does.
    pub flags: Signal<Out, OpFlags>,
    /// A context being read (by an op entering the pipeline).
    pub probe_addr: Signal<In, Bits<A>>,
    /// This stage holds an op on `probe_addr`: its write must be forwarded
    /// to the op reading it.
    pub probe_hit: Signal<Out, Bit>,
    probe: AddrMatch<A>,
    r_valid: DFF<Bit>,
    r_addr: DFF<Bits<A>>,
    r_data: DFF<Bits<W>>,
    r_flags: DFF<OpFlags>,
}

impl<const A: usize, const W: usize> Logic for OpStage<A, W> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, r_valid, r_addr, r_data, r_flags);
        self.r_valid.d.next = self.in_valid.val() & !self.flush.val();
        self.r_addr.d.next = self.in_addr.val();
        self.r_data.d.next = self.in_data.val();
        self.r_flags.d.next = self.in_flags.val();
        self.valid.next = self.r_valid.q.val();
        self.addr.next = self.r_addr.q.val();
        self.data.next = self.r_data.q.val();
        self.flags.next = self.r_flags.q.val();
        self.probe.valid.next = self.r_valid.q.val();
        self.probe.stage_addr.next = self.r_addr.q.val();
        self.probe.addr.next = self.probe_addr.val();
        self.probe_hit.next = self.probe.hit.val();
    }
}

/// The hazard compare (combinational): whether the op in a later stage
/// (`valid`, `stage_addr`) names the context `addr`, i.e. whether its write
/// must be forwarded to the op reading `addr`.
#[derive(LogicBlock, Debug, Default)]
pub(crate) struct AddrMatch<const A: usize> {
    /// The later stage holds an op (and, in a mutant, the path exists).
    pub valid: Signal<In, Bit>,
    /// Its context.
    pub stage_addr: Signal<In, Bits<A>>,
    /// The context being read.
    pub addr: Signal<In, Bits<A>>,
    /// Forward.
    pub hit: Signal<Out, Bit>,
}

impl<const A: usize> Logic for AddrMatch<A> {
    #[hdl_gen]
    fn update(&mut self) {
        self.hit.next = self.valid.val() & (self.stage_addr.val() == self.addr.val());
    }
}

/// The execute stage E: its registers (filled from the last pre-merge
/// stage) and the new (r, s) as one-hot selects of registered values, two
/// LUT levels per bit:
///
/// | op        | result | new r     | new s          |
/// |-----------|--------|-----------|----------------|
/// | LOAD d    | -      | d         | d ^ L          |
/// | ACCUM d   | -      | r         | s ^ d          |
/// | READ      | s ^ L  | r         | s              |
/// | SWAP d    | s ^ L  | d         | d ^ L          |
/// | SWAP_KEEP | s ^ L  | s ^ L     | s              |
/// | reserved  | -      | r         | s              |
///
/// where (r, s) is the base merged in the stages before, or, when the op
/// one ahead wrote the same context (`in_fwd_w_to_e`), the W stage's (r, s).
/// `result_clean` of a READ is accumulator == 0, i.e. `acc` == 0 with
/// `acc = state ^ r`.
#[derive(LogicBlock, Debug)]
pub(crate) struct ExecuteStage<const A: usize, const W: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Drops the op entering this cycle.
    pub flush: Signal<In, Bit>,
    /// The op entering E and its flags (from the last [`OpStage`]).
    pub in_valid: Signal<In, Bit>,
    /// Its context.
    pub in_addr: Signal<In, Bits<A>>,
    /// Its data.
    pub in_data: Signal<In, Bits<W>>,
    /// What it does.
    pub in_flags: Signal<In, OpFlags>,
    /// The op one ahead (in W when this one is in E) wrote this context.
    pub in_fwd_w_to_e: Signal<In, Bit>,
    /// The merged base: reference.
    pub in_base_r: Signal<In, Bits<W>>,
    /// The merged base: stored state.
    pub in_base_s: Signal<In, Bits<W>>,
    /// L, the lanes' total at the context (zero without lanes).
    pub in_lanes: Signal<In, Bits<W>>,
    /// LOAD and SWAP fold L into the stored state (0 only in the mutant
    /// that forgets the lanes; irrelevant without lanes).
    pub lanes_in_load: Signal<In, Bit>,
    /// The W stage's reference (for forwarding).
    pub w_r: Signal<In, Bits<W>>,
    /// The W stage's stored state.
    pub w_s: Signal<In, Bits<W>>,
    /// E holds an op.
    pub valid: Signal<Out, Bit>,
    /// Its context.
    pub addr: Signal<Out, Bits<A>>,
    /// E holds an op with a result.
    pub res: Signal<Out, Bit>,
    /// E holds a READ.
    pub read: Signal<Out, Bit>,
    /// The new reference (the W stage's next value).
    pub new_r: Signal<Out, Bits<W>>,
    /// The new stored state.
    pub new_s: Signal<Out, Bits<W>>,
    /// The state before the op (the result of READ and the swaps).
    pub result: Signal<Out, Bits<W>>,
    /// The accumulator before the op.
    pub acc: Signal<Out, Bits<W>>,
    /// A context being read (by an op entering the pipeline).
    pub probe_addr: Signal<In, Bits<A>>,
    /// E holds an op on `probe_addr`.
    pub probe_hit: Signal<Out, Bit>,

    probe: AddrMatch<A>,
    select: ExecuteSelect<W>,
    /// The op entering E is kept (not flushed).
    v: Signal<Local, Bit>,
    /// W's state (its stored state ^ L).
    w_view: Signal<Local, Bits<W>>,
    /// The state E reads: W's if forwarded, else the base's.
    cur_view: Signal<Local, Bits<W>>,
    cur_r: Signal<Local, Bits<W>>,

    e_valid: DFF<Bit>,
    e_addr: DFF<Bits<A>>,
    e_data: DFF<Bits<W>>,
    e_base_r: DFF<Bits<W>>,
    e_base_s: DFF<Bits<W>>,
    /// base_s ^ L, computed before the register.
    e_base_view: DFF<Bits<W>>,
    e_lanes: DFF<Bits<W>>,
    fwd_w_to_e: DFF<Bit>,
    e_res: DFF<Bit>,
    e_read: DFF<Bit>,
}

impl<const A: usize, const W: usize> Default for ExecuteStage<A, W> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            flush: Default::default(),
            in_valid: Default::default(),
            in_addr: Default::default(),
            in_data: Default::default(),
            in_flags: Default::default(),
            in_fwd_w_to_e: Default::default(),
            in_base_r: Default::default(),
            in_base_s: Default::default(),
            in_lanes: Default::default(),
            lanes_in_load: Default::default(),
            w_r: Default::default(),
            w_s: Default::default(),
            valid: Default::default(),
            addr: Default::default(),
            res: Default::default(),
            read: Default::default(),
            new_r: Default::default(),
            new_s: Default::default(),
            result: Default::default(),
            acc: Default::default(),
            probe_addr: Default::default(),
            probe_hit: Default::default(),
            probe: Default::default(),
            select: Default::default(),
            v: Default::default(),
            w_view: Default::default(),
            cur_view: Default::default(),
            cur_r: Default::default(),
            e_valid: Default::default(),
            e_addr: Default::default(),
            e_data: Default::default(),
            e_base_r: Default::default(),
            e_base_s: Default::default(),
            e_base_view: Default::default(),
            e_lanes: Default::default(),
            fwd_w_to_e: Default::default(),
            e_res: Default::default(),
            e_read: Default::default(),
        }
    }
}

impl<const A: usize, const W: usize> Logic for ExecuteStage<A, W> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, e_valid, e_addr, e_data, e_base_r, e_base_s, e_base_view, e_lanes,
            fwd_w_to_e, e_res, e_read
        );
        self.select.clock.next = self.clock.val();
        // ---- into E: the op and its base; `flush` drops the op ----
        self.v.next = self.in_valid.val() & !self.flush.val();
        self.e_valid.d.next = self.v.val();
        self.e_addr.d.next = self.in_addr.val();
        self.e_data.d.next = self.in_data.val();
        self.e_base_r.d.next = self.in_base_r.val();
        self.e_base_s.d.next = self.in_base_s.val();
        self.e_base_view.d.next = self.in_base_s.val() ^ self.in_lanes.val();
        self.e_lanes.d.next = self.in_lanes.val();
        self.fwd_w_to_e.d.next = self.in_fwd_w_to_e.val();
        self.e_res.d.next = self.v.val() & self.in_flags.val().res;
        self.e_read.d.next = self.v.val() & self.in_flags.val().read;
        self.select.in_valid.next = self.v.val();
        self.select.in_fwd_w_to_e.next = self.in_fwd_w_to_e.val();
        self.select.in_take_d.next = self.in_flags.val().take_d;
        self.select.in_accum.next = self.in_flags.val().accum;
        self.select.in_keep.next = self.in_flags.val().keep;
        self.select.in_hold_r.next = self.in_flags.val().hold_r;
        self.select.lanes_in_load.next = self.lanes_in_load.val();

        // ---- E: the new (r, s), and the state and accumulator before the op ----
        self.w_view.next = self.w_s.val() ^ self.e_lanes.q.val();
        self.select.w_r.next = self.w_r.val();
        self.select.w_s.next = self.w_s.val();
        self.select.w_view.next = self.w_view.val();
        self.select.base_r.next = self.e_base_r.q.val();
        self.select.base_s.next = self.e_base_s.q.val();
        self.select.base_view.next = self.e_base_view.q.val();
        self.select.data.next = self.e_data.q.val();
        self.select.lanes.next = self.e_lanes.q.val();
        self.new_r.next = self.select.new_r.val();
        self.new_s.next = self.select.new_s.val();
        self.cur_view.next = self.e_base_view.q.val();
        self.cur_r.next = self.e_base_r.q.val();
        if self.fwd_w_to_e.q.val() {
            self.cur_view.next = self.w_view.val();
            self.cur_r.next = self.w_r.val();
        }
        self.result.next = self.cur_view.val();
        self.acc.next = self.cur_view.val() ^ self.cur_r.val();
        self.valid.next = self.e_valid.q.val();
        self.addr.next = self.e_addr.q.val();
        self.res.next = self.e_res.q.val();
        self.read.next = self.e_read.q.val();
        self.probe.valid.next = self.e_valid.q.val();
        self.probe.stage_addr.next = self.e_addr.q.val();
        self.probe.addr.next = self.probe_addr.val();
        self.probe_hit.next = self.probe.hit.val();
    }
}

/// The execute stage's data path: one-hot selects registered from the op
/// entering E (all zero when none does), each expanded to a mask, then
/// AND-OR (new r) and AND-XOR (new s) of registered values.
#[derive(LogicBlock, Debug)]
pub(crate) struct ExecuteSelect<const W: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// An op enters E (not flushed).
    pub in_valid: Signal<In, Bit>,
    /// The op one ahead writes its context.
    pub in_fwd_w_to_e: Signal<In, Bit>,
    /// LOAD or SWAP.
    pub in_take_d: Signal<In, Bit>,
    /// ACCUM.
    pub in_accum: Signal<In, Bit>,
    /// SWAP_KEEP.
    pub in_keep: Signal<In, Bit>,
    /// The reference is unchanged.
    pub in_hold_r: Signal<In, Bit>,
    /// LOAD and SWAP fold L into the stored state.
    pub lanes_in_load: Signal<In, Bit>,
    /// W's reference.
    pub w_r: Signal<In, Bits<W>>,
    /// W's stored state.
    pub w_s: Signal<In, Bits<W>>,
    /// W's state.
    pub w_view: Signal<In, Bits<W>>,
    /// The base's reference.
    pub base_r: Signal<In, Bits<W>>,
    /// The base's stored state.
    pub base_s: Signal<In, Bits<W>>,
    /// The base's state.
    pub base_view: Signal<In, Bits<W>>,
    /// The op's data.
    pub data: Signal<In, Bits<W>>,
    /// L.
    pub lanes: Signal<In, Bits<W>>,
    /// The new reference.
    pub new_r: Signal<Out, Bits<W>>,
    /// The new stored state.
    pub new_s: Signal<Out, Bits<W>>,
    zero_w: Constant<Bits<W>>,
    ones_w: Constant<Bits<W>>,
    sel_w_r: DFF<Bit>,       // new r = W.r
    sel_base_r: DFF<Bit>,    // new r = base.r
    sel_w_view: DFF<Bit>,    // new r = W's state
    sel_base_view: DFF<Bit>, // new r = the base's state
    sel_d: DFF<Bit>,         // new r = d
    keep_w: DFF<Bit>,        // new s includes W.s
    keep_base: DFF<Bit>,     // new s includes base.s
    add_d: DFF<Bit>,         // new s ^= d
    add_lanes: DFF<Bit>,     // new s ^= L
    m_w_r: Signal<Local, Bits<W>>,
    m_base_r: Signal<Local, Bits<W>>,
    m_w_view: Signal<Local, Bits<W>>,
    m_base_view: Signal<Local, Bits<W>>,
    m_d: Signal<Local, Bits<W>>,
    m_keep_w: Signal<Local, Bits<W>>,
    m_keep_base: Signal<Local, Bits<W>>,
    m_add_d: Signal<Local, Bits<W>>,
    m_add_lanes: Signal<Local, Bits<W>>,
}

impl<const W: usize> Default for ExecuteSelect<W> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            in_valid: Default::default(),
            in_fwd_w_to_e: Default::default(),
            in_take_d: Default::default(),
            in_accum: Default::default(),
            in_keep: Default::default(),
            in_hold_r: Default::default(),
            lanes_in_load: Default::default(),
            w_r: Default::default(),
            w_s: Default::default(),
            w_view: Default::default(),
            base_r: Default::default(),
            base_s: Default::default(),
            base_view: Default::default(),
            data: Default::default(),
            lanes: Default::default(),
            new_r: Default::default(),
            new_s: Default::default(),
            zero_w: Constant::new(Bits::default()),
            ones_w: Constant::new(Bits::mask()),
            sel_w_r: Default::default(),
            sel_base_r: Default::default(),
            sel_w_view: Default::default(),
            sel_base_view: Default::default(),
            sel_d: Default::default(),
            keep_w: Default::default(),
            keep_base: Default::default(),
            add_d: Default::default(),
            add_lanes: Default::default(),
            m_w_r: Default::default(),
            m_base_r: Default::default(),
            m_w_view: Default::default(),
            m_base_view: Default::default(),
            m_d: Default::default(),
            m_keep_w: Default::default(),
            m_keep_base: Default::default(),
            m_add_d: Default::default(),
            m_add_lanes: Default::default(),
        }
    }
}

impl<const W: usize> Logic for ExecuteSelect<W> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, sel_w_r, sel_base_r, sel_w_view, sel_base_view, sel_d, keep_w, keep_base,
            add_d, add_lanes
        );
        self.sel_w_r.d.next = self.in_valid.val() & self.in_fwd_w_to_e.val() & self.in_hold_r.val();
        self.sel_base_r.d.next =
            self.in_valid.val() & !self.in_fwd_w_to_e.val() & self.in_hold_r.val();
        self.sel_w_view.d.next =
            self.in_valid.val() & self.in_fwd_w_to_e.val() & self.in_keep.val();
        self.sel_base_view.d.next =
            self.in_valid.val() & !self.in_fwd_w_to_e.val() & self.in_keep.val();
        self.sel_d.d.next = self.in_valid.val() & self.in_take_d.val();
        self.keep_w.d.next = self.in_valid.val() & self.in_fwd_w_to_e.val() & !self.in_take_d.val();
        self.keep_base.d.next =
            self.in_valid.val() & !self.in_fwd_w_to_e.val() & !self.in_take_d.val();
        self.add_d.d.next = self.in_valid.val() & (self.in_take_d.val() | self.in_accum.val());
        self.add_lanes.d.next =
            self.in_valid.val() & self.in_take_d.val() & self.lanes_in_load.val();
        // Each select as a mask of W bits: a bit of the result is then two
        // LUT levels of registered values.
        self.m_w_r.next = self.zero_w.val();
        self.m_base_r.next = self.zero_w.val();
        self.m_w_view.next = self.zero_w.val();
        self.m_base_view.next = self.zero_w.val();
        self.m_d.next = self.zero_w.val();
        self.m_keep_w.next = self.zero_w.val();
        self.m_keep_base.next = self.zero_w.val();
        self.m_add_d.next = self.zero_w.val();
        self.m_add_lanes.next = self.zero_w.val();
        if self.sel_w_r.q.val() {
            self.m_w_r.next = self.ones_w.val();
        }
        if self.sel_base_r.q.val() {
            self.m_base_r.next = self.ones_w.val();
        }
        if self.sel_w_view.q.val() {
            self.m_w_view.next = self.ones_w.val();
        }
        if self.sel_base_view.q.val() {
            self.m_base_view.next = self.ones_w.val();
        }
        if self.sel_d.q.val() {
            self.m_d.next = self.ones_w.val();
        }
        if self.keep_w.q.val() {
            self.m_keep_w.next = self.ones_w.val();
        }
        if self.keep_base.q.val() {
            self.m_keep_base.next = self.ones_w.val();
        }
        if self.add_d.q.val() {
            self.m_add_d.next = self.ones_w.val();
        }
        if self.add_lanes.q.val() {
            self.m_add_lanes.next = self.ones_w.val();
        }
        self.new_r.next = (self.m_w_r.val() & self.w_r.val())
            | (self.m_base_r.val() & self.base_r.val())
            | (self.m_w_view.val() & self.w_view.val())
            | (self.m_base_view.val() & self.base_view.val())
            | (self.m_d.val() & self.data.val());
        self.new_s.next = ((self.m_keep_w.val() & self.w_s.val())
            | (self.m_keep_base.val() & self.base_s.val()))
            ^ (self.m_add_d.val() & self.data.val())
            ^ (self.m_add_lanes.val() & self.lanes.val());
    }
}

/// The result registers: O (the op's result and accumulator, registered
/// out of E) and F (the outputs, with the zero test of the accumulator).
#[derive(LogicBlock, Debug, Default)]
pub(crate) struct ResultStage<const W: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Drops the results in flight (the table's reset).
    pub flush: Signal<In, Bit>,
    /// E holds an op with a result.
    pub in_valid: Signal<In, Bit>,
    /// ... a READ.
    pub in_read: Signal<In, Bit>,
    /// Its result.
    pub in_result: Signal<In, Bits<W>>,
    /// The accumulator before the op.
    pub in_acc: Signal<In, Bits<W>>,
    /// `result_valid`.
    pub result_valid: Signal<Out, Bit>,
    /// `result`.
    pub result: Signal<Out, Bits<W>>,
    /// `result_clean`.
    pub result_clean: Signal<Out, Bit>,
    o_valid: DFF<Bit>,
    o_read: DFF<Bit>,
    o_result: DFF<Bits<W>>,
    o_acc: DFF<Bits<W>>,
    f_valid: DFF<Bit>,
    f_result: DFF<Bits<W>>,
    f_clean: DFF<Bit>,
}

impl<const W: usize> Logic for ResultStage<W> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, o_valid, o_read, o_result, o_acc, f_valid, f_result, f_clean
        );
        self.o_valid.d.next = self.in_valid.val() & !self.flush.val();
        self.o_read.d.next = self.in_read.val();
        self.o_result.d.next = self.in_result.val();
        self.o_acc.d.next = self.in_acc.val();
        self.f_valid.d.next = self.o_valid.q.val() & !self.flush.val();
        self.f_result.d.next = self.o_result.q.val();
        self.f_clean.d.next = self.o_read.q.val() & !self.o_acc.q.val().any();
        self.result_valid.next = self.f_valid.q.val();
        self.result.next = self.f_result.q.val();
        self.result_clean.next = self.f_clean.q.val();
    }
}

/// The reset sweep: after a reset, writes zero to every context, one per
/// cycle in address order, while the table is not ready.
#[derive(LogicBlock, Debug)]
pub(crate) struct ResetSweep<const A: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: (re)starts the sweep at context 0.
    pub reset: Signal<In, Bit>,
    /// The sweep clears `clear_addr` this cycle.
    pub clearing: Signal<Out, Bit>,
    /// The context being cleared.
    pub clear_addr: Signal<Out, Bits<A>>,
    zero_a: Constant<Bits<A>>,
    one_a: Constant<Bits<A>>,
    last_a: Constant<Bits<A>>,
    active: DFF<Bit>,
    next_addr: DFF<Bits<A>>,
}

impl<const A: usize> Default for ResetSweep<A> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            clearing: Default::default(),
            clear_addr: Default::default(),
            zero_a: Constant::new(Bits::default()),
            one_a: Constant::new(1u64.to_bits()),
            last_a: Constant::new(Bits::mask()),
            active: Default::default(),
            next_addr: Default::default(),
        }
    }
}

impl<const A: usize> Logic for ResetSweep<A> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, active, next_addr);
        self.clearing.next = self.active.q.val();
        self.clear_addr.next = self.next_addr.q.val();
        if self.active.q.val() {
            self.next_addr.d.next = self.next_addr.q.val() + self.one_a.val();
            if self.next_addr.q.val() == self.last_a.val() {
                self.active.d.next = false;
            }
        }
        if self.reset.val() {
            self.active.d.next = true;
            self.next_addr.d.next = self.zero_a.val();
        }
    }
}

/// The stored (r, s) of every context and the write stages that update
/// them: two block RAMs (one registered read port each), the W registers
/// that write them, and W2, the same values one cycle later (what a read
/// issued in the edge of W's write missed). During the reset sweep W writes
/// zero to `clear_addr` (the execute stage is empty then, so its selects are
/// all zero and so is its new state).
#[derive(LogicBlock, Debug, Default)]
pub(crate) struct StateStore<const A: usize, const W: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Drops the write entering W (the table's reset).
    pub flush: Signal<In, Bit>,
    /// The context the op entering S1 reads.
    pub read_address: Signal<In, Bits<A>>,
    /// Its reference, one cycle later.
    pub read_r: Signal<Out, Bits<W>>,
    /// Its stored state, one cycle later.
    pub read_s: Signal<Out, Bits<W>>,
    /// E holds an op: write its new (r, s).
    pub in_valid: Signal<In, Bit>,
    /// Its context.
    pub in_addr: Signal<In, Bits<A>>,
    /// Its new reference.
    pub in_r: Signal<In, Bits<W>>,
    /// Its new stored state.
    pub in_s: Signal<In, Bits<W>>,
    /// The reset sweep clears `clear_addr` instead.
    pub clearing: Signal<In, Bit>,
    /// The context being cleared.
    pub clear_addr: Signal<In, Bits<A>>,
    /// W's reference (written this cycle when W is valid).
    pub w_r: Signal<Out, Bits<W>>,
    /// Its stored state.
    pub w_s: Signal<Out, Bits<W>>,
    /// W's reference one cycle later.
    pub w2_r: Signal<Out, Bits<W>>,
    /// W's stored state one cycle later.
    pub w2_s: Signal<Out, Bits<W>>,
    /// A context being read (by an op entering the pipeline).
    pub probe_addr: Signal<In, Bits<A>>,
    /// W writes `probe_addr` in this cycle's edge: the read misses it.
    pub probe_hit: Signal<Out, Bit>,
    probe: AddrMatch<A>,
    ram_r: StateRam<A, W>,
    ram_s: StateRam<A, W>,
    wr_valid: DFF<Bit>,
    wr_addr: DFF<Bits<A>>,
    wr_r: DFF<Bits<W>>,
    wr_s: DFF<Bits<W>>,
    wr2_r: DFF<Bits<W>>,
    wr2_s: DFF<Bits<W>>,
}

impl<const A: usize, const W: usize> Logic for StateStore<A, W> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, wr_valid, wr_addr, wr_r, wr_s, wr2_r, wr2_s);
        clock!(self, clock, ram_r, ram_s);
        self.ram_r.read_address.next = self.read_address.val();
        self.ram_s.read_address.next = self.read_address.val();
        self.read_r.next = self.ram_r.read_data.val();
        self.read_s.next = self.ram_s.read_data.val();
        self.wr_valid.d.next = (self.in_valid.val() | self.clearing.val()) & !self.flush.val();
        self.wr_addr.d.next = self.in_addr.val();
        if self.clearing.val() {
            self.wr_addr.d.next = self.clear_addr.val();
        }
        self.wr_r.d.next = self.in_r.val();
        self.wr_s.d.next = self.in_s.val();
        // W: the BRAM write port, all registered.
        self.ram_r.write_enable.next = self.wr_valid.q.val();
        self.ram_r.write_address.next = self.wr_addr.q.val();
        self.ram_r.write_data.next = self.wr_r.q.val();
        self.ram_s.write_enable.next = self.wr_valid.q.val();
        self.ram_s.write_address.next = self.wr_addr.q.val();
        self.ram_s.write_data.next = self.wr_s.q.val();
        self.wr2_r.d.next = self.wr_r.q.val();
        self.wr2_s.d.next = self.wr_s.q.val();
        self.w_r.next = self.wr_r.q.val();
        self.w_s.next = self.wr_s.q.val();
        self.w2_r.next = self.wr2_r.q.val();
        self.w2_s.next = self.wr2_s.q.val();
        self.probe.valid.next = self.wr_valid.q.val();
        self.probe.stage_addr.next = self.wr_addr.q.val();
        self.probe.addr.next = self.probe_addr.val();
        self.probe_hit.next = self.probe.hit.val();
    }
}
