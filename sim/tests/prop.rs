//! Property-based co-simulation: op sequences are a proptest strategy, so a
//! failure shrinks to a minimal sequence (proptest persists failing seeds
//! under sim/proptest-regressions/). The shrunk counterexamples found on the
//! no-forwarding mutant are kept below as explicit regression tests.

use atomik::Opcode;
use atomik_sim::{Cycle, Design, RunConfig, check_cycles};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestError, TestRunner};

/// The catalogue design called `name`.
fn design(name: &str) -> Design {
    Design::named(name).expect("a design of the catalogue")
}

/// One cycle: mostly ops on a few hot addresses (hazards), some idle gaps,
/// reserved opcodes, rare resets.
fn cycle(reset_weight: u32) -> impl Strategy<Value = Cycle> {
    let addr = prop_oneof![4 => 0u32..4, 1 => any::<u32>()];
    let data = prop_oneof![3 => any::<u64>(), 1 => 0u64..16];
    let op = prop_oneof![
        3 => Just(Opcode::Load.bits()),
        6 => Just(Opcode::Accum.bits()),
        5 => Just(Opcode::Read.bits()),
        2 => Just(Opcode::Swap.bits()),
        2 => Just(Opcode::SwapKeep.bits()),
        1 => 5u8..8,
    ];
    // Idle first: proptest shrinks towards the first alternative, so ops
    // that do not matter shrink into idle cycles (keeping the timing).
    prop_oneof![
        8 => Just(Cycle::Idle),
        40 => (op, addr, data).prop_map(|(op, addr, data)| Cycle::Op { op, addr, data }),
        reset_weight => Just(Cycle::Reset),
    ]
}

fn cases() -> u32 {
    std::env::var("ATOMIK_COSIM_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

fn config(design: Design) -> RunConfig {
    RunConfig::new(design, 0, 0)
}

fn passes(design: Design, cycles: &[Cycle]) -> Result<(), TestCaseError> {
    match check_cycles(&config(design), cycles, None).expect("model builds") {
        Ok(_) => Ok(()),
        Err(m) => Err(TestCaseError::fail(m.to_string())),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn default_design_matches_the_model(cycles in proptest::collection::vec(cycle(1), 1..200)) {
        passes(design("default"), &cycles)?;
    }

    /// The small preset sweeps in 16 cycles, so resets can be frequent.
    #[test]
    fn small_design_matches_the_model(cycles in proptest::collection::vec(cycle(4), 1..200)) {
        passes(design("small"), &cycles)?;
    }
}

/// Teeth: the same property fails on the mutant, and proptest shrinks the
/// failure to a couple of ops.
#[test]
fn the_property_catches_the_mutant_and_shrinks_it() {
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&proptest::collection::vec(cycle(1), 1..200), |cycles| {
        passes(design("mutant"), &cycles)
    });
    let Err(TestError::Fail(why, minimal)) = result else {
        panic!("the mutant passed the property: {result:?}");
    };
    let ops = minimal
        .iter()
        .filter(|c| matches!(c, Cycle::Op { .. }))
        .count();
    println!("shrunk to {minimal:?}: {why}");
    assert!(ops <= 3, "expected a minimal sequence, got {minimal:?}");
    assert!(
        passes(design("default"), &minimal).is_ok(),
        "the real design passes it"
    );
}

/// Pins the read-after-write hazard the forwarding paths h1..h3 exist for
/// (the no-forwarding mutant of 0b66978 returns stale BRAM data here).
/// Shrunk counterexamples of the mutant, one per forwarding distance: a
/// dependent op 1, 2 and 3 cycles after a write. The real design must pass
/// each; the mutant must fail each (so they keep testing the tests).
#[test]
fn regression_dependent_ops_at_every_forwarding_distance() {
    for gap in 0..3 {
        let mut seqs = vec![
            // write then read the same context
            vec![Cycle::op(Opcode::Accum, 0, 0xB3D8_9660_FC84_F917)],
            vec![Cycle::op(Opcode::Load, 3, 0x0123_4567_89AB_CDEF)],
            vec![Cycle::op(Opcode::Swap, 2, 0x55)],
        ];
        for s in &mut seqs {
            let addr = match s[0] {
                Cycle::Op { addr, .. } => addr,
                _ => unreachable!(),
            };
            s.extend(std::iter::repeat_n(Cycle::Idle, gap));
            s.push(Cycle::op(Opcode::Read, addr, 0));
        }
        // read-modify-write chains back to back
        seqs.push(vec![
            Cycle::op(Opcode::Load, 7, 0xF0),
            Cycle::op(Opcode::Accum, 7, 0x0F),
            Cycle::op(Opcode::SwapKeep, 7, 0),
            Cycle::op(Opcode::Accum, 7, 0xFF),
            Cycle::op(Opcode::Read, 7, 0),
        ]);
        for s in seqs {
            assert!(passes(design("default"), &s).is_ok(), "design fails {s:?}");
            assert!(passes(design("mutant"), &s).is_err(), "mutant passes {s:?}");
        }
    }
}
