//! The original single-header library's API (docs/contracts.md §3), same types and
//! meaning. NULL pointers, which crashed the original, are no-ops here.

use atomik::{Context, Fingerprint, xor_fold};
use core::ffi::c_int;

use crate::{bytes, guard};

/// One context: reference, accumulator of XOR deltas, and the number of
/// ACCUMs since the last LOAD/SWAP. Layout identical to the original.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct atomik_ctx_t {
    /// Reference value of the current epoch.
    pub reference: u64,
    /// XOR of the deltas applied in this epoch.
    pub accumulator: u64,
    /// ACCUMs since the last LOAD/SWAP (wraps).
    pub delta_count: u32,
}

impl atomik_ctx_t {
    /// Runs `f` on the equivalent core [`Context`] and writes the result back.
    /// The conversion compiles away; the algebra lives in one place.
    #[inline(always)]
    pub(crate) fn with<R>(&mut self, f: impl FnOnce(&mut Context<u64>) -> R) -> R {
        let mut c = self.ctx();
        let r = f(&mut c);
        *self = atomik_ctx_t {
            reference: c.reference(),
            accumulator: c.accumulator(),
            delta_count: c.delta_count(),
        };
        r
    }

    /// The equivalent core [`Context`].
    #[inline(always)]
    pub(crate) fn ctx(&self) -> Context<u64> {
        Context::from_parts(self.reference, self.accumulator, self.delta_count)
    }
}

/// A table of contexts. `contexts` points to `num_contexts` contexts.
///
/// The C header defines this struct by hand (not through cbindgen) because
/// the original has an optional trailing `_static_buf` member when
/// `ATOMIK_TABLE_STATIC_SIZE > 0`; the library only ever touches the two
/// leading members, whose layout this type pins.
#[repr(C)]
#[derive(Debug)]
pub struct atomik_table_t {
    /// The contexts (allocated by `atomik_table_init`, or caller-provided).
    pub contexts: *mut atomik_ctx_t,
    /// Number of contexts.
    pub num_contexts: u32,
}

impl atomik_table_t {
    /// The contexts as a slice; empty if `contexts` is NULL.
    #[inline(always)]
    pub(crate) fn slice(&self) -> &[atomik_ctx_t] {
        if self.contexts.is_null() {
            return &[];
        }
        // SAFETY: the table invariant (set up by atomik_table_init or the
        // caller, as in the original) is that `contexts` points to
        // `num_contexts` initialised contexts owned by this table.
        unsafe { core::slice::from_raw_parts(self.contexts, self.num_contexts as usize) }
    }

    /// The contexts as a mutable slice; empty if `contexts` is NULL.
    #[inline(always)]
    pub(crate) fn slice_mut(&mut self) -> &mut [atomik_ctx_t] {
        if self.contexts.is_null() {
            return &mut [];
        }
        // SAFETY: as in `slice`, and `&mut self` gives exclusive access.
        unsafe { core::slice::from_raw_parts_mut(self.contexts, self.num_contexts as usize) }
    }
}

/// Fingerprint state: baseline and accumulated change. Layout identical to the original.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct atomik_fingerprint_t {
    /// Fingerprint of the baseline data.
    pub reference: u64,
    /// XOR of all changes since the baseline.
    pub accumulator: u64,
}

impl atomik_fingerprint_t {
    /// The equivalent core [`Fingerprint`]: the rules live there.
    #[inline(always)]
    pub(crate) fn fp(&self) -> Fingerprint<u64> {
        Fingerprint::from_parts(self.reference, self.accumulator)
    }

    /// Runs `f` on the equivalent core fingerprint and writes the result back.
    #[inline(always)]
    pub(crate) fn with<R>(&mut self, f: impl FnOnce(&mut Fingerprint<u64>) -> R) -> R {
        let mut fp = self.fp();
        let r = f(&mut fp);
        self.reference = fp.reference();
        self.accumulator = fp.accumulator();
        r
    }
}

