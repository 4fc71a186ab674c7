//! Lockstep co-simulation: the emitted Verilog in Verilator against the core
//! `Table`, every cycle. Verilator is required to build atomik-sim, so
//! these tests cannot pass by being skipped.

use atomik::Opcode;
use atomik_sim::{
    AxisCycle, AxisGenerator, AxisPortsOut, Cycle, Design, Kind, LaneCycle, MismatchKind, Model,
    RunConfig, Source, Stimulus, check_cycles, default_vcd_path, diagnose, run,
};

/// The catalogue design called `name`.
fn design(name: &str) -> Design {
    Design::named(name).expect("a design of the catalogue")
}

/// Lanes of the iCE40 and ECP5 presets (and of the lanes mutant), as the
/// `N` of the stimulus types; `preset_lane_counts` checks them against the
/// catalogue.
const ICE40_LANES: usize = 3;
const ECP5_LANES: usize = 16;

#[test]
fn preset_lane_counts() {
    assert_eq!(design("lanes_ice40").lanes(), ICE40_LANES);
    assert_eq!(design("lanes_mutant").lanes(), ICE40_LANES);
    assert_eq!(design("lanes_ecp5").lanes(), ECP5_LANES);
}

/// Ops per seed: at least a million in `just test` (override with ATOMIK_COSIM_OPS).
fn ops() -> u64 {
    std::env::var("ATOMIK_COSIM_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn lockstep(config: &RunConfig) -> atomik_sim::Report {
    let report = run(config, |_| {}).expect("model builds");
    if let Some(m) = report.first {
        let vcd = default_vcd_path(config.seed);
        let failure = atomik_sim::diagnose_any(config, m, &vcd).expect("diagnosis runs");
        panic!("{}", failure.text);
    }
    let c = report.counts;
    println!(
        "{:?} seed {}: {} cycles, {} ops ({:.2} per cycle), {} results checked, {} resets, \
         {:.1} M cycles/s, {:.1} M ops/s",
        config.design,
        config.seed,
        c.cycles,
        c.ops,
        report.ops_per_cycle(),
        c.results,
        c.resets,
        report.cycles_per_second() / 1e6,
        report.ops_per_second() / 1e6
    );
    assert!(c.ops >= config.ops, "ran the requested number of ops");
    // Every control op in four or so produces a result; lanes produce none.
    let control_ops = c.cycles.min(c.ops);
    assert!(
        c.results > control_ops / 4,
        "a good share of the control ops produced checked results"
    );
    report
}

macro_rules! seeds {
    ($design:expr; $($name:ident: $seed:expr),*) => {$(
        #[test]
        fn $name() {
            lockstep(&RunConfig::new($design, $seed, ops()));
        }
    )*};
}

seeds!(design("default"); default_seed_1: 1, default_seed_2: 2, default_seed_3: 0xA70_311C);

/// A lanes preset: at least `ops()` accepted ops (control port and lanes)
/// from `seed`, with every lane busy, races at every distance and resets.
fn lanes_lockstep(design: Design, seed: u64) {
    let mut config = RunConfig::new(design, seed, ops());
    // Sweeps count control ops (one per cycle at most): read every context
    // back several times per run even when the lanes carry most ops.
    config.sweep_every = 20_000;
    let report = lockstep(&config);
    let Kind::Lanes(n) = design.kind() else {
        panic!("{design:?} is a lanes design")
    };
    // The lanes do carry the load: on average more than half of them busy.
    assert!(
        report.ops_per_cycle() > 1.0 + n as f64 / 2.0,
        "{:.2} ops per cycle with {n} lanes",
        report.ops_per_cycle()
    );
}

macro_rules! lane_seeds {
    ($($name:ident: $design:expr, $seed:expr;)*) => {$(
        #[test]
        fn $name() {
            lanes_lockstep($design, $seed);
        }
    )*};
}

lane_seeds! {
    lanes_ice40_seed_1: design("lanes_ice40"), 1;
    lanes_ice40_seed_2: design("lanes_ice40"), 2;
    lanes_ice40_seed_3: design("lanes_ice40"), 0x1A7E_5003;
    lanes_ecp5_seed_1: design("lanes_ecp5"), 1;
    lanes_ecp5_seed_2: design("lanes_ecp5"), 2;
    lanes_ecp5_seed_3: design("lanes_ecp5"), 0x1A7E_5003;
}

/// Teeth for the lanes: the mutant whose LOAD/SWAP forget the lane banks is
/// caught, replays from its seed, shrinks to a few cycles, leaves a VCD,
/// and prints a replay command naming its design.
#[test]
fn the_lanes_mutant_is_caught_shrunk_and_traced() {
    let failure = caught::<LaneCycle<ICE40_LANES>>(design("lanes_mutant"), design("lanes_ice40"));
    let busy = failure.minimal.iter().filter(|c| c.ops() > 0).count();
    assert!(
        busy <= 4,
        "shrunk to a few busy cycles, got {busy}:\n{failure}"
    );
    // What the mutant gets wrong involves a lane: the shrunk sequence keeps one.
    assert!(failure.minimal.iter().any(|c| c.valid != 0), "{failure}");
}

/// Directed: every lane and the control op on one address, a LOAD/SWAP/
/// SWAP_KEEP racing lane ACCUMs at every distance before and after it, and
/// a reset in flight; on both presets, and the mutant fails it.
#[test]
fn lanes_directed_races() {
    let ice40 = RunConfig::new(design("lanes_ice40"), 0, 0);
    let ecp5 = RunConfig::new(design("lanes_ecp5"), 0, 0);
    let counts = [
        check_cycles(&ice40, &races::<ICE40_LANES>(), None),
        check_cycles(&ecp5, &races::<ECP5_LANES>(), None),
    ];
    for c in counts {
        assert_eq!(c.unwrap().unwrap().resets, 2);
    }
    let mutant = RunConfig::new(design("lanes_mutant"), 0, 0);
    let m = check_cycles(&mutant, &races::<ICE40_LANES>(), None)
        .unwrap()
        .expect_err("the lanes mutant must fail the directed races");
    assert!(matches!(m.kind, MismatchKind::WrongResult { .. }), "{m}");
}

/// The directed races of [`lanes_directed_races`] for `N` lanes.
fn races<const N: usize>() -> Vec<LaneCycle<N>> {
    use atomik::Opcode::{Load, Read, Swap, SwapKeep};
    let latency = design("lanes_ice40").latency();
    let every_lane = |control| {
        (0..N).fold(LaneCycle::control_only(control), |c, i| {
            c.with_lane(i, 7, 1 << (3 * i + 1))
        })
    };
    let mut cycles = vec![LaneCycle::control_only(Cycle::Reset)];
    cycles.extend(std::iter::repeat_n(LaneCycle::IDLE, 256));
    for racer in [Load, Swap, SwapKeep] {
        for dist in 0..=latency + 1 {
            // Lanes `dist` cycles before the racer, with it, and `dist` after.
            cycles.push(every_lane(Cycle::Idle));
            cycles.extend(std::iter::repeat_n(LaneCycle::IDLE, dist.saturating_sub(1)));
            cycles.push(every_lane(Cycle::op(racer, 7, 0xAB)));
            cycles.extend(std::iter::repeat_n(LaneCycle::IDLE, dist.saturating_sub(1)));
            cycles.push(every_lane(Cycle::op(Read, 7, 0)));
        }
    }
    // A reset with results and lane ACCUMs in flight flushes them.
    cycles.push(every_lane(Cycle::op(Read, 7, 0)));
    cycles.push(LaneCycle::control_only(Cycle::Reset));
    cycles.extend(std::iter::repeat_n(LaneCycle::IDLE, 256));
    cycles.push(LaneCycle::control_only(Cycle::op(Read, 7, 0)));
    cycles
}

/// `measure_bare` times the model alone on the same cycles.
#[test]
fn the_bare_model_is_measured_on_request() {
    for design in [design("small"), design("lanes_ice40")] {
        let mut config = RunConfig::new(design, 3, 20_000);
        config.measure_bare = true;
        let report = run(&config, |_| {}).unwrap();
        assert_eq!(report.mismatches, 0);
        assert!(
            report
                .bare_model_cycles_per_second()
                .is_some_and(|r| r > 0.0)
        );
        config.measure_bare = false;
        assert!(run(&config, |_| {}).unwrap().bare_seconds.is_none());
    }
}

/// Every flop and memory word starts random: only the reset sweep makes the
/// table read zero, so this checks the reset behaviour against the model.
#[test]
fn random_initial_state_is_cleared_by_reset() {
    // The lanes table's reset sweep must clear every lane bank too.
    for (design, seed) in [
        (design("default"), 77),
        (design("lanes_ice40"), 78),
        (design("axis"), 79),
    ] {
        let mut config = RunConfig::new(design, seed, 200_000);
        config.random_state = true;
        lockstep(&config);
    }
}

#[test]
fn small_preset_matches_the_model() {
    let mut config = RunConfig::new(design("small"), 5, 300_000);
    config.sweep_every = 10_000;
    lockstep(&config);
}

/// Teeth: the no-forwarding mutant is caught, the failure replays from its
/// seed, shrinks to a handful of cycles, and leaves a VCD behind.
#[test]
fn the_mutant_is_caught_shrunk_and_traced() {
    let failure = caught::<Cycle>(design("mutant"), design("default"));
    let ops = failure.minimal.iter().filter(|c| c.ops() > 0).count();
    assert!(
        ops <= 4,
        "shrunk to a minimal op sequence, got {ops} ops:\n{failure}"
    );
}

/// Runs `mutant` from seed 9 and checks it is caught, shrunk and traced:
/// the failure replays from its seed, its report says how to replay it,
/// a VCD is written, and the shrunk sequence passes on `good`.
fn caught<S: Stimulus>(mutant: Design, good: Design) -> atomik_sim::Failure<S> {
    let config = RunConfig::new(mutant, 9, 100_000);
    let report = run(&config, |_| {}).expect("model builds");
    let first = report.first.expect("the mutant must not pass");
    assert_eq!(report.mismatches, 1);
    let vcd = std::env::temp_dir().join(format!(
        "atomik-{}-{}.vcd",
        mutant.name(),
        std::process::id()
    ));
    let failure = diagnose::<S>(&config, first, &vcd).expect("diagnosis runs");
    let text = failure.to_string();
    println!("{text}");
    assert!(std::fs::metadata(&vcd).expect("VCD written").len() > 1000);
    // Regression: the hint used to omit `--design`, so after a mutant or
    // preset failure it replayed the default design, which passes. (The
    // atomik-cli tests run the printed command and check it fails the same way.)
    let hint = format!(
        "replay: atomik cosim --design {} --seed 9 --ops 100000",
        mutant.name()
    );
    assert!(
        text.contains("expected vs actual") && text.contains(&hint),
        "{text}"
    );
    // The same sequence passes on the correct design.
    let good = RunConfig {
        design: good,
        ..config
    };
    assert!(check_cycles(&good, &failure.minimal, None).unwrap().is_ok());
    std::fs::remove_file(&vcd).ok();
    failure
}

/// Directed vectors, including the original README vector and the hazards.
#[test]
fn directed_vectors() {
    let config = RunConfig::new(design("default"), 0, 0);
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
            design: design("mutant"),
            ..config
        },
        &cycles,
        None,
    )
    .unwrap()
    .expect_err("the mutant must fail the directed vectors");
    assert!(matches!(m.kind, MismatchKind::WrongResult { .. }), "{m}");
}

