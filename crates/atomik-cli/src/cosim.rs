//! `atomik cosim`: the emitted Verilog in Verilator against the software model.

use std::path::PathBuf;

use anyhow::Result;
use atomik_sim::{
    DEFAULT_SWEEP_EVERY, Design, Diagnosis, Report, RunConfig, default_vcd_path, diagnose_any, run,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

/// `--design`: any [`Design`], by the name the replay hint prints.
fn design_parser() -> impl clap::builder::TypedValueParser<Value = Design> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    // Board tops are driven through their UART (`atomik board cosim`).
    let lockstep = Design::all().filter(|d| d.kind() != atomik_sim::Kind::Board);
    PossibleValuesParser::new(lockstep.map(|d| PossibleValue::new(d.name()).help(d.about()))).map(
        |name| {
            name.parse::<Design>()
                .expect("clap admits only design names")
        },
    )
}

/// Options of `atomik cosim`.
#[derive(Debug, clap::Args)]
pub(crate) struct CosimArgs {
    /// Random ops to run (at least; then every context is read back).
    #[arg(long, default_value_t = 1_000_000)]
    ops: u64,
    /// Stimulus seed (default: derived from the clock, and printed).
    #[arg(long)]
    seed: Option<u64>,
    /// Print one JSON object on stdout instead of the summary.
    #[arg(long)]
    json: bool,
    /// Trace the whole run to this VCD file (slower; keep --ops small).
    #[arg(long)]
    vcd: Option<PathBuf>,
    /// Which Verilog to simulate.
    #[arg(long, value_parser = design_parser(), default_value = "default")]
    design: Design,
    /// READ back every context every this many ops (0: only at the end).
    #[arg(long, default_value_t = DEFAULT_SWEEP_EVERY)]
    sweep_every: u64,
    /// Start with random flops and memories (only reset makes them zero).
    #[arg(long)]
    random_state: bool,
    /// An op on the control port and on every lane in every cycle (resets
    /// and sweeps still happen): measures ops per cycle at saturation.
    #[arg(long)]
    full_load: bool,
}

fn seed_from_clock() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    secs.rotate_left(32) ^ u64::from(nanos) ^ u64::from(std::process::id()).rotate_left(48)
}

/// Runs the co-simulation; returns whether it passed.
pub(crate) fn cosim(a: &CosimArgs) -> Result<bool> {
    let config = config_from(a);
    if !a.json {
        eprintln!(
            "co-simulating {} (seed {}, {} ops)",
            config.design.name(),
            config.seed,
            a.ops
        );
    }
    let report = run_with_progress(&config, a.ops)?;
    let failure = match report.first {
        Some(m) => Some(diagnose_any(&config, m, &default_vcd_path(config.seed))?),
        None => None,
    };
    if a.json {
        println!("{}", report_json(&config, &report, failure.as_ref()));
    } else {
        print_report(&report, a.vcd.as_deref());
    }
    if let Some(f) = &failure {
        eprintln!("{}", f.text);
    }
    Ok(failure.is_none())
}

/// The run the command line asks for.
fn config_from(a: &CosimArgs) -> RunConfig {
    let seed = a.seed.unwrap_or_else(seed_from_clock);
    let mut config = RunConfig::new(a.design, seed, a.ops);
    config.random_state = a.random_state;
    config.full_load = a.full_load;
    config.sweep_every = a.sweep_every;
    config.vcd.clone_from(&a.vcd);
    // The model alone on the same cycles, for `bare_model_cycles_per_second`.
    config.measure_bare = true;
    config
}

/// [`run`] with a progress bar on stderr.
fn run_with_progress(config: &RunConfig, ops: u64) -> Result<Report> {
    let bar = ProgressBar::with_draw_target(Some(ops), ProgressDrawTarget::stderr()).with_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} ops, {msg}",
        )
        .expect("valid template"),
    );
    let report = run(config, |c| {
        bar.set_position(c.ops.min(ops));
        bar.set_message(format!("{} results checked", c.results));
    })?;
    bar.finish_and_clear();
    Ok(report)
}

/// `--json`: one object with the counts, the speeds and any failure.
fn report_json(
    config: &RunConfig,
    report: &Report,
    failure: Option<&Diagnosis>,
) -> serde_json::Value {
    let design = config.design;
    let c = report.counts;
    json!({
        "design": design.name(),
        "seed": config.seed,
        "ops": c.ops,
        "cycles": c.cycles,
        "results_checked": c.results,
        "resets": c.resets,
        "mismatches": report.mismatches,
        "lanes": design.lanes(),
        "latency": design.latency(),
        "seconds": report.seconds,
        "cycles_per_second": report.cycles_per_second(),
        "ops_per_cycle": report.ops_per_cycle(),
        "ops_per_second": report.ops_per_second(),
        "bare_model_seconds": report.bare_seconds,
        "bare_model_cycles_per_second": report.bare_model_cycles_per_second(),
        // Where the checked run's time went (seconds summed per batch).
        "split": {
            "model": report.split.model,
            "stimulus": report.split.stimulus,
            "check": report.split.check,
            "wait_for_model": report.split.wait,
        },
        "first_mismatch": report.first.map(|m| m.to_string()),
        "failure_vcd": failure.map(|f| f.vcd.display().to_string()),
        "minimal_sequence": failure.map(|f| &f.minimal),
    })
}

/// The human-readable summary.
fn print_report(report: &Report, vcd: Option<&std::path::Path>) {
    let c = report.counts;
    println!(
        "{} ops in {} cycles ({:.2} ops/cycle), {} results checked, {} resets: {} mismatches in {:.2} s ({:.1} M cycles/s, {:.1} M ops/s checked)",
        c.ops,
        c.cycles,
        report.ops_per_cycle(),
        c.results,
        c.resets,
        report.mismatches,
        report.seconds,
        report.cycles_per_second() / 1e6,
        report.ops_per_second() / 1e6
    );
    if let Some(bare) = report.bare_model_cycles_per_second() {
        println!(
            "the model alone on the same cycles: {:.1} M cycles/s (checked/bare {:.2})",
            bare / 1e6,
            report.cycles_per_second() / bare
        );
    }
    if let Some(p) = vcd {
        println!("trace: {}", p.display());
    }
}
