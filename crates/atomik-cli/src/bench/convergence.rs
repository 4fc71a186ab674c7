//! Convergence: an online replica vs collecting everything, sorting, dedup and replay.

// Addresses are below CONTEXTS (256), so they fit the wire's u32.
#![allow(clippy::cast_possible_truncation)]

use std::hint::black_box;

use atomik::{DeltaMsg, Replica, Table};
use serde::Serialize;

use super::util::{faster_or_slower, human_rate, median, per_sec};
use super::{CONTEXTS, Measurement, Sizes};

const SENDERS: u32 = 4;

/// The measured result.
#[derive(Debug, Serialize)]
pub(super) struct Convergence {
    messages: usize,
    senders: u32,
    replica_msgs_per_s: f64,
    replay_msgs_per_s: f64,
    speedup: f64,
    tables_agree: bool,
}

/// The stream a network would deliver: every sender's messages, 10 %
/// duplicated, interleaved and reordered locally (blocks of 256).
fn hostile_stream(messages: usize) -> Vec<DeltaMsg<u64>> {
    let mut rng = fastrand::Rng::with_seed(3);
    let per_sender = messages / SENDERS as usize;
    let mut stream = Vec::new();
    for sender in 1..=SENDERS {
        for seq in 0..per_sender as u64 {
            let m = DeltaMsg::accum(sender, 0, seq, rng.usize(..CONTEXTS) as u32, rng.u64(..));
            stream.push(m);
            if rng.usize(..10) == 0 {
                stream.push(m);
            }
        }
    }
    rng.shuffle(&mut stream);
    stream.sort_by_key(|m| m.seq / 256);
    for block in stream.chunks_mut(256 * SENDERS as usize) {
        rng.shuffle(block);
    }
    stream
}

pub(super) fn measure(s: Sizes) -> Convergence {
    let stream = hostile_stream(s.messages);
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
    let tables_agree = replica_table == replay_table;
    assert!(tables_agree, "replica and replay must agree");
    let (r, p) = (per_sec(t_replica, n), per_sec(t_replay, n));
    Convergence {
        messages: n,
        senders: SENDERS,
        replica_msgs_per_s: r,
        replay_msgs_per_s: p,
        speedup: r / p,
        tables_agree,
    }
}

impl Measurement for Convergence {
    fn render(&self, out: &mut Vec<String>) {
        out.push(format!(
            "convergence     {} messages from {} senders, 10 % duplicated, reordered",
            self.messages, self.senders
        ));
        out.push(format!(
            "  replica (online, dedup)     {:>12}",
            human_rate(self.replica_msgs_per_s)
        ));
        out.push(format!(
            "  collect, sort, dedup, replay{:>12}",
            human_rate(self.replay_msgs_per_s)
        ));
        let (x, word) = faster_or_slower(self.replica_msgs_per_s, self.replay_msgs_per_s);
        out.push(format!(
            "  => the replica is {x:.1}x {word} and never holds the whole stream; both end in the same table"
        ));
    }
}
