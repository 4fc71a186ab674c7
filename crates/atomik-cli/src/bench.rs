//! `atomik bench`: the original package's five benchmarks, done honestly.
//!
//! Every ratio printed is two numbers measured in this run, on the same
//! inputs, and each pair of contenders is checked to compute the same answer.
//! Times are the median of several repetitions; memory is what the global
//! allocator actually handed out (see `main.rs`), not a formula.

// Benchmark inputs are bounded by construction (addresses < 65536, seqs < 2^32).
#![allow(clippy::cast_possible_truncation)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use atomik::wire::{self, COMPAT_LEN};
use atomik::{CompatRecord, DeltaMsg, Fingerprint, PositionalFingerprint, Replica, Table};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

/// Benchmark sizes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sizes {
    /// Repetitions per measurement (the median is reported).
    reps: usize,
    /// Updates recorded in the rollback benchmark.
    rollback_updates: usize,
    /// Checks per change-detection method for the O(n) methods.
    slow_checks: usize,
    /// Checks for the O(1) methods.
    fast_checks: usize,
    /// Messages in the convergence benchmark.
    messages: usize,
    /// Updates in the bandwidth benchmark.
    bandwidth_updates: usize,
    /// Operations per throughput measurement.
    ops: usize,
}

impl Sizes {
    pub(crate) fn full() -> Self {
        Sizes {
            reps: 5,
            rollback_updates: 10_000,
            slow_checks: 2_000,
            fast_checks: 2_000_000,
            messages: 400_000,
            bandwidth_updates: 10_000,
            ops: 1 << 22,
        }
    }

    /// Small enough for the test suite; the numbers are noisier.
    pub(crate) fn quick() -> Self {
        Sizes {
            reps: 3,
            rollback_updates: 10_000,
            slow_checks: 200,
            fast_checks: 100_000,
            messages: 40_000,
            bandwidth_updates: 10_000,
            ops: 1 << 16,
        }
    }
}

/// Median wall time of `reps` runs of `f`.
fn median(reps: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..reps.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn ns_per(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e9 / n as f64
}

fn per_sec(d: Duration, n: usize) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// Net heap bytes allocated while `f` runs (and not freed before it returns).
fn heap_bytes<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let region = stats_alloc::Region::new(crate::GLOBAL);
    let r = f();
    let s = region.change();
    // stats_alloc already folds realloc growth and shrinkage into
    // bytes_allocated / bytes_deallocated; bytes_reallocated is the same
    // quantity again, so it must not be added.
    (r, s.bytes_allocated.saturating_sub(s.bytes_deallocated))
}

fn human_bytes(b: usize) -> String {
    let b = b as f64;
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / 1024.0 / 1024.0)
    } else if b >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{b:.0} B")
    }
}

fn human_rate(r: f64) -> String {
    if r >= 1e9 {
        format!("{:.2} G/s", r / 1e9)
    } else if r >= 1e6 {
        format!("{:.1} M/s", r / 1e6)
    } else if r >= 1e3 {
        format!("{:.1} k/s", r / 1e3)
    } else {
        format!("{r:.0}/s")
    }
}

const CONTEXTS: usize = 256;

