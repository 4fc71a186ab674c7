//! rust-hdl's native simulation of the board top (the simulation variant,
//! 8 clock cycles per UART bit): bytes go in on `uart_rx` bit by bit and the
//! replies are decoded from `uart_tx`, then compared with what the link
//! protocol of docs/board.md says, computed here from the core `Table` and
//! an independent CRC-32 (the crc32fast crate).

use std::sync::{Arc, Mutex};

use atomik::{Opcode, Table};
use atomik_hdl::{AtomikBoard, designs::SIM_BOARD};
use rust_hdl::prelude::*;

type Uut = AtomikBoard<6>;
const BIT: u64 = 8; // SIM_BOARD's cycles per bit

/// One exchange: bytes to the board, then how many bytes it must answer,
/// then byte-times of silence.
#[derive(Clone, Debug)]
struct Exchange {
    send: Vec<u8>,
    reply_len: usize,
    quiet: u64,
}

impl Exchange {
    /// Send `send`, wait for `reply_len` bytes, then 4 byte-times of quiet.
    fn new(send: Vec<u8>, reply_len: usize) -> Self {
        Exchange {
            send,
            reply_len,
            quiet: 4,
        }
    }

    /// The same, with `quiet` byte-times of silence after it.
    fn then_quiet(self, quiet: u64) -> Self {
        Exchange { quiet, ..self }
    }
}

/// The serial line, one cycle at a time.
#[derive(Default)]
struct Line {
    /// Levels still to drive on `uart_rx`, one per cycle.
    out: std::collections::VecDeque<bool>,
    /// Receiver: cycles until the next sample, bits so far.
    rx_wait: Option<(u64, u32, u16)>,
    received: Vec<u8>,
}

impl Line {
    fn queue(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let bits = std::iter::once(false)
                .chain((0..8).map(|i| b >> i & 1 == 1))
                .chain(std::iter::once(true));
            for bit in bits {
                self.out.extend(std::iter::repeat_n(
                    bit,
                    usize::try_from(BIT).expect("small"),
                ));
            }
        }
    }

    /// Samples `tx` for this cycle (8N1, mid-bit).
    fn sample(&mut self, tx: bool) {
        match self.rx_wait {
            None if !tx => self.rx_wait = Some((BIT / 2 + BIT, 0, 0)),
            None => {}
            Some((wait, n, bits)) if wait > 1 => self.rx_wait = Some((wait - 1, n, bits)),
            Some((_, n, bits)) => {
                let bits = bits | u16::from(tx) << n;
                if n == 8 {
                    assert!(tx, "stop bit low on uart_tx");
                    self.received.push(bits.to_le_bytes()[0]);
                    self.rx_wait = None;
                } else {
                    self.rx_wait = Some((BIT, n + 1, bits));
                }
            }
        }
    }
}

/// Runs `script` on a fresh board; returns each exchange's reply bytes.
fn run(script: Vec<Exchange>) -> Vec<Vec<u8>> {
    let replies = Arc::new(Mutex::new(Vec::new()));
    let out = replies.clone();
    let mut sim = Simulation::<Uut>::new();
    sim.add_clock(5, |x: &mut Box<Uut>| x.clk.next = !x.clk.val());
    sim.add_testbench(move |mut sim: Sim<Uut>| {
        let mut x = sim.init()?;
        let mut line = Line::default();
        // Power-on reset, then the table's clearing sweep.
        for _ in 0..atomik_hdl::board::READY_CYCLES {
            x.uart_rx.next = true;
            wait_clock_cycle!(sim, clk, x);
        }
        for ex in &script {
            line.queue(&ex.send);
            line.received.clear();
            let mut budget = (ex.send.len() + ex.reply_len + 40) as u64 * 10 * BIT + 2_000;
            while budget > 0 && (!line.out.is_empty() || line.received.len() < ex.reply_len) {
                x.uart_rx.next = line.out.pop_front().unwrap_or(true);
                wait_clock_cycle!(sim, clk, x);
                line.sample(x.uart_tx.val());
                budget -= 1;
            }
            // Quiet, so that a reply longer than expected shows.
            for _ in 0..ex.quiet * 10 * BIT {
                x.uart_rx.next = true;
                wait_clock_cycle!(sim, clk, x);
                line.sample(x.uart_tx.val());
            }
            out.lock().unwrap().push(std::mem::take(&mut line.received));
        }
        sim.done(x)
    });
    sim.run(Box::new(Uut::new(&SIM_BOARD)), 1 << 40)
        .expect("simulation runs");
    std::mem::take(&mut *replies.lock().unwrap())
}

