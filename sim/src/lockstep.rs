//! Runs a Verilator model and the checker side by side, and explains failures.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use atomik_hdl::contract::{Checker, Counts, Cycle, Mismatch};

use crate::LATENCY_CYCLES;
use crate::stimulus::{Generator, junk, ports};
use crate::verilated::{Design, Model, ModelError, PortsIn, PortsOut};

/// How often [`RunConfig::new`] reads back every context, in accepted ops
/// (also the default of `atomik cosim --sweep-every`).
pub const DEFAULT_SWEEP_EVERY: u64 = 100_000;

/// Cycles handed to the model per call: large enough that the FFI cost
/// vanishes, small enough to stay in cache.
const BATCH: usize = 4096;

/// What to run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// The design to simulate.
    pub design: Design,
    /// Seed of the stimulus (and of the random initial state, if any).
    pub seed: u64,
    /// Stop after at least this many accepted ops (then sweep and drain).
    pub ops: u64,
    /// READ every context every this many ops (0: only the final sweep).
    pub sweep_every: u64,
    /// Start from random flop and memory contents instead of zeros.
    pub random_state: bool,
    /// Trace the whole run to this VCD file (uses the slower traced model;
    /// a VCD grows by ~1 kB per cycle, so keep `ops` small).
    pub vcd: Option<PathBuf>,
}

impl RunConfig {
    /// `ops` random ops on `design` from `seed`, sweeping every
    /// [`DEFAULT_SWEEP_EVERY`] ops.
    pub fn new(design: Design, seed: u64, ops: u64) -> Self {
        RunConfig {
            design,
            seed,
            ops,
            sweep_every: DEFAULT_SWEEP_EVERY,
            random_state: false,
            vcd: None,
        }
    }

    /// The `atomik cosim` arguments (after `cosim`) that run exactly this
    /// configuration: every field that changes the cycles driven or the
    /// model's initial state. (`vcd` only adds a trace, so it is left out.)
    pub fn replay_args(&self) -> Vec<String> {
        let mut args = vec![
            "--design".to_string(),
            self.design.name().to_string(),
            "--seed".to_string(),
            self.seed.to_string(),
            "--ops".to_string(),
            self.ops.to_string(),
        ];
        if self.sweep_every != DEFAULT_SWEEP_EVERY {
            args.extend(["--sweep-every".to_string(), self.sweep_every.to_string()]);
        }
        if self.random_state {
            args.push("--random-state".to_string());
        }
        args
    }

    /// The shell command that replays this configuration:
    /// `atomik cosim` + [`replay_args`](Self::replay_args).
    pub fn replay_command(&self) -> String {
        format!("atomik cosim {}", self.replay_args().join(" "))
    }

    fn model(&self, vcd: Option<&Path>) -> Result<Model, ModelError> {
        let state = self.random_state.then(|| self.state_seed());
        Model::with_options(self.design, vcd, state)
    }

    fn state_seed(&self) -> u32 {
        // Fold the 64-bit seed; 0 means "no random state" to the shim.
        let folded = (self.seed ^ (self.seed >> 32)) & u64::from(u32::MAX);
        u32::try_from(folded).expect("masked to 32 bits").max(1)
    }
}

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
}

impl Report {
    /// Simulated clock cycles per wall-clock second.
    pub fn cycles_per_second(&self) -> f64 {
        self.counts.cycles as f64 / self.seconds.max(1e-9)
    }
}

/// A batch of cycles on its way through the simulation thread.
struct Job {
    ins: Vec<PortsIn>,
    outs: Vec<PortsOut>,
}

/// Batches in flight: one being simulated, one being checked, one being
/// generated, so both cores stay busy.
const IN_FLIGHT: usize = 3;

/// Produces the stimulus of a run, one batch at a time: random cycles until
/// enough ops were generated, then the final sweep and enough idle cycles to
/// drain the pipeline, then nothing.
struct Feeder {
    design: Design,
    generator: Generator,
    /// Ops to generate before the final sweep.
    ops: u64,
    generated_ops: u64,
    /// Cycles generated so far (the junk of cycle `i` is `junk(i)`).
    index: u64,
    finished: bool,
}

