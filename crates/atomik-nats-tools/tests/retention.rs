//! Bounded storage through a real nats-server: snapshots in the object
//! store, the purge behind them, a new node bootstrapping from a snapshot,
//! a restarted node whose checkpoint the stream passed, and a running node
//! cut off while the stream was purged past it. Every table is checked
//! against the updates the test issued.

mod common;

use std::time::Duration;

use async_nats::jetstream;
use atomik_nats::snapshot::SnapshotStore;
use atomik_nats::{ConnOptions, Node, NodeConfig, Op, Recovery, Retention, stream};
use atomik_nats_tools::harness::proxy::{LinkMode, Proxy};
use common::{Issued, NatsServer, run};

const T: &str = "kept";
const CONTEXTS: usize = 16;

/// Servers that notice a silent client within about 2 s.
const FAST_PINGS: &str = "ping_interval: \"500ms\"\nping_max: 3";

fn config(id: u16, dir: &std::path::Path) -> NodeConfig {
    let mut cfg = NodeConfig::new(T, id, dir.join(format!("n{id}")));
    cfg.contexts = CONTEXTS;
    cfg.batch = 16;
    cfg.checkpoint_every = Duration::from_millis(50);
    cfg.retention = Some(Retention {
        snapshot_bytes: 8 << 10,
        snapshot_age: Duration::from_secs(3600),
        purge: true,
        reader_grace: Duration::from_secs(1),
        orphan_age: Duration::from_millis(300),
    });
    cfg
}

async fn node(url: &str, id: u16, dir: &std::path::Path) -> anyhow::Result<Node> {
    Node::start(ConnOptions::plain(url).connect().await?, config(id, dir)).await
}

fn accums(rng: &mut fastrand::Rng, n: usize) -> Vec<Op> {
    (0..n)
        .map(|_| match rng.u8(0..30) {
            0 => Op::Load(rng.usize(0..CONTEXTS), rng.u64(..)),
            _ => Op::Accum(rng.usize(0..CONTEXTS), rng.u64(..)),
        })
        .collect()
}

