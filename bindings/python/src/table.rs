//! `AtomikTable`: N independent contexts, each a core `Context` kept in a
//! [`Slot`] of atomics so that the class is `frozen` (no borrow flag to take
//! on every call, see `slot.rs`).

use atomik::{Context, TableError};
use pyo3::exceptions::{PyIndexError, PyMemoryError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt};

use crate::buffer::{self, IntElem, Ints, elems, with_kind};
use crate::context::AtomikContext;
use crate::convert::{Width, address};
use crate::slot::Slot;

/// A table of independently addressable ATOMiK contexts.
///
/// `AtomikTable(num_contexts=256, width=64)`. Per-address operations mirror
/// `AtomikContext`; `batch_accum` takes a dict, `accum_many` two buffers.
#[pyclass(module = "atomik_core", subclass, frozen)]
#[derive(Debug)]
pub(crate) struct AtomikTable {
    width: Width,
    slots: Box<[Slot]>,
}

/// `n` fresh contexts; running out of memory is a `MemoryError`, not an abort.
fn alloc_slots(n: usize) -> PyResult<Box<[Slot]>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| table_err(TableError::AllocFailed { len: n }))?;
    v.extend((0..n).map(|_| Slot::new(Context::new())));
    Ok(v.into_boxed_slice())
}

impl AtomikTable {
    /// Slot `addr` (callers validated the address: views are made only for
    /// addresses checked against this table, whose length never changes).
    pub(crate) fn slot(&self, addr: usize) -> &Slot {
        &self.slots[addr]
    }

    fn addr(&self, addr: &Bound<'_, PyAny>) -> PyResult<usize> {
        address(addr, self.slots.len())
    }

    fn contexts(&self) -> impl Iterator<Item = (usize, Context<u128>)> + '_ {
        self.slots.iter().map(Slot::get).enumerate()
    }
}

/// `num_contexts` as 0.2.0's `AtomikTable` validates it (`None`: 256).
pub(crate) fn table_size(num_contexts: Option<&Bound<'_, PyAny>>) -> PyResult<usize> {
    let Some(n) = num_contexts else {
        return Ok(256);
    };
    if n.lt(1)? {
        return Err(PyValueError::new_err(format!(
            "num_contexts must be >= 1, got {}",
            n.str()?
        )));
    }
    match n.extract::<usize>() {
        Ok(n) => Ok(n),
        // More contexts than addressable memory: what 0.2.0's list would raise.
        Err(_) if n.is_instance_of::<PyInt>() => Err(PyMemoryError::new_err(format!(
            "cannot allocate {} contexts",
            n.str()?
        ))),
        Err(e) => Err(e),
    }
}

/// Maps a core table error to the Python exception 0.2.0 would raise.
pub(crate) fn table_err(e: TableError) -> PyErr {
    match e {
        TableError::ZeroSize => PyValueError::new_err(e.to_string()),
        TableError::AllocFailed { .. } => PyMemoryError::new_err(e.to_string()),
        TableError::AddrOutOfRange { addr, len } => PyIndexError::new_err(format!(
            "address {addr} out of range [0, {}]",
            len.saturating_sub(1)
        )),
    }
}

#[pymethods]
impl AtomikTable {
    #[new]
    #[pyo3(signature = (num_contexts = None, width = None))]
    fn new(
        num_contexts: Option<&Bound<'_, PyAny>>,
        width: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        // 0.2.0 checks num_contexts before width; keep its order and messages.
        let n = table_size(num_contexts)?;
        let width = match width {
            Some(w) => Width::new(w)?,
            None => Width::from_bits(64),
        };
        Ok(AtomikTable {
            width,
            slots: alloc_slots(n)?,
        })
    }

    /// LOAD: set the initial state at `addr`, clear its accumulator.
    fn load(&self, addr: &Bound<'_, PyAny>, initial_state: &Bound<'_, PyAny>) -> PyResult<()> {
        let a = self.addr(addr)?;
        let v = self.width.masked(initial_state)?;
        self.slots[a].update(|c| c.load(v));
        Ok(())
    }

    /// ACCUM: XOR `delta` into the accumulator at `addr`.
    fn accum(&self, addr: &Bound<'_, PyAny>, delta: &Bound<'_, PyAny>) -> PyResult<()> {
        let a = self.addr(addr)?;
        let d = self.width.masked_delta(delta)?;
        self.slots[a].update(|c| c.accum(d));
        Ok(())
    }

