//! `atomik cluster`: a 3-server JetStream cluster, node processes serving
//! one or more tables, random traffic, injected faults, and a check of
//! every table against the updates the run issued.
//!
//! Every process, proxy and filesystem is made by this command and removed
//! when it ends (processes are killed by PID), also on error. Each node
//! reaches the servers only through fault proxies (one per node and
//! server), and each server reaches the others only through route
//! proxies; the run's own connection (audit, health checks) is direct.
//!
//! Accounting: an update is *committed* once the node that took it
//! answered a later `sync`. At the end every table is computed from the
//! updates the run issued that the stream holds (an audit reader reads the
//! stream as it grows, so purging does not hide anything from it), and
//! compared with every node's table, bit for bit. `lost` counts committed
//! updates missing from the stream; `phantom` counts stream frames nobody
//! issued or whose content differs; `duplicated` counts identities handed
//! out twice for different updates; `stream_copies` counts frames the
//! stream holds more than once (re-published batches), which the replicas'
//! dedup absorbs.

mod faults;
mod nodes;
mod run;
mod waits;

pub use faults::Fault;
pub use waits::Waits;

use std::path::PathBuf;
use std::time::Duration;

use crate::harness::disk::SmallDisk;
use crate::harness::proxy::Proxy;
use crate::harness::server::Cluster;
use nodes::{Book, NodeProc, NodeSpec};

/// Arguments of `atomik cluster`.
#[derive(Debug, Clone, clap::Args)]
pub struct ClusterArgs {
    /// Fault rounds (each: traffic on every node, one fault, a sync).
    #[arg(long, default_value_t = 30)]
    pub rounds: u32,
    /// Updates per node per round.
    #[arg(long, default_value_t = 200)]
    pub ops: u32,
    /// Node processes.
    #[arg(long, default_value_t = 3)]
    pub nodes: usize,
    /// Tables, each served by every node.
    #[arg(long, default_value_t = 1)]
    pub tables: usize,
    /// Contexts per table.
    #[arg(long, default_value_t = 64)]
    pub contexts: usize,
    /// The fault kinds the rounds take in turn (comma separated; `none`
    /// for traffic only). Default: every kind; the disk-* kinds need root.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = Fault::ALL)]
    pub faults: Vec<Fault>,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Base limit of every wait in seconds; a wait is extended while the
    /// cluster is still recovering from a fault.
    #[arg(long, default_value_t = 30)]
    pub wait_s: u64,
    /// Longest any wait may last, in seconds.
    #[arg(long, default_value_t = 600)]
    pub wait_cap_s: u64,
    /// The nats-server binary.
    #[arg(long, default_value = "nats-server")]
    pub nats_server: PathBuf,
    /// The executable that runs `node` (default: this executable).
    #[arg(long)]
    pub node_bin: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

const USER: &str = "atomik";

/// Everything the run started, plus what it observed.
struct Run {
    args: ClusterArgs,
    dir: PathBuf,
    tables: Vec<String>,
    cluster: Cluster,
    /// `client_links[i][s]`: node `i`'s proxy to server `s`.
    client_links: Vec<Vec<Proxy>>,
    spec: NodeSpec,
    nodes: Vec<Option<NodeProc>>,
    disks: Vec<Option<SmallDisk>>,
    /// Small filesystems made so far (each fsync round makes a fresh one).
    disk_serial: u64,
    rng: fastrand::Rng,
    book: Book,
    waits: Waits,
    faults: Vec<(Fault, u64)>,
    sync_ms: Vec<f64>,
    /// Local answer times of nodes cut off from every server.
    local_ms: Vec<f64>,
    /// Node cuts the node itself noticed (reader or publisher error).
    noticed: u64,
    /// Nodes that refused to start on a read-only disk, as they must.
    refused_starts: u64,
    traffic_time: Duration,
}

/// Runs `atomik cluster` and prints its report; the result says whether it passed.
pub fn run(args: &ClusterArgs) -> anyhow::Result<bool> {
    let v = measure(args)?;
    let ok = v["passed"] == true;
    if args.json {
        println!("{v}");
    } else {
        println!("{}", serde_json::to_string_pretty(&v)?);
        println!(
            "{}",
            if ok {
                "CONVERGED: every node equals the oracle"
            } else {
                "FAILED"
            }
        );
    }
    Ok(ok)
}

/// Runs the cluster and returns its report (JSON, with `"passed"`).
pub fn measure(args: &ClusterArgs) -> anyhow::Result<serde_json::Value> {
    crate::args::runtime()?.block_on(run::measure(args))
}
