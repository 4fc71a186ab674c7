//! A replication node: one [`Replica`] kept in step with a JetStream stream.
//!
//! A node owns its replica in one task. Local operations change the replica
//! and queue the resulting messages on the `Publisher`; the node's durable
//! pull consumer delivers the stream in order and every frame goes through
//! [`Replica::apply`], which applies each `(sender, seq)` at most once.
//!
//! # Sender ids and restarts
//! The replica's sender id is `node_id << 16 | incarnation`; every start uses
//! a new incarnation, recorded in the checkpoint *before* anything is
//! published. On restart the previous incarnation becomes an ordinary peer
//! whose seqs below the checkpoint's `next_seq` count as processed: its
//! messages that the checkpoint already holds are duplicates, and those it
//! published after the checkpoint (before a crash) are applied from the
//! stream like anybody else's. A restarted node therefore never loses its own
//! published updates and never applies one twice.
//!
//! # Stream positions
//! The node applies stream messages strictly in sequence. A redelivered
//! message (sequence already applied) is skipped; a jump in the sequence is a
//! delivery gap, repaired by recreating the consumer at the first missing
//! sequence (replay from the stream).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer};
use atomik::replica::{PeerSnapshot, ReplicaSnapshot};
use atomik::wire::DeltaMsg;
use atomik::{Replica, ReplicaConfig, ReplicaError};
use futures_util::StreamExt as _;
use tokio::sync::{mpsc, oneshot, watch};

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::publisher::Publisher;
use crate::stream::{self, W};

/// Incarnation reserved for the catch-up replay of a node without a checkpoint.
const OBSERVER: u32 = 0xFFFF;

/// Senders (node incarnations) a replica tracks; each restart adds one.
pub const MAX_SENDERS: usize = 4096;

/// What a node needs to run.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Table (stream) name.
    pub table: String,
    /// Node id, unique in the cluster (`0..=65535`).
    pub node_id: u16,
    /// Contexts in the table.
    pub contexts: usize,
    /// Directory for the checkpoint file.
    pub data_dir: PathBuf,
    /// Frames per NATS message.
    pub batch: usize,
    /// Longest time a frame waits for its batch to fill.
    pub linger: Duration,
    /// How often the node writes a checkpoint.
    pub checkpoint_every: Duration,
    /// Copies of the stream (1 for a single server, 3 for a 3-server cluster).
    pub stream_replicas: usize,
}

impl NodeConfig {
    /// Defaults: 256 contexts, batches of 1024 frames, 1 ms linger, checkpoint every second.
    pub fn new(table: &str, node_id: u16, data_dir: impl Into<PathBuf>) -> Self {
        NodeConfig {
            table: table.to_owned(),
            node_id,
            contexts: 256,
            data_dir: data_dir.into(),
            batch: 1024,
            linger: Duration::from_millis(1),
            checkpoint_every: Duration::from_secs(1),
            stream_replicas: 1,
        }
    }

    /// The checkpoint file.
    pub fn checkpoint_path(&self) -> PathBuf {
        self.data_dir.join(format!("{}.ckpt", self.table))
    }
}

/// A local operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// XOR `delta` into context `addr`.
    Accum(usize, W),
    /// Set context `addr` to `value`, starting a new epoch.
    Load(usize, W),
    /// Return the state of `addr` and set it to `value` (new epoch).
    Swap(usize, W),
}

/// What a local operation produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpDone {
    /// The previous state (SWAP only).
    pub old: Option<W>,
    /// The message sent for it.
    pub msg: DeltaMsg<W>,
}

/// How the node obtained its starting state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// No checkpoint: replayed the whole stream.
    Fresh,
    /// Restored the checkpoint, then replayed the stream after its sequence.
    Checkpoint {
        /// The checkpoint's stream sequence.
        stream_seq: u64,
    },
    /// The checkpoint was refused (the message says why); replayed the whole stream.
    RefusedCheckpoint(String),
}

