//! The safe replication path: `Replica` and wire format v1 frames.

use atomik::Word;
use atomik::wire::{Frames, frame_len};
use atomik::{
    DeltaMsg, MsgKind, Outcome, Replica as CoreReplica, ReplicaConfig, ReplicaError, WireError,
};
use pyo3::exceptions::{PyMemoryError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::buffer::with_bytes;
use crate::convert::{Width, address};
use crate::table::table_err;

pyo3::create_exception!(
    atomik_core,
    WireFormatError,
    PyValueError,
    "Bytes that are not a valid wire v1 frame (truncated, corrupt, wrong version or width)."
);
pyo3::create_exception!(
    atomik_core,
    ReplicaRefused,
    PyValueError,
    "A replica refused a message or an operation (see the message for why and whether to resend)."
);

/// A core replica of one of the five wire widths.
#[derive(Debug)]
enum AnyReplica {
    W8(CoreReplica<u8>),
    W16(CoreReplica<u16>),
    W32(CoreReplica<u32>),
    W64(CoreReplica<u64>),
    W128(CoreReplica<u128>),
}

/// Runs `$body` with `$r` bound to the typed replica and `$w` to its word type.
macro_rules! with_replica {
    ($any:expr, |$r:ident, $w:ident| $body:expr) => {
        match $any {
            AnyReplica::W8($r) => {
                type $w = u8;
                $body
            }
            AnyReplica::W16($r) => {
                type $w = u16;
                $body
            }
            AnyReplica::W32($r) => {
                type $w = u32;
                $body
            }
            AnyReplica::W64($r) => {
                type $w = u64;
                $body
            }
            AnyReplica::W128($r) => {
                type $w = u128;
                $body
            }
        }
    };
}

pub(crate) fn replica_err(e: ReplicaError) -> PyErr {
    match e {
        ReplicaError::Table(t) => table_err(t),
        ReplicaError::TooManyContexts { .. } => PyMemoryError::new_err(e.to_string()),
        ReplicaError::BadConfig(_) => PyValueError::new_err(e.to_string()),
        _ => ReplicaRefused::new_err(e.to_string()),
    }
}

pub(crate) fn wire_err(e: WireError) -> PyErr {
    WireFormatError::new_err(e.to_string())
}

pub(crate) fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Applied => "applied",
        Outcome::Duplicate => "duplicate",
        Outcome::Stale => "stale",
        Outcome::Own => "own",
    }
}

/// Narrows a value already checked against the replica's width.
fn narrow<W: atomik::Word>(v: u128) -> W {
    W::truncate_u128(v)
}

/// A table replica that converges over an unreliable network: each
/// (sender, seq) takes effect at most once, gaps are reported, and LOAD/SWAP
/// start epochs so late deltas of an older epoch cannot corrupt a reload.
///
/// `Replica(sender_id, num_contexts=256, width=64, *, window=1024, max_senders=64)`;
/// `width` is 8, 16, 32, 64 or 128. Local operations return the wire v1
/// frame (bytes) to send to every peer; `apply` takes peers' frames.
#[pyclass(module = "atomik_core")]
#[derive(Debug)]
pub(crate) struct Replica {
    width: Width,
    inner: AnyReplica,
}

impl Replica {
    fn frame<W: atomik::Word>(py: Python<'_>, msg: &DeltaMsg<W>) -> Py<PyAny> {
        PyBytes::new(py, &msg.encode()).into_any().unbind()
    }

    fn addr(&self, addr: &Bound<'_, PyAny>) -> PyResult<usize> {
        let len = with_replica!(&self.inner, |r, _W| r.table().len());
        address(addr, len)
    }
}

#[pymethods]
impl Replica {
    #[new]
    #[pyo3(signature = (sender_id, num_contexts = 256, width = 64, *, window = 1024, max_senders = 64))]
    fn new(
        sender_id: u32,
        num_contexts: usize,
        width: u32,
        window: u32,
        max_senders: usize,
    ) -> PyResult<Self> {
        let config = ReplicaConfig {
            window,
            max_senders,
        };
        let inner = match width {
            8 => AnyReplica::W8(
                CoreReplica::with_config(sender_id, num_contexts, config).map_err(replica_err)?,
            ),
            16 => AnyReplica::W16(
                CoreReplica::with_config(sender_id, num_contexts, config).map_err(replica_err)?,
            ),
            32 => AnyReplica::W32(
                CoreReplica::with_config(sender_id, num_contexts, config).map_err(replica_err)?,
            ),
            64 => AnyReplica::W64(
                CoreReplica::with_config(sender_id, num_contexts, config).map_err(replica_err)?,
            ),
            128 => AnyReplica::W128(
                CoreReplica::with_config(sender_id, num_contexts, config).map_err(replica_err)?,
            ),
            _ => {
                return Err(PyValueError::new_err(format!(
                    "Replica width must be 8, 16, 32, 64 or 128 bits (the wire format's widths), got {width}"
                )));
            }
        };
        Ok(Replica {
            width: Width::from_bits(width),
            inner,
        })
    }

