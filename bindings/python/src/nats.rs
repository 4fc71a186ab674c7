//! NATS JetStream replication for Python: the `atomik node` library itself
//! (`atomik_nats::blocking`), so a Python table joins the same stream, with
//! the same frames, checkpoints, snapshots and incarnation rules as the
//! CLI. `python/atomik_core/nats.py` is the user-facing API over these two
//! classes.
//!
//! Every call that waits for the network or the node's loop runs with the
//! GIL released (`py.detach`), so other Python threads run meanwhile. Every
//! error of the library becomes a `NatsError` carrying its whole cause
//! chain; a panic inside it is caught here and reported the same way, so
//! none reaches Python as a `PanicException`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::RwLock;
use std::time::Duration;

use atomik_nats::{ConnOptions, NodeConfig, Op, OpDone, Recovery, Status, blocking};
use pyo3::exceptions::{PyOSError, PyOverflowError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{Width, address};

pyo3::create_exception!(
    atomik_core,
    NatsError,
    PyOSError,
    "NATS replication failed: a bad URL, no server listening, rejected credentials, \
     a timeout, a refused checkpoint, or a node that was closed."
);

/// Adds the classes and the exception to the native module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NatsClient>()?;
    m.add_class::<NatsNode>()?;
    m.add("NatsError", m.py().get_type::<NatsError>())
}

/// The width of every NATS table: `atomik node` replicates 64-bit contexts.
const WIDTH: Width = Width {
    bits: 64,
    mask: u64::MAX as u128,
};

/// Runs `f` without the GIL; a library error or a panic becomes `NatsError`.
fn blocking_call<T: Send>(
    py: Python<'_>,
    what: &str,
    f: impl FnOnce() -> anyhow::Result<T> + Send,
) -> PyResult<T> {
    match py.detach(|| catch_unwind(AssertUnwindSafe(f))) {
        Ok(Ok(v)) => Ok(v),
        // `{:#}` prints the cause chain: "a: b: c".
        Ok(Err(e)) => Err(NatsError::new_err(format!("{what}: {e:#}"))),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(NatsError::new_err(format!("{what}: internal error: {msg}")))
        }
    }
}

/// A connection to NATS with the runtime that drives it.
#[pyclass(module = "atomik_core._native", frozen)]
#[derive(Debug)]
pub(crate) struct NatsClient {
    client: blocking::Client,
    url: String,
}

/// Node settings that Python may change; the rest are `atomik node`'s defaults.
#[derive(Debug)]
struct JoinArgs {
    contexts: usize,
    stream_replicas: usize,
    snapshots: bool,
    checkpoint_every: f64,
}

impl JoinArgs {
    fn config(&self, table: &str, node_id: u16, data_dir: PathBuf) -> PyResult<NodeConfig> {
        // The library's rule, raised before connecting as a ValueError.
        atomik_nats::stream::check_table_name(table)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let positive = |name: &str, v: usize| {
            if v == 0 {
                Err(PyValueError::new_err(format!("{name} must be at least 1")))
            } else {
                Ok(v)
            }
        };
        let every = Duration::try_from_secs_f64(self.checkpoint_every)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                PyValueError::new_err("checkpoint_every must be a positive number of seconds")
            })?;
        let mut cfg = NodeConfig::new(table, node_id, data_dir);
        cfg.contexts = positive("num_contexts", self.contexts)?;
        cfg.stream_replicas = positive("stream_replicas", self.stream_replicas)?;
        cfg.checkpoint_every = every;
        if !self.snapshots {
            cfg.retention = None;
        }
        Ok(cfg)
    }
}

