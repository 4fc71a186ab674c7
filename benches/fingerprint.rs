//! Full-scan fingerprints vs memcmp, at 1 KiB, 64 KiB and 1 MiB.
#![allow(missing_docs)]
#![allow(clippy::cast_possible_truncation)] // bench inputs are small by construction

use std::hint::black_box;

use atomik::{positional_fold, xor_fold};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn scans(c: &mut Criterion) {
    let mut g = c.benchmark_group("fingerprint");
    for size in [1024usize, 64 * 1024, 1024 * 1024] {
        let mut rng = fastrand::Rng::with_seed(7);
        let a: Vec<u8> = (0..size).map(|_| rng.u8(..)).collect();
        let b = a.clone();
        g.throughput(Throughput::Bytes(size as u64));
        let label = if size >= 1 << 20 {
            format!("{}MiB", size >> 20)
        } else {
            format!("{}KiB", size >> 10)
        };
        g.bench_function(format!("xor_fold_u64/{label}"), |bch| {
            bch.iter(|| xor_fold::<u64>(black_box(&a)));
        });
        g.bench_function(format!("positional_fold/{label}"), |bch| {
            bch.iter(|| positional_fold(black_box(&a)));
        });
        // memcmp of two equal buffers reads both in full: 2x the bytes of a fold.
        g.bench_function(format!("memcmp_equal/{label}"), |bch| {
            bch.iter(|| black_box(&a)[..] == black_box(&b)[..]);
        });
    }
    g.finish();
}

criterion_group!(benches, scans);
criterion_main!(benches);
