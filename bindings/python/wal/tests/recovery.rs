//! Recovery of the WAL: torn tails, corruption, locks, compaction, dedup.

use std::fs;
use std::path::{Path, PathBuf};

use atomik::wire::frame_len;
use atomik::{DeltaMsg, Outcome, Replica, ReplicaConfig};
use atomik_wal::{DurableReplica, Error, WalError, format};
use proptest::prelude::*;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("atomik-wal-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir.join("t.wal")
}

fn open(path: &Path) -> Result<(DurableReplica<u64>, atomik_wal::Recovery), Error> {
    DurableReplica::<u64>::open(path, None, 7, 8, ReplicaConfig::default())
}

/// Local accums and a new peer's messages (each delivered twice).
fn history(d: &mut DurableReplica<u64>, n: u64) {
    history_from(d, n, 9);
}

fn history_from(d: &mut DurableReplica<u64>, n: u64, peer: u32) {
    let mut peer = Replica::<u64>::new(peer, 8).unwrap();
    for i in 0..n {
        d.accum((i % 8) as usize, i * 0x9E37 + 1).unwrap();
        let m = peer.accum((i % 5) as usize, i + 100).unwrap();
        assert_eq!(d.apply(&m).unwrap(), Outcome::Applied);
        assert_eq!(d.apply(&m).unwrap(), Outcome::Duplicate);
    }
}

#[test]
fn reopen_restores_state_seq_and_dedup() {
    let path = temp("reopen");
    let (mut d, _) = open(&path).unwrap();
    history(&mut d, 20);
    let want = d.replica().snapshot();
    drop(d);
    let (d2, rec) = open(&path).unwrap();
    assert_eq!(rec.records, 40);
    assert_eq!(d2.replica().snapshot().contexts, want.contexts);
    assert_eq!(d2.replica().next_seq(), 20);
    assert_eq!(d2.replica().expected(9), 20);
}

#[test]
fn a_second_writer_is_refused_by_the_lock() {
    let path = temp("lock");
    let (_d, _) = open(&path).unwrap();
    assert!(matches!(
        open(&path),
        Err(Error::Wal(WalError::Locked { .. }))
    ));
}

#[test]
fn a_damaged_record_before_the_last_is_refused_untouched() {
    let path = temp("corrupt");
    let (mut d, _) = open(&path).unwrap();
    history(&mut d, 5);
    drop(d);
    let mut bytes = fs::read(&path).unwrap();
    bytes[format::HEADER_LEN + 3] ^= 1;
    fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        open(&path),
        Err(Error::Wal(WalError::Corrupt { .. }))
    ));
    assert_eq!(fs::read(&path).unwrap(), bytes, "nothing is lost");
}

#[test]
fn another_tables_wal_is_a_mismatch() {
    let path = temp("mismatch");
    drop(open(&path).unwrap());
    let other = DurableReplica::<u64>::open(&path, None, 7, 16, ReplicaConfig::default());
    assert!(matches!(other, Err(Error::Wal(WalError::Mismatch { .. }))));
    let wider = DurableReplica::<u128>::open(&path, None, 7, 8, ReplicaConfig::default());
    assert!(matches!(wider, Err(Error::Wal(WalError::Mismatch { .. }))));
    let explicit = DurableReplica::<u64>::open(&path, Some(8), 7, 8, ReplicaConfig::default());
    assert!(matches!(
        explicit,
        Err(Error::Wal(WalError::Mismatch { .. }))
    ));
}

#[test]
fn compaction_keeps_state_dedup_and_seq_and_is_replayed_after() {
    let path = temp("compact");
    let (mut d, _) = open(&path).unwrap();
    history(&mut d, 10);
    d.compact().unwrap();
    history_from(&mut d, 3, 10);
    let want = d.replica().snapshot();
    drop(d);
    let (d2, rec) = open(&path).unwrap();
    assert!(rec.snapshot);
    assert_eq!(rec.records, 6);
    assert_eq!(d2.replica().snapshot().contexts, want.contexts);
    assert_eq!(d2.replica().next_seq(), 13);
    assert!(!format::is_torn_creation(&fs::read(&path).unwrap()));
}

#[test]
fn anonymous_deltas_apply_every_time_and_survive_restart() {
    let path = temp("anon");
    let (mut d, _) = open(&path).unwrap();
    for _ in 0..3 {
        assert_eq!(d.apply_anonymous(1, 0xF0).unwrap(), Outcome::Applied);
    }
    drop(d);
    let (d2, _) = open(&path).unwrap();
    assert_eq!(d2.replica().table().read(1).unwrap(), 0xF0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Cut the file at any byte: recovery keeps exactly the records that
    /// were complete, truncates the rest, and the next open finds no tear.
    #[test]
    fn any_torn_tail_recovers_the_complete_prefix(n in 1u64..12, cut_back in 0usize..40) {
        let path = temp("torn");
        let (mut d, _) = open(&path).unwrap();
        history(&mut d, n);
        drop(d);
        let full = fs::read(&path).unwrap();
        let len = full.len() - cut_back.min(full.len() - format::HEADER_LEN);
        fs::write(&path, &full[..len]).unwrap();
        let complete = (len - format::HEADER_LEN) / frame_len::<u64>();
        let (d2, rec) = open(&path).unwrap();
        prop_assert_eq!(rec.records, complete as u64);
        drop(d2);
        let (_, again) = open(&path).unwrap();
        prop_assert_eq!(again.torn_bytes, 0);
        prop_assert_eq!(fs::metadata(&path).unwrap().len(),
            (format::HEADER_LEN + complete * frame_len::<u64>()) as u64);
    }
}

#[test]
fn a_damaged_last_record_is_a_torn_tail() {
    let path = temp("lastbad");
    let (mut d, _) = open(&path).unwrap();
    history(&mut d, 2);
    drop(d);
    let mut bytes = fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n - 5] ^= 0x40;
    fs::write(&path, &bytes).unwrap();
    let (_, rec) = open(&path).unwrap();
    assert_eq!(
        (rec.records, rec.torn_bytes),
        (3, frame_len::<u64>() as u64)
    );
    let _ = DeltaMsg::<u64>::decode(&bytes[format::HEADER_LEN..]).unwrap();
}
