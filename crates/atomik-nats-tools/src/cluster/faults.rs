//! The fault catalogue of `atomik cluster`, and one round of each.
//!
//! Every round sends random updates to the nodes around one fault, heals
//! it, syncs every node and checks what the fault must not break. The
//! rounds take the selected kinds in turn.

use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::Run;
use crate::harness::disk::{DiskFault, SmallDisk};
use crate::harness::proxy::LinkMode;

/// A fault kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Fault {
    /// No fault: traffic and syncs only (for scale runs).
    None,
    /// `kill -9` a node mid-traffic, restart it from its data directory.
    NodeKill,
    /// `kill -9` a server while every node writes, restart it after.
    ServerKill,
    /// `SIGSTOP` a node while the others write, then `SIGCONT` it.
    NodePause,
    /// Cut a node from every server; it keeps serving local reads and writes.
    NodeCut,
    /// Cut one server's routes to the other two.
    ServerCut,
    /// Delay a node's links and one server's routes by 5-50 ms each way.
    LinkSlow,
    /// Stall 5% of the chunks on a node's links and one server's routes for 200 ms.
    LinkLossy,
    /// Fill a node's checkpoint disk.
    DiskFull,
    /// Remount a node's checkpoint disk read-only (and restart the node on it).
    DiskReadOnly,
    /// Make `fsync` fail on a node's checkpoint disk.
    DiskFsync,
}

impl Fault {
    /// Every fault kind (the default mix).
    pub const ALL: [Fault; 10] = [
        Fault::NodeKill,
        Fault::ServerKill,
        Fault::NodePause,
        Fault::NodeCut,
        Fault::ServerCut,
        Fault::LinkSlow,
        Fault::LinkLossy,
        Fault::DiskFull,
        Fault::DiskReadOnly,
        Fault::DiskFsync,
    ];

    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::NodeKill => "node-kill",
            Fault::ServerKill => "server-kill",
            Fault::NodePause => "node-pause",
            Fault::NodeCut => "node-cut",
            Fault::ServerCut => "server-cut",
            Fault::LinkSlow => "link-slow",
            Fault::LinkLossy => "link-lossy",
            Fault::DiskFull => "disk-full",
            Fault::DiskReadOnly => "disk-read-only",
            Fault::DiskFsync => "disk-fsync",
        }
    }

    /// The disk fault it injects, if it is one.
    pub fn disk(self) -> Option<DiskFault> {
        match self {
            Fault::DiskFull => Some(DiskFault::Full),
            Fault::DiskReadOnly => Some(DiskFault::ReadOnly),
            Fault::DiskFsync => Some(DiskFault::FsyncError),
            _ => None,
        }
    }

    /// Whether its victim is a server (else a node).
    pub fn hits_server(self) -> bool {
        matches!(self, Fault::ServerKill | Fault::ServerCut)
    }
}

/// How long a cut lasts beyond the traffic: long enough for the servers'
/// pings (1 s, 3 missed) and the readers' heartbeats (3 s) to notice.
const HOLD: Duration = Duration::from_secs(4);

/// Longest a node cut off from every server may take to answer locally.
const LOCAL: Duration = Duration::from_secs(5);

impl Run {
    /// Injects `fault` on `victim` around this round's traffic, and heals it.
    pub(super) async fn inflict(&mut self, fault: Fault, victim: usize) -> anyhow::Result<()> {
        match fault {
            Fault::None => self.traffic_all().await,
            Fault::NodeKill => {
                self.traffic(victim).await?;
                self.kill_node(victim).await?;
                self.spawn_node(victim).await?;
                self.traffic_all().await
            }
            Fault::ServerKill => {
                self.cluster.servers[victim].kill();
                let r = self.traffic_all().await;
                self.cluster.servers[victim].spawn()?;
                r
            }
            Fault::NodePause => self.pause(victim).await,
            Fault::NodeCut => self.node_cut(victim).await,
            Fault::ServerCut => {
                self.links(Some(victim), None, LinkMode::Cut);
                let r = self.traffic_all().await;
                tokio::time::sleep(HOLD).await;
                self.links(Some(victim), None, LinkMode::Pass);
                r
            }
            Fault::LinkSlow | Fault::LinkLossy => self.bad_links(fault, victim).await,
            Fault::DiskFull | Fault::DiskReadOnly | Fault::DiskFsync => {
                self.disk(fault, victim).await
            }
        }
    }

    async fn pause(&mut self, victim: usize) -> anyhow::Result<()> {
        let pid = self.node(victim)?.pid()?;
        signal(pid, "STOP")?;
        let others: Vec<usize> = (0..self.nodes.len()).filter(|&i| i != victim).collect();
        let r = self.traffic_to(&others).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        signal(pid, "CONT")?;
        r?;
        self.traffic(victim).await
    }

    /// Cuts every client link of `victim`; checks that it serves a local
    /// update and read at once while cut, and that it notices the cut.
    async fn node_cut(&mut self, victim: usize) -> anyhow::Result<()> {
        self.links(None, Some(victim), LinkMode::Cut);
        let r = async {
            self.traffic_all().await?;
            tokio::time::sleep(HOLD).await;
            let t = Instant::now();
            let p = self.plan();
            let table = self.tables[p.table].clone();
            let n = self.node(victim)?;
            let (done, _) = tokio::time::timeout(LOCAL, async {
                let done = n
                    .ask(&format!("@{table} {} {} {}", p.verb, p.addr, p.value))
                    .await?;
                anyhow::Ok((done, n.ask(&format!("@{table} read {}", p.addr)).await?))
            })
            .await
            .with_context(|| {
                format!(
                    "node {} did not serve locally within {LOCAL:?} while cut off",
                    victim + 1
                )
            })??;
            self.local_ms.push(t.elapsed().as_secs_f64() * 1e3 / 2.0);
            self.book.record(victim, &p, &done)?;
            if self.cut_noticed(victim, &table).await? {
                self.noticed += 1;
            }
            anyhow::Ok(())
        }
        .await;
        self.links(None, Some(victim), LinkMode::Pass);
        r
    }

