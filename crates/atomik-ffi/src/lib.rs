//! `libatomik_core`: the C ABI of the atomik algebra.
//!
//! Two layers, both declared in `bindings/c/atomik_core.h` (generated from
//! this file by cbindgen):
//!
//! * the **compatibility API** of the original single-header library
//!   (DESIGN.md §4): same types, same layouts, same meaning. Where the original
//!   would have crashed (NULL pointers) these functions do nothing or return 0;
//! * the **checked API**: every function that can fail returns an
//!   [`atomik_status`]; batches, SWAP to a new reference, the position-aware
//!   fingerprint, wire messages and replicas.
//!
//! No panic crosses the boundary: every export runs inside a `catch_unwind` guard, which
//! turns a panic (a bug in this library) into `ATOMIK_ERR_INTERNAL` or the
//! documented default.
#![deny(missing_docs)]

mod checked;
mod compat;
mod fingerprint;
mod message;
#[cfg(test)]
mod panic_tests;
mod replica;

use core::ffi::c_int;
use core::panic::AssertUnwindSafe;
use std::ffi::c_char;

pub use checked::*;
pub use compat::*;
pub use fingerprint::*;
pub use message::*;
pub use replica::*;

/// Result of every checked function. The numeric values are stable.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum atomik_status {
    /// Success.
    ATOMIK_OK = 0,
    /// A required pointer argument was NULL.
    ATOMIK_ERR_NULL = 1,
    /// A context address is not below the number of contexts.
    ATOMIK_ERR_OUT_OF_RANGE = 2,
    /// A table or replica needs at least one context.
    ATOMIK_ERR_ZERO_SIZE = 3,
    /// Memory allocation failed.
    ATOMIK_ERR_ALLOC = 4,
    /// An argument has an invalid value (length too large, bad window, …).
    ATOMIK_ERR_INVALID_ARGUMENT = 5,
    /// Merging contexts with different references.
    ATOMIK_ERR_REFERENCE_MISMATCH = 6,
    /// Fewer bytes than one message; nothing was consumed.
    ATOMIK_ERR_TRUNCATED = 7,
    /// The message's version byte is not 1.
    ATOMIK_ERR_BAD_VERSION = 8,
    /// The message's checksum does not match its contents.
    ATOMIK_ERR_BAD_CHECKSUM = 9,
    /// The message carries values of another width than 64 bits.
    ATOMIK_ERR_WIDTH_MISMATCH = 10,
    /// Unknown message kind.
    ATOMIK_ERR_BAD_KIND = 11,
    /// The message's reserved byte is not zero.
    ATOMIK_ERR_RESERVED = 12,
    /// The output buffer is too small.
    ATOMIK_ERR_BUFFER_TOO_SMALL = 13,
    /// The message's seq is beyond the replica's receive window; resend later.
    ATOMIK_ERR_BEYOND_WINDOW = 14,
    /// An ACCUM arrived before the LOAD of its epoch; resend later.
    ATOMIK_ERR_FUTURE_EPOCH = 15,
    /// The replica already tracks its maximum number of senders.
    ATOMIK_ERR_TOO_MANY_SENDERS = 16,
    /// A context's epoch counter is exhausted (2^32 reloads).
    ATOMIK_ERR_EPOCH_EXHAUSTED = 17,
    /// An internal error (a caught panic): a bug in libatomik_core. The
    /// object involved is memory-safe but its contents are unspecified.
    ATOMIK_ERR_INTERNAL = 18,
}

/// Number of defined status codes (one past the largest).
pub const ATOMIK_STATUS_COUNT: u32 = 19;

/// A human-readable, static, NUL-terminated description of a status code.
/// Unknown codes give "unknown status code". Never returns NULL.
#[unsafe(no_mangle)]
pub extern "C" fn atomik_status_str(status: c_int) -> *const c_char {
    // Takes an int, not the enum: a C caller may pass any integer, and an
    // out-of-range value in a Rust enum would be undefined behaviour.
    let s: &'static [u8] = match status {
        0 => b"ok\0",
        1 => b"NULL pointer argument\0",
        2 => b"address out of range\0",
        3 => b"zero size: at least one context is required\0",
        4 => b"memory allocation failed\0",
        5 => b"invalid argument\0",
        6 => b"contexts have different references\0",
        7 => b"truncated message: need more bytes\0",
        8 => b"unsupported message version\0",
        9 => b"message checksum mismatch\0",
        10 => b"message value width is not 64 bits\0",
        11 => b"unknown message kind\0",
        12 => b"reserved message byte is not zero\0",
        13 => b"output buffer too small\0",
        14 => b"sequence number beyond the receive window; resend later\0",
        15 => b"delta for an epoch whose LOAD has not arrived; resend later\0",
        16 => b"too many senders\0",
        17 => b"epoch counter exhausted\0",
        18 => b"internal error in libatomik_core (a caught panic)\0",
        _ => b"unknown status code\0",
    };
    s.as_ptr().cast()
}

/// Major version of the library (from Cargo.toml).
const ATOMIK_LIB_VERSION_MAJOR: u32 = parse_u32(env!("CARGO_PKG_VERSION_MAJOR"));
/// Minor version.
const ATOMIK_LIB_VERSION_MINOR: u32 = parse_u32(env!("CARGO_PKG_VERSION_MINOR"));
/// Patch version.
const ATOMIK_LIB_VERSION_PATCH: u32 = parse_u32(env!("CARGO_PKG_VERSION_PATCH"));

const fn parse_u32(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut i = 0;
    let mut v = 0u32;
    while i < b.len() {
        v = v * 10 + (b[i] - b'0') as u32;
        i += 1;
    }
    v
}

