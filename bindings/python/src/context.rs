//! `AtomikContext`: one context, either standalone or a live view of a table slot.

use atomik::Context;
use pyo3::IntoPyObjectExt;
use pyo3::basic::CompareOp;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::convert::Width;
use crate::table::AtomikTable;

/// Where a context's state lives.
#[derive(Debug)]
enum Store {
    /// A standalone context.
    Own(Context<u128>),
    /// Slot `addr` of a table: 0.2.0's `AtomikTable.context(addr)` returns the
    /// table's own context object, so changes through it must reach the table.
    View { table: Py<AtomikTable>, addr: usize },
}

/// A single ATOMiK delta-state context (LOAD, ACCUM, READ, SWAP).
///
/// `AtomikContext(width=64, initial_state=0)`. State is `reference ^ accumulator`,
/// every value masked to `width` bits (1 to 128).
#[pyclass(module = "atomik_core", subclass)]
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

    /// A copy of the context's current state. A view fails (RuntimeError,
    /// not a panic) while its table is busy in a batch on another thread.
    pub(crate) fn get(&self, py: Python<'_>) -> PyResult<Context<u128>> {
        match &self.store {
            Store::Own(c) => Ok(*c),
            Store::View { table, addr } => Ok(table.try_borrow(py)?.slot(*addr)),
        }
    }

    /// Runs `f` on the context's state, wherever it lives.
    fn with_mut<R>(
        &mut self,
        py: Python<'_>,
        f: impl FnOnce(&mut Context<u128>) -> R,
    ) -> PyResult<R> {
        match &mut self.store {
            Store::Own(c) => Ok(f(c)),
            Store::View { table, addr } => Ok(f(table.try_borrow_mut(py)?.slot_mut(*addr))),
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
    fn new(width: Width, initial_state: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let reference = match initial_state {
            Some(v) => width.masked(v)?,
            None => 0,
        };
        Ok(AtomikContext {
            width,
            store: Store::Own(Context::with_reference(reference)),
        })
    }

    /// LOAD: set the reference state, clear the accumulator and delta count.
    fn load(&mut self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = self.width.masked(value)?;
        self.with_mut(py, |c| c.load(v))?;
        Ok(())
    }

    /// ACCUM: XOR `delta` into the accumulator.
    fn accum(&mut self, py: Python<'_>, delta: &Bound<'_, PyAny>) -> PyResult<()> {
        let d = self.width.masked(delta)?;
        self.with_mut(py, |c| c.accum(d))?;
        Ok(())
    }

    /// READ: the current state, `reference ^ accumulator`.
    fn read<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.width.to_py(py, self.get(py)?.read())
    }

    /// SWAP: return the current state and start a new epoch from
    /// `new_reference` (or from the current state when it is None).
    #[pyo3(signature = (new_reference = None))]
    fn swap<'py>(
        &mut self,
        py: Python<'py>,
        new_reference: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let old = match new_reference {
            Some(v) => {
                let r = self.width.masked(v)?;
                self.with_mut(py, |c| c.swap(r))?
            }
            None => self.with_mut(py, Context::swap_keep)?,
        };
        self.width.to_py(py, old)
    }

    /// Undo a previously applied delta (the same as ``accum``: XOR is self-inverse).
    fn rollback(&mut self, py: Python<'_>, delta: &Bound<'_, PyAny>) -> PyResult<()> {
        let d = self.width.masked(delta)?;
        self.with_mut(py, |c| c.rollback(d))?;
        Ok(())
    }

    /// MERGE: XOR `other`'s accumulator (masked to this width) into this one
    /// and add its delta count. Like 0.2.0 it does not compare references.
    fn merge(&mut self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let Ok(other) = other.cast::<AtomikContext>() else {
            return Err(PyTypeError::new_err(format!(
                "merge() needs an AtomikContext, not '{}'",
                other.get_type().name()?
            )));
        };
        // Merging a context into itself: `other` is `self`, already borrowed
        // mutably, so read it through `self` rather than borrowing it again.
        let theirs = match other.try_borrow() {
            Ok(o) => o.get(py)?,
            Err(_) => self.get(py)?,
        };
        let masked = Context::from_parts(
            0,
            theirs.accumulator() & self.width.mask,
            theirs.delta_count(),
        );
        self.with_mut(py, |c| c.merge(&masked))?;
        Ok(())
    }

    /// Raw accumulator value (XOR of all deltas since the last load/swap).
    #[getter]
    fn accumulator<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.width.to_py(py, self.get(py)?.accumulator())
    }

    /// Current reference state (set by load or swap).
    #[getter]
    fn reference<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.width.to_py(py, self.get(py)?.reference())
    }

    /// True if the accumulator is zero.
    #[getter]
    fn is_clean(&self, py: Python<'_>) -> PyResult<bool> {
        Ok(self.get(py)?.is_clean())
    }

    /// Number of accum() calls since the last load/swap (wraps at 2**32).
    #[getter]
    fn delta_count(&self, py: Python<'_>) -> PyResult<u32> {
        Ok(self.get(py)?.delta_count())
    }

    /// Bit width of this context.
    #[getter(width)]
    fn width_bits(&self) -> u32 {
        self.width.bits
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(Self::repr_of(self.width, &self.get(py)?))
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
        let eq = match other.try_borrow() {
            Ok(o) => o.width == self.width && o.get(py)?.read() == self.get(py)?.read(),
            Err(_) => true, // only `self` itself can be borrowed mutably right now
        };
        match op {
            CompareOp::Eq => eq.into_py_any(py),
            CompareOp::Ne => (!eq).into_py_any(py),
            _ => Ok(py.NotImplemented()),
        }
    }

    /// Pickle/copy support: a standalone context with the same fields.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.get(py)?;
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
        store: Store::Own(Context::from_parts(
            width.masked(reference)?,
            width.masked(accumulator)?,
            delta_count,
        )),
    })
}
