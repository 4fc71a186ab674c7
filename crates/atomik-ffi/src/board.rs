//! Board handles: the 256 × 64 state table of an FPGA board behind a serial
//! port (docs/board.md), through the `atomik-board` driver in framed mode.
//! Every op is applied exactly once, whatever the line loses or corrupts.

use core::ffi::{c_char, c_int};
use std::ffi::CStr;
use std::time::Duration;

use atomik::Opcode;
use atomik_board::{BoardTable, Error, Op, OpResult, Options};

use crate::atomik_status::{self, *};
use crate::replica::try_box;
use crate::{guard, put, slice};

/// Contexts of a board's table.
pub const ATOMIK_BOARD_CONTEXTS: u32 = 256;
/// The baud of every board's bitstream unless built otherwise.
pub const ATOMIK_BOARD_DEFAULT_BAUD: u32 = 115_200;
/// `atomik_board_op_t.code`: LOAD `data` into `addr`.
pub const ATOMIK_OP_LOAD: u32 = 0;
/// `atomik_board_op_t.code`: ACCUM `data` into `addr`.
pub const ATOMIK_OP_ACCUM: u32 = 1;
/// `atomik_board_op_t.code`: READ `addr` (one result).
pub const ATOMIK_OP_READ: u32 = 2;
/// `atomik_board_op_t.code`: SWAP `addr` to the new reference `data` (one result).
pub const ATOMIK_OP_SWAP: u32 = 3;
/// `atomik_board_op_t.code`: SWAP_KEEP `addr` (one result).
pub const ATOMIK_OP_SWAP_KEEP: u32 = 4;

/// An open board. Create with `atomik_board_open`, release with
/// `atomik_board_close` (exactly once). Not thread-safe: use one handle per
/// thread or lock around it, and one program per serial port.
#[derive(Debug)]
pub struct atomik_board_t {
    inner: BoardTable,
}

/// One op of a batch (`atomik_board_execute`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct atomik_board_op_t {
    /// `ATOMIK_OP_LOAD` .. `ATOMIK_OP_SWAP_KEEP`.
    pub code: u32,
    /// The context, 0 to 255.
    pub addr: u32,
    /// LOAD value, ACCUM delta or SWAP's new reference; ignored otherwise.
    pub data: u64,
}

/// The result of a READ, SWAP or SWAP_KEEP of a batch.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct atomik_board_result_t {
    /// The state when the op ran (for the swaps: before the swap).
    pub value: u64,
    /// READ: 1 if the accumulator was zero, else 0. Always 0 for the swaps.
    pub clean: c_int,
}

/// The status of a driver error.
fn board_status(e: &Error) -> atomik_status {
    match e {
        Error::Open { .. } => ATOMIK_ERR_BOARD_OPEN,
        Error::Io(_) => ATOMIK_ERR_BOARD_IO,
        Error::Timeout { .. } => ATOMIK_ERR_BOARD_TIMEOUT,
        Error::BoardReset { .. } => ATOMIK_ERR_BOARD_RESET,
        Error::Protocol(_) | Error::ShortReply { .. } => ATOMIK_ERR_BOARD_PROTOCOL,
        Error::Version { .. } => ATOMIK_ERR_BOARD_VERSION,
        Error::AddrOutOfRange { .. } => ATOMIK_ERR_OUT_OF_RANGE,
    }
}

/// Runs `f` on the board behind `b`, inside the panic guard; a driver error
/// becomes its status.
///
/// # Safety
/// `b` must be NULL or a live handle, not used elsewhere during the call.
unsafe fn with_board(
    b: *mut atomik_board_t,
    f: impl FnOnce(&mut BoardTable) -> Result<(), atomik_status>,
) -> atomik_status {
    guard(ATOMIK_ERR_INTERNAL, || {
        // SAFETY: caller contract.
        let Some(b) = (unsafe { b.as_mut() }) else {
            return ATOMIK_ERR_NULL;
        };
        match f(&mut b.inner) {
            Ok(()) => ATOMIK_OK,
            Err(e) => e,
        }
    })
}

/// A driver result as a status.
fn st<T>(r: atomik_board::Result<T>) -> Result<T, atomik_status> {
    r.map_err(|e| board_status(&e))
}

