//! Wire v1 messages (64-bit values) and the 16-byte compatibility record.

use atomik::wire::{COMPAT_LEN, frame_len};
use atomik::{CompatRecord, DeltaMsg, MsgKind, WireError};

use crate::atomik_status::{self, *};
use crate::{bytes, guard, put};

/// Bytes of one v1 message carrying a 64-bit value.
pub const ATOMIK_MSG_V1_LEN: u32 = 40;
/// Bytes of one original 16-byte record.
pub const ATOMIK_COMPAT_LEN: u32 = 16;
/// `atomik_msg_t.kind`: XOR `value` into context `addr` (within `epoch`).
pub const ATOMIK_MSG_ACCUM: u32 = 0;
/// `atomik_msg_t.kind`: start `epoch` of context `addr` with reference `value`
/// (LOAD, SWAP and SWAP_KEEP all travel as this).
pub const ATOMIK_MSG_LOAD: u32 = 1;

const _: () = assert!(ATOMIK_MSG_V1_LEN as usize == frame_len::<u64>());
const _: () = assert!(ATOMIK_COMPAT_LEN as usize == COMPAT_LEN);

/// One delta message, decoded. See docs/c-api.md for the wire layout.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct atomik_msg_t {
    /// `ATOMIK_MSG_ACCUM` or `ATOMIK_MSG_LOAD`.
    pub kind: u32,
    /// Sender id; `(sender, seq)` identifies the message.
    pub sender: u32,
    /// Epoch of context `addr` the message belongs to (for LOAD: the one it starts).
    pub epoch: u64,
    /// The sender's sequence number.
    pub seq: u64,
    /// Context address.
    pub addr: u32,
    /// Delta (ACCUM) or new reference (LOAD).
    pub value: u64,
}

impl atomik_msg_t {
    pub(crate) fn from_core(m: &DeltaMsg<u64>) -> Self {
        atomik_msg_t {
            kind: match m.kind {
                MsgKind::Accum => ATOMIK_MSG_ACCUM,
                MsgKind::Load => ATOMIK_MSG_LOAD,
            },
            sender: m.sender,
            epoch: m.epoch,
            seq: m.seq,
            addr: m.addr,
            value: m.value,
        }
    }

    pub(crate) fn to_core(self) -> Result<DeltaMsg<u64>, atomik_status> {
        let kind = match self.kind {
            ATOMIK_MSG_ACCUM => MsgKind::Accum,
            ATOMIK_MSG_LOAD => MsgKind::Load,
            _ => return Err(ATOMIK_ERR_BAD_KIND),
        };
        Ok(DeltaMsg {
            kind,
            sender: self.sender,
            epoch: self.epoch,
            seq: self.seq,
            addr: self.addr,
            value: self.value,
        })
    }
}

pub(crate) fn wire_status(e: WireError) -> atomik_status {
    match e {
        WireError::Truncated { .. } => ATOMIK_ERR_TRUNCATED,
        WireError::BadVersion(_) => ATOMIK_ERR_BAD_VERSION,
        WireError::BadChecksum { .. } => ATOMIK_ERR_BAD_CHECKSUM,
        WireError::WidthMismatch { .. } => ATOMIK_ERR_WIDTH_MISMATCH,
        WireError::BadKind(_) => ATOMIK_ERR_BAD_KIND,
        WireError::Reserved(_) => ATOMIK_ERR_RESERVED,
        WireError::BufferTooSmall { .. } => ATOMIK_ERR_BUFFER_TOO_SMALL,
    }
}

/// Decodes the frame at the start of `buf`, reporting how many bytes to skip:
/// one frame for any complete frame (valid or not), 0 when truncated.
pub(crate) fn decode_frame(buf: &[u8]) -> (Result<DeltaMsg<u64>, atomik_status>, usize) {
    let (r, consumed) = DeltaMsg::<u64>::decode_stream(buf);
    (r.map_err(wire_status), consumed)
}

