//! Writes (or with `--check`, compares) every generated file committed under
//! `hdl/`: one Verilog file per design of the catalogue (`hdl/verilog/`,
//! `hdl/boards/`), and the catalogue as `hdl/verilog/designs.json`.
//!
//! `cargo run -p atomik-hdl --example emit -- [--check] [ROOT]` (ROOT: the
//! repository root, by default this one)
//!
//! `just verilog` and `just verilog-check` run this, not the `atomik` CLI:
//! the CLI links the Verilator models, which are built from the committed
//! Verilog, so a broken committed file could not be regenerated through it.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut check = false;
    let mut dir = atomik_codegen::workspace_root();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--check" => check = true,
            other => dir = other.into(),
        }
    }
    let files = match atomik_hdl::committed_files() {
        Ok(files) => files,
        Err(e) => {
            eprintln!("emit: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mode = atomik_codegen::Mode::from_check_flag(check);
    let mut ok = true;
    for (rel, text) in files {
        let path = dir.join(&rel);
        match atomik_codegen::ensure_file_contents(&path, text.as_bytes(), mode, "just verilog") {
            Ok(atomik_codegen::Outcome::UpToDate) => println!("{} is up to date", path.display()),
            Ok(atomik_codegen::Outcome::Written) => println!("wrote {}", path.display()),
            // Report every drifted file, then fail once at the end.
            Err(e) => {
                eprintln!("{e}");
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
