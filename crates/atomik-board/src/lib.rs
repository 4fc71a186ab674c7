//! # atomik-board — the host driver of an atomik board
//!
//! A board (docs/board.md) puts the 256 × 64 state table behind a UART.
//! This crate opens the serial port and talks to it:
//!
//! - [`BoardTable`]: the core `Table`'s operations in framed mode (CRC-checked
//!   frames of up to 16 ops, a window of 8 frames in flight, go-back-N
//!   recovery; every op applied exactly once), single ops and pipelined
//!   batches, with typed [`Error`]s and timeouts;
//! - [`Compat`]: the original project's byte commands on context 0;
//! - [`codec`]: the frames as bytes, shared with the co-simulation;
//! - [`scenario`]: the ops and results every face of the driver is tested with.
//!
//! ```no_run
//! use atomik_board::{BoardTable, Op, Options, DEFAULT_BAUD};
//! let mut t = BoardTable::open("/dev/ttyUSB0", DEFAULT_BAUD, Options::default())?;
//! t.load(7, 0xDEAD_BEEF)?;
//! t.accum(7, 0xFF)?;
//! assert_eq!(t.read(7)?, 0xDEAD_BE10);
//! // Many ops per call, pipelined across frames:
//! let results = t.execute(&[Op::accum(1, 5), Op::read(1), Op::swap_keep(7)])?;
//! # Ok::<(), atomik_board::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod clock;
pub mod codec;
pub mod compat;
mod error;
pub mod link;
pub mod scenario;
mod table;
pub mod transport;

pub use clock::{Clock, WallClock};
pub use codec::{Mode, Op, OpResult, Status};
pub use compat::{Command, Compat};
pub use error::{Error, Result};
pub use link::{Link, Options, Stats};
pub use table::{BoardTable, CONTEXTS, DEFAULT_BAUD, addr8};
pub use transport::{Serial, Transport};
