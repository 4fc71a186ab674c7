//! `atomik board`: talk to a board over its serial port (`ping`, `bench`,
//! `exec`), co-simulate one behind a pseudo-terminal (`cosim`), or load the
//! bitstream `just boards` built into it (`flash`).

use std::io::BufRead;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use atomik::Opcode;
use atomik_board::scenario::{self, Call, Step};
use atomik_board::{BoardTable, Compat, DEFAULT_BAUD, Options};
use atomik_sim::{Design, Kind};

use crate::board_cosim::{self, Server};
use crate::board_flash;
use crate::board_pty::LineOptions;

/// `atomik board ...`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum BoardCommand {
    /// HELLO: print the board's status and the round trip.
    Ping(PortArgs),
    /// Random ops through the driver, checked against the core Table.
    Bench(BenchArgs),
    /// Ops from stdin, one per line (`load ADDR VALUE`, `read ADDR`, ...,
    /// `batch` ... `end`: the format of crates/atomik-board/scenario.txt);
    /// a `= VALUE [clean|dirty]` after an op is checked.
    Exec(PortArgs),
    /// Co-simulate a board top in Verilator behind a pseudo-terminal.
    Cosim(CosimArgs),
    /// Load the bitstream `just boards` built into the board (openFPGALoader).
    Flash(FlashArgs),
}

/// Options of `atomik board flash`.
#[derive(Debug, clap::Args)]
pub(crate) struct FlashArgs {
    /// The board: tangnano9k, icebreaker or ulx3s.
    board: String,
    /// Where `just boards` put the board's bitstream and build.json
    /// (default: target/boards/BOARD in this binary's workspace).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print the command instead of running it.
    #[arg(long)]
    dry_run: bool,
}

/// Where the board is.
#[derive(Debug, clap::Args)]
pub(crate) struct PortArgs {
    /// The serial port (`/dev/ttyUSB0`, or what `atomik board cosim --pty` prints).
    #[arg(long)]
    port: String,
    /// The baud the bitstream was built with.
    #[arg(long, default_value_t = DEFAULT_BAUD)]
    baud: u32,
    /// Seconds without progress before giving up.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
}

impl PortArgs {
    fn open(&self) -> Result<BoardTable> {
        let opts = Options {
            timeout: std::time::Duration::from_secs_f64(self.timeout),
            ..board_cosim::driver_options()
        };
        BoardTable::open(&self.port, self.baud, opts)
            .with_context(|| format!("opening the board on {}", self.port))
    }
}

/// Options of `atomik board bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct BenchArgs {
    #[command(flatten)]
    port: PortArgs,
    /// Ops to run.
    #[arg(long, default_value_t = 100_000)]
    ops: u64,
    /// Ops per driver call.
    #[arg(long, default_value_t = 1024)]
    batch: usize,
    /// Seed of the ops.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// `BOARD`: a board top of the catalogue.
fn board_parser() -> impl clap::builder::TypedValueParser<Value = Design> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(
        Design::all()
            .filter(|d| d.kind() == Kind::Board)
            .map(|d| PossibleValue::new(d.name()).help(d.about())),
    )
    .map(|name| {
        name.parse::<Design>()
            .expect("clap admits only design names")
    })
}

