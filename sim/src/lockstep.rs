//! Runs a Verilator model and the checker side by side, and explains failures.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use atomik_hdl::contract::{Counts, Cycle, Mismatch};

use crate::config::RunConfig;
use crate::design::Design;
use crate::stimulus::{Counted, Source, Stimulus, junk};
use crate::verilated::ModelError;

/// Cycles handed to the model per call: large enough that the FFI cost
/// vanishes, small enough to stay in cache.
const BATCH: usize = 4096;

/// The outcome of a run.
#[derive(Clone, Debug)]
pub struct Report {
    /// The configuration that ran.
    pub config: RunConfig,
    /// What was checked.
    pub counts: Counts,
    /// Number of mismatches (the run stops at the first: after it the
    /// hardware and the model no longer share a state).
    pub mismatches: u64,
    /// The first mismatch, if any.
    pub first: Option<Mismatch>,
    /// Wall time of the simulation and checking.
    pub seconds: f64,
    /// With [`RunConfig::measure_bare`]: the time the model alone took
    /// to run the same cycles (stimulus made ahead, nothing checked).
    pub bare_seconds: Option<f64>,
    /// Random batches of cycles driven before the final sweep (they make
    /// the run deterministic: the same seed and ops give the same count).
    pub random_batches: u64,
    /// Where the checked run's time went.
    pub split: Split,
}

impl Report {
    /// Simulated clock cycles per wall-clock second, checked.
    pub fn cycles_per_second(&self) -> f64 {
        self.counts.cycles as f64 / self.seconds.max(1e-9)
    }

    /// Accepted ops (control port and lanes) checked per wall-clock second.
    pub fn ops_per_second(&self) -> f64 {
        self.counts.ops as f64 / self.seconds.max(1e-9)
    }

    /// Accepted ops per simulated clock cycle.
    pub fn ops_per_cycle(&self) -> f64 {
        self.counts.ops as f64 / self.counts.cycles.max(1) as f64
    }

    /// The model alone on the same cycles, when measured.
    pub fn bare_model_cycles_per_second(&self) -> Option<f64> {
        self.bare_seconds
            .map(|s| self.counts.cycles as f64 / s.max(1e-9))
    }
}

/// A batch of cycles on its way through the simulation thread: the port
/// values of each cycle and what the model showed.
struct Job<P, O> {
    ins: Vec<P>,
    outs: Vec<O>,
    /// Time the model took on this batch.
    model_seconds: f64,
}

/// The batch type of stimulus `S`.
type JobOf<S> = Job<<S as Stimulus>::Ports, <S as Stimulus>::Out>;

/// What the simulation thread hands back: a simulated batch, or why the
/// model could not be built.
type Done<S> = Result<JobOf<S>, ModelError>;

impl<P, O> Job<P, O> {
    fn new() -> Self {
        Job {
            ins: Vec::with_capacity(BATCH),
            outs: Vec::with_capacity(BATCH),
            model_seconds: 0.0,
        }
    }
}

/// Where the time of a checked run went, summed over its batches: the
/// profile that says which thread holds the pipeline back.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Split {
    /// Simulation thread: the model running.
    pub model: f64,
    /// Checking thread: making the stimulus and its port values.
    pub stimulus: f64,
    /// Checking thread: the checker comparing and advancing.
    pub check: f64,
    /// Checking thread: waiting for the model's next batch.
    pub wait: f64,
}

/// Seconds `f` took, and its value.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed().as_secs_f64())
}

/// Batches in flight. Three keep both threads busy on an idle machine (one
/// simulated, one checked, one generated); more let the simulation thread
/// keep running while the checking thread waits to be scheduled after a
/// hand-off, which on a loaded machine takes milliseconds. Measured with 3
/// at a load average of 3 (default design): the model thread ran the model
/// only 0.56 s of a 1.03 s run, starved of batches; the checking thread
/// needed 0.24 s.
const IN_FLIGHT: usize = 8;

/// Produces the stimulus of a run, one batch at a time: random batches
/// until the caller has seen enough, then the final sweep and enough idle
/// cycles to drain the pipeline, then nothing.
struct Feeder<S: Stimulus> {
    design: Design,
    source: S::Source,
    /// Random batches generated so far.
    random_batches: u64,
    /// Cycles generated so far (the junk of cycle `i` is `junk(i)`).
    index: u64,
    finished: bool,
}

