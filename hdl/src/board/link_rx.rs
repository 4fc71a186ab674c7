//! The receiving half of the link (docs/board.md, "The link protocol"):
//! the frame parser, the compatible-mode parser and the inter-byte timer.
//!
//! The frame parser writes each op of an OPS frame, as it arrives, into the
//! op RAM in the layout of an `atomik_axis` op beat (`[63:0]` data, `[71:64]`
//! address, `[74:72]` opcode), in one of two banks, and only after the
//! frame's CRC has checked does it tell the executor (`FRAME`). A frame that
//! fails in any way is dropped whole: its ops never run.

use rust_hdl::prelude::*;

use atomik::Opcode;

use crate::board::crc::Crc32Step;
use crate::pipeline::code;

/// Bits of an op word: data, address, opcode (the low bits of an op beat).
pub(crate) const OP_BITS: usize = 75;
/// Address bits of the op RAM: a bank bit and 16 ops per bank.
pub(crate) const OP_ADDR_BITS: usize = 5;
/// Width of the inter-byte timer.
pub(crate) const TIMER_BITS: usize = 24;

/// What the receiver tells the executor, for one cycle (`kind`).
#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
pub(crate) enum RxEvent {
    /// Nothing this cycle.
    Nothing,
    /// An OPS frame checked: `seq`, `count` ops in bank `bank`.
    Frame,
    /// A HELLO frame checked.
    Hello,
    /// A CLOSE frame checked.
    Close,
    /// Compatible mode: LOAD context 0 with `value`.
    Load,
    /// Compatible mode: ACCUM `value` into context 0.
    Accum,
    /// Compatible mode: READ context 0.
    Read,
    /// Compatible mode: is context 0's accumulator zero?
    Status,
    /// Compatible mode: the reference of context 0.
    Reference,
}

/// The receiver: both parsers and the timer. `framed` (from the executor)
/// disables compatible-mode commands.
#[derive(LogicBlock, Debug)]
pub(crate) struct LinkRx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// A byte from the UART.
    pub byte: Signal<In, Bits<8>>,
    /// `byte` is valid this cycle.
    pub byte_valid: Signal<In, Bit>,
    /// The UART saw a framing error.
    pub line_error: Signal<In, Bit>,
    /// The link is in framed mode: ignore compatible-mode commands.
    pub framed: Signal<In, Bit>,
    /// Op RAM write: enable.
    pub op_we: Signal<Out, Bit>,
    /// Op RAM write: `{bank, index}`.
    pub op_waddr: Signal<Out, Bits<OP_ADDR_BITS>>,
    /// Op RAM write: the op word.
    pub op_wdata: Signal<Out, Bits<OP_BITS>>,
    /// The event of this cycle.
    pub kind: Signal<Out, RxEvent>,
    /// `Frame`: its SEQ.
    pub seq: Signal<Out, Bits<8>>,
    /// `Frame`: its number of ops.
    pub count: Signal<Out, Bits<5>>,
    /// `Frame`: the op RAM bank holding its ops.
    pub bank: Signal<Out, Bit>,
    /// `Load`, `Accum`: the value.
    pub value: Signal<Out, Bits<64>>,
    /// A frame or command was dropped (bad CRC, bad field, timeout, line error).
    pub dropped: Signal<Out, Bit>,
    frame: FrameRx,
    compat: CompatRx,
    timer: DFF<Bits<TIMER_BITS>>,
    timeout: Constant<Bits<TIMER_BITS>>,
    one: Constant<Bits<TIMER_BITS>>,
    zero: Constant<Bits<TIMER_BITS>>,
}

impl LinkRx {
    /// A receiver whose partial frames and commands are dropped after 256
    /// byte-times without a byte (`cycles_per_bit` clock cycles per bit).
    pub(crate) fn new(cycles_per_bit: u32) -> Self {
        let timeout = 256 * 10 * u64::from(cycles_per_bit);
        assert!(timeout < 1 << TIMER_BITS);
        Self {
            clock: Default::default(),
            reset: Default::default(),
            byte: Default::default(),
            byte_valid: Default::default(),
            line_error: Default::default(),
            framed: Default::default(),
            op_we: Default::default(),
            op_waddr: Default::default(),
            op_wdata: Default::default(),
            kind: Default::default(),
            seq: Default::default(),
            count: Default::default(),
            bank: Default::default(),
            value: Default::default(),
            dropped: Default::default(),
            frame: FrameRx::default(),
            compat: CompatRx::default(),
            timer: Default::default(),
            timeout: Constant::new(timeout.to_bits()),
            one: Constant::new(1u64.to_bits()),
            zero: Constant::new(0u64.to_bits()),
        }
    }
}

