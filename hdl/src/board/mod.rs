//! `atomik_board`: the whole FPGA top of a board (docs/board.md): reset,
//! UART, the link engine, and the proven `atomik_axis` wrapper around the
//! 256 × 64 state table.

mod crc;
mod link_exec;
mod link_rx;
mod link_tx;
mod uart;

use atomik_designs::Board;
use rust_hdl::prelude::*;

use crate::axis::AtomikAxis;
use crate::board::link_exec::{LinkExec, REPLY_ADDR_BITS, REPLY_BITS, SLOT_BITS};
use crate::board::link_rx::{LinkRx, OP_ADDR_BITS, OP_BITS};
use crate::board::link_tx::LinkTx;
use crate::board::uart::{UartRx, UartTx};
use crate::state_ram::StateRam;

/// Bits of the LED activity stretchers: a pulse lights its LED for 2^20
/// cycles (39 ms at 27 MHz), long enough to see.
const STRETCH_BITS: usize = 20;
/// Bits of the heartbeat counter: the alive LED toggles every 2^24 cycles
/// (its top bit, bit 24, is the LED).
const HEART_BITS: usize = 25;

/// Cycles after configuration (or after the button is released) that the
/// power-on reset holds the board: its 8-bit counter counts up to 255.
pub const POWER_ON_RESET_CYCLES: u64 = 255;

/// Cycles after configuration before the board takes commands: the
/// power-on reset, then the table's sweep that clears each of its
/// contexts, one per cycle, plus a few cycles of pipeline. A command that
/// arrives before this waits for the table; a second one that completes
/// meanwhile is dropped (there is no flow control in compatible mode), so
/// a host must not talk to a board this young (at 27 MHz, 19 µs).
pub const READY_CYCLES: u64 = POWER_ON_RESET_CYCLES + crate::DEFAULT_CONTEXTS as u64 + 16;

/// The top of a board with `N` LEDs: power-on and button reset, UART, the
/// link engine, `atomik_axis` and its table.
///
/// LEDs, in this order (a board with fewer shows the first ones): error
/// (a frame dropped, a framing error, a reply or event lost), activity
/// (a byte in or out), alive (blinks), framed mode, ready (not clearing
/// the table), rx, tx.
#[derive(LogicBlock, Debug)]
pub struct AtomikBoard<const N: usize> {
    /// The board clock.
    pub clk: Signal<In, Clock>,
    /// The reset button, as wired.
    pub btn: Signal<In, Bit>,
    /// From the host, idle high.
    pub uart_rx: Signal<In, Bit>,
    /// To the host, idle high.
    pub uart_tx: Signal<Out, Bit>,
    /// The LEDs, as wired.
    pub led: Signal<Out, Bits<N>>,
    uart_in: UartRx,
    uart_out: UartTx,
    rx: LinkRx,
    exec: LinkExec,
    tx: LinkTx,
    axis: AtomikAxis,
    op_ram: StateRam<OP_ADDR_BITS, OP_BITS>,
    reply_ram: StateRam<REPLY_ADDR_BITS, REPLY_BITS>,
    slot_ram: StateRam<3, SLOT_BITS>,
    status: StatusLeds<N>,
    /// Counts up from 0 after configuration; reset holds until it saturates.
    por: DFF<Bits<8>>,
    btn_sync1: DFF<Bit>,
    btn_sync2: DFF<Bit>,
    reset: Signal<Local, Bit>,
    por_done: Constant<Bits<8>>,
    one8: Constant<Bits<8>>,
    button_active_low: Constant<Bit>,
    led_invert: Constant<Bits<N>>,
}

impl<const N: usize> AtomikBoard<N> {
    /// The top for `board` (whose `leds` must be `N`).
    pub fn new(board: &Board) -> Self {
        assert_eq!(board.leds, N, "{}", board.key);
        let cycles = board.cycles_per_bit();
        let invert = if board.leds_active_low {
            (1u64 << N) - 1
        } else {
            0
        };
        Self {
            clk: Default::default(),
            btn: Default::default(),
            uart_rx: Default::default(),
            uart_tx: Default::default(),
            led: Default::default(),
            uart_in: UartRx::new(cycles),
            uart_out: UartTx::new(cycles),
            rx: LinkRx::new(cycles),
            exec: LinkExec::default(),
            tx: LinkTx::default(),
            axis: AtomikAxis::default(),
            op_ram: Default::default(),
            reply_ram: Default::default(),
            slot_ram: Default::default(),
            status: StatusLeds::default(),
            por: Default::default(),
            btn_sync1: Default::default(),
            btn_sync2: Default::default(),
            reset: Default::default(),
            por_done: Constant::new(POWER_ON_RESET_CYCLES.to_bits()),
            one8: Constant::new(1u64.to_bits()),
            button_active_low: Constant::new(board.button_active_low),
            led_invert: Constant::new(invert.to_bits()),
        }
    }
}