/// Encodes `msg` as a v1 frame into `buf[..cap]`; `*written` (if not NULL)
/// receives `ATOMIK_MSG_V1_LEN`.
///
/// # Safety
/// `msg` must be NULL or readable; `buf` NULL or valid for `cap` bytes;
/// `written` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_msg_encode(
    msg: *const atomik_msg_t,
    buf: *mut u8,
    cap: usize,
    written: *mut usize,
) -> atomik_status {
    guard(ATOMIK_ERR_INTERNAL, || {
        // SAFETY: caller contract.
        let Some(m) = (unsafe { msg.as_ref() }) else {
            return ATOMIK_ERR_NULL;
        };
        let m = match m.to_core() {
            Ok(m) => m,
            Err(e) => return e,
        };
        if buf.is_null() {
            return ATOMIK_ERR_NULL;
        }
        if cap > isize::MAX as usize {
            return ATOMIK_ERR_INVALID_ARGUMENT;
        }
        // SAFETY: buf is non-null and valid for cap bytes (caller contract).
        let out = unsafe { core::slice::from_raw_parts_mut(buf, cap) };
        match m.encode_into(out) {
            // SAFETY: written is NULL or writable.
            Ok(n) => unsafe {
                put(written, n);
                ATOMIK_OK
            },
            Err(e) => wire_status(e),
        }
    })
}

/// Decodes the v1 frame at the start of `buf[..len]` into `*msg`.
/// `*consumed` (if not NULL) receives how far to advance: a whole frame for
/// any complete frame, even a malformed one (so a bad frame never
/// misaligns the next), and 0 when the input is truncated (wait for more
/// bytes). On error `*msg` is unchanged.
///
/// # Safety
/// `buf` must be NULL or valid for `len` bytes; `msg` NULL or writable;
/// `consumed` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_msg_decode(
    buf: *const u8,
    len: usize,
    msg: *mut atomik_msg_t,
    consumed: *mut usize,
) -> atomik_status {
    guard(ATOMIK_ERR_INTERNAL, || {
        // SAFETY: caller contract.
        let b = match unsafe { bytes(buf.cast(), len) } {
            Ok(b) => b,
            Err(e) => return e,
        };
        if msg.is_null() {
            return ATOMIK_ERR_NULL;
        }
        let (r, n) = decode_frame(b);
        // SAFETY: consumed is NULL or writable.
        unsafe { put(consumed, n) };
        match r {
            // SAFETY: msg is non-null and writable.
            Ok(m) => unsafe {
                put(msg, atomik_msg_t::from_core(&m));
                ATOMIK_OK
            },
            Err(e) => e,
        }
    })
}

/// Writes the original 16-byte record (big-endian addr, delta, seq) into `buf[..cap]`.
///
/// # Safety
/// `buf` must be NULL or valid for `cap` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_compat_encode(
    addr: u32,
    delta: u64,
    seq: u32,
    buf: *mut u8,
    cap: usize,
) -> atomik_status {
    guard(ATOMIK_ERR_INTERNAL, || {
        if buf.is_null() {
            return ATOMIK_ERR_NULL;
        }
        if cap < COMPAT_LEN {
            return ATOMIK_ERR_BUFFER_TOO_SMALL;
        }
        let rec = CompatRecord { addr, delta, seq }.encode();
        // SAFETY: buf is valid for at least COMPAT_LEN bytes (checked above,
        // caller contract); the source is a local array, so no overlap.
        unsafe { core::ptr::copy_nonoverlapping(rec.as_ptr(), buf, COMPAT_LEN) };
        ATOMIK_OK
    })
}

/// Reads an original 16-byte record from `buf[..len]`. Any 16 bytes are a
/// record: the format has no checksum, so corruption cannot be detected.
///
/// # Safety
/// `buf` must be NULL or valid for `len` bytes; the outputs NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn atomik_compat_decode(
    buf: *const u8,
    len: usize,
    addr: *mut u32,
    delta: *mut u64,
    seq: *mut u32,
) -> atomik_status {
    guard(ATOMIK_ERR_INTERNAL, || {
        // SAFETY: caller contract.
        let b = match unsafe { bytes(buf.cast(), len) } {
            Ok(b) => b,
            Err(e) => return e,
        };
        if addr.is_null() || delta.is_null() || seq.is_null() {
            return ATOMIK_ERR_NULL;
        }
        match CompatRecord::decode(b) {
            // SAFETY: all three outputs are non-null and writable.
            Ok(r) => unsafe {
                put(addr, r.addr);
                put(delta, r.delta);
                put(seq, r.seq);
                ATOMIK_OK
            },
            Err(e) => wire_status(e),
        }
    })
}