impl Logic for LinkRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, timer);
        clock!(self, clock, frame, compat);
        // The inter-byte timer: cycles since the last byte, saturating.
        if self.timer.q.val() != self.timeout.val() {
            self.timer.d.next = self.timer.q.val() + self.one.val();
        }
        if self.byte_valid.val() | self.reset.val() {
            self.timer.d.next = self.zero.val();
        }
        self.frame.reset.next = self.reset.val();
        self.frame.byte.next = self.byte.val();
        self.frame.byte_valid.next = self.byte_valid.val();
        self.frame.abort.next = self.line_error.val() | (self.timer.q.val() == self.timeout.val());
        // A frame starts only between compatible-mode commands, and a
        // command only between frames and outside framed mode.
        self.frame.may_start.next = self.compat.idle.val();
        self.compat.reset.next = self.reset.val();
        self.compat.byte.next = self.byte.val();
        self.compat.byte_valid.next = self.byte_valid.val();
        self.compat.abort.next = self.frame.abort.val();
        self.compat.may_start.next = self.frame.hunting.val() & !self.framed.val();
        self.op_we.next = self.frame.op_we.val();
        self.op_waddr.next = self.frame.op_waddr.val();
        self.op_wdata.next = self.frame.op_wdata.val();
        self.kind.next = self.frame.kind.val();
        if self.compat.kind.val() != RxEvent::Nothing {
            self.kind.next = self.compat.kind.val();
        }
        self.seq.next = self.frame.seq.val();
        self.count.next = self.frame.count.val();
        self.bank.next = self.frame.bank.val();
        self.value.next = self.compat.value.val();
        self.dropped.next = self.frame.dropped.val() | self.compat.dropped.val();
    }
}

#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
enum FrameState {
    /// Between frames: looking for SYNC.
    Hunt,
    /// The header and the ops ([`FrameFields`] decodes them).
    Body,
    /// The CRC's four bytes.
    Crc,
}

/// The frame parser: SYNC, the body (through [`FrameFields`]), the CRC.
#[derive(LogicBlock, Debug)]
pub(crate) struct FrameRx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// A byte.
    pub byte: Signal<In, Bits<8>>,
    /// `byte` is valid.
    pub byte_valid: Signal<In, Bit>,
    /// Drop a partial frame (timeout, line error).
    pub abort: Signal<In, Bit>,
    /// SYNC may start a frame (no compatible-mode command is half read).
    pub may_start: Signal<In, Bit>,
    /// Between frames.
    pub hunting: Signal<Out, Bit>,
    /// Op RAM write enable.
    pub op_we: Signal<Out, Bit>,
    /// Op RAM write address.
    pub op_waddr: Signal<Out, Bits<OP_ADDR_BITS>>,
    /// Op RAM write data.
    pub op_wdata: Signal<Out, Bits<OP_BITS>>,
    /// `Frame`, `Hello`, `Close` or `Nothing`.
    pub kind: Signal<Out, RxEvent>,
    /// The frame's SEQ.
    pub seq: Signal<Out, Bits<8>>,
    /// Its op count.
    pub count: Signal<Out, Bits<5>>,
    /// Its bank.
    pub bank: Signal<Out, Bit>,
    /// A frame was dropped.
    pub dropped: Signal<Out, Bit>,
    crc: Crc32Step,
    fields: FrameFields,
    state: DFF<FrameState>,
    crc_reg: DFF<Bits<32>>,
    crc_rx: DFF<Bits<32>>,
    left: DFF<Bits<3>>,
    wbank: DFF<Bit>,
    ev_kind: DFF<RxEvent>,
    ev_dropped: DFF<Bit>,
    crc_final: Signal<Local, Bits<32>>,
    sync: Constant<Bits<8>>,
    ones32: Constant<Bits<32>>,
    one3: Constant<Bits<3>>,
    four: Constant<Bits<3>>,
}

