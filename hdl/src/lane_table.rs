//! `atomik_lane_table`: the state table's control port plus N ACCUM-only
//! lanes, 256 contexts × 64 bits, N + 1 ops accepted every cycle.
//!
//! Each lane owns an accumulator bank (`LaneBank`); the control port keeps
//! the reference and a compensated state (`LaneControl`). A READ returns the
//! control state XOR every lane bank at that context; LOAD and SWAP fold the
//! lanes' current total into the stored state instead of clearing the banks,
//! so no op ever waits for another (XOR is its own inverse). `ready` is low
//! only during the reset sweep.
//!
//! One Rust type per supported lane count ([`AtomikLaneTable2`], ...):
//! rust-hdl 0.46 cannot index an array of sub-blocks inside generated HDL,
//! so `lane_table!` writes the per-lane wiring out for each N.

use rust_hdl::prelude::*;

use crate::lane_bank::LaneBank;
use crate::lane_control::LaneControl;

/// Address bits of the lanes table (256 contexts).
pub const LANE_ADDR_BITS: usize = 8;
/// Width of the lanes table's contexts in bits.
pub const LANE_WIDTH: usize = 64;

/// Which lanes table to build. Only [`LaneVariant::Correct`] is a correct
/// design; the other is a mutant that exists to prove the tests catch it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LaneVariant {
    /// The design.
    Correct,
    /// MUTANT: LOAD and SWAP store the new reference without folding in the
    /// lanes' total, i.e. they forget the lane banks.
    LoadForgetsLanes,
}

