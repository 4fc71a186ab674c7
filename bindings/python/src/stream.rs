//! The duplicate filter behind `DeltaStream.apply`.

use std::collections::{HashMap, HashSet};

use pyo3::prelude::*;

/// The seqs seen from one sender: every seq below `base` plus the set `above`.
/// A stream's seqs are consecutive, so in-order delivery keeps `above` empty
/// and the memory per sender constant.
#[derive(Debug, Default)]
struct Seen {
    base: u64,
    above: HashSet<u64>,
}

impl Seen {
    /// Records `seq`; false if it was already recorded.
    fn insert(&mut self, seq: u64) -> bool {
        if seq < self.base || !self.above.insert(seq) {
            return false;
        }
        while self.above.remove(&self.base) {
            self.base += 1;
        }
        true
    }
}

/// Remembers which `(sender, seq)` pairs a `DeltaStream` has applied, so that
/// a duplicated message is ignored instead of undoing its delta (0.2.0's
/// behaviour: XOR is self-inverse).
#[pyclass(module = "atomik_core._native")]
#[derive(Debug, Default)]
pub(crate) struct SeqFilter {
    senders: HashMap<u64, Seen>,
}

#[pymethods]
impl SeqFilter {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Records `(sender, seq)`; returns False if it was recorded before.
    fn first_time(&mut self, sender: u64, seq: u64) -> bool {
        self.senders.entry(sender).or_default().insert(seq)
    }
}
