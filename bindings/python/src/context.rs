//! `AtomikContext`: one context, either standalone or a live view of a table slot.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

use atomik::Context;
use pyo3::IntoPyObjectExt;
use pyo3::basic::CompareOp;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple, PyType};

use crate::convert::Width;
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

/// A standalone context's state, kept in atomics so that the class can be
/// `frozen`: PyO3 then hands methods `&self` without taking a borrow flag,
/// which measurably shortens every call (docs/python.md, the call floor).
/// Atomics are always memory-safe; a method's read-modify-write is also
/// logically atomic because every method holds the GIL throughout it and calls
/// no Python code between its load and its store.
#[derive(Debug)]
struct Slot {
    reference: [AtomicU64; 2],
    accumulator: [AtomicU64; 2],
    delta_count: AtomicU32,
}

/// `v` as (high, low) 64-bit halves.
#[allow(clippy::cast_possible_truncation)] // the truncation is the point
fn halves(v: u128) -> [u64; 2] {
    [(v >> 64) as u64, v as u64]
}

#[inline(always)]
fn load_u128(a: &[AtomicU64; 2]) -> u128 {
    (u128::from(a[0].load(Relaxed)) << 64) | u128::from(a[1].load(Relaxed))
}

#[inline(always)]
fn store_u128(a: &[AtomicU64; 2], v: u128) {
    let [hi, lo] = halves(v);
    a[0].store(hi, Relaxed);
    a[1].store(lo, Relaxed);
}

impl Slot {
    fn new(c: Context<u128>) -> Self {
        let [rh, rl] = halves(c.reference());
        let [ah, al] = halves(c.accumulator());
        Slot {
            reference: [AtomicU64::new(rh), AtomicU64::new(rl)],
            accumulator: [AtomicU64::new(ah), AtomicU64::new(al)],
            delta_count: AtomicU32::new(c.delta_count()),
        }
    }

    #[inline(always)]
    fn get(&self) -> Context<u128> {
        Context::from_parts(
            load_u128(&self.reference),
            load_u128(&self.accumulator),
            self.delta_count.load(Relaxed),
        )
    }

    #[inline(always)]
    fn set(&self, c: &Context<u128>) {
        store_u128(&self.reference, c.reference());
        store_u128(&self.accumulator, c.accumulator());
        self.delta_count.store(c.delta_count(), Relaxed);
    }
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

    /// A copy of the context's current state. A view fails (RuntimeError,
    /// not a panic) while its table is busy in a batch on another thread.
    /// Always inlined: returned through memory, the copy stalled the caller's
    /// 16-byte loads (a failed store forward cost a third of `read`, `perf`).
    #[inline(always)]
    pub(crate) fn get(&self, py: Python<'_>) -> PyResult<Context<u128>> {
        match &self.store {
            Store::Own(slot) => Ok(slot.get()),
            Store::View { table, addr } => Ok(table.try_borrow(py)?.slot(*addr)),
        }
    }

    /// Runs `f` on the context's state, wherever it lives.
    #[inline(always)]
    fn with_mut<R>(&self, py: Python<'_>, f: impl FnOnce(&mut Context<u128>) -> R) -> PyResult<R> {
        match &self.store {
            Store::Own(slot) => {
                let mut c = slot.get();
                let r = f(&mut c);
                slot.set(&c);
                Ok(r)
            }
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
    pub(crate) fn load(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = self.width.masked(value)?;
        self.with_mut(py, |c| c.load(v))?;
        Ok(())
    }

    /// ACCUM: XOR `delta` into the accumulator.
    pub(crate) fn accum(&self, py: Python<'_>, delta: &Bound<'_, PyAny>) -> PyResult<()> {
        let d = self.width.masked_delta(delta)?;
        self.with_mut(py, |c| c.accum(d))?;
        Ok(())
    }

    /// READ: the current state, `reference ^ accumulator`.
    pub(crate) fn read<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.width.to_py(py, self.get(py)?.read())
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
                self.with_mut(py, |c| c.swap(r))?
            }
            None => self.with_mut(py, Context::swap_keep)?,
        };
        self.width.to_py(py, old)
    }

    /// Undo a previously applied delta (the same as ``accum``: XOR is self-inverse).
    fn rollback(&self, py: Python<'_>, delta: &Bound<'_, PyAny>) -> PyResult<()> {
        let d = self.width.masked_delta(delta)?;
        self.with_mut(py, |c| c.rollback(d))?;
        Ok(())
    }

    /// MERGE: XOR `other`'s accumulator (masked to this width) into this one
    /// and add its delta count. Like 0.2.0 it does not compare references.
    fn merge(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let Ok(other) = other.cast::<AtomikContext>() else {
            return Err(PyTypeError::new_err(format!(
                "merge() needs an AtomikContext, not '{}'",
                other.get_type().name()?
            )));
        };
        // Frozen: no borrow to take, even when `other` is `self`.
        let theirs = other.get().get(py)?;
        let masked = Context::from_parts(
            0,
            theirs.accumulator() & self.width.mask,
            theirs.delta_count(),
        );
        self.with_mut(py, |c| c.merge(&masked))?;
        Ok(())
    }

    /// `{"width", "reference", "accumulator", "state", "delta_count"}` (0.4.0).
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = self.get(py)?;
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
        let py = cls.py();
        let ctx = cls.call1((snap.get_item("width")?, snap.get_item("reference")?))?;
        let acc = snap.get_item("accumulator")?;
        let count = snap
            .call_method1("get", ("delta_count", 0))?
            .call_method1("__and__", (u32::MAX,))?
            .extract::<u32>()?;
        let this = ctx.cast::<AtomikContext>()?.get();
        let acc = this.width.masked(&acc)?;
        this.with_mut(py, |c| *c = Context::from_parts(c.reference(), acc, count))?;
        Ok(ctx)
    }

    /// Context manager entry: the context itself (0.4.0).
    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// Context manager exit: LOAD 0, a clean zero state (0.4.0).
    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.with_mut(py, |c| c.load(0))?;
        Ok(false)
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
        let o = other.get();
        let eq = o.width == self.width && o.get(py)?.read() == self.get(py)?.read();
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
        store: Store::Own(Slot::new(Context::from_parts(
            width.masked(reference)?,
            width.masked(accumulator)?,
            delta_count,
        ))),
    })
}
