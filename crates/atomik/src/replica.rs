//! Replicas that converge over an unreliable delta stream (docs/contracts.md §4).
//!
//! # Why a replica, not raw XOR
//! XOR is self-inverse: applying a *duplicated* delta silently undoes it, and a
//! delta that arrives after a reload corrupts the new epoch. A [`Replica`]
//! therefore
//!
//! * applies each `(sender, seq)` at most once. Per sender it keeps a receive
//!   window: every seq below `base` has been processed, and a ring bitmap of
//!   `window` bits records which seqs in `base..base + window` have been. So
//!   duplicates are recognised exactly, forever, in bounded memory
//!   (`max_senders × window / 8` bytes of bitmap, see [`Replica::dedup_bytes`]).
//!   A message beyond the window is refused (not consumed) and must be resent;
//! * reports gaps (seqs not yet received below the highest seen) so a sender can
//!   retransmit ([`Replica::gaps`], [`Replica::missing`]);
//! * versions every context with an epoch. LOAD, SWAP and SWAP_KEEP start a new
//!   epoch and travel as [`MsgKind::Load`] messages. An ACCUM of an older epoch
//!   is *stale*: the reload it predates has overwritten it on every replica, so
//!   it is consumed without effect. An ACCUM of a newer epoch than the replica
//!   knows arrived before its LOAD; it is refused (not consumed) and must be
//!   resent after the LOAD.
//!
//! # Epochs
//! An epoch is a 64-bit Lamport stamp `(counter << 32) | origin`: a replica
//! starting a new epoch on context `a` uses `counter = counter(epoch[a]) + 1`
//! and its own id as origin. Stamps are unique per origin and totally ordered,
//! so two concurrent LOADs of one context resolve the same way everywhere: the
//! higher stamp wins, the other LOAD and its ACCUMs become stale.
//!
//! # Convergence
//! Once every replica has processed every message, all replicas hold the same
//! table, bit for bit: for each context, the LOAD with the highest epoch plus
//! the XOR of the ACCUMs of that epoch — whatever the arrival order, duplication
//! or loss, provided lost and refused messages are retransmitted.
//!
//! Concurrent writers must not implement "set value" as `accum(old ^ new)`:
//! two concurrent sets converge to `old ^ new1 ^ new2 ^ old`, a value nobody
//! wrote. Use a LOAD (the higher epoch wins) for sets and ACCUM for deltas.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::ops::Range;

use crate::table::{Table, TableError, try_filled};
use crate::wire::{DeltaMsg, MsgKind};
use crate::word::Word;

// Checkpoint support (snapshot / restore) lives in its own file.
mod snapshot;
pub use snapshot::{PeerSnapshot, ReplicaSnapshot, SnapshotError};

/// Largest receive window, in sequence numbers, a replica accepts.
pub const MAX_WINDOW: u32 = 1 << 16;

/// Bounds of a replica's deduplication state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicaConfig {
    /// Sequence numbers tracked per sender beyond the contiguous prefix: a
    /// multiple of 64 between 64 and [`MAX_WINDOW`].
    pub window: u32,
    /// Most distinct senders a replica tracks; messages from further senders are refused.
    pub max_senders: usize,
}

impl Default for ReplicaConfig {
    fn default() -> Self {
        ReplicaConfig {
            window: 1024,
            max_senders: 64,
        }
    }
}

/// What applying a message did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The message changed the table.
    Applied,
    /// `(sender, seq)` was processed before; nothing changed.
    Duplicate,
    /// The message belongs to an epoch that a later LOAD superseded; consumed, nothing changed.
    Stale,
    /// The replica's own message came back; nothing changed.
    Own,
}

