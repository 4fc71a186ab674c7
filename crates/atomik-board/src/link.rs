//! Framed mode's host side: HELLO, OPS frames pipelined in a window, and
//! go-back-N recovery (docs/board.md, "Exactly once").
//!
//! The board applies a frame only when its SEQ is the one it expects, so a
//! frame sent twice is never applied twice; this side's job is to keep the
//! window full, notice what was lost, and resend it:
//!
//! - An ACK for frame *s* proves every frame before *s* was applied (the
//!   board applies in order). Such a frame without results is complete; one
//!   with results is resent once so that the board repeats its held ACK.
//! - A STATUS names the board's EXPECTED: frames before it were applied,
//!   the frame at it was lost, and it and every frame after it are resent.
//!   The STATUS replies to the other frames that were already on their way
//!   say the same thing again; they are counted off and ignored, so one loss
//!   costs one resend of the window, not one per frame.
//! - No reply for the retransmission timeout (adaptive, from measured round
//!   trips, doubling on every expiry) resends the whole window.
//! - A STATUS in compatible mode, or one whose EXPECTED went backwards or
//!   outside the frames in flight, means the board was reset: its table is
//!   cleared and the frames in flight are reported lost, never as applied.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, WallClock};

use crate::codec::{
    self, Control, MAX_OPS, Mode, Op, OpResult, Reply, ReplyDeframer, Status, VERSION, WINDOW,
};
use crate::error::{Error, Result};
use crate::transport::Transport;

/// The most an expired retransmission timer multiplies the measured one.
const MAX_BACKOFF: u32 = 8;

/// Timing and window of a link.
#[derive(Clone, Debug)]
pub struct Options {
    /// Give up (with [`Error::Timeout`]) after this long without progress.
    pub timeout: Duration,
    /// Retransmission timeout before any round trip was measured.
    pub initial_rto: Duration,
    /// Bounds of the adaptive retransmission timeout.
    pub min_rto: Duration,
    /// See `min_rto`.
    pub max_rto: Duration,
    /// A partial frame with no byte for this long is abandoned.
    pub inter_byte: Duration,
    /// Frames in flight (at most the board's window, at most 8).
    pub window: usize,
    /// What every timer above runs on (the wall clock on a real port).
    pub clock: Arc<dyn Clock>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(5),
            initial_rto: Duration::from_millis(500),
            min_rto: Duration::from_millis(20),
            max_rto: Duration::from_secs(3),
            inter_byte: Duration::from_millis(50),
            window: WINDOW,
            clock: Arc::new(WallClock::new()),
        }
    }
}

/// What the link did: the co-simulation's and the benchmarks' counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// OPS frames sent for the first time.
    pub frames_sent: u64,
    /// OPS frames sent again (go-back-N, timeouts, held-ACK fetches).
    pub frames_retransmitted: u64,
    /// Ops acknowledged (applied exactly once).
    pub ops_completed: u64,
    /// Bytes of op records sent for the first time (CODE, ADDR, DATA).
    pub op_bytes_sent: u64,
    /// Every byte written to the port.
    pub bytes_sent: u64,
    /// Every byte read from the port.
    pub bytes_received: u64,
    /// ACKs received.
    pub acks: u64,
    /// STATUS frames received.
    pub statuses: u64,
    /// ACKs for frames already complete, identical to the first: the board
    /// repeating a held ACK for a resent frame.
    pub duplicate_acks: u64,
    /// ACKs for frames already complete whose results differ from the
    /// first: the board ran the frame again (a duplicate application).
    pub conflicting_acks: u64,
    /// Go-back-N resends triggered by a STATUS.
    pub go_backs: u64,
    /// Retransmission timeouts that expired.
    pub timeouts: u64,
    /// Board resets detected.
    pub resets: u64,
    /// What the frame decoder threw away.
    pub deframe: codec::DeframeStats,
}

/// One frame sent and not yet complete.
#[derive(Debug)]
struct Flight {
    seq: u8,
    bytes: Vec<u8>,
    /// Which `execute` call the frame belongs to, and its place in it.
    ticket: u64,
    ops: usize,
    results: usize,
    first_tx: Duration,
    last_tx: Duration,
    transmissions: u32,
    /// The board applied it (an ACK or STATUS after it proved so).
    applied: bool,
    acked: Option<Vec<OpResult>>,
}

