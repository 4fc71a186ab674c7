//! A table of independent contexts (the hardware holds 256 × 64 bit).

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::context::Context;
use crate::op::Opcode;
use crate::word::Word;

/// Errors of table operations. Every failing operation leaves the table unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableError {
    /// A table must hold at least one context.
    ZeroSize,
    /// The allocator could not provide memory for `len` contexts.
    AllocFailed {
        /// Number of contexts requested.
        len: usize,
    },
    /// `addr` is not below the table length `len`.
    AddrOutOfRange {
        /// The rejected address.
        addr: usize,
        /// Number of contexts in the table.
        len: usize,
    },
}

impl core::fmt::Display for TableError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            TableError::ZeroSize => f.write_str("a table needs at least one context"),
            TableError::AllocFailed { len } => {
                write!(f, "could not allocate a table of {len} contexts")
            }
            TableError::AddrOutOfRange { addr, len } => write!(
                f,
                "address {addr} is out of range for a table of {len} contexts"
            ),
        }
    }
}

impl core::error::Error for TableError {}

/// The result of an operation that returns a value (READ, SWAP, SWAP_KEEP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpOutput<W: Word> {
    /// The state when the operation executed (for swaps: before the swap).
    pub value: W,
    /// Whether the accumulator was zero when the operation executed.
    pub clean: bool,
}

/// `N` independent contexts addressed `0..N`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Table<W: Word> {
    contexts: Box<[Context<W>]>,
}

impl<W: Word> Table<W> {
    /// A table of `len` contexts, all reading 0. Allocation failure is an
    /// error, not an abort, so C callers and `no_std` users can recover.
    pub fn new(len: usize) -> Result<Self, TableError> {
        if len == 0 {
            return Err(TableError::ZeroSize);
        }
        let contexts = try_filled(len, Context::new()).ok_or(TableError::AllocFailed { len })?;
        Ok(Table { contexts })
    }

    /// Number of contexts.
    #[inline]
    pub fn len(&self) -> usize {
        self.contexts.len()
    }