impl<const N: usize> Logic for AtomikBoard<N> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, por, btn_sync1, btn_sync2);
        clock!(
            self, clk, uart_in, uart_out, rx, exec, tx, op_ram, reply_ram, slot_ram, status
        );
        self.axis.aclk.next = self.clk.val();
        // ---- reset: power-on, then the synchronised button ----
        if self.por.q.val() != self.por_done.val() {
            self.por.d.next = self.por.q.val() + self.one8.val();
        }
        self.btn_sync1.d.next = self.btn.val() ^ self.button_active_low.val();
        self.btn_sync2.d.next = self.btn_sync1.q.val();
        self.reset.next = (self.por.q.val() != self.por_done.val()) | self.btn_sync2.q.val();
        self.uart_in.reset.next = self.reset.val();
        self.uart_out.reset.next = self.reset.val();
        self.rx.reset.next = self.reset.val();
        self.exec.reset.next = self.reset.val();
        self.tx.reset.next = self.reset.val();
        self.axis.aresetn.next = !self.reset.val();
        // ---- UART -> receiver -> op RAM -> executor -> atomik_axis ----
        self.uart_in.rx.next = self.uart_rx.val();
        self.rx.byte.next = self.uart_in.data.val();
        self.rx.byte_valid.next = self.uart_in.valid.val();
        self.rx.line_error.next = self.uart_in.error.val();
        self.rx.framed.next = self.exec.framed.val();
        self.op_ram.write_enable.next = self.rx.op_we.val();
        self.op_ram.write_address.next = self.rx.op_waddr.val();
        self.op_ram.write_data.next = self.rx.op_wdata.val();
        self.op_ram.read_address.next = self.exec.op_raddr.val();
        self.exec.op_rdata.next = self.op_ram.read_data.val();
        self.exec.rx_kind.next = self.rx.kind.val();
        self.exec.rx_seq.next = self.rx.seq.val();
        self.exec.rx_count.next = self.rx.count.val();
        self.exec.rx_bank.next = self.rx.bank.val();
        self.exec.rx_value.next = self.rx.value.val();
        self.exec.ack_waiting.next = self.tx.ack_waiting.val();
        self.exec.ack_owed.next = self.tx.ack_owed.val();
        self.axis.s_axis_tvalid.next = self.exec.s_tvalid.val();
        self.axis.s_axis_tdata.next = self.exec.s_tdata.val();
        self.exec.s_tready.next = self.axis.s_axis_tready.val();
        self.axis.m_axis_tready.next = true;
        self.exec.m_tvalid.next = self.axis.m_axis_tvalid.val();
        self.exec.m_tdata.next = self.axis.m_axis_tdata.val();
        // ---- results -> reply RAM and slot table -> transmitter -> UART ----
        self.reply_ram.write_enable.next = self.exec.reply_we.val();
        self.reply_ram.write_address.next = self.exec.reply_waddr.val();
        self.reply_ram.write_data.next = self.exec.reply_wdata.val();
        self.slot_ram.write_enable.next = self.exec.slot_we.val();
        self.slot_ram.write_address.next = self.exec.slot_waddr.val();
        self.slot_ram.write_data.next = self.exec.slot_wdata.val();
        self.tx.job_valid.next = self.exec.job_valid.val();
        self.tx.job.next = self.exec.job.val();
        self.tx.job_slot.next = self.exec.job_slot.val();
        self.tx.job_value.next = self.exec.job_value.val();
        self.tx.expected.next = self.exec.expected.val();
        self.tx.framed.next = self.exec.framed.val();
        self.reply_ram.read_address.next = self.tx.reply_raddr.val();
        self.tx.reply_rdata.next = self.reply_ram.read_data.val();
        self.slot_ram.read_address.next = self.tx.slot_raddr.val();
        self.tx.slot_rdata.next = self.slot_ram.read_data.val();
        self.uart_out.data.next = self.tx.uart_data.val();
        self.uart_out.start.next = self.tx.uart_start.val();
        self.tx.uart_ready.next = self.uart_out.ready.val();
        self.uart_tx.next = self.uart_out.tx.val();
        // ---- LEDs ----
        self.status.error.next = self.rx.dropped.val()
            | self.uart_in.error.val()
            | self.exec.overrun.val()
            | self.tx.overflow.val();
        self.status.rx.next = self.uart_in.valid.val();
        self.status.tx.next = self.tx.uart_start.val();
        self.status.framed.next = self.exec.framed.val();
        self.status.ready.next = self.axis.s_axis_tready.val();
        self.led.next = self.status.leds.val() ^ self.led_invert.val();
    }
}

