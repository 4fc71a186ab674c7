//! The `atomik` binary as a user runs it.

use std::process::Command;

/// Parses stdout as the single JSON object the `--json` flags promise.
fn one_json_object(stdout: &[u8]) -> serde_json::Value {
    let text = std::str::from_utf8(stdout).expect("utf-8");
    assert_eq!(
        text.trim().lines().count(),
        1,
        "exactly one JSON line:\n{text}"
    );
    serde_json::from_str(text).expect("valid JSON")
}

/// Runs `atomik ARGS` (which must succeed), parses its JSON and checks the
/// object has every key in `keys`.
fn json_with_keys(args: &[&str], keys: &[&str]) -> serde_json::Value {
    let out = atomik(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = one_json_object(&out.stdout);
    for key in keys {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    v
}

fn atomik(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_atomik"))
        .args(args)
        .output()
        .expect("the atomik binary runs")
}

#[test]
fn demo_checks_every_stage() {
    let out = atomik(&["demo"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "demo failed:\n{stdout}");
    assert!(stdout.contains("0xdeadbeefcafeba41"));
    assert!(!stdout.contains("FAILED"));
    for stage in [
        "replicas over a lossy wire",
        "identical to the committed",
        "0 warnings, no waivers",
        "0 mismatches",
        "READ  0xDEADBEEFCAFEBA41",
    ] {
        assert!(stdout.contains(stage), "missing {stage:?} in:\n{stdout}");
    }
    assert!(stdout.contains("every tier agrees"));
}

#[test]
fn bench_json_is_one_object_with_every_benchmark() {
    let v = json_with_keys(
        &["bench", "--json", "--quick"],
        &[
            "rollback",
            "change_detection",
            "convergence",
            "bandwidth",
            "throughput",
        ],
    );
    // Every comparison checked that both sides computed the same answer.
    assert_eq!(v["rollback"]["states_agree"], true);
    assert_eq!(v["convergence"]["tables_agree"], true);
    for d in v["change_detection"].as_array().expect("array") {
        assert_eq!(d["verdicts_agree"], true);
    }
    // Bytes are counted, not computed: 10,000 v1 frames of 40 bytes.
    for b in v["bandwidth"].as_array().expect("array") {
        assert_eq!(b["v1_bytes"], 400_000);
        assert_eq!(b["compat_bytes"], 160_000);
        assert_eq!(
            b["full_state_bytes"],
            b["state_bytes"].as_u64().unwrap() * 10_000
        );
    }
    assert!(v["rollback"]["delta_log"]["bytes"].as_u64().unwrap() >= 10_000 * 12);
}

#[test]
fn unknown_flags_and_commands_are_clear_errors() {
    let out = atomik(&["bench", "--frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unexpected argument '--frobnicate'"), "{err}");
    let out = atomik(&["launch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unrecognized subcommand"));
    let out = atomik(&["--version"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("atomik "));
}

#[test]
fn verilog_emits_the_committed_default_and_rejects_bad_sizes() {
    let dir = std::env::temp_dir().join(format!("atomik-verilog-{}", std::process::id()));
    let out = atomik(&["verilog", "-o", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let emitted = std::fs::read_to_string(dir.join("atomik_state_table.v")).unwrap();
    let committed = std::fs::read_to_string(
        atomik_codegen::workspace_root().join("hdl/verilog/atomik_state_table.v"),
    )
    .unwrap();
    assert_eq!(emitted, committed);
    std::fs::remove_dir_all(&dir).ok();

    for (flag, value, msg) in [
        ("--contexts", "100", "unsupported number of contexts 100"),
        ("--contexts", "0", "unsupported number of contexts 0"),
        ("--width", "12", "unsupported width 12 bits"),
        ("--width", "128", "unsupported width 128 bits"),
    ] {
        let out = atomik(&["verilog", flag, value, "-o", "/nonexistent"]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(msg), "{err}");
    }
    let out = atomik(&["verilog", "--contexts", "many"]);
    assert_eq!(out.status.code(), Some(2), "clap rejects non-numbers");
}

/// Every design of the catalogue, as a user runs it: correct designs pass
/// with the bare model's speed beside the checked run's, and a lanes design
/// checks more than one op per cycle; mutants fail with a minimal sequence
/// and a VCD.
#[test]
fn cosim_runs_every_design_of_the_catalogue() {
    let lockstep = atomik_hdl::DESIGNS
        .iter()
        .filter(|d| d.family.key() != "board");
    for design in lockstep {
        let name = design.name;
        let args = [
            "cosim", "--design", name, "--ops", "20000", "--seed", "4", "--json",
        ];
        if design.is_mutant() {
            let out = atomik(&args);
            assert_eq!(out.status.code(), Some(1), "{name}");
            let v = one_json_object(&out.stdout);
            assert_eq!(v["mismatches"], 1, "{name}");
            let vcd = v["failure_vcd"].as_str().expect("a VCD path");
            assert!(std::fs::metadata(vcd).expect("VCD written").len() > 0);
            let minimal = v["minimal_sequence"].as_array().expect("sequence").len();
            assert!(minimal <= 16, "{name}: {minimal} cycles");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains("MISMATCH") && err.contains("expected vs actual"),
                "{err}"
            );
            continue;
        }
        let v = json_with_keys(
            &args,
            &[
                "ops",
                "cycles",
                "mismatches",
                "seconds",
                "cycles_per_second",
                "ops_per_cycle",
                "ops_per_second",
                "bare_model_cycles_per_second",
            ],
        );
        let lanes = design.family.lanes();
        assert_eq!(v["mismatches"], 0, "{name}");
        assert_eq!(v["seed"], 4);
        assert_eq!(v["design"], name);
        assert_eq!(v["lanes"], lanes, "{name}");
        assert!(v["ops"].as_u64().unwrap() >= 20_000, "{name}");
        assert!(v["bare_model_cycles_per_second"].as_f64().unwrap() > 0.0);
        let per_cycle = v["ops_per_cycle"].as_f64().unwrap();
        assert_eq!(per_cycle > 1.5, lanes > 0, "{name}: {per_cycle} ops/cycle");
    }
}

/// The catalogue is the one list: its files are exactly the Verilog
/// committed under hdl/verilog/, each has a Verilator model, and `atomik
/// cosim --help` offers each by name with its description.
#[test]
fn the_catalogue_files_models_and_help_agree() {
    let root = atomik_codegen::workspace_root();
    let mut committed: Vec<String> = walk(&root.join("hdl/verilog"))
        .into_iter()
        .chain(walk(&root.join("hdl/boards")))
        .filter(|p| p.extension().is_some_and(|e| e == "v"))
        .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    committed.sort();
    let mut listed: Vec<String> = atomik_hdl::DESIGNS.iter().map(|d| d.file()).collect();
    listed.sort();
    assert_eq!(
        committed, listed,
        "hdl/verilog and hdl/boards against the catalogue"
    );
    let help = atomik(&["cosim", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    for design in atomik_sim::Design::all() {
        atomik_sim::Model::new(design).unwrap_or_else(|e| panic!("{design}: {e}"));
        if design.kind() == atomik_sim::Kind::Board {
            // Co-simulated through its UART: `atomik board cosim`.
            continue;
        }
        let offered = help.lines().map(str::trim).any(|l| {
            l.strip_prefix(&format!("- {}:", design.name()))
                .is_some_and(|rest| rest.trim() == design.about())
        });
        assert!(offered, "{design} missing from:\n{help}");
    }
}

/// Every file under `dir`, recursively.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = vec![];
    if !dir.exists() {
        return files;
    }
    for entry in std::fs::read_dir(dir).expect("readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// The first line of `stderr` that starts with `prefix`, without it.
fn line_after<'a>(stderr: &'a str, prefix: &str) -> &'a str {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in:\n{stderr}"))
}

/// Regression: `atomik cosim` printed a replay hint without `--design` (nor
/// the sweep interval), so the printed command ran the default design and
/// passed. The hint is now run as printed and must fail the same way, for
/// every mutant of the catalogue.
#[test]
fn the_replay_hint_reproduces_the_failure() {
    let mutants = atomik_hdl::DESIGNS.iter().filter(|d| d.is_mutant());
    for design in mutants.map(|d| d.name) {
        let out = atomik(&[
            "cosim", "--design", design, "--ops", "3000", "--seed", "5", "--sweep-every", "700",
            "--random-state",
        ]);
        assert_eq!(out.status.code(), Some(1), "{design}");
        let err = String::from_utf8_lossy(&out.stderr);
        let hint = line_after(&err, "replay: atomik ");
        assert_eq!(
            hint,
            format!("cosim --design {design} --seed 5 --ops 3000 --sweep-every 700 --random-state")
        );
        let args: Vec<&str> = hint.split_whitespace().collect();
        let again = atomik(&args);
        assert_eq!(again.status.code(), Some(1), "the replay fails too");
        let err_again = String::from_utf8_lossy(&again.stderr);
        for prefix in ["MISMATCH in ", "expected vs actual: ", "replay: atomik "] {
            assert_eq!(
                line_after(&err_again, prefix),
                line_after(&err, prefix),
                "{design}: {prefix}"
            );
        }
    }
}
