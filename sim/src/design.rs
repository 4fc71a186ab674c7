//! The design catalogue's simulation side: which model a name selects, how
//! its ports are driven, and the contract checker of its geometry.

use std::fmt;
use std::str::FromStr;

use atomik_hdl::contract::Checker;
use atomik_hdl::designs::{self, DESIGNS, Family};

/// One design of the catalogue (`atomik-designs`), as the co-simulation
/// knows it: every design there has a Verilator model here.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Design(&'static designs::Design);

/// What a design's ports look like, which decides how it is driven.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `atomik_state_table`: the control port only
    /// ([`PortsIn`](crate::PortsIn)).
    Table,
    /// `atomik_lane_table` with this many ACCUM lanes
    /// ([`LanePortsIn`](crate::LanePortsIn)).
    Lanes(usize),
    /// `atomik_axis` ([`AxisPortsIn`](crate::AxisPortsIn),
    /// [`AxisPortsOut`](crate::AxisPortsOut)).
    Axis,
    /// `atomik_board`: a whole board top behind a UART, co-simulated
    /// through its serial line (`atomik board cosim`), not in lock step.
    Board,
}

impl Design {
    /// Every design, in catalogue order (the order `atomik cosim --help`
    /// lists them).
    pub fn all() -> impl Iterator<Item = Design> {
        DESIGNS.iter().map(Design)
    }

    /// The design called `name` (see [`Design::name`]).
    pub fn named(name: &str) -> Result<Design, UnknownDesign> {
        designs::Design::by_name(name)
            .map(Design)
            .ok_or_else(|| UnknownDesign(name.to_string()))
    }

    /// Its catalogue entry.
    pub fn spec(self) -> &'static designs::Design {
        self.0
    }

    /// The name `atomik cosim --design` knows it by (and the replay hint
    /// prints).
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// One line for `--help`: the catalogue's description and the file.
    pub fn about(self) -> String {
        format!("{} ({})", self.0.about, self.0.file())
    }

    /// Whether it is a deliberately broken mutant.
    pub fn is_mutant(self) -> bool {
        self.0.is_mutant()
    }

    /// How the design is driven.
    pub fn kind(self) -> Kind {
        match self.0.family {
            Family::StateTable { .. } => Kind::Table,
            Family::LaneTable { lanes } => Kind::Lanes(lanes),
            Family::Axis => Kind::Axis,
            Family::Board(_) => Kind::Board,
        }
    }

    /// ACCUM lanes besides the control port (0 for `atomik_state_table`).
    pub fn lanes(self) -> usize {
        self.0.family.lanes()
    }

    /// Cycles from acceptance to `result_valid` (`atomik_axis`: to the
    /// first cycle its result beat can be offered): the catalogue's contract.
    pub fn latency(self) -> usize {
        self.0.latency()
    }

    /// Number of contexts.
    pub fn contexts(self) -> usize {
        self.0.family.contexts()
    }

    /// Bits per context.
    pub fn width(self) -> u32 {
        self.0.family.width()
    }

    /// The timing-contract checker for this design's geometry, in the state
    /// after reset.
    pub fn checker(self) -> Checker {
        Checker::with_latency(self.contexts(), self.width(), self.latency())
    }
}

impl fmt::Debug for Design {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Design({})", self.0.name)
    }
}

impl fmt::Display for Design {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}

/// A name that is not one of the catalogue's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown design {0:?}: choose one of {names}", names = designs::names())]
pub struct UnknownDesign(pub String);

impl FromStr for Design {
    type Err = UnknownDesign;

    fn from_str(s: &str) -> Result<Design, UnknownDesign> {
        Design::named(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn designs_parse_from_their_names() {
        for d in Design::all() {
            assert_eq!(d.name().parse::<Design>(), Ok(d));
        }
        assert!("nope".parse::<Design>().is_err());
    }
}
