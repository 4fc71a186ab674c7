//! The native core of the 0.4.0 sync API (`SyncTable`, `PersistentSyncTable`
//! and their transports are thin Python classes over it, see
//! `python/atomik_core/sync.py`).
//!
//! A sync table is an [`atomik::Replica`] (optionally behind a WAL,
//! `atomik_wal::DurableReplica`) of the smallest wire width that holds the
//! table's width. Every local change is a wire v1 frame carrying the
//! table's sender id, epoch and seq: that frame travels inside the
//! `DeltaMessage` given to the `on_delta` callback (a hidden attribute, see
//! `message.rs`), so in-process transports deliver each (sender, seq) once,
//! and `receive_frame` takes the same frames from any byte transport. A
//! delta without a sender (a hand-built `DeltaMessage` or a 16-byte record)
//! is applied every time, as 0.4.0 does: nothing may drop it by seq alone.

use std::path::PathBuf;

use atomik::wire::frame_len;
use atomik::{Context, DeltaMsg, Word};
use atomik_wal::{DurableReplica, Recovery};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::convert::{Width, address};
use crate::replica::{WireFormatError, outcome_name, replica_err, wire_err};
use crate::{buffer, message, table};

pyo3::create_exception!(
    atomik_core,
    WalError,
    PyOSError,
    "A write-ahead log that cannot be opened or written: locked by another writer, damaged, another table's, or an I/O error."
);

/// A durable replica of one of the five wire widths.
#[derive(Debug)]
enum AnyCore {
    W8(DurableReplica<u8>),
    W16(DurableReplica<u16>),
    W32(DurableReplica<u32>),
    W64(DurableReplica<u64>),
    W128(DurableReplica<u128>),
}

/// Runs `$body` with `$r` bound to the typed core and `$w` to its word type.
macro_rules! with_core {
    ($any:expr, |$r:ident, $w:ident| $body:expr) => {
        match $any {
            AnyCore::W8($r) => {
                type $w = u8;
                $body
            }
            AnyCore::W16($r) => {
                type $w = u16;
                $body
            }
            AnyCore::W32($r) => {
                type $w = u32;
                $body
            }
            AnyCore::W64($r) => {
                type $w = u64;
                $body
            }
            AnyCore::W128($r) => {
                type $w = u128;
                $body
            }
        }
    };
}

fn core_err(e: atomik_wal::Error) -> PyErr {
    match e {
        atomik_wal::Error::Wal(w) => WalError::new_err(w.to_string()),
        atomik_wal::Error::Replica(r) => replica_err(r),
    }
}

/// Where a table lives: memory, or a WAL at `path`.
struct Place {
    path: Option<PathBuf>,
    id: Option<u32>,
    fresh_id: u32,
    contexts: usize,
}

/// Dedup bounds of a sync table: the default window (1024 seqs ahead of a
/// sender's first missing one), and as many senders as an `atomik node`
/// tracks, since every table created is a new sender.
const CONFIG: atomik::ReplicaConfig = atomik::ReplicaConfig {
    window: 1024,
    max_senders: 4096,
};

fn build<W: Word>(p: &Place) -> Result<(DurableReplica<W>, Recovery), atomik_wal::Error> {
    let config = CONFIG;
    match &p.path {
        Some(path) => DurableReplica::open(path, p.id, p.fresh_id, p.contexts, config),
        None => DurableReplica::in_memory(p.id.unwrap_or(p.fresh_id), p.contexts, config)
            .map(|d| (d, Recovery::default())),
    }
}

fn any_core(bits: u32, p: &Place) -> Result<(AnyCore, Recovery), atomik_wal::Error> {
    Ok(match bits {
        0..=8 => build::<u8>(p).map(|(c, r)| (AnyCore::W8(c), r))?,
        9..=16 => build::<u16>(p).map(|(c, r)| (AnyCore::W16(c), r))?,
        17..=32 => build::<u32>(p).map(|(c, r)| (AnyCore::W32(c), r))?,
        33..=64 => build::<u64>(p).map(|(c, r)| (AnyCore::W64(c), r))?,
        _ => build::<u128>(p).map(|(c, r)| (AnyCore::W128(c), r))?,
    })
}

/// A random sender id other than [`atomik_wal::ANONYMOUS`].
fn random_id(py: Python<'_>) -> PyResult<u32> {
    let bytes: [u8; 4] = py.import("os")?.call_method1("urandom", (4,))?.extract()?;
    Ok(u32::from_le_bytes(bytes).min(atomik_wal::ANONYMOUS - 1))
}