/// Opens the serial port `path` (`/dev/ttyUSB0`, or the path that
/// `atomik board cosim BOARD --pty` prints) at `baud` (the bitstream's:
/// `ATOMIK_BOARD_DEFAULT_BAUD` unless it was built otherwise) and says
/// HELLO: the board enters framed mode. `*out` receives the handle, or NULL
/// on error (`ATOMIK_ERR_BOARD_OPEN`: no such port or no permission;
/// `ATOMIK_ERR_BOARD_TIMEOUT`: nothing answered). Calls give up after 5
/// seconds without progress (see `atomik_board_set_timeout`).
///
/// # Safety
/// `path` must be NULL or a NUL-terminated string; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_board_open(
    path: *const c_char,
    baud: u32,
    out: *mut *mut atomik_board_t,
) -> atomik_status {
    if out.is_null() {
        return ATOMIK_ERR_NULL;
    }
    // SAFETY: out is non-null and writable (caller contract).
    unsafe { put(out, core::ptr::null_mut()) };
    guard(ATOMIK_ERR_INTERNAL, || {
        if path.is_null() {
            return ATOMIK_ERR_NULL;
        }
        // SAFETY: path is non-null and NUL-terminated (caller contract).
        let Ok(path) = unsafe { CStr::from_ptr(path) }.to_str() else {
            return ATOMIK_ERR_INVALID_ARGUMENT;
        };
        if baud == 0 {
            return ATOMIK_ERR_INVALID_ARGUMENT;
        }
        let handle = st(BoardTable::open(path, baud, Options::default()))
            .and_then(|inner| try_box(atomik_board_t { inner }).ok_or(ATOMIK_ERR_ALLOC));
        match handle {
            // SAFETY: out is non-null and writable.
            Ok(h) => unsafe {
                put(out, h);
                ATOMIK_OK
            },
            Err(e) => e,
        }
    })
}

/// Completes the ops in flight, returns the board to compatible mode
/// (CLOSE) and releases the handle, which must not be used afterwards. The
/// handle is released even when the board does not answer (the status then
/// says why). NULL: `ATOMIK_ERR_NULL`, no effect.
///
/// # Safety
/// `b` must be NULL or a handle from `atomik_board_open` not yet closed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_board_close(b: *mut atomik_board_t) -> atomik_status {
    guard(ATOMIK_ERR_INTERNAL, || {
        if b.is_null() {
            return ATOMIK_ERR_NULL;
        }
        // SAFETY: b came from try_box (the global allocator, the type's
        // layout) in atomik_board_open and is released exactly once (caller
        // contract).
        let board = unsafe { Box::from_raw(b) };
        match st(board.inner.close()) {
            Ok(_) => ATOMIK_OK,
            Err(e) => e,
        }
    })
}

/// Sets how long every later call waits without progress before it
/// returns `ATOMIK_ERR_BOARD_TIMEOUT` (milliseconds, at least 1). The ops
/// of a call that timed out stay queued: the next call resends them first,
/// and the board still applies each at most once.
///
/// # Safety
/// `b` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_board_set_timeout(
    b: *mut atomik_board_t,
    timeout_ms: u32,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_board(b, |t| {
            if timeout_ms == 0 {
                return Err(ATOMIK_ERR_INVALID_ARGUMENT);
            }
            t.set_timeout(Duration::from_millis(timeout_ms.into()));
            Ok(())
        })
    }
}

/// LOAD `value` into context `addr` (0 to 255).
///
/// # Safety
/// `b` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_board_load(
    b: *mut atomik_board_t,
    addr: u32,
    value: u64,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe { with_board(b, |t| st(t.load(addr as usize, value))) }
}

/// ACCUM `delta` into context `addr`.
///
/// # Safety
/// `b` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_board_accum(
    b: *mut atomik_board_t,
    addr: u32,
    delta: u64,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe { with_board(b, |t| st(t.accum(addr as usize, delta))) }
}

/// READ context `addr` into `*out` (required).
///
/// # Safety
/// `b` must be NULL or a live handle; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_board_read(
    b: *mut atomik_board_t,
    addr: u32,
    out: *mut u64,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe { atomik_board_read_clean(b, addr, out, core::ptr::null_mut()) }
}

