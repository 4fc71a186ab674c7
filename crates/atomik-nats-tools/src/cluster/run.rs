//! Setting up a cluster run, its traffic, its rounds and its verdict.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use atomik::wire::MsgKind;
use atomik_nats::ConnOptions;
use serde_json::{Value, json};

use super::faults::Fault;
use super::nodes::{Book, NodeProc, NodeSpec, Planned};
use super::{ClusterArgs, Run, USER, Waits};
use crate::bench::percentile;
use crate::harness::disk::{SmallDisk, is_root};
use crate::harness::proxy::{LinkMode, Proxy};
use crate::harness::server::Cluster;
use crate::harness::tempdir;
use crate::oracle::{self, Audit};

fn check(args: &ClusterArgs) -> anyhow::Result<bool> {
    anyhow::ensure!(
        args.nodes >= 1 && args.tables >= 1 && !args.faults.is_empty(),
        "--nodes, --tables and --faults need at least one each"
    );
    let needs_disk = args.faults.iter().any(|f| f.disk().is_some());
    anyhow::ensure!(
        !needs_disk || is_root(),
        "the disk-* faults mount small filesystems, which needs root: run as root or pass \
         --faults without them"
    );
    Ok(needs_disk)
}

/// `links[i][s]`: node `i`'s proxy to server `s`.
async fn client_links(cluster: &Cluster, nodes: usize) -> anyhow::Result<Vec<Vec<Proxy>>> {
    let mut links = Vec::new();
    for _ in 0..nodes {
        let mut row = Vec::new();
        for port in cluster.ports() {
            row.push(Proxy::start(port).await?);
        }
        links.push(row);
    }
    Ok(links)
}

/// The run's own connection: straight to the servers, past every proxy.
async fn connect_direct(cluster: &Cluster, password: &str) -> anyhow::Result<async_nats::Client> {
    connect_to(&cluster.ports(), password).await
}

/// A connection to the servers on `ports` only.
async fn connect_to(ports: &[u16], password: &str) -> anyhow::Result<async_nats::Client> {
    let url = ports
        .iter()
        .map(|p| format!("nats://127.0.0.1:{p}"))
        .collect::<Vec<_>>();
    let mut c = ConnOptions::plain(url.join(","));
    c.user = Some(USER.into());
    c.password = Some(password.to_owned());
    c.connect().await
}

/// Waits that ask each server, and about every table's stream and snapshot bucket.
fn waits(
    args: &ClusterArgs,
    js: async_nats::jetstream::Context,
    tables: &[String],
    servers: Vec<async_nats::Client>,
) -> Waits {
    let mut streams: Vec<String> = tables
        .iter()
        .map(|t| atomik_nats::stream::stream_name(t))
        .collect();
    streams.extend(
        tables
            .iter()
            .map(|t| format!("OBJ_{}", atomik_nats::stream::bucket_name(t))),
    );
    let (base, cap) = (
        Duration::from_secs(args.wait_s),
        Duration::from_secs(args.wait_cap_s),
    );
    Waits::new((base, cap), js, streams, servers)
}

/// Frequent checkpoints and snapshots (so purges happen within a run), a
/// reader grace longer than any fault lasts (the audit must never be
/// purged past), a sync timeout below the waits'.
fn node_spec(args: &ClusterArgs, tables: &[String], password: String) -> anyhow::Result<NodeSpec> {
    let flags = [
        ("--contexts", args.contexts.to_string()),
        ("--checkpoint-ms", "200".into()),
        ("--snapshot-mib", "1".into()),
        ("--snapshot-s", "3".into()),
        ("--reader-grace-s", "60".into()),
        ("--sync-timeout-s", "20".into()),
    ];
    Ok(NodeSpec {
        bin: match &args.node_bin {
            Some(b) => b.clone(),
            None => std::env::current_exe()?,
        },
        url: String::new(),
        user: USER.into(),
        password,
        tables: tables.to_vec(),
        flags: flags
            .into_iter()
            .flat_map(|(k, v)| [k.to_owned(), v])
            .collect(),
    })
}

