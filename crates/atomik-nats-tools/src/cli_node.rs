//! `atomik node`: one long-lived node process, serving one or more tables,
//! fed by a line protocol on stdin.
//!
//! # Stdin protocol
//! One command per line; numbers are decimal or `0x` hex; one reply line on
//! stdout per command (a JSON object per line with `--json`):
//!
//! | command | effect | reply |
//! |---|---|---|
//! | `accum ADDR DELTA` | XOR `DELTA` into context `ADDR` | `ok sender=S seq=N epoch=E` |
//! | `load ADDR VALUE` | set `ADDR` to `VALUE` (new epoch) | `ok sender=S seq=N epoch=E` |
//! | `swap ADDR VALUE` | return the state and set `VALUE` (new epoch) | `ok sender=S seq=N epoch=E old=0x…` |
//! | `read ADDR` | the state of `ADDR` | `value ADDR 0x…` |
//! | `dump` | every context | `table 0x… 0x… …` |
//! | `sync` | publish, wait for JetStream's ack, apply the stream to its end | `synced stream_seq=N` |
//! | `checkpoint` | write a checkpoint now | `ok` |
//! | `status` | counters and health | `status {json}` |
//!
//! A node serving several tables (`--table` given more than once) takes
//! `@TABLE` before a command (`@stock accum 3 0x10`). Without it, `sync`,
//! `checkpoint` and `status` act on every table (one reply line that lists
//! each); the other commands need it.
//!
//! `ok` means applied locally and queued; after a `sync` reply every earlier
//! update is durably in the stream. Blank lines and `#` comments are ignored;
//! a bad line gets `error: …` and changes nothing. End of input writes a
//! final checkpoint per table and prints `final {json}` per table; the
//! process exits non-zero if one of those checkpoints cannot be written.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use atomik_nats::{Node, NodeConfig, Op, Retention, Status};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

use crate::args::ConnArgs;

/// Arguments of `atomik node`.
#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    #[command(flatten)]
    /// Server address and credentials.
    pub conn: ConnArgs,
    /// Table (stream) name; give it several times to serve several tables.
    #[arg(long = "table", required = true)]
    pub tables: Vec<String>,
    /// Node id, unique per table (0-65535).
    #[arg(long)]
    pub id: u16,
    /// Directory for the checkpoints (`<table>.ckpt`).
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Contexts per table (must match on every node).
    #[arg(long, default_value_t = 256)]
    pub contexts: usize,
    /// Most frames per NATS message.
    #[arg(long, default_value_t = 1024)]
    pub batch: usize,
    /// Longest wait, in microseconds, for a batch to fill (0: send when idle).
    #[arg(long, default_value_t = 0)]
    pub linger_us: u64,
    /// Checkpoint interval in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub checkpoint_ms: u64,
    /// Stream replicas when the node creates the stream (3 on a 3-server cluster).
    #[arg(long, default_value_t = 1)]
    pub replicas: usize,
    /// Upload a snapshot once the stream holds this many MiB…
    #[arg(long, default_value_t = 64)]
    pub snapshot_mib: u64,
    /// …or once the newest snapshot is this many seconds old.
    #[arg(long, default_value_t = 60)]
    pub snapshot_s: u64,
    /// Never upload snapshots nor purge the stream.
    #[arg(long)]
    pub no_snapshots: bool,
    /// A stream reader that received a message within this many seconds
    /// holds the purge below what it still needs.
    #[arg(long, default_value_t = 120)]
    pub reader_grace_s: u64,
    /// Longest a `sync` waits for JetStream before it answers with an error.
    #[arg(long, default_value_t = 60)]
    pub sync_timeout_s: u64,
    /// Machine-readable replies and status (no progress line).
    #[arg(long)]
    pub json: bool,
}

impl NodeArgs {
    fn config(&self, table: &str) -> NodeConfig {
        let mut cfg = NodeConfig::new(table, self.id, &self.data_dir);
        cfg.contexts = self.contexts;
        cfg.batch = self.batch;
        cfg.linger = Duration::from_micros(self.linger_us);
        cfg.checkpoint_every = Duration::from_millis(self.checkpoint_ms.max(1));
        cfg.stream_replicas = self.replicas;
        cfg.retention = (!self.no_snapshots).then(|| Retention {
            snapshot_bytes: self.snapshot_mib << 20,
            snapshot_age: Duration::from_secs(self.snapshot_s.max(1)),
            purge: true,
            reader_grace: Duration::from_secs(self.reader_grace_s),
            ..Retention::default()
        });
        cfg
    }
}

