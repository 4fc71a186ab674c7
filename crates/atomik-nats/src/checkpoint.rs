//! Checkpoints: the table, the replica state and the last applied stream sequence.
//!
//! # File format (little endian)
//! `"ATMKCKPT"`, format version `u32` (1), body length `u64`, body, then the
//! XXH32 (seed 0) of everything before it. The body holds the table name, the
//! last applied stream sequence, the [`ReplicaSnapshot`] (id, dedup bounds,
//! next own seq, counters, contexts, epochs, per-sender receive windows) and
//! the messages refused-but-not-consumed that wait for their LOAD.
//!
//! A checkpoint is written atomically: a temp file in the same directory,
//! `fsync`, `rename` over the old one, `fsync` of the directory. A torn or
//! corrupted file fails the length or checksum test and is refused with
//! [`CheckpointError`]; the stream, not the checkpoint, is the source of truth.
//!
//! The same bytes, uploaded to the table's object store, are a snapshot
//! (see [`crate::snapshot`]).

use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use atomik::replica::{PeerSnapshot, ReplicaSnapshot};
use atomik::wire::{DeltaMsg, xxh32};
use atomik::{Context, ReplicaConfig, ReplicaStats};

use crate::stream::{FRAME_LEN, W};

const MAGIC: &[u8; 8] = b"ATMKCKPT";
const FORMAT: u32 = 1;
/// Magic, format and body length.
const PREFIX: usize = 8 + 4 + 8;

/// What a node saves and restores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The table (stream) name.
    pub table: String,
    /// Every stream message up to this sequence is reflected in `replica`.
    pub stream_seq: u64,
    /// The replica's complete state.
    pub replica: ReplicaSnapshot<W>,
    /// Received messages refused for now (future epoch, beyond window); retried later.
    pub pending: Vec<DeltaMsg<W>>,
}

/// Why a checkpoint file cannot be used or written.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Reading or writing failed; a failed write leaves the previous
    /// checkpoint in place (the new one is renamed over it only once fsynced).
    #[error("checkpoint {path}: {step} failed: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done: `read`, `create temp file`, `write`,
        /// `fsync`, `rename`, `fsync directory`.
        step: &'static str,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a checkpoint, is torn, or its checksum does not match.
    #[error("checkpoint {path} is corrupt ({why}); refusing it")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What failed.
        why: String,
    },
}

/// Appends little-endian fields.
struct Out(Vec<u8>);

impl Out {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }
}

/// Reads little-endian fields, failing (never panicking) on truncation.
struct In<'a>(&'a [u8]);

impl In<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        if self.0.len() < n {
            return Err(format!(
                "truncated: need {n} more bytes, have {}",
                self.0.len()
            ));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, String> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }
    /// A count of items of `item` bytes each, bounded by the bytes left.
    fn count(&mut self, item: usize) -> Result<usize, String> {
        let n = usize::try_from(self.u64()?).map_err(|_| "count overflows usize".to_owned())?;
        if n.saturating_mul(item) > self.0.len() {
            return Err(format!("count {n} exceeds the remaining bytes"));
        }
        Ok(n)
    }
}

