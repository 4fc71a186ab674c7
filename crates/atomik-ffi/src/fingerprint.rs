//! Checked fingerprints and the position-aware fingerprint.

use atomik::{PositionalFingerprint, positional_fold, xor_fold};
use core::ffi::c_int;

use crate::atomik_status::{self, *};
use crate::compat::atomik_fingerprint_t;
use crate::{bytes, guard, put};

/// Position-aware fingerprint state (see `atomik_pos_fp_reduce`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct atomik_pos_fingerprint_t {
    /// Fingerprint of the baseline data.
    pub reference: u64,
    /// XOR of all changes since the baseline.
    pub accumulator: u64,
}

impl atomik_pos_fingerprint_t {
    /// The equivalent core [`PositionalFingerprint`]: the rules live there.
    #[inline(always)]
    fn fp(&self) -> PositionalFingerprint {
        PositionalFingerprint::from_parts(self.reference, self.accumulator)
    }

    /// Runs `f` on the equivalent core fingerprint and writes the result back.
    #[inline(always)]
    fn with<R>(&mut self, f: impl FnOnce(&mut PositionalFingerprint) -> R) -> R {
        let mut fp = self.fp();
        let r = f(&mut fp);
        self.reference = fp.reference();
        self.accumulator = fp.accumulator();
        r
    }
}

/// Folds `data[..len]` with `fold` into `*out`: the body of every checked
/// reduce function.
///
/// # Safety
/// `data` must be NULL or valid for `len` bytes; `out` NULL or writable.
unsafe fn reduce_into(
    data: *const core::ffi::c_void,
    len: usize,
    out: *mut u64,
    fold: fn(&[u8]) -> u64,
) -> atomik_status {
    guard(ATOMIK_ERR_INTERNAL, || {
        if out.is_null() {
            return ATOMIK_ERR_NULL;
        }
        // SAFETY: caller contract.
        match unsafe { bytes(data, len) } {
            // SAFETY: out is non-null and writable.
            Ok(d) => unsafe {
                put(out, fold(d));
                ATOMIK_OK
            },
            Err(e) => e,
        }
    })
}

/// Runs `f` on the fingerprint behind `fp` and `data[..len]`: the body of
/// every checked load/update function.
///
/// # Safety
/// `fp` must be NULL or writable; `data` NULL or valid for `len` bytes.
unsafe fn with_data<F>(
    fp: *mut F,
    data: *const core::ffi::c_void,
    len: usize,
    f: impl FnOnce(&mut F, &[u8]),
) -> atomik_status {
    guard(ATOMIK_ERR_INTERNAL, || {
        // SAFETY: caller contract.
        let Some(fp) = (unsafe { fp.as_mut() }) else {
            return ATOMIK_ERR_NULL;
        };
        // SAFETY: caller contract.
        match unsafe { bytes(data, len) } {
            Ok(d) => {
                f(fp, d);
                ATOMIK_OK
            }
            Err(e) => e,
        }
    })
}

/// `atomik_fp_reduce` that reports NULL `data` with `len > 0`
/// (`ATOMIK_ERR_NULL`) or `len > PTRDIFF_MAX` (`ATOMIK_ERR_INVALID_ARGUMENT`)
/// instead of returning 0.
///
/// # Safety
/// `data` must be NULL or valid for `len` bytes; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_fp_reduce_checked(
    data: *const core::ffi::c_void,
    len: usize,
    out: *mut u64,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe { reduce_into(data, len, out, xor_fold::<u64>) }
}

/// `atomik_fp_load` that reports NULL arguments.
///
/// # Safety
/// `fp` must be NULL or writable; `data` NULL or valid for `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_fp_load_checked(
    fp: *mut atomik_fingerprint_t,
    data: *const core::ffi::c_void,
    len: usize,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe { with_data(fp, data, len, |f, d| f.with(|f| f.load(d))) }
}

/// `atomik_fp_update` that reports NULL arguments.
///
/// # Safety
/// `fp` must be NULL or writable; `data` NULL or valid for `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_fp_update_checked(
    fp: *mut atomik_fingerprint_t,
    data: *const core::ffi::c_void,
    len: usize,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe { with_data(fp, data, len, |f, d| f.with(|f| f.update(d))) }
}

/// Position-aware fingerprint of `data[..len]`: each little-endian 8-byte
/// chunk (tail zero-padded) is mixed with its index before the XOR, and the
/// length is mixed in, so swapped chunks and paired bit flips are detected.
///
/// # Safety
/// `data` must be NULL or valid for `len` bytes; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_pos_fp_reduce(
    data: *const core::ffi::c_void,
    len: usize,
    out: *mut u64,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe { reduce_into(data, len, out, positional_fold) }
}

/// Zeroes a position-aware fingerprint. NULL: no effect.
///
/// # Safety
/// `fp` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_pos_fp_init(fp: *mut atomik_pos_fingerprint_t) {
    guard((), || {
        // SAFETY: caller contract.
        if let Some(f) = unsafe { fp.as_mut() } {
            *f = atomik_pos_fingerprint_t::default();
        }
    });
}

/// Takes `data` as the new baseline.
///
/// # Safety
/// `fp` must be NULL or writable; `data` NULL or valid for `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_pos_fp_load(
    fp: *mut atomik_pos_fingerprint_t,
    data: *const core::ffi::c_void,
    len: usize,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe { with_data(fp, data, len, |f, d| f.with(|f| f.load(d))) }
}

/// Rescans `data` and records its difference from the baseline.
///
/// # Safety
/// `fp` must be NULL or writable; `data` NULL or valid for `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_pos_fp_update(
    fp: *mut atomik_pos_fingerprint_t,
    data: *const core::ffi::c_void,
    len: usize,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe { with_data(fp, data, len, |f, d| f.with(|f| f.update(d))) }
}

/// O(1) update when the 8-byte chunk at index `chunk_index` (byte offset
/// `8 * chunk_index`) changed from `old_val` to `new_val`. NULL: no effect.
///
/// # Safety
/// `fp` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_pos_fp_accum_delta(
    fp: *mut atomik_pos_fingerprint_t,
    chunk_index: u64,
    old_val: u64,
    new_val: u64,
) {
    guard((), || {
        // SAFETY: caller contract.
        if let Some(f) = unsafe { fp.as_mut() } {
            f.with(|f| f.accum_delta(chunk_index, old_val, new_val));
        }
    });
}

/// 1 if the data differs from the baseline, else 0. NULL: 0.
///
/// # Safety
/// `fp` must be NULL or readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_pos_fp_changed(fp: *const atomik_pos_fingerprint_t) -> c_int {
    guard(0, || {
        // SAFETY: caller contract.
        unsafe { fp.as_ref() }.map_or(0, |f| c_int::from(f.fp().changed()))
    })
}

/// The fingerprint of the current data (`reference ^ accumulator`). NULL: 0.
///
/// # Safety
/// `fp` must be NULL or readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_pos_fp_value(fp: *const atomik_pos_fingerprint_t) -> u64 {
    guard(0, || {
        // SAFETY: caller contract.
        unsafe { fp.as_ref() }.map_or(0, |f| f.fp().value())
    })
}
