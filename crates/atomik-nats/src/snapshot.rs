//! Table snapshots in a JetStream object store, and the stream purge they allow.
//!
//! A snapshot is a checkpoint (the bytes of [`Checkpoint::encode`]:
//! replica state, every sender's receive window, pending frames, the
//! stream sequence it covers) uploaded to the object store
//! `atomik-<table>-snapshots`. The store keeps two slots, `slot-0` and
//! `slot-1`; an upload overwrites the older one, so the store always holds
//! the newest snapshot and the one before it. Each object's metadata
//! carries its number `n` (one above the newest when uploaded) and its
//! `stream_seq`; the checksummed body repeats the sequence, and a mismatch
//! refuses the object.
//!
//! Rules (the reasons are in docs/distributed.md):
//! * a node uploads a state only once JetStream acknowledged every own
//!   update it holds;
//! * the stream is purged below the *older* retained snapshot, never below
//!   the position of a stream consumer that received a message within the
//!   grace period;
//! * a node that needs a position the stream no longer holds rebuilds from
//!   the newest snapshot plus the stream after it.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_nats::jetstream::{self, object_store, stream::Stream};
use futures_util::StreamExt as _;
use tokio::io::AsyncReadExt as _;

use crate::checkpoint::Checkpoint;
use crate::stream::{bucket_name, retry_unavailable};

const SLOTS: [&str; 2] = ["slot-0", "slot-1"];

/// One stored snapshot, as its metadata describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// The object name (`slot-0` or `slot-1`).
    pub slot: &'static str,
    /// Its number: one above the newest snapshot when it was uploaded.
    pub n: u64,
    /// The stream sequence it covers.
    pub stream_seq: u64,
    /// Its size in bytes.
    pub size: usize,
    /// When it was uploaded (the uploader's clock).
    pub modified: Option<time::OffsetDateTime>,
}

/// The table's snapshot store.
pub struct SnapshotStore {
    js: jetstream::Context,
    store: object_store::ObjectStore,
    /// Chunk subjects that belonged to no object, and when a sweep first saw them so.
    orphans: HashMap<String, Instant>,
    bucket: String,
}

impl std::fmt::Debug for SnapshotStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SnapshotStore({})", self.bucket)
    }
}

fn meta_u64(i: &object_store::ObjectInfo, key: &str) -> Option<u64> {
    i.metadata.get(key).and_then(|v| v.parse().ok())
}

impl SnapshotStore {
    /// Opens the table's store, creating it (with `replicas` copies) if needed.
    pub async fn open(
        js: &jetstream::Context,
        table: &str,
        replicas: usize,
    ) -> anyhow::Result<Self> {
        if let Some(s) = Self::existing(js, table).await? {
            return Ok(s);
        }
        let bucket = bucket_name(table);
        let cfg = object_store::Config {
            bucket: bucket.clone(),
            description: Some(format!("atomik snapshots of table {table}")),
            storage: jetstream::stream::StorageType::File,
            num_replicas: replicas,
            ..Default::default()
        };
        let what = format!("creating object store {bucket}");
        let store = retry_unavailable(&what, || js.create_object_store(cfg.clone())).await?;
        Ok(Self::with(js, store, bucket))
    }

    /// Opens the table's store if it exists.
    pub async fn existing(js: &jetstream::Context, table: &str) -> anyhow::Result<Option<Self>> {
        use jetstream::{ErrorCode, context::GetStreamErrorKind};
        let bucket = bucket_name(table);
        let what = format!("opening object store {bucket}");
        let found = retry_unavailable(&what, || async {
            match js.get_stream(format!("OBJ_{bucket}")).await {
                Ok(_) => Ok(true),
                Err(e) => match e.kind() {
                    GetStreamErrorKind::JetStream(j)
                        if j.error_code() == ErrorCode::STREAM_NOT_FOUND =>
                    {
                        Ok(false)
                    }
                    _ => Err(e),
                },
            }
        })
        .await?;
        if !found {
            return Ok(None);
        }
        let store = js
            .get_object_store(&bucket)
            .await
            .with_context(|| what.clone())?;
        Ok(Some(Self::with(js, store, bucket)))
    }

    fn with(js: &jetstream::Context, store: object_store::ObjectStore, bucket: String) -> Self {
        SnapshotStore {
            js: js.clone(),
            store,
            orphans: HashMap::new(),
            bucket,
        }
    }

