//! The sending half of the link: a queue of replies from the executor, and
//! the frames and compatible-mode bytes they become (docs/board.md).

use rust_hdl::prelude::*;

use crate::board::crc::Crc32Step;
use crate::board::link_exec::{REPLY_ADDR_BITS, REPLY_BITS, SLOT_BITS, job};
use crate::state_ram::StateRam;

/// A generation-time constant of any width.
fn bits<const N: usize>(value: u64) -> Constant<Bits<N>> {
    Constant::new(value.to_bits())
}

/// A queued reply: `[63:0]` value, `[66:64]` slot, `[68:67]` job code.
const JOB_BITS: usize = 69;
/// Replies the queue holds: more than a window of ACKs plus STATUS frames.
const QUEUE_ADDR_BITS: usize = 4;

/// The reply queue: a FIFO in a block RAM (one registered read port).
/// The head shows one cycle after `empty` went low, and stays until `pop`,
/// which keeps it in `taken_*` (the reply being sent) until the next `pop`.
/// A push into a full queue is dropped and raises `overflow`. It also
/// tells which slots of the reply store its ACKs still have to read
/// ([`AckSlots`]).
#[derive(LogicBlock, Debug)]
pub(crate) struct JobQueue {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: empty.
    pub reset: Signal<In, Bit>,
    /// Append a reply.
    pub push: Signal<In, Bit>,
    /// Its job code.
    pub push_job: Signal<In, Bits<2>>,
    /// Its slot.
    pub push_slot: Signal<In, Bits<3>>,
    /// Its value.
    pub push_value: Signal<In, Bits<64>>,
    /// Remove the head.
    pub pop: Signal<In, Bit>,
    /// The reply taken last has read all it sends from the reply store and
    /// the slot table (its CRC is loaded).
    pub taken_read: Signal<In, Bit>,
    /// Nothing queued.
    pub empty: Signal<Out, Bit>,
    /// The head's job code (see the block's docs for when it is valid).
    pub job: Signal<Out, Bits<2>>,
    /// The head's slot.
    pub slot: Signal<Out, Bits<3>>,
    /// The head's value.
    pub value: Signal<Out, Bits<64>>,
    /// A push was dropped.
    pub overflow: Signal<Out, Bit>,
    /// The reply popped last: its job code.
    pub taken_job: Signal<Out, Bits<2>>,
    /// Its slot.
    pub taken_slot: Signal<Out, Bits<3>>,
    /// Its value.
    pub taken_value: Signal<Out, Bits<64>>,
    /// Bit k: an ACK of slot k waits in the queue.
    pub ack_waiting: Signal<Out, Bits<8>>,
    /// Bit k: an ACK of slot k waits in the queue or is being sent, so
    /// slot k's results and `{nres, seq}` must not change.
    pub ack_owed: Signal<Out, Bits<8>>,
    ram: StateRam<QUEUE_ADDR_BITS, JOB_BITS>,
    acks: AckSlots,
    r_job: DFF<Bits<2>>,
    r_slot: DFF<Bits<3>>,
    r_value: DFF<Bits<64>>,
    /// Pointers with a wrap bit: full when they differ only in it.
    wptr: DFF<Bits<5>>,
    rptr: DFF<Bits<5>>,
    full: Signal<Local, Bit>,
    one5: Constant<Bits<5>>,
    zero5: Constant<Bits<5>>,
    wrap: Constant<Bits<5>>,
    job_ack: Constant<Bits<2>>,
}

impl Default for JobQueue {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            push: Default::default(),
            push_job: Default::default(),
            push_slot: Default::default(),
            push_value: Default::default(),
            pop: Default::default(),
            taken_read: Default::default(),
            empty: Default::default(),
            job: Default::default(),
            slot: Default::default(),
            value: Default::default(),
            overflow: Default::default(),
            taken_job: Default::default(),
            taken_slot: Default::default(),
            taken_value: Default::default(),
            ack_waiting: Default::default(),
            ack_owed: Default::default(),
            ram: Default::default(),
            acks: Default::default(),
            r_job: Default::default(),
            r_slot: Default::default(),
            r_value: Default::default(),
            wptr: Default::default(),
            rptr: Default::default(),
            full: Default::default(),
            one5: Constant::new(1u64.to_bits()),
            zero5: Constant::new(0u64.to_bits()),
            wrap: Constant::new(16u64.to_bits()),
            job_ack: bits(job::ACK),
        }
    }
}

