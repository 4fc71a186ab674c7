//! Replica handles: exactly-once delta application across nodes.

use atomik::{DeltaMsg, Outcome, Replica, ReplicaConfig, ReplicaError, TableError};
use core::ffi::c_int;

use crate::atomik_status::{self, *};
use crate::message::{atomik_msg_t, decode_frame};
use crate::{bytes, guard, put};

/// An opaque replica of a table of 64-bit contexts. Create with
/// `atomik_replica_new`, release with `atomik_replica_free` (exactly once).
/// Not thread-safe: use one handle per thread or lock around it.
#[derive(Debug)]
pub struct atomik_replica_t {
    inner: Replica<u64>,
}

/// What applying a message did (written by `atomik_replica_apply`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum atomik_outcome {
    /// The message changed the table.
    ATOMIK_OUTCOME_APPLIED = 0,
    /// Already processed; no effect.
    ATOMIK_OUTCOME_DUPLICATE = 1,
    /// Belongs to a superseded epoch; consumed, no effect.
    ATOMIK_OUTCOME_STALE = 2,
    /// The replica's own message; no effect.
    ATOMIK_OUTCOME_OWN = 3,
}

/// A run of missing sequence numbers `[first, end)` from `sender`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct atomik_gap_t {
    /// The sender.
    pub sender: u32,
    /// First missing seq.
    pub first: u64,
    /// One past the last missing seq.
    pub end: u64,
}

impl atomik_gap_t {
    /// The run `seqs` of missing sequence numbers from `sender`.
    fn new(sender: u32, seqs: core::ops::Range<u64>) -> Self {
        atomik_gap_t {
            sender,
            first: seqs.start,
            end: seqs.end,
        }
    }
}

/// Counters of what a replica did with the messages it was given.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct atomik_replica_stats_t {
    /// Messages that changed the table.
    pub applied: u64,
    /// Messages recognised as already processed.
    pub duplicates: u64,
    /// Messages consumed without effect (superseded epoch).
    pub stale: u64,
    /// Messages the replica refused with an error (beyond the window, future
    /// epoch, too many senders, bad address). Bytes that do not decode, and
    /// an `atomik_msg_t` with an invalid kind, are rejected before they
    /// reach the replica and are not counted here.
    pub refused: u64,
}

fn replica_status(e: ReplicaError) -> atomik_status {
    match e {
        ReplicaError::Table(TableError::ZeroSize) => ATOMIK_ERR_ZERO_SIZE,
        ReplicaError::Table(TableError::AllocFailed { .. }) => ATOMIK_ERR_ALLOC,
        ReplicaError::Table(TableError::AddrOutOfRange { .. }) => ATOMIK_ERR_OUT_OF_RANGE,
        ReplicaError::TooManyContexts { .. } | ReplicaError::BadConfig(_) => {
            ATOMIK_ERR_INVALID_ARGUMENT
        }
        ReplicaError::TooManySenders { .. } => ATOMIK_ERR_TOO_MANY_SENDERS,
        ReplicaError::BeyondWindow { .. } => ATOMIK_ERR_BEYOND_WINDOW,
        ReplicaError::FutureEpoch { .. } => ATOMIK_ERR_FUTURE_EPOCH,
        ReplicaError::EpochExhausted { .. } => ATOMIK_ERR_EPOCH_EXHAUSTED,
        ReplicaError::AllocFailed { .. } => ATOMIK_ERR_ALLOC,
    }
}

fn outcome(o: Outcome) -> atomik_outcome {
    match o {
        Outcome::Applied => atomik_outcome::ATOMIK_OUTCOME_APPLIED,
        Outcome::Duplicate => atomik_outcome::ATOMIK_OUTCOME_DUPLICATE,
        Outcome::Stale => atomik_outcome::ATOMIK_OUTCOME_STALE,
        Outcome::Own => atomik_outcome::ATOMIK_OUTCOME_OWN,
    }
}

