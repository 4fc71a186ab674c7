//! Connecting to NATS: address, user/password or nkey auth, TLS.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::{ConnectErrorKind, ConnectOptions};

/// How to reach and authenticate to the NATS servers (shared by every subcommand).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ConnArgs {
    /// Server URL(s), comma separated, e.g. `nats://127.0.0.1:4222` or `tls://host:4222`.
    #[arg(long = "nats", default_value = "nats://127.0.0.1:4222")]
    pub url: String,
    /// User name for user/password auth.
    #[arg(long)]
    pub user: Option<String>,
    /// Password for user/password auth (prefer the environment variable).
    #[arg(long, env = "ATOMIK_NATS_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// File holding an nkey seed (`SU...`) for nkey auth.
    #[arg(long)]
    pub nkey_seed_file: Option<PathBuf>,
    /// PEM file of the CA that signed the server's certificate (enables TLS).
    #[arg(long)]
    pub tls_ca: Option<PathBuf>,
    /// PEM client certificate, for servers that verify clients (needs `--tls-key`).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `--tls-cert`.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// Reads a user nkey seed (`SU…`) and checks it. The client would only log
/// a bad seed and connect without it, so the server's "authorization
/// violation" would hide the real cause.
fn read_nkey_seed(f: &std::path::Path) -> anyhow::Result<String> {
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

impl ConnArgs {
    /// Plain connection to `url` without auth or TLS.
    pub fn plain(url: impl Into<String>) -> Self {
        ConnArgs {
            url: url.into(),
            ..ConnArgs::default()
        }
    }

    fn options(&self) -> anyhow::Result<ConnectOptions> {
        let mut o = ConnectOptions::new()
            .connection_timeout(Duration::from_secs(5))
            // A node must survive a server restart or fail-over, so reconnect
            // forever after the first connection succeeded.
            .max_reconnects(None);
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
        if let (Some(c), Some(k)) = (&self.tls_cert, &self.tls_key) {
            o = o.add_client_certificate(c.clone(), k.clone());
        }
        Ok(o)
    }

    /// Connects, turning the client's error kinds into messages that say what to fix.
    pub async fn connect(&self) -> anyhow::Result<async_nats::Client> {
        let opts = self.options()?;
        let addrs = self
            .url
            .split(',')
            .map(|u| u.trim().parse::<async_nats::ServerAddr>())
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("bad --nats URL {:?}", self.url))?;
        opts.connect(addrs).await.map_err(|e| {
            // rustls certificate failures surface as I/O errors.
            let tls_failed = e.kind() == ConnectErrorKind::Tls || e.to_string().contains("certificate");
            let hint = match e.kind() {
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
            };
            anyhow::anyhow!("cannot connect to NATS at {}: {e} ({hint})", self.url)
        })
    }
}
