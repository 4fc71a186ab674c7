//! `DeltaMessage` objects made and read from Rust.
//!
//! `DeltaMessage` stays 0.2.0's frozen dataclass (defined in
//! `atomik_core/stream.py`), so its fields, equality, hash, repr, pickling and
//! the `dataclasses` functions are exactly the original's. Calling the class
//! runs the dataclass `__init__`, four `object.__setattr__` calls in a Python
//! frame; we do what that `__init__` does without the frame:
//! `object.__new__(cls)`, then `object.__setattr__` of each field in order.
//!
//! Messages a stream or a sync table makes carry their origin in one more
//! instance attribute that is not a dataclass field (so `==`, `hash`, `repr`
//! and `fields()` ignore it): [`sender_key`] for a `DeltaStream`'s random id,
//! [`frame_key`] for a sync table's wire v1 frame.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyString, PyType};

use crate::ffi;
use pyo3::intern;

/// Attribute holding the id of the `DeltaStream` that made a message.
pub(crate) fn sender_key(py: Python<'_>) -> &Bound<'_, PyString> {
    intern!(py, "_atomik_sender")
}

/// Attribute holding the wire v1 frame of a sync table's message.
pub(crate) fn frame_key(py: Python<'_>) -> &Bound<'_, PyString> {
    intern!(py, "_atomik_frame")
}

static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// The `DeltaMessage` dataclass.
pub(crate) fn class(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    CLASS.import(py, "atomik_core.stream", "DeltaMessage")
}

/// A `DeltaMessage(addr, delta, epoch, seq)` carrying `origin` as the hidden
/// attribute `origin.0`.
pub(crate) fn make<'py>(
    py: Python<'py>,
    fields: (&Bound<'py, PyAny>, &Bound<'py, PyAny>, u64, u64),
    origin: Option<(&Bound<'py, PyString>, Bound<'py, PyAny>)>,
) -> PyResult<Bound<'py, PyAny>> {
    let obj = ffi::new_instance(class(py)?)?;
    let (addr, delta, epoch, seq) = fields;
    let set = |name: &Bound<'py, PyString>, value: &Bound<'py, PyAny>| {
        ffi::generic_setattr(&obj, name, value)
    };
    set(intern!(py, "addr"), addr)?;
    set(intern!(py, "delta"), delta)?;
    set(intern!(py, "epoch"), &epoch.into_pyobject(py)?.into_any())?;
    set(intern!(py, "seq"), &seq.into_pyobject(py)?.into_any())?;
    if let Some((name, value)) = origin {
        set(name, &value)?;
    }
    Ok(obj)
}

/// The hidden attribute `name` of a message, if it has one.
pub(crate) fn origin<'py>(
    msg: &Bound<'py, PyAny>,
    name: &Bound<'py, PyString>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    msg.getattr_opt(name)
}
