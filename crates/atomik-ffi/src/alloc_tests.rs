//! Running out of memory is an error, never an abort: every allocation a
//! replica makes is fallible, and a failure is a typed error (in C,
//! `ATOMIK_ERR_ALLOC`) with nothing changed.
//!
//! This test binary installs a global allocator that forwards to the system
//! allocator, except that the current thread can give itself a budget of
//! allocations, after which every request is refused (other tests in the
//! binary run on other threads and are unaffected). It lives here, not in
//! the core crate's tests, because a `GlobalAlloc` needs `unsafe impl`,
//! which the core's crates forbid.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use atomik::{DeltaMsg, Outcome, Replica, ReplicaConfig, ReplicaError, ReplicaStats, TableError};

thread_local! {
    // Allocations this thread may still make; `None`: unlimited.
    // const-initialised and without a destructor: reading it never allocates.
    static BUDGET: Cell<Option<usize>> = const { Cell::new(None) };
}

struct Budgeted;

// SAFETY: forwards to `System`, or returns NULL, which `GlobalAlloc` allows
// as the report of an allocation failure.
unsafe impl GlobalAlloc for Budgeted {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match BUDGET.with(Cell::get) {
            Some(0) => return std::ptr::null_mut(),
            Some(n) => BUDGET.with(|b| b.set(Some(n - 1))),
            None => {}
        }
        // SAFETY: forwarded caller contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: every non-NULL pointer came from `System.alloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Budgeted = Budgeted;

/// Runs `f` with at most `allocations` allocations granted on this thread.
fn with_budget<R>(allocations: usize, f: impl FnOnce() -> R) -> R {
    BUDGET.with(|b| b.set(Some(allocations)));
    let out = f();
    BUDGET.with(|b| b.set(None));
    out
}

/// Runs `f` with every allocation on this thread refused.
fn without_memory<R>(f: impl FnOnce() -> R) -> R {
    with_budget(0, f)
}

fn accum_from(sender: u32, seq: u64) -> DeltaMsg<u64> {
    DeltaMsg::accum(sender, 0, seq, 1, 0xFF)
}

#[test]
fn no_memory_for_the_table_fails_replica_construction() {
    let r = without_memory(|| Replica::<u64>::new(1, 4));
    assert_eq!(
        r.err(),
        Some(ReplicaError::Table(TableError::AllocFailed { len: 4 }))
    );
}

#[test]
fn no_memory_for_the_epochs_fails_replica_construction() {
    // The table is the first allocation; the epochs array the second.
    let r = with_budget(1, || Replica::<u64>::new(1, 4));
    assert_eq!(
        r.err(),
        Some(ReplicaError::Table(TableError::AllocFailed { len: 4 }))
    );
}

/// Applies `msg` with memory refused and checks the refusal left `r` as it
/// was (state and counters, apart from `refused`), then applies it again
/// with memory available.
fn refused_then_applied(r: &mut Replica<u64>, msg: &DeltaMsg<u64>) {
    let before = r.clone();
    let stats = r.stats();
    let got = without_memory(|| r.apply(msg));
    assert_eq!(got, Err(ReplicaError::AllocFailed { sender: msg.sender }));
    assert!(r.same_state(&before));
    assert_eq!(r.dedup_bytes(), before.dedup_bytes());
    assert_eq!(
        r.stats(),
        ReplicaStats {
            refused: stats.refused + 1,
            ..stats
        }
    );
    // Not consumed: the same message applies once memory is back.
    assert_eq!(r.apply(msg), Ok(Outcome::Applied));
}

#[test]
fn no_memory_for_the_sender_list_refuses_a_new_sender() {
    // Regression: `peers.insert` grew the sender list infallibly, aborting
    // the process on out-of-memory (issue 8, item 4).
    let mut r = Replica::<u64>::new(1, 4).unwrap();
    refused_then_applied(&mut r, &accum_from(2, 0));
}

#[test]
fn no_memory_for_the_receive_window_refuses_a_new_sender() {
    // Regression: a new sender's bitmap came from an aborting `vec!`
    // (issue 8, item 4). The list has room for a second sender after the
    // first, so only the bitmap allocation is left to fail.
    let mut r = Replica::<u64>::with_config(
        1,
        4,
        ReplicaConfig {
            window: 64,
            max_senders: 8,
        },
    )
    .unwrap();
    r.apply(&accum_from(2, 0)).unwrap();
    refused_then_applied(&mut r, &accum_from(3, 0));
}

#[test]
fn known_senders_and_local_ops_need_no_memory() {
    let mut r = Replica::<u64>::new(1, 4).unwrap();
    r.apply(&accum_from(2, 0)).unwrap();
    without_memory(|| {
        assert_eq!(r.apply(&accum_from(2, 1)), Ok(Outcome::Applied));
        assert!(r.accum(0, 1).is_ok());
        assert_eq!(r.gaps_iter().count(), 0);
        assert_eq!(r.missing_iter(2, 2).count(), 0);
    });
}

mod through_the_c_api {
    use super::{accum_from, with_budget, without_memory};
    use crate::atomik_status::{self, *};
    use crate::*;
    use core::ptr::null_mut;

