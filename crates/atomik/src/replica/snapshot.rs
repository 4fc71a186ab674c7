//! The complete state of a [`Replica`], for checkpoints.
//!
//! A node that restarts must resume with the same table, epochs, own sequence
//! number *and* deduplication state it had: without the dedup state a
//! restarted replica would treat every later seq of a sender as "beyond the
//! window" (its window restarts at 0), and a redelivered message it had
//! already applied would be applied a second time, which XOR turns into an
//! undo. [`Replica::snapshot`] exposes that state as plain data and
//! [`Replica::restore`] validates it and rebuilds the replica; turning it into
//! bytes is left to the caller (this crate has no dependencies).

use alloc::vec::Vec;

use super::{Peer, Replica, ReplicaConfig, ReplicaError, ReplicaStats, Seen};
use crate::context::Context;
use crate::table::Table;
use crate::word::Word;

/// Receive state for one sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerSnapshot {
    /// The sender.
    pub sender: u32,
    /// Every seq below `base` has been processed.
    pub base: u64,
    /// The seqs above `base` processed so far, ascending (each less than
    /// `base + window`).
    pub received: Vec<u64>,
}

/// Everything a [`Replica`] holds, as plain data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaSnapshot<W: Word> {
    /// Sender id.
    pub id: u32,
    /// Dedup bounds.
    pub config: ReplicaConfig,
    /// The seq of the replica's next own message.
    pub next_seq: u64,
    /// The contexts, in address order.
    pub contexts: Vec<Context<W>>,
    /// The epoch of each context, in address order.
    pub epochs: Vec<u64>,
    /// Receive state per sender, ascending by sender.
    pub peers: Vec<PeerSnapshot>,
    /// Counters of processed messages.
    pub stats: ReplicaStats,
}

/// Why a snapshot cannot be restored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotError {
    /// The id, config or context count is invalid (as for [`Replica::with_config`]).
    Replica(ReplicaError),
    /// `contexts` and `epochs` have different lengths.
    LengthMismatch {
        /// Number of contexts.
        contexts: usize,
        /// Number of epochs.
        epochs: usize,
    },
    /// More peers than `max_senders`, or senders not strictly ascending.
    BadPeers,
    /// A peer's received seqs are not strictly ascending within `base + 1 .. base + window`.
    BadWindow {
        /// The sender whose window is inconsistent.
        sender: u32,
    },
}

impl core::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            SnapshotError::Replica(e) => e.fmt(f),
            SnapshotError::LengthMismatch { contexts, epochs } => {
                write!(f, "snapshot has {contexts} contexts but {epochs} epochs")
            }
            SnapshotError::BadPeers => {
                f.write_str("snapshot peers exceed max_senders or are not sorted by sender")
            }
            SnapshotError::BadWindow { sender } => write!(
                f,
                "snapshot receive window of sender {sender} is inconsistent"
            ),
        }
    }
}

impl core::error::Error for SnapshotError {}

impl From<ReplicaError> for SnapshotError {
    fn from(e: ReplicaError) -> Self {
        SnapshotError::Replica(e)
    }
}

impl Peer {
    fn snapshot(&self) -> PeerSnapshot {
        PeerSnapshot {
            sender: self.sender,
            base: self.base,
            received: (self.base..self.high).filter(|&s| self.is_set(s)).collect(),
        }
    }

    fn restore(s: &PeerSnapshot, window: u32) -> Result<Self, SnapshotError> {
        let bad = SnapshotError::BadWindow { sender: s.sender };
        let mut p = Peer::try_new(s.sender, window).ok_or(SnapshotError::Replica(
            ReplicaError::AllocFailed { sender: s.sender },
        ))?;
        p.base = s.base;
        p.high = s.base;
        let mut last = s.base;
        for &seq in &s.received {
            // `base` itself is unprocessed by definition, and `mark` keeps
            // seqs strictly ascending and inside the window.
            if seq <= last || !matches!(p.seen(seq), Seen::New) {
                return Err(bad);
            }
            let (w, m) = p.slot(seq);
            p.bits[w] |= m;
            p.high = seq + 1;
            last = seq;
        }
        Ok(p)
    }
}

