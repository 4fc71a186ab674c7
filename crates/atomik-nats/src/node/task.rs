//! The node's task: one loop that owns the table and never waits for the
//! network while serving a request.
//!
//! It takes requests, stream messages from the reader, sync targets
//! resolved by helper tasks, the batch linger and the checkpoint tick.
//! Everything that waits for JetStream (acknowledgements, the stream's end,
//! checkpoint writes) runs in another task and reports back, so reads and
//! local updates are answered while the servers are unreachable. The one
//! exception is a rebuild from a snapshot, which the node must finish
//! before it answers again.

use std::sync::Arc;

use anyhow::Context as _;
use async_nats::jetstream::{self, stream::Stream};
use tokio::sync::{mpsc, oneshot, watch};

use super::persist::{Job, Persister};
use super::start::{Boot, rebuild, record_identity, settle, take_incarnation};
use super::{Cmd, Gate, Progress, Recovery, Status};
use crate::config::NodeConfig;
use crate::identity::incarnation_of;
use crate::publisher::Publisher;
use crate::reader::{Event, Reader};
use crate::snapshot::SnapshotStore;
use crate::state::{Op, OpDone, TableState};
use crate::stream::{self, bounds};

/// Requests handled before the loop looks at the stream again.
const DRAIN: usize = 64;

type SyncReply = oneshot::Sender<anyhow::Result<u64>>;

/// A sync whose target stream sequence is known.
type Target = (u64, SyncReply);

pub(super) struct Task {
    cfg: NodeConfig,
    js: jetstream::Context,
    stream: Stream,
    store: Option<SnapshotStore>,
    state: TableState,
    recovery: Recovery,
    refused: Option<String>,
    publisher: Publisher,
    reader: Reader,
    persister: Persister,
    progress: watch::Sender<Progress>,
    /// Syncs waiting for the node to apply the stream up to a sequence.
    waiters: Vec<(u64, SyncReply)>,
    /// Sync targets resolved by helper tasks.
    targets: (
        mpsc::UnboundedSender<Target>,
        mpsc::UnboundedReceiver<Target>,
    ),
    gate: Gate,
    rebuilds: u64,
    /// The publisher's acknowledgements, for `Progress::acked`.
    acks: watch::Receiver<crate::publisher::AckState>,
    /// Stream bytes applied since the last checkpoint job: a fast-growing
    /// stream gets its snapshot (and purge) before the next tick.
    bytes_since: u64,
}

impl Task {
    pub(super) fn new(
        (cfg, js, stream, store): (
            NodeConfig,
            jetstream::Context,
            Stream,
            Option<SnapshotStore>,
        ),
        boot: Boot,
        (publisher, reader, persister): (Publisher, Reader, Persister),
        progress: watch::Sender<Progress>,
        gate: Gate,
    ) -> Self {
        Task {
            bytes_since: 0,
            acks: publisher.watch(),
            cfg,
            js,
            stream,
            store,
            state: boot.state,
            recovery: boot.recovery,
            refused: boot.refused,
            publisher,
            reader,
            persister,
            progress,
            waiters: Vec::new(),
            targets: mpsc::unbounded_channel(),
            gate,
            rebuilds: 0,
        }
    }

    /// Serves until every handle is dropped.
    pub(super) async fn run(mut self, mut cmds: mpsc::Receiver<Cmd>) -> anyhow::Result<()> {
        let mut tick = tokio::time::interval(self.cfg.checkpoint_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            let due = self.publisher.due();
            tokio::select! {
                cmd = cmds.recv() => {
                    let Some(cmd) = cmd else { break };
                    self.handle(cmd);
                    for _ in 0..DRAIN {
                        match cmds.try_recv() {
                            Ok(c) => self.handle(c),
                            Err(_) => break,
                        }
                    }
                    if self.publisher.idle_flush() {
                        self.publisher.seal();
                    }
                }
                ev = self.reader.events.recv() => match ev.context("the stream reader stopped")? {
                    Event::Msg { seq, payload } => self.on_message(seq, &payload),
                    Event::Purged { wanted, first } => self
                        .rebuild()
                        .await
                        .with_context(|| format!("rebuilding: the stream no longer holds {wanted} (it starts at {first})"))?,
                },
                Some((target, reply)) = self.targets.1.recv() => self.wait_for(target, reply),
                Ok(()) = self.acks.changed() => self.advanced(),
                () = sleep_until_opt(due) => self.publisher.seal(),
                _ = tick.tick() => self.periodic_checkpoint(),
            }
        }
        self.publisher.seal();
        Ok(())
    }

    fn on_message(&mut self, seq: u64, payload: &[u8]) {
        self.state.apply_message(seq, payload);
        self.advanced();
        self.bytes_since += payload.len() as u64;
        if let Some(r) = &self.cfg.retention {
            if self.bytes_since >= r.snapshot_bytes / 4 {
                self.periodic_checkpoint();
            }
        }
    }

    /// Publishes the progress and answers the syncs it satisfies.
    fn advanced(&mut self) {
        self.progress.send_replace(Progress {
            stream_seq: self.state.stream_seq,
            applied: self.state.replica.stats().applied,
            sender: self.state.replica.id(),
            acked: self.acks.borrow_and_update().through,
        });
        if !self.waiters.is_empty() {
            let seq = self.state.stream_seq;
            let (done, wait) = std::mem::take(&mut self.waiters)
                .into_iter()
                .partition(|(t, _)| *t <= seq);
            self.waiters = wait;
            for (_, w) in done {
                let _ = w.send(Ok(seq));
            }
        }
    }