impl Logic for JobQueue {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, wptr, rptr, r_job, r_slot, r_value);
        self.ram.clock.next = self.clock.val();
        self.full.next = (self.wptr.q.val() ^ self.rptr.q.val()) == self.wrap.val();
        self.empty.next = self.wptr.q.val() == self.rptr.q.val();
        self.ram.write_enable.next = self.push.val() & !self.full.val();
        self.ram.write_address.next = self.wptr.q.val().get_bits::<QUEUE_ADDR_BITS>(0);
        self.ram.write_data.next = bit_cast::<JOB_BITS, 64>(self.push_value.val())
            | (bit_cast::<JOB_BITS, 3>(self.push_slot.val()) << 64)
            | (bit_cast::<JOB_BITS, 2>(self.push_job.val()) << 67);
        self.ram.read_address.next = self.rptr.q.val().get_bits::<QUEUE_ADDR_BITS>(0);
        self.value.next = self.ram.read_data.val().get_bits::<64>(0);
        self.slot.next = self.ram.read_data.val().get_bits::<3>(64);
        self.job.next = self.ram.read_data.val().get_bits::<2>(67);
        self.overflow.next = self.push.val() & self.full.val();
        if self.push.val() & !self.full.val() {
            self.wptr.d.next = self.wptr.q.val() + self.one5.val();
        }
        if self.pop.val() {
            self.rptr.d.next = self.rptr.q.val() + self.one5.val();
            self.r_job.d.next = self.job.val();
            self.r_slot.d.next = self.slot.val();
            self.r_value.d.next = self.value.val();
        }
        if self.reset.val() {
            self.wptr.d.next = self.zero5.val();
            self.rptr.d.next = self.zero5.val();
        }
        self.taken_job.next = self.r_job.q.val();
        self.taken_slot.next = self.r_slot.q.val();
        self.taken_value.next = self.r_value.q.val();
        // Which slots the queue's ACKs still have to read.
        self.acks.clock.next = self.clock.val();
        self.acks.reset.next = self.reset.val();
        self.acks.queued.next =
            self.ram.write_enable.val() & (self.push_job.val() == self.job_ack.val());
        self.acks.queued_slot.next = self.push_slot.val();
        self.acks.started.next = self.pop.val() & (self.job.val() == self.job_ack.val());
        self.acks.started_slot.next = self.slot.val();
        self.acks.read.next = self.taken_read.val();
        self.ack_waiting.next = self.acks.waiting.val();
        self.ack_owed.next = self.acks.owed.val();
    }
}

/// Which slots of the reply store an ACK still has to read: one waits in
/// the reply queue, or is being sent. The executor applies no frame into
/// such a slot (docs/board.md, "Exactly once"). It queues no ACK of a slot
/// whose ACK still waits (that one answers the retransmission too), so one
/// bit per slot counts the waiting ACKs exactly; the transmitter sends one
/// reply at a time.
#[derive(LogicBlock, Debug)]
pub(crate) struct AckSlots {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset (with the queue's): no ACK owed.
    pub reset: Signal<In, Bit>,
    /// An ACK enters the queue.
    pub queued: Signal<In, Bit>,
    /// Its slot.
    pub queued_slot: Signal<In, Bits<3>>,
    /// An ACK leaves the queue: the transmitter starts it.
    pub started: Signal<In, Bit>,
    /// Its slot.
    pub started_slot: Signal<In, Bits<3>>,
    /// The reply being sent has read all it sends from the slot.
    pub read: Signal<In, Bit>,
    /// Bit k: an ACK of slot k waits in the queue.
    pub waiting: Signal<Out, Bits<8>>,
    /// Bit k: an ACK of slot k waits or is being sent.
    pub owed: Signal<Out, Bits<8>>,
    r_waiting: DFF<Bits<8>>,
    r_sending: DFF<Bit>,
    r_sending_slot: DFF<Bits<3>>,
    /// The slot bit that `queued` sets.
    added: Signal<Local, Bits<8>>,
    /// The slot bit that `started` clears.
    removed: Signal<Local, Bits<8>>,
    one8: Constant<Bits<8>>,
    zero8: Constant<Bits<8>>,
}

impl Default for AckSlots {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            queued: Default::default(),
            queued_slot: Default::default(),
            started: Default::default(),
            started_slot: Default::default(),
            read: Default::default(),
            waiting: Default::default(),
            owed: Default::default(),
            r_waiting: Default::default(),
            r_sending: Default::default(),
            r_sending_slot: Default::default(),
            added: Default::default(),
            removed: Default::default(),
            one8: bits(1),
            zero8: bits(0),
        }
    }
}