/// A node's counters.
#[derive(Clone, Debug)]
pub struct Status {
    /// Node id.
    pub node_id: u16,
    /// Current sender id (`node_id << 16 | incarnation`).
    pub sender: u32,
    /// How the node started.
    pub recovery: Recovery,
    /// Last applied stream sequence.
    pub stream_seq: u64,
    /// Replica counters.
    pub replica: atomik::ReplicaStats,
    /// Own messages sent so far by this incarnation.
    pub sent: u64,
    /// Own messages acknowledged by JetStream.
    pub acked: u64,
    /// NATS messages published.
    pub batches: u64,
    /// Received messages waiting for a LOAD or a window slot.
    pub pending: usize,
    /// Stream messages delivered again after being applied (skipped).
    pub redelivered: u64,
    /// Consumer recreations to repair a delivery gap or a broken subscription.
    pub replays: u64,
    /// Malformed frames dropped.
    pub bad_frames: u64,
    /// Messages the replica refused for good (bad address, too many senders).
    pub rejected: u64,
}

/// Progress published after every applied stream message (for waiting and latency).
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    /// Last applied stream sequence.
    pub stream_seq: u64,
    /// Messages from other senders applied so far.
    pub applied: u64,
}

enum Cmd {
    Ops(Vec<Op>, oneshot::Sender<anyhow::Result<Vec<OpDone>>>),
    Dump(oneshot::Sender<Vec<W>>),
    Sync(oneshot::Sender<anyhow::Result<()>>),
    Checkpoint(oneshot::Sender<anyhow::Result<()>>),
    Status(oneshot::Sender<Status>),
}

/// Handle to a running node.
#[derive(Debug)]
pub struct Node {
    tx: mpsc::Sender<Cmd>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    progress: watch::Receiver<Progress>,
    gate: Gate,
}

/// Whether this node may still write its checkpoint file. Every write holds
/// the lock, and [`Node::abort`] closes it, so once `abort` returns no write
/// of this node (not even one running in the background) can overwrite the
/// checkpoint of the node started next on the same data directory.
type Gate = Arc<Mutex<bool>>;

/// Writes `c` to `path` unless the gate is closed.
fn write_gated(gate: &Gate, c: &Checkpoint, path: &Path) -> anyhow::Result<()> {
    let open = gate
        .lock()
        .map_err(|_| anyhow::anyhow!("checkpoint lock poisoned"))?;
    anyhow::ensure!(*open, "node stopped; checkpoint not written");
    c.save(path)?;
    Ok(())
}