impl<S: Stimulus> Feeder<S> {
    fn new(config: &RunConfig) -> Self {
        Feeder {
            design: config.design,
            source: S::source(config),
            random_batches: 0,
            index: 0,
            finished: false,
        }
    }

    /// Refills `cycles` and `job.ins` with the next batch (empty at the
    /// end): a random one, or once `enough`, the final one.
    fn next_batch(&mut self, job: &mut JobOf<S>, cycles: &mut Vec<S>, enough: bool) {
        cycles.clear();
        if self.finished {
            return;
        }
        if enough {
            self.finished = true;
            self.source.start_sweep();
            while self.source.sweeping() {
                cycles.push(self.source.next_cycle());
            }
            cycles.extend(std::iter::repeat_n(S::IDLE, self.design.latency() + 2));
        } else {
            self.random_batches += 1;
            cycles.extend((0..BATCH).map(|_| self.source.next_cycle()));
        }
        let (design, index) = (self.design, self.index);
        job.ins.clear();
        job.ins.extend(
            cycles
                .iter()
                .enumerate()
                .map(|(i, c)| c.ports(design, junk(index + i as u64))),
        );
        self.index += cycles.len() as u64;
    }
}

/// The simulation thread: builds the model (models are not `Send`), then
/// runs every batch it is sent and hands it back, until either channel closes.
fn simulate<S: Stimulus>(config: &RunConfig, jobs: Receiver<JobOf<S>>, done: SyncSender<Done<S>>) {
    let mut model = match config.model(config.vcd.as_deref()) {
        Ok(m) => m,
        Err(e) => {
            let _ = done.send(Err(e));
            return;
        }
    };
    for mut job in jobs {
        let n = job.ins.len();
        job.outs.resize(n, S::Out::default());
        ((), job.model_seconds) = timed(|| S::run(&mut model, &job.ins, &mut job.outs[..n]));
        if done.send(Ok(job)).is_err() {
            return; // the checker stopped (a mismatch)
        }
    }
}

/// The model alone, driven with the cycles `run` drove: seconds spent in
/// the model (making the stimulus is not timed).
pub(crate) fn bare_seconds<S: Stimulus>(
    config: &RunConfig,
    random_batches: u64,
) -> Result<f64, ModelError> {
    let mut model = config.model(None)?;
    let mut outs = Vec::with_capacity(BATCH);
    let mut seconds = 0.0;
    for ins in run_inputs::<S>(config, random_batches) {
        outs.resize(ins.len(), S::Out::default());
        seconds += timed(|| S::run(&mut model, &ins, &mut outs)).1;
    }
    Ok(seconds)
}

/// The input port values `run(config)` drove, batch by batch, given the
/// [`Report::random_batches`] it reported: the same cycles, regenerated
/// from the seed. What [`RunConfig::measure_bare`] times the model alone
/// on, and the criterion benchmark's same-run baseline.
pub fn run_inputs<S: Stimulus>(
    config: &RunConfig,
    random_batches: u64,
) -> impl Iterator<Item = Vec<S::Ports>> {
    let mut feeder = Feeder::<S>::new(config);
    let mut job = Job::new();
    let mut cycles = Vec::with_capacity(BATCH);
    std::iter::from_fn(move || {
        let enough = feeder.random_batches >= random_batches;
        feeder.next_batch(&mut job, &mut cycles, enough);
        (!cycles.is_empty()).then(|| std::mem::take(&mut job.ins))
    })
}

