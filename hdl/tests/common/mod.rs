//! What the rust-hdl simulation tests share.

use atomik::Opcode;

// The opcodes as raw values of the 3-bit `op` port: the tests also drive
// the reserved codes 5..8, which no `Opcode` names.
/// LOAD on the `op` port.
pub(crate) const OP_LOAD: u64 = Opcode::Load as u64;
/// ACCUM on the `op` port.
pub(crate) const OP_ACCUM: u64 = Opcode::Accum as u64;
/// READ on the `op` port.
pub(crate) const OP_READ: u64 = Opcode::Read as u64;
/// SWAP on the `op` port.
pub(crate) const OP_SWAP: u64 = Opcode::Swap as u64;
/// SWAP_KEEP on the `op` port.
pub(crate) const OP_SWAP_KEEP: u64 = Opcode::SwapKeep as u64;
