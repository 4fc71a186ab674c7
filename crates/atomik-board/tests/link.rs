//! The driver's go-back-N against the board's rules (the model in
//! common/), over lines that flip bits and drop bytes: every op runs
//! exactly once and every result reaches the op that asked for it.

mod common;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use atomik::{Opcode, Table};
use atomik_board::{BoardTable, Clock, Error, Op, Options, Transport};
use common::ModelLine;
use proptest::prelude::*;

fn fast() -> Options {
    Options {
        timeout: Duration::from_secs(20),
        initial_rto: Duration::from_millis(5),
        min_rto: Duration::from_millis(2),
        max_rto: Duration::from_millis(40),
        inter_byte: Duration::from_millis(1),
        ..Options::default()
    }
}

fn ops(seed: u64, n: usize) -> Vec<Op> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n)
        .map(|_| {
            let code = Opcode::from_bits(rng.u8(0..5)).unwrap();
            // A few hot contexts, so that ops depend on each other.
            Op::new(code, rng.u8(0..8), rng.u64(..))
        })
        .collect()
}

/// Runs `ops` through the driver in batches and checks every result and
/// the final table against the core `Table` applying each op once.
fn check(line: ModelLine, ops: &[Op], batch: usize) -> ModelLine {
    let mut t = BoardTable::over(line, fast()).expect("HELLO");
    let mut oracle = Table::<u64>::new(256).unwrap();
    for chunk in ops.chunks(batch) {
        let got = t.execute(chunk).expect("batch");
        let want: Vec<_> = chunk
            .iter()
            .filter_map(|op| oracle.execute(op.code, op.addr.into(), op.data).unwrap())
            .collect();
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.value, w.value);
        }
    }
    let stats = t.stats();
    assert_eq!(stats.conflicting_acks, 0);
    let mut link = t;
    let line = std::mem::replace(link.link_mut().transport_mut(), ModelLine::new(0, 0.0, 0.0));
    assert_eq!(line.board.table, oracle, "final state");
    assert_eq!(
        line.board.ops_run,
        ops.len() as u64,
        "every op ran exactly once"
    );
    line
}

#[test]
fn a_clean_line_runs_every_op_once_in_order() {
    let line = check(ModelLine::new(1, 0.0, 0.0), &ops(1, 3000), 500);
    assert_eq!(line.board.ops_run, 3000);
}

#[test]
fn single_ops_and_read_clean() {
    let mut t = BoardTable::over(ModelLine::new(2, 0.0, 0.0), fast()).unwrap();
    t.load(3, 0xDEAD_BEEF_CAFE_BABE).unwrap();
    assert!(t.is_clean(3).unwrap());
    t.accum(3, 0xFF).unwrap();
    let r = t.read_clean(3).unwrap();
    assert_eq!((r.value, r.clean), (0xDEAD_BEEF_CAFE_BA41, false));
    assert_eq!(t.swap(3, 7).unwrap(), 0xDEAD_BEEF_CAFE_BA41);
    t.accum(3, 1).unwrap();
    assert_eq!(t.swap_keep(3).unwrap(), 6);
    assert_eq!(t.read(3).unwrap(), 6);
    assert!(matches!(
        t.load(256, 0),
        Err(Error::AddrOutOfRange { addr: 256 })
    ));
    t.accum_many(&[(1, 1), (2, 2), (1, 4)]).unwrap();
    let all = t.read_all().unwrap();
    assert_eq!((all[1], all[2], all[3]), (5, 2, 6));
    let status = t.close().unwrap();
    assert_eq!(status.mode, atomik_board::Mode::Compatible);
}

/// After a reset the board is in compatible mode: the next frame gets a
/// STATUS with MODE 0, the driver reports the ops in flight lost, and the
/// call after that works on the cleared table.
#[test]
fn a_board_reset_is_reported_and_the_next_call_recovers() {
    let mut line = ModelLine::new(3, 0.0, 0.0);
    line.reset_after_sends = Some(5);
    let mut t = BoardTable::over(line, fast()).unwrap();
    t.load(1, 42).unwrap();
    t.load(2, 43).unwrap();
    let err = t.execute(&ops(3, 200)).unwrap_err();
    assert!(matches!(err, Error::BoardReset { .. }), "{err}");
    assert_eq!(t.read(1).unwrap(), 0, "the reset cleared the table");
    t.load(1, 5).unwrap();
    assert_eq!(t.read(1).unwrap(), 5);
    assert_eq!(t.stats().resets, 1);
}

