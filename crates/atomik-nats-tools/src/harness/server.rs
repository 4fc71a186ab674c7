//! `nats-server` processes on loopback: a single JetStream server, or a
//! 3-server cluster whose route links run through fault proxies.
//!
//! Every server is started by PID and killed by PID (`SIGKILL`) when it is
//! dropped, also on error. A missing `nats-server` binary is an error that
//! says how to install it, never a reason to skip.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::proxy::Proxy;

/// Longest a starting server may take to listen.
const LISTEN: Duration = Duration::from_secs(60);

/// A free loopback TCP port.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Fails with an installation hint unless `bin --version` runs.
pub fn check_binary(bin: &Path) -> anyhow::Result<()> {
    let out = Command::new(bin).arg("--version").output();
    anyhow::ensure!(
        out.is_ok_and(|o| o.status.success()),
        "{} is not installed or does not run: `just deps` installs nats-server \
         (Debian package nats-server)",
        bin.display()
    );
    Ok(())
}

/// One nats-server process.
#[derive(Debug)]
pub struct Server {
    conf: PathBuf,
    /// Its client port.
    pub port: u16,
    /// Its JetStream store directory.
    pub store: PathBuf,
    child: Option<Child>,
    bin: PathBuf,
}

impl Server {
    /// Writes `conf` (the client port and store are already in it) and starts the server.
    fn create(
        bin: &Path,
        conf: PathBuf,
        port: u16,
        store: PathBuf,
        text: &str,
    ) -> anyhow::Result<Server> {
        std::fs::write(&conf, text).with_context(|| format!("writing {}", conf.display()))?;
        let mut s = Server {
            conf,
            port,
            store,
            child: None,
            bin: bin.to_owned(),
        };
        s.spawn()?;
        Ok(s)
    }

    /// A standalone JetStream server on a free port, storing under `dir`;
    /// `extra` is appended to its configuration.
    pub fn single(dir: &Path, bin: &Path, extra: &str) -> anyhow::Result<Server> {
        check_binary(bin)?;
        let port = free_port()?;
        let store = dir.join("js");
        let text =
            format!("listen: 127.0.0.1:{port}\njetstream {{ store_dir: {store:?} }}\n{extra}\n");
        Server::create(bin, dir.join("server.conf"), port, store, &text)
    }

    /// Starts the process and waits until it listens (60 s at most:
    /// a server recovering its JetStream store on a loaded machine is slow).
    pub fn spawn(&mut self) -> anyhow::Result<()> {
        let child = Command::new(&self.bin)
            .arg("-c")
            .arg(&self.conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        self.child = Some(child);
        let deadline = Instant::now() + LISTEN;
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            anyhow::ensure!(
                Instant::now() < deadline,
                "nats-server {} on port {} did not listen within {} s",
                self.conf.display(),
                self.port,
                LISTEN.as_secs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// `kill -9` by PID, and reap it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Whether the process runs.
    pub fn running(&self) -> bool {
        self.child.is_some()
    }

    /// Its client URL.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Three JetStream servers in one cluster. Server `i` dials server `j`'s
/// route port through `routes[i][j]`, so cutting `i`'s routes isolates it.
#[derive(Debug)]
pub struct Cluster {
    /// The servers.
    pub servers: Vec<Server>,
    /// `routes[i][j]`: the proxy server `i` dials to reach server `j` (`None` for `i == j`).
    pub routes: Vec<Vec<Option<Proxy>>>,
}

/// Servers in a [`Cluster`].
pub const SERVERS: usize = 3;

impl Cluster {
    /// Starts the cluster under `dir` with user `user` and `password`.
    pub async fn start(
        dir: &Path,
        bin: &Path,
        user: &str,
        password: &str,
    ) -> anyhow::Result<Cluster> {
        check_binary(bin)?;
        let ports = (0..SERVERS)
            .map(|_| free_port())
            .collect::<anyhow::Result<Vec<_>>>()?;
        let route_ports = (0..SERVERS)
            .map(|_| free_port())
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut routes = Vec::new();
        for i in 0..SERVERS {
            let mut row = Vec::new();
            for (j, &rp) in route_ports.iter().enumerate() {
                row.push(if i == j {
                    None
                } else {
                    Some(Proxy::start(rp).await?)
                });
            }
            routes.push(row);
        }
        let mut servers = Vec::new();
        for i in 0..SERVERS {
            let dials: Vec<String> = routes[i]
                .iter()
                .flatten()
                .map(|p| format!("nats-route://127.0.0.1:{}", p.port()))
                .collect();
            let store = dir.join(format!("s{i}"));
            // Routes learnt by gossip would bypass the proxies: every server
            // advertises an address nobody listens on, and dials only its list.
            // Pings every second find a dead peer or client in ~3 s.
            let text = format!(
                "server_name: s{i}\nlisten: 127.0.0.1:{}\nping_interval: \"1s\"\nping_max: 3\n\
                 jetstream {{ store_dir: {store:?} }}\n\
                 cluster {{ name: atomik, listen: 127.0.0.1:{}, advertise: \"127.0.0.1:1\", \
                 no_advertise: true, routes: [{}] }}\n\
                 authorization {{ user: {user}, password: {password:?} }}\n",
                ports[i],
                route_ports[i],
                dials.join(", ")
            );
            servers.push(Server::create(
                bin,
                dir.join(format!("s{i}.conf")),
                ports[i],
                store,
                &text,
            )?);
        }
        Ok(Cluster { servers, routes })
    }

    /// The route proxies that touch server `i` (both directions).
    pub fn links_of(&self, i: usize) -> impl Iterator<Item = &Proxy> {
        self.routes.iter().enumerate().flat_map(move |(a, row)| {
            row.iter()
                .enumerate()
                .filter(move |(b, _)| a == i || *b == i)
                .filter_map(|(_, p)| p.as_ref())
        })
    }

    /// Every server's client port.
    pub fn ports(&self) -> Vec<u16> {
        self.servers.iter().map(|s| s.port).collect()
    }
}
