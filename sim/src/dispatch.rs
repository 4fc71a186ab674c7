//! The one place a design's kind picks its stimulus type (and a lanes
//! design's `N`): the entry points that take any design.

use std::path::{Path, PathBuf};

use atomik_hdl::contract::{Counts, Cycle, Mismatch};

use crate::axis::AxisCycle;
use crate::config::RunConfig;
use crate::design::Kind;
use crate::lanes::LaneCycle;
use crate::lockstep::{Failure, Report, bare_seconds, diagnose, run_as};
use crate::stimulus::Stimulus;
use crate::verilated::ModelError;

// `by_lanes!(n, f(args))`: `f::<LaneCycle<n>>(args)` for every lane count
// of the catalogue's lanes designs (written by build.rs from the catalogue).
include!(concat!(env!("OUT_DIR"), "/lane_counts.rs"));

/// Calls `f::<S>(args)` with the stimulus type `S` of `design`'s kind: the
/// one place a design's kind picks its stimulus (and a lanes design's `N`).
macro_rules! by_kind {
    ($design:expr, $f:ident($($arg:expr),*)) => {
        match $design.kind() {
            Kind::Table => $f::<Cycle>($($arg),*).map(Into::into),
            Kind::Lanes(n) => by_lanes!(n, $f($($arg),*)),
            Kind::Axis => $f::<AxisCycle>($($arg),*).map(Into::into),
            Kind::Board => Err(ModelError::NotLockstep($design)),
        }
    };
}

/// Runs `config` to completion (or the first mismatch), calling `progress`
/// after every batch of cycles; with [`RunConfig::measure_bare`], then
/// times the model alone on the same cycles.
///
/// Two threads work in a pipeline: a simulation thread owns the Verilator
/// model (`simulate`) and runs batch *i* while this thread generates batch
/// *i + 1* and checks batch *i − 1*, cycle by cycle, against the model.
pub fn run(config: &RunConfig, mut progress: impl FnMut(&Counts)) -> Result<Report, ModelError> {
    let mut report: Report = by_kind!(config.design, run_as(config, &mut progress))?;
    if config.measure_bare && config.vcd.is_none() && report.first.is_none() {
        let batches = report.random_batches;
        report.bare_seconds = Some(by_kind!(config.design, bare_seconds(config, batches))?);
    }
    Ok(report)
}

/// A failure of any design, explained (what `atomik cosim` prints).
#[derive(Clone, Debug)]
pub struct Diagnosis {
    /// The report: mismatch, minimal sequence, VCD path, replay command.
    pub text: String,
    /// VCD trace of the minimal sequence.
    pub vcd: PathBuf,
    /// The minimal failing sequence, one cycle per string.
    pub minimal: Vec<String>,
}

impl<S: Stimulus> From<Failure<S>> for Diagnosis {
    fn from(f: Failure<S>) -> Diagnosis {
        Diagnosis {
            text: f.to_string(),
            minimal: f.minimal.iter().map(ToString::to_string).collect(),
            vcd: f.vcd,
        }
    }
}

/// [`diagnose`] for whichever stimulus `config.design` takes.
pub fn diagnose_any(
    config: &RunConfig,
    original: Mismatch,
    vcd: &Path,
) -> Result<Diagnosis, ModelError> {
    let diagnosis: Diagnosis = by_kind!(config.design, diagnose(config, original, vcd))?;
    Ok(diagnosis)
}
