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
    /// `atomik_board`: a whole FPGA board top (UART, link engine,
    /// `atomik_axis` and the default table), for the board it names.
    Board(&'static Board),
}

impl Family {
    /// The Verilog module name (and the file's base name).
    pub const fn top(self) -> &'static str {
        match self {
            Family::StateTable { .. } => "atomik_state_table",
            Family::LaneTable { .. } => "atomik_lane_table",
            Family::Axis => "atomik_axis",
            Family::Board(_) => "atomik_board",
        }
    }

    /// Cycles from acceptance to the result (for `atomik_axis`, and the
    /// boards built around it: to the first cycle its result beat can be
    /// offered).
    pub const fn latency(self) -> usize {
        match self {
            Family::StateTable { .. } => TABLE_LATENCY,
            Family::LaneTable { .. } => LANE_LATENCY,
            Family::Axis | Family::Board(_) => AXIS_LATENCY,
        }
    }

    /// Number of contexts.
    pub const fn contexts(self) -> usize {
        match self {
            Family::StateTable { contexts, .. } => contexts,
            Family::LaneTable { .. } | Family::Axis | Family::Board(_) => 256,
        }
    }

    /// Bits per context.
    pub const fn width(self) -> u32 {
        match self {
            Family::StateTable { width, .. } => width,
            Family::LaneTable { .. } | Family::Axis | Family::Board(_) => 64,
        }
    }

    /// ACCUM lanes besides the control port (0 unless a lanes table).
    pub const fn lanes(self) -> usize {
        match self {
            Family::LaneTable { lanes } => lanes,
            Family::StateTable { .. } | Family::Axis | Family::Board(_) => 0,
        }
    }

    /// The short name of the family in `designs.json` (`formal.py` picks
    /// its harness by it).
    pub const fn key(self) -> &'static str {
        match self {
            Family::StateTable { .. } => "state_table",
            Family::LaneTable { .. } => "lane_table",
            Family::Axis => "axis",
            Family::Board(_) => "board",
        }
    }
}

/// An FPGA board atomik ships a bitstream for, and the simulation-only
/// variant of the board top: everything the board top, its build flow, its
/// flashing and its co-simulation need to know, in one place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Board {
    /// The name tools know it by (`atomik board cosim KEY`, `hdl/boards/KEY`).
    pub key: &'static str,
    /// What it is.
    pub about: &'static str,
    /// The board oscillator, in Hz (the design runs on it directly: no PLL).
    pub clock_hz: u32,
    /// The UART's baud (fixed in the bitstream).
    pub baud: u32,
    /// LEDs the top drives (`led[N-1:0]`), and whether they light when low.
    pub leds: usize,
    /// The LEDs light when driven low.
    pub leds_active_low: bool,
    /// The reset button reads low when pressed.
    pub button_active_low: bool,
    /// How it is built and flashed (`None`: simulation only).
    pub flow: Option<BoardFlow>,
}

impl Board {
    /// Clock cycles per UART bit, rounded to the nearest integer (the
    /// baud error that leaves is under 0.2 % on every board).
    pub const fn cycles_per_bit(&self) -> u32 {
        (self.clock_hz + self.baud / 2) / self.baud
    }
}

/// The open flow and the programmer of a real board.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BoardFlow {
    /// The FPGA part, as the flow names it.
    pub part: &'static str,
    /// The openFPGALoader board name (`openFPGALoader -b NAME`).
    pub loader: &'static str,
}

/// Sipeed Tang Nano 9K: the original project's board and pinout.
pub const TANGNANO9K: Board = Board {
    key: "tangnano9k",
    about: "Sipeed Tang Nano 9K (GW1NR-LV9QN88PC6/I5), 27 MHz, USB-UART on the BL702",
    clock_hz: 27_000_000,
    baud: 115_200,
    leds: 6,
    leds_active_low: true,
    button_active_low: true,
    flow: Some(BoardFlow {
        part: "GW1NR-LV9QN88PC6/I5",
        loader: "tangnano9k",
    }),
};

