//! The executor of the link: runs what the receiver checked on
//! `atomik_axis`, exactly once (docs/board.md, "Exactly once"), keeps the
//! results of the last 8 frames for their ACKs, and queues the replies.

use atomik::Opcode;
use rust_hdl::prelude::*;

use crate::board::link_rx::{OP_ADDR_BITS, OP_BITS, RxEvent};
use crate::pipeline::code;

/// Address bits of the reply RAM: 8 slots of 16 results.
pub(crate) const REPLY_ADDR_BITS: usize = 7;
/// A result as the reply RAM keeps it: `{clean, value}`.
pub(crate) const REPLY_BITS: usize = 65;
/// A slot's entry in the slot table: `{nres, seq}`.
pub(crate) const SLOT_BITS: usize = 13;

/// A reply for the transmitter, as a 2-bit code (it is queued in a RAM).
pub(crate) mod job {
    /// The ACK of the frame in `slot`.
    pub(crate) const ACK: u64 = 0;
    /// A STATUS frame.
    pub(crate) const STATUS: u64 = 1;
    /// Compatible mode: 8 bytes of `value`, most significant first.
    pub(crate) const WORD: u64 = 2;
    /// Compatible mode: the low byte of `value`.
    pub(crate) const BYTE: u64 = 3;
}

/// The executor's states.
#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
pub(crate) enum ExecState {
    /// Waiting for an event.
    Idle,
    /// Reading the next op of the frame from the op RAM.
    Fetch,
    /// Offering it to `atomik_axis` until taken.
    Offer,
    /// All ops taken: waiting for their results.
    Drain,
    /// Compatible mode: offering the command's op.
    CompatOffer,
    /// Compatible mode: waiting for the READ's result.
    CompatWait,
}

