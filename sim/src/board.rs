//! A board top in Verilator behind its UART: bytes in, bytes out, in
//! simulated time. The host side of the line is a [`UartTx`] driving
//! `uart_rx` and a [`UartRx`] decoding `uart_tx`, each through its own
//! [`LineNoise`]; after the board's power-up, time advances only when
//! [`BoardBridge::run`] is called, one clock cycle of the board at a time.

use atomik_hdl::board::READY_CYCLES;

use crate::uart::{LineNoise, UartRx, UartTx, cycles_per_bit};
use crate::verilated::{BoardPortsIn, BoardPortsOut, Model};

/// How a board's top is clocked and wired, as the catalogue says.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoardTiming {
    /// The board clock, Hz.
    pub clock_hz: u64,
    /// The UART's baud.
    pub baud: u64,
    /// The button's pin is low while pressed.
    pub button_active_low: bool,
}

/// Counters of the line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineStats {
    /// Bytes put on `uart_rx` (host to board).
    pub bytes_down: u64,
    /// Bytes decoded from `uart_tx` (board to host).
    pub bytes_up: u64,
    /// Noise inversions on each line.
    pub noise_down: u64,
    /// See `noise_down`.
    pub noise_up: u64,
    /// Bytes from the board dropped for a framing error.
    pub framing_errors_up: u64,
}

/// Cycles run per call into the model (one Verilator call per chunk).
const CHUNK: usize = 4096;

/// A board top and the host's end of its UART.
#[derive(Debug)]
pub struct BoardBridge {
    model: Model,
    timing: BoardTiming,
    tx: UartTx,
    rx: UartRx,
    noise_down: LineNoise,
    noise_up: LineNoise,
    /// Cycles the button stays pressed, from now.
    pressed: u64,
    cycle: u64,
    /// Cycles since the line was last busy either way.
    quiet: u64,
    leds: u8,
    ins: Vec<BoardPortsIn>,
    outs: Vec<BoardPortsOut>,
}

impl BoardBridge {
    /// The board `model`, powered up and ready for commands, with a clean
    /// line; `noise_rate` inversions per bit-time on each line (0: none),
    /// from `seed`.
    ///
    /// A real board is configured and out of reset long before a program
    /// opens its port, so the bridge runs the board through its power-on
    /// reset and the table's clearing sweep ([`READY_CYCLES`]) before it
    /// returns, with the line idle. Without that, a host that wrote at
    /// once lost its first commands to the reset.
    pub fn new(model: Model, timing: BoardTiming, noise_rate: f64, seed: u64) -> Self {
        let mut bridge = Self::unpowered(model, timing, noise_rate, seed);
        let mut received = Vec::new();
        bridge.run(READY_CYCLES, &mut received);
        debug_assert!(received.is_empty(), "the board spoke while in reset");
        bridge
    }

    /// The bridge at cycle 0, the board not yet out of reset.
    fn unpowered(model: Model, timing: BoardTiming, noise_rate: f64, seed: u64) -> Self {
        let cpb = cycles_per_bit(timing.clock_hz, timing.baud);
        BoardBridge {
            model,
            timing,
            tx: UartTx::new(cpb),
            rx: UartRx::new(cpb),
            noise_down: LineNoise::new(seed, noise_rate, cpb),
            noise_up: LineNoise::new(seed ^ 0x5851_F42D_4C95_7F2D, noise_rate, cpb),
            pressed: 0,
            cycle: 0,
            quiet: 0,
            leds: 0,
            ins: Vec::with_capacity(CHUNK),
            outs: Vec::with_capacity(CHUNK),
        }
    }

    /// The board's timing.
    pub fn timing(&self) -> BoardTiming {
        self.timing
    }

    /// Cycles of one bit on the line.
    pub fn cycles_per_bit(&self) -> u32 {
        cycles_per_bit(self.timing.clock_hz, self.timing.baud)
    }

    /// Cycles of one byte (10 bits) on the line.
    pub fn cycles_per_byte(&self) -> u64 {
        u64::from(self.cycles_per_bit()) * 10
    }

    /// Clock cycles simulated so far.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }

    /// Simulated seconds so far.
    #[allow(clippy::cast_precision_loss)]
    pub fn seconds(&self) -> f64 {
        self.cycle as f64 / self.timing.clock_hz as f64
    }

    /// The LEDs during the last cycle (bit i = `led[i]`, as driven).
    pub fn leds(&self) -> u8 {
        self.leds
    }

    /// Queues bytes from the host onto `uart_rx`.
    pub fn send(&mut self, bytes: &[u8]) {
        self.tx.send(bytes);
    }

    /// Bytes queued for `uart_rx` and not yet started.
    pub fn queued(&self) -> usize {
        self.tx.queued()
    }

    /// A byte is on either line, or queued.
    pub fn busy(&self) -> bool {
        self.tx.busy() || self.rx.busy()
    }

    /// Cycles since either line last carried a byte.
    pub fn quiet_cycles(&self) -> u64 {
        self.quiet
    }

    /// Holds the button for `cycles` cycles from now.
    pub fn press_button(&mut self, cycles: u64) {
        self.pressed = cycles;
    }

    /// The line's counters.
    pub fn stats(&self) -> LineStats {
        LineStats {
            bytes_down: self.tx.sent(),
            bytes_up: self.rx.received(),
            noise_down: self.noise_down.events(),
            noise_up: self.noise_up.events(),
            framing_errors_up: self.rx.framing_errors(),
        }
    }

    /// Runs `cycles` clock cycles; bytes the host receives are appended to
    /// `received`, each with the cycle its stop bit was sampled in.
    pub fn run(&mut self, cycles: u64, received: &mut Vec<(u64, u8)>) {
        let mut left = cycles;
        while left > 0 {
            let n = usize::try_from(left).unwrap_or(CHUNK).min(CHUNK);
            self.run_chunk(n, received);
            left -= n as u64;
        }
    }

    fn run_chunk(&mut self, n: usize, received: &mut Vec<(u64, u8)>) {
        self.ins.clear();
        for _ in 0..n {
            let pressed = self.pressed > 0;
            self.pressed = self.pressed.saturating_sub(1);
            let level = self.tx.next_level() ^ self.noise_down.next_inverted();
            self.ins.push(BoardPortsIn {
                btn: u8::from(pressed != self.timing.button_active_low),
                uart_rx: u8::from(level),
            });
        }
        self.outs.clear();
        self.outs.resize(n, BoardPortsOut::default());
        self.model.run_board(&self.ins, &mut self.outs);
        for (i, out) in self.outs.iter().enumerate() {
            let level = (out.uart_tx != 0) ^ self.noise_up.next_inverted();
            if let Some(byte) = self.rx.sample(level) {
                received.push((self.cycle + i as u64, byte));
            }
            let busy = self.rx.busy() || self.ins[i].uart_rx == 0 || out.uart_tx == 0;
            self.quiet = if busy { 0 } else { self.quiet + 1 };
        }
        self.leds = self.outs.last().map_or(self.leds, |o| o.led);
        self.cycle += n as u64;
    }
}
