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

/// The machine's 1-minute load average (`/proc/loadavg`), for the reports:
/// every latency number is quoted with the load it was measured under.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
