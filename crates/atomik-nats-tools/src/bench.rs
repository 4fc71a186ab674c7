//! `atomik bench-nats`: delta replication vs the same updates as full values
//! through NATS KV, measured in one run against one server.
//!
//! Both paths carry the same update stream (random 64-bit XOR deltas on 256
//! contexts), both pipeline their publishes through one connection, both are
//! timed until the *receiving* side has the last update:
//!
//! * deltas: node 1's ACCUMs, batched v1 frames, until node 2's replica has
//!   applied them all;
//! * KV: each update as the context's new full value (8 bytes) published to
//!   the bucket's subject (the publish `Store::put` does, without waiting for
//!   each ack), until a `watch_all` watcher has seen the last revision.
//!
//! Latency is measured at a fixed offered load: every millisecond a chunk of
//! `rate / 1000` updates is sent, and a chunk's latency is the time until the
//! receiver has its last update. Bytes per update are the publishing client's
//! `out_bytes` (payload, subject, reply subject, headers) divided by the updates.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_nats::jetstream::{self, context::Publish, kv};
use futures_util::StreamExt as _;
use tokio::sync::watch;

use atomik_nats::{ConnOptions as ConnArgs, Node, NodeConfig, Op};

use crate::harness::server::Server;
use crate::harness::tempdir as tempfile_dir;

/// Arguments of `atomik bench-nats`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Use this server instead of starting a local one.
    #[arg(long)]
    pub nats: Option<String>,
    /// The nats-server binary started when `--nats` is not given.
    #[arg(long, default_value = "nats-server")]
    pub nats_server: PathBuf,
    /// Updates in the throughput runs.
    #[arg(long, default_value_t = 2_000_000)]
    pub updates: u64,
    /// Offered load of the latency runs, updates per second.
    #[arg(long, default_value_t = 100_000)]
    pub rate: u64,
    /// Length of each latency run in seconds.
    #[arg(long, default_value_t = 3)]
    pub seconds: u64,
    /// Frames per NATS message on the delta path.
    #[arg(long, default_value_t = 4096)]
    pub batch: usize,
    /// Longest wait, in microseconds, for a delta batch to fill (0: send when idle).
    #[arg(long, default_value_t = 0)]
    pub linger_us: u64,
    /// Checkpoint interval of both nodes in milliseconds (the node's default).
    #[arg(long, default_value_t = 1000)]
    pub checkpoint_ms: u64,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

const CONTEXTS: usize = 256;

/// The `q` quantile (nearest rank) of `v`; 0 for an empty sample.
pub fn percentile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}
const TIMEOUT: Duration = Duration::from_secs(300);

/// Result of one path.
#[derive(Clone, Copy, Debug, Default)]
struct PathResult {
    per_second: f64,
    bytes_per_update: f64,
    p50_ms: f64,
    p99_ms: f64,
    achieved_rate: f64,
    /// Deltas only: p50 and p99 until the publishing node had JetStream's
    /// acknowledgement (the store's part of the end-to-end latency).
    acked: Option<(f64, f64)>,
}

impl PathResult {
    /// One path's figures from what its run measured: wall seconds for all
    /// updates, bytes sent, the latency samples of the paced phase.
    fn new(args: &BenchArgs, secs: f64, bytes: u64, lat: &mut [f64], achieved_rate: f64) -> Self {
        PathResult {
            per_second: args.updates as f64 / secs,
            bytes_per_update: bytes as f64 / args.updates as f64,
            p50_ms: percentile(lat, 0.5),
            p99_ms: percentile(lat, 0.99),
            achieved_rate,
            acked: None,
        }
    }
}

fn updates(n: u64, seed: u64) -> Vec<(usize, u64)> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n)
        .map(|_| (rng.usize(0..CONTEXTS), rng.u64(..) | 1))
        .collect()
}

