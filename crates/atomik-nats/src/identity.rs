//! Sender ids and incarnations.
//!
//! A replica's sender id is `node_id << 16 | incarnation`. Every start of a
//! node (and every rebuild from a snapshot while running) uses a new
//! incarnation, recorded in the checkpoint *before* anything is published,
//! so no two incarnations ever hand out the same `(sender, seq)`.
//!
//! Starting from a replica state taken elsewhere — this node's own
//! checkpoint, or a snapshot uploaded by any node — goes through
//! `adopt`: the state's owner becomes an ordinary peer whose seqs below
//! its `next_seq` count as processed. That is exact because a state is only
//! saved or uploaded once JetStream acknowledged every own update it holds:
//! the owner's updates below `next_seq` are all in the state, and each one
//! that also sits in the stream after the state's position is a duplicate.

use atomik::replica::{PeerSnapshot, ReplicaSnapshot};
use atomik::{ReplicaConfig, ReplicaStats};

use crate::stream::W;

/// Incarnation reserved for a node that is still rebuilding its state (it never publishes).
pub const OBSERVER: u32 = 0xFFFF;

/// Senders (node incarnations) a replica tracks; each start or rebuild adds one.
pub const MAX_SENDERS: usize = 4096;

/// The sender id of incarnation `inc` of node `node`.
pub fn sender_id(node: u16, inc: u32) -> u32 {
    (u32::from(node) << 16) | (inc & 0xFFFF)
}

/// The node a sender id belongs to.
pub fn node_of(sender: u32) -> u16 {
    u16::try_from(sender >> 16).unwrap_or(u16::MAX)
}

/// The incarnation part of a sender id.
pub fn incarnation_of(sender: u32) -> u32 {
    sender & 0xFFFF
}

/// The dedup bounds every replica of a table uses.
pub(crate) fn replica_config() -> ReplicaConfig {
    ReplicaConfig {
        window: 1 << 14,
        max_senders: MAX_SENDERS,
    }
}

/// Turns a saved state into the starting state of replica `new_id`: the
/// owner becomes a peer whose seqs `0..next_seq` are processed. With
/// `fresh_stats` the counters restart at zero (a snapshot from another
/// node carries that node's counters).
pub(crate) fn adopt(
    mut s: ReplicaSnapshot<W>,
    new_id: u32,
    fresh_stats: bool,
) -> ReplicaSnapshot<W> {
    let owner = s.id;
    if owner != new_id && incarnation_of(owner) != OBSERVER {
        let at = s.peers.partition_point(|p| p.sender < owner);
        if s.peers.get(at).is_none_or(|p| p.sender != owner) {
            s.peers.insert(
                at,
                PeerSnapshot {
                    sender: owner,
                    base: s.next_seq,
                    received: vec![],
                },
            );
        }
    }
    s.id = new_id;
    s.next_seq = 0;
    if fresh_stats {
        s.stats = ReplicaStats::default();
    }
    s
}

/// The incarnation a node must use next: above every incarnation of it
/// that the state has seen, and at least `at_least` (one above the
/// incarnation its own checkpoint recorded, when it had one).
pub(crate) fn next_incarnation(
    s: &ReplicaSnapshot<W>,
    node: u16,
    at_least: u32,
) -> anyhow::Result<u32> {
    let seen = s
        .peers
        .iter()
        .filter(|p| node_of(p.sender) == node && incarnation_of(p.sender) != OBSERVER)
        .map(|p| incarnation_of(p.sender) + 1)
        .max()
        .unwrap_or(0);
    let inc = seen.max(at_least);
    anyhow::ensure!(
        inc < OBSERVER,
        "node {node} has used all {OBSERVER} incarnations"
    );
    Ok(inc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(id: u32, next_seq: u64, peers: &[u32]) -> ReplicaSnapshot<W> {
        let mut r = atomik::Replica::<W>::with_config(id, 4, replica_config()).expect("replica");
        for _ in 0..next_seq {
            r.accum(0, 1).expect("accum");
        }
        let mut s = r.snapshot();
        s.peers = peers
            .iter()
            .map(|&sender| PeerSnapshot {
                sender,
                base: 3,
                received: vec![],
            })
            .collect();
        s
    }

    #[test]
    fn adopting_makes_the_owner_a_peer_with_everything_below_next_seq_processed() {
        let s = adopt(
            state(sender_id(2, 5), 7, &[sender_id(1, 0)]),
            sender_id(3, OBSERVER),
            true,
        );
        let owner = s.peers.iter().find(|p| p.sender == sender_id(2, 5));
        assert_eq!(owner.map(|p| p.base), Some(7));
        assert_eq!(s.id, sender_id(3, OBSERVER));
        assert_eq!(s.next_seq, 0);
        assert!(s.peers.windows(2).all(|w| w[0].sender < w[1].sender));
    }

    #[test]
    fn the_next_incarnation_is_above_every_one_seen_and_the_checkpoints() {
        let s = state(
            sender_id(9, 0),
            0,
            &[sender_id(4, 2), sender_id(4, 6), sender_id(5, 40)],
        );
        assert_eq!(next_incarnation(&s, 4, 0).ok(), Some(7));
        assert_eq!(next_incarnation(&s, 4, 11).ok(), Some(11));
        assert_eq!(next_incarnation(&s, 8, 0).ok(), Some(0));
        assert!(next_incarnation(&s, 4, OBSERVER).is_err());
    }
}
