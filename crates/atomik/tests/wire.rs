//! Wire format v1 and the 16-byte compatibility codec.

#![allow(clippy::cast_possible_truncation)] // test data: values are small by construction

use atomik::wire::{self, COMPAT_LEN, Frames, frame_len};
use atomik::{CompatRecord, DeltaMsg, MsgKind, WireError, Word};
use proptest::prelude::*;

fn msg<W: Word + Arbitrary>() -> impl Strategy<Value = DeltaMsg<W>> {
    (
        any::<bool>(),
        any::<u32>(),
        any::<u64>(),
        any::<u64>(),
        any::<u32>(),
        any::<W>(),
    )
        .prop_map(|(load, sender, epoch, seq, addr, value)| DeltaMsg {
            kind: if load { MsgKind::Load } else { MsgKind::Accum },
            sender,
            epoch,
            seq,
            addr,
            value,
        })
}

macro_rules! per_width {
    ($($m:ident: $w:ty),*) => {$(
        mod $m {
            use super::*;
            proptest! {
                #[test]
                fn round_trip(m in msg::<$w>()) {
                    let f = m.encode();
                    prop_assert_eq!(f.len(), frame_len::<$w>());
                    prop_assert_eq!(DeltaMsg::<$w>::decode(&f), Ok((m, frame_len::<$w>())));
                }

                #[test]
                fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
                    let _ = DeltaMsg::<$w>::decode(&bytes);
                    let mut frames = Frames::<$w>::new(&bytes);
                    let mut count = 0;
                    for _ in &mut frames { count += 1; }
                    let n = frame_len::<$w>();
                    prop_assert_eq!(count, bytes.len().div_ceil(n));
                    prop_assert_eq!(frames.remainder().len(), bytes.len() % n);
                }

                #[test]
                fn any_single_bit_flip_is_detected(m in msg::<$w>(), bit in any::<prop::sample::Index>()) {
                    let mut f = m.encode().to_vec();
                    let b = bit.index(f.len() * 8);
                    f[b / 8] ^= 1 << (b % 8);
                    prop_assert!(DeltaMsg::<$w>::decode(&f).is_err());
                }
            }
        }
    )*};
}

per_width!(w8: u8, w16: u16, w32: u32, w64: u64, w128: u128);

proptest! {
    #[test]
    fn a_bad_frame_does_not_misalign_the_next(ms in proptest::collection::vec(msg::<u64>(), 1..10),
                                              bad in any::<prop::sample::Index>(), byte in any::<prop::sample::Index>(), x in 1u8..) {
        let mut buf = Vec::new();
        wire::encode_all(&ms, &mut buf);
        let bad = bad.index(ms.len());
        let n = frame_len::<u64>();
        buf[bad * n + byte.index(n)] ^= x;
        let decoded: Vec<_> = Frames::<u64>::new(&buf).collect();
        prop_assert_eq!(decoded.len(), ms.len());
        for (i, (got, want)) in decoded.iter().zip(&ms).enumerate() {
            if i == bad {
                prop_assert!(got.is_err());
            } else {
                prop_assert_eq!(got, &Ok(*want));
            }
        }
    }

    #[test]
    fn compat_round_trip(addr: u32, delta: u64, seq: u32) {
        let r = CompatRecord { addr, delta, seq };
        prop_assert_eq!(CompatRecord::decode(&r.encode()), Ok(r));
    }
}

#[test]
fn golden_frame_bytes() {
    // Pins the v1 layout: any change here is a wire-format change.
    let m = DeltaMsg::<u64>::accum(
        0x0102_0304,
        0x1111_2222_3333_4444,
        7,
        255,
        0xDEAD_BEEF_CAFE_BABE,
    );
    let f = m.encode();
    let mut want = vec![1u8, 0, 8, 0, 0x04, 0x03, 0x02, 0x01];
    want.extend_from_slice(&0x1111_2222_3333_4444u64.to_le_bytes());
    want.extend_from_slice(&7u64.to_le_bytes());
    want.extend_from_slice(&255u32.to_le_bytes());
    want.extend_from_slice(&0xDEAD_BEEF_CAFE_BABEu64.to_le_bytes());
    let sum = wire::xxh32(&want, 0);
    want.extend_from_slice(&sum.to_le_bytes());
    assert_eq!(&f[..], &want[..]);
    assert_eq!(f.len(), 40);
}

#[test]
fn xxh32_reference_vectors() {
    // From the reference implementation (python-xxhash 3.x, xxh32_intdigest(data, 0)).
    let seq: Vec<u8> = (0..44).collect();
    for (data, want) in [
        (&b""[..], 0x02CC_5D05u32),
        (b"a", 0x550D_7456),
        (b"abc", 0x32D1_53FF),
        (b"123456789", 0x937B_AD67),
        (&seq[..29], 0x1436_F6FD),
        (&seq[..36], 0x5811_8A69),
        (&seq[..44], 0xF699_F8CC),
    ] {
        assert_eq!(wire::xxh32(data, 0), want, "len {}", data.len());
    }
}

/// A valid u32 LOAD frame to corrupt, and the message it encodes.
fn good_frame() -> (DeltaMsg<u32>, Vec<u8>) {
    let m = DeltaMsg::<u32>::load(1, 2, 3, 4, 5);
    (m, m.encode().to_vec())
}