/// Creates a replica with sender id `id` and `contexts` contexts, with the
/// default bounds (window 1024 seqs, 64 senders). `*out` receives the
/// handle, or NULL on error.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_replica_new(
    id: u32,
    contexts: u32,
    out: *mut *mut atomik_replica_t,
) -> atomik_status {
    let d = ReplicaConfig::default();
    let max_senders = u32::try_from(d.max_senders).unwrap_or(u32::MAX);
    // SAFETY: forwarded caller contract.
    unsafe { atomik_replica_new_with(id, contexts, d.window, max_senders, out) }
}

/// Creates a replica with explicit dedup bounds: `window` (a multiple of 64
/// in 64..=65536) sequence numbers per sender, at most `max_senders` senders.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_replica_new_with(
    id: u32,
    contexts: u32,
    window: u32,
    max_senders: u32,
    out: *mut *mut atomik_replica_t,
) -> atomik_status {
    if out.is_null() {
        return ATOMIK_ERR_NULL;
    }
    // Cleared before anything can fail (or panic), so the caller never sees
    // an uninitialised handle.
    // SAFETY: out is non-null and writable (caller contract).
    unsafe { put(out, core::ptr::null_mut()) };
    guard(ATOMIK_ERR_INTERNAL, || {
        let config = ReplicaConfig {
            window,
            max_senders: max_senders as usize,
        };
        let handle = Replica::with_config(id, contexts as usize, config)
            .map_err(replica_status)
            .and_then(|inner| try_box(atomik_replica_t { inner }).ok_or(ATOMIK_ERR_ALLOC));
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

/// `Box::into_raw(Box::new(v))`, except that running out of memory gives
/// `None` (and drops `v`) instead of aborting the process.
pub(crate) fn try_box<T>(v: T) -> Option<*mut T> {
    let layout = std::alloc::Layout::new::<T>();
    // atomik_replica_t is never zero-sized, and `alloc` forbids a zero size.
    const { assert!(core::mem::size_of::<T>() > 0) };
    // SAFETY: the layout has a non-zero size (checked above).
    let p = unsafe { std::alloc::alloc(layout) }.cast::<T>();
    if p.is_null() {
        return None;
    }
    // SAFETY: p is fresh, non-NULL and allocated for a T by the global
    // allocator with T's layout, so `Box::from_raw` may release it.
    unsafe { p.write(v) };
    Some(p)
}

/// Releases a replica. NULL: no effect. The handle must not be used afterwards.
///
/// # Safety
/// `r` must be NULL or a handle from `atomik_replica_new*` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_replica_free(r: *mut atomik_replica_t) {
    guard((), || {
        if !r.is_null() {
            // SAFETY: r came from try_box (the global allocator, T's layout)
            // in atomik_replica_new_with and is freed exactly once (caller
            // contract).
            drop(unsafe { Box::from_raw(r) });
        }
    });
}

impl atomik_replica_t {
    /// The replica behind a handle the call may change.
    ///
    /// # Safety
    /// `r` must be NULL or a live handle, not used elsewhere for `'a`.
    unsafe fn from_mut<'a>(r: *mut Self) -> Result<&'a mut Replica<u64>, atomik_status> {
        // SAFETY: caller contract.
        unsafe { r.as_mut() }
            .map(|r| &mut r.inner)
            .ok_or(ATOMIK_ERR_NULL)
    }

    /// The replica behind a `const` handle, shared: calls that only read
    /// never create a `&mut` (other readers may hold the handle too).
    ///
    /// # Safety
    /// `r` must be NULL or a live handle, not changed elsewhere for `'a`.
    unsafe fn from_const<'a>(r: *const Self) -> Result<&'a Replica<u64>, atomik_status> {
        // SAFETY: caller contract.
        unsafe { r.as_ref() }
            .map(|r| &r.inner)
            .ok_or(ATOMIK_ERR_NULL)
    }
}

/// Runs `f` behind the panic guard, turning its result into a status.
fn status(f: impl FnOnce() -> Result<(), atomik_status>) -> atomik_status {
    guard(ATOMIK_ERR_INTERNAL, || f().err().unwrap_or(ATOMIK_OK))
}

/// Runs `f` on the replica behind `r`, mapping errors to status codes.
///
/// # Safety
/// `r` must be NULL or a live handle, not used concurrently.
unsafe fn with_replica(
    r: *mut atomik_replica_t,
    f: impl FnOnce(&mut Replica<u64>) -> Result<(), atomik_status>,
) -> atomik_status {
    // SAFETY: caller contract.
    status(|| f(unsafe { atomik_replica_t::from_mut(r) }?))
}

/// Runs `f` on the replica behind the `const` handle `r`, which it only reads.
///
/// # Safety
/// `r` must be NULL or a live handle, not changed concurrently.
unsafe fn read_replica(
    r: *const atomik_replica_t,
    f: impl FnOnce(&Replica<u64>) -> Result<(), atomik_status>,
) -> atomik_status {
    // SAFETY: caller contract.
    status(|| f(unsafe { atomik_replica_t::from_const(r) }?))
}

/// Writes what `f` reads from the replica behind the `const` handle `r`
/// into `*out`, a required output (NULL is `ATOMIK_ERR_NULL`).
///
/// # Safety
/// `r` must be NULL or a live handle, not changed concurrently; `out` NULL
/// or writable.
unsafe fn read_into<T>(
    r: *const atomik_replica_t,
    out: *mut T,
    f: impl FnOnce(&Replica<u64>) -> Result<T, atomik_status>,
) -> atomik_status {
    // SAFETY: caller contract.
    unsafe {
        read_replica(r, |rep| {
            if out.is_null() {
                return Err(ATOMIK_ERR_NULL);
            }
            put(out, f(rep)?);
            Ok(())
        })
    }
}

/// A local operation: runs `f`, then writes the previous state (for swaps)
/// into `*previous` and the message to broadcast into `*msg`, either if not NULL.
///
/// # Safety
/// `r` must be NULL or a live handle; `previous` and `msg` NULL or writable.
unsafe fn local_op(
    r: *mut atomik_replica_t,
    previous: *mut u64,
    msg: *mut atomik_msg_t,
    f: impl FnOnce(&mut Replica<u64>) -> Result<(u64, DeltaMsg<u64>), ReplicaError>,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_replica(r, |rep| {
            let (old, m) = f(rep).map_err(replica_status)?;
            put(previous, old);
            put(msg, atomik_msg_t::from_core(&m));
            Ok(())
        })
    }
}

/// A local operation with no previous state to report (ACCUM, LOAD): runs
/// `f`, then writes the message to broadcast into `*msg` if not NULL.
///
/// # Safety
/// `r` must be NULL or a live handle; `msg` NULL or writable.
unsafe fn local_msg(
    r: *mut atomik_replica_t,
    msg: *mut atomik_msg_t,
    f: impl FnOnce(&mut Replica<u64>) -> Result<DeltaMsg<u64>, ReplicaError>,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe { local_op(r, core::ptr::null_mut(), msg, |rep| Ok((0, f(rep)?))) }
}

/// ACCUM locally; `*msg` (if not NULL) receives the message to broadcast.
///
/// # Safety
/// `r` must be NULL or a live handle; `msg` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_replica_accum(
    r: *mut atomik_replica_t,
    addr: u32,
    delta: u64,
    msg: *mut atomik_msg_t,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe { local_msg(r, msg, |rep| rep.accum(addr as usize, delta)) }
}