    /// ACCUM locally; returns the frame to broadcast.
    fn accum(
        &mut self,
        py: Python<'_>,
        addr: &Bound<'_, PyAny>,
        delta: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let (a, d) = (self.addr(addr)?, self.width.strict(delta)?);
        with_replica!(&mut self.inner, |r, W| r
            .accum(a, narrow::<W>(d))
            .map(|m| Self::frame(py, &m)))
        .map_err(replica_err)
    }

    /// LOAD locally (starts a new epoch); returns the frame to broadcast.
    fn load(
        &mut self,
        py: Python<'_>,
        addr: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let (a, v) = (self.addr(addr)?, self.width.strict(value)?);
        with_replica!(&mut self.inner, |r, W| r
            .load(a, narrow::<W>(v))
            .map(|m| Self::frame(py, &m)))
        .map_err(replica_err)
    }

    /// SWAP locally: returns `(previous_state, frame)`. With no
    /// `new_reference` the new epoch starts from the current state.
    #[pyo3(signature = (addr, new_reference = None))]
    fn swap(
        &mut self,
        py: Python<'_>,
        addr: &Bound<'_, PyAny>,
        new_reference: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
        let a = self.addr(addr)?;
        let new = new_reference.map(|v| self.width.strict(v)).transpose()?;
        let (old, frame) = with_replica!(&mut self.inner, |r, W| {
            let res = match new {
                Some(v) => r.swap(a, narrow::<W>(v)),
                None => r.swap_keep(a),
            };
            res.map(|(old, m)| (old.to_u128(), Self::frame(py, &m)))
        })
        .map_err(replica_err)?;
        Ok((self.width.to_py(py, old)?.unbind(), frame))
    }

    /// READ the state at `addr`.
    fn read<'py>(&self, py: Python<'py>, addr: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let a = self.addr(addr)?;
        let v = with_replica!(&self.inner, |r, _W| r.table().read(a).map(|v| v.to_u128()));
        self.width.to_py(py, v.map_err(table_err)?)
    }

    /// The epoch of context `addr` (0 until its first LOAD/SWAP).
    fn epoch(&self, addr: &Bound<'_, PyAny>) -> PyResult<u64> {
        let a = self.addr(addr)?;
        with_replica!(&self.inner, |r, _W| r.epoch(a)).map_err(replica_err)
    }

    /// Apply one frame from a peer. Returns "applied", "duplicate", "stale" or
    /// "own"; raises WireFormatError for bad bytes and ReplicaRefused when the
    /// message must be resent later (beyond the window, or its epoch's LOAD
    /// has not arrived), IndexError for a bad address.
    fn apply(&mut self, frame: &Bound<'_, PyAny>) -> PyResult<&'static str> {
        let bytes = with_bytes(frame, <[u8]>::to_vec)?;
        let expected = with_replica!(&self.inner, |_r, W| frame_len::<W>());
        if bytes.len() != expected {
            return Err(WireFormatError::new_err(format!(
                "a frame of this replica's width is {expected} bytes, got {}",
                bytes.len()
            )));
        }
        with_replica!(&mut self.inner, |r, W| {
            let (msg, _) = DeltaMsg::<W>::decode(&bytes).map_err(wire_err)?;
            r.apply(&msg).map(outcome_name).map_err(replica_err)
        })
    }

    /// Apply every frame in a byte stream (concatenated frames). Returns
    /// `(results, consumed)`: one entry per frame, an outcome string or the
    /// exception it raised (not raised: a bad frame never stops the stream),
    /// and the bytes consumed (a trailing partial frame is left unconsumed).
    fn apply_stream<'py>(
        &mut self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<(Bound<'py, PyList>, usize)> {
        let bytes = with_bytes(data, <[u8]>::to_vec)?;
        let out = PyList::empty(py);
        let consumed = with_replica!(&mut self.inner, |r, W| {
            let mut frames = Frames::<W>::new(&bytes);
            for item in &mut frames {
                let res = match item {
                    Ok(msg) => r.apply(&msg).map(outcome_name).map_err(replica_err),
                    Err(WireError::Truncated { .. }) => break,
                    Err(e) => Err(wire_err(e)),
                };
                match res {
                    Ok(name) => out.append(name)?,
                    Err(e) => out.append(e.into_value(py))?,
                }
            }
            bytes.len() - frames.remainder().len()
        });
        Ok((out, consumed))
    }

    /// Seqs below the highest received that are still missing: a list of
    /// `(sender, first_missing, end)` (end exclusive).
    fn gaps(&self) -> Vec<(u32, u64, u64)> {
        with_replica!(&self.inner, |r, _W| r.gaps())
            .into_iter()
            .map(|g| (g.sender, g.seqs.start, g.seqs.end))
            .collect()
    }

    /// Seq ranges `(start, end)` of `sender` still needed, given that it has
    /// sent seqs `0..sent`: what it should retransmit.
    fn missing(&self, sender: u32, sent: u64) -> Vec<(u64, u64)> {
        with_replica!(&self.inner, |r, _W| r.missing(sender, sent))
            .into_iter()
            .map(|s| (s.start, s.end))
            .collect()
    }

    /// First seq from `sender` not yet processed (a cumulative acknowledgement).
    fn expected(&self, sender: u32) -> u64 {
        with_replica!(&self.inner, |r, _W| r.expected(sender))
    }

    /// Whether both replicas hold the same table and epochs.
    fn same_state(&self, other: &Replica) -> bool {
        match (&self.inner, &other.inner) {
            (AnyReplica::W8(a), AnyReplica::W8(b)) => a.same_state(b),
            (AnyReplica::W16(a), AnyReplica::W16(b)) => a.same_state(b),
            (AnyReplica::W32(a), AnyReplica::W32(b)) => a.same_state(b),
            (AnyReplica::W64(a), AnyReplica::W64(b)) => a.same_state(b),
            (AnyReplica::W128(a), AnyReplica::W128(b)) => a.same_state(b),
            _ => false,
        }
    }

    /// `{address: state}` for every context whose state is non-zero.
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        let pairs: Vec<(usize, u128)> = with_replica!(&self.inner, |r, _W| {
            r.table().nonzero().map(|(a, v)| (a, v.to_u128())).collect()
        });
        for (a, v) in pairs {
            out.set_item(a, self.width.to_py(py, v)?)?;
        }
        Ok(out)
    }

    /// Counters: applied, duplicates, stale, refused.
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = with_replica!(&self.inner, |r, _W| r.stats());
        let d = PyDict::new(py);
        d.set_item("applied", s.applied)?;
        d.set_item("duplicates", s.duplicates)?;
        d.set_item("stale", s.stale)?;
        d.set_item("refused", s.refused)?;
        Ok(d)
    }

    /// This replica's sender id.
    #[getter]
    fn id(&self) -> u32 {
        with_replica!(&self.inner, |r, _W| r.id())
    }

    /// Seq of the next local message (= messages sent so far).
    #[getter]
    fn next_seq(&self) -> u64 {
        with_replica!(&self.inner, |r, _W| r.next_seq())
    }

    /// Number of contexts.
    #[getter]
    fn num_contexts(&self) -> usize {
        with_replica!(&self.inner, |r, _W| r.table().len())
    }

    /// Bit width of the contexts (and of the frames' values).
    #[getter]
    fn width(&self) -> u32 {
        self.width.bits
    }

    /// Length in bytes of this replica's frames.
    #[getter]
    fn frame_len(&self) -> usize {
        with_replica!(&self.inner, |_r, W| frame_len::<W>())
    }

    fn __repr__(&self) -> String {
        format!(
            "Replica(id={}, contexts={}, width={}, next_seq={})",
            self.id(),
            self.num_contexts(),
            self.width.bits,
            self.next_seq()
        )
    }
}

