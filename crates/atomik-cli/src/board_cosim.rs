//! `atomik board cosim`: the committed board top in Verilator behind a
//! pseudo-terminal, driven by the real host driver, every result checked
//! against the core `Table`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use atomik::{Opcode, Table};
use atomik_board::{BoardTable, Command, Compat, Op, Options};
use atomik_sim::Design;
use serde_json::json;

use crate::board_pty::{LineOptions, ServerReport, Shared, SimClock, serve};

/// The context whose SWAPs number the frames (see [`framed`]).
const CANARY: u8 = 255;

/// A running co-simulation server.
pub(crate) struct Server {
    pub path: PathBuf,
    shared: Arc<Shared>,
    /// The board's clock, for link time in seconds.
    clock_hz: u64,
    thread: std::thread::JoinHandle<Result<ServerReport>>,
}

impl Server {
    /// Builds the model and opens the pty on a thread of its own.
    pub(crate) fn start(design: Design, line: LineOptions) -> Result<Server> {
        let clock_hz = crate::board_pty::timing(design)?.clock_hz;
        let shared = Arc::new(Shared::default());
        let (tx, rx) = std::sync::mpsc::channel();
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("board-cosim".into())
            .spawn(move || serve(design, line, &s, &tx))?;
        let path = rx
            .recv()
            .context("the co-simulation thread ended before opening the pty")??;
        Ok(Server {
            path,
            shared,
            clock_hz,
            thread,
        })
    }

    /// Cycles of link time so far: simulated, plus quiescent waits.
    pub(crate) fn link_cycles(&self) -> u64 {
        self.shared.time.load(Ordering::Relaxed)
    }

    /// The driver's clock for this server: its link time.
    pub(crate) fn clock(&self) -> Arc<SimClock> {
        Arc::new(SimClock {
            shared: Arc::clone(&self.shared),
            clock_hz: self.clock_hz,
        })
    }

    /// Stops the server; returns what it did.
    pub(crate) fn stop(self) -> Result<ServerReport> {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the co-simulation thread panicked"))?
    }

    /// Blocks until the thread ends (never, unless it fails).
    pub(crate) fn wait(self) -> Result<ServerReport> {
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the co-simulation thread panicked"))?
    }
}

/// What a checked run counted.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub ops: u64,
    pub mismatches: u64,
    pub duplicates_applied: u64,
    /// Bytes of the ops as the host sent them (first transmissions).
    pub payload_bytes: u64,
    pub first: Option<String>,
}

impl Tally {
    fn mismatch(&mut self, what: impl FnOnce() -> String) {
        self.mismatches += 1;
        if self.first.is_none() {
            self.first = Some(what());
        }
    }
}

/// A random op on contexts 0..=254 (LOAD 10 %, ACCUM 60 %, READ 20 %,
/// SWAP 5 %, SWAP_KEEP 5 %).
fn random_op(rng: &mut fastrand::Rng) -> Op {
    let addr = rng.u8(0..CANARY);
    match rng.u8(0..20) {
        0 | 1 => Op::load(addr, rng.u64(..)),
        2..=13 => Op::accum(addr, rng.u64(..)),
        14..=17 => Op::read(addr),
        18 => Op::swap(addr, rng.u64(..)),
        _ => Op::swap_keep(addr),
    }
}

/// Framed mode: `ops` random ops in calls of `batch`, each frame ending
/// with a SWAP of the canary context to the frame's number, so its result
/// is the previous frame's number. A frame run twice returns its own
/// number there (a duplicate application, measured). Every result is
/// compared with the core `Table`, which is returned for [`check_final`].
pub(crate) fn framed(
    t: &mut BoardTable,
    ops: u64,
    batch: usize,
    seed: u64,
) -> Result<(Tally, Table<u64>)> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut oracle = Table::<u64>::new(256)?;
    let mut tally = Tally::default();
    let per_frame = t.link_mut().max_ops().unwrap_or(16).max(2) - 1;
    let mut frame_no: u64 = 0;
    t.load(usize::from(CANARY), 0)?;
    oracle.load(usize::from(CANARY), 0)?;
    while tally.ops < ops {
        let mut call = Vec::with_capacity(batch + batch / per_frame + 1);
        let mut tags = Vec::new();
        while call.len() < batch && tally.ops + (call.len() as u64) < ops {
            call.extend((0..per_frame).map(|_| random_op(&mut rng)));
            frame_no += 1;
            tags.push(frame_no);
            call.push(Op::swap(CANARY, frame_no));
        }
        let got = t.execute(&call)?;
        check_results(&call, &got, &tags, &mut oracle, &mut tally);
        tally.ops += call.len() as u64;
        tally.payload_bytes += call.iter().map(|o| o.encoded_len() as u64).sum::<u64>();
    }
    Ok((tally, oracle))
}

