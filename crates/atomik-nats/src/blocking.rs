//! A node for callers without an async runtime (another language's
//! binding, a plain program): [`Client`] owns a small tokio runtime and one
//! NATS connection; each [`Node`] it joins is one table.
//!
//! ```no_run
//! use atomik_nats::{ConnOptions, NodeConfig, Op, blocking};
//! # fn main() -> anyhow::Result<()> {
//! let client = blocking::Client::connect(&ConnOptions::plain("nats://127.0.0.1:4222"))?;
//! let node = client.join(NodeConfig::new("inventory", 7, "/var/lib/atomik"))?;
//! node.op(Op::Accum(3, 0x10))?;
//! node.sync(None)?; // in the stream, and the stream applied
//! println!("{:#x}", node.read(3)?);
//! node.shutdown()?; // final checkpoint
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::config::NodeConfig;
use crate::conn::ConnOptions;
use crate::node::{Progress, Status};
use crate::state::{Op, OpDone};
use crate::stream::W;

/// A NATS connection with the runtime that drives it.
#[derive(Debug, Clone)]
pub struct Client {
    rt: Arc<tokio::runtime::Runtime>,
    client: async_nats::Client,
}

impl Client {
    /// Starts a runtime (two worker threads) and connects.
    pub fn connect(opts: &ConnOptions) -> anyhow::Result<Client> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("atomik-nats")
            .enable_all()
            .build()
            .context("starting the NATS runtime")?;
        let client = rt.block_on(opts.connect())?;
        Ok(Client {
            rt: Arc::new(rt),
            client,
        })
    }

    /// Joins a table as a node (see [`crate::Node::start`]).
    pub fn join(&self, cfg: NodeConfig) -> anyhow::Result<Node> {
        let inner = self
            .rt
            .block_on(crate::Node::start(self.client.clone(), cfg))?;
        Ok(Node {
            rt: self.rt.clone(),
            inner,
        })
    }
}

/// One table's node, driven synchronously.
#[derive(Debug)]
pub struct Node {
    rt: Arc<tokio::runtime::Runtime>,
    inner: crate::Node,
}

impl Node {
    /// Executes local operations in order (see [`crate::Node::ops`]).
    pub fn ops(&self, ops: Vec<Op>) -> anyhow::Result<Vec<OpDone>> {
        self.rt.block_on(self.inner.ops(ops))
    }

    /// Executes one local operation.
    pub fn op(&self, op: Op) -> anyhow::Result<OpDone> {
        self.rt.block_on(self.inner.op(op))
    }

    /// The state of context `addr`.
    pub fn read(&self, addr: usize) -> anyhow::Result<W> {
        self.rt.block_on(self.inner.read(addr))
    }

    /// The state of every context.
    pub fn dump(&self) -> anyhow::Result<Vec<W>> {
        self.rt.block_on(self.inner.dump())
    }

    /// See [`crate::Node::sync`]; with a timeout, fails once it passes
    /// (the updates stay queued and are published later).
    pub fn sync(&self, timeout: Option<Duration>) -> anyhow::Result<u64> {
        self.rt.block_on(async {
            match timeout {
                None => self.inner.sync().await,
                Some(t) => tokio::time::timeout(t, self.inner.sync())
                    .await
                    .map_err(|_| anyhow::anyhow!("sync: JetStream did not acknowledge within {t:?}; the updates stay queued"))?,
            }
        })
    }

    /// Writes a checkpoint now.
    pub fn checkpoint(&self) -> anyhow::Result<()> {
        self.rt.block_on(self.inner.checkpoint())
    }

    /// The node's counters and health.
    pub fn status(&self) -> anyhow::Result<Status> {
        self.rt.block_on(self.inner.status())
    }

    /// The latest progress (last applied stream sequence, frames applied).
    pub fn progress(&self) -> Progress {
        *self.inner.progress().borrow()
    }

    /// Writes a final checkpoint and stops.
    pub fn shutdown(self) -> anyhow::Result<()> {
        self.rt.block_on(self.inner.shutdown())
    }
}
