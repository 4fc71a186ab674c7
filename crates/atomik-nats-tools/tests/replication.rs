//! Replication through a real nats-server: convergence, redelivery, reorder,
//! restarts, checkpoints, epoch changes, credentials. Tables are checked
//! against the updates the test issued.

mod common;

use std::time::Duration;

use async_nats::jetstream;
use atomik::wire::DeltaMsg;
use atomik_nats::{ConnOptions as ConnArgs, Node, NodeConfig, Op, Recovery, stream};
use atomik_nats_tools::oracle;
use common::{Issued, NatsServer, run};

const T: &str = "t1";

async fn node(url: &str, id: u16, dir: &std::path::Path) -> anyhow::Result<Node> {
    let client = ConnArgs::plain(url).connect().await?;
    let mut cfg = NodeConfig::new(T, id, dir.join(format!("n{id}")));
    cfg.contexts = 16;
    cfg.batch = 64;
    Node::start(client, cfg).await
}

/// Random ops on a 16-context table; a few LOAD/SWAP among many ACCUMs.
fn random_ops(rng: &mut fastrand::Rng, n: usize) -> Vec<Op> {
    (0..n)
        .map(|_| {
            let a = rng.usize(0..16);
            match rng.u8(0..20) {
                0 => Op::Load(a, rng.u64(..)),
                1 => Op::Swap(a, rng.u64(..)),
                _ => Op::Accum(a, rng.u64(..)),
            }
        })
        .collect()
}

/// Syncs every node twice (so each sees the others' last messages), checks
/// that the stream holds exactly the issued updates and that every node
/// equals the oracle over them.
async fn assert_converged(url: &str, nodes: &[&Node], issued: &Issued) -> anyhow::Result<Vec<u64>> {
    for _ in 0..2 {
        for n in nodes {
            n.sync().await?;
        }
    }
    let js = jetstream::new(ConnArgs::plain(url).connect().await?);
    let audited = oracle::read_stream(&js, T, Duration::from_secs(20)).await?;
    assert_eq!(
        oracle::phantoms(&issued.0, &audited),
        0,
        "the stream holds updates nobody issued"
    );
    let ids = issued.0.keys().copied().collect();
    assert_eq!(
        oracle::lost(&ids, &audited),
        0,
        "issued updates missing from the stream"
    );
    let want = issued.expected(16);
    for (i, n) in nodes.iter().enumerate() {
        assert_eq!(n.dump().await?, want, "node {i} differs from the oracle");
    }
    Ok(want)
}

