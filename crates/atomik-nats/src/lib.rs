//! # atomik-nats — ATOMiK delta replication over NATS JetStream
//!
//! A *node* joins a *table*: it keeps an [`atomik::Replica`] of the table
//! in step with the table's JetStream stream. Local operations change the
//! replica at once and are published as v1 frames, batched into NATS
//! messages on the stream `ATOMIK_<table>` (subject `atomik.<table>.deltas`).
//! Every node reads the whole stream in order and applies each frame
//! through its replica, which deduplicates by `(sender, seq)` because
//! JetStream may redeliver and publishers may re-publish.
//!
//! Joining a table:
//! 1. connect: [`ConnOptions::connect`] (user/password, nkey, TLS);
//! 2. start a node: [`Node::start`] with a [`NodeConfig`] (table, node id,
//!    data directory): it restores its checkpoint, or the table's newest
//!    snapshot, or replays the stream, and catches up;
//! 3. publish operations with [`Node::ops`] ([`Op::Accum`], [`Op::Load`],
//!    [`Op::Swap`]); read with [`Node::read`] / [`Node::dump`];
//! 4. [`Node::sync`] to know that earlier operations are in the stream and
//!    the stream is applied; [`Node::checkpoint`] / [`Node::shutdown`] to
//!    write the checkpoint.
//!
//! [`blocking`] offers the same without an async runtime. Several tables
//! share one connection: start one node per table.
//!
//! Storage stays bounded: nodes upload table snapshots to a JetStream
//! object store and purge the stream below them ([`snapshot`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod blocking;
pub mod checkpoint;
mod config;
pub mod conn;
pub mod identity;
mod node;
mod publisher;
mod reader;
pub mod snapshot;
mod state;
pub mod stream;

pub use config::{NodeConfig, Retention};
pub use conn::ConnOptions;
pub use node::{Node, Progress, Recovery, Status};
pub use state::{Op, OpDone};