/// The executor: [`Dispatch`] decides what an event asks, [`Sequencer`]
/// runs it, [`ResultCollector`] takes the results, [`AckBook`] records the
/// applied frames and [`CompatReply`] words a compatible-mode reply.
#[derive(LogicBlock, Default, Debug)]
pub(crate) struct LinkExec {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset (with the table's).
    pub reset: Signal<In, Bit>,
    /// The receiver's event.
    pub rx_kind: Signal<In, RxEvent>,
    /// Its frame's SEQ.
    pub rx_seq: Signal<In, Bits<8>>,
    /// Its frame's op count.
    pub rx_count: Signal<In, Bits<5>>,
    /// Its frame's op RAM bank.
    pub rx_bank: Signal<In, Bit>,
    /// Its compatible-mode value.
    pub rx_value: Signal<In, Bits<64>>,
    /// Bit k: an ACK of slot k waits in the transmitter's queue.
    pub ack_waiting: Signal<In, Bits<8>>,
    /// Bit k: an ACK of slot k waits or is being sent: slot k must not
    /// change.
    pub ack_owed: Signal<In, Bits<8>>,
    /// Op RAM read address.
    pub op_raddr: Signal<Out, Bits<OP_ADDR_BITS>>,
    /// Op RAM read data (a cycle after the address).
    pub op_rdata: Signal<In, Bits<OP_BITS>>,
    /// `atomik_axis` op stream.
    pub s_tvalid: Signal<Out, Bit>,
    /// See `s_tvalid`.
    pub s_tready: Signal<In, Bit>,
    /// See `s_tvalid`.
    pub s_tdata: Signal<Out, Bits<128>>,
    /// `atomik_axis` result stream (always taken).
    pub m_tvalid: Signal<In, Bit>,
    /// See `m_tvalid`.
    pub m_tdata: Signal<In, Bits<128>>,
    /// Reply RAM write: enable.
    pub reply_we: Signal<Out, Bit>,
    /// Reply RAM write: `{slot, index}`.
    pub reply_waddr: Signal<Out, Bits<REPLY_ADDR_BITS>>,
    /// Reply RAM write: `{clean, value}`.
    pub reply_wdata: Signal<Out, Bits<REPLY_BITS>>,
    /// Slot table write: enable.
    pub slot_we: Signal<Out, Bit>,
    /// Slot table write: the slot.
    pub slot_waddr: Signal<Out, Bits<3>>,
    /// Slot table write: `{nres, seq}`.
    pub slot_wdata: Signal<Out, Bits<SLOT_BITS>>,
    /// Queue a reply for the transmitter.
    pub job_valid: Signal<Out, Bit>,
    /// Which reply (a [`job`] code).
    pub job: Signal<Out, Bits<2>>,
    /// `Ack`: the slot.
    pub job_slot: Signal<Out, Bits<3>>,
    /// `Word`, `Byte`: the value.
    pub job_value: Signal<Out, Bits<64>>,
    /// The link is in framed mode.
    pub framed: Signal<Out, Bit>,
    /// The SEQ of the next OPS frame to apply.
    pub expected: Signal<Out, Bits<8>>,
    /// An event arrived while the previous one was still running (dropped).
    pub overrun: Signal<Out, Bit>,
    decide: Dispatch,
    run: Sequencer,
    results: ResultCollector,
    book: AckBook,
    reply: CompatReply,
    r_framed: DFF<Bit>,
}

impl Logic for LinkExec {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, r_framed);
        clock!(self, clock, run, results, book);
        self.decide.kind.next = self.rx_kind.val();
        self.decide.seq.next = self.rx_seq.val();
        self.decide.value.next = self.rx_value.val();
        self.decide.expected.next = self.book.expected.val();
        self.decide.framed.next = self.r_framed.q.val();
        self.decide.slot_valid.next = self.book.slot_valid.val();
        self.decide.ack_waiting.next = self.ack_waiting.val();
        self.decide.ack_owed.next = self.ack_owed.val();
        self.run.reset.next = self.reset.val();
        self.run.rx_kind.next = self.rx_kind.val();
        self.run.rx_seq.next = self.rx_seq.val();
        self.run.rx_count.next = self.rx_count.val();
        self.run.rx_bank.next = self.rx_bank.val();
        self.run.enter.next = self.decide.enter.val();
        self.run.event_job_valid.next = self.decide.job_valid.val();
        self.run.event_job.next = self.decide.job.val();
        self.run.command_beat.next = self.decide.compat_beat.val();
        self.run.op_rdata.next = self.op_rdata.val();
        self.run.s_tready.next = self.s_tready.val();
        self.run.results_idle.next = self.results.idle.val();
        self.run.result_valid.next = self.results.compat_valid.val();
        self.run.result_value.next = self.results.value.val();
        self.run.awaits.next = self.reply.awaits.val();
        self.run.reply_job.next = self.reply.job.val();
        self.run.reply_value.next = self.reply.value.val();
        self.reply.command.next = self.run.command.val();
        self.reply.result.next = self.results.value.val();
        self.reply.shadow.next = self.results.shadow.val();
        self.reply.clean.next = self.results.clean.val();
        self.results.reset.next = self.reset.val();
        self.results.m_tvalid.next = self.m_tvalid.val();
        self.results.m_tdata.next = self.m_tdata.val();
        self.results.slot.next = self.run.frame_seq.val().get_bits::<3>(0);
        self.results.start.next = self.run.start.val();
        self.results.taken.next = self.run.taken.val();
        self.results.compat.next = self.run.waiting.val();
        self.results.beat.next = self.run.beat.val();
        self.book.reset.next = self.reset.val();
        self.book.commit.next = self.run.commit.val();
        self.book.seq.next = self.run.frame_seq.val();
        self.book.nres.next = self.results.nres.val();
        // The mode changes only with an event the executor takes.
        if self.run.idle.val() {
            self.r_framed.d.next = self.decide.framed_next.val();
        }
        if self.reset.val() {
            self.r_framed.d.next = false;
        }
        self.op_raddr.next = self.run.op_raddr.val();
        self.s_tvalid.next = self.run.s_tvalid.val();
        self.s_tdata.next = bit_cast::<128, OP_BITS>(self.run.beat.val());
        self.reply_we.next = self.results.reply_we.val();
        self.reply_waddr.next = self.results.reply_waddr.val();
        self.reply_wdata.next = self.results.reply_wdata.val();
        self.slot_we.next = self.book.slot_we.val();
        self.slot_waddr.next = self.book.slot_waddr.val();
        self.slot_wdata.next = self.book.slot_wdata.val();
        self.job_valid.next = self.run.job_valid.val();
        self.job.next = self.run.job.val();
        self.job_slot.next = self.run.job_slot.val();
        self.job_value.next = self.run.job_value.val();
        self.framed.next = self.r_framed.q.val();
        self.expected.next = self.book.expected.val();
        self.overrun.next = (self.rx_kind.val() != RxEvent::Nothing) & !self.run.idle.val();
    }
}