    /// READ: the current state at `addr`.
    fn read<'py>(&self, py: Python<'py>, addr: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let a = self.addr(addr)?;
        self.width.to_py(py, self.slots[a].get().read())
    }

    /// SWAP at `addr`: return the state, start a new epoch from
    /// `new_reference` (or from the state when None).
    #[pyo3(signature = (addr, new_reference = None))]
    fn swap<'py>(
        &self,
        py: Python<'py>,
        addr: &Bound<'py, PyAny>,
        new_reference: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let a = self.addr(addr)?;
        let old = match new_reference {
            Some(v) => {
                let r = self.width.masked(v)?;
                self.slots[a].update(|c| c.swap(r))
            }
            None => self.slots[a].update(Context::swap_keep),
        };
        self.width.to_py(py, old)
    }

    /// The context at `addr`: a live view, changes through it change the table.
    fn context(slf: &Bound<'_, Self>, addr: &Bound<'_, PyAny>) -> PyResult<AtomikContext> {
        let this = slf.get();
        let a = this.addr(addr)?;
        Ok(AtomikContext::view(this.width, slf.clone().unbind(), a))
    }

    /// Apply `{address: delta}` pairs in iteration order (like 0.2.0, pairs
    /// before a bad address stay applied; see `accum_many` for all-or-nothing).
    fn batch_accum(&self, deltas: &Bound<'_, PyAny>) -> PyResult<()> {
        for item in deltas.call_method0("items")?.try_iter()? {
            let (addr, delta): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
            self.accum(&addr, &delta)?;
        }
        Ok(())
    }

    /// ACCUM `deltas[i]` into `addrs[i]` for every i, from two buffers of
    /// integers (bytes, `array.array`, numpy arrays, ...). All or nothing: if
    /// any address is out of range, nothing is applied. The GIL is released
    /// for large inputs. Deltas are masked to the width like single accums.
    fn accum_many(
        &self,
        py: Python<'_>,
        addrs: &Bound<'_, PyAny>,
        deltas: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let (a, d) = Ints::addrs_and_deltas(addrs, deltas)?;
        let (n, len, mask) = (a.len(), self.slots.len(), self.width.mask);
        let (ab, db, bits) = (a.bytes(), d.bytes(), self.width.bits);
        if n < len {
            // Fewer pairs than contexts: read the pairs once, check every
            // address, then apply them one by one.
            let batch = buffer::maybe_detach(py, n, || {
                with_kind!(a.kind, |A| with_kind!(d.kind, |D| {
                    let batch: Vec<_> = pairs::<A, D>(ab, db, mask).collect();
                    match batch.iter().any(|&(addr, _)| addr >= len) {
                        true => Err(bad_addr::<A>(ab, len)),
                        false => Ok(batch),
                    }
                }))
            })?;
            for (addr, delta) in batch {
                self.slots[addr].update(|c| c.accum(delta));
            }
            return Ok(());
        }
        // At least one pair per context: sum the pairs per context in one
        // pass over the buffers (in 64-bit words when the width allows:
        // half the memory traffic of u128 sums), and touch the table only
        // once every address has proved good.
        let sums = buffer::maybe_detach(py, n, || {
            with_kind!(a.kind, |A| with_kind!(d.kind, |D| {
                if bits <= 64 {
                    // Lossless: the mask of a width <= 64 fits in 64 bits.
                    #[allow(clippy::cast_possible_truncation)]
                    let mask64 = mask as u64;
                    sum_pairs(len, pairs64::<A, D>(ab, db, mask64))
                        .map(|s| s.iter().map(widen).collect())
                } else {
                    sum_pairs(len, pairs::<A, D>(ab, db, mask))
                }
                .map_err(|_| bad_addr::<A>(ab, len))
            }))
        })?;
        for (slot, sum) in self.slots.iter().zip(&sums) {
            slot.update(|c| c.merge(sum));
        }
        Ok(())
    }

    /// `{address: state}` for every context whose state is non-zero.
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for (a, c) in self.contexts().filter(|(_, c)| c.read() != 0) {
            out.set_item(a, self.width.to_py(py, c.read())?)?;
        }
        Ok(out)
    }

    /// Number of contexts.
    #[getter]
    fn num_contexts(&self) -> usize {
        self.slots.len()
    }

    /// Bit width of every context.
    #[getter]
    fn width(&self) -> u32 {
        self.width.bits
    }

    /// Pickle/copy support: the contexts that differ from a fresh one.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let mut parts = Vec::new();
        for (a, c) in self.contexts() {
            if c != Context::new() {
                let (r, acc) = (
                    self.width.to_py(py, c.reference())?,
                    self.width.to_py(py, c.accumulator())?,
                );
                parts.push((a, r, acc, c.delta_count()));
            }
        }
        let ctor = py
            .import("atomik_core._native")?
            .getattr("_table_from_parts")?;
        (ctor, (self.slots.len(), self.width.bits, parts))
            .into_pyobject(py)
            .map(Bound::into_any)
    }

    fn __repr__(&self) -> String {
        let active = self
            .contexts()
            .filter(|(_, c)| !c.is_clean() || c.reference() != 0)
            .count();
        format!(
            "AtomikTable(contexts={}, width={}, active={active})",
            self.slots.len(),
            self.width.bits
        )
    }
}

