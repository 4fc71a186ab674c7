//! One context's state in atomics, so that the classes holding it can be
//! `frozen`.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

use atomik::Context;

/// A context's state (standalone or a table's slot), kept in atomics so that the class can be
/// `frozen`: PyO3 then hands methods `&self` without taking a borrow flag,
/// which measurably shortens every call (docs/python.md, the call floor).
/// Atomics are always memory-safe; a method's read-modify-write is also
/// logically atomic because every method holds the GIL throughout it and calls
/// no Python code between its load and its store.
#[derive(Debug)]
pub(crate) struct Slot {
    reference: [AtomicU64; 2],
    accumulator: [AtomicU64; 2],
    delta_count: AtomicU32,
}

/// `v` as (high, low) 64-bit halves.
#[allow(clippy::cast_possible_truncation)] // the truncation is the point
fn halves(v: u128) -> [u64; 2] {
    [(v >> 64) as u64, v as u64]
}

#[inline(always)]
fn load_u128(a: &[AtomicU64; 2]) -> u128 {
    (u128::from(a[0].load(Relaxed)) << 64) | u128::from(a[1].load(Relaxed))
}

#[inline(always)]
fn store_u128(a: &[AtomicU64; 2], v: u128) {
    let [hi, lo] = halves(v);
    a[0].store(hi, Relaxed);
    a[1].store(lo, Relaxed);
}

impl Slot {
    pub(crate) fn new(c: Context<u128>) -> Self {
        let [rh, rl] = halves(c.reference());
        let [ah, al] = halves(c.accumulator());
        Slot {
            reference: [AtomicU64::new(rh), AtomicU64::new(rl)],
            accumulator: [AtomicU64::new(ah), AtomicU64::new(al)],
            delta_count: AtomicU32::new(c.delta_count()),
        }
    }

    #[inline(always)]
    pub(crate) fn get(&self) -> Context<u128> {
        Context::from_parts(
            load_u128(&self.reference),
            load_u128(&self.accumulator),
            self.delta_count.load(Relaxed),
        )
    }

    #[inline(always)]
    pub(crate) fn set(&self, c: &Context<u128>) {
        store_u128(&self.reference, c.reference());
        store_u128(&self.accumulator, c.accumulator());
        self.delta_count.store(c.delta_count(), Relaxed);
    }

    /// Runs `f` on a copy of the state and stores the result.
    #[inline(always)]
    pub(crate) fn update<R>(&self, f: impl FnOnce(&mut Context<u128>) -> R) -> R {
        let mut c = self.get();
        let r = f(&mut c);
        self.set(&c);
        r
    }
}
