//! The persister: one task per node that writes checkpoints and uploads
//! snapshots, off the node's own task.
//!
//! A job carries the state to save and a future that resolves once
//! JetStream acknowledged every own update that state holds; the file is
//! written only after that, so a checkpoint never holds an update the
//! stream lacks. Writing and fsyncing happen on a blocking thread. A
//! periodic job then considers a snapshot upload and a purge (see
//! [`crate::snapshot`]). Failures are recorded for the node's status and,
//! for an explicit checkpoint, returned to the caller; the node keeps
//! running, because its updates are durable in the stream, not in the file.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::stream::Stream;
use tokio::sync::{mpsc, oneshot};

use super::Gate;
use crate::checkpoint::Checkpoint;
use crate::config::Retention;
use crate::snapshot::{SnapshotStore, purge_floor, readers};

/// Resolves once the job's own updates are acknowledged.
pub(super) type Acked = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;

/// One checkpoint to write.
pub(super) struct Job {
    pub(super) data: Arc<Checkpoint>,
    pub(super) acked: Acked,
    pub(super) reply: Option<oneshot::Sender<anyhow::Result<()>>>,
}

/// What the persister has done, for the node's status.
#[derive(Clone, Debug, Default)]
pub(super) struct Record {
    pub(super) checkpoint_seq: Option<u64>,
    pub(super) checkpoint_error: Option<String>,
    pub(super) snapshots: u64,
    pub(super) purged_below: u64,
    pub(super) snapshot_error: Option<String>,
}

/// Handle to the persister task.
#[derive(Debug)]
pub(super) struct Persister {
    tx: mpsc::UnboundedSender<Job>,
    busy: Arc<AtomicBool>,
    record: Arc<Mutex<Record>>,
}

/// The snapshot store, locked by the one snapshot step that may run at a time.
type Store = Arc<tokio::sync::Mutex<SnapshotStore>>;

/// Longest a snapshot step (upload, purge, sweep) may take before it is
/// abandoned; the next one starts afresh.
const STEP_LIMIT: Duration = Duration::from_secs(60);

/// Everything the task needs.
struct Ctx {
    path: PathBuf,
    gate: Gate,
    stream: Stream,
    retention: Option<(Retention, Store)>,
    busy: Arc<AtomicBool>,
    record: Arc<Mutex<Record>>,
}

/// Writes `c` to `path` unless the gate is closed.
pub(super) fn write_gated(gate: &Gate, c: &Checkpoint, path: &Path) -> anyhow::Result<()> {
    let open = gate
        .lock()
        .map_err(|_| anyhow::anyhow!("checkpoint lock poisoned"))?;
    anyhow::ensure!(*open, "node stopped; checkpoint not written");
    c.save(path)?;
    Ok(())
}

impl Persister {
    /// Starts the task; `written` is the stream sequence of the checkpoint already on disk.
    pub(super) fn spawn(
        (path, gate, stream): (PathBuf, Gate, Stream),
        retention: Option<(Retention, SnapshotStore)>,
        written: u64,
    ) -> Persister {
        let (tx, rx) = mpsc::unbounded_channel();
        let busy = Arc::new(AtomicBool::new(false));
        let record = Arc::new(Mutex::new(Record {
            checkpoint_seq: Some(written),
            ..Record::default()
        }));
        let ctx = Ctx {
            path,
            gate,
            stream,
            retention: retention.map(|(p, s)| (p, Arc::new(tokio::sync::Mutex::new(s)))),
            busy: busy.clone(),
            record: record.clone(),
        };
        tokio::spawn(run(ctx, rx));
        Persister { tx, busy, record }
    }

    /// Queues a periodic checkpoint unless the previous one is still running.
    pub(super) fn periodic(&self, make: impl FnOnce() -> Job) {
        if !self.busy.swap(true, Ordering::AcqRel) {
            let _ = self.tx.send(make());
        }
    }

    /// Queues an explicit checkpoint (its reply says how it went).
    pub(super) fn explicit(&self, job: Job) {
        if let Err(e) = self.tx.send(job) {
            if let Some(r) = e.0.reply {
                let _ = r.send(Err(anyhow::anyhow!("the checkpoint task stopped")));
            }
        }
    }

