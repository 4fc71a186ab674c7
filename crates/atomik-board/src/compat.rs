//! Compatible mode: the original project's byte commands on context 0
//! (docs/board.md, "Compatible mode"), byte for byte. No checksum and no
//! sequence: use it for the original's host scripts and for comparison,
//! not on a line that can corrupt bytes.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::transport::{Serial, Transport};

/// LOAD: `L` and the value, big-endian.
pub const CMD_LOAD: u8 = b'L';
/// ACCUM: `A` and the delta, big-endian.
pub const CMD_ACCUM: u8 = b'A';
/// READ: `R`; 8 bytes back, the state, big-endian.
pub const CMD_READ: u8 = b'R';
/// STATUS: `S`; 1 byte back, 0x80 if the accumulator is zero.
pub const CMD_STATUS: u8 = b'S';
/// REFERENCE: `D`; 8 bytes back, the reference, big-endian.
pub const CMD_REFERENCE: u8 = b'D';

/// One compatible-mode command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// `L` + value.
    Load(u64),
    /// `A` + delta.
    Accum(u64),
    /// `R`.
    Read,
    /// `S`.
    Status,
    /// `D`.
    Reference,
}

impl Command {
    /// Appends its bytes.
    pub fn encode(self, out: &mut Vec<u8>) {
        match self {
            Command::Load(v) => {
                out.push(CMD_LOAD);
                out.extend_from_slice(&v.to_be_bytes());
            }
            Command::Accum(d) => {
                out.push(CMD_ACCUM);
                out.extend_from_slice(&d.to_be_bytes());
            }
            Command::Read => out.push(CMD_READ),
            Command::Status => out.push(CMD_STATUS),
            Command::Reference => out.push(CMD_REFERENCE),
        }
    }

    /// Bytes of its reply.
    pub const fn reply_len(self) -> usize {
        match self {
            Command::Load(_) | Command::Accum(_) => 0,
            Command::Read | Command::Reference => 8,
            Command::Status => 1,
        }
    }
}

/// A compatible-mode client.
#[derive(Debug)]
pub struct Compat<T: Transport = Serial> {
    io: T,
    timeout: Duration,
    bytes_sent: u64,
    bytes_received: u64,
}

impl Compat<Serial> {
    /// Opens `path` at `baud`.
    pub fn open(path: &str, baud: u32, timeout: Duration) -> Result<Self> {
        Ok(Self::over(Serial::open(path, baud)?, timeout))
    }
}

impl<T: Transport> Compat<T> {
    /// A client over any transport; `timeout` bounds each reply.
    pub fn over(io: T, timeout: Duration) -> Self {
        Compat {
            io,
            timeout,
            bytes_sent: 0,
            bytes_received: 0,
        }
    }

    /// LOAD `value` into context 0.
    pub fn load(&mut self, value: u64) -> Result<()> {
        self.run(&[Command::Load(value)]).map(drop)
    }

    /// ACCUM `delta` into context 0.
    pub fn accum(&mut self, delta: u64) -> Result<()> {
        self.run(&[Command::Accum(delta)]).map(drop)
    }

    /// READ context 0.
    pub fn read(&mut self) -> Result<u64> {
        Ok(self.run(&[Command::Read])?[0])
    }

    /// Whether context 0's accumulator is zero (`S` answered 0x80).
    pub fn is_clean(&mut self) -> Result<bool> {
        Ok(self.run(&[Command::Status])?[0] == 0x80)
    }

    /// Context 0's reference.
    pub fn reference(&mut self) -> Result<u64> {
        Ok(self.run(&[Command::Reference])?[0])
    }

    /// Sends every command back to back, then reads the replies in order:
    /// one value per READ and REFERENCE, the raw byte per STATUS.
    pub fn run(&mut self, commands: &[Command]) -> Result<Vec<u64>> {
        let mut bytes = Vec::with_capacity(commands.len() * 9);
        for c in commands {
            c.encode(&mut bytes);
        }
        self.io.send(&bytes)?;
        self.bytes_sent += bytes.len() as u64;
        let expected: usize = commands.iter().map(|c| c.reply_len()).sum();
        let reply = self.recv_exact(expected)?;
        let mut values = Vec::new();
        let mut at = 0;
        for c in commands {
            let n = c.reply_len();
            let part = &reply[at..at + n];
            at += n;
            match n {
                8 => values.push(u64::from_be_bytes(part.try_into().expect("8 bytes"))),
                1 => values.push(u64::from(part[0])),
                _ => {}
            }
        }
        Ok(values)
    }

    /// Bytes written and read so far.
    pub fn bytes(&self) -> (u64, u64) {
        (self.bytes_sent, self.bytes_received)
    }

    /// The transport.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.io
    }

    fn recv_exact(&mut self, n: usize) -> Result<Vec<u8>> {
        let mut out = vec![0; n];
        let mut got = 0;
        let mut last = Instant::now();
        while got < n {
            let wait = self.timeout.saturating_sub(last.elapsed());
            if wait.is_zero() {
                return Err(Error::ShortReply {
                    got,
                    expected: n,
                    waited: last.elapsed(),
                });
            }
            let k = self.io.recv(&mut out[got..], wait)?;
            if k > 0 {
                last = Instant::now();
            }
            got += k;
        }
        self.bytes_received += n as u64;
        Ok(out)
    }
}
