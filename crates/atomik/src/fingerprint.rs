//! XOR fingerprints for change detection (docs/contracts.md §5).
//!
//! Two families:
//!
//! * [`xor_fold`] / [`Fingerprint`]: the original ATOMiK fingerprint, the XOR
//!   of the data's little-endian `W`-sized chunks (tail zero-padded). It is
//!   bit-compatible with the original library and can be updated in O(1) when
//!   one chunk changes, but it is blind to chunks that trade places and to the
//!   same bit flipping in two chunks (the flips cancel).
//! * [`positional_fold`] / [`PositionalFingerprint`]: each 8-byte chunk is
//!   mixed with its index through a full-avalanche function before the XOR, so
//!   swapped chunks and paired bit flips change the fingerprint (except with
//!   probability ≈ 2⁻⁶⁴). Still O(1) to update per chunk; about 4× slower to
//!   compute from scratch.
//!
//! Use the XOR fold when you need compatibility with the original library or
//! the fastest possible full scan; use the positional fingerprint when the
//! changes you must catch may be permutations or correlated bit flips.

use crate::word::Word;

/// Error for fingerprint widths the algorithm cannot use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnsupportedWidth {
    /// The rejected width in bits.
    pub bits: u32,
}

impl core::fmt::Display for UnsupportedWidth {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "unsupported fingerprint width {} bits: must be a multiple of 8 between 8 and 128",
            self.bits
        )
    }
}

impl core::error::Error for UnsupportedWidth {}

/// Reads the 8-byte little-endian word at `bytes[..8]`.
#[inline(always)]
fn le64(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    buf.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(buf)
}

/// Reads up to 8 bytes as a little-endian word, zero-padding the tail.
#[inline(always)]
fn le64_padded(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    buf[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(buf)
}

/// XOR of the 8-byte little-endian words of `data` at even and at odd word
/// positions, the tail zero-padded. Every supported fold width can be derived
/// from this pair, so there is a single hot loop.
#[inline]
fn fold_even_odd(data: &[u8]) -> (u64, u64) {
    // Sixteen independent lanes: enough in-flight loads to stream from L2, and
    // the compiler turns the inner loop into vector loads and XORs.
    const LANES: usize = 16;
    let mut lanes = [0u64; LANES];
    let mut blocks = data.chunks_exact(LANES * 8);
    for block in &mut blocks {
        for (i, lane) in lanes.iter_mut().enumerate() {
            *lane ^= le64(&block[i * 8..]);
        }
    }
    // Blocks are a multiple of 16 bytes long, so lane parity is word parity.
    let mut even_odd = [0u64; 2];
    for (i, lane) in lanes.iter().enumerate() {
        even_odd[i % 2] ^= lane;
    }
    let mut words = blocks.remainder().chunks_exact(8);
    let mut parity = 0;
    for word in &mut words {
        even_odd[parity] ^= le64(word);
        parity ^= 1;
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        even_odd[parity] ^= le64_padded(tail);
    }
    (even_odd[0], even_odd[1])
}

/// The XOR of `data`'s little-endian `W`-sized chunks, the last chunk
/// zero-padded: the original ATOMiK fingerprint, bit for bit.
///
/// ```
/// let fp: u64 = atomik::xor_fold(&[1, 0, 0, 0, 0, 0, 0, 0, 2]);
/// assert_eq!(fp, 1 ^ 2);
/// ```
#[inline]
pub fn xor_fold<W: Word>(data: &[u8]) -> W {
    let (even, odd) = fold_even_odd(data);
    if W::BITS == 128 {
        return W::truncate_u128(u128::from(even) | (u128::from(odd) << 64));
    }
    // For widths dividing 64 the chunks tile each 8-byte word, so folding the
    // 64-bit result onto itself gives the same XOR as walking W-sized chunks.
    let mut x = even ^ odd;
    let mut bits = 64;
    while bits > W::BITS {
        bits /= 2;
        x ^= x >> bits;
    }
    W::truncate_u128(u128::from(x))
}

/// [`xor_fold`] with the width chosen at run time, for any multiple of 8 from
/// 8 to 128 bits (the original library's width parameter). Widths below 8 bits
/// (which made the original loop forever), above 128, or not a multiple of 8
/// are an error.
pub fn xor_fold_bits(data: &[u8], bits: u32) -> Result<u128, UnsupportedWidth> {
    match bits {
        8 => Ok(u128::from(xor_fold::<u8>(data))),
        16 => Ok(u128::from(xor_fold::<u16>(data))),
        32 => Ok(u128::from(xor_fold::<u32>(data))),
        64 => Ok(u128::from(xor_fold::<u64>(data))),
        128 => Ok(xor_fold::<u128>(data)),
        b if b % 8 == 0 && (8..=128).contains(&b) => {
            // Odd byte widths (24, 40, …) do not tile 8-byte words; walk the chunks.
            let n = (b / 8) as usize;
            let mut acc = 0u128;
            for chunk in data.chunks(n) {
                let mut buf = [0u8; 16];
                buf[..chunk.len()].copy_from_slice(chunk);
                acc ^= u128::from_le_bytes(buf);
            }
            Ok(acc)
        }
        _ => Err(UnsupportedWidth { bits }),
    }
}

/// An incremental XOR fingerprint: a baseline (`reference`) and the XOR of all
/// changes since (`accumulator`), mirroring the original `atomik_fingerprint_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Fingerprint<W: Word> {
    reference: W,
    accumulator: W,
}

impl<W: Word> Fingerprint<W> {
    /// An empty fingerprint (baseline 0, no change).
    pub const fn new() -> Self {
        Fingerprint {
            reference: W::ZERO,
            accumulator: W::ZERO,
        }
    }

