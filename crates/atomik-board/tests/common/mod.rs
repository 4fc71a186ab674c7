//! The board's link rules of docs/board.md as a software model, behind a
//! line that loses and corrupts bytes: the driver's property tests run
//! thousands of lossy sessions against it in seconds (the co-simulation
//! runs the real bitstream, at a few frames per millisecond).
#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::io;
use std::time::Duration;

use atomik::{Opcode, Table};
use atomik_board::Transport;
use atomik_board::codec::{
    self, Control, MAX_OPS, Mode, OpResult, Request, RequestDeframer, Status, VERSION, WINDOW,
};

/// The board side: the table, EXPECTED and the last 8 ACKs.
pub struct BoardModel {
    pub table: Table<u64>,
    pub mode: Mode,
    pub expected: u8,
    held: VecDeque<(u8, Vec<u8>)>,
    rx: RequestDeframer,
    /// Frames run, counted per (session, SEQ): a frame run twice shows here.
    pub applied: Vec<u32>,
    pub ops_run: u64,
    /// Compatible-mode bytes (the original's commands), parsed naively.
    compat: Vec<u8>,
}

impl BoardModel {
    pub fn new() -> Self {
        BoardModel {
            table: Table::new(256).unwrap(),
            mode: Mode::Compatible,
            expected: 0,
            held: VecDeque::new(),
            rx: RequestDeframer::new(),
            applied: vec![0; 256],
            ops_run: 0,
            compat: Vec::new(),
        }
    }

    /// Power-on or button reset.
    pub fn reset(&mut self) {
        *self = BoardModel::new();
    }

    fn status(&self, out: &mut Vec<u8>) {
        let s = Status {
            expected: self.expected,
            window: u8::try_from(WINDOW).unwrap(),
            max_ops: u8::try_from(MAX_OPS).unwrap(),
            mode: self.mode,
            version: VERSION,
        };
        codec::encode_status(&s, out);
    }

    /// Bytes from the host in; bytes to the host out.
    pub fn receive(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        self.rx.push(bytes);
        while let Some(frame) = self.rx.next_frame() {
            self.on_frame(frame, out);
        }
        if self.mode == Mode::Compatible {
            self.compat_bytes(bytes, out);
        }
    }

    /// The inter-byte timeout: a partial frame is dropped.
    pub fn idle(&mut self) {
        while self.rx.flush_partial() {}
        self.compat.clear();
    }

    fn on_frame(&mut self, frame: Request, out: &mut Vec<u8>) {
        match frame {
            Request::Control(Control::Hello) => {
                self.mode = Mode::Framed;
                self.status(out);
            }
            Request::Control(Control::Close) => {
                self.mode = Mode::Compatible;
                self.status(out);
            }
            Request::Ops { .. } if self.mode == Mode::Compatible => self.status(out),
            Request::Ops { seq, ops } => {
                if seq == self.expected {
                    let mut results = Vec::new();
                    for op in &ops {
                        let r = self
                            .table
                            .execute(op.code, op.addr.into(), op.data)
                            .unwrap();
                        self.ops_run += 1;
                        results.extend(r.map(|o| OpResult {
                            value: o.value,
                            clean: o.clean && op.code == Opcode::Read,
                        }));
                    }
                    let mut ack = Vec::new();
                    codec::encode_ack(seq, &results, &mut ack).unwrap();
                    out.extend_from_slice(&ack);
                    self.applied[usize::from(seq)] += 1;
                    self.held.push_back((seq, ack));
                    if self.held.len() > WINDOW {
                        self.held.pop_front();
                    }
                    self.expected = self.expected.wrapping_add(1);
                } else if let Some((_, ack)) = self.held.iter().find(|(s, _)| *s == seq) {
                    out.extend_from_slice(ack);
                } else {
                    self.status(out);
                }
            }
        }
    }

    fn compat_bytes(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        for &b in bytes {
            if self.compat.is_empty() && !b"LARSD".contains(&b) {
                continue;
            }
            self.compat.push(b);
            let c = &self.compat;
            let state = self.table.context(0).unwrap();
            match (c[0], c.len()) {
                (b'L', 9) => {
                    let v = u64::from_be_bytes(c[1..9].try_into().unwrap());
                    self.table.load(0, v).unwrap();
                }
                (b'A', 9) => {
                    let v = u64::from_be_bytes(c[1..9].try_into().unwrap());
                    self.table.accum(0, v).unwrap();
                }
                (b'R', 1) => out.extend_from_slice(&state.read().to_be_bytes()),
                (b'D', 1) => out.extend_from_slice(&state.reference().to_be_bytes()),
                (b'S', 1) => out.push(if state.is_clean() { 0x80 } else { 0 }),
                _ => continue,
            }
            self.compat.clear();
        }
    }
}

/// A line that flips bits and drops bytes, each direction with its own
/// rate, from a seed.
pub struct Noise {
    rng: fastrand::Rng,
    pub bit_error_rate: f64,
    pub byte_drop_rate: f64,
}

impl Noise {
    pub fn new(seed: u64, bit_error_rate: f64, byte_drop_rate: f64) -> Self {
        Noise {
            rng: fastrand::Rng::with_seed(seed),
            bit_error_rate,
            byte_drop_rate,
        }
    }

    pub fn carry(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len());
        for &b in bytes {
            if self.rng.f64() < self.byte_drop_rate {
                continue;
            }
            let mut b = b;
            for bit in 0..8 {
                if self.rng.f64() < self.bit_error_rate {
                    b ^= 1 << bit;
                }
            }
            out.push(b);
        }
        out
    }
}

/// The model behind a noisy line, as the driver's transport.
pub struct ModelLine {
    pub board: BoardModel,
    pub down: Noise,
    pub up: Noise,
    inbox: VecDeque<u8>,
    /// Reset the board after this many frames' worth of sends (once).
    pub reset_after_sends: Option<u64>,
    /// Sends (1-based) lost whole on the way to the board.
    pub drop_sends: Vec<u64>,
    pub sends: u64,
}

impl ModelLine {
    pub fn new(seed: u64, ber: f64, drop: f64) -> Self {
        ModelLine {
            board: BoardModel::new(),
            down: Noise::new(seed, ber, drop),
            up: Noise::new(seed ^ 0x9E37_79B9_7F4A_7C15, ber, drop),
            inbox: VecDeque::new(),
            reset_after_sends: None,
            drop_sends: Vec::new(),
            sends: 0,
        }
    }
}

impl Transport for ModelLine {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.sends += 1;
        if self.reset_after_sends == Some(self.sends) {
            self.board.reset();
        }
        if self.drop_sends.contains(&self.sends) {
            return Ok(());
        }
        let wire = self.down.carry(bytes);
        let mut reply = Vec::new();
        self.board.receive(&wire, &mut reply);
        let wire = self.up.carry(&reply);
        self.inbox.extend(wire);
        Ok(())
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        if self.inbox.is_empty() {
            // Nothing on the line: time passes, and the board's inter-byte
            // timeout drops what it holds of a frame.
            std::thread::sleep(timeout.min(Duration::from_millis(1)));
            self.board.idle();
            return Ok(0);
        }
        let n = buf.len().min(self.inbox.len());
        for (slot, b) in buf.iter_mut().zip(self.inbox.drain(..n)) {
            *slot = b;
        }
        Ok(n)
    }

    fn discard_input(&mut self) -> io::Result<()> {
        self.inbox.clear();
        Ok(())
    }
}
