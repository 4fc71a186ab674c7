//! A node whose checkpoint directory is on a small filesystem that the
//! test makes, fills, remounts read-only, or makes fail `fsync`, then
//! heals and removes. The node must report the failure clearly, keep
//! replicating without claiming a checkpoint it lacks, never leave a
//! checkpoint that loads with wrong contents, and refuse to start where it
//! cannot record its identity. Mounting needs root; without it these tests
//! fail (they never skip).

mod common;

use std::time::Duration;

use atomik_nats::checkpoint::Checkpoint;
use atomik_nats::{ConnOptions, Node, NodeConfig, Op, Recovery};
use atomik_nats_tools::harness::disk::{DiskFault, SmallDisk};
use common::{Issued, NatsServer, run};

const T: &str = "disk";

fn config(id: u16, dir: &std::path::Path) -> NodeConfig {
    let mut cfg = NodeConfig::new(T, id, dir);
    cfg.contexts = 16;
    cfg.checkpoint_every = Duration::from_millis(50);
    cfg.retention = None;
    cfg
}

async fn node(url: &str, id: u16, dir: &std::path::Path) -> anyhow::Result<Node> {
    Node::start(ConnOptions::plain(url).connect().await?, config(id, dir)).await
}

/// Waits until the node reports a failing checkpoint; returns the message.
async fn failing(n: &Node) -> anyhow::Result<String> {
    for _ in 0..200 {
        if let Some(e) = n.status().await?.checkpoint_error {
            return Ok(e);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    anyhow::bail!("the node never reported the broken disk")
}

/// One fault from start to end; `symptom` must appear in the error.
fn disk_fault(fault: DiskFault, symptom: &'static str) {
    let s = NatsServer::start("");
    let url = s.url();
    let root = tempfile::tempdir().expect("temp dir");
    let mut disk =
        SmallDisk::create(&root.path().join("small"), 8).expect("a small disk (needs root)");
    let data = disk.mnt.join("data");
    run(120, async move {
        let (mut issued, mut rng) = (Issued::default(), fastrand::Rng::with_seed(31));
        let peer = node(&url, 2, &root.path().join("peer")).await?;
        let a = node(&url, 1, &data).await?;
        let mut ops = |n: usize| -> Vec<Op> {
            (0..n)
                .map(|_| Op::Accum(rng.usize(0..16), rng.u64(..)))
                .collect()
        };
        issued.add(&a.ops(ops(100)).await?);
        a.checkpoint().await?;
        disk.break_it(fault)?;
        let why = failing(&a).await?;
        assert!(why.contains(symptom), "{fault:?}: {why}");
        // The last checkpoint written before the disk broke.
        let held = a.status().await?.checkpoint_seq;
        let err = format!(
            "{:#}",
            a.checkpoint()
                .await
                .expect_err("a checkpoint on a broken disk")
        );
        assert!(err.contains(symptom), "{fault:?}: {err}");
        // Replication goes on: the updates are durable in the stream.
        issued.add(&a.ops(ops(100)).await?);
        a.sync().await?;
        peer.sync().await?;
        assert_eq!(peer.dump().await?, issued.expected(16));
        // The node claims no newer checkpoint, and the disk holds that one, intact.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(a.status().await?.checkpoint_seq, held, "{fault:?}");
        let on_disk = Checkpoint::load(&data.join(format!("{T}.ckpt")))?.map(|c| c.stream_seq);
        assert_eq!(on_disk, held, "{fault:?}");
        disk.heal()?;
        a.checkpoint().await?;
        assert_eq!(a.status().await?.checkpoint_error, None);
        issued.add(&a.ops(ops(50)).await?);
        a.sync().await?;
        a.abort();
        // Read back from the device, not the page cache.
        disk.remount()?;
        let a = node(&url, 1, &data).await?;
        assert!(matches!(
            a.status().await?.recovery,
            Recovery::Checkpoint { .. }
        ));
        for n in [&a, &peer] {
            n.sync().await?;
            assert_eq!(n.dump().await?, issued.expected(16), "{fault:?}");
        }
        a.shutdown().await?;
        drop(disk);
        Ok(())
    });
}

#[test]
fn a_full_disk_fails_checkpoints_clearly_and_loses_nothing() {
    disk_fault(DiskFault::Full, "No space left");
}

#[test]
fn a_read_only_disk_fails_checkpoints_clearly_and_loses_nothing() {
    disk_fault(DiskFault::ReadOnly, "Read-only file system");
}

#[test]
fn an_fsync_error_fails_checkpoints_clearly_and_loses_nothing() {
    disk_fault(DiskFault::FsyncError, "fsync failed");
}

#[test]
fn a_node_refuses_to_start_where_it_cannot_record_its_identity() {
    let s = NatsServer::start("");
    let url = s.url();
    let root = tempfile::tempdir().expect("temp dir");
    let mut disk =
        SmallDisk::create(&root.path().join("small"), 8).expect("a small disk (needs root)");
    let data = disk.mnt.join("data");
    run(60, async move {
        let a = node(&url, 1, &data).await?;
        a.op(Op::Accum(1, 7)).await?;
        a.shutdown().await?;
        disk.break_it(DiskFault::ReadOnly)?;
        let err = format!(
            "{:#}",
            node(&url, 1, &data)
                .await
                .expect_err("started on a read-only disk")
        );
        assert!(
            err.contains("refusing to publish") && err.contains("Read-only"),
            "{err}"
        );
        disk.heal()?;
        Ok(())
    });
}

/// The final checkpoint of a node on a failing disk fails: `atomik node` exits non-zero.
#[test]
fn a_final_checkpoint_on_a_failing_disk_is_an_error() {
    let s = NatsServer::start("");
    let url = s.url();
    let root = tempfile::tempdir().expect("temp dir");
    let mut disk =
        SmallDisk::create(&root.path().join("small"), 8).expect("a small disk (needs root)");
    let data = disk.mnt.join("data");
    run(60, async move {
        let a = node(&url, 1, &data).await?;
        a.op(Op::Accum(1, 7)).await?;
        disk.break_it(DiskFault::FsyncError)?;
        failing(&a).await?;
        let err = format!(
            "{:#}",
            a.shutdown()
                .await
                .expect_err("a final checkpoint on a failing disk")
        );
        assert!(err.contains("fsync failed"), "{err}");
        disk.heal()?;
        Ok(())
    });
}
