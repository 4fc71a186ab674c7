//! The thin binding to the Verilator models (csrc/shim.cpp): the only module
//! of the workspace besides the C-ABI crate that uses `unsafe`.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::marker::PhantomData;
use std::path::Path;

use atomik_hdl::axis_check::{AxisInputs, AxisOutputs};
use atomik_hdl::contract::{Inputs, Outputs};

use crate::design::{Design, Kind};

/// The inputs driven during one clock cycle.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortsIn {
    /// `reset`.
    pub reset: u8,
    /// `op_valid`.
    pub op_valid: u8,
    /// `op` (3 bits).
    pub op: u8,
    pad0: u8,
    /// `addr`.
    pub addr: u32,
    /// `data_in`.
    pub data_in: u64,
}

impl PortsIn {
    /// Inputs with the given values.
    pub fn new(reset: bool, op_valid: bool, op: u8, addr: u32, data_in: u64) -> Self {
        PortsIn {
            reset: u8::from(reset),
            op_valid: u8::from(op_valid),
            op,
            pad0: 0,
            addr,
            data_in,
        }
    }
}

impl From<Inputs> for PortsIn {
    #[inline]
    fn from(i: Inputs) -> PortsIn {
        PortsIn::new(i.reset, i.op_valid, i.op, i.addr, i.data_in)
    }
}

/// The most ACCUM lanes a lanes design can have (the hdl crate's largest
/// supported count); `lane_valid` travels as a `u32`.
pub const MAX_LANES: usize = 16;

/// The inputs of an `atomik_lane_table` with `N` lanes driven during one
/// clock cycle (the shim's `LaneIn<N>`): the control port, then lane i's
/// valid bit (bit i), address and delta.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LanePortsIn<const N: usize> {
    /// The control port.
    pub control: PortsIn,
    /// `lane_valid`.
    pub lane_valid: u32,
    pad0: u32,
    /// `lane_addr`, one byte per lane.
    pub lane_addr: [u8; N],
    /// `lane_delta`, one word per lane.
    pub lane_delta: [u64; N],
}

impl<const N: usize> Default for LanePortsIn<N> {
    fn default() -> Self {
        Self::new(PortsIn::default(), 0, [0; N], [0; N])
    }
}

impl<const N: usize> LanePortsIn<N> {
    /// Lane inputs with the given values.
    pub fn new(
        control: PortsIn,
        lane_valid: u32,
        lane_addr: [u8; N],
        lane_delta: [u64; N],
    ) -> Self {
        LanePortsIn {
            control,
            lane_valid,
            pad0: 0,
            lane_addr,
            lane_delta,
        }
    }
}

/// An op-beat offer and the other inputs of `atomik_axis` for one cycle
/// (the shim's `atomik_sim_axis_in`). The shim's AXI source presents the
/// offer only if no earlier beat is still waiting to be taken; see
/// [`AxisPortsOut::s_tvalid`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AxisPortsIn {
    /// `aresetn`.
    pub aresetn: u8,
    /// Offer a beat (`s_axis_tvalid`).
    pub s_tvalid: u8,
    /// `m_axis_tready`.
    pub m_tready: u8,
    pad0: u8,
    pad1: u32,
    /// The offered beat, little-endian 64-bit halves.
    pub s_tdata: [u64; 2],
}

impl AxisPortsIn {
    /// Inputs with the given values.
    pub fn new(aresetn: bool, s_tvalid: bool, s_tdata: u128, m_tready: bool) -> Self {
        AxisPortsIn {
            aresetn: u8::from(aresetn),
            s_tvalid: u8::from(s_tvalid),
            m_tready: u8::from(m_tready),
            pad0: 0,
            pad1: 0,
            s_tdata: halves(s_tdata),
        }
    }
}

/// What `atomik_axis` showed during a cycle, and the op beat the shim's AXI
/// source drove in it (the shim's `atomik_sim_axis_out`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AxisPortsOut {
    /// `s_axis_tready`.
    pub s_tready: u8,
    /// `m_axis_tvalid`.
    pub m_tvalid: u8,
    /// `s_axis_tvalid` as driven.
    pub s_tvalid: u8,
    pad0: u8,
    pad1: u32,
    /// `m_axis_tdata`.
    pub m_tdata: [u64; 2],
    /// `s_axis_tdata` as driven.
    pub s_tdata: [u64; 2],
}

impl AxisPortsOut {
    /// The inputs as driven and the outputs, as the contract checker takes them.
    #[inline]
    pub fn checked(&self, aresetn: bool, m_tready: bool) -> (AxisInputs, AxisOutputs) {
        let inputs = AxisInputs {
            aresetn,
            s_tvalid: self.s_tvalid != 0,
            s_tdata: joined(self.s_tdata),
            m_tready,
        };
        let outputs = AxisOutputs {
            s_tready: self.s_tready != 0,
            m_tvalid: self.m_tvalid != 0,
            m_tdata: joined(self.m_tdata),
        };
        (inputs, outputs)
    }
}

