//! The link's framed mode as bytes (docs/board.md, "Framed mode"): the one
//! encoder and decoder of every frame, shared by the host driver, the
//! co-simulation's wire accounting and the tests.
//!
//! Decoding never panics and never loses the next good frame: the
//! [`Deframer`] hunts for SYNC, drops a candidate whose header or CRC is
//! wrong by one byte only (so a frame that starts inside the rejected bytes
//! is still found), and [`Deframer::flush_partial`] abandons a candidate
//! that waits for bytes that never come (the host's inter-byte timeout).

use atomik::Opcode;

/// First byte of every frame, both directions.
pub const SYNC: u8 = 0xA5;
/// Control code of HELLO (host to board): status, and framed mode on.
pub const HELLO: u8 = 0x80;
/// Control code of CLOSE (host to board): status, and compatible mode on.
pub const CLOSE: u8 = 0x81;
/// KIND of an ACK (board to host).
pub const KIND_ACK: u8 = 0x01;
/// KIND of a STATUS (board to host).
pub const KIND_STATUS: u8 = 0x02;
/// The most ops an OPS frame may carry (the protocol's limit on COUNT).
pub const MAX_OPS: usize = 16;
/// Frames a host may keep unacknowledged, and ACKs the board can repeat.
pub const WINDOW: usize = 8;
/// The protocol version this codec speaks.
pub const VERSION: u8 = 1;
/// Bytes of the CRC-32 at the end of every frame.
pub const CRC_LEN: usize = 4;
/// Bytes of one result in an ACK: VALUE (8) and FLAGS (1).
pub const RESULT_LEN: usize = 9;
/// Bytes of a STATUS frame.
pub const STATUS_LEN: usize = 7 + CRC_LEN;
/// Bytes of a control frame (HELLO, CLOSE).
pub const CONTROL_LEN: usize = 3 + CRC_LEN;
/// The longest frame either side sends (an OPS frame of 16 ops with data).
pub const MAX_FRAME_LEN: usize = 3 + MAX_OPS * 10 + CRC_LEN;

/// CRC-32/ISO-HDLC (zlib's) of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// One op of an OPS frame: what the table runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Op {
    /// The operation.
    pub code: Opcode,
    /// The context, 0 to 255.
    pub addr: u8,
    /// LOAD value, ACCUM delta or SWAP's new reference; ignored (and not
    /// sent) for READ and SWAP_KEEP.
    pub data: u64,
}

impl Op {
    /// LOAD `value` into `addr`.
    pub const fn load(addr: u8, value: u64) -> Op {
        Op::new(Opcode::Load, addr, value)
    }
    /// ACCUM `delta` into `addr`.
    pub const fn accum(addr: u8, delta: u64) -> Op {
        Op::new(Opcode::Accum, addr, delta)
    }
    /// READ `addr`.
    pub const fn read(addr: u8) -> Op {
        Op::new(Opcode::Read, addr, 0)
    }
    /// SWAP `addr` to `new_reference`.
    pub const fn swap(addr: u8, new_reference: u64) -> Op {
        Op::new(Opcode::Swap, addr, new_reference)
    }
    /// SWAP_KEEP `addr`.
    pub const fn swap_keep(addr: u8) -> Op {
        Op::new(Opcode::SwapKeep, addr, 0)
    }
    /// An op from its parts (`data` is dropped when the op has none).
    pub const fn new(code: Opcode, addr: u8, data: u64) -> Op {
        let data = if has_data(code) { data } else { 0 };
        Op { code, addr, data }
    }
    /// Bytes it takes in a frame: CODE, ADDR and, for LOAD, ACCUM and SWAP,
    /// DATA.
    pub const fn encoded_len(self) -> usize {
        if has_data(self.code) { 10 } else { 2 }
    }
}

/// Whether ops with this opcode carry DATA on the wire.
pub const fn has_data(code: Opcode) -> bool {
    matches!(code, Opcode::Load | Opcode::Accum | Opcode::Swap)
}