/// Why a replica refused a message or an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaError {
    /// A table error: zero contexts, or an address out of range. A received
    /// message with a bad address is consumed (every replica drops it alike).
    Table(TableError),
    /// More contexts than 32-bit wire addresses can name.
    TooManyContexts {
        /// Requested number of contexts.
        len: usize,
    },
    /// The configured window is not a multiple of 64 in `64..=MAX_WINDOW`, or `max_senders` is 0.
    BadConfig(ReplicaConfig),
    /// The message's sender would exceed `max_senders`; not consumed.
    TooManySenders {
        /// The new sender.
        sender: u32,
        /// The configured bound.
        max: usize,
    },
    /// The seq is `window` or more ahead of the sender's first missing seq;
    /// not consumed: resend once the gap below it is filled.
    BeyondWindow {
        /// Sender of the message.
        sender: u32,
        /// Its seq.
        seq: u64,
        /// The sender's first unprocessed seq at this replica.
        base: u64,
    },
    /// An ACCUM for an epoch whose LOAD has not arrived yet; not consumed:
    /// resend after the LOAD.
    FutureEpoch {
        /// Context address.
        addr: u32,
        /// The message's epoch.
        epoch: u64,
        /// The context's current epoch at this replica.
        current: u64,
    },
    /// A context was reloaded 2³² times; its epoch counter cannot advance.
    EpochExhausted {
        /// Context address.
        addr: usize,
    },
    /// The allocator could not provide the receive state for a new sender;
    /// the message is not consumed (resend it later) and nothing changed.
    AllocFailed {
        /// The new sender.
        sender: u32,
    },
}

impl From<TableError> for ReplicaError {
    fn from(e: TableError) -> Self {
        ReplicaError::Table(e)
    }
}

impl core::fmt::Display for ReplicaError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            ReplicaError::Table(e) => e.fmt(f),
            ReplicaError::TooManyContexts { len } => {
                write!(
                    f,
                    "{len} contexts cannot be addressed by 32-bit wire addresses"
                )
            }
            ReplicaError::BadConfig(c) => write!(
                f,
                "bad replica config: window {} must be a multiple of 64 in 64..={MAX_WINDOW}, max_senders {} must be at least 1",
                c.window, c.max_senders
            ),
            ReplicaError::TooManySenders { sender, max } => {
                write!(
                    f,
                    "sender {sender} refused: already tracking the maximum of {max} senders"
                )
            }
            ReplicaError::BeyondWindow { sender, seq, base } => write!(
                f,
                "seq {seq} from sender {sender} is beyond the receive window (first missing seq is {base}); resend later"
            ),
            ReplicaError::FutureEpoch {
                addr,
                epoch,
                current,
            } => write!(
                f,
                "delta for context {addr} belongs to epoch {epoch:#x}, but the LOAD starting it has not arrived (current epoch {current:#x}); resend later"
            ),
            ReplicaError::EpochExhausted { addr } => {
                write!(
                    f,
                    "context {addr} has been reloaded 2^32 times; its epoch counter is exhausted"
                )
            }
            ReplicaError::AllocFailed { sender } => write!(
                f,
                "could not allocate the receive window for new sender {sender}; resend later"
            ),
        }
    }
}

impl core::error::Error for ReplicaError {}

/// A run of sequence numbers from one sender that a replica has not received.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Gap {
    /// The sender.
    pub sender: u32,
    /// The missing seqs.
    pub seqs: Range<u64>,
}

/// Counters of what a replica did with the messages it was given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplicaStats {
    /// Messages that changed the table.
    pub applied: u64,
    /// Messages recognised as already processed.
    pub duplicates: u64,
    /// Messages consumed without effect because their epoch was superseded.
    pub stale: u64,
    /// Messages refused (errors); refused-but-not-consumed ones may arrive again.
    pub refused: u64,
}

/// Receive state for one sender.
#[derive(Clone, Debug)]
struct Peer {
    sender: u32,
    /// Every seq below `base` has been processed.
    base: u64,
    /// One past the highest processed seq (`>= base`).
    high: u64,
    /// Ring bitmap: bit `s % window` is set iff seq `s` in `base..high` was processed.
    bits: Box<[u64]>,
}

enum Seen {
    New,
    Duplicate,
    Beyond,
}

impl Peer {
    /// A sender with nothing received yet, or `None` if its bitmap cannot be allocated.
    fn try_new(sender: u32, window: u32) -> Option<Self> {
        Some(Peer {
            sender,
            base: 0,
            high: 0,
            bits: try_filled((window / 64) as usize, 0u64)?,
        })
    }

