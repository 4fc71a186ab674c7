//! Property tests of the algebraic laws (docs/contracts.md §1) for every width.

#![allow(clippy::cast_possible_truncation)] // test data: values are small by construction

use atomik::{Context, Opcode, Table, TableError};
use proptest::prelude::*;

macro_rules! laws {
    ($($m:ident: $w:ty),*) => {$(
        mod $m {
            use super::*;

            fn ctx(reference: $w, deltas: &[$w]) -> Context<$w> {
                let mut c = Context::with_reference(reference);
                for &d in deltas {
                    c.accum(d);
                }
                c
            }

            proptest! {
                #[test]
                fn commutative(r: $w, a: $w, b: $w) {
                    prop_assert_eq!(ctx(r, &[a, b]), ctx(r, &[b, a]));
                }

                #[test]
                fn associative(r: $w, a: $w, b: $w, c: $w) {
                    // (a ⊕ b) ⊕ c == a ⊕ (b ⊕ c), as grouped deltas
                    prop_assert_eq!(ctx(r, &[a ^ b, c]).read(), ctx(r, &[a, b ^ c]).read());
                }

                #[test]
                fn identity(r: $w, ds in proptest::collection::vec(any::<$w>(), 0..8)) {
                    let mut c = ctx(r, &ds);
                    let before = c.read();
                    c.accum(0);
                    prop_assert_eq!(c.read(), before);
                }

                #[test]
                fn self_inverse(r: $w, d: $w) {
                    let mut c = Context::with_reference(r);
                    c.accum(d);
                    c.accum(d);
                    prop_assert_eq!(c.read(), r);
                    prop_assert!(c.is_clean());
                    prop_assert_eq!(c.delta_count(), 2);
                }

                #[test]
                fn rollback_restores(r: $w, ds in proptest::collection::vec(any::<$w>(), 0..16), undo in 0usize..16) {
                    let mut c = ctx(r, &ds);
                    let keep = ds.len() - undo.min(ds.len());
                    for &d in ds[keep..].iter().rev() {
                        c.rollback(d);
                    }
                    prop_assert_eq!(c.read(), ctx(r, &ds[..keep]).read());
                }

                #[test]
                fn read_is_reference_xor_accumulator(r: $w, ds in proptest::collection::vec(any::<$w>(), 0..16)) {
                    let c = ctx(r, &ds);
                    prop_assert_eq!(c.read(), c.reference() ^ c.accumulator());
                    prop_assert_eq!(c.accumulator(), ds.iter().fold(0, |a, &d| a ^ d));
                    prop_assert_eq!(c.delta_count() as usize, ds.len());
                    prop_assert_eq!(c.is_clean(), c.accumulator() == 0);
                }

                #[test]
                fn load_resets(r: $w, ds in proptest::collection::vec(any::<$w>(), 0..8), v: $w) {
                    let mut c = ctx(r, &ds);
                    c.load(v);
                    prop_assert_eq!(c, Context::with_reference(v));
                    prop_assert_eq!(c.read(), v);
                    prop_assert!(c.is_clean());
                }

                #[test]
                fn swap_returns_state_and_starts_epoch(r: $w, ds in proptest::collection::vec(any::<$w>(), 0..8), new: $w) {
                    let mut c = ctx(r, &ds);
                    let before = c.read();
                    prop_assert_eq!(c.swap(new), before);
                    prop_assert_eq!(c, Context::with_reference(new));
                }

                #[test]
                fn swap_keep_keeps_state(r: $w, ds in proptest::collection::vec(any::<$w>(), 0..8)) {
                    let mut c = ctx(r, &ds);
                    let before = c.read();
                    prop_assert_eq!(c.swap_keep(), before);
                    prop_assert_eq!(c, Context::with_reference(before));
                    prop_assert_eq!(c.delta_count(), 0);
                }

                #[test]
                fn merge_equals_applying_both(r: $w,
                    a in proptest::collection::vec(any::<$w>(), 0..8),
                    b in proptest::collection::vec(any::<$w>(), 0..8)) {
                    let mut left = ctx(r, &a);
                    left.try_merge(&ctx(r, &b)).unwrap();
                    let all: Vec<$w> = a.iter().chain(&b).copied().collect();
                    prop_assert_eq!(left, ctx(r, &all));
                    let mut unchecked = ctx(r, &a);
                    unchecked.merge(&ctx(r, &b));
                    prop_assert_eq!(unchecked, left);
                }

                #[test]
                fn merge_rejects_other_reference(r1: $w, r2: $w, a: $w, b: $w) {
                    prop_assume!(r1 != r2);
                    let mut left = ctx(r1, &[a]);
                    let saved = left;
                    let err = left.try_merge(&ctx(r2, &[b])).unwrap_err();
                    prop_assert_eq!((err.ours, err.theirs), (r1, r2));
                    prop_assert_eq!(left, saved, "a failed merge must not change the context");
                    prop_assert!(err.to_string().contains("different references"));
                }

                #[test]
                fn accum_slice_equals_sequential(r: $w, ds in proptest::collection::vec(any::<$w>(), 0..100)) {
                    let mut c = Context::with_reference(r);
                    c.accum_slice(&ds);
                    prop_assert_eq!(c, ctx(r, &ds));
                }
            }
        }
    )*};
}

laws!(w8: u8, w16: u16, w32: u32, w64: u64, w128: u128);

