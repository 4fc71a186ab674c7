//! Nodes as separate OS processes: the original README's three-node example,
//! and a short `atomik cluster` run with faults.

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use common::NatsServer;

const BIN: &str = env!("CARGO_BIN_EXE_atomik-nats");

/// A node process; killed by PID on drop.
struct Proc {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Proc {
    fn start(url: &str, id: u16, dir: &std::path::Path) -> Proc {
        let mut child = Command::new(BIN)
            .args([
                "node", "--nats", url, "--table", "readme", "--contexts", "4",
            ])
            .args(["--id", &id.to_string()])
            .arg("--data-dir")
            .arg(dir.join(format!("n{id}")))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn node");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Proc {
            child,
            stdin,
            stdout,
        }
    }

    fn cmd(&mut self, line: &str) -> String {
        writeln!(self.stdin, "{line}").expect("write command");
        let mut r = String::new();
        // Each command gets exactly one reply line; the node bounds its own waits.
        self.stdout.read_line(&mut r).expect("read reply");
        assert!(!r.starts_with("error"), "{line}: {r}");
        r.trim().to_owned()
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
    let Some(s) = NatsServer::start("") else {
        return;
    };
    let d = tempfile::tempdir().expect("temp dir");
    let mut n: Vec<Proc> = (1..=3)
        .map(|i| Proc::start(&s.url(), i, d.path()))
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
fn short_cluster_run_with_faults_converges() {
    if NatsServer::start("").is_none() {
        return;
    }
    let args = atomik_nats::cluster::ClusterArgs {
        rounds: 3,
        ops: 50,
        contexts: 16,
        seed: 3,
        nats_server: "nats-server".into(),
        node_bin: Some(BIN.into()),
        json: true,
    };
    assert!(
        atomik_nats::cluster::run(&args).expect("cluster run"),
        "cluster did not converge"
    );
}
