//! Replicas converge over a hostile channel; raw XOR application does not.

#![allow(clippy::cast_possible_truncation)] // test data: values are small by construction

use atomik::wire::{self, Frames};
use atomik::{
    Context, DeltaMsg, MsgKind, Outcome, Replica, ReplicaConfig, ReplicaError, Table, TableError,
};
use proptest::prelude::*;
use std::collections::HashMap;

/// The channel's randomness, reproducible from the case's seed.
struct Rng(fastrand::Rng);
impl Rng {
    fn new(seed: u64) -> Self {
        Rng(fastrand::Rng::with_seed(seed))
    }
    fn below(&mut self, n: usize) -> usize {
        self.0.usize(..n)
    }
    fn percent(&mut self, p: u8) -> bool {
        self.0.u8(..100) < p
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        self.0.shuffle(v);
    }
}

#[derive(Clone, Debug)]
enum Step {
    /// Replica `r` performs a local op on `addr`.
    Local {
        r: usize,
        op: u8,
        addr: usize,
        value: u64,
    },
    /// Deliver up to `n` queued messages to replica `r`.
    Deliver { r: usize, n: usize },
}

const REPLICAS: usize = 3;
const CONTEXTS: usize = 4;

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..REPLICAS, 0u8..10, 0..CONTEXTS, any::<u64>())
            .prop_map(|(r, op, addr, value)| Step::Local { r, op, addr, value }),
        2 => (0..REPLICAS, 1usize..8).prop_map(|(r, n)| Step::Deliver { r, n }),
    ]
}

/// Sends `frames` into `queue` through the hostile channel: each is lost with
/// 10 % probability and duplicated with 10 %; the queue is later drained in
/// random order.
fn send(rng: &mut Rng, queue: &mut Vec<Vec<u8>>, frame: &[u8]) {
    if rng.percent(10) {
        return;
    }
    queue.push(frame.to_vec());
    if rng.percent(10) {
        queue.push(frame.to_vec());
    }
}

/// Feeds one received frame to a replica through the real decoder.
fn receive(rep: &mut Replica<u64>, frame: &[u8]) {
    let m = DeltaMsg::<u64>::decode(frame)
        .expect("channel does not corrupt")
        .0;
    match rep.apply(&m) {
        Ok(_) => {}
        // Refused but not consumed: retransmission brings it back.
        Err(ReplicaError::BeyondWindow { .. } | ReplicaError::FutureEpoch { .. }) => {}
        Err(e) => panic!("unexpected refusal {e}"),
    }
}

/// What every replica must end with: per context, the LOAD with the highest
/// epoch and the XOR (and count) of that epoch's ACCUMs. Computed from the set
/// of messages alone, independently of the replica code.
fn oracle(all: &[DeltaMsg<u64>]) -> (Table<u64>, Vec<u64>) {
    let mut epoch = vec![0u64; CONTEXTS];
    let mut reference = [0u64; CONTEXTS];
    for m in all.iter().filter(|m| m.kind == MsgKind::Load) {
        let a = m.addr as usize;
        if m.epoch > epoch[a] {
            epoch[a] = m.epoch;
            reference[a] = m.value;
        }
    }
    let mut t = Table::new(CONTEXTS).unwrap();
    for a in 0..CONTEXTS {
        let mut c = Context::with_reference(reference[a]);
        for m in all
            .iter()
            .filter(|m| m.kind == MsgKind::Accum && m.addr as usize == a && m.epoch == epoch[a])
        {
            c.accum(m.value);
        }
        *t.context_mut(a).unwrap() = c;
    }
    (t, epoch)
}

