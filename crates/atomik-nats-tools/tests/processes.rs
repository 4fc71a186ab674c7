//! Nodes as separate OS processes: the original README's three-node
//! example, one process serving several tables, and a short `atomik
//! cluster` run with every fault kind.

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use atomik_nats_tools::cluster::{ClusterArgs, Fault, measure};
use common::NatsServer;

const BIN: &str = env!("CARGO_BIN_EXE_atomik-nats");

/// A node process; killed by PID on drop.
struct Proc {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Proc {
    fn start(url: &str, id: u16, dir: &std::path::Path, tables: &[&str]) -> Proc {
        let mut cmd = Command::new(BIN);
        cmd.args(["node", "--nats", url, "--contexts", "4"])
            .args(["--id", &id.to_string()])
            .arg("--data-dir")
            .arg(dir.join(format!("n{id}")))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for t in tables {
            cmd.args(["--table", t]);
        }
        let mut child = cmd.spawn().expect("spawn node");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Proc {
            child,
            stdin,
            stdout,
        }
    }

    /// Sends one line; returns its one reply line.
    fn reply(&mut self, line: &str) -> String {
        writeln!(self.stdin, "{line}").expect("write command");
        let mut r = String::new();
        // Each command gets exactly one reply line; the node bounds its own waits.
        self.stdout.read_line(&mut r).expect("read reply");
        r.trim().to_owned()
    }

    fn cmd(&mut self, line: &str) -> String {
        let r = self.reply(line);
        assert!(!r.starts_with("error"), "{line}: {r}");
        r
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn readme_three_node_example_as_three_processes() {
    let s = NatsServer::start("");
    let d = tempfile::tempdir().expect("temp dir");
    let mut n: Vec<Proc> = (1..=3)
        .map(|i| Proc::start(&s.url(), i, d.path(), &["readme"]))
        .collect();
    // Context 0, as it should be done: one LOAD, seen by all, then deltas.
    n[0].cmd("load 0 0xAAAA");
    n.iter_mut().for_each(|p| drop(p.cmd("sync")));
    for (p, delta) in n.iter_mut().zip(["0x0001", "0x0010", "0x0100"]) {
        p.cmd(&format!("accum 0 {delta}"));
    }
    // Context 1, the README verbatim: every node LOADs concurrently, then
    // adds its delta. The highest epoch stamp wins everywhere (which one
    // depends on what each node had seen when it loaded); the other deltas
    // belong to superseded epochs, so the result is NOT 0xABBB.
    for (p, delta) in n.iter_mut().zip(["0x0001", "0x0010", "0x0100"]) {
        p.cmd("load 1 0xAAAA");
        p.cmd(&format!("accum 1 {delta}"));
    }
    for _ in 0..2 {
        n.iter_mut().for_each(|p| drop(p.cmd("sync")));
    }
    let mut ctx1 = Vec::new();
    for p in &mut n {
        assert_eq!(p.cmd("read 0"), "value 0 0xabbb");
        ctx1.push(p.cmd("read 1"));
    }
    assert!(ctx1.iter().all(|v| *v == ctx1[0]), "diverged: {ctx1:?}");
    let winners = ["value 1 0xaaab", "value 1 0xaaba", "value 1 0xabaa"];
    assert!(winners.contains(&ctx1[0].as_str()), "{}", ctx1[0]);
}

#[test]
fn one_node_process_serves_several_tables() {
    let s = NatsServer::start("");
    let d = tempfile::tempdir().expect("temp dir");
    let mut a = Proc::start(&s.url(), 1, d.path(), &["stock", "prices"]);
    let mut b = Proc::start(&s.url(), 2, d.path(), &["stock", "prices"]);
    a.cmd("@stock accum 1 0x10");
    a.cmd("@prices load 1 0x500");
    b.cmd("@stock accum 1 0x01");
    let unprefixed = a.reply("accum 1 2");
    assert!(unprefixed.contains("several tables"), "{unprefixed}");
    assert!(a.reply("@nope read 0").contains("does not serve table"));
    for _ in 0..2 {
        for p in [&mut a, &mut b] {
            let r = p.cmd("sync");
            assert!(r.contains("stock=") && r.contains("prices="), "{r}");
        }
    }
    for p in [&mut a, &mut b] {
        assert_eq!(p.cmd("@stock read 1"), "value 1 0x11");
        assert_eq!(p.cmd("@prices read 1"), "value 1 0x500");
        assert_eq!(p.cmd("@prices read 0"), "value 0 0x0");
    }
}

/// One round of every fault kind (disk faults included: the test runs as
/// root), three nodes serving two tables, against the updates issued.
#[test]
fn short_cluster_run_with_every_fault_kind_converges() {
    let args = ClusterArgs {
        rounds: u32::try_from(Fault::ALL.len()).expect("few kinds"),
        ops: 40,
        nodes: 3,
        tables: 2,
        contexts: 16,
        faults: Fault::ALL.to_vec(),
        seed: 3,
        wait_s: 30,
        wait_cap_s: 300,
        nats_server: common::binary(),
        node_bin: Some(BIN.into()),
        json: true,
    };
    let v = measure(&args).expect("cluster run");
    eprintln!("{v}");
    assert_eq!(v["passed"], true, "{v}");
    for f in Fault::ALL {
        assert_eq!(v["faults"][f.name()], 1, "{} did not run: {v}", f.name());
    }
    assert!(v["deltas"].as_u64() > Some(0), "{v}");
    assert_eq!(
        v["node_cuts_noticed"], 1,
        "the cut node did not notice its cut: {v}"
    );
    assert_eq!(v["refused_starts_on_read_only_disk"], 1, "{v}");
}
