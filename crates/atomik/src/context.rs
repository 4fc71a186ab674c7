//! A single delta-state context.

use crate::word::{Word, xor_reduce};

/// One context: a `reference` value and an `accumulator` of XOR deltas.
///
/// The observable state is `reference ^ accumulator`. Deltas commute, are
/// associative, and each is its own inverse, so a context can absorb updates
/// in any order and undo any of them by applying it again ([`Context::rollback`]).
///
/// `delta_count` counts ACCUMs since the last LOAD/SWAP and wraps at `u32::MAX`
/// exactly like the original C library's `uint32_t` counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Context<W: Word> {
    reference: W,
    accumulator: W,
    delta_count: u32,
}

/// Returned by [`Context::try_merge`] when the two contexts do not share a
/// reference, so merging their accumulators would describe neither state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReferenceMismatch<W: Word> {
    /// Reference of the context being merged into.
    pub ours: W,
    /// Reference of the context being merged from.
    pub theirs: W,
}

impl<W: Word> core::fmt::Display for ReferenceMismatch<W> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "cannot merge contexts with different references ({:#x} vs {:#x})",
            self.ours, self.theirs
        )
    }
}

impl<W: Word> core::error::Error for ReferenceMismatch<W> {}

impl<W: Word> Context<W> {
    /// A context whose state is 0.
    pub const fn new() -> Self {
        Context {
            reference: W::ZERO,
            accumulator: W::ZERO,
            delta_count: 0,
        }
    }

    /// A context loaded with `reference`.
    pub const fn with_reference(reference: W) -> Self {
        Context {
            reference,
            accumulator: W::ZERO,
            delta_count: 0,
        }
    }

    /// Rebuilds a context from its three fields (e.g. from a C struct).
    pub const fn from_parts(reference: W, accumulator: W, delta_count: u32) -> Self {
        Context {
            reference,
            accumulator,
            delta_count,
        }
    }

    /// LOAD: `reference = value`, accumulator and delta count cleared.
    #[inline]
    pub fn load(&mut self, value: W) {
        *self = Self::with_reference(value);
    }

    /// ACCUM: `accumulator ^= delta`.
    #[inline]
    pub fn accum(&mut self, delta: W) {
        self.accumulator ^= delta;
        self.delta_count = self.delta_count.wrapping_add(1);
    }

    /// ACCUM of every delta in `deltas`, in one pass the compiler vectorises.
    /// Equivalent to calling [`Context::accum`] for each element.
    #[inline]
    pub fn accum_slice(&mut self, deltas: &[W]) {
        self.accumulator ^= xor_reduce(deltas);
        // The counter is a u32 that wraps; only the low 32 bits of the length matter.
        #[allow(clippy::cast_possible_truncation)]
        let n = deltas.len() as u32;
        self.delta_count = self.delta_count.wrapping_add(n);
    }

    /// Exactly reverts one [`Context::accum`], delta count included (unlike
    /// [`Context::rollback`], which counts as another delta). Batch
    /// operations use it to stay all-or-nothing in a single pass.
    #[inline]
    pub fn unaccum(&mut self, delta: W) {
        self.accumulator ^= delta;
        self.delta_count = self.delta_count.wrapping_sub(1);
    }

    /// Undoes a previously applied `delta`. XOR is self-inverse, so this is
    /// ACCUM again (and counts as a delta, as in the original library).
    #[inline]
    pub fn rollback(&mut self, delta: W) {
        self.accum(delta);
    }

    /// READ: the current state `reference ^ accumulator`.
    #[inline]
    pub fn read(&self) -> W {
        self.reference ^ self.accumulator
    }

    /// SWAP: returns the current state and starts a new epoch from `new_reference`.
    #[inline]
    pub fn swap(&mut self, new_reference: W) -> W {
        let current = self.read();
        self.load(new_reference);
        current
    }

    /// SWAP_KEEP: returns the current state and starts a new epoch from it
    /// (the original C `atomik_swap(ctx)` and Python `swap(None)`).
    #[inline]
    pub fn swap_keep(&mut self) -> W {
        let current = self.read();
        self.load(current);
        current
    }

    /// MERGE: folds `other`'s accumulated deltas into this context.
    ///
    /// This does not compare references: it is only meaningful when both
    /// contexts started from the same reference. Use [`Context::try_merge`]
    /// when that is not guaranteed by construction.
    #[inline]
    pub fn merge(&mut self, other: &Context<W>) {
        self.accumulator ^= other.accumulator;
        self.delta_count = self.delta_count.wrapping_add(other.delta_count);
    }

    /// MERGE that refuses to combine contexts with different references
    /// (the result would be a state neither side ever had). On error `self`
    /// is unchanged.
    pub fn try_merge(&mut self, other: &Context<W>) -> Result<(), ReferenceMismatch<W>> {
        if self.reference != other.reference {
            return Err(ReferenceMismatch {
                ours: self.reference,
                theirs: other.reference,
            });
        }
        self.merge(other);
        Ok(())
    }

    /// The reference value of the current epoch.
    #[inline]
    pub fn reference(&self) -> W {
        self.reference
    }

    /// The XOR of all deltas applied in the current epoch.
    #[inline]
    pub fn accumulator(&self) -> W {
        self.accumulator
    }

    /// True when no net change has accumulated (`accumulator == 0`). Note that
    /// applying a delta twice makes a context clean again.
    #[inline]
    pub fn is_clean(&self) -> bool {
        self.accumulator == W::ZERO
    }

    /// Number of ACCUMs since the last LOAD/SWAP (wrapping).
    #[inline]
    pub fn delta_count(&self) -> u32 {
        self.delta_count
    }
}
