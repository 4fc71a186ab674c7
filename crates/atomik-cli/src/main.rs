//! `atomik`: the command line of the atomik workspace.
#![forbid(unsafe_code)]

mod bench;
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
    /// Tour of the algebra, checking every claim it prints.
    Demo,
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

fn run_demo() -> ExitCode {
    println!(
        "atomik {} — the ATOMiK delta-state algebra",
        env!("CARGO_PKG_VERSION")
    );
    let stages = vec![
        demo::stage("the four operations", demo::operations),
        demo::stage("a table of contexts", demo::table),
        demo::stage("fingerprints", demo::fingerprints),
        demo::stage("replicas over a lossy wire", demo::replicas),
    ];
    println!("\n== summary");
    let mut ok = true;
    for s in &stages {
        let (status, detail) = match &s.result {
            Ok(d) => ("ok", d.clone()),
            Err(e) => {
                ok = false;
                ("FAILED", format!("{e:#}"))
            }
        };
        println!(
            "   {:<28} {:<7} {:>8.3} s   {}",
            s.name, status, s.seconds, detail
        );
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo => run_demo(),
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
    }
}
