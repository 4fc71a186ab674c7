//! `AtomikContext`: one context, either standalone or a live view of a table slot.

use atomik::Context;
use pyo3::IntoPyObjectExt;
use pyo3::basic::CompareOp;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple, PyType};

use crate::convert::Width;
use crate::slot::Slot;
use crate::table::AtomikTable;

/// Where a context's state lives.
#[derive(Debug)]
enum Store {
    /// A standalone context.
    Own(Slot),
    /// Slot `addr` of a table: 0.2.0's `AtomikTable.context(addr)` returns the
    /// table's own context object, so changes through it must reach the table.
    View { table: Py<AtomikTable>, addr: usize },
}

/// A single ATOMiK delta-state context (LOAD, ACCUM, READ, SWAP).
///
/// `AtomikContext(width=64, initial_state=0)`. State is `reference ^ accumulator`,
/// every value masked to `width` bits (1 to 128).
#[pyclass(module = "atomik_core", subclass, frozen)]
#[derive(Debug)]
pub(crate) struct AtomikContext {
    width: Width,
    store: Store,
}

impl AtomikContext {
    /// A live view of a table slot.
    pub(crate) fn view(width: Width, table: Py<AtomikTable>, addr: usize) -> Self {
        AtomikContext {
            width,
            store: Store::View { table, addr },
        }
    }

    /// A copy of the context's current state. Always inlined: returned through memory, the copy stalled the caller's
    /// 16-byte loads (a failed store forward cost a third of `read`, `perf`).
    #[inline(always)]
    pub(crate) fn state(&self) -> Context<u128> {
        match &self.store {
            Store::Own(slot) => slot.get(),
            Store::View { table, addr } => table.get().slot(*addr).get(),
        }
    }

    /// Runs `f` on the context's state, wherever it lives.
    #[inline(always)]
    fn with_mut<R>(&self, f: impl FnOnce(&mut Context<u128>) -> R) -> R {
        match &self.store {
            Store::Own(slot) => slot.update(f),
            Store::View { table, addr } => table.get().slot(*addr).update(f),
        }
    }

    /// 0.2.0's repr of a context with state `c`.
    pub(crate) fn repr_of(width: Width, c: &Context<u128>) -> String {
        format!(
            "AtomikContext(state={}, ref={}, acc={}, deltas={})",
            width.hex(c.read()),
            width.hex(c.reference()),
            width.hex(c.accumulator()),
            c.delta_count()
        )
    }
}

#[pymethods]
impl AtomikContext {
    #[new]
    #[pyo3(signature = (width = Width::from_bits(64), initial_state = None))]
    pub(crate) fn new(width: Width, initial_state: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let reference = match initial_state {
            Some(v) => width.masked(v)?,
            None => 0,
        };
        Ok(AtomikContext {
            width,
            store: Store::Own(Slot::new(Context::with_reference(reference))),
        })
    }

    /// LOAD: set the reference state, clear the accumulator and delta count.
    #[inline(always)]
    pub(crate) fn load(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = self.width.masked(value)?;
        self.with_mut(|c| c.load(v));
        Ok(())
    }

    /// ACCUM: XOR `delta` into the accumulator.
    #[inline(always)]
    pub(crate) fn accum(&self, delta: &Bound<'_, PyAny>) -> PyResult<()> {
        let d = self.width.masked_delta(delta)?;
        self.with_mut(|c| c.accum(d));
        Ok(())
    }

