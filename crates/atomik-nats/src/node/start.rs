//! Starting a node: recover the table, catch up, take a new incarnation.
//!
//! The starting state is the first that applies of:
//! 1. the node's own checkpoint, if it loads and the stream still holds
//!    every message after it;
//! 2. the table's newest snapshot (its owner's updates count as processed,
//!    see [`crate::identity`]);
//! 3. an empty table, when the stream was never purged.
//!
//! The stream after that state is applied up to the end it had when the
//! node started. A node that rebuilt (2 or 3) then takes the incarnation
//! above every one of its own it has seen and above its old checkpoint's.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, stream::Stream};
use atomik::Replica;
use tokio::sync::{mpsc, watch};

use super::persist::{Persister, write_gated};
use super::task::Task;
use super::{Cmd, Gate, Progress, Recovery};
use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::config::NodeConfig;
use crate::identity::{
    OBSERVER, adopt, incarnation_of, next_incarnation, node_of, replica_config, sender_id,
};
use crate::publisher::Publisher;
use crate::reader::{Event, Reader};
use crate::snapshot::SnapshotStore;
use crate::state::TableState;
use crate::stream::{self, bounds};

/// Rebuild attempts when the stream is purged under a node that is rebuilding.
const REBUILD_ATTEMPTS: usize = 5;

/// Longest a catch-up may go without applying anything.
const STALL: Duration = Duration::from_secs(120);

/// A starting state, before the node takes its incarnation.
pub(super) struct Boot {
    pub(super) state: TableState,
    pub(super) recovery: Recovery,
    /// Why the node's own checkpoint was not used.
    pub(super) refused: Option<String>,
    /// The lowest incarnation the node may take (one above its checkpoint's).
    pub(super) at_least: u32,
}

/// What a node's task is started with.
pub(super) type Started = (
    mpsc::Sender<Cmd>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
    watch::Receiver<Progress>,
    Gate,
);

fn check_shape(cfg: &NodeConfig, c: &Checkpoint, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        c.table == cfg.table,
        "{what} is for table {:?}, not {:?}",
        c.table,
        cfg.table
    );
    anyhow::ensure!(
        c.replica.contexts.len() == cfg.contexts,
        "{what} has {} contexts, not {} (every node of a table must use the same --contexts)",
        c.replica.contexts.len(),
        cfg.contexts
    );
    Ok(())
}

/// Resumes from the node's own checkpoint as its next incarnation.
fn resume(cfg: &NodeConfig, c: Checkpoint) -> anyhow::Result<Boot> {
    let owner = c.replica.id;
    anyhow::ensure!(
        node_of(owner) == cfg.node_id,
        "checkpoint belongs to node {}, not {}",
        node_of(owner),
        cfg.node_id
    );
    let inc = incarnation_of(owner) + 1;
    anyhow::ensure!(
        inc < OBSERVER,
        "node {} has used all {OBSERVER} incarnations",
        cfg.node_id
    );
    let r = Replica::restore(&adopt(c.replica, sender_id(cfg.node_id, inc), false))?;
    Ok(Boot {
        state: TableState::new(r, c.stream_seq, c.pending),
        recovery: Recovery::Checkpoint {
            stream_seq: c.stream_seq,
        },
        refused: None,
        at_least: inc,
    })
}

/// The starting state from the node's checkpoint, or else a rebuild.
pub(super) async fn recover(
    cfg: &NodeConfig,
    stream: &Stream,
    store: Option<&SnapshotStore>,
) -> anyhow::Result<Boot> {
    let path = cfg.checkpoint_path();
    let local = match Checkpoint::load(&path) {
        Ok(c) => c,
        Err(e @ CheckpointError::Corrupt { .. }) => {
            return rebuild(cfg, stream, store, 0, Some(e.to_string())).await;
        }
        Err(e) => return Err(e.into()),
    };
    let Some(c) = local else {
        return rebuild(cfg, stream, store, 0, None).await;
    };
    check_shape(cfg, &c, &format!("checkpoint {}", path.display()))?;
    let (first, _) = bounds(stream).await?;
    if c.stream_seq + 1 >= first {
        return resume(cfg, c);
    }
    let why = format!(
        "checkpoint {} covers the stream up to {}, but the stream now starts at {first} \
         (purged below its snapshots)",
        path.display(),
        c.stream_seq
    );
    rebuild(
        cfg,
        stream,
        store,
        incarnation_of(c.replica.id) + 1,
        Some(why),
    )
    .await
}

/// A state from the newest snapshot, or an empty one if the stream was never purged.
pub(super) async fn rebuild(
    cfg: &NodeConfig,
    stream: &Stream,
    store: Option<&SnapshotStore>,
    at_least: u32,
    refused: Option<String>,
) -> anyhow::Result<Boot> {
    let observer = sender_id(cfg.node_id, OBSERVER);
    let (first, _) = bounds(stream).await?;
    let snapshot = match store {
        Some(s) => s.newest(first).await?,
        None => None,
    };
    let (state, recovery) = match snapshot {
        Some(c) => {
            check_shape(cfg, &c, "the newest snapshot")?;
            anyhow::ensure!(
                c.stream_seq + 1 >= first,
                "the newest snapshot covers the stream up to {}, but it starts at {first}",
                c.stream_seq
            );
            let r = Replica::restore(&adopt(c.replica, observer, true))?;
            let recovery = Recovery::Snapshot {
                stream_seq: c.stream_seq,
            };
            (TableState::new(r, c.stream_seq, c.pending), recovery)
        }
        None if first <= 1 => {
            let r = Replica::with_config(observer, cfg.contexts, replica_config())?;
            (TableState::new(r, 0, vec![]), Recovery::Fresh)
        }
        None => anyhow::bail!(
            "stream {} starts at sequence {first} (purged) and object store {} holds no \
             snapshot; the table cannot be rebuilt",
            stream::stream_name(&cfg.table),
            stream::bucket_name(&cfg.table)
        ),
    };
    Ok(Boot {
        state,
        recovery,
        refused,
        at_least,
    })
}

