//! `atomik node`: one long-lived node fed by a line protocol on stdin.
//!
//! # Stdin protocol
//! One command per line; numbers are decimal or `0x` hex; one reply line on
//! stdout per command (a JSON object per line with `--json`):
//!
//! | command | effect | reply |
//! |---|---|---|
//! | `accum ADDR DELTA` | XOR `DELTA` into context `ADDR` | `ok sender=S seq=N` |
//! | `load ADDR VALUE` | set `ADDR` to `VALUE` (new epoch) | `ok sender=S seq=N` |
//! | `swap ADDR VALUE` | return the state and set `VALUE` (new epoch) | `ok sender=S seq=N old=0x…` |
//! | `read ADDR` | the state of `ADDR` | `value ADDR 0x…` |
//! | `dump` | every context | `table 0x… 0x… …` |
//! | `sync` | publish, wait for JetStream's ack, apply the stream to its end | `synced stream_seq=N` |
//! | `checkpoint` | write a checkpoint now | `ok` |
//! | `status` | counters | `status {json}` |
//!
//! `ok` means applied locally and queued; after a `sync` reply every earlier
//! update is durably in the stream. Blank lines and `#` comments are ignored;
//! a bad line gets `error: …` and changes nothing. End of input writes a
//! final checkpoint and the final status (JSON with `--json`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

use crate::conn::ConnArgs;
use crate::node::{Node, NodeConfig, Op, Status};

/// Arguments of `atomik node`.
#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    #[command(flatten)]
    /// Server address and credentials.
    pub conn: ConnArgs,
    /// Table (stream) name.
    #[arg(long)]
    pub table: String,
    /// Node id, unique per table (0-65535).
    #[arg(long)]
    pub id: u16,
    /// Directory for the checkpoint.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Contexts in the table (must match on every node).
    #[arg(long, default_value_t = 256)]
    pub contexts: usize,
    /// Frames per NATS message.
    #[arg(long, default_value_t = 1024)]
    pub batch: usize,
    /// Longest wait, in microseconds, for a batch to fill.
    #[arg(long, default_value_t = 1000)]
    pub linger_us: u64,
    /// Checkpoint interval in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub checkpoint_ms: u64,
    /// Stream replicas when the node creates the stream (3 on a 3-server cluster).
    #[arg(long, default_value_t = 1)]
    pub replicas: usize,
    /// Machine-readable replies and status (no progress line).
    #[arg(long)]
    pub json: bool,
}

/// The status as a JSON object.
pub fn status_json(s: &Status) -> serde_json::Value {
    serde_json::json!({
        "node": s.node_id,
        "sender": s.sender,
        "recovery": format!("{:?}", s.recovery),
        "stream_seq": s.stream_seq,
        "applied": s.replica.applied,
        "duplicates": s.replica.duplicates,
        "stale": s.replica.stale,
        "refused": s.replica.refused,
        "sent": s.sent,
        "acked": s.acked,
        "batches": s.batches,
        "pending": s.pending,
        "redelivered": s.redelivered,
        "replays": s.replays,
        "bad_frames": s.bad_frames,
        "rejected": s.rejected,
    })
}

fn num(s: Option<&str>) -> anyhow::Result<u64> {
    let s = s.context("missing number")?;
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.with_context(|| format!("bad number {s:?}"))
}

fn addr(s: Option<&str>) -> anyhow::Result<usize> {
    usize::try_from(num(s)?).context("address too large")
}