/// The executor's state machine: takes an event when idle, feeds a frame's
/// ops (from the op RAM) or a compatible-mode command's op to
/// `atomik_axis`, and says which reply to queue and when.
#[derive(LogicBlock, Debug)]
pub(crate) struct Sequencer {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// The receiver's event.
    pub rx_kind: Signal<In, RxEvent>,
    /// Its frame's SEQ.
    pub rx_seq: Signal<In, Bits<8>>,
    /// Its frame's op count.
    pub rx_count: Signal<In, Bits<5>>,
    /// Its frame's op RAM bank.
    pub rx_bank: Signal<In, Bit>,
    /// The state the event asks for ([`Dispatch`]).
    pub enter: Signal<In, ExecState>,
    /// The event's own reply (a duplicate's ACK, a STATUS): queue it.
    pub event_job_valid: Signal<In, Bit>,
    /// Which (a [`job`] code).
    pub event_job: Signal<In, Bits<2>>,
    /// The op beat of a compatible-mode command.
    pub command_beat: Signal<In, Bits<OP_BITS>>,
    /// Op RAM read data (a cycle after the address).
    pub op_rdata: Signal<In, Bits<OP_BITS>>,
    /// `atomik_axis` takes the op offered.
    pub s_tready: Signal<In, Bit>,
    /// No result is owed.
    pub results_idle: Signal<In, Bit>,
    /// The command's result arrives.
    pub result_valid: Signal<In, Bit>,
    /// A result's value (a reply's value by default).
    pub result_value: Signal<In, Bits<64>>,
    /// The command has a reply ([`CompatReply`]).
    pub awaits: Signal<In, Bit>,
    /// The command's reply.
    pub reply_job: Signal<In, Bits<2>>,
    /// Its value.
    pub reply_value: Signal<In, Bits<64>>,
    /// Waiting for an event.
    pub idle: Signal<Out, Bit>,
    /// Op RAM read address: `{bank, index}`.
    pub op_raddr: Signal<Out, Bits<OP_ADDR_BITS>>,
    /// An op is offered to `atomik_axis`.
    pub s_tvalid: Signal<Out, Bit>,
    /// The op beat offered (the op RAM's, or the command's).
    pub beat: Signal<Out, Bits<OP_BITS>>,
    /// A frame starts.
    pub start: Signal<Out, Bit>,
    /// `beat` is taken this cycle.
    pub taken: Signal<Out, Bit>,
    /// Waiting for a compatible-mode command's result.
    pub waiting: Signal<Out, Bit>,
    /// Every result of the frame is in: it is applied.
    pub commit: Signal<Out, Bit>,
    /// The SEQ of the frame taken last.
    pub frame_seq: Signal<Out, Bits<8>>,
    /// The compatible-mode command taken last.
    pub command: Signal<Out, RxEvent>,
    /// Queue a reply.
    pub job_valid: Signal<Out, Bit>,
    /// Which (a [`job`] code).
    pub job: Signal<Out, Bits<2>>,
    /// `Ack`: the slot.
    pub job_slot: Signal<Out, Bits<3>>,
    /// `Word`, `Byte`: the value.
    pub job_value: Signal<Out, Bits<64>>,
    state: DFF<ExecState>,
    seq: DFF<Bits<8>>,
    count: DFF<Bits<5>>,
    bank: DFF<Bit>,
    index: DFF<Bits<5>>,
    /// The compatible-mode command being run.
    compat: DFF<RxEvent>,
    compat_beat: DFF<Bits<OP_BITS>>,
    one5: Constant<Bits<5>>,
    zero5: Constant<Bits<5>>,
    job_ack: Constant<Bits<2>>,
    job_status: Constant<Bits<2>>,
}

impl Default for Sequencer {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            rx_kind: Default::default(),
            rx_seq: Default::default(),
            rx_count: Default::default(),
            rx_bank: Default::default(),
            enter: Default::default(),
            event_job_valid: Default::default(),
            event_job: Default::default(),
            command_beat: Default::default(),
            op_rdata: Default::default(),
            s_tready: Default::default(),
            results_idle: Default::default(),
            result_valid: Default::default(),
            result_value: Default::default(),
            awaits: Default::default(),
            reply_job: Default::default(),
            reply_value: Default::default(),
            idle: Default::default(),
            op_raddr: Default::default(),
            s_tvalid: Default::default(),
            beat: Default::default(),
            start: Default::default(),
            taken: Default::default(),
            waiting: Default::default(),
            commit: Default::default(),
            frame_seq: Default::default(),
            command: Default::default(),
            job_valid: Default::default(),
            job: Default::default(),
            job_slot: Default::default(),
            job_value: Default::default(),
            state: Default::default(),
            seq: Default::default(),
            count: Default::default(),
            bank: Default::default(),
            index: Default::default(),
            compat: Default::default(),
            compat_beat: Default::default(),
            one5: Constant::new(1u64.to_bits()),
            zero5: Constant::new(0u64.to_bits()),
            job_ack: Constant::new(job::ACK.to_bits()),
            job_status: Constant::new(job::STATUS.to_bits()),
        }
    }
}

