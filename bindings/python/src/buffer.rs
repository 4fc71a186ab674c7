//! Buffer-protocol inputs (bytes, bytearray, memoryview, `array.array`,
//! numpy arrays, mmap, ...), read without `unsafe`.
//!
//! The extension targets the stable ABI from CPython 3.9 (`abi3-py39`), and
//! `PyObject_GetBuffer` only joined the limited API in 3.11. So a `bytes`
//! object is read in place, and any other buffer is first copied into one by
//! `memoryview(obj).tobytes()` (a memcpy: C order, whatever the strides).
//! `bytes` are immutable, which also makes it sound to release the GIL while
//! Rust reads them.

use std::ops::Range;

use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PySlice};

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

/// The raw bytes of any buffer-protocol object, as an immutable `bytes`.
fn raw_bytes<'py>(data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    if let Ok(b) = data.cast::<PyBytes>() {
        return Ok(b.clone());
    }
    // memoryview() raises 0.2.0's TypeError for objects without the buffer protocol.
    let view = memoryview(data)?;
    Ok(view.call_method0("tobytes")?.cast_into::<PyBytes>()?)
}

fn memoryview<'py>(data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    data.py()
        .import("builtins")?
        .getattr("memoryview")?
        .call1((data,))
}

/// Calls `f` with the raw bytes of any buffer-protocol object (its memory in
/// C order, whatever its item format or shape), with the GIL released for
/// large inputs.
pub(crate) fn with_bytes<T, F>(data: &Bound<'_, PyAny>, f: F) -> PyResult<T>
where
    F: FnOnce(&[u8]) -> T + Send,
    T: Send,
{
    let bytes = raw_bytes(data)?;
    let slice = bytes.as_bytes();
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

/// A buffer of integers, read chunk by chunk.
#[derive(Debug)]
pub(crate) struct Ints<'py> {
    /// Where the elements' bytes come from: the `bytes` object itself (read
    /// in place), a 1-D unsigned-byte memoryview of a C-contiguous buffer
    /// (copied one chunk at a time), or a `bytes` copy of a strided buffer.
    src: Bound<'py, PyAny>,
    /// Element type.
    pub(crate) kind: IntKind,
    /// Number of elements.
    len: usize,
}

/// The bytes of a run of elements of an [`Ints`].
#[derive(Debug)]
pub(crate) struct Chunk<'py> {
    bytes: Bound<'py, PyBytes>,
    range: Range<usize>,
}

impl Chunk<'_> {
    /// The elements' bytes (immutable: safe to read with the GIL released).
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes.as_bytes()[self.range.clone()]
    }
}

impl<'py> Ints<'py> {
    /// Reads an integer buffer (struct format `b B h H i I l L q Q n N`, native
    /// byte order); other formats (floats, structs, foreign byte order) are a
    /// `TypeError`. `what` names the argument in messages.
    pub(crate) fn new(data: &Bound<'py, PyAny>, what: &str) -> PyResult<Self> {
        let view = memoryview(data)?;
        let format: String = view.getattr("format")?.extract()?;
        let itemsize: usize = view.getattr("itemsize")?.extract()?;
        let Some(kind) = int_kind(&format, itemsize) else {
            return Err(PyTypeError::new_err(format!(
                "{what} must be a buffer of integers in native byte order \
                 (format b, B, h, H, i, I, l, L, q, Q, n or N), got format {format:?}"
            )));
        };
        let nbytes: usize = view.getattr("nbytes")?.extract()?;
        // Copying a large buffer whole costs more than reading it: the copy
        // is fresh memory (page faults) larger than the caches. Chunks of a
        // C-contiguous buffer are copied when needed instead, each small
        // enough to stay in cache.
        let src = if data.is_instance_of::<PyBytes>() {
            data.clone()
        } else if view.getattr("c_contiguous")?.is_truthy()? {
            view.call_method1("cast", ("B",))?
        } else {
            view.call_method0("tobytes")?
        };
        Ok(Ints {
            src,
            kind,
            len: nbytes / kind_size(kind),
        })
    }

    /// Number of elements.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The bytes of elements `start..end`.
    pub(crate) fn chunk(&self, start: usize, end: usize) -> PyResult<Chunk<'py>> {
        let size = kind_size(self.kind);
        let range = start * size..end * size;
        if let Ok(bytes) = self.src.cast::<PyBytes>() {
            return Ok(Chunk {
                bytes: bytes.clone(),
                range,
            });
        }
        let slice = PySlice::new(
            self.src.py(),
            to_isize(range.start)?,
            to_isize(range.end)?,
            1,
        );
        let bytes = self
            .src
            .get_item(slice)?
            .call_method0("tobytes")?
            .cast_into::<PyBytes>()?;
        Ok(Chunk {
            range: 0..bytes.as_bytes().len(),
            bytes,
        })
    }
}

/// A byte offset as a Python slice bound (offsets of a real buffer always fit).
fn to_isize(n: usize) -> PyResult<isize> {
    isize::try_from(n).map_err(|e| PyOverflowError::new_err(e.to_string()))
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
