//! `atomik-header [--check] [PATH]`: generates the C header of libatomik_core
//! from crates/atomik-ffi with cbindgen (default PATH: bindings/c/atomik_core.h).
//! With `--check`, compares instead of writing and fails on any difference:
//! `just test` runs this so the committed header cannot drift.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use atomik::version::{VERSION, VERSION_MAJOR, VERSION_MINOR, VERSION_NUMBER, VERSION_PATCH};
use atomik_codegen::{Mode, Outcome, ensure_file_contents, workspace_root};

/// The header text, generated from the ffi crate's sources.
fn generate(root: &Path) -> Result<Vec<u8>> {
    let ffi = root.join("crates/atomik-ffi");
    let mut config = cbindgen::Config::from_file(ffi.join("cbindgen.toml"))
        .map_err(|e| anyhow::anyhow!("reading cbindgen.toml: {e}"))?;
    // The header and the library share the workspace version, composed once
    // in the core crate.
    let version = format!(
        "\n/* Version of the API this header declares; atomik_version() returns the library's. */\n\
         #define ATOMIK_VERSION_MAJOR {VERSION_MAJOR}\n\
         #define ATOMIK_VERSION_MINOR {VERSION_MINOR}\n\
         #define ATOMIK_VERSION_PATCH {VERSION_PATCH}\n\
         /* major * 10000 + minor * 100 + patch */\n\
         #define ATOMIK_VERSION {VERSION_NUMBER}\n\
         #define ATOMIK_VERSION_STRING \"{VERSION}\"\n"
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
    match ensure_file_contents(&path, &fresh, Mode::from_check_flag(check), "just header")? {
        Outcome::UpToDate => println!("{} is up to date", path.display()),
        Outcome::Written => println!("wrote {}", path.display()),
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
