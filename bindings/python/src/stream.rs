//! `DeltaStream`: 0.2.0's delta stream, minus its duplicate bug.
//!
//! Same API and results as 0.2.0 (any hashable address, `DeltaMessage`
//! dataclass messages, no epochs enforced, no loss detection) with one
//! deliberate difference: each stream has a random 64-bit id, attached to the
//! messages it makes (see `message.rs`), and `apply` ignores a (stream id,
//! seq) it has seen before, including the stream's own messages. In 0.2.0 a
//! duplicated message undid its delta (XOR is self-inverse). Hand-built
//! messages carry no id and apply every time, as in 0.2.0.

use std::collections::{HashMap, HashSet};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::context::AtomikContext;
use crate::convert::Width;
use crate::message;

/// The seqs seen from one sender: every seq below `base` plus the set `above`.
/// A stream's seqs are consecutive from 1, so in-order delivery keeps `above`
/// empty and the memory per sender constant.
#[derive(Debug)]
struct Seen {
    base: u64,
    above: HashSet<u64>,
}

impl Default for Seen {
    fn default() -> Self {
        // A stream numbers its messages from 1 (`seq += 1` before the first).
        Seen {
            base: 1,
            above: HashSet::new(),
        }
    }
}

impl Seen {
    /// Records `seq`; false if it was already recorded.
    fn insert(&mut self, seq: u64) -> bool {
        if seq == self.base {
            // In order: no hashing unless earlier seqs arrived out of order.
            self.base += 1;
            while !self.above.is_empty() && self.above.remove(&self.base) {
                self.base += 1;
            }
            return true;
        }
        seq > self.base && self.above.insert(seq)
    }
}

/// Produces and consumes delta messages for state synchronization.
///
/// `DeltaStream(width=64, num_contexts=256)` (`num_contexts` is accepted and
/// unused, as in 0.2.0). `load`/`accum` locally (`accum` returns the message
/// to send), `apply` peers' messages in any order, `read`, `pending`,
/// `contexts`. Addresses may be any hashable value.
#[pyclass(module = "atomik_core", subclass)]
#[derive(Debug)]
pub(crate) struct DeltaStream {
    /// As given: 0.2.0 validates it only when a context is first created.
    width: Py<PyAny>,
    contexts: Py<PyDict>,
    epoch: u64,
    seq: u64,
    pending: Py<PyList>,
    /// This stream's random id, carried by its messages.
    sender: u64,
    /// `(stream id, seq)` pairs applied so far, per stream id.
    seen: HashMap<u64, Seen>,
}

impl DeltaStream {
    /// The context at `addr`, created (as 0.2.0 does, before the operation
    /// that may still fail) if the stream has none yet.
    fn context<'py>(
        &self,
        py: Python<'py>,
        addr: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, AtomikContext>> {
        let contexts = self.contexts.bind(py);
        if let Some(c) = contexts.get_item(addr)? {
            return Ok(c.cast_into::<AtomikContext>()?);
        }
        let width = Width::new(self.width.bind(py))?;
        let c = Bound::new(py, AtomikContext::new(width, None)?)?;
        contexts.set_item(addr, &c)?;
        Ok(c)
    }
}

#[pymethods]
impl DeltaStream {
    #[new]
    #[pyo3(signature = (width = None, num_contexts = None))]
    fn new(
        py: Python<'_>,
        width: Option<Py<PyAny>>,
        num_contexts: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let _ = num_contexts;
        let id = py.import("os")?.call_method1("urandom", (8,))?;
        let id: [u8; 8] = id.extract()?;
        let Ok(default_width) = 64u32.into_pyobject(py);
        Ok(DeltaStream {
            width: width.unwrap_or_else(|| default_width.into_any().unbind()),
            contexts: PyDict::new(py).unbind(),
            epoch: 0,
            seq: 0,
            pending: PyList::empty(py).unbind(),
            sender: u64::from_le_bytes(id),
            seen: HashMap::new(),
        })
    }

    /// Initialize a context (sender and receiver load the same initial state
    /// before streaming deltas); starts a new epoch.
    fn load(
        &mut self,
        py: Python<'_>,
        addr: &Bound<'_, PyAny>,
        initial_state: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        self.context(py, addr)?.get().load(initial_state)?;
        self.epoch += 1;
        Ok(())
    }

    /// Apply a delta locally and return the message to send to peers.
    fn accum<'py>(
        &mut self,
        py: Python<'py>,
        addr: &Bound<'py, PyAny>,
        delta: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.context(py, addr)?.get().accum(delta)?;
        self.seq += 1;
        let origin = message::Origin::Stream(self.sender);
        let msg = message::make(py, (addr, delta, self.epoch, self.seq), origin)?;
        self.pending.bind(py).append(&msg)?;
        Ok(msg)
    }

    /// Apply a message received from a peer, in any order. A message this
    /// stream has already applied (or made) is ignored: applying it again
    /// would undo its delta.
    fn apply(&mut self, py: Python<'_>, msg: &Bound<'_, PyAny>) -> PyResult<()> {
        if let Some(&message::Origin::Stream(sender)) = message::origin_of(msg) {
            let seq: u64 = msg.getattr(pyo3::intern!(py, "seq"))?.extract()?;
            let first = self.seen.entry(sender).or_default().insert(seq);
            if sender == self.sender || !first {
                return Ok(()); // our own message (applied locally) or a duplicate
            }
        }
        let addr = msg.getattr(pyo3::intern!(py, "addr"))?;
        let delta = msg.getattr(pyo3::intern!(py, "delta"))?;
        self.context(py, &addr)?.get().accum(&delta)
    }

    /// The current state at `addr` (0 if never touched).
    fn read<'py>(&self, py: Python<'py>, addr: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        match self.contexts.bind(py).get_item(addr)? {
            Some(c) => c.cast_into::<AtomikContext>()?.get().read(py),
            None => Ok(0u8.into_pyobject(py)?.into_any()),
        }
    }

    /// Get and clear all pending outbound messages.
    fn pending<'py>(&mut self, py: Python<'py>) -> Bound<'py, PyList> {
        std::mem::replace(&mut self.pending, PyList::empty(py).unbind()).into_bound(py)
    }

    /// Iterate over all active `(addr, context)` pairs.
    fn contexts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.contexts
            .bind(py)
            .items()
            .try_iter()
            .map(Bound::into_any)
    }
}

#[cfg(test)]
mod tests {
    use super::Seen;

    /// Regression: the filter started at seq 0 while streams number from 1,
    /// so seq 0 never came, every later seq stayed in `above`, and a
    /// receiver's memory grew by one entry per message forever.
    #[test]
    fn in_order_delivery_keeps_the_seen_set_empty() {
        let mut seen = Seen::default();
        for seq in 1..=10_000 {
            assert!(seen.insert(seq));
            assert!(seen.above.is_empty());
        }
        assert!(!seen.insert(5) && !seen.insert(10_000));
    }

    #[test]
    fn out_of_order_seqs_are_remembered_until_the_gap_closes() {
        let mut seen = Seen::default();
        assert!(seen.insert(3) && seen.insert(2));
        assert!(!seen.insert(3));
        assert!(seen.insert(1));
        assert!(seen.above.is_empty() && seen.base == 4);
        assert!(!seen.insert(0), "seq 0 is never a stream's");
    }
}