/// Zeroes a context. NULL: no effect.
///
/// # Safety
/// `ctx` must be NULL or point to a writable `atomik_ctx_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_init(ctx: *mut atomik_ctx_t) {
    guard((), || {
        // SAFETY: the caller passes NULL or a valid, exclusive pointer.
        if let Some(c) = unsafe { ctx.as_mut() } {
            *c = atomik_ctx_t::default();
        }
    });
}

/// LOAD: `reference = value`, accumulator and delta count cleared. NULL: no effect.
///
/// # Safety
/// `ctx` must be NULL or point to a writable `atomik_ctx_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_load(ctx: *mut atomik_ctx_t, value: u64) {
    guard((), || {
        // SAFETY: as in atomik_init.
        if let Some(c) = unsafe { ctx.as_mut() } {
            c.with(|c| c.load(value));
        }
    });
}

/// ACCUM: `accumulator ^= delta`, delta count incremented. NULL: no effect.
///
/// # Safety
/// `ctx` must be NULL or point to a writable `atomik_ctx_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_accum(ctx: *mut atomik_ctx_t, delta: u64) {
    guard((), || {
        // SAFETY: as in atomik_init.
        if let Some(c) = unsafe { ctx.as_mut() } {
            c.with(|c| c.accum(delta));
        }
    });
}

/// READ: `reference ^ accumulator`. NULL: 0.
///
/// # Safety
/// `ctx` must be NULL or point to a readable `atomik_ctx_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_read(ctx: *const atomik_ctx_t) -> u64 {
    guard(0, || {
        // SAFETY: the caller passes NULL or a valid pointer.
        unsafe { ctx.as_ref() }.map_or(0, |c| c.ctx().read())
    })
}

/// SWAP_KEEP: returns the current state and starts a new epoch from it
/// (the original `atomik_swap`). NULL: 0. For SWAP to a new reference see
/// `atomik_swap_to`.
///
/// # Safety
/// `ctx` must be NULL or point to a writable `atomik_ctx_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_swap(ctx: *mut atomik_ctx_t) -> u64 {
    guard(0, || {
        // SAFETY: as in atomik_init.
        unsafe { ctx.as_mut() }.map_or(0, |c| c.with(Context::swap_keep))
    })
}

/// 1 if the accumulator is zero, else 0. NULL: 1 (a missing context has no changes).
///
/// # Safety
/// `ctx` must be NULL or point to a readable `atomik_ctx_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_is_clean(ctx: *const atomik_ctx_t) -> c_int {
    guard(1, || {
        // SAFETY: as in atomik_read.
        unsafe { ctx.as_ref() }.map_or(1, |c| c_int::from(c.ctx().is_clean()))
    })
}

/// MERGE: `dst.accumulator ^= src.accumulator`, delta counts added, without
/// comparing references (as the original; see `atomik_merge_checked`).
/// `dst == src` is allowed. Either NULL: no effect.
///
/// # Safety
/// `dst` must be NULL or writable, `src` NULL or readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_merge(dst: *mut atomik_ctx_t, src: *const atomik_ctx_t) {
    guard((), || {
        if src.is_null() {
            return;
        }
        // SAFETY: src is non-null and readable; copying it first means no
        // reference to it is alive while dst (which may alias it) is written.
        let s = unsafe { src.read() }.ctx();
        // SAFETY: as in atomik_init.
        if let Some(d) = unsafe { dst.as_mut() } {
            d.with(|d| d.merge(&s));
        }
    });
}

/// Allocates `num_contexts` zeroed contexts (with `calloc`, so, as with the
/// original, `free(t->contexts)` is also a valid way to release them).
/// Returns 0 on success, -1 on allocation failure or NULL `t`.
/// `num_contexts == 0` succeeds with an empty table (as the original did);
/// `atomik_table_init_checked` reports it as an error instead.
///
/// # Safety
/// `t` must be NULL or point to a writable `atomik_table_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_table_init(t: *mut atomik_table_t, num_contexts: u32) -> c_int {
    guard(-1, || {
        // SAFETY: the caller passes NULL or a valid, exclusive pointer.
        match unsafe { t.as_mut() }.map(|t| table_init(t, num_contexts)) {
            Some(Ok(())) => 0,
            _ => -1,
        }
    })
}

