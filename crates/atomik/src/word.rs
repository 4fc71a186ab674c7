//! The machine words a context can hold.

use core::fmt::{Debug, LowerHex};
use core::hash::Hash;
use core::ops::{BitAnd, BitXor, BitXorAssign, Not};

mod sealed {
    pub trait Sealed {}
}

/// An unsigned integer usable as the state width of a context: `u8`, `u16`,
/// `u32`, `u64` or `u128`.
///
/// The trait is sealed: the wire format, the fingerprints and the hardware all
/// assume exactly these five widths, so downstream crates cannot add others.
pub trait Word:
    sealed::Sealed
    + Copy
    + Default
    + Eq
    + Ord
    + Hash
    + Debug
    + LowerHex
    + BitXor<Output = Self>
    + BitXorAssign
    + BitAnd<Output = Self>
    + Not<Output = Self>
    + Send
    + Sync
    + 'static
{
    /// Width in bits.
    const BITS: u32;
    /// Width in bytes (`BITS / 8`).
    const BYTES: usize;
    /// The all-zero word.
    const ZERO: Self;

    /// Reads a word from exactly [`Self::BYTES`] little-endian bytes.
    ///
    /// # Panics
    /// Panics if `bytes.len() != Self::BYTES`; callers inside this crate always
    /// slice to the exact length first.
    fn from_le_slice(bytes: &[u8]) -> Self;

    /// Writes the word as [`Self::BYTES`] little-endian bytes into `out[..BYTES]`.
    ///
    /// # Panics
    /// Panics if `out` is shorter than [`Self::BYTES`].
    fn write_le(self, out: &mut [u8]);

    /// Keeps the low [`Self::BITS`] bits of `v`.
    fn truncate_u128(v: u128) -> Self;

    /// Zero-extends the word to 128 bits.
    fn to_u128(self) -> u128;
}

macro_rules! impl_word {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl Word for $t {
            const BITS: u32 = <$t>::BITS;
            const BYTES: usize = (<$t>::BITS / 8) as usize;
            const ZERO: Self = 0;

            #[inline(always)]
            fn from_le_slice(bytes: &[u8]) -> Self {
                let mut buf = [0u8; Self::BYTES];
                buf.copy_from_slice(bytes);
                <$t>::from_le_bytes(buf)
            }

            #[inline(always)]
            fn write_le(self, out: &mut [u8]) {
                out[..Self::BYTES].copy_from_slice(&self.to_le_bytes());
            }

            #[inline(always)]
            #[allow(clippy::cast_possible_truncation)] // truncation is the point
            fn truncate_u128(v: u128) -> Self {
                v as $t
            }

            #[inline(always)]
            fn to_u128(self) -> u128 {
                u128::from(self)
            }
        }
    )*};
}

impl_word!(u8, u16, u32, u64, u128);

/// XOR of all words in `words`, written with eight independent lanes so that
/// the compiler turns it into wide vector XORs (the reduction order does not
/// matter: XOR is associative and commutative).
#[inline]
pub(crate) fn xor_reduce<W: Word>(words: &[W]) -> W {
    let mut lanes = [W::ZERO; 8];
    let mut blocks = words.chunks_exact(8);
    for block in &mut blocks {
        for (lane, &w) in lanes.iter_mut().zip(block) {
            *lane ^= w;
        }
    }
    let mut acc = W::ZERO;
    for &w in blocks.remainder() {
        acc ^= w;
    }
    for lane in lanes {
        acc ^= lane;
    }
    acc
}
