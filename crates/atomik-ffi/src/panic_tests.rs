//! Forces a panic inside every exported function (through the test-only
//! hook in `guard`) and checks that the documented default comes out instead
//! of an unwind across the C boundary. Covers each kind of entry point:
//! void, value-returning, int-returning, status-returning and handle-creating.

use core::ffi::c_int;
use core::ptr::null_mut;

use crate::atomik_status::*;
use crate::tests::with_injected_panic;
use crate::*;

#[test]
fn every_export_survives_an_injected_panic() {
    let mut ctx = atomik_ctx_t {
        reference: 5,
        accumulator: 3,
        delta_count: 1,
    };
    let before = ctx;
    let mut table = atomik_table_t {
        contexts: null_mut(),
        num_contexts: 0,
    };
    // SAFETY: valid pointers throughout; the table is freed at the end.
    unsafe {
        assert_eq!(atomik_table_init(&mut table, 4), 0);
    }
    let mut fp = atomik_fingerprint_t::default();
    let mut pfp = atomik_pos_fingerprint_t::default();
    let mut out = 0u64;
    let mut flag: c_int = 7;
    let mut n = 0usize;
    let data = [1u8; 16];
    let mut buf = [0u8; 64];
    let msg = atomik_msg_t::default();
    let mut m = atomik_msg_t::default();
    let mut outcome = atomik_outcome::ATOMIK_OUTCOME_OWN;
    let mut replica: *mut atomik_replica_t = null_mut();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { atomik_replica_new(1, 4, &mut replica) }, ATOMIK_OK);
    let mut gaps = [atomik_gap_t::default(); 2];
    let mut stats = atomik_replica_stats_t::default();
    let (a, d) = ([0u32; 2], [1u64; 2]);

    with_injected_panic(|| {
        // SAFETY: every pointer is valid; the injected panic fires before any
        // of them is used.
        unsafe {
            // void entry points: no effect.
            atomik_init(&mut ctx);
            atomik_load(&mut ctx, 1);
            atomik_accum(&mut ctx, 1);
            atomik_merge(&mut ctx, &before);
            atomik_table_load(&mut table, 0, 1);
            atomik_table_accum(&mut table, 0, 1);
            atomik_table_free(&mut table);
            atomik_fp_init(&mut fp);
            atomik_fp_load(&mut fp, data.as_ptr().cast(), 16);
            atomik_fp_update(&mut fp, data.as_ptr().cast(), 16);
            atomik_fp_accum_delta(&mut fp, 0, 1);
            atomik_pos_fp_init(&mut pfp);
            atomik_pos_fp_accum_delta(&mut pfp, 0, 0, 1);
            atomik_replica_free(replica);
            // value- and int-returning: their documented defaults.
            assert_eq!(atomik_read(&ctx), 0);
            assert_eq!(atomik_swap(&mut ctx), 0);
            assert_eq!(atomik_is_clean(&ctx), 1);
            assert_eq!(atomik_table_init(&mut table, 4), -1);
            assert_eq!(atomik_table_read(&table, 0), 0);
            assert_eq!(atomik_table_swap(&mut table, 0), 0);
            assert_eq!(atomik_fp_reduce(data.as_ptr().cast(), 16), 0);
            assert_eq!(atomik_fp_changed(&fp), 0);
            assert_eq!(atomik_pos_fp_changed(&pfp), 0);
            assert_eq!(atomik_pos_fp_value(&pfp), 0);
            assert_eq!(atomik_replica_expected(replica, 1), 0);
            assert_eq!(atomik_replica_next_seq(replica), 0);
            assert_eq!(atomik_replica_same_state(replica, replica), 0);
            // status-returning: ATOMIK_ERR_INTERNAL. Regression (ad6f5c2):
            // atomik_table_init_checked reported a caught panic as
            // ATOMIK_ERR_ALLOC.
            let statuses = [
                atomik_table_init_checked(&mut table, 4),
                atomik_table_load_checked(&mut table, 0, 1),
                atomik_table_accum_checked(&mut table, 0, 1),
                atomik_table_read_checked(&table, 0, &mut out),
                atomik_table_is_clean_checked(&table, 0, &mut flag),
                atomik_table_swap_checked(&mut table, 0, &mut out),
                atomik_table_swap_to(&mut table, 0, 1, &mut out),
                atomik_table_accum_batch(&mut table, a.as_ptr(), d.as_ptr(), 2),
                atomik_swap_to(&mut ctx, 1, &mut out),
                atomik_merge_checked(&mut ctx, &before),
                atomik_accum_many(&mut ctx, d.as_ptr(), 2),
                atomik_fp_reduce_checked(data.as_ptr().cast(), 16, &mut out),
                atomik_fp_load_checked(&mut fp, data.as_ptr().cast(), 16),
                atomik_fp_update_checked(&mut fp, data.as_ptr().cast(), 16),
                atomik_pos_fp_reduce(data.as_ptr().cast(), 16, &mut out),
                atomik_pos_fp_load(&mut pfp, data.as_ptr().cast(), 16),
                atomik_pos_fp_update(&mut pfp, data.as_ptr().cast(), 16),
                atomik_msg_encode(&msg, buf.as_mut_ptr(), 64, &mut n),
                atomik_msg_decode(buf.as_ptr(), 64, &mut m, &mut n),
                atomik_compat_encode(1, 2, 3, buf.as_mut_ptr(), 64),
                atomik_compat_decode(buf.as_ptr(), 64, &mut 0, &mut 0, &mut 0),
                atomik_replica_accum(replica, 0, 1, &mut m),
                atomik_replica_load(replica, 0, 1, &mut m),
                atomik_replica_swap_to(replica, 0, 1, &mut out, &mut m),
                atomik_replica_swap_keep(replica, 0, &mut out, &mut m),
                atomik_replica_read(replica, 0, &mut out),
                atomik_replica_apply(replica, &msg, &mut outcome),
                atomik_replica_apply_bytes(replica, buf.as_ptr(), 64, &mut n, &mut outcome),
                atomik_replica_gaps(replica, gaps.as_mut_ptr(), 2, &mut n),
                atomik_replica_missing(replica, 1, 1, gaps.as_mut_ptr(), 2, &mut n),
                atomik_replica_stats(replica, &mut stats),
            ];
            for (i, s) in statuses.iter().enumerate() {
                assert_eq!(*s, ATOMIK_ERR_INTERNAL, "status entry point #{i}");
            }
            // Handle-creating: an error and a NULL handle, never garbage.
            let mut h: *mut atomik_replica_t = core::ptr::dangling_mut();
            assert_eq!(atomik_replica_new(1, 4, &mut h), ATOMIK_ERR_INTERNAL);
            assert!(h.is_null());
        }
    });
    // Nothing was touched while panicking…
    assert_eq!(ctx, before);
    assert_eq!((out, flag, n), (0, 7, 0));
    assert_eq!(outcome, atomik_outcome::ATOMIK_OUTCOME_OWN);
    // …and everything still works afterwards.
    // SAFETY: valid pointers; each object is released exactly once.
    unsafe {
        assert_eq!(atomik_table_read(&table, 0), 0);
        atomik_table_free(&mut table);
        assert!(table.contexts.is_null());
        assert_eq!(atomik_replica_accum(replica, 0, 9, &mut m), ATOMIK_OK);
        atomik_replica_free(replica);
    }
}