/// Writes through `nodes` until the stream was purged below `below`.
async fn write_until_purged(
    url: &str,
    nodes: &[&Node],
    issued: &mut Issued,
    rng: &mut fastrand::Rng,
    below: u64,
) -> anyhow::Result<u64> {
    let js = jetstream::new(ConnOptions::plain(url).connect().await?);
    let st = js.get_stream(stream::stream_name(T)).await?;
    for _ in 0..2000 {
        for n in nodes {
            issued.add(&n.ops(accums(rng, 40)).await?);
            n.sync().await?;
        }
        let first = st.get_info().await?.state.first_sequence;
        if first > below {
            return Ok(first);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    anyhow::bail!("the stream was never purged below {below}")
}

async fn assert_converged(nodes: &[&Node], issued: &Issued) -> anyhow::Result<()> {
    for _ in 0..2 {
        for n in nodes {
            n.sync().await?;
        }
    }
    let want = issued.expected(CONTEXTS);
    for (i, n) in nodes.iter().enumerate() {
        assert_eq!(n.dump().await?, want, "node {i} differs from the oracle");
    }
    Ok(())
}

#[test]
fn a_new_node_bootstraps_from_the_newest_snapshot_after_purges() {
    let s = NatsServer::start("");
    let url = s.url();
    run(120, async move {
        let d = tempfile::tempdir()?;
        let (mut issued, mut rng) = (Issued::default(), fastrand::Rng::with_seed(21));
        let a = node(&url, 1, d.path()).await?;
        let b = node(&url, 2, d.path()).await?;
        // A chunk no object owns (an upload that died half-way): the sweeps remove it.
        let js = jetstream::new(ConnOptions::plain(&url).connect().await?);
        let bucket = stream::bucket_name(T);
        js.publish(format!("$O.{bucket}.C.orphan"), "torn".into())
            .await?
            .await?;
        let first = write_until_purged(&url, &[&a, &b], &mut issued, &mut rng, 1).await?;
        let mut last = first;
        let obj = js.get_stream(format!("OBJ_{bucket}")).await?;
        let orphans = || async {
            let subjects = obj
                .info_with_subjects(format!("$O.{bucket}.C.orphan"))
                .await?;
            anyhow::Ok(futures_util::StreamExt::count(subjects).await)
        };
        // More purges, until a sweep has seen the orphan long enough.
        for _ in 0..50 {
            last = write_until_purged(&url, &[&a, &b], &mut issued, &mut rng, last + 10).await?;
            if orphans().await? == 0 {
                break;
            }
        }
        assert_eq!(orphans().await?, 0, "the orphaned chunk is still there");
        let store = SnapshotStore::existing(&js, T)
            .await?
            .expect("the store exists");
        assert_eq!(
            store.list().await?.len(),
            2,
            "the newest snapshot and the one before"
        );
        let c = node(&url, 3, d.path()).await?;
        let st = c.status().await?;
        assert!(
            matches!(st.recovery, Recovery::Snapshot { stream_seq } if stream_seq >= first),
            "{:?}",
            st.recovery
        );
        assert_eq!(st.refused_checkpoint, None);
        issued.add(&c.ops(accums(&mut rng, 40)).await?);
        assert_converged(&[&a, &b, &c], &issued).await
    });
}

#[test]
fn a_restarted_node_whose_checkpoint_the_stream_passed_rebuilds_from_a_snapshot() {
    let s = NatsServer::start("");
    let url = s.url();
    run(120, async move {
        let d = tempfile::tempdir()?;
        let (mut issued, mut rng) = (Issued::default(), fastrand::Rng::with_seed(22));
        let a = node(&url, 1, d.path()).await?;
        let b = node(&url, 2, d.path()).await?;
        issued.add(&a.ops(accums(&mut rng, 100)).await?);
        a.sync().await?;
        let old = a.status().await?;
        a.shutdown().await?;
        write_until_purged(&url, &[&b], &mut issued, &mut rng, old.stream_seq + 2).await?;
        let a = node(&url, 1, d.path()).await?;
        let st = a.status().await?;
        assert!(
            matches!(st.recovery, Recovery::Snapshot { .. }),
            "{:?}",
            st.recovery
        );
        let why = st.refused_checkpoint.unwrap_or_default();
        assert!(why.contains("the stream now starts at"), "{why}");
        assert!(
            st.sender > old.sender,
            "a new incarnation: {:#x} after {:#x}",
            st.sender,
            old.sender
        );
        issued.add(&a.ops(accums(&mut rng, 40)).await?);
        assert_converged(&[&a, &b], &issued).await
    });
}

/// Node 1 reaches the server through a proxy. Cut off, it keeps taking
/// local updates; the others write, snapshot and purge past it; when the
/// cut heals it publishes its updates, rebuilds from the newest snapshot
/// as a new incarnation, and converges.
#[test]
fn a_running_node_cut_off_while_the_stream_was_purged_past_it_rebuilds_itself() {
    let s = NatsServer::start(FAST_PINGS);
    let url = s.url();
    let port = s.port();
    run(180, async move {
        let d = tempfile::tempdir()?;
        let (mut issued, mut rng) = (Issued::default(), fastrand::Rng::with_seed(23));
        let proxy = Proxy::start(port).await?;
        let a = node(&format!("nats://127.0.0.1:{}", proxy.port()), 1, d.path()).await?;
        let b = node(&url, 2, d.path()).await?;
        issued.add(&a.ops(accums(&mut rng, 50)).await?);
        let before = a.status().await?;
        a.sync().await?;
        proxy.set(LinkMode::Cut);
        let t = std::time::Instant::now();
        issued.add(&a.ops(accums(&mut rng, 50)).await?);
        a.read(0).await?;
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "a cut-off node must answer locally at once"
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
        write_until_purged(&url, &[&b], &mut issued, &mut rng, before.stream_seq + 20).await?;
        write_until_purged(&url, &[&b], &mut issued, &mut rng, before.stream_seq + 80).await?;
        proxy.set(LinkMode::Pass);
        tokio::time::timeout(Duration::from_secs(60), a.sync()).await??;
        let st = a.status().await?;
        assert_eq!(st.rebuilds, 1, "{st:?}");
        assert!(
            st.sender > before.sender,
            "a new incarnation after the rebuild"
        );
        issued.add(&a.ops(accums(&mut rng, 20)).await?);
        assert_converged(&[&a, &b], &issued).await
    });
}
