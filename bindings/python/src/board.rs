//! `BoardTable`: the 256 × 64 state table of an FPGA board behind a serial
//! port (docs/board.md), with `AtomikTable`'s methods, through the
//! `atomik-board` driver in framed mode: every op is applied exactly once,
//! whatever the line loses or corrupts. Every call waits on the line with
//! the GIL released.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use atomik_board::{BoardTable as Driver, Error, Op, OpResult, Options};
use pyo3::exceptions::{PyIndexError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::buffer::{IntElem, Ints, elems, with_kind};
use crate::convert::{Width, address};

pyo3::create_exception!(
    atomik_core,
    BoardError,
    PyOSError,
    "A board's serial port could not be opened, read or written, or the board failed."
);
pyo3::create_exception!(
    atomik_core,
    BoardTimeout,
    BoardError,
    "The board made no progress for the timeout. The ops in flight stay queued: the next call resends them first, and the board still applies each at most once."
);
pyo3::create_exception!(
    atomik_core,
    BoardReset,
    BoardError,
    "The board was reset (button, power, or closed by another program): its table is cleared and the ops in flight were lost, not applied. The next call starts a new session."
);
pyo3::create_exception!(
    atomik_core,
    BoardProtocolError,
    BoardError,
    "The board contradicted the link protocol, or speaks another version of it."
);

/// Contexts of a board.
const CONTEXTS: usize = atomik_board::CONTEXTS;
/// Bits of a board's words.
const WIDTH_BITS: u32 = 64;

/// The Python exception of a driver error.
fn board_err(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::AddrOutOfRange { addr } => {
            PyIndexError::new_err(format!("address {addr} out of range [0, {}]", CONTEXTS - 1))
        }
        Error::Timeout { .. } => BoardTimeout::new_err(msg),
        Error::BoardReset { .. } => BoardReset::new_err(msg),
        Error::Protocol(_) | Error::Version { .. } | Error::ShortReply { .. } => {
            BoardProtocolError::new_err(msg)
        }
        Error::Open { .. } | Error::Io(_) => BoardError::new_err(msg),
    }
}

/// The state table of an FPGA board behind a serial port.
///
/// `BoardTable(port, baud=115200, timeout=5.0)` opens `port` (`/dev/ttyUSB0`,
/// or the path `atomik board cosim BOARD --pty` prints) and says HELLO.
#[pyclass(module = "atomik_core", frozen)]
#[derive(Debug)]
pub(crate) struct BoardTable {
    /// `None` once closed.
    board: Mutex<Option<Driver>>,
    port: String,
    baud: u32,
}

impl BoardTable {
    /// Runs `f` on the driver with the GIL released.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Driver) -> atomik_board::Result<T> + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let mut guard = self.lock()?;
            let board = guard
                .as_mut()
                .ok_or_else(|| PyValueError::new_err("the board table is closed"))?;
            f(board).map_err(board_err)
        })
    }

    fn lock(&self) -> PyResult<MutexGuard<'_, Option<Driver>>> {
        self.board.lock().map_err(|_| {
            BoardError::new_err("an earlier call on this board failed inside the driver")
        })
    }
}

/// A value as a 64-bit word, masked like `AtomikTable`'s of width 64.
fn word(v: &Bound<'_, PyAny>) -> PyResult<u64> {
    // The mask is 64 bits wide: the masked value fits.
    #[allow(clippy::cast_possible_truncation)]
    Ok(Width::from_bits(WIDTH_BITS).masked(v)? as u64)
}

fn delta(v: &Bound<'_, PyAny>) -> PyResult<u64> {
    #[allow(clippy::cast_possible_truncation)]
    Ok(Width::from_bits(WIDTH_BITS).masked_delta(v)? as u64)
}

