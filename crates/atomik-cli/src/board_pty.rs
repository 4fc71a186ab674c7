//! The co-simulated board behind a pseudo-terminal: the slave end is a
//! serial port like `/dev/ttyUSB0` for any program; the master end feeds
//! the board top's UART in simulated time ([`BoardBridge`]).
//!
//! Simulated time advances while anything is on the line, queued for it,
//! or was on it within the last [`IDLE_BYTES`] byte-times (so a partial
//! frame meets the board's inter-byte timeout); after that the board is
//! quiescent and the server sleeps until the host writes again, without
//! simulating the wait. Time still passes for the host then: the server
//! counts the wait, at the board's clock rate, into the link time that
//! [`SimClock`] gives the driver's timers. `host_latency_us` delays every byte from the host
//! and every byte to the host by that much simulated time (a USB round
//! trip is twice it).

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result};
use atomik_sim::board::{BoardBridge, BoardTiming, LineStats};
use atomik_sim::{Design, Model};
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, poll};
use nix::pty::{PtyMaster, grantpt, posix_openpt, ptsname_r, unlockpt};
use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};

/// Byte-times of silence after which the board counts as quiescent.
pub(crate) const IDLE_BYTES: u64 = 1024;

/// How the line behaves.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LineOptions {
    /// Inversions per bit-time on each line (0: clean).
    pub line_errors: f64,
    /// Simulated delay of every byte each way, microseconds.
    pub host_latency_us: u64,
    /// Seed of the noise.
    pub seed: u64,
}

/// What the server shares with the thread that started it.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Ask the server to stop.
    pub stop: AtomicBool,
    /// Link time in cycles: the simulated ones plus the quiescent waits.
    pub time: AtomicU64,
}

/// The link time of a co-simulated board, for the driver's timers: the
/// simulated time, plus the time the server waited for the host while the
/// board was quiescent (which it does not simulate). It advances at the
/// simulation's speed while the line is busy, at wall-clock speed while the
/// board is quiescent, and never stands still.
#[derive(Debug)]
pub(crate) struct SimClock {
    pub shared: Arc<Shared>,
    pub clock_hz: u64,
}

impl atomik_board::Clock for SimClock {
    fn now(&self) -> Duration {
        let cycles = u128::from(self.shared.time.load(Ordering::Relaxed));
        let nanos = cycles * 1_000_000_000 / u128::from(self.clock_hz);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

/// What the server did.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ServerReport {
    pub line: LineStats,
    pub cycles: u64,
    pub seconds: f64,
    /// Times the server stopped simulating a quiescent board to wait.
    pub idle_waits: u64,
    /// Cycles of link time spent in those waits (not simulated).
    pub idle_cycles: u64,
}

/// The board's timing from the catalogue.
pub(crate) fn timing(design: Design) -> Result<BoardTiming> {
    match design.spec().family {
        atomik_hdl::designs::Family::Board(b) => Ok(BoardTiming {
            clock_hz: u64::from(b.clock_hz),
            baud: u64::from(b.baud),
            button_active_low: b.button_active_low,
        }),
        _ => anyhow::bail!("{design} is not a board top"),
    }
}

/// Opens a pseudo-terminal in raw mode; returns its master and slave path.
fn open_pty() -> Result<(PtyMaster, PathBuf)> {
    let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY).context("posix_openpt")?;
    grantpt(&master).context("grantpt")?;
    unlockpt(&master).context("unlockpt")?;
    let path = PathBuf::from(ptsname_r(&master).context("ptsname")?);
    // Raw mode on the slave side, so that programs which do not configure
    // the port (a plain open()) get bytes unchanged; it stays set after
    // this descriptor closes.
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    let mut t = tcgetattr(slave.as_raw_fd()).context("tcgetattr")?;
    cfmakeraw(&mut t);
    tcsetattr(slave.as_raw_fd(), SetArg::TCSANOW, &t).context("tcsetattr")?;
    drop(slave);
    let flags = OFlag::from_bits_truncate(fcntl(master.as_raw_fd(), FcntlArg::F_GETFL)?);
    fcntl(
        master.as_raw_fd(),
        FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK),
    )?;
    Ok((master, path))
}