/// The result of a READ, SWAP or SWAP_KEEP, as an ACK carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OpResult {
    /// The state when the op ran (for swaps: before the swap).
    pub value: u64,
    /// The accumulator was zero (READ only; false for the swaps).
    pub clean: bool,
}

/// Why ops cannot be put in one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// More ops than a frame carries.
    #[error("{0} ops do not fit one frame (at most {MAX_OPS})")]
    TooManyOps(usize),
    /// COUNT = 0 with SEQ >= 0x80 reads as a control frame.
    #[error("an empty OPS frame must have SEQ below 0x80 (got {0:#04x})")]
    EmptyHighSeq(u8),
}

/// Appends the OPS frame `seq` carrying `ops` to `out`.
pub fn encode_ops(seq: u8, ops: &[Op], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if ops.len() > MAX_OPS {
        return Err(EncodeError::TooManyOps(ops.len()));
    }
    if ops.is_empty() && seq >= 0x80 {
        return Err(EncodeError::EmptyHighSeq(seq));
    }
    let start = out.len();
    out.extend_from_slice(&[SYNC, seq, count_byte(ops.len())]);
    for op in ops {
        out.extend_from_slice(&[op.code.bits(), op.addr]);
        if has_data(op.code) {
            out.extend_from_slice(&op.data.to_le_bytes());
        }
    }
    push_crc(out, start);
    Ok(())
}

/// A control frame's code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Control {
    /// HELLO: status, framed mode on.
    Hello,
    /// CLOSE: status, compatible mode on.
    Close,
}

impl Control {
    /// The byte in the SEQ position.
    pub const fn code(self) -> u8 {
        match self {
            Control::Hello => HELLO,
            Control::Close => CLOSE,
        }
    }
}

/// Appends a control frame to `out`.
pub fn encode_control(control: Control, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[SYNC, control.code(), 0]);
    push_crc(out, start);
}

/// Appends the ACK of frame `seq` with `results` (at most [`MAX_OPS`]).
pub fn encode_ack(seq: u8, results: &[OpResult], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if results.len() > MAX_OPS {
        return Err(EncodeError::TooManyOps(results.len()));
    }
    let start = out.len();
    out.extend_from_slice(&[SYNC, KIND_ACK, seq, count_byte(results.len())]);
    for r in results {
        out.extend_from_slice(&r.value.to_le_bytes());
        out.push(u8::from(r.clean));
    }
    push_crc(out, start);
    Ok(())
}

/// Appends a STATUS frame.
pub fn encode_status(status: &Status, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[
        SYNC,
        KIND_STATUS,
        status.expected,
        status.window,
        status.max_ops,
        status.mode as u8,
        status.version,
    ]);
    push_crc(out, start);
}

/// A count already checked to be at most [`MAX_OPS`].
fn count_byte(n: usize) -> u8 {
    u8::try_from(n).expect("checked against MAX_OPS")
}

/// Appends the CRC of `out[start + 1..]` (everything after SYNC).
fn push_crc(out: &mut Vec<u8>, start: usize) {
    let crc = crc32(&out[start + 1..]);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// The link's mode, as a STATUS reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Mode {
    /// The original's byte commands on context 0.
    Compatible = 0,
    /// Frames.
    Framed = 1,
}

/// A STATUS frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Status {
    /// SEQ of the next OPS frame the board will apply.
    pub expected: u8,
    /// Frames whose ACK the board can repeat.
    pub window: u8,
    /// Ops per frame.
    pub max_ops: u8,
    /// The mode after the frame that caused this STATUS.
    pub mode: Mode,
    /// Protocol version.
    pub version: u8,
}

/// An ACK frame.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ack {
    /// SEQ of the OPS frame it answers.
    pub seq: u8,
    /// One per READ, SWAP and SWAP_KEEP of that frame, in op order.
    pub results: Vec<OpResult>,
}

/// A frame from the board.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Reply {
    /// An ACK.
    Ack(Ack),
    /// A STATUS.
    Status(Status),
}

