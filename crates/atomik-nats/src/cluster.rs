//! `atomik cluster`: a 3-server JetStream cluster, 3 node processes, random
//! traffic, injected faults, and a bit-for-bit check against the oracle.
//!
//! Every process is started by this command and killed by PID when it ends
//! (also on error, through `Drop`). Faults rotate per round: `kill -9` a node
//! and restart it; `kill -9` a NATS server and restart it after the round's
//! traffic; `SIGSTOP` a node for the round and `SIGCONT` it.
//!
//! Accounting: an update is *committed* once the node that took it answered
//! a later `sync` (it is then durably in the stream). `lost` counts committed
//! updates missing from the stream; `duplicated` counts `(sender, seq)` pairs
//! handed out twice for different updates (a restarted node reusing an
//! identity, which would make replicas drop one); `stream_copies` counts
//! frames the stream holds more than once (re-published batches), which the
//! replicas' dedup absorbed.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::conn::ConnArgs;
use crate::oracle;

/// Arguments of `atomik cluster`.
#[derive(Debug, clap::Args)]
pub struct ClusterArgs {
    /// Fault rounds (each: traffic on every node, one fault, a sync).
    #[arg(long, default_value_t = 30)]
    pub rounds: u32,
    /// Updates per node per round.
    #[arg(long, default_value_t = 200)]
    pub ops: u32,
    /// Contexts in the table.
    #[arg(long, default_value_t = 64)]
    pub contexts: usize,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The nats-server binary.
    #[arg(long, default_value = "nats-server")]
    pub nats_server: PathBuf,
    /// The `atomik` binary that runs `node` (default: this executable).
    #[arg(long)]
    pub node_bin: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

const NODES: usize = 3;
const TABLE: &str = "cluster";
const USER: &str = "atomik";
/// Longest wait for one reply from a node (covers a server fail-over).
const REPLY_TIMEOUT: Duration = Duration::from_secs(90);

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// One nats-server process (of the cluster, or the benchmark's own).
pub(crate) struct Server {
    conf: PathBuf,
    port: u16,
    child: Option<std::process::Child>,
    bin: PathBuf,
}

impl Server {
    fn spawn(&mut self) -> anyhow::Result<()> {
        let child = std::process::Command::new(&self.bin)
            .arg("-c")
            .arg(&self.conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            anyhow::ensure!(
                Instant::now() < deadline,
                "nats-server on port {} did not start",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            // SIGKILL by PID, then reap it.
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn start_servers(dir: &Path, bin: &Path, password: &str) -> anyhow::Result<Vec<Server>> {
    let ports = (0..NODES)
        .map(|_| free_port())
        .collect::<anyhow::Result<Vec<_>>>()?;
    let routes = (0..NODES)
        .map(|_| free_port())
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut servers = Vec::new();
    for i in 0..NODES {
        let others: Vec<String> = (0..NODES)
            .filter(|&j| j != i)
            .map(|j| format!("nats-route://127.0.0.1:{}", routes[j]))
            .collect();
        let store = dir.join(format!("s{i}"));
        let conf = dir.join(format!("s{i}.conf"));
        std::fs::write(
            &conf,
            format!(
                "server_name: s{i}\nlisten: 127.0.0.1:{}\njetstream {{ store_dir: {store:?} }}\n\
                 cluster {{ name: atomik, listen: 127.0.0.1:{}, routes: [{}] }}\n\
                 authorization {{ user: {USER}, password: {password:?} }}\n",
                ports[i],
                routes[i],
                others.join(", ")
            ),
        )?;
        let mut s = Server {
            conf,
            port: ports[i],
            child: None,
            bin: bin.to_owned(),
        };
        s.spawn()?;
        servers.push(s);
    }
    Ok(servers)
}

/// One node process, talked to over its stdin/stdout protocol.
struct NodeProc {
    id: u16,
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl NodeProc {
    fn pid(&self) -> anyhow::Result<i32> {
        let pid = self.child.id().context("node already exited")?;
        i32::try_from(pid).context("pid out of range")
    }

    async fn send(&mut self, lines: &str) -> anyhow::Result<()> {
        self.stdin.write_all(lines.as_bytes()).await?;
        self.stdin.flush().await?;
        Ok(())
    }

    async fn reply(&mut self) -> anyhow::Result<serde_json::Value> {
        let line = tokio::time::timeout(REPLY_TIMEOUT, self.stdout.next_line())
            .await
            .with_context(|| format!("node {} did not answer", self.id))??
            .with_context(|| format!("node {} closed its output", self.id))?;
        let v: serde_json::Value = serde_json::from_str(&line)?;
        if let Some(e) = v.get("error") {
            anyhow::bail!("node {}: {e}", self.id);
        }
        Ok(v)
    }
}

/// Sends `sig` to `pid`. The crate forbids unsafe code (libc::kill is
/// unsafe), so the signal goes through kill(1), still addressed by PID.
fn signal(pid: i32, sig: i32) -> anyhow::Result<()> {
    let st = std::process::Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()?;
    anyhow::ensure!(st.success(), "kill -{sig} {pid} failed");
    Ok(())
}

/// Everything the run started, plus what it observed.
struct Run {
    args_bin: PathBuf,
    dir: PathBuf,
    url: String,
    password: String,
    contexts: usize,
    servers: Vec<Server>,
    nodes: Vec<Option<NodeProc>>,
    rng: fastrand::Rng,
    /// (sender, seq) → (kind, addr, value) of every update a node accepted.
    issued: HashMap<(u32, u64), (u8, usize, u64)>,
    /// Updates not yet covered by a sync, per node.
    uncommitted: Vec<Vec<(u32, u64)>>,
    committed: HashSet<(u32, u64)>,
    duplicated: u64,
    faults: u64,
    sync_ms: Vec<f64>,
    traffic_time: Duration,
}

impl Run {
    async fn spawn_node(&mut self, i: usize) -> anyhow::Result<()> {
        let mut child = Command::new(&self.args_bin)
            .arg("node")
            .args(["--nats", &self.url, "--user", USER, "--table", TABLE])
            .args(["--id", &(i + 1).to_string(), "--replicas", "3", "--json"])
            .args([
                "--contexts",
                &self.contexts.to_string(),
                "--checkpoint-ms",
                "200",
            ])
            .arg("--data-dir")
            .arg(self.dir.join(format!("n{i}")))
            .env("ATOMIK_NATS_PASSWORD", &self.password)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {} node", self.args_bin.display()))?;
        let stdin = child.stdin.take().context("node stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("node stdout")?).lines();
        let mut n = NodeProc {
            id: u16::try_from(i + 1)?,
            child,
            stdin,
            stdout,
        };
        // The node answers once it has recovered and caught up.
        n.send("status\n").await?;
        n.reply().await?;
        self.nodes[i] = Some(n);
        Ok(())
    }

    fn random_op(&mut self) -> (u8, usize, u64, String) {
        let a = self.rng.usize(0..self.contexts);
        let v = self.rng.u64(..);
        let (k, verb) = match self.rng.u8(0..50) {
            0 => (1, "load"),
            1 => (2, "swap"),
            _ => (0, "accum"),
        };
        (k, a, v, format!("{verb} {a} {v}\n"))
    }

    /// Sends `ops` random updates to node `i` (pipelined), records the replies.
    async fn traffic(&mut self, i: usize, ops: u32) -> anyhow::Result<()> {
        let mut batch = String::new();
        let mut sent = Vec::new();
        for _ in 0..ops {
            let (k, a, v, line) = self.random_op();
            batch.push_str(&line);
            sent.push((k, a, v));
        }
        let n = self.nodes[i].as_mut().context("node down")?;
        n.send(&batch).await?;
        for op in sent {
            let r = n.reply().await?;
            let id = (
                u32::try_from(json_u64(&r, "sender")?)?,
                json_u64(&r, "seq")?,
            );
            if self.issued.insert(id, op).is_some_and(|old| old != op) {
                self.duplicated += 1;
            }
            self.uncommitted[i].push(id);
        }
        Ok(())
    }

    async fn sync(&mut self, i: usize) -> anyhow::Result<()> {
        let t = Instant::now();
        let n = self.nodes[i].as_mut().context("node down")?;
        n.send("sync\n").await?;
        n.reply().await?;
        self.sync_ms.push(t.elapsed().as_secs_f64() * 1e3);
        self.committed.extend(self.uncommitted[i].drain(..));
        Ok(())
    }
}

fn json_u64(v: &serde_json::Value, k: &str) -> anyhow::Result<u64> {
    v.get(k)
        .and_then(serde_json::Value::as_u64)
        .with_context(|| format!("reply lacks {k}: {v}"))
}

impl Run {
    /// One round: traffic on every node around one fault, then syncs.
    async fn round(&mut self, r: u32, ops: u32) -> anyhow::Result<()> {
        let victim = self.rng.usize(0..NODES);
        let t = Instant::now();
        match r % 3 {
            0 => {
                // kill -9 a node mid-traffic, restart it from its data dir.
                self.traffic(victim, ops).await?;
                if let Some(mut n) = self.nodes[victim].take() {
                    n.child.start_kill()?;
                    n.child.wait().await?;
                }
                self.uncommitted[victim].clear();
                self.spawn_node(victim).await?;
                for i in 0..NODES {
                    self.traffic(i, ops).await?;
                }
            }
            1 => {
                // kill -9 a server while every node writes; restart it after.
                self.servers[victim].kill();
                for i in 0..NODES {
                    self.traffic(i, ops).await?;
                }
                self.servers[victim].spawn()?;
            }
            _ => {
                // Pause a node while the others write, then resume it.
                let pid = self.nodes[victim].as_ref().context("node down")?.pid()?;
                signal(pid, libc::SIGSTOP)?;
                for i in (0..NODES).filter(|&i| i != victim) {
                    self.traffic(i, ops).await?;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                signal(pid, libc::SIGCONT)?;
                self.traffic(victim, ops).await?;
            }
        }
        self.faults += 1;
        for i in 0..NODES {
            self.sync(i).await?;
        }
        self.traffic_time += t.elapsed();
        Ok(())
    }

    /// Syncs every node twice, compares all tables with the oracle.
    async fn verdict(&mut self, rounds: u32) -> anyhow::Result<serde_json::Value> {
        for _ in 0..2 {
            for i in 0..NODES {
                self.sync(i).await?;
            }
        }
        let mut conn = ConnArgs::plain(self.url.clone());
        conn.user = Some(USER.into());
        conn.password = Some(self.password.clone());
        let js = async_nats::jetstream::new(conn.connect().await?);
        let contents = oracle::read_stream(&js, TABLE, Duration::from_secs(120)).await?;
        let want = oracle::expected(&contents.msgs, self.contexts);
        let in_stream: HashSet<(u32, u64)> =
            contents.msgs.iter().map(|m| (m.sender, m.seq)).collect();
        let lost = self
            .committed
            .iter()
            .filter(|id| !in_stream.contains(id))
            .count();
        let mut converged = true;
        for i in 0..NODES {
            let n = self.nodes[i].as_mut().context("node down")?;
            n.send("dump\n").await?;
            let t: Vec<u64> = serde_json::from_value(n.reply().await?["table"].clone())?;
            converged &= t == want;
        }
        let pct = |q: f64| percentile(&mut self.sync_ms.clone(), q);
        Ok(serde_json::json!({
            "nodes": NODES,
            "servers": NODES,
            "rounds": rounds,
            "deltas": self.committed.len(),
            "deltas_in_stream": contents.msgs.len(),
            "faults": self.faults,
            "converged": converged,
            "lost": lost,
            "duplicated": self.duplicated,
            "stream_copies": contents.copies,
            "deltas_per_second": self.committed.len() as f64 / self.traffic_time.as_secs_f64().max(1e-9),
            "p50_latency_ms": pct(0.50),
            "p99_latency_ms": pct(0.99),
            "latency_is": "sync round trip: publish, JetStream ack (R3), apply to the stream's end",
        }))
    }
}

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

/// Runs `atomik cluster`; the result says whether every table matched.
pub fn run(args: &ClusterArgs) -> anyhow::Result<bool> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(drive(args))
}

async fn drive(args: &ClusterArgs) -> anyhow::Result<bool> {
    let dir = tempfile_dir("cluster")?;
    let password = format!("{:032x}", fastrand::u128(..));
    let servers = start_servers(&dir, &args.nats_server, &password)?;
    let url = servers
        .iter()
        .map(|s| format!("nats://127.0.0.1:{}", s.port))
        .collect::<Vec<_>>()
        .join(",");
    let bin = match &args.node_bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()?,
    };
    let mut run = Run {
        args_bin: bin,
        dir: dir.clone(),
        url,
        password,
        contexts: args.contexts,
        servers,
        nodes: (0..NODES).map(|_| None).collect(),
        rng: fastrand::Rng::with_seed(args.seed),
        issued: HashMap::new(),
        uncommitted: vec![Vec::new(); NODES],
        committed: HashSet::new(),
        duplicated: 0,
        faults: 0,
        sync_ms: Vec::new(),
        traffic_time: Duration::ZERO,
    };
    let result = async {
        for i in 0..NODES {
            run.spawn_node(i).await?;
        }
        let bar = if args.json {
            indicatif::ProgressBar::hidden()
        } else {
            indicatif::ProgressBar::new(u64::from(args.rounds))
        };
        for r in 0..args.rounds {
            run.round(r, args.ops)
                .await
                .with_context(|| format!("round {r}"))?;
            bar.inc(1);
        }
        bar.finish_and_clear();
        run.verdict(args.rounds).await
    }
    .await;
    // Children die by PID here (Drop of every Server and node Child), also on error.
    drop(run);
    let _ = std::fs::remove_dir_all(&dir);
    let v = result?;
    let ok = v["converged"] == true && v["lost"] == 0 && v["duplicated"] == 0;
    if args.json {
        println!("{v}");
    } else {
        println!("{}", serde_json::to_string_pretty(&v)?);
        println!(
            "{}",
            if ok {
                "CONVERGED: every node equals the oracle"
            } else {
                "FAILED"
            }
        );
    }
    Ok(ok)
}

pub(crate) fn tempfile_dir(what: &str) -> anyhow::Result<PathBuf> {
    let d = std::env::temp_dir().join(format!("atomik-{what}-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

impl Server {
    /// A standalone JetStream server on a free loopback port, storing under `dir`.
    pub(crate) fn single(dir: &Path, bin: &Path) -> anyhow::Result<Server> {
        let port = free_port()?;
        let conf = dir.join("single.conf");
        let store = dir.join("single");
        std::fs::write(
            &conf,
            format!("listen: 127.0.0.1:{port}\njetstream {{ store_dir: {store:?} }}\n"),
        )?;
        let mut s = Server {
            conf,
            port,
            child: None,
            bin: bin.to_owned(),
        };
        s.spawn()?;
        Ok(s)
    }

    /// Its client URL.
    pub(crate) fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}