/// Sends chunks of `rate/1000` updates every millisecond for `secs` while
/// one task per `progress` receiver times each chunk until that receiver
/// (a running count) reaches it. Returns the chunk latencies in ms, one
/// list per receiver, and the achieved send rate.
async fn paced<F, Fut>(
    rate: u64,
    secs: u64,
    progress: Vec<watch::Receiver<u64>>,
    mut send: F,
) -> anyhow::Result<(Vec<Vec<f64>>, f64)>
where
    F: FnMut(Vec<(usize, u64)>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let per_tick = (rate / 1000).max(1);
    let ups = updates(per_tick * secs * 1000, 99);
    let mut chunks = Vec::new();
    let mut timers = Vec::new();
    for p in progress {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        chunks.push((tx, *p.borrow()));
        timers.push(tokio::spawn(latencies(p, rx)));
    }
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    let t0 = Instant::now();
    let mut total = 0;
    for c in ups.chunks(usize::try_from(per_tick)?) {
        tick.tick().await;
        let t = Instant::now();
        send(c.to_vec()).await?;
        total += c.len() as u64;
        for (tx, base) in &chunks {
            tx.send((t, base + total))?;
        }
    }
    let rate = total as f64 / t0.elapsed().as_secs_f64();
    drop(chunks);
    let mut out = Vec::new();
    for t in timers {
        out.push(t.await??);
    }
    Ok((out, rate))
}

/// Times each (send time, cumulative count) chunk until `progress` reaches it.
async fn latencies(
    mut progress: watch::Receiver<u64>,
    mut chunks: tokio::sync::mpsc::UnboundedReceiver<(Instant, u64)>,
) -> anyhow::Result<Vec<f64>> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while let Some((sent, target)) = chunks.recv().await {
        while *progress.borrow_and_update() < target {
            tokio::time::timeout_at(deadline, progress.changed())
                .await
                .context("receiver stalled")??;
        }
        out.push(sent.elapsed().as_secs_f64() * 1e3);
    }
    Ok(out)
}

async fn wait_for(progress: &mut watch::Receiver<u64>, n: u64) -> anyhow::Result<()> {
    tokio::time::timeout(TIMEOUT, progress.wait_for(|&p| p >= n))
        .await
        .context("receiver did not get every update in time")??;
    Ok(())
}

fn accums(c: &[(usize, u64)]) -> Vec<Op> {
    c.iter().map(|&(a, d)| Op::Accum(a, d)).collect()
}

/// A running count derived from a node's progress (for [`paced`]).
fn count(n: &Node, f: fn(&atomik_nats::Progress) -> u64) -> watch::Receiver<u64> {
    let mut p = n.progress();
    let (tx, rx) = watch::channel(f(&p.borrow()));
    tokio::spawn(async move {
        while p.changed().await.is_ok() {
            let v = f(&p.borrow_and_update());
            tx.send_replace(v);
        }
    });
    rx
}

async fn delta_path(
    url: &str,
    args: &BenchArgs,
    dir: &std::path::Path,
) -> anyhow::Result<PathResult> {
    let ca = ConnArgs::plain(url).connect().await?;
    let cb = ConnArgs::plain(url).connect().await?;
    let table = format!("bench{}", std::process::id());
    let cfg = |id: u16, sub: &str| {
        let mut c = NodeConfig::new(&table, id, dir.join(sub));
        c.contexts = CONTEXTS;
        c.batch = args.batch;
        c.linger = Duration::from_micros(args.linger_us);
        c.checkpoint_every = Duration::from_millis(args.checkpoint_ms.max(1));
        c
    };
    let a = Node::start(ca.clone(), cfg(1, "a")).await?;
    let b = Node::start(cb, cfg(2, "b")).await?;
    let mut applied = count(&b, |p| p.applied);
    let stats = ca.statistics();
    let out0 = stats.out_bytes.load(Ordering::Relaxed);
    let ups = updates(args.updates, 7);
    let t0 = Instant::now();
    for c in ups.chunks(8192) {
        a.ops(accums(c)).await?;
    }
    wait_for(&mut applied, args.updates).await?;
    let secs = t0.elapsed().as_secs_f64();
    let bytes = stats.out_bytes.load(Ordering::Relaxed) - out0;
    // Every earlier update acknowledged, so both counts start level.
    a.sync().await?;
    let progress = vec![count(&a, |p| p.acked), applied];
    let (mut lat, achieved_rate) = paced(args.rate, args.seconds, progress, |c| {
        let a = &a;
        async move { a.ops(accums(&c)).await.map(drop) }
    })
    .await?;
    a.shutdown().await?;
    b.shutdown().await?;
    let mut r = PathResult::new(args, secs, bytes, &mut lat[1], achieved_rate);
    r.acked = Some((percentile(&mut lat[0], 0.5), percentile(&mut lat[0], 0.99)));
    Ok(r)
}

/// Publishes full values to the bucket's subjects, acks awaited by a task.
struct KvWriter {
    js: jetstream::Context,
    bucket: String,
    values: Vec<u64>,
    acks: tokio::sync::mpsc::Sender<jetstream::context::PublishAckFuture>,
}

