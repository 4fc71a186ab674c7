//! `atomik-nats node|cluster|bench-nats …`: the replication commands of the
//! `atomik` CLI as a small standalone binary, so this crate's tests, its
//! benchmark and `cluster` (which re-runs this executable as its nodes) work
//! without building the whole `atomik` CLI and its simulation models.
#![forbid(unsafe_code)]

use std::process::ExitCode;

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
    /// Run one replication node (updates on stdin).
    Node(atomik_nats::cli_node::NodeArgs),
    /// 3 NATS servers + 3 nodes on loopback, random traffic and faults, oracle check.
    Cluster(atomik_nats::cluster::ClusterArgs),
    /// Delta replication vs full values through NATS KV: throughput, latency, bytes.
    BenchNats(atomik_nats::bench::BenchArgs),
}

fn main() -> ExitCode {
    let r = match Cli::parse().command {
        Cmd::Node(args) => atomik_nats::cli_node::run(&args),
        Cmd::BenchNats(args) => atomik_nats::bench::run(&args),
        Cmd::Cluster(args) => match atomik_nats::cluster::run(&args) {
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