    #[inline]
    fn window(&self) -> u64 {
        self.bits.len() as u64 * 64
    }

    #[inline]
    fn slot(&self, seq: u64) -> (usize, u64) {
        // The window is at most 2^16 bits, so the index fits any usize.
        #[allow(clippy::cast_possible_truncation)]
        let i = (seq % self.window()) as usize;
        (i / 64, 1u64 << (i % 64))
    }

    #[inline]
    fn is_set(&self, seq: u64) -> bool {
        let (w, m) = self.slot(seq);
        self.bits[w] & m != 0
    }

    #[inline]
    fn seen(&self, seq: u64) -> Seen {
        if seq < self.base {
            Seen::Duplicate
        } else if seq >= self.base.saturating_add(self.window()) {
            Seen::Beyond
        } else if seq < self.high && self.is_set(seq) {
            Seen::Duplicate
        } else {
            Seen::New
        }
    }

    /// Records `seq` (which `seen` classified as new) as processed.
    #[inline]
    fn mark(&mut self, seq: u64) {
        if seq == self.base && self.high == self.base {
            // In-order arrival with nothing pending: no bitmap traffic.
            self.base += 1;
            self.high = self.base;
            return;
        }
        let (w, m) = self.slot(seq);
        self.bits[w] |= m;
        self.high = self.high.max(seq + 1);
        while self.base < self.high && self.is_set(self.base) {
            let (w, m) = self.slot(self.base);
            self.bits[w] &= !m;
            self.base += 1;
        }
    }

    fn gaps(&self) -> impl Iterator<Item = Range<u64>> + '_ {
        let mut s = self.base;
        core::iter::from_fn(move || {
            while s < self.high && self.is_set(s) {
                s += 1;
            }
            if s >= self.high {
                return None;
            }
            let start = s;
            while s < self.high && !self.is_set(s) {
                s += 1;
            }
            Some(start..s)
        })
    }
}

/// A table replica that exchanges [`DeltaMsg`]s with its peers.
///
/// Local operations ([`Replica::accum`], [`Replica::load`], …) change the local
/// table and return the message to broadcast; [`Replica::apply`] takes the
/// messages of other replicas.
#[derive(Clone, Debug)]
pub struct Replica<W: Word> {
    id: u32,
    table: Table<W>,
    epochs: Box<[u64]>,
    next_seq: u64,
    peers: Vec<Peer>,
    last_peer: usize,
    config: ReplicaConfig,
    stats: ReplicaStats,
}

impl<W: Word> Replica<W> {
    /// A replica with sender id `id` and `contexts` contexts, default bounds.
    pub fn new(id: u32, contexts: usize) -> Result<Self, ReplicaError> {
        Self::with_config(id, contexts, ReplicaConfig::default())
    }

    /// A replica with explicit dedup bounds.
    pub fn with_config(
        id: u32,
        contexts: usize,
        config: ReplicaConfig,
    ) -> Result<Self, ReplicaError> {
        if config.window % 64 != 0
            || !(64..=MAX_WINDOW).contains(&config.window)
            || config.max_senders == 0
        {
            return Err(ReplicaError::BadConfig(config));
        }
        if u32::try_from(contexts.saturating_sub(1)).is_err() {
            return Err(ReplicaError::TooManyContexts { len: contexts });
        }
        let table = Table::new(contexts)?;
        let epochs = try_filled(contexts, 0u64).ok_or(TableError::AllocFailed { len: contexts })?;
        Ok(Replica {
            id,
            table,
            epochs,
            next_seq: 0,
            peers: Vec::new(),
            last_peer: 0,
            config,
            stats: ReplicaStats::default(),
        })
    }

    /// This replica's sender id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The replicated table.
    pub fn table(&self) -> &Table<W> {
        &self.table
    }

    /// The current epoch of context `addr`.
    pub fn epoch(&self, addr: usize) -> Result<u64, ReplicaError> {
        self.epochs
            .get(addr)
            .copied()
            .ok_or(ReplicaError::Table(TableError::AddrOutOfRange {
                addr,
                len: self.epochs.len(),
            }))
    }