impl<W: Word> Replica<W> {
    /// The replica's complete state, for a checkpoint.
    pub fn snapshot(&self) -> ReplicaSnapshot<W> {
        ReplicaSnapshot {
            id: self.id,
            config: self.config,
            next_seq: self.next_seq,
            contexts: self.table.as_slice().to_vec(),
            epochs: self.epochs.to_vec(),
            peers: self.peers.iter().map(Peer::snapshot).collect(),
            stats: self.stats,
        }
    }

    /// Rebuilds a replica from [`Replica::snapshot`]'s output, validating it.
    pub fn restore(s: &ReplicaSnapshot<W>) -> Result<Self, SnapshotError> {
        if s.contexts.len() != s.epochs.len() {
            return Err(SnapshotError::LengthMismatch {
                contexts: s.contexts.len(),
                epochs: s.epochs.len(),
            });
        }
        let mut r = Replica::with_config(s.id, s.contexts.len(), s.config)?;
        let mut table = Table::new(s.contexts.len()).map_err(ReplicaError::from)?;
        for (addr, c) in s.contexts.iter().enumerate() {
            *table.context_mut(addr).map_err(ReplicaError::from)? = *c;
        }
        r.table = table;
        r.epochs.copy_from_slice(&s.epochs);
        r.next_seq = s.next_seq;
        r.stats = s.stats;
        if s.peers.len() > s.config.max_senders
            || s.peers.windows(2).any(|w| w[0].sender >= w[1].sender)
        {
            return Err(SnapshotError::BadPeers);
        }
        let mut peers = Vec::new();
        peers
            .try_reserve_exact(s.peers.len())
            .map_err(|_| SnapshotError::BadPeers)?;
        for p in &s.peers {
            peers.push(Peer::restore(p, s.config.window)?);
        }
        r.peers = peers;
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::DeltaMsg;

    #[test]
    fn restore_round_trips_and_keeps_dedup() {
        let mut a = Replica::<u64>::new(1, 8).unwrap();
        let mut b = Replica::<u64>::new(2, 8).unwrap();
        let msgs: Vec<_> = (0..10u64)
            .map(|i| b.accum((i % 8) as usize, i + 1).unwrap())
            .collect();
        // Out of order with a hole at seq 3, so the window holds pending bits.
        for m in msgs.iter().filter(|m| m.seq != 3) {
            a.apply(m).unwrap();
        }
        a.accum(0, 7).unwrap();
        let snap = a.snapshot();
        let mut c = Replica::restore(&snap).unwrap();
        assert_eq!(c.snapshot(), snap);
        assert!(c.same_state(&a));
        // Every message already applied is still a duplicate after restore.
        for m in msgs.iter().filter(|m| m.seq != 3) {
            assert_eq!(c.apply(m), Ok(crate::Outcome::Duplicate));
        }
        assert_eq!(c.apply(&msgs[3]), Ok(crate::Outcome::Applied));
        assert_eq!(c.expected(2), 10);
        assert_eq!(c.next_seq(), 1);
        let own: DeltaMsg<u64> = c.accum(1, 1).unwrap();
        assert_eq!(own.seq, 1);
    }

    #[test]
    fn restore_rejects_inconsistent_snapshots() {
        let r = Replica::<u64>::new(1, 4).unwrap();
        let mut s = r.snapshot();
        s.epochs.pop();
        assert!(matches!(
            Replica::restore(&s),
            Err(SnapshotError::LengthMismatch { .. })
        ));
        let mut s = r.snapshot();
        s.peers = alloc::vec![PeerSnapshot {
            sender: 5,
            base: 10,
            received: alloc::vec![10],
        }];
        assert_eq!(
            Replica::restore(&s).unwrap_err(),
            SnapshotError::BadWindow { sender: 5 }
        );
        s.peers[0].received = alloc::vec![12, 11];
        assert!(Replica::restore(&s).is_err());
        s.peers[0].received = alloc::vec![10 + 1024];
        assert!(Replica::restore(&s).is_err());
        s.peers[0].received = alloc::vec![11, 1033];
        assert!(Replica::restore(&s).is_ok());
    }
}
