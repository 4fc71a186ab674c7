//! # atomik — the ATOMiK delta-state algebra
//!
//! A [`Context`] holds a `reference` and an `accumulator`:
//!
//! * LOAD v → `reference = v`, `accumulator = 0`
//! * ACCUM d → `accumulator ^= d`
//! * READ → `reference ^ accumulator`
//! * SWAP → return the current state, start a new epoch from a given reference
//!   ([`Context::swap`]) or from the current state ([`Context::swap_keep`]).
//!
//! Deltas commute and are self-inverse, which gives rollback and merge for
//! free. A [`Table`] is `N` independent contexts (the hardware has 256 × 64
//! bit); [`xor_fold`] and [`PositionalFingerprint`] detect changes; [`wire`]
//! and [`Replica`] stream deltas between nodes safely.
//!
//! ```
//! use atomik::Context;
//! let mut ctx = Context::<u64>::new();
//! ctx.load(0xDEAD_BEEF_CAFE_BABE);
//! ctx.accum(0xFF);
//! assert_eq!(ctx.read(), 0xDEAD_BEEF_CAFE_BA41);
//! ctx.rollback(0xFF);
//! assert_eq!(ctx.read(), 0xDEAD_BEEF_CAFE_BABE);
//! ```
//!
//! The crate is `no_std` with no dependencies. The default `alloc` feature
//! adds [`Table`], [`Replica`] and the other heap-backed types.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;

mod context;
pub mod fingerprint;
pub mod op;
#[cfg(feature = "alloc")]
pub mod replica;
#[cfg(feature = "alloc")]
mod table;
pub mod version;
pub mod wire;
mod word;

pub use context::{Context, ReferenceMismatch};
pub use fingerprint::{
    Fingerprint, PositionalFingerprint, UnsupportedWidth, positional_fold, xor_fold, xor_fold_bits,
};
pub use op::Opcode;
#[cfg(feature = "alloc")]
pub use replica::{Gap, Outcome, Replica, ReplicaConfig, ReplicaError, ReplicaStats};
#[cfg(feature = "alloc")]
pub use table::{OpOutput, Table, TableError, accum_batch_slots};
pub use version::{VERSION, VERSION_NUMBER};
pub use wire::{CompatRecord, DeltaMsg, MsgKind, WireError};
pub use word::Word;

// Compiles and runs the README's Rust example as a doctest.
#[cfg(all(doctest, feature = "alloc"))]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
