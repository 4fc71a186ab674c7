//! `libatomik_core`: the C ABI of the atomik algebra.
//!
//! Two layers, both declared in `bindings/c/atomik_core.h` (generated from
//! this file by cbindgen):
//!
//! * the **compatibility API** of the original single-header library
//!   (docs/contracts.md §3): same types, same layouts, same meaning. Where the original
//!   would have crashed (NULL pointers) these functions do nothing or return 0;
//! * the **checked API**: every function that can fail returns an
//!   [`atomik_status`]; batches, SWAP to a new reference, the position-aware
//!   fingerprint, wire messages and replicas; and board handles, the table
//!   of an FPGA board behind a serial port (`atomik_board_*`).
//!
//! No panic crosses the boundary: every export runs inside a `catch_unwind` guard, which
//! turns a panic (a bug in this library) into `ATOMIK_ERR_INTERNAL` or the
//! documented default.
#![deny(missing_docs)]
// The one crate that must dereference C pointers; every unsafe block states
// why it is sound (clippy::undocumented_unsafe_blocks).
#![allow(unsafe_code)]
// The C names of the original library (atomik_ctx_t, atomik_status, ...).
#![allow(non_camel_case_types)]

#[cfg(test)]
mod alloc_tests;
mod board;
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

pub use board::*;
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
    /// A board's serial port could not be opened or configured.
    ATOMIK_ERR_BOARD_OPEN = 19,
    /// Reading or writing a board's serial port failed.
    ATOMIK_ERR_BOARD_IO = 20,
    /// The board made no progress for the handle's timeout. The ops in
    /// flight stay queued: the next call resends them first, and the board
    /// still applies each at most once.
    ATOMIK_ERR_BOARD_TIMEOUT = 21,
    /// The board was reset (button, power, or closed by another program):
    /// its table is cleared and the ops in flight were lost, not applied.
    /// The next call starts a new session.
    ATOMIK_ERR_BOARD_RESET = 22,
    /// The board sent a well-formed reply that contradicts the link protocol.
    ATOMIK_ERR_BOARD_PROTOCOL = 23,
    /// The board speaks another version of the link protocol.
    ATOMIK_ERR_BOARD_VERSION = 24,
}

/// Number of defined status codes (one past the largest).
pub const ATOMIK_STATUS_COUNT: u32 = 25;

/// Gives every [`atomik_status`] its message and builds, from that one
/// list, `atomik_status::ALL`, `atomik_status::message` and
/// `TryFrom<c_int>`. The enum itself stays a plain item because cbindgen
/// reads the source without expanding macros (it can only do that with a
/// nightly compiler), and the header must declare the enum. The match below
/// has no wildcard, so a code without a message does not compile, and a
/// repeated one is an unreachable-pattern error under `-D warnings`.
macro_rules! status_messages {
    ($($code:ident => $msg:literal,)*) => {
        impl atomik_status {
            /// Every status code, in numeric order.
            pub const ALL: &'static [atomik_status] = &[$(atomik_status::$code),*];

            /// The static, NUL-terminated description of this code.
            pub const fn message(self) -> &'static core::ffi::CStr {
                match self {
                    $(atomik_status::$code => $msg,)*
                }
            }
        }
    };
}

status_messages! {
    ATOMIK_OK => c"ok",
    ATOMIK_ERR_NULL => c"NULL pointer argument",
    ATOMIK_ERR_OUT_OF_RANGE => c"address out of range",
    ATOMIK_ERR_ZERO_SIZE => c"zero size: at least one context is required",
    ATOMIK_ERR_ALLOC => c"memory allocation failed",
    ATOMIK_ERR_INVALID_ARGUMENT => c"invalid argument",
    ATOMIK_ERR_REFERENCE_MISMATCH => c"contexts have different references",
    ATOMIK_ERR_TRUNCATED => c"truncated message: need more bytes",
    ATOMIK_ERR_BAD_VERSION => c"unsupported message version",
    ATOMIK_ERR_BAD_CHECKSUM => c"message checksum mismatch",
    ATOMIK_ERR_WIDTH_MISMATCH => c"message value width is not 64 bits",
    ATOMIK_ERR_BAD_KIND => c"unknown message kind",
    ATOMIK_ERR_RESERVED => c"reserved message byte is not zero",
    ATOMIK_ERR_BUFFER_TOO_SMALL => c"output buffer too small",
    ATOMIK_ERR_BEYOND_WINDOW => c"sequence number beyond the receive window; resend later",
    ATOMIK_ERR_FUTURE_EPOCH => c"delta for an epoch whose LOAD has not arrived; resend later",
    ATOMIK_ERR_TOO_MANY_SENDERS => c"too many senders",
    ATOMIK_ERR_EPOCH_EXHAUSTED => c"epoch counter exhausted",
    ATOMIK_ERR_INTERNAL => c"internal error in libatomik_core (a caught panic)",
    ATOMIK_ERR_BOARD_OPEN => c"cannot open the board's serial port",
    ATOMIK_ERR_BOARD_IO => c"board serial port I/O failed",
    ATOMIK_ERR_BOARD_TIMEOUT => c"no reply from the board; the next call resends the ops in flight, none is applied twice",
    ATOMIK_ERR_BOARD_RESET => c"the board was reset: its table is cleared and the ops in flight were lost",
    ATOMIK_ERR_BOARD_PROTOCOL => c"the board violated the link protocol",
    ATOMIK_ERR_BOARD_VERSION => c"the board speaks another link protocol version",
}

