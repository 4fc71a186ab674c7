//! `atomik-nats node …`: the node of `atomik node` as a small standalone
//! binary, so this crate's tests (and `atomik cluster --node-bin`) can run
//! nodes as separate processes without building the whole `atomik` CLI.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// ATOMiK replication node over NATS JetStream.
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
}

fn main() -> ExitCode {
    let Cmd::Node(args) = Cli::parse().command;
    match atomik_nats::cli_node::run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