impl Default for FrameRx {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            byte: Default::default(),
            byte_valid: Default::default(),
            abort: Default::default(),
            may_start: Default::default(),
            hunting: Default::default(),
            op_we: Default::default(),
            op_waddr: Default::default(),
            op_wdata: Default::default(),
            kind: Default::default(),
            seq: Default::default(),
            count: Default::default(),
            bank: Default::default(),
            dropped: Default::default(),
            crc: Default::default(),
            fields: FrameFields::default(),
            state: Default::default(),
            crc_reg: Default::default(),
            crc_rx: Default::default(),
            left: Default::default(),
            wbank: Default::default(),
            ev_kind: Default::default(),
            ev_dropped: Default::default(),
            crc_final: Default::default(),
            sync: Constant::new(0xA5u64.to_bits()),
            ones32: Constant::new(0xFFFF_FFFFu64.to_bits()),
            one3: Constant::new(1u64.to_bits()),
            four: Constant::new(4u64.to_bits()),
        }
    }
}

impl Logic for FrameRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, crc_reg, crc_rx, left, wbank, ev_kind, ev_dropped
        );
        self.fields.clock.next = self.clock.val();
        self.crc.crc_in.next = self.crc_reg.q.val();
        self.crc.data.next = self.byte.val();
        // The received CRC, completed by this cycle's byte (little-endian).
        self.crc_final.next =
            (self.crc_rx.q.val() >> 8) | (bit_cast::<32, 8>(self.byte.val()) << 24);
        self.fields.byte.next = self.byte.val();
        self.fields.bank.next = self.wbank.q.val();
        self.fields.take.next = false;
        self.fields.start.next = false;
        self.hunting.next = self.state.q.val() == FrameState::Hunt;
        self.ev_kind.d.next = RxEvent::Nothing;
        self.ev_dropped.d.next = false;
        if self.byte_valid.val() {
            match self.state.q.val() {
                FrameState::Hunt => {
                    if self.may_start.val() & (self.byte.val() == self.sync.val()) {
                        self.state.d.next = FrameState::Body;
                        self.crc_reg.d.next = self.ones32.val();
                        self.fields.start.next = true;
                    }
                }
                FrameState::Body => {
                    self.crc_reg.d.next = self.crc.crc_out.val();
                    self.fields.take.next = true;
                    if self.fields.bad.val() {
                        self.state.d.next = FrameState::Hunt;
                        self.ev_dropped.d.next = true;
                    } else if self.fields.last.val() {
                        self.state.d.next = FrameState::Crc;
                        self.left.d.next = self.four.val();
                    }
                }
                _ => {
                    self.crc_rx.d.next = self.crc_final.val();
                    self.left.d.next = self.left.q.val() - self.one3.val();
                    if self.left.q.val() == self.one3.val() {
                        self.state.d.next = FrameState::Hunt;
                        if (self.crc_reg.q.val() ^ self.ones32.val()) == self.crc_final.val() {
                            self.ev_kind.d.next = self.fields.kind.val();
                            if self.fields.kind.val() == RxEvent::Frame {
                                self.wbank.d.next = !self.wbank.q.val();
                            }
                        } else {
                            self.ev_dropped.d.next = true;
                        }
                    }
                }
            }
        }
        if self.abort.val() & (self.state.q.val() != FrameState::Hunt) {
            self.state.d.next = FrameState::Hunt;
            self.ev_dropped.d.next = true;
        }
        if self.reset.val() {
            self.state.d.next = FrameState::Hunt;
            self.wbank.d.next = false;
        }
        self.op_we.next = self.fields.op_we.val();
        self.op_waddr.next = self.fields.op_waddr.val();
        self.op_wdata.next = self.fields.op_wdata.val();
        self.kind.next = self.ev_kind.q.val();
        self.seq.next = self.fields.seq.val();
        self.count.next = self.fields.count.val();
        // The event comes a cycle after the bank toggled: its ops are in the other one.
        self.bank.next = !self.wbank.q.val();
        self.dropped.next = self.ev_dropped.q.val();
    }
}

#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
enum Field {
    /// SEQ, or a control frame's code.
    Seq,
    /// COUNT.
    Count,
    /// An op's CODE.
    Code,
    /// An op's ADDR.
    Addr,
    /// An op's DATA bytes.
    Data,
}

