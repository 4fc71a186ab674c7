//! What a node needs to run: [`NodeConfig`] and its [`Retention`] policy.

use std::path::PathBuf;
use std::time::Duration;

/// When snapshots are uploaded and how the stream is purged behind them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retention {
    /// Upload a snapshot once the stream holds at least this many bytes…
    pub snapshot_bytes: u64,
    /// …or once the newest snapshot is this old and the stream has grown since.
    pub snapshot_age: Duration,
    /// Purge the stream below the older retained snapshot after an upload.
    pub purge: bool,
    /// A stream consumer that received a message (or was created) within
    /// this time holds the purge below what it still needs.
    pub reader_grace: Duration,
    /// Snapshot chunks that belong to no object (an upload that died half
    /// way) are removed once they have been orphans this long.
    pub orphan_age: Duration,
}

impl Default for Retention {
    /// 64 MiB or 60 s between snapshots, purge on, 120 s grace for
    /// readers, orphaned chunks removed after 60 s.
    fn default() -> Self {
        Retention {
            snapshot_bytes: 64 << 20,
            snapshot_age: Duration::from_secs(60),
            purge: true,
            reader_grace: Duration::from_secs(120),
            orphan_age: Duration::from_secs(60),
        }
    }
}

/// What a node needs to run.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Table (stream) name.
    pub table: String,
    /// Node id, unique among the table's nodes (`0..=65535`).
    pub node_id: u16,
    /// Contexts in the table (the same on every node).
    pub contexts: usize,
    /// Directory for the checkpoint file `<table>.ckpt`.
    pub data_dir: PathBuf,
    /// Most frames per NATS message.
    pub batch: usize,
    /// Longest time a frame waits for its batch to fill. Zero (the
    /// default) closes a batch as soon as the node has nothing else queued.
    pub linger: Duration,
    /// How often the node writes a checkpoint (and considers a snapshot).
    pub checkpoint_every: Duration,
    /// Copies of the stream and the snapshot store (1 for a single server,
    /// 3 for a 3-server cluster), applied by the node that creates them.
    pub stream_replicas: usize,
    /// Local updates that may wait for JetStream's acknowledgement before
    /// the node refuses more (bounds memory while the servers are unreachable).
    pub max_unacked: u64,
    /// Snapshots and purging; `None`: never upload, never purge (a node
    /// still bootstraps from snapshots that others uploaded).
    pub retention: Option<Retention>,
}

impl NodeConfig {
    /// Defaults: 256 contexts, batches of up to 1024 frames, no linger,
    /// a checkpoint every second, 1 stream replica, 4 Mi unacknowledged
    /// updates, the default [`Retention`].
    pub fn new(table: &str, node_id: u16, data_dir: impl Into<PathBuf>) -> Self {
        NodeConfig {
            table: table.to_owned(),
            node_id,
            contexts: 256,
            data_dir: data_dir.into(),
            batch: 1024,
            linger: Duration::ZERO,
            checkpoint_every: Duration::from_secs(1),
            stream_replicas: 1,
            max_unacked: 4 << 20,
            retention: Some(Retention::default()),
        }
    }

    /// The checkpoint file.
    pub fn checkpoint_path(&self) -> PathBuf {
        self.data_dir.join(format!("{}.ckpt", self.table))
    }
}
