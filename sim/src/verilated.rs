//! The thin binding to the Verilator models (csrc/shim.cpp): the only module
//! of the workspace besides the C-ABI crate that uses `unsafe`.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::marker::PhantomData;
use std::path::Path;

/// Which emitted Verilog to simulate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Design {
    /// `hdl/verilog/atomik_state_table.v`: 256 contexts × 64 bits.
    Default,
    /// `hdl/verilog/16x32/atomik_state_table.v`: 16 × 32.
    Small16x32,
    /// `hdl/verilog/mutants/no_forwarding/…`: 256 × 64 with hazard forwarding
    /// removed. Wrong on purpose; the harness must catch it.
    MutantNoForwarding,
}

impl Design {
    /// Number of contexts.
    pub fn contexts(self) -> usize {
        match self {
            Design::Small16x32 => 16,
            Design::Default | Design::MutantNoForwarding => 256,
        }
    }

    /// Bits per context.
    pub fn width(self) -> u32 {
        match self {
            Design::Small16x32 => 32,
            Design::Default | Design::MutantNoForwarding => 64,
        }
    }
}

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

#[cfg(not(atomik_no_verilator))]
mod ffi {
    use super::{PortsIn, PortsOut};
    use std::ffi::{c_char, c_int, c_void};

    unsafe extern "C" {
        pub(super) fn atomik_sim_new_default(vcd: *const c_char, seed: u32) -> *mut c_void;
        pub(super) fn atomik_sim_new_default_fast(vcd: *const c_char, seed: u32) -> *mut c_void;
        pub(super) fn atomik_sim_new_small(vcd: *const c_char, seed: u32) -> *mut c_void;
        pub(super) fn atomik_sim_new_mutant(vcd: *const c_char, seed: u32) -> *mut c_void;
        pub(super) fn atomik_sim_free(h: *mut c_void);
        pub(super) fn atomik_sim_run(
            h: *mut c_void,
            input: *const PortsIn,
            output: *mut PortsOut,
            n: usize,
        ) -> c_int;
    }
}

/// Why a model could not be created.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// This build has no Verilator models.
    #[error("co-simulation unavailable: Verilator was not found when atomik-sim was built")]
    Unavailable,
    /// The VCD path is not representable as a C string.
    #[error("bad VCD path {0}")]
    BadPath(String),
    /// The shim failed to construct the model (e.g. the VCD file cannot be opened).
    #[error("Verilator model construction failed (VCD path {0:?})")]
    Construct(Option<String>),
}

/// Whether this build contains the Verilator models.
pub const AVAILABLE: bool = cfg!(not(atomik_no_verilator));

/// One Verilator model instance with its own `VerilatedContext`.
///
/// Not `Send`: Verilator models are single-threaded objects, and this keeps
/// each one on the thread that created it.
#[derive(Debug)]
pub struct Model {
    #[cfg(not(atomik_no_verilator))]
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

    #[cfg(not(atomik_no_verilator))]
    fn build(design: Design, vcd: Option<&Path>, seed: u32) -> Result<Model, ModelError> {
        let path = vcd
            .map(|p| {
                CString::new(p.as_os_str().as_encoded_bytes())
                    .map_err(|_| ModelError::BadPath(p.display().to_string()))
            })
            .transpose()?;
        let ptr = path.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
        // The default design has an untraced build for speed (41 vs 46 ns
        // per cycle); a trace needs the traced one.
        let new = match (design, vcd.is_some()) {
            (Design::Default, false) => ffi::atomik_sim_new_default_fast,
            (Design::Default, true) => ffi::atomik_sim_new_default,
            (Design::Small16x32, _) => ffi::atomik_sim_new_small,
            (Design::MutantNoForwarding, _) => ffi::atomik_sim_new_mutant,
        };
        // SAFETY: `ptr` is NULL or a NUL-terminated string alive for the call;
        // the shim copies what it needs.
        let raw = unsafe { new(ptr, seed) };
        let handle = std::ptr::NonNull::new(raw)
            .ok_or_else(|| ModelError::Construct(vcd.map(|p| p.display().to_string())))?;
        Ok(Model {
            handle,
            design,
            _not_send: PhantomData,
        })
    }

    #[cfg(atomik_no_verilator)]
    fn build(_: Design, _: Option<&Path>, _: u32) -> Result<Model, ModelError> {
        let _ = CString::default;
        Err(ModelError::Unavailable)
    }

    /// The simulated design.
    pub fn design(&self) -> Design {
        self.design
    }

    /// Runs one clock cycle per element of `input`, writing what the outputs
    /// were during that cycle into `output`.
    ///
    /// # Panics
    /// If the slices differ in length, or the model reports an internal error.
    pub fn run(&mut self, input: &[PortsIn], output: &mut [PortsOut]) {
        assert_eq!(input.len(), output.len(), "one output per input cycle");
        #[cfg(not(atomik_no_verilator))]
        {
            // SAFETY: the handle is live (owned by self, freed only in Drop);
            // both pointers are valid for `len` elements of the #[repr(C)]
            // types the shim declares with the same layout.
            let rc = unsafe {
                ffi::atomik_sim_run(
                    self.handle.as_ptr(),
                    input.as_ptr(),
                    output.as_mut_ptr(),
                    input.len(),
                )
            };
            assert_eq!(rc, 0, "the Verilator model raised an exception");
        }
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        #[cfg(not(atomik_no_verilator))]
        // SAFETY: the handle came from atomik_sim_new and is freed exactly once.
        unsafe {
            ffi::atomik_sim_free(self.handle.as_ptr());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_layouts_match_the_shim() {
        // csrc/shim.cpp: u8 x4, u32, u64 for both structs.
        assert_eq!(std::mem::size_of::<PortsIn>(), 16);
        assert_eq!(std::mem::offset_of!(PortsIn, addr), 4);
        assert_eq!(std::mem::offset_of!(PortsIn, data_in), 8);
        assert_eq!(std::mem::size_of::<PortsOut>(), 16);
        assert_eq!(std::mem::offset_of!(PortsOut, result), 8);
    }
}
