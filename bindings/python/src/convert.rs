//! Python ints in and out, with the 0.2.0 rules for widths and addresses.
//!
//! 0.2.0 stores Python ints and masks every input with `& ((1 << width) - 1)`:
//! negative or over-wide values are taken modulo 2^width (two's complement).
//! We keep every value in a `u128` masked to the width, which gives the same
//! results for every width from 1 to 128 bits.

use pyo3::exceptions::{PyIndexError, PyOverflowError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyInt;

use crate::ffi;

/// Widest context we support: values live in a `u128`.
pub(crate) const MAX_WIDTH: u32 = 128;

/// A validated bit width and its mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Width {
    /// Width in bits, 1..=128.
    pub(crate) bits: u32,
    /// `(1 << bits) - 1`.
    pub(crate) mask: u128,
}

impl Width {
    /// Validates `width` as 0.2.0 does (`width < 1` is a `ValueError` with
    /// 0.2.0's message) and rejects widths above 128 bits, which 0.2.0 handled
    /// with Python big ints and we cannot.
    pub(crate) fn new(width: &Bound<'_, PyAny>) -> PyResult<Self> {
        // `width < 1` first, like 0.2.0, so the message names the original value.
        if width.lt(1)? {
            return Err(PyValueError::new_err(format!(
                "width must be >= 1, got {}",
                width.str()?
            )));
        }
        let bits = match width.extract::<u64>() {
            Ok(b) => b,
            // A huge int is simply too wide; a non-int keeps 0.2.0's TypeError.
            Err(_) if width.is_instance_of::<PyInt>() => u64::MAX,
            Err(e) => return Err(e),
        };
        let Some(bits) = u32::try_from(bits).ok().filter(|&b| b <= MAX_WIDTH) else {
            return Err(PyValueError::new_err(format!(
                "width {} is not supported: atomik_core supports widths from 1 to \
                 {MAX_WIDTH} bits (0.2.0 allowed wider contexts as Python big ints)",
                width.str()?
            )));
        };
        Ok(Self::from_bits(bits))
    }

    /// A width already known to be in 1..=128.
    pub(crate) fn from_bits(bits: u32) -> Self {
        let mask = if bits >= 128 {
            u128::MAX
        } else {
            (1u128 << bits) - 1
        };
        Width { bits, mask }
    }

    /// Hex digits in 0.2.0's reprs: `(width + 3) // 4`.
    pub(crate) fn hex_digits(self) -> usize {
        self.bits.div_ceil(4) as usize
    }

    /// `v` formatted as 0.2.0 formats state values in reprs.
    pub(crate) fn hex(self, v: u128) -> String {
        format!("0x{:0w$x}", v, w = self.hex_digits())
    }

    /// Converts a Python int to a masked word exactly like 0.2.0's `value & mask`.
    #[inline]
    pub(crate) fn masked(self, obj: &Bound<'_, PyAny>) -> PyResult<u128> {
        match self.masked_fast(obj) {
            Some(v) => Ok(v),
            None => self.masked_by_python(obj),
        }
    }

    /// Converts a delta the way 0.2.0's ACCUM uses it, `(acc ^ delta) & mask`:
    /// for an int subclass the `^` (a plain int on its left) comes first, so
    /// its own `&` is never called. Same result as [`Width::masked`] for ints.
    #[inline]
    pub(crate) fn masked_delta(self, obj: &Bound<'_, PyAny>) -> PyResult<u128> {
        if let Some(v) = self.masked_fast(obj) {
            return Ok(v);
        }
        if obj.is_exact_instance_of::<PyInt>() {
            return self.masked_by_python(obj);
        }
        let zero = 0u8.into_pyobject(obj.py())?;
        self.masked(&zero.bitxor(obj)?)
    }

    /// The common case without a Python-level operation: an exact int (not a
    /// subclass, which may override `&`) at widths up to 64, where its low 64
    /// bits decide the result, or a non-negative one below 2^64. `None`: use
    /// [`Width::masked_by_python`].
    #[inline]
    fn masked_fast(self, obj: &Bound<'_, PyAny>) -> Option<u128> {
        let int = obj.cast_exact::<PyInt>().ok()?;
        if self.bits <= 64 {
            return Some(u128::from(ffi::low_64_bits(int)) & self.mask);
        }
        int.extract::<u64>().ok().map(|v| u128::from(v) & self.mask)
    }

    /// Wide or negative ints above 64 bits, int subclasses, non-ints: Python
    /// applies the mask, which reproduces 0.2.0's two's-complement semantics
    /// and its TypeError for values that do not support `&`.
    fn masked_by_python(self, obj: &Bound<'_, PyAny>) -> PyResult<u128> {
        let mask = self.mask.into_pyobject(obj.py())?;
        obj.bitand(mask)?.extract::<u128>()
    }

    /// Converts a Python int that must already fit the width (the strict rule
    /// of the replica API, which has no 0.2.0 behaviour to copy).
    pub(crate) fn strict(self, obj: &Bound<'_, PyAny>) -> PyResult<u128> {
        let v = obj.extract::<u128>()?;
        if v & !self.mask != 0 {
            return Err(PyOverflowError::new_err(format!(
                "value {v:#x} does not fit in {} bits",
                self.bits
            )));
        }
        Ok(v)
    }

    /// A word as a Python int.
    pub(crate) fn to_py<'py>(self, py: Python<'py>, v: u128) -> PyResult<Bound<'py, PyAny>> {
        // u64 → int is a single call; the u128 conversion is slower under abi3.
        match u64::try_from(v) {
            Ok(small) => Ok(small.into_pyobject(py)?.into_any()),
            Err(_) => Ok(v.into_pyobject(py)?.into_any()),
        }
    }
}

/// Checks `addr` against a table of `len` contexts like 0.2.0's `_ctx`:
/// negative or too large addresses raise `IndexError` with 0.2.0's message.
pub(crate) fn address(addr: &Bound<'_, PyAny>, len: usize) -> PyResult<usize> {
    match addr.extract::<isize>() {
        Ok(a) => match usize::try_from(a) {
            Ok(a) if a < len => Ok(a),
            _ => Err(out_of_range(addr, len)),
        },
        // Ints beyond isize are out of range too; anything else keeps its TypeError.
        Err(_) if addr.is_instance_of::<PyInt>() => Err(out_of_range(addr, len)),
        Err(e) => Err(e),
    }
}

fn out_of_range(addr: &Bound<'_, PyAny>, len: usize) -> PyErr {
    let shown = addr
        .str()
        .map_or_else(|_| "?".to_owned(), |s| s.to_string());
    PyIndexError::new_err(format!(
        "address {shown} out of range [0, {}]",
        len.saturating_sub(1)
    ))
}

impl<'a, 'py> FromPyObject<'a, 'py> for Width {
    type Error = PyErr;

    fn extract(obj: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Width::new(&obj)
    }
}
