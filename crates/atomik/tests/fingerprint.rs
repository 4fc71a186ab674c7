//! Fingerprints: bit compatibility with the original definition, incremental
//! updates, and what each kind can and cannot see.

#![allow(clippy::cast_possible_truncation)] // test data: values are small by construction

use atomik::{
    Fingerprint, PositionalFingerprint, UnsupportedWidth, positional_fold, xor_fold, xor_fold_bits,
};
use proptest::prelude::*;

/// The original algorithm, written as plainly as possible: XOR of the
/// little-endian `width/8`-byte chunks, the last one zero-padded.
fn original_fold(data: &[u8], width_bits: u32) -> u128 {
    let n = (width_bits / 8) as usize;
    let mut acc = 0u128;
    let mut i = 0;
    while i < data.len() {
        let mut chunk = 0u128;
        for k in 0..n {
            if let Some(&b) = data.get(i + k) {
                chunk |= u128::from(b) << (8 * k);
            }
        }
        acc ^= chunk;
        i += n;
    }
    acc
}

proptest! {
    #[test]
    fn xor_fold_is_bit_compatible(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        prop_assert_eq!(u128::from(xor_fold::<u8>(&data)), original_fold(&data, 8));
        prop_assert_eq!(u128::from(xor_fold::<u16>(&data)), original_fold(&data, 16));
        prop_assert_eq!(u128::from(xor_fold::<u32>(&data)), original_fold(&data, 32));
        prop_assert_eq!(u128::from(xor_fold::<u64>(&data)), original_fold(&data, 64));
        prop_assert_eq!(xor_fold::<u128>(&data), original_fold(&data, 128));
        for bits in (8..=128).step_by(8) {
            prop_assert_eq!(xor_fold_bits(&data, bits), Ok(original_fold(&data, bits)), "width {}", bits);
        }
    }

    #[test]
    fn incremental_update_tracks_rescan(mut data in proptest::collection::vec(any::<u8>(), 8..512),
                                        writes in proptest::collection::vec((any::<prop::sample::Index>(), any::<u64>()), 0..20)) {
        data.truncate(data.len() / 8 * 8);
        let mut fp = Fingerprint::<u64>::new();
        fp.load(&data);
        let mut pfp = PositionalFingerprint::new();
        pfp.load(&data);
        for (idx, new) in writes {
            let i = idx.index(data.len() / 8);
            let slot = &mut data[i * 8..i * 8 + 8];
            let old = u64::from_le_bytes(slot.try_into().unwrap());
            slot.copy_from_slice(&new.to_le_bytes());
            fp.accum_delta(old, new);
            pfp.accum_delta(i as u64, old, new);
        }
        let mut rescan = fp;
        rescan.update(&data);
        prop_assert_eq!(fp, rescan);
        prop_assert_eq!(fp.value(), xor_fold::<u64>(&data));
        let mut prescan = pfp;
        prescan.update(&data);
        prop_assert_eq!(pfp, prescan);
        prop_assert_eq!(pfp.value(), positional_fold(&data));
    }

    #[test]
    fn positional_sees_swapped_chunks(data in proptest::collection::vec(any::<u64>(), 2..64),
                                      i in any::<prop::sample::Index>(), j in any::<prop::sample::Index>()) {
        let (i, j) = (i.index(data.len()), j.index(data.len()));
        prop_assume!(data[i] != data[j]);
        let bytes = |v: &[u64]| v.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>();
        let mut swapped = data.clone();
        swapped.swap(i, j);
        // The plain XOR fold cannot tell…
        prop_assert_eq!(xor_fold::<u64>(&bytes(&data)), xor_fold::<u64>(&bytes(&swapped)));
        // …the position-aware one can.
        prop_assert_ne!(positional_fold(&bytes(&data)), positional_fold(&bytes(&swapped)));
    }

    #[test]
    fn positional_sees_paired_bit_flips(data in proptest::collection::vec(any::<u64>(), 2..64),
                                        i in any::<prop::sample::Index>(), j in any::<prop::sample::Index>(), bit in 0u32..64) {
        let (i, j) = (i.index(data.len()), j.index(data.len()));
        prop_assume!(i != j);
        let bytes = |v: &[u64]| v.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>();
        let mut flipped = data.clone();
        flipped[i] ^= 1 << bit;
        flipped[j] ^= 1 << bit;
        prop_assert_eq!(xor_fold::<u64>(&bytes(&data)), xor_fold::<u64>(&bytes(&flipped)));
        prop_assert_ne!(positional_fold(&bytes(&data)), positional_fold(&bytes(&flipped)));
    }
}

#[test]
fn widths_below_8_bits_are_an_error_not_a_hang() {
    for bits in [0, 1, 4, 7, 12, 129, 136, 256, u32::MAX] {
        assert_eq!(xor_fold_bits(b"data", bits), Err(UnsupportedWidth { bits }));
    }
    assert!(
        UnsupportedWidth { bits: 4 }
            .to_string()
            .contains("multiple of 8")
    );
}

#[test]
fn known_vectors() {
    assert_eq!(xor_fold::<u64>(b""), 0);
    assert_eq!(xor_fold::<u64>(&[1]), 1);
    assert_eq!(xor_fold::<u64>(&[0, 0, 0, 0, 0, 0, 0, 0, 0xAB]), 0xAB);
    assert_eq!(xor_fold::<u8>(&[0x0F, 0xF0, 0xFF]), 0x00);
    assert_eq!(xor_fold::<u16>(&[0x34, 0x12, 0x01]), 0x1235);
    // Padding is invisible to the XOR fold but not to the positional one.
    assert_eq!(xor_fold::<u64>(b"abc"), xor_fold::<u64>(b"abc\0"));
    assert_ne!(positional_fold(b"abc"), positional_fold(b"abc\0"));
}

#[test]
fn fingerprint_change_detection_and_rebase() {
    let mut buf = vec![7u8; 4096];
    let mut fp = Fingerprint::<u64>::new();
    fp.load(&buf);
    assert!(!fp.changed());
    buf[100] ^= 0x10;
    fp.update(&buf);
    assert!(fp.changed());
    fp.rebase();
    assert!(!fp.changed());
    assert_eq!(fp.reference(), xor_fold::<u64>(&buf));
    assert_eq!(fp.accumulator(), 0);

    let mut pfp = PositionalFingerprint::new();
    pfp.load(&buf);
    buf.swap(0, 8);
    pfp.update(&buf);
    assert!(!pfp.changed(), "swapping equal bytes changes nothing");
    buf[0] ^= 1;
    pfp.update(&buf);
    assert!(pfp.changed());
    pfp.rebase();
    assert!(!pfp.changed());
}