/// What the LEDs show: pulses stretched to be seen, the heartbeat, the mode.
#[derive(LogicBlock, Debug)]
pub(crate) struct StatusLeds<const N: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Something went wrong (a pulse).
    pub error: Signal<In, Bit>,
    /// A byte arrived (a pulse).
    pub rx: Signal<In, Bit>,
    /// A byte is sent (a pulse).
    pub tx: Signal<In, Bit>,
    /// Framed mode.
    pub framed: Signal<In, Bit>,
    /// The table takes ops.
    pub ready: Signal<In, Bit>,
    /// The first N of: error, activity, alive, framed, ready, rx, tx, 0 (lit = 1).
    pub leds: Signal<Out, Bits<N>>,
    error_left: DFF<Bits<STRETCH_BITS>>,
    rx_left: DFF<Bits<STRETCH_BITS>>,
    tx_left: DFF<Bits<STRETCH_BITS>>,
    heart: DFF<Bits<HEART_BITS>>,
    error_on: Signal<Local, Bit>,
    rx_on: Signal<Local, Bit>,
    tx_on: Signal<Local, Bit>,
    activity_on: Signal<Local, Bit>,
    alive_on: Signal<Local, Bit>,
    /// All eight; a board with fewer LEDs leaves the rest unused (Verilator's
    /// lint exempts signals named `*unused*` from its unused-bits warning).
    lit_unused_above_n: Signal<Local, Bits<8>>,
    full: Constant<Bits<STRETCH_BITS>>,
    one: Constant<Bits<STRETCH_BITS>>,
    one_heart: Constant<Bits<HEART_BITS>>,
}

impl<const N: usize> Default for StatusLeds<N> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            error: Default::default(),
            rx: Default::default(),
            tx: Default::default(),
            framed: Default::default(),
            ready: Default::default(),
            leds: Default::default(),
            error_left: Default::default(),
            rx_left: Default::default(),
            tx_left: Default::default(),
            heart: Default::default(),
            error_on: Default::default(),
            rx_on: Default::default(),
            tx_on: Default::default(),
            activity_on: Default::default(),
            alive_on: Default::default(),
            lit_unused_above_n: Default::default(),
            full: Constant::new(Bits::mask()),
            one: Constant::new(1u64.to_bits()),
            one_heart: Constant::new(1u64.to_bits()),
        }
    }
}

impl<const N: usize> Logic for StatusLeds<N> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, error_left, rx_left, tx_left, heart);
        self.heart.d.next = self.heart.q.val() + self.one_heart.val();
        if self.error_left.q.val().any() {
            self.error_left.d.next = self.error_left.q.val() - self.one.val();
        }
        if self.rx_left.q.val().any() {
            self.rx_left.d.next = self.rx_left.q.val() - self.one.val();
        }
        if self.tx_left.q.val().any() {
            self.tx_left.d.next = self.tx_left.q.val() - self.one.val();
        }
        if self.error.val() {
            self.error_left.d.next = self.full.val();
        }
        if self.rx.val() {
            self.rx_left.d.next = self.full.val();
        }
        if self.tx.val() {
            self.tx_left.d.next = self.full.val();
        }
        self.error_on.next = self.error_left.q.val().any();
        self.rx_on.next = self.rx_left.q.val().any();
        self.tx_on.next = self.tx_left.q.val().any();
        self.activity_on.next = self.rx_on.val() | self.tx_on.val();
        self.alive_on.next = self.heart.q.val().get_bit(24);
        self.lit_unused_above_n.next = bit_cast::<8, 1>(self.error_on.val().into())
            | (bit_cast::<8, 1>(self.activity_on.val().into()) << 1)
            | (bit_cast::<8, 1>(self.alive_on.val().into()) << 2)
            | (bit_cast::<8, 1>(self.framed.val().into()) << 3)
            | (bit_cast::<8, 1>(self.ready.val().into()) << 4)
            | (bit_cast::<8, 1>(self.rx_on.val().into()) << 5)
            | (bit_cast::<8, 1>(self.tx_on.val().into()) << 6);
        self.leds.next = self.lit_unused_above_n.val().get_bits::<N>(0);
    }
}

/// The Verilog of `board`'s top, as one module named `atomik_board`.
pub(crate) fn verilog(board: &Board) -> String {
    match board.leds {
        2 => emit(AtomikBoard::<2>::new(board), board),
        6 => emit(AtomikBoard::<6>::new(board), board),
        8 => emit(AtomikBoard::<8>::new(board), board),
        n => panic!("no board top with {n} LEDs"),
    }
}

fn emit<T: Block>(mut uut: T, board: &Board) -> String {
    uut.connect_all();
    let raw = format!("\n{}", generate_verilog(&uut));
    let renamed = crate::verilog_text::rename_top(&raw, "atomik_board");
    let body = crate::verilog_nested::flatten_all(&renamed);
    format!(
        "// atomik_board for {}: {}.\n\
         // {} Hz clock, {} baud ({} cycles per bit), {} LEDs.\n\
         // Generated by atomik-hdl {} (rust-hdl 0.46) — do not edit; run `just verilog`.\n\
         // The link protocol, wiring and flashing: docs/board.md.\n{}",
        board.key,
        board.about,
        board.clock_hz,
        board.baud,
        board.cycles_per_bit(),
        board.leds,
        atomik::VERSION,
        body.trim_start()
    )
}
