//! `Fingerprint` (0.2.0's XOR fold) and `PositionalFingerprint` (ours).

use atomik::{Fingerprint as CoreFingerprint, PositionalFingerprint as CorePositional};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::buffer::with_bytes;
use crate::convert::Width;

/// XOR-based change detection fingerprint, bit-compatible with 0.2.0.
///
/// `Fingerprint(width=64)`: the XOR of the data's little-endian chunks of
/// `width // 8` bytes (the tail zero-padded). Any buffer-protocol object is
/// accepted and folded over its raw bytes; large inputs release the GIL.
#[pyclass(module = "atomik_core", subclass)]
#[derive(Debug)]
pub(crate) struct Fingerprint {
    width: Width,
    /// Chunk size of the fold in bits: `8 * (width // 8)`, as in 0.2.0.
    chunk_bits: u32,
    fp: CoreFingerprint<u128>,
}

impl Fingerprint {
    fn fold(&self, data: &Bound<'_, PyAny>) -> PyResult<u128> {
        let bits = self.chunk_bits;
        let folded = with_bytes(data, |bytes| atomik::xor_fold_bits(bytes, bits))?;
        // Cannot fail: the constructor only accepts widths whose chunk size is 8..=128 bits.
        let v = folded.map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(v & self.width.mask)
    }
}

#[pymethods]
impl Fingerprint {
    #[new]
    #[pyo3(signature = (width = Width::from_bits(64)))]
    fn new(width: Width) -> PyResult<Self> {
        if width.bits < 8 {
            // 0.2.0 accepted these and then looped forever on the first
            // non-empty buffer (its chunk size is width // 8 == 0 bytes).
            return Err(PyValueError::new_err(format!(
                "Fingerprint width must be at least 8 bits, got {} \
                 (atomik-core 0.2.0 hung on such widths)",
                width.bits
            )));
        }
        Ok(Fingerprint {
            width,
            chunk_bits: width.bits / 8 * 8,
            fp: CoreFingerprint::new(),
        })
    }

    /// Set the reference fingerprint from `data` (any bytes-like object);
    /// returns it.
    fn load<'py>(
        &mut self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let v = self.fold(data)?;
        self.fp = CoreFingerprint::from_parts(v, 0);
        self.width.to_py(py, v)
    }

    /// Fingerprint `data` and record its difference from the reference;
    /// returns the fingerprint of `data`.
    fn update<'py>(
        &mut self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let v = self.fold(data)?;
        self.fp = CoreFingerprint::from_parts(self.fp.reference(), v ^ self.fp.reference());
        self.width.to_py(py, v)
    }

    /// O(1) update when one chunk of the data changed from `old_chunk` to `new_chunk`.
    fn accumulate_delta(
        &mut self,
        old_chunk: &Bound<'_, PyAny>,
        new_chunk: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let old = self.width.masked(old_chunk)?;
        let new = self.width.masked(new_chunk)?;
        self.fp.accum_delta(old, new);
        Ok(())
    }

    /// True if the data has changed since load() (as far as the XOR fold can see).
    #[getter]
    fn changed(&self) -> bool {
        self.fp.changed()
    }

    /// Current fingerprint value (reference XOR accumulator).
    #[getter]
    fn value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.width.to_py(py, self.fp.value())
    }

    /// Raw accumulator: the XOR difference between reference and current.
    #[getter]
    fn delta<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.width.to_py(py, self.fp.accumulator())
    }

    /// Bit width of the fingerprint.
    #[getter(width)]
    fn width_bits(&self) -> u32 {
        self.width.bits
    }

    /// Clear the accumulator (mark the data as matching the reference).
    fn reset(&mut self) {
        self.fp = CoreFingerprint::from_parts(self.fp.reference(), 0);
    }

    /// Pickle/copy support.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let ctor = py
            .import("atomik_core._native")?
            .getattr("_fingerprint_from_parts")?;
        let args = (
            self.width.bits,
            self.width.to_py(py, self.fp.reference())?,
            self.width.to_py(py, self.fp.accumulator())?,
        );
        (ctor, args).into_pyobject(py).map(Bound::into_any)
    }

    fn __repr__(&self) -> String {
        format!(
            "Fingerprint(value={}, changed={}, width={})",
            self.width.hex(self.fp.value()),
            if self.fp.changed() { "True" } else { "False" },
            self.width.bits
        )
    }
}

/// Rebuilds a fingerprint from its fields (used by pickle).
#[pyfunction]
pub(crate) fn _fingerprint_from_parts(
    width: Width,
    reference: &Bound<'_, PyAny>,
    accumulator: &Bound<'_, PyAny>,
) -> PyResult<Fingerprint> {
    let mut fp = Fingerprint::new(width)?;
    fp.fp = CoreFingerprint::from_parts(width.masked(reference)?, width.masked(accumulator)?);
    Ok(fp)
}

/// A position-aware 64-bit fingerprint: unlike the XOR fold it changes when
/// chunks trade places or the same bit flips in two chunks. Not compatible
/// with 0.2.0; use it when the changes to catch may be permutations.
#[pyclass(module = "atomik_core", subclass)]
#[derive(Debug, Default)]
pub(crate) struct PositionalFingerprint {
    fp: CorePositional,
}

#[pymethods]
impl PositionalFingerprint {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Set the reference fingerprint from `data`; returns it.
    fn load(&mut self, data: &Bound<'_, PyAny>) -> PyResult<u64> {
        let v = with_bytes(data, atomik::positional_fold)?;
        self.fp = CorePositional::from_parts(v, 0);
        Ok(v)
    }

    /// Fingerprint `data` and record its difference from the reference; returns it.
    fn update(&mut self, data: &Bound<'_, PyAny>) -> PyResult<u64> {
        let v = with_bytes(data, atomik::positional_fold)?;
        self.fp = CorePositional::from_parts(self.fp.reference(), v ^ self.fp.reference());
        Ok(v)
    }

    /// O(1) update when the 8-byte chunk at chunk index `index` (byte offset
    /// `8 * index`, little-endian, zero-padded) changed from `old` to `new`.
    fn accumulate_delta(&mut self, index: u64, old: u64, new: u64) {
        self.fp.accum_delta(index, old, new);
    }

    /// True if the data has changed since load().
    #[getter]
    fn changed(&self) -> bool {
        self.fp.changed()
    }

    /// Fingerprint of the current data.
    #[getter]
    fn value(&self) -> u64 {
        self.fp.value()
    }

    /// XOR difference between reference and current fingerprint.
    #[getter]
    fn delta(&self) -> u64 {
        self.fp.accumulator()
    }

    /// Accept the current data as the new reference.
    fn rebase(&mut self) {
        self.fp.rebase();
    }

    fn __repr__(&self) -> String {
        format!(
            "PositionalFingerprint(value=0x{:016x}, changed={})",
            self.fp.value(),
            if self.fp.changed() { "True" } else { "False" }
        )
    }
}
