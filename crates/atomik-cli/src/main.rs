//! `atomik`: the command line of the atomik workspace.
#![forbid(unsafe_code)]

mod bench;
mod board;
mod board_cosim;
mod board_flash;
mod board_pty;
mod cosim;
mod demo;
mod verilog;

use std::alloc::System;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

/// Counts heap bytes so the benchmarks can report real memory use.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The ATOMiK delta-state algebra: demo, benchmarks, hardware and co-simulation.
#[derive(Debug, Parser)]
#[command(name = "atomik", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The whole chain, end to end: algebra, Verilog, lint, co-simulation, C.
    Demo {
        /// The atomik repository (default: the one this binary was built from).
        #[arg(long)]
        repo: Option<std::path::PathBuf>,
        /// Where libatomik_core.a is (default: REPO/target/release; built if missing).
        #[arg(long)]
        lib_dir: Option<std::path::PathBuf>,
    },
    /// The five benchmarks of the original package, done honestly.
    Bench {
        /// Print one JSON object on stdout instead of the report.
        #[arg(long)]
        json: bool,
        /// Smaller inputs (seconds instead of a minute); noisier numbers.
        #[arg(long)]
        quick: bool,
    },
    /// Emit the state table as synthesizable Verilog (rust-hdl).
    Verilog(verilog::VerilogArgs),
    /// Co-simulate the Verilog in Verilator against the software model, every cycle.
    Cosim(cosim::CosimArgs),
    /// A board's table over its serial port, or a board top co-simulated behind a pty.
    #[command(subcommand)]
    Board(board::BoardCommand),
    /// Run one replication node serving one or more tables over NATS JetStream (updates on stdin).
    Node(atomik_nats_tools::cli_node::NodeArgs),
    /// 3 NATS servers + node processes on loopback, random traffic, process/network/disk faults, oracle check.
    Cluster(atomik_nats_tools::cluster::ClusterArgs),
    /// Delta replication vs full values through NATS KV: throughput, latency, bytes.
    BenchNats(atomik_nats_tools::bench::BenchArgs),
}

/// Prints an error the way clap does and returns the failure exit code.
fn report(r: anyhow::Result<()>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_demo(repo: &demo::Repo) -> ExitCode {
    println!(
        "atomik {} — the ATOMiK delta-state algebra, every tier end to end",
        atomik::VERSION
    );
    let mut stages = vec![
        demo::stage("the four operations".into(), demo::operations),
        demo::stage("a table of contexts".into(), demo::table),
        demo::stage("fingerprints".into(), demo::fingerprints),
        demo::stage("replicas over a lossy wire".into(), demo::replicas),
        demo::stage("Verilog from rust-hdl".into(), || demo::emit_verilog(repo)),
        demo::stage("Verilator lint".into(), || demo::lint_verilog(repo)),
    ];
    // The designs the catalogue marks for the demo, in catalogue order.
    for design in atomik_sim::Design::all().filter(|d| d.spec().demo) {
        let name = format!("co-simulation of {}, 1 M ops", design.name());
        stages.push(demo::stage(name, || demo::cosim(design)));
    }
    stages.push(demo::stage("C library quick start".into(), || {
        demo::c_quickstart(repo)
    }));
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_header(["stage", "result", "time", "what was shown"]);
    let mut ok = true;
    for s in &stages {
        let (status, detail) = match &s.result {
            Ok(d) => ("ok", d.clone()),
            Err(e) => {
                ok = false;
                ("FAILED", format!("{e:#}"))
            }
        };
        table.add_row([
            s.name.clone(),
            status.to_string(),
            format!("{:.2} s", s.seconds),
            detail,
        ]);
    }
    println!("\n{table}");
    if ok {
        println!("every tier agrees: software model, Verilog, co-simulation and C library");
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo { repo, lib_dir } => run_demo(&demo::Repo::locate(repo, lib_dir)),
        Command::Bench { json, quick } => {
            bench::run(
                json,
                if quick {
                    bench::Sizes::quick()
                } else {
                    bench::Sizes::full()
                },
            );
            ExitCode::SUCCESS
        }
        Command::Verilog(args) => report(verilog::run(&args)),
        Command::Cosim(args) => match cosim::cosim(&args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => report(Err(e)),
        },
        Command::Board(cmd) => match board::run(&cmd) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => report(Err(e)),
        },
        Command::Node(args) => report(atomik_nats_tools::cli_node::run(&args)),
        Command::BenchNats(args) => report(atomik_nats_tools::bench::run(&args)),
        Command::Cluster(args) => match atomik_nats_tools::cluster::run(&args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => report(Err(e)),
        },
    }
}