impl KvWriter {
    async fn put(&mut self, c: &[(usize, u64)]) -> anyhow::Result<()> {
        for &(a, d) in c {
            self.values[a] ^= d;
            let v = bytes::Bytes::copy_from_slice(&self.values[a].to_le_bytes());
            let ack = self
                .js
                .send_publish(
                    format!("$KV.{}.c{a}", self.bucket),
                    Publish::build().payload(v),
                )
                .await?;
            self.acks
                .send(ack)
                .await
                .map_err(|_| anyhow::anyhow!("KV ack task failed"))?;
        }
        Ok(())
    }
}

/// Creates a KV bucket with history 1, the way `Context::create_key_value`
/// lays it out (stream `KV_<bucket>` on `$KV.<bucket>.>`, one message per
/// subject, rollups allowed, deletes denied, direct get), then opens it with
/// the client's KV API. `create_key_value` itself cannot be used: async-nats
/// 0.42 first reads the account info and fails to parse nats-server 2.9's
/// reply, which lacks the `reserved_memory`/`reserved_storage` fields added in 2.10.
async fn create_kv_bucket(js: &jetstream::Context, bucket: &str) -> anyhow::Result<kv::Store> {
    js.create_stream(jetstream::stream::Config {
        name: format!("KV_{bucket}"),
        subjects: vec![format!("$KV.{bucket}.>")],
        max_messages_per_subject: 1,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: jetstream::stream::DiscardPolicy::New,
        storage: jetstream::stream::StorageType::File,
        num_replicas: 1,
        ..Default::default()
    })
    .await
    .context("creating the KV bucket's stream")?;
    js.get_key_value(bucket)
        .await
        .context("opening the KV bucket")
}

async fn kv_path(url: &str, args: &BenchArgs) -> anyhow::Result<PathResult> {
    let c = ConnArgs::plain(url).connect().await?;
    let js = jetstream::new(c.clone());
    let bucket = format!("bench{}", std::process::id());
    let store = create_kv_bucket(&js, &bucket).await?;
    let mut watch = store.watch_all().await?;
    let (ptx, mut prx) = watch::channel(0u64);
    tokio::spawn(async move {
        while let Some(Ok(e)) = watch.next().await {
            ptx.send_replace(e.revision);
        }
    });
    let (acks, mut rx) = tokio::sync::mpsc::channel::<jetstream::context::PublishAckFuture>(4096);
    let acker = tokio::spawn(async move {
        while let Some(a) = rx.recv().await {
            a.await?;
        }
        anyhow::Ok(())
    });
    let mut w = KvWriter {
        js,
        bucket,
        values: vec![0; CONTEXTS],
        acks,
    };
    let stats = c.statistics();
    let out0 = stats.out_bytes.load(Ordering::Relaxed);
    let ups = updates(args.updates, 7);
    let t0 = Instant::now();
    w.put(&ups).await?;
    // Revisions are stream sequences: the n-th update of a fresh bucket is revision n.
    wait_for(&mut prx, args.updates).await?;
    let secs = t0.elapsed().as_secs_f64();
    let bytes = stats.out_bytes.load(Ordering::Relaxed) - out0;
    let w = std::sync::Arc::new(tokio::sync::Mutex::new(w));
    let (mut lat, achieved_rate) = paced(args.rate, args.seconds, vec![prx.clone()], |c| {
        let w = w.clone();
        async move { w.lock().await.put(&c).await }
    })
    .await?;
    drop(w);
    acker.await??;
    Ok(PathResult::new(
        args, secs, bytes, &mut lat[0], achieved_rate,
    ))
}

/// The latency floor of this machine at the moment of the run: the same
/// paced chunks, each as one core NATS message (no JetStream, no storage,
/// no replica), from a publisher to a subscriber through the same server.
/// Delta latencies are only meaningful next to it, because the machine is
/// shared and scheduling delays dominate the tail.
async fn core_floor(url: &str, args: &BenchArgs) -> anyhow::Result<(f64, f64)> {
    let c = ConnArgs::plain(url).connect().await?;
    let subject = format!("bench{}.floor", std::process::id());
    let mut sub = c.subscribe(subject.clone()).await?;
    c.flush().await?;
    let (ptx, prx) = watch::channel(0u64);
    tokio::spawn(async move {
        let mut n = 0u64;
        while let Some(m) = sub.next().await {
            n += (m.payload.len() / 8) as u64;
            ptx.send_replace(n);
        }
    });
    let (mut lat, _) = paced(args.rate, args.seconds, vec![prx], |chunk| {
        let (c, subject) = (c.clone(), subject.clone());
        async move {
            let values: Vec<u8> = chunk.iter().flat_map(|&(_, v)| v.to_le_bytes()).collect();
            c.publish(subject, values.into()).await?;
            Ok(())
        }
    })
    .await?;
    Ok((percentile(&mut lat[0], 0.5), percentile(&mut lat[0], 0.99)))
}

