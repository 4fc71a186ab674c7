//! `atomik board flash <board>`: the openFPGALoader command that loads the
//! bitstream `just boards` built for a board.
//!
//! The build (`hdl/boards/boards.py`) writes `build.json` beside every
//! bitstream: the board, its openFPGALoader board name (from the design
//! catalogue) and the bitstream's file name. The command comes from that
//! record, so what is flashed is what was built, and neither the loader
//! names nor the bitstream formats are listed a second time here.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// The fields of `build.json` the command needs (the record holds more:
/// timing, resources, the bitstream's sha256).
#[derive(Debug, Deserialize)]
struct Build {
    /// The board it was built for.
    board: String,
    /// openFPGALoader's name for the board (`-b`).
    loader: String,
    /// The bitstream's file name, in the same directory.
    bitstream: String,
}

/// The openFPGALoader command that loads `board`'s bitstream from
/// `bitstream_dir`, the directory `just boards` wrote it to
/// (`target/boards/<board>`). Nothing runs here: the caller runs the
/// command, or prints it for `--dry-run`.
///
/// Fails with a message that says what to do when the build record is
/// missing or unreadable, names another board, or points at a bitstream
/// that is not there.
pub(crate) fn command(board: &str, bitstream_dir: &Path) -> Result<Command> {
    let record = bitstream_dir.join("build.json");
    let text = std::fs::read_to_string(&record).with_context(|| {
        format!(
            "no build record {}: build the bitstream first (`just boards`)",
            record.display()
        )
    })?;
    let build: Build = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a build record of `just boards`",
            record.display()
        )
    })?;
    if build.board != board {
        bail!(
            "{} is the build of board {:?}, not {board:?}",
            record.display(),
            build.board
        );
    }
    // A bare file name: a record must not send the loader outside its directory.
    let name = Path::new(&build.bitstream);
    if name.file_name() != Some(OsStr::new(&build.bitstream)) {
        bail!(
            "{}: bitstream {:?} is not a file name",
            record.display(),
            build.bitstream
        );
    }
    let bitstream = bitstream_dir.join(name);
    if !bitstream.is_file() {
        bail!(
            "no bitstream {} (named by {}): rebuild it (`just boards`)",
            bitstream.display(),
            record.display()
        );
    }
    let mut cmd = Command::new("openFPGALoader");
    cmd.arg("-b").arg(&build.loader).arg(&bitstream);
    Ok(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh directory under the system's temporary directory.
    fn scratch() -> PathBuf {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "atomik-board-flash-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A build directory as `just boards` leaves it (build.json abridged to
    /// the fields the command reads, plus one it ignores).
    fn built(board: &str, loader: &str, bitstream: &str) -> PathBuf {
        let dir = scratch().join(board);
        std::fs::create_dir_all(&dir).unwrap();
        let record = serde_json::json!({
            "board": board, "loader": loader, "bitstream": bitstream, "sha256": "00",
        });
        std::fs::write(dir.join("build.json"), record.to_string()).unwrap();
        std::fs::write(dir.join(bitstream), b"bits").unwrap();
        dir
    }

    fn args(cmd: &Command) -> Vec<String> {
        cmd.get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn command_lines_of_the_three_boards() {
        for (board, loader, file) in [
            ("tangnano9k", "tangnano9k", "atomik_board.fs"),
            ("icebreaker", "ice40_generic", "atomik_board.bin"),
            ("ulx3s", "ulx3s", "atomik_board.bit"),
        ] {
            let dir = built(board, loader, file);
            let cmd = command(board, &dir).unwrap();
            assert_eq!(cmd.get_program(), "openFPGALoader");
            let path = dir.join(file).to_string_lossy().into_owned();
            assert_eq!(args(&cmd), ["-b", loader, path.as_str()], "{board}");
        }
    }

    #[test]
    fn a_missing_build_says_to_run_just_boards() {
        let err = command("ulx3s", &scratch().join("ulx3s")).unwrap_err();
        assert!(format!("{err:#}").contains("just boards"), "{err:#}");
    }

    #[test]
    fn a_missing_bitstream_is_an_error() {
        let dir = built("ulx3s", "ulx3s", "atomik_board.bit");
        std::fs::remove_file(dir.join("atomik_board.bit")).unwrap();
        let err = command("ulx3s", &dir).unwrap_err();
        assert!(format!("{err:#}").contains("no bitstream"), "{err:#}");
    }

    #[test]
    fn another_boards_build_is_refused() {
        let dir = built("icebreaker", "ice40_generic", "atomik_board.bin");
        let err = command("tangnano9k", &dir).unwrap_err();
        assert!(format!("{err:#}").contains("not \"tangnano9k\""), "{err:#}");
    }

    #[test]
    fn a_bitstream_outside_the_directory_is_refused() {
        for name in ["../atomik_board.fs", "/etc/passwd", ""] {
            let dir = built("tangnano9k", "tangnano9k", "atomik_board.fs");
            let record = serde_json::json!({
                "board": "tangnano9k", "loader": "tangnano9k", "bitstream": name,
            });
            std::fs::write(dir.join("build.json"), record.to_string()).unwrap();
            let err = command("tangnano9k", &dir).unwrap_err();
            assert!(
                format!("{err:#}").contains("not a file name"),
                "{name}: {err:#}"
            );
        }
    }

    #[test]
    fn a_corrupt_record_is_an_error() {
        let dir = built("tangnano9k", "tangnano9k", "atomik_board.fs");
        std::fs::write(dir.join("build.json"), "{\"board\": ").unwrap();
        let err = command("tangnano9k", &dir).unwrap_err();
        assert!(format!("{err:#}").contains("not a build record"), "{err:#}");
    }
}
