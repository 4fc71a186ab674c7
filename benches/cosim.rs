//! Co-simulation throughput: simulated clock cycles per second with the
//! per-cycle check against the software model on (two threads: the
//! Verilator model, and stimulus + checking). Compare `bare_model`, the
//! Verilator model alone on one in-cache batch, in the same run.
#![allow(missing_docs)]

use std::hint::black_box;

use atomik_sim::{Cycle, Design, Generator, Model, PortsIn, PortsOut, RunConfig, run, stimulus};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn cosim(c: &mut Criterion) {
    if !atomik_sim::AVAILABLE {
        eprintln!("cosim benchmark SKIPPED: Verilator not found at build time");
        return;
    }
    let mut g = c.benchmark_group("cosim");
    g.sample_size(20);
    // Cycles of one run, measured once (deterministic from the seed).
    let config = RunConfig::new(Design::Default, 1, 200_000);
    let cycles = run(&config, |_| {}).expect("model").counts.cycles;
    g.throughput(Throughput::Elements(cycles));
    g.bench_function("lockstep_checked_200k_ops", |b| {
        b.iter(|| {
            let r = run(black_box(&config), |_| {}).expect("model");
            assert_eq!(r.mismatches, 0);
        });
    });

    let mut generator = Generator::new(Design::Default, 1, 0);
    let ins: Vec<PortsIn> = (0..4096u64)
        .map(|i| {
            let c: Cycle = generator.next_cycle();
            stimulus::ports(&c, Design::Default, stimulus::junk(i))
        })
        .collect();
    let mut outs = vec![PortsOut::default(); ins.len()];
    let mut model = Model::new(Design::Default).expect("model");
    g.throughput(Throughput::Elements(ins.len() as u64));
    g.bench_function("bare_model_4096_cycles", |b| {
        b.iter(|| model.run(black_box(&ins), &mut outs));
    });
    g.finish();
}

criterion_group!(benches, cosim);
criterion_main!(benches);