fn crc(bytes: &[u8]) -> [u8; 4] {
    crc32fast::hash(bytes).to_le_bytes()
}

/// A framed-mode frame: SYNC, body, CRC of the body.
fn frame(body: &[u8]) -> Vec<u8> {
    let mut f = vec![0xA5];
    f.extend_from_slice(body);
    f.extend_from_slice(&crc(body));
    f
}

/// An OPS frame and the ACK the protocol requires for it, from `table`.
fn ops_frame(seq: u8, ops: &[(Opcode, u8, u64)], table: &mut Table<u64>) -> (Vec<u8>, Vec<u8>) {
    let mut body = vec![seq, u8::try_from(ops.len()).unwrap()];
    let mut results = Vec::new();
    for &(op, addr, data) in ops {
        body.extend([op.bits(), addr]);
        if matches!(op, Opcode::Load | Opcode::Accum | Opcode::Swap) {
            body.extend(data.to_le_bytes());
        }
        if let Some(r) = table
            .execute(op, usize::from(addr), data)
            .expect("in range")
        {
            results.extend(r.value.to_le_bytes());
            results.push(u8::from(r.clean));
        }
    }
    let mut ack = vec![0x01, seq, u8::try_from(results.len() / 9).unwrap()];
    ack.extend(results);
    (frame(&body), frame(&ack))
}

fn status(expected: u8, framed: bool) -> Vec<u8> {
    frame(&[0x02, expected, 8, 16, u8::from(framed), 1])
}

#[test]
fn compatible_mode_is_the_original_protocol_byte_for_byte() {
    let v: u64 = 0xDEAD_BEEF_CAFE_BABE;
    let d: u64 = 0x00FF_0000_0000_00FF;
    let mut load = vec![b'L'];
    load.extend(v.to_be_bytes());
    let mut accum = vec![b'A'];
    accum.extend(d.to_be_bytes());
    let ex = Exchange::new;
    let replies = run(vec![
        ex(load.clone(), 0),
        ex(vec![b'R'], 8),
        ex(vec![b'S'], 1),
        ex(accum, 0),
        ex(vec![b'R'], 8),
        ex(vec![b'S'], 1),
        ex(vec![b'D'], 8),
        ex(b"xyz".to_vec(), 0), // other bytes are ignored
        ex(load, 0),
        ex(vec![b'S'], 1),
    ]);
    let want: Vec<Vec<u8>> = vec![
        vec![],
        v.to_be_bytes().to_vec(),
        vec![0x80],
        vec![],
        (v ^ d).to_be_bytes().to_vec(),
        vec![0x00],
        v.to_be_bytes().to_vec(),
        vec![],
        vec![],
        vec![0x80],
    ];
    assert_eq!(replies, want);
}