    /// All epochs, in address order.
    pub fn epochs(&self) -> &[u64] {
        &self.epochs
    }

    /// The seq this replica's next own message will carry (= messages sent so far).
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Counters of processed messages.
    pub fn stats(&self) -> ReplicaStats {
        self.stats
    }

    /// The dedup configuration.
    pub fn config(&self) -> ReplicaConfig {
        self.config
    }

    /// Bytes of dedup bitmap currently held; never more than
    /// `max_senders * window / 8`.
    pub fn dedup_bytes(&self) -> usize {
        self.peers.iter().map(|p| p.bits.len() * 8).sum()
    }

    /// Whether `self` and `other` hold the same table and epochs.
    pub fn same_state(&self, other: &Replica<W>) -> bool {
        self.table == other.table && self.epochs == other.epochs
    }

    fn wire_addr(&self, addr: usize) -> Result<u32, ReplicaError> {
        self.table.context(addr)?;
        // Checked at construction: every valid address fits in u32.
        u32::try_from(addr).map_err(|_| {
            ReplicaError::Table(TableError::AddrOutOfRange {
                addr,
                len: self.table.len(),
            })
        })
    }

    fn take_seq(&mut self) -> u64 {
        let s = self.next_seq;
        self.next_seq += 1;
        s
    }

    /// ACCUM locally; returns the message to broadcast.
    pub fn accum(&mut self, addr: usize, delta: W) -> Result<DeltaMsg<W>, ReplicaError> {
        let a = self.wire_addr(addr)?;
        self.table.accum(addr, delta)?;
        let seq = self.take_seq();
        Ok(DeltaMsg::accum(self.id, self.epochs[addr], seq, a, delta))
    }

    /// LOAD locally, starting a new epoch; returns the message to broadcast.
    pub fn load(&mut self, addr: usize, value: W) -> Result<DeltaMsg<W>, ReplicaError> {
        let a = self.wire_addr(addr)?;
        let counter = (self.epochs[addr] >> 32) + 1;
        if counter > u64::from(u32::MAX) {
            return Err(ReplicaError::EpochExhausted { addr });
        }
        let epoch = (counter << 32) | u64::from(self.id);
        self.epochs[addr] = epoch;
        self.table.load(addr, value)?;
        let seq = self.take_seq();
        Ok(DeltaMsg::load(self.id, epoch, seq, a, value))
    }

    /// SWAP locally: returns the previous state and the message to broadcast.
    pub fn swap(
        &mut self,
        addr: usize,
        new_reference: W,
    ) -> Result<(W, DeltaMsg<W>), ReplicaError> {
        let old = self.table.read(addr)?;
        Ok((old, self.load(addr, new_reference)?))
    }

    /// SWAP_KEEP locally: returns the state and the message to broadcast.
    pub fn swap_keep(&mut self, addr: usize) -> Result<(W, DeltaMsg<W>), ReplicaError> {
        let current = self.table.read(addr)?;
        Ok((current, self.load(addr, current)?))
    }

    fn peer_index(&mut self, sender: u32) -> Result<usize, ReplicaError> {
        if self
            .peers
            .get(self.last_peer)
            .is_some_and(|p| p.sender == sender)
        {
            return Ok(self.last_peer);
        }
        let i = match self.peers.binary_search_by_key(&sender, |p| p.sender) {
            Ok(i) => i,
            Err(i) => {
                if self.peers.len() >= self.config.max_senders {
                    return Err(ReplicaError::TooManySenders {
                        sender,
                        max: self.config.max_senders,
                    });
                }
                // Both allocations are fallible and happen before any
                // change, so running out of memory refuses the message
                // and leaves the replica as it was.
                let alloc_failed = ReplicaError::AllocFailed { sender };
                self.peers.try_reserve(1).map_err(|_| alloc_failed)?;
                let peer = Peer::try_new(sender, self.config.window).ok_or(alloc_failed)?;
                self.peers.insert(i, peer);
                i
            }
        };
        self.last_peer = i;
        Ok(i)
    }