/// Regression: after a go-back, the STATUS replies of the frames already on
/// their way must not each trigger another resend of the whole window.
#[test]
fn one_lost_frame_costs_one_resend_of_the_window() {
    let mut line = ModelLine::new(4, 0.0, 0.0);
    // Drop the second OPS frame whole (sends: HELLO, HELLO, frame 0, frame 1).
    line.drop_sends = vec![4];
    let mut t = BoardTable::over(line, fast()).unwrap();
    let ops: Vec<Op> = (0..16 * 8)
        .map(|i| Op::accum((i % 200) as u8, i as u64))
        .collect();
    t.execute(&ops).unwrap();
    let s = t.stats();
    assert_eq!(s.go_backs, 1, "{s:?}");
    assert_eq!(s.frames_retransmitted, 7, "{s:?}");
}

/// Regression (the co-simulation at a 10⁻³ bit error rate stalled): a go-back
/// expects STATUS replies from the frames after the lost one that were
/// already on their way, and counts them off. When the line lost those too,
/// the resent frames' STATUS replies were counted off in their place, and
/// with no round trip measured (every frame had been resent) the driver sat
/// out a retransmission timeout doubling to `max_rto` while the board was
/// answering. Now the first reply to a burst sent with nothing in flight is
/// a round trip, and a STATUS counted off as stale resends the window after
/// the measured timeout if nothing completes.
#[test]
fn statuses_counted_off_as_stale_after_a_go_back_do_not_stall_the_link() {
    let mut line = ModelLine::new(5, 0.0, 0.0);
    // Sends: HELLO, HELLO, frames 0..7 (3..10): frames 0..3 lost, so the
    // board answers 4..7 with STATUS(0). The go-back resends 0..7 (11..18):
    // 0..5 lost again, and the two fresh STATUS(0) replies are counted off
    // as stale with the three old ones.
    line.drop_sends = (3..=6).chain(11..=16).collect();
    let opts = Options {
        // Longer than `timeout`: waiting it out is the stall.
        initial_rto: Duration::from_secs(30),
        max_rto: Duration::from_secs(30),
        timeout: Duration::from_secs(5),
        ..fast()
    };
    let mut t = BoardTable::over(line, opts).unwrap();
    let ops: Vec<Op> = (0..16 * 8)
        .map(|i| Op::accum((i % 200) as u8, i as u64))
        .collect();
    t.execute(&ops).expect("no stall");
    let s = t.stats();
    // Two recoveries: the first go-back, then a second one (a go-back or a
    // timeout of the measured round trip, whichever comes first).
    assert!(s.go_backs >= 1 && s.go_backs + s.timeouts >= 2, "{s:?}");
    let line = t.link_mut().transport_mut();
    assert_eq!(line.board.ops_run, ops.len() as u64, "every op once");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Bit errors and lost bytes in both directions, at rates up to one
    /// frame in three lost: every op once, every result right.
    #[test]
    fn a_lossy_line_never_loses_or_repeats_an_op(seed in any::<u64>(),
                                                 ber in 0.0f64..4e-4,
                                                 drop in 0.0f64..1e-3,
                                                 batch in 16usize..300) {
        check(ModelLine::new(seed, ber, drop), &ops(seed, 800), batch);
    }
}

/// A clock the test moves by hand.
#[derive(Debug, Default)]
struct HandClock(AtomicU64);

impl Clock for HandClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::Relaxed))
    }
}

/// The model line; every frame written moves the clock 1 s on, as if
/// the host were descheduled right after each write while the replies
/// waited in the port.
struct SlowHost {
    line: ModelLine,
    clock: Arc<HandClock>,
}

impl Transport for SlowHost {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.line.send(bytes)?;
        self.clock.0.fetch_add(1_000_000_000, Ordering::Relaxed);
        Ok(())
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        self.line.recv(buf, timeout)
    }

    fn discard_input(&mut self) -> io::Result<()> {
        self.line.discard_input()
    }
}

/// Regression: the driver checked the oldest frame's timer against the
/// deadline it computed before reading the reply. A reply read after that
/// deadline (the host descheduled while it waited in the port) completed
/// the frame and still fired its timer: a spurious timeout that resent the
/// rest of the window.
#[test]
fn a_reply_read_late_does_not_fire_the_timer_of_the_frame_it_completes() {
    let clock = Arc::new(HandClock::default());
    let opts = Options {
        timeout: Duration::from_secs(60),
        clock: clock.clone(),
        ..Options::default()
    };
    let io = SlowHost {
        line: ModelLine::new(1, 0.0, 0.0),
        clock,
    };
    let mut t = BoardTable::over(io, opts).expect("HELLO");
    let calls = ops(11, 64);
    t.execute(&calls).expect("the ops");
    let s = t.stats();
    assert_eq!(s.frames_sent, 4);
    assert_eq!(s.timeouts, 0, "{s:?}");
    assert_eq!(s.frames_retransmitted, 0, "{s:?}");
}