#[pymethods]
impl NatsClient {
    /// Connects to `url` (several comma separated) with optional
    /// user/password, nkey seed file and TLS files.
    #[new]
    #[pyo3(signature = (url, *, user=None, password=None, nkey_seed_file=None, tls_ca=None, tls_cert=None, tls_key=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        url: String,
        user: Option<String>,
        password: Option<String>,
        nkey_seed_file: Option<PathBuf>,
        tls_ca: Option<PathBuf>,
        tls_cert: Option<PathBuf>,
        tls_key: Option<PathBuf>,
    ) -> PyResult<Self> {
        let tls_client = match (tls_cert, tls_key) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            _ => {
                return Err(PyValueError::new_err(
                    "tls_cert and tls_key must be given together",
                ));
            }
        };
        let opts = ConnOptions {
            url: url.clone(),
            user,
            password,
            nkey_seed_file,
            tls_ca,
            tls_client,
        };
        let client = blocking_call(py, "connect", || blocking::Client::connect(&opts))?;
        Ok(NatsClient { client, url })
    }

    /// Joins `table` as node `node_id`, keeping its checkpoint in `data_dir`:
    /// recovers (checkpoint, snapshot or stream), catches up, and serves.
    #[pyo3(signature = (table, node_id, data_dir, *, num_contexts=256, stream_replicas=1, snapshots=true, checkpoint_every=1.0))]
    #[allow(clippy::too_many_arguments)]
    fn join(
        &self,
        py: Python<'_>,
        table: String,
        node_id: u16,
        data_dir: PathBuf,
        num_contexts: usize,
        stream_replicas: usize,
        snapshots: bool,
        checkpoint_every: f64,
    ) -> PyResult<NatsNode> {
        let args = JoinArgs {
            contexts: num_contexts,
            stream_replicas,
            snapshots,
            checkpoint_every,
        };
        let cfg = args.config(&table, node_id, data_dir)?;
        let client = &self.client;
        let what = format!("joining table {table:?} as node {node_id}");
        let node = blocking_call(py, &what, || client.join(cfg))?;
        Ok(NatsNode {
            node: RwLock::new(Some(node)),
            table,
            contexts: num_contexts,
        })
    }

    /// The URL(s) given.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }
}

/// One table's node; `shutdown` writes the final checkpoint and closes it.
#[pyclass(module = "atomik_core._native", frozen)]
#[derive(Debug)]
pub(crate) struct NatsNode {
    /// `None` once shut down. Calls share the lock; `shutdown` takes it whole,
    /// so it waits for calls in flight.
    node: RwLock<Option<blocking::Node>>,
    table: String,
    contexts: usize,
}

impl NatsNode {
    /// Runs `f` on the open node without the GIL.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        what: &str,
        f: impl FnOnce(&blocking::Node) -> anyhow::Result<T> + Send,
    ) -> PyResult<T> {
        let what = format!("table {:?}: {what}", self.table);
        blocking_call(py, &what, || {
            // A poisoned lock only means another call panicked (and was reported).
            let guard = self.node.read().unwrap_or_else(|p| p.into_inner());
            let node = guard
                .as_ref()
                .ok_or_else(|| anyhow::anyhow!("the node is closed"))?;
            f(node)
        })
    }

    fn op(&self, py: Python<'_>, op: Op) -> PyResult<OpDone> {
        self.with(py, "update", |n| n.op(op))
    }
}

/// A value already masked to [`WIDTH`] as the node's word.
fn word(v: u128) -> PyResult<u64> {
    u64::try_from(v)
        .map_err(|_| PyOverflowError::new_err(format!("{v:#x} does not fit in 64 bits")))
}

/// A timeout in seconds.
fn seconds(s: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(s).map_err(|_| {
        PyValueError::new_err(format!(
            "timeout must be a non-negative number of seconds, got {s}"
        ))
    })
}

/// `(sender, seq, epoch)` of an update's message.
type Ident = (u32, u64, u64);

fn ident(done: &OpDone) -> Ident {
    (done.msg.sender, done.msg.seq, done.msg.epoch)
}

#[pymethods]
impl NatsNode {
    /// XORs `delta` into context `addr`; applied locally, queued for the stream.
    fn accum(
        &self,
        py: Python<'_>,
        addr: &Bound<'_, PyAny>,
        delta: &Bound<'_, PyAny>,
    ) -> PyResult<Ident> {
        let a = address(addr, self.contexts)?;
        let d = word(WIDTH.masked_delta(delta)?)?;
        self.op(py, Op::Accum(a, d)).map(|d| ident(&d))
    }