/// A beat as little-endian 64-bit halves.
// Splitting into halves: the truncation is the point.
#[allow(clippy::cast_possible_truncation)]
fn halves(beat: u128) -> [u64; 2] {
    [beat as u64, (beat >> 64) as u64]
}

fn joined(h: [u64; 2]) -> u128 {
    u128::from(h[0]) | u128::from(h[1]) << 64
}

/// The inputs of `atomik_board` during one cycle (the shim's
/// `atomik_sim_board_in`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BoardPortsIn {
    /// `btn`, the reset button as wired.
    pub btn: u8,
    /// `uart_rx`, from the host (idle high).
    pub uart_rx: u8,
}

/// What `atomik_board` showed during a cycle (the shim's
/// `atomik_sim_board_out`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BoardPortsOut {
    /// `uart_tx`, to the host (idle high).
    pub uart_tx: u8,
    /// `led`, as wired (up to 8).
    pub led: u8,
}

/// The outputs observed during a cycle (before its closing rising edge).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortsOut {
    /// `ready`.
    pub ready: u8,
    /// `result_valid`.
    pub result_valid: u8,
    /// `result_clean`.
    pub result_clean: u8,
    pad0: u8,
    pad1: u32,
    /// `result`.
    pub result: u64,
}

impl PortsOut {
    /// The values the timing-contract checker compares.
    #[inline]
    pub fn outputs(&self) -> Outputs {
        Outputs {
            ready: self.ready != 0,
            result_valid: self.result_valid != 0,
            result: self.result,
            result_clean: self.result_clean != 0,
        }
    }
}

mod ffi {
    use std::ffi::{c_char, c_int, c_void};

    /// A model's C constructor (csrc/model.h `make`).
    pub(super) type Constructor = unsafe extern "C" fn(
        vcd: *const c_char,
        seed: u32,
        out: *mut *mut c_void,
        msg: *mut c_char,
        msg_len: usize,
    ) -> c_int;

    // The constructors of the catalogue's models and `constructor(name,
    // traced)`, written by build.rs from the same catalogue.
    include!(concat!(env!("OUT_DIR"), "/models.rs"));

    unsafe extern "C" {
        pub(super) fn atomik_sim_free(h: *mut c_void);
        /// ACCUM lanes of the model's input structs (0: not a lanes table).
        pub(super) fn atomik_sim_lanes(h: *mut c_void) -> usize;
        /// `input`/`output`: `n` port structs of the model's kind.
        pub(super) fn atomik_sim_run(
            h: *mut c_void,
            input: *const c_void,
            output: *mut c_void,
            n: usize,
        ) -> c_int;
    }
}

/// Why a model could not be created.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The design is not co-simulated in lock step with a cycle checker
    /// (a board top: `atomik board cosim` drives it through its UART).
    #[error("{0} is a board top: co-simulate it with `atomik board cosim`")]
    NotLockstep(Design),
    /// The VCD path is not representable as a C string.
    #[error("bad VCD path {0}")]
    BadPath(String),
    /// A VCD was asked of a model built without tracing (shim status
    /// `ATOMIK_SIM_NO_TRACE`).
    #[error("the {} model was built without --trace: it cannot write a VCD", .0.name())]
    NoTrace(Design),
    /// The VCD file could not be opened for writing (`ATOMIK_SIM_VCD_OPEN`).
    #[error("cannot open VCD file {0} for writing")]
    VcdOpen(String),
    /// Memory ran out while building the model (`ATOMIK_SIM_NO_MEMORY`).
    #[error("out of memory building the {} model", .0.name())]
    OutOfMemory(Design),
    /// The model's constructor threw (`ATOMIK_SIM_EXCEPTION`, or a status
    /// this binding does not know).
    #[error("building the {} model failed: {message}", .design.name())]
    Exception {
        /// The design.
        design: Design,
        /// The C++ exception's text.
        message: String,
    },
}

/// The shim's `atomik_sim_status` values (csrc/ports.h).
mod status {
    pub(super) const OK: i32 = 0;
    pub(super) const NO_TRACE: i32 = 1;
    pub(super) const VCD_OPEN: i32 = 2;
    pub(super) const NO_MEMORY: i32 = 3;
}

