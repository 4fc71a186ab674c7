//! Context and table operations.
#![allow(missing_docs)] // criterion_main! generates an undocumented `main`
#![allow(clippy::cast_possible_truncation)] // bench inputs are small by construction

use std::hint::black_box;

use atomik::{Context, Table};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

/// Pairs replayed per iteration: large enough to defeat branch history,
/// small enough to stay in L1/L2 so the operation, not DRAM, is measured.
const PAIRS: usize = 4096;

fn pairs(contexts: usize, seed: u64) -> Vec<(usize, u64)> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..PAIRS)
        .map(|_| (rng.usize(..contexts), rng.u64(..)))
        .collect()
}

fn context_ops(c: &mut Criterion) {
    let mut g = c.benchmark_group("context");
    g.throughput(Throughput::Elements(1));
    let mut ctx = Context::<u64>::with_reference(0xDEAD_BEEF);
    // black_box(&mut ctx) makes every iteration load and store the context:
    // otherwise LLVM keeps it in registers and, for idempotent operations
    // such as swap_keep, measures nothing at all.
    g.bench_function("load", |b| {
        b.iter(|| black_box(&mut ctx).load(black_box(7)))
    });
    g.bench_function("accum", |b| {
        b.iter(|| black_box(&mut ctx).accum(black_box(0xFF)))
    });
    g.bench_function("read", |b| b.iter(|| black_box(&ctx).read()));
    g.bench_function("swap", |b| {
        b.iter(|| black_box(&mut ctx).swap(black_box(9)))
    });
    g.bench_function("swap_keep", |b| b.iter(|| black_box(&mut ctx).swap_keep()));
    g.finish();

    let mut g = c.benchmark_group("accum_slice");
    for n in [1024usize, 65_536] {
        let deltas: Vec<u64> = (0..n as u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("u64/{n}"), |b| {
            b.iter(|| ctx.accum_slice(black_box(&deltas)));
        });
        // Baseline in the same run: the obvious per-element loop.
        g.bench_function(format!("u64_loop/{n}"), |b| {
            b.iter(|| {
                for &d in black_box(&deltas) {
                    ctx.accum(d);
                }
            });
        });
    }
    g.finish();
}

fn table_ops(c: &mut Criterion) {
    let mut g = c.benchmark_group("table_256x64");
    let ps = pairs(256, 1);
    g.throughput(Throughput::Elements(PAIRS as u64));
    let mut table = Table::<u64>::new(256).expect("valid");
    g.bench_function("accum_random_addr", |b| {
        b.iter(|| {
            for &(a, d) in black_box(&ps) {
                table.accum(a, d).expect("in range");
            }
        });
    });
    g.bench_function("accum_batch_random_addr", |b| {
        b.iter(|| table.accum_batch(black_box(&ps)).expect("in range"));
    });
    let mut plain = [0u64; 256];
    g.bench_function("baseline_plain_array_xor", |b| {
        b.iter(|| {
            for &(a, d) in black_box(&ps) {
                plain[a] ^= d;
            }
        });
    });
    g.bench_function("read_random_addr", |b| {
        b.iter(|| {
            let mut x = 0;
            for &(a, _) in black_box(&ps) {
                x ^= table.read(a).expect("in range");
            }
            x
        });
    });
    g.bench_function("swap_random_addr", |b| {
        b.iter_batched_ref(
            || table.clone(),
            |t| {
                let mut x = 0;
                for &(a, v) in black_box(&ps) {
                    x ^= t.swap(a, v).expect("in range");
                }
                x
            },
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

criterion_group!(benches, context_ops, table_ops);
criterion_main!(benches);
