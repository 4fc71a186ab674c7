//! `atomik-header [--check] [PATH]`: generates the C header of libatomik_core
//! from crates/atomik-ffi with cbindgen (default PATH: bindings/c/atomik_core.h).
//! With `--check`, compares instead of writing and fails on any difference:
//! `just test` runs this so the committed header cannot drift.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/atomik-header lives two levels below the workspace root")
        .to_path_buf()
}

/// The header text, generated from the ffi crate's sources.
fn generate(root: &Path) -> Result<Vec<u8>> {
    let ffi = root.join("crates/atomik-ffi");
    let mut config = cbindgen::Config::from_file(ffi.join("cbindgen.toml"))
        .map_err(|e| anyhow::anyhow!("reading cbindgen.toml: {e}"))?;
    // The header and the library share the workspace version.
    let (major, minor, patch) = (
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
    );
    let composite: u32 =
        major.parse::<u32>()? * 10_000 + minor.parse::<u32>()? * 100 + patch.parse::<u32>()?;
    let version = format!(
        "\n/* Version of the API this header declares; atomik_version() returns the library's. */\n\
         #define ATOMIK_VERSION_MAJOR {major}\n\
         #define ATOMIK_VERSION_MINOR {minor}\n\
         #define ATOMIK_VERSION_PATCH {patch}\n\
         /* major * 10000 + minor * 100 + patch */\n\
         #define ATOMIK_VERSION {composite}\n\
         #define ATOMIK_VERSION_STRING \"{}\"\n",
        env!("CARGO_PKG_VERSION")
    );
    config.after_includes = Some(format!(
        "{}\n{version}",
        config.after_includes.unwrap_or_default()
    ));
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_crate(&ffi)
        .generate()
        .context("cbindgen failed to generate the header")?;
    let mut out = Vec::new();
    bindings.write(&mut out);
    Ok(out)
}

fn run() -> Result<()> {
    let mut check = false;
    let mut path = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--check" => check = true,
            "-h" | "--help" => {
                println!("usage: atomik-header [--check] [PATH]");
                return Ok(());
            }
            a if a.starts_with('-') => {
                bail!("unknown option {a} (usage: atomik-header [--check] [PATH])")
            }
            a => path = Some(PathBuf::from(a)),
        }
    }
    let root = workspace_root();
    let path = path.unwrap_or_else(|| root.join("bindings/c/atomik_core.h"));
    let fresh = generate(&root)?;
    if check {
        let committed =
            std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        if committed != fresh {
            bail!(
                "{} is out of date with crates/atomik-ffi: run `just header` and commit the result",
                path.display()
            );
        }
        println!("{} is up to date", path.display());
    } else {
        std::fs::write(&path, &fresh).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("atomik-header: {e:#}");
            ExitCode::FAILURE
        }
    }
}