    /// Applies a message from another replica (at most once per `(sender, seq)`).
    pub fn apply(&mut self, msg: &DeltaMsg<W>) -> Result<Outcome, ReplicaError> {
        let r = self.apply_inner(msg);
        match r {
            Ok(Outcome::Applied) => self.stats.applied += 1,
            Ok(Outcome::Duplicate) => self.stats.duplicates += 1,
            Ok(Outcome::Stale) => self.stats.stale += 1,
            Ok(Outcome::Own) => {}
            Err(_) => self.stats.refused += 1,
        }
        r
    }

    #[inline]
    fn apply_inner(&mut self, msg: &DeltaMsg<W>) -> Result<Outcome, ReplicaError> {
        if msg.sender == self.id {
            return Ok(Outcome::Own);
        }
        let p = self.peer_index(msg.sender)?;
        let peer = &self.peers[p];
        match peer.seen(msg.seq) {
            Seen::Duplicate => return Ok(Outcome::Duplicate),
            Seen::Beyond => {
                return Err(ReplicaError::BeyondWindow {
                    sender: msg.sender,
                    seq: msg.seq,
                    base: peer.base,
                });
            }
            Seen::New => {}
        }
        let Some(addr) = usize::try_from(msg.addr)
            .ok()
            .filter(|&a| a < self.epochs.len())
        else {
            // Consumed: every replica drops it the same way, and leaving it
            // unprocessed would stall this sender's window forever.
            self.peers[p].mark(msg.seq);
            return Err(ReplicaError::Table(TableError::AddrOutOfRange {
                addr: usize::try_from(msg.addr).unwrap_or(usize::MAX),
                len: self.epochs.len(),
            }));
        };
        let current = self.epochs[addr];
        let outcome = match msg.kind {
            MsgKind::Accum if msg.epoch == current => {
                self.table.accum(addr, msg.value)?;
                Outcome::Applied
            }
            MsgKind::Accum if msg.epoch > current => {
                return Err(ReplicaError::FutureEpoch {
                    addr: msg.addr,
                    epoch: msg.epoch,
                    current,
                });
            }
            MsgKind::Load if msg.epoch > current => {
                self.epochs[addr] = msg.epoch;
                self.table.load(addr, msg.value)?;
                Outcome::Applied
            }
            MsgKind::Accum | MsgKind::Load => Outcome::Stale,
        };
        self.peers[p].mark(msg.seq);
        Ok(outcome)
    }

    /// The first seq from `sender` not yet processed (a cumulative
    /// acknowledgement: everything below it has been). 0 for unknown senders.
    pub fn expected(&self, sender: u32) -> u64 {
        self.peers
            .iter()
            .find(|p| p.sender == sender)
            .map_or(0, |p| p.base)
    }

    /// Seqs below the highest one received that are still missing, per sender.
    pub fn gaps(&self) -> Vec<Gap> {
        self.gaps_iter().collect()
    }

    /// [`Replica::gaps`] without allocating, in sender then seq order.
    pub fn gaps_iter(&self) -> impl Iterator<Item = Gap> + '_ {
        self.peers.iter().flat_map(|p| {
            p.gaps().map(|seqs| Gap {
                sender: p.sender,
                seqs,
            })
        })
    }

    /// Seqs of `sender` this replica still needs, given that the sender has
    /// sent seqs `0..sent`: the gaps plus the unseen tail. This is what the
    /// sender should retransmit.
    pub fn missing(&self, sender: u32, sent: u64) -> Vec<Range<u64>> {
        self.missing_iter(sender, sent).collect()
    }

    /// [`Replica::missing`] without allocating, in seq order.
    pub fn missing_iter(&self, sender: u32, sent: u64) -> impl Iterator<Item = Range<u64>> + '_ {
        let peer = self.peers.iter().find(|p| p.sender == sender);
        // Gaps are ascending and disjoint, so only the last one that starts
        // below `sent` can reach past it.
        let gaps = peer
            .into_iter()
            .flat_map(Peer::gaps)
            .take_while(move |r| r.start < sent)
            .map(move |r| r.start..r.end.min(sent));
        // An unknown sender: everything it sent is missing.
        let tail = peer.map_or(0, |p| p.high.max(p.base));
        gaps.chain((tail < sent).then_some(tail..sent))
    }
}