/// After [`framed`]: every context of the board against the `oracle`, and
/// the ACKs for completed frames whose results changed (the driver counts
/// them) as duplicates applied. Not part of a run's measured time: its
/// READs are a check, not the workload.
pub(crate) fn check_final(
    t: &mut BoardTable,
    oracle: &Table<u64>,
    tally: &mut Tally,
) -> Result<()> {
    let board = t.read_all()?;
    for (addr, &value) in board.iter().enumerate() {
        let want = oracle.read(addr)?;
        if value != want {
            tally.mismatch(|| format!("final context {addr}: board {value:#x}, oracle {want:#x}"));
        }
    }
    tally.duplicates_applied += t.stats().conflicting_acks;
    Ok(())
}

fn check_results(
    call: &[Op],
    got: &[atomik_board::OpResult],
    tags: &[u64],
    oracle: &mut Table<u64>,
    tally: &mut Tally,
) {
    let mut results = got.iter();
    let mut tags = tags.iter();
    for op in call {
        let want = oracle
            .execute(op.code, op.addr.into(), op.data)
            .expect("addresses are below 256");
        let tag = (op.addr == CANARY && op.code == Opcode::Swap).then(|| tags.next());
        let Some(want) = want else { continue };
        let Some(g) = results.next() else {
            tally.mismatch(|| format!("{} {}: no result", op.code, op.addr));
            continue;
        };
        let clean = want.clean && op.code == Opcode::Read;
        if g.value != want.value || g.clean != clean {
            if tag.flatten() == Some(&g.value) {
                tally.duplicates_applied += 1;
            }
            tally.mismatch(|| {
                format!(
                    "{} {}: board {:#x} (clean {}), oracle {:#x} (clean {clean})",
                    op.code, op.addr, g.value, g.clean, want.value
                )
            });
        }
    }
}

/// Compatible mode: the original's commands on context 0, pipelined in
/// calls of `batch`, checked against the core `Table`.
pub(crate) fn compat(c: &mut Compat, ops: u64, batch: usize, seed: u64) -> Result<Tally> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut oracle = Table::<u64>::new(1)?;
    let mut tally = Tally::default();
    while tally.ops < ops {
        let n = batch.min(usize::try_from(ops - tally.ops).unwrap_or(batch));
        let cmds: Vec<Command> = (0..n)
            .map(|_| match rng.u8(0..10) {
                0 => Command::Load(rng.u64(..)),
                1..=5 => Command::Accum(rng.u64(..)),
                6 | 7 => Command::Read,
                8 => Command::Status,
                _ => Command::Reference,
            })
            .collect();
        let got = run_paced(c, &cmds)?;
        let mut got = got.iter();
        for cmd in &cmds {
            let ctx = *oracle.context(0)?;
            let want = match cmd {
                Command::Load(v) => oracle.load(0, *v).map(|()| None)?,
                Command::Accum(d) => oracle.accum(0, *d).map(|()| None)?,
                Command::Read => Some(ctx.read()),
                Command::Status => Some(if ctx.is_clean() { 0x80 } else { 0 }),
                Command::Reference => Some(ctx.reference()),
            };
            if let Some(w) = want {
                let g = got.next().copied().unwrap_or(!w);
                if g != w {
                    tally.mismatch(|| format!("{cmd:?}: board {g:#x}, oracle {w:#x}"));
                }
            }
            let mut bytes = Vec::new();
            cmd.encode(&mut bytes);
            tally.payload_bytes += bytes.len() as u64;
        }
        tally.ops += n as u64;
    }
    // The last commands may have no reply: read context 0 back, so that
    // they have crossed the line and were applied before the run ends.
    let want = oracle.read(0)?;
    let got = c.run(&[Command::Read])?;
    if got.first() != Some(&want) {
        tally.mismatch(|| format!("final READ: board {got:x?}, oracle {want:#x}"));
    }
    Ok(tally)
}

