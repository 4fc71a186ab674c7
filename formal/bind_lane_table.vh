// Inserted by formal/formal.py just before `endmodule` of a copy of the
// atomik_lane_table file under proof. atomik_spec (NL lanes, no
// single-port invariants) sees the ports; atomik_lane_inv's peek_* name the
// rust-hdl design's memories: control$ram_r / control$ram_y hold (r, y) and
// laneI$ram_acc / laneI$ram_view lane I's bank. formal.py defines
// ATOMIK_LANE_ACC and ATOMIK_LANE_VIEW (the banks' words at t, lane 0 in
// the low bits) for the file's lane count. formal.py has replaced each
// memory by its word at t (`$mem_t`) and declared `atomik_formal_t`.
localparam integer ATOMIK_NL = $bits(lane_valid);
wire [$bits(addr)+1:0] atomik_formal_age;
wire atomik_formal_swept;
wire [$bits(data_in)-1:0] atomik_formal_ref, atomik_formal_acc;
atomik_spec #(
    .W($bits(data_in)),
    .A($bits(addr)),
    .LATENCY(`ATOMIK_LATENCY),
    .NL(ATOMIK_NL),
    .TABLE_INV(0)
) atomik_formal_spec (
    .clock(clock), .reset(reset), .ready(ready),
    .op_valid(op_valid), .op(op), .addr(addr), .data_in(data_in),
    .result_valid(result_valid), .result(result), .result_clean(result_clean),
    .lane_valid(lane_valid), .lane_addr(lane_addr), .lane_delta(lane_delta),
    .tracked(atomik_formal_t), .spec_age(atomik_formal_age), .spec_swept(atomik_formal_swept),
    .spec_ref(atomik_formal_ref), .spec_acc(atomik_formal_acc),
    .peek_mem_r(control$ram_r$mem_t),
    .peek_mem_x(control$ram_y$mem_t),
    .peek_clearing(control$clear_on$q), .peek_clr_cnt(control$clr_cnt$q),
    // the single-port table's stage registers: not in this design
    .peek_w_valid(1'b0), .peek_w_addr(atomik_formal_t), .peek_w_r(data_in), .peek_w_x(data_in),
    .peek_w2_valid(1'b0), .peek_w2_addr(atomik_formal_t), .peek_w2_r(data_in), .peek_w2_x(data_in),
    .peek_e_valid(1'b0), .peek_e_addr(atomik_formal_t), .peek_e_h1(1'b0),
    .peek_e_base_r(data_in), .peek_e_base_x(data_in)
);
atomik_lane_inv #(
    .W($bits(data_in)),
    .A($bits(addr)),
    .NL(ATOMIK_NL)
) atomik_formal_lanes (
    .clock(clock), .reset(reset), .ready(ready),
    .t(atomik_formal_t), .age(atomik_formal_age),
    .spec_ref(atomik_formal_ref), .spec_acc(atomik_formal_acc),
    .lane_valid(lane_valid), .lane_addr(lane_addr), .lane_delta(lane_delta),
    .peek_mem_r(control$ram_r$mem_t),
    .peek_mem_y(control$ram_y$mem_t),
    .peek_acc(`ATOMIK_LANE_ACC), .peek_view(`ATOMIK_LANE_VIEW)
);
