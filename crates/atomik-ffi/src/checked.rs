//! Checked context and table operations: every failure is a status code.

use atomik::Context;
use core::ffi::c_int;

use crate::atomik_status::{self, *};
use crate::compat::{atomik_ctx_t, atomik_table_t};
use crate::{guard, put, slice};

/// Why table `t` cannot be used, if it cannot: NULL table, or a table whose
/// `contexts` is NULL although it claims contexts.
#[inline(always)]
fn unusable(t: &atomik_table_t) -> Option<atomik_status> {
    (t.contexts.is_null() && t.num_contexts != 0).then_some(ATOMIK_ERR_NULL)
}

/// The context at `addr` of table `t`, or the status explaining why not.
///
/// # Safety
/// `t` must be NULL or point to an initialised table, not otherwise borrowed for `'a`.
#[inline(always)]
unsafe fn ctx_at<'a>(
    t: *mut atomik_table_t,
    addr: u32,
) -> Result<&'a mut atomik_ctx_t, atomik_status> {
    // SAFETY: caller contract.
    let t: &'a mut atomik_table_t = unsafe { t.as_mut() }.ok_or(ATOMIK_ERR_NULL)?;
    if let Some(e) = unusable(t) {
        return Err(e);
    }
    t.slice_mut()
        .get_mut(addr as usize)
        .ok_or(ATOMIK_ERR_OUT_OF_RANGE)
}

/// The context at `addr` of table `t`, shared: for operations that only read
/// (a `const` table may live in read-only memory, so nothing is written back).
///
/// # Safety
/// `t` must be NULL or point to an initialised table.
#[inline(always)]
unsafe fn ctx_ref<'a>(
    t: *const atomik_table_t,
    addr: u32,
) -> Result<&'a atomik_ctx_t, atomik_status> {
    // SAFETY: caller contract.
    let t: &'a atomik_table_t = unsafe { t.as_ref() }.ok_or(ATOMIK_ERR_NULL)?;
    if let Some(e) = unusable(t) {
        return Err(e);
    }
    t.slice().get(addr as usize).ok_or(ATOMIK_ERR_OUT_OF_RANGE)
}

/// Reads context `addr` through `f` into `*out` (required).
///
/// # Safety
/// `t` must be NULL or point to an initialised table; `out` NULL or writable.
unsafe fn read_context<T>(
    t: *const atomik_table_t,
    addr: u32,
    out: *mut T,
    f: impl FnOnce(Context<u64>) -> T,
) -> atomik_status {
    guard(ATOMIK_ERR_INTERNAL, || {
        if out.is_null() {
            return ATOMIK_ERR_NULL;
        }
        // SAFETY: caller contract.
        match unsafe { ctx_ref(t, addr) } {
            // SAFETY: out is non-null and writable.
            Ok(c) => unsafe {
                put(out, f(c.ctx()));
                ATOMIK_OK
            },
            Err(e) => e,
        }
    })
}

/// Applies `f` to context `addr` and writes its result into `*out` if not NULL.
///
/// # Safety
/// `t` must be NULL or point to an initialised table; `out` NULL or writable.
unsafe fn update_context<T>(
    t: *mut atomik_table_t,
    addr: u32,
    out: *mut T,
    f: impl FnOnce(&mut Context<u64>) -> T,
) -> atomik_status {
    guard(ATOMIK_ERR_INTERNAL, || {
        // SAFETY: caller contract.
        match unsafe { ctx_at(t, addr) } {
            // SAFETY: out is NULL or writable.
            Ok(c) => unsafe {
                put(out, c.with(f));
                ATOMIK_OK
            },
            Err(e) => e,
        }
    })
}

/// Like `atomik_table_init`, but a zero size is `ATOMIK_ERR_ZERO_SIZE`,
/// NULL `t` is `ATOMIK_ERR_NULL` and allocation failure `ATOMIK_ERR_ALLOC`.
/// On error `*t` is left as an empty table (safe to free).
///
/// # Safety
/// `t` must be NULL or point to a writable `atomik_table_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_table_init_checked(
    t: *mut atomik_table_t,
    num_contexts: u32,
) -> atomik_status {
    guard(ATOMIK_ERR_INTERNAL, || {
        // SAFETY: the caller passes NULL or a valid, exclusive pointer.
        let Some(t) = (unsafe { t.as_mut() }) else {
            return ATOMIK_ERR_NULL;
        };
        match crate::compat::table_init(t, num_contexts) {
            Err(()) => ATOMIK_ERR_ALLOC,
            Ok(()) if num_contexts == 0 => ATOMIK_ERR_ZERO_SIZE,
            Ok(()) => ATOMIK_OK,
        }
    })
}

/// LOAD `value` into context `addr`.
///
/// # Safety
/// `t` must be NULL or point to an initialised table.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_table_load_checked(
    t: *mut atomik_table_t,
    addr: u32,
    value: u64,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe { update_context(t, addr, core::ptr::null_mut(), |c| c.load(value)) }
}

/// ACCUM `delta` into context `addr`.
///
/// # Safety
/// `t` must be NULL or point to an initialised table.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_table_accum_checked(
    t: *mut atomik_table_t,
    addr: u32,
    delta: u64,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe { update_context(t, addr, core::ptr::null_mut(), |c| c.accum(delta)) }
}

/// READ context `addr` into `*out`.
///
/// # Safety
/// `t` must be NULL or point to an initialised table; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_table_read_checked(
    t: *const atomik_table_t,
    addr: u32,
    out: *mut u64,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe { read_context(t, addr, out, |c| c.read()) }
}

