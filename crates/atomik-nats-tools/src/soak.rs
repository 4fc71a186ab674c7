//! `atomik-nats soak`: placeholder.

/// Arguments of `atomik-nats soak`.
#[derive(Debug, clap::Args)]
pub struct SoakArgs {}

/// Runs the soak.
pub fn run(_args: &SoakArgs) -> anyhow::Result<()> {
    Ok(())
}