impl Logic for Sequencer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, seq, count, bank, index, compat, compat_beat
        );
        self.idle.next = self.state.q.val() == ExecState::Idle;
        self.waiting.next = self.state.q.val() == ExecState::CompatWait;
        self.start.next = self.idle.val() & (self.enter.val() == ExecState::Fetch);
        self.s_tvalid.next = (self.state.q.val() == ExecState::Offer)
            | (self.state.q.val() == ExecState::CompatOffer);
        self.taken.next = self.s_tvalid.val() & self.s_tready.val();
        self.commit.next = (self.state.q.val() == ExecState::Drain) & self.results_idle.val();
        self.op_raddr.next = bit_cast::<OP_ADDR_BITS, 4>(self.index.q.val().get_bits::<4>(0))
            | (bit_cast::<OP_ADDR_BITS, 1>(self.bank.q.val().into()) << 4);
        self.beat.next = self.op_rdata.val();
        self.frame_seq.next = self.seq.q.val();
        self.command.next = self.compat.q.val();
        self.job_valid.next = false;
        self.job.next = self.job_status.val();
        self.job_slot.next = self.seq.q.val().get_bits::<3>(0);
        self.job_value.next = self.result_value.val();
        match self.state.q.val() {
            ExecState::Idle => {
                self.job_valid.next = self.event_job_valid.val();
                self.job.next = self.event_job.val();
                self.job_slot.next = self.rx_seq.val().get_bits::<3>(0);
                self.seq.d.next = self.rx_seq.val();
                self.count.d.next = self.rx_count.val();
                self.bank.d.next = self.rx_bank.val();
                self.index.d.next = self.zero5.val();
                self.compat.d.next = self.rx_kind.val();
                self.compat_beat.d.next = self.command_beat.val();
                self.state.d.next = self.enter.val();
            }
            ExecState::Fetch => {
                self.state.d.next = ExecState::Offer;
                if self.index.q.val() == self.count.q.val() {
                    self.state.d.next = ExecState::Drain;
                }
            }
            ExecState::Offer => {
                if self.s_tready.val() {
                    self.index.d.next = self.index.q.val() + self.one5.val();
                    self.state.d.next = ExecState::Fetch;
                }
            }
            ExecState::Drain => {
                // The frame is applied: its ACK.
                if self.commit.val() {
                    self.job_valid.next = true;
                    self.job.next = self.job_ack.val();
                    self.state.d.next = ExecState::Idle;
                }
            }
            ExecState::CompatOffer => {
                self.beat.next = self.compat_beat.q.val();
                if self.s_tready.val() {
                    self.state.d.next = ExecState::Idle;
                    if self.awaits.val() {
                        self.state.d.next = ExecState::CompatWait;
                    }
                }
            }
            _ => {
                // CompatWait: the READ's result makes the reply.
                if self.result_valid.val() {
                    self.job_valid.next = true;
                    self.job.next = self.reply_job.val();
                    self.job_value.next = self.reply_value.val();
                    self.state.d.next = ExecState::Idle;
                }
            }
        }
        if self.reset.val() {
            self.state.d.next = ExecState::Idle;
        }
    }
}

