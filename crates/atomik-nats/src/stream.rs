//! Names, the table's stream, and batches of v1 frames.
//!
//! Table `T` publishes to subject `atomik.T.deltas` in stream `ATOMIK_T`,
//! and its snapshots live in the object store `atomik-T-snapshots`.

use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, stream};
use atomik::wire::{DeltaMsg, frame_len};

/// The width of every replicated table (the hardware's 64-bit contexts).
pub type W = u64;

/// Bytes of one v1 frame of a `u64` table.
pub const FRAME_LEN: usize = frame_len::<W>();

/// Checks that a table name is usable in a subject, a stream and a bucket name.
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

/// The object store bucket holding a table's snapshots.
pub fn bucket_name(table: &str) -> String {
    format!("atomik-{table}-snapshots")
}

/// Retries `f` while JetStream answers "timed out" or "no responders",
/// which a freshly started or re-electing cluster does for a few seconds.
pub(crate) async fn retry_unavailable<T, E, F, Fut>(what: &str, mut f: F) -> anyhow::Result<T>
where
    E: std::fmt::Display + Send + Sync + std::error::Error + 'static,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut attempt = 0;
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if attempt < 60 && transient(&e.to_string()) => attempt += 1,
            Err(e) => return Err(e).with_context(|| what.to_owned()),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Whether a JetStream error message is one a cluster recovers from by
/// itself (leader election, a forming cluster, a request that timed out).
pub fn transient(msg: &str) -> bool {
    [
        "timed out",
        "no responders",
        "leader",
        "unavailable",
        "not current",
        "no suitable peers",
    ]
    .iter()
    .any(|m| msg.contains(m))
}

/// Creates the table's stream if it does not exist (file storage,
/// `replicas` copies, no limits: nodes purge it below their snapshots).
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
        // within this window, so publisher retries rarely duplicate frames
        // (and the replicas drop the rest).
        duplicate_window: Duration::from_secs(120),
        ..Default::default()
    };
    let what = format!("creating JetStream stream {}", stream_name(table));
    retry_unavailable(&what, || js.get_or_create_stream(cfg.clone())).await
}

/// The stream's first and last sequence (`first > last` when it is empty).
pub async fn bounds(stream: &stream::Stream) -> anyhow::Result<(u64, u64)> {
    let what = "reading the stream's state";
    let info = retry_unavailable(what, || stream.get_info()).await?;
    Ok((info.state.first_sequence, info.state.last_sequence))
}

/// Decodes one NATS message payload: a concatenation of whole v1 frames.
/// A malformed frame is counted and skipped; it never misaligns the rest.
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