impl Logic for AckSlots {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, r_waiting, r_sending, r_sending_slot);
        self.added.next = self.zero8.val();
        if self.queued.val() {
            self.added.next = self.one8.val() << self.queued_slot.val();
        }
        self.removed.next = self.zero8.val();
        if self.started.val() {
            self.removed.next = self.one8.val() << self.started_slot.val();
        }
        self.r_waiting.d.next = (self.r_waiting.q.val() & !self.removed.val()) | self.added.val();
        // The ACK being sent holds its slot from the cycle it leaves the
        // queue (the slot table is read then) until its last result is read.
        if self.read.val() {
            self.r_sending.d.next = false;
        }
        if self.started.val() {
            self.r_sending.d.next = true;
            self.r_sending_slot.d.next = self.started_slot.val();
        }
        if self.reset.val() {
            self.r_waiting.d.next = self.zero8.val();
            self.r_sending.d.next = false;
        }
        self.waiting.next = self.r_waiting.q.val();
        self.owed.next = self.r_waiting.q.val();
        if self.r_sending.q.val() {
            self.owed.next =
                self.r_waiting.q.val() | (self.one8.val() << self.r_sending_slot.q.val());
        }
    }
}

/// Sends up to 9 bytes, least significant first, through the UART, and
/// keeps the running CRC of the bytes it is told to.
#[derive(LogicBlock, Debug)]
pub(crate) struct ByteShifter {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// Start sending `len` bytes of `data` (only when `done`).
    pub load: Signal<In, Bit>,
    /// The bytes, the first in bits [7:0].
    pub data: Signal<In, Bits<72>>,
    /// How many.
    pub len: Signal<In, Bits<4>>,
    /// Add the bytes to the CRC...
    pub crc_on: Signal<In, Bit>,
    /// ... except the first (a frame's SYNC).
    pub skip_first: Signal<In, Bit>,
    /// Restart the CRC (a new frame).
    pub crc_reset: Signal<In, Bit>,
    /// Every byte loaded has gone to the UART.
    pub done: Signal<Out, Bit>,
    /// The CRC of the frame so far, as sent (final XOR applied).
    pub crc: Signal<Out, Bits<32>>,
    /// The UART takes a byte.
    pub uart_ready: Signal<In, Bit>,
    /// The byte for the UART.
    pub uart_data: Signal<Out, Bits<8>>,
    /// Send `uart_data`.
    pub uart_start: Signal<Out, Bit>,
    step: Crc32Step,
    shift: DFF<Bits<72>>,
    left: DFF<Bits<4>>,
    crc_reg: DFF<Bits<32>>,
    r_crc_on: DFF<Bit>,
    skip: DFF<Bit>,
    one4: Constant<Bits<4>>,
    zero4: Constant<Bits<4>>,
    ones32: Constant<Bits<32>>,
}

impl Default for ByteShifter {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            load: Default::default(),
            data: Default::default(),
            len: Default::default(),
            crc_on: Default::default(),
            skip_first: Default::default(),
            crc_reset: Default::default(),
            done: Default::default(),
            crc: Default::default(),
            uart_ready: Default::default(),
            uart_data: Default::default(),
            uart_start: Default::default(),
            step: Default::default(),
            shift: Default::default(),
            left: Default::default(),
            crc_reg: Default::default(),
            r_crc_on: Default::default(),
            skip: Default::default(),
            one4: Constant::new(1u64.to_bits()),
            zero4: Constant::new(0u64.to_bits()),
            ones32: Constant::new(0xFFFF_FFFFu64.to_bits()),
        }
    }
}