impl Flight {
    /// Nothing more is needed from the board for this frame.
    fn complete(&self) -> bool {
        self.acked.is_some() || (self.applied && self.results == 0)
    }
}

/// A framed-mode session: what this side knows of the board's sequence.
#[derive(Debug)]
struct Session {
    window: usize,
    max_ops: usize,
    next_seq: u8,
    /// The board's EXPECTED as last learnt (from an ACK or a STATUS).
    frontier: u8,
    flight: VecDeque<Flight>,
    /// Results of the last frame completed with each SEQ (to tell a held
    /// ACK repeated from a frame run twice).
    done: Vec<Option<Vec<OpResult>>>,
    /// After a go-back to this SEQ: STATUS replies naming it still expected
    /// from frames sent before the go-back.
    stale: Option<(u8, usize)>,
    /// Set when a STATUS was counted off as stale: it may have been the
    /// answer to the resent frames (the old frames whose replies it was
    /// taken for can have been lost on the line), so the window is resent
    /// if nothing completes by then. See [`Link::on_recovery`].
    recovery: Option<Duration>,
    /// When frames were sent with none in flight, and nothing resent since:
    /// the first reply after it answers one of them, so the time to it is a
    /// round trip (of the first frame that arrived). On a line that loses
    /// most frames, few ACKs answer a frame sent once (Karn's samples).
    probe: Option<Duration>,
    /// When an ACK last completed a frame not completed before: the
    /// retransmission timer restarts then (RFC 6298 §5.3), so a frame
    /// queued behind others is timed from the progress before it, not
    /// from when it was written.
    restarted: Duration,
    rto: Duration,
    srtt: Option<(f64, f64)>,
    next_ticket: u64,
}

/// Framed mode over a transport.
#[derive(Debug)]
pub struct Link<T: Transport> {
    io: T,
    opts: Options,
    dec: ReplyDeframer,
    session: Option<Session>,
    stats: Stats,
    rx: Vec<u8>,
    /// When the last byte arrived (for the inter-byte timeout).
    last_rx: Duration,
    /// Results of frames completed during the current `execute`, by ticket.
    completed: Vec<(u64, Vec<OpResult>)>,
}

/// Completed frames of one `execute` call, by its first ticket.
struct Batch {
    first: u64,
    results: Vec<Option<Vec<OpResult>>>,
}

impl<T: Transport> Link<T> {
    /// A link over `io`; the first call says HELLO.
    pub fn new(io: T, opts: Options) -> Self {
        Link {
            io,
            opts,
            dec: ReplyDeframer::new(),
            session: None,
            stats: Stats::default(),
            rx: vec![0; 4096],
            last_rx: Duration::ZERO,
            completed: Vec::new(),
        }
    }

    /// Now, on the link's clock.
    fn now(&self) -> Duration {
        self.opts.clock.now()
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        Stats {
            deframe: self.dec.stats(),
            ..self.stats
        }
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// Changes the no-progress timeout.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.opts.timeout = timeout;
    }

    /// The transport (to close it, or for the co-simulation's accounting).
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// Ops per frame the board takes (after HELLO).
    pub fn max_ops(&self) -> Option<usize> {
        self.session.as_ref().map(|s| s.max_ops)
    }

    /// HELLO: framed mode on; returns the board's status. Repeats HELLO
    /// until two STATUS replies in a row agree, so that a reply still on
    /// its way from an earlier program cannot set the sequence.
    pub fn hello(&mut self) -> Result<Status> {
        self.io.discard_input()?;
        self.dec = ReplyDeframer::new();
        let mut previous: Option<Status> = None;
        let start = self.now();
        loop {
            let status = self.control(Control::Hello, start)?;
            if status.version != VERSION {
                return Err(Error::Version {
                    found: status.version,
                    expected: VERSION,
                });
            }
            if status.mode != Mode::Framed || status.max_ops == 0 || status.window == 0 {
                return Err(Error::Protocol(format!(
                    "HELLO answered with {status:?}: not framed mode, or no room for a frame"
                )));
            }
            if previous == Some(status) {
                self.start_session(&status);
                return Ok(status);
            }
            previous = Some(status);
        }
    }

