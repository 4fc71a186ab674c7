//! The native half of the `atomik_core` Python package: a drop-in for the
//! pure-Python `atomik-core` 0.2.0 backed by the `atomik` crate.
//!
//! The Python package (`python/atomik_core`) re-exports these classes and adds
//! what is plainest in Python: the 0.4.0 sync API's thin wrappers and
//! transports over the native sync core.

mod board;
mod buffer;
mod context;
mod convert;
mod ffi;
mod fingerprint;
mod message;
#[cfg(feature = "nats")]
mod nats;
mod replica;
mod slot;
mod stream;
mod sync;
mod table;

use pyo3::prelude::*;

/// Native classes of `atomik_core` (import them from `atomik_core`).
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<context::AtomikContext>()?;
    m.add_class::<table::AtomikTable>()?;
    m.add_class::<fingerprint::Fingerprint>()?;
    m.add_class::<fingerprint::PositionalFingerprint>()?;
    m.add_class::<replica::Replica>()?;
    m.add_class::<message::DeltaMessage>()?;
    m.add_class::<stream::DeltaStream>()?;
    m.add_class::<sync::SyncCore>()?;
    m.add_class::<board::BoardTable>()?;
    m.add_function(wrap_pyfunction!(context::_context_from_parts, m)?)?;
    m.add_function(wrap_pyfunction!(table::_table_from_parts, m)?)?;
    m.add_function(wrap_pyfunction!(fingerprint::_fingerprint_from_parts, m)?)?;
    m.add_function(wrap_pyfunction!(replica::decode_frame, m)?)?;
    m.add_function(wrap_pyfunction!(message::_message_from_parts, m)?)?;
    m.add_function(wrap_pyfunction!(message::frame_of, m)?)?;
    m.add("WireFormatError", py.get_type::<replica::WireFormatError>())?;
    m.add("ReplicaRefused", py.get_type::<replica::ReplicaRefused>())?;
    m.add("WalError", py.get_type::<sync::WalError>())?;
    m.add("BoardError", py.get_type::<board::BoardError>())?;
    m.add("BoardTimeout", py.get_type::<board::BoardTimeout>())?;
    m.add("BoardReset", py.get_type::<board::BoardReset>())?;
    m.add(
        "BoardProtocolError",
        py.get_type::<board::BoardProtocolError>(),
    )?;
    m.add("MAX_WIDTH", convert::MAX_WIDTH)?;
    m.add("GIL_RELEASE_THRESHOLD", buffer::DETACH_THRESHOLD)?;
    #[cfg(feature = "nats")]
    nats::register(m)?;
    Ok(())
}