#[test]
fn three_nodes_converge_under_concurrent_traffic() {
    let s = NatsServer::start("");
    let url = s.url();
    run(60, async move {
        let mut issued = Issued::default();
        let d = tempfile::tempdir()?;
        let nodes = [
            node(&url, 1, d.path()).await?,
            node(&url, 2, d.path()).await?,
            node(&url, 3, d.path()).await?,
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..20 {
            for n in &nodes {
                issued.add(&n.ops(random_ops(&mut rng, 50)).await?);
            }
        }
        let want = assert_converged(&url, &[&nodes[0], &nodes[1], &nodes[2]], &issued).await?;
        assert!(want.iter().any(|&v| v != 0));
        let st = nodes[0].status().await?;
        assert_eq!(st.sent, 1000);
        assert_eq!(st.acked, 1000);
        Ok(())
    });
}

/// Publishes raw frames of a fake sender, bypassing any node.
async fn publish_raw(url: &str, msgs: &[DeltaMsg<u64>]) -> anyhow::Result<()> {
    let js = jetstream::new(ConnArgs::plain(url).connect().await?);
    let mut payload = Vec::new();
    for m in msgs {
        payload.extend_from_slice(m.encode().as_bytes());
    }
    js.publish(stream::subject(T), payload.into())
        .await?
        .await?;
    Ok(())
}

#[test]
fn redelivered_and_reordered_frames_apply_once() {
    let s = NatsServer::start("");
    let url = s.url();
    run(60, async move {
        let d = tempfile::tempdir()?;
        let n = node(&url, 1, d.path()).await?;
        let fake = 0x7777_0000;
        let msgs: Vec<_> = (0..10u64)
            .map(|i| DeltaMsg::accum(fake, 0, i, (i % 4) as u32, 1 << i))
            .collect();
        // Reordered (5..10 before 0..5), then everything again twice: the
        // stream holds three copies of each frame (no Nats-Msg-Id here).
        publish_raw(&url, &msgs[5..]).await?;
        publish_raw(&url, &msgs[..5]).await?;
        publish_raw(&url, &msgs).await?;
        publish_raw(&url, &msgs).await?;
        n.sync().await?;
        let mut want = vec![0u64; 16];
        for m in &msgs {
            want[m.addr as usize] ^= m.value;
        }
        assert_eq!(n.dump().await?, want);
        let st = n.status().await?;
        assert_eq!(st.replica.applied, 10);
        assert_eq!(st.replica.duplicates, 20);
        Ok(())
    });
}

#[test]
fn restart_resumes_without_loss_or_double_apply() {
    let s = NatsServer::start("");
    let url = s.url();
    run(90, async move {
        let mut issued = Issued::default();
        let d = tempfile::tempdir()?;
        let mut rng = fastrand::Rng::with_seed(11);
        let a = node(&url, 1, d.path()).await?;
        let b = node(&url, 2, d.path()).await?;
        issued.add(&b.ops(random_ops(&mut rng, 300)).await?);
        issued.add(&a.ops(random_ops(&mut rng, 300)).await?);
        a.sync().await?;
        a.checkpoint().await?;
        // Updates after the checkpoint, published, then a crash: they must
        // come back from the stream.
        issued.add(&a.ops(random_ops(&mut rng, 300)).await?);
        a.sync().await?;
        a.abort();
        issued.add(&b.ops(random_ops(&mut rng, 300)).await?);
        let a = node(&url, 1, d.path()).await?;
        let st = a.status().await?;
        assert!(
            matches!(st.recovery, Recovery::Checkpoint { stream_seq } if stream_seq > 0),
            "{:?}",
            st.recovery
        );
        assert_eq!(st.sender, (1 << 16) | 1, "second incarnation of node 1");
        issued.add(&a.ops(random_ops(&mut rng, 100)).await?);
        assert_converged(&url, &[&a, &b], &issued).await?;
        // A clean restart as well.
        a.shutdown().await?;
        let a = node(&url, 1, d.path()).await?;
        assert_converged(&url, &[&a, &b], &issued).await?;
        Ok(())
    });
}

fn corrupt(path: &std::path::Path, torn: bool) {
    let mut bytes = std::fs::read(path).expect("checkpoint exists");
    if torn {
        bytes.truncate(bytes.len() / 2);
    } else {
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
    }
    std::fs::write(path, bytes).expect("rewrite checkpoint");
}

#[test]
fn corrupt_or_torn_checkpoint_is_refused_and_stream_recovers() {
    let s = NatsServer::start("");
    let url = s.url();
    run(90, async move {
        let mut issued = Issued::default();
        let d = tempfile::tempdir()?;
        let mut rng = fastrand::Rng::with_seed(5);
        let b = node(&url, 2, d.path()).await?;
        for torn in [false, true] {
            let a = node(&url, 1, d.path()).await?;
            issued.add(&a.ops(random_ops(&mut rng, 200)).await?);
            issued.add(&b.ops(random_ops(&mut rng, 200)).await?);
            let before = assert_converged(&url, &[&a, &b], &issued).await?;
            let sender = a.status().await?.sender;
            a.shutdown().await?;
            let path = d.path().join("n1").join(format!("{T}.ckpt"));
            corrupt(&path, torn);
            let err = atomik_nats::checkpoint::Checkpoint::load(&path)
                .unwrap_err()
                .to_string();
            assert!(err.contains("corrupt") && err.contains("refusing"), "{err}");
            let a = node(&url, 1, d.path()).await?;
            let st = a.status().await?;
            assert_eq!(
                st.recovery,
                Recovery::Fresh,
                "no snapshot yet: the whole stream"
            );
            let why = st.refused_checkpoint.unwrap_or_default();
            assert!(why.contains("corrupt") && why.contains("refusing"), "{why}");
            assert!(st.sender > sender, "a new incarnation after the replay");
            assert_eq!(a.dump().await?, before);
            issued.add(&a.ops(random_ops(&mut rng, 50)).await?);
            assert_converged(&url, &[&a, &b], &issued).await?;
            a.shutdown().await?;
        }
        Ok(())
    });
}

#[test]
fn node_down_through_a_load_epoch_change_catches_up() {
    let s = NatsServer::start("");
    let url = s.url();
    run(60, async move {
        let mut issued = Issued::default();
        let d = tempfile::tempdir()?;
        let a = node(&url, 1, d.path()).await?;
        let b = node(&url, 2, d.path()).await?;
        issued.add(&a.ops(vec![Op::Accum(3, 0xF0), Op::Accum(4, 1)]).await?);
        assert_converged(&url, &[&a, &b], &issued).await?;
        b.shutdown().await?;
        // While b is down: a new epoch on context 3, deltas in it, more on 4.
        issued.add(
            &a.ops(vec![
                Op::Load(3, 0x1234),
                Op::Accum(3, 0x0F),
                Op::Accum(4, 2),
            ])
            .await?,
        );
        a.sync().await?;
        let b = node(&url, 2, d.path()).await?;
        b.sync().await?;
        let t = b.dump().await?;
        assert_eq!(
            t[3],
            0x1234 ^ 0x0F,
            "the pre-LOAD delta must not survive the epoch change"
        );
        assert_eq!(t[4], 3);
        // Two concurrent LOADs: the higher epoch stamp wins on both nodes.
        issued.add(&b.ops(vec![Op::Load(5, 0xB)]).await?);
        issued.add(&a.ops(vec![Op::Load(5, 0xA)]).await?);
        assert_converged(&url, &[&a, &b], &issued).await?;
        Ok(())
    });
}

#[test]
fn wrong_credentials_give_a_clear_error() {
    let auth = "authorization { user: atomik, password: s3cret-pw }";
    let s = NatsServer::start(auth);
    let url = s.url();
    run(30, async move {
        let mut args = ConnArgs::plain(&url);
        args.user = Some("atomik".into());
        args.password = Some("wrong".into());
        let err = args.connect().await.unwrap_err().to_string();
        assert!(err.contains("rejected the credentials"), "{err}");
        args.password = None;
        args.user = None;
        let err = args.connect().await.unwrap_err().to_string();
        assert!(
            err.contains("rejected the credentials") || err.contains("authorization"),
            "{err}"
        );
        args.user = Some("atomik".into());
        args.password = Some("s3cret-pw".into());
        let c = args.connect().await?;
        c.flush().await?;
        Ok(())
    });
}

/// Writes `kp`'s seed to `dir/name` and returns the path.
fn seed_file(dir: &std::path::Path, name: &str, kp: &nkeys::KeyPair) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, kp.seed().expect("a generated key pair has a seed")).expect("write seed");
    p
}

