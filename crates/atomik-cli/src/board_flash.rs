//! `atomik board flash <board>`: the openFPGALoader command that loads the
//! bitstream `just boards` built for a board.
//!
//! The build (`hdl/boards/boards.py`) writes `build.json` beside every
//! bitstream: the board, its openFPGALoader board name (from the design
//! catalogue) and the bitstream's file name. The command comes from that
//! record, so what is flashed is what was built and the bitstream formats
//! are not listed a second time here. The record's loader name must still
//! be the catalogue's: a record from an older build is refused.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};
use atomik_hdl::designs::{BoardFlow, DESIGNS, Family};
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
    let flow = catalogue_flow(board)?;
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
    if build.loader != flow.loader {
        bail!(
            "{} names loader {:?}, the catalogue {:?}: rebuild it (`just boards`)",
            record.display(),
            build.loader,
            flow.loader
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

/// The build flow of the catalogue's board `key`; an error lists the boards.
fn catalogue_flow(key: &str) -> Result<BoardFlow> {
    let mut boards = DESIGNS.iter().filter_map(|d| match d.family {
        Family::Board(b) => b.flow.map(|flow| (b.key, flow)),
        _ => None,
    });
    boards
        .clone()
        .find(|(k, _)| *k == key)
        .map(|(_, flow)| flow)
        .ok_or_else(|| {
            let known: Vec<&str> = boards.by_ref().map(|(k, _)| k).collect();
            anyhow!(
                "no board {key:?} to flash; the boards: {}",
                known.join(", ")
            )
        })
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
    fn an_unknown_board_lists_the_boards() {
        let err = command("de10nano", &scratch()).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("tangnano9k, icebreaker, ulx3s"), "{msg}");
    }

    #[test]
    fn the_simulation_board_cannot_be_flashed() {
        assert!(command("sim", &scratch()).is_err());
    }

    #[test]
    fn a_record_with_another_loader_is_refused() {
        let dir = built("ulx3s", "ulx3s_dfu", "atomik_board.bit");
        let err = command("ulx3s", &dir).unwrap_err();
        assert!(format!("{err:#}").contains("just boards"), "{err:#}");
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