    /// Whether `victim` reports, within a few seconds, that it lost the stream or the acknowledgements.
    async fn cut_noticed(&mut self, victim: usize, table: &str) -> anyhow::Result<bool> {
        let t = Instant::now();
        while t.elapsed() < LOCAL {
            let s = self.node(victim)?.ask(&format!("@{table} status")).await?;
            if s["reading"] == false || !s["publish_error"].is_null() {
                return Ok(true);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(false)
    }

    async fn bad_links(&mut self, fault: Fault, victim: usize) -> anyhow::Result<()> {
        let mode = match fault {
            Fault::LinkSlow => LinkMode::Slow(Duration::from_millis(self.rng.u64(5..=50))),
            _ => LinkMode::Lossy {
                p: 0.05,
                stall: Duration::from_millis(200),
            },
        };
        let server = self.rng.usize(0..self.cluster.servers.len());
        self.links(Some(server), Some(victim), mode);
        let r = self.traffic_all().await;
        self.links(Some(server), Some(victim), LinkMode::Pass);
        r
    }

    /// Breaks `victim`'s checkpoint disk while every node writes, waits
    /// until the node reports it, heals it, waits until checkpoints are
    /// written again, then restarts the node from that disk (for a
    /// read-only disk, first checks that a node refuses to start on it).
    /// An fsync fault needs a filesystem no earlier fault touched: the node
    /// first moves to a fresh one (see [`crate::harness::disk`]).
    async fn disk(&mut self, fault: Fault, victim: usize) -> anyhow::Result<()> {
        let kind = fault.disk().context("not a disk fault")?;
        if kind == DiskFault::FsyncError {
            self.fresh_disk(victim).await?;
        }
        self.disk_of(victim)?.break_it(kind)?;
        let r = async {
            self.traffic_all().await?;
            self.until_checkpoint(victim, true).await
        }
        .await;
        if r.is_ok() && kind == DiskFault::ReadOnly {
            self.kill_node(victim).await?;
            self.refuses_to_start(victim).await?;
        }
        self.disk_of(victim)?.heal()?;
        r?;
        if self.nodes[victim].is_none() {
            self.spawn_node(victim).await?;
        }
        self.until_checkpoint(victim, false).await?;
        // What it took while the disk was broken must survive the restart.
        self.sync(victim).await?;
        self.kill_node(victim).await?;
        self.spawn_node(victim).await?;
        self.traffic(victim).await
    }

    /// Moves `victim` onto a new small filesystem: sync, `kill -9`, copy
    /// its checkpoints, restart it there.
    async fn fresh_disk(&mut self, victim: usize) -> anyhow::Result<()> {
        self.sync(victim).await?;
        self.kill_node(victim).await?;
        self.disk_serial += 1;
        let dir = self.dir.join(format!("disk{victim}-{}", self.disk_serial));
        let disk = SmallDisk::create(&dir, 8)?;
        let (from, to) = (
            self.disk_of(victim)?.mnt.join("data"),
            disk.mnt.join("data"),
        );
        std::fs::create_dir_all(&to)?;
        for e in std::fs::read_dir(&from)? {
            let e = e?;
            if e.path().extension().is_some_and(|x| x == "ckpt") {
                std::fs::copy(e.path(), to.join(e.file_name()))?;
            }
        }
        self.disks[victim] = Some(disk);
        self.spawn_node(victim).await
    }

    /// Waits until every table of `victim` reports a failing checkpoint
    /// (`failing`), or a good one again.
    async fn until_checkpoint(&mut self, victim: usize, failing: bool) -> anyhow::Result<()> {
        let what = format!(
            "waiting for node {} to report {} checkpoint",
            victim + 1,
            if failing { "a failing" } else { "a good" }
        );
        let waits = self.waits.clone();
        let tables = self.tables.clone();
        let n = self.node(victim)?;
        let mut last = Vec::new();
        let r = waits
            .until(&what, async {
                loop {
                    last.clear();
                    for t in &tables {
                        last.push(n.ask(&format!("@{t} status")).await?);
                    }
                    if last
                        .iter()
                        .all(|s| s["checkpoint_error"].is_null() != failing)
                    {
                        return Ok(());
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
            .await;
        r.with_context(|| format!("its last status: {}", serde_json::Value::from(last)))
    }

    /// A node started on a read-only disk must exit non-zero and say why.
    async fn refuses_to_start(&mut self, victim: usize) -> anyhow::Result<()> {
        let mut n = self.start_proc(victim, true)?;
        let r = self
            .waits
            .until(
                "waiting for a node on a read-only disk to give up",
                n.reply(),
            )
            .await;
        anyhow::ensure!(
            r.is_err(),
            "node {} started on a read-only disk",
            victim + 1
        );
        let (st, err) = n.exit().await?;
        anyhow::ensure!(
            !st.success() && err.contains("refusing to publish") && err.contains("Read-only"),
            "node {} on a read-only disk exited with {st} and said {err:?}",
            victim + 1
        );
        self.refused_starts += 1;
        Ok(())
    }
}

/// Sends `SIGsig` to `pid`. The crate forbids unsafe code (libc::kill is
/// unsafe), so the signal goes through kill(1), still addressed by PID.
pub(super) fn signal(pid: i32, sig: &str) -> anyhow::Result<()> {
    let st = std::process::Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()?;
    anyhow::ensure!(st.success(), "kill -{sig} {pid} failed");
    Ok(())
}
