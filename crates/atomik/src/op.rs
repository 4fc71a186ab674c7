//! Operation codes shared by every tier (software model, C library, hardware).
//!
//! The numeric values are the hardware contract of docs/contracts.md §2: the `op` port
//! of `atomik_state_table` is [`OPCODE_BITS`] wide and takes exactly these codes.

/// Width of the hardware `op` port in bits.
pub const OPCODE_BITS: u32 = 3;

/// One of the five context operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Opcode {
    /// `reference = value; accumulator = 0`.
    Load = 0,
    /// `accumulator ^= delta`.
    Accum = 1,
    /// Returns `reference ^ accumulator`.
    Read = 2,
    /// Returns the current state, then `reference = new; accumulator = 0`.
    Swap = 3,
    /// Returns the current state and starts a new epoch from it.
    SwapKeep = 4,
}

impl Opcode {
    /// All opcodes in numeric order.
    pub const ALL: [Opcode; 5] = [
        Opcode::Load,
        Opcode::Accum,
        Opcode::Read,
        Opcode::Swap,
        Opcode::SwapKeep,
    ];

    /// The numeric code driven on the hardware `op` port.
    #[inline]
    pub const fn bits(self) -> u8 {
        self as u8
    }

    /// Decodes a port value; codes 5..=7 are reserved and yield `None`
    /// (the hardware ignores them: no state change, no result).
    #[inline]
    pub const fn from_bits(bits: u8) -> Option<Opcode> {
        match bits {
            0 => Some(Opcode::Load),
            1 => Some(Opcode::Accum),
            2 => Some(Opcode::Read),
            3 => Some(Opcode::Swap),
            4 => Some(Opcode::SwapKeep),
            _ => None,
        }
    }

    /// Whether the operation produces a result (READ, SWAP, SWAP_KEEP).
    #[inline]
    pub const fn has_result(self) -> bool {
        matches!(self, Opcode::Read | Opcode::Swap | Opcode::SwapKeep)
    }

    /// Whether the hardware drives `result_clean` for this operation
    /// (READ only; it is 0 for the swaps).
    #[inline]
    pub const fn reports_clean(self) -> bool {
        matches!(self, Opcode::Read)
    }

    /// Upper-case mnemonic as used in the docs and waveforms.
    pub const fn mnemonic(self) -> &'static str {
        match self {
            Opcode::Load => "LOAD",
            Opcode::Accum => "ACCUM",
            Opcode::Read => "READ",
            Opcode::Swap => "SWAP",
            Opcode::SwapKeep => "SWAP_KEEP",
        }
    }
}

impl core::fmt::Display for Opcode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.mnemonic())
    }
}