/// Runs the server on this thread until `shared.stop`: builds the model,
/// opens the pty, sends its path on `ready`.
pub(crate) fn serve(
    design: Design,
    line: LineOptions,
    shared: &Arc<Shared>,
    ready: &std::sync::mpsc::Sender<Result<PathBuf>>,
) -> Result<ServerReport> {
    let setup = || -> Result<_> {
        let model = Model::new(design)?;
        let (master, path) = open_pty()?;
        Ok((model, master, path))
    };
    let (model, master, path) = match setup() {
        Ok(s) => s,
        Err(e) => {
            let _ = ready.send(Err(anyhow::anyhow!("{e:#}")));
            return Err(e);
        }
    };
    let mut bridge = BoardBridge::new(model, timing(design)?, line.line_errors, line.seed);
    let _ = ready.send(Ok(path));
    let mut server = Server {
        latency: line.host_latency_us * bridge.timing().clock_hz / 1_000_000,
        master,
        down: VecDeque::new(),
        up: VecDeque::new(),
        received: Vec::new(),
        idle_waits: 0,
        idle_cycles: 0,
        clock_hz: bridge.timing().clock_hz,
    };
    while !shared.stop.load(Ordering::Relaxed) {
        server.step(&mut bridge)?;
        let time = bridge.cycle() + server.idle_cycles;
        shared.time.store(time, Ordering::Relaxed);
    }
    Ok(ServerReport {
        line: bridge.stats(),
        cycles: bridge.cycle(),
        seconds: bridge.seconds(),
        idle_waits: server.idle_waits,
        idle_cycles: server.idle_cycles,
    })
}

struct Server {
    latency: u64,
    master: PtyMaster,
    /// Bytes from the host, with the cycle they reach the line.
    down: VecDeque<(u64, Vec<u8>)>,
    /// Bytes from the board, with the cycle they reach the host.
    up: VecDeque<(u64, u8)>,
    received: Vec<(u64, u8)>,
    idle_waits: u64,
    idle_cycles: u64,
    clock_hz: u64,
}

impl Server {
    fn step(&mut self, bridge: &mut BoardBridge) -> Result<()> {
        self.read_host(bridge.cycle())?;
        while self.down.front().is_some_and(|(t, _)| *t <= bridge.cycle()) {
            let (_, bytes) = self.down.pop_front().expect("checked");
            bridge.send(&bytes);
        }
        let active = bridge.busy()
            || !self.down.is_empty()
            || !self.up.is_empty()
            || bridge.quiet_cycles() < IDLE_BYTES * bridge.cycles_per_byte();
        if active {
            // Up to the next release, in slices of a few bytes.
            let mut chunk = 4 * bridge.cycles_per_byte();
            for t in [self.down.front().map(|d| d.0), self.up.front().map(|u| u.0)]
                .into_iter()
                .flatten()
            {
                chunk = chunk.min(t.saturating_sub(bridge.cycle()).max(1));
            }
            self.received.clear();
            bridge.run(chunk, &mut self.received);
            self.up
                .extend(self.received.iter().map(|&(t, b)| (t + self.latency, b)));
            self.write_host(bridge.cycle())?;
        } else {
            self.idle_waits += 1;
            self.wait_for_host()?;
        }
        Ok(())
    }

    fn read_host(&mut self, now: u64) -> Result<()> {
        let mut buf = [0u8; 4096];
        loop {
            match self.master.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => self.down.push_back((now + self.latency, buf[..n].to_vec())),
                // EIO: no program has the slave open (yet, or any more).
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.raw_os_error() == Some(5) => {
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e).context("reading the pty"),
            }
        }
    }

    fn write_host(&mut self, now: u64) -> Result<()> {
        let n = self.up.iter().take_while(|(t, _)| *t <= now).count();
        if n == 0 {
            return Ok(());
        }
        let bytes: Vec<u8> = self.up.iter().take(n).map(|&(_, b)| b).collect();
        match self.master.write(&bytes) {
            Ok(w) => {
                self.up.drain(..w);
                Ok(())
            }
            // Nobody reads the slave: the bytes are lost, as on a real port
            // with no program attached.
            Err(e) if e.raw_os_error() == Some(5) => {
                self.up.drain(..n);
                Ok(())
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(e).context("writing the pty"),
        }
    }

    /// Sleeps until the host writes (or 20 ms pass); the wait counts as
    /// link time.
    fn wait_for_host(&mut self) -> Result<()> {
        let started = std::time::Instant::now();
        let waited = self.poll_host();
        let nanos = started.elapsed().as_nanos() * u128::from(self.clock_hz) / 1_000_000_000;
        self.idle_cycles += u64::try_from(nanos).unwrap_or(u64::MAX);
        waited
    }

    fn poll_host(&mut self) -> Result<()> {
        let mut fds = [PollFd::new(self.master.as_raw_fd(), PollFlags::POLLIN)];
        let n = poll(&mut fds, 20).context("poll")?;
        let hangup = fds[0]
            .revents()
            .is_some_and(|r| r.intersects(PollFlags::POLLHUP | PollFlags::POLLERR));
        if n > 0 && hangup {
            // No program has the slave open: poll returns at once.
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }
}
