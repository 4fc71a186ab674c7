// Inserted by formal/formal.py just before `endmodule` of a copy of the
// atomik_axis file under proof. The table that atomik_axis inlines (signals
// table$*) gets the single-port table's checker and invariants
// (bind_state_table.vh through `ATOMIK_T); the AXI ports get
// atomik_axis_spec, whose peek_* name the wrapper's FIFO registers.
// `ATOMIK_LATENCY is the table's latency (the catalogue's AXI latency
// less the cycle a result spends entering the FIFO), `ATOMIK_AXIS_LATENCY
// and `ATOMIK_FIFO_DEPTH the catalogue's `latency` and `fifo_depth`.
`define ATOMIK_T(x) table$``x
`ifdef ATOMIK_SEARCH
// The search looks for a trace that breaks the AXI contract itself, not
// only the inner table's properties.
`define ATOMIK_INNER_SEARCH
`endif
`include "bind_state_table.vh"
wire [$bits(rptr$q)-1:0] atomik_formal_slot;
atomik_axis_spec #(
    .W($bits(table$data_in)),
    .A($bits(table$addr)),
    // The contract's constants, from the design catalogue (formal.py),
    // not the file's own `depth`: a wrong constant must fail A2.
    .LATENCY(`ATOMIK_AXIS_LATENCY), .DEPTH(`ATOMIK_FIFO_DEPTH),
    .PCW($bits(owed$q)), .PW($bits(rptr$q))
) atomik_formal_axis (
    .aclk(aclk), .aresetn(aresetn),
    .s_tvalid(s_axis_tvalid), .s_tready(s_axis_tready), .s_tdata(s_axis_tdata),
    .m_tvalid(m_axis_tvalid), .m_tready(m_axis_tready), .m_tdata(m_axis_tdata),
    .t(atomik_formal_t), .swept(atomik_formal_swept),
    .spec_ref(atomik_formal_ref), .spec_acc(atomik_formal_acc),
    .peek_owed(owed$q), .peek_count(count$q), .peek_wptr(wptr$q), .peek_rptr(rptr$q),
    .slot(atomik_formal_slot), .peek_slot(fifo$mem[atomik_formal_slot])
);
