//! The stream reader: one task that delivers a table's stream to its node,
//! in sequence order, through an ephemeral push consumer.
//!
//! A push consumer (no acknowledgements, flow control, idle heartbeats)
//! delivers each message as soon as JetStream stores it, with no pull
//! request in between. The node's checkpoint, not the server, records
//! where to resume, so nothing is acknowledged. The reader subscribes to
//! the delivery subject *before* creating the consumer, so no message is
//! delivered to nobody.
//!
//! The reader resubscribes, at the next sequence it needs, when the
//! heartbeats stop (a server died, a partition), when the subscription
//! ends, or when a sequence is skipped. If the stream no longer holds that
//! sequence (it was purged below a snapshot), it reports
//! [`Event::Purged`] and waits for the node to say where to go on from.
//! Failures to subscribe are retried forever with a pause that grows to
//! 2 s; the node keeps serving meanwhile, and the last error is in its status.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, consumer};
use bytes::Bytes;
use futures_util::StreamExt as _;
use tokio::sync::mpsc;

/// The heartbeat the consumer sends when idle; three missed ones mean the
/// consumer or its server is gone.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// What the reader delivers.
#[derive(Debug)]
pub(crate) enum Event {
    /// Stream message `seq`, the next one the node needs.
    Msg {
        /// Its stream sequence.
        seq: u64,
        /// Its payload (a batch of frames).
        payload: Bytes,
    },
    /// The stream no longer holds `wanted`: it starts at `first`.
    Purged {
        /// The sequence the node needs.
        wanted: u64,
        /// The stream's first sequence.
        first: u64,
    },
}

/// What the reader has been through (for the node's status).
#[derive(Clone, Debug, Default)]
pub(crate) struct ReaderStatus {
    /// Times the reader subscribed again.
    pub(crate) resubscribes: u64,
    /// Why it last had to, or why subscribing fails right now.
    pub(crate) last_error: Option<String>,
    /// Whether it is subscribed right now.
    pub(crate) subscribed: bool,
}

/// Handle to the reader task; the task stops when this is dropped.
#[derive(Debug)]
pub(crate) struct Reader {
    pub(crate) events: mpsc::Receiver<Event>,
    restart: mpsc::UnboundedSender<u64>,
    status: Arc<Mutex<ReaderStatus>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Everything the task needs.
struct Ctx {
    client: async_nats::Client,
    js: jetstream::Context,
    stream: jetstream::stream::Stream,
    tx: mpsc::Sender<Event>,
    restart: mpsc::UnboundedReceiver<u64>,
    status: Arc<Mutex<ReaderStatus>>,
}

/// Why a subscription ended.
enum Exit {
    /// Subscribe again at the node's next sequence (the reason).
    Resubscribe(String),
    /// The node asked to go on from this sequence.
    Restart(u64),
    /// The node is gone.
    Closed,
}

impl Reader {
    /// Starts reading at stream sequence `next`.
    pub(crate) fn spawn(
        client: async_nats::Client,
        js: jetstream::Context,
        stream: jetstream::stream::Stream,
        next: u64,
    ) -> Reader {
        let (tx, events) = mpsc::channel(1024);
        let (restart, restart_rx) = mpsc::unbounded_channel();
        let status = Arc::new(Mutex::new(ReaderStatus::default()));
        let ctx = Ctx {
            client,
            js,
            stream,
            tx,
            restart: restart_rx,
            status: status.clone(),
        };
        let task = tokio::spawn(run(ctx, next));
        Reader {
            events,
            restart,
            status,
            task,
        }
    }

    /// Goes on from stream sequence `next` (after a rebuild).
    pub(crate) fn restart(&self, next: u64) {
        let _ = self.restart.send(next);
    }