    /// Sets context `addr` to `value` (a new epoch).
    fn load(
        &self,
        py: Python<'_>,
        addr: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<Ident> {
        let a = address(addr, self.contexts)?;
        let v = word(WIDTH.masked(value)?)?;
        self.op(py, Op::Load(a, v)).map(|d| ident(&d))
    }

    /// Sets context `addr` to `value` (a new epoch); returns the old state
    /// and the message's identity.
    fn swap(
        &self,
        py: Python<'_>,
        addr: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<(u64, Ident)> {
        let a = address(addr, self.contexts)?;
        let v = word(WIDTH.masked(value)?)?;
        let done = self.op(py, Op::Swap(a, v))?;
        Ok((done.old.unwrap_or_default(), ident(&done)))
    }

    /// The state of context `addr`.
    fn read(&self, py: Python<'_>, addr: &Bound<'_, PyAny>) -> PyResult<u64> {
        let a = address(addr, self.contexts)?;
        self.with(py, "read", |n| n.read(a))
    }

    /// The state of every context.
    fn dump(&self, py: Python<'_>) -> PyResult<Vec<u64>> {
        self.with(py, "dump", |n| n.dump())
    }

    /// Waits until JetStream acknowledged every earlier update and the
    /// stream is applied to where it ended; returns that stream sequence.
    #[pyo3(signature = (timeout=None))]
    fn sync(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<u64> {
        let t = timeout.map(seconds).transpose()?;
        self.with(py, "sync", |n| n.sync(t))
    }

    /// Writes the checkpoint now (it waits for JetStream to acknowledge
    /// every update it holds, at most `timeout` seconds).
    fn checkpoint(&self, py: Python<'_>, timeout: f64) -> PyResult<()> {
        let t = seconds(timeout)?;
        self.with(py, "checkpoint", |n| n.checkpoint_within(t))
    }

    /// The node's counters and health.
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.with(py, "status", |n| n.status())?;
        status_dict(py, &self.table, &s)
    }

    /// Writes the final checkpoint (waiting at most `timeout` seconds) and
    /// stops the node; it is stopped even if that fails. Later calls do nothing.
    fn shutdown(&self, py: Python<'_>, timeout: f64) -> PyResult<()> {
        let t = seconds(timeout)?;
        let what = format!("table {:?}: shutdown", self.table);
        blocking_call(py, &what, || {
            let node = self.node.write().unwrap_or_else(|p| p.into_inner()).take();
            node.map_or(Ok(()), |n| n.shutdown_within(t))
        })
    }

    /// Whether `shutdown` has run.
    #[getter]
    fn closed(&self, py: Python<'_>) -> bool {
        // Without the GIL: a shutdown in progress holds the lock until it ends.
        py.detach(|| {
            self.node
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .is_none()
        })
    }

    /// The table (stream) name.
    #[getter]
    fn table(&self) -> &str {
        &self.table
    }

    /// Contexts in the table.
    #[getter]
    fn num_contexts(&self) -> usize {
        self.contexts
    }

    /// The current sender id (`node_id << 16 | incarnation`); 0 once closed.
    #[getter]
    fn sender_id(&self, py: Python<'_>) -> u32 {
        py.detach(|| {
            let guard = self.node.read().unwrap_or_else(|p| p.into_inner());
            guard.as_ref().map_or(0, |n| n.progress().sender)
        })
    }
}

/// `status()` as a dict with the fields of `atomik node`'s `status` reply,
/// except that `recovery` is a word and its stream sequence a field of its own.
fn status_dict<'py>(py: Python<'py>, table: &str, s: &Status) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let (recovery, from_seq) = match s.recovery {
        Recovery::Fresh => ("fresh", None),
        Recovery::Checkpoint { stream_seq } => ("checkpoint", Some(stream_seq)),
        Recovery::Snapshot { stream_seq } => ("snapshot", Some(stream_seq)),
    };
    d.set_item("table", table)?;
    d.set_item("node", s.node_id)?;
    d.set_item("sender", s.sender)?;
    d.set_item("recovery", recovery)?;
    d.set_item("recovered_from_seq", from_seq)?;
    d.set_item("refused_checkpoint", s.refused_checkpoint.as_deref())?;
    d.set_item("stream_seq", s.stream_seq)?;
    d.set_item("applied", s.replica.applied)?;
    d.set_item("duplicates", s.replica.duplicates)?;
    d.set_item("stale", s.replica.stale)?;
    d.set_item("refused", s.replica.refused)?;
    for (k, v) in [
        ("sent", s.sent),
        ("acked", s.acked),
        ("batches", s.batches),
        ("redelivered", s.redelivered),
        ("resubscribes", s.resubscribes),
        ("bad_frames", s.bad_frames),
        ("rejected", s.rejected),
        ("rebuilds", s.rebuilds),
        ("snapshots", s.snapshots),
        ("purged_below", s.purged_below),
    ] {
        d.set_item(k, v)?;
    }
    d.set_item("pending", s.pending)?;
    d.set_item("reading", s.reading)?;
    d.set_item("checkpoint_seq", s.checkpoint_seq)?;
    for (k, v) in [
        ("checkpoint_error", &s.checkpoint_error),
        ("publish_error", &s.publish_error),
        ("reader_error", &s.reader_error),
        ("snapshot_error", &s.snapshot_error),
    ] {
        d.set_item(k, v.as_deref())?;
    }
    Ok(d)
}
