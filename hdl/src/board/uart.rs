//! UART, 8 data bits, no parity, one stop bit, least significant bit first,
//! at a fixed number of clock cycles per bit (set when the design is built).

use rust_hdl::prelude::*;

/// Width of the bit-timing counters: up to 65 535 cycles per bit.
pub(crate) const TIMING_BITS: usize = 16;

#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
enum RxState {
    /// Waiting for the line to fall (a start bit).
    Idle,
    /// Half a bit into the start bit: is the line still low?
    Start,
    /// Sampling the 8 data bits, each in its middle.
    Data,
    /// Sampling the stop bit.
    Stop,
    /// A framing error: waiting for the line to be idle (high) again.
    Break,
}

/// The receiver: a two-flop synchroniser, then each bit sampled in its
/// middle. A byte whose stop bit is low is not delivered: it raises `error`
/// for one cycle instead, and the receiver waits for the line to go high
/// before it looks for the next start bit.
#[derive(LogicBlock, Debug)]
pub(crate) struct UartRx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// The serial line (asynchronous to `clock`), idle high.
    pub rx: Signal<In, Bit>,
    /// The byte received (valid with `valid`).
    pub data: Signal<Out, Bits<8>>,
    /// A byte was received: high for one cycle.
    pub valid: Signal<Out, Bit>,
    /// A framing error (stop bit low): high for one cycle.
    pub error: Signal<Out, Bit>,
    cycles_per_bit: Constant<Bits<TIMING_BITS>>,
    half_bit: Constant<Bits<TIMING_BITS>>,
    one: Constant<Bits<TIMING_BITS>>,
    zero: Constant<Bits<TIMING_BITS>>,
    eight: Constant<Bits<4>>,
    one_bit: Constant<Bits<4>>,
    msb: Constant<Bits<8>>,
    sync1: DFF<Bit>,
    sync2: DFF<Bit>,
    state: DFF<RxState>,
    /// Cycles left until the next sample.
    wait: DFF<Bits<TIMING_BITS>>,
    /// Data bits still to sample.
    bits_left: DFF<Bits<4>>,
    shift: DFF<Bits<8>>,
}

impl UartRx {
    /// A receiver taking `cycles_per_bit` clock cycles per bit (at least 4).
    pub(crate) fn new(cycles_per_bit: u32) -> Self {
        assert!((4..1 << TIMING_BITS).contains(&cycles_per_bit));
        let cycles = u64::from(cycles_per_bit);
        Self {
            clock: Default::default(),
            reset: Default::default(),
            rx: Default::default(),
            data: Default::default(),
            valid: Default::default(),
            error: Default::default(),
            // Reloads of a down-counter that acts at zero: one less than the
            // number of cycles to wait.
            cycles_per_bit: Constant::new((cycles - 1).to_bits()),
            half_bit: Constant::new((cycles / 2 - 1).to_bits()),
            one: Constant::new(1u64.to_bits()),
            zero: Constant::new(0u64.to_bits()),
            eight: Constant::new(8u64.to_bits()),
            one_bit: Constant::new(1u64.to_bits()),
            msb: Constant::new(0x80u64.to_bits()),
            sync1: Default::default(),
            sync2: Default::default(),
            state: Default::default(),
            wait: Default::default(),
            bits_left: Default::default(),
            shift: Default::default(),
        }
    }
}