impl Logic for ByteShifter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, shift, left, crc_reg, r_crc_on, skip);
        self.done.next = self.left.q.val() == self.zero4.val();
        self.uart_data.next = self.shift.q.val().get_bits::<8>(0);
        self.uart_start.next = self.uart_ready.val() & !self.done.val();
        self.step.crc_in.next = self.crc_reg.q.val();
        self.step.data.next = self.shift.q.val().get_bits::<8>(0);
        if self.uart_start.val() {
            self.shift.d.next = self.shift.q.val() >> 8;
            self.left.d.next = self.left.q.val() - self.one4.val();
            self.skip.d.next = false;
            if self.r_crc_on.q.val() & !self.skip.q.val() {
                self.crc_reg.d.next = self.step.crc_out.val();
            }
        }
        if self.load.val() {
            self.shift.d.next = self.data.val();
            self.left.d.next = self.len.val();
            self.r_crc_on.d.next = self.crc_on.val();
            self.skip.d.next = self.skip_first.val();
        }
        if self.crc_reset.val() {
            self.crc_reg.d.next = self.ones32.val();
        }
        if self.reset.val() {
            self.left.d.next = self.zero4.val();
        }
        self.crc.next = self.crc_reg.q.val() ^ self.ones32.val();
    }
}

/// The transmitter's states.
#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
pub(crate) enum TxState {
    /// Nothing queued.
    Idle,
    /// The head of the queue is readable: take it.
    Load,
    /// Start the reply (the slot table answers for an ACK).
    Begin,
    /// Bytes going out; then what `after` says.
    Send,
    /// Reading an ACK's next result from the reply RAM.
    Fetch,
    /// The result is readable: send it.
    FetchWait,
}

/// What follows the bytes being sent.
#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
pub(crate) enum After {
    /// An ACK's header: its results (or its CRC) next.
    Header,
    /// An ACK's result: the next one (or the CRC).
    Result,
    /// A STATUS's fields: the CRC.
    Fields,
    /// The reply is complete.
    Done,
}

/// The transmitter: the reply queue, then each reply as bytes.
#[derive(LogicBlock, Debug)]
pub(crate) struct LinkTx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// Queue a reply.
    pub job_valid: Signal<In, Bit>,
    /// Which (a `job` code).
    pub job: Signal<In, Bits<2>>,
    /// ACK: the slot.
    pub job_slot: Signal<In, Bits<3>>,
    /// Compatible mode: the value.
    pub job_value: Signal<In, Bits<64>>,
    /// For STATUS: EXPECTED.
    pub expected: Signal<In, Bits<8>>,
    /// For STATUS: the mode.
    pub framed: Signal<In, Bit>,
    /// Slot table read address.
    pub slot_raddr: Signal<Out, Bits<3>>,
    /// Slot table: `{nres, seq}`, a cycle after the address.
    pub slot_rdata: Signal<In, Bits<SLOT_BITS>>,
    /// Reply RAM read address.
    pub reply_raddr: Signal<Out, Bits<REPLY_ADDR_BITS>>,
    /// Reply RAM: `{clean, value}`, a cycle after the address.
    pub reply_rdata: Signal<In, Bits<REPLY_BITS>>,
    /// The UART takes a byte.
    pub uart_ready: Signal<In, Bit>,
    /// The byte.
    pub uart_data: Signal<Out, Bits<8>>,
    /// Send it.
    pub uart_start: Signal<Out, Bit>,
    /// A reply was dropped: the queue was full.
    pub overflow: Signal<Out, Bit>,
    /// Bit k: an ACK of slot k waits in the queue.
    pub ack_waiting: Signal<Out, Bits<8>>,
    /// Bit k: an ACK of slot k waits or is being sent: slot k must not
    /// change.
    pub ack_owed: Signal<Out, Bits<8>>,
    queue: JobQueue,
    shifter: ByteShifter,
    state: DFF<TxState>,
    start: ReplyStart,
    parts: ReplyParts,
    len4: Constant<Bits<4>>,
    len9: Constant<Bits<4>>,
}