/// The body of a frame, byte by byte: the header fields and the ops, each
/// op written to the op RAM as its last byte arrives. `bad` and `last`
/// describe the byte being taken.
#[derive(LogicBlock, Debug)]
pub(crate) struct FrameFields {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// A frame starts (SYNC seen): SEQ comes next.
    pub start: Signal<In, Bit>,
    /// Take `byte`, the next byte of the body.
    pub take: Signal<In, Bit>,
    /// The byte.
    pub byte: Signal<In, Bits<8>>,
    /// The op RAM bank to write.
    pub bank: Signal<In, Bit>,
    /// The byte makes the frame invalid (a field out of range).
    pub bad: Signal<Out, Bit>,
    /// The byte ends the body: the CRC follows.
    pub last: Signal<Out, Bit>,
    /// What the frame is: `Frame`, `Hello` or `Close`.
    pub kind: Signal<Out, RxEvent>,
    /// SEQ.
    pub seq: Signal<Out, Bits<8>>,
    /// COUNT.
    pub count: Signal<Out, Bits<5>>,
    /// Op RAM write enable.
    pub op_we: Signal<Out, Bit>,
    /// Op RAM write address `{bank, index}`.
    pub op_waddr: Signal<Out, Bits<OP_ADDR_BITS>>,
    /// The op word.
    pub op_wdata: Signal<Out, Bits<OP_BITS>>,
    field: DFF<Field>,
    r_kind: DFF<RxEvent>,
    r_seq: DFF<Bits<8>>,
    r_count: DFF<Bits<5>>,
    index: DFF<Bits<5>>,
    code: DFF<Bits<3>>,
    addr: DFF<Bits<8>>,
    data: DFF<Bits<64>>,
    left: DFF<Bits<4>>,
    next_index: Signal<Local, Bits<5>>,
    data_final: Signal<Local, Bits<64>>,
    op_data: Signal<Local, Bits<64>>,
    op_addr: Signal<Local, Bits<8>>,
    /// The byte completes an op.
    complete: Signal<Local, Bit>,
    header: HeaderCheck,
    one5: Constant<Bits<5>>,
    one4: Constant<Bits<4>>,
    eight: Constant<Bits<4>>,
    zero5: Constant<Bits<5>>,
    zero64: Constant<Bits<64>>,
    op_load: Constant<Bits<3>>,
    op_accum: Constant<Bits<3>>,
    op_swap: Constant<Bits<3>>,
}

impl Default for FrameFields {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            start: Default::default(),
            take: Default::default(),
            byte: Default::default(),
            bank: Default::default(),
            bad: Default::default(),
            last: Default::default(),
            kind: Default::default(),
            seq: Default::default(),
            count: Default::default(),
            op_we: Default::default(),
            op_waddr: Default::default(),
            op_wdata: Default::default(),
            field: Default::default(),
            r_kind: Default::default(),
            r_seq: Default::default(),
            r_count: Default::default(),
            index: Default::default(),
            code: Default::default(),
            addr: Default::default(),
            data: Default::default(),
            left: Default::default(),
            next_index: Default::default(),
            data_final: Default::default(),
            op_data: Default::default(),
            op_addr: Default::default(),
            complete: Default::default(),
            header: HeaderCheck::default(),
            one5: Constant::new(1u64.to_bits()),
            one4: Constant::new(1u64.to_bits()),
            eight: Constant::new(8u64.to_bits()),
            zero5: Constant::new(0u64.to_bits()),
            zero64: Constant::new(0u64.to_bits()),
            op_load: Constant::new(code(Opcode::Load)),
            op_accum: Constant::new(code(Opcode::Accum)),
            op_swap: Constant::new(code(Opcode::Swap)),
        }
    }
}