#[test]
fn framed_mode_applies_each_frame_once_and_repeats_its_ack() {
    let mut table = Table::<u64>::new(256).unwrap();
    let (f0, ack0) = ops_frame(
        0,
        &[
            (Opcode::Load, 5, 0x1111),
            (Opcode::Accum, 5, 0x00F0),
            (Opcode::Read, 5, 0),
            (Opcode::SwapKeep, 5, 0),
            (Opcode::Read, 5, 0),
            (Opcode::Accum, 0, 7),
        ],
        &mut table,
    );
    let (f1, ack1) = ops_frame(1, &[(Opcode::Read, 5, 0), (Opcode::Read, 0, 0)], &mut table);
    let mut bad = f1.clone();
    *bad.last_mut().unwrap() ^= 1;
    let hello = frame(&[0x80, 0]);
    let close = frame(&[0x81, 0]);
    let ex = Exchange::new;
    let replies = run(vec![
        ex(f0.clone(), 11), // compatible mode runs no OPS frame: STATUS, MODE 0
        ex(hello.clone(), 11),
        ex(f0.clone(), ack0.len()),
        ex(f0, ack0.len()),           // a retransmission: not applied again
        ex(vec![b'R'], 0),            // compatible commands are ignored now
        ex(bad, 0),                   // a bad CRC: dropped, nothing runs
        ex(frame(&[7, 1, 2, 5]), 11), // SEQ 7, EXPECTED is 1: STATUS
        // Truncated (the host went away): after 256 byte-times of silence
        // the board drops it, and the next frame works.
        ex(b"\xA5\x01\x02\x02".to_vec(), 0).then_quiet(300),
        ex(f1, ack1.len()),
        ex(close, 11),
        ex(vec![b'R'], 8),
    ]);
    assert_eq!(replies[0], status(0, false));
    let replies = &replies[1..];
    assert_eq!(replies[0], status(0, true));
    assert_eq!(replies[1], ack0);
    assert_eq!(replies[2], ack0);
    assert_eq!(replies[3], Vec::<u8>::new());
    assert_eq!(replies[4], Vec::<u8>::new());
    assert_eq!(replies[5], status(1, true));
    assert_eq!(replies[6], Vec::<u8>::new());
    assert_eq!(replies[7], ack1);
    assert_eq!(replies[8], status(2, false));
    assert_eq!(replies[9], 7u64.to_be_bytes().to_vec());
}

/// Splits the board's reply bytes into frames (ACK or STATUS, by their
/// length fields); a partial frame at the end is left out.
fn reply_frames(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    while bytes.len() >= 4 {
        assert_eq!(bytes[0], 0xA5, "a reply starts with SYNC: {bytes:02x?}");
        let len = match bytes[1] {
            0x01 => 8 + 9 * usize::from(bytes[3]),
            0x02 => 11,
            kind => panic!("a reply of unknown KIND {kind:#04x}"),
        };
        if bytes.len() < len {
            break;
        }
        frames.push(bytes[..len].to_vec());
        bytes = &bytes[len..];
    }
    frames
}

/// The frames of the scenarios around a slot of the reply store still in
/// use, with the replies the protocol
/// requires: two frames of LOADs (contexts 0..32), frame 2 with 16 READs
/// (an ACK of 152 bytes), frames 3..=9 without ops (they arrive quickly),
/// frame 10 (the slot of frame 2) with an ACCUM on context 16, which shows
/// if it is applied twice, and 15 READs of other values, and frame 11,
/// which reads context 16 back.
struct TornScenario {
    frames: Vec<Vec<u8>>,
    acks: Vec<Vec<u8>>,
}

impl TornScenario {
    fn new() -> Self {
        let mut table = Table::<u64>::new(256).unwrap();
        let value = |c: u8| 0x0123_4567_89AB_CDEFu64.rotate_left(u32::from(c)) ^ u64::from(c);
        let loads = |base: u8| -> Vec<_> {
            (base..base + 16)
                .map(|c| (Opcode::Load, c, value(c)))
                .collect()
        };
        let mut ops: Vec<Vec<(Opcode, u8, u64)>> = vec![loads(0), loads(16)];
        ops.push((0..16).map(|c| (Opcode::Read, c, 0)).collect());
        ops.extend((3..=9).map(|_| Vec::new()));
        let mut tenth = vec![(Opcode::Accum, 16, 0x0D0D)];
        tenth.extend((16..31).map(|c| (Opcode::Read, c, 0)));
        ops.push(tenth);
        ops.push(vec![(Opcode::Read, 16, 0)]);
        let (frames, acks) = ops
            .iter()
            .enumerate()
            .map(|(seq, ops)| ops_frame(u8::try_from(seq).unwrap(), ops, &mut table))
            .unzip();
        Self { frames, acks }
    }

    /// HELLO, then frames `0..n` one at a time, each with its ACK.
    fn opening(&self, n: usize) -> Vec<Exchange> {
        let mut script = vec![Exchange::new(frame(&[0x80, 0]), 11)];
        script.extend((0..n).map(|s| self.frame(s)));
        script
    }