    /// Completes every frame in flight, then CLOSE: the board returns to
    /// compatible mode. Returns its status.
    pub fn close(&mut self) -> Result<Status> {
        if self.session.is_some() {
            self.execute(&[])?;
        }
        self.session = None;
        let start = self.now();
        loop {
            let status = self.control(Control::Close, start)?;
            if status.mode == Mode::Compatible {
                return Ok(status);
            }
        }
    }

    fn start_session(&mut self, status: &Status) {
        self.session = Some(Session {
            window: self
                .opts
                .window
                .clamp(1, WINDOW)
                .min(usize::from(status.window)),
            max_ops: usize::from(status.max_ops).min(MAX_OPS),
            next_seq: status.expected,
            frontier: status.expected,
            flight: VecDeque::new(),
            done: vec![None; 256],
            stale: None,
            recovery: None,
            probe: None,
            restarted: Duration::ZERO,
            rto: self.opts.initial_rto,
            srtt: None,
            next_ticket: 0,
        });
    }

    /// Sends a control frame until a STATUS arrives (ACKs still on their
    /// way are dropped); gives up after the timeout, counted from `start`.
    fn control(&mut self, control: Control, start: Duration) -> Result<Status> {
        let mut frame = Vec::new();
        codec::encode_control(control, &mut frame);
        loop {
            self.send(&frame)?;
            let deadline = self.now() + self.opts.initial_rto;
            while self.now() < deadline {
                let wait = deadline.saturating_sub(self.now());
                if let Some(Reply::Status(s)) = self.receive(wait)? {
                    self.stats.statuses += 1;
                    return Ok(s);
                }
            }
            let waited = self.now().saturating_sub(start);
            if waited >= self.opts.timeout {
                return Err(Error::Timeout {
                    waited,
                    pending_frames: 0,
                });
            }
        }
    }

    /// Runs `ops` on the board, in order, exactly once; returns the results
    /// of its READ, SWAP and SWAP_KEEP ops, in order. Frames of up to the
    /// board's MAX_OPS are pipelined, the window kept full.
    pub fn execute(&mut self, ops: &[Op]) -> Result<Vec<OpResult>> {
        if self.session.is_none() {
            self.hello()?;
        }
        let max_ops = self.session.as_ref().map_or(MAX_OPS, |s| s.max_ops);
        let chunks: Vec<&[Op]> = ops.chunks(max_ops).collect();
        let first = self.session.as_ref().map_or(0, |s| s.next_ticket);
        if let Some(s) = self.session.as_mut() {
            s.next_ticket += chunks.len() as u64;
        }
        let mut batch = Batch {
            first,
            results: vec![None; chunks.len()],
        };
        let mut next = 0;
        let mut progress = self.now();
        loop {
            while next < chunks.len() && self.has_room() {
                self.send_new(chunks[next], first + next as u64)?;
                next += 1;
            }
            let idle = self.session.as_ref().is_none_or(|s| s.flight.is_empty());
            if next == chunks.len() && idle {
                break;
            }
            if self.step()? {
                progress = self.now();
            }
            self.collect(&mut batch);
            let waited = self.now().saturating_sub(progress);
            if waited >= self.opts.timeout {
                return Err(Error::Timeout {
                    waited,
                    pending_frames: self.session.as_ref().map_or(0, |s| s.flight.len()),
                });
            }
        }
        self.collect(&mut batch);
        Ok(batch.results.into_iter().flatten().flatten().collect())
    }

