// Inserted by formal/formal.py just before `endmodule` of a copy of the
// atomik_state_table file under proof (open-source Yosys has neither
// hierarchical references nor `bind`). The spec sees the ports; the peek_*
// connections name the internals of the rust-hdl design (the state store's
// two memories store$ram_r / store$ram_s holding (r, r ^ acc), the reset
// sweep, the execute and write stages' registers) and are used only by the
// strengthening invariants. formal.py has replaced each memory by
// its word at t (`$mem_t`; in a two-address search also at u) and declared
// `atomik_formal_t` (and `atomik_formal_u`). A file with
// other internals needs its own copy of this file.
//
// `ATOMIK_T(x) names the table's signal x: x itself here; bind_axis.vh
// defines it as table$x, the prefix under which atomik_axis inlines its table.
`ifndef ATOMIK_T
`define ATOMIK_T(x) x
`endif
wire [$bits(`ATOMIK_T(addr))+1:0] atomik_formal_age;
// The second write stage (W2) has no valid/address registers of its own:
// it is the write of the previous cycle, so the checker keeps that copy.
reg atomik_formal_w2_valid = 1'b0;
reg [$bits(`ATOMIK_T(addr))-1:0] atomik_formal_w2_addr = 0;
always @(posedge `ATOMIK_T(clock)) begin
    atomik_formal_w2_valid <= `ATOMIK_T(store$wr_valid$q);
    atomik_formal_w2_addr <= `ATOMIK_T(store$wr_addr$q);
end
wire atomik_formal_swept;
wire [$bits(`ATOMIK_T(addr))-1:0] atomik_formal_other;
`ifdef ATOMIK_SEARCH_TWO
assign atomik_formal_u = atomik_formal_other;
`endif
wire [$bits(`ATOMIK_T(data_in))-1:0] atomik_formal_ref, atomik_formal_acc;
atomik_spec #(
    .W($bits(`ATOMIK_T(data_in))),
    .A($bits(`ATOMIK_T(addr))),
    .LATENCY(`ATOMIK_LATENCY),
`ifdef ATOMIK_INNER_SEARCH
    .PORT_ASSERTS(0)
`else
    .PORT_ASSERTS(1)
`endif
) atomik_formal_spec (
    .clock(`ATOMIK_T(clock)), .reset(`ATOMIK_T(reset)), .ready(`ATOMIK_T(ready)),
    .op_valid(`ATOMIK_T(op_valid)), .op(`ATOMIK_T(op)), .addr(`ATOMIK_T(addr)),
    .data_in(`ATOMIK_T(data_in)), .result_valid(`ATOMIK_T(result_valid)),
    .result(`ATOMIK_T(result)), .result_clean(`ATOMIK_T(result_clean)),
    .lane_valid(1'b0), .lane_addr({$bits(`ATOMIK_T(addr)){1'b0}}),
    .lane_delta({$bits(`ATOMIK_T(data_in)){1'b0}}),
    .lanes_x({$bits(`ATOMIK_T(data_in)){1'b0}}),
    .tracked(atomik_formal_t), .other(atomik_formal_other), .spec_age(atomik_formal_age), .spec_swept(atomik_formal_swept),
    .spec_ref(atomik_formal_ref), .spec_acc(atomik_formal_acc),
    .peek_mem_r(`ATOMIK_T(store$ram_r$mem_t)),
    .peek_mem_x(`ATOMIK_T(store$ram_s$mem_t)),
    .peek_clearing(`ATOMIK_T(sweep$active$q)), .peek_clr_cnt(`ATOMIK_T(sweep$next_addr$q)),
    .peek_w_valid(`ATOMIK_T(store$wr_valid$q)), .peek_w_addr(`ATOMIK_T(store$wr_addr$q)),
    .peek_w_r(`ATOMIK_T(store$wr_r$q)), .peek_w_x(`ATOMIK_T(store$wr_s$q)),
    .peek_w2_valid(atomik_formal_w2_valid), .peek_w2_addr(atomik_formal_w2_addr),
    .peek_w2_r(`ATOMIK_T(store$wr2_r$q)), .peek_w2_x(`ATOMIK_T(store$wr2_s$q)),
    .peek_e_valid(`ATOMIK_T(exec$e_valid$q)), .peek_e_addr(`ATOMIK_T(exec$e_addr$q)),
    .peek_e_h1(`ATOMIK_T(exec$fwd_w_to_e$q)),
    .peek_e_base_r(`ATOMIK_T(exec$e_base_r$q)), .peek_e_base_x(`ATOMIK_T(exec$e_base_s$q))
);