/// [`run`](crate::run) for one kind of stimulus (without the bare measurement).
pub(crate) fn run_as<S: Stimulus>(
    config: &RunConfig,
    mut progress: impl FnMut(&Counts),
) -> Result<Report, ModelError> {
    let (to_sim, sim_jobs) = sync_channel::<JobOf<S>>(IN_FLIGHT);
    let (sim_done, done_jobs) = sync_channel::<Done<S>>(IN_FLIGHT);
    std::thread::scope(|scope| {
        scope.spawn(|| simulate::<S>(config, sim_jobs, sim_done));
        let mut feeder = Feeder::<S>::new(config);
        let mut checker = S::checker(config.design);
        let mut pending = std::collections::VecDeque::new();
        let mut first = None;
        let mut split = Split::default();
        let start = Instant::now();
        for _ in 0..IN_FLIGHT {
            let mut job = Job::new();
            let mut cycles = Vec::with_capacity(BATCH);
            feeder.next_batch(&mut job, &mut cycles, config.ops == 0);
            if cycles.is_empty() {
                break;
            }
            pending.push_back(cycles);
            to_sim.send(job).expect("the simulation thread is alive");
        }
        while let Some(mut cycles) = pending.pop_front() {
            let (job, wait) = timed(|| done_jobs.recv().expect("the simulation thread answers"));
            let mut job = job?;
            split.wait += wait;
            split.model += job.model_seconds;
            let check;
            (first, check) = timed(|| check_batch(&mut checker, &cycles, &job.outs));
            split.check += check;
            progress(&checker.counts());
            if first.is_some() {
                break;
            }
            // Enough once the ops checked so far reach the target: the
            // batches still in flight only add to it.
            let enough = checker.counts().ops >= config.ops;
            split.stimulus += timed(|| feeder.next_batch(&mut job, &mut cycles, enough)).1;
            if !cycles.is_empty() {
                pending.push_back(cycles);
                to_sim.send(job).expect("the simulation thread is alive");
            }
        }
        // Closing both channels ends the simulation thread whether it is
        // waiting for work or blocked handing back a batch nobody will check.
        drop(to_sim);
        drop(done_jobs);
        Ok(Report {
            config: config.clone(),
            counts: checker.counts(),
            mismatches: u64::from(first.is_some()),
            first,
            seconds: start.elapsed().as_secs_f64(),
            bare_seconds: None,
            random_batches: feeder.random_batches,
            split,
        })
    })
}

/// Checks one batch of cycles against what the hardware showed; returns the
/// first mismatch.
fn check_batch<S: Stimulus>(
    checker: &mut S::Checker,
    cycles: &[S],
    outs: &[S::Out],
) -> Option<Mismatch> {
    cycles
        .iter()
        .zip(outs)
        .find_map(|(c, o)| c.check(checker, o).err())
}

/// Runs `cycles` (then enough idle cycles to flush every result) on a fresh
/// model of `config.design` — with `config`'s initial state — and returns the
/// first mismatch, if any. With `vcd`, traces every cycle to that file.
pub fn check_cycles<S: Stimulus>(
    config: &RunConfig,
    cycles: &[S],
    vcd: Option<&Path>,
) -> Result<Result<Counts, Mismatch>, ModelError> {
    let design = config.design;
    let mut model = config.model(vcd)?;
    let mut checker = S::checker(design);
    let all: Vec<S> = cycles
        .iter()
        .copied()
        .chain(std::iter::repeat_n(S::IDLE, design.latency() + 2))
        .collect();
    let ins: Vec<S::Ports> = all
        .iter()
        .enumerate()
        .map(|(i, c)| c.ports(design, junk(i as u64)))
        .collect();
    let mut outs = vec![S::Out::default(); all.len()];
    S::run(&mut model, &ins, &mut outs);
    Ok(match check_batch(&mut checker, &all, &outs) {
        Some(m) => Err(m),
        None => Ok(checker.counts()),
    })
}