/// Options of `atomik board cosim`.
#[derive(Debug, clap::Args)]
pub(crate) struct CosimArgs {
    /// The board top (`board_sim`: the same RTL at 8 clocks per bit).
    #[arg(value_parser = board_parser())]
    board: Design,
    /// Serve the pty until killed and print its path; run nothing.
    #[arg(long)]
    pty: bool,
    /// Framed mode (ours) or compatible mode (the original's commands).
    #[arg(long, value_parser = ["framed", "compat"], default_value = "framed")]
    mode: String,
    /// Ops to run through the driver.
    #[arg(long, default_value_t = 10_000)]
    ops: u64,
    /// Ops per driver call.
    #[arg(long, default_value_t = 1024)]
    batch: usize,
    /// Bit errors on the line, each way: inversions per bit-time.
    #[arg(long, default_value_t = 0.0)]
    line_errors: f64,
    /// Simulated delay of every byte, each way, in microseconds.
    #[arg(long, default_value_t = 0)]
    host_latency_us: u64,
    /// Seed of the ops and the noise.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs a board command; returns whether it passed.
pub(crate) fn run(cmd: &BoardCommand) -> Result<bool> {
    match cmd {
        BoardCommand::Ping(p) => ping(p).map(|()| true),
        BoardCommand::Bench(b) => bench(b),
        BoardCommand::Exec(p) => exec(p),
        BoardCommand::Cosim(c) => cosim(c),
        BoardCommand::Flash(f) => flash(f),
    }
}

/// Runs (or with `--dry-run` prints) the openFPGALoader command of the
/// board's build record; returns whether the loader succeeded.
fn flash(f: &FlashArgs) -> Result<bool> {
    let dir = f.dir.clone().unwrap_or_else(|| {
        atomik_codegen::workspace_root()
            .join("target/boards")
            .join(&f.board)
    });
    let mut cmd = board_flash::command(&f.board, &dir)?;
    if f.dry_run {
        let words: Vec<String> = std::iter::once(cmd.get_program())
            .chain(cmd.get_args())
            .map(|w| w.to_string_lossy().into_owned())
            .collect();
        println!("{}", words.join(" "));
        return Ok(true);
    }
    let status = cmd.status().context(
        "running openFPGALoader (Debian package openfpgaloader; `just deps` installs it)",
    )?;
    Ok(status.success())
}

fn ping(p: &PortArgs) -> Result<()> {
    let started = Instant::now();
    let t = p.open()?;
    let s = t.status();
    println!(
        "board on {}: protocol {}, expected SEQ {}, window {}, {} ops per frame; HELLO answered in {:.1} ms",
        p.port,
        s.version,
        s.expected,
        s.window,
        s.max_ops,
        started.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}

fn bench(b: &BenchArgs) -> Result<bool> {
    let mut t = b.port.open()?;
    let started = Instant::now();
    let (mut tally, oracle) = board_cosim::framed(&mut t, b.ops, b.batch, b.seed)?;
    let secs = started.elapsed().as_secs_f64();
    board_cosim::check_final(&mut t, &oracle, &mut tally)?;
    let s = t.stats();
    #[allow(clippy::cast_precision_loss)]
    let rate = tally.ops as f64 / secs;
    println!(
        "{} ops in {secs:.2} s ({rate:.0} ops/s wall clock), {} mismatches, {} duplicates applied; \
         {} frames, {} retransmitted, {} bytes sent, {} received",
        tally.ops,
        tally.mismatches,
        tally.duplicates_applied,
        s.frames_sent,
        s.frames_retransmitted,
        s.bytes_sent,
        s.bytes_received
    );
    Ok(tally.mismatches == 0 && tally.duplicates_applied == 0)
}

/// Ops on stdin in the scenario format (`atomik_board::scenario`): a line
/// on its own is one single-op call, `batch` ... `end` one pipelined call.
/// Prints every result; a result that differs from its `= VALUE` fails.
fn exec(p: &PortArgs) -> Result<bool> {
    let mut t = p.open()?;
    let mut ok = true;
    let mut group: Option<Vec<Step>> = None;
    for (i, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line?;
        let parse =
            |l: &str| scenario::parse_step(l).with_context(|| format!("stdin line {}", i + 1));
        match (line.trim(), group.as_mut()) {
            ("batch", None) => group = Some(Vec::new()),
            ("end", Some(_)) => {
                ok &= run_call(&mut t, &Call::Batch(group.take().unwrap_or_default()))?
            }
            ("batch" | "end", _) => bail!("stdin line {}: unbalanced `{}`", i + 1, line.trim()),
            (l, Some(g)) => g.extend(parse(l)?),
            (l, None) => {
                if let Some(step) = parse(l)? {
                    ok &= run_call(&mut t, &Call::Single(step))?;
                }
            }
        }
    }
    if group.is_some() {
        bail!("stdin ended inside a batch");
    }
    Ok(ok)
}

/// Runs one call, prints each result, checks the expected ones.
fn run_call(t: &mut BoardTable, call: &Call) -> Result<bool> {
    let results = scenario::run(t, call)?;
    let verdict = scenario::check(call.steps(), &results);
    let mut results = results.iter();
    for step in call.steps().iter().filter(|s| s.op.code.has_result()) {
        let r = results
            .next()
            .context("the board returned too few results")?;
        let clean = match step.op.code {
            Opcode::Read if r.clean => " clean",
            Opcode::Read => " dirty",
            _ => "",
        };
        println!(
            "{} {} = {:#018x}{clean}",
            step.op.code.mnemonic().to_lowercase(),
            step.op.addr,
            r.value
        );
    }
    if let Err(e) = &verdict {
        println!("MISMATCH: {e}");
    }
    Ok(verdict.is_ok())
}

fn cosim(c: &CosimArgs) -> Result<bool> {
    let line = LineOptions {
        line_errors: c.line_errors,
        host_latency_us: c.host_latency_us,
        seed: c.seed,
    };
    let server = Server::start(c.board, line)?;
    if c.pty {
        println!("{}", server.path.display());
        eprintln!(
            "serving {} on {} (baud {}); stop with Ctrl-C",
            c.board,
            server.path.display(),
            crate::board_pty::timing(c.board)?.baud
        );
        server.wait()?;
        return Ok(true);
    }
    let path = server.path.to_string_lossy().into_owned();
    let baud = u32::try_from(crate::board_pty::timing(c.board)?.baud)?;
    let started = Instant::now();
    let (tally, cycles, stats) = if c.mode == "compat" {
        let mut client = Compat::open(&path, baud, std::time::Duration::from_secs(60))?;
        let start = server.link_cycles();
        let tally = board_cosim::compat(&mut client, c.ops, c.batch, c.seed)?;
        (tally, server.link_cycles() - start, None)
    } else {
        let opts = board_cosim::cosim_options(&server);
        let mut t = BoardTable::open(&path, baud, opts)?;
        let start = server.link_cycles();
        let run = board_cosim::framed(&mut t, c.ops, c.batch, c.seed);
        let cycles = server.link_cycles() - start;
        let (mut tally, oracle) = run.inspect_err(|_| eprintln!("driver: {:?}", t.stats()))?;
        let stats = t.stats();
        board_cosim::check_final(&mut t, &oracle, &mut tally)
            .inspect_err(|_| eprintln!("driver: {:?}", t.stats()))?;
        (tally, cycles, Some(stats))
    };
    let served = server.stop()?;
    let report = board_cosim::report(&board_cosim::Outcome {
        design: c.board,
        mode: &c.mode,
        tally: &tally,
        cycles,
        line: &line,
        driver: stats.as_ref(),
        server: &served,
        started,
    })?;
    if c.json {
        println!("{report}");
    } else {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    if let Some(m) = &tally.first {
        eprintln!("first mismatch: {m}");
    }
    Ok(tally.mismatches == 0 && tally.duplicates_applied == 0)
}
