//! # atomik-nats — ATOMiK delta replication over NATS JetStream
//!
//! Nodes exchange the [`atomik::Replica`]'s delta messages as v1 frames,
//! batched into NATS messages on one JetStream stream per table
//! (`atomik.<table>.deltas`, stream `ATOMIK_<table>`). Each node reads the
//! stream through its own durable consumer and applies every frame through
//! its replica, which deduplicates by `(sender, seq)` because JetStream may
//! redeliver. Lost deliveries are repaired by replay from the stream, and a
//! node restarts from an fsynced checkpoint plus the stream after it.
//!
//! * [`conn`]: connecting, with user/password or nkey auth and TLS;
//! * [`node::Node`]: one node (publisher, consumer, checkpoints);
//! * [`checkpoint`]: the checkpoint file;
//! * [`cli_node`], [`cluster`], [`mod@bench`]: the `atomik node`, `atomik cluster`
//!   and `atomik bench-nats` commands.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bench;
pub mod checkpoint;
pub mod cli_node;
pub mod cluster;
pub mod conn;
pub mod node;
pub mod oracle;
mod publisher;
pub mod stream;

pub use conn::ConnArgs;
pub use node::{Node, NodeConfig, Op, Status};