    /// READ: the current state, `reference ^ accumulator`.
    pub(crate) fn read<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.width.to_py(py, self.state().read())
    }

    /// SWAP: return the current state and start a new epoch from
    /// `new_reference` (or from the current state when it is None).
    #[pyo3(signature = (new_reference = None))]
    fn swap<'py>(
        &self,
        py: Python<'py>,
        new_reference: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let old = match new_reference {
            Some(v) => {
                let r = self.width.masked(v)?;
                self.with_mut(|c| c.swap(r))
            }
            None => self.with_mut(Context::swap_keep),
        };
        self.width.to_py(py, old)
    }

    /// Undo a previously applied delta (the same as ``accum``: XOR is self-inverse).
    fn rollback(&self, delta: &Bound<'_, PyAny>) -> PyResult<()> {
        let d = self.width.masked_delta(delta)?;
        self.with_mut(|c| c.rollback(d));
        Ok(())
    }

    /// MERGE: XOR `other`'s accumulator (masked to this width) into this one
    /// and add its delta count. Like 0.2.0 it does not compare references.
    fn merge(&self, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let Ok(other) = other.cast::<AtomikContext>() else {
            return Err(PyTypeError::new_err(format!(
                "merge() needs an AtomikContext, not '{}'",
                other.get_type().name()?
            )));
        };
        // Frozen: no borrow to take, even when `other` is `self`.
        let theirs = other.get().state();
        let masked = Context::from_parts(
            0,
            theirs.accumulator() & self.width.mask,
            theirs.delta_count(),
        );
        self.with_mut(|c| c.merge(&masked));
        Ok(())
    }

    /// `{"width", "reference", "accumulator", "state", "delta_count"}` (0.4.0).
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = self.state();
        let d = PyDict::new(py);
        d.set_item("width", self.width.bits)?;
        d.set_item("reference", self.width.to_py(py, c.reference())?)?;
        d.set_item("accumulator", self.width.to_py(py, c.accumulator())?)?;
        d.set_item("state", self.width.to_py(py, c.read())?)?;
        d.set_item("delta_count", c.delta_count())?;
        Ok(d)
    }

    /// A context restored from `snapshot()`'s dict (0.4.0): `cls(width,
    /// reference)` with its accumulator and delta count (32 bits, wrapping).
    #[classmethod]
    fn from_snapshot<'py>(
        cls: &Bound<'py, PyType>,
        snap: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ctx = cls.call1((snap.get_item("width")?, snap.get_item("reference")?))?;
        let acc = snap.get_item("accumulator")?;
        let count = snap
            .call_method1("get", ("delta_count", 0))?
            .call_method1("__and__", (u32::MAX,))?
            .extract::<u32>()?;
        let this = ctx.cast::<AtomikContext>()?.get();
        let acc = this.width.masked(&acc)?;
        this.with_mut(|c| *c = Context::from_parts(c.reference(), acc, count));
        Ok(ctx)
    }

    /// Context manager entry: the context itself (0.4.0).
    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// Context manager exit: LOAD 0, a clean zero state (0.4.0).
    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.with_mut(|c| c.load(0));
        Ok(false)
    }

    /// Raw accumulator value (XOR of all deltas since the last load/swap).
    #[getter]
    fn accumulator<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.width.to_py(py, self.state().accumulator())
    }

    /// Current reference state (set by load or swap).
    #[getter]
    fn reference<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.width.to_py(py, self.state().reference())
    }

    /// True if the accumulator is zero.
    #[getter]
    fn is_clean(&self) -> PyResult<bool> {
        Ok(self.state().is_clean())
    }

    /// Number of accum() calls since the last load/swap (wraps at 2**32).
    #[getter]
    fn delta_count(&self) -> PyResult<u32> {
        Ok(self.state().delta_count())
    }

    /// Bit width of this context.
    #[getter(width)]
    fn width_bits(&self) -> u32 {
        self.width.bits
    }

    fn __repr__(&self) -> PyResult<String> {
        Ok(Self::repr_of(self.width, &self.state()))
    }

    fn __richcmp__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        op: CompareOp,
    ) -> PyResult<Py<PyAny>> {
        // 0.2.0 defines only __eq__ (equal state and width); != is its negation
        // and ordering is unsupported.
        let Ok(other) = other.cast::<AtomikContext>() else {
            return Ok(py.NotImplemented());
        };
        let o = other.get();
        let eq = o.width == self.width && o.state().read() == self.state().read();
        match op {
            CompareOp::Eq => eq.into_py_any(py),
            CompareOp::Ne => (!eq).into_py_any(py),
            _ => Ok(py.NotImplemented()),
        }
    }

    /// Pickle/copy support: a standalone context with the same fields.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.state();
        let ctor = py
            .import("atomik_core._native")?
            .getattr("_context_from_parts")?;
        let args = (
            self.width.bits,
            self.width.to_py(py, c.reference())?,
            self.width.to_py(py, c.accumulator())?,
            c.delta_count(),
        );
        (ctor, args).into_pyobject(py).map(Bound::into_any)
    }
}

/// Rebuilds a standalone context from its fields (used by pickle and tests).
#[pyfunction]
pub(crate) fn _context_from_parts(
    width: Width,
    reference: &Bound<'_, PyAny>,
    accumulator: &Bound<'_, PyAny>,
    delta_count: u32,
) -> PyResult<AtomikContext> {
    Ok(AtomikContext {
        width,
        store: Store::Own(Slot::new(Context::from_parts(
            width.masked(reference)?,
            width.masked(accumulator)?,
            delta_count,
        ))),
    })
}