/// LOAD locally, starting a new epoch; `*msg` receives the message to broadcast.
///
/// # Safety
/// `r` must be NULL or a live handle; `msg` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_replica_load(
    r: *mut atomik_replica_t,
    addr: u32,
    value: u64,
    msg: *mut atomik_msg_t,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe { local_msg(r, msg, |rep| rep.load(addr as usize, value)) }
}

/// SWAP locally to `new_reference`: `*previous` receives the old state and
/// `*msg` the message to broadcast (either may be NULL).
///
/// # Safety
/// `r` must be NULL or a live handle; `previous` and `msg` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_replica_swap_to(
    r: *mut atomik_replica_t,
    addr: u32,
    new_reference: u64,
    previous: *mut u64,
    msg: *mut atomik_msg_t,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        local_op(r, previous, msg, |rep| {
            rep.swap(addr as usize, new_reference)
        })
    }
}

/// SWAP_KEEP locally: `*previous` receives the state, `*msg` the message.
///
/// # Safety
/// `r` must be NULL or a live handle; `previous` and `msg` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_replica_swap_keep(
    r: *mut atomik_replica_t,
    addr: u32,
    previous: *mut u64,
    msg: *mut atomik_msg_t,
) -> atomik_status {
    // SAFETY: forwarded caller contract.
    unsafe { local_op(r, previous, msg, |rep| rep.swap_keep(addr as usize)) }
}

