//! Streams, subjects and batches of v1 frames.

use anyhow::Context as _;
use async_nats::jetstream::{self, stream};
use atomik::wire::{DeltaMsg, frame_len};

/// The width of every replicated table (the hardware's 64-bit contexts).
pub type W = u64;

/// Bytes of one v1 frame of a `u64` table.
pub const FRAME_LEN: usize = frame_len::<W>();

/// Checks that a table name is usable in a subject and a stream name.
pub fn check_table_name(table: &str) -> anyhow::Result<()> {
    let ok = !table.is_empty()
        && table.len() <= 64
        && table
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    anyhow::ensure!(
        ok,
        "table name {table:?} must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"
    );
    Ok(())
}

/// The subject a table's deltas are published to.
pub fn subject(table: &str) -> String {
    format!("atomik.{table}.deltas")
}

/// The JetStream stream holding a table's deltas.
pub fn stream_name(table: &str) -> String {
    format!("ATOMIK_{table}")
}

/// Creates the table's stream if it does not exist (file storage, `replicas`
/// copies, every message kept: the stream is the source of truth for recovery).
pub async fn ensure_stream(
    js: &jetstream::Context,
    table: &str,
    replicas: usize,
) -> anyhow::Result<stream::Stream> {
    check_table_name(table)?;
    let cfg = stream::Config {
        name: stream_name(table),
        subjects: vec![subject(table)],
        storage: stream::StorageType::File,
        num_replicas: replicas,
        // JetStream drops a re-published batch with the same Nats-Msg-Id
        // within this window, so publisher retries do not duplicate frames.
        duplicate_window: std::time::Duration::from_secs(120),
        ..Default::default()
    };
    // A freshly started cluster needs a few seconds to elect its meta
    // leader; retry (bounded) before giving up.
    let mut attempt = 0;
    loop {
        match js.get_or_create_stream(cfg.clone()).await {
            Ok(s) => return Ok(s),
            Err(e) if attempt < 30 && e.to_string().contains("timed out") => attempt += 1,
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("creating JetStream stream {}", stream_name(table)));
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// Decodes one NATS message payload: a concatenation of whole v1 frames.
/// A malformed frame is reported and skipped; it never misaligns the rest.
pub fn decode_batch(payload: &[u8]) -> (Vec<DeltaMsg<W>>, usize) {
    let mut msgs = Vec::with_capacity(payload.len() / FRAME_LEN);
    let mut bad = 0;
    for r in atomik::wire::Frames::<W>::new(payload) {
        match r {
            Ok(m) => msgs.push(m),
            Err(_) => bad += 1,
        }
    }
    (msgs, bad)
}