/// Whether context `addr` is clean (accumulator zero): `*out` = 1 or 0.
///
/// # Safety
/// `t` must be NULL or point to an initialised table; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_table_is_clean_checked(
    t: *const atomik_table_t,
    addr: u32,
    out: *mut c_int,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe { read_context(t, addr, out, |c| c_int::from(c.is_clean())) }
}

/// SWAP_KEEP context `addr`: `*previous` (if not NULL) receives the state.
///
/// # Safety
/// `t` must be NULL or point to an initialised table; `previous` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_table_swap_checked(
    t: *mut atomik_table_t,
    addr: u32,
    previous: *mut u64,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe { update_context(t, addr, previous, Context::swap_keep) }
}

/// SWAP context `addr` to `new_reference`: `*previous` (if not NULL)
/// receives the state before the swap.
///
/// # Safety
/// `t` must be NULL or point to an initialised table; `previous` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_table_swap_to(
    t: *mut atomik_table_t,
    addr: u32,
    new_reference: u64,
    previous: *mut u64,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe { update_context(t, addr, previous, |c| c.swap(new_reference)) }
}

/// ACCUM `deltas[i]` into context `addrs[i]` for `i < count`. All or
/// nothing: if any address is out of range nothing is applied and the
/// result is `ATOMIK_ERR_OUT_OF_RANGE`. `count == 0` is a no-op (the
/// arrays may then be NULL).
///
/// # Safety
/// `t` must be NULL or point to an initialised table; `addrs` and `deltas`
/// NULL or valid for `count` elements.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_table_accum_batch(
    t: *mut atomik_table_t,
    addrs: *const u32,
    deltas: *const u64,
    count: usize,
) -> atomik_status {
    guard(ATOMIK_ERR_INTERNAL, || {
        // SAFETY: caller contract.
        let Some(t) = (unsafe { t.as_mut() }) else {
            return ATOMIK_ERR_NULL;
        };
        // SAFETY: caller contract.
        let (a, d) = match (unsafe { slice(addrs, count) }, unsafe {
            slice(deltas, count)
        }) {
            (Ok(a), Ok(d)) => (a, d),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        if count == 0 {
            return ATOMIK_OK;
        }
        if let Some(e) = unusable(t) {
            return e;
        }
        // The core's one all-or-nothing rule, on the C context array.
        let pairs = a
            .iter()
            .zip(d)
            .map(|(&addr, &delta)| (addr as usize, delta));
        let applied = atomik::accum_batch_slots(
            t.slice_mut(),
            pairs,
            |c, delta| c.with(|c| c.accum(delta)),
            |c, delta| c.with(|c| c.unaccum(delta)),
        );
        if applied.is_err() {
            return ATOMIK_ERR_OUT_OF_RANGE;
        }
        ATOMIK_OK
    })
}

/// SWAP a context to `new_reference`; `*previous` (if not NULL) receives
/// the state before the swap.
///
/// # Safety
/// `ctx` must be NULL or writable; `previous` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_swap_to(
    ctx: *mut atomik_ctx_t,
    new_reference: u64,
    previous: *mut u64,
) -> atomik_status {
    guard(ATOMIK_ERR_INTERNAL, || {
        // SAFETY: caller contract.
        let Some(c) = (unsafe { ctx.as_mut() }) else {
            return ATOMIK_ERR_NULL;
        };
        // SAFETY: previous is NULL or writable.
        unsafe { put(previous, c.with(|c| c.swap(new_reference))) };
        ATOMIK_OK
    })
}

/// MERGE that refuses contexts with different references
/// (`ATOMIK_ERR_REFERENCE_MISMATCH`, `dst` unchanged). `dst == src` is allowed.
///
/// # Safety
/// `dst` must be NULL or writable, `src` NULL or readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_merge_checked(
    dst: *mut atomik_ctx_t,
    src: *const atomik_ctx_t,
) -> atomik_status {
    guard(ATOMIK_ERR_INTERNAL, || {
        if src.is_null() || dst.is_null() {
            return ATOMIK_ERR_NULL;
        }
        // SAFETY: src is readable; copied before dst (maybe aliasing) is written.
        let s = unsafe { src.read() }.ctx();
        // SAFETY: dst is non-null and writable.
        let d = unsafe { &mut *dst };
        match d.with(|d| d.try_merge(&s)) {
            Ok(()) => ATOMIK_OK,
            Err(_) => ATOMIK_ERR_REFERENCE_MISMATCH,
        }
    })
}

/// ACCUM every delta of `deltas[..count]` into one context, in one
/// vectorised pass (equivalent to `count` calls to `atomik_accum`).
///
/// # Safety
/// `ctx` must be NULL or writable; `deltas` NULL or valid for `count` elements.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_accum_many(
    ctx: *mut atomik_ctx_t,
    deltas: *const u64,
    count: usize,
) -> atomik_status {
    guard(ATOMIK_ERR_INTERNAL, || {
        // SAFETY: caller contract.
        let Some(c) = (unsafe { ctx.as_mut() }) else {
            return ATOMIK_ERR_NULL;
        };
        // SAFETY: caller contract.
        let d = match unsafe { slice(deltas, count) } {
            Ok(d) => d,
            Err(e) => return e,
        };
        c.with(|c| c.accum_slice(d));
        ATOMIK_OK
    })
}