    /// Rebuilds a fingerprint from its two fields (e.g. from a C struct).
    pub const fn from_parts(reference: W, accumulator: W) -> Self {
        Fingerprint {
            reference,
            accumulator,
        }
    }

    /// Takes `data` as the new baseline: full scan, no pending change.
    pub fn load(&mut self, data: &[u8]) {
        self.reference = xor_fold(data);
        self.accumulator = W::ZERO;
    }

    /// Rescans `data` and records its difference from the baseline.
    pub fn update(&mut self, data: &[u8]) {
        self.accumulator = xor_fold::<W>(data) ^ self.reference;
    }

    /// O(1) update when one chunk of the data changed from `old` to `new`.
    #[inline]
    pub fn accum_delta(&mut self, old: W, new: W) {
        self.accumulator ^= old ^ new;
    }

    /// Whether the data differs from the baseline (as far as the XOR fold can see).
    #[inline]
    pub fn changed(&self) -> bool {
        self.accumulator != W::ZERO
    }

    /// The fingerprint of the current data.
    #[inline]
    pub fn value(&self) -> W {
        self.reference ^ self.accumulator
    }

    /// The baseline fingerprint.
    #[inline]
    pub fn reference(&self) -> W {
        self.reference
    }

    /// The XOR of all changes since the baseline.
    #[inline]
    pub fn accumulator(&self) -> W {
        self.accumulator
    }

    /// Accepts the current data as the new baseline.
    pub fn rebase(&mut self) {
        self.reference = self.value();
        self.accumulator = W::ZERO;
    }
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
const LEN_KEY: u64 = 0xD6E8_FEB8_6659_FD93;

/// MurmurHash3's 64-bit finaliser: a bijection with full avalanche.
#[inline(always)]
const fn fmix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^= x >> 33;
    x = x.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    x ^= x >> 33;
    x
}

/// The contribution of the 8-byte chunk `chunk` at chunk index `index`.
///
/// Each position gets its own key, so equal chunks at different positions
/// contribute differently; the finaliser makes the contribution non-linear, so
/// that bit flips in two chunks do not cancel as they do in a plain XOR.
#[inline(always)]
pub const fn positional_chunk(index: u64, chunk: u64) -> u64 {
    fmix64(chunk ^ index.wrapping_add(1).wrapping_mul(GOLDEN))
}

#[inline(always)]
const fn length_term(len: u64) -> u64 {
    fmix64(len ^ LEN_KEY)
}

/// XOR of [`positional_chunk`] over the data's 8-byte little-endian chunks
/// (tail zero-padded), without the length term.
fn positional_chunks(data: &[u8]) -> u64 {
    let mut lanes = [0u64; 4];
    let mut index = 0u64;
    let mut blocks = data.chunks_exact(32);
    for block in &mut blocks {
        for (i, lane) in lanes.iter_mut().enumerate() {
            *lane ^= positional_chunk(index + i as u64, le64(&block[i * 8..]));
        }
        index += 4;
    }
    let mut acc = lanes[0] ^ lanes[1] ^ lanes[2] ^ lanes[3];
    for chunk in blocks.remainder().chunks(8) {
        acc ^= positional_chunk(index, le64_padded(chunk));
        index += 1;
    }
    acc
}

/// The position-aware fingerprint of `data`: the XOR over 8-byte little-endian
/// chunks (tail zero-padded) of [`positional_chunk`]`(index, chunk)`, XORed
/// with a term derived from `data.len()` so that zero-padding is not invisible.
pub fn positional_fold(data: &[u8]) -> u64 {
    positional_chunks(data) ^ length_term(data.len() as u64)
}

/// An incremental position-aware fingerprint (see [`positional_fold`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PositionalFingerprint {
    reference: u64,
    accumulator: u64,
}

impl PositionalFingerprint {
    /// A fingerprint with baseline 0 and no change.
    pub const fn new() -> Self {
        PositionalFingerprint {
            reference: 0,
            accumulator: 0,
        }
    }

    /// Rebuilds a fingerprint from its two fields (e.g. from a C struct).
    pub const fn from_parts(reference: u64, accumulator: u64) -> Self {
        PositionalFingerprint {
            reference,
            accumulator,
        }
    }

    /// The baseline fingerprint.
    pub fn reference(&self) -> u64 {
        self.reference
    }

    /// The XOR of all changes since the baseline.
    pub fn accumulator(&self) -> u64 {
        self.accumulator
    }

    /// Takes `data` as the new baseline.
    pub fn load(&mut self, data: &[u8]) {
        self.reference = positional_fold(data);
        self.accumulator = 0;
    }

    /// Rescans `data` and records its difference from the baseline.
    pub fn update(&mut self, data: &[u8]) {
        self.accumulator = positional_fold(data) ^ self.reference;
    }

    /// O(1) update when the 8-byte chunk at chunk index `index` (byte offset
    /// `8 * index`) changed from `old` to `new` (little-endian, zero-padded).
    #[inline]
    pub fn accum_delta(&mut self, index: u64, old: u64, new: u64) {
        self.accumulator ^= positional_chunk(index, old) ^ positional_chunk(index, new);
    }

    /// Whether the data differs from the baseline.
    #[inline]
    pub fn changed(&self) -> bool {
        self.accumulator != 0
    }

    /// The fingerprint of the current data.
    #[inline]
    pub fn value(&self) -> u64 {
        self.reference ^ self.accumulator
    }

    /// Accepts the current data as the new baseline.
    pub fn rebase(&mut self) {
        self.reference = self.value();
        self.accumulator = 0;
    }
}
