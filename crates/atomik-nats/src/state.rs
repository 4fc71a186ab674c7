//! The replication state of one table, without any I/O: the replica, the
//! last applied stream sequence and the frames waiting for their LOAD.
//!
//! Stream messages are applied strictly in sequence: a message at or below
//! the applied sequence is a redelivery and skipped; one above the next
//! sequence is a gap, which the caller repairs (replay, or a rebuild from a
//! snapshot when the stream no longer holds it). Every frame goes through
//! [`Replica::apply`], which applies each `(sender, seq)` at most once.

use atomik::wire::DeltaMsg;
use atomik::{Replica, ReplicaError};

use crate::checkpoint::Checkpoint;
use crate::stream::{self, W};

/// A local operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// XOR `delta` into context `addr`.
    Accum(usize, W),
    /// Set context `addr` to `value`, starting a new epoch.
    Load(usize, W),
    /// Return the state of `addr` and set it to `value` (new epoch).
    Swap(usize, W),
}

/// What a local operation produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpDone {
    /// The previous state (SWAP only).
    pub old: Option<W>,
    /// The message published for it: sender, seq, epoch, address, value.
    pub msg: DeltaMsg<W>,
}

/// What one stream message did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Applied (its frames may have been duplicates or stale: that is the replica's business).
    Applied,
    /// At or below the applied sequence: skipped.
    Redelivered,
    /// Above the next sequence: nothing applied.
    Gap,
}

/// One table's replica and its position in the stream.
#[derive(Debug)]
pub(crate) struct TableState {
    pub(crate) replica: Replica<W>,
    /// Every stream message up to this one is reflected in `replica`.
    pub(crate) stream_seq: u64,
    /// Frames refused for now (an ACCUM before its LOAD, beyond the window).
    pub(crate) pending: Vec<DeltaMsg<W>>,
    /// Malformed frames dropped.
    pub(crate) bad_frames: u64,
    /// Frames the replica refused for good (bad address, too many senders).
    pub(crate) rejected: u64,
    /// Stream messages delivered again after being applied.
    pub(crate) redelivered: u64,
}

impl TableState {
    /// A state at stream position `stream_seq`.
    pub(crate) fn new(replica: Replica<W>, stream_seq: u64, pending: Vec<DeltaMsg<W>>) -> Self {
        TableState {
            replica,
            stream_seq,
            pending,
            bad_frames: 0,
            rejected: 0,
            redelivered: 0,
        }
    }

    /// Applies stream message `seq` (its payload is a batch of frames).
    pub(crate) fn apply_message(&mut self, seq: u64, payload: &[u8]) -> Step {
        if seq <= self.stream_seq {
            self.redelivered += 1;
            return Step::Redelivered;
        }
        if seq != self.stream_seq + 1 {
            return Step::Gap;
        }
        let (msgs, bad) = stream::decode_batch(payload);
        self.bad_frames += bad as u64;
        for m in &msgs {
            self.apply(m);
        }
        if !self.pending.is_empty() {
            self.retry_pending();
        }
        self.stream_seq = seq;
        Step::Applied
    }

    fn apply(&mut self, msg: &DeltaMsg<W>) {
        match self.replica.apply(msg) {
            Ok(_) => {}
            Err(ReplicaError::FutureEpoch { .. } | ReplicaError::BeyondWindow { .. }) => {
                self.pending.push(*msg);
            }
            Err(_) => self.rejected += 1,
        }
    }

    /// Retries refused frames until none makes progress (bounded by their count).
    fn retry_pending(&mut self) {
        for _ in 0..=self.pending.len() {
            let before = self.pending.len();
            let waiting = std::mem::take(&mut self.pending);
            for m in &waiting {
                self.apply(m);
            }
            if self.pending.len() == before {
                break;
            }
        }
    }

    /// Executes one local operation on the replica.
    pub(crate) fn local(&mut self, op: Op) -> Result<OpDone, ReplicaError> {
        let (old, msg) = match op {
            Op::Accum(a, d) => (None, self.replica.accum(a, d)?),
            Op::Load(a, v) => (None, self.replica.load(a, v)?),
            Op::Swap(a, v) => {
                let (old, m) = self.replica.swap(a, v)?;
                (Some(old), m)
            }
        };
        Ok(OpDone { old, msg })
    }