impl ModelError {
    /// The error for a non-OK shim status.
    fn from_status(status: i32, design: Design, vcd: Option<&Path>, message: &[u8]) -> ModelError {
        let text = |m: &[u8]| {
            let end = m.iter().position(|&b| b == 0).unwrap_or(m.len());
            String::from_utf8_lossy(&m[..end]).into_owned()
        };
        match status {
            status::NO_TRACE => ModelError::NoTrace(design),
            status::VCD_OPEN => {
                ModelError::VcdOpen(vcd.map_or_else(String::new, |p| p.display().to_string()))
            }
            status::NO_MEMORY => ModelError::OutOfMemory(design),
            status::OK => unreachable!("OK is not an error"),
            other => ModelError::Exception {
                design,
                message: match text(message) {
                    m if m.is_empty() => format!("unknown shim status {other}"),
                    m => m,
                },
            },
        }
    }
}

/// One Verilator model instance with its own `VerilatedContext`.
///
/// Not `Send`: Verilator models are single-threaded objects, and this keeps
/// each one on the thread that created it.
#[derive(Debug)]
pub struct Model {
    handle: std::ptr::NonNull<std::ffi::c_void>,
    design: Design,
    _not_send: PhantomData<*mut ()>,
}

impl Model {
    /// A model of `design`, state zero-initialised, no trace.
    pub fn new(design: Design) -> Result<Model, ModelError> {
        Self::build(design, None, 0)
    }

    /// A model with an optional VCD trace of every cycle and an optional
    /// random initial state (every flop and memory word random, from the
    /// given seed: only a correct reset makes such a model behave).
    pub fn with_options(
        design: Design,
        vcd: Option<&Path>,
        random_state: Option<u32>,
    ) -> Result<Model, ModelError> {
        Self::build(design, vcd, random_state.map_or(0, |s| s.max(1)))
    }

    fn build(design: Design, vcd: Option<&Path>, seed: u32) -> Result<Model, ModelError> {
        let path = vcd
            .map(|p| {
                CString::new(p.as_os_str().as_encoded_bytes())
                    .map_err(|_| ModelError::BadPath(p.display().to_string()))
            })
            .transpose()?;
        let ptr = path.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
        // A design may have an untraced build for speed (41 vs 46 ns per
        // cycle on the default design); a trace needs the traced one.
        let new = ffi::constructor(design.name(), vcd.is_some()).ok_or_else(|| {
            ModelError::Exception {
                design,
                message: "no Verilator model was built for this design".into(),
            }
        })?;
        let mut raw = std::ptr::null_mut();
        let mut message = [0u8; 256];
        // SAFETY: `ptr` is NULL or a NUL-terminated string alive for the call
        // (the shim copies what it needs); `raw` and `message` are valid for
        // writes of one pointer and of `message.len()` bytes.
        let rc = unsafe {
            new(
                ptr,
                seed,
                &raw mut raw,
                message.as_mut_ptr().cast(),
                message.len(),
            )
        };
        if rc != status::OK {
            return Err(ModelError::from_status(rc, design, vcd, &message));
        }
        let handle = std::ptr::NonNull::new(raw).ok_or_else(|| ModelError::Exception {
            design,
            message: "the shim reported success without a model".into(),
        })?;
        let model = Model {
            handle,
            design,
            _not_send: PhantomData,
        };
        // SAFETY: the handle is live (just built, owned by `model`).
        let lanes = unsafe { ffi::atomik_sim_lanes(handle.as_ptr()) };
        if lanes != design.lanes() {
            // build.rs names each model's port struct (`Lanes<N>`): a wrong
            // N would make the shim read the Rust arrays with another layout.
            return Err(ModelError::Exception {
                design,
                message: format!(
                    "the shim drives {lanes} lanes, the design has {}",
                    design.lanes()
                ),
            });
        }
        Ok(model)
    }

    /// The simulated design.
    pub fn design(&self) -> Design {
        self.design
    }

    /// Runs one clock cycle per element of `input`, writing what the outputs
    /// were during that cycle into `output`.
    ///
    /// # Panics
    /// If the design is not an `atomik_state_table` ([`Kind::Table`]), the
    /// slices differ in length, or the model reports an internal error.
    pub fn run(&mut self, input: &[PortsIn], output: &mut [PortsOut]) {
        assert_eq!(
            self.design.kind(),
            Kind::Table,
            "a lanes model takes LanePortsIn"
        );
        self.run_raw(input, output);
    }

    /// [`run`](Self::run) for an `atomik_lane_table` with `N` lanes
    /// ([`Kind::Lanes`]).
    ///
    /// # Panics
    /// If the design does not have `N` lanes, the slices differ in length,
    /// or the model reports an internal error.
    pub fn run_lanes<const N: usize>(&mut self, input: &[LanePortsIn<N>], output: &mut [PortsOut]) {
        assert!(
            matches!(self.design.kind(), Kind::Lanes(n) if n == N),
            "{:?} does not take LanePortsIn<{N}>",
            self.design
        );
        self.run_raw(input, output);
    }