    /// What the persister has done.
    pub(super) fn record(&self) -> Record {
        self.record.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

fn note(record: &Mutex<Record>, f: impl FnOnce(&mut Record)) {
    if let Ok(mut r) = record.lock() {
        f(&mut r);
    }
}

impl Ctx {
    /// Waits for the acknowledgements, then writes on a blocking thread.
    async fn write(&self, job: Job) -> anyhow::Result<()> {
        job.acked.await?;
        let (gate, path, data) = (self.gate.clone(), self.path.clone(), job.data);
        tokio::task::spawn_blocking(move || write_gated(&gate, &data, &path))
            .await
            .context("checkpoint writer panicked")?
    }
}

async fn run(ctx: Ctx, mut rx: mpsc::UnboundedReceiver<Job>) {
    while let Some(mut job) = rx.recv().await {
        let reply = job.reply.take();
        let periodic = reply.is_none();
        let data = job.data.clone();
        let r = ctx.write(job).await;
        note(&ctx.record, |rec| match &r {
            Ok(()) => {
                rec.checkpoint_seq = Some(data.stream_seq);
                rec.checkpoint_error = None;
            }
            Err(e) => rec.checkpoint_error = Some(format!("{e:#}")),
        });
        if let Some(reply) = reply {
            let _ = reply.send(r);
        }
        if periodic {
            // The snapshot is a network upload: a broken local disk does
            // not stop it, and it runs beside the checkpoints, not before them.
            retain(&ctx, data);
            ctx.busy.store(false, Ordering::Release);
        }
    }
}

/// Starts a snapshot step unless one is still running; it records its outcome.
fn retain(ctx: &Ctx, data: Arc<Checkpoint>) {
    let Some((policy, store)) = &ctx.retention else {
        return;
    };
    let Ok(mut store) = store.clone().try_lock_owned() else {
        return;
    };
    let (policy, stream, record) = (policy.clone(), ctx.stream.clone(), ctx.record.clone());
    tokio::spawn(async move {
        let step = retain_once(&stream, &policy, &mut store, &data);
        let r = tokio::time::timeout(STEP_LIMIT, step)
            .await
            .unwrap_or_else(|_| {
                Err(anyhow::anyhow!(
                    "the snapshot step took over {STEP_LIMIT:?}; abandoned"
                ))
            });
        note(&record, |rec| match r {
            Ok(Some(below)) => {
                rec.snapshots += 1;
                rec.purged_below = rec.purged_below.max(below);
                rec.snapshot_error = None;
            }
            Ok(None) => {}
            Err(e) => rec.snapshot_error = Some(format!("{e:#}")),
        });
    });
}

/// One snapshot decision; `Some(first kept sequence)` after an upload.
async fn retain_once(
    stream: &Stream,
    policy: &Retention,
    store: &mut SnapshotStore,
    data: &Checkpoint,
) -> anyhow::Result<Option<u64>> {
    let info = stream
        .get_info()
        .await
        .context("reading the stream's state")?;
    let list = store.list().await?;
    let newest = list.last();
    if newest.is_some_and(|s| s.stream_seq >= data.stream_seq) || data.stream_seq == 0 {
        return Ok(None);
    }
    let since = newest
        .and_then(|s| s.modified)
        .unwrap_or(info.state.first_timestamp);
    let age = Duration::try_from(time::OffsetDateTime::now_utc() - since).unwrap_or_default();
    if info.state.bytes < policy.snapshot_bytes && age < policy.snapshot_age {
        return Ok(None);
    }
    store.upload(data).await?;
    let mut below = info.state.first_sequence;
    if policy.purge {
        let list = store.list().await?;
        let readers = readers(stream, policy.reader_grace).await?;
        if let Some(floor) = purge_floor(&list, &readers) {
            if floor + 1 > below {
                stream
                    .purge()
                    .sequence(floor + 1)
                    .await
                    .with_context(|| format!("purging the stream below {}", floor + 1))?;
                below = floor + 1;
            }
        }
        store
            .sweep(policy.orphan_age)
            .await
            .context("removing orphaned snapshot chunks")?;
    }
    Ok(Some(below))
}