/// A frame from the host.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Request {
    /// An OPS frame.
    Ops {
        /// Its SEQ.
        seq: u8,
        /// Its ops, in order.
        ops: Vec<Op>,
    },
    /// A control frame.
    Control(Control),
}

/// What a deframer knows about the bytes at the start of its buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extent {
    /// Not enough bytes yet to tell.
    Incomplete,
    /// A candidate frame of this many bytes (CRC included), not yet checked.
    Complete(usize),
    /// Not a frame: a bad header byte.
    Invalid,
}

/// One direction's frame grammar, for [`Deframer`].
pub trait Grammar {
    /// The decoded frame.
    type Frame;
    /// The extent of the candidate frame at the start of `buf` (which
    /// starts with SYNC).
    fn extent(buf: &[u8]) -> Extent;
    /// The frame in `body` (the bytes between SYNC and the CRC, CRC
    /// checked), or `None` if its fields are not valid.
    fn parse(body: &[u8]) -> Option<Self::Frame>;
}

/// Board-to-host frames: ACK and STATUS.
#[derive(Clone, Copy, Debug, Default)]
pub struct Replies;

impl Grammar for Replies {
    type Frame = Reply;

    fn extent(buf: &[u8]) -> Extent {
        match buf.get(1) {
            None => Extent::Incomplete,
            Some(&KIND_STATUS) => Extent::Complete(STATUS_LEN),
            Some(&KIND_ACK) => match buf.get(3) {
                None => Extent::Incomplete,
                Some(&n) if usize::from(n) > MAX_OPS => Extent::Invalid,
                Some(&n) => Extent::Complete(4 + RESULT_LEN * usize::from(n) + CRC_LEN),
            },
            Some(_) => Extent::Invalid,
        }
    }

    fn parse(body: &[u8]) -> Option<Reply> {
        match body {
            [KIND_STATUS, expected, window, max_ops, mode, version] => {
                let mode = match mode {
                    0 => Mode::Compatible,
                    1 => Mode::Framed,
                    _ => return None,
                };
                Some(Reply::Status(Status {
                    expected: *expected,
                    window: *window,
                    max_ops: *max_ops,
                    mode,
                    version: *version,
                }))
            }
            [KIND_ACK, seq, _n, results @ ..] => {
                let mut out = Vec::with_capacity(results.len() / RESULT_LEN);
                for r in results.chunks_exact(RESULT_LEN) {
                    let (value, flags) = r.split_at(8);
                    if flags[0] & !1 != 0 {
                        return None;
                    }
                    out.push(OpResult {
                        value: u64::from_le_bytes(value.try_into().ok()?),
                        clean: flags[0] & 1 != 0,
                    });
                }
                Some(Reply::Ack(Ack {
                    seq: *seq,
                    results: out,
                }))
            }
            _ => None,
        }
    }
}

/// Host-to-board frames: OPS and control frames.
#[derive(Clone, Copy, Debug, Default)]
pub struct Requests;

impl Grammar for Requests {
    type Frame = Request;

    fn extent(buf: &[u8]) -> Extent {
        let (Some(&second), Some(&count)) = (buf.get(1), buf.get(2)) else {
            return Extent::Incomplete;
        };
        if count == 0 && second >= 0x80 {
            return match second {
                HELLO | CLOSE => Extent::Complete(CONTROL_LEN),
                _ => Extent::Invalid,
            };
        }
        if usize::from(count) > MAX_OPS {
            return Extent::Invalid;
        }
        // Ops have two lengths: walk their CODE bytes.
        let mut at = 3;
        for _ in 0..count {
            let Some(&code) = buf.get(at) else {
                return Extent::Incomplete;
            };
            if code & !7 != 0 {
                return Extent::Invalid;
            }
            at += match Opcode::from_bits(code) {
                Some(c) if has_data(c) => 10,
                _ => 2,
            };
        }
        Extent::Complete(at + CRC_LEN)
    }