    /// A C replica (id 1, 4 contexts) whose handle `f` gets; freed afterwards.
    fn with_c_replica(f: impl FnOnce(*mut atomik_replica_t)) {
        let mut r = null_mut();
        // SAFETY: valid out pointer.
        assert_eq!(unsafe { atomik_replica_new(1, 4, &mut r) }, ATOMIK_OK);
        f(r);
        // SAFETY: r is live and freed once.
        unsafe { atomik_replica_free(r) };
    }

    fn c_msg(sender: u32) -> atomik_msg_t {
        atomik_msg_t::from_core(&accum_from(sender, 0))
    }

    /// `atomik_replica_apply` of `msg` with `budget` allocations granted.
    fn apply(r: *mut atomik_replica_t, msg: &atomik_msg_t, budget: usize) -> atomik_status {
        let mut o = atomik_outcome::ATOMIK_OUTCOME_OWN;
        // SAFETY: r is live; msg and o are valid.
        with_budget(budget, || unsafe { atomik_replica_apply(r, msg, &mut o) })
    }

    #[test]
    fn creating_a_replica_without_memory_is_alloc_and_a_null_handle() {
        // Budgets 0, 1, 2: the table, the epochs, then the handle itself
        // (which `Box::new` used to allocate with an abort on failure).
        for budget in 0..3 {
            let mut r = core::ptr::dangling_mut::<atomik_replica_t>();
            // SAFETY: valid out pointer.
            let st = with_budget(budget, || unsafe { atomik_replica_new(1, 4, &mut r) });
            assert_eq!(st, ATOMIK_ERR_ALLOC, "budget {budget}");
            assert!(r.is_null(), "budget {budget}");
        }
    }

    #[test]
    fn a_new_sender_without_memory_is_alloc_and_the_message_is_kept() {
        with_c_replica(|r| {
            let msg = c_msg(2);
            assert_eq!(apply(r, &msg, 0), ATOMIK_ERR_ALLOC);
            let mut stats = atomik_replica_stats_t::default();
            // SAFETY: r is live; stats is writable.
            assert_eq!(unsafe { atomik_replica_stats(r, &mut stats) }, ATOMIK_OK);
            assert_eq!(stats.refused, 1);
            assert_eq!(stats.applied, 0);
            // Not consumed: it applies once memory is back.
            assert_eq!(apply(r, &msg, usize::MAX), ATOMIK_OK);
        });
    }

    #[test]
    fn gap_queries_need_no_memory() {
        with_c_replica(|r| {
            let mut m = c_msg(2);
            m.seq = 3; // seqs 0..3 of sender 2 are now missing
            assert_eq!(apply(r, &m, usize::MAX), ATOMIK_OK);
            let mut gaps = [atomik_gap_t::default(); 2];
            let (mut n_gaps, mut n_missing) = (0, 0);
            without_memory(|| {
                // SAFETY: r is live; buffers valid for their lengths.
                unsafe {
                    assert_eq!(
                        atomik_replica_gaps(r, gaps.as_mut_ptr(), 2, &mut n_gaps),
                        ATOMIK_OK
                    );
                    assert_eq!(
                        atomik_replica_missing(r, 2, 6, gaps.as_mut_ptr(), 2, &mut n_missing),
                        ATOMIK_OK
                    );
                }
            });
            assert_eq!((n_gaps, n_missing), (1, 2));
            let first = atomik_gap_t {
                sender: 2,
                first: 0,
                end: 3,
            };
            let tail = atomik_gap_t {
                sender: 2,
                first: 4,
                end: 6,
            };
            assert_eq!(gaps, [first, tail]);
        });
    }
}
