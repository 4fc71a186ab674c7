//! Timing, memory accounting and number formatting shared by the benchmarks.

use std::time::{Duration, Instant};

/// Median wall time of `reps` runs of `f`.
pub(super) fn median(reps: usize, mut f: impl FnMut()) -> Duration {
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

/// Nanoseconds per item.
pub(super) fn ns_per(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e9 / n as f64
}

/// Items per second.
pub(super) fn per_sec(d: Duration, n: usize) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// Net heap bytes allocated while `f` runs (and not freed before it returns).
pub(super) fn heap_bytes<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let region = stats_alloc::Region::new(crate::GLOBAL);
    let r = f();
    let s = region.change();
    // stats_alloc already folds realloc growth and shrinkage into
    // bytes_allocated / bytes_deallocated; bytes_reallocated is the same
    // quantity again, so it must not be added.
    (r, s.bytes_allocated.saturating_sub(s.bytes_deallocated))
}

/// `b` bytes as B, KiB or MiB.
pub(super) fn human_bytes(b: usize) -> String {
    let b = b as f64;
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / 1024.0 / 1024.0)
    } else if b >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{b:.0} B")
    }
}

/// A rate per second with a k/M/G prefix.
pub(super) fn human_rate(r: f64) -> String {
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

/// "`x`x faster" or "`x`x slower": how `a` compares with `b` (rates or
/// speeds, higher is faster), always as a factor ≥ 1.
pub(super) fn faster_or_slower(a: f64, b: f64) -> (f64, &'static str) {
    if a >= b {
        (a / b, "faster")
    } else {
        (b / a, "slower")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Net bytes of `f` as `heap_bytes` counts them, from the first of up
    /// to 50 tries that `accept`s: the allocator statistics are
    /// process-wide, so another test thread's allocations can land in a
    /// region (the `atomik` binary's unit tests run in parallel). A
    /// counting error, unlike that noise, is in every try.
    fn settled(
        f: impl Fn() -> (usize, usize),
        accept: impl Fn(usize, usize) -> bool,
    ) -> Vec<(usize, usize)> {
        let mut tries = Vec::new();
        for _ in 0..50 {
            let (got, want) = f();
            tries.push((got, want));
            if accept(got, want) {
                break;
            }
        }
        tries
    }

    #[test]
    fn heap_bytes_counts_live_capacity_once() {
        // Regression (found while writing `atomik bench`, before the first
        // commit): realloc growth was counted twice, once in bytes_allocated
        // and again in bytes_reallocated, doubling the delta log's memory.
        let grow = || {
            let (v, bytes) = heap_bytes(|| {
                let mut v: Vec<u64> = Vec::new();
                for i in 0..10_000 {
                    v.push(i);
                }
                v
            });
            (bytes, v.capacity() * 8)
        };
        let tries = settled(grow, |got, want| got == want);
        assert!(
            tries.iter().any(|&(g, w)| g == w),
            "bytes, capacity: {tries:?}"
        );
        let freed = || (heap_bytes(|| drop(vec![0u8; 4096])).1, 0);
        let tries = settled(freed, |got, want| got == want);
        assert!(tries.iter().any(|&(g, w)| g == w), "bytes left: {tries:?}");
    }
}