/// One op of `execute`: `("load", addr, value)`, `("accum", addr, delta)`,
/// `("read", addr)`, `("swap", addr, new)`, `("swap", addr)` (a SWAP_KEEP)
/// or `("swap_keep", addr)`.
fn parse_op(item: &Bound<'_, PyAny>) -> PyResult<Op> {
    let t = item.cast::<PyTuple>()?;
    let bad = || {
        PyValueError::new_err(format!(
            "an op is (name, addr) or (name, addr, value) with name load, accum, read, swap \
             or swap_keep; got {}",
            item.repr().map_or_else(|_| "?".into(), |r| r.to_string())
        ))
    };
    if !(2..=3).contains(&t.len()) {
        return Err(bad());
    }
    let name: String = t.get_item(0)?.extract()?;
    let addr = u8::try_from(address(&t.get_item(1)?, CONTEXTS)?).map_err(|_| bad())?;
    let value = if t.len() == 3 {
        Some(t.get_item(2)?)
    } else {
        None
    };
    Ok(match (name.as_str(), value) {
        ("load", Some(v)) => Op::load(addr, word(&v)?),
        ("accum", Some(d)) => Op::accum(addr, delta(&d)?),
        ("read", None) => Op::read(addr),
        ("swap", Some(v)) => Op::swap(addr, word(&v)?),
        ("swap", None) | ("swap_keep", None) => Op::swap_keep(addr),
        _ => return Err(bad()),
    })
}

#[pymethods]
impl BoardTable {
    #[new]
    #[pyo3(signature = (port, baud = atomik_board::DEFAULT_BAUD, timeout = 5.0))]
    fn new(py: Python<'_>, port: String, baud: u32, timeout: f64) -> PyResult<Self> {
        let timeout = Duration::try_from_secs_f64(timeout)
            .ok()
            .filter(|t| !t.is_zero())
            .ok_or_else(|| {
                PyValueError::new_err(format!("timeout must be > 0 s, got {timeout}"))
            })?;
        if baud == 0 {
            return Err(PyValueError::new_err("baud must be > 0"));
        }
        let opts = Options {
            timeout,
            ..Options::default()
        };
        let board = py
            .detach(|| Driver::open(&port, baud, opts))
            .map_err(board_err)?;
        Ok(BoardTable {
            board: Mutex::new(Some(board)),
            port,
            baud,
        })
    }

    /// LOAD: set the state at `addr`, clear its accumulator.
    fn load(
        &self,
        py: Python<'_>,
        addr: &Bound<'_, PyAny>,
        initial_state: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let (a, v) = (address(addr, CONTEXTS)?, word(initial_state)?);
        self.with(py, |b| b.load(a, v))
    }

    /// ACCUM: XOR `delta` into the accumulator at `addr`.
    fn accum(
        &self,
        py: Python<'_>,
        addr: &Bound<'_, PyAny>,
        delta: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let (a, d) = (address(addr, CONTEXTS)?, self::delta(delta)?);
        self.with(py, |b| b.accum(a, d))
    }

    /// READ: the current state at `addr`.
    fn read(&self, py: Python<'_>, addr: &Bound<'_, PyAny>) -> PyResult<u64> {
        let a = address(addr, CONTEXTS)?;
        self.with(py, |b| b.read(a))
    }

    /// READ `addr`: `(state, clean)`, clean when its accumulator is zero.
    fn read_clean(&self, py: Python<'_>, addr: &Bound<'_, PyAny>) -> PyResult<(u64, bool)> {
        let a = address(addr, CONTEXTS)?;
        let r = self.with(py, |b| b.read_clean(a))?;
        Ok((r.value, r.clean))
    }

    /// Whether the accumulator at `addr` is zero.
    fn is_clean(&self, py: Python<'_>, addr: &Bound<'_, PyAny>) -> PyResult<bool> {
        let a = address(addr, CONTEXTS)?;
        self.with(py, |b| b.is_clean(a))
    }

    /// SWAP at `addr`: return the state, start a new epoch from
    /// `new_reference` (or from the state when None: a SWAP_KEEP).
    #[pyo3(signature = (addr, new_reference = None))]
    fn swap(
        &self,
        py: Python<'_>,
        addr: &Bound<'_, PyAny>,
        new_reference: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let a = address(addr, CONTEXTS)?;
        match new_reference.map(word).transpose()? {
            Some(r) => self.with(py, |b| b.swap(a, r)),
            None => self.with(py, |b| b.swap_keep(a)),
        }
    }

    /// Runs `ops` (tuples, see the stub) in order, pipelined across frames,
    /// each exactly once; returns `(value, clean)` for every read and swap.
    /// Every op is checked before anything is sent.
    fn execute(&self, py: Python<'_>, ops: &Bound<'_, PyAny>) -> PyResult<Vec<(u64, bool)>> {
        let ops = ops
            .try_iter()?
            .map(|o| parse_op(&o?))
            .collect::<PyResult<Vec<Op>>>()?;
        let got: Vec<OpResult> = self.with(py, |b| b.execute(&ops))?;
        Ok(got.into_iter().map(|r| (r.value, r.clean)).collect())
    }