// The codes are dense from 0, so `ALL[code]` is the code with that value.
const _: () = {
    assert!(atomik_status::ALL.len() == ATOMIK_STATUS_COUNT as usize);
    let mut i = 0;
    while i < atomik_status::ALL.len() {
        assert!(atomik_status::ALL[i] as usize == i);
        i += 1;
    }
};

impl TryFrom<c_int> for atomik_status {
    /// The integer that names no status code.
    type Error = c_int;

    fn try_from(code: c_int) -> Result<Self, c_int> {
        usize::try_from(code)
            .ok()
            .and_then(|i| atomik_status::ALL.get(i).copied())
            .ok_or(code)
    }
}

/// A human-readable, static, NUL-terminated description of a status code.
/// Unknown codes give "unknown status code". Never returns NULL.
#[unsafe(no_mangle)]
pub extern "C" fn atomik_status_str(status: c_int) -> *const c_char {
    // Takes an int, not the enum: a C caller may pass any integer, and an
    // out-of-range value in a Rust enum would be undefined behaviour.
    atomik_status::try_from(status)
        .map_or(c"unknown status code", atomik_status::message)
        .as_ptr()
}

/// The library's version as one number, `major * 10000 + minor * 100 + patch`
/// (compare with the header's `ATOMIK_VERSION` to detect a mismatched build).
/// Composed once, in `atomik::version`, like the header's macros.
#[unsafe(no_mangle)]
pub extern "C" fn atomik_version() -> u32 {
    atomik::VERSION_NUMBER
}

/// The library's version as a static NUL-terminated string, e.g. "0.1.0".
#[unsafe(no_mangle)]
pub extern "C" fn atomik_version_string() -> *const c_char {
    atomik::version::VERSION_C.as_ptr()
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

    /// The codes are a stable ABI: C programs compiled against an older
    /// header compare against these numbers.
    #[test]
    fn status_values_are_unchanged() {
        let expected: [(atomik_status, c_int); 25] = [
            (ATOMIK_OK, 0),
            (ATOMIK_ERR_NULL, 1),
            (ATOMIK_ERR_OUT_OF_RANGE, 2),
            (ATOMIK_ERR_ZERO_SIZE, 3),
            (ATOMIK_ERR_ALLOC, 4),
            (ATOMIK_ERR_INVALID_ARGUMENT, 5),
            (ATOMIK_ERR_REFERENCE_MISMATCH, 6),
            (ATOMIK_ERR_TRUNCATED, 7),
            (ATOMIK_ERR_BAD_VERSION, 8),
            (ATOMIK_ERR_BAD_CHECKSUM, 9),
            (ATOMIK_ERR_WIDTH_MISMATCH, 10),
            (ATOMIK_ERR_BAD_KIND, 11),
            (ATOMIK_ERR_RESERVED, 12),
            (ATOMIK_ERR_BUFFER_TOO_SMALL, 13),
            (ATOMIK_ERR_BEYOND_WINDOW, 14),
            (ATOMIK_ERR_FUTURE_EPOCH, 15),
            (ATOMIK_ERR_TOO_MANY_SENDERS, 16),
            (ATOMIK_ERR_EPOCH_EXHAUSTED, 17),
            (ATOMIK_ERR_INTERNAL, 18),
            (ATOMIK_ERR_BOARD_OPEN, 19),
            (ATOMIK_ERR_BOARD_IO, 20),
            (ATOMIK_ERR_BOARD_TIMEOUT, 21),
            (ATOMIK_ERR_BOARD_RESET, 22),
            (ATOMIK_ERR_BOARD_PROTOCOL, 23),
            (ATOMIK_ERR_BOARD_VERSION, 24),
        ];
        assert_eq!(atomik_status::ALL.len(), expected.len());
        for (status, value) in expected {
            assert_eq!(status as c_int, value, "{status:?}");
        }
    }

    #[test]
    fn every_status_round_trips_through_its_integer() {
        for &status in atomik_status::ALL {
            assert_eq!(atomik_status::try_from(status as c_int), Ok(status));
        }
        for code in [-1, ATOMIK_STATUS_COUNT as c_int, c_int::MAX, c_int::MIN] {
            assert_eq!(atomik_status::try_from(code), Err(code));
        }
    }

    #[test]
    fn status_str_is_the_message_of_each_code() {
        for &status in atomik_status::ALL {
            // SAFETY: atomik_status_str returns a static NUL-terminated string.
            let s = unsafe { std::ffi::CStr::from_ptr(atomik_status_str(status as c_int)) };
            assert_eq!(s, status.message());
        }
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
        assert_eq!(ATOMIK_ERR_BOARD_VERSION as u32 + 1, ATOMIK_STATUS_COUNT);
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
