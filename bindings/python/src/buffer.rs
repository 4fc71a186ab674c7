//! Buffer-protocol inputs (bytes, bytearray, memoryview, `array.array`,
//! numpy arrays, mmap, ...).
//!
//! The default build targets the running interpreter's full C API and reads
//! a C-contiguous buffer in place through `PyObject_GetBuffer` (PyO3's
//! `PyUntypedBuffer`); only a strided buffer is first copied into `bytes`
//! (`memoryview(obj).tobytes()`, C order). The opt-in stable-ABI build
//! (feature `abi3`, CPython 3.9's limited API has no `PyObject_GetBuffer`)
//! reads a `bytes` object in place and copies every other buffer that way.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Inputs at least this large (bytes for data, elements for batches) are
/// processed with the GIL released so other Python threads keep running.
/// Below it, releasing and re-taking the GIL costs more than it frees.
pub(crate) const DETACH_THRESHOLD: usize = 64 * 1024;

/// Runs `f` with the GIL released when `work` reaches [`DETACH_THRESHOLD`].
pub(crate) fn maybe_detach<T, F>(py: Python<'_>, work: usize, f: F) -> T
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    if work >= DETACH_THRESHOLD {
        py.detach(f)
    } else {
        f()
    }
}

/// The memory of a buffer-protocol object, in C order, and its item format.
pub(crate) struct RawBuffer<'py> {
    store: Store<'py>,
    /// The struct-module format of one item (`"B"` for bytes).
    pub(crate) format: String,
    /// Bytes per item.
    pub(crate) itemsize: usize,
}

enum Store<'py> {
    /// A C-contiguous export, read in place.
    #[cfg(not(feature = "abi3"))]
    Export(pyo3::buffer::PyUntypedBuffer),
    /// An immutable `bytes`: the object itself, or a C-order copy.
    Bytes(Bound<'py, PyBytes>),
}

impl std::fmt::Debug for RawBuffer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawBuffer")
            .field("len", &self.as_slice().len())
            .field("format", &self.format)
            .finish()
    }
}

fn memoryview<'py>(data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    data.py()
        .import("builtins")?
        .getattr("memoryview")?
        .call1((data,))
}

/// `memoryview(data)`'s format, item size and a C-order `bytes` copy.
fn copied<'py>(data: &Bound<'py, PyAny>) -> PyResult<RawBuffer<'py>> {
    // memoryview() raises 0.2.0's TypeError for objects without the buffer protocol.
    let view = memoryview(data)?;
    Ok(RawBuffer {
        format: view.getattr("format")?.extract()?,
        itemsize: view.getattr("itemsize")?.extract()?,
        store: Store::Bytes(view.call_method0("tobytes")?.cast_into::<PyBytes>()?),
    })
}

impl<'py> RawBuffer<'py> {
    /// Exports `data` through the buffer protocol (a `TypeError` for other objects).
    pub(crate) fn new(data: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(b) = data.cast::<PyBytes>() {
            return Ok(RawBuffer {
                store: Store::Bytes(b.clone()),
                format: "B".to_owned(),
                itemsize: 1,
            });
        }
        #[cfg(not(feature = "abi3"))]
        {
            let buf = pyo3::buffer::PyUntypedBuffer::get(data)?;
            if buf.is_c_contiguous() {
                return Ok(RawBuffer {
                    format: buf.format().to_string_lossy().into_owned(),
                    itemsize: buf.item_size(),
                    store: Store::Export(buf),
                });
            }
        }
        copied(data)
    }

    /// The buffer's bytes in C order.
    pub(crate) fn as_slice(&self) -> &[u8] {
        match &self.store {
            #[cfg(not(feature = "abi3"))]
            Store::Export(buf) => exported_bytes(buf),
            Store::Bytes(b) => b.as_bytes(),
        }
    }
}

