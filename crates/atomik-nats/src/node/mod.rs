//! A replication node: one table's [`Replica`](atomik::Replica) kept in
//! step with its JetStream stream.
//!
//! [`Node::start`] recovers the table (checkpoint, or snapshot, or the
//! whole stream), catches up to the stream's end, records a new
//! incarnation on disk and then serves requests from one task. Local
//! operations change the replica at once and queue their frames for the
//! publisher; they never wait for the network. The stream reader delivers
//! every node's frames in stream order and each goes through
//! `Replica::apply`, which applies every `(sender, seq)` at most once.
//!
//! Durability: an operation's `Ok` means applied locally and queued.
//! [`Node::sync`] returning means JetStream acknowledged every earlier
//! operation of this node (it is in the stream) and the node applied the
//! stream up to where it ended when the acknowledgement came.

mod persist;
mod start;
mod task;

use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use tokio::sync::{mpsc, oneshot, watch};

use crate::config::NodeConfig;
use crate::state::{Op, OpDone};
use crate::stream::W;

/// How the node obtained its starting state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// No checkpoint and no snapshot: replayed the stream from its start.
    Fresh,
    /// Restored its own checkpoint, then the stream after it.
    Checkpoint {
        /// The checkpoint's stream sequence.
        stream_seq: u64,
    },
    /// Restored the table's newest snapshot, then the stream after it.
    Snapshot {
        /// The snapshot's stream sequence.
        stream_seq: u64,
    },
}

/// The node's counters and health.
#[derive(Clone, Debug)]
pub struct Status {
    /// Node id.
    pub node_id: u16,
    /// Current sender id (`node_id << 16 | incarnation`).
    pub sender: u32,
    /// How the node started.
    pub recovery: Recovery,
    /// Why the node's own checkpoint was not used (corrupt, or older than
    /// the stream's first message), if it had one.
    pub refused_checkpoint: Option<String>,
    /// Last applied stream sequence.
    pub stream_seq: u64,
    /// Replica counters.
    pub replica: atomik::ReplicaStats,
    /// Own updates made by this incarnation.
    pub sent: u64,
    /// Own updates JetStream acknowledged.
    pub acked: u64,
    /// NATS messages (batches) published by this incarnation.
    pub batches: u64,
    /// Received frames waiting for their LOAD or a window slot.
    pub pending: usize,
    /// Stream messages delivered again after being applied (skipped).
    pub redelivered: u64,
    /// Times the stream reader subscribed again (server lost, gap, partition).
    pub resubscribes: u64,
    /// Malformed frames dropped.
    pub bad_frames: u64,
    /// Frames the replica refused for good (bad address, too many senders).
    pub rejected: u64,
    /// Times the node rebuilt itself from a snapshot while running.
    pub rebuilds: u64,
    /// Stream sequence of the newest checkpoint on disk.
    pub checkpoint_seq: Option<u64>,
    /// Why the last checkpoint write failed, while writes keep failing.
    pub checkpoint_error: Option<String>,
    /// Why the oldest unacknowledged batch is being re-published, if it is.
    pub publish_error: Option<String>,
    /// Why the stream reader last resubscribed or cannot subscribe now.
    pub reader_error: Option<String>,
    /// Whether the stream reader is subscribed.
    pub reading: bool,
    /// Snapshots this node uploaded.
    pub snapshots: u64,
    /// The stream sequence below which this node last purged.
    pub purged_below: u64,
    /// Why the last snapshot or purge failed, until one succeeds.
    pub snapshot_error: Option<String>,
}

/// Progress, updated after every applied stream message and every acknowledgement.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    /// Last applied stream sequence.
    pub stream_seq: u64,
    /// Frames from other senders applied so far.
    pub applied: u64,
    /// The current sender id; `acked` counts its updates.
    pub sender: u32,
    /// Own updates of this sender that JetStream acknowledged (every seq below this).
    pub acked: u64,
}

type Reply<T> = oneshot::Sender<T>;