impl Checkpoint {
    /// The file bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Out(Vec::new());
        b.len(self.table.len());
        b.0.extend_from_slice(self.table.as_bytes());
        b.u64(self.stream_seq);
        encode_snapshot(&mut b, &self.replica);
        b.len(self.pending.len());
        for m in &self.pending {
            b.0.extend_from_slice(m.encode().as_bytes());
        }
        let body = b.0;
        let mut f = Out(Vec::with_capacity(PREFIX + body.len() + 4));
        f.0.extend_from_slice(MAGIC);
        f.u32(FORMAT);
        f.len(body.len());
        f.0.extend_from_slice(&body);
        let sum = xxh32(&f.0, 0);
        f.u32(sum);
        f.0
    }

    /// Parses and verifies file bytes.
    pub fn decode(bytes: &[u8]) -> Result<Checkpoint, String> {
        if bytes.len() < PREFIX + 4 || &bytes[..8] != MAGIC {
            return Err("not a checkpoint file (bad magic or too short)".into());
        }
        let (data, sum) = bytes.split_at(bytes.len() - 4);
        let mut i = In(&data[8..]);
        let format = i.u32()?;
        if format != FORMAT {
            return Err(format!("unsupported checkpoint format {format}"));
        }
        let body_len = i.u64()?;
        if body_len != (data.len() - PREFIX) as u64 {
            return Err(format!(
                "torn file: body is {} bytes, header says {body_len}",
                data.len() - PREFIX
            ));
        }
        let stored = u32::from_le_bytes([sum[0], sum[1], sum[2], sum[3]]);
        let computed = xxh32(data, 0);
        if stored != computed {
            return Err(format!(
                "checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"
            ));
        }
        let n = i.count(1)?;
        let table = String::from_utf8(i.take(n)?.to_vec()).map_err(|e| e.to_string())?;
        let stream_seq = i.u64()?;
        let replica = decode_snapshot(&mut i)?;
        let n = i.count(FRAME_LEN)?;
        let mut pending = Vec::with_capacity(n);
        for _ in 0..n {
            let (m, _) = DeltaMsg::<W>::decode(i.take(FRAME_LEN)?).map_err(|e| e.to_string())?;
            pending.push(m);
        }
        if !i.0.is_empty() {
            return Err(format!("{} unexpected trailing bytes", i.0.len()));
        }
        Ok(Checkpoint {
            table,
            stream_seq,
            replica,
            pending,
        })
    }

    /// Writes atomically: temp file, fsync, rename, fsync of the directory.
    /// On any failure the temp file is removed (best effort) and the
    /// previous checkpoint, if any, is untouched, so a full, read-only or
    /// failing disk never leaves a file that loads with wrong contents.
    pub fn save(&self, path: &Path) -> Result<(), CheckpointError> {
        let tmp = path.with_extension("tmp");
        let r = write_synced(&tmp, &self.encode());
        let r = r.and_then(|()| fs::rename(&tmp, path).map_err(|e| ("rename", e)));
        let r = r.and_then(|()| {
            let dir = path.parent().unwrap_or(Path::new("."));
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| ("fsync directory", e))
        });
        r.map_err(|(step, source)| {
            if step != "fsync directory" {
                let _ = fs::remove_file(&tmp);
            }
            CheckpointError::Io {
                path: path.to_owned(),
                step,
                source,
            }
        })
    }

    /// Loads a checkpoint; `Ok(None)` when there is none yet.
    pub fn load(path: &Path) -> Result<Option<Checkpoint>, CheckpointError> {
        match fs::read(path) {
            Ok(b) => Checkpoint::decode(&b)
                .map(Some)
                .map_err(|why| CheckpointError::Corrupt {
                    path: path.to_owned(),
                    why,
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(CheckpointError::Io {
                path: path.to_owned(),
                step: "read",
                source,
            }),
        }
    }
}

/// Creates `tmp`, writes `bytes` and fsyncs it, naming the step that failed.
fn write_synced(tmp: &Path, bytes: &[u8]) -> Result<(), (&'static str, std::io::Error)> {
    let mut f = File::create(tmp).map_err(|e| ("create temp file", e))?;
    f.write_all(bytes).map_err(|e| ("write", e))?;
    f.sync_all().map_err(|e| ("fsync", e))
}

fn encode_snapshot(b: &mut Out, s: &ReplicaSnapshot<W>) {
    b.u32(s.id);
    b.u32(s.config.window);
    b.len(s.config.max_senders);
    b.u64(s.next_seq);
    for v in [
        s.stats.applied,
        s.stats.duplicates,
        s.stats.stale,
        s.stats.refused,
    ] {
        b.u64(v);
    }
    b.len(s.contexts.len());
    for c in &s.contexts {
        b.u64(c.reference());
        b.u64(c.accumulator());
        b.u32(c.delta_count());
    }
    for &e in &s.epochs {
        b.u64(e);
    }
    b.len(s.peers.len());
    for p in &s.peers {
        b.u32(p.sender);
        b.u64(p.base);
        b.len(p.received.len());
        for &r in &p.received {
            b.u64(r);
        }
    }
}

fn decode_snapshot(i: &mut In<'_>) -> Result<ReplicaSnapshot<W>, String> {
    let id = i.u32()?;
    let window = i.u32()?;
    let max_senders = usize::try_from(i.u64()?).map_err(|e| e.to_string())?;
    let next_seq = i.u64()?;
    let stats = ReplicaStats {
        applied: i.u64()?,
        duplicates: i.u64()?,
        stale: i.u64()?,
        refused: i.u64()?,
    };
    let n = i.count(20 + 8)?;
    let mut contexts = Vec::with_capacity(n);
    for _ in 0..n {
        contexts.push(Context::from_parts(i.u64()?, i.u64()?, i.u32()?));
    }
    let epochs = (0..n).map(|_| i.u64()).collect::<Result<Vec<_>, _>>()?;
    let np = i.count(4 + 8 + 8)?;
    let mut peers = Vec::with_capacity(np);
    for _ in 0..np {
        let sender = i.u32()?;
        let base = i.u64()?;
        let nr = i.count(8)?;
        let received = (0..nr).map(|_| i.u64()).collect::<Result<Vec<_>, _>>()?;
        peers.push(PeerSnapshot {
            sender,
            base,
            received,
        });
    }
    Ok(ReplicaSnapshot {
        id,
        config: ReplicaConfig {
            window,
            max_senders,
        },
        next_seq,
        contexts,
        epochs,
        peers,
        stats,
    })
}
