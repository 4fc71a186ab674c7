//! # atomik-designs — the one catalogue of atomik's hardware designs
//!
//! Every design the repository commits is declared once, in [`DESIGNS`]:
//! its name, family, parameters, contract constants (latency, FIFO depth),
//! the file its Verilog lives in, whether it is a mutant, and which tools
//! check it. Everything else is derived from this list:
//!
//! - `atomik-hdl` emits each entry's Verilog (`atomik verilog --all`) and the
//!   drift check compares it with the committed file;
//! - `sim/build.rs` verilates one model per entry, and `atomik cosim
//!   --design` takes the entry's name (its help lists [`Design::about`]);
//! - `hdl/verilog/designs.json` (generated from this list, drift-checked)
//!   tells `formal/formal.py` which checker each file gets and which files
//!   must fail, and tells `hdl/synth/synth.py` which designs to place and
//!   route and how many block RAMs each must map to;
//! - the CLI's tests and the demo walk the list.
//!
//! Adding a design is one entry here plus its rust-hdl code (and, for a new
//! [`Mutation`] or [`Family`], the match arm that emits it).
//!
//! The crate has no dependencies: `sim/build.rs` reads it at build time.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// Cycles from an op being accepted by `atomik_state_table` to the rising
/// edge after which its `result_valid` is high: the timing contract the
/// checkers hold the design to.
pub const TABLE_LATENCY: usize = 4;

/// The same for `atomik_lane_table` (two more than [`TABLE_LATENCY`]: the
/// lanes' total is added in a stage of its own, and only one LUT follows
/// each block RAM).
pub const LANE_LATENCY: usize = 6;

/// Results `atomik_axis` can hold: the credit limit of its contract (an op
/// is accepted only while fewer results than this are owed).
pub const AXIS_FIFO_DEPTH: usize = 8;

/// Cycles from an op beat being taken by `atomik_axis` to the first cycle
/// its result beat can be offered (the table's latency plus the FIFO).
pub const AXIS_LATENCY: usize = TABLE_LATENCY + 1;

/// What kind of module a design is: its ports, its checker, its formal
/// harness.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// `atomik_state_table`: one op per cycle on `contexts` × `width` bits.
    StateTable {
        /// Number of contexts (a power of two).
        contexts: usize,
        /// Bits per context.
        width: u32,
    },
    /// `atomik_lane_table`: 256 × 64, the control port plus `lanes`
    /// ACCUM-only lanes.
    LaneTable {
        /// ACCUM lanes besides the control port.
        lanes: usize,
    },
    /// `atomik_axis`: the default table behind AXI4-Stream ports.
    Axis,
}

impl Family {
    /// The Verilog module name (and the file's base name).
    pub const fn top(self) -> &'static str {
        match self {
            Family::StateTable { .. } => "atomik_state_table",
            Family::LaneTable { .. } => "atomik_lane_table",
            Family::Axis => "atomik_axis",
        }
    }

    /// Cycles from acceptance to the result (for `atomik_axis`: to the
    /// first cycle its result beat can be offered).
    pub const fn latency(self) -> usize {
        match self {
            Family::StateTable { .. } => TABLE_LATENCY,
            Family::LaneTable { .. } => LANE_LATENCY,
            Family::Axis => AXIS_LATENCY,
        }
    }

    /// Number of contexts.
    pub const fn contexts(self) -> usize {
        match self {
            Family::StateTable { contexts, .. } => contexts,
            Family::LaneTable { .. } | Family::Axis => 256,
        }
    }

    /// Bits per context.
    pub const fn width(self) -> u32 {
        match self {
            Family::StateTable { width, .. } => width,
            Family::LaneTable { .. } | Family::Axis => 64,
        }
    }

    /// ACCUM lanes besides the control port (0 unless a lanes table).
    pub const fn lanes(self) -> usize {
        match self {
            Family::LaneTable { lanes } => lanes,
            Family::StateTable { .. } | Family::Axis => 0,
        }
    }

    /// The short name of the family in `designs.json` (`formal.py` picks
    /// its harness by it).
    pub const fn key(self) -> &'static str {
        match self {
            Family::StateTable { .. } => "state_table",
            Family::LaneTable { .. } => "lane_table",
            Family::Axis => "axis",
        }
    }
}

/// How a design is deliberately broken, to prove that the tests catch it.
/// Only [`Mutation::None`] is a correct design.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mutation {
    /// The design.
    None,
    /// `atomik_state_table` without any hazard forwarding.
    NoForwarding,
    /// `atomik_lane_table` whose LOAD and SWAP forget the lane banks.
    LoadForgetsLanes,
    /// `atomik_axis` whose credit admits one result more than its FIFO holds.
    AxisOvercommit,
}

/// FPGA architectures `hdl/synth/synth.py` places and routes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arch {
    /// Lattice iCE40 HX8K (yosys `synth_ice40`, nextpnr-ice40); block RAM
    /// is SB_RAM40_4K.
    Ice40,
    /// Lattice ECP5 LFE5U-85F (yosys `synth_ecp5`, nextpnr-ecp5); block RAM
    /// is DP16KD.
    Ecp5,
}

impl Arch {
    /// The `--family` value of `hdl/synth/synth.py`.
    pub const fn key(self) -> &'static str {
        match self {
            Arch::Ice40 => "ice40",
            Arch::Ecp5 => "ecp5",
        }
    }
}

/// How a design is synthesised: the device, and the block RAMs its memories
/// must map to (`just synth-check` fails on any other count).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Synth {
    /// The device family.
    pub arch: Arch,
    /// Block RAMs the memories must map to (`None`: not checked, e.g. a
    /// table small enough for flip-flops or LUT RAM).
    pub bram: Option<u32>,
}