    /// Always false: a table holds at least one context. Provided for API symmetry.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.contexts.is_empty()
    }

    #[inline]
    fn check(&self, addr: usize) -> Result<(), TableError> {
        if addr < self.contexts.len() {
            Ok(())
        } else {
            Err(TableError::AddrOutOfRange {
                addr,
                len: self.contexts.len(),
            })
        }
    }

    /// The context at `addr`.
    #[inline]
    pub fn context(&self, addr: usize) -> Result<&Context<W>, TableError> {
        self.check(addr)?;
        Ok(&self.contexts[addr])
    }

    /// The context at `addr`, mutably (for merge and the other per-context operations).
    #[inline]
    pub fn context_mut(&mut self, addr: usize) -> Result<&mut Context<W>, TableError> {
        self.check(addr)?;
        Ok(&mut self.contexts[addr])
    }

    /// LOAD `value` into context `addr`.
    #[inline]
    pub fn load(&mut self, addr: usize, value: W) -> Result<(), TableError> {
        self.context_mut(addr)?.load(value);
        Ok(())
    }

    /// ACCUM `delta` into context `addr`.
    #[inline]
    pub fn accum(&mut self, addr: usize, delta: W) -> Result<(), TableError> {
        self.context_mut(addr)?.accum(delta);
        Ok(())
    }

    /// Undo `delta` in context `addr` (same as ACCUM).
    #[inline]
    pub fn rollback(&mut self, addr: usize, delta: W) -> Result<(), TableError> {
        self.accum(addr, delta)
    }

    /// READ context `addr`.
    #[inline]
    pub fn read(&self, addr: usize) -> Result<W, TableError> {
        Ok(self.context(addr)?.read())
    }

    /// Whether context `addr` has no net accumulated change.
    #[inline]
    pub fn is_clean(&self, addr: usize) -> Result<bool, TableError> {
        Ok(self.context(addr)?.is_clean())
    }

    /// SWAP context `addr` to `new_reference`, returning its previous state.
    #[inline]
    pub fn swap(&mut self, addr: usize, new_reference: W) -> Result<W, TableError> {
        Ok(self.context_mut(addr)?.swap(new_reference))
    }

    /// SWAP_KEEP context `addr`, returning its state.
    #[inline]
    pub fn swap_keep(&mut self, addr: usize) -> Result<W, TableError> {
        Ok(self.context_mut(addr)?.swap_keep())
    }

    /// Executes one hardware-style operation: `data` is the LOAD value, ACCUM
    /// delta or SWAP reference and is ignored by READ and SWAP_KEEP. Returns the
    /// output of READ/SWAP/SWAP_KEEP, `None` for LOAD/ACCUM. This is the
    /// reference model the hardware tests compare against.
    pub fn execute(
        &mut self,
        op: Opcode,
        addr: usize,
        data: W,
    ) -> Result<Option<OpOutput<W>>, TableError> {
        let ctx = self.context_mut(addr)?;
        let before = OpOutput {
            value: ctx.read(),
            clean: ctx.is_clean(),
        };
        match op {
            Opcode::Load => ctx.load(data),
            Opcode::Accum => ctx.accum(data),
            Opcode::Read => {}
            Opcode::Swap => {
                ctx.swap(data);
            }
            Opcode::SwapKeep => {
                ctx.swap_keep();
            }
        }
        Ok(op.has_result().then_some(before))
    }

    /// ACCUM every `(addr, delta)` pair, in order. All or nothing: if an
    /// address is out of range, the table is exactly as before the call (the
    /// rule is [`accum_batch_slots`], which the C library shares).
    #[inline]
    pub fn accum_batch(&mut self, pairs: &[(usize, W)]) -> Result<(), TableError> {
        accum_batch_slots(
            &mut self.contexts,
            pairs.iter().copied(),
            Context::accum,
            Context::unaccum,
        )
        .map_err(|addr| TableError::AddrOutOfRange {
            addr,
            len: self.contexts.len(),
        })
    }

    /// Iterates over `(addr, context)` for every context.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (usize, &Context<W>)> + '_ {
        self.contexts.iter().enumerate()
    }

    /// Iterates over `(addr, state)` for every context whose state is non-zero.
    pub fn nonzero(&self) -> impl Iterator<Item = (usize, W)> + '_ {
        self.iter()
            .map(|(a, c)| (a, c.read()))
            .filter(|&(_, v)| v != W::ZERO)
    }

    /// A compact snapshot: `(addr, state)` of every non-zero context, in address order.
    pub fn snapshot(&self) -> Vec<(usize, W)> {
        self.nonzero().collect()
    }

    /// All contexts as a slice, in address order.
    pub fn as_slice(&self) -> &[Context<W>] {
        &self.contexts
    }
}

/// `len` copies of `value`, or `None` if the allocator cannot provide them:
/// the crate's one way to allocate, so that running out of memory is an
/// error the caller sees, never an abort.
pub(crate) fn try_filled<T: Clone>(len: usize, value: T) -> Option<Box<[T]>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).ok()?;
    v.resize(len, value);
    Some(v.into_boxed_slice())
}

/// The all-or-nothing rule of a batch of ACCUMs, for any slice of context
/// slots (a [`Table`]'s contexts, or the C library's `atomik_ctx_t` array).
///
/// Applies `accum(slot[addr], delta)` for every pair in order. On the first
/// address out of range it calls `unaccum` on the pairs already applied,
/// restoring every slot exactly (XOR is its own inverse and `unaccum` also
/// takes back the delta count), and returns that address. One pass in the
/// common case: the bounds check each element needs anyway is the
/// validation. (Measured for the C batch: a separate validation pass cost
/// 0.19 ns per pair, and unrolling by four with one check per step was no
/// faster.) Always inlined: it is the whole body of both batch hot paths.
#[inline(always)]
pub fn accum_batch_slots<S, W: Copy>(
    slots: &mut [S],
    pairs: impl Iterator<Item = (usize, W)> + Clone,
    mut accum: impl FnMut(&mut S, W),
    mut unaccum: impl FnMut(&mut S, W),
) -> Result<(), usize> {
    let applied = pairs.clone();
    for (i, (addr, delta)) in pairs.enumerate() {
        match slots.get_mut(addr) {
            Some(slot) => accum(slot, delta),
            None => {
                for (a, d) in applied.take(i) {
                    unaccum(&mut slots[a], d);
                }
                return Err(addr);
            }
        }
    }
    Ok(())
}