/// READ context `addr`: `*value` (required) receives its state and
/// `*clean` (if not NULL) 1 if its accumulator is zero, else 0.
///
/// # Safety
/// `b` must be NULL or a live handle; `value` and `clean` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_board_read_clean(
    b: *mut atomik_board_t,
    addr: u32,
    value: *mut u64,
    clean: *mut c_int,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_board(b, |t| {
            if value.is_null() {
                return Err(ATOMIK_ERR_NULL);
            }
            let r = st(t.read_clean(addr as usize))?;
            // SAFETY: value is non-null and writable, clean NULL or writable.
            put(value, r.value);
            put(clean, c_int::from(r.clean));
            Ok(())
        })
    }
}

/// SWAP context `addr` to `new_reference`: `*previous` (if not NULL)
/// receives the state before the swap.
///
/// # Safety
/// `b` must be NULL or a live handle; `previous` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_board_swap(
    b: *mut atomik_board_t,
    addr: u32,
    new_reference: u64,
    previous: *mut u64,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_board(b, |t| {
            let v = st(t.swap(addr as usize, new_reference))?;
            // SAFETY: previous is NULL or writable.
            put(previous, v);
            Ok(())
        })
    }
}

/// SWAP_KEEP context `addr`: `*previous` (if not NULL) receives its state,
/// which becomes the new reference.
///
/// # Safety
/// `b` must be NULL or a live handle; `previous` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_board_swap_keep(
    b: *mut atomik_board_t,
    addr: u32,
    previous: *mut u64,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_board(b, |t| {
            let v = st(t.swap_keep(addr as usize))?;
            // SAFETY: previous is NULL or writable.
            put(previous, v);
            Ok(())
        })
    }
}

/// `ops` as driver ops, and how many results they return; nothing is sent
/// if one is invalid.
fn board_ops(ops: &[atomik_board_op_t]) -> Result<(Vec<Op>, usize), atomik_status> {
    let mut out = Vec::new();
    out.try_reserve_exact(ops.len())
        .map_err(|_| ATOMIK_ERR_ALLOC)?;
    for op in ops {
        let code = u8::try_from(op.code)
            .ok()
            .and_then(Opcode::from_bits)
            .ok_or(ATOMIK_ERR_INVALID_ARGUMENT)?;
        let addr = u8::try_from(op.addr).map_err(|_| ATOMIK_ERR_OUT_OF_RANGE)?;
        out.push(Op::new(code, addr, op.data));
    }
    let results = out.iter().filter(|o| o.code.has_result()).count();
    Ok((out, results))
}

/// Runs `ops[..count]` in order, pipelined across frames (many frames in
/// flight), each exactly once. `results[..*results_len]` receives one
/// result per READ, SWAP and SWAP_KEEP, in op order. Checked before anything
/// is sent: a code that is no `ATOMIK_OP_*` is `ATOMIK_ERR_INVALID_ARGUMENT`,
/// an address above 255 `ATOMIK_ERR_OUT_OF_RANGE`, and fewer than the
/// needed results in `results_cap` `ATOMIK_ERR_BUFFER_TOO_SMALL` (with the
/// number needed in `*results_len`). `count == 0` is a no-op (the arrays
/// may then be NULL); `results_len` may be NULL.
///
/// # Safety
/// `b` must be NULL or a live handle; `ops` NULL or valid for `count`
/// elements; `results` NULL or writable for `results_cap` elements;
/// `results_len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_board_execute(
    b: *mut atomik_board_t,
    ops: *const atomik_board_op_t,
    count: usize,
    results: *mut atomik_board_result_t,
    results_cap: usize,
    results_len: *mut usize,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_board(b, |t| {
            let (ops, needed) = board_ops(slice(ops, count)?)?;
            put(results_len, needed);
            if needed > results_cap {
                return Err(ATOMIK_ERR_BUFFER_TOO_SMALL);
            }
            if needed > 0 && results.is_null() {
                return Err(ATOMIK_ERR_NULL);
            }
            put(results_len, 0);
            let got: Vec<OpResult> = st(t.execute(&ops))?;
            for (i, r) in got.iter().take(results_cap).enumerate() {
                // SAFETY: results is writable for results_cap elements.
                results.add(i).write(atomik_board_result_t {
                    value: r.value,
                    clean: c_int::from(r.clean),
                });
            }
            put(results_len, got.len());
            Ok(())
        })
    }
}

