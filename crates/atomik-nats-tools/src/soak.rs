//! `atomik-nats soak`: bounded storage over a long run, and how fast a new
//! node joins.
//!
//! One `nats-server` (file storage). Two tables receive the same `--deltas`
//! random ACCUMs from a writer node, while a second node applies them:
//! * `bounded`: snapshots every `--snapshot-mib` of stream, purge behind them;
//! * `whole`: no snapshots, no purge (every delta stays in the stream).
//!
//! While `bounded` is written, the size of its stream and of its snapshot
//! bucket (as JetStream reports them, and as files on the server's disk)
//! is sampled every 100 ms; the report gives the largest values against
//! the bytes written. The writer stays within 512 Ki updates of the
//! reader (see [`write`]). Right after the last write a brand-new node
//! joins each table and the time from `Node::start` until it has caught up
//! is measured: from the newest snapshot plus the stream after it, against
//! replaying every delta. Both new nodes must equal the writer, bit for bit.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use atomik_nats::{ConnOptions, Node, NodeConfig, Op, Retention, stream};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::harness::server::Server;
use crate::harness::{load_average, tempdir};

/// Arguments of `atomik-nats soak`.
#[derive(Debug, clap::Args)]
pub struct SoakArgs {
    /// Deltas written to each table.
    #[arg(long, default_value_t = 10_000_000)]
    pub deltas: u64,
    /// Upload a snapshot (and purge) once the bounded stream holds this many MiB.
    #[arg(long, default_value_t = 16)]
    pub snapshot_mib: u64,
    /// Contexts per table.
    #[arg(long, default_value_t = 256)]
    pub contexts: usize,
    /// The nats-server binary.
    #[arg(long, default_value = "nats-server")]
    pub nats_server: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Updates per `ops` call, and the most the writer may be ahead of the reader.
const CHUNK: usize = 8192;
const IN_FLIGHT: u64 = 1 << 19;

/// Largest sizes seen while a table was written.
#[derive(Debug, Default, Clone, Copy)]
struct Peak {
    stream_bytes: u64,
    stream_disk: u64,
    bucket_bytes: u64,
    bucket_disk: u64,
}

/// Bytes of the files under `dir` (0 if it does not exist).
fn disk_use(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => disk_use(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn config(table: &str, id: u16, dir: &Path, args: &SoakArgs, bounded: bool) -> NodeConfig {
    let mut c = NodeConfig::new(table, id, dir.join(format!("{table}-{id}")));
    c.contexts = args.contexts;
    c.batch = 4096;
    c.retention = bounded.then(|| Retention {
        snapshot_bytes: args.snapshot_mib << 20,
        snapshot_age: Duration::from_secs(600),
        ..Retention::default()
    });
    c
}

/// Samples the sizes of `table`'s stream and bucket until `stop`.
async fn sample(
    js: async_nats::jetstream::Context,
    store: PathBuf,
    table: String,
    mut stop: watch::Receiver<bool>,
) -> Peak {
    let mut peak = Peak::default();
    let streams = store.join("jetstream").join("$G").join("streams");
    let bucket = format!("OBJ_{}", stream::bucket_name(&table));
    while !*stop.borrow() {
        let info = |name: String| {
            let js = js.clone();
            async move {
                js.get_stream(name)
                    .await
                    .map(|s| s.cached_info().state.bytes)
                    .unwrap_or(0)
            }
        };
        peak.stream_bytes = peak
            .stream_bytes
            .max(info(stream::stream_name(&table)).await);
        peak.bucket_bytes = peak.bucket_bytes.max(info(bucket.clone()).await);
        peak.stream_disk = peak
            .stream_disk
            .max(disk_use(&streams.join(stream::stream_name(&table))));
        peak.bucket_disk = peak.bucket_disk.max(disk_use(&streams.join(&bucket)));
        let _ = tokio::time::timeout(Duration::from_millis(100), stop.changed()).await;
    }
    peak
}

/// Writes `args.deltas` ACCUMs through `w` until `r` applied them all; seconds taken.
async fn write(w: &Node, r: &Node, args: &SoakArgs) -> anyhow::Result<f64> {
    let mut rng = fastrand::Rng::with_seed(5);
    let t = Instant::now();
    let mut sent = 0u64;
    let mut acked = w.progress();
    while sent < args.deltas {
        let n = CHUNK.min(usize::try_from(args.deltas - sent)?);
        let ops: Vec<Op> = (0..n)
            .map(|_| Op::Accum(rng.usize(0..args.contexts), rng.u64(..) | 1))
            .collect();
        w.ops(ops).await?;
        sent += n as u64;
        // Keep the writer's unacknowledged queue bounded.
        acked.wait_for(|p| p.acked + IN_FLIGHT >= sent).await?;
    }
    let mut applied = r.progress();
    tokio::time::timeout(
        Duration::from_secs(600),
        applied.wait_for(|p| p.applied >= args.deltas),
    )
    .await
    .context("the reader did not apply every delta within 600 s")??;
    Ok(t.elapsed().as_secs_f64())
}

/// Writes one table and lets a new node join it; the table's report.
async fn table(
    url: &str,
    server: &Server,
    dir: &Path,
    args: &SoakArgs,
    name: &str,
    bounded: bool,
) -> anyhow::Result<Value> {
    let conn = || async { ConnOptions::plain(url).connect().await };
    let w = Node::start(conn().await?, config(name, 1, dir, args, bounded)).await?;
    let r = Node::start(conn().await?, config(name, 2, dir, args, bounded)).await?;
    let (stop, rx) = watch::channel(false);
    let js = async_nats::jetstream::new(conn().await?);
    let sampler = tokio::spawn(sample(
        js.clone(),
        server.store.clone(),
        name.to_owned(),
        rx,
    ));
    let write_s = write(&w, &r, args).await?;
    w.sync().await?;
    stop.send_replace(true);
    let peak = sampler.await?;
    let st = js
        .get_stream(stream::stream_name(name))
        .await?
        .cached_info()
        .state
        .clone();
    let t = Instant::now();
    let joined = Node::start(conn().await?, config(name, 3, dir, args, bounded)).await?;
    let join_s = t.elapsed().as_secs_f64();
    let js_status = joined.status().await?;
    let recovery = format!("{:?}", js_status.recovery);
    let snapshots = match atomik_nats::snapshot::SnapshotStore::existing(&js, name).await? {
        Some(s) => s.list().await?.last().map_or(0, |i| i.n),
        None => 0,
    };
    anyhow::ensure!(
        joined.dump().await? == w.dump().await?,
        "the new node of table {name} differs from the writer"
    );
    for n in [w, r, joined] {
        n.shutdown().await?;
    }
    Ok(json!({
        "deltas": args.deltas,
        "bytes_written": args.deltas * stream::FRAME_LEN as u64,
        "write_seconds": write_s,
        "deltas_per_second_written": args.deltas as f64 / write_s,
        "peak_stream_bytes": peak.stream_bytes,
        "peak_stream_disk_bytes": peak.stream_disk,
        "peak_bucket_bytes": peak.bucket_bytes,
        "peak_bucket_disk_bytes": peak.bucket_disk,
        "final_stream_first_seq": st.first_sequence,
        "final_stream_last_seq": st.last_sequence,
        "snapshots_uploaded": snapshots,
        "new_node_recovery": recovery,
        "new_node_join_seconds": join_s,
        "new_node_deltas_replayed": js_status.replica.applied,
        "new_node_replayed_per_second": js_status.replica.applied as f64 / join_s,
        "new_node_table_deltas_per_second": args.deltas as f64 / join_s,
    }))
}

/// Runs the soak.
pub fn run(args: &SoakArgs) -> anyhow::Result<()> {
    crate::args::runtime()?.block_on(async {
        let dir = tempdir("soak")?;
        let load0 = load_average();
        let r = async {
            let server = Server::single(&dir, &args.nats_server, "")?;
            let url = server.url();
            let bounded = table(&url, &server, &dir, args, "bounded", true).await?;
            let whole = table(&url, &server, &dir, args, "whole", false).await?;
            anyhow::Ok((bounded, whole))
        }
        .await;
        let _ = std::fs::remove_dir_all(&dir);
        let (bounded, whole) = r?;
        let v = json!({
            "snapshot_mib": args.snapshot_mib,
            "bounded": bounded,
            "whole": whole,
            "join_speedup": whole["new_node_join_seconds"].as_f64().unwrap_or(0.0)
                / bounded["new_node_join_seconds"].as_f64().unwrap_or(f64::INFINITY),
            "load_1min_before_after": [load0, load_average()],
        });
        if args.json {
            println!("{v}");
        } else {
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        Ok(())
    })
}
