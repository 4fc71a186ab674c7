//! The only place this crate calls the CPython C API directly (everything else
//! goes through PyO3's safe API, except the in-place buffer view in
//! `buffer.rs`), for a conversion PyO3 does not offer.
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
use pyo3::types::PyInt;

/// `obj & (2**64 - 1)` of a Python int, as Python computes it.
#[inline]
pub(crate) fn low_64_bits(obj: &Bound<'_, PyInt>) -> u64 {
    // SAFETY: `obj` is a live `int` (its type says so) and the `Bound` proves
    // the GIL is held. For an int argument `PyLong_AsUnsignedLongLongMask`
    // cannot fail (it raises only for NULL or non-int arguments, CPython 3.9
    // to 3.14), so there is no error indicator to check.
    unsafe { pyo3::ffi::PyLong_AsUnsignedLongLongMask(obj.as_ptr()) }
}