/// Shrinks a failing cycle sequence with delta debugging (complement
/// removal, halving granularity) until removing any chunk makes it pass,
/// then simplifies the cycles left one at a time ([`Stimulus::simpler`]:
/// a lane dropped, an op made idle) while the sequence still fails, or
/// until `budget` runs out. Every candidate runs on a fresh model.
pub fn minimize<S: Stimulus>(
    config: &RunConfig,
    mut cycles: Vec<S>,
    budget: Duration,
) -> Result<Vec<S>, ModelError> {
    let fails =
        |c: &[S]| -> Result<bool, ModelError> { Ok(check_cycles(config, c, None)?.is_err()) };
    let start = Instant::now();
    let mut chunks = 2usize;
    while cycles.len() >= 2 && start.elapsed() < budget {
        let size = cycles.len().div_ceil(chunks);
        // The first complement (the sequence minus one chunk) that still fails.
        let mut smaller = None;
        for lo in (0..cycles.len()).step_by(size) {
            let hi = (lo + size).min(cycles.len());
            let candidate: Vec<S> = cycles[..lo].iter().chain(&cycles[hi..]).copied().collect();
            if fails(&candidate)? {
                smaller = Some(candidate);
                break;
            }
        }
        match smaller {
            Some(c) => {
                cycles = c;
                chunks = (chunks - 1).max(2);
            }
            None if chunks >= cycles.len() => break,
            None => chunks = (chunks * 2).min(cycles.len()),
        }
    }
    let mut i = 0;
    while i < cycles.len() && start.elapsed() < budget {
        let mut simplified = false;
        for candidate in cycles[i].simpler() {
            let saved = std::mem::replace(&mut cycles[i], candidate);
            if fails(&cycles)? {
                simplified = true;
                break;
            }
            cycles[i] = saved;
        }
        // A simplified cycle may simplify further; otherwise move on.
        i += usize::from(!simplified);
    }
    Ok(cycles)
}

/// Everything known about a failing run.
#[derive(Clone, Debug)]
pub struct Failure<S = Cycle> {
    /// The run that failed.
    pub config: RunConfig,
    /// Its first mismatch.
    pub original: Mismatch,
    /// A minimal cycle sequence that still fails.
    pub minimal: Vec<S>,
    /// The mismatch the minimal sequence produces.
    pub minimal_mismatch: Mismatch,
    /// VCD trace of the minimal sequence.
    pub vcd: PathBuf,
}

/// Replays the failing run from its seed up to the mismatch, shrinks it, and
/// traces the shrunk sequence to `vcd` (normally `target/cosim/fail-<seed>.vcd`).
pub fn diagnose<S: Stimulus>(
    config: &RunConfig,
    original: Mismatch,
    vcd: &Path,
) -> Result<Failure<S>, ModelError> {
    let mut source = S::source(config);
    let prefix: Vec<S> = (0..=original.cycle).map(|_| source.next_cycle()).collect();
    // The prefix must fail the same way again: determinism is what makes the
    // seed a complete bug report.
    let replayed = check_cycles(config, &prefix, None)?;
    assert_eq!(
        replayed.err(),
        Some(original),
        "replaying seed {} did not reproduce the mismatch",
        config.seed
    );
    let minimal = minimize(config, prefix, Duration::from_secs(60))?;
    if let Some(dir) = vcd.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let minimal_mismatch = check_cycles(config, &minimal, Some(vcd))?
        .expect_err("the minimal sequence fails by construction");
    Ok(Failure {
        config: config.clone(),
        original,
        minimal,
        minimal_mismatch,
        vcd: vcd.to_path_buf(),
    })
}

impl<S: Stimulus> fmt::Display for Failure<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        writeln!(
            f,
            "MISMATCH in {} (seed {}): {}",
            c.design, c.seed, self.original
        )?;
        writeln!(
            f,
            "minimal failing sequence ({} cycles; runs of idle cycles shown as a count; \
             ops presented while ready is low are marked \"not accepted\"):",
            self.minimal.len()
        )?;
        // The contract's `ready` (which the hardware matched up to the
        // mismatch) says which ops took effect.
        let accepted = S::accepted(c.design, &self.minimal);
        let mut idle = 0usize;
        for (i, (cycle, accepted)) in self.minimal.iter().zip(accepted).enumerate() {
            if *cycle == S::IDLE {
                idle += 1;
                continue;
            }
            if idle > 0 {
                writeln!(f, "  {:>6}  ({idle} idle)", "")?;
                idle = 0;
            }
            let note = if cycle.ops() > 0 && accepted == Some(false) {
                "  (not accepted: ready low)"
            } else {
                ""
            };
            writeln!(f, "  {i:>6}  {cycle}{note}")?;
        }
        writeln!(f, "  then idle until every result is due")?;
        writeln!(f, "expected vs actual: {}", self.minimal_mismatch)?;
        writeln!(f, "VCD of the minimal sequence: {}", self.vcd.display())?;
        write!(f, "replay: {}", c.replay_command())
    }
}