/// The task-owned state of a node.
struct State {
    cfg: NodeConfig,
    js: jetstream::Context,
    stream: jetstream::stream::Stream,
    replica: Replica<W>,
    stream_seq: u64,
    pending: Vec<DeltaMsg<W>>,
    publisher: Option<Publisher>,
    status: Status,
    progress: watch::Sender<Progress>,
    waiters: Vec<(u64, oneshot::Sender<anyhow::Result<()>>)>,
    /// The applied sequence at the last delivery gap (see `on_message`).
    gap_at: Option<u64>,
    gate: Gate,
    /// The periodic checkpoint being written off the node's task (at most one).
    saving: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

type Messages = jetstream::consumer::pull::Stream;

fn sender_id(node: u16, incarnation: u32) -> u32 {
    (u32::from(node) << 16) | incarnation
}

fn replica_config() -> ReplicaConfig {
    ReplicaConfig {
        window: 1 << 14,
        max_senders: MAX_SENDERS,
    }
}

/// Turns the previous incarnation's state into the next one's: a new sender
/// id, and the old id as a peer whose seqs `0..next_seq` are all processed.
fn next_incarnation(mut s: ReplicaSnapshot<W>, node: u16) -> anyhow::Result<ReplicaSnapshot<W>> {
    let old = s.id;
    anyhow::ensure!(
        old >> 16 == u32::from(node),
        "checkpoint belongs to node {}, not {node}",
        old >> 16
    );
    let inc = (old & 0xFFFF) + 1;
    anyhow::ensure!(
        inc < OBSERVER,
        "node {node} has used all {OBSERVER} incarnations"
    );
    let at = s.peers.partition_point(|p| p.sender < old);
    s.peers.insert(
        at,
        PeerSnapshot {
            sender: old,
            base: s.next_seq,
            received: vec![],
        },
    );
    s.id = sender_id(node, inc);
    s.next_seq = 0;
    Ok(s)
}

impl Node {
    /// Starts a node: restores the checkpoint (or refuses a corrupt one),
    /// catches up from the stream, then serves requests in a task.
    pub async fn start(client: async_nats::Client, cfg: NodeConfig) -> anyhow::Result<Node> {
        stream::check_table_name(&cfg.table)?;
        std::fs::create_dir_all(&cfg.data_dir)
            .with_context(|| format!("creating data dir {}", cfg.data_dir.display()))?;
        let js = jetstream::new(client);
        let stream = stream::ensure_stream(&js, &cfg.table, cfg.stream_replicas).await?;
        let (snapshot, stream_seq, pending, recovery) =
            match Checkpoint::load(&cfg.checkpoint_path()) {
                Ok(Some(c)) => {
                    anyhow::ensure!(
                        c.table == cfg.table,
                        "checkpoint is for table {:?}, not {:?}",
                        c.table,
                        cfg.table
                    );
                    anyhow::ensure!(
                        c.replica.contexts.len() == cfg.contexts,
                        "checkpoint has {} contexts, not {}",
                        c.replica.contexts.len(),
                        cfg.contexts
                    );
                    (
                        Some(c.replica),
                        c.stream_seq,
                        c.pending,
                        Recovery::Checkpoint {
                            stream_seq: c.stream_seq,
                        },
                    )
                }
                Ok(None) => (None, 0, Vec::new(), Recovery::Fresh),
                Err(e @ CheckpointError::Corrupt { .. }) => (
                    None,
                    0,
                    Vec::new(),
                    Recovery::RefusedCheckpoint(e.to_string()),
                ),
                Err(e) => return Err(e.into()),
            };
        let observer = sender_id(cfg.node_id, OBSERVER);
        let replica = match &snapshot {
            Some(s) => Replica::restore(&next_incarnation(s.clone(), cfg.node_id)?)?,
            None => Replica::with_config(observer, cfg.contexts, replica_config())?,
        };
        let (progress, rx) = watch::channel(Progress {
            stream_seq,
            applied: 0,
        });
        let mut st = State {
            status: Status {
                node_id: cfg.node_id,
                sender: replica.id(),
                recovery,
                stream_seq,
                replica: replica.stats(),
                sent: 0,
                acked: 0,
                batches: 0,
                pending: pending.len(),
                redelivered: 0,
                replays: 0,
                bad_frames: 0,
                rejected: 0,
            },
            cfg,
            js,
            stream,
            replica,
            stream_seq,
            pending,
            publisher: None,
            progress,
            waiters: Vec::new(),
            gap_at: None,
            gate: Arc::new(Mutex::new(true)),
            saving: None,
        };
        let mut messages = st.consumer_retrying().await?;
        if st.replica.id() == observer {
            st.catch_up(&mut messages).await?;
            st.become_next_incarnation()?;
        }
        // The new incarnation is on disk before it publishes anything.
        st.save()?;
        st.publisher = Some(Publisher::new(
            st.js.clone(),
            stream::subject(&st.cfg.table),
            st.cfg.batch,
            st.cfg.linger,
            0,
        ));
        let (tx, cmds) = mpsc::channel(1024);
        let gate = st.gate.clone();
        let task = tokio::spawn(st.run(cmds, messages));
        Ok(Node {
            tx,
            task,
            progress: rx,
            gate,
        })
    }

    async fn call<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Cmd) -> anyhow::Result<T> {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(make(tx)).await.is_err() || self.task.is_finished() {
            anyhow::bail!("node stopped");
        }
        rx.await.map_err(|_| anyhow::anyhow!("node stopped"))
    }

    /// Executes local operations and queues their messages for publishing.
    pub async fn ops(&self, ops: Vec<Op>) -> anyhow::Result<Vec<OpDone>> {
        self.call(|r| Cmd::Ops(ops, r)).await?
    }

    /// The state of every context.
    pub async fn dump(&self) -> anyhow::Result<Vec<W>> {
        self.call(Cmd::Dump).await
    }

    /// Publishes everything queued, waits for its acknowledgement, then
    /// applies the stream up to its current end.
    pub async fn sync(&self) -> anyhow::Result<()> {
        self.call(Cmd::Sync).await?
    }

    /// Writes a checkpoint now (after flushing own messages).
    pub async fn checkpoint(&self) -> anyhow::Result<()> {
        self.call(Cmd::Checkpoint).await?
    }