/// READ context `addr` of the replica into `*out`.
///
/// # Safety
/// `r` must be NULL or a live handle; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_replica_read(
    r: *const atomik_replica_t,
    addr: u32,
    out: *mut u64,
) -> atomik_status {
    // SAFETY: caller contract.
    unsafe {
        read_into(r, out, |rep| {
            rep.table()
                .read(addr as usize)
                .map_err(|_| ATOMIK_ERR_OUT_OF_RANGE)
        })
    }
}

/// Applies a message from another replica, at most once per `(sender, seq)`.
/// `*result` (if not NULL) receives what happened. Refusals
/// (`ATOMIK_ERR_BEYOND_WINDOW`, `ATOMIK_ERR_FUTURE_EPOCH`,
/// `ATOMIK_ERR_TOO_MANY_SENDERS`) leave the message unprocessed: it is not
/// marked as received, shows up in `atomik_replica_missing`, and must be
/// resent later.
///
/// # Safety
/// `r` must be NULL or a live handle; `msg` NULL or readable; `result` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_replica_apply(
    r: *mut atomik_replica_t,
    msg: *const atomik_msg_t,
    result: *mut atomik_outcome,
) -> atomik_status {
    // SAFETY: caller contract.
    unsafe {
        with_replica(r, |rep| {
            let m = msg.as_ref().ok_or(ATOMIK_ERR_NULL)?.to_core()?;
            apply_to(rep, &m, result)
        })
    }
}

/// Applies `m` to `rep`; `*result` (if not NULL) receives what happened.
///
/// # Safety
/// `result` must be NULL or writable.
unsafe fn apply_to(
    rep: &mut Replica<u64>,
    m: &DeltaMsg<u64>,
    result: *mut atomik_outcome,
) -> Result<(), atomik_status> {
    let o = rep.apply(m).map_err(replica_status)?;
    // SAFETY: caller contract.
    unsafe { put(result, outcome(o)) };
    Ok(())
}

/// Decodes the v1 frame at the start of `buf[..len]` and applies it.
/// `*consumed` receives how far to advance the byte stream, as in
/// `atomik_msg_decode`: a whole frame whenever a complete frame was present
/// (applied, refused or malformed alike), 0 when the input is truncated. A
/// refused message is still unprocessed (see `atomik_replica_apply`): the
/// stream moves on, and the message comes back through
/// `atomik_replica_missing` for retransmission.
///
/// # Safety
/// `r` must be NULL or a live handle; `buf` NULL or valid for `len` bytes;
/// `consumed` and `result` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_replica_apply_bytes(
    r: *mut atomik_replica_t,
    buf: *const u8,
    len: usize,
    consumed: *mut usize,
    result: *mut atomik_outcome,
) -> atomik_status {
    // SAFETY: caller contract.
    unsafe {
        with_replica(r, |rep| {
            let b = bytes(buf.cast(), len)?;
            let (m, n) = decode_frame(b);
            put(consumed, n);
            apply_to(rep, &m?, result)
        })
    }
}

/// Copies up to `cap` gaps into `out`; `*count` receives the total number of
/// gaps (call with `cap == 0` to size the buffer; `out` may then be NULL).
///
/// # Safety
/// `r` must be NULL or a live handle; `out` NULL or valid for `cap` elements;
/// `count` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_replica_gaps(
    r: *const atomik_replica_t,
    out: *mut atomik_gap_t,
    cap: usize,
    count: *mut usize,
) -> atomik_status {
    // SAFETY: caller contract.
    unsafe {
        read_replica(r, |rep| {
            let gaps = rep.gaps_iter().map(|g| atomik_gap_t::new(g.sender, g.seqs));
            copy_out(gaps, out, cap, count)
        })
    }
}

