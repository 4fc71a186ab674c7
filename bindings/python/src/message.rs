//! `DeltaMessage`: 0.2.0's frozen dataclass, with 0.4.0's codecs, as a
//! native class.
//!
//! A stream or sync table makes one message per local change, so making it
//! is most of their cost: as a Python dataclass it took a Python frame and
//! four `object.__setattr__` calls (as long as the whole 0.2.0 `accum`).
//! This class keeps everything code can observe of the dataclass: the
//! fields in order with their defaults, `repr`, `==` (same class and equal
//! fields), `hash`, `FrozenInstanceError` on assignment, pickling and
//! copying, `__match_args__`, and the `dataclasses` functions (`fields`,
//! `asdict`, `astuple`, `replace`, `is_dataclass`), which read the
//! `__dataclass_fields__` of an equivalent dataclass. It has no instance
//! `__dict__`.
//!
//! Messages a stream or sync table makes also carry their origin, which is
//! not a field (so `==`, `hash`, `repr` and `fields()` ignore it): a
//! `DeltaStream`'s random id, or a sync table's wire v1 frame.

use pyo3::basic::CompareOp;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple, PyType};
use pyo3::{IntoPyObjectExt, intern};

/// Where a message came from (not a field).
#[derive(Debug)]
pub(crate) enum Origin {
    /// Built by hand or decoded from 16 bytes: no sender.
    Unknown,
    /// Made by the `DeltaStream` with this id.
    Stream(u64),
    /// Made by a sync table: its wire v1 frame.
    Frame(Py<PyBytes>),
}

/// A single delta to be transmitted between nodes.
///
/// `DeltaMessage(addr, delta, epoch=0, seq=0)`, frozen.
#[pyclass(module = "atomik_core.stream", frozen, subclass)]
#[derive(Debug)]
pub(crate) struct DeltaMessage {
    addr: Py<PyAny>,
    delta: Py<PyAny>,
    epoch: Py<PyAny>,
    seq: Py<PyAny>,
    pub(crate) origin: Origin,
}

fn zero() -> Py<PyAny> {
    Python::attach(|py| 0u8.into_py_any(py)).unwrap_or_else(|_| unreachable!("0 converts"))
}

/// The 0.4.0 wire record's `struct` format.
const WIRE_FORMAT: &str = "!IQI";
const WIRE_SIZE: usize = 16;

static SHAPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// A plain frozen dataclass with the same fields, whose dataclass metadata
/// this class shows.
fn shape(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    SHAPE
        .get_or_try_init(py, || {
            let dc = py.import("dataclasses")?;
            let field = dc.getattr("field")?;
            let kw = PyDict::new(py);
            kw.set_item("default", 0)?;
            let (any, int) = (
                py.import("typing")?.getattr("Any")?,
                py.get_type::<pyo3::types::PyInt>(),
            );
            let fields = (
                ("addr", any),
                ("delta", &int),
                ("epoch", &int, field.call((), Some(&kw))?),
                ("seq", &int, field.call((), Some(&kw))?),
            );
            let kw = PyDict::new(py);
            kw.set_item("frozen", true)?;
            let cls = dc.call_method("make_dataclass", ("DeltaMessage", fields), Some(&kw))?;
            PyResult::Ok(cls.cast_into::<PyType>()?.unbind())
        })
        .map(|t| t.bind(py))
}

impl DeltaMessage {
    /// A message with the given fields and origin.
    pub(crate) fn new_from(
        fields: (&Bound<'_, PyAny>, &Bound<'_, PyAny>, u64, u64),
        origin: Origin,
    ) -> PyResult<Self> {
        let (addr, delta, epoch, seq) = fields;
        let py = addr.py();
        Ok(DeltaMessage {
            addr: addr.clone().unbind(),
            delta: delta.clone().unbind(),
            epoch: epoch.into_py_any(py)?,
            seq: seq.into_py_any(py)?,
            origin,
        })
    }

