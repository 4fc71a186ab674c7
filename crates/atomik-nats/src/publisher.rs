//! Batching publisher: v1 frames into NATS messages, acknowledged by JetStream.
//!
//! The node appends frames with [`Publisher::push`], which never waits for
//! the network: a node cut off from every server keeps taking local
//! updates. A batch is closed ([`Publisher::seal`]) when it is full, when
//! the node has nothing else queued (linger 0, the default: no added
//! latency), or when its first frame has waited the configured linger.
//! Closed batches go to one task that publishes them in order and keeps
//! every acknowledgement in flight at once. Each batch carries a
//! `Nats-Msg-Id` of `<sender>-<first seq>`, so a batch re-published after a
//! lost acknowledgement is dropped by JetStream's duplicate window (and by
//! the replicas' dedup beyond it).
//!
//! A batch whose acknowledgement fails (server killed, leader election,
//! partition) is re-published until it succeeds, with a growing pause up
//! to 2 s; the last error is visible in the node's status meanwhile. The
//! node bounds how many frames may wait unacknowledged and refuses local
//! updates beyond that with a clear error.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, context::Publish};
use atomik::wire::DeltaMsg;
use bytes::Bytes;
use futures_util::StreamExt as _;
use futures_util::stream::FuturesOrdered;
use tokio::sync::{mpsc, watch};

use crate::stream::{FRAME_LEN, W};

/// Batches whose acknowledgement may be outstanding at once.
const MAX_IN_FLIGHT: usize = 4096;

/// Where the acknowledgements stand.
#[derive(Clone, Debug, Default)]
pub(crate) struct AckState {
    /// Every own seq below this is in the stream.
    pub(crate) through: u64,
    /// Why the oldest unacknowledged batch is being re-published, if it is.
    pub(crate) retrying: Option<String>,
}

/// A closed batch.
struct Batch {
    payload: Bytes,
    id: String,
    end_seq: u64,
}

/// Buffers frames and hands closed batches to the publishing task.
#[derive(Debug)]
pub(crate) struct Publisher {
    buf: Vec<u8>,
    first_seq: u64,
    opened: Option<Instant>,
    batch: usize,
    linger: Duration,
    /// One past the last own seq handed to the publishing task.
    sent_through: u64,
    /// One past the last own seq pushed (sent or still in `buf`).
    pushed_through: u64,
    max_unacked: u64,
    tx: mpsc::UnboundedSender<Batch>,
    acked: watch::Receiver<AckState>,
    /// NATS messages (batches) closed so far.
    pub(crate) batches: u64,
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Batch({}, {} bytes)", self.id, self.payload.len())
    }
}

