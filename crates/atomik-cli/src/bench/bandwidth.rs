//! Bandwidth: bytes actually produced by the v1 codec vs full-state transfer.

// Addresses are below 8192 and sequence numbers below 2^32 in this benchmark.
#![allow(clippy::cast_possible_truncation)]

use std::hint::black_box;

use atomik::wire::{self, COMPAT_LEN};
use atomik::{CompatRecord, Replica};
use serde::Serialize;

use super::util::human_bytes;
use super::{Measurement, Sizes};

/// The bytes each encoder produced for one state size.
#[derive(Debug, Serialize)]
pub(super) struct Bandwidth {
    state_bytes: usize,
    updates: usize,
    full_state_bytes: usize,
    v1_bytes: usize,
    compat_bytes: usize,
    ratio_full_over_v1: f64,
}

/// Encodes `n` random updates of a `state_bytes` table three ways and checks
/// the v1 bytes alone rebuild the table.
fn measure_size(n: usize, state_bytes: usize) -> Bandwidth {
    let contexts = state_bytes / 8;
    let mut rng = fastrand::Rng::with_seed(4);
    let mut origin = Replica::<u64>::new(1, contexts).expect("valid");
    let (mut v1, mut compat) = (Vec::new(), Vec::new());
    let mut full_total = 0usize;
    let mut full = Vec::with_capacity(state_bytes);
    for seq in 0..n {
        let (a, d) = (rng.usize(..contexts), rng.u64(..));
        let m = origin.accum(a, d).expect("in range");
        v1.extend_from_slice(&m.encode());
        let rec = CompatRecord {
            addr: a as u32,
            delta: d,
            seq: seq as u32,
        };
        compat.extend_from_slice(&rec.encode());
        // Full-state transfer: serialise every context's value after each update.
        full.clear();
        for (_, c) in origin.table().iter() {
            full.extend_from_slice(&c.read().to_le_bytes());
        }
        full_total += black_box(&full).len();
    }
    let mut rx = Replica::<u64>::new(2, contexts).expect("valid");
    for f in wire::Frames::<u64>::new(&v1) {
        rx.apply(&f.expect("well formed")).expect("in order");
    }
    assert_eq!(rx.table(), origin.table());
    assert_eq!(compat.len(), n * COMPAT_LEN);
    Bandwidth {
        state_bytes,
        updates: n,
        full_state_bytes: full_total,
        v1_bytes: v1.len(),
        compat_bytes: compat.len(),
        ratio_full_over_v1: full_total as f64 / v1.len() as f64,
    }
}

/// All state sizes.
pub(super) fn measure(s: Sizes) -> Vec<Bandwidth> {
    [64, 1024, 64 * 1024]
        .into_iter()
        .map(|b| measure_size(s.bandwidth_updates, b))
        .collect()
}

impl Measurement for Vec<Bandwidth> {
    fn render(&self, out: &mut Vec<String>) {
        let n = self.first().map_or(0, |b| b.updates);
        out.push(format!(
            "bandwidth       {n} updates; bytes produced by each encoder"
        ));
        for b in self {
            out.push(format!(
                "  state {:>9}: full state {:>10}   v1 deltas {:>10} ({:>6.1}x less)   16-byte compat {:>10}",
                human_bytes(b.state_bytes),
                human_bytes(b.full_state_bytes),
                human_bytes(b.v1_bytes),
                b.ratio_full_over_v1,
                human_bytes(b.compat_bytes),
            ));
        }
        out.push(format!(
            "  (a v1 frame is {} bytes for u64: version, kind, width, sender, epoch, seq, addr, value, checksum)",
            wire::frame_len::<u64>()
        ));
    }
}