impl Run {
    async fn new(args: &ClusterArgs, dir: std::path::PathBuf) -> anyhow::Result<(Run, Vec<Audit>)> {
        let needs_disk = check(args)?;
        let password = format!("{:032x}", fastrand::u128(..));
        let cluster = Cluster::start(&dir, &args.nats_server, USER, &password)
            .await
            .context("starting the servers")?;
        let client_links = client_links(&cluster, args.nodes).await?;
        let tables: Vec<String> = (0..args.tables).map(|t| format!("t{t}")).collect();
        let js = async_nats::jetstream::new(connect_direct(&cluster, &password).await?);
        let mut alone = Vec::new();
        for port in cluster.ports() {
            alone.push(connect_to(&[port], &password).await?);
        }
        let waits = waits(args, js.clone(), &tables, alone);
        let mut audits = Vec::new();
        for t in &tables {
            // A cluster that is still forming places no 3-replica stream yet.
            let what = format!("waiting for the cluster to place table {t}'s stream");
            let audit = waits.until(&what, async {
                loop {
                    match Audit::start(&js, t, 3).await {
                        Err(e) if atomik_nats::stream::transient(&format!("{e:#}")) => {
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                        r => return r,
                    }
                }
            });
            audits.push(audit.await?);
        }
        let mut disks = Vec::new();
        for i in 0..args.nodes {
            let d = dir.join(format!("disk{i}"));
            disks.push(if needs_disk {
                Some(SmallDisk::create(&d, 8)?)
            } else {
                None
            });
        }
        let run = Run {
            args: args.clone(),
            dir,
            book: Book::new(tables.len(), args.nodes),
            waits,
            spec: node_spec(args, &tables, password)?,
            tables,
            cluster,
            client_links,
            nodes: (0..args.nodes).map(|_| None).collect(),
            disks,
            disk_serial: 0,
            rng: fastrand::Rng::with_seed(args.seed),
            faults: Vec::new(),
            sync_ms: Vec::new(),
            local_ms: Vec::new(),
            noticed: 0,
            refused_starts: 0,
            traffic_time: Duration::ZERO,
        };
        Ok((run, audits))
    }

    pub(super) fn node(&mut self, i: usize) -> anyhow::Result<&mut NodeProc> {
        self.nodes[i]
            .as_mut()
            .with_context(|| format!("node {} is down", i + 1))
    }

    pub(super) fn disk_of(&mut self, i: usize) -> anyhow::Result<&mut SmallDisk> {
        self.disks[i]
            .as_mut()
            .context("no small disk (disk faults were not selected)")
    }

    /// Starts node `i`'s process (not waiting for it).
    pub(super) fn start_proc(&mut self, i: usize, capture: bool) -> anyhow::Result<NodeProc> {
        let mut spec = self.spec.clone();
        spec.url = self.client_links[i]
            .iter()
            .map(|p| format!("nats://127.0.0.1:{}", p.port()))
            .collect::<Vec<_>>()
            .join(",");
        let data = match &self.disks[i] {
            Some(d) => d.mnt.join("data"),
            None => self.dir.join(format!("n{i}")),
        };
        NodeProc::spawn(&spec, u16::try_from(i + 1)?, &data, capture)
    }

    /// Starts node `i` and waits until it has recovered and caught up.
    pub(super) async fn spawn_node(&mut self, i: usize) -> anyhow::Result<()> {
        let mut n = self.start_proc(i, false)?;
        let what = format!("waiting for node {} to recover and catch up", i + 1);
        let first = format!("@{} status", self.tables[0]);
        self.waits.until(&what, n.ask(&first)).await?;
        self.nodes[i] = Some(n);
        Ok(())
    }

    pub(super) async fn kill_node(&mut self, i: usize) -> anyhow::Result<()> {
        if let Some(n) = self.nodes[i].take() {
            n.kill().await?;
        }
        self.book.forget(i);
        Ok(())
    }

    /// Sets the mode of server `server`'s routes and node `node`'s client links.
    pub(super) fn links(&self, server: Option<usize>, node: Option<usize>, mode: LinkMode) {
        if let Some(s) = server {
            self.cluster.links_of(s).for_each(|p| p.set(mode));
        }
        if let Some(n) = node {
            self.client_links[n].iter().for_each(|p| p.set(mode));
        }
    }

    pub(super) fn plan(&mut self) -> Planned {
        let (kind, verb) = match self.rng.u8(0..50) {
            0 => (MsgKind::Load, "load"),
            1 => (MsgKind::Load, "swap"),
            _ => (MsgKind::Accum, "accum"),
        };
        Planned {
            table: self.rng.usize(0..self.tables.len()),
            kind,
            verb,
            addr: self
                .rng
                .u32(0..u32::try_from(self.args.contexts).unwrap_or(u32::MAX)),
            value: self.rng.u64(..),
        }
    }

    /// This round's updates for one node, and their command lines.
    fn plans(&mut self) -> (Vec<Planned>, String) {
        let plans: Vec<Planned> = (0..self.args.ops).map(|_| self.plan()).collect();
        let lines = plans
            .iter()
            .map(|p| {
                format!(
                    "@{} {} {} {}\n",
                    self.tables[p.table], p.verb, p.addr, p.value
                )
            })
            .collect();
        (plans, lines)
    }

    /// Sends this round's updates to the nodes `which` at once (pipelined),
    /// records their replies.
    pub(super) async fn traffic_to(&mut self, which: &[usize]) -> anyhow::Result<()> {
        let work: Vec<(usize, Vec<Planned>, String)> = which
            .iter()
            .map(|&i| {
                let (p, l) = self.plans();
                (i, p, l)
            })
            .collect();
        let names: Vec<String> = which.iter().map(|i| (i + 1).to_string()).collect();
        let what = format!(
            "waiting for node(s) {} to acknowledge {} updates each",
            names.join(", "),
            self.args.ops
        );
        let waits = self.waits.clone();
        let mut exchanges = Vec::new();
        for (i, n) in self.nodes.iter_mut().enumerate() {
            if let Some((_, plans, lines)) = work.iter().find(|w| w.0 == i) {
                let n = n
                    .as_mut()
                    .with_context(|| format!("node {} is down", i + 1))?;
                exchanges.push(async move { n.exchange(lines, plans.len()).await });
            }
        }
        let replies = waits
            .until(&what, futures_util::future::try_join_all(exchanges))
            .await?;
        for ((i, plans, _), replies) in work.iter().zip(&replies) {
            for (p, r) in plans.iter().zip(replies) {
                self.book.record(*i, p, r)?;
            }
        }
        Ok(())
    }

    /// Sends this round's updates to node `i`, records the replies.
    pub(super) async fn traffic(&mut self, i: usize) -> anyhow::Result<()> {
        self.traffic_to(&[i]).await
    }

    /// Sends this round's updates to every node at once.
    pub(super) async fn traffic_all(&mut self) -> anyhow::Result<()> {
        let all: Vec<usize> = (0..self.nodes.len()).collect();
        self.traffic_to(&all).await
    }

    /// `sync` on node `i`, repeated while the node answers that JetStream
    /// has not acknowledged yet, under one adaptive wait.
    pub(super) async fn sync(&mut self, i: usize) -> anyhow::Result<()> {
        let t = Instant::now();
        let waits = self.waits.clone();
        let what = format!("waiting for node {} to answer `sync`", i + 1);
        let n = self.node(i)?;
        waits
            .until(&what, async {
                loop {
                    match n.ask("sync").await {
                        Err(e) if e.to_string().contains("did not acknowledge") => continue,
                        r => return r,
                    }
                }
            })
            .await?;
        self.sync_ms.push(t.elapsed().as_secs_f64() * 1e3);
        self.book.commit(i);
        Ok(())
    }

    async fn sync_all(&mut self) -> anyhow::Result<()> {
        for i in 0..self.nodes.len() {
            self.sync(i).await?;
        }
        Ok(())
    }

    /// One round: a fault around traffic, then a sync on every node.
    async fn round(&mut self, fault: Fault) -> anyhow::Result<()> {
        let victims = if fault.hits_server() {
            self.cluster.servers.len()
        } else {
            self.nodes.len()
        };
        let victim = self.rng.usize(0..victims);
        let t = Instant::now();
        let what = match (fault, fault.hits_server()) {
            (Fault::None, _) => "no fault".to_owned(),
            (_, true) => format!("fault {} on server s{victim}", fault.name()),
            (_, false) => format!("fault {} on node {}", fault.name(), victim + 1),
        };
        async {
            self.inflict(fault, victim).await?;
            self.sync_all().await
        }
        .await
        .context(what)?;
        match self.faults.iter_mut().find(|(f, _)| *f == fault) {
            Some((_, n)) => *n += 1,
            None => self.faults.push((fault, 1)),
        }
        self.traffic_time += t.elapsed();
        Ok(())
    }
}

/// What the verdict found in one table.
#[derive(Default)]
struct TableVerdict {
    /// The stream's first sequence at the end (above 1: it was purged).
    first: u64,
    /// Snapshots uploaded over the run (the newest one's number).
    snapshots: u64,
    in_stream: usize,
    lost: u64,
    phantom: u64,
    copies: u64,
    missed: Vec<(u64, u64)>,
    converged: bool,
}

impl Run {
    /// Syncs every node twice, then compares every table with the oracle.
    async fn verdict(&mut self, audits: &[Audit]) -> anyhow::Result<Value> {
        for _ in 0..2 {
            self.sync_all().await.context("final syncs")?;
        }
        let mut per_table = Vec::new();
        for (t, audit) in audits.iter().enumerate() {
            per_table.push(self.check_table(t, audit).await?);
        }
        let mut statuses = Vec::new();
        for i in 0..self.nodes.len() {
            for t in self.tables.clone() {
                statuses.push(self.node(i)?.ask(&format!("@{t} status")).await?);
            }
        }
        Ok(self.report(&per_table, &statuses))
    }