/// 1BitSquared iCEBreaker.
pub const ICEBREAKER: Board = Board {
    key: "icebreaker",
    about: "1BitSquared iCEBreaker (iCE40UP5K-SG48), 12 MHz, FT2232H channel B",
    clock_hz: 12_000_000,
    baud: 115_200,
    leds: 2,
    leds_active_low: true,
    button_active_low: true,
    flow: Some(BoardFlow {
        part: "iCE40UP5K-SG48",
        loader: "ice40_generic",
    }),
};

/// Radiona ULX3S.
pub const ULX3S: Board = Board {
    key: "ulx3s",
    about: "Radiona ULX3S (LFE5U-85F-6BG381C), 25 MHz, FT231X",
    clock_hz: 25_000_000,
    baud: 115_200,
    leds: 8,
    leds_active_low: false,
    button_active_low: false,
    flow: Some(BoardFlow {
        part: "LFE5U-85F-6BG381C",
        loader: "ulx3s",
    }),
};

/// The board top for co-simulating long runs: the same RTL as the boards,
/// at 8 clock cycles per UART bit (a 27 MHz clock at 3.375 Mbaud), so that a
/// million ops take seconds of simulation, not hours. Never built for a
/// board.
pub const SIM_BOARD: Board = Board {
    key: "sim",
    about: "the board top at 8 clocks per UART bit, for long co-simulations",
    clock_hz: 27_000_000,
    baud: 3_375_000,
    leds: 6,
    leds_active_low: false,
    button_active_low: false,
    flow: None,
};

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
    /// Directory of its file under `hdl/`; the file is `hdl/DIR/<top module>.v`.
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

    /// The path of its Verilog, relative to the repository root.
    pub fn file(&self) -> String {
        format!("hdl/{}/{}.v", self.dir, self.top())
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
        dir: "verilog",
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
        dir: "verilog/16x32",
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
        dir: "verilog/mutants/no_forwarding",
        synth: None,
        fast_model: false,
        demo: false,
    },
    Design {
        name: "lanes_ice40",
        family: Family::LaneTable { lanes: 3 },
        mutation: Mutation::None,
        about: "the lanes table for iCE40 HX8K: control port + 3 ACCUM lanes",
        dir: "verilog/lanes_ice40",
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
        dir: "verilog/lanes_ecp5",
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
        dir: "verilog/mutants/load_forgets_lanes",
        synth: None,
        fast_model: false,
        demo: false,
    },
    Design {
        name: "axis",
        family: Family::Axis,
        mutation: Mutation::None,
        about: "the AXI4-Stream wrapper around the 256 x 64 table",
        dir: "verilog/axis",
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
        dir: "verilog/mutants/axis_overcommit",
        synth: None,
        fast_model: false,
        demo: false,
    },
    Design {
        name: "tangnano9k",
        family: Family::Board(&TANGNANO9K),
        mutation: Mutation::None,
        about: "the board top for the Sipeed Tang Nano 9K",
        dir: "boards/tangnano9k",
        synth: None,
        fast_model: false,
        demo: false,
    },
    Design {
        name: "icebreaker",
        family: Family::Board(&ICEBREAKER),
        mutation: Mutation::None,
        about: "the board top for the 1BitSquared iCEBreaker",
        dir: "boards/icebreaker",
        synth: None,
        fast_model: false,
        demo: false,
    },
    Design {
        name: "ulx3s",
        family: Family::Board(&ULX3S),
        mutation: Mutation::None,
        about: "the board top for the Radiona ULX3S",
        dir: "boards/ulx3s",
        synth: None,
        fast_model: false,
        demo: false,
    },
    Design {
        name: "board_sim",
        family: Family::Board(&SIM_BOARD),
        mutation: Mutation::None,
        about: "the board top at 8 clocks per UART bit, for long co-simulations",
        dir: "verilog/board_sim",
        synth: None,
        fast_model: false,
        demo: false,
    },
];

/// Every board atomik builds a bitstream for, and the simulation variant.
pub const BOARDS: [&Board; 4] = [&TANGNANO9K, &ICEBREAKER, &ULX3S, &SIM_BOARD];

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
            assert_eq!(
                d.is_mutant(),
                d.dir.starts_with("verilog/mutants/"),
                "{}",
                d.name
            );
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