    /// The node's counters.
    pub async fn status(&self) -> anyhow::Result<Status> {
        self.call(Cmd::Status).await
    }

    /// Progress updates (for waiting on propagation).
    pub fn progress(&self) -> watch::Receiver<Progress> {
        self.progress.clone()
    }

    /// Writes a final checkpoint and stops.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.checkpoint().await?;
        drop(self.tx);
        self.task.await.context("node task panicked")?
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

/// What to do after a stream message.
enum Next {
    Continue,
    /// A delivery gap: recreate the consumer at the first missing sequence.
    Replay,
}

impl State {
    /// (Re)creates the node's durable consumer at the first unapplied
    /// sequence. The checkpoint, not the server's acknowledgement floor,
    /// says where to resume, so the consumer is always recreated.
    async fn consumer(&mut self) -> anyhow::Result<Messages> {
        let name = format!("atomik-node-{}", self.cfg.node_id);
        self.delete_consumer(&name).await?;
        let deliver_policy = match self.stream_seq {
            0 => consumer::DeliverPolicy::All,
            s => consumer::DeliverPolicy::ByStartSequence {
                start_sequence: s + 1,
            },
        };
        let c = self
            .stream
            .create_consumer(consumer::pull::Config {
                durable_name: Some(name.clone()),
                deliver_policy,
                ack_policy: consumer::AckPolicy::All,
                ack_wait: Duration::from_secs(30),
                max_ack_pending: 100_000,
                ..Default::default()
            })
            .await
            .with_context(|| format!("creating consumer {name}"))?;
        c.stream()
            .max_messages_per_batch(512)
            .heartbeat(Duration::from_secs(1))
            .expires(Duration::from_secs(5))
            .messages()
            .await
            .with_context(|| format!("pulling from consumer {name}"))
    }

    /// Applies the stream up to its current end (bounded by time).
    async fn catch_up(&mut self, messages: &mut Messages) -> anyhow::Result<()> {
        let end = self.stream.info().await?.state.last_sequence;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
        while self.stream_seq < end {
            let m = tokio::time::timeout_at(deadline, messages.next())
                .await
                .context("catching up from the stream timed out")?;
            match m {
                Some(Ok(m)) => {
                    if let Next::Replay = self.on_message(m).await? {
                        *messages = self.replay_retrying().await?;
                    }
                }
                Some(Err(_)) => continue,
                None => *messages = self.replay_retrying().await?,
            }
        }
        Ok(())
    }

    async fn replay_retrying(&mut self) -> anyhow::Result<Messages> {
        self.status.replays += 1;
        self.consumer_retrying().await
    }

    /// Recreates the consumer, retrying while the cluster elects leaders
    /// after a server died (about a minute).
    async fn consumer_retrying(&mut self) -> anyhow::Result<Messages> {
        let mut last = None;
        for _ in 0..60 {
            match self.consumer().await {
                Ok(m) => return Ok(m),
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("cannot create the consumer")))
    }

    /// Deletes the node's durable consumer; one that does not exist is fine.
    /// Any other failure is an error (retried by the caller): creating the
    /// consumer at a new start sequence while the old one survives fails
    /// with "start sequence can not be updated" (seen in `atomik cluster`
    /// when a node restarted while a server was rejoining).
    async fn delete_consumer(&self, name: &str) -> anyhow::Result<()> {
        use async_nats::jetstream::{ErrorCode, stream::ConsumerErrorKind};
        match self.stream.delete_consumer(name).await {
            Ok(_) => Ok(()),
            Err(e) => match e.kind() {
                ConsumerErrorKind::JetStream(j)
                    if j.error_code() == ErrorCode::CONSUMER_NOT_FOUND =>
                {
                    Ok(())
                }
                _ => Err(e).with_context(|| format!("deleting consumer {name}")),
            },
        }
    }

    /// After a replay without checkpoint: pick the incarnation after the
    /// highest one of this node found in the stream.
    fn become_next_incarnation(&mut self) -> anyhow::Result<()> {
        let node = self.cfg.node_id;
        let mut s = self.replica.snapshot();
        let last = s
            .peers
            .iter()
            .filter(|p| p.sender >> 16 == u32::from(node))
            .map(|p| p.sender & 0xFFFF)
            .max();
        let next = last.map_or(0, |l| l + 1);
        anyhow::ensure!(
            next < OBSERVER,
            "node {node} has used all {OBSERVER} incarnations"
        );
        // The observer never sent anything, so only the id changes.
        s.id = sender_id(node, next);
        s.next_seq = 0;
        let n = s;
        self.replica = Replica::restore(&n)?;
        self.status.sender = self.replica.id();
        Ok(())
    }