/// The seqs of `sender` this replica still needs, given that the sender has
/// sent `0..sent`: the gaps plus the unseen tail (what to retransmit).
/// Buffer protocol as in `atomik_replica_gaps`.
///
/// # Safety
/// As `atomik_replica_gaps`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_replica_missing(
    r: *const atomik_replica_t,
    sender: u32,
    sent: u64,
    out: *mut atomik_gap_t,
    cap: usize,
    count: *mut usize,
) -> atomik_status {
    // SAFETY: caller contract.
    unsafe {
        read_replica(r, |rep| {
            let gaps = rep
                .missing_iter(sender, sent)
                .map(|seqs| atomik_gap_t::new(sender, seqs));
            copy_out(gaps, out, cap, count)
        })
    }
}

/// Writes the first `cap` of `items` to `out` and stores how many there are
/// in `*count`. Streams them: querying gaps never allocates.
///
/// # Safety
/// `out` NULL or valid for `cap` elements; `count` NULL or writable.
unsafe fn copy_out<T>(
    items: impl Iterator<Item = T>,
    out: *mut T,
    cap: usize,
    count: *mut usize,
) -> Result<(), atomik_status> {
    if count.is_null() || (out.is_null() && cap > 0) {
        return Err(ATOMIK_ERR_NULL);
    }
    let mut n = 0usize;
    for item in items {
        if n < cap {
            // SAFETY: out is valid for cap > n elements (caller contract).
            unsafe { out.add(n).write(item) };
        }
        n += 1;
    }
    // SAFETY: count is non-null and writable.
    unsafe { put(count, n) };
    Ok(())
}

/// The first seq from `sender` not yet processed (everything below it has
/// been). 0 for unknown senders or a NULL handle.
///
/// # Safety
/// `r` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_replica_expected(r: *const atomik_replica_t, sender: u32) -> u64 {
    // SAFETY: caller contract.
    unsafe { count_of(r, |r| r.expected(sender)) }
}

/// The seq of this replica's next own message (= messages sent so far). NULL: 0.
///
/// # Safety
/// `r` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_replica_next_seq(r: *const atomik_replica_t) -> u64 {
    // SAFETY: caller contract.
    unsafe { count_of(r, Replica::next_seq) }
}

/// `f` of the replica behind the `const` handle `r`; 0 for NULL (and for a
/// caught panic), so the count needs no status.
///
/// # Safety
/// `r` must be NULL or a live handle, not changed concurrently.
unsafe fn count_of(r: *const atomik_replica_t, f: impl FnOnce(&Replica<u64>) -> u64) -> u64 {
    guard(0, || {
        // SAFETY: caller contract.
        unsafe { atomik_replica_t::from_const(r) }.map_or(0, f)
    })
}

/// 1 if both replicas hold the same table and epochs, else 0 (also for NULL).
///
/// # Safety
/// `a` and `b` must be NULL or live handles.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_replica_same_state(
    a: *const atomik_replica_t,
    b: *const atomik_replica_t,
) -> c_int {
    guard(0, || {
        // SAFETY: caller contract.
        match unsafe {
            (
                atomik_replica_t::from_const(a),
                atomik_replica_t::from_const(b),
            )
        } {
            (Ok(a), Ok(b)) => c_int::from(a.same_state(b)),
            _ => 0,
        }
    })
}

/// Copies the replica's counters into `*out`.
///
/// # Safety
/// `r` must be NULL or a live handle; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_replica_stats(
    r: *const atomik_replica_t,
    out: *mut atomik_replica_stats_t,
) -> atomik_status {
    // SAFETY: caller contract.
    unsafe {
        read_into(r, out, |rep| {
            let s = rep.stats();
            Ok(atomik_replica_stats_t {
                applied: s.applied,
                duplicates: s.duplicates,
                stale: s.stale,
                refused: s.refused,
            })
        })
    }
}
