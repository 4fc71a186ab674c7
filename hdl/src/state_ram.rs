//! Simple dual-port RAM (1 write port, 1 registered read port, single clock)
//! that yosys maps straight onto iCE40 SB_RAM40_4K blocks.
//!
//! * Verilog: a plain `reg [W-1:0] mem[0:2^A-1]` with a registered read.
//!   The `(* no_rw_check *)` attribute tells yosys that the design never relies
//!   on read-during-write behaviour, so it does not build the ~133 FF + ~70 LUT
//!   collision-emulation bypass per memory that it otherwise adds on iCE40.
//! * Simulation model: the read data register is loaded on the rising edge.
//!   A read of the address being written in the same cycle returns a POISON
//!   value (bitwise complement of the old data): the hardware result is
//!   undefined, so the surrounding design must forward around that case and the
//!   tests catch any design that does not.

use rust_hdl::prelude::*;

/// `2^A` words of `W` bits, one write port, one registered read port.
#[derive(LogicBlock, Debug)]
pub(crate) struct StateRam<const A: usize, const W: usize> {
    /// Clock of both ports.
    pub clock: Signal<In, Clock>,
    /// Address sampled on the rising edge for the read.
    pub read_address: Signal<In, Bits<A>>,
    /// The word at the address sampled on the previous rising edge.
    pub read_data: Signal<Out, Bits<W>>,
    /// Write address.
    pub write_address: Signal<In, Bits<A>>,
    /// Write data.
    pub write_data: Signal<In, Bits<W>>,
    /// Write enable.
    pub write_enable: Signal<In, Bit>,
    // Fields starting with '_' are ignored by #[derive(LogicBlock)]:
    // this is the simulation-only storage.
    _mem: Vec<Bits<W>>,
}

impl<const A: usize, const W: usize> Default for StateRam<A, W> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            read_address: Default::default(),
            read_data: Default::default(),
            write_address: Default::default(),
            write_data: Default::default(),
            write_enable: Default::default(),
            _mem: vec![Bits::<W>::default(); 1 << A],
        }
    }
}

impl<const A: usize, const W: usize> Logic for StateRam<A, W> {
    fn update(&mut self) {
        // pos_edge() is true for exactly one update pass after the clock rises,
        // and all inputs still hold their pre-edge values during that pass.
        if self.clock.pos_edge() {
            let ra = self.read_address.val().index();
            let old = self._mem[ra];
            let collide =
                self.write_enable.val() && self.write_address.val() == self.read_address.val();
            self.read_data.next = if collide { !old } else { old };
            if self.write_enable.val() {
                self._mem[self.write_address.val().index()] = self.write_data.val();
            }
        }
    }

    fn connect(&mut self) {
        // Tell the connectivity checker that this block drives read_data.
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "\
(* no_rw_check *)
reg [{wm1}:0] mem [0:{nm1}];

always @(posedge clock) begin
   if (write_enable) begin
      mem[write_address] <= write_data;
   end
   read_data <= mem[read_address];
end
",
            wm1 = W - 1,
            nm1 = (1usize << A) - 1
        ))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![
            TimingInfo {
                name: "ram_read".into(),
                clock: "clock".into(),
                inputs: vec!["read_address".into()],
                outputs: vec!["read_data".into()],
            },
            TimingInfo {
                name: "ram_write".into(),
                clock: "clock".into(),
                inputs: vec![
                    "write_address".into(),
                    "write_data".into(),
                    "write_enable".into(),
                ],
                outputs: vec![],
            },
        ]
    }
}