/// The `(address, masked delta)` pairs of two element buffers; a negative
/// address becomes `usize::MAX`, which no table contains.
fn pairs<'a, A: IntElem + 'a, D: IntElem + 'a>(
    addrs: &'a [u8],
    deltas: &'a [u8],
    mask: u128,
) -> impl Iterator<Item = (usize, u128)> + Clone + 'a {
    elems::<A>(addrs)
        .zip(elems::<D>(deltas))
        .map(move |(a, d)| (a.index().unwrap_or(usize::MAX), d.wrapping_u128() & mask))
}

/// The same pairs with 64-bit deltas, for widths of at most 64 bits.
fn pairs64<'a, A: IntElem + 'a, D: IntElem + 'a>(
    addrs: &'a [u8],
    deltas: &'a [u8],
    mask: u64,
) -> impl Iterator<Item = (usize, u64)> + Clone + 'a {
    elems::<A>(addrs)
        .zip(elems::<D>(deltas))
        .map(move |(a, d)| (a.index().unwrap_or(usize::MAX), d.wrapping_u64() & mask))
}

/// Per-context sums (accumulator and count) of `pairs`; `Err` at the first
/// address outside `0..len`.
fn sum_pairs<W: atomik::Word>(
    len: usize,
    pairs: impl Iterator<Item = (usize, W)> + Clone,
) -> Result<Vec<Context<W>>, usize> {
    // Accumulators and counts in two arrays: a pair is two independent
    // read-modify-writes of 8 and 4 bytes rather than two into one 24-byte
    // context (measured: bench.py's accum_many).
    let mut acc = vec![W::ZERO; len];
    let mut count = vec![0u32; len];
    for (addr, delta) in pairs {
        match (acc.get_mut(addr), count.get_mut(addr)) {
            (Some(a), Some(n)) => {
                *a ^= delta;
                *n = n.wrapping_add(1);
            }
            _ => return Err(addr),
        }
    }
    Ok(acc
        .into_iter()
        .zip(count)
        .map(|(a, n)| Context::from_parts(W::ZERO, a, n))
        .collect())
}

fn widen(c: &Context<u64>) -> Context<u128> {
    Context::from_parts(
        u128::from(c.reference()),
        u128::from(c.accumulator()),
        c.delta_count(),
    )
}

/// The error for the first address of `addrs` outside a table of `len`
/// contexts, named as the caller wrote it (negative addresses included).
fn bad_addr<A: IntElem>(addrs: &[u8], len: usize) -> AccumManyError {
    let addr = elems::<A>(addrs)
        .find(|a| a.index().is_none_or(|i| i >= len))
        .map_or(i128::MAX, IntElem::wide);
    AccumManyError { addr, len }
}

/// An address of an `accum_many` buffer outside the table.
#[derive(Debug)]
struct AccumManyError {
    addr: i128,
    len: usize,
}

impl From<AccumManyError> for PyErr {
    fn from(e: AccumManyError) -> PyErr {
        PyIndexError::new_err(format!(
            "address {} out of range [0, {}] (nothing was applied)",
            e.addr,
            e.len.saturating_sub(1)
        ))
    }
}

/// Rebuilds a table from `(addr, reference, accumulator, delta_count)` of its
/// non-fresh contexts (used by pickle).
#[pyfunction]
pub(crate) fn _table_from_parts(
    py: Python<'_>,
    num_contexts: usize,
    width: Width,
    parts: Vec<(usize, Bound<'_, PyAny>, Bound<'_, PyAny>, u32)>,
) -> PyResult<AtomikTable> {
    let slots = alloc_slots(table_size(Some(
        &num_contexts.into_pyobject(py)?.into_any(),
    ))?)?;
    for (a, r, acc, n) in parts {
        let slot = slots.get(a).ok_or_else(|| {
            table_err(TableError::AddrOutOfRange {
                addr: a,
                len: slots.len(),
            })
        })?;
        slot.set(&Context::from_parts(
            width.masked(&r)?,
            width.masked(&acc)?,
            n,
        ));
    }
    Ok(AtomikTable { width, slots })
}
