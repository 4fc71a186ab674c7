//! The co-simulated board link (`atomik board cosim`, the committed
//! `board_sim` top at 8 clocks per UART bit): compatible mode, framed mode,
//! framed mode with line errors, and the shared scenario
//! (crates/atomik-board/scenario.txt, which the C and Python faces run too)
//! through the Rust driver and `atomik board exec`, each against the pty
//! server.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

use atomik_board::scenario::{self, SCENARIO};
use atomik_board::{BoardTable, Options};

const ATOMIK: &str = env!("CARGO_BIN_EXE_atomik");
/// `board_sim`'s baud (the catalogue's SIM_BOARD).
const BAUD: u32 = 3_375_000;

/// `atomik board cosim board_sim ARGS --json`: the report (it passed).
fn cosim(args: &[&str]) -> serde_json::Value {
    cosim_on("board_sim", args)
}

/// `atomik board cosim BOARD ARGS --json`: the report (it passed).
fn cosim_on(board: &str, args: &[&str]) -> serde_json::Value {
    let out = Command::new(ATOMIK)
        .args(["board", "cosim", board, "--json"])
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

/// Regression: on the 115 200-baud Tang Nano 9K top, which co-simulates
/// about 10 times slower than real time, the driver's timers ran on the
/// wall clock and expired while frames were still crossing the simulated
/// line: a clean line resent frames (114 of 20 in one run) and carried
/// 16 % payload. They now run on the server's link time, so a clean line
/// resends nothing.
#[test]
fn a_clean_line_resends_nothing_when_the_simulation_is_slower_than_real_time() {
    let r = cosim_on("tangnano9k", &["--ops", "300", "--host-latency-us", "1000"]);
    assert_eq!(r["mismatches"], 0, "{r}");
    assert_eq!(r["frames_retransmitted"], 0, "{r}");
    assert_eq!(r["timeouts"], 0, "{r}");
    assert_eq!(r["go_backs"], 0, "{r}");
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

/// The Rust face: the driver opens the pty path as it would /dev/ttyUSB0
/// and runs the shared scenario, a line on its own through the single-op
/// method it names, a batch through `execute`.
#[test]
fn the_rust_driver_passes_the_scenario_against_the_pty() {
    let server = PtyServer::start();
    let mut t = BoardTable::open(&server.path, BAUD, Options::default()).unwrap();
    let mut checked = 0;
    for call in scenario::parse(SCENARIO).unwrap() {
        let got = scenario::run(&mut t, &call).unwrap();
        scenario::check(call.steps(), &got).unwrap();
        checked += call.steps().iter().filter(|s| s.expect.is_some()).count();
    }
    assert!(checked >= 25, "{checked}");
    // The calls the scenario does not name: read, is_clean, accum_many, read_all.
    assert_eq!(t.read(1).unwrap(), 0xF5);
    assert!(!t.is_clean(1).unwrap());
    t.accum_many(&[(9, 1), (9, 2), (10, 4)]).unwrap();
    let all = t.read_all().unwrap();
    assert_eq!((all[1], all[9], all[10]), (0xF5, 3, 4));
    assert!(matches!(
        t.accum_many(&[(11, 1), (256, 1)]),
        Err(atomik_board::Error::AddrOutOfRange { addr: 256 })
    ));
    assert_eq!(
        t.read(11).unwrap(),
        0,
        "nothing of a refused batch was sent"
    );
    assert_eq!(t.close().unwrap().mode, atomik_board::Mode::Compatible);
}

/// `atomik board exec` on the server's pty, `input` on its stdin.
fn board_exec(server: &PtyServer, input: &str) -> std::process::Output {
    let mut exec = Command::new(ATOMIK)
        .args(["board", "exec", "--port", &server.path])
        .args(["--baud", &BAUD.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = exec.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    exec.wait_with_output().unwrap()
}

/// The CLI face: `atomik board exec` runs the scenario file from stdin and
/// checks every `= VALUE`.
#[test]
fn atomik_board_exec_passes_the_scenario_against_the_pty() {
    let server = PtyServer::start();
    let out = board_exec(&server, SCENARIO);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("MISMATCH"), "{stdout}");
    let results = scenario::parse(SCENARIO)
        .unwrap()
        .iter()
        .flat_map(|c| c.steps().to_vec())
        .filter(|s| s.op.code.has_result())
        .count();
    assert_eq!(stdout.lines().count(), results, "{stdout}");
    assert!(
        stdout.contains("read 0 = 0xdeadbeefcafeba41 dirty"),
        "{stdout}"
    );
}

/// `exec` fails on a result that differs from the one written, and on a
/// line that is not an op.
#[test]
fn atomik_board_exec_fails_on_a_wrong_result_and_a_bad_line() {
    let server = PtyServer::start();
    for (input, expect) in [
        ("load 40 5\nread 40 = 6\n", "MISMATCH"),
        ("load 40 5\nread 40 = 5 dirty\n", "MISMATCH"),
        ("frob 40\n", "unknown op"),
        ("batch\nread 40\n", "inside a batch"),
    ] {
        let out = board_exec(&server, input);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.status.success(), "{input:?}: {all}");
        assert!(all.contains(expect), "{input:?}: {all}");
    }
}

/// A fresh directory under the system's temporary directory.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("atomik-cli-flash-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `atomik board flash ARGS...`: (success, stdout, stderr).
fn flash(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(ATOMIK)
        .args(["board", "flash"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `--dry-run` prints the openFPGALoader command of the build record
/// `just boards` writes, and runs nothing.
#[test]
fn board_flash_dry_run_prints_the_loader_command_of_the_build_record() {
    let dir = scratch("ulx3s");
    let record =
        r#"{"board": "ulx3s", "loader": "ulx3s", "bitstream": "atomik_board.bit", "sha256": "00"}"#;
    std::fs::write(dir.join("build.json"), record).unwrap();
    std::fs::write(dir.join("atomik_board.bit"), b"bits").unwrap();
    let d = dir.to_str().unwrap();
    let (ok, stdout, stderr) = flash(&["ulx3s", "--dir", d, "--dry-run"]);
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout,
        format!("openFPGALoader -b ulx3s {d}/atomik_board.bit\n")
    );
}

#[test]
fn board_flash_without_a_build_record_says_to_run_just_boards() {
    let dir = scratch("tangnano9k");
    let (ok, stdout, stderr) = flash(&["tangnano9k", "--dir", dir.to_str().unwrap(), "--dry-run"]);
    assert!(!ok);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("no build record") && stderr.contains("just boards"),
        "{stderr}"
    );
}

#[test]
fn board_flash_refuses_an_unknown_board_with_the_list() {
    for board in ["de10nano", "board_sim"] {
        let (ok, _, stderr) = flash(&[board, "--dry-run"]);
        assert!(!ok, "{board}");
        assert!(
            stderr.contains("tangnano9k, icebreaker, ulx3s"),
            "{board}: {stderr}"
        );
    }
}