impl Publisher {
    /// A publisher for `subject` whose next own seq is `next_seq`.
    pub(crate) fn new(
        js: jetstream::Context,
        subject: String,
        (batch, linger, max_unacked): (usize, Duration, u64),
        next_seq: u64,
    ) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let (acked_tx, acked) = watch::channel(AckState {
            through: next_seq,
            retrying: None,
        });
        tokio::spawn(publish_loop(js, subject, rx, acked_tx));
        Publisher {
            buf: Vec::with_capacity(batch.max(1) * FRAME_LEN),
            first_seq: next_seq,
            opened: None,
            batch: batch.max(1),
            linger,
            sent_through: next_seq,
            pushed_through: next_seq,
            max_unacked,
            tx,
            acked,
            batches: 0,
        }
    }

    /// Whether `n` more frames fit under the unacknowledged bound.
    pub(crate) fn check_room(&self, n: usize) -> anyhow::Result<()> {
        let waiting = self.pushed_through - self.acked.borrow().through;
        if waiting + n as u64 > self.max_unacked {
            let why = self.acked.borrow().retrying.clone();
            anyhow::bail!(
                "{waiting} updates wait for JetStream's acknowledgement (limit {}); refusing more \
                 until the stream is reachable again{}",
                self.max_unacked,
                why.map(|w| format!(" (last error: {w})"))
                    .unwrap_or_default()
            );
        }
        Ok(())
    }

    /// Queues one own message; closes the batch when it is full.
    pub(crate) fn push(&mut self, msg: &DeltaMsg<W>) {
        if self.buf.is_empty() {
            self.first_seq = msg.seq;
            self.opened = Some(Instant::now());
        }
        self.buf.extend_from_slice(msg.encode().as_bytes());
        self.pushed_through = msg.seq + 1;
        if self.buf.len() >= self.batch * FRAME_LEN {
            self.seal();
        }
    }

    /// When the open batch must be closed at the latest, if one is open.
    pub(crate) fn due(&self) -> Option<Instant> {
        self.opened.map(|t| t + self.linger)
    }

    /// Whether the open batch may be closed now that the node is idle.
    pub(crate) fn idle_flush(&self) -> bool {
        self.linger.is_zero() && !self.buf.is_empty()
    }

    /// Closes the open batch, if any, and hands it to the publishing task.
    pub(crate) fn seal(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let payload = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(self.batch * FRAME_LEN),
        ));
        let frames = (payload.len() / FRAME_LEN) as u64;
        let id = format!("{:x}-{}", sender_of(&payload), self.first_seq);
        self.opened = None;
        self.sent_through = self.first_seq + frames;
        self.batches += 1;
        // The task only stops with the runtime; a send error then is moot.
        let _ = self.tx.send(Batch {
            payload,
            id,
            end_seq: self.sent_through,
        });
    }

    /// One past the last own seq handed to the publishing task.
    pub(crate) fn sent_through(&self) -> u64 {
        self.sent_through
    }

    /// The acknowledgement state.
    pub(crate) fn acked(&self) -> AckState {
        self.acked.borrow().clone()
    }

    /// Changes of the acknowledgement state.
    pub(crate) fn watch(&self) -> watch::Receiver<AckState> {
        self.acked.clone()
    }

    /// A future, independent of `self`, that resolves once every own seq
    /// below `target` is acknowledged. It waits as long as that takes
    /// (re-publishing never gives up); callers bound it.
    pub(crate) fn acked_through(
        &self,
        target: u64,
    ) -> impl std::future::Future<Output = anyhow::Result<()>> + Send + 'static {
        let mut acked = self.acked.clone();
        async move {
            acked
                .wait_for(|s| s.through >= target)
                .await
                .map(drop)
                .map_err(|_| anyhow::anyhow!("the publishing task stopped"))
        }
    }
}

fn sender_of(payload: &Bytes) -> u32 {
    // Every frame of a batch has the same sender (bytes 4..8 of a frame).
    u32::from_le_bytes([payload[4], payload[5], payload[6], payload[7]])
}

async fn publish(
    js: &jetstream::Context,
    subject: &str,
    b: &Batch,
) -> anyhow::Result<jetstream::context::PublishAckFuture> {
    let p = Publish::build()
        .payload(b.payload.clone())
        .message_id(&b.id);
    Ok(js.send_publish(subject.to_owned(), p).await?)
}

/// Awaits the acknowledgement of `b`, re-publishing it until JetStream
/// stores it; returns its end seq.
async fn until_acked(
    js: jetstream::Context,
    subject: Arc<str>,
    b: Batch,
    first: Option<jetstream::context::PublishAckFuture>,
    state: Arc<watch::Sender<AckState>>,
) -> u64 {
    let mut ack = first;
    let mut pause = Duration::from_millis(100);
    loop {
        let r = match ack.take() {
            Some(a) => a.await.map(drop).map_err(anyhow::Error::from),
            None => match publish(&js, &subject, &b).await {
                Ok(a) => a.await.map(drop).map_err(anyhow::Error::from),
                Err(e) => Err(e),
            },
        };
        match r {
            Ok(()) => return b.end_seq,
            Err(e) => {
                state.send_modify(|s| s.retrying = Some(format!("batch {}: {e}", b.id)));
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
        }
    }
}

/// Publishes batches in order and completes their acknowledgements in
/// order, with every acknowledgement in flight at once.
async fn publish_loop(
    js: jetstream::Context,
    subject: String,
    mut rx: mpsc::UnboundedReceiver<Batch>,
    state: watch::Sender<AckState>,
) {
    let state = Arc::new(state);
    let subject: Arc<str> = subject.into();
    let mut in_flight = FuturesOrdered::new();
    let mut open = true;
    while open || !in_flight.is_empty() {
        tokio::select! {
            b = rx.recv(), if open && in_flight.len() < MAX_IN_FLIGHT => match b {
                Some(b) => {
                    let first = publish(&js, &subject, &b).await.ok();
                    in_flight.push_back(until_acked(js.clone(), subject.clone(), b, first, state.clone()));
                }
                None => open = false,
            },
            Some(end) = in_flight.next() => state.send_modify(|s| {
                s.through = end;
                s.retrying = None;
            }),
        }
    }
}