    async fn check_table(&mut self, t: usize, audit: &Audit) -> anyhow::Result<TableVerdict> {
        let name = self.tables[t].clone();
        let (end, first, snapshots) = self
            .waits
            .until("reading the stream's state", self.storage(&name))
            .await?;
        let what = format!("waiting for the audit of table {name} to read through {end}");
        let reached = self.waits.until(&what, async {
            audit.reach(end).await;
            Ok(())
        });
        if let Err(e) = reached.await {
            return Err(e.context(audit.describe().await));
        }
        let (want, mut v) = {
            let seen = audit.seen();
            let issued = &self.book.issued[t];
            let want =
                oracle::expected(oracle::issued_in_stream(issued, &seen), self.args.contexts);
            let v = TableVerdict {
                first,
                snapshots,
                in_stream: seen.msgs.len(),
                lost: oracle::lost(&self.book.committed[t], &seen),
                phantom: oracle::phantoms(issued, &seen),
                copies: seen.copies,
                missed: seen.missed.clone(),
                converged: true,
            };
            (want, v)
        };
        for i in 0..self.nodes.len() {
            let r = self.node(i)?.ask(&format!("@{name} dump")).await?;
            let got: Vec<u64> = serde_json::from_value(r["table"].clone())?;
            v.converged &= got == want;
        }
        Ok(v)
    }