    /// [`run`](Self::run) for `atomik_axis` ([`Kind::Axis`]).
    ///
    /// # Panics
    /// If the design is not `atomik_axis`, the slices differ in length, or
    /// the model reports an internal error.
    pub fn run_axis(&mut self, input: &[AxisPortsIn], output: &mut [AxisPortsOut]) {
        assert_eq!(self.design.kind(), Kind::Axis, "not an atomik_axis model");
        self.run_raw(input, output);
    }

    /// [`run`](Self::run) for `atomik_board` ([`Kind::Board`]).
    ///
    /// # Panics
    /// If the design is not a board top, the slices differ in length, or
    /// the model reports an internal error.
    pub fn run_board(&mut self, input: &[BoardPortsIn], output: &mut [BoardPortsOut]) {
        assert_eq!(self.design.kind(), Kind::Board, "not an atomik_board model");
        self.run_raw(input, output);
    }

    /// Only for the port structs of this model's kind (checked by the callers).
    fn run_raw<I, O>(&mut self, input: &[I], output: &mut [O]) {
        assert_eq!(input.len(), output.len(), "one output per input cycle");
        {
            // SAFETY: the handle is live (owned by self, freed only in Drop);
            // both pointers are valid for `len` elements of the #[repr(C)]
            // types the shim declares with the same layout, and `I`/`O` are
            // the structs of this model's kind (checked by `run`,
            // `run_lanes`, `run_axis`).
            let rc = unsafe {
                ffi::atomik_sim_run(
                    self.handle.as_ptr(),
                    input.as_ptr().cast(),
                    output.as_mut_ptr().cast(),
                    input.len(),
                )
            };
            assert_eq!(rc, 0, "the Verilator model raised an exception");
        }
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: the handle came from atomik_sim_new and is freed exactly once.
        unsafe {
            ffi::atomik_sim_free(self.handle.as_ptr());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: the shim used to throw `std::bad_alloc` for "VCD not
    /// opened", which surfaced as an anonymous construction failure. Now it
    /// is a typed error naming the file.
    #[test]
    fn an_unwritable_vcd_is_a_typed_error() {
        let path = Path::new("/nonexistent-atomik-dir/trace.vcd");
        let small = Design::named("small").unwrap();
        let err = Model::with_options(small, Some(path), None).unwrap_err();
        assert!(matches!(&err, ModelError::VcdOpen(p) if p == &path.display().to_string()));
        assert_eq!(
            err.to_string(),
            "cannot open VCD file /nonexistent-atomik-dir/trace.vcd for writing"
        );
    }

    #[test]
    fn port_layouts_match_the_shim() {
        // csrc/shim.cpp: u8 x4, u32, u64 for both structs.
        assert_eq!(std::mem::size_of::<PortsIn>(), 16);
        assert_eq!(std::mem::offset_of!(PortsIn, addr), 4);
        assert_eq!(std::mem::offset_of!(PortsIn, data_in), 8);
        assert_eq!(std::mem::size_of::<PortsOut>(), 16);
        assert_eq!(std::mem::offset_of!(PortsOut, result), 8);
        // csrc/model.h LaneIn<N>: atomik_sim_in, u32 x2, u8[N], u64[N].
        assert_eq!(std::mem::size_of::<LanePortsIn<16>>(), 16 + 8 + 16 + 8 * 16);
        assert_eq!(std::mem::offset_of!(LanePortsIn<16>, lane_valid), 16);
        assert_eq!(std::mem::offset_of!(LanePortsIn<16>, lane_addr), 24);
        assert_eq!(std::mem::offset_of!(LanePortsIn<16>, lane_delta), 40);
        assert_eq!(std::mem::size_of::<LanePortsIn<3>>(), 16 + 8 + 8 + 8 * 3);
        assert_eq!(std::mem::offset_of!(LanePortsIn<3>, lane_delta), 32);
        for d in Design::all() {
            assert!(d.lanes() <= MAX_LANES, "{d:?}");
        }
        // csrc/ports.h: u8 x4, u32, u64[2] in; u8 x4, u32, u64[2] x2 out.
        assert_eq!(std::mem::size_of::<AxisPortsIn>(), 24);
        assert_eq!(std::mem::offset_of!(AxisPortsIn, s_tdata), 8);
        assert_eq!(std::mem::size_of::<AxisPortsOut>(), 40);
        assert_eq!(std::mem::offset_of!(AxisPortsOut, s_tvalid), 2);
        assert_eq!(std::mem::offset_of!(AxisPortsOut, m_tdata), 8);
        assert_eq!(std::mem::offset_of!(AxisPortsOut, s_tdata), 24);
    }
}
