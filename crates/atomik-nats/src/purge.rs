//! How far the stream may be purged: below the older retained snapshot,
//! and never below what an active reader still needs.
//!
//! A reader is a consumer of the table's stream. It is *active* when the
//! server shows a sign of life (a bound push client, a waiting pull, a
//! delivery, an acknowledgement or its creation within the grace period)
//! or when the purging process saw its position move within the grace
//! period. The second test exists because the server keeps those signs
//! only in the memory of the consumer's current leader: after a consumer
//! leader change (a server killed or cut off) an active reader reports no
//! delivery, no acknowledgement and no waiting pull until its next
//! delivery, and looked silent; a purge then passed it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream::Stream};
use futures_util::StreamExt as _;

use crate::snapshot::SnapshotInfo;

/// Where each reader of the table's stream still needs messages from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reader {
    /// The first stream sequence it has not received.
    pub needs: u64,
    /// Whether it holds the purge (see the module documentation).
    pub active: bool,
}

/// Where this process last saw each reader, and since when it stood there.
#[derive(Debug, Default)]
pub struct ReaderPositions {
    seen: HashMap<String, (u64, Instant)>,
}

impl ReaderPositions {
    /// Records that `name` needs `needs` at `now`; whether its position
    /// moved within `grace`. A reader seen for the first time counts as
    /// having just moved: this process knows nothing older about it.
    pub fn moved_within(&mut self, name: &str, needs: u64, now: Instant, grace: Duration) -> bool {
        let e = self.seen.entry(name.to_owned()).or_insert((needs, now));
        if e.0 != needs {
            *e = (needs, now);
        }
        now.saturating_duration_since(e.1) < grace
    }

    /// Forgets readers that are no longer listed.
    fn keep(&mut self, listed: &[String]) {
        self.seen.retain(|name, _| listed.contains(name));
    }
}

/// One reader from its consumer's info, as of `now` (wall clock for the
/// server's times, `mono` for `positions`).
pub fn reader_of(
    c: &jetstream::consumer::Info,
    (now, mono): (time::OffsetDateTime, Instant),
    grace: Duration,
    positions: &mut ReaderPositions,
) -> Reader {
    let recent = |t: Option<time::OffsetDateTime>| t.is_some_and(|t| now - t < grace);
    let start = match c.config.deliver_policy {
        jetstream::consumer::DeliverPolicy::ByStartSequence { start_sequence } => start_sequence,
        _ => 1,
    };
    let taken = match c.config.ack_policy {
        jetstream::consumer::AckPolicy::None => c.delivered.stream_sequence,
        _ => c.ack_floor.stream_sequence,
    };
    let needs = (taken + 1).max(start);
    let signs = c.push_bound
        || c.num_waiting > 0
        || recent(c.delivered.last_active)
        || recent(c.ack_floor.last_active)
        || recent(Some(c.created));
    // Always record the position, so a later call knows when it last moved.
    let moved = positions.moved_within(&c.name, needs, mono, grace);
    Reader {
        needs,
        active: signs || moved,
    }
}

/// The stream's consumers and what each still needs. In a cluster the
/// listing leaves out a consumer whose leader does not answer in time, so
/// the list is checked against the stream's own consumer count: a short
/// list is an error (and no purge happens on it).
pub async fn readers(
    stream: &Stream,
    grace: Duration,
    positions: &mut ReaderPositions,
) -> anyhow::Result<Vec<Reader>> {
    let expected = stream.get_info().await?.state.consumer_count;
    let now = (time::OffsetDateTime::now_utc(), Instant::now());
    let mut out = Vec::new();
    let mut names = Vec::new();
    let mut list = stream.consumers();
    while let Some(c) = list.next().await {
        let c = c?;
        out.push(reader_of(&c, now, grace, positions));
        names.push(c.name);
    }
    anyhow::ensure!(
        out.len() >= expected,
        "listed {} of the stream's {expected} consumers; not purging on a partial list",
        out.len()
    );
    positions.keep(&names);
    Ok(out)
}