fn run_scenario(steps: &[Step], seed: u64, window: u32) -> Result<(), TestCaseError> {
    let mut rng = Rng::new(seed);
    let config = ReplicaConfig {
        window,
        max_senders: 8,
    };
    let mut reps: Vec<Replica<u64>> = (0..REPLICAS)
        .map(|i| Replica::with_config(10 + i as u32, CONTEXTS, config).unwrap())
        .collect();
    // Everything each replica ever sent, by seq: the retransmission source.
    let mut sent: Vec<Vec<Vec<u8>>> = vec![Vec::new(); REPLICAS];
    let mut queues: Vec<Vec<Vec<u8>>> = vec![Vec::new(); REPLICAS];
    for s in steps {
        match *s {
            Step::Local { r, op, addr, value } => {
                let m = match op {
                    0 => reps[r].load(addr, value).unwrap(),
                    1 => reps[r].swap(addr, value).unwrap().1,
                    2 => reps[r].swap_keep(addr).unwrap().1,
                    _ => reps[r].accum(addr, value).unwrap(),
                };
                let f = m.encode();
                prop_assert_eq!(m.seq as usize, sent[r].len());
                sent[r].push(f.to_vec());
                for (q, queue) in queues.iter_mut().enumerate() {
                    if q != r {
                        send(&mut rng, queue, &f);
                    }
                }
            }
            Step::Deliver { r, n } => {
                for _ in 0..n.min(queues[r].len()) {
                    let i = rng.below(queues[r].len());
                    let f = queues[r].swap_remove(i);
                    receive(&mut reps[r], &f);
                }
            }
        }
    }
    // Drain what is in flight, in random order, then retransmit what each
    // replica reports missing until nothing is (loss still applies).
    for (r, q) in queues.iter_mut().enumerate() {
        rng.shuffle(q);
        for f in q.drain(..) {
            receive(&mut reps[r], &f);
        }
    }
    for round in 0.. {
        prop_assert!(
            round < 1000,
            "no convergence after 1000 retransmission rounds"
        );
        let mut resent = 0;
        for q in 0..REPLICAS {
            let mut batch = Vec::new();
            for s in (0..REPLICAS).filter(|&s| s != q) {
                let id = reps[s].id();
                for range in reps[q].missing(id, reps[s].next_seq()) {
                    for seq in range {
                        send(&mut rng, &mut batch, &sent[s][seq as usize]);
                        resent += 1;
                    }
                }
            }
            rng.shuffle(&mut batch);
            for f in batch {
                receive(&mut reps[q], &f);
            }
        }
        if resent == 0 {
            break;
        }
    }
    let all: Vec<DeltaMsg<u64>> = sent
        .iter()
        .flatten()
        .map(|f| DeltaMsg::decode(f).unwrap().0)
        .collect();
    let (table, epochs) = oracle(&all);
    for rep in &reps {
        prop_assert!(rep.gaps().is_empty());
        prop_assert_eq!(
            rep.table(),
            &table,
            "replica {} differs from the oracle",
            rep.id()
        );
        prop_assert_eq!(rep.epochs(), &epochs[..]);
        prop_assert!(rep.same_state(&reps[0]));
        prop_assert!(rep.dedup_bytes() <= config.max_senders * window as usize / 8);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("ATOMIK_CONVERGENCE_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)))]

    /// Random local ops on three replicas, delivered through a channel that
    /// reorders, duplicates 10 % and loses 10 % of messages, then
    /// retransmission until no gap is left: all replicas end bit-identical,
    /// and equal to the oracle.
    #[test]
    fn replicas_converge(steps in proptest::collection::vec(step(), 0..80), seed: u64, small_window: bool) {
        // A 64-seq window forces the refuse-and-resend path on long runs.
        run_scenario(&steps, seed, if small_window { 64 } else { 1024 })?;
    }
}

/// The reason replicas exist: applying deltas with raw XOR, a duplicated
/// message silently reverts the update it duplicates.
#[test]
fn raw_xor_application_of_a_duplicate_reverts_an_update() {
    let mut sender = Replica::<u64>::new(1, 1).unwrap();
    let m = sender.accum(0, 0xFF).unwrap();
    let mut naive = Context::<u64>::with_reference(0x1000);
    naive.accum(m.value);
    naive.accum(m.value); // the network delivered it twice
    assert_eq!(naive.read(), 0x1000, "the update is gone");

    let mut replica = Replica::<u64>::new(2, 1).unwrap();
    assert_eq!(replica.apply(&m), Ok(Outcome::Applied));
    assert_eq!(replica.apply(&m), Ok(Outcome::Duplicate));
    assert_eq!(replica.table().read(0), Ok(0xFF));
}

#[test]
fn dedup_memory_is_bounded_over_a_million_messages() {
    let config = ReplicaConfig {
        window: 256,
        max_senders: 4,
    };
    let mut r = Replica::<u64>::with_config(0, 16, config).unwrap();
    let mut rng = Rng::new(42);
    let bound = config.max_senders * config.window as usize / 8;
    for sender in 1..=4u32 {
        // Each block of 128 seqs is delivered in random order, with duplicates.
        let mut seq = 0u64;
        while seq < 250_000 {
            let mut block: Vec<u64> = (seq..seq + 128).collect();
            block.extend_from_slice(&[seq, seq + 5, seq + 127]);
            rng.shuffle(&mut block);
            for s in block {
                let m = DeltaMsg::accum(sender, 0, s, (s % 16) as u32, s);
                r.apply(&m).unwrap();
            }
            seq += 128;
            assert!(r.dedup_bytes() <= bound);
        }
        assert_eq!(r.expected(sender), seq);
    }
    assert!(r.gaps().is_empty());
    assert_eq!(r.stats().applied, 4 * 250_112);
    assert_eq!(r.stats().duplicates, 4 * 3 * 1954);
    assert_eq!(r.dedup_bytes(), bound);
    let e = r.apply(&DeltaMsg::accum(5, 0, 0, 0, 1)).unwrap_err();
    assert_eq!(e, ReplicaError::TooManySenders { sender: 5, max: 4 });
}

#[test]
fn gaps_are_reported_exactly_and_retransmission_fills_them() {
    let mut r = Replica::<u32>::new(0, 4).unwrap();
    for s in [0u64, 1, 4, 5, 9] {
        r.apply(&DeltaMsg::accum(7, 0, s, 0, 1)).unwrap();
    }
    let gaps: Vec<_> = r.gaps().into_iter().map(|g| (g.sender, g.seqs)).collect();
    assert_eq!(gaps, vec![(7, 2..4), (7, 6..9)]);
    assert_eq!(r.expected(7), 2);
    assert_eq!(r.missing(7, 12), vec![2..4, 6..9, 10..12]);
    assert_eq!(
        r.missing(8, 3),
        vec![0..3],
        "unknown sender: everything is missing"
    );
    for s in [2u64, 3, 6, 7, 8] {
        assert_eq!(
            r.apply(&DeltaMsg::accum(7, 0, s, 0, 1)),
            Ok(Outcome::Applied)
        );
    }
    assert!(r.gaps().is_empty());
    assert_eq!(r.expected(7), 10);
}

/// Replica `a` (id 1, window 64, at most 2 senders) and its peer `b` (id 2),
/// two contexts each: the cast of the refusal and epoch tests below.
fn refusal_cast() -> (Replica<u64>, Replica<u64>) {
    let config = ReplicaConfig {
        window: 64,
        max_senders: 2,
    };
    let a = Replica::<u64>::with_config(1, 2, config).unwrap();
    (a, Replica::<u64>::new(2, 2).unwrap())
}

/// Beyond the window: refused and not consumed.
fn check_beyond_window_is_refused(a: &mut Replica<u64>) {
    let far = DeltaMsg::accum(2, 0, 64, 0, 1);
    assert_eq!(
        a.apply(&far),
        Err(ReplicaError::BeyondWindow {
            sender: 2,
            seq: 64,
            base: 0
        })
    );
    assert_eq!(a.missing(2, 1), vec![0..1]);
}

/// An ACCUM of an epoch whose LOAD has not arrived: refused, not consumed,
/// applied once the LOAD is in (`b` sends seqs 0 and 1).
fn check_future_epoch_waits_for_its_load(a: &mut Replica<u64>, b: &mut Replica<u64>) {
    let load = b.load(0, 100).unwrap();
    let acc = b.accum(0, 1).unwrap();
    assert!(matches!(
        a.apply(&acc),
        Err(ReplicaError::FutureEpoch { addr: 0, .. })
    ));
    assert_eq!(a.apply(&load), Ok(Outcome::Applied));
    assert_eq!(a.apply(&acc), Ok(Outcome::Applied));
    assert_eq!(a.table().read(0), Ok(101));
    assert_eq!(a.epoch(0), Ok(b.epoch(0).unwrap()));
    assert_eq!(
        b.epoch(0).unwrap(),
        (1 << 32) | 2,
        "Lamport stamp: counter 1, origin 2"
    );
}

/// After the reload above, an older-epoch delta is stale: consumed, no effect.
fn check_older_epoch_is_stale(a: &mut Replica<u64>) {
    let old = DeltaMsg::accum(2, 0, 2, 0, 0xF0);
    assert_eq!(a.apply(&old), Ok(Outcome::Stale));
    assert_eq!(a.apply(&old), Ok(Outcome::Duplicate));
    assert_eq!(a.table().read(0), Ok(101));
}

fn check_own_message_is_recognised(a: &mut Replica<u64>) {
    let mine = a.accum(1, 5).unwrap();
    assert_eq!(a.apply(&mine), Ok(Outcome::Own));
}

/// A bad address is reported and consumed (seq 3 of sender 2).
fn check_bad_address_is_consumed(a: &mut Replica<u64>) {
    let bad = DeltaMsg::accum(2, 0, 3, 9, 1);
    assert_eq!(
        a.apply(&bad),
        Err(ReplicaError::Table(TableError::AddrOutOfRange {
            addr: 9,
            len: 2
        }))
    );
    assert_eq!(a.apply(&bad), Ok(Outcome::Duplicate));
}

#[test]
fn a_seq_beyond_the_window_is_refused_and_not_consumed() {
    let (mut a, _) = refusal_cast();
    check_beyond_window_is_refused(&mut a);
}

#[test]
fn an_accum_before_its_load_is_refused_until_the_load_arrives() {
    let (mut a, mut b) = refusal_cast();
    check_future_epoch_waits_for_its_load(&mut a, &mut b);
}

#[test]
fn a_reload_makes_older_epoch_deltas_stale() {
    let (mut a, mut b) = refusal_cast();
    check_future_epoch_waits_for_its_load(&mut a, &mut b);
    check_older_epoch_is_stale(&mut a);
}

#[test]
fn own_messages_are_recognised() {
    let (mut a, _) = refusal_cast();
    check_own_message_is_recognised(&mut a);
}

#[test]
fn a_bad_address_is_reported_and_consumed() {
    let (mut a, _) = refusal_cast();
    check_bad_address_is_consumed(&mut a);
}

#[test]
fn stats_count_every_outcome_and_refusal() {
    let (mut a, mut b) = refusal_cast();
    check_beyond_window_is_refused(&mut a);
    check_future_epoch_waits_for_its_load(&mut a, &mut b);
    check_older_epoch_is_stale(&mut a);
    check_own_message_is_recognised(&mut a);
    check_bad_address_is_consumed(&mut a);
    let s = a.stats();
    assert_eq!((s.applied, s.stale, s.duplicates), (2, 1, 2));
    assert_eq!(s.refused, 3);
}

#[test]
fn concurrent_loads_resolve_to_the_higher_lamport_stamp_everywhere() {
    let (_, mut b) = refusal_cast();
    let mut c = Replica::<u64>::new(3, 2).unwrap();
    let lb = b.load(1, 0xB).unwrap();
    let lc = c.load(1, 0xC).unwrap();
    assert_eq!(b.apply(&lc), Ok(Outcome::Applied));
    assert_eq!(c.apply(&lb), Ok(Outcome::Stale));
    assert_eq!(b.table().read(1), c.table().read(1));
    assert_eq!(b.table().read(1), Ok(0xC));
}

#[test]
fn local_errors_and_bad_configs_are_reported() {
    let (mut a, _) = refusal_cast();
    assert_eq!(
        a.accum(2, 1),
        Err(ReplicaError::Table(TableError::AddrOutOfRange {
            addr: 2,
            len: 2
        }))
    );
    assert!(matches!(
        Replica::<u8>::with_config(
            0,
            1,
            ReplicaConfig {
                window: 100,
                max_senders: 1
            }
        ),
        Err(ReplicaError::BadConfig(_))
    ));
    assert!(matches!(
        Replica::<u8>::new(0, 0),
        Err(ReplicaError::Table(TableError::ZeroSize))
    ));
    for e in [
        ReplicaError::TooManySenders { sender: 1, max: 1 },
        ReplicaError::EpochExhausted { addr: 0 },
        ReplicaError::AllocFailed { sender: 1 },
    ] {
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn swaps_replicate_as_loads() {
    let mut a = Replica::<u16>::new(1, 1).unwrap();
    let mut b = Replica::<u16>::new(2, 1).unwrap();
    let mut stream = Vec::new();
    let msgs = [a.load(0, 0x10).unwrap(), a.accum(0, 0x3).unwrap()];
    let (before, m) = a.swap_keep(0).unwrap();
    assert_eq!(before, 0x13);
    let (before2, m2) = a.swap(0, 0x77).unwrap();
    assert_eq!(before2, 0x13);
    let tail = a.accum(0, 0x8).unwrap();
    wire::encode_all(&[msgs[0], msgs[1], m, m2, tail], &mut stream);
    for f in Frames::<u16>::new(&stream) {
        b.apply(&f.unwrap()).unwrap();
    }
    assert!(a.same_state(&b));
    assert_eq!(b.table().read(0), Ok(0x7F));
    assert_eq!(m.kind, MsgKind::Load);
    let _: HashMap<u32, u64> = HashMap::new();
}
