//! The only place this crate calls the CPython C API directly (everything else
//! goes through PyO3's safe API, except the in-place buffer view in
//! `buffer.rs`), for three calls PyO3 does not wrap.
//!
//! Why: PyO3's `u64` extraction calls `PyLong_AsUnsignedLongLong`, which on
//! CPython 3.11 converts any int wider than one 30-bit digit through the
//! generic `_PyLong_AsByteArray`; in a per-call operation that was the largest
//! single cost after the call itself (`perf`, see docs/python.md).
//! `PyLong_AsUnsignedLongLongMask` reads the digits directly, and its result
//! is what 0.2.0 computes for widths up to 64: `value & (2**64 - 1)`, in two's
//! complement for negative and over-wide values.
#![allow(unsafe_code)]

use pyo3::prelude::*;
use pyo3::types::{PyInt, PyString, PyType};

/// `obj & (2**64 - 1)` of a Python int, as Python computes it.
#[inline]
pub(crate) fn low_64_bits(obj: &Bound<'_, PyInt>) -> u64 {
    // SAFETY: `obj` is a live `int` (its type says so) and the `Bound` proves
    // the GIL is held. For an int argument `PyLong_AsUnsignedLongLongMask`
    // cannot fail (it raises only for NULL or non-int arguments, CPython 3.9
    // to 3.14), so there is no error indicator to check.
    unsafe { pyo3::ffi::PyLong_AsUnsignedLongLongMask(obj.as_ptr()) }
}

/// A new, uninitialised instance of `cls`, as `object.__new__(cls)` makes it
/// (`PyType_GenericNew` calls the type's `tp_alloc`), without building the
/// argument tuple of a Python-level call.
pub(crate) fn new_instance<'py>(cls: &Bound<'py, PyType>) -> PyResult<Bound<'py, PyAny>> {
    let py = cls.py();
    // SAFETY: `cls` is a live type object and the GIL is held (the `Bound`
    // proves both). `PyType_GenericNew` ignores its NULL args and kwds; it
    // returns a new reference, or NULL with an exception set, which
    // `from_owned_ptr_or_err` turns into `Err`.
    unsafe {
        let obj = pyo3::ffi::PyType_GenericNew(
            cls.as_type_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        );
        Bound::from_owned_ptr_or_err(py, obj)
    }
}

/// `object.__setattr__(obj, name, value)`: what a frozen dataclass's own
/// `__init__` calls to set its fields past its `__setattr__`, which raises.
/// Going through `PyObject_GenericSetAttr` keeps CPython's compact instance
/// attributes (reading `obj.__dict__` instead would materialise a dict).
pub(crate) fn generic_setattr(
    obj: &Bound<'_, PyAny>,
    name: &Bound<'_, PyString>,
    value: &Bound<'_, PyAny>,
) -> PyResult<()> {
    // SAFETY: all three are live objects and the GIL is held; the call
    // borrows them (it increments `value` itself when it stores it) and
    // returns -1 with an exception set on failure.
    let rc =
        unsafe { pyo3::ffi::PyObject_GenericSetAttr(obj.as_ptr(), name.as_ptr(), value.as_ptr()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(PyErr::fetch(obj.py()))
    }
}