/// Shared by `atomik_table_init` and `atomik_table_init_checked` (each adds
/// its own panic guard): allocates zeroed contexts with `calloc`, leaving an
/// empty table on failure. A zero size gives an empty table.
pub(crate) fn table_init(t: &mut atomik_table_t, num_contexts: u32) -> Result<(), ()> {
    t.contexts = core::ptr::null_mut();
    t.num_contexts = 0;
    if num_contexts == 0 {
        return Ok(());
    }
    // SAFETY: calloc has no preconditions; it checks n * size for overflow.
    let p = unsafe { libc::calloc(num_contexts as usize, core::mem::size_of::<atomik_ctx_t>()) }
        .cast::<atomik_ctx_t>();
    if p.is_null() {
        return Err(());
    }
    t.contexts = p;
    t.num_contexts = num_contexts;
    Ok(())
}

/// Where the header's optional `_static_buf` member (present when the user
/// defines `ATOMIK_TABLE_STATIC_SIZE > 0`) starts inside `atomik_table_t`.
const INLINE_BUF_OFFSET: usize = (core::mem::offset_of!(atomik_table_t, num_contexts)
    + core::mem::size_of::<u32>())
.next_multiple_of(core::mem::align_of::<atomik_ctx_t>());

/// Releases a table from `atomik_table_init` and resets it to empty (calling
/// it twice is safe). NULL: no effect. A table living in its own inline
/// `_static_buf` (`ATOMIK_TABLE_STATIC_SIZE`) is recognised and only reset,
/// so freeing through a function pointer is as safe as through the macro.
///
/// # Safety
/// `t` must be NULL or point to a table whose `contexts` is NULL, its own
/// inline buffer, or came from `atomik_table_init` / `atomik_table_init_checked`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_table_free(t: *mut atomik_table_t) {
    guard((), || {
        // SAFETY: as in atomik_table_init.
        if let Some(table) = unsafe { t.as_mut() } {
            // No heap block can start inside the struct that points to it,
            // so this address can only be the inline buffer.
            let inline = t as usize + INLINE_BUF_OFFSET;
            if table.contexts as usize != inline {
                // SAFETY: contexts is NULL or a calloc'd block (caller contract).
                unsafe { libc::free(table.contexts.cast()) };
            }
            table.contexts = core::ptr::null_mut();
            table.num_contexts = 0;
        }
    });
}

/// LOAD context `addr`; out of range or NULL: no effect (as the original).
///
/// # Safety
/// `t` must be NULL or point to an initialised table.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_table_load(t: *mut atomik_table_t, addr: u32, value: u64) {
    guard((), || {
        // SAFETY: the caller passes NULL or a valid, exclusive pointer.
        if let Some(c) = unsafe { t.as_mut() }.and_then(|t| t.slice_mut().get_mut(addr as usize)) {
            c.with(|c| c.load(value));
        }
    });
}

/// ACCUM into context `addr`; out of range or NULL: no effect (as the original).
///
/// # Safety
/// `t` must be NULL or point to an initialised table.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_table_accum(t: *mut atomik_table_t, addr: u32, delta: u64) {
    guard((), || {
        // SAFETY: as in atomik_table_load.
        if let Some(c) = unsafe { t.as_mut() }.and_then(|t| t.slice_mut().get_mut(addr as usize)) {
            c.with(|c| c.accum(delta));
        }
    });
}

/// READ context `addr`; out of range or NULL: 0 (as the original).
///
/// # Safety
/// `t` must be NULL or point to an initialised table.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_table_read(t: *const atomik_table_t, addr: u32) -> u64 {
    guard(0, || {
        // SAFETY: the caller passes NULL or a valid pointer.
        unsafe { t.as_ref() }
            .and_then(|t| t.slice().get(addr as usize))
            .map_or(0, |c| c.ctx().read())
    })
}

