//! Co-simulation throughput: simulated clock cycles per second with the
//! per-cycle check against the software model on (two threads: the
//! Verilator model, and stimulus + checking), against two baselines in the
//! same run:
//!
//! * `bare_model_same_run`: a fresh model driven with exactly the cycles of
//!   the checked run (regenerated from the seed, made before timing), with
//!   nothing checked. Model construction is inside both timings. This is
//!   the fair baseline: checked / bare is what the checking costs.
//! * `bare_model_4096_cycles`: one in-cache batch repeated on a warm model.
//!   The model's best case, not a baseline for the checked run: it pays no
//!   model construction, no clearing sweep and no cache misses, so a ratio
//!   of the checked run to it understates what the checking costs.
#![allow(missing_docs)]

use std::hint::black_box;

use atomik_sim::{
    Cycle, Design, Generator, Model, PortsIn, PortsOut, RunConfig, run, run_inputs, stimulus,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// The catalogue design called `name`.
fn design(name: &str) -> Design {
    Design::named(name).expect("a design of the catalogue")
}

fn cosim(c: &mut Criterion) {
    let mut g = c.benchmark_group("cosim");
    g.sample_size(20);
    // Cycles of one run, measured once (deterministic from the seed).
    let config = RunConfig::new(design("default"), 1, 1_000_000);
    let report = run(&config, |_| {}).expect("model");
    g.throughput(Throughput::Elements(report.counts.cycles));
    g.bench_function("lockstep_checked_1m_ops", |b| {
        b.iter(|| {
            let r = run(black_box(&config), |_| {}).expect("model");
            assert_eq!(r.mismatches, 0);
        });
    });

    let batches: Vec<Vec<PortsIn>> = run_inputs::<Cycle>(&config, report.random_batches).collect();
    let cycles: usize = batches.iter().map(Vec::len).sum();
    assert_eq!(cycles as u64, report.counts.cycles, "the same cycles");
    let mut outs = vec![PortsOut::default(); batches.iter().map(Vec::len).max().unwrap_or(0)];
    g.bench_function("bare_model_same_run", |b| {
        b.iter(|| {
            let mut model = Model::new(design("default")).expect("model");
            for ins in &batches {
                model.run(black_box(ins), &mut outs[..ins.len()]);
            }
        });
    });

    let mut generator = Generator::new(design("default"), 1, 0);
    let ins: Vec<PortsIn> = (0..4096u64)
        .map(|i| {
            let c: Cycle = generator.next_cycle();
            stimulus::ports(&c, design("default"), stimulus::junk(i))
        })
        .collect();
    let mut outs = vec![PortsOut::default(); ins.len()];
    let mut model = Model::new(design("default")).expect("model");
    g.throughput(Throughput::Elements(ins.len() as u64));
    g.bench_function("bare_model_4096_cycles", |b| {
        b.iter(|| model.run(black_box(&ins), &mut outs));
    });
    g.finish();
}

criterion_group!(benches, cosim);
criterion_main!(benches);
