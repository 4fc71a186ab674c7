//! A fault-injecting TCP proxy on loopback: one listening port forwarding
//! to one target, whose link can be cut, slowed or made lossy at any time.
//!
//! * [`LinkMode::Cut`]: nothing is forwarded in either direction; bytes
//!   wait (in the proxy's bounded queue, then in the kernel's buffers) as
//!   they would for a partitioned network, and flow again when the cut
//!   heals, unless an endpoint gave up on the connection meanwhile. New
//!   connections are accepted but stay silent.
//! * [`LinkMode::Slow`]: every chunk is delivered `delay` after it was read.
//! * [`LinkMode::Lossy`]: each chunk is, with probability `p`, held back for
//!   `stall`, as TCP holds data back until it retransmits a lost segment.
//!   (A proxy cannot drop bytes of a TCP stream without corrupting it;
//!   what loss does to a TCP connection is exactly this stall.) Order is
//!   preserved: later chunks wait behind a stalled one.
//!
//! Every connection's tasks stop when the proxy is dropped.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// What the link does to the bytes crossing it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LinkMode {
    /// Forward at once.
    Pass,
    /// Forward nothing until the mode changes.
    Cut,
    /// Deliver every chunk this long after it was read.
    Slow(Duration),
    /// Hold a chunk back for `stall` with probability `p`.
    Lossy {
        /// Probability per chunk.
        p: f64,
        /// How long a "lost" chunk is held back.
        stall: Duration,
    },
}

/// A running proxy.
#[derive(Debug)]
pub struct Proxy {
    port: u16,
    mode: watch::Sender<LinkMode>,
    tasks: Arc<Mutex<JoinSet<()>>>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Ok(mut t) = self.tasks.lock() {
            t.abort_all();
        }
    }
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `127.0.0.1:target`.
    pub async fn start(target: u16) -> anyhow::Result<Proxy> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let (mode, rx) = watch::channel(LinkMode::Pass);
        let tasks = Arc::new(Mutex::new(JoinSet::new()));
        let t = tasks.clone();
        if let Ok(mut set) = tasks.lock() {
            set.spawn(accept(listener, target, rx, t));
        }
        Ok(Proxy { port, mode, tasks })
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Changes what the link does, for every connection at once.
    pub fn set(&self, mode: LinkMode) {
        self.mode.send_replace(mode);
    }

    /// What the link does now.
    pub fn mode(&self) -> LinkMode {
        *self.mode.borrow()
    }
}

async fn accept(
    listener: TcpListener,
    target: u16,
    mode: watch::Receiver<LinkMode>,
    tasks: Arc<Mutex<JoinSet<()>>>,
) {
    while let Ok((down, _)) = listener.accept().await {
        let mode = mode.clone();
        if let Ok(mut set) = tasks.lock() {
            set.spawn(async move {
                // A cut link answers no new connection either.
                let mut m = mode.clone();
                let _ = m.wait_for(|m| *m != LinkMode::Cut).await;
                let Ok(up) = TcpStream::connect(("127.0.0.1", target)).await else {
                    return;
                };
                let _ = down.set_nodelay(true);
                let _ = up.set_nodelay(true);
                let (dr, dw) = down.into_split();
                let (ur, uw) = up.into_split();
                tokio::join!(pipe(dr, uw, mode.clone()), pipe(ur, dw, mode));
            });
        }
    }
}

/// One direction of one connection: a reader that stamps chunks with
/// their delivery time, and a writer that honours the link's mode.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mode: watch::Receiver<LinkMode>,
) {
    let (tx, mut rx) = mpsc::channel::<(Instant, Vec<u8>)>(64);
    let m = mode.clone();
    let reader = async move {
        let mut rng = fastrand::Rng::new();
        let mut last = Instant::now();
        loop {
            let mut buf = vec![0u8; 64 * 1024];
            let n = match from.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            buf.truncate(n);
            let now = Instant::now();
            let at = match *m.borrow() {
                LinkMode::Slow(d) => now + d,
                LinkMode::Lossy { p, stall } if rng.f64() < p => now + stall,
                _ => now,
            };
            // Order is kept: nothing overtakes a held-back chunk.
            last = last.max(at);
            if tx.send((last, buf)).await.is_err() {
                break;
            }
        }
    };
    let writer = async move {
        let mut mode = mode;
        while let Some((at, buf)) = rx.recv().await {
            tokio::time::sleep_until(at).await;
            if mode.wait_for(|m| *m != LinkMode::Cut).await.is_err()
                || to.write_all(&buf).await.is_err()
            {
                return;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(reader, writer);
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn echo_server() -> anyhow::Result<u16> {
        let l = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = l.local_addr()?.port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let mut b = [0u8; 1024];
                    while let Ok(n) = s.read(&mut b).await {
                        if n == 0 || s.write_all(&b[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        Ok(port)
    }

    async fn round_trip(c: &mut TcpStream, msg: &[u8]) -> anyhow::Result<Duration> {
        let t = Instant::now();
        c.write_all(msg).await?;
        let mut b = vec![0u8; msg.len()];
        c.read_exact(&mut b).await?;
        anyhow::ensure!(b == msg, "echo differs");
        Ok(t.elapsed())
    }

    #[tokio::test]
    async fn a_cut_holds_bytes_until_it_heals_and_slow_adds_the_delay() -> anyhow::Result<()> {
        let p = Proxy::start(echo_server().await?).await?;
        let mut c = TcpStream::connect(("127.0.0.1", p.port())).await?;
        round_trip(&mut c, b"pass").await?;
        p.set(LinkMode::Cut);
        c.write_all(b"held").await?;
        let mut b = [0u8; 4];
        let early = tokio::time::timeout(Duration::from_millis(300), c.read_exact(&mut b)).await;
        assert!(early.is_err(), "a cut link delivered bytes");
        p.set(LinkMode::Pass);
        tokio::time::timeout(Duration::from_secs(5), c.read_exact(&mut b)).await??;
        assert_eq!(&b, b"held");
        p.set(LinkMode::Slow(Duration::from_millis(50)));
        let rtt = round_trip(&mut c, b"slow").await?;
        assert!(
            rtt >= Duration::from_millis(100),
            "two slow hops took only {rtt:?}"
        );
        p.set(LinkMode::Lossy {
            p: 1.0,
            stall: Duration::from_millis(80),
        });
        let rtt = round_trip(&mut c, b"lossy").await?;
        assert!(
            rtt >= Duration::from_millis(160),
            "two stalled hops took only {rtt:?}"
        );
        Ok(())
    }
}