    fn parse(body: &[u8]) -> Option<Request> {
        let (&second, rest) = body.split_first()?;
        let (&count, mut rest) = rest.split_first()?;
        if count == 0 && second >= 0x80 {
            return match second {
                HELLO => Some(Request::Control(Control::Hello)),
                CLOSE => Some(Request::Control(Control::Close)),
                _ => None,
            };
        }
        let mut ops = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let (&code, r) = rest.split_first()?;
            let (&addr, r) = r.split_first()?;
            rest = r;
            // Reserved codes 5..7 run as nothing; they stay in the frame.
            let Some(op) = Opcode::from_bits(code) else {
                continue;
            };
            let data = if has_data(op) {
                let (d, r) = rest.split_first_chunk::<8>()?;
                rest = r;
                u64::from_le_bytes(*d)
            } else {
                0
            };
            ops.push(Op::new(op, addr, data));
        }
        rest.is_empty().then_some(Request::Ops { seq: second, ops })
    }
}

/// Counts of what a [`Deframer`] threw away.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeframeStats {
    /// Frames decoded.
    pub frames: u64,
    /// Bytes skipped while hunting for SYNC or after a rejected candidate.
    pub junk_bytes: u64,
    /// Complete candidates whose CRC did not match.
    pub bad_crc: u64,
    /// Candidates with an impossible header or fields.
    pub bad_header: u64,
    /// Partial candidates abandoned by [`Deframer::flush_partial`].
    pub abandoned: u64,
}

/// A streaming frame decoder for one direction of the link.
#[derive(Clone, Debug)]
pub struct Deframer<G: Grammar> {
    buf: Vec<u8>,
    /// Bytes of `buf` already consumed (compacted lazily).
    start: usize,
    stats: DeframeStats,
    grammar: core::marker::PhantomData<G>,
}

impl<G: Grammar> Default for Deframer<G> {
    fn default() -> Self {
        Deframer {
            buf: Vec::new(),
            start: 0,
            stats: DeframeStats::default(),
            grammar: core::marker::PhantomData,
        }
    }
}

impl<G: Grammar> Deframer<G> {
    /// An empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > 4096 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete, CRC-checked frame, if the bytes received so far
    /// hold one. Bytes that cannot start one are skipped.
    pub fn next_frame(&mut self) -> Option<G::Frame> {
        loop {
            let pending = &self.buf[self.start..];
            let Some(sync) = pending.iter().position(|&b| b == SYNC) else {
                self.skip(pending.len());
                return None;
            };
            self.skip(sync);
            let pending = &self.buf[self.start..];
            let len = match G::extent(pending) {
                Extent::Incomplete => return None,
                Extent::Invalid => {
                    self.stats.bad_header += 1;
                    self.skip(1);
                    continue;
                }
                Extent::Complete(len) if pending.len() < len => return None,
                Extent::Complete(len) => len,
            };
            let (body, crc) = pending[1..len].split_at(len - 1 - CRC_LEN);
            if crc32(body).to_le_bytes() != crc {
                self.stats.bad_crc += 1;
                self.skip(1);
                continue;
            }
            match G::parse(body) {
                Some(frame) => {
                    self.start += len;
                    self.stats.frames += 1;
                    return Some(frame);
                }
                None => {
                    self.stats.bad_header += 1;
                    self.skip(1);
                }
            }
        }
    }

    /// Abandons a partial candidate (its SYNC byte only, so that a frame
    /// starting inside it is still found): call when no byte has come for
    /// longer than the sender's inter-byte gap. Returns whether there was one.
    pub fn flush_partial(&mut self) -> bool {
        if self.start < self.buf.len() {
            self.stats.abandoned += 1;
            self.skip(1);
            true
        } else {
            false
        }
    }

    /// Bytes received and not yet decoded or skipped.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// What was decoded and thrown away so far.
    pub fn stats(&self) -> DeframeStats {
        self.stats
    }

    fn skip(&mut self, n: usize) {
        self.start += n;
        self.stats.junk_bytes += n as u64;
    }
}