/// The highest sequence that may be purged (everything up to and
/// including it): the lower of the two retained snapshots' sequences (so
/// either can still be continued from), lowered to just below what every
/// active reader still needs. `None` while fewer than two snapshots exist.
pub fn purge_floor(snapshots: &[SnapshotInfo], readers: &[Reader]) -> Option<u64> {
    let [a, b] = snapshots else {
        return None;
    };
    let older = if a.stream_seq <= b.stream_seq { a } else { b };
    let reader_floor = readers
        .iter()
        .filter(|r| r.active)
        .map(|r| r.needs.saturating_sub(1))
        .min()
        .unwrap_or(u64::MAX);
    Some(older.stream_seq.min(reader_floor))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(n: u64, stream_seq: u64) -> SnapshotInfo {
        SnapshotInfo {
            slot: if n % 2 == 0 { "slot-0" } else { "slot-1" },
            n,
            stream_seq,
            size: 1,
            modified: None,
        }
    }

    /// A durable pull consumer's info as a consumer leader that just took
    /// over reports it (nats-server 2.9): no `last_active` anywhere, no
    /// waiting pull, created long ago.
    fn after_leader_change(ack_floor: u64) -> jetstream::consumer::Info {
        let info = serde_json::json!({
            "stream_name": "ATOMIK_t0",
            "name": "atomik-audit",
            "created": "2026-01-01T00:00:00Z",
            "config": {
                "durable_name": "atomik-audit",
                "deliver_policy": "all",
                "ack_policy": "explicit",
                "replay_policy": "instant",
            },
            "delivered": {"consumer_seq": ack_floor + 5, "stream_seq": ack_floor + 5},
            "ack_floor": {"consumer_seq": ack_floor, "stream_seq": ack_floor},
            "num_ack_pending": 5,
            "num_redelivered": 0,
            "num_waiting": 0,
            "num_pending": 1000,
        });
        serde_json::from_value(info).expect("consumer info")
    }

    /// Regression (purge passed a reader after a consumer leader change):
    /// the audit of `atomik cluster` missed stream messages that a node had
    /// purged while the audit's consumer had just changed leader and so
    /// reported no sign of life. A reader whose position moved within the
    /// grace period, as the purging process saw it, holds the purge.
    #[test]
    fn regression_a_reader_after_a_consumer_leader_change_still_holds_the_purge() {
        let grace = Duration::from_secs(60);
        let wall = time::OffsetDateTime::now_utc();
        let t0 = Instant::now();
        let mut seen = ReaderPositions::default();
        let s = [snap(3, 100), snap(4, 180)];
        // First sight: this process knows nothing older, so it holds.
        let r = reader_of(&after_leader_change(40), (wall, t0), grace, &mut seen);
        assert_eq!(
            r,
            Reader {
                needs: 41,
                active: true
            }
        );
        assert_eq!(purge_floor(&s, &[r]), Some(40));
        // It moved 30 s later: still active.
        let t1 = t0 + Duration::from_secs(30);
        let r = reader_of(&after_leader_change(70), (wall, t1), grace, &mut seen);
        assert_eq!(purge_floor(&s, &[r]), Some(70));
        // Still within the grace of its last move.
        let t2 = t1 + Duration::from_secs(59);
        let r = reader_of(&after_leader_change(70), (wall, t2), grace, &mut seen);
        assert!(r.active);
        // Silent (no server sign, no move) for the whole grace: released.
        let t3 = t1 + Duration::from_secs(61);
        let r = reader_of(&after_leader_change(70), (wall, t3), grace, &mut seen);
        assert!(!r.active);
        assert_eq!(purge_floor(&s, &[r]), Some(100));
    }

    #[test]
    fn a_recent_delivery_counts_without_a_move() {
        let grace = Duration::from_secs(60);
        let wall = time::OffsetDateTime::now_utc();
        let t0 = Instant::now();
        let mut seen = ReaderPositions::default();
        let mut c = after_leader_change(10);
        reader_of(&c, (wall, t0), grace, &mut seen);
        c.delivered.last_active = Some(wall - Duration::from_secs(5));
        let later = t0 + Duration::from_secs(600);
        assert!(reader_of(&c, (wall, later), grace, &mut seen).active);
    }

    /// Regression: racing uploads can give the snapshot covering less of
    /// the stream the higher number; the purge must still stop below it
    /// (a purge by number removed the tail a bootstrapping node needed).
    #[test]
    fn the_purge_goes_by_sequence_not_by_upload_number() {
        let s = [snap(6, 100), snap(5, 180)];
        assert_eq!(purge_floor(&s, &[]), Some(100));
    }

    #[test]
    fn nothing_is_purged_before_two_snapshots_exist() {
        assert_eq!(purge_floor(&[], &[]), None);
        assert_eq!(purge_floor(&[snap(1, 50)], &[]), None);
    }

    #[test]
    fn the_purge_stops_below_the_older_snapshot_and_every_active_reader() {
        let s = [snap(3, 100), snap(4, 180)];
        assert_eq!(purge_floor(&s, &[]), Some(100));
        let slow = Reader {
            needs: 61,
            active: true,
        };
        let gone = Reader {
            needs: 2,
            active: false,
        };
        assert_eq!(purge_floor(&s, &[slow, gone]), Some(60));
        let caught_up = Reader {
            needs: 181,
            active: true,
        };
        assert_eq!(purge_floor(&s, &[caught_up, gone]), Some(100));
    }
}