/// The state and logic of a sync table (see the module docs).
#[pyclass(module = "atomik_core._native")]
#[derive(Debug)]
pub(crate) struct SyncCore {
    width: Width,
    core: AnyCore,
    callback: Option<Py<PyAny>>,
    recovery: Recovery,
    closed: bool,
}

impl SyncCore {
    fn len(&self) -> usize {
        with_core!(&self.core, |r, _W| r.replica().table().len())
    }

    fn state(&self, addr: usize) -> u128 {
        with_core!(&self.core, |r, _W| r.replica().table().as_slice()[addr]
            .read()
            .to_u128())
    }

    fn open(&self) -> PyResult<()> {
        if self.closed {
            return Err(PyValueError::new_err(
                "I/O operation on a closed PersistentSyncTable",
            ));
        }
        Ok(())
    }

    /// Logs and applies `delta` at `addr`; returns the frame's seq and bytes.
    fn accum(&mut self, py: Python<'_>, addr: usize, delta: u128) -> PyResult<(u64, Py<PyBytes>)> {
        with_core!(&mut self.core, |r, W| {
            let msg = r.accum(addr, W::truncate_u128(delta)).map_err(core_err)?;
            Ok((msg.seq, PyBytes::new(py, msg.encode().as_bytes()).unbind()))
        })
    }

    /// Applies a wire v1 frame of this table's wire width, its value masked
    /// to the table's width.
    fn apply_frame(&mut self, bytes: &[u8]) -> PyResult<&'static str> {
        let mask = self.width.mask;
        with_core!(&mut self.core, |r, W| {
            let (mut msg, _) = DeltaMsg::<W>::decode(bytes).map_err(wire_err)?;
            msg.value = W::truncate_u128(msg.value.to_u128() & mask);
            r.apply(&msg).map(outcome_name).map_err(core_err)
        })
    }

    fn frame_bytes(&self) -> usize {
        with_core!(&self.core, |_r, W| frame_len::<W>())
    }
}

#[pymethods]
impl SyncCore {
    #[new]
    #[pyo3(signature = (num_contexts = None, width = None, sender_id = None, path = None))]
    fn new(
        py: Python<'_>,
        num_contexts: Option<&Bound<'_, PyAny>>,
        width: Option<&Bound<'_, PyAny>>,
        sender_id: Option<u32>,
        path: Option<PathBuf>,
    ) -> PyResult<Self> {
        let contexts = table::table_size(num_contexts)?;
        let width = width.map_or(Ok(Width::from_bits(64)), Width::new)?;
        if sender_id == Some(atomik_wal::ANONYMOUS) {
            return Err(PyValueError::new_err(format!(
                "sender_id {} is reserved for deltas without a sender",
                atomik_wal::ANONYMOUS
            )));
        }
        let place = Place {
            path,
            id: sender_id,
            fresh_id: random_id(py)?,
            contexts,
        };
        let (core, recovery) = any_core(width.bits, &place).map_err(core_err)?;
        Ok(SyncCore {
            width,
            core,
            callback: None,
            recovery,
            closed: false,
        })
    }

    /// Sets (or clears, with None) the callback fired with each local delta.
    #[pyo3(signature = (callback))]
    fn set_callback(&mut self, callback: Option<Py<PyAny>>) {
        self.callback = callback;
    }