/// Parses and executes one line; returns the reply.
async fn command(node: &Node, line: &str, json: bool) -> anyhow::Result<String> {
    let mut w = line.split_whitespace();
    let verb = w.next().unwrap_or_default();
    let op = match verb {
        "accum" => Some(Op::Accum(addr(w.next())?, num(w.next())?)),
        "load" => Some(Op::Load(addr(w.next())?, num(w.next())?)),
        "swap" => Some(Op::Swap(addr(w.next())?, num(w.next())?)),
        _ => None,
    };
    if let Some(op) = op {
        anyhow::ensure!(w.next().is_none(), "too many arguments");
        let d = node.ops(vec![op]).await?[0];
        return Ok(match (json, d.old) {
            (true, old) => serde_json::json!({"ok": true, "sender": d.msg.sender, "seq": d.msg.seq, "old": old}).to_string(),
            (false, None) => format!("ok sender={} seq={}", d.msg.sender, d.msg.seq),
            (false, Some(o)) => format!("ok sender={} seq={} old={o:#x}", d.msg.sender, d.msg.seq),
        });
    }
    let mut w = line.split_whitespace().skip(1);
    match verb {
        "read" => {
            let a = addr(w.next())?;
            anyhow::ensure!(w.next().is_none(), "too many arguments");
            let t = node.dump().await?;
            let v = t
                .get(a)
                .with_context(|| format!("address {a} out of range 0..{}", t.len()))?;
            Ok(if json {
                serde_json::json!({"addr": a, "value": v}).to_string()
            } else {
                format!("value {a} {v:#x}")
            })
        }
        "dump" => {
            let t = node.dump().await?;
            Ok(if json {
                serde_json::json!({ "table": t }).to_string()
            } else {
                let hex: Vec<String> = t.iter().map(|v| format!("{v:#x}")).collect();
                format!("table {}", hex.join(" "))
            })
        }
        "sync" => {
            node.sync().await?;
            let s = node.status().await?.stream_seq;
            Ok(if json {
                serde_json::json!({"synced": s}).to_string()
            } else {
                format!("synced stream_seq={s}")
            })
        }
        "checkpoint" => node.checkpoint().await.map(|()| {
            if json {
                r#"{"ok":true}"#.into()
            } else {
                "ok".into()
            }
        }),
        "status" => {
            let s = status_json(&node.status().await?);
            Ok(if json {
                s.to_string()
            } else {
                format!("status {s}")
            })
        }
        _ => anyhow::bail!(
            "unknown command {verb:?} (accum, load, swap, read, dump, sync, checkpoint, status)"
        ),
    }
}

/// Runs `atomik node` until end of input.
pub fn run(args: &NodeArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(serve(args))
}

async fn serve(args: &NodeArgs) -> anyhow::Result<()> {
    let client = args.conn.connect().await?;
    let mut cfg = NodeConfig::new(&args.table, args.id, &args.data_dir);
    cfg.contexts = args.contexts;
    cfg.batch = args.batch;
    cfg.linger = Duration::from_micros(args.linger_us);
    cfg.checkpoint_every = Duration::from_millis(args.checkpoint_ms.max(1));
    cfg.stream_replicas = args.replicas;
    let node = Node::start(client, cfg).await?;
    let bar = if args.json {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new_spinner()
    };
    bar.enable_steady_tick(Duration::from_millis(200));
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut out = tokio::io::stdout();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            line = lines.next_line() => {
                let Some(line) = line? else { break };
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let reply = match command(&node, line, args.json).await {
                    Ok(r) => r,
                    Err(e) if args.json => serde_json::json!({"error": format!("{e:#}")}).to_string(),
                    Err(e) => format!("error: {e:#}"),
                };
                out.write_all(format!("{reply}\n").as_bytes()).await?;
                out.flush().await?;
            }
            _ = tick.tick() => {
                let s = node.status().await?;
                bar.set_message(format!(
                    "node {} | stream seq {} | applied {} | sent {} acked {} | dup {} | pending {}",
                    s.node_id, s.stream_seq, s.replica.applied, s.sent, s.acked, s.replica.duplicates, s.pending
                ));
            }
        }
    }
    bar.finish_and_clear();
    let s = node.status().await?;
    node.shutdown().await?;
    let j = status_json(&s);
    out.write_all(
        format!(
            "{}\n",
            if args.json {
                j.to_string()
            } else {
                format!("final {j}")
            }
        )
        .as_bytes(),
    )
    .await?;
    out.flush().await?;
    Ok(())
}
