//! Lockstep co-simulation: the emitted Verilog in Verilator against the core
//! `Table`, every cycle. Without Verilator these tests are reported as
//! ignored, with the reason, and the build prints a warning.

use atomik::Opcode;
use atomik_sim::{
    Cycle, Design, MismatchKind, RunConfig, check_cycles, default_vcd_path, diagnose, run,
};

/// Ops per seed: at least a million in `just test` (override with ATOMIK_COSIM_OPS).
fn ops() -> u64 {
    std::env::var("ATOMIK_COSIM_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn lockstep(config: &RunConfig) {
    let report = run(config, |_| {}).expect("model builds");
    if let Some(m) = report.first {
        let vcd = default_vcd_path(config.seed);
        let failure = diagnose(config, m, &vcd).expect("diagnosis runs");
        panic!("{failure}");
    }
    let c = report.counts;
    println!(
        "{:?} seed {}: {} cycles, {} ops, {} results checked, {} resets, {:.1} M cycles/s",
        config.design,
        config.seed,
        c.cycles,
        c.ops,
        c.results,
        c.resets,
        report.cycles_per_second() / 1e6
    );
    assert!(c.ops >= config.ops, "ran the requested number of ops");
    assert!(
        c.results > c.ops / 4,
        "a good share of the ops produced checked results"
    );
}

macro_rules! seeds {
    ($($name:ident: $seed:expr),*) => {$(
        #[test]
        #[cfg_attr(atomik_no_verilator, ignore = "co-simulation SKIPPED: Verilator not found at build time")]
        fn $name() {
            lockstep(&RunConfig::new(Design::Default, $seed, ops()));
        }
    )*};
}

seeds!(default_seed_1: 1, default_seed_2: 2, default_seed_3: 0xA70_311C);

/// Every flop and memory word starts random: only the reset sweep makes the
/// table read zero, so this checks the reset behaviour against the model.
#[test]
#[cfg_attr(
    atomik_no_verilator,
    ignore = "co-simulation SKIPPED: Verilator not found at build time"
)]
fn random_initial_state_is_cleared_by_reset() {
    let mut config = RunConfig::new(Design::Default, 77, 200_000);
    config.random_state = true;
    lockstep(&config);
}

#[test]
#[cfg_attr(
    atomik_no_verilator,
    ignore = "co-simulation SKIPPED: Verilator not found at build time"
)]
fn small_preset_matches_the_model() {
    let mut config = RunConfig::new(Design::Small16x32, 5, 300_000);
    config.sweep_every = 10_000;
    lockstep(&config);
}

/// Teeth: the no-forwarding mutant is caught, the failure replays from its
/// seed, shrinks to a handful of cycles, and leaves a VCD behind.
#[test]
#[cfg_attr(
    atomik_no_verilator,
    ignore = "co-simulation SKIPPED: Verilator not found at build time"
)]
fn the_mutant_is_caught_shrunk_and_traced() {
    let config = RunConfig::new(Design::MutantNoForwarding, 9, 100_000);
    let report = run(&config, |_| {}).expect("model builds");
    let first = report.first.expect("the mutant must not pass");
    assert_eq!(report.mismatches, 1);
    let vcd = std::env::temp_dir().join(format!("atomik-mutant-{}.vcd", std::process::id()));
    let failure = diagnose(&config, first, &vcd).expect("diagnosis runs");
    let text = failure.to_string();
    println!("{text}");
    let ops = failure
        .minimal
        .iter()
        .filter(|c| matches!(c, Cycle::Op { .. }))
        .count();
    assert!(
        ops <= 4,
        "shrunk to a minimal op sequence, got {ops} ops:\n{text}"
    );
    assert!(std::fs::metadata(&vcd).expect("VCD written").len() > 1000);
    // Regression: the hint used to omit `--design`, so after a mutant or
    // preset failure it replayed the default design, which passes. (The
    // atomik-cli tests run the printed command and check it fails the same way.)
    assert!(
        text.contains("expected vs actual")
            && text.contains("replay: atomik cosim --design mutant --seed 9 --ops 100000"),
        "{text}"
    );
    // The same sequence passes on the correct design.
    let mut good = config.clone();
    good.design = Design::Default;
    assert!(check_cycles(&good, &failure.minimal, None).unwrap().is_ok());
    std::fs::remove_file(&vcd).ok();
}

/// Directed vectors, including the original README vector and the hazards.
#[test]
#[cfg_attr(
    atomik_no_verilator,
    ignore = "co-simulation SKIPPED: Verilator not found at build time"
)]
fn directed_vectors() {
    let config = RunConfig::new(Design::Default, 0, 0);
    let op = Cycle::op;
    let mut cycles = vec![
        op(Opcode::Load, 0, 0xDEAD_BEEF_CAFE_BABE),
        op(Opcode::Accum, 0, 0xFF),
        op(Opcode::Read, 0, 0),
        op(Opcode::Read, 255, 0),
        op(Opcode::Swap, 0, 0x1234),
        op(Opcode::SwapKeep, 0, 0),
        op(Opcode::Read, 0, 0),
        Cycle::Op {
            op: 7,
            addr: 0,
            data: 99,
        },
    ];
    // Let every result arrive, then reset: the sweep keeps ready low for 256
    // cycles, after which context 0 reads 0 and clean.
    cycles.extend(std::iter::repeat_n(Cycle::Idle, atomik_sim::LATENCY_CYCLES));
    cycles.push(Cycle::Reset);
    cycles.extend(std::iter::repeat_n(Cycle::Idle, 256));
    cycles.push(op(Opcode::Read, 0, 0));
    let counts = check_cycles(&config, &cycles, None).unwrap().unwrap();
    assert_eq!((counts.ops, counts.results, counts.resets), (9, 6, 1));

    // A reset flushes results still in flight: the checker expects none, so
    // hardware that emitted them would fail with UnexpectedResult.
    let flushed = [op(Opcode::Read, 1, 0), op(Opcode::Read, 2, 0), Cycle::Reset];
    let counts = check_cycles(&config, &flushed, None).unwrap().unwrap();
    assert_eq!(counts.results, 0);

    // The checker has teeth on these vectors: the mutant fails them.
    let m = check_cycles(
        &RunConfig {
            design: Design::MutantNoForwarding,
            ..config
        },
        &cycles,
        None,
    )
    .unwrap()
    .expect_err("the mutant must fail the directed vectors");
    assert!(matches!(m.kind, MismatchKind::WrongResult { .. }), "{m}");
}