    fn fields<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, [&self.addr, &self.delta, &self.epoch, &self.seq])
    }
}

/// A message made by a stream or sync table, as a Python object.
pub(crate) fn make<'py>(
    py: Python<'py>,
    fields: (&Bound<'py, PyAny>, &Bound<'py, PyAny>, u64, u64),
    origin: Origin,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(Bound::new(py, DeltaMessage::new_from(fields, origin)?)?.into_any())
}

/// The origin of any message-like object (`Unknown` unless it is ours).
pub(crate) fn origin_of<'a>(msg: &'a Bound<'_, PyAny>) -> Option<&'a Origin> {
    msg.cast::<DeltaMessage>().ok().map(|m| &m.get().origin)
}

#[pymethods]
impl DeltaMessage {
    #[new]
    #[pyo3(signature = (addr, delta, epoch = zero(), seq = zero()))]
    fn py_new(addr: Py<PyAny>, delta: Py<PyAny>, epoch: Py<PyAny>, seq: Py<PyAny>) -> Self {
        DeltaMessage {
            addr,
            delta,
            epoch,
            seq,
            origin: Origin::Unknown,
        }
    }

    /// Context address this delta applies to.
    #[getter]
    fn addr(&self, py: Python<'_>) -> Py<PyAny> {
        self.addr.clone_ref(py)
    }

    /// The XOR delta value.
    #[getter]
    fn delta(&self, py: Python<'_>) -> Py<PyAny> {
        self.delta.clone_ref(py)
    }

    /// Epoch number (incremented on load by the sending stream).
    #[getter]
    fn epoch(&self, py: Python<'_>) -> Py<PyAny> {
        self.epoch.clone_ref(py)
    }

    /// Sequence number (monotonic per sender).
    #[getter]
    fn seq(&self, py: Python<'_>) -> Py<PyAny> {
        self.seq.clone_ref(py)
    }

    #[classattr]
    fn __match_args__(py: Python<'_>) -> PyResult<Py<PyTuple>> {
        Ok(PyTuple::new(py, ["addr", "delta", "epoch", "seq"])?.unbind())
    }

    #[classattr]
    fn __dataclass_fields__(py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(shape(py)?.getattr("__dataclass_fields__")?.unbind())
    }

    #[classattr]
    fn __dataclass_params__(py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(shape(py)?.getattr("__dataclass_params__")?.unbind())
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let m = slf.get();
        let py = slf.py();
        Ok(format!(
            "{}(addr={}, delta={}, epoch={}, seq={})",
            slf.get_type().qualname()?,
            m.addr.bind(py).repr()?,
            m.delta.bind(py).repr()?,
            m.epoch.bind(py).repr()?,
            m.seq.bind(py).repr()?
        ))
    }

    fn __richcmp__(
        slf: &Bound<'_, Self>,
        other: &Bound<'_, PyAny>,
        op: CompareOp,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        // The dataclass compares only instances of exactly the same class.
        if !matches!(op, CompareOp::Eq | CompareOp::Ne) || !other.get_type().is(slf.get_type()) {
            return Ok(py.NotImplemented());
        }
        let other = other.cast::<DeltaMessage>()?;
        let eq = slf.get().fields(py)?.eq(other.get().fields(py)?)?;
        (eq == matches!(op, CompareOp::Eq)).into_py_any(py)
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        self.fields(py)?.hash()
    }

    fn __setattr__(&self, name: &Bound<'_, PyString>, _value: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(frozen(name))
    }

    fn __delattr__(&self, name: &Bound<'_, PyString>) -> PyResult<()> {
        Err(frozen(name))
    }

