//! The bytes of a WAL file.
//!
//! ```text
//! header    "ATMKWAL1" | width bytes u8 | 3 reserved (0) | sender id u32 |
//!           contexts u32 | window u32 | max_senders u32 | XXH32 of the above
//! snapshot  (only right after the header, written by compaction)
//!           "SNAP" | body length u32 | body | XXH32 of tag, length and body
//! records   wire v1 frames of the header's width, back to back
//! ```
//!
//! All integers are little-endian; the checksums are XXH32 with seed 0, the
//! same as the wire's. A frame carries its own checksum, kind, sender, epoch
//! and seq, so one record type serves local puts, received messages and
//! anonymous (16-byte compat) deltas alike. The snapshot body is a
//! [`ReplicaSnapshot`]: next own seq, counters, every context, every epoch,
//! every sender's receive window.

use atomik::replica::{PeerSnapshot, ReplicaSnapshot};
use atomik::wire::xxh32;
use atomik::{Context, ReplicaConfig, ReplicaStats, Word};

/// First bytes of every WAL file.
pub const MAGIC: &[u8; 8] = b"ATMKWAL1";
/// Length of the header.
pub const HEADER_LEN: usize = 8 + 4 + 4 * 4 + 4;
const SNAP_TAG: &[u8; 4] = b"SNAP";

/// Whether `bytes` is a WAL whose creation stopped before its header was
/// complete (empty, or a prefix of a header): nothing can have been
/// acknowledged in it, since every write waits for the fsynced header.
pub fn is_torn_creation(bytes: &[u8]) -> bool {
    bytes.len() < HEADER_LEN && MAGIC.starts_with(&bytes[..bytes.len().min(MAGIC.len())])
}

/// What a WAL belongs to: fixed when the file is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Bytes of a context value (1, 2, 4, 8 or 16): the frames' width.
    pub width_bytes: u8,
    /// The replica's sender id: its own records are the ones with this sender.
    pub id: u32,
    /// Number of contexts.
    pub contexts: u32,
    /// Dedup bounds of the replica.
    pub config: ReplicaConfig,
}

impl Header {
    /// The header's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[self.width_bytes, 0, 0, 0]);
        out.extend_from_slice(&self.id.to_le_bytes());
        out.extend_from_slice(&self.contexts.to_le_bytes());
        out.extend_from_slice(&self.config.window.to_le_bytes());
        let senders = u32::try_from(self.config.max_senders).unwrap_or(u32::MAX);
        out.extend_from_slice(&senders.to_le_bytes());
        let sum = xxh32(&out, 0);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// Decodes the header at the start of `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<Header, String> {
        let h = bytes
            .get(..HEADER_LEN)
            .ok_or_else(|| format!("{} bytes, shorter than a header", bytes.len()))?;
        if &h[..8] != MAGIC {
            return Err("no atomik WAL header (a WAL of atomik-core 0.4.0 has none)".into());
        }
        let body = HEADER_LEN - 4;
        if xxh32(&h[..body], 0) != u32_at(h, body) {
            return Err("header checksum mismatch".into());
        }
        if h[9..12] != [0, 0, 0] {
            return Err("reserved header bytes are not zero".into());
        }
        Ok(Header {
            width_bytes: h[8],
            id: u32_at(h, 12),
            contexts: u32_at(h, 16),
            config: ReplicaConfig {
                window: u32_at(h, 20),
                max_senders: u32_at(h, 24) as usize,
            },
        })
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// The snapshot record of `s`.
pub fn encode_snapshot<W: Word>(s: &ReplicaSnapshot<W>) -> Vec<u8> {
    let mut body = Vec::new();
    for v in [s.next_seq, s.stats.applied, s.stats.duplicates] {
        body.extend_from_slice(&v.to_le_bytes());
    }
    for v in [s.stats.stale, s.stats.refused] {
        body.extend_from_slice(&v.to_le_bytes());
    }
    let mut word = vec![0u8; W::BYTES];
    for (c, e) in s.contexts.iter().zip(&s.epochs) {
        for w in [c.reference(), c.accumulator()] {
            w.write_le(&mut word);
            body.extend_from_slice(&word);
        }
        body.extend_from_slice(&c.delta_count().to_le_bytes());
        body.extend_from_slice(&e.to_le_bytes());
    }
    body.extend_from_slice(&(s.peers.len() as u64).to_le_bytes());
    for p in &s.peers {
        body.extend_from_slice(&u64::from(p.sender).to_le_bytes());
        body.extend_from_slice(&p.base.to_le_bytes());
        body.extend_from_slice(&(p.received.len() as u64).to_le_bytes());
        for r in &p.received {
            body.extend_from_slice(&r.to_le_bytes());
        }
    }
    let mut out = Vec::with_capacity(body.len() + 12);
    out.extend_from_slice(SNAP_TAG);
    out.extend_from_slice(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(&body);
    let sum = xxh32(&out, 0);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

/// Whether `bytes` starts with a snapshot record's tag.
pub fn is_snapshot(bytes: &[u8]) -> bool {
    bytes.starts_with(SNAP_TAG)
}

/// Decodes the snapshot record at the start of `bytes` for `header`;
/// returns it and its length in bytes.
pub fn decode_snapshot<W: Word>(
    bytes: &[u8],
    header: &Header,
) -> Result<(ReplicaSnapshot<W>, usize), String> {
    let len = bytes
        .get(4..8)
        .map(|b| u32_at(b, 0) as usize)
        .ok_or("truncated snapshot")?;
    let total = 8 + len + 4;
    let rec = bytes.get(..total).ok_or("truncated snapshot")?;
    if xxh32(&rec[..8 + len], 0) != u32_at(rec, 8 + len) {
        return Err("snapshot checksum mismatch".into());
    }
    let mut r = Reader {
        b: &rec[8..8 + len],
        at: 0,
    };
    let snap = read_snapshot::<W>(&mut r, header).ok_or("malformed snapshot body")?;
    if r.at != len {
        return Err("snapshot body has trailing bytes".into());
    }
    Ok((snap, total))
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8).map(|b| u64_at(b, 0))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32_at(b, 0))
    }
}

fn read_snapshot<W: Word>(r: &mut Reader<'_>, h: &Header) -> Option<ReplicaSnapshot<W>> {
    let next_seq = r.u64()?;
    let stats = ReplicaStats {
        applied: r.u64()?,
        duplicates: r.u64()?,
        stale: r.u64()?,
        refused: r.u64()?,
    };
    let n = h.contexts as usize;
    let (mut contexts, mut epochs) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let reference = W::from_le_slice(r.take(W::BYTES)?);
        let accumulator = W::from_le_slice(r.take(W::BYTES)?);
        contexts.push(Context::from_parts(reference, accumulator, r.u32()?));
        epochs.push(r.u64()?);
    }
    let senders = usize::try_from(r.u64()?).ok()?;
    if senders > h.config.max_senders {
        return None;
    }
    let mut peers = Vec::new();
    for _ in 0..senders {
        let sender = u32::try_from(r.u64()?).ok()?;
        let base = r.u64()?;
        let count = usize::try_from(r.u64()?).ok()?;
        if count > h.config.window as usize {
            return None;
        }
        let received = (0..count).map(|_| r.u64()).collect::<Option<Vec<_>>>()?;
        peers.push(PeerSnapshot {
            sender,
            base,
            received,
        });
    }
    Some(ReplicaSnapshot {
        id: h.id,
        config: h.config,
        next_seq,
        contexts,
        epochs,
        peers,
        stats,
    })
}