    /// Frame `seq` alone, waiting for its ACK.
    fn frame(&self, seq: usize) -> Exchange {
        Exchange::new(self.frames[seq].clone(), self.acks[seq].len())
    }

    /// Frames `seqs`, back to back, then `quiet` byte-times of silence.
    fn burst(&self, seqs: impl IntoIterator<Item = usize>, quiet: u64) -> Exchange {
        let bytes = seqs
            .into_iter()
            .flat_map(|s| self.frames[s].iter().copied())
            .collect();
        Exchange::new(bytes, 0).then_quiet(quiet)
    }

    /// Checks the replies to the burst that ends with frame 10 (sent while
    /// frame 2's ACK was still on its way out) and to frame 10 sent again,
    /// then frame 11.
    fn check(&self, burst: &[u8], resent: &[u8], read_back: &[u8]) {
        let got = reply_frames(burst);
        for ack in got.iter().filter(|f| f[1] == 0x01 && f[2] == 2) {
            assert_eq!(
                ack, &self.acks[2],
                "an ACK of frame 2 is torn: the board applied frame 10 into \
                 frame 2's slot while that ACK was still to be sent"
            );
        }
        // Frame 10 must wait: a STATUS sends the host back to it.
        let mut want: Vec<Vec<u8>> = (2..=9).map(|s| self.acks[s].clone()).collect();
        want.push(status(10, true));
        assert_eq!(got, want, "the replies to the burst");
        assert_eq!(reply_frames(burst).concat(), burst, "whole frames only");
        // Sent again, it is applied, once: frame 11 reads its ACCUM once.
        assert_eq!(resent, self.acks[10]);
        assert_eq!(read_back, self.acks[11]);
    }
}

/// Regression: the board read a repeated ACK (a retransmitted frame already
/// applied) from its reply store when it sent it, so a frame applied
/// meanwhile into the same slot (SEQ + 8) tore it: the repeat carried part
/// of the newer frame's results under the old SEQ. Here the host keeps the
/// window (frame 2's first ACK is in before frame 10 goes out) and resends
/// frame 2 once more just before frames 3 to 10.
#[test]
fn a_repeated_ack_is_not_torn_by_the_frame_after_the_window() {
    let sc = TornScenario::new();
    let mut script = sc.opening(3);
    script.extend([
        sc.burst([2, 3, 4, 5, 6, 7, 8, 9, 10], 300),
        sc.frame(10),
        sc.frame(11),
    ]);
    let replies = run(script);
    assert_eq!(replies[0], status(0, true));
    assert_eq!(replies[1..4], sc.acks[0..3]);
    sc.check(&replies[4], &replies[5], &replies[6]);
}

/// The same tear, of a first ACK: a host that breaks the window sends
/// frame 10 before it has frame 2's ACK.
#[test]
fn a_first_ack_is_not_torn_by_a_host_that_breaks_the_window() {
    let sc = TornScenario::new();
    let mut script = sc.opening(2);
    script.extend([sc.burst(2..=10, 300), sc.frame(10), sc.frame(11)]);
    let replies = run(script);
    assert_eq!(replies[0], status(0, true));
    assert_eq!(replies[1..3], sc.acks[0..2]);
    sc.check(&replies[3], &replies[4], &replies[5]);
}

/// A retransmission whose ACK still waits in the board's reply queue is
/// answered by that ACK: the board queues no second copy behind it (which
/// would only hold the line to the host and the frame's slot longer).
#[test]
fn a_retransmission_whose_ack_still_waits_gets_no_second_copy() {
    let sc = TornScenario::new();
    // Frame 2's first ACK is being sent when the second copy arrives, so
    // its ACK is queued; that one still waits when the third arrives.
    let mut script = sc.opening(2);
    // Long enough for three copies (they would end at byte-time 495).
    script.push(sc.burst([2, 2, 2], 420));
    let replies = run(script);
    assert_eq!(replies[1..3], sc.acks[0..2]);
    assert_eq!(reply_frames(&replies[3]), vec![sc.acks[2].clone(); 2]);
    assert_eq!(reply_frames(&replies[3]).concat(), replies[3]);
}