/// The library's version as one number, `major * 10000 + minor * 100 + patch`
/// (compare with the header's `ATOMIK_VERSION` to detect a mismatched build).
#[unsafe(no_mangle)]
pub extern "C" fn atomik_version() -> u32 {
    ATOMIK_LIB_VERSION_MAJOR * 10_000 + ATOMIK_LIB_VERSION_MINOR * 100 + ATOMIK_LIB_VERSION_PATCH
}

/// The library's version as a static NUL-terminated string, e.g. "0.1.0".
#[unsafe(no_mangle)]
pub extern "C" fn atomik_version_string() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Runs `f`, turning a panic into `on_panic`: the panic boundary every export uses.
#[inline(always)]
pub(crate) fn guard<R>(on_panic: R, f: impl FnOnce() -> R) -> R {
    std::panic::catch_unwind(AssertUnwindSafe(|| {
        #[cfg(test)]
        tests::maybe_inject_panic();
        f()
    }))
    .unwrap_or(on_panic)
}

/// Writes `v` through `out` if it is not NULL.
///
/// # Safety
/// `out` must be NULL or valid for a write of `T`.
#[inline(always)]
pub(crate) unsafe fn put<T>(out: *mut T, v: T) {
    if !out.is_null() {
        // SAFETY: non-null, and the caller guarantees it is valid for writes.
        unsafe { out.write(v) };
    }
}

/// `data[..len]` as a byte slice. NULL with length 0 is the empty slice;
/// NULL with a non-zero length is `ATOMIK_ERR_NULL`; a length beyond
/// `PTRDIFF_MAX` (no object can be that large) is `ATOMIK_ERR_INVALID_ARGUMENT`.
///
/// # Safety
/// If non-NULL, `data` must be valid for reads of `len` bytes for `'a`.
#[inline(always)]
pub(crate) unsafe fn bytes<'a>(
    data: *const core::ffi::c_void,
    len: usize,
) -> Result<&'a [u8], atomik_status> {
    // SAFETY: forwarded caller contract.
    unsafe { slice(data.cast::<u8>(), len) }
}

/// `ptr[..len]` as a typed slice, with the same rules as [`bytes`].
///
/// # Safety
/// If non-NULL, `ptr` must be aligned and valid for reads of `len` elements.
#[inline(always)]
pub(crate) unsafe fn slice<'a, T>(ptr: *const T, len: usize) -> Result<&'a [T], atomik_status> {
    if len == 0 {
        return Ok(&[]);
    }
    if len > isize::MAX as usize / core::mem::size_of::<T>().max(1) {
        return Err(atomik_status::ATOMIK_ERR_INVALID_ARGUMENT);
    }
    if ptr.is_null() {
        return Err(atomik_status::ATOMIK_ERR_NULL);
    }
    // SAFETY: non-null, length bounded, and the caller guarantees validity.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

#[cfg(test)]
mod tests {
    use super::atomik_status::*;
    use super::*;
    use std::cell::Cell;

    thread_local! {
        static INJECT: Cell<bool> = const { Cell::new(false) };
    }

    const INJECTED: &str = "injected panic (test)";

    pub(crate) fn maybe_inject_panic() {
        if INJECT.with(Cell::get) {
            std::panic::panic_any(INJECTED);
        }
    }

    /// Runs `f` with a panic injected at the start of every guarded export.
    pub(crate) fn with_injected_panic<R>(f: impl FnOnce() -> R) -> R {
        static QUIET: std::sync::Once = std::sync::Once::new();
        // Installed once for the whole test binary (tests run in parallel and
        // the hook is global): silences the injected panics only.
        QUIET.call_once(|| {
            let default = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if info.payload().downcast_ref::<&str>() != Some(&INJECTED) {
                    default(info);
                }
            }));
        });
        INJECT.with(|c| c.set(true));
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        INJECT.with(|c| c.set(false));
        r.unwrap_or_else(|e| std::panic::resume_unwind(e))
    }

    #[test]
    fn status_strings_cover_every_code() {
        for code in 0..ATOMIK_STATUS_COUNT as i32 {
            // SAFETY: atomik_status_str returns a static NUL-terminated string.
            let s = unsafe { std::ffi::CStr::from_ptr(atomik_status_str(code)) };
            assert_ne!(s.to_str().unwrap(), "unknown status code", "code {code}");
        }
        for code in [-1, ATOMIK_STATUS_COUNT as i32, i32::MAX, i32::MIN] {
            // SAFETY: as above.
            let s = unsafe { std::ffi::CStr::from_ptr(atomik_status_str(code)) };
            assert_eq!(s.to_str().unwrap(), "unknown status code");
        }
        assert_eq!(ATOMIK_ERR_INTERNAL as u32 + 1, ATOMIK_STATUS_COUNT);
    }

    #[test]
    fn version_matches_cargo() {
        let v = env!("CARGO_PKG_VERSION");
        // SAFETY: static NUL-terminated string.
        let s = unsafe { std::ffi::CStr::from_ptr(atomik_version_string()) };
        assert_eq!(s.to_str().unwrap(), v);
        let parts: Vec<u32> = v.split('.').map(|p| p.parse().unwrap()).collect();
        assert_eq!(
            atomik_version(),
            parts[0] * 10_000 + parts[1] * 100 + parts[2]
        );
    }

    #[test]
    fn guard_returns_the_default_on_panic() {
        assert_eq!(guard(7, || 1), 1);
        assert_eq!(with_injected_panic(|| guard(7, || 1)), 7);
    }
}