    /// What the reader has been through.
    pub(crate) fn status(&self) -> ReaderStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Ctx {
    fn note(&self, f: impl FnOnce(&mut ReaderStatus)) {
        if let Ok(mut s) = self.status.lock() {
            f(&mut s);
        }
    }

    /// Subscribes to a fresh inbox, then creates the consumer at `next`.
    async fn subscribe(&self, next: u64) -> anyhow::Result<(async_nats::Subscriber, String)> {
        let inbox = self.client.new_inbox();
        let sub = self.client.subscribe(inbox.clone()).await?;
        let deliver_policy = match next {
            0 | 1 => consumer::DeliverPolicy::All,
            n => consumer::DeliverPolicy::ByStartSequence { start_sequence: n },
        };
        let c = self
            .stream
            .create_consumer(consumer::push::Config {
                deliver_subject: inbox,
                deliver_policy,
                ack_policy: consumer::AckPolicy::None,
                flow_control: true,
                idle_heartbeat: HEARTBEAT,
                // A consumer whose node vanished is removed by the server.
                inactive_threshold: Duration::from_secs(10),
                ..Default::default()
            })
            .await?;
        Ok((sub, c.cached_info().name.clone()))
    }

    /// The stream's first sequence if it no longer holds `wanted`.
    async fn purged_below(&self, wanted: u64) -> Option<u64> {
        let info = self.stream.get_info().await.ok()?;
        (info.state.first_sequence > wanted).then_some(info.state.first_sequence)
    }
}

async fn run(mut ctx: Ctx, mut next: u64) {
    let mut pause = Duration::from_millis(50);
    loop {
        let (sub, name) = match ctx.subscribe(next).await {
            Ok(s) => s,
            Err(e) => {
                ctx.note(|s| {
                    s.subscribed = false;
                    s.last_error = Some(format!("subscribing to the stream: {e}"));
                });
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
                continue;
            }
        };
        pause = Duration::from_millis(50);
        ctx.note(|s| s.subscribed = true);
        // A consumer at a purged position delivers nothing until the next
        // publish; ask the stream instead of waiting for that.
        let exit = match ctx.purged_below(next).await {
            Some(first) => report_purge(&mut ctx, next, first).await,
            None => pump(&mut ctx, sub, &mut next).await,
        };
        // Best effort: the server also removes it once it is inactive.
        let stream = ctx.stream.clone();
        tokio::spawn(async move { stream.delete_consumer(&name).await });
        match exit {
            Exit::Closed => return,
            Exit::Restart(n) => next = n,
            Exit::Resubscribe(why) => ctx.note(|s| {
                s.resubscribes += 1;
                s.subscribed = false;
                s.last_error = Some(why);
            }),
        }
    }
}

/// Delivers messages from one subscription until it must end.
async fn pump(ctx: &mut Ctx, mut sub: async_nats::Subscriber, next: &mut u64) -> Exit {
    loop {
        let m = tokio::select! {
            m = tokio::time::timeout(HEARTBEAT * 3, sub.next()) => m,
            r = ctx.restart.recv() => return r.map_or(Exit::Closed, Exit::Restart),
        };
        let m = match m {
            Err(_) => return Exit::Resubscribe("no heartbeat from the consumer for 3 s".into()),
            Ok(None) => return Exit::Resubscribe("the subscription ended".into()),
            Ok(Some(m)) => m,
        };
        if let Some(status) = m.status {
            // Heartbeats and flow-control requests; a flow-control request
            // (or a stalled-consumer heartbeat) carries a reply to answer.
            if let Some(reply) = m.reply.filter(|_| status.as_u16() == 100) {
                let _ = ctx.client.publish(reply, Bytes::new()).await;
            } else if status.as_u16() != 100 {
                return Exit::Resubscribe(format!("consumer status {status}"));
            }
            continue;
        }
        let jm = jetstream::Message {
            message: m,
            context: ctx.js.clone(),
        };
        let seq = match jm.info() {
            Ok(i) => i.stream_sequence,
            Err(e) => return Exit::Resubscribe(format!("unreadable delivery: {e}")),
        };
        if seq < *next {
            continue;
        }
        if seq > *next {
            return skipped(ctx, *next, seq).await;
        }
        if ctx
            .tx
            .send(Event::Msg {
                seq,
                payload: jm.message.payload,
            })
            .await
            .is_err()
        {
            return Exit::Closed;
        }
        *next += 1;
    }
}

/// A delivery skipped sequences: report a purge, or resubscribe.
async fn skipped(ctx: &mut Ctx, wanted: u64, got: u64) -> Exit {
    match ctx.purged_below(wanted).await {
        Some(first) => report_purge(ctx, wanted, first).await,
        None => Exit::Resubscribe(format!("delivery skipped from {wanted} to {got}")),
    }
}

/// Tells the node the stream no longer holds `wanted`, and waits for
/// where to go on from.
async fn report_purge(ctx: &mut Ctx, wanted: u64, first: u64) -> Exit {
    if ctx.tx.send(Event::Purged { wanted, first }).await.is_err() {
        return Exit::Closed;
    }
    ctx.restart.recv().await.map_or(Exit::Closed, Exit::Restart)
}
