//! An independent model of what every replica must converge to, and an
//! audit of what the stream held.
//!
//! [`expected`] does not use [`atomik::Replica`]: given distinct updates,
//! it computes each context as the LOAD with the highest epoch XOR every
//! ACCUM of that epoch (epoch 0 starts at reference 0). Callers feed it
//! the updates *they issued* (as the nodes acknowledged them: sender, seq,
//! epoch), restricted to those the stream holds.
//!
//! [`Audit`] reads a table's stream from its first message through a
//! durable consumer of its own, while the run goes on. Because it keeps
//! reading, the nodes' purge waits for it (an active reader holds the
//! purge below what it still needs), so it sees every message even though
//! the stream itself is kept short. It reports any message it missed.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer};
use atomik::wire::{DeltaMsg, MsgKind};
use atomik_nats::stream::{self, W, decode_batch};
use futures_util::StreamExt as _;

/// The table every replica must hold after processing `msgs` (distinct updates).
pub fn expected<'a>(
    msgs: impl IntoIterator<Item = &'a DeltaMsg<W>> + Clone,
    contexts: usize,
) -> Vec<W> {
    // Per context: (winning epoch, its LOAD value).
    let mut loads: HashMap<u32, (u64, W)> = HashMap::new();
    for m in msgs.clone().into_iter().filter(|m| m.kind == MsgKind::Load) {
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
    for m in msgs.into_iter().filter(|m| m.kind == MsgKind::Accum) {
        let epoch = loads.get(&m.addr).map_or(0, |l| l.0);
        if m.epoch == epoch {
            if let Some(v) = usize::try_from(m.addr).ok().and_then(|a| table.get_mut(a)) {
                *v ^= m.value;
            }
        }
    }
    table
}

/// What an audit saw.
#[derive(Debug, Default)]
pub struct Audited {
    /// Distinct updates, by identity.
    pub msgs: HashMap<(u32, u64), DeltaMsg<W>>,
    /// Frames whose `(sender, seq)` the stream held more than once.
    pub copies: u64,
    /// Every stream sequence up to this one was read.
    pub contiguous: u64,
    /// Sequences read above `contiguous` (delivered out of order).
    above: BTreeSet<u64>,
    /// Stream sequences the audit can never read (purged before it read them).
    pub missed: Vec<(u64, u64)>,
    /// Malformed frames.
    pub bad_frames: u64,
}

impl Audited {
    /// Records stream message `seq` unless it was read before.
    fn record(&mut self, seq: u64, payload: &[u8]) {
        if seq <= self.contiguous || !self.above.insert(seq) {
            return;
        }
        while self.above.remove(&(self.contiguous + 1)) {
            self.contiguous += 1;
        }
        let (msgs, bad) = decode_batch(payload);
        self.bad_frames += bad as u64;
        for m in msgs {
            if self.msgs.insert((m.sender, m.seq), m).is_some() {
                self.copies += 1;
            }
        }
    }

    /// The stream starts at `first`: unread sequences below it are lost to the audit.
    fn give_up_below(&mut self, first: u64) {
        while self.contiguous + 1 < first {
            let from = self.contiguous + 1;
            let to = self
                .above
                .range(from..)
                .next()
                .map_or(first - 1, |&a| (a - 1).min(first - 1));
            self.missed.push((from, to));
            self.contiguous = to;
            while self.above.remove(&(self.contiguous + 1)) {
                self.contiguous += 1;
            }
        }
    }
}

/// Reads a table's stream as it grows; stops when dropped.
#[derive(Debug)]
pub struct Audit {
    seen: Arc<Mutex<Audited>>,
    stream: jetstream::stream::Stream,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Audit {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const AUDITOR: &str = "atomik-audit";

impl Audit {
    /// Starts auditing `table` (creating its stream with `replicas` copies if needed).
    pub async fn start(
        js: &jetstream::Context,
        table: &str,
        replicas: usize,
    ) -> anyhow::Result<Audit> {
        let stream = stream::ensure_stream(js, table, replicas).await?;
        let seen = Arc::new(Mutex::new(Audited::default()));
        let task = tokio::spawn(audit(stream.clone(), seen.clone()));
        Ok(Audit { seen, stream, task })
    }

    /// What it has seen so far.
    pub fn seen(&self) -> std::sync::MutexGuard<'_, Audited> {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits until it has read every sequence through `seq`, or knows the
    /// stream no longer holds the ones it lacks (checking every 100 ms).
    pub async fn reach(&self, seq: u64) {
        while self.seen().contiguous < seq {
            if let Ok(info) = self.stream.get_info().await {
                self.seen().give_up_below(info.state.first_sequence);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Audit {
    /// Where the audit stands, for an error message.
    pub async fn describe(&self) -> String {
        let (contiguous, above) = {
            let a = self.seen();
            (a.contiguous, a.above.len())
        };
        let c = match self
            .stream
            .get_consumer::<consumer::pull::Config>(AUDITOR)
            .await
        {
            Ok(mut c) => match c.info().await {
                Ok(i) => format!(
                    "consumer delivered {}, ack floor {}, {} pending, {} unacknowledged, {} pulls waiting",
                    i.delivered.stream_sequence,
                    i.ack_floor.stream_sequence,
                    i.num_pending,
                    i.num_ack_pending,
                    i.num_waiting
                ),
                Err(e) => format!("consumer info: {e}"),
            },
            Err(e) => format!("consumer: {e}"),
        };
        format!("the audit read every sequence through {contiguous} and {above} beyond; {c}")
    }
}

fn record(seen: &Mutex<Audited>, seq: u64, payload: &[u8]) {
    if let Ok(mut a) = seen.lock() {
        a.record(seq, payload);
    }
}

/// Reads through the durable consumer, reopening it after any failure.
async fn audit(st: jetstream::stream::Stream, seen: Arc<Mutex<Audited>>) {
    loop {
        let next = seen.lock().map(|a| a.contiguous + 1).unwrap_or(1);
        let _ = read_from(&st, &seen, next).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The audit's durable consumer: the existing one (its acknowledgement
/// floor keeps holding the purge while the audit reconnects), or a new
/// one at `next` if there is none.
async fn auditor(
    st: &jetstream::stream::Stream,
    next: u64,
) -> anyhow::Result<jetstream::consumer::Consumer<consumer::pull::Config>> {
    if let Ok(c) = st.get_consumer(AUDITOR).await {
        return Ok(c);
    }
    Ok(st
        .create_consumer(consumer::pull::Config {
            durable_name: Some(AUDITOR.into()),
            deliver_policy: match next {
                0 | 1 => consumer::DeliverPolicy::All,
                n => consumer::DeliverPolicy::ByStartSequence { start_sequence: n },
            },
            // Explicit: a message delivered to a pull that died is
            // delivered again (after `ack_wait`), and acknowledging a later
            // one does not acknowledge it.
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait: Duration::from_secs(2),
            max_ack_pending: 100_000,
            ..Default::default()
        })
        .await?)
}

async fn read_from(
    st: &jetstream::stream::Stream,
    seen: &Mutex<Audited>,
    next: u64,
) -> anyhow::Result<()> {
    let c = auditor(st, next).await?;
    let mut msgs = c
        .stream()
        .max_messages_per_batch(256)
        .heartbeat(Duration::from_secs(1))
        .expires(Duration::from_secs(5))
        .messages()
        .await?;
    while let Some(m) = msgs.next().await {
        let m = m?;
        let seq = m
            .info()
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .stream_sequence;
        record(seen, seq, &m.payload);
        m.ack().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(())
}

/// Reads a table's whole stream once through an ephemeral consumer
/// (bounded by `timeout`); for tests whose stream was never purged.
pub async fn read_stream(
    js: &jetstream::Context,
    table: &str,
    timeout: Duration,
) -> anyhow::Result<Audited> {
    let st = js.get_stream(stream::stream_name(table)).await?;
    let end = st.get_info().await?.state.last_sequence;
    let seen = Mutex::new(Audited::default());
    if end == 0 {
        return Ok(seen.into_inner().unwrap_or_default());
    }
    let c = st
        .create_consumer(consumer::pull::Config {
            ack_policy: consumer::AckPolicy::None,
            ..Default::default()
        })
        .await?;
    let mut msgs = c.messages().await?;
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let m = tokio::time::timeout_at(deadline, msgs.next())
            .await
            .context("reading the stream timed out")?
            .context("stream ended early")?
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let seq = m
            .info()
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .stream_sequence;
        record(&seen, seq, &m.payload);
        if seq >= end {
            break;
        }
    }
    Ok(seen.into_inner().unwrap_or_default())
}

/// Issued updates that the stream holds, with the content the issuer recorded.
pub fn issued_in_stream<'a>(
    issued: &'a HashMap<(u32, u64), DeltaMsg<W>>,
    audited: &'a Audited,
) -> impl Iterator<Item = &'a DeltaMsg<W>> + Clone {
    issued
        .iter()
        .filter(|(id, _)| audited.msgs.contains_key(id))
        .map(|(_, m)| m)
}

/// Frames in the stream that nobody issued, or whose content differs from what was issued.
pub fn phantoms(issued: &HashMap<(u32, u64), DeltaMsg<W>>, audited: &Audited) -> u64 {
    audited
        .msgs
        .iter()
        .filter(|(id, m)| issued.get(id) != Some(m))
        .count() as u64
}

/// Issued identities in `committed` that the stream does not hold.
pub fn lost(committed: &HashSet<(u32, u64)>, audited: &Audited) -> u64 {
    committed
        .iter()
        .filter(|id| !audited.msgs.contains_key(id))
        .count() as u64
}
