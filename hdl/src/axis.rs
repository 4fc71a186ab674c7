//! `atomik_axis`: the default 256 x 64 table behind AXI4-Stream ports, for
//! DMA engines, Vivado block designs and LiteX.
//!
//! * Op beat (`s_axis_tdata`): `[63:0]` data_in, `[71:64]` addr, `[74:72]` op;
//!   other bits ignored.
//! * Result beat (`m_axis_tdata`, READ / SWAP / SWAP_KEEP only, in the order
//!   their ops were accepted): `[63:0]` result, `[71:64]` addr, `[74:72]` op,
//!   `[75]` clean; other bits 0.
//!
//! The table cannot stall its pipeline, so results are buffered in a FIFO of
//! [`FIFO_ENTRIES`] entries and an op is accepted only while a FIFO slot
//! is guaranteed for it: `results in the FIFO + results still in the table
//! < depth` (credit logic). Nothing is lost whatever `m_axis_tready` does.
//! With `m_axis_tready` high a result leaves the cycle after it enters, so
//! at most LATENCY + 1 slots are in use and one op is accepted per cycle.
//!
//! `s_axis_tready` is a function of registers and `aresetn` only (never of
//! `s_axis_tvalid` or the op), and `m_axis_tvalid` / `m_axis_tdata` of
//! registers and `aresetn` only (never of `m_axis_tready`), so both
//! handshakes follow the AXI4-Stream rules; `m_axis_tvalid` is low in every
//! cycle `aresetn` is low, the first one included.
//!
//! The FIFO is 8 x 76 bits: too small for a block RAM to pay off (an iCE40
//! SB_RAM40_4K is 4 kbit, and its registered read would need a prefetch
//! stage), so it is an asynchronous-read register file.

use atomik::Opcode;
use rust_hdl::prelude::*;

use crate::LATENCY;
use crate::state_table::AtomikStateTable;

/// Entries of the result FIFO, as built. LATENCY + 2 would sustain one op
/// per cycle; a power of two keeps the pointers plain wrapping counters.
/// The checkers hold the design to the contract's depth
/// ([`atomik_designs::AXIS_FIFO_DEPTH`]), not to this constant, so a
/// change here that breaks the contract fails co-simulation.
pub const FIFO_ENTRIES: usize = 8;
const FIFO_BITS: usize = 3; // log2(FIFO_ENTRIES)
const COUNT_BITS: usize = FIFO_BITS + 1; // 0..=FIFO_ENTRIES
const ADDR_BITS: usize = 8; // the default table: 256 contexts
const WIDTH: usize = 64;
const BEAT_BITS: usize = 128; // tdata width on both streams
const WORD_BITS: usize = 76; // result, addr, op, clean
const UNUSED_BITS: usize = BEAT_BITS - 75; // op-beat bits above the op field

/// Result FIFO storage: one write port, one asynchronous read port.
#[derive(LogicBlock, Debug)]
struct ResultRam {
    clock: Signal<In, Clock>,
    write_enable: Signal<In, Bit>,
    write_address: Signal<In, Bits<FIFO_BITS>>,
    write_result: Signal<In, Bits<WIDTH>>,
    write_addr: Signal<In, Bits<ADDR_BITS>>,
    write_op: Signal<In, Bits<3>>,
    write_clean: Signal<In, Bit>,
    read_address: Signal<In, Bits<FIFO_BITS>>,
    /// The result beat: `{52'b0, clean, op, addr, result}`.
    read_data: Signal<Out, Bits<BEAT_BITS>>,
    _mem: Vec<Bits<WORD_BITS>>, // simulation model only
}

impl Default for ResultRam {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            write_enable: Default::default(),
            write_address: Default::default(),
            write_result: Default::default(),
            write_addr: Default::default(),
            write_op: Default::default(),
            write_clean: Default::default(),
            read_address: Default::default(),
            read_data: Default::default(),
            _mem: vec![Bits::default(); FIFO_ENTRIES],
        }
    }
}