impl Logic for UartRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, sync1, sync2, state, wait, bits_left, shift);
        // Idle high from configuration on, so the first cycles see no start bit.
        self.sync1.d.next = self.rx.val();
        self.sync2.d.next = self.sync1.q.val();
        self.data.next = self.shift.q.val();
        self.valid.next = false;
        self.error.next = false;
        if self.wait.q.val().any() {
            self.wait.d.next = self.wait.q.val() - self.one.val();
        }
        match self.state.q.val() {
            RxState::Idle => {
                if !self.sync2.q.val() {
                    self.state.d.next = RxState::Start;
                    self.wait.d.next = self.half_bit.val();
                }
            }
            RxState::Start => {
                if !self.wait.q.val().any() {
                    if self.sync2.q.val() {
                        // A glitch, not a start bit.
                        self.state.d.next = RxState::Idle;
                    } else {
                        self.state.d.next = RxState::Data;
                        self.wait.d.next = self.cycles_per_bit.val();
                        self.bits_left.d.next = self.eight.val();
                    }
                }
            }
            RxState::Data => {
                if !self.wait.q.val().any() {
                    self.shift.d.next = self.shift.q.val() >> 1;
                    if self.sync2.q.val() {
                        self.shift.d.next = (self.shift.q.val() >> 1) | self.msb.val();
                    }
                    self.bits_left.d.next = self.bits_left.q.val() - self.one_bit.val();
                    self.wait.d.next = self.cycles_per_bit.val();
                    if self.bits_left.q.val() == self.one_bit.val() {
                        self.state.d.next = RxState::Stop;
                    }
                }
            }
            RxState::Stop => {
                if !self.wait.q.val().any() {
                    if self.sync2.q.val() {
                        self.valid.next = true;
                        self.state.d.next = RxState::Idle;
                    } else {
                        self.error.next = true;
                        self.state.d.next = RxState::Break;
                    }
                }
            }
            _ => {
                // Break: a framing error; resume once the line is high.
                if self.sync2.q.val() {
                    self.state.d.next = RxState::Idle;
                }
            }
        }
        if self.reset.val() {
            self.state.d.next = RxState::Idle;
            self.wait.d.next = self.zero.val();
        }
    }
}

#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
enum TxState {
    /// Line high, `ready`.
    Idle,
    /// Sending start, data and stop bits.
    Busy,
}

/// The transmitter: takes a byte when `ready` and `start` are both high,
/// sends start bit, 8 data bits, stop bit.
#[derive(LogicBlock, Debug)]
pub(crate) struct UartTx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// The byte to send.
    pub data: Signal<In, Bits<8>>,
    /// Send `data` (taken when `ready`).
    pub start: Signal<In, Bit>,
    /// Idle: a byte can be taken.
    pub ready: Signal<Out, Bit>,
    /// The serial line, idle high.
    pub tx: Signal<Out, Bit>,
    cycles_per_bit: Constant<Bits<TIMING_BITS>>,
    one: Constant<Bits<TIMING_BITS>>,
    ten: Constant<Bits<4>>,
    one_bit: Constant<Bits<4>>,
    stop_bit: Constant<Bits<10>>,
    state: DFF<TxState>,
    wait: DFF<Bits<TIMING_BITS>>,
    bits_left: DFF<Bits<4>>,
    /// {stop, data, start} shifting out, least significant first.
    frame: DFF<Bits<10>>,
}

impl UartTx {
    /// A transmitter taking `cycles_per_bit` clock cycles per bit.
    pub(crate) fn new(cycles_per_bit: u32) -> Self {
        assert!((4..1 << TIMING_BITS).contains(&cycles_per_bit));
        Self {
            clock: Default::default(),
            reset: Default::default(),
            data: Default::default(),
            start: Default::default(),
            ready: Default::default(),
            tx: Default::default(),
            cycles_per_bit: Constant::new(u64::from(cycles_per_bit - 1).to_bits()),
            one: Constant::new(1u64.to_bits()),
            ten: Constant::new(10u64.to_bits()),
            one_bit: Constant::new(1u64.to_bits()),
            stop_bit: Constant::new(0x200u64.to_bits()),
            state: Default::default(),
            wait: Default::default(),
            bits_left: Default::default(),
            frame: Default::default(),
        }
    }
}

impl Logic for UartTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, wait, bits_left, frame);
        self.ready.next = self.state.q.val() == TxState::Idle;
        // The line is the frame's low bit while busy; high (idle) otherwise.
        self.tx.next = true;
        match self.state.q.val() {
            TxState::Idle => {
                if self.start.val() {
                    self.state.d.next = TxState::Busy;
                    self.frame.d.next =
                        (bit_cast::<10, 8>(self.data.val()) << 1) | self.stop_bit.val();
                    self.wait.d.next = self.cycles_per_bit.val();
                    self.bits_left.d.next = self.ten.val();
                }
            }
            _ => {
                self.tx.next = self.frame.q.val().get_bit(0);
                if self.wait.q.val().any() {
                    self.wait.d.next = self.wait.q.val() - self.one.val();
                } else {
                    self.frame.d.next = self.frame.q.val() >> 1;
                    self.bits_left.d.next = self.bits_left.q.val() - self.one_bit.val();
                    self.wait.d.next = self.cycles_per_bit.val();
                    if self.bits_left.q.val() == self.one_bit.val() {
                        self.state.d.next = TxState::Idle;
                    }
                }
            }
        }
        if self.reset.val() {
            self.state.d.next = TxState::Idle;
        }
    }
}
