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

#[test]
fn cosim_reports_json_and_fails_on_the_mutant() {
    // Every correct design, with the speed of the model alone beside the
    // checked run's.
    for (design, lanes) in [
        ("default", 0),
        ("small", 0),
        ("lanes_ice40", 3),
        ("lanes_ecp5", 16),
    ] {
        let v = json_with_keys(
            &[
                "cosim", "--design", design, "--ops", "20000", "--seed", "4", "--json",
            ],
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
        assert_eq!(v["mismatches"], 0, "{design}");
        assert_eq!(v["seed"], 4);
        assert_eq!(v["lanes"], lanes, "{design}");
        assert!(v["ops"].as_u64().unwrap() >= 20_000, "{design}");
        assert!(v["bare_model_cycles_per_second"].as_f64().unwrap() > 0.0);
        // A lanes design checks more than one op per cycle.
        let per_cycle = v["ops_per_cycle"].as_f64().unwrap();
        assert_eq!(
            per_cycle > 1.5,
            lanes > 0,
            "{design}: {per_cycle} ops/cycle"
        );
    }

    // The broken design: non-zero exit, a minimal sequence and a VCD.
    let out = atomik(&[
        "cosim", "--design", "mutant", "--ops", "5000", "--seed", "3", "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v = one_json_object(&out.stdout);
    assert_eq!(v["mismatches"], 1);
    let vcd = v["failure_vcd"].as_str().expect("a VCD path");
    assert!(std::fs::metadata(vcd).expect("VCD written").len() > 0);
    assert!(v["minimal_sequence"].as_array().expect("sequence").len() <= 8);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("MISMATCH") && err.contains("expected vs actual"),
        "{err}"
    );
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
/// the table's mutant, the lanes mutant and the axis mutant.
#[test]
fn the_replay_hint_reproduces_the_failure() {
    for design in ["mutant", "lanes_mutant", "axis_mutant"] {
        let out = atomik(&[
            "cosim",
            "--design",
            design,
            "--ops",
            "3000",
            "--seed",
            "5",
            "--sweep-every",
            "700",
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