impl Logic for ResultRam {
    fn update(&mut self) {
        if self.clock.pos_edge() && self.write_enable.val() {
            let mut word = bit_cast::<WORD_BITS, WIDTH>(self.write_result.val());
            word.set_bits::<ADDR_BITS>(WIDTH, self.write_addr.val());
            word.set_bits::<3>(WIDTH + ADDR_BITS, self.write_op.val());
            word = word.replace_bit(WORD_BITS - 1, self.write_clean.val());
            self._mem[self.write_address.val().index()] = word;
        }
        self.read_data.next =
            bit_cast::<BEAT_BITS, WORD_BITS>(self._mem[self.read_address.val().index()]);
    }

    fn connect(&mut self) {
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "\
reg [{wm1}:0] mem [0:{nm1}];

always @(posedge clock) begin
   if (write_enable) begin
      mem[write_address] <= {{write_clean, write_op, write_addr, write_result}};
   end
end

always @(*) begin
   read_data = {{{{{pad}{{1'b0}}}}, mem[read_address]}};
end
",
            wm1 = WORD_BITS - 1,
            nm1 = FIFO_ENTRIES - 1,
            pad = BEAT_BITS - WORD_BITS
        ))
    }
}

/// The opcode as a 3-bit constant.
fn code(op: Opcode) -> Bits<3> {
    u64::from(op.bits()).to_bits()
}

/// The AXI4-Stream wrapper; the ports are the Verilog port names.
#[derive(LogicBlock, Debug)]
pub struct AtomikAxis {
    /// Clock of both streams and the table.
    pub aclk: Signal<In, Clock>,
    /// Synchronous, active low; starts the table's clearing sweep.
    pub aresetn: Signal<In, Bit>,
    /// An op beat is offered.
    pub s_axis_tvalid: Signal<In, Bit>,
    /// The op beat is taken this cycle if `s_axis_tvalid` is high.
    pub s_axis_tready: Signal<Out, Bit>,
    /// Op beat: `[63:0]` data_in, `[71:64]` addr, `[74:72]` op.
    pub s_axis_tdata: Signal<In, Bits<BEAT_BITS>>,
    /// A result beat is offered.
    pub m_axis_tvalid: Signal<Out, Bit>,
    /// The consumer takes the result beat this cycle.
    pub m_axis_tready: Signal<In, Bit>,
    /// Result beat: `[63:0]` result, `[71:64]` addr, `[74:72]` op, `[75]` clean.
    pub m_axis_tdata: Signal<Out, Bits<BEAT_BITS>>,

    table: AtomikStateTable<ADDR_BITS, WIDTH>,
    fifo: ResultRam,

    op_read: Constant<Bits<3>>,
    op_swap: Constant<Bits<3>>,
    op_swap_keep: Constant<Bits<3>>,
    count_one: Constant<Bits<COUNT_BITS>>,
    ptr_one: Constant<Bits<FIFO_BITS>>,
    depth: Constant<Bits<COUNT_BITS>>,
    zero_count: Constant<Bits<COUNT_BITS>>,
    zero_ptr: Constant<Bits<FIFO_BITS>>,

    op: Signal<Local, Bits<3>>,
    take: Signal<Local, Bit>,    // an op beat is accepted this cycle
    produce: Signal<Local, Bit>, // ... and it will produce a result
    pop: Signal<Local, Bit>,     // a result beat leaves this cycle
    credit: Signal<Local, Bit>,  // a FIFO slot is free for one more result
    // Op-beat bits the wrapper ignores. Verilator's default --unused-regexp
    // (*unused*) exempts this name, so reading the bits here keeps
    // `verilator -Wall` clean without a waiver.
    unused_tdata: Signal<Local, Bits<UNUSED_BITS>>,

    owed: DFF<Bits<COUNT_BITS>>, // results in the FIFO + still in the table (<= depth)
    count: DFF<Bits<COUNT_BITS>>, // results in the FIFO
    wptr: DFF<Bits<FIFO_BITS>>,
    rptr: DFF<Bits<FIFO_BITS>>,
    // addr and op of each accepted op, one stage per cycle of LATENCY, so
    // that p4 lines up with the table's `result`.
    p1_addr: DFF<Bits<ADDR_BITS>>,
    p2_addr: DFF<Bits<ADDR_BITS>>,
    p3_addr: DFF<Bits<ADDR_BITS>>,
    p4_addr: DFF<Bits<ADDR_BITS>>,
    p1_op: DFF<Bits<3>>,
    p2_op: DFF<Bits<3>>,
    p3_op: DFF<Bits<3>>,
    p4_op: DFF<Bits<3>>,
}

// The side pipeline above has exactly LATENCY stages.
const _: () = assert!(LATENCY == 4);

impl Default for AtomikAxis {
    fn default() -> Self {
        Self::with_credit_limit(FIFO_ENTRIES)
    }
}

impl AtomikAxis {
    /// The wrapper that takes an op only while fewer than `limit` results are
    /// owed. Only `FIFO_ENTRIES` is correct: a larger limit is the mutant
    /// (in the tests below) that overfills the FIFO when the consumer stalls.
    fn with_credit_limit(limit: usize) -> Self {
        Self {
            aclk: Default::default(),
            aresetn: Default::default(),
            s_axis_tvalid: Default::default(),
            s_axis_tready: Default::default(),
            s_axis_tdata: Default::default(),
            m_axis_tvalid: Default::default(),
            m_axis_tready: Default::default(),
            m_axis_tdata: Default::default(),
            table: Default::default(),
            fifo: Default::default(),
            op_read: Constant::new(code(Opcode::Read)),
            op_swap: Constant::new(code(Opcode::Swap)),
            op_swap_keep: Constant::new(code(Opcode::SwapKeep)),
            count_one: Constant::new(1u64.to_bits()),
            ptr_one: Constant::new(1u64.to_bits()),
            depth: Constant::new((limit as u64).to_bits()),
            zero_count: Constant::new(Bits::default()),
            zero_ptr: Constant::new(Bits::default()),
            op: Default::default(),
            take: Default::default(),
            produce: Default::default(),
            pop: Default::default(),
            credit: Default::default(),
            unused_tdata: Default::default(),
            owed: Default::default(),
            count: Default::default(),
            wptr: Default::default(),
            rptr: Default::default(),
            p1_addr: Default::default(),
            p2_addr: Default::default(),
            p3_addr: Default::default(),
            p4_addr: Default::default(),
            p1_op: Default::default(),
            p2_op: Default::default(),
            p3_op: Default::default(),
            p4_op: Default::default(),
        }
    }
}

impl Logic for AtomikAxis {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, aclk, owed, count, wptr, rptr, p1_addr, p2_addr, p3_addr, p4_addr, p1_op, p2_op,
            p3_op, p4_op
        );
        self.table.clock.next = self.aclk.val();
        self.fifo.clock.next = self.aclk.val();
        self.table.reset.next = !self.aresetn.val();

        // ---- op side: credit, unpack, accept ----
        // Registers (and the table's ready, i.e. aresetn) only: never tvalid.
        // One compare on one register keeps this off the critical path.
        self.credit.next = self.owed.q.val() < self.depth.val();
        self.s_axis_tready.next = self.table.ready.val() & self.credit.val();
        self.take.next = self.s_axis_tvalid.val() & self.table.ready.val() & self.credit.val();
        self.op.next = self.s_axis_tdata.val().get_bits::<3>(72);
        self.unused_tdata.next = self.s_axis_tdata.val().get_bits::<UNUSED_BITS>(75);
        self.produce.next = self.take.val()
            & ((self.op.val() == self.op_read.val())
                | (self.op.val() == self.op_swap.val())
                | (self.op.val() == self.op_swap_keep.val()));
        self.table.op_valid.next = self.take.val();
        self.table.op.next = self.op.val();
        self.table.addr.next = self.s_axis_tdata.val().get_bits::<ADDR_BITS>(64);
        self.table.data_in.next = self.s_axis_tdata.val().get_bits::<WIDTH>(0);
        self.p1_addr.d.next = self.s_axis_tdata.val().get_bits::<ADDR_BITS>(64);
        self.p1_op.d.next = self.op.val();
        self.p2_addr.d.next = self.p1_addr.q.val();
        self.p2_op.d.next = self.p1_op.q.val();
        self.p3_addr.d.next = self.p2_addr.q.val();
        self.p3_op.d.next = self.p2_op.q.val();
        self.p4_addr.d.next = self.p3_addr.q.val();
        self.p4_op.d.next = self.p3_op.q.val();

        // ---- result side: FIFO push from the table, pop to the stream ----
        self.fifo.write_enable.next = self.table.result_valid.val();
        self.fifo.write_address.next = self.wptr.q.val();
        self.fifo.write_result.next = self.table.result.val();
        self.fifo.write_addr.next = self.p4_addr.q.val();
        self.fifo.write_op.next = self.p4_op.q.val();
        self.fifo.write_clean.next = self.table.result_clean.val();
        self.fifo.read_address.next = self.rptr.q.val();
        // AXI4-Stream: TVALID is low in every cycle aresetn is low, the
        // first one included, so the count register alone is not enough.
        self.m_axis_tvalid.next = self.count.q.val().any() & self.aresetn.val();
        self.m_axis_tdata.next = self.fifo.read_data.val();
        // No beat leaves during reset (TVALID is low); the reset below
        // overrides every register `pop` would change, so `pop` itself need
        // not look at aresetn (which would put it on the credit path).
        self.pop.next = self.count.q.val().any() & self.m_axis_tready.val();

        if self.table.result_valid.val() {
            self.wptr.d.next = self.wptr.q.val() + self.ptr_one.val();
        }
        if self.pop.val() {
            self.rptr.d.next = self.rptr.q.val() + self.ptr_one.val();
        }
        // count += push - pop; owed += produce - pop
        if self.table.result_valid.val() & !self.pop.val() {
            self.count.d.next = self.count.q.val() + self.count_one.val();
        }
        if !self.table.result_valid.val() & self.pop.val() {
            self.count.d.next = self.count.q.val() - self.count_one.val();
        }
        if self.produce.val() & !self.pop.val() {
            self.owed.d.next = self.owed.q.val() + self.count_one.val();
        }
        if !self.produce.val() & self.pop.val() {
            self.owed.d.next = self.owed.q.val() - self.count_one.val();
        }
        // The table flushes its pipeline on reset, so do the counters.
        if !self.aresetn.val() {
            self.owed.d.next = self.zero_count.val();
            self.count.d.next = self.zero_count.val();
            self.wptr.d.next = self.zero_ptr.val();
            self.rptr.d.next = self.zero_ptr.val();
        }
    }
}

/// The Verilog of `atomik_axis`, as one module (the table inlined).
pub fn verilog() -> String {
    emit(AtomikAxis::default(), "")
}

/// The committed mutant `mutants/axis_overcommit/atomik_axis.v`: credit for
/// one result more than the FIFO holds, so a consumer that stalls long
/// enough loses a result. Wrong on purpose: co-simulation
/// (`atomik cosim --design axis_mutant`) and `just formal` must catch it.
pub fn mutant_overcommit_verilog() -> String {
    emit(
        AtomikAxis::with_credit_limit(FIFO_ENTRIES + 1),
        "// MUTANT for testing the tests: credit limit 9 > FIFO depth 8. NOT A CORRECT DESIGN.\n",
    )
}

fn emit(mut uut: AtomikAxis, banner: &str) -> String {
    uut.connect_all();
    let raw = format!("\n{}", generate_verilog(&uut));
    let renamed = crate::verilog_text::rename_top(&raw, "atomik_axis");
    let body = crate::verilog_nested::flatten_all(&renamed);
    format!(
        "// atomik_axis: AXI4-Stream wrapper of the 256 x 64 table, result FIFO of {FIFO_ENTRIES}.\n\
         // Generated by atomik-hdl {} (rust-hdl 0.46) — do not edit; run `just verilog`.\n\
         // Beat layout, timing and integration: docs/hardware.md.\n{banner}{}",
        atomik::VERSION,
        body.trim_start()
    )
}

#[cfg(test)]
mod tests {
    // Beats are split into 64-bit halves: the truncation is the point.
    #![allow(clippy::cast_possible_truncation)]

    use rust_hdl::prelude::*;

    use super::AtomikAxis;
    use crate::axis_check::{AxisChecker, AxisInputs, AxisOutputs, op_beat};

    #[test]
    fn emits_one_module_with_the_axis_ports() {
        let v = super::verilog();
        assert_eq!(v.matches("\nmodule ").count(), 1, "{v}");
        for port in ["s_axis_tready", "m_axis_tvalid", "m_axis_tdata", "aresetn"] {
            assert!(v.contains(port), "{port}");
        }
    }

    fn bits(beat: u128) -> Bits<128> {
        let mut d: Bits<128> = Bits::default();
        d.set_bits::<64>(0, (beat as u64).to_bits());
        d.set_bits::<64>(64, ((beat >> 64) as u64).to_bits());
        d
    }

    fn beat(d: Bits<128>) -> u128 {
        u128::from(d.get_bits::<64>(0).to_u64()) | u128::from(d.get_bits::<64>(64).to_u64()) << 64
    }

    /// Random ops, random tvalid, and m_axis_tready patterns with long stalls
    /// (held low until the FIFO fills), checked cycle by cycle against the
    /// wrapper's contract ([`AxisChecker`]: every result once, in order, with
    /// the core `Table`'s value; `s_axis_tready` exactly as documented); and
    /// with m_axis_tready high one op per cycle is taken.
    fn testbench(mut sim: Sim<AtomikAxis>) -> Result<(), SimError> {
        let mut x = sim.init()?;
        let mut checker = AxisChecker::new();
        let mut rng = fastrand::Rng::with_seed(7);
        let (mut pending, mut taken_fast) = (false, 0u32);
        wait_clock_true!(sim, aclk, x);
        for k in 0..4000u32 {
            x.aresetn.next = k >= 2;
            let stall = (1200..1300).contains(&k) || (k / 97) % 5 == 3;
            let drain = (388..400).contains(&k); // empty the FIFO before `fast`
            let fast = (400..1000).contains(&k); // tvalid and tready always high
            x.m_axis_tready.next = fast || drain || (!stall && rng.bool());
            // AXI source rule: a beat stays put until it is taken.
            if !pending {
                x.s_axis_tvalid.next = fast || (!drain && rng.u8(0..4) != 0);
                let (op, addr) = (rng.u8(0..8), rng.u8(0..4) * 85);
                // Junk above the op field, which the wrapper must ignore.
                let junk = u128::from(rng.u64(..)) << 75;
                x.s_axis_tdata.next = bits(op_beat(op, addr, rng.u64(..)) | junk);
            }
            wait_clock_false!(sim, aclk, x);
            let inputs = AxisInputs {
                aresetn: x.aresetn.val(),
                s_tvalid: x.s_axis_tvalid.val(),
                s_tdata: beat(x.s_axis_tdata.val()),
                m_tready: x.m_axis_tready.val(),
            };
            let outputs = AxisOutputs {
                s_tready: x.s_axis_tready.val(),
                m_tvalid: x.m_axis_tvalid.val(),
                m_tdata: beat(x.m_axis_tdata.val()),
            };
            let edge = checker.step(&inputs, &outputs);
            sim_assert!(sim, edge.is_ok(), x);
            let taken = edge.is_ok_and(|e| e.taken);
            pending = inputs.s_tvalid && !taken;
            taken_fast += u32::from(taken && fast);
            wait_clock_true!(sim, aclk, x);
        }
        sim_assert_eq!(sim, taken_fast, 600, x);
        // The run must have exercised the result stream (930 beats with this seed).
        sim_assert!(sim, checker.counts().results > 900, x);
        sim.done(x)
    }

    fn simulate(uut: AtomikAxis) -> Result<(), SimError> {
        let mut sim = Simulation::<AtomikAxis>::new();
        sim.add_clock(5, |x: &mut Box<AtomikAxis>| x.aclk.next = !x.aclk.val());
        sim.add_testbench(testbench);
        sim.run(Box::new(uut), 10 * 4100)
    }

    #[test]
    fn no_result_lost_whatever_m_axis_tready_does() {
        simulate(AtomikAxis::default()).unwrap();
    }

    /// Teeth: a mutant whose credit allows one result more than the FIFO
    /// holds must fail the same testbench (a stalled consumer loses a result).
    #[test]
    fn mutant_overcommit_fails() {
        let limit = super::FIFO_ENTRIES + 1;
        assert!(simulate(AtomikAxis::with_credit_limit(limit)).is_err());
    }
}