/// The frames applied: EXPECTED, which slots hold an applied frame's ACK,
/// and each applied frame's `{nres, seq}` into the slot table.
#[derive(LogicBlock, Debug)]
pub(crate) struct AckBook {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: no frame applied, EXPECTED 0.
    pub reset: Signal<In, Bit>,
    /// The frame `seq` is applied with `nres` results.
    pub commit: Signal<In, Bit>,
    /// Its SEQ.
    pub seq: Signal<In, Bits<8>>,
    /// Its number of results.
    pub nres: Signal<In, Bits<5>>,
    /// Slot table write: enable.
    pub slot_we: Signal<Out, Bit>,
    /// Slot table write: the slot.
    pub slot_waddr: Signal<Out, Bits<3>>,
    /// Slot table write: `{nres, seq}`.
    pub slot_wdata: Signal<Out, Bits<SLOT_BITS>>,
    /// The SEQ of the next OPS frame to apply.
    pub expected: Signal<Out, Bits<8>>,
    /// Slots holding the ACK of an applied frame.
    pub slot_valid: Signal<Out, Bits<8>>,
    r_expected: DFF<Bits<8>>,
    /// Slots holding the ACK of an applied frame (none after a reset).
    r_slot_valid: DFF<Bits<8>>,
    one8: Constant<Bits<8>>,
    zero8: Constant<Bits<8>>,
}

impl Default for AckBook {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            commit: Default::default(),
            seq: Default::default(),
            nres: Default::default(),
            slot_we: Default::default(),
            slot_waddr: Default::default(),
            slot_wdata: Default::default(),
            expected: Default::default(),
            slot_valid: Default::default(),
            r_expected: Default::default(),
            r_slot_valid: Default::default(),
            one8: Constant::new(1u64.to_bits()),
            zero8: Constant::new(0u64.to_bits()),
        }
    }
}

impl Logic for AckBook {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, r_expected, r_slot_valid);
        self.slot_we.next = self.commit.val();
        self.slot_waddr.next = self.seq.val().get_bits::<3>(0);
        self.slot_wdata.next = bit_cast::<SLOT_BITS, 8>(self.seq.val())
            | (bit_cast::<SLOT_BITS, 5>(self.nres.val()) << 8);
        if self.commit.val() {
            self.r_slot_valid.d.next =
                self.r_slot_valid.q.val() | (self.one8.val() << self.seq.val().get_bits::<3>(0));
            self.r_expected.d.next = self.r_expected.q.val() + self.one8.val();
        }
        if self.reset.val() {
            self.r_expected.d.next = self.zero8.val();
            self.r_slot_valid.d.next = self.zero8.val();
        }
        self.expected.next = self.r_expected.q.val();
        self.slot_valid.next = self.r_slot_valid.q.val();
    }
}

/// A compatible-mode command's reply (combinational): `R` the value as 8
/// bytes, `D` the reference (the state XOR context 0's accumulator), `S`
/// one byte, 0x80 when the accumulator is zero. `L` and `A` have none.
#[derive(LogicBlock, Debug)]
pub(crate) struct CompatReply {
    /// The command.
    pub command: Signal<In, RxEvent>,
    /// Its READ's value (the state).
    pub result: Signal<In, Bits<64>>,
    /// Context 0's accumulator.
    pub shadow: Signal<In, Bits<64>>,
    /// The READ's clean bit: the accumulator is zero.
    pub clean: Signal<In, Bit>,
    /// The command has a reply: wait for its READ.
    pub awaits: Signal<Out, Bit>,
    /// The reply (a [`job`] code).
    pub job: Signal<Out, Bits<2>>,
    /// Its value.
    pub value: Signal<Out, Bits<64>>,
    status_zero: Constant<Bits<64>>,
    status_clean: Constant<Bits<64>>,
    job_word: Constant<Bits<2>>,
    job_byte: Constant<Bits<2>>,
}

impl Default for CompatReply {
    fn default() -> Self {
        Self {
            command: Default::default(),
            result: Default::default(),
            shadow: Default::default(),
            clean: Default::default(),
            awaits: Default::default(),
            job: Default::default(),
            value: Default::default(),
            status_zero: Constant::new(0u64.to_bits()),
            status_clean: Constant::new(0x80u64.to_bits()),
            job_word: Constant::new(job::WORD.to_bits()),
            job_byte: Constant::new(job::BYTE.to_bits()),
        }
    }
}

impl Logic for CompatReply {
    #[hdl_gen]
    fn update(&mut self) {
        self.awaits.next =
            (self.command.val() != RxEvent::Load) & (self.command.val() != RxEvent::Accum);
        self.job.next = self.job_word.val();
        self.value.next = self.result.val();
        if self.command.val() == RxEvent::Reference {
            self.value.next = self.result.val() ^ self.shadow.val();
        }
        if self.command.val() == RxEvent::Status {
            self.job.next = self.job_byte.val();
            self.value.next = self.status_zero.val();
            if self.clean.val() {
                self.value.next = self.status_clean.val();
            }
        }
    }
}