/// How a catch-up ended.
pub(super) enum CatchUp {
    /// Applied up to the target.
    Done,
    /// The stream no longer holds what the state needs next.
    Purged,
}

/// Applies the reader's messages until the state reaches `end`.
pub(super) async fn catch_up(
    state: &mut TableState,
    reader: &mut Reader,
    end: u64,
) -> anyhow::Result<CatchUp> {
    while state.stream_seq < end {
        let ev = tokio::time::timeout(STALL, reader.events.recv()).await;
        let ev = ev.map_err(|_| {
            let why = reader.status().last_error.unwrap_or_default();
            anyhow::anyhow!(
                "catching up stalled at stream sequence {} of {end} for {} s ({why})",
                state.stream_seq,
                STALL.as_secs()
            )
        })?;
        match ev.context("the stream reader stopped")? {
            Event::Msg { seq, payload } => {
                state.apply_message(seq, &payload);
            }
            Event::Purged { .. } => return Ok(CatchUp::Purged),
        }
    }
    Ok(CatchUp::Done)
}

/// Catches `boot` up to the stream's current end, rebuilding from the
/// newest snapshot whenever the stream is purged under it.
pub(super) async fn settle(
    cfg: &NodeConfig,
    stream: &Stream,
    store: Option<&SnapshotStore>,
    boot: &mut Boot,
    reader: &mut Reader,
) -> anyhow::Result<()> {
    for _ in 0..REBUILD_ATTEMPTS {
        let (_, end) = bounds(stream).await?;
        if let CatchUp::Done = catch_up(&mut boot.state, reader, end).await? {
            return Ok(());
        }
        let refused = boot.refused.take();
        *boot = rebuild(cfg, stream, store, boot.at_least, refused).await?;
        reader.restart(boot.state.stream_seq + 1);
    }
    anyhow::bail!("the stream was purged under this node {REBUILD_ATTEMPTS} times while it rebuilt")
}

/// Gives a rebuilt state the node's next incarnation (a resumed one has it already).
pub(super) fn take_incarnation(boot: &mut Boot, node: u16) -> anyhow::Result<()> {
    if incarnation_of(boot.state.replica.id()) != OBSERVER {
        return Ok(());
    }
    let mut s = boot.state.replica.snapshot();
    let inc = next_incarnation(&s, node, boot.at_least)?;
    // The observer never sent anything, so only the id changes.
    s.id = sender_id(node, inc);
    s.next_seq = 0;
    boot.state.replica = Replica::restore(&s)?;
    Ok(())
}

/// Records the state (and with it the new incarnation) before anything is published.
pub(super) fn record_identity(
    gate: &Gate,
    cfg: &NodeConfig,
    state: &TableState,
) -> anyhow::Result<()> {
    write_gated(gate, &state.checkpoint(&cfg.table), &cfg.checkpoint_path()).with_context(|| {
        format!(
            "cannot record node {}'s new incarnation in its checkpoint; refusing to publish \
             under an identity a restart could reuse",
            cfg.node_id
        )
    })
}

/// Recovers, catches up, records the incarnation, then spawns the node's task.
pub(super) async fn start(client: async_nats::Client, cfg: NodeConfig) -> anyhow::Result<Started> {
    stream::check_table_name(&cfg.table)?;
    std::fs::create_dir_all(&cfg.data_dir)
        .with_context(|| format!("creating data dir {}", cfg.data_dir.display()))?;
    let js = jetstream::new(client.clone());
    let stream = stream::ensure_stream(&js, &cfg.table, cfg.stream_replicas).await?;
    let store = match cfg.retention {
        Some(_) => Some(SnapshotStore::open(&js, &cfg.table, cfg.stream_replicas).await?),
        None => SnapshotStore::existing(&js, &cfg.table).await?,
    };
    let mut boot = recover(&cfg, &stream, store.as_ref()).await?;
    let mut reader = Reader::spawn(
        client,
        js.clone(),
        stream.clone(),
        boot.state.stream_seq + 1,
    );
    settle(&cfg, &stream, store.as_ref(), &mut boot, &mut reader).await?;
    take_incarnation(&mut boot, cfg.node_id)?;
    let gate: Gate = Arc::new(Mutex::new(true));
    record_identity(&gate, &cfg, &boot.state)?;
    let persist_store = match &cfg.retention {
        Some(r) => Some((
            r.clone(),
            SnapshotStore::open(&js, &cfg.table, cfg.stream_replicas).await?,
        )),
        None => None,
    };
    let persister = Persister::spawn(
        (cfg.checkpoint_path(), gate.clone(), stream.clone()),
        persist_store,
        boot.state.stream_seq,
    );
    let publisher = Publisher::new(
        js.clone(),
        stream::subject(&cfg.table),
        (cfg.batch, cfg.linger, cfg.max_unacked),
        0,
    );
    let (progress, progress_rx) = watch::channel(Progress {
        stream_seq: boot.state.stream_seq,
        applied: boot.state.replica.stats().applied,
        sender: boot.state.replica.id(),
        acked: 0,
    });
    let (tx, cmds) = mpsc::channel(1024);
    let task = Task::new(
        (cfg, js, stream, store),
        boot,
        (publisher, reader, persister),
        progress,
        gate.clone(),
    );
    Ok((tx, tokio::spawn(task.run(cmds)), progress_rx, gate))
}