#[test]
fn original_readme_vector() {
    let mut c = Context::<u64>::new();
    c.load(0xDEAD_BEEF_CAFE_BABE);
    c.accum(0xFF);
    assert_eq!(c.read(), 0xDEAD_BEEF_CAFE_BA41);
}

#[test]
fn delta_count_wraps_like_the_c_uint32() {
    let mut c = Context::<u8>::from_parts(0, 0, u32::MAX);
    c.accum(1);
    assert_eq!(c.delta_count(), 0);
}

/// The naive model: a plain vector of (reference, accumulator, count).
#[derive(Clone, Debug)]
enum TableOp {
    Exec(u8, usize, u64),
    Batch(Vec<(usize, u64)>),
}

fn table_op(len: usize) -> impl Strategy<Value = TableOp> {
    // Addresses go a little past the end so the error paths are exercised.
    let addr = 0..len + 3;
    prop_oneof![
        8 => (0u8..5, addr.clone(), any::<u64>()).prop_map(|(o, a, d)| TableOp::Exec(o, a, d)),
        1 => proptest::collection::vec((addr, any::<u64>()), 0..6).prop_map(TableOp::Batch),
    ]
}

proptest! {
    #[test]
    fn table_matches_naive_model(len in 1usize..20, ops in proptest::collection::vec(table_op(20), 0..200)) {
        let mut table = Table::<u64>::new(len).unwrap();
        let mut model = vec![(0u64, 0u64, 0u32); len];
        for op in ops {
            match op {
                TableOp::Exec(code, addr, data) => {
                    let op = Opcode::from_bits(code).unwrap();
                    let got = table.execute(op, addr, data);
                    if addr >= len {
                        prop_assert_eq!(got, Err(TableError::AddrOutOfRange { addr, len }));
                        continue;
                    }
                    let m = &mut model[addr];
                    let state = m.0 ^ m.1;
                    let clean = m.1 == 0;
                    match op {
                        Opcode::Load => *m = (data, 0, 0),
                        Opcode::Accum => { m.1 ^= data; m.2 += 1; }
                        Opcode::Read => {}
                        Opcode::Swap => *m = (data, 0, 0),
                        Opcode::SwapKeep => *m = (state, 0, 0),
                    }
                    let out = got.unwrap();
                    if op.has_result() {
                        let out = out.unwrap();
                        prop_assert_eq!((out.value, out.clean), (state, clean));
                    } else {
                        prop_assert!(out.is_none());
                    }
                }
                TableOp::Batch(pairs) => {
                    let before = table.clone();
                    let r = table.accum_batch(&pairs);
                    if let Some(&(bad, _)) = pairs.iter().find(|(a, _)| *a >= len) {
                        prop_assert!(matches!(r, Err(TableError::AddrOutOfRange { .. })), "bad address {}", bad);
                        prop_assert_eq!(&table, &before, "a failed batch must apply nothing");
                    } else {
                        r.unwrap();
                        for (a, d) in pairs {
                            model[a].1 ^= d;
                            model[a].2 += 1;
                        }
                    }
                }
            }
            for (a, c) in table.iter() {
                prop_assert_eq!((c.reference(), c.accumulator(), c.delta_count()), model[a]);
            }
        }
        let snap = table.snapshot();
        let expect: Vec<(usize, u64)> = model.iter().enumerate()
            .map(|(a, m)| (a, m.0 ^ m.1)).filter(|&(_, v)| v != 0).collect();
        prop_assert_eq!(snap, expect);
    }
}

#[test]
fn table_errors_are_clear() {
    assert_eq!(Table::<u64>::new(0), Err(TableError::ZeroSize));
    // Allocation failure is reported, not an abort.
    let huge = usize::MAX / 64;
    assert_eq!(
        Table::<u64>::new(huge),
        Err(TableError::AllocFailed { len: huge })
    );
    assert!(
        TableError::AllocFailed { len: 3 }
            .to_string()
            .contains("allocate")
    );
    let mut t = Table::<u32>::new(256).unwrap();
    let e = t.accum(256, 1).unwrap_err();
    assert_eq!(
        e,
        TableError::AddrOutOfRange {
            addr: 256,
            len: 256
        }
    );
    assert_eq!(
        e.to_string(),
        "address 256 is out of range for a table of 256 contexts"
    );
    assert!(t.read(usize::MAX).is_err());
    assert!(t.swap(300, 1).is_err());
    assert!(t.swap_keep(300).is_err());
    assert!(t.load(300, 1).is_err());
    assert!(t.context_mut(300).is_err());
    assert!(
        t.iter().all(|(_, c)| c.read() == 0),
        "errors changed nothing"
    );
    t.accum(255, 7).unwrap();
    assert_eq!(t.read(255), Ok(7));
    assert!(!t.is_clean(255).unwrap());
    t.rollback(255, 7).unwrap();
    assert!(t.is_clean(255).unwrap());
}

#[test]
fn opcodes_round_trip_and_reserved_codes_are_none() {
    for op in Opcode::ALL {
        assert_eq!(Opcode::from_bits(op.bits()), Some(op));
    }
    for code in 5..=u8::MAX {
        assert_eq!(Opcode::from_bits(code), None);
    }
    assert_eq!(Opcode::SwapKeep.to_string(), "SWAP_KEEP");
}