/// At full load (an op on the control port and every lane in every cycle)
/// the lanes table accepts N + 1 ops per cycle: `ready` drops only for the
/// reset sweeps (the opening one and the rare random resets).
#[test]
fn full_load_accepts_n_plus_one_ops_per_cycle() {
    for design in [design("lanes_ice40"), design("lanes_ecp5")] {
        let mut config = RunConfig::new(design, 11, 1_000_000);
        config.full_load = true;
        let report = lockstep(&config);
        let most = (design.lanes() + 1) as f64;
        let per_cycle = report.ops_per_cycle();
        assert!(
            per_cycle <= most && per_cycle > most * 0.98,
            "{design:?}: {per_cycle:.3} ops/cycle, {} resets",
            report.counts.resets
        );
    }
}

seeds!(design("axis"); axis_seed_1: 1, axis_seed_2: 2, axis_seed_3: 0xA815_0003);

/// Teeth for the AXI wrapper: the mutant with credit for one result more
/// than its FIFO holds is caught (its `s_axis_tready` stays high with the
/// FIFO owed in full, under a stalled consumer), shrunk and traced.
#[test]
fn the_axis_mutant_is_caught_shrunk_and_traced() {
    let failure = caught::<AxisCycle>(design("axis_mutant"), design("axis"));
    assert!(
        matches!(
            failure.minimal_mismatch.kind,
            MismatchKind::TReady {
                expected: false,
                owed: 8
            }
        ),
        "{failure}"
    );
    // Eight results owed need eight offers and a stalled consumer, no more.
    let offers = failure.minimal.iter().filter(|c| c.offer).count();
    assert!(
        offers <= 9,
        "shrunk to a few offers, got {offers}:\n{failure}"
    );
}

