//! # atomik-nats-tools — the replication tools around the `atomik-nats` library
//!
//! * [`cli_node`]: `atomik node`, a node process serving one or more tables
//!   through a line protocol on stdin;
//! * [`cluster`]: `atomik cluster`, a 3-server cluster with node processes,
//!   faults (process, network, disk) and a check against the issued updates;
//! * [`mod@bench`]: `atomik bench-nats`, delta replication against NATS KV;
//! * [`soak`]: `atomik-nats soak`, bounded storage over a long run and the
//!   time a new node takes to join;
//! * [`oracle`]: the independent model of the converged table, and the stream audit;
//! * [`harness`]: what the tools and tests start: `nats-server` processes,
//!   fault proxies, small filesystems.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod args;
pub mod bench;
pub mod cli_node;
pub mod cluster;
pub mod harness;
pub mod oracle;
pub mod soak;