/// What an event asks of the executor when it is idle (combinational).
#[derive(LogicBlock, Debug)]
pub(crate) struct Dispatch {
    /// The receiver's event.
    pub kind: Signal<In, RxEvent>,
    /// Its frame's SEQ.
    pub seq: Signal<In, Bits<8>>,
    /// Its compatible-mode value.
    pub value: Signal<In, Bits<64>>,
    /// The SEQ of the next frame to apply.
    pub expected: Signal<In, Bits<8>>,
    /// The link is in framed mode.
    pub framed: Signal<In, Bit>,
    /// Slots holding the ACK of an applied frame.
    pub slot_valid: Signal<In, Bits<8>>,
    /// Bit k: an ACK of slot k waits in the transmitter's queue.
    pub ack_waiting: Signal<In, Bits<8>>,
    /// Bit k: an ACK of slot k waits or is being sent.
    pub ack_owed: Signal<In, Bits<8>>,
    /// The mode after the event.
    pub framed_next: Signal<Out, Bit>,
    /// Run the frame's ops: its SEQ is EXPECTED.
    pub run_frame: Signal<Out, Bit>,
    /// Queue `job` now.
    pub job_valid: Signal<Out, Bit>,
    /// The reply: the frame's ACK again (a duplicate), or a STATUS.
    pub job: Signal<Out, Bits<2>>,
    /// Run a compatible-mode command: offer `compat_beat`.
    pub compat_start: Signal<Out, Bit>,
    /// The command's op beat (context 0).
    pub compat_beat: Signal<Out, Bits<OP_BITS>>,
    /// The executor's next state: `Fetch` to run the frame, `CompatOffer`
    /// to run the command, else `Idle`.
    pub enter: Signal<Out, ExecState>,
    /// How far the frame's SEQ is behind EXPECTED (modulo 256).
    behind: Signal<Local, Bits<8>>,
    /// The frame's slot of the reply store.
    slot: Signal<Local, Bits<3>>,
    zero8: Constant<Bits<8>>,
    window: Constant<Bits<8>>,
    op_load: Constant<Bits<OP_BITS>>,
    op_accum: Constant<Bits<OP_BITS>>,
    op_read: Constant<Bits<OP_BITS>>,
    job_ack: Constant<Bits<2>>,
    job_status: Constant<Bits<2>>,
}

impl Default for Dispatch {
    fn default() -> Self {
        // An op beat on context 0: the opcode in bits [74:72].
        let beat = |op: Opcode| Constant::new(bit_cast::<OP_BITS, 3>(code(op)) << 72);
        Self {
            kind: Default::default(),
            seq: Default::default(),
            value: Default::default(),
            expected: Default::default(),
            framed: Default::default(),
            slot_valid: Default::default(),
            ack_waiting: Default::default(),
            ack_owed: Default::default(),
            framed_next: Default::default(),
            run_frame: Default::default(),
            job_valid: Default::default(),
            job: Default::default(),
            compat_start: Default::default(),
            compat_beat: Default::default(),
            enter: Default::default(),
            behind: Default::default(),
            slot: Default::default(),
            zero8: Constant::new(0u64.to_bits()),
            window: Constant::new(8u64.to_bits()),
            op_load: beat(Opcode::Load),
            op_accum: beat(Opcode::Accum),
            op_read: beat(Opcode::Read),
            job_ack: Constant::new(job::ACK.to_bits()),
            job_status: Constant::new(job::STATUS.to_bits()),
        }
    }
}