impl Logic for FrameFields {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, field, r_kind, r_seq, r_count, index, code, addr, data, left
        );
        self.next_index.next = self.index.q.val() + self.one5.val();
        self.data_final.next =
            (self.data.q.val() >> 8) | (bit_cast::<64, 8>(self.byte.val()) << 56);
        self.bad.next = false;
        self.last.next = false;
        self.complete.next = false;
        self.op_data.next = self.zero64.val();
        self.op_addr.next = self.addr.q.val();
        self.header.seq.next = self.r_seq.q.val();
        self.header.count.next = self.byte.val();
        if self.take.val() {
            match self.field.q.val() {
                Field::Seq => {
                    self.r_seq.d.next = self.byte.val();
                    self.field.d.next = Field::Count;
                }
                Field::Count => {
                    self.r_count.d.next = self.byte.val().get_bits::<5>(0);
                    self.r_kind.d.next = self.header.kind.val();
                    self.field.d.next = Field::Code;
                    self.last.next = self.header.empty.val();
                    self.bad.next = self.header.bad.val();
                }
                Field::Code => {
                    self.code.d.next = self.byte.val().get_bits::<3>(0);
                    self.field.d.next = Field::Addr;
                    self.bad.next = self.byte.val().get_bits::<5>(3).any();
                }
                Field::Addr => {
                    self.addr.d.next = self.byte.val();
                    if (self.code.q.val() == self.op_load.val())
                        | (self.code.q.val() == self.op_accum.val())
                        | (self.code.q.val() == self.op_swap.val())
                    {
                        self.field.d.next = Field::Data;
                        self.left.d.next = self.eight.val();
                    } else {
                        self.complete.next = true;
                        self.op_addr.next = self.byte.val();
                    }
                }
                _ => {
                    self.data.d.next = self.data_final.val();
                    self.left.d.next = self.left.q.val() - self.one4.val();
                    if self.left.q.val() == self.one4.val() {
                        self.complete.next = true;
                        self.op_data.next = self.data_final.val();
                    }
                }
            }
        }
        // An op is complete: the next is the frame's last, or another CODE.
        self.op_we.next = self.complete.val();
        if self.complete.val() {
            self.index.d.next = self.next_index.val();
            self.field.d.next = Field::Code;
            self.last.next = self.next_index.val() == self.r_count.q.val();
        }
        if self.start.val() {
            self.field.d.next = Field::Seq;
            self.index.d.next = self.zero5.val();
        }
        // The op word is an op beat's low bits: data, address, opcode.
        self.op_waddr.next = bit_cast::<OP_ADDR_BITS, 4>(self.index.q.val().get_bits::<4>(0))
            | (bit_cast::<OP_ADDR_BITS, 1>(self.bank.val().into()) << 4);
        self.op_wdata.next = bit_cast::<OP_BITS, 64>(self.op_data.val())
            | (bit_cast::<OP_BITS, 8>(self.op_addr.val()) << 64)
            | (bit_cast::<OP_BITS, 3>(self.code.q.val()) << 72);
        self.kind.next = self.r_kind.q.val();
        self.seq.next = self.r_seq.q.val();
        self.count.next = self.r_count.q.val();
    }
}

/// What a frame's header says (combinational), checked as its COUNT byte
/// arrives: a control frame (SEQ 0x80 HELLO, 0x81 CLOSE, with no ops), or
/// an OPS frame (SEQ below 0x80, at most 16 ops).
#[derive(LogicBlock, Debug)]
pub(crate) struct HeaderCheck {
    /// The frame's SEQ byte.
    pub seq: Signal<In, Bits<8>>,
    /// Its COUNT byte.
    pub count: Signal<In, Bits<8>>,
    /// What the frame is: `Frame`, `Hello` or `Close`.
    pub kind: Signal<Out, RxEvent>,
    /// No ops: the CRC follows COUNT.
    pub empty: Signal<Out, Bit>,
    /// The header is invalid: an unknown control code, or too many ops.
    pub bad: Signal<Out, Bit>,
    zero8: Constant<Bits<8>>,
    max_ops: Constant<Bits<8>>,
    hello: Constant<Bits<8>>,
    close: Constant<Bits<8>>,
}

impl Default for HeaderCheck {
    fn default() -> Self {
        Self {
            seq: Default::default(),
            count: Default::default(),
            kind: Default::default(),
            empty: Default::default(),
            bad: Default::default(),
            zero8: Constant::new(0u64.to_bits()),
            max_ops: Constant::new(16u64.to_bits()),
            hello: Constant::new(0x80u64.to_bits()),
            close: Constant::new(0x81u64.to_bits()),
        }
    }
}

impl Logic for HeaderCheck {
    #[hdl_gen]
    fn update(&mut self) {
        self.kind.next = RxEvent::Frame;
        self.empty.next = self.count.val() == self.zero8.val();
        self.bad.next = self.count.val() > self.max_ops.val();
        if self.empty.val() {
            // No ops: an empty OPS frame, or a control frame.
            if self.seq.val() == self.hello.val() {
                self.kind.next = RxEvent::Hello;
            } else if self.seq.val() == self.close.val() {
                self.kind.next = RxEvent::Close;
            } else if self.seq.val().get_bit(7) {
                self.bad.next = true;
            }
        }
    }
}

#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
enum CompatState {
    /// Between commands.
    Idle,
    /// After `L` or `A`: the value's 8 bytes, most significant first.
    Value,
}

