//! Change detection: incremental fingerprints vs a full rescan vs memcmp.

// Chunk indices are below 2^17, so they fit u64 positions.
#![allow(clippy::cast_possible_truncation)]

use std::hint::black_box;
use std::time::Duration;

use atomik::{Fingerprint, PositionalFingerprint};
use serde::Serialize;

use super::util::{human_bytes, median, ns_per};
use super::{Measurement, Sizes};

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

/// One round of the script: (write this round?, chunk, value).
type Script = [(bool, usize, u64)];

/// Runs the script: maybe write one chunk, check, acknowledge if changed.
/// Returns the verdicts and the median time.
fn detect<D: Detector>(
    mut d: D,
    buf: &[u8],
    script: &Script,
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

/// The result for one buffer size.
#[derive(Debug, Serialize)]
pub(super) struct ChangeDetection {
    bytes: usize,
    incremental_ns: f64,
    positional_ns: f64,
    rescan_ns: f64,
    memcmp_ns: f64,
    speedup_vs_rescan: f64,
    speedup_vs_memcmp: f64,
    verdicts_agree: bool,
    /// Verdicts compared between all four methods (not in the JSON, which
    /// predates it).
    #[serde(skip)]
    compared: usize,
}

fn measure_size(s: Sizes, size: usize) -> ChangeDetection {
    let mut rng = fastrand::Rng::with_seed(2);
    let buf: Vec<u8> = (0..size).map(|_| rng.u64(..) as u8).collect();
    let chunks = size / 8;
    let mut script = |n: usize| -> Vec<(bool, usize, u64)> {
        (0..n)
            .map(|_| (rng.usize(..2) == 0, rng.usize(..chunks), rng.u64(..)))
            .collect()
    };
    let (slow, fast) = (script(s.slow_checks), script(s.fast_checks));
    let mut fp = Fingerprint::<u64>::new();
    fp.load(&buf);
    let mut pfp = PositionalFingerprint::new();
    pfp.load(&buf);

    let (v_memcmp, t_memcmp) = detect(Memcmp(buf.clone()), &buf, &slow, s.reps);
    let (v_rescan, t_rescan) = detect(Rescan(0), &buf, &slow, s.reps);
    let (v_inc, _) = detect(Incremental(fp), &buf, &slow, 1);
    let (v_pos, _) = detect(Positional(pfp), &buf, &slow, 1);
    // All four must reach the same verdicts on the same script.
    let verdicts_agree = v_memcmp == v_rescan && v_memcmp == v_inc && v_memcmp == v_pos;
    assert!(verdicts_agree, "change detectors disagree at {size} bytes");
    let (_, t_inc) = detect(Incremental(fp), &buf, &fast, s.reps);
    let (_, t_pos) = detect(Positional(pfp), &buf, &fast, s.reps);

    let (inc, pos) = (ns_per(t_inc, fast.len()), ns_per(t_pos, fast.len()));
    let (res, mem) = (ns_per(t_rescan, slow.len()), ns_per(t_memcmp, slow.len()));
    ChangeDetection {
        bytes: size,
        incremental_ns: inc,
        positional_ns: pos,
        rescan_ns: res,
        memcmp_ns: mem,
        speedup_vs_rescan: res / inc,
        speedup_vs_memcmp: mem / inc,
        verdicts_agree,
        compared: slow.len(),
    }
}

/// All buffer sizes.
pub(super) fn measure(s: Sizes) -> Vec<ChangeDetection> {
    [64 * 1024, 1024 * 1024]
        .into_iter()
        .map(|size| measure_size(s, size))
        .collect()
}

impl Measurement for Vec<ChangeDetection> {
    fn render(&self, out: &mut Vec<String>) {
        for c in self {
            out.push(format!(
                "change detect   {} buffer, random 8-byte writes (50 % of rounds), check + acknowledge each round",
                human_bytes(c.bytes)
            ));
            for (name, ns) in [
                ("incremental xor fingerprint", c.incremental_ns),
                ("incremental positional", c.positional_ns),
                ("full xor_fold rescan", c.rescan_ns),
                ("memcmp against a copy", c.memcmp_ns),
            ] {
                out.push(format!("  {name:<28}{ns:>12.1} ns/check"));
            }
            out.push(format!(
                "  => incremental is {:.0}x faster than a rescan and {:.0}x faster than memcmp; all four agreed on {} verdicts",
                c.speedup_vs_rescan, c.speedup_vs_memcmp, c.compared
            ));
        }
    }
}