impl Logic for Dispatch {
    #[hdl_gen]
    fn update(&mut self) {
        self.behind.next = self.expected.val() - self.seq.val();
        self.slot.next = self.seq.val().get_bits::<3>(0);
        self.framed_next.next = self.framed.val();
        self.run_frame.next = false;
        self.job_valid.next = false;
        self.job.next = self.job_status.val();
        self.compat_start.next = false;
        self.compat_beat.next = self.op_read.val();
        match self.kind.val() {
            RxEvent::Frame => {
                // A STATUS by default. Compatible mode runs no OPS frame: a
                // STATUS (MODE 0) tells the host the board was reset under it.
                self.job_valid.next = true;
                if self.framed.val() & (self.behind.val() == self.zero8.val()) {
                    // Run it, unless an ACK still to be sent reads the slot
                    // it would write (the frame 8 before's): the STATUS,
                    // queued behind that ACK, sends the host back to it.
                    if !self.ack_owed.val().get_bit(self.slot.val().index()) {
                        self.run_frame.next = true;
                        self.job_valid.next = false;
                    }
                } else if self.framed.val()
                    & (self.behind.val() <= self.window.val())
                    & self.slot_valid.val().get_bit(self.slot.val().index())
                {
                    // One of the last 8 frames, whose ACK the board holds:
                    // that ACK again, unless it still waits in the queue
                    // (it answers this retransmission too).
                    self.job.next = self.job_ack.val();
                    self.job_valid.next = !self.ack_waiting.val().get_bit(self.slot.val().index());
                }
            }
            RxEvent::Hello => {
                self.framed_next.next = true;
                self.job_valid.next = true;
            }
            RxEvent::Close => {
                self.framed_next.next = false;
                self.job_valid.next = true;
            }
            RxEvent::Load => {
                self.compat_start.next = true;
                self.compat_beat.next =
                    self.op_load.val() | bit_cast::<OP_BITS, 64>(self.value.val());
            }
            RxEvent::Accum => {
                self.compat_start.next = true;
                self.compat_beat.next =
                    self.op_accum.val() | bit_cast::<OP_BITS, 64>(self.value.val());
            }
            RxEvent::Read => {
                self.compat_start.next = true;
            }
            RxEvent::Status => {
                self.compat_start.next = true;
            }
            RxEvent::Reference => {
                self.compat_start.next = true;
            }
            _ => {}
        }
        self.enter.next = ExecState::Idle;
        if self.run_frame.val() {
            self.enter.next = ExecState::Fetch;
        }
        if self.compat_start.val() {
            self.enter.next = ExecState::CompatOffer;
        }
    }
}

/// The result stream of `atomik_axis`: results of a frame's ops into the
/// reply RAM, in order, at `{slot, index}`; a compatible-mode READ's result
/// to the executor; and the shadow of context 0's accumulator (the sum of
/// its ACCUMs since its last LOAD or swap), which `D` needs: the table
/// returns the state, not the reference.
#[derive(LogicBlock, Debug)]
pub(crate) struct ResultCollector {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset (the table's too: every context is zero).
    pub reset: Signal<In, Bit>,
    /// A frame starts: its results go to `slot` from index 0.
    pub start: Signal<In, Bit>,
    /// The slot of the frame running.
    pub slot: Signal<In, Bits<3>>,
    /// Results go to the executor, not the reply RAM (compatible mode).
    pub compat: Signal<In, Bit>,
    /// `beat` was taken by `atomik_axis` this cycle.
    pub taken: Signal<In, Bit>,
    /// The op beat offered (its low bits).
    pub beat: Signal<In, Bits<OP_BITS>>,
    /// A result beat (always taken).
    pub m_tvalid: Signal<In, Bit>,
    /// See `m_tvalid`.
    pub m_tdata: Signal<In, Bits<128>>,
    /// Reply RAM write: enable.
    pub reply_we: Signal<Out, Bit>,
    /// Reply RAM write: `{slot, index}`.
    pub reply_waddr: Signal<Out, Bits<REPLY_ADDR_BITS>>,
    /// Reply RAM write: `{clean, value}`.
    pub reply_wdata: Signal<Out, Bits<REPLY_BITS>>,
    /// Results of the frame so far.
    pub nres: Signal<Out, Bits<5>>,
    /// No result is owed.
    pub idle: Signal<Out, Bit>,
    /// A compatible-mode result arrives.
    pub compat_valid: Signal<Out, Bit>,
    /// The result's value.
    pub value: Signal<Out, Bits<64>>,
    /// The result's clean bit.
    pub clean: Signal<Out, Bit>,
    /// Context 0's accumulator.
    pub shadow: Signal<Out, Bits<64>>,
    pending: DFF<Bits<5>>,
    r_nres: DFF<Bits<5>>,
    r_shadow: DFF<Bits<64>>,
    produces: Signal<Local, Bit>,
    op: Signal<Local, Bits<3>>,
    /// The result beat's address, opcode and zero bits, which the reply
    /// does not need (Verilator's lint exempts `*unused*` names).
    unused_beat_bits: Signal<Local, Bits<63>>,
    one5: Constant<Bits<5>>,
    zero5: Constant<Bits<5>>,
    zero8: Constant<Bits<8>>,
    zero64: Constant<Bits<64>>,
    op_load: Constant<Bits<3>>,
    op_accum: Constant<Bits<3>>,
    op_read: Constant<Bits<3>>,
    op_swap: Constant<Bits<3>>,
    op_swap_keep: Constant<Bits<3>>,
}

impl Default for ResultCollector {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            start: Default::default(),
            slot: Default::default(),
            compat: Default::default(),
            taken: Default::default(),
            beat: Default::default(),
            m_tvalid: Default::default(),
            m_tdata: Default::default(),
            reply_we: Default::default(),
            reply_waddr: Default::default(),
            reply_wdata: Default::default(),
            nres: Default::default(),
            idle: Default::default(),
            compat_valid: Default::default(),
            value: Default::default(),
            clean: Default::default(),
            shadow: Default::default(),
            pending: Default::default(),
            r_nres: Default::default(),
            r_shadow: Default::default(),
            produces: Default::default(),
            op: Default::default(),
            unused_beat_bits: Default::default(),
            one5: Constant::new(1u64.to_bits()),
            zero5: Constant::new(0u64.to_bits()),
            zero8: Constant::new(0u64.to_bits()),
            zero64: Constant::new(0u64.to_bits()),
            op_load: Constant::new(code(Opcode::Load)),
            op_accum: Constant::new(code(Opcode::Accum)),
            op_read: Constant::new(code(Opcode::Read)),
            op_swap: Constant::new(code(Opcode::Swap)),
            op_swap_keep: Constant::new(code(Opcode::SwapKeep)),
        }
    }
}

