//! # atomik-wal — a crash-safe write-ahead log of an [`atomik::Replica`]
//!
//! [`DurableReplica`] is a replica whose every change is first appended to a
//! file and fsynced, then applied: when [`DurableReplica::accum`] or
//! [`DurableReplica::apply`] returns, the change survives a crash (kill -9,
//! power loss), and a change that did not return may or may not have.
//! Reopening the file replays it into exactly the state that was
//! acknowledged, dedup windows included, so a message received before the
//! crash is still recognised as a duplicate after it.
//!
//! * Records are wire v1 frames ([`atomik::wire`]): each carries its own
//!   XXH32 checksum, kind, sender, epoch and seq, so replay tells a LOAD from
//!   an ACCUM by its kind byte, never by a magic seq value.
//! * A torn tail (the last record cut short or corrupted by a crash) is
//!   truncated on recovery; a bad record followed by good ones is corruption
//!   and the file is refused untouched ([`WalError::Corrupt`]).
//! * Replay applies records without sending anything: the caller's own
//!   records are replayed through [`atomik::Replica::accum`], which restores
//!   its next seq, and nothing is handed to any callback.
//! * The file is locked exclusively (`flock`) while open: a second writer,
//!   in this process or another, gets [`WalError::Locked`].
//! * [`DurableReplica::compact`] replaces the log by a snapshot of the
//!   replica atomically (a locked sibling file, fsync, rename, directory
//!   fsync).
//!
//! File layout: [`format`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod file;
pub mod format;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use atomik::wire::frame_len;
use atomik::{DeltaMsg, MsgKind, Outcome, Replica, ReplicaConfig, ReplicaError, Word};

use crate::file::WalFile;
use crate::format::Header;

/// The sender id of deltas that arrive without one (the 16-byte compat
/// record): each gets the next seq of this sender, so none is ever taken for
/// a duplicate. No replica may use it as its own id.
pub const ANONYMOUS: u32 = u32::MAX;

/// Why a WAL could not be opened, read or written.
#[derive(Debug)]
pub enum WalError {
    /// An operating-system error.
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The error.
        source: io::Error,
    },
    /// Another writer holds the file's lock.
    Locked {
        /// The file.
        path: PathBuf,
    },
    /// The file is not a WAL, or a record before the last one is damaged.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Byte offset of the problem.
        offset: u64,
        /// What is wrong.
        why: String,
    },
    /// The file belongs to another table (width, contexts, id or bounds).
    Mismatch {
        /// The file.
        path: PathBuf,
        /// What differs.
        why: String,
    },
    /// A write failed and could not be undone; reopen the file.
    Poisoned {
        /// The file.
        path: PathBuf,
    },
}

impl fmt::Display for WalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WalError::Io { path, op, source } => {
                write!(f, "cannot {op} WAL {}: {source}", path.display())
            }
            WalError::Locked { path } => write!(
                f,
                "WAL {} is locked by another writer (in this or another process)",
                path.display()
            ),
            WalError::Corrupt { path, offset, why } => write!(
                f,
                "WAL {} is damaged at byte {offset}: {why}; the file was left untouched",
                path.display()
            ),
            WalError::Mismatch { path, why } => {
                write!(f, "WAL {} belongs to another table: {why}", path.display())
            }
            WalError::Poisoned { path } => write!(
                f,
                "an earlier write to WAL {} failed and could not be undone; reopen it",
                path.display()
            ),
        }
    }
}

impl std::error::Error for WalError {}