impl Feeder {
    fn new(config: &RunConfig) -> Self {
        Feeder {
            design: config.design,
            generator: Generator::new(config.design, config.seed, config.sweep_every),
            ops: config.ops,
            generated_ops: 0,
            index: 0,
            finished: false,
        }
    }

    /// Refills `cycles` and `job.ins` with the next batch (empty at the end).
    fn next_batch(&mut self, job: &mut Job, cycles: &mut Vec<Cycle>) {
        cycles.clear();
        if self.finished {
            return;
        }
        if self.generated_ops >= self.ops {
            self.finished = true;
            self.generator.start_sweep();
            while self.generator.sweeping() {
                cycles.push(self.generator.next_cycle());
            }
            cycles.extend(std::iter::repeat_n(Cycle::Idle, LATENCY_CYCLES + 2));
        } else {
            for _ in 0..BATCH {
                let c = self.generator.next_cycle();
                self.generated_ops += u64::from(matches!(c, Cycle::Op { .. }));
                cycles.push(c);
            }
        }
        let (design, index) = (self.design, self.index);
        job.ins.clear();
        job.ins.extend(
            cycles
                .iter()
                .enumerate()
                .map(|(i, c)| ports(c, design, junk(index + i as u64))),
        );
        self.index += cycles.len() as u64;
    }
}

/// The simulation thread: builds the model (models are not `Send`), then
/// runs every batch it is sent and hands it back, until either channel closes.
fn simulate(config: &RunConfig, jobs: Receiver<Job>, done: SyncSender<Result<Job, ModelError>>) {
    let mut model = match config.model(config.vcd.as_deref()) {
        Ok(m) => m,
        Err(e) => {
            let _ = done.send(Err(e));
            return;
        }
    };
    for mut job in jobs {
        let n = job.ins.len();
        job.outs.resize(n, PortsOut::default());
        model.run(&job.ins, &mut job.outs[..n]);
        if done.send(Ok(job)).is_err() {
            return; // the checker stopped (a mismatch)
        }
    }
}

/// Runs `config` to completion (or the first mismatch), calling `progress`
/// after every batch of cycles.
///
/// Two threads work in a pipeline: a simulation thread owns the Verilator
/// model (`simulate`) and runs batch *i* while this thread generates batch
/// *i + 1* and checks batch *i − 1*, cycle by cycle, against the model.
pub fn run(config: &RunConfig, mut progress: impl FnMut(&Counts)) -> Result<Report, ModelError> {
    let (to_sim, sim_jobs) = sync_channel::<Job>(IN_FLIGHT);
    let (sim_done, done_jobs) = sync_channel::<Result<Job, ModelError>>(IN_FLIGHT);
    std::thread::scope(|scope| {
        scope.spawn(|| simulate(config, sim_jobs, sim_done));
        let mut feeder = Feeder::new(config);
        let mut checker = config.design.checker();
        let mut pending = std::collections::VecDeque::new();
        let mut first = None;
        let start = Instant::now();
        for _ in 0..IN_FLIGHT {
            let mut job = Job {
                ins: Vec::with_capacity(BATCH),
                outs: Vec::with_capacity(BATCH),
            };
            let mut cycles = Vec::with_capacity(BATCH);
            feeder.next_batch(&mut job, &mut cycles);
            if cycles.is_empty() {
                break;
            }
            pending.push_back(cycles);
            to_sim.send(job).expect("the simulation thread is alive");
        }
        while let Some(mut cycles) = pending.pop_front() {
            let mut job = done_jobs.recv().expect("the simulation thread answers")?;
            first = check_batch(&mut checker, &cycles, &job.outs);
            progress(&checker.counts());
            if first.is_some() {
                break;
            }
            feeder.next_batch(&mut job, &mut cycles);
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
        })
    })
}

/// Checks one batch of cycles against what the hardware showed; returns the
/// first mismatch.
fn check_batch(checker: &mut Checker, cycles: &[Cycle], outs: &[PortsOut]) -> Option<Mismatch> {
    cycles
        .iter()
        .zip(outs)
        .find_map(|(c, o)| checker.step(c, &o.outputs()).err())
}