    /// Pickle and copy support (the origin travels along).
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let m = slf.get();
        let origin = match &m.origin {
            Origin::Unknown => py.None(),
            Origin::Stream(id) => id.into_py_any(py)?,
            Origin::Frame(f) => f.clone_ref(py).into_any(),
        };
        let ctor = py
            .import("atomik_core._native")?
            .getattr("_message_from_parts")?;
        let args = (slf.get_type(), m.fields(py)?, origin);
        (ctor, args).into_pyobject(py).map(Bound::into_any)
    }

    /// `{"addr", "delta", "seq"}` (0.4.0's form: no epoch).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("addr", &self.addr)?;
        d.set_item("delta", &self.delta)?;
        d.set_item("seq", &self.seq)?;
        Ok(d)
    }

    /// The message of a `to_dict` dictionary.
    #[classmethod]
    fn from_dict<'py>(
        cls: &Bound<'py, PyType>,
        d: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kw = PyDict::new(cls.py());
        for key in ["addr", "delta", "seq"] {
            kw.set_item(key, d.get_item(key)?)?;
        }
        cls.call((), Some(&kw))
    }

    /// The 16-byte `!IQI` record: addr, delta, seq (no sender, no epoch).
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let args = (WIRE_FORMAT, &self.addr, &self.delta, &self.seq);
        py.import(intern!(py, "struct"))?
            .call_method1(intern!(py, "pack"), args)
    }

    /// The message of a 16-byte record; `ValueError` for any other length.
    #[classmethod]
    fn from_bytes<'py>(
        cls: &Bound<'py, PyType>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = cls.py();
        let n = data.len()?;
        if n != WIRE_SIZE {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "expected {WIRE_SIZE} bytes, got {n}"
            )));
        }
        let (addr, delta, seq): (Py<PyAny>, Py<PyAny>, Py<PyAny>) = py
            .import(intern!(py, "struct"))?
            .call_method1(intern!(py, "unpack"), (WIRE_FORMAT, data))?
            .extract()?;
        let kw = PyDict::new(py);
        kw.set_item("addr", addr)?;
        kw.set_item("delta", delta)?;
        kw.set_item("seq", seq)?;
        cls.call((), Some(&kw))
    }
}

/// `dataclasses.FrozenInstanceError`, as the dataclass raises it.
fn frozen(name: &Bound<'_, PyString>) -> PyErr {
    let py = name.py();
    let shown = name.repr().map_or_else(|_| "?".into(), |r| r.to_string());
    let msg = format!("cannot assign to field {shown}");
    match py
        .import("dataclasses")
        .and_then(|m| m.getattr("FrozenInstanceError"))
        .and_then(|c| Ok(c.cast_into::<PyType>()?))
    {
        Ok(cls) => PyErr::from_type(cls, msg),
        Err(e) => e,
    }
}

/// Rebuilds a message of class `cls` with `fields` and `origin` (pickle).
/// A subclass is rebuilt by its own constructor, without the origin.
#[pyfunction]
pub(crate) fn _message_from_parts<'py>(
    cls: &Bound<'py, PyType>,
    fields: (Py<PyAny>, Py<PyAny>, Py<PyAny>, Py<PyAny>),
    origin: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = cls.py();
    if !cls.is(py.get_type::<DeltaMessage>()) {
        return cls.call1(fields);
    }
    let origin = if let Ok(frame) = origin.cast::<PyBytes>() {
        Origin::Frame(frame.clone().unbind())
    } else if origin.is_none() {
        Origin::Unknown
    } else {
        Origin::Stream(origin.extract()?)
    };
    let (addr, delta, epoch, seq) = fields;
    let m = DeltaMessage {
        addr,
        delta,
        epoch,
        seq,
        origin,
    };
    Ok(Bound::new(py, m)?.into_any())
}

/// The wire v1 frame a sync table's message carries, or None.
#[pyfunction]
pub(crate) fn frame_of(py: Python<'_>, msg: &Bound<'_, PyAny>) -> Option<Py<PyBytes>> {
    match origin_of(msg) {
        Some(Origin::Frame(f)) => Some(f.clone_ref(py)),
        _ => None,
    }
}
