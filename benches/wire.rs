//! Wire v1 encode/decode and replica apply.
#![allow(missing_docs)]
#![allow(clippy::cast_possible_truncation)] // bench inputs are small by construction

use std::hint::black_box;

use atomik::wire::{Frames, encode_all, frame_len};
use atomik::{DeltaMsg, Replica};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const N: usize = 4096;

fn msgs(senders: u32) -> Vec<DeltaMsg<u64>> {
    let mut rng = fastrand::Rng::with_seed(11);
    (0..N as u64)
        .map(|i| {
            let s = (i % u64::from(senders)) as u32 + 1;
            DeltaMsg::accum(s, 0, i / u64::from(senders), rng.u32(..256), rng.u64(..))
        })
        .collect()
}

fn codec(c: &mut Criterion) {
    let ms = msgs(1);
    let mut buf = vec![0u8; N * frame_len::<u64>()];
    encode_all(&ms, &mut Vec::new());
    let mut g = c.benchmark_group("wire_v1_u64");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("encode", |b| {
        b.iter(|| {
            for (m, slot) in black_box(&ms)
                .iter()
                .zip(buf.chunks_exact_mut(frame_len::<u64>()))
            {
                m.encode_into(slot).expect("fits");
            }
        });
    });
    g.bench_function("decode", |b| {
        b.iter(|| {
            let mut x = 0u64;
            for f in Frames::<u64>::new(black_box(&buf)) {
                x ^= f.expect("valid").value;
            }
            x
        });
    });
    g.bench_function("encode_then_decode", |b| {
        let mut frame = [0u8; 40];
        b.iter(|| {
            let mut x = 0u64;
            for m in black_box(&ms) {
                m.encode_into(&mut frame).expect("fits");
                x ^= DeltaMsg::<u64>::decode(black_box(&frame))
                    .expect("valid")
                    .0
                    .value;
            }
            x
        });
    });
    g.finish();
}

fn replica(c: &mut Criterion) {
    let mut g = c.benchmark_group("replica_apply");
    g.throughput(Throughput::Elements(N as u64));
    for senders in [1u32, 4] {
        let ms = msgs(senders);
        // Apply into a fresh replica each time: every message is new, so the
        // full dedup path (window lookup, mark, advance) runs.
        g.bench_function(format!("{senders}_senders_in_order"), |b| {
            b.iter_batched_ref(
                || Replica::<u64>::new(0, 256).expect("valid"),
                |r| {
                    for m in black_box(&ms) {
                        r.apply(m).expect("accepted");
                    }
                },
                criterion::BatchSize::SmallInput,
            );
        });
        let mut shuffled = ms.clone();
        fastrand::Rng::with_seed(3).shuffle(&mut shuffled[..]);
        // Reorder within 512-message blocks: inside the default 1024 window.
        let mut local = ms.clone();
        for block in local.chunks_mut(512) {
            fastrand::Rng::with_seed(5).shuffle(block);
        }
        g.bench_function(format!("{senders}_senders_reordered"), |b| {
            b.iter_batched_ref(
                || Replica::<u64>::new(0, 256).expect("valid"),
                |r| {
                    for m in black_box(&local) {
                        r.apply(m).expect("accepted");
                    }
                },
                criterion::BatchSize::SmallInput,
            );
        });
        g.bench_function(format!("{senders}_senders_all_duplicates"), |b| {
            let mut r = Replica::<u64>::new(0, 256).expect("valid");
            for m in &ms {
                r.apply(m).expect("accepted");
            }
            b.iter(|| {
                for m in black_box(&ms) {
                    r.apply(m).expect("accepted");
                }
            });
        });
        let _ = shuffled;
    }
    g.finish();
}

criterion_group!(benches, codec, replica);
criterion_main!(benches);
