//! `atomik verilog`: emit the state table as Verilog (rust-hdl).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use atomik_hdl::Forwarding;

/// What to emit and where.
#[derive(Debug, clap::Args)]
pub(crate) struct VerilogArgs {
    /// Number of contexts (16, 64, 256 or 1024).
    #[arg(long, default_value_t = atomik_hdl::DEFAULT_CONTEXTS)]
    contexts: usize,
    /// Bits per context (8, 16, 32 or 64).
    #[arg(long, default_value_t = atomik_hdl::DEFAULT_WIDTH)]
    width: u32,
    /// Output directory; the file is DIR/atomik_state_table.v.
    #[arg(short, long, default_value = "hdl/verilog")]
    out: PathBuf,
    /// Emit the deliberately broken no-forwarding mutant (for testing tests).
    #[arg(long, conflicts_with = "all")]
    mutant_no_forwarding: bool,
    /// Emit every file committed under hdl/verilog (default, presets, mutant).
    #[arg(long, conflicts_with_all = ["contexts", "width"])]
    all: bool,
    /// Compare with the files in DIR instead of writing; fail on any difference.
    #[arg(long)]
    check: bool,
}

fn write_or_check(dir: &Path, rel: &str, text: &str, check: bool) -> Result<bool> {
    let path = dir.join(rel);
    if check {
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        if old != text {
            eprintln!("{} differs from what atomik-hdl generates", path.display());
            return Ok(false);
        }
        println!("{} is up to date", path.display());
    } else {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(true)
}

pub(crate) fn run(a: &VerilogArgs) -> Result<()> {
    let files = if a.all {
        atomik_hdl::committed_files()
    } else {
        let forwarding = if a.mutant_no_forwarding {
            Forwarding::NONE
        } else {
            Forwarding::ALL
        };
        let text = atomik_hdl::verilog(a.contexts, a.width, forwarding)?;
        vec![("atomik_state_table.v".to_string(), text)]
    };
    let mut up_to_date = true;
    for (rel, text) in &files {
        up_to_date &= write_or_check(&a.out, rel, text, a.check)?;
    }
    if !up_to_date {
        bail!(
            "generated Verilog drifted from atomik-hdl: run `just verilog` and commit the result"
        );
    }
    Ok(())
}