/// Runs `atomik bench-nats`.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    crate::args::runtime()?.block_on(async {
        let dir = tempfile_dir("bench")?;
        let server = match &args.nats {
            Some(_) => None,
            None => Some(Server::single(&dir, &args.nats_server, "")?),
        };
        let url = args
            .nats
            .clone()
            .or_else(|| server.as_ref().map(Server::url))
            .unwrap_or_default();
        let load0 = crate::harness::load_average();
        let r = async {
            Ok::<_, anyhow::Error>((
                delta_path(&url, args, &dir).await?,
                kv_path(&url, args).await?,
                core_floor(&url, args).await?,
            ))
        }
        .await;
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
        let (d, k, floor) = r?;
        report(args, &d, &k, floor, [load0, crate::harness::load_average()]);
        Ok(())
    })
}

/// The report as one JSON object.
fn report_json(
    args: &BenchArgs,
    d: &PathResult,
    k: &PathResult,
    floor: (f64, f64),
    load: [Option<f64>; 2],
) -> serde_json::Value {
    let j = |p: &PathResult| {
        serde_json::json!({
            "updates_per_second": p.per_second,
            "bytes_per_update": p.bytes_per_update,
            "p50_latency_ms": p.p50_ms,
            "p99_latency_ms": p.p99_ms,
            "achieved_offered_rate": p.achieved_rate,
        })
    };
    let mut deltas = j(d);
    if let Some((p50, p99)) = d.acked {
        deltas["acked_p50_latency_ms"] = p50.into();
        deltas["acked_p99_latency_ms"] = p99.into();
    }
    serde_json::json!({
        "updates": args.updates,
        "offered_rate": args.rate,
        "batch": args.batch,
        "linger_us": args.linger_us,
        "checkpoint_ms": args.checkpoint_ms,
        "deltas": deltas,
        "kv_full_values": j(k),
        "core_nats_floor": {"p50_latency_ms": floor.0, "p99_latency_ms": floor.1},
        "throughput_ratio": d.per_second / k.per_second,
        "bytes_ratio_kv_over_deltas": k.bytes_per_update / d.bytes_per_update,
        "load_1min_before_after": load,
    })
}

fn report(
    args: &BenchArgs,
    d: &PathResult,
    k: &PathResult,
    floor: (f64, f64),
    load: [Option<f64>; 2],
) {
    if args.json {
        println!("{}", report_json(args, d, k, floor, load));
        return;
    }
    println!(
        "atomik bench-nats: {} updates, latency at {} updates/s offered, one nats-server, load {:?} -> {:?}",
        args.updates, args.rate, load[0], load[1]
    );
    println!(
        "{:<28} {:>16} {:>16} {:>10}",
        "", "deltas (frames)", "NATS KV (values)", "ratio"
    );
    let row =
        |name: &str, a: f64, b: f64, r: f64| println!("{name:<28} {a:>16.1} {b:>16.1} {r:>9.2}x");
    row(
        "updates/s end to end",
        d.per_second,
        k.per_second,
        d.per_second / k.per_second,
    );
    let (db, kb) = (d.bytes_per_update, k.bytes_per_update);
    row("bytes on the wire / update", db, kb, kb / db);
    row("p50 latency ms", d.p50_ms, k.p50_ms, k.p50_ms / d.p50_ms);
    row("p99 latency ms", d.p99_ms, k.p99_ms, k.p99_ms / d.p99_ms);
    if let Some((p50, p99)) = d.acked {
        println!(
            "{:<28} {p50:>16.1} {p99:>16.1}   (deltas: until the publisher had the ack)",
            "acked p50 / p99 ms"
        );
    }
    println!(
        "{:<28} {:>16.1} {:>16.1}   (latency floor: core NATS pub/sub, same chunks, same run)",
        "core NATS p50 / p99 ms", floor.0, floor.1
    );
    row(
        "achieved offered rate /s",
        d.achieved_rate,
        k.achieved_rate,
        d.achieved_rate / k.achieved_rate,
    );
}