enum Cmd {
    Ops(Vec<Op>, Reply<anyhow::Result<Vec<OpDone>>>),
    Dump(Reply<Vec<W>>),
    Sync(Reply<anyhow::Result<u64>>),
    Checkpoint(Reply<anyhow::Result<()>>),
    Status(Reply<Status>),
}

/// Whether this node may still write its checkpoint file. Every write
/// holds the lock and [`Node::abort`] closes it, so once `abort` returns
/// no write of this node (not even one running in the background) can
/// overwrite the checkpoint of a node started next on the same directory.
pub(crate) type Gate = Arc<Mutex<bool>>;

/// Handle to a running node. Every method needs the tokio runtime the
/// node was started on; [`crate::blocking::Node`] wraps one for callers
/// without an async runtime.
#[derive(Debug)]
pub struct Node {
    tx: mpsc::Sender<Cmd>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    progress: watch::Receiver<Progress>,
    gate: Gate,
}

impl Node {
    /// Starts a node on `client`: recovers the table, catches up with the
    /// stream, records a new incarnation in the checkpoint, then serves.
    /// Fails if that checkpoint cannot be written (a full, read-only or
    /// failing disk): a node that cannot record its identity must not publish.
    pub async fn start(client: async_nats::Client, cfg: NodeConfig) -> anyhow::Result<Node> {
        let (tx, task, progress, gate) = start::start(client, cfg).await?;
        Ok(Node {
            tx,
            task,
            progress,
            gate,
        })
    }

    async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Cmd) -> anyhow::Result<T> {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(make(tx)).await.is_err() || self.task.is_finished() {
            anyhow::bail!("node stopped");
        }
        rx.await.map_err(|_| anyhow::anyhow!("node stopped"))
    }

    /// Executes local operations in order and queues their frames for
    /// publishing. Fails, changing nothing, on a bad address or when too
    /// many earlier updates still wait for JetStream.
    pub async fn ops(&self, ops: Vec<Op>) -> anyhow::Result<Vec<OpDone>> {
        self.call(|r| Cmd::Ops(ops, r)).await?
    }

    /// Executes one local operation.
    pub async fn op(&self, op: Op) -> anyhow::Result<OpDone> {
        let mut done = self.ops(vec![op]).await?;
        done.pop().context("node returned no result")
    }

    /// The state of context `addr`.
    pub async fn read(&self, addr: usize) -> anyhow::Result<W> {
        let t = self.dump().await?;
        t.get(addr)
            .copied()
            .with_context(|| format!("address {addr} out of range 0..{}", t.len()))
    }

    /// The state of every context.
    pub async fn dump(&self) -> anyhow::Result<Vec<W>> {
        self.call(Cmd::Dump).await
    }

    /// Publishes everything queued, waits until JetStream acknowledged it,
    /// then until the node applied the stream up to where it ended at that
    /// moment; returns that stream sequence. Waits as long as the servers
    /// are unreachable: bound it with a timeout if needed (the updates stay
    /// queued and are published once the servers answer).
    pub async fn sync(&self) -> anyhow::Result<u64> {
        self.call(Cmd::Sync).await?
    }

    /// Writes a checkpoint now (once every own update it holds is acknowledged).
    pub async fn checkpoint(&self) -> anyhow::Result<()> {
        self.call(Cmd::Checkpoint).await?
    }

    /// The node's counters and health.
    pub async fn status(&self) -> anyhow::Result<Status> {
        self.call(Cmd::Status).await
    }

    /// Progress updates (for waiting on propagation).
    pub fn progress(&self) -> watch::Receiver<Progress> {
        self.progress.clone()
    }

    /// Writes a final checkpoint and stops; fails if that write fails.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let r = self.checkpoint().await;
        drop(self.tx);
        self.task.await.context("node task panicked")??;
        r
    }

    /// Stops without a checkpoint, as a crash would (for tests).
    pub fn abort(self) {
        // Waits for a write in progress, then forbids any later one.
        if let Ok(mut open) = self.gate.lock() {
            *open = false;
        }
        self.task.abort();
    }
}
