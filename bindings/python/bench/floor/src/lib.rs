//! Methods that do nothing, to measure what a call into a PyO3 extension costs
//! before any work is done (`bindings/python/bench/floor.py`).

use pyo3::prelude::*;

/// A class whose methods do nothing. `frozen`: no borrow flag to check.
#[pyclass(frozen)]
struct Floor;

#[pymethods]
impl Floor {
    #[new]
    fn new() -> Self {
        Floor
    }

    /// One positional argument, not even converted.
    fn noop1(&self, _v: &Bound<'_, PyAny>) {}

    /// Two positional arguments, not converted.
    fn noop2(&self, _a: &Bound<'_, PyAny>, _v: &Bound<'_, PyAny>) {}

    /// No arguments.
    fn noop0(&self) {}

    /// One argument, not converted; returns a new 64-bit int (the floor of
    /// a table's `read` or `swap`).
    fn int1(&self, _a: &Bound<'_, PyAny>) -> u64 {
        0xDEAD_BEEF_CAFE_BABE
    }

    /// No arguments; returns a new 64-bit int (above CPython's cached small
    /// ints), as every `read` must: the floor of a method that returns a value.
    fn int0(&self) -> u64 {
        0xDEAD_BEEF_CAFE_BABE
    }
}

/// Like [`Floor`] but mutable, as `AtomikContext` is: calls take the borrow flag.
#[pyclass]
struct FloorMut {
    x: u64,
}

#[pymethods]
impl FloorMut {
    #[new]
    fn new() -> Self {
        FloorMut { x: 0 }
    }

    /// One argument, `&mut self`: adds the exclusive borrow of the object.
    fn noop1(&mut self, _v: &Bound<'_, PyAny>) {
        self.x = self.x.wrapping_add(1);
    }
}

/// The floor classes.
#[pymodule]
fn atomik_floor(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Floor>()?;
    m.add_class::<FloorMut>()?;
    Ok(())
}
