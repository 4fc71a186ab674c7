//! Node processes of a cluster run, talked to over the stdin/stdout protocol,
//! and the book of every update they acknowledged.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::Stdio;

use anyhow::Context as _;
use atomik::wire::{DeltaMsg, MsgKind};
use atomik_nats::stream::W;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// How to start a node process.
#[derive(Clone, Debug)]
pub(super) struct NodeSpec {
    /// The executable that runs `node`.
    pub(super) bin: PathBuf,
    /// The URLs it connects to (comma separated).
    pub(super) url: String,
    /// User and password.
    pub(super) user: String,
    /// The password (passed in the environment).
    pub(super) password: String,
    /// The tables it serves.
    pub(super) tables: Vec<String>,
    /// Further flags (contexts, checkpoint and snapshot settings).
    pub(super) flags: Vec<String>,
}

/// One node process.
#[derive(Debug)]
pub(super) struct NodeProc {
    /// Node id (1-based).
    pub(super) id: u16,
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl NodeProc {
    /// Starts node `id` with its data under `data_dir`; with `capture`,
    /// its stderr is kept for [`NodeProc::exit`] instead of shown.
    pub(super) fn spawn(
        spec: &NodeSpec,
        id: u16,
        data_dir: &std::path::Path,
        capture: bool,
    ) -> anyhow::Result<NodeProc> {
        let mut cmd = Command::new(&spec.bin);
        cmd.arg("node")
            .args(["--nats", &spec.url, "--user", &spec.user, "--json"])
            .args(["--id", &id.to_string(), "--replicas", "3"])
            .arg("--data-dir")
            .arg(data_dir)
            .args(&spec.flags)
            .env("ATOMIK_NATS_PASSWORD", &spec.password)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if capture {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .kill_on_drop(true);
        for t in &spec.tables {
            cmd.args(["--table", t]);
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {} node", spec.bin.display()))?;
        let stdin = child.stdin.take().context("node stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("node stdout")?).lines();
        Ok(NodeProc {
            id,
            child,
            stdin,
            stdout,
        })
    }

    /// Its process id.
    pub(super) fn pid(&self) -> anyhow::Result<i32> {
        let pid = self.child.id().context("node already exited")?;
        i32::try_from(pid).context("pid out of range")
    }

    /// Writes command lines.
    pub(super) async fn send(&mut self, lines: &str) -> anyhow::Result<()> {
        self.stdin.write_all(lines.as_bytes()).await?;
        self.stdin.flush().await?;
        Ok(())
    }

    /// The next reply line as JSON (an `error` reply is an error).
    pub(super) async fn reply(&mut self) -> anyhow::Result<Value> {
        let line = self.stdout.next_line().await?;
        let line = match line {
            Some(l) => l,
            None => {
                let st = self.child.wait().await?;
                anyhow::bail!("node {} exited ({st}) instead of answering", self.id);
            }
        };
        let v: Value = serde_json::from_str(&line)
            .with_context(|| format!("node {} answered {line:?}, which is not JSON", self.id))?;
        if let Some(e) = v.get("error") {
            anyhow::bail!("node {}: {}", self.id, e.as_str().unwrap_or_default());
        }
        Ok(v)
    }

    /// Writes `lines` while reading `replies` reply lines (both at once, so
    /// neither pipe can fill up and stall the other).
    pub(super) async fn exchange(
        &mut self,
        lines: &str,
        replies: usize,
    ) -> anyhow::Result<Vec<Value>> {
        let write = async {
            self.stdin.write_all(lines.as_bytes()).await?;
            self.stdin.flush().await?;
            anyhow::Ok(())
        };
        let read = async {
            let mut out = Vec::with_capacity(replies);
            for _ in 0..replies {
                let line = self.stdout.next_line().await?;
                let line = line.with_context(|| format!("node {} closed its output", self.id))?;
                let v: Value = serde_json::from_str(&line).with_context(|| {
                    format!("node {} answered {line:?}, which is not JSON", self.id)
                })?;
                if let Some(e) = v.get("error") {
                    anyhow::bail!("node {}: {}", self.id, e.as_str().unwrap_or_default());
                }
                out.push(v);
            }
            anyhow::Ok(out)
        };
        Ok(tokio::try_join!(write, read)?.1)
    }

    /// Sends one command and returns its reply.
    pub(super) async fn ask(&mut self, line: &str) -> anyhow::Result<Value> {
        self.send(&format!("{line}\n")).await?;
        self.reply().await
    }

    /// `kill -9` by PID, and reap it.
    pub(super) async fn kill(mut self) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }

    /// Waits for the process to exit on its own; its exit status and
    /// (when captured) what it wrote on stderr.
    pub(super) async fn exit(mut self) -> anyhow::Result<(std::process::ExitStatus, String)> {
        use tokio::io::AsyncReadExt as _;
        drop(self.stdin);
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            e.read_to_string(&mut err).await?;
        }
        Ok((self.child.wait().await?, err))
    }
}

/// A `u64` field of a reply.
pub(super) fn json_u64(v: &Value, k: &str) -> anyhow::Result<u64> {
    v.get(k)
        .and_then(Value::as_u64)
        .with_context(|| format!("reply lacks {k}: {v}"))
}

/// Every update the run issued, per table, and which are committed.
#[derive(Debug, Default)]
pub(super) struct Book {
    /// Per table: identity → the update as issued (content from the test,
    /// sender/seq/epoch from the node's reply).
    pub(super) issued: Vec<HashMap<(u32, u64), DeltaMsg<W>>>,
    /// Per table: identities a later `sync` on the same node confirmed.
    pub(super) committed: Vec<HashSet<(u32, u64)>>,
    /// Per node: (table, identity) not yet covered by a sync.
    uncommitted: Vec<Vec<(usize, (u32, u64))>>,
    /// Identities handed out twice for different updates.
    pub(super) duplicated: u64,
}

/// An update the test is about to issue: table, kind, address, value.
#[derive(Clone, Copy, Debug)]
pub(super) struct Planned {
    /// Table index.
    pub(super) table: usize,
    /// LOAD (also for SWAP, which travels as a LOAD) or ACCUM.
    pub(super) kind: MsgKind,
    /// The verb on the wire (`accum`, `load`, `swap`).
    pub(super) verb: &'static str,
    /// Context address.
    pub(super) addr: u32,
    /// Delta or new value.
    pub(super) value: W,
}

impl Book {
    /// A book for `tables` tables and `nodes` nodes.
    pub(super) fn new(tables: usize, nodes: usize) -> Self {
        Book {
            issued: vec![HashMap::new(); tables],
            committed: vec![HashSet::new(); tables],
            uncommitted: vec![Vec::new(); nodes],
            duplicated: 0,
        }
    }

    /// Records node `node`'s acknowledgement of `p`.
    pub(super) fn record(&mut self, node: usize, p: &Planned, reply: &Value) -> anyhow::Result<()> {
        let sender = u32::try_from(json_u64(reply, "sender")?)?;
        let msg = DeltaMsg {
            kind: p.kind,
            sender,
            epoch: json_u64(reply, "epoch")?,
            seq: json_u64(reply, "seq")?,
            addr: p.addr,
            value: p.value,
        };
        let id = (sender, msg.seq);
        if self.issued[p.table]
            .insert(id, msg)
            .is_some_and(|old| old != msg)
        {
            self.duplicated += 1;
        }
        self.uncommitted[node].push((p.table, id));
        Ok(())
    }

    /// Node `node` answered a `sync`: its earlier updates are in the stream.
    pub(super) fn commit(&mut self, node: usize) {
        for (t, id) in self.uncommitted[node].drain(..) {
            self.committed[t].insert(id);
        }
    }

    /// Node `node` was killed: its uncommitted updates may or may not be in the stream.
    pub(super) fn forget(&mut self, node: usize) {
        self.uncommitted[node].clear();
    }

    /// Committed updates over every table.
    pub(super) fn committed_count(&self) -> usize {
        self.committed.iter().map(HashSet::len).sum()
    }
}