/// The status as a JSON object.
pub fn status_json(table: &str, s: &Status) -> Value {
    json!({
        "table": table,
        "node": s.node_id,
        "sender": s.sender,
        "recovery": format!("{:?}", s.recovery),
        "refused_checkpoint": s.refused_checkpoint,
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
        "resubscribes": s.resubscribes,
        "bad_frames": s.bad_frames,
        "rejected": s.rejected,
        "rebuilds": s.rebuilds,
        "checkpoint_seq": s.checkpoint_seq,
        "checkpoint_error": s.checkpoint_error,
        "publish_error": s.publish_error,
        "reader_error": s.reader_error,
        "reading": s.reading,
        "snapshots": s.snapshots,
        "purged_below": s.purged_below,
        "snapshot_error": s.snapshot_error,
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

/// The tables a process serves, and how it answers.
struct Served {
    nodes: Vec<(String, Node)>,
    json: bool,
    sync_timeout: Duration,
}

/// One parsed line: the table it names (if any), the verb and its arguments.
struct Line<'a> {
    table: Option<&'a str>,
    verb: &'a str,
    args: Vec<&'a str>,
}

fn parse(line: &str) -> anyhow::Result<Line<'_>> {
    let mut w = line.split_whitespace().peekable();
    let table = w.next_if(|t| t.starts_with('@')).map(|t| &t[1..]);
    let verb = w.next().context("missing command")?;
    Ok(Line {
        table,
        verb,
        args: w.collect(),
    })
}

impl Served {
    fn node(&self, table: Option<&str>) -> anyhow::Result<(&str, &Node)> {
        match (table, self.nodes.as_slice()) {
            (None, [(t, n)]) => Ok((t, n)),
            (None, _) => {
                anyhow::bail!("this node serves several tables: put @TABLE before the command")
            }
            (Some(t), nodes) => nodes
                .iter()
                .find(|(name, _)| name == t)
                .map(|(name, n)| (name.as_str(), n))
                .with_context(|| format!("this node does not serve table {t:?}")),
        }
    }

    /// The tables a command without `@TABLE` acts on.
    fn targets(&self, table: Option<&str>) -> anyhow::Result<Vec<(&str, &Node)>> {
        match table {
            Some(_) => Ok(vec![self.node(table)?]),
            None => Ok(self.nodes.iter().map(|(t, n)| (t.as_str(), n)).collect()),
        }
    }

    /// Parses and executes one line; returns the reply.
    async fn command(&self, line: &str) -> anyhow::Result<String> {
        let l = parse(line)?;
        let op = match l.verb {
            "accum" | "load" | "swap" => {
                anyhow::ensure!(l.args.len() == 2, "{} takes ADDR and a number", l.verb);
                let (a, v) = (addr(l.args.first().copied())?, num(l.args.get(1).copied())?);
                Some(match l.verb {
                    "accum" => Op::Accum(a, v),
                    "load" => Op::Load(a, v),
                    _ => Op::Swap(a, v),
                })
            }
            _ => None,
        };
        match (op, l.verb) {
            (Some(op), _) => self.op(l.table, op).await,
            (None, "read") => {
                anyhow::ensure!(l.args.len() == 1, "read takes ADDR");
                let a = addr(l.args.first().copied())?;
                let v = self.node(l.table)?.1.read(a).await?;
                Ok(self.reply(json!({"addr": a, "value": v}), format!("value {a} {v:#x}")))
            }
            (None, "dump") => {
                let t = self.node(l.table)?.1.dump().await?;
                let hex: Vec<String> = t.iter().map(|v| format!("{v:#x}")).collect();
                Ok(self.reply(json!({ "table": t }), format!("table {}", hex.join(" "))))
            }
            (None, "sync" | "checkpoint" | "status") => self.each(l.table, l.verb).await,
            (None, v) => anyhow::bail!(
                "unknown command {v:?} (accum, load, swap, read, dump, sync, checkpoint, status)"
            ),
        }
    }

    async fn op(&self, table: Option<&str>, op: Op) -> anyhow::Result<String> {
        let d = self.node(table)?.1.op(op).await?;
        let m = d.msg;
        let text = format!("ok sender={} seq={} epoch={}", m.sender, m.seq, m.epoch);
        Ok(match (self.json, d.old) {
            (true, old) => {
                json!({"ok": true, "sender": m.sender, "seq": m.seq, "epoch": m.epoch, "old": old})
                    .to_string()
            }
            (false, None) => text,
            (false, Some(o)) => format!("{text} old={o:#x}"),
        })
    }

    /// `sync`, `checkpoint` or `status` of one table, as JSON.
    async fn one(&self, verb: &str, t: &str, n: &Node) -> anyhow::Result<Value> {
        let ctx = || format!("table {t}");
        Ok(match verb {
            "sync" => json!(self.sync(n).await.with_context(ctx)?),
            "checkpoint" => n
                .checkpoint()
                .await
                .with_context(ctx)
                .map(|()| json!(true))?,
            _ => status_json(t, &n.status().await?),
        })
    }

    /// `sync`, `checkpoint` or `status` on one table or on every table.
    async fn each(&self, table: Option<&str>, verb: &str) -> anyhow::Result<String> {
        let mut vals = Vec::new();
        for (t, n) in self.targets(table)? {
            vals.push((t, self.one(verb, t, n).await?));
        }
        if let [(_, v)] = vals.as_slice() {
            if table.is_some() || self.nodes.len() == 1 {
                return Ok(match verb {
                    "sync" => self.reply(json!({ "synced": v }), format!("synced stream_seq={v}")),
                    "checkpoint" => self.reply(json!({ "ok": true }), "ok".into()),
                    _ => self.reply(v.clone(), format!("status {v}")),
                });
            }
        }
        let key = match verb {
            "sync" => "synced",
            "checkpoint" => "ok",
            _ => "status",
        };
        let text: Vec<String> = vals.iter().map(|(t, v)| format!("{t}={v}")).collect();
        let obj: serde_json::Map<String, Value> =
            vals.into_iter().map(|(t, v)| (t.to_owned(), v)).collect();
        Ok(self.reply(json!({ key: obj }), format!("{key} {}", text.join(" "))))
    }

    async fn sync(&self, n: &Node) -> anyhow::Result<u64> {
        match tokio::time::timeout(self.sync_timeout, n.sync()).await {
            Ok(r) => r,
            Err(_) => {
                let why = n
                    .status()
                    .await
                    .ok()
                    .and_then(|s| s.publish_error.or(s.reader_error));
                anyhow::bail!(
                    "sync: JetStream did not acknowledge within {} s{}; the updates stay queued",
                    self.sync_timeout.as_secs(),
                    why.map(|w| format!(" (last error: {w})"))
                        .unwrap_or_default()
                )
            }
        }
    }

    fn reply(&self, j: Value, text: String) -> String {
        if self.json { j.to_string() } else { text }
    }
}

/// Runs `atomik node` until end of input.
pub fn run(args: &NodeArgs) -> anyhow::Result<()> {
    crate::args::runtime()?.block_on(serve(args))
}

async fn start(args: &NodeArgs) -> anyhow::Result<Served> {
    let mut seen = std::collections::HashSet::new();
    for t in &args.tables {
        atomik_nats::stream::check_table_name(t)?;
        anyhow::ensure!(seen.insert(t), "table {t:?} is given twice");
    }
    let client = args.conn.options().connect().await?;
    let starts = args.tables.iter().map(|t| {
        let (client, cfg) = (client.clone(), args.config(t));
        async move {
            let n = Node::start(client, cfg)
                .await
                .with_context(|| format!("table {t}"))?;
            anyhow::Ok((t.clone(), n))
        }
    });
    Ok(Served {
        nodes: futures_util::future::try_join_all(starts).await?,
        json: args.json,
        sync_timeout: Duration::from_secs(args.sync_timeout_s.max(1)),
    })
}

async fn serve(args: &NodeArgs) -> anyhow::Result<()> {
    let served = start(args).await?;
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
                let reply = match served.command(line).await {
                    Ok(r) => r,
                    Err(e) if args.json => json!({"error": format!("{e:#}")}).to_string(),
                    Err(e) => format!("error: {e:#}"),
                };
                out.write_all(format!("{reply}\n").as_bytes()).await?;
                out.flush().await?;
            }
            _ = tick.tick(), if !args.json => bar.set_message(progress_line(&served).await),
        }
    }
    bar.finish_and_clear();
    finish(served, &mut out, args.json).await
}