/// Decodes one wire v1 frame of a `width`-bit value into a dict with keys
/// kind ("accum" or "load"), sender, epoch, seq, addr and value.
#[pyfunction]
#[pyo3(signature = (frame, width = 64))]
pub(crate) fn decode_frame<'py>(
    py: Python<'py>,
    frame: &Bound<'py, PyAny>,
    width: u32,
) -> PyResult<Bound<'py, PyDict>> {
    let bytes = with_bytes(frame, <[u8]>::to_vec)?;
    let (kind, sender, epoch, seq, addr, value) = match width {
        8 => fields::<u8>(&bytes),
        16 => fields::<u16>(&bytes),
        32 => fields::<u32>(&bytes),
        64 => fields::<u64>(&bytes),
        128 => fields::<u128>(&bytes),
        _ => {
            return Err(PyValueError::new_err(format!(
                "frame width must be 8, 16, 32, 64 or 128, got {width}"
            )));
        }
    }?;
    let d = PyDict::new(py);
    d.set_item("kind", kind)?;
    d.set_item("sender", sender)?;
    d.set_item("epoch", epoch)?;
    d.set_item("seq", seq)?;
    d.set_item("addr", addr)?;
    d.set_item("value", Width::from_bits(width).to_py(py, value)?)?;
    Ok(d)
}

type Fields = (&'static str, u32, u64, u64, u32, u128);

fn fields<W: atomik::Word>(bytes: &[u8]) -> PyResult<Fields> {
    if bytes.len() != frame_len::<W>() {
        return Err(WireFormatError::new_err(format!(
            "a {}-bit frame is {} bytes, got {}",
            W::BITS,
            frame_len::<W>(),
            bytes.len()
        )));
    }
    let (m, _) = DeltaMsg::<W>::decode(bytes).map_err(wire_err)?;
    let kind = match m.kind {
        MsgKind::Accum => "accum",
        MsgKind::Load => "load",
    };
    Ok((kind, m.sender, m.epoch, m.seq, m.addr, m.value.to_u128()))
}