/// Why an operation of a [`DurableReplica`] failed; nothing changed.
#[derive(Debug)]
pub enum Error {
    /// The log could not be written (or read on open).
    Wal(WalError),
    /// The replica refused the operation or message.
    Replica(ReplicaError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Wal(e) => e.fmt(f),
            Error::Replica(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

impl From<WalError> for Error {
    fn from(e: WalError) -> Self {
        Error::Wal(e)
    }
}

impl From<ReplicaError> for Error {
    fn from(e: ReplicaError) -> Self {
        Error::Replica(e)
    }
}

/// What recovery found in an existing WAL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Frames replayed.
    pub records: u64,
    /// Bytes of a torn tail cut off.
    pub torn_bytes: u64,
    /// Whether a snapshot (an earlier compaction) started the file.
    pub snapshot: bool,
}

/// A replica, optionally backed by a WAL (see the crate docs).
#[derive(Debug)]
pub struct DurableReplica<W: Word> {
    replica: Replica<W>,
    wal: Option<WalFile>,
}

fn bad_id(id: u32) -> Result<(), Error> {
    if id == ANONYMOUS {
        return Err(Error::Replica(ReplicaError::BadConfig(ReplicaConfig {
            window: 0,
            max_senders: 0,
        })));
    }
    Ok(())
}

impl<W: Word> DurableReplica<W> {
    /// A replica without a log.
    pub fn in_memory(id: u32, contexts: usize, config: ReplicaConfig) -> Result<Self, Error> {
        bad_id(id)?;
        Ok(DurableReplica {
            replica: Replica::with_config(id, contexts, config)?,
            wal: None,
        })
    }

    /// Opens (or creates) the WAL at `path` and recovers the replica it holds.
    /// `id` must match the file's id when given; a new file gets `id`, or
    /// `fresh_id` when `id` is `None`.
    pub fn open(
        path: &Path,
        id: Option<u32>,
        fresh_id: u32,
        contexts: usize,
        config: ReplicaConfig,
    ) -> Result<(Self, Recovery), Error> {
        let (mut wal, bytes) = WalFile::open(path)?;
        let mismatch = |why: String| WalError::Mismatch {
            path: path.to_owned(),
            why,
        };
        let wanted = Header {
            width_bytes: u8::try_from(W::BYTES).unwrap_or(0),
            id: id.unwrap_or(fresh_id),
            contexts: u32::try_from(contexts)
                .map_err(|_| ReplicaError::TooManyContexts { len: contexts })?,
            config,
        };
        bad_id(wanted.id)?;
        if format::is_torn_creation(&bytes) {
            // No header was ever complete, so nothing was ever acknowledged.
            wal.initialise(&wanted.encode())?;
            let replica = Replica::with_config(wanted.id, contexts, config)?;
            let wal = Some(wal);
            return Ok((DurableReplica { replica, wal }, Recovery::default()));
        }
        let corrupt = |offset: u64, why: String| WalError::Corrupt {
            path: path.to_owned(),
            offset,
            why,
        };
        let header = Header::decode(&bytes).map_err(|why| corrupt(0, why))?;
        let same = Header {
            id: id.unwrap_or(header.id),
            ..wanted
        };
        if header != same {
            return Err(mismatch(format!("file has {header:?}, asked for {same:?}")).into());
        }
        let mut this = DurableReplica {
            replica: Replica::with_config(header.id, contexts, config)?,
            wal: None,
        };
        let recovery = this
            .replay(&bytes, &header)
            .map_err(|(o, why)| corrupt(o, why))?;
        if recovery.torn_bytes > 0 {
            wal.truncate(bytes.len() as u64 - recovery.torn_bytes)?;
        }
        this.wal = Some(wal);
        Ok((this, recovery))
    }

    /// Replays the records after the header into `self.replica`.
    fn replay(&mut self, bytes: &[u8], header: &Header) -> Result<Recovery, (u64, String)> {
        let mut at = format::HEADER_LEN;
        let mut rec = Recovery::default();
        if format::is_snapshot(&bytes[at..]) {
            let (snap, n) = format::decode_snapshot::<W>(&bytes[at..], header)
                .map_err(|why| (at as u64, why))?;
            self.replica =
                Replica::restore(&snap).map_err(|e| (at as u64, format!("snapshot: {e}")))?;
            rec.snapshot = true;
            at += n;
        }
        let n = frame_len::<W>();
        while at < bytes.len() {
            let msg = match DeltaMsg::<W>::decode(&bytes[at..]) {
                Ok((msg, _)) => msg,
                // The last record, cut short or damaged by a crash mid-write.
                Err(_) if at + n >= bytes.len() => {
                    rec.torn_bytes = (bytes.len() - at) as u64;
                    break;
                }
                Err(e) => return Err((at as u64, format!("{e} (and records follow it)"))),
            };
            self.replay_one(&msg).map_err(|why| (at as u64, why))?;
            rec.records += 1;
            at += n;
        }
        Ok(rec)
    }

    /// Applies one logged record: our own through the local operation (which
    /// restores our next seq and must reproduce the record exactly), a peer's
    /// through `apply`, whose outcome is the same as when it was logged.
    fn replay_one(&mut self, msg: &DeltaMsg<W>) -> Result<(), String> {
        if msg.sender != self.replica.id() {
            let _ = self.replica.apply(msg);
            return Ok(());
        }
        let addr = msg.addr as usize;
        let again = match msg.kind {
            MsgKind::Accum => self.replica.accum(addr, msg.value),
            MsgKind::Load => self.replica.load(addr, msg.value),
        };
        match again {
            Ok(m) if m == *msg => Ok(()),
            Ok(m) => Err(format!("own record {msg:?} replays as {m:?}")),
            Err(e) => Err(format!("own record {msg:?} refused on replay: {e}")),
        }
    }

    /// Closes the WAL, releasing its lock; the replica stays readable and
    /// later changes are no longer logged.
    pub fn close(&mut self) {
        self.wal = None;
    }

    /// The replica.
    pub fn replica(&self) -> &Replica<W> {
        &self.replica
    }

    /// The WAL's path, if there is one.
    pub fn path(&self) -> Option<&Path> {
        self.wal.as_ref().map(WalFile::path)
    }

    fn log(&mut self, msg: &DeltaMsg<W>) -> Result<(), WalError> {
        match &mut self.wal {
            Some(wal) => wal.append(msg.encode().as_bytes()),
            None => Ok(()),
        }
    }

    /// ACCUM locally: logs the message the replica will produce, then
    /// applies it; returns the message to broadcast.
    pub fn accum(&mut self, addr: usize, delta: W) -> Result<DeltaMsg<W>, Error> {
        let epoch = self.replica.epoch(addr)?;
        let wire_addr =
            u32::try_from(addr).map_err(|_| ReplicaError::TooManyContexts { len: addr })?;
        let next = DeltaMsg::accum(
            self.replica.id(),
            epoch,
            self.replica.next_seq(),
            wire_addr,
            delta,
        );
        self.log(&next)?;
        let msg = self.replica.accum(addr, delta)?;
        debug_assert_eq!(msg, next, "the logged record is the applied one");
        Ok(msg)
    }

    /// Whether the replica has processed `msg` already (or sent it): such a
    /// message changes nothing and needs no record.
    fn known(&self, msg: &DeltaMsg<W>) -> bool {
        let r = &self.replica;
        msg.sender == r.id()
            || msg.seq < r.expected(msg.sender)
            || msg.seq.checked_add(1).is_some_and(|end| {
                !r.missing_iter(msg.sender, end)
                    .any(|gap| gap.contains(&msg.seq))
            })
    }

    /// Applies a peer's message at most once; logs it first unless it was
    /// processed before.
    pub fn apply(&mut self, msg: &DeltaMsg<W>) -> Result<Outcome, Error> {
        if !self.known(msg) {
            self.log(msg)?;
        }
        Ok(self.replica.apply(msg)?)
    }

    /// Applies a delta that came without a sender (a 16-byte compat record)
    /// as the next message of [`ANONYMOUS`], in `addr`'s current epoch: it
    /// is applied every time it arrives, like the original package does.
    pub fn apply_anonymous(&mut self, addr: usize, delta: W) -> Result<Outcome, Error> {
        let epoch = self.replica.epoch(addr)?;
        let wire_addr =
            u32::try_from(addr).map_err(|_| ReplicaError::TooManyContexts { len: addr })?;
        let seq = self.replica.expected(ANONYMOUS);
        self.apply(&DeltaMsg::accum(ANONYMOUS, epoch, seq, wire_addr, delta))
    }

    /// Rewrites the WAL as a snapshot of the replica (atomically); no-op
    /// without a WAL.
    pub fn compact(&mut self) -> Result<(), Error> {
        let Some(wal) = &mut self.wal else {
            return Ok(());
        };
        let header = Header {
            width_bytes: u8::try_from(W::BYTES).unwrap_or(0),
            id: self.replica.id(),
            contexts: u32::try_from(self.replica.table().len()).unwrap_or(u32::MAX),
            config: self.replica.config(),
        };
        let mut contents = header.encode();
        contents.extend(format::encode_snapshot(&self.replica.snapshot()));
        wal.replace(&contents)?;
        Ok(())
    }

    /// Replaces the replica by `f(snapshot)` (same id and size), for state
    /// established out of band. Refused with a WAL, whose records could no
    /// longer replay into it.
    pub fn rebuild(
        &mut self,
        f: impl FnOnce(&mut atomik::replica::ReplicaSnapshot<W>),
    ) -> Result<(), Error> {
        if self.wal.is_some() {
            return Err(Error::Replica(ReplicaError::BadConfig(
                self.replica.config(),
            )));
        }
        let mut snap = self.replica.snapshot();
        f(&mut snap);
        self.replica = Replica::restore(&snap)
            .map_err(|_| Error::Replica(ReplicaError::BadConfig(snap.config)))?;
        Ok(())
    }
}