/// Bytes of replies the compatible-mode client lets the board owe at once.
/// The original's protocol has no flow control: a burst of `R` commands
/// (1 byte each, 8 bytes of reply) outruns the board's transmitter, and a
/// board can only queue so many replies.
const COMPAT_REPLY_BYTES: usize = 32;

/// `c.run(cmds)` in pieces that owe at most [`COMPAT_REPLY_BYTES`].
fn run_paced(c: &mut Compat, cmds: &[Command]) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut owed = 0;
    for (i, cmd) in cmds.iter().enumerate() {
        if owed + cmd.reply_len() > COMPAT_REPLY_BYTES {
            out.extend(c.run(&cmds[start..i])?);
            (start, owed) = (i, 0);
        }
        owed += cmd.reply_len();
    }
    out.extend(c.run(&cmds[start..])?);
    Ok(out)
}

/// Driver options for `atomik board cosim`'s own runs: a real board's
/// defaults, every timer on the server's link time.
pub(crate) fn cosim_options(server: &Server) -> Options {
    Options {
        clock: server.clock(),
        ..Options::default()
    }
}

/// Driver options for a port opened by path, which may be a co-simulated
/// board served by another process (`--pty`): the timers run on the wall
/// clock there and the simulation is slower than real time, so they are
/// generous.
pub(crate) fn driver_options() -> Options {
    Options {
        timeout: Duration::from_secs(60),
        initial_rto: Duration::from_secs(2),
        max_rto: Duration::from_secs(10),
        inter_byte: Duration::from_millis(500),
        ..Options::default()
    }
}

/// Everything a run's report is made of.
pub(crate) struct Outcome<'a> {
    pub design: Design,
    pub mode: &'a str,
    pub tally: &'a Tally,
    /// Cycles of the measured part (the ops, not HELLO).
    pub cycles: u64,
    pub line: &'a LineOptions,
    pub driver: Option<&'a atomik_board::Stats>,
    pub server: &'a ServerReport,
    pub started: Instant,
}

/// The `--json` object of a run.
#[allow(clippy::cast_precision_loss)]
pub(crate) fn report(o: &Outcome<'_>) -> Result<serde_json::Value> {
    let Outcome {
        design,
        mode,
        tally,
        cycles,
        line,
        driver,
        server,
        started,
    } = *o;
    let timing = crate::board_pty::timing(design)?;
    let sim_seconds = cycles as f64 / timing.clock_hz as f64;
    let capacity = sim_seconds * timing.baud as f64 / 10.0;
    Ok(json!({
        "board": design.name(),
        "mode": mode,
        "ops": tally.ops,
        "mismatches": tally.mismatches,
        "first_mismatch": tally.first,
        "baud": timing.baud,
        "clock_hz": timing.clock_hz,
        "sim_seconds": sim_seconds,
        "ops_per_second": tally.ops as f64 / sim_seconds,
        "line_efficiency": tally.payload_bytes as f64 / capacity,
        "payload_bytes": tally.payload_bytes,
        "line_errors": line.line_errors,
        "host_latency_us": line.host_latency_us,
        "frames_sent": driver.map(|s| s.frames_sent),
        "frames_retransmitted": driver.map_or(0, |s| s.frames_retransmitted),
        "duplicates_applied": tally.duplicates_applied,
        "duplicate_acks": driver.map(|s| s.duplicate_acks),
        "conflicting_acks": driver.map(|s| s.conflicting_acks),
        "go_backs": driver.map(|s| s.go_backs),
        "timeouts": driver.map(|s| s.timeouts),
        "bytes_sent": driver.map(|s| s.bytes_sent),
        "bytes_received": driver.map(|s| s.bytes_received),
        "line_bytes_down": server.line.bytes_down,
        "line_bytes_up": server.line.bytes_up,
        "noise_events": server.line.noise_down + server.line.noise_up,
        "framing_errors_up": server.line.framing_errors_up,
        "server_cycles": server.cycles,
        "server_sim_seconds": server.seconds,
        "idle_waits": server.idle_waits,
        "idle_seconds": server.idle_cycles as f64 / timing.clock_hz as f64,
        "wall_seconds": started.elapsed().as_secs_f64(),
    }))
}
