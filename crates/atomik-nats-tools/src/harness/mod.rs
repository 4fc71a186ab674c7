//! What the tools and tests start and break: servers, links, disks.

pub mod disk;
pub mod proxy;
pub mod server;

/// A fresh directory under the system's temp dir for one run's servers,
/// stores and data; the caller removes it.
pub fn tempdir(what: &str) -> anyhow::Result<std::path::PathBuf> {
    let d = std::env::temp_dir().join(format!(
        "atomik-{what}-{}-{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