impl Logic for ResultCollector {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, pending, r_nres, r_shadow);
        self.op.next = self.beat.val().get_bits::<3>(72);
        self.produces.next = self.taken.val()
            & ((self.op.val() == self.op_read.val())
                | (self.op.val() == self.op_swap.val())
                | (self.op.val() == self.op_swap_keep.val()));
        // Results owed: one more per result op taken, one less per result.
        if self.produces.val() & !self.m_tvalid.val() {
            self.pending.d.next = self.pending.q.val() + self.one5.val();
        }
        if !self.produces.val() & self.m_tvalid.val() {
            self.pending.d.next = self.pending.q.val() - self.one5.val();
        }
        self.value.next = self.m_tdata.val().get_bits::<64>(0);
        self.unused_beat_bits.next = bit_cast::<63, 11>(self.m_tdata.val().get_bits::<11>(64))
            | (bit_cast::<63, 52>(self.m_tdata.val().get_bits::<52>(76)) << 11);
        self.clean.next = self.m_tdata.val().get_bit(75);
        self.compat_valid.next = self.m_tvalid.val() & self.compat.val();
        self.reply_we.next = self.m_tvalid.val() & !self.compat.val();
        self.reply_waddr.next =
            bit_cast::<REPLY_ADDR_BITS, 4>(self.r_nres.q.val().get_bits::<4>(0))
                | (bit_cast::<REPLY_ADDR_BITS, 3>(self.slot.val()) << 4);
        self.reply_wdata.next = bit_cast::<REPLY_BITS, 64>(self.m_tdata.val().get_bits::<64>(0))
            | (bit_cast::<REPLY_BITS, 1>(self.m_tdata.val().get_bit(75).into()) << 64);
        if self.reply_we.val() {
            self.r_nres.d.next = self.r_nres.q.val() + self.one5.val();
        }
        if self.start.val() {
            self.r_nres.d.next = self.zero5.val();
        }
        // Context 0's accumulator, from the ops taken on it.
        if self.taken.val() & (self.beat.val().get_bits::<8>(64) == self.zero8.val()) {
            if self.op.val() == self.op_accum.val() {
                self.r_shadow.d.next = self.r_shadow.q.val() ^ self.beat.val().get_bits::<64>(0);
            }
            if (self.op.val() == self.op_load.val())
                | (self.op.val() == self.op_swap.val())
                | (self.op.val() == self.op_swap_keep.val())
            {
                self.r_shadow.d.next = self.zero64.val();
            }
        }
        if self.reset.val() {
            self.pending.d.next = self.zero5.val();
            self.r_nres.d.next = self.zero5.val();
            self.r_shadow.d.next = self.zero64.val();
        }
        self.nres.next = self.r_nres.q.val();
        self.idle.next = self.pending.q.val() == self.zero5.val();
        self.shadow.next = self.r_shadow.q.val();
    }
}