/// Decodes board-to-host frames.
pub type ReplyDeframer = Deframer<Replies>;
/// Decodes host-to-board frames.
pub type RequestDeframer = Deframer<Requests>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout of docs/board.md, byte for byte.
    #[test]
    fn golden_frames() {
        let mut f = Vec::new();
        encode_ops(
            5,
            &[Op::accum(7, 0x0102_0304_0506_0708), Op::read(9)],
            &mut f,
        )
        .unwrap();
        let crc = crc32(&f[1..f.len() - 4]).to_le_bytes();
        let mut expected = vec![SYNC, 5, 2, 1, 7, 8, 7, 6, 5, 4, 3, 2, 1, 2, 9];
        expected.extend_from_slice(&crc);
        assert_eq!(f, expected);

        let mut hello = Vec::new();
        encode_control(Control::Hello, &mut hello);
        let crc = crc32(&[0x80, 0]).to_le_bytes();
        assert_eq!(hello, [SYNC, 0x80, 0, crc[0], crc[1], crc[2], crc[3]]);
        // CRC-32/ISO-HDLC check value.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn frames_round_trip() {
        let ops = [
            Op::load(0, u64::MAX),
            Op::accum(255, 1),
            Op::read(3),
            Op::swap(4, 5),
            Op::swap_keep(6),
        ];
        let mut wire = vec![0x00, SYNC, 0x13];
        encode_ops(200, &ops, &mut wire).unwrap();
        encode_control(Control::Close, &mut wire);
        let mut d = RequestDeframer::new();
        d.push(&wire);
        assert_eq!(
            d.next_frame(),
            Some(Request::Ops {
                seq: 200,
                ops: ops.to_vec()
            })
        );
        assert_eq!(d.next_frame(), Some(Request::Control(Control::Close)));
        assert_eq!(d.next_frame(), None);

        let results = [
            OpResult {
                value: 9,
                clean: true,
            },
            OpResult {
                value: u64::MAX,
                clean: false,
            },
        ];
        let status = Status {
            expected: 3,
            window: 8,
            max_ops: 16,
            mode: Mode::Framed,
            version: 1,
        };
        let mut wire = Vec::new();
        encode_ack(7, &results, &mut wire).unwrap();
        encode_status(&status, &mut wire);
        let mut d = ReplyDeframer::new();
        d.push(&wire);
        let ack = Ack {
            seq: 7,
            results: results.to_vec(),
        };
        assert_eq!(d.next_frame(), Some(Reply::Ack(ack)));
        assert_eq!(d.next_frame(), Some(Reply::Status(status)));
    }

    #[test]
    fn encoder_refuses_what_the_protocol_forbids() {
        let mut out = Vec::new();
        assert_eq!(
            encode_ops(0, &[Op::read(0); 17], &mut out),
            Err(EncodeError::TooManyOps(17))
        );
        assert_eq!(
            encode_ops(0x80, &[], &mut out),
            Err(EncodeError::EmptyHighSeq(0x80))
        );
        assert!(out.is_empty());
        encode_ops(0x7F, &[], &mut out).unwrap();
        let mut d = RequestDeframer::new();
        d.push(&out);
        assert_eq!(
            d.next_frame(),
            Some(Request::Ops {
                seq: 0x7F,
                ops: vec![]
            })
        );
    }

    /// A partial candidate whose claimed length swallows the next frame is
    /// abandoned by the inter-byte timeout, and the frame inside it found.
    #[test]
    fn a_stalled_candidate_is_flushed_and_the_frame_inside_found() {
        let mut wire = vec![SYNC, KIND_ACK, 0, 16];
        encode_ack(1, &[], &mut wire).unwrap();
        let mut d = ReplyDeframer::new();
        d.push(&wire);
        assert_eq!(d.next_frame(), None);
        assert!(d.flush_partial());
        assert_eq!(
            d.next_frame(),
            Some(Reply::Ack(Ack {
                seq: 1,
                results: vec![]
            }))
        );
        assert!(!d.flush_partial());
    }
}