/// The memory of a C-contiguous export.
#[cfg(not(feature = "abi3"))]
#[allow(unsafe_code)]
fn exported_bytes(buf: &pyo3::buffer::PyUntypedBuffer) -> &[u8] {
    let len = buf.len_bytes();
    if len == 0 {
        return &[];
    }
    // SAFETY: `buf` is a live C-contiguous export (checked in `RawBuffer::new`),
    // so `buf_ptr()` points at `len_bytes()` readable bytes, which stay
    // allocated and unmoved until the export is released when `buf` drops:
    // exporters refuse to resize or free exported memory (bytearray and
    // array raise BufferError, mmap refuses to close). The slice borrows
    // `buf`, so it cannot outlive the export. Every bit pattern is a valid
    // `u8`. The bytes are read while the export is held, as numpy and
    // CPython's own consumers do; a program that writes the same memory
    // from another thread meanwhile (its own race) makes us read some mix of
    // old and new values, and our batches read each element once, so their
    // all-or-nothing address check still holds.
    unsafe { std::slice::from_raw_parts(buf.buf_ptr().cast::<u8>(), len) }
}

/// Calls `f` with the raw bytes of any buffer-protocol object (its memory in
/// C order, whatever its item format or shape), with the GIL released for
/// large inputs.
pub(crate) fn with_bytes<T, F>(data: &Bound<'_, PyAny>, f: F) -> PyResult<T>
where
    F: FnOnce(&[u8]) -> T + Send,
    T: Send,
{
    let raw = RawBuffer::new(data)?;
    let slice = raw.as_slice();
    Ok(maybe_detach(data.py(), slice.len(), || f(slice)))
}

/// An integer element type of a buffer, read as 0.2.0 reads a Python int.
pub(crate) trait IntElem: Copy + Send + Sync {
    /// Size in bytes.
    const SIZE: usize;
    /// Reads one native-endian element from exactly `SIZE` bytes.
    fn read(bytes: &[u8]) -> Self;
    /// The value modulo 2^128 (two's complement for negative values), which
    /// masked to a width equals Python's `value & mask`.
    fn wrapping_u128(self) -> u128;
    /// The value modulo 2^64, which masked to a width of at most 64 bits
    /// equals Python's `value & mask`.
    fn wrapping_u64(self) -> u64;
    /// The value as an address, or `None` when negative.
    fn index(self) -> Option<usize>;
    /// The value for error messages.
    fn wide(self) -> i128;
}

macro_rules! int_elem {
    ($($t:ty),*) => {$(
        impl IntElem for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            #[inline(always)]
            fn read(bytes: &[u8]) -> Self {
                let mut b = [0u8; std::mem::size_of::<$t>()];
                b.copy_from_slice(bytes);
                <$t>::from_ne_bytes(b)
            }
            #[inline(always)]
            #[allow(clippy::cast_sign_loss)]
            fn wrapping_u128(self) -> u128 {
                // Sign-extends signed types: -1i8 becomes u128::MAX, as -1 & mask in Python.
                i128::from(self) as u128
            }
            #[inline(always)]
            #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)]
            fn wrapping_u64(self) -> u64 {
                i128::from(self) as u64
            }
            #[inline(always)]
            fn index(self) -> Option<usize> {
                usize::try_from(self).ok()
            }
            fn wide(self) -> i128 {
                i128::from(self)
            }
        }
    )*};
}

int_elem!(u8, i8, u16, i16, u32, i32, u64, i64);

/// Integer element types a batch buffer may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IntKind {
    /// Unsigned, 1 byte.
    U8,
    /// Signed, 1 byte.
    I8,
    /// Unsigned, 2 bytes.
    U16,
    /// Signed, 2 bytes.
    I16,
    /// Unsigned, 4 bytes.
    U32,
    /// Signed, 4 bytes.
    I32,
    /// Unsigned, 8 bytes.
    U64,
    /// Signed, 8 bytes.
    I64,
}

/// A buffer of integers.
#[derive(Debug)]
pub(crate) struct Ints<'py> {
    raw: RawBuffer<'py>,
    /// Element type.
    pub(crate) kind: IntKind,
}