    /// Apply `{address: delta}` pairs in iteration order, pipelined. Every
    /// address is checked before anything is sent (all or nothing).
    fn batch_accum(&self, py: Python<'_>, deltas: &Bound<'_, PyAny>) -> PyResult<()> {
        let mut pairs = Vec::new();
        for item in deltas.call_method0("items")?.try_iter()? {
            let (addr, d): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
            pairs.push((address(&addr, CONTEXTS)?, delta(&d)?));
        }
        self.with(py, |b| b.accum_many(&pairs))
    }

    /// ACCUM `deltas[i]` into `addrs[i]` for every i, from two buffers of
    /// integers, pipelined. All or nothing: a bad address sends nothing.
    fn accum_many(
        &self,
        py: Python<'_>,
        addrs: &Bound<'_, PyAny>,
        deltas: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let (a, d) = Ints::addrs_and_deltas(addrs, deltas)?;
        let (ab, db) = (a.bytes(), d.bytes());
        let pairs: Vec<(Option<usize>, u64, i128)> =
            with_kind!(a.kind, |A| with_kind!(d.kind, |D| elems::<A>(ab)
                .zip(elems::<D>(db))
                .map(|(a, d)| (a.index(), d.wrapping_u64(), a.wide()))
                .collect()));
        if let Some(&(_, _, wide)) = pairs
            .iter()
            .find(|(i, _, _)| i.is_none_or(|i| i >= CONTEXTS))
        {
            return Err(PyIndexError::new_err(format!(
                "address {wide} out of range [0, {}] (nothing was applied)",
                CONTEXTS - 1
            )));
        }
        let pairs: Vec<(usize, u64)> = pairs
            .into_iter()
            .map(|(i, d, _)| (i.unwrap_or(usize::MAX), d))
            .collect();
        self.with(py, |b| b.accum_many(&pairs))
    }

    /// Every context's state, in address order.
    fn read_all(&self, py: Python<'_>) -> PyResult<Vec<u64>> {
        self.with(py, Driver::read_all)
    }

    /// `{address: state}` for every context whose state is non-zero.
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for (a, v) in self.read_all(py)?.into_iter().enumerate() {
            if v != 0 {
                out.set_item(a, v)?;
            }
        }
        Ok(out)
    }

    /// The driver's counters: frames sent and resent, bytes, ...
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.with(py, |b| Ok(b.stats()))?;
        let out = PyDict::new(py);
        for (k, v) in [
            ("frames_sent", s.frames_sent),
            ("frames_retransmitted", s.frames_retransmitted),
            ("ops_completed", s.ops_completed),
            ("bytes_sent", s.bytes_sent),
            ("bytes_received", s.bytes_received),
            ("duplicate_acks", s.duplicate_acks),
            ("conflicting_acks", s.conflicting_acks),
            ("timeouts", s.timeouts),
            ("resets", s.resets),
        ] {
            out.set_item(k, v)?;
        }
        Ok(out)
    }

    /// Completes the ops in flight and returns the board to compatible
    /// mode. Closing twice does nothing; other calls on a closed table raise
    /// ValueError.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let board = self.lock()?.take();
        match board {
            Some(b) => py.detach(|| b.close()).map(drop).map_err(board_err),
            None => Ok(()),
        }
    }

    /// Whether `close` was called.
    #[getter]
    fn closed(&self) -> PyResult<bool> {
        Ok(self.lock()?.is_none())
    }

    /// Number of contexts (256).
    #[getter]
    fn num_contexts(&self) -> usize {
        CONTEXTS
    }

    /// Bit width of every context (64).
    #[getter]
    fn width(&self) -> u32 {
        WIDTH_BITS
    }

    /// The serial port.
    #[getter]
    fn port(&self) -> &str {
        &self.port
    }

    /// The baud.
    #[getter]
    fn baud(&self) -> u32 {
        self.baud
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: &Bound<'_, PyAny>,
        _exc: &Bound<'_, PyAny>,
        _tb: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!(
            "BoardTable(port={:?}, baud={}, contexts={CONTEXTS}, width=64)",
            self.port, self.baud
        )
    }
}