/// One committed design.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Design {
    /// The name tools know it by: `atomik cosim --design NAME`, the replay
    /// hints, `designs.json`.
    pub name: &'static str,
    /// Its module and parameters.
    pub family: Family,
    /// Whether (and how) it is broken on purpose.
    pub mutation: Mutation,
    /// One line for `atomik cosim --help` and the reports.
    pub about: &'static str,
    /// Directory of its file under `hdl/verilog/` (`""`: the top level); the
    /// file is `DIR/<top module>.v`.
    pub dir: &'static str,
    /// Place and route (`just synth`) and the block-RAM check
    /// (`just synth-check`); `None` for mutants.
    pub synth: Option<Synth>,
    /// Also build an untraced Verilator model (faster, for long runs): the
    /// default design only; the others are built traced only, one
    /// Verilator build each.
    pub fast_model: bool,
    /// Co-simulated by `just demo`.
    pub demo: bool,
}

impl Design {
    /// Whether this design is a deliberately broken mutant.
    pub const fn is_mutant(&self) -> bool {
        !matches!(self.mutation, Mutation::None)
    }

    /// The Verilog module name.
    pub const fn top(&self) -> &'static str {
        self.family.top()
    }

    /// The timing contract's latency (see [`Family::latency`]).
    pub const fn latency(&self) -> usize {
        self.family.latency()
    }

    /// The path of its Verilog, relative to `hdl/verilog/`.
    pub fn file(&self) -> String {
        if self.dir.is_empty() {
            format!("{}.v", self.top())
        } else {
            format!("{}/{}.v", self.dir, self.top())
        }
    }

    /// The design called `name`.
    pub fn by_name(name: &str) -> Option<&'static Design> {
        DESIGNS.iter().find(|d| d.name == name)
    }
}

/// Every committed design, in the order tools list them.
pub const DESIGNS: &[Design] = &[
    Design {
        name: "default",
        family: Family::StateTable {
            contexts: 256,
            width: 64,
        },
        mutation: Mutation::None,
        about: "the state table, 256 x 64",
        dir: "",
        synth: Some(Synth {
            arch: Arch::Ice40,
            bram: Some(8),
        }),
        fast_model: true,
        demo: true,
    },
    Design {
        name: "small",
        family: Family::StateTable {
            contexts: 16,
            width: 32,
        },
        mutation: Mutation::None,
        about: "the state table, 16 x 32",
        dir: "16x32",
        synth: Some(Synth {
            arch: Arch::Ice40,
            bram: Some(4),
        }),
        fast_model: false,
        demo: false,
    },
    Design {
        name: "mutant",
        family: Family::StateTable {
            contexts: 256,
            width: 64,
        },
        mutation: Mutation::NoForwarding,
        about: "the state table without hazard forwarding: must FAIL",
        dir: "mutants/no_forwarding",
        synth: None,
        fast_model: false,
        demo: false,
    },
    Design {
        name: "lanes_ice40",
        family: Family::LaneTable { lanes: 3 },
        mutation: Mutation::None,
        about: "the lanes table for iCE40 HX8K: control port + 3 ACCUM lanes",
        dir: "lanes_ice40",
        synth: Some(Synth {
            arch: Arch::Ice40,
            bram: Some(32),
        }),
        fast_model: false,
        demo: true,
    },
    Design {
        name: "lanes_ecp5",
        family: Family::LaneTable { lanes: 16 },
        mutation: Mutation::None,
        about: "the lanes table for ECP5 LFE5U-85F: control port + 16 ACCUM lanes",
        dir: "lanes_ecp5",
        synth: Some(Synth {
            arch: Arch::Ecp5,
            bram: Some(68),
        }),
        fast_model: false,
        demo: false,
    },
    Design {
        name: "lanes_mutant",
        family: Family::LaneTable { lanes: 3 },
        mutation: Mutation::LoadForgetsLanes,
        about: "the 3-lane table whose LOAD/SWAP forget the lane banks: must FAIL",
        dir: "mutants/load_forgets_lanes",
        synth: None,
        fast_model: false,
        demo: false,
    },
    Design {
        name: "axis",
        family: Family::Axis,
        mutation: Mutation::None,
        about: "the AXI4-Stream wrapper around the 256 x 64 table",
        dir: "axis",
        synth: Some(Synth {
            arch: Arch::Ice40,
            bram: Some(8),
        }),
        fast_model: false,
        demo: true,
    },
    Design {
        name: "axis_mutant",
        family: Family::Axis,
        mutation: Mutation::AxisOvercommit,
        about: "the AXI4-Stream wrapper with credit for 9 results in an 8-entry FIFO: must FAIL",
        dir: "mutants/axis_overcommit",
        synth: None,
        fast_model: false,
        demo: false,
    },
];

/// Every design's name, comma-separated (for error messages).
pub fn names() -> String {
    DESIGNS
        .iter()
        .map(|d| d.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_files_are_unique() {
        for (i, a) in DESIGNS.iter().enumerate() {
            for b in &DESIGNS[i + 1..] {
                assert_ne!(a.name, b.name);
                assert_ne!(a.file(), b.file());
            }
        }
    }

    #[test]
    fn mutants_live_under_mutants_and_are_not_synthesised() {
        for d in DESIGNS {
            assert_eq!(d.is_mutant(), d.dir.starts_with("mutants/"), "{}", d.name);
            assert!(
                !(d.is_mutant() && (d.synth.is_some() || d.demo)),
                "{}",
                d.name
            );
        }
    }

    #[test]
    fn names_are_identifiers() {
        // They become C symbol suffixes in sim/build.rs.
        for d in DESIGNS {
            assert!(
                d.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            );
        }
    }
}