impl<'py> Ints<'py> {
    /// Reads an integer buffer (struct format `b B h H i I l L q Q n N`, native
    /// byte order); other formats (floats, structs, foreign byte order) are a
    /// `TypeError`. `what` names the argument in messages.
    pub(crate) fn new(data: &Bound<'py, PyAny>, what: &str) -> PyResult<Self> {
        let raw = RawBuffer::new(data)?;
        let Some(kind) = int_kind(&raw.format, raw.itemsize) else {
            return Err(PyTypeError::new_err(format!(
                "{what} must be a buffer of integers in native byte order \
                 (format b, B, h, H, i, I, l, L, q, Q, n or N), got format {:?}",
                raw.format
            )));
        };
        Ok(Ints { raw, kind })
    }

    /// The `addrs` and `deltas` arguments of an `accum_many`: two integer
    /// buffers of the same length.
    pub(crate) fn addrs_and_deltas(
        addrs: &Bound<'py, PyAny>,
        deltas: &Bound<'py, PyAny>,
    ) -> PyResult<(Self, Self)> {
        let a = Ints::new(addrs, "addrs")?;
        let d = Ints::new(deltas, "deltas")?;
        if a.len() != d.len() {
            return Err(PyValueError::new_err(format!(
                "addrs and deltas must have the same length ({} != {})",
                a.len(),
                d.len()
            )));
        }
        Ok((a, d))
    }

    /// Number of elements.
    pub(crate) fn len(&self) -> usize {
        self.raw.as_slice().len() / kind_size(self.kind)
    }

    /// The elements' bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        let raw = self.raw.as_slice();
        &raw[..raw.len() / kind_size(self.kind) * kind_size(self.kind)]
    }
}

fn kind_size(kind: IntKind) -> usize {
    match kind {
        IntKind::U8 | IntKind::I8 => 1,
        IntKind::U16 | IntKind::I16 => 2,
        IntKind::U32 | IntKind::I32 => 4,
        IntKind::U64 | IntKind::I64 => 8,
    }
}

/// Maps a struct-module format and item size to an element type.
fn int_kind(format: &str, itemsize: usize) -> Option<IntKind> {
    let native_prefix = if cfg!(target_endian = "little") {
        '<'
    } else {
        '>'
    };
    let code = match format.as_bytes() {
        [c] => *c,
        [p, c] if *p == b'@' || *p == b'=' || char::from(*p) == native_prefix => *c,
        _ => return None,
    };
    if !b"bBhHiIlLqQnN".contains(&code) {
        return None;
    }
    let signed = code.is_ascii_lowercase();
    Some(match (itemsize, signed) {
        (1, false) => IntKind::U8,
        (1, true) => IntKind::I8,
        (2, false) => IntKind::U16,
        (2, true) => IntKind::I16,
        (4, false) => IntKind::U32,
        (4, true) => IntKind::I32,
        (8, false) => IntKind::U64,
        (8, true) => IntKind::I64,
        _ => return None,
    })
}

/// Runs `$body` with `$t` bound to the element type of `$kind`.
macro_rules! with_kind {
    ($kind:expr, |$t:ident| $body:expr) => {
        match $kind {
            $crate::buffer::IntKind::U8 => {
                type $t = u8;
                $body
            }
            $crate::buffer::IntKind::I8 => {
                type $t = i8;
                $body
            }
            $crate::buffer::IntKind::U16 => {
                type $t = u16;
                $body
            }
            $crate::buffer::IntKind::I16 => {
                type $t = i16;
                $body
            }
            $crate::buffer::IntKind::U32 => {
                type $t = u32;
                $body
            }
            $crate::buffer::IntKind::I32 => {
                type $t = i32;
                $body
            }
            $crate::buffer::IntKind::U64 => {
                type $t = u64;
                $body
            }
            $crate::buffer::IntKind::I64 => {
                type $t = i64;
                $body
            }
        }
    };
}
pub(crate) use with_kind;

/// Iterates over the elements of type `T` in `bytes`.
pub(crate) fn elems<'a, T: IntElem + 'a>(bytes: &'a [u8]) -> impl Iterator<Item = T> + Clone + 'a {
    bytes.chunks_exact(T::SIZE).map(T::read)
}