/// Rollback: an XOR delta log (ATOMiK) vs a history of full snapshots.
fn rollback(s: Sizes, out: &mut Vec<String>) -> Value {
    let n = s.rollback_updates;
    let k = n / 2;
    let mut rng = fastrand::Rng::with_seed(1);
    let updates: Vec<(usize, u64)> = (0..n)
        .map(|_| (rng.usize(..CONTEXTS), rng.u64(..)))
        .collect();

    // Delta log: apply each update and remember (addr, delta); undo by re-applying.
    let record_log = |updates: &[(usize, u64)]| {
        let mut table = Table::<u64>::new(CONTEXTS).expect("non-zero");
        let mut log: Vec<(u32, u64)> = Vec::new();
        for &(a, d) in updates {
            table.accum(a, d).expect("in range");
            log.push((a as u32, d));
        }
        (table, log)
    };
    // Snapshots: copy the whole state before each update; undo by restoring.
    let record_snap = |updates: &[(usize, u64)]| {
        let mut state = vec![0u64; CONTEXTS];
        let mut history: Vec<Box<[u64]>> = Vec::new();
        for &(a, d) in updates {
            history.push(state.clone().into_boxed_slice());
            state[a] ^= d;
        }
        (state, history)
    };

    let ((table, log), log_bytes) = heap_bytes(|| record_log(&updates));
    let ((state, history), snap_bytes) = heap_bytes(|| record_snap(&updates));
    let table_bytes = std::mem::size_of_val(table.as_slice());
    let state_bytes = state.len() * 8;
    // The delta log's memory is the log plus nothing else: the table exists either way.
    let log_only = log_bytes.saturating_sub(table_bytes);
    let snap_only = snap_bytes.saturating_sub(state_bytes);

    let t_log = median(s.reps, || {
        black_box(record_log(black_box(&updates)));
    });
    let t_snap = median(s.reps, || {
        black_box(record_snap(black_box(&updates)));
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
    let agree = (0..CONTEXTS).all(|a| rolled_table.read(a).ok() == Some(rolled_state[a]));
    assert!(agree, "both rollbacks must give the same state");

    out.push(format!(
        "rollback        {n} updates on {CONTEXTS} x u64 contexts, then undo the last {k}"
    ));
    out.push(format!(
        "  delta log     memory {:>10}   record {:>7.1} ns/update   rollback {:>9.1} us",
        human_bytes(log_only),
        ns_per(t_log, n),
        t_undo_log.as_secs_f64() * 1e6
    ));
    out.push(format!(
        "  snapshots     memory {:>10}   record {:>7.1} ns/update   rollback {:>9.1} us",
        human_bytes(snap_only),
        ns_per(t_snap, n),
        t_undo_snap.as_secs_f64() * 1e6
    ));
    out.push(format!(
        "  => the delta log needs {:.0}x less memory and records {:.1}x faster; restoring one snapshot is {:.1}x {} than undoing {k} deltas",
        snap_only as f64 / log_only.max(1) as f64,
        t_snap.as_secs_f64() / t_log.as_secs_f64(),
        (t_undo_log.as_secs_f64() / t_undo_snap.as_secs_f64()).max(t_undo_snap.as_secs_f64() / t_undo_log.as_secs_f64()),
        if t_undo_snap < t_undo_log { "faster" } else { "slower" },
    ));
    json!({
        "updates": n, "contexts": CONTEXTS, "rolled_back": k,
        "delta_log": { "bytes": log_only, "record_ns_per_update": ns_per(t_log, n), "rollback_us": t_undo_log.as_secs_f64() * 1e6 },
        "snapshots": { "bytes": snap_only, "record_ns_per_update": ns_per(t_snap, n), "rollback_us": t_undo_snap.as_secs_f64() * 1e6 },
        "memory_ratio": snap_only as f64 / log_only.max(1) as f64,
        "states_agree": agree,
    })
}

/// One change-detection method: reacts to a write, answers "changed since the
/// last acknowledged state?", and acknowledges.
trait Detector {
    fn write(&mut self, buf: &mut [u8], chunk: usize, value: u64);
    fn changed(&mut self, buf: &[u8]) -> bool;
    fn acknowledge(&mut self, buf: &[u8]);
}

fn put(buf: &mut [u8], chunk: usize, value: u64) -> u64 {
    let slot = &mut buf[chunk * 8..chunk * 8 + 8];
    let old = u64::from_le_bytes(slot.try_into().expect("8 bytes"));
    slot.copy_from_slice(&value.to_le_bytes());
    old
}

struct Incremental(Fingerprint<u64>);
impl Detector for Incremental {
    fn write(&mut self, buf: &mut [u8], chunk: usize, value: u64) {
        let old = put(buf, chunk, value);
        self.0.accum_delta(old, value);
    }
    fn changed(&mut self, _: &[u8]) -> bool {
        self.0.changed()
    }
    fn acknowledge(&mut self, _: &[u8]) {
        self.0.rebase();
    }
}

struct Positional(PositionalFingerprint);
impl Detector for Positional {
    fn write(&mut self, buf: &mut [u8], chunk: usize, value: u64) {
        let old = put(buf, chunk, value);
        self.0.accum_delta(chunk as u64, old, value);
    }
    fn changed(&mut self, _: &[u8]) -> bool {
        self.0.changed()
    }
    fn acknowledge(&mut self, _: &[u8]) {
        self.0.rebase();
    }
}

struct Rescan(u64);
impl Detector for Rescan {
    fn write(&mut self, buf: &mut [u8], chunk: usize, value: u64) {
        put(buf, chunk, value);
    }
    fn changed(&mut self, buf: &[u8]) -> bool {
        atomik::xor_fold::<u64>(buf) != self.0
    }
    fn acknowledge(&mut self, buf: &[u8]) {
        self.0 = atomik::xor_fold::<u64>(buf);
    }
}

struct Memcmp(Vec<u8>);
impl Detector for Memcmp {
    fn write(&mut self, buf: &mut [u8], chunk: usize, value: u64) {
        put(buf, chunk, value);
    }
    fn changed(&mut self, buf: &[u8]) -> bool {
        buf != self.0.as_slice()
    }
    fn acknowledge(&mut self, buf: &[u8]) {
        self.0.copy_from_slice(buf);
    }
}

/// Runs `checks` rounds of: maybe write one chunk (50 %), check, acknowledge
/// if changed. Returns the verdicts and the time.
fn detect<D: Detector>(
    mut d: D,
    buf: &[u8],
    script: &[(bool, usize, u64)],
    reps: usize,
) -> (Vec<bool>, Duration) {
    let mut verdicts = Vec::with_capacity(script.len());
    let t = median(reps, || {
        let mut b = buf.to_vec();
        d.acknowledge(&b);
        verdicts.clear();
        for &(w, chunk, value) in script {
            if w {
                d.write(&mut b, chunk, value);
            }
            let c = d.changed(black_box(&b));
            if c {
                d.acknowledge(&b);
            }
            verdicts.push(c);
        }
    });
    (verdicts, t)
}

fn change_detection(s: Sizes, out: &mut Vec<String>) -> Value {
    let mut results = Vec::new();
    for size in [64 * 1024usize, 1024 * 1024] {
        let mut rng = fastrand::Rng::with_seed(2);
        let buf: Vec<u8> = (0..size).map(|_| rng.u64(..) as u8).collect();
        let chunks = size / 8;
        let script = |n: usize, rng: &mut fastrand::Rng| -> Vec<(bool, usize, u64)> {
            (0..n)
                .map(|_| (rng.usize(..2) == 0, rng.usize(..chunks), rng.u64(..)))
                .collect()
        };
        let slow = script(s.slow_checks, &mut rng);
        let fast = script(s.fast_checks, &mut rng);
        let mut fp = Fingerprint::<u64>::new();
        fp.load(&buf);
        let mut pfp = PositionalFingerprint::new();
        pfp.load(&buf);

        let (v_memcmp, t_memcmp) = detect(Memcmp(buf.clone()), &buf, &slow, s.reps);
        let (v_rescan, t_rescan) = detect(Rescan(0), &buf, &slow, s.reps);
        let (v_inc_slow, _) = detect(Incremental(fp), &buf, &slow, 1);
        let (v_pos_slow, _) = detect(Positional(pfp), &buf, &slow, 1);
        // All four must reach the same verdicts on the same script.
        let agree = v_memcmp == v_rescan && v_memcmp == v_inc_slow && v_memcmp == v_pos_slow;
        assert!(agree, "change detectors disagree at {size} bytes");
        let (_, t_inc) = detect(Incremental(fp), &buf, &fast, s.reps);
        let (_, t_pos) = detect(Positional(pfp), &buf, &fast, s.reps);

        let (inc, pos) = (ns_per(t_inc, fast.len()), ns_per(t_pos, fast.len()));
        let (res, mem) = (ns_per(t_rescan, slow.len()), ns_per(t_memcmp, slow.len()));
        out.push(format!(
            "change detect   {} buffer, random 8-byte writes (50 % of rounds), check + acknowledge each round",
            human_bytes(size)
        ));
        out.push(format!(
            "  incremental xor fingerprint {inc:>12.1} ns/check"
        ));
        out.push(format!(
            "  incremental positional      {pos:>12.1} ns/check"
        ));
        out.push(format!(
            "  full xor_fold rescan        {res:>12.1} ns/check"
        ));
        out.push(format!(
            "  memcmp against a copy       {mem:>12.1} ns/check"
        ));
        out.push(format!(
            "  => incremental is {:.0}x faster than a rescan and {:.0}x faster than memcmp; all four agreed on {} verdicts",
            res / inc,
            mem / inc,
            slow.len()
        ));
        results.push(json!({
            "bytes": size,
            "incremental_ns": inc, "positional_ns": pos, "rescan_ns": res, "memcmp_ns": mem,
            "speedup_vs_rescan": res / inc, "speedup_vs_memcmp": mem / inc,
            "verdicts_agree": agree,
        }));
    }
    Value::Array(results)
}

/// Convergence: an online replica vs collecting everything, sorting, dedup and replay.
fn convergence(s: Sizes, out: &mut Vec<String>) -> Value {
    const SENDERS: u32 = 4;
    let mut rng = fastrand::Rng::with_seed(3);
    let per_sender = s.messages / SENDERS as usize;
    let mut stream: Vec<DeltaMsg<u64>> = Vec::new();
    for sender in 1..=SENDERS {
        for seq in 0..per_sender as u64 {
            let m = DeltaMsg::accum(sender, 0, seq, rng.usize(..CONTEXTS) as u32, rng.u64(..));
            stream.push(m);
            if rng.usize(..10) == 0 {
                stream.push(m); // 10 % duplicates
            }
        }
    }
    // Interleave the senders and reorder locally (blocks of 256), as a network would.
    rng.shuffle(&mut stream);
    stream.sort_by_key(|m| m.seq / 256);
    for block in stream.chunks_mut(256 * SENDERS as usize) {
        rng.shuffle(block);
    }
    let n = stream.len();

    let mut replica_table = None;
    let t_replica = median(s.reps, || {
        let mut r = Replica::<u64>::new(0, CONTEXTS).expect("valid");
        for m in black_box(&stream) {
            r.apply(m).expect("within the window");
        }
        replica_table = Some(r.table().clone());
    });
    let mut replay_table = None;
    let t_replay = median(s.reps, || {
        let mut all: Vec<DeltaMsg<u64>> = black_box(&stream).clone();
        all.sort_unstable_by_key(|m| (m.sender, m.seq));
        all.dedup_by_key(|m| (m.sender, m.seq));
        let mut t = Table::<u64>::new(CONTEXTS).expect("valid");
        for m in &all {
            t.accum(m.addr as usize, m.value).expect("in range");
        }
        replay_table = Some(t);
    });
    let agree = replica_table == replay_table;
    assert!(agree, "replica and replay must agree");
    let (r, p) = (per_sec(t_replica, n), per_sec(t_replay, n));
    out.push(format!(
        "convergence     {n} messages from {SENDERS} senders, 10 % duplicated, reordered"
    ));
    out.push(format!(
        "  replica (online, dedup)     {:>12}",
        human_rate(r)
    ));
    out.push(format!(
        "  collect, sort, dedup, replay{:>12}",
        human_rate(p)
    ));
    out.push(format!(
        "  => the replica is {:.1}x {} and never holds the whole stream; both end in the same table",
        (r / p).max(p / r),
        if r > p { "faster" } else { "slower" }
    ));
    json!({
        "messages": n, "senders": SENDERS,
        "replica_msgs_per_s": r, "replay_msgs_per_s": p, "speedup": r / p, "tables_agree": agree,
    })
}

/// Bandwidth: bytes actually produced by the v1 codec vs full-state transfer.
fn bandwidth(s: Sizes, out: &mut Vec<String>) -> Value {
    let n = s.bandwidth_updates;
    let mut results = Vec::new();
    out.push(format!(
        "bandwidth       {n} updates; bytes produced by each encoder"
    ));
    for state_bytes in [64usize, 1024, 64 * 1024] {
        let contexts = state_bytes / 8;
        let mut rng = fastrand::Rng::with_seed(4);
        let mut origin = Replica::<u64>::new(1, contexts).expect("valid");
        let mut v1 = Vec::new();
        let mut compat = Vec::new();
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
        // The v1 bytes are sufficient: a receiver rebuilds the exact table from them.
        let mut rx = Replica::<u64>::new(2, contexts).expect("valid");
        for f in wire::Frames::<u64>::new(&v1) {
            rx.apply(&f.expect("well formed")).expect("in order");
        }
        assert_eq!(rx.table(), origin.table());
        assert_eq!(compat.len(), n * COMPAT_LEN);
        out.push(format!(
            "  state {:>9}: full state {:>10}   v1 deltas {:>10} ({:>6.1}x less)   16-byte compat {:>10}",
            human_bytes(state_bytes),
            human_bytes(full_total),
            human_bytes(v1.len()),
            full_total as f64 / v1.len() as f64,
            human_bytes(compat.len()),
        ));
        results.push(json!({
            "state_bytes": state_bytes, "updates": n,
            "full_state_bytes": full_total, "v1_bytes": v1.len(), "compat_bytes": compat.len(),
            "ratio_full_over_v1": full_total as f64 / v1.len() as f64,
        }));
    }
    out.push(format!(
        "  (a v1 frame is {} bytes for u64: version, kind, width, sender, epoch, seq, addr, value, checksum)",
        wire::frame_len::<u64>()
    ));
    Value::Array(results)
}

/// Throughput of the four operations on a 256 × u64 table, against a plain
/// array doing the same work. The inputs are 4096 pre-drawn `(addr, value)`
/// pairs replayed until `ops` operations ran, so they stay in cache and the
/// loop measures the operation, not memory bandwidth.
fn throughput(s: Sizes, out: &mut Vec<String>) -> Value {
    const WORKING_SET: usize = 4096;
    let passes = (s.ops / WORKING_SET).max(1);
    let n = passes * WORKING_SET;
    let mut rng = fastrand::Rng::with_seed(5);
    let pairs: Vec<(usize, u64)> = (0..WORKING_SET)
        .map(|_| (rng.usize(..CONTEXTS), rng.u64(..)))
        .collect();
    let mut table = Table::<u64>::new(CONTEXTS).expect("valid");
    let mut plain = [0u64; CONTEXTS];
    let mut sink = 0u64;

    type Workload<'a> = &'a mut dyn FnMut(&[(usize, u64)]);
    let time = |f: Workload<'_>| {
        median(s.reps, || {
            for _ in 0..passes {
                f(black_box(&pairs));
            }
        })
    };
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
    let t_plain = time(&mut |p| {
        for &(a, d) in p {
            plain[a] ^= d;
        }
    });
    black_box((sink, plain));
    let rows = [
        ("load", t_load),
        ("accum", t_accum),
        ("accum_batch", t_batch),
        ("read", t_read),
        ("swap", t_swap),
        ("plain_array_xor", t_plain),
    ];
    out.push(format!(
        "throughput      {n} ops at random addresses of a {CONTEXTS} x u64 table (4096 pairs replayed, in cache)"
    ));
    let mut obj = serde_json::Map::new();
    for (name, t) in rows {
        out.push(format!("  {name:<28}{:>12}", human_rate(per_sec(t, n))));
        obj.insert(name.into(), json!(per_sec(t, n)));
    }
    out.push(format!(
        "  => accum runs at {:.2}x the speed of a bare u64 array XOR (which keeps no delta count and checks no bounds)",
        t_plain.as_secs_f64() / t_accum.as_secs_f64()
    ));
    obj.insert("ops".into(), json!(n));
    Value::Object(obj)
}

/// Runs all five benchmarks; prints a report (or one JSON object) on stdout.
pub(crate) fn run(json_out: bool, sizes: Sizes) {
    type Bench = fn(Sizes, &mut Vec<String>) -> Value;
    let benches: [(&str, Bench); 5] = [
        ("rollback", rollback),
        ("change_detection", change_detection),
        ("convergence", convergence),
        ("bandwidth", bandwidth),
        ("throughput", throughput),
    ];
    let bar = ProgressBar::new(benches.len() as u64).with_style(
        ProgressStyle::with_template("{spinner} [{pos}/{len}] {msg}").expect("valid template"),
    );
    let mut report = Vec::new();
    let mut obj = serde_json::Map::new();
    for (name, f) in benches {
        bar.set_message(name);
        let v = f(sizes, &mut report);
        report.push(String::new());
        obj.insert(name.into(), v);
        bar.inc(1);
    }
    bar.finish_and_clear();
    obj.insert("reps_per_measurement".into(), json!(sizes.reps));
    if json_out {
        println!("{}", Value::Object(obj));
    } else {
        for line in report {
            println!("{line}");
        }
        println!(
            "Each time is the median of {} runs in this process.",
            sizes.reps
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_bytes_counts_live_capacity_once() {
        // Regression: realloc growth used to be counted twice.
        let (v, bytes) = heap_bytes(|| {
            let mut v: Vec<u64> = Vec::new();
            for i in 0..10_000 {
                v.push(i);
            }
            v
        });
        assert_eq!(bytes, v.capacity() * 8);
        let (_, freed) = heap_bytes(|| drop(vec![0u8; 4096]));
        assert_eq!(freed, 0);
    }
}
