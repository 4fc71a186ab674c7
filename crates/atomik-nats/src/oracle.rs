//! An independent model of what every replica must converge to.
//!
//! It does not use [`atomik::Replica`]: it reads every message in the stream,
//! keeps each `(sender, seq)` once (a hash set, not a window), and computes
//! each context as the LOAD with the highest epoch XOR every ACCUM of that
//! epoch (epoch 0 starts at reference 0). Tests and `atomik cluster` compare
//! node tables with it bit for bit.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer};
use atomik::wire::{DeltaMsg, MsgKind};
use futures_util::StreamExt as _;

use crate::stream::{self, W};

/// The messages of a stream, each `(sender, seq)` once, with how many extra
/// copies the stream held.
#[derive(Debug, Default)]
pub struct StreamContents {
    /// Distinct messages in stream order of first appearance.
    pub msgs: Vec<DeltaMsg<W>>,
    /// Frames whose `(sender, seq)` appeared earlier in the stream.
    pub copies: u64,
    /// NATS messages read.
    pub batches: u64,
}

/// Reads a table's whole stream through an ephemeral consumer (bounded by `timeout`).
pub async fn read_stream(
    js: &jetstream::Context,
    table: &str,
    timeout: Duration,
) -> anyhow::Result<StreamContents> {
    let mut st = js.get_stream(stream::stream_name(table)).await?;
    let end = st.info().await?.state.last_sequence;
    let mut out = StreamContents::default();
    if end == 0 {
        return Ok(out);
    }
    let c = st
        .create_consumer(consumer::pull::Config {
            ack_policy: consumer::AckPolicy::None,
            ..Default::default()
        })
        .await?;
    let mut msgs = c.messages().await?;
    let mut seen = HashSet::new();
    let deadline = tokio::time::Instant::now() + timeout;
    let mut seq = 0;
    while seq < end {
        let m = tokio::time::timeout_at(deadline, msgs.next())
            .await
            .context("reading the stream timed out")?
            .context("stream ended early")?
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        seq = m
            .info()
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .stream_sequence;
        out.batches += 1;
        for d in stream::decode_batch(&m.payload).0 {
            if seen.insert((d.sender, d.seq)) {
                out.msgs.push(d);
            } else {
                out.copies += 1;
            }
        }
    }
    Ok(out)
}

/// The table every replica must hold after processing `msgs` (distinct).
pub fn expected(msgs: &[DeltaMsg<W>], contexts: usize) -> Vec<W> {
    // Per context: (winning epoch, its LOAD value).
    let mut loads: HashMap<u32, (u64, W)> = HashMap::new();
    for m in msgs.iter().filter(|m| m.kind == MsgKind::Load) {
        let e = loads.entry(m.addr).or_insert((0, 0));
        if m.epoch > e.0 {
            *e = (m.epoch, m.value);
        }
    }
    let mut table: Vec<W> = (0..contexts)
        .map(|a| {
            u32::try_from(a)
                .ok()
                .and_then(|a| loads.get(&a))
                .map_or(0, |l| l.1)
        })
        .collect();
    for m in msgs.iter().filter(|m| m.kind == MsgKind::Accum) {
        let epoch = loads.get(&m.addr).map_or(0, |l| l.0);
        if m.epoch == epoch {
            if let Some(v) = usize::try_from(m.addr).ok().and_then(|a| table.get_mut(a)) {
                *v ^= m.value;
            }
        }
    }
    table
}