/// SWAP_KEEP context `addr`, returning its state; out of range or NULL: 0.
///
/// # Safety
/// `t` must be NULL or point to an initialised table.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_table_swap(t: *mut atomik_table_t, addr: u32) -> u64 {
    guard(0, || {
        // SAFETY: as in atomik_table_load.
        unsafe { t.as_mut() }
            .and_then(|t| t.slice_mut().get_mut(addr as usize))
            .map_or(0, |c| c.with(Context::swap_keep))
    })
}

/// Zeroes a fingerprint. NULL: no effect.
///
/// # Safety
/// `fp` must be NULL or point to a writable `atomik_fingerprint_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_fp_init(fp: *mut atomik_fingerprint_t) {
    guard((), || {
        // SAFETY: NULL or valid (caller contract).
        if let Some(f) = unsafe { fp.as_mut() } {
            *f = atomik_fingerprint_t::default();
        }
    });
}

/// XOR of the little-endian 8-byte chunks of `data[..len]`, the tail
/// zero-padded: bit-identical to the original. NULL `data`: 0.
///
/// # Safety
/// `data` must be NULL or valid for reads of `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_fp_reduce(data: *const core::ffi::c_void, len: usize) -> u64 {
    guard(0, || {
        // SAFETY: caller contract.
        unsafe { bytes(data, len) }.map_or(0, xor_fold::<u64>)
    })
}

/// The body of the compat fingerprint functions that scan data: NULL `fp` is
/// a no-op and unusable `data` (NULL with `len > 0`) counts as empty, as the
/// compat layer has no status to report it with.
///
/// # Safety
/// `fp` must be NULL or writable; `data` NULL or valid for `len` bytes.
unsafe fn fp_scan(
    fp: *mut atomik_fingerprint_t,
    data: *const core::ffi::c_void,
    len: usize,
    f: impl FnOnce(&mut Fingerprint<u64>, &[u8]),
) {
    guard((), || {
        // SAFETY: caller contract.
        let d = unsafe { bytes(data, len) }.unwrap_or(&[]);
        // SAFETY: caller contract.
        if let Some(fp) = unsafe { fp.as_mut() } {
            fp.with(|f2| f(f2, d));
        }
    });
}

/// Takes `data` as the new baseline. NULL `fp`: no effect; NULL `data` with
/// `len > 0`: treated as empty (see `atomik_fp_load_checked`).
///
/// # Safety
/// `fp` must be NULL or writable; `data` NULL or valid for `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_fp_load(
    fp: *mut atomik_fingerprint_t,
    data: *const core::ffi::c_void,
    len: usize,
) {
    // SAFETY: forwarded caller contract.
    unsafe { fp_scan(fp, data, len, |f, d| f.load(d)) }
}

/// Rescans `data` and records its difference from the baseline
/// (`accumulator = reference ^ reduce(data)`). NULLs as in `atomik_fp_load`.
///
/// # Safety
/// `fp` must be NULL or writable; `data` NULL or valid for `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_fp_update(
    fp: *mut atomik_fingerprint_t,
    data: *const core::ffi::c_void,
    len: usize,
) {
    // SAFETY: forwarded caller contract.
    unsafe { fp_scan(fp, data, len, |f, d| f.update(d)) }
}

/// 1 if the data differs from the baseline (as far as the XOR fold can
/// see), else 0. NULL: 0.
///
/// # Safety
/// `fp` must be NULL or readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_fp_changed(fp: *const atomik_fingerprint_t) -> c_int {
    guard(0, || {
        // SAFETY: caller contract.
        unsafe { fp.as_ref() }.map_or(0, |f| c_int::from(f.fp().changed()))
    })
}

/// O(1) update when one 8-byte chunk changed from `old_val` to `new_val`.
/// NULL: no effect.
///
/// # Safety
/// `fp` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_fp_accum_delta(
    fp: *mut atomik_fingerprint_t,
    old_val: u64,
    new_val: u64,
) {
    guard((), || {
        // SAFETY: caller contract.
        if let Some(f) = unsafe { fp.as_mut() } {
            f.with(|f| f.accum_delta(old_val, new_val));
        }
    });
}
