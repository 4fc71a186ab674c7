//! A UART line in simulated time: bytes to bit levels at a baud (8N1,
//! least significant bit first) and back, and noise that inverts the line
//! for one bit-time at random. The board co-simulation drives a board's
//! `uart_rx` with [`UartTx`] and decodes its `uart_tx` with [`UartRx`].
//!
//! Time is counted in clock cycles of the simulated board; a bit lasts
//! `cycles_per_bit` cycles (clock / baud, rounded to the nearest cycle,
//! as a board's UART divides its clock).

use std::collections::VecDeque;

/// Cycles per bit for a clock and a baud (nearest; at least 2).
pub fn cycles_per_bit(clock_hz: u64, baud: u64) -> u32 {
    let c = (clock_hz + baud / 2) / baud.max(1);
    u32::try_from(c.max(2)).unwrap_or(u32::MAX)
}

/// Bit periods of one 8N1 byte on the line: start, 8 data bits, stop.
pub const BITS_PER_BYTE: u32 = 10;

/// Bytes to line levels, one level per cycle (high = idle).
#[derive(Clone, Debug)]
pub struct UartTx {
    cycles_per_bit: u32,
    queue: VecDeque<u8>,
    /// The 10 bit levels of the byte on the line (bit 0 first), and the
    /// cycle within it.
    frame: Option<(u16, u32)>,
    sent: u64,
}

impl UartTx {
    /// An idle transmitter.
    pub fn new(cycles_per_bit: u32) -> Self {
        UartTx {
            cycles_per_bit,
            queue: VecDeque::new(),
            frame: None,
            sent: 0,
        }
    }

    /// Queues bytes to send.
    pub fn send(&mut self, bytes: &[u8]) {
        self.queue.extend(bytes);
    }

    /// A byte is on the line or queued.
    pub fn busy(&self) -> bool {
        self.frame.is_some() || !self.queue.is_empty()
    }

    /// Bytes whose stop bit has been sent.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// Bytes queued and not yet started.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// The line level during the next cycle.
    pub fn next_level(&mut self) -> bool {
        if self.frame.is_none() {
            let byte = self.queue.pop_front();
            // Start bit 0, data LSB first, stop bit 1.
            self.frame = byte.map(|b| ((u16::from(b) << 1) | (1 << 9), 0));
        }
        let Some((bits, cycle)) = self.frame.as_mut() else {
            return true;
        };
        let level = (*bits >> (*cycle / self.cycles_per_bit)) & 1 == 1;
        *cycle += 1;
        if *cycle == BITS_PER_BYTE * self.cycles_per_bit {
            self.frame = None;
            self.sent += 1;
        }
        level
    }
}

/// Line levels to bytes: a falling edge starts a byte, each bit is sampled
/// in its middle; a byte whose stop bit is low (a framing error) is dropped,
/// as a UART driver that ignores framing errors does.
#[derive(Clone, Debug)]
pub struct UartRx {
    cycles_per_bit: u32,
    state: RxState,
    received: u64,
    framing_errors: u64,
}

#[derive(Clone, Copy, Debug)]
enum RxState {
    /// Waiting for the line to be high (after a framing error).
    WaitIdle,
    /// Line high: waiting for a start bit.
    Idle,
    /// In a byte: cycles since the start edge, bits so far.
    Byte { cycle: u32, bits: u16 },
}

impl UartRx {
    /// A receiver on an idle line.
    pub fn new(cycles_per_bit: u32) -> Self {
        UartRx {
            cycles_per_bit,
            state: RxState::Idle,
            received: 0,
            framing_errors: 0,
        }
    }

    /// In the middle of a byte.
    pub fn busy(&self) -> bool {
        matches!(self.state, RxState::Byte { .. })
    }

    /// Bytes received.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Bytes dropped for a low stop bit (or a start bit that did not last).
    pub fn framing_errors(&self) -> u64 {
        self.framing_errors
    }

    /// One cycle's level; returns a byte when its stop bit is sampled.
    pub fn sample(&mut self, level: bool) -> Option<u8> {
        let cpb = self.cycles_per_bit;
        match &mut self.state {
            RxState::WaitIdle => {
                if level {
                    self.state = RxState::Idle;
                }
                None
            }
            RxState::Idle => {
                if !level {
                    self.state = RxState::Byte { cycle: 0, bits: 0 };
                }
                None
            }
            RxState::Byte { cycle, bits } => {
                *cycle += 1;
                if *cycle % cpb != cpb / 2 {
                    return None;
                }
                let bit = *cycle / cpb;
                match bit {
                    // The start bit, checked in its middle: a glitch is no byte.
                    0 if level => {
                        self.framing_errors += 1;
                        self.state = RxState::Idle;
                        None
                    }
                    0 => None,
                    1..=8 => {
                        *bits |= u16::from(level) << (bit - 1);
                        None
                    }
                    _ => {
                        let byte = u8::try_from(*bits).expect("8 bits");
                        if level {
                            self.received += 1;
                            self.state = RxState::Idle;
                            Some(byte)
                        } else {
                            self.framing_errors += 1;
                            self.state = RxState::WaitIdle;
                            None
                        }
                    }
                }
            }
        }
    }
}

