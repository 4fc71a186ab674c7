//! Throughput of the table operations on a 256 × u64 table, against plain
//! arrays doing the same work in the same run.
//!
//! The inputs are 4096 pre-drawn `(addr, value)` pairs replayed until `ops`
//! operations ran, so they stay in cache and the loop measures the
//! operation, not memory bandwidth.

use std::hint::black_box;
use std::time::Duration;

use atomik::Table;
use serde::Serialize;

use super::util::{human_rate, median, per_sec};
use super::{CONTEXTS, Measurement, Sizes};

const WORKING_SET: usize = 4096;

/// The pre-drawn `(addr, value)` pairs one pass replays.
type Pairs = [(usize, u64)];
/// One contender: runs its operation over every pair of a pass.
type Workload<'a> = &'a mut dyn FnMut(&Pairs);

/// Operations per second of each contender.
#[derive(Debug, Serialize)]
pub(super) struct Throughput {
    ops: usize,
    load: f64,
    accum: f64,
    accum_batch: f64,
    read: f64,
    swap: f64,
    /// `array[addr] ^= delta` on a bare `[u64; 256]`: no delta count.
    plain_array_xor: f64,
    /// The same XOR on a hand-written table of (reference, accumulator,
    /// count) records of `Table`'s shape, counting each delta and checking
    /// bounds: the work `Table::accum` must do, minus nothing.
    counted_array_xor: f64,
    /// `accum` / `counted_array_xor`, both from this run.
    accum_vs_counted: f64,
    /// `accum_batch` / `counted_array_xor`, both from this run.
    accum_batch_vs_counted: f64,
}

/// The counted baseline's record: the layout of `atomik::Context<u64>`.
#[derive(Clone, Copy, Default)]
struct Counted {
    reference: u64,
    accumulator: u64,
    count: u32,
}

/// The counted baseline: a hand-written table of the same shape as
/// `atomik::Table` (a boxed slice behind a struct), reached the same way
/// (through a captured `&mut`), so the comparison isolates the work in
/// `Table::accum` itself. A bare local array is not that baseline: with one
/// indirection less, the compiler hoists the slice's pointer and length out
/// of the loop, which it cannot do for any table reached through a
/// reference (objdump of the two loops: two extra loads per op).
struct CountedTable {
    contexts: Box<[Counted]>,
}

impl CountedTable {
    #[inline]
    fn accum(&mut self, addr: usize, delta: u64) {
        let c = &mut self.contexts[addr];
        c.accumulator ^= delta;
        c.count = c.count.wrapping_add(1);
    }
}

/// Times `f` over every pass of the working set; the median of `reps` runs.
fn timer(reps: usize, passes: usize, pairs: &Pairs, f: Workload<'_>) -> Duration {
    median(reps, || {
        for _ in 0..passes {
            f(black_box(pairs));
        }
    })
}

/// The two array baselines; returns (plain, counted) times.
fn baselines(reps: usize, passes: usize, pairs: &Pairs) -> (Duration, Duration) {
    let mut plain = [0u64; CONTEXTS];
    let t_plain = timer(reps, passes, pairs, &mut |p| {
        for &(a, d) in p {
            plain[a] ^= d;
        }
    });
    let mut counted = CountedTable {
        contexts: vec![Counted::default(); CONTEXTS].into_boxed_slice(),
    };
    let t_counted = timer(reps, passes, pairs, &mut |p| {
        for &(a, d) in p {
            counted.accum(a, d);
        }
    });
    // Keep every field observable, so no store is optimised away.
    let sum = counted.contexts.iter().fold(0, |x, c| {
        x ^ c.reference ^ c.accumulator ^ u64::from(c.count)
    });
    black_box((plain, sum));
    (t_plain, t_counted)
}

pub(super) fn measure(s: Sizes) -> Throughput {
    let passes = (s.ops / WORKING_SET).max(1);
    let n = passes * WORKING_SET;
    let mut rng = fastrand::Rng::with_seed(5);
    let pairs: Vec<(usize, u64)> = (0..WORKING_SET)
        .map(|_| (rng.usize(..CONTEXTS), rng.u64(..)))
        .collect();
    let mut table = Table::<u64>::new(CONTEXTS).expect("valid");
    let mut sink = 0u64;
    let time = |f: Workload<'_>| timer(s.reps, passes, &pairs, f);

    let t_load = time(&mut |p| {
        for &(a, v) in p {
            table.load(a, v).expect("in range");
        }
    });
    let t_accum = time(&mut |p| {
        for &(a, d) in p {
            table.accum(a, d).expect("in range");
        }
    });
    let t_batch = time(&mut |p| table.accum_batch(p).expect("in range"));
    // Results fold into a local first: a captured `&mut` cannot live in a
    // register, and a load-XOR-store chain through memory would be measured
    // instead of the operation.
    let t_read = time(&mut |p| {
        let mut x = 0;
        for &(a, _) in p {
            x ^= table.read(a).expect("in range");
        }
        sink ^= x;
    });
    let t_swap = time(&mut |p| {
        let mut x = 0;
        for &(a, v) in p {
            x ^= table.swap(a, v).expect("in range");
        }
        sink ^= x;
    });
    black_box(sink);
    let (t_plain, t_counted) = baselines(s.reps, passes, &pairs);
    let rate = |t| per_sec(t, n);
    Throughput {
        ops: n,
        load: rate(t_load),
        accum: rate(t_accum),
        accum_batch: rate(t_batch),
        read: rate(t_read),
        swap: rate(t_swap),
        plain_array_xor: rate(t_plain),
        counted_array_xor: rate(t_counted),
        accum_vs_counted: rate(t_accum) / rate(t_counted),
        accum_batch_vs_counted: rate(t_batch) / rate(t_counted),
    }
}

impl Measurement for Throughput {
    fn render(&self, out: &mut Vec<String>) {
        out.push(format!(
            "throughput      {} ops at random addresses of a {CONTEXTS} x u64 table (4096 pairs replayed, in cache)",
            self.ops
        ));
        for (name, r) in [
            ("load", self.load),
            ("accum", self.accum),
            ("accum_batch", self.accum_batch),
            ("read", self.read),
            ("swap", self.swap),
            ("plain_array_xor", self.plain_array_xor),
            ("counted_array_xor", self.counted_array_xor),
        ] {
            out.push(format!("  {name:<28}{:>12}", human_rate(r)));
        }
        out.push(format!(
            "  => accum runs at {:.2}x a bare u64 array XOR (which keeps no delta count), \
             {:.2}x an array XOR that counts deltas; accum_batch at {:.2}x the latter",
            self.accum / self.plain_array_xor,
            self.accum_vs_counted,
            self.accum_batch_vs_counted
        ));
    }
}