/// Runs `cycles` (then enough idle cycles to flush every result) on a fresh
/// model of `config.design` — with `config`'s initial state — and returns the
/// first mismatch, if any. With `vcd`, traces every cycle to that file.
pub fn check_cycles(
    config: &RunConfig,
    cycles: &[Cycle],
    vcd: Option<&Path>,
) -> Result<Result<Counts, Mismatch>, ModelError> {
    let design = config.design;
    let mut model = config.model(vcd)?;
    let mut checker = design.checker();
    let all: Vec<Cycle> = cycles
        .iter()
        .copied()
        .chain(std::iter::repeat_n(Cycle::Idle, LATENCY_CYCLES + 2))
        .collect();
    let ins: Vec<PortsIn> = all
        .iter()
        .enumerate()
        .map(|(i, c)| ports(c, design, junk(i as u64)))
        .collect();
    let mut outs = vec![PortsOut::default(); all.len()];
    model.run(&ins, &mut outs);
    Ok(match check_batch(&mut checker, &all, &outs) {
        Some(m) => Err(m),
        None => Ok(checker.counts()),
    })
}

/// Shrinks a failing cycle sequence with delta debugging (complement
/// removal, halving granularity) until removing any chunk makes it pass, or
/// `budget` runs out. Every candidate runs on a fresh model.
pub fn minimize(
    config: &RunConfig,
    mut cycles: Vec<Cycle>,
    budget: Duration,
) -> Result<Vec<Cycle>, ModelError> {
    let fails =
        |c: &[Cycle]| -> Result<bool, ModelError> { Ok(check_cycles(config, c, None)?.is_err()) };
    let start = Instant::now();
    let mut chunks = 2usize;
    while cycles.len() >= 2 && start.elapsed() < budget {
        let size = cycles.len().div_ceil(chunks);
        // The first complement (the sequence minus one chunk) that still fails.
        let mut smaller = None;
        for lo in (0..cycles.len()).step_by(size) {
            let hi = (lo + size).min(cycles.len());
            let candidate: Vec<Cycle> = cycles[..lo].iter().chain(&cycles[hi..]).copied().collect();
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
    Ok(cycles)
}

/// Everything known about a failing run.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The run that failed.
    pub config: RunConfig,
    /// Its first mismatch.
    pub original: Mismatch,
    /// A minimal cycle sequence that still fails.
    pub minimal: Vec<Cycle>,
    /// The mismatch the minimal sequence produces.
    pub minimal_mismatch: Mismatch,
    /// VCD trace of the minimal sequence.
    pub vcd: PathBuf,
}

/// Replays the failing run from its seed up to the mismatch, shrinks it, and
/// traces the shrunk sequence to `vcd` (normally `target/cosim/fail-<seed>.vcd`).
pub fn diagnose(config: &RunConfig, original: Mismatch, vcd: &Path) -> Result<Failure, ModelError> {
    let mut generator = Generator::new(config.design, config.seed, config.sweep_every);
    let prefix: Vec<Cycle> = (0..=original.cycle)
        .map(|_| generator.next_cycle())
        .collect();
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

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        writeln!(
            f,
            "MISMATCH in {:?} (seed {}): {}",
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
        let mut contract = c.design.checker();
        let mut idle = 0usize;
        for (i, cycle) in self.minimal.iter().enumerate() {
            let accepted = contract.ready_for(cycle);
            contract.advance_unchecked(cycle);
            if *cycle == Cycle::Idle {
                idle += 1;
                continue;
            }
            if idle > 0 {
                writeln!(f, "  {:>6}  ({idle} idle)", "")?;
                idle = 0;
            }
            let note = match cycle {
                Cycle::Op { .. } if !accepted => "  (not accepted: ready low)",
                _ => "",
            };
            writeln!(f, "  {i:>6}  {cycle}{note}")?;
        }
        writeln!(f, "  then idle until every result is due")?;
        writeln!(f, "expected vs actual: {}", self.minimal_mismatch)?;
        writeln!(f, "VCD of the minimal sequence: {}", self.vcd.display())?;
        write!(f, "replay: {}", c.replay_command())
    }
}