impl Default for LinkTx {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            job_valid: Default::default(),
            job: Default::default(),
            job_slot: Default::default(),
            job_value: Default::default(),
            expected: Default::default(),
            framed: Default::default(),
            slot_raddr: Default::default(),
            slot_rdata: Default::default(),
            reply_raddr: Default::default(),
            reply_rdata: Default::default(),
            uart_ready: Default::default(),
            uart_data: Default::default(),
            uart_start: Default::default(),
            overflow: Default::default(),
            ack_waiting: Default::default(),
            ack_owed: Default::default(),
            queue: JobQueue::default(),
            shifter: ByteShifter::default(),
            state: Default::default(),
            start: ReplyStart::default(),
            parts: ReplyParts::default(),
            len4: Constant::new(4u64.to_bits()),
            len9: Constant::new(9u64.to_bits()),
        }
    }
}

impl Logic for LinkTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state);
        clock!(self, clock, queue, shifter, parts);
        self.queue.reset.next = self.reset.val();
        self.queue.push.next = self.job_valid.val();
        self.queue.push_job.next = self.job.val();
        self.queue.push_slot.next = self.job_slot.val();
        self.queue.push_value.next = self.job_value.val();
        self.queue.pop.next = self.state.q.val() == TxState::Load;
        self.overflow.next = self.queue.overflow.val();
        self.ack_waiting.next = self.queue.ack_waiting.val();
        self.ack_owed.next = self.queue.ack_owed.val();
        self.shifter.reset.next = self.reset.val();
        self.shifter.uart_ready.next = self.uart_ready.val();
        self.uart_data.next = self.shifter.uart_data.val();
        self.uart_start.next = self.shifter.uart_start.val();
        self.shifter.load.next = false;
        self.queue.taken_read.next = false;
        // A reply starts: a new CRC, which a frame's SYNC is not part of.
        self.shifter.crc_reset.next = self.state.q.val() == TxState::Begin;
        self.shifter.skip_first.next = self.state.q.val() == TxState::Begin;
        self.shifter.crc_on.next = true;
        // By default the CRC itself: four bytes, after the last it covers.
        self.shifter.len.next = self.len4.val();
        self.shifter.data.next = bit_cast::<72, 32>(self.shifter.crc.val());
        self.slot_raddr.next = self.queue.slot.val();
        self.reply_raddr.next = bit_cast::<REPLY_ADDR_BITS, 4>(self.parts.index.val())
            | (bit_cast::<REPLY_ADDR_BITS, 3>(self.queue.taken_slot.val()) << 4);
        self.start.kind.next = self.queue.taken_job.val();
        self.start.value.next = self.queue.taken_value.val();
        self.start.slot_rdata.next = self.slot_rdata.val();
        self.start.expected.next = self.expected.val();
        self.start.framed.next = self.framed.val();
        self.parts.started.next = self.state.q.val() == TxState::Begin;
        self.parts.first.next = self.start.after.val();
        self.parts.nres.next = self.slot_rdata.val().get_bits::<5>(8);
        self.parts.result.next = self.state.q.val() == TxState::FetchWait;
        self.parts.sent.next = (self.state.q.val() == TxState::Send) & self.shifter.done.val();
        match self.state.q.val() {
            TxState::Idle => {
                if !self.queue.empty.val() {
                    self.state.d.next = TxState::Load;
                }
            }
            TxState::Load => {
                self.state.d.next = TxState::Begin;
            }
            TxState::Begin => {
                // The first bytes of the reply; an ACK's header tells its NRES.
                self.shifter.load.next = true;
                self.shifter.data.next = self.start.data.val();
                self.shifter.len.next = self.start.len.val();
                self.shifter.crc_on.next = self.start.frame.val();
                self.state.d.next = TxState::Send;
            }
            TxState::Send => {
                if self.shifter.done.val() {
                    self.state.d.next = self.parts.state.val();
                    // The CRC, 4 bytes it does not cover; the rest is read.
                    self.shifter.load.next = self.parts.close.val();
                    self.queue.taken_read.next = self.parts.close.val();
                    self.shifter.crc_on.next = !self.parts.close.val();
                }
            }
            TxState::Fetch => {
                self.state.d.next = TxState::FetchWait;
            }
            _ => {
                // FetchWait: the result's VALUE (8 bytes) and FLAGS.
                self.shifter.load.next = true;
                self.shifter.data.next = bit_cast::<72, REPLY_BITS>(self.reply_rdata.val());
                self.shifter.len.next = self.len9.val();
                self.state.d.next = TxState::Send;
            }
        }
        if self.reset.val() {
            self.state.d.next = TxState::Idle;
        }
    }
}

