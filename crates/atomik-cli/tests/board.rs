//! The co-simulated board link (`atomik board cosim`, the committed
//! `board_sim` top at 8 clocks per UART bit): compatible mode, framed mode,
//! framed mode with line errors, and the shared scenario through the Rust
//! driver and `atomik board exec`, each against the pty server.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

use atomik_board::{BoardTable, Op, OpResult, Options};

const ATOMIK: &str = env!("CARGO_BIN_EXE_atomik");
const SCENARIO: &str = include_str!("../../atomik-board/scenario.txt");
/// `board_sim`'s baud (the catalogue's SIM_BOARD).
const BAUD: u32 = 3_375_000;

/// `atomik board cosim ARGS --json`: the report, and whether it passed.
fn cosim(args: &[&str]) -> serde_json::Value {
    let out = Command::new(ATOMIK)
        .args(["board", "cosim", "board_sim", "--json"])
        .args(args)
        .output()
        .expect("running atomik");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "atomik board cosim {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).expect("one JSON object")
}

#[test]
fn compatible_mode_runs_the_original_commands_byte_for_byte() {
    let r = cosim(&["--mode", "compat", "--ops", "5000"]);
    assert_eq!(r["mismatches"], 0, "{r}");
    assert_eq!(r["ops"], 5000);
}

#[test]
fn framed_mode_applies_every_op_once() {
    let r = cosim(&["--ops", "10000", "--seed", "2"]);
    assert_eq!(r["mismatches"], 0, "{r}");
    assert_eq!(r["duplicates_applied"], 0, "{r}");
}

#[test]
fn framed_mode_with_line_errors_loses_and_repeats_nothing() {
    let r = cosim(&["--ops", "10000", "--line-errors", "1e-4", "--seed", "3"]);
    assert_eq!(r["mismatches"], 0, "{r}");
    assert_eq!(r["duplicates_applied"], 0, "{r}");
    assert!(
        r["frames_retransmitted"].as_u64().unwrap() > 0,
        "the line lost nothing: {r}"
    );
}

/// `atomik board cosim board_sim --pty`, killed on drop.
struct PtyServer {
    child: Child,
    path: String,
}

impl PtyServer {
    fn start() -> PtyServer {
        let mut child = Command::new(ATOMIK)
            .args(["board", "cosim", "board_sim", "--pty"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting the pty server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let path = line.trim().to_string();
        assert!(path.starts_with("/dev/pts/"), "{path:?}");
        PtyServer { child, path }
    }
}

impl Drop for PtyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The scenario's ops, grouped into calls, with the expected results.
fn scenario() -> Vec<Vec<(Op, Option<u64>)>> {
    let num = |s: &str| match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap(),
        None => s.parse().unwrap(),
    };
    let mut calls = Vec::new();
    let mut group: Option<Vec<_>> = None;
    for line in SCENARIO.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line {
            "batch" => group = Some(Vec::new()),
            "end" => calls.push(group.take().unwrap()),
            _ => {
                let (op, expect) = match line.split_once('=') {
                    Some((o, e)) => (o, Some(num(e.trim()))),
                    None => (line, None),
                };
                let w: Vec<&str> = op.split_whitespace().collect();
                let addr = u8::try_from(num(w[1])).unwrap();
                let op = match w[0] {
                    "load" => Op::load(addr, num(w[2])),
                    "accum" => Op::accum(addr, num(w[2])),
                    "read" => Op::read(addr),
                    "swap" => Op::swap(addr, num(w[2])),
                    "swap_keep" => Op::swap_keep(addr),
                    other => panic!("unknown op {other}"),
                };
                match group.as_mut() {
                    Some(g) => g.push((op, expect)),
                    None => calls.push(vec![(op, expect)]),
                }
            }
        }
    }
    calls
}

/// The Rust face: the driver opens the pty path as it would /dev/ttyUSB0.
#[test]
fn the_rust_driver_passes_the_scenario_against_the_pty() {
    let server = PtyServer::start();
    let mut t = BoardTable::open(&server.path, BAUD, Options::default()).unwrap();
    let mut checked = 0;
    for call in scenario() {
        let ops: Vec<Op> = call.iter().map(|(o, _)| *o).collect();
        let results: Vec<OpResult> = t.execute(&ops).unwrap();
        let mut results = results.iter();
        for (op, expect) in &call {
            if op.code.has_result() {
                let r = results.next().unwrap();
                if let Some(e) = expect {
                    assert_eq!(r.value, *e, "{op:?}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 15, "{checked}");
    // The single-op calls and the clean flag.
    t.load(9, 5).unwrap();
    assert!(t.is_clean(9).unwrap());
    t.accum(9, 3).unwrap();
    let r = t.read_clean(9).unwrap();
    assert_eq!((r.value, r.clean), (6, false));
    assert_eq!(t.swap(9, 1).unwrap(), 6);
    assert_eq!(t.swap_keep(9).unwrap(), 1);
    assert_eq!(t.close().unwrap().mode, atomik_board::Mode::Compatible);
}

/// The CLI face: `atomik board exec` runs the scenario file from stdin and
/// checks every `= VALUE`.
#[test]
fn atomik_board_exec_passes_the_scenario_against_the_pty() {
    let server = PtyServer::start();
    let mut exec = Command::new(ATOMIK)
        .args([
            "board",
            "exec",
            "--port",
            &server.path,
            "--baud",
            &BAUD.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    exec.stdin
        .take()
        .unwrap()
        .write_all(SCENARIO.as_bytes())
        .unwrap();
    let out = exec.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("MISMATCH"), "{stdout}");
    assert_eq!(stdout.lines().count(), 17, "{stdout}");
}