/// The compatible-mode parser: the original project's byte commands.
#[derive(LogicBlock, Debug)]
pub(crate) struct CompatRx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// A byte.
    pub byte: Signal<In, Bits<8>>,
    /// `byte` is valid.
    pub byte_valid: Signal<In, Bit>,
    /// Drop a partial command (timeout, line error).
    pub abort: Signal<In, Bit>,
    /// A command may start (no frame is being read, compatible mode).
    pub may_start: Signal<In, Bit>,
    /// Between commands.
    pub idle: Signal<Out, Bit>,
    /// The command of this cycle (`Load` .. `Reference`, or `Nothing`).
    pub kind: Signal<Out, RxEvent>,
    /// `Load`, `Accum`: the value.
    pub value: Signal<Out, Bits<64>>,
    /// A partial command was dropped.
    pub dropped: Signal<Out, Bit>,
    state: DFF<CompatState>,
    is_load: DFF<Bit>,
    left: DFF<Bits<4>>,
    r_value: DFF<Bits<64>>,
    ev_kind: DFF<RxEvent>,
    ev_dropped: DFF<Bit>,
    value_final: Signal<Local, Bits<64>>,
    cmd_load: Constant<Bits<8>>,
    cmd_accum: Constant<Bits<8>>,
    cmd_read: Constant<Bits<8>>,
    cmd_status: Constant<Bits<8>>,
    cmd_reference: Constant<Bits<8>>,
    eight: Constant<Bits<4>>,
    one4: Constant<Bits<4>>,
}

impl Default for CompatRx {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            byte: Default::default(),
            byte_valid: Default::default(),
            abort: Default::default(),
            may_start: Default::default(),
            idle: Default::default(),
            kind: Default::default(),
            value: Default::default(),
            dropped: Default::default(),
            state: Default::default(),
            is_load: Default::default(),
            left: Default::default(),
            r_value: Default::default(),
            ev_kind: Default::default(),
            ev_dropped: Default::default(),
            value_final: Default::default(),
            cmd_load: Constant::new(u64::from(b'L').to_bits()),
            cmd_accum: Constant::new(u64::from(b'A').to_bits()),
            cmd_read: Constant::new(u64::from(b'R').to_bits()),
            cmd_status: Constant::new(u64::from(b'S').to_bits()),
            cmd_reference: Constant::new(u64::from(b'D').to_bits()),
            eight: Constant::new(8u64.to_bits()),
            one4: Constant::new(1u64.to_bits()),
        }
    }
}

impl Logic for CompatRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, is_load, left, r_value, ev_kind, ev_dropped
        );
        self.value_final.next = (self.r_value.q.val() << 8) | bit_cast::<64, 8>(self.byte.val());
        self.ev_kind.d.next = RxEvent::Nothing;
        self.ev_dropped.d.next = false;
        if self.byte_valid.val() {
            match self.state.q.val() {
                CompatState::Idle => {
                    if self.may_start.val() {
                        if (self.byte.val() == self.cmd_load.val())
                            | (self.byte.val() == self.cmd_accum.val())
                        {
                            self.state.d.next = CompatState::Value;
                            self.is_load.d.next = self.byte.val() == self.cmd_load.val();
                            self.left.d.next = self.eight.val();
                        }
                        if self.byte.val() == self.cmd_read.val() {
                            self.ev_kind.d.next = RxEvent::Read;
                        }
                        if self.byte.val() == self.cmd_status.val() {
                            self.ev_kind.d.next = RxEvent::Status;
                        }
                        if self.byte.val() == self.cmd_reference.val() {
                            self.ev_kind.d.next = RxEvent::Reference;
                        }
                    }
                }
                _ => {
                    self.r_value.d.next = self.value_final.val();
                    self.left.d.next = self.left.q.val() - self.one4.val();
                    if self.left.q.val() == self.one4.val() {
                        self.state.d.next = CompatState::Idle;
                        self.ev_kind.d.next = RxEvent::Accum;
                        if self.is_load.q.val() {
                            self.ev_kind.d.next = RxEvent::Load;
                        }
                    }
                }
            }
        }
        if self.abort.val() & (self.state.q.val() != CompatState::Idle) {
            self.state.d.next = CompatState::Idle;
            self.ev_dropped.d.next = true;
        }
        if self.reset.val() {
            self.state.d.next = CompatState::Idle;
        }
        self.idle.next = self.state.q.val() == CompatState::Idle;
        self.kind.next = self.ev_kind.q.val();
        self.value.next = self.r_value.q.val();
        self.dropped.next = self.ev_dropped.q.val();
    }
}