/// The parts of a reply after its first bytes, in order: an ACK's results,
/// one by one from the reply RAM, then a frame's CRC.
#[derive(LogicBlock, Debug)]
pub(crate) struct ReplyParts {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// A reply's first bytes are loaded: `first` follows them.
    pub started: Signal<In, Bit>,
    /// What follows the first bytes.
    pub first: Signal<In, After>,
    /// An ACK's number of results (taken with `started`).
    pub nres: Signal<In, Bits<5>>,
    /// An ACK's result is loaded.
    pub result: Signal<In, Bit>,
    /// The bytes loaded are out: move on (to `state`).
    pub sent: Signal<In, Bit>,
    /// The result to send next: its index in the slot's reply RAM rows.
    pub index: Signal<Out, Bits<4>>,
    /// Every result is out (or there are none): the CRC closes the frame now.
    pub close: Signal<Out, Bit>,
    /// The transmitter's state once the bytes loaded are out.
    pub state: Signal<Out, TxState>,
    after: DFF<After>,
    r_index: DFF<Bits<5>>,
    r_nres: DFF<Bits<5>>,
    next_index: Signal<Local, Bits<5>>,
    one5: Constant<Bits<5>>,
    zero5: Constant<Bits<5>>,
}

impl Default for ReplyParts {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            started: Default::default(),
            first: Default::default(),
            nres: Default::default(),
            result: Default::default(),
            sent: Default::default(),
            index: Default::default(),
            close: Default::default(),
            state: Default::default(),
            after: Default::default(),
            r_index: Default::default(),
            r_nres: Default::default(),
            next_index: Default::default(),
            one5: bits(1),
            zero5: bits(0),
        }
    }
}

impl Logic for ReplyParts {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, after, r_index, r_nres);
        self.next_index.next = self.r_index.q.val() + self.one5.val();
        // A STATUS's fields: the CRC follows them at once.
        self.state.next = TxState::Send;
        match self.after.q.val() {
            After::Header => {
                self.state.next = TxState::Fetch;
            }
            After::Result => {
                self.state.next = TxState::Fetch;
                if self.sent.val() {
                    self.r_index.d.next = self.next_index.val();
                }
            }
            After::Fields => {}
            _ => {
                self.state.next = TxState::Idle;
            }
        }
        self.close.next = (self.after.q.val() == After::Fields)
            | ((self.after.q.val() == After::Header) & (self.r_nres.q.val() == self.zero5.val()))
            | ((self.after.q.val() == After::Result)
                & (self.next_index.val() == self.r_nres.q.val()));
        if self.close.val() {
            self.state.next = TxState::Send;
            if self.sent.val() {
                self.after.d.next = After::Done;
            }
        }
        if self.started.val() {
            self.after.d.next = self.first.val();
            self.r_nres.d.next = self.nres.val();
            self.r_index.d.next = self.zero5.val();
        }
        if self.result.val() {
            self.after.d.next = After::Result;
        }
        self.index.next = self.r_index.q.val().get_bits::<4>(0);
    }
}

