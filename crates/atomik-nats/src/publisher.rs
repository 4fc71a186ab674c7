//! Batching publisher: v1 frames into NATS messages, acknowledged by JetStream.
//!
//! Frames are appended to a buffer that is published as one NATS message when
//! it holds `batch` frames or its first frame is `linger` old. Every message
//! carries a `Nats-Msg-Id` of `<sender>-<first seq>`, so a batch re-published
//! after a lost acknowledgement is dropped by JetStream's duplicate window
//! (and would be dropped by the receivers' replicas anyway).
//!
//! Acknowledgements are awaited in publish order by a separate task, which
//! re-publishes a batch whose acknowledgement failed (server killed, leader
//! election) until it succeeds or [`MAX_ATTEMPTS`] are used up. The node only
//! writes a checkpoint once every own message it holds is acknowledged, so a
//! checkpoint never contains an update that the stream does not.

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, context::Publish};
use atomik::wire::DeltaMsg;
use bytes::Bytes;
use tokio::sync::{mpsc, watch};

use crate::stream::{FRAME_LEN, W};

/// Publish attempts per batch before the node gives up (about a minute).
pub(crate) const MAX_ATTEMPTS: u32 = 60;

/// Where the acknowledgements stand.
#[derive(Clone, Debug, Default)]
pub(crate) struct AckState {
    /// Every own seq below this is in the stream.
    pub(crate) through: u64,
    /// Set when a batch could not be published at all.
    pub(crate) error: Option<String>,
}

struct InFlight {
    ack: jetstream::context::PublishAckFuture,
    payload: Bytes,
    id: String,
    end_seq: u64,
}

/// Buffers frames and publishes them in batches.
pub(crate) struct Publisher {
    js: jetstream::Context,
    subject: String,
    buf: Vec<u8>,
    first_seq: u64,
    opened: Option<Instant>,
    batch: usize,
    linger: Duration,
    /// One past the last own seq handed to NATS.
    sent_through: u64,
    acks: mpsc::Sender<InFlight>,
    acked: watch::Receiver<AckState>,
    /// NATS messages published (first attempts).
    pub(crate) messages: u64,
}

impl Publisher {
    pub(crate) fn new(
        js: jetstream::Context,
        subject: String,
        batch: usize,
        linger: Duration,
        next_seq: u64,
    ) -> Self {
        let (tx, rx) = mpsc::channel(1024);
        let (acked_tx, acked) = watch::channel(AckState {
            through: next_seq,
            error: None,
        });
        tokio::spawn(ack_loop(js.clone(), subject.clone(), rx, acked_tx));
        Publisher {
            js,
            subject,
            buf: Vec::with_capacity(batch.max(1) * FRAME_LEN),
            first_seq: next_seq,
            opened: None,
            batch: batch.max(1),
            linger,
            sent_through: next_seq,
            acks: tx,
            acked,
            messages: 0,
        }
    }

    /// Queues one own message; publishes when the batch is full.
    pub(crate) async fn push(&mut self, msg: &DeltaMsg<W>) -> anyhow::Result<()> {
        if self.buf.is_empty() {
            self.first_seq = msg.seq;
            self.opened = Some(Instant::now());
        }
        self.buf.extend_from_slice(msg.encode().as_bytes());
        if self.buf.len() >= self.batch * FRAME_LEN {
            self.send().await?;
        }
        Ok(())
    }

    /// When the open batch is due (its linger elapsed).
    pub(crate) fn due(&self) -> Option<Instant> {
        self.opened.map(|t| t + self.linger)
    }

    /// Publishes the open batch, if any.
    pub(crate) async fn send(&mut self) -> anyhow::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let payload = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(self.batch * FRAME_LEN),
        ));
        let frames = (payload.len() / FRAME_LEN) as u64;
        let id = format!("{:x}-{}", sender_of(&payload), self.first_seq);
        let ack = publish(&self.js, &self.subject, &payload, &id).await?;
        self.opened = None;
        self.sent_through = self.first_seq + frames;
        self.messages += 1;
        self.acks
            .send(InFlight {
                ack,
                payload,
                id,
                end_seq: self.sent_through,
            })
            .await
            .map_err(|_| anyhow::anyhow!("publish acknowledgement task stopped"))
    }

    /// Publishes the open batch and waits until every own message is acknowledged.
    pub(crate) async fn flush(&mut self) -> anyhow::Result<()> {
        self.send().await?;
        self.acked_through_sent().await
    }

    /// A future, independent of `self`, that resolves once every own message
    /// handed to NATS so far is acknowledged (or publishing failed for good).
    pub(crate) fn acked_through_sent(
        &self,
    ) -> impl std::future::Future<Output = anyhow::Result<()>> + Send + 'static {
        let target = self.sent_through;
        let mut acked = self.acked.clone();
        async move {
            let st = acked
                .wait_for(|s| s.through >= target || s.error.is_some())
                .await
                .map_err(|_| anyhow::anyhow!("publish acknowledgement task stopped"))?;
            match &st.error {
                Some(e) => anyhow::bail!("publishing failed: {e}"),
                None => Ok(()),
            }
        }
    }

    /// The acknowledgement state.
    pub(crate) fn acked(&self) -> AckState {
        self.acked.borrow().clone()
    }
}

fn sender_of(payload: &Bytes) -> u32 {
    // Every frame of a batch has the same sender (bytes 4..8 of a frame).
    u32::from_le_bytes([payload[4], payload[5], payload[6], payload[7]])
}

async fn publish(
    js: &jetstream::Context,
    subject: &str,
    payload: &Bytes,
    id: &str,
) -> anyhow::Result<jetstream::context::PublishAckFuture> {
    let p = Publish::build().payload(payload.clone()).message_id(id);
    Ok(js.send_publish(subject.to_owned(), p).await?)
}

/// Awaits acknowledgements in order, re-publishing failed batches.
async fn ack_loop(
    js: jetstream::Context,
    subject: String,
    mut rx: mpsc::Receiver<InFlight>,
    tx: watch::Sender<AckState>,
) {
    while let Some(f) = rx.recv().await {
        let mut ack = Some(f.ack);
        let mut attempt = 1;
        loop {
            let r = match ack.take() {
                Some(a) => a.await.map(|_| ()).map_err(anyhow::Error::from),
                None => match publish(&js, &subject, &f.payload, &f.id).await {
                    Ok(a) => a.await.map(|_| ()).map_err(anyhow::Error::from),
                    Err(e) => Err(e),
                },
            };
            match r {
                Ok(()) => break,
                Err(e) if attempt >= MAX_ATTEMPTS => {
                    tx.send_modify(|s| s.error = Some(format!("batch {}: {e}", f.id)));
                    return;
                }
                Err(_) => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        }
        tx.send_modify(|s| s.through = f.end_seq);
    }
}
