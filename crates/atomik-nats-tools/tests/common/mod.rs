//! A real `nats-server` per test: loopback, free port, temp store, killed on drop.
//! A missing `nats-server` fails the test (it never skips).
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use atomik::wire::DeltaMsg;
use atomik_nats::OpDone;
use atomik_nats_tools::harness::server::Server;

/// The server binary (`NATS_SERVER` overrides the `PATH` lookup).
pub fn binary() -> PathBuf {
    std::env::var_os("NATS_SERVER").map_or_else(|| PathBuf::from("nats-server"), PathBuf::from)
}

/// A running server and its directory; killed by PID when dropped.
pub struct NatsServer {
    pub server: Server,
    pub dir: tempfile::TempDir,
}

impl NatsServer {
    /// Starts a JetStream server; `extra` is appended to its config file.
    pub fn start(extra: &str) -> NatsServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = Server::single(dir.path(), &binary(), extra).expect("start nats-server");
        NatsServer { server, dir }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// kill -9, then start again on the same port and store.
    pub fn restart(&mut self) {
        self.server.kill();
        self.server.spawn().expect("restart nats-server");
    }
}

/// Runs a future on a fresh runtime, bounded by `secs`.
pub fn run<F: std::future::Future<Output = anyhow::Result<()>>>(secs: u64, f: F) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(secs), f)
            .await
            .expect("test timed out")
            .expect("test failed");
    });
}

/// Every update the test issued, by identity (the oracle's input).
#[derive(Default)]
pub struct Issued(pub HashMap<(u32, u64), DeltaMsg<u64>>);

impl Issued {
    pub fn add(&mut self, done: &[OpDone]) {
        for d in done {
            self.0.insert((d.msg.sender, d.msg.seq), d.msg);
        }
    }

    /// The table every node must hold once all of them are in the stream.
    pub fn expected(&self, contexts: usize) -> Vec<u64> {
        atomik_nats_tools::oracle::expected(self.0.values(), contexts)
    }
}