/// Noise on one line: at random moments (on average `rate` per bit-time)
/// the level is inverted for one bit-time. A mid-bit sample falls in each
/// inversion, so about `rate` of the sampled bits are wrong: data bits
/// flip, a hit start or stop bit loses or misframes a byte, and a hit on
/// an idle line makes a spurious byte.
#[derive(Clone, Debug)]
pub struct LineNoise {
    rng: fastrand::Rng,
    /// Probability per cycle that an inversion starts.
    per_cycle: f64,
    cycles_per_bit: u32,
    /// Cycles until the next inversion starts, and cycles left of the
    /// current one.
    until_next: u64,
    active: u32,
    events: u64,
}

impl LineNoise {
    /// Noise of `rate` inversions per bit-time (0: a clean line).
    pub fn new(seed: u64, rate: f64, cycles_per_bit: u32) -> Self {
        let mut n = LineNoise {
            rng: fastrand::Rng::with_seed(seed),
            per_cycle: (rate / f64::from(cycles_per_bit)).clamp(0.0, 1.0),
            cycles_per_bit,
            until_next: 0,
            active: 0,
            events: 0,
        };
        n.until_next = n.gap();
        n
    }

    /// Inversions so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Cycles to the next inversion: geometric, so that inversions start
    /// independently in every cycle.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    fn gap(&mut self) -> u64 {
        if self.per_cycle <= 0.0 {
            return u64::MAX;
        }
        let u = 1.0 - self.rng.f64(); // (0, 1]
        // ln(u) / ln(1 - p) >= 0; saturating float-to-int conversion.
        (u.ln() / (-self.per_cycle).ln_1p()).floor() as u64
    }

    /// Whether the line is inverted during the next cycle.
    pub fn next_inverted(&mut self) -> bool {
        if self.until_next == 0 {
            self.events += 1;
            self.active = self.cycles_per_bit;
            self.until_next = self.gap().saturating_add(1);
        }
        self.until_next = self.until_next.saturating_sub(1);
        if self.active > 0 {
            self.active -= 1;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loopback(bytes: &[u8], cpb: u32, noise: &mut LineNoise) -> (Vec<u8>, u64) {
        let mut tx = UartTx::new(cpb);
        let mut rx = UartRx::new(cpb);
        tx.send(bytes);
        let mut out = Vec::new();
        let mut cycles = 0;
        while tx.busy() || rx.busy() {
            let level = tx.next_level() ^ noise.next_inverted();
            out.extend(rx.sample(level));
            cycles += 1;
        }
        (out, cycles)
    }

    #[test]
    fn bytes_cross_a_clean_line_at_ten_bits_each() {
        let bytes: Vec<u8> = (0..=255).collect();
        for cpb in [2, 3, 16, 234] {
            let (out, cycles) = loopback(&bytes, cpb, &mut LineNoise::new(1, 0.0, cpb));
            assert_eq!(out, bytes, "{cpb} cycles per bit");
            // Back to back: 10 bit-times per byte, no gap.
            assert_eq!(cycles, 256 * u64::from(BITS_PER_BYTE * cpb));
        }
    }

    #[test]
    fn cycles_per_bit_rounds_like_a_divider() {
        assert_eq!(cycles_per_bit(27_000_000, 115_200), 234);
        assert_eq!(cycles_per_bit(12_000_000, 115_200), 104);
        assert_eq!(cycles_per_bit(25_000_000, 115_200), 217);
    }

    /// The sampled bit error rate is the noise rate (within statistics),
    /// and some bytes are lost or misframed, not only flipped.
    #[test]
    fn noise_flips_bits_and_loses_bytes_at_its_rate() {
        let cpb = 16;
        let rate = 2e-3;
        let bytes: Vec<u8> = (0..100_000u32)
            .map(|i| (i * 7 + 3).to_le_bytes()[0])
            .collect();
        let mut noise = LineNoise::new(7, rate, cpb);
        let (out, _) = loopback(&bytes, cpb, &mut noise);
        let events = noise.events() as f64;
        let bit_times = bytes.len() as f64 * 10.0;
        assert!(
            (events / bit_times / rate - 1.0).abs() < 0.1,
            "{events} events"
        );
        assert_ne!(out.len(), bytes.len(), "some bytes were lost or added");
    }
}