    /// The stream's last and first sequence, and the newest snapshot's number.
    async fn storage(&self, table: &str) -> anyhow::Result<(u64, u64, u64)> {
        let js =
            async_nats::jetstream::new(connect_direct(&self.cluster, &self.spec.password).await?);
        let st = js
            .get_stream(atomik_nats::stream::stream_name(table))
            .await?;
        let state = &st.cached_info().state;
        let store = atomik_nats::snapshot::SnapshotStore::existing(&js, table).await?;
        let n = match store {
            Some(s) => s.list().await?.last().map_or(0, |i| i.n),
            None => 0,
        };
        Ok((state.last_sequence, state.first_sequence, n))
    }

    fn report(&self, v: &[TableVerdict], statuses: &[Value]) -> Value {
        let sum = |f: fn(&TableVerdict) -> u64| v.iter().map(f).sum::<u64>();
        let stat = |k: &str| statuses.iter().filter_map(|s| s[k].as_u64()).sum::<u64>();
        let pct = |q: f64| percentile(&mut self.sync_ms.clone(), q);
        let deltas = self.book.committed_count();
        json!({
            "nodes": self.nodes.len(),
            "servers": self.cluster.servers.len(),
            "tables": self.tables.len(),
            "rounds": self.args.rounds,
            "faults": self.faults.iter().map(|(f, n)| (f.name().to_owned(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "deltas": deltas,
            "deltas_in_stream": sum(|t| t.in_stream as u64),
            "converged": v.iter().all(|t| t.converged),
            "lost": sum(|t| t.lost),
            "duplicated": self.book.duplicated,
            "phantom": sum(|t| t.phantom),
            "stream_copies": sum(|t| t.copies),
            "audit_missed": v.iter().flat_map(|t| t.missed.clone()).collect::<Vec<_>>(),
            "snapshots_uploaded": sum(|t| t.snapshots),
            "stream_first_seq": v.iter().map(|t| t.first).collect::<Vec<_>>(),
            "rebuilds_since_last_restart": stat("rebuilds"),
            "node_cuts_noticed": self.noticed,
            "local_answer_ms_max": self.local_ms.iter().copied().fold(0.0, f64::max),
            "refused_starts_on_read_only_disk": self.refused_starts,
            "deltas_per_second": deltas as f64 / self.traffic_time.as_secs_f64().max(1e-9),
            "p50_latency_ms": pct(0.50),
            "p99_latency_ms": pct(0.99),
            "latency_is": "sync round trip: publish, JetStream ack (R3), apply to the stream's end",
        })
    }
}

/// The run's verdict: every table equal to the oracle, nothing lost,
/// duplicated, invented or missed by the audit.
pub(super) fn passed(v: &Value) -> bool {
    v["converged"] == true
        && v["lost"] == 0
        && v["duplicated"] == 0
        && v["phantom"] == 0
        && v["audit_missed"].as_array().is_some_and(Vec::is_empty)
}

/// Runs the cluster and returns its report, with `"passed"` set.
pub(super) async fn measure(args: &ClusterArgs) -> anyhow::Result<Value> {
    let dir = tempdir("cluster")?;
    let load0 = crate::harness::load_average();
    let result = async {
        let (mut run, audits) = Run::new(args, dir.clone()).await?;
        let r = tokio::select! {
            r = rounds(&mut run, &audits) => r,
            s = interrupted() => Err(anyhow::anyhow!("interrupted by {s}")),
        };
        // Every child dies by PID here (Drop of nodes, servers, proxies, disks), also on error.
        drop(run);
        r
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    let mut v = result?;
    v["passed"] = json!(passed(&v));
    v["load_1min_before_after"] = json!([load0, crate::harness::load_average()]);
    Ok(v)
}

/// Resolves on SIGINT or SIGTERM, so that the run still removes everything it made.
async fn interrupted() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    }
}

async fn rounds(run: &mut Run, audits: &[Audit]) -> anyhow::Result<Value> {
    for i in 0..run.nodes.len() {
        run.spawn_node(i).await.context("starting the nodes")?;
    }
    let bar = match run.args.json {
        true => indicatif::ProgressBar::hidden(),
        false => indicatif::ProgressBar::new(u64::from(run.args.rounds)),
    };
    let kinds = run.args.faults.clone();
    for r in 0..run.args.rounds {
        let fault = kinds[r as usize % kinds.len().max(1)];
        run.round(fault)
            .await
            .with_context(|| format!("round {r}"))?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    run.verdict(audits).await.context("verdict")
}
