//! Connecting to NATS: address, user/password or nkey auth, TLS.
//!
//! [`ConnOptions`] is plain data, so any front end (the `atomik node` command
//! line, a Python binding, a test) fills it in its own way and calls
//! [`ConnOptions::connect`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use async_nats::{ConnectErrorKind, ConnectOptions};

/// How to reach and authenticate to the NATS servers.
#[derive(Clone, Debug, Default)]
pub struct ConnOptions {
    /// Server URL(s), comma separated, e.g. `nats://127.0.0.1:4222` or `tls://host:4222`.
    pub url: String,
    /// User name for user/password auth (needs `password`).
    pub user: Option<String>,
    /// Password for user/password auth (needs `user`).
    pub password: Option<String>,
    /// File holding an nkey user seed (`SU...`) for nkey auth.
    pub nkey_seed_file: Option<PathBuf>,
    /// PEM file of the CA that signed the server's certificate (makes TLS mandatory).
    pub tls_ca: Option<PathBuf>,
    /// PEM client certificate and its key, for servers that verify clients.
    pub tls_client: Option<(PathBuf, PathBuf)>,
}

/// Reads a user nkey seed (`SU…`) and checks it. The client would only log
/// a bad seed and connect without it, so the server's "authorization
/// violation" would hide the real cause.
fn read_nkey_seed(f: &Path) -> anyhow::Result<String> {
    let seed = std::fs::read_to_string(f)
        .with_context(|| format!("reading nkey seed file {}", f.display()))?;
    let seed = seed.trim().to_owned();
    let ok = seed.starts_with("SU") && nkeys::KeyPair::from_seed(&seed).is_ok();
    anyhow::ensure!(
        ok,
        "nkey seed file {} does not hold a valid user seed (one line starting with SU)",
        f.display()
    );
    Ok(seed)
}

/// What to tell the user for each way connecting can fail.
fn hint(e: &async_nats::ConnectError) -> &'static str {
    // rustls certificate failures surface as I/O errors.
    let tls_failed = e.kind() == ConnectErrorKind::Tls || e.to_string().contains("certificate");
    match e.kind() {
        _ if tls_failed => {
            "TLS failed: check --tls-ca (and --tls-cert/--tls-key if the server verifies clients)"
        }
        ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication => {
            "the server rejected the credentials: check --user/--password or --nkey-seed-file"
        }
        ConnectErrorKind::TimedOut | ConnectErrorKind::Io => {
            "is nats-server running and reachable at that address?"
        }
        _ => "check the --nats URL",
    }
}

impl ConnOptions {
    /// Plain connection to `url` without auth or TLS.
    pub fn plain(url: impl Into<String>) -> Self {
        ConnOptions {
            url: url.into(),
            ..ConnOptions::default()
        }
    }

    fn options(&self) -> anyhow::Result<ConnectOptions> {
        let mut o = ConnectOptions::new()
            .connection_timeout(Duration::from_secs(5))
            // A node must survive a server restart, a fail-over or a
            // partition, so it reconnects forever once it has connected.
            .max_reconnects(None)
            // Publishes made while disconnected wait in the client; the
            // node bounds what it queues itself (see `NodeConfig::max_unacked`).
            .client_capacity(65_536);
        match (&self.user, &self.password) {
            (Some(u), Some(p)) => o = o.user_and_password(u.clone(), p.clone()),
            (None, None) => {}
            _ => anyhow::bail!("--user and --password must be given together"),
        }
        if let Some(f) = &self.nkey_seed_file {
            o = o.nkey(read_nkey_seed(f)?);
        }
        if let Some(ca) = &self.tls_ca {
            o = o.add_root_certificates(ca.clone()).require_tls(true);
        }
        if let Some((c, k)) = &self.tls_client {
            o = o.add_client_certificate(c.clone(), k.clone());
        }
        Ok(o)
    }

    /// Connects, turning the client's error kinds into messages that say
    /// what to fix. Must run inside a tokio runtime (the client spawns its
    /// connection task); [`crate::blocking`] brings its own.
    pub async fn connect(&self) -> anyhow::Result<async_nats::Client> {
        let opts = self.options()?;
        let addrs = self
            .url
            .split(',')
            .map(|u| u.trim().parse::<async_nats::ServerAddr>())
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("bad --nats URL {:?}", self.url))?;
        opts.connect(addrs).await.map_err(|e| {
            anyhow::anyhow!("cannot connect to NATS at {}: {e} ({})", self.url, hint(&e))
        })
    }
}