/// ACCUM `deltas[i]` into context `addrs[i]` for `i < count`, pipelined.
/// All or nothing for bad addresses: one above 255 fails the call with
/// `ATOMIK_ERR_OUT_OF_RANGE` before anything is sent. `count == 0` is a
/// no-op (the arrays may then be NULL).
///
/// # Safety
/// `b` must be NULL or a live handle; `addrs` and `deltas` NULL or valid
/// for `count` elements.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_board_accum_batch(
    b: *mut atomik_board_t,
    addrs: *const u32,
    deltas: *const u64,
    count: usize,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_board(b, |t| {
            let (a, d) = (slice(addrs, count)?, slice(deltas, count)?);
            let mut pairs = Vec::new();
            pairs
                .try_reserve_exact(count)
                .map_err(|_| ATOMIK_ERR_ALLOC)?;
            pairs.extend(a.iter().zip(d).map(|(&a, &d)| (a as usize, d)));
            st(t.accum_many(&pairs))
        })
    }
}

/// Reads every context: `out[i]` receives the state of context `i` for
/// `i < 256` (`out_len` must be at least `ATOMIK_BOARD_CONTEXTS`, else
/// `ATOMIK_ERR_BUFFER_TOO_SMALL`).
///
/// # Safety
/// `b` must be NULL or a live handle; `out` NULL or writable for `out_len`
/// elements.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_board_read_all(
    b: *mut atomik_board_t,
    out: *mut u64,
    out_len: usize,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_board(b, |t| {
            if out.is_null() {
                return Err(ATOMIK_ERR_NULL);
            }
            if out_len < ATOMIK_BOARD_CONTEXTS as usize {
                return Err(ATOMIK_ERR_BUFFER_TOO_SMALL);
            }
            for (i, v) in st(t.read_all())?.into_iter().enumerate() {
                // SAFETY: out is writable for out_len >= 256 elements, and the
                // board has 256 contexts.
                out.add(i).write(v);
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::with_injected_panic;
    use core::ptr::null_mut;

    #[test]
    fn opcodes_are_the_tables() {
        for code in Opcode::ALL {
            let c = match code {
                Opcode::Load => ATOMIK_OP_LOAD,
                Opcode::Accum => ATOMIK_OP_ACCUM,
                Opcode::Read => ATOMIK_OP_READ,
                Opcode::Swap => ATOMIK_OP_SWAP,
                Opcode::SwapKeep => ATOMIK_OP_SWAP_KEEP,
            };
            assert_eq!(c, u32::from(code.bits()));
        }
        assert_eq!(ATOMIK_BOARD_CONTEXTS as usize, atomik_board::CONTEXTS);
        assert_eq!(ATOMIK_BOARD_DEFAULT_BAUD, atomik_board::DEFAULT_BAUD);
    }

    #[test]
    fn bad_ops_are_refused_before_anything_is_sent() {
        let op = |code, addr| atomik_board_op_t {
            code,
            addr,
            data: 1,
        };
        assert_eq!(
            board_ops(&[op(ATOMIK_OP_READ, 0), op(5, 0)]),
            Err(ATOMIK_ERR_INVALID_ARGUMENT)
        );
        assert_eq!(
            board_ops(&[op(u32::MAX, 0)]),
            Err(ATOMIK_ERR_INVALID_ARGUMENT)
        );
        assert_eq!(
            board_ops(&[op(ATOMIK_OP_LOAD, 256)]),
            Err(ATOMIK_ERR_OUT_OF_RANGE)
        );
        let (ops, results) = board_ops(&[
            op(ATOMIK_OP_LOAD, 255),
            op(ATOMIK_OP_SWAP, 1),
            op(ATOMIK_OP_READ, 2),
        ])
        .unwrap();
        assert_eq!(ops, vec![Op::load(255, 1), Op::swap(1, 1), Op::read(2)]);
        assert_eq!(results, 2);
    }

    #[test]
    fn every_driver_error_has_its_status() {
        let cases = [
            (Error::Io(std::io::Error::other("x")), ATOMIK_ERR_BOARD_IO),
            (
                Error::Timeout {
                    waited: Duration::ZERO,
                    pending_frames: 1,
                },
                ATOMIK_ERR_BOARD_TIMEOUT,
            ),
            (Error::BoardReset { lost_ops: 1 }, ATOMIK_ERR_BOARD_RESET),
            (Error::Protocol("x".into()), ATOMIK_ERR_BOARD_PROTOCOL),
            (
                Error::Version {
                    found: 2,
                    expected: 1,
                },
                ATOMIK_ERR_BOARD_VERSION,
            ),
            (Error::AddrOutOfRange { addr: 256 }, ATOMIK_ERR_OUT_OF_RANGE),
        ];
        for (e, s) in cases {
            assert_eq!(board_status(&e), s, "{e}");
        }
    }

    #[test]
    fn a_missing_port_is_an_open_error_and_a_null_handle() {
        let mut h: *mut atomik_board_t = core::ptr::dangling_mut();
        // SAFETY: a NUL-terminated path and a writable out pointer.
        let s = unsafe { atomik_board_open(c"/nonexistent/ttyUSB9".as_ptr(), 115_200, &mut h) };
        assert_eq!(s, ATOMIK_ERR_BOARD_OPEN);
        assert!(h.is_null());
    }

    /// NULL handles and NULL required pointers are `ATOMIK_ERR_NULL`; an
    /// injected panic in every export is `ATOMIK_ERR_INTERNAL` and a NULL
    /// handle, never an unwind across the boundary.
    #[test]
    fn null_arguments_and_injected_panics() {
        let (mut v, mut c, mut n) = (0u64, 0 as c_int, 7usize);
        let mut h: *mut atomik_board_t = core::ptr::dangling_mut();
        let op = atomik_board_op_t::default();
        let mut r = [atomik_board_result_t::default(); 1];
        let mut all = [0u64; 256];
        let (a, d) = ([0u32; 1], [1u64; 1]);
        let b: *mut atomik_board_t = null_mut();
        // SAFETY: every pointer is valid or NULL; no handle is live.
        let mut calls = |expect: atomik_status, h: &mut *mut atomik_board_t| unsafe {
            let statuses = [
                atomik_board_open(c"/dev/null".as_ptr(), 115_200, h),
                atomik_board_close(b),
                atomik_board_set_timeout(b, 1),
                atomik_board_load(b, 0, 1),
                atomik_board_accum(b, 0, 1),
                atomik_board_read(b, 0, &mut v),
                atomik_board_read_clean(b, 0, &mut v, &mut c),
                atomik_board_swap(b, 0, 1, &mut v),
                atomik_board_swap_keep(b, 0, &mut v),
                atomik_board_execute(b, &op, 1, r.as_mut_ptr(), 1, &mut n),
                atomik_board_accum_batch(b, a.as_ptr(), d.as_ptr(), 1),
                atomik_board_read_all(b, all.as_mut_ptr(), 256),
            ];
            for (i, s) in statuses.iter().enumerate().skip(1) {
                assert_eq!(*s, expect, "board entry point #{i}");
            }
            statuses[0]
        };
        // Without a panic, only open gets that far (/dev/null is no board).
        assert_ne!(calls(ATOMIK_ERR_NULL, &mut h), ATOMIK_OK);
        assert!(h.is_null());
        h = core::ptr::dangling_mut();
        let open = with_injected_panic(|| calls(ATOMIK_ERR_INTERNAL, &mut h));
        assert_eq!(open, ATOMIK_ERR_INTERNAL);
        assert!(h.is_null());
        // SAFETY: NULL out pointers.
        unsafe {
            assert_eq!(
                atomik_board_open(c"/dev/null".as_ptr(), 1, null_mut()),
                ATOMIK_ERR_NULL
            );
            assert_eq!(
                atomik_board_open(core::ptr::null(), 1, &mut h),
                ATOMIK_ERR_NULL
            );
            assert_eq!(
                atomik_board_open(c"/dev/null".as_ptr(), 0, &mut h),
                ATOMIK_ERR_INVALID_ARGUMENT
            );
        }
        assert_eq!((v, c, n), (0, 0, 7));
    }
}
