//! Rollback: an XOR delta log (ATOMiK) vs a history of full snapshots.

// Addresses are below CONTEXTS (256), so they fit the log's u32.
#![allow(clippy::cast_possible_truncation)]

use std::hint::black_box;
use std::time::Duration;

use atomik::Table;
use serde::Serialize;

use super::util::{faster_or_slower, heap_bytes, human_bytes, median, ns_per};
use super::{CONTEXTS, Measurement, Sizes};

/// One way of keeping history.
#[derive(Debug, Serialize)]
pub(super) struct Method {
    /// Heap bytes of the history itself (the live state is not counted).
    bytes: usize,
    record_ns_per_update: f64,
    rollback_us: f64,
}

/// The measured result.
#[derive(Debug, Serialize)]
pub(super) struct Rollback {
    updates: usize,
    contexts: usize,
    rolled_back: usize,
    delta_log: Method,
    snapshots: Method,
    memory_ratio: f64,
    states_agree: bool,
}

type Updates = [(usize, u64)];

/// Delta log: apply each update and remember (addr, delta); undo by re-applying.
fn record_log(updates: &Updates) -> (Table<u64>, Vec<(u32, u64)>) {
    let mut table = Table::<u64>::new(CONTEXTS).expect("non-zero");
    let mut log = Vec::new();
    for &(a, d) in updates {
        table.accum(a, d).expect("in range");
        log.push((a as u32, d));
    }
    (table, log)
}

/// Snapshots: copy the whole state before each update; undo by restoring.
fn record_snapshots(updates: &Updates) -> (Vec<u64>, Vec<Box<[u64]>>) {
    let mut state = vec![0u64; CONTEXTS];
    let mut history = Vec::new();
    for &(a, d) in updates {
        history.push(state.clone().into_boxed_slice());
        state[a] ^= d;
    }
    (state, history)
}

pub(super) fn measure(s: Sizes) -> Rollback {
    let n = s.rollback_updates;
    let k = n / 2;
    let mut rng = fastrand::Rng::with_seed(1);
    let updates: Vec<(usize, u64)> = (0..n)
        .map(|_| (rng.usize(..CONTEXTS), rng.u64(..)))
        .collect();

    let ((table, log), log_bytes) = heap_bytes(|| record_log(&updates));
    let ((state, history), snap_bytes) = heap_bytes(|| record_snapshots(&updates));
    // Each history's memory is itself and nothing else: the state exists either way.
    let log_only = log_bytes.saturating_sub(std::mem::size_of_val(table.as_slice()));
    let snap_only = snap_bytes.saturating_sub(state.len() * 8);

    let t_log = median(s.reps, || {
        black_box(record_log(black_box(&updates)));
    });
    let t_snap = median(s.reps, || {
        black_box(record_snapshots(black_box(&updates)));
    });

    // Roll back the last k updates, each on a fresh copy of the recorded state.
    let mut rolled_table = table.clone();
    let t_undo_log = median(s.reps, || {
        let mut t = table.clone();
        for &(a, d) in log[n - k..].iter().rev() {
            t.rollback(a as usize, d).expect("in range");
        }
        rolled_table = t;
    });
    let mut rolled_state = state.clone();
    let t_undo_snap = median(s.reps, || {
        let mut st = state.clone();
        st.copy_from_slice(&history[n - k]);
        rolled_state = st;
    });
    let states_agree = (0..CONTEXTS).all(|a| rolled_table.read(a).ok() == Some(rolled_state[a]));
    assert!(states_agree, "both rollbacks must give the same state");

    let method = |bytes, record: Duration, undo: Duration| Method {
        bytes,
        record_ns_per_update: ns_per(record, n),
        rollback_us: undo.as_secs_f64() * 1e6,
    };
    Rollback {
        updates: n,
        contexts: CONTEXTS,
        rolled_back: k,
        delta_log: method(log_only, t_log, t_undo_log),
        snapshots: method(snap_only, t_snap, t_undo_snap),
        memory_ratio: snap_only as f64 / log_only.max(1) as f64,
        states_agree,
    }
}

impl Measurement for Rollback {
    fn render(&self, out: &mut Vec<String>) {
        let (n, k) = (self.updates, self.rolled_back);
        out.push(format!(
            "rollback        {n} updates on {} x u64 contexts, then undo the last {k}",
            self.contexts
        ));
        for (name, m) in [
            ("delta log", &self.delta_log),
            ("snapshots", &self.snapshots),
        ] {
            out.push(format!(
                "  {name:<13} memory {:>10}   record {:>7.1} ns/update   rollback {:>9.1} us",
                human_bytes(m.bytes),
                m.record_ns_per_update,
                m.rollback_us
            ));
        }
        // Rates, not times, go into faster_or_slower: 1 / time.
        let (undo, word) = faster_or_slower(
            1.0 / self.snapshots.rollback_us,
            1.0 / self.delta_log.rollback_us,
        );
        out.push(format!(
            "  => the delta log needs {:.0}x less memory and records {:.1}x faster; \
             restoring one snapshot is {undo:.1}x {word} than undoing {k} deltas",
            self.memory_ratio,
            self.snapshots.record_ns_per_update / self.delta_log.record_ns_per_update,
        ));
    }
}