/// Defines one `atomik_lane_table` type with the lanes listed as
/// `(field, index, address offset, delta offset)`.
macro_rules! lane_table {
    ($(#[$doc:meta])* $name:ident, $n:literal, $na:literal, $nw:literal,
     [$(($l:ident, $i:tt, $ao:tt, $dof:tt)),+]) => {
        $(#[$doc])*
        #[derive(LogicBlock, Debug)]
        pub struct $name {
            /// Single clock; everything is synchronous to its rising edge.
            pub clock: Signal<In, Clock>,
            /// Synchronous, active high: flushes every op in flight and clears every context.
            pub reset: Signal<In, Bit>,
            /// The control op and every valid lane are accepted this cycle
            /// (low only during reset and the clearing sweep).
            pub ready: Signal<Out, Bit>,
            /// A control op is presented.
            pub op_valid: Signal<In, Bit>,
            /// Opcode: 0 LOAD, 1 ACCUM, 2 READ, 3 SWAP, 4 SWAP_KEEP; 5..7 reserved.
            pub op: Signal<In, Bits<3>>,
            /// Control op context.
            pub addr: Signal<In, Bits<LANE_ADDR_BITS>>,
            /// LOAD value, ACCUM delta or SWAP reference.
            pub data_in: Signal<In, Bits<LANE_WIDTH>>,
            /// High exactly `LANE_LATENCY` cycles after a READ/SWAP/SWAP_KEEP was accepted.
            pub result_valid: Signal<Out, Bit>,
            /// The context's state when the op executed (swaps: before the swap).
            pub result: Signal<Out, Bits<LANE_WIDTH>>,
            /// READ only: the accumulator was zero.
            pub result_clean: Signal<Out, Bit>,
            /// Lane i presents an ACCUM (bit i).
            pub lane_valid: Signal<In, Bits<$n>>,
            /// Lane i's context in bits [8i+7:8i].
            pub lane_addr: Signal<In, Bits<$na>>,
            /// Lane i's delta in bits [64i+63:64i].
            pub lane_delta: Signal<In, Bits<$nw>>,

            zero_w: Constant<Bits<LANE_WIDTH>>,
            control: LaneControl<LANE_ADDR_BITS, LANE_WIDTH>,
            $($l: LaneBank<LANE_ADDR_BITS, LANE_WIDTH>,)+
        }

        impl $name {
            /// Number of ACCUM lanes besides the control port.
            pub const LANES: usize = $n;

            /// The table (or, for testing the tests, a mutant).
            pub fn new(variant: LaneVariant) -> Self {
                Self {
                    clock: Default::default(),
                    reset: Default::default(),
                    ready: Default::default(),
                    op_valid: Default::default(),
                    op: Default::default(),
                    addr: Default::default(),
                    data_in: Default::default(),
                    result_valid: Default::default(),
                    result: Default::default(),
                    result_clean: Default::default(),
                    lane_valid: Default::default(),
                    lane_addr: Default::default(),
                    lane_delta: Default::default(),
                    zero_w: Constant::new(Bits::default()),
                    control: LaneControl::new(variant == LaneVariant::Correct),
                    $($l: Default::default(),)+
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new(LaneVariant::Correct)
            }
        }

        impl Logic for $name {
            #[hdl_gen]
            fn update(&mut self) {
                self.control.clock.next = self.clock.val();
                self.control.reset.next = self.reset.val();
                self.control.op_valid.next = self.op_valid.val();
                self.control.op.next = self.op.val();
                self.control.addr.next = self.addr.val();
                self.control.data_in.next = self.data_in.val();
                self.ready.next = self.control.ready.val();
                self.result_valid.next = self.control.result_valid.val();
                self.result.next = self.control.result.val();
                self.result_clean.next = self.control.result_clean.val();
                $(
                    self.$l.clock.next = self.clock.val();
                    self.$l.flush.next = self.reset.val();
                    self.$l.clear.next = self.control.clearing.val();
                    self.$l.clear_addr.next = self.control.clear_addr.val();
                    self.$l.valid.next = self.lane_valid.val().get_bit($i) & self.control.ready.val();
                    self.$l.addr.next = self.lane_addr.val().get_bits::<LANE_ADDR_BITS>($ao);
                    self.$l.delta.next = self.lane_delta.val().get_bits::<LANE_WIDTH>($dof);
                    self.$l.view_addr.next = self.addr.val();
                )+
                // The lanes' total at the control op's context, in its S2 cycle.
                self.control.lane_sum.next = self.zero_w.val() $(^ self.$l.view.val())+;
            }
        }
    };
}

lane_table!(
    /// `atomik_lane_table` with 2 lanes (3 ops per cycle).
    AtomikLaneTable2, 2, 16, 128,
    [(lane0, 0, 0, 0), (lane1, 1, 8, 64)]
);
lane_table!(
    /// `atomik_lane_table` with 3 lanes (4 ops per cycle).
    AtomikLaneTable3, 3, 24, 192,
    [(lane0, 0, 0, 0), (lane1, 1, 8, 64), (lane2, 2, 16, 128)]
);
lane_table!(
    /// `atomik_lane_table` with 4 lanes (5 ops per cycle).
    AtomikLaneTable4, 4, 32, 256,
    [(lane0, 0, 0, 0), (lane1, 1, 8, 64), (lane2, 2, 16, 128), (lane3, 3, 24, 192)]
);
lane_table!(
    /// `atomik_lane_table` with 6 lanes (7 ops per cycle).
    AtomikLaneTable6, 6, 48, 384,
    [(lane0, 0, 0, 0), (lane1, 1, 8, 64), (lane2, 2, 16, 128), (lane3, 3, 24, 192), (lane4, 4, 32, 256), (lane5, 5, 40, 320)]
);
lane_table!(
    /// `atomik_lane_table` with 8 lanes (9 ops per cycle).
    AtomikLaneTable8, 8, 64, 512,
    [(lane0, 0, 0, 0), (lane1, 1, 8, 64), (lane2, 2, 16, 128), (lane3, 3, 24, 192), (lane4, 4, 32, 256), (lane5, 5, 40, 320), (lane6, 6, 48, 384), (lane7, 7, 56, 448)]
);
lane_table!(
    /// `atomik_lane_table` with 12 lanes (13 ops per cycle).
    AtomikLaneTable12, 12, 96, 768,
    [(lane0, 0, 0, 0), (lane1, 1, 8, 64), (lane2, 2, 16, 128), (lane3, 3, 24, 192), (lane4, 4, 32, 256), (lane5, 5, 40, 320), (lane6, 6, 48, 384), (lane7, 7, 56, 448), (lane8, 8, 64, 512), (lane9, 9, 72, 576), (lane10, 10, 80, 640), (lane11, 11, 88, 704)]
);
lane_table!(
    /// `atomik_lane_table` with 16 lanes (17 ops per cycle).
    AtomikLaneTable16, 16, 128, 1024,
    [(lane0, 0, 0, 0), (lane1, 1, 8, 64), (lane2, 2, 16, 128), (lane3, 3, 24, 192), (lane4, 4, 32, 256), (lane5, 5, 40, 320), (lane6, 6, 48, 384), (lane7, 7, 56, 448), (lane8, 8, 64, 512), (lane9, 9, 72, 576), (lane10, 10, 80, 640), (lane11, 11, 88, 704), (lane12, 12, 96, 768), (lane13, 13, 104, 832), (lane14, 14, 112, 896), (lane15, 15, 120, 960)]
);

/// Lane counts [`lane_verilog`] can emit.
pub const SUPPORTED_LANES: [usize; 7] = [2, 3, 4, 6, 8, 12, 16];

fn emit<T: Block + Logic>(mut uut: T, lanes: usize, variant: LaneVariant) -> String {
    uut.connect_all();
    let raw = format!("\n{}", generate_verilog(&uut));
    let renamed = crate::verilog_text::rename_top(&raw, "atomik_lane_table");
    let body = crate::verilog_nested::flatten_all(&renamed);
    let mutant = match variant {
        LaneVariant::Correct => "",
        LaneVariant::LoadForgetsLanes => {
            "// MUTANT for testing the tests: LOAD/SWAP forget the lane banks. NOT A CORRECT DESIGN.\n"
        }
    };
    format!(
        "// atomik_lane_table: 256 contexts x 64 bits, control port + {lanes} ACCUM lanes, LATENCY {}.\n\
         // Generated by atomik-hdl {} (rust-hdl 0.46) — do not edit; run `just verilog`.\n\
         // Interface and timing: docs/hardware.md.\n{mutant}{}",
        crate::LANE_LATENCY,
        atomik::VERSION,
        body.trim_start()
    )
}

/// The Verilog of the lanes table with `lanes` ACCUM lanes, as one module
/// named `atomik_lane_table`.
pub fn lane_verilog(lanes: usize, variant: LaneVariant) -> Result<String, crate::HdlError> {
    macro_rules! by_lanes {
        ($($n:literal => $t:ident),*) => {
            match lanes {
                $($n => Ok(emit($t::new(variant), lanes, variant)),)*
                _ => Err(crate::HdlError::Lanes(lanes)),
            }
        };
    }
    by_lanes!(2 => AtomikLaneTable2, 3 => AtomikLaneTable3, 4 => AtomikLaneTable4,
        6 => AtomikLaneTable6, 8 => AtomikLaneTable8, 12 => AtomikLaneTable12,
        16 => AtomikLaneTable16)
}