    fn checkpoint_data(&self) -> Checkpoint {
        Checkpoint {
            table: self.cfg.table.clone(),
            stream_seq: self.stream_seq,
            replica: self.replica.snapshot(),
            pending: self.pending.clone(),
        }
    }

    fn save(&mut self) -> anyhow::Result<()> {
        write_gated(
            &self.gate,
            &self.checkpoint_data(),
            &self.cfg.checkpoint_path(),
        )
    }

    /// Waits for the background checkpoint, if any, and reports its error.
    async fn finish_saving(&mut self) -> anyhow::Result<()> {
        match self.saving.take() {
            Some(h) => h.await.context("checkpoint task panicked")?,
            None => Ok(()),
        }
    }

    /// Flushes own messages (a checkpoint must not hold an update the
    /// stream lacks), then saves.
    async fn checkpoint(&mut self) -> anyhow::Result<()> {
        self.finish_saving().await?;
        if let Some(p) = self.publisher.as_mut() {
            p.flush().await?;
        }
        self.save()
    }

    /// The periodic checkpoint, without stalling the node: the snapshot is
    /// taken now, and a separate task waits until JetStream acknowledged
    /// every own message the snapshot holds, then writes and fsyncs it on
    /// a blocking thread. Waiting for acks and fsync in the node's task held
    /// up stream delivery for tens of milliseconds every interval, which
    /// dominated the benchmark's p99 propagation latency. If the previous
    /// write is still running, this interval is skipped.
    async fn checkpoint_in_background(&mut self) -> anyhow::Result<()> {
        if self.saving.as_ref().is_some_and(|h| !h.is_finished()) {
            return Ok(());
        }
        self.finish_saving().await?;
        let data = self.checkpoint_data();
        let p = self.publisher_mut();
        p.send().await?;
        let acked = p.acked_through_sent();
        let (gate, path) = (self.gate.clone(), self.cfg.checkpoint_path());
        self.saving = Some(tokio::spawn(async move {
            acked.await?;
            tokio::task::spawn_blocking(move || write_gated(&gate, &data, &path))
                .await
                .context("checkpoint writer panicked")?
        }));
        Ok(())
    }

    async fn on_message(&mut self, m: jetstream::Message) -> anyhow::Result<Next> {
        let seq = m
            .info()
            .map_err(|e| anyhow::anyhow!("bad JetStream message: {e}"))?
            .stream_sequence;
        if seq <= self.stream_seq {
            self.status.redelivered += 1;
            let _ = m.ack().await;
            return Ok(Next::Continue);
        }
        if seq != self.stream_seq + 1 {
            // A second gap at the same place right after a replay means the
            // stream no longer holds those messages: fail loudly.
            anyhow::ensure!(
                self.gap_at != Some(self.stream_seq),
                "stream {} no longer holds sequences {}..{seq}; cannot recover them",
                stream::stream_name(&self.cfg.table),
                self.stream_seq + 1
            );
            self.gap_at = Some(self.stream_seq);
            return Ok(Next::Replay);
        }
        self.gap_at = None;
        let (msgs, bad) = stream::decode_batch(&m.payload);
        self.status.bad_frames += bad as u64;
        for msg in &msgs {
            self.apply(msg);
        }
        if !self.pending.is_empty() {
            self.retry_pending();
        }
        self.stream_seq = seq;
        // Acknowledging is only housekeeping on the server: the checkpoint
        // decides where a restart resumes. A lost ack means a redelivery, skipped above.
        let _ = m.ack().await;
        let applied = self.replica.stats().applied;
        self.progress.send_replace(Progress {
            stream_seq: seq,
            applied,
        });
        self.wake_waiters();
        Ok(Next::Continue)
    }

    fn apply(&mut self, msg: &DeltaMsg<W>) {
        match self.replica.apply(msg) {
            Ok(_) => {}
            Err(ReplicaError::FutureEpoch { .. } | ReplicaError::BeyondWindow { .. }) => {
                self.pending.push(*msg);
            }
            Err(_) => self.status.rejected += 1,
        }
    }