/// The first bytes of a reply (combinational): an ACK's header, a STATUS
/// frame's fields, or a compatible-mode reply, and what follows them.
#[derive(LogicBlock, Debug)]
pub(crate) struct ReplyStart {
    /// The job code.
    pub kind: Signal<In, Bits<2>>,
    /// Compatible mode: the value.
    pub value: Signal<In, Bits<64>>,
    /// ACK: the slot's `{nres, seq}`.
    pub slot_rdata: Signal<In, Bits<SLOT_BITS>>,
    /// STATUS: EXPECTED.
    pub expected: Signal<In, Bits<8>>,
    /// STATUS: the mode.
    pub framed: Signal<In, Bit>,
    /// The bytes, the first in bits [7:0].
    pub data: Signal<Out, Bits<72>>,
    /// How many.
    pub len: Signal<Out, Bits<4>>,
    /// A frame (CRC after SYNC), not compatible-mode bytes.
    pub frame: Signal<Out, Bit>,
    /// What follows.
    pub after: Signal<Out, After>,
    job_ack: Constant<Bits<2>>,
    job_status: Constant<Bits<2>>,
    job_word: Constant<Bits<2>>,
    /// SYNC, KIND = ACK.
    ack_head: Constant<Bits<72>>,
    /// SYNC, KIND = STATUS, (EXPECTED), WINDOW 8, MAX_OPS 16, (MODE), VERSION 1.
    status_head: Constant<Bits<72>>,
    len1: Constant<Bits<4>>,
    len4: Constant<Bits<4>>,
    len7: Constant<Bits<4>>,
    len8: Constant<Bits<4>>,
}

impl Default for ReplyStart {
    fn default() -> Self {
        Self {
            kind: Default::default(),
            value: Default::default(),
            slot_rdata: Default::default(),
            expected: Default::default(),
            framed: Default::default(),
            data: Default::default(),
            len: Default::default(),
            frame: Default::default(),
            after: Default::default(),
            job_ack: bits(job::ACK),
            job_status: bits(job::STATUS),
            job_word: bits(job::WORD),
            ack_head: bits(0x01_A5),
            status_head: bits(0xA5 | 0x02 << 8 | 8 << 24 | 16 << 32 | 1 << 48),
            len1: bits(1),
            len4: bits(4),
            len7: bits(7),
            len8: bits(8),
        }
    }
}

impl Logic for ReplyStart {
    #[hdl_gen]
    fn update(&mut self) {
        // BYTE by default: the value's low byte, alone.
        self.data.next = bit_cast::<72, 64>(self.value.val());
        self.len.next = self.len1.val();
        self.frame.next = false;
        self.after.next = After::Done;
        if self.kind.val() == self.job_ack.val() {
            // SYNC, KIND, SEQ, NRES.
            self.data.next =
                self.ack_head.val() | (bit_cast::<72, SLOT_BITS>(self.slot_rdata.val()) << 16);
            self.len.next = self.len4.val();
            self.frame.next = true;
            self.after.next = After::Header;
        }
        if self.kind.val() == self.job_status.val() {
            self.data.next = self.status_head.val()
                | (bit_cast::<72, 8>(self.expected.val()) << 16)
                | (bit_cast::<72, 1>(self.framed.val().into()) << 40);
            self.len.next = self.len7.val();
            self.frame.next = true;
            self.after.next = After::Fields;
        }
        if self.kind.val() == self.job_word.val() {
            // Compatible mode: the value, most significant byte first.
            self.data.next = bit_cast::<72, 8>(self.value.val().get_bits::<8>(56))
                | (bit_cast::<72, 8>(self.value.val().get_bits::<8>(48)) << 8)
                | (bit_cast::<72, 8>(self.value.val().get_bits::<8>(40)) << 16)
                | (bit_cast::<72, 8>(self.value.val().get_bits::<8>(32)) << 24)
                | (bit_cast::<72, 8>(self.value.val().get_bits::<8>(24)) << 32)
                | (bit_cast::<72, 8>(self.value.val().get_bits::<8>(16)) << 40)
                | (bit_cast::<72, 8>(self.value.val().get_bits::<8>(8)) << 48)
                | (bit_cast::<72, 8>(self.value.val().get_bits::<8>(0)) << 56);
            self.len.next = self.len8.val();
        }
    }
}