    /// The state of every context.
    pub(crate) fn dump(&self) -> Vec<W> {
        let t = self.replica.table();
        (0..t.len())
            .map(|a| t.read(a).unwrap_or_default())
            .collect()
    }

    /// Everything a checkpoint or a snapshot holds.
    pub(crate) fn checkpoint(&self, table: &str) -> Checkpoint {
        Checkpoint {
            table: table.to_owned(),
            stream_seq: self.stream_seq,
            replica: self.replica.snapshot(),
            pending: self.pending.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    //! Replicas fed one shared stream, with redelivery, converge; and a
    //! replica rebuilt from any other's snapshot at any position, fed the
    //! stream's tail, converges with them too (the bootstrap rule).
    use super::*;
    use crate::identity::{OBSERVER, adopt, replica_config, sender_id};
    use proptest::prelude::*;

    fn replica(node: u16) -> TableState {
        let r = Replica::with_config(sender_id(node, 0), 8, replica_config()).expect("replica");
        TableState::new(r, 0, vec![])
    }

    fn batch(msgs: &[DeltaMsg<W>]) -> Vec<u8> {
        msgs.iter()
            .flat_map(|m| m.encode().as_bytes().to_vec())
            .collect()
    }

    /// (node, op kind, addr, value) per step; a batch boundary after each step with `cut`.
    fn steps() -> impl Strategy<Value = Vec<(usize, u8, usize, u64, bool)>> {
        prop::collection::vec(
            (0..3usize, 0..10u8, 0..8usize, any::<u64>(), any::<bool>()),
            1..120,
        )
    }

    fn op(kind: u8, a: usize, v: u64) -> Op {
        match kind {
            0 => Op::Load(a, v),
            1 => Op::Swap(a, v),
            _ => Op::Accum(a, v),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn stream_replay_and_snapshot_bootstrap_converge(s in steps(), redeliver in any::<u64>(), cut_at in any::<prop::sample::Index>()) {
            let mut nodes: Vec<TableState> = (1..=3).map(replica).collect();
            let mut open: Vec<Vec<DeltaMsg<W>>> = vec![vec![]; 3];
            let mut stream: Vec<Vec<u8>> = vec![];
            for &(n, k, a, v, cut) in &s {
                open[n].push(nodes[n].local(op(k, a, v)).expect("local op").msg);
                if cut {
                    stream.push(batch(&std::mem::take(&mut open[n])));
                }
            }
            for o in open.iter_mut().filter(|o| !o.is_empty()) {
                stream.push(batch(&std::mem::take(o)));
            }
            // Snapshot of node 0 after a prefix; a new node 9 adopts it.
            let at = cut_at.index(stream.len() + 1);
            let mut snap = None;
            for (i, p) in stream.iter().enumerate() {
                if i == at { snap = Some(nodes[0].checkpoint("t")); }
                for (j, n) in nodes.iter_mut().enumerate() {
                    prop_assert_eq!(n.apply_message(i as u64 + 1, p), Step::Applied);
                    if (redeliver >> ((i + j) % 64)) & 1 == 1 {
                        prop_assert_eq!(n.apply_message(i as u64 + 1, p), Step::Redelivered);
                    }
                }
            }
            let c = snap.unwrap_or_else(|| nodes[0].checkpoint("t"));
            let adopted = adopt(c.replica, sender_id(9, OBSERVER), true);
            let mut late = TableState::new(Replica::restore(&adopted).expect("restore"), c.stream_seq, c.pending);
            for (i, p) in stream.iter().enumerate().skip(usize::try_from(c.stream_seq).expect("seq")) {
                prop_assert_eq!(late.apply_message(i as u64 + 1, p), Step::Applied);
            }
            let want = nodes[0].dump();
            for n in &nodes[1..] { prop_assert_eq!(n.dump(), want.clone()); }
            prop_assert_eq!(late.dump(), want);
        }
    }

    #[test]
    fn a_jump_in_the_stream_sequence_is_a_gap_and_applies_nothing() {
        let mut a = replica(1);
        let mut b = replica(2);
        let m = b.local(Op::Accum(3, 5)).expect("op").msg;
        assert_eq!(a.apply_message(2, &batch(&[m])), Step::Gap);
        assert_eq!(a.dump()[3], 0);
        assert_eq!(a.apply_message(1, &batch(&[m])), Step::Applied);
        assert_eq!(a.dump()[3], 5);
    }
}