    fn has_room(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|s| s.flight.len() < s.window)
    }

    /// Moves the completed frames of `batch` out of `completed`.
    fn collect(&mut self, batch: &mut Batch) {
        for (ticket, results) in self.completed.drain(..) {
            // Frames of an earlier call that failed complete here too; their
            // results have no caller any more.
            if let Some(slot) = ticket
                .checked_sub(batch.first)
                .and_then(|i| batch.results.get_mut(usize::try_from(i).ok()?))
            {
                *slot = Some(results);
            }
        }
    }

    fn send_new(&mut self, ops: &[Op], ticket: u64) -> Result<()> {
        let now = self.now();
        let s = self.session.as_mut().expect("checked by has_room");
        let seq = s.next_seq;
        let mut bytes = Vec::with_capacity(codec::MAX_FRAME_LEN);
        codec::encode_ops(seq, ops, &mut bytes)
            .map_err(|e| Error::Protocol(format!("cannot frame ops: {e}")))?;
        if s.flight.is_empty() {
            s.probe = Some(now);
        }
        s.done[usize::from(seq)] = None;
        s.next_seq = seq.wrapping_add(1);
        s.flight.push_back(Flight {
            seq,
            ticket,
            ops: ops.len(),
            results: ops.iter().filter(|o| o.code.has_result()).count(),
            first_tx: now,
            last_tx: now,
            transmissions: 1,
            applied: false,
            acked: None,
            bytes,
        });
        self.stats.frames_sent += 1;
        self.stats.op_bytes_sent += ops.iter().map(|o| o.encoded_len() as u64).sum::<u64>();
        let frame = &s.flight.back().expect("just pushed").bytes;
        self.stats.bytes_sent += frame.len() as u64;
        self.io.send(frame)?;
        Ok(())
    }

    /// Waits for one reply (or the oldest frame's timeout) and acts on it;
    /// returns whether a frame completed.
    fn step(&mut self) -> Result<bool> {
        let deadline = self.oldest_deadline();
        let recovery = self.session.as_ref().and_then(|s| s.recovery);
        let now = self.now();
        // A wait on the port is wall-clock time; on a slower clock the
        // loop simply comes round again before the deadline.
        let wait = deadline
            .into_iter()
            .chain(recovery)
            .min()
            .map_or(self.opts.inter_byte, |d| d.saturating_sub(now))
            .clamp(Duration::from_millis(1), Duration::from_millis(100));
        let reply = self.receive(wait)?;
        let before = self.completed.len();
        match reply {
            Some(Reply::Ack(ack)) => self.on_ack(ack.seq, ack.results)?,
            Some(Reply::Status(status)) => self.on_status(&status)?,
            None => {}
        }
        // The timers as the reply left them: a reply read late (the host
        // was descheduled while it waited in the port) that completes the
        // oldest frame must not also fire that frame's timer.
        let now = self.now();
        let recovery = self.session.as_ref().and_then(|s| s.recovery);
        if self.oldest_deadline().is_some_and(|d| now >= d) {
            self.on_timeout()?;
        } else if recovery.is_some_and(|r| now >= r) {
            self.on_recovery()?;
        }
        self.complete_front();
        Ok(self.completed.len() > before)
    }

    /// When the oldest incomplete frame's retransmission timer expires.
    fn oldest_deadline(&self) -> Option<Duration> {
        let s = self.session.as_ref()?;
        let oldest = s.flight.iter().find(|f| !f.complete())?;
        Some(oldest.last_tx.max(s.restarted) + s.rto)
    }

    /// The next frame from the board, waiting up to `wait` for bytes. A
    /// partial frame is abandoned after the inter-byte timeout.
    fn receive(&mut self, wait: Duration) -> Result<Option<Reply>> {
        if let Some(reply) = self.dec.next_frame() {
            return Ok(Some(reply));
        }
        let n = self.io.recv(&mut self.rx, wait)?;
        let now = self.now();
        if n > 0 {
            self.last_rx = now;
            self.stats.bytes_received += n as u64;
            self.dec.push(&self.rx[..n]);
            return Ok(self.dec.next_frame());
        }
        if now.saturating_sub(self.last_rx) >= self.opts.inter_byte {
            while self.dec.flush_partial() {
                if let Some(reply) = self.dec.next_frame() {
                    return Ok(Some(reply));
                }
            }
        }
        Ok(None)
    }

    fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.stats.bytes_sent += bytes.len() as u64;
        self.io.send(bytes)?;
        Ok(())
    }

    /// Resends the frame at `index` of the flight, whole. (A frame the
    /// board has applied could be fetched with a shorter frame of its SEQ,
    /// but its held ACK is as long as ever: the board-to-host line then
    /// carries more than the host sends, the ACK queue grows, replies come
    /// late and the timeouts fire again. In the co-simulation at a 10⁻⁴ bit
    /// error rate that made 8 times the timeouts of whole resends.)
    fn resend(&mut self, index: usize) -> Result<()> {
        let now = self.now();
        let s = self.session.as_mut().expect("a session");
        s.probe = None;
        let f = &mut s.flight[index];
        f.last_tx = now;
        f.transmissions += 1;
        self.stats.frames_retransmitted += 1;
        self.stats.bytes_sent += f.bytes.len() as u64;
        self.io.send(&f.bytes)?;
        Ok(())
    }

    fn on_ack(&mut self, seq: u8, results: Vec<OpResult>) -> Result<()> {
        self.stats.acks += 1;
        let now = self.now();
        let Some(s) = self.session.as_mut() else {
            return Ok(());
        };
        let base = s.flight.front().map_or(s.next_seq, |f| f.seq);
        let index = usize::from(seq.wrapping_sub(base));
        if index >= s.flight.len() {
            // A frame already complete: the board repeating its held ACK
            // (same results) or running the frame again (different ones).
            match &s.done[usize::from(seq)] {
                Some(first) if *first == results => self.stats.duplicate_acks += 1,
                Some(_) => self.stats.conflicting_acks += 1,
                None => {}
            }
            return Ok(());
        }
        let expected = s.flight[index].results;
        if expected != results.len() {
            let msg = format!(
                "the ACK of frame {seq} carries {} results; the frame has {expected} READ/SWAP ops",
                results.len(),
            );
            return Err(self.lose_session(Error::Protocol(msg)));
        }
        let f = &mut s.flight[index];
        let mut sample = None;
        match &f.acked {
            Some(first) if *first == results => self.stats.duplicate_acks += 1,
            Some(_) => self.stats.conflicting_acks += 1,
            None => {
                // Karn: only a frame sent once gives an unambiguous sample.
                sample = (f.transmissions == 1).then(|| now.saturating_sub(f.first_tx));
                f.acked = Some(results);
                s.restarted = now;
            }
        }
        f.applied = true;
        let last_tx = f.last_tx;
        if let Some(sample) = sample.or_else(|| s.probe.map(|p| now.saturating_sub(p))) {
            sample_rtt(s, sample, &self.opts);
        }
        s.probe = None;
        s.frontier = advance(s.frontier, base, seq.wrapping_add(1));
        s.stale = None;
        // Every frame before it was applied; fetch the ACKs that were lost.
        for i in 0..index {
            let f = &mut self.session.as_mut().expect("a session").flight[i];
            f.applied = true;
            if !f.complete() && f.last_tx <= last_tx {
                self.resend(i)?;
            }
        }
        Ok(())
    }

    fn on_status(&mut self, status: &Status) -> Result<()> {
        self.stats.statuses += 1;
        let now = self.now();
        let Some(s) = self.session.as_mut() else {
            return Ok(());
        };
        let base = s.flight.front().map_or(s.next_seq, |f| f.seq);
        let applied = usize::from(status.expected.wrapping_sub(base));
        let known = usize::from(s.frontier.wrapping_sub(base));
        let reset = status.mode == Mode::Compatible
            || applied > s.flight.len()
            || (known <= s.flight.len() && applied < known);
        if reset {
            self.stats.resets += 1;
            let lost_ops = s.flight.iter().filter(|f| !f.applied).map(|f| f.ops).sum();
            return Err(self.lose_session(Error::BoardReset { lost_ops }));
        }
        if let Some(p) = s.probe.take() {
            sample_rtt(s, now.saturating_sub(p), &self.opts);
        }
        s.frontier = status.expected;
        for f in s.flight.iter_mut().take(applied) {
            f.applied = true;
        }
        // Frames applied whose ACK was lost: fetch it again.
        let refetch: Vec<usize> = (0..applied).filter(|&i| !s.flight[i].complete()).collect();
        if applied < s.flight.len() {
            match &mut s.stale {
                Some((e, n)) if *e == status.expected && *n > 0 => {
                    *n -= 1;
                    let by = now + rto_base(s, &self.opts);
                    s.recovery.get_or_insert(by);
                    return Ok(());
                }
                _ => {}
            }
            s.recovery = None;
            // The STATUS answering this one came from a frame after the
            // lost one; the frames after that are still on their way.
            s.stale = Some((status.expected, s.flight.len().saturating_sub(applied + 2)));
            self.stats.go_backs += 1;
            for i in refetch.into_iter().chain(applied..s.flight.len()) {
                if !self.session.as_ref().expect("a session").flight[i].complete() {
                    self.resend(i)?;
                }
            }
        } else {
            for i in refetch {
                self.resend(i)?;
            }
        }
        Ok(())
    }

    fn on_timeout(&mut self) -> Result<()> {
        let Some(s) = self.session.as_mut() else {
            return Ok(());
        };
        self.stats.timeouts += 1;
        // Backoff, bounded by what the measured round trips make plausible:
        // on a line that corrupts most replies, a frame takes many tries, and
        // a timeout doubled to `max_rto` would leave too few of them before
        // `timeout`. (Until a round trip is measured, only `max_rto` bounds it.)
        let cap = match s.srtt {
            Some(_) => rto_base(s, &self.opts) * MAX_BACKOFF,
            None => self.opts.max_rto,
        };
        s.rto = (s.rto * 2).min(cap).min(self.opts.max_rto);
        s.stale = None;
        s.recovery = None;
        self.resend_incomplete()
    }

    /// A STATUS counted off as stale was not followed by progress within
    /// the (not backed-off) retransmission timeout: it was the answer to
    /// the resent frames, which the line lost again. Go back again, as for
    /// a STATUS, without doubling the timeout: the board is answering.
    ///
    /// Regression: the stale count assumes every frame after the lost one
    /// reached the board. On a line that loses most frames (a 10⁻³ bit
    /// error rate, frames of 127 bytes) the old frames' replies never came,
    /// the resent window's replies were counted off in their place, and the
    /// driver sat out timeouts doubling to `max_rto` until it gave up.
    fn on_recovery(&mut self) -> Result<()> {
        let Some(s) = self.session.as_mut() else {
            return Ok(());
        };
        self.stats.go_backs += 1;
        s.stale = None;
        s.recovery = None;
        self.resend_incomplete()
    }

    /// Resends every frame of the window not yet complete.
    fn resend_incomplete(&mut self) -> Result<()> {
        let n = self.session.as_ref().map_or(0, |s| s.flight.len());
        for i in 0..n {
            if !self.session.as_ref().expect("a session").flight[i].complete() {
                self.resend(i)?;
            }
        }
        Ok(())
    }

    /// Pops the complete frames at the front of the window.
    fn complete_front(&mut self) {
        let Some(s) = self.session.as_mut() else {
            return;
        };
        while s.flight.front().is_some_and(Flight::complete) {
            // Progress: the board answers; a backed-off timeout or a
            // pending recovery belonged to the frames before.
            s.rto = rto_base(s, &self.opts);
            s.recovery = None;
            let f = s.flight.pop_front().expect("checked");
            let results = f.acked.unwrap_or_default();
            s.done[usize::from(f.seq)] = Some(results.clone());
            self.stats.ops_completed += f.ops as u64;
            self.completed.push((f.ticket, results));
        }
    }

    /// Ends the session after `e` (the next call says HELLO again).
    fn lose_session(&mut self, e: Error) -> Error {
        self.session = None;
        e
    }
}

/// The frontier moved to `to` if that is ahead of where it was (both as
/// distances from the window's base).
fn advance(frontier: u8, base: u8, to: u8) -> u8 {
    if to.wrapping_sub(base) > frontier.wrapping_sub(base) {
        to
    } else {
        frontier
    }
}

/// The retransmission timeout of the measured round trips, without the
/// backoff of expired timers (before any measurement: the initial one).
fn rto_base(s: &Session, opts: &Options) -> Duration {
    match s.srtt {
        Some((srtt, var)) => {
            Duration::from_secs_f64(srtt + 4.0 * var).clamp(opts.min_rto, opts.max_rto)
        }
        None => opts.initial_rto,
    }
}

/// RFC 6298's smoothed round trip, and the timeout from it.
fn sample_rtt(s: &mut Session, sample: Duration, opts: &Options) {
    let r = sample.as_secs_f64();
    let (srtt, var) = match s.srtt {
        None => (r, r / 2.0),
        Some((srtt, var)) => (
            0.875 * srtt + 0.125 * r,
            0.75 * var + 0.25 * (srtt - r).abs(),
        ),
    };
    s.srtt = Some((srtt, var));
    s.rto = rto_base(s, opts);
}
