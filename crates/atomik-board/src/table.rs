//! [`BoardTable`]: the core `Table`'s operations, run on a board.

use std::time::Duration;

use atomik::Opcode;

use crate::codec::{Op, OpResult, Status};
use crate::error::{Error, Result};
use crate::link::{Link, Options, Stats};
use crate::transport::{Serial, Transport};

/// Contexts of the board's table.
pub const CONTEXTS: usize = 256;

/// The baud every board's bitstream is built with unless said otherwise
/// (the original project's).
pub const DEFAULT_BAUD: u32 = 115_200;

/// The 256 × 64 state table of a board, over its framed-mode link.
///
/// Each single-op call is one frame and returns once the board has
/// acknowledged it; [`execute`](Self::execute) and
/// [`accum_many`](Self::accum_many) pipeline many ops across frames. Every
/// op is applied exactly once, whatever the line loses or corrupts, or the
/// call fails: a [`Error::Timeout`] leaves its frames queued (the next call
/// resends them first), and [`Error::BoardReset`] means the table was
/// cleared and the ops in flight were lost.
#[derive(Debug)]
pub struct BoardTable<T: Transport = Serial> {
    link: Link<T>,
    status: Status,
}

impl BoardTable<Serial> {
    /// Opens the serial port at `path` (`/dev/ttyUSB0`, or the path that
    /// `atomik board cosim --pty` prints) at `baud`, and says HELLO.
    pub fn open(path: &str, baud: u32, opts: Options) -> Result<Self> {
        Self::over(Serial::open(path, baud)?, opts)
    }
}

impl<T: Transport> BoardTable<T> {
    /// A table over any transport; says HELLO.
    pub fn over(io: T, opts: Options) -> Result<Self> {
        let mut link = Link::new(io, opts);
        let status = link.hello()?;
        Ok(BoardTable { link, status })
    }

    /// Number of contexts (256).
    pub fn len(&self) -> usize {
        CONTEXTS
    }

    /// Always false; for symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The board's STATUS at HELLO.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The link's counters.
    pub fn stats(&self) -> Stats {
        self.link.stats()
    }

    /// The link, for its options and transport.
    pub fn link_mut(&mut self) -> &mut Link<T> {
        &mut self.link
    }

    /// Changes the no-progress timeout of every later call.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.link.set_timeout(timeout);
    }

    /// LOAD `value` into context `addr`.
    pub fn load(&mut self, addr: usize, value: u64) -> Result<()> {
        self.one(Opcode::Load, addr, value).map(drop)
    }

    /// ACCUM `delta` into context `addr`.
    pub fn accum(&mut self, addr: usize, delta: u64) -> Result<()> {
        self.one(Opcode::Accum, addr, delta).map(drop)
    }

    /// READ context `addr`.
    pub fn read(&mut self, addr: usize) -> Result<u64> {
        Ok(self.read_clean(addr)?.value)
    }

    /// READ context `addr`, with whether its accumulator is zero.
    pub fn read_clean(&mut self, addr: usize) -> Result<OpResult> {
        self.one(Opcode::Read, addr, 0)
    }

    /// Whether context `addr` has no net accumulated change.
    pub fn is_clean(&mut self, addr: usize) -> Result<bool> {
        Ok(self.read_clean(addr)?.clean)
    }

    /// SWAP context `addr` to `new_reference`; returns the state before.
    pub fn swap(&mut self, addr: usize, new_reference: u64) -> Result<u64> {
        Ok(self.one(Opcode::Swap, addr, new_reference)?.value)
    }

    /// SWAP_KEEP context `addr`; returns its state.
    pub fn swap_keep(&mut self, addr: usize) -> Result<u64> {
        Ok(self.one(Opcode::SwapKeep, addr, 0)?.value)
    }

    /// Runs `ops` in order, pipelined; returns the results of its READ, SWAP
    /// and SWAP_KEEP ops in order.
    pub fn execute(&mut self, ops: &[Op]) -> Result<Vec<OpResult>> {
        self.link.execute(ops)
    }

    /// ACCUM every `(addr, delta)`, pipelined. All or nothing for bad
    /// addresses: one out of range fails the call before anything is sent.
    pub fn accum_many(&mut self, pairs: &[(usize, u64)]) -> Result<()> {
        let ops = pairs
            .iter()
            .map(|&(a, d)| Ok(Op::accum(addr8(a)?, d)))
            .collect::<Result<Vec<_>>>()?;
        self.execute(&ops).map(drop)
    }

    /// Every context's state, in address order (256 READs, pipelined).
    pub fn read_all(&mut self) -> Result<Vec<u64>> {
        let ops: Vec<Op> = (0..=255).map(Op::read).collect();
        Ok(self.execute(&ops)?.iter().map(|r| r.value).collect())
    }

    /// Completes what is in flight and returns the board to compatible mode.
    pub fn close(mut self) -> Result<Status> {
        self.link.close()
    }

    fn one(&mut self, code: Opcode, addr: usize, data: u64) -> Result<OpResult> {
        let op = Op::new(code, addr8(addr)?, data);
        let results = self.link.execute(&[op])?;
        match (code.has_result(), results.as_slice()) {
            (true, [r]) => Ok(*r),
            (false, []) => Ok(OpResult {
                value: 0,
                clean: false,
            }),
            (_, r) => Err(Error::Protocol(format!(
                "{} answered with {} results",
                code.mnemonic(),
                r.len()
            ))),
        }
    }
}

/// A context address as the wire's byte.
pub fn addr8(addr: usize) -> Result<u8> {
    u8::try_from(addr).map_err(|_| Error::AddrOutOfRange { addr })
}
