//! `atomik-nats node|cluster|bench-nats|soak …`: the replication commands of
//! the `atomik` CLI as a small standalone binary, so the tests, the
//! benchmarks and `cluster` (which re-runs this executable as its nodes)
//! work without building the whole `atomik` CLI and its simulation models.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use atomik_nats_tools::{bench, cli_node, cluster, soak};
use clap::{Parser, Subcommand};

/// ATOMiK replication over NATS JetStream.
#[derive(Debug, Parser)]
#[command(name = "atomik-nats", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run one replication node serving one or more tables (updates on stdin).
    Node(cli_node::NodeArgs),
    /// 3 NATS servers + node processes on loopback, random traffic, faults, oracle check.
    Cluster(cluster::ClusterArgs),
    /// Delta replication vs full values through NATS KV: throughput, latency, bytes.
    BenchNats(bench::BenchArgs),
    /// Bounded storage over a long run, and the time a new node takes to join.
    Soak(soak::SoakArgs),
}

fn main() -> ExitCode {
    let r = match Cli::parse().command {
        Cmd::Node(args) => cli_node::run(&args),
        Cmd::BenchNats(args) => bench::run(&args),
        Cmd::Soak(args) => soak::run(&args),
        Cmd::Cluster(args) => match cluster::run(&args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