    /// The retained snapshots, the one covering the least of the stream
    /// first (none, one or two). Uploads race, so the order of their
    /// numbers need not be the order of their sequences; every rule here
    /// goes by the sequence.
    pub async fn list(&self) -> anyhow::Result<Vec<SnapshotInfo>> {
        let mut out = Vec::new();
        for slot in SLOTS {
            match self.store.info(slot).await {
                Ok(i) if !i.deleted => {
                    let (Some(n), Some(stream_seq)) =
                        (meta_u64(&i, "n"), meta_u64(&i, "stream_seq"))
                    else {
                        continue;
                    };
                    out.push(SnapshotInfo {
                        slot,
                        n,
                        stream_seq,
                        size: i.size,
                        modified: i.modified,
                    });
                }
                Ok(_) => {}
                Err(e) if e.kind() == object_store::InfoErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("reading {} in {}", slot, self.bucket));
                }
            }
        }
        out.sort_by_key(|s| (s.stream_seq, s.n));
        Ok(out)
    }

    /// Downloads and checks one snapshot.
    pub async fn fetch(&self, info: &SnapshotInfo) -> anyhow::Result<Checkpoint> {
        let what = || format!("snapshot {} in {}", info.slot, self.bucket);
        let mut obj = self.store.get(info.slot).await.with_context(what)?;
        let mut bytes = Vec::with_capacity(info.size);
        obj.read_to_end(&mut bytes).await.with_context(what)?;
        let c = Checkpoint::decode(&bytes)
            .map_err(|why| anyhow::anyhow!("{} is corrupt: {why}", what()))?;
        anyhow::ensure!(
            c.stream_seq == info.stream_seq,
            "{} says it covers stream sequence {} but holds {}",
            what(),
            info.stream_seq,
            c.stream_seq
        );
        Ok(c)
    }

    /// The snapshot covering the most of the stream that downloads, checks,
    /// and can be continued from a stream whose first sequence is `first`.
    pub async fn newest(&self, first: u64) -> anyhow::Result<Option<Checkpoint>> {
        let mut last_err = None;
        for info in self.list().await?.iter().rev() {
            if info.stream_seq + 1 < first {
                last_err = Some(anyhow::anyhow!(
                    "snapshot {} covers the stream up to {}, but it starts at {first}",
                    info.slot,
                    info.stream_seq
                ));
                continue;
            }
            match self.fetch(info).await {
                Ok(c) => return Ok(Some(c)),
                Err(e) => last_err = Some(e),
            }
        }
        match last_err {
            Some(e) => Err(e.context("no snapshot in the store can be used")),
            None => Ok(None),
        }
    }

    /// Uploads `c` over the slot covering less of the stream; returns its number.
    pub async fn upload(&self, c: &Checkpoint) -> anyhow::Result<u64> {
        let list = self.list().await?;
        let n = list.iter().map(|s| s.n).max().map_or(1, |m| m + 1);
        let slot = match list.as_slice() {
            [older, _] => older.slot,
            [only] => SLOTS
                .iter()
                .copied()
                .find(|s| *s != only.slot)
                .unwrap_or(SLOTS[0]),
            _ => SLOTS[0],
        };
        let mut meta = object_store::ObjectMetadata::from(slot);
        meta.metadata.insert("n".into(), n.to_string());
        meta.metadata
            .insert("stream_seq".into(), c.stream_seq.to_string());
        let bytes = c.encode();
        self.store
            .put(meta, &mut bytes.as_slice())
            .await
            .with_context(|| format!("uploading snapshot {slot} to {}", self.bucket))?;
        Ok(n)
    }

    /// Removes chunks that belong to no object (an upload that died
    /// half-way leaves them). A chunk subject is removed only once sweeps
    /// have seen it belong to no object for `age`, so an upload still
    /// under way elsewhere is never cut short.
    pub async fn sweep(&mut self, age: Duration) -> anyhow::Result<u64> {
        let mut live = HashSet::new();
        for slot in SLOTS {
            if let Ok(i) = self.store.info(slot).await {
                live.insert(format!("$O.{}.C.{}", self.bucket, i.nuid));
            }
        }
        let s = self.stream().await?;
        let mut subjects = s
            .info_with_subjects(format!("$O.{}.C.>", self.bucket))
            .await?;
        let mut now = HashMap::new();
        while let Some(r) = subjects.next().await {
            let (subject, _) = r?;
            if !live.contains(&subject) {
                let seen = self
                    .orphans
                    .get(&subject)
                    .copied()
                    .unwrap_or_else(Instant::now);
                now.insert(subject, seen);
            }
        }
        let mut removed = 0;
        for (subject, _) in now.iter().filter(|(_, seen)| seen.elapsed() >= age) {
            removed += s.purge().filter(subject).await?.purged;
        }
        now.retain(|_, seen| seen.elapsed() < age);
        self.orphans = now;
        Ok(removed)
    }

    /// The store's own stream (for its size).
    pub async fn stream(&self) -> anyhow::Result<Stream> {
        let name = format!("OBJ_{}", self.bucket);
        retry_unavailable(&format!("opening stream {name}"), || {
            self.js.get_stream(&name)
        })
        .await
    }
}

/// Where each reader of the table's stream still needs messages from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reader {
    /// The first stream sequence it has not received.
    pub needs: u64,
    /// Whether it counts: received a message (or was created) within the grace period.
    pub active: bool,
}

/// The stream's consumers and what each still needs. In a cluster the
/// listing leaves out a consumer whose leader does not answer in time, so
/// the list is checked against the stream's own consumer count: a short
/// list is an error (and no purge happens on it).
pub async fn readers(stream: &Stream, grace: Duration) -> anyhow::Result<Vec<Reader>> {
    let now = time::OffsetDateTime::now_utc();
    let recent = |t: Option<time::OffsetDateTime>| t.is_some_and(|t| now - t < grace);
    let expected = stream.get_info().await?.state.consumer_count;
    let mut out = Vec::new();
    let mut list = stream.consumers();
    while let Some(c) = list.next().await {
        let c = c?;
        let start = match c.config.deliver_policy {
            jetstream::consumer::DeliverPolicy::ByStartSequence { start_sequence } => {
                start_sequence
            }
            _ => 1,
        };
        let taken = match c.config.ack_policy {
            jetstream::consumer::AckPolicy::None => c.delivered.stream_sequence,
            _ => c.ack_floor.stream_sequence,
        };
        let active = c.push_bound
            || c.num_waiting > 0
            || recent(c.delivered.last_active)
            || recent(c.ack_floor.last_active)
            || recent(Some(c.created));
        out.push(Reader {
            needs: (taken + 1).max(start),
            active,
        });
    }
    anyhow::ensure!(
        out.len() >= expected,
        "listed {} of the stream's {expected} consumers; not purging on a partial list",
        out.len()
    );
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
            slot: SLOTS[(n % 2) as usize],
            n,
            stream_seq,
            size: 1,
            modified: None,
        }
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