#[test]
fn nkey_auth_connects_with_the_seed_and_refuses_a_wrong_key() {
    // A fresh user key pair; the server only knows its public key.
    let user = nkeys::KeyPair::new_user();
    let auth = format!(
        "authorization {{ users = [ {{ nkey: {} }} ] }}",
        user.public_key()
    );
    let s = NatsServer::start(&auth);
    let url = s.url();
    run(60, async move {
        let d = tempfile::tempdir()?;
        let mut args = ConnArgs::plain(&url);
        let err = args.connect().await.unwrap_err().to_string();
        assert!(err.contains("rejected the credentials"), "no key: {err}");
        // A valid seed of a key the server does not know.
        let other = nkeys::KeyPair::new_user();
        args.nkey_seed_file = Some(seed_file(d.path(), "other.nk", &other));
        let err = args.connect().await.unwrap_err().to_string();
        assert!(
            err.contains("rejected the credentials") && err.contains("--nkey-seed-file"),
            "wrong key: {err}"
        );
        // A file that holds no seed at all is refused before connecting.
        let bad = d.path().join("bad.nk");
        std::fs::write(&bad, user.public_key())?;
        args.nkey_seed_file = Some(bad);
        let err = format!("{:#}", args.connect().await.unwrap_err());
        assert!(
            err.contains("does not hold a valid user seed"),
            "bad seed: {err}"
        );
        // The right seed: a node replicates through the authenticated connection.
        args.nkey_seed_file = Some(seed_file(d.path(), "user.nk", &user));
        let c = args.connect().await?;
        let mut cfg = NodeConfig::new(T, 8, d.path().join("n8"));
        cfg.contexts = 16;
        let n = Node::start(c, cfg).await?;
        n.ops(vec![Op::Accum(2, 0x77)]).await?;
        n.sync().await?;
        assert_eq!(n.dump().await?[2], 0x77);
        n.shutdown().await?;
        Ok(())
    });
}

/// A CA and a server certificate for 127.0.0.1, made with openssl(1).
fn make_certs(dir: &std::path::Path) {
    let sh = |args: &[&str]| {
        let st = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl is needed for the TLS test");
        assert!(st.success(), "openssl {args:?} failed");
    };
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .expect("write ext");
    sh(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "1",
        "-subj",
        "/CN=atomik-test-ca",
    ]);
    sh(&[
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=localhost",
    ]);
    sh(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "1",
        "-extfile",
        "ext.cnf",
    ]);
}

#[test]
fn tls_with_the_right_ca_connects_and_without_it_fails_clearly() {
    let certs = tempfile::tempdir().expect("temp dir");
    make_certs(certs.path());
    let p = |f: &str| certs.path().join(f);
    let tls = format!(
        "tls {{ cert_file: {:?}, key_file: {:?} }}",
        p("server.pem"),
        p("server.key")
    );
    let s = NatsServer::start(&tls);
    let url = format!("tls://127.0.0.1:{}", s.port());
    run(30, async move {
        let mut args = ConnArgs::plain(&url);
        let err = args.connect().await.unwrap_err().to_string();
        assert!(err.contains("TLS"), "{err}");
        args.tls_ca = Some(p("ca.pem"));
        let c = args.connect().await?;
        // A node works over TLS like over plain TCP.
        let d = tempfile::tempdir()?;
        let mut cfg = NodeConfig::new(T, 9, d.path());
        cfg.contexts = 16;
        let n = Node::start(c, cfg).await?;
        n.ops(vec![Op::Accum(1, 5)]).await?;
        n.sync().await?;
        assert_eq!(n.dump().await?[1], 5);
        Ok(())
    });
}
