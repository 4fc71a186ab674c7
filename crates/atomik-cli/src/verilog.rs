//! `atomik verilog`: emit the state table as Verilog (rust-hdl).

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use atomik_codegen::{self as codegen, Mode, Outcome, ensure_file_contents};
use atomik_hdl::{Forwarding, LaneVariant};

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
    #[arg(long)]
    mutant_no_forwarding: bool,
    /// Emit the multi-lane table (256 x 64, control port + N ACCUM lanes;
    /// N = 2, 3, 4, 6, 8, 12 or 16) as DIR/atomik_lane_table.v.
    #[arg(long, value_name = "N", conflicts_with_all = ["contexts", "width", "mutant_no_forwarding"])]
    lanes: Option<usize>,
    /// With --lanes: emit the deliberately broken mutant whose LOAD/SWAP
    /// forget the lane banks (for testing tests).
    #[arg(long, requires = "lanes")]
    mutant_load_forgets_lanes: bool,
    /// Compare with the files in DIR instead of writing; fail on any difference.
    #[arg(long)]
    check: bool,
}

/// Writes (or with `check`, compares) one generated file; `false` if it drifted.
fn write_or_check(dir: &Path, rel: &str, text: &str, check: bool) -> Result<bool> {
    let path = dir.join(rel);
    match ensure_file_contents(
        &path,
        text.as_bytes(),
        Mode::from_check_flag(check),
        "just verilog",
    ) {
        Ok(Outcome::UpToDate) => println!("{} is up to date", path.display()),
        Ok(Outcome::Written) => println!("wrote {}", path.display()),
        // Report every drifted file, then fail once at the end.
        Err(e @ codegen::Error::Drift { .. }) => {
            eprintln!("{e}");
            return Ok(false);
        }
        Err(e) => return Err(e.into()),
    }
    Ok(true)
}

pub(crate) fn run(a: &VerilogArgs) -> Result<()> {
    let files = if let Some(n) = a.lanes {
        let variant = if a.mutant_load_forgets_lanes {
            LaneVariant::LoadForgetsLanes
        } else {
            LaneVariant::Correct
        };
        let text = atomik_hdl::lane_verilog(n, variant)?;
        vec![("atomik_lane_table.v".to_string(), text)]
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