/// `f` with its checksum recomputed, so that a bad field, not the
/// checksum, is what the decoder must report.
fn resum(mut f: Vec<u8>) -> Vec<u8> {
    let body = f.len() - 4;
    let s = wire::checksum(&f[..body]);
    f[body..].copy_from_slice(&s.to_le_bytes());
    f
}

#[test]
fn a_short_frame_is_truncated_and_a_bad_version_is_named() {
    let (_, good) = good_frame();
    let n = good.len();
    assert_eq!(
        DeltaMsg::<u32>::decode(&good[..n - 1]),
        Err(WireError::Truncated {
            needed: n,
            available: n - 1
        })
    );
    let mut v = good.clone();
    v[0] = 2;
    assert_eq!(DeltaMsg::<u32>::decode(&v), Err(WireError::BadVersion(2)));
}

#[test]
fn a_bad_kind_or_reserved_byte_is_named_not_the_checksum() {
    let (_, good) = good_frame();
    let mut v = good.clone();
    v[1] = 9;
    assert_eq!(
        DeltaMsg::<u32>::decode(&resum(v)),
        Err(WireError::BadKind(9))
    );
    let mut v = good.clone();
    v[3] = 1;
    assert_eq!(
        DeltaMsg::<u32>::decode(&resum(v)),
        Err(WireError::Reserved(1))
    );
}

#[test]
fn a_frame_of_another_width_is_a_width_mismatch() {
    // A u64 receiver given a u32 frame: the width byte says so.
    let (_, good) = good_frame();
    let mut wide = good.clone();
    wide.extend_from_slice(&[0; 4]);
    let wide = resum({
        let mut w = wide;
        let len = w.len();
        w.truncate(len - 8);
        w.extend_from_slice(&[0; 8]);
        w
    });
    assert_eq!(
        DeltaMsg::<u64>::decode(&wide),
        Err(WireError::WidthMismatch {
            expected: 8,
            found: 4
        })
    );
}

#[test]
fn a_flipped_bit_is_a_bad_checksum() {
    let (_, good) = good_frame();
    let mut v = good.clone();
    v[10] ^= 0x40;
    assert!(matches!(
        DeltaMsg::<u32>::decode(&v),
        Err(WireError::BadChecksum { .. })
    ));
}

#[test]
fn encoding_into_a_small_buffer_is_an_error_and_errors_display() {
    let (m, good) = good_frame();
    let mut small = [0u8; 10];
    assert_eq!(
        m.encode_into(&mut small),
        Err(WireError::BufferTooSmall {
            needed: good.len(),
            available: 10
        })
    );
    for e in [
        WireError::BadVersion(2),
        WireError::BadKind(9),
        WireError::Truncated {
            needed: 36,
            available: 3,
        },
    ] {
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn truncated_tail_is_kept_for_later() {
    let ms = [
        DeltaMsg::<u64>::accum(1, 0, 0, 1, 1),
        DeltaMsg::accum(1, 0, 1, 2, 2),
    ];
    let mut buf = Vec::new();
    wire::encode_all(&ms, &mut buf);
    buf.truncate(buf.len() - 5);
    let mut frames = Frames::<u64>::new(&buf);
    assert_eq!(frames.next(), Some(Ok(ms[0])));
    assert!(matches!(
        frames.next(),
        Some(Err(WireError::Truncated { .. }))
    ));
    assert_eq!(frames.next(), None);
    assert_eq!(frames.remainder().len(), frame_len::<u64>() - 5);
}

#[test]
fn compat_layout_is_big_endian_16_bytes() {
    let r = CompatRecord {
        addr: 0x0102_0304,
        delta: 0x1112_1314_1516_1718,
        seq: 0x2122_2324,
    };
    assert_eq!(
        r.encode(),
        [
            1, 2, 3, 4, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x21, 0x22, 0x23, 0x24
        ]
    );
    assert_eq!(
        CompatRecord::decode(&[0; 15]),
        Err(WireError::Truncated {
            needed: COMPAT_LEN,
            available: 15
        })
    );
    let m = r.to_msg(9, 0);
    assert_eq!(
        (m.sender, m.seq, m.addr, m.value, m.kind),
        (
            9,
            0x2122_2324,
            0x0102_0304,
            0x1112_1314_1516_1718,
            MsgKind::Accum
        )
    );
}

/// Pins 13bfb28: the "skip a whole frame unless truncated" rule lived twice
/// (core `Frames` and the FFI) and now lives once, in `decode_stream`.
#[test]
fn decode_stream_says_how_far_to_advance() {
    let good = DeltaMsg::<u64>::accum(1, 0, 0, 3, 9).encode().to_vec();
    let n = frame_len::<u64>();
    assert_eq!(DeltaMsg::<u64>::decode_stream(&good).1, n);
    let mut bad = good.clone();
    bad[12] ^= 1;
    let (r, used) = DeltaMsg::<u64>::decode_stream(&bad);
    assert!(matches!(r, Err(WireError::BadChecksum { .. })));
    assert_eq!(used, n, "a malformed frame is skipped whole");
    let (r, used) = DeltaMsg::<u64>::decode_stream(&good[..n - 1]);
    assert!(matches!(r, Err(WireError::Truncated { .. })));
    assert_eq!(used, 0, "a truncated frame is kept for later");
}
