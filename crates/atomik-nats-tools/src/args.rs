//! Command-line flags shared by the tools: how to reach the servers.

use std::path::PathBuf;

use atomik_nats::ConnOptions;

/// Server address and credentials (`--nats`, `--user`, … on every subcommand).
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

impl ConnArgs {
    /// The library's connection options.
    pub fn options(&self) -> ConnOptions {
        ConnOptions {
            url: self.url.clone(),
            user: self.user.clone(),
            password: self.password.clone(),
            nkey_seed_file: self.nkey_seed_file.clone(),
            tls_ca: self.tls_ca.clone(),
            tls_client: self.tls_cert.clone().zip(self.tls_key.clone()),
        }
    }
}

/// A multi-threaded runtime with two workers (the tools' machine has two cores).
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}
