//! The shared scenario (scenario.txt): its expected results are the core
//! `Table`'s, it checks every result, and the driver passes it against the
//! board model (the faces run it against the co-simulated board).

mod common;

use std::time::Duration;

use atomik::{Opcode, Table};
use atomik_board::scenario::{self, Call, SCENARIO};
use atomik_board::{BoardTable, OpResult, Options};
use common::ModelLine;

/// Every result the file expects is what the core `Table` returns, and
/// every op that returns something has its result (and a READ its clean
/// flag) written down, so no face can pass without checking it.
#[test]
fn the_expected_results_are_the_core_tables() {
    let calls = scenario::parse(SCENARIO).unwrap();
    let mut table = Table::<u64>::new(256).unwrap();
    let (mut checked, mut batches) = (0, 0);
    for call in &calls {
        batches += usize::from(matches!(call, Call::Batch(_)));
        for step in call.steps() {
            let got = table
                .execute(step.op.code, step.op.addr.into(), step.op.data)
                .unwrap();
            let Some(r) = got else {
                assert_eq!(step.expect, None, "{step:?}");
                continue;
            };
            let e = step
                .expect
                .unwrap_or_else(|| panic!("no result written for {step:?}"));
            assert_eq!(e.value, r.value, "{step:?}");
            if step.op.code == Opcode::Read {
                assert_eq!(e.clean, Some(r.clean), "{step:?}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 25, "{checked}");
    assert!(batches >= 2);
    // Every op as a single call, and a batch longer than one frame.
    for code in Opcode::ALL {
        assert!(
            calls
                .iter()
                .any(|c| matches!(c, Call::Single(s) if s.op.code == code)),
            "{code}"
        );
    }
    assert!(calls.iter().any(|c| c.steps().len() > 16));
}

#[test]
fn check_finds_a_wrong_value_a_wrong_clean_flag_and_a_missing_result() {
    let calls = scenario::parse("read 1 = 5 clean\nswap 2 9 = 7").unwrap();
    let steps: Vec<_> = calls.iter().flat_map(|c| c.steps().to_vec()).collect();
    let r = |value, clean| OpResult { value, clean };
    assert_eq!(scenario::check(&steps, &[r(5, true), r(7, false)]), Ok(()));
    assert!(scenario::check(&steps, &[r(6, true), r(7, false)]).is_err());
    assert!(scenario::check(&steps, &[r(5, false), r(7, false)]).is_err());
    assert!(scenario::check(&steps, &[r(5, true), r(8, false)]).is_err());
    assert!(scenario::check(&steps, &[r(5, true)]).is_err());
}

#[test]
fn bad_lines_are_refused_with_their_number() {
    for (text, line) in [
        ("load 0 1\nfrob 1", 2),
        ("load 256 1", 1),
        ("read 0 5", 1),
        ("load 0", 1),
        ("load 0 1 = 1", 1),
        ("swap 0 1 = 2 clean", 1),
        ("read 0 = 1 maybe", 1),
        ("read 0 = x", 1),
        ("= 5", 1),
        ("end", 1),
        ("batch\nbatch", 2),
    ] {
        let e = scenario::parse(text).unwrap_err();
        assert_eq!(e.line, line, "{text:?}: {e}");
    }
    assert!(scenario::parse("batch\nread 0").is_err());
    assert_eq!(scenario::parse("# only a comment\n\n").unwrap(), vec![]);
}

/// The Rust face's calls for the scenario, over the board model: a single
/// line through the single-op method it names, a batch through `execute`.
#[test]
fn the_driver_passes_the_scenario_against_the_board_model() {
    let opts = Options {
        initial_rto: Duration::from_millis(5),
        min_rto: Duration::from_millis(2),
        inter_byte: Duration::from_millis(1),
        ..Options::default()
    };
    let mut t = BoardTable::over(ModelLine::new(1, 0.0, 0.0), opts).unwrap();
    for call in scenario::parse(SCENARIO).unwrap() {
        let got = scenario::run(&mut t, &call).unwrap();
        scenario::check(call.steps(), &got).unwrap();
    }
}
