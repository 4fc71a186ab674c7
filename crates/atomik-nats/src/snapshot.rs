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
            // A cluster electing a leader answers 503 for a while; that is
            // no reason to fail a snapshot step, a bootstrap or a report.
            let what = format!("reading {} in {}", slot, self.bucket);
            let info = retry_unavailable(&what, || async {
                match self.store.info(slot).await {
                    Err(e) if e.kind() == object_store::InfoErrorKind::NotFound => Ok(None),
                    r => r.map(Some),
                }
            })
            .await?;
            match info {
                Some(i) if !i.deleted => {
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
                _ => {}
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