/// With a beat offered and `m_axis_tready` high in every cycle the wrapper
/// takes one op per cycle: only the resets (a 256-cycle clearing sweep
/// each, about one per 20 000 cycles) and the drain before each READ sweep
/// cost cycles, under 2% together.
#[test]
fn axis_full_load_takes_one_op_per_cycle() {
    let mut config = RunConfig::new(design("axis"), 12, 1_000_000);
    config.full_load = true;
    let report = lockstep(&config);
    let per_cycle = report.ops_per_cycle();
    assert!(
        per_cycle > 0.98,
        "{per_cycle:.4} ops/cycle, {} resets",
        report.counts.resets
    );
}

/// The stimulus does what the issue asks of it: the consumer stalls until
/// the FIFO fills and for long after (hundreds of cycles with a beat
/// waiting on `s_axis_tvalid` and `s_axis_tready` low), and then streams at
/// full speed again.
#[test]
fn axis_stimulus_fills_the_fifo_and_stalls_for_long() {
    let design = design("axis");
    let mut source = AxisGenerator::new(design, 5, 100_000);
    let cycles: Vec<AxisCycle> = (0..300_000).map(|_| source.next_cycle()).collect();
    let ins: Vec<_> = (0..)
        .zip(&cycles)
        .map(|(i, c)| c.ports(design, atomik_sim::check::junk(i)))
        .collect();
    let mut outs = vec![AxisPortsOut::default(); ins.len()];
    let mut model = Model::new(design).expect("model builds");
    model.run_axis(&ins, &mut outs);
    let (mut long_stalls, mut run, mut streaming) = (0, 0, 0);
    for (c, o) in cycles.iter().zip(&outs) {
        let blocked = c.aresetn && !c.m_tready && o.s_tvalid == 1 && o.s_tready == 0;
        run = if blocked { run + 1 } else { 0 };
        long_stalls += u32::from(run == 100);
        streaming += u32::from(c.m_tready && o.m_tvalid == 1 && o.s_tvalid == 1 && o.s_tready == 1);
    }
    assert!(long_stalls >= 20, "{long_stalls} stalls of 100+ cycles");
    assert!(
        streaming > 30_000,
        "{streaming} cycles with both streams moving"
    );
}
