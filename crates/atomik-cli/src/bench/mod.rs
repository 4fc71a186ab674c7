//! `atomik bench`: the original package's five benchmarks, done honestly.
//!
//! Every ratio printed is two numbers measured in this run, on the same
//! inputs, and each pair of contenders is checked to compute the same answer.
//! Times are the median of several repetitions; memory is what the global
//! allocator actually handed out (see `main.rs`), not a formula.
//!
//! Each benchmark first *measures* into a plain struct (one module each), and
//! only then is that struct rendered, as text lines or as JSON, so what is
//! printed and what is measured cannot disagree.

mod bandwidth;
mod change;
mod convergence;
mod rollback;
mod throughput;
mod util;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::{Value, json};

/// Benchmark sizes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sizes {
    /// Repetitions per measurement (the median is reported).
    reps: usize,
    /// Updates recorded in the rollback benchmark.
    rollback_updates: usize,
    /// Checks per change-detection method for the O(n) methods.
    slow_checks: usize,
    /// Checks for the O(1) methods.
    fast_checks: usize,
    /// Messages in the convergence benchmark.
    messages: usize,
    /// Updates in the bandwidth benchmark.
    bandwidth_updates: usize,
    /// Operations per throughput measurement.
    ops: usize,
}

impl Sizes {
    pub(crate) fn full() -> Self {
        Sizes {
            reps: 5,
            rollback_updates: 10_000,
            slow_checks: 2_000,
            fast_checks: 2_000_000,
            messages: 400_000,
            bandwidth_updates: 10_000,
            ops: 1 << 22,
        }
    }

    /// Small enough for the test suite; the numbers are noisier.
    pub(crate) fn quick() -> Self {
        Sizes {
            reps: 3,
            rollback_updates: 10_000,
            slow_checks: 200,
            fast_checks: 100_000,
            messages: 40_000,
            bandwidth_updates: 10_000,
            ops: 1 << 16,
        }
    }
}

/// Contexts in the tables the benchmarks use (the hardware's 256).
const CONTEXTS: usize = 256;

/// A finished measurement: rendered as report lines, serialised as JSON.
trait Measurement: Serialize {
    /// The human-readable report lines.
    fn render(&self, out: &mut Vec<String>);
}

/// Measures one benchmark and renders it both ways.
fn measured<M: Measurement>(m: &M, out: &mut Vec<String>) -> Value {
    m.render(out);
    serde_json::to_value(m).expect("benchmark results serialise")
}

/// Runs all five benchmarks; prints a report (or one JSON object) on stdout.
pub(crate) fn run(json_out: bool, sizes: Sizes) {
    type Bench = fn(Sizes, &mut Vec<String>) -> Value;
    let benches: [(&str, Bench); 5] = [
        ("rollback", |s, o| measured(&rollback::measure(s), o)),
        ("change_detection", |s, o| measured(&change::measure(s), o)),
        ("convergence", |s, o| measured(&convergence::measure(s), o)),
        ("bandwidth", |s, o| measured(&bandwidth::measure(s), o)),
        ("throughput", |s, o| measured(&throughput::measure(s), o)),
    ];
    let bar = ProgressBar::new(benches.len() as u64).with_style(
        ProgressStyle::with_template("{spinner} [{pos}/{len}] {msg}").expect("valid template"),
    );
    let mut report = Vec::new();
    let mut obj = serde_json::Map::new();
    for (name, f) in benches {
        bar.set_message(name);
        let v = f(sizes, &mut report);
        report.push(String::new());
        obj.insert(name.into(), v);
        bar.inc(1);
    }
    bar.finish_and_clear();
    obj.insert("reps_per_measurement".into(), json!(sizes.reps));
    if json_out {
        println!("{}", Value::Object(obj));
    } else {
        for line in report {
            println!("{line}");
        }
        println!(
            "Each time is the median of {} runs in this process.",
            sizes.reps
        );
    }
}
