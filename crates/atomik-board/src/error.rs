//! The driver's errors: one enum, each variant says what happened to the
//! ops involved.

use std::time::Duration;

/// What can go wrong talking to a board.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The serial port could not be opened or configured.
    #[error("cannot open the serial port {path}: {source}")]
    Open {
        /// The path given.
        path: String,
        /// Why.
        source: serialport::Error,
    },
    /// Reading or writing the port failed.
    #[error("serial port I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// No progress for the configured timeout. Frames already handed to the
    /// link stay queued: the next call resends them first, and the board
    /// still applies each at most once.
    #[error(
        "no reply from the board for {waited:?} ({pending_frames} frames unacknowledged; \
         the next call resends them, and none is ever applied twice)"
    )]
    Timeout {
        /// How long the driver waited without progress.
        waited: Duration,
        /// Frames sent and not yet acknowledged.
        pending_frames: usize,
    },
    /// The board was reset (button, power, or a CLOSE from another
    /// program): its table is cleared, and the ops in flight were lost, not
    /// applied. The next call starts a new session.
    #[error(
        "the board was reset: its table is cleared and {lost_ops} ops in flight were lost \
         (not applied)"
    )]
    BoardReset {
        /// Ops that had been sent and not acknowledged.
        lost_ops: usize,
    },
    /// The board sent a well-formed frame that contradicts the protocol.
    #[error("protocol violation by the board: {0}")]
    Protocol(String),
    /// The board speaks another protocol version.
    #[error("the board speaks link protocol version {found}; this driver speaks {expected}")]
    Version {
        /// What the board reported.
        found: u8,
        /// What this driver speaks.
        expected: u8,
    },
    /// A context address beyond the board's 256.
    #[error("context {addr} out of range [0, 255]")]
    AddrOutOfRange {
        /// The address given.
        addr: usize,
    },
    /// In compatible mode, a reply was shorter than its command's.
    #[error("compatible mode: {got} of {expected} reply bytes within {waited:?}")]
    ShortReply {
        /// Bytes received.
        got: usize,
        /// Bytes the command answers with.
        expected: usize,
        /// How long the driver waited.
        waited: Duration,
    },
}

/// The driver's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