    fn wait_for(&mut self, target: u64, reply: SyncReply) {
        if target <= self.state.stream_seq {
            let _ = reply.send(Ok(self.state.stream_seq));
        } else {
            self.waiters.push((target, reply));
        }
    }

    fn handle(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Ops(ops, r) => {
                let _ = r.send(self.ops(&ops));
            }
            Cmd::Dump(r) => {
                let _ = r.send(self.state.dump());
            }
            Cmd::Sync(r) => self.sync(r),
            Cmd::Checkpoint(reply) => {
                self.publisher.seal();
                self.persister.explicit(self.job(Some(reply)));
            }
            Cmd::Status(r) => {
                let _ = r.send(self.status());
            }
        }
    }

    /// Validates every operation first, so a bad one changes nothing.
    fn ops(&mut self, ops: &[Op]) -> anyhow::Result<Vec<OpDone>> {
        let contexts = self.cfg.contexts;
        if let Some(a) = ops
            .iter()
            .map(|op| match *op {
                Op::Accum(a, _) | Op::Load(a, _) | Op::Swap(a, _) => a,
            })
            .find(|&a| a >= contexts)
        {
            anyhow::bail!("address {a} out of range 0..{contexts}");
        }
        self.publisher.check_room(ops.len())?;
        let mut out = Vec::with_capacity(ops.len());
        for &op in ops {
            let done = self.state.local(op)?;
            self.publisher.push(&done.msg);
            out.push(done);
        }
        Ok(out)
    }

    /// Resolves the sync target off the task: acknowledgements, then the stream's end.
    fn sync(&mut self, reply: SyncReply) {
        self.publisher.seal();
        let acked = self.publisher.acked_through(self.publisher.sent_through());
        let (stream, targets) = (self.stream.clone(), self.targets.0.clone());
        tokio::spawn(async move {
            let end = async {
                acked.await?;
                Ok::<_, anyhow::Error>(bounds(&stream).await?.1)
            };
            match end.await {
                Ok(end) => {
                    let _ = targets.send((end, reply));
                }
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            }
        });
    }

    fn job(&self, reply: Option<oneshot::Sender<anyhow::Result<()>>>) -> Job {
        Job {
            data: Arc::new(self.state.checkpoint(&self.cfg.table)),
            acked: Box::pin(self.publisher.acked_through(self.publisher.sent_through())),
            reply,
        }
    }

    fn periodic_checkpoint(&mut self) {
        self.bytes_since = 0;
        self.publisher.seal();
        let job = || self.job(None);
        self.persister.periodic(job);
    }

    /// The stream was purged below this node's position: once every own
    /// update is in the stream, rebuild from the newest snapshot as a new
    /// incarnation (the rules are those of a restart; see `start`).
    async fn rebuild(&mut self) -> anyhow::Result<()> {
        self.publisher.seal();
        self.publisher
            .acked_through(self.publisher.sent_through())
            .await?;
        let at_least = incarnation_of(self.state.replica.id()) + 1;
        let mut boot =
            rebuild(&self.cfg, &self.stream, self.store.as_ref(), at_least, None).await?;
        self.reader.restart(boot.state.stream_seq + 1);
        settle(
            &self.cfg,
            &self.stream,
            self.store.as_ref(),
            &mut boot,
            &mut self.reader,
        )
        .await?;
        take_incarnation(&mut boot, self.cfg.node_id)?;
        record_identity(&self.gate, &self.cfg, &boot.state)?;
        self.state = boot.state;
        self.recovery = boot.recovery;
        self.publisher = Publisher::new(
            self.js.clone(),
            stream::subject(&self.cfg.table),
            (self.cfg.batch, self.cfg.linger, self.cfg.max_unacked),
            0,
        );
        self.acks = self.publisher.watch();
        self.rebuilds += 1;
        self.advanced();
        Ok(())
    }

    fn status(&self) -> Status {
        let acks = self.publisher.acked();
        let reader = self.reader.status();
        let rec = self.persister.record();
        Status {
            node_id: self.cfg.node_id,
            sender: self.state.replica.id(),
            recovery: self.recovery.clone(),
            refused_checkpoint: self.refused.clone(),
            stream_seq: self.state.stream_seq,
            replica: self.state.replica.stats(),
            sent: self.state.replica.next_seq(),
            acked: acks.through,
            batches: self.publisher.batches,
            pending: self.state.pending.len(),
            redelivered: self.state.redelivered,
            resubscribes: reader.resubscribes,
            bad_frames: self.state.bad_frames,
            rejected: self.state.rejected,
            rebuilds: self.rebuilds,
            checkpoint_seq: rec.checkpoint_seq,
            checkpoint_error: rec.checkpoint_error,
            publish_error: acks.retrying,
            reader_error: reader.last_error,
            reading: reader.subscribed,
            snapshots: rec.snapshots,
            purged_below: rec.purged_below,
            snapshot_error: rec.snapshot_error,
        }
    }
}

async fn sleep_until_opt(t: Option<std::time::Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}