    /// Retries refused messages until none makes progress (bounded by their count).
    fn retry_pending(&mut self) {
        for _ in 0..=self.pending.len() {
            let before = self.pending.len();
            let waiting = std::mem::take(&mut self.pending);
            for m in &waiting {
                self.apply(m);
            }
            if self.pending.len() == before {
                break;
            }
        }
    }
}

impl State {
    fn wake_waiters(&mut self) {
        let seq = self.stream_seq;
        let (done, wait): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiters)
            .into_iter()
            .partition(|(t, _)| *t <= seq);
        self.waiters = wait;
        for (_, w) in done {
            let _ = w.send(Ok(()));
        }
    }

    /// Serves commands and stream messages until every handle is dropped.
    async fn run(
        mut self,
        mut cmds: mpsc::Receiver<Cmd>,
        mut messages: Messages,
    ) -> anyhow::Result<()> {
        let mut tick = tokio::time::interval(self.cfg.checkpoint_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut errors = 0u32;
        loop {
            let due = self.publisher.as_ref().and_then(Publisher::due);
            tokio::select! {
                cmd = cmds.recv() => match cmd {
                    Some(c) => self.handle(c).await,
                    None => break,
                },
                m = messages.next() => match m {
                    Some(Ok(m)) => {
                        errors = 0;
                        if let Next::Replay = self.on_message(m).await? {
                            messages = self.replay_retrying().await?;
                        }
                    }
                    // Missed heartbeats and the like while a server fails
                    // over; recreate the consumer if they persist.
                    Some(Err(_)) if errors < 5 => errors += 1,
                    Some(Err(_)) | None => {
                        errors = 0;
                        messages = self.replay_retrying().await?;
                    }
                },
                () = sleep_until_opt(due) => self.publisher_mut().send().await?,
                _ = tick.tick() => self.checkpoint_in_background().await?,
            }
        }
        self.checkpoint().await
    }

    fn publisher_mut(&mut self) -> &mut Publisher {
        self.publisher
            .as_mut()
            .expect("the publisher exists once the node runs")
    }

    async fn handle(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Ops(ops, r) => {
                let _ = r.send(self.ops(&ops).await);
            }
            Cmd::Dump(r) => {
                let t = self.replica.table();
                let _ = r.send(
                    (0..t.len())
                        .map(|a| t.read(a).unwrap_or_default())
                        .collect(),
                );
            }
            Cmd::Sync(r) => match self.sync_target().await {
                Ok(t) if t <= self.stream_seq => {
                    let _ = r.send(Ok(()));
                }
                Ok(t) => self.waiters.push((t, r)),
                Err(e) => {
                    let _ = r.send(Err(e));
                }
            },
            Cmd::Checkpoint(r) => {
                let _ = r.send(self.checkpoint().await);
            }
            Cmd::Status(r) => {
                let _ = r.send(self.status());
            }
        }
    }

    async fn sync_target(&mut self) -> anyhow::Result<u64> {
        self.publisher_mut().flush().await?;
        Ok(self.stream.info().await?.state.last_sequence)
    }

    async fn ops(&mut self, ops: &[Op]) -> anyhow::Result<Vec<OpDone>> {
        let mut out = Vec::with_capacity(ops.len());
        for &op in ops {
            let (old, msg) = match op {
                Op::Accum(a, d) => (None, self.replica.accum(a, d)?),
                Op::Load(a, v) => (None, self.replica.load(a, v)?),
                Op::Swap(a, v) => {
                    let (old, m) = self.replica.swap(a, v)?;
                    (Some(old), m)
                }
            };
            self.publisher_mut().push(&msg).await?;
            out.push(OpDone { old, msg });
        }
        Ok(out)
    }

    fn status(&self) -> Status {
        let mut s = self.status.clone();
        s.stream_seq = self.stream_seq;
        s.replica = self.replica.stats();
        s.sent = self.replica.next_seq();
        s.pending = self.pending.len();
        if let Some(p) = &self.publisher {
            s.acked = p.acked().through;
            s.batches = p.messages;
        }
        s
    }
}

async fn sleep_until_opt(t: Option<std::time::Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}