    /// Writes `value` at `addr` as the delta `state ^ value` (durable first
    /// when there is a WAL), then fires the callback; returns the message.
    fn put<'py>(
        slf: &Bound<'py, Self>,
        addr: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let mut me = slf.borrow_mut();
        me.open()?;
        let a = address(addr, me.len())?;
        let delta = me.state(a) ^ me.width.masked(value)?;
        if delta == 0 {
            let seq = with_core!(&me.core, |r, _W| r.replica().next_seq());
            let zero = 0u8.into_pyobject(py)?.into_any();
            return message::make(py, (addr, &zero, 0, seq), message::Origin::Unknown);
        }
        let (seq, frame) = me.accum(py, a, delta)?;
        let d = me.width.to_py(py, delta)?;
        let msg = message::make(py, (addr, &d, 0, seq + 1), message::Origin::Frame(frame))?;
        let callback = me.callback.as_ref().map(|c| c.clone_ref(py));
        // Released before the callback, which may call back into this table.
        drop(me);
        if let Some(cb) = callback {
            cb.call1(py, (&msg,))?;
        }
        Ok(msg)
    }

    /// The state at `addr`.
    fn get<'py>(&self, py: Python<'py>, addr: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let a = address(addr, self.len())?;
        self.width.to_py(py, self.state(a))
    }

    /// Applies a peer's `DeltaMessage`: by its frame (once per sender and
    /// seq) when a sync table of this wire width made it, else its `addr`
    /// and `delta` every time, as 0.4.0 does. Never fires the callback.
    fn receive(&mut self, py: Python<'_>, msg: &Bound<'_, PyAny>) -> PyResult<()> {
        self.open()?;
        if let Some(message::Origin::Frame(frame)) = message::origin_of(msg) {
            let frame = frame.bind(py).as_bytes();
            if frame.len() == self.frame_bytes() {
                return self.apply_frame(frame).map(|_| ());
            }
        }
        let a = address(&msg.getattr(pyo3::intern!(py, "addr"))?, self.len())?;
        let d = self
            .width
            .masked_delta(&msg.getattr(pyo3::intern!(py, "delta"))?)?;
        with_core!(&mut self.core, |r, W| r
            .apply_anonymous(a, W::truncate_u128(d)))
        .map_err(core_err)?;
        Ok(())
    }

    /// Applies one wire v1 frame from a peer; returns "applied",
    /// "duplicate", "stale" or "own".
    fn receive_frame(&mut self, frame: &Bound<'_, PyAny>) -> PyResult<&'static str> {
        self.open()?;
        let bytes = buffer::with_bytes(frame, <[u8]>::to_vec)?;
        if bytes.len() != self.frame_bytes() {
            return Err(WireFormatError::new_err(format!(
                "a wire v1 frame of this table is {} bytes, got {}",
                self.frame_bytes(),
                bytes.len()
            )));
        }
        self.apply_frame(&bytes)
    }

    /// `{address: state}` for every context, zeros included.
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for a in 0..self.len() {
            out.set_item(a, self.width.to_py(py, self.state(a))?)?;
        }
        Ok(out)
    }

    /// Sets each `{address: value}` as a freshly loaded context (epochs
    /// unchanged: state agreed out of band). Checks every pair first.
    fn load_snapshot(&mut self, snap: &Bound<'_, PyDict>) -> PyResult<()> {
        let mut values = Vec::with_capacity(snap.len());
        for (addr, value) in snap.iter() {
            values.push((address(&addr, self.len())?, self.width.masked(&value)?));
        }
        with_core!(&mut self.core, |r, W| r.rebuild(|s| {
            for &(a, v) in &values {
                s.contexts[a] = Context::with_reference(W::truncate_u128(v));
            }
        }))
        .map_err(core_err)
    }

    /// Addresses below both sizes where the two tables' states differ.
    fn diff(&self, other: &SyncCore) -> Vec<usize> {
        (0..self.len().min(other.len()))
            .filter(|&a| self.state(a) != other.state(a))
            .collect()
    }

    /// Contexts whose state is non-zero.
    fn active(&self) -> usize {
        (0..self.len()).filter(|&a| self.state(a) != 0).count()
    }

    /// Rewrites the WAL as a snapshot (atomically); nothing without a WAL.
    fn compact(&mut self) -> PyResult<()> {
        self.open()?;
        with_core!(&mut self.core, |r, _W| r.compact()).map_err(core_err)
    }

    /// Closes the WAL (releasing its lock); later writes raise ValueError.
    fn close(&mut self) {
        with_core!(&mut self.core, |r, _W| r.close());
        self.closed = true;
    }

    /// Number of contexts.
    #[getter]
    fn num_contexts(&self) -> usize {
        self.len()
    }

    /// Bit width of the contexts.
    #[getter]
    fn width(&self) -> u32 {
        self.width.bits
    }

    /// This table's sender id (in its frames).
    #[getter]
    fn sender_id(&self) -> u32 {
        with_core!(&self.core, |r, _W| r.replica().id())
    }

    /// Length of this table's wire v1 frames.
    #[getter]
    fn frame_len(&self) -> usize {
        self.frame_bytes()
    }

    /// What opening the WAL recovered: records replayed, torn bytes cut
    /// off, whether it started from a compaction snapshot.
    #[getter]
    fn recovery<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("records", self.recovery.records)?;
        d.set_item("torn_bytes", self.recovery.torn_bytes)?;
        d.set_item("snapshot", self.recovery.snapshot)?;
        Ok(d)
    }
}