async fn progress_line(served: &Served) -> String {
    let mut parts = Vec::new();
    for (t, n) in &served.nodes {
        if let Ok(s) = n.status().await {
            parts.push(format!(
                "{t}: seq {} applied {} sent {} acked {} dup {} pending {}",
                s.stream_seq, s.replica.applied, s.sent, s.acked, s.replica.duplicates, s.pending
            ));
        }
    }
    parts.join(" | ")
}

/// Final checkpoints and statuses; the first failed checkpoint is the error.
/// A final checkpoint waits for JetStream's acknowledgement of every
/// update it holds, at most as long as a `sync` would.
async fn finish(served: Served, out: &mut tokio::io::Stdout, json: bool) -> anyhow::Result<()> {
    let mut first_err = None;
    let limit = served.sync_timeout;
    for (t, n) in served.nodes {
        let s = n.status().await?;
        let r = match tokio::time::timeout(limit, n.shutdown()).await {
            Ok(r) => r,
            Err(_) => Err(anyhow::anyhow!(
                "JetStream did not acknowledge the updates it holds within {} s",
                limit.as_secs()
            )),
        };
        if let Err(e) = r {
            first_err.get_or_insert(e.context(format!("final checkpoint of table {t}")));
        }
        let j = status_json(&t, &s);
        let line = if json {
            j.to_string()
        } else {
            format!("final {j}")
        };
        out.write_all(format!("{line}\n").as_bytes()).await?;
    }
    out.flush().await?;
    first_err.map_or(Ok(()), Err)
}
