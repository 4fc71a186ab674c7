// Inserted by formal/formal.py just before `endmodule` of a copy of the
// atomik_lane_table file under proof. atomik_spec (NL lanes, no
// single-port invariants) sees the ports; atomik_lane_inv's other inputs
// name the rust-hdl design's internals (control$*: the control port's
// memories ram_r / ram_y and pipeline registers; laneI$*: lane I's bank
// ram_acc / ram_view and its pipeline). formal.py defines
// `ATOMIK_LANES(x)` as {laneN-1$x, ..., lane0$x} for the file's lane count,
// has replaced each memory by its word at t (`$mem_t`) and declared
// `atomik_formal_t`.
localparam integer ATOMIK_NL = $bits(lane_valid);
wire [$bits(addr)+1:0] atomik_formal_age;
wire atomik_formal_swept;
wire [$bits(data_in)-1:0] atomik_formal_ref, atomik_formal_acc;
wire [`ATOMIK_LATENCY-1:0] atomik_formal_ex_valid, atomik_formal_ex_read;
wire [`ATOMIK_LATENCY-1:0] atomik_formal_ex_track, atomik_formal_ex_clean;
wire [`ATOMIK_LATENCY*$bits(data_in)-1:0] atomik_formal_ex_state;
wire [$bits(data_in)-1:0] atomik_formal_check_mask;
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
    .spec_ex_valid(atomik_formal_ex_valid), .spec_ex_read(atomik_formal_ex_read),
    .spec_ex_track(atomik_formal_ex_track), .spec_ex_clean(atomik_formal_ex_clean),
    .spec_ex_state(atomik_formal_ex_state), .spec_check_mask(atomik_formal_check_mask),
    .peek_mem_r(control$ram_r$mem_t),
    .peek_mem_x(control$ram_y$mem_t),
    .peek_clearing(control$clear_on$q), .peek_clr_cnt(control$clr_cnt$q),
    // the single-port table's stage registers: not in this design
    .peek_w_valid(1'b0), .peek_w_addr(atomik_formal_t), .peek_w_r(data_in), .peek_w_x(data_in),
    .peek_w2_valid(1'b0), .peek_w2_addr(atomik_formal_t), .peek_w2_r(data_in), .peek_w2_x(data_in),
    .peek_e_valid(1'b0), .peek_e_addr(atomik_formal_t), .peek_e_h1(1'b0),
    .peek_e_base_r(data_in), .peek_e_base_x(data_in)
);
`define ATOMIK_C(x) .x(control$``x``$q)
`define ATOMIK_L(x) .l_``x(`ATOMIK_LANES(x``$q))
atomik_lane_inv #(
    .W($bits(data_in)),
    .A($bits(addr)),
    .NL(ATOMIK_NL),
    .LATENCY(`ATOMIK_LATENCY)
) atomik_formal_lanes (
    .clock(clock), .reset(reset), .ready(ready),
    .op_valid(op_valid), .op(op), .addr(addr), .data_in(data_in),
    .t(atomik_formal_t), .age(atomik_formal_age),
    .spec_ref(atomik_formal_ref), .spec_acc(atomik_formal_acc),
    .spec_ex_valid(atomik_formal_ex_valid), .spec_ex_read(atomik_formal_ex_read),
    .spec_ex_track(atomik_formal_ex_track), .spec_ex_clean(atomik_formal_ex_clean),
    .spec_ex_state(atomik_formal_ex_state), .check_mask(atomik_formal_check_mask),
    .lane_valid(lane_valid), .lane_addr(lane_addr), .lane_delta(lane_delta),
    .mem_r(control$ram_r$mem_t), .mem_y(control$ram_y$mem_t),
    .rd_r(control$ram_r$read_data), .rd_y(control$ram_y$read_data),
    `ATOMIK_C(s1_valid), `ATOMIK_C(s1_addr), `ATOMIK_C(s1_data),
    `ATOMIK_C(s1_h1), `ATOMIK_C(s1_h2), `ATOMIK_C(s1_h3), `ATOMIK_C(s1_h4), `ATOMIK_C(s1_h5),
    `ATOMIK_C(s1_take_d), `ATOMIK_C(s1_accum), `ATOMIK_C(s1_keep), `ATOMIK_C(s1_hold_r),
    `ATOMIK_C(s1_read), `ATOMIK_C(s1_res),
    `ATOMIK_C(s2_valid), `ATOMIK_C(s2_addr), `ATOMIK_C(s2_data), `ATOMIK_C(s2_b_r), `ATOMIK_C(s2_b_y),
    `ATOMIK_C(s2_h1), `ATOMIK_C(s2_h2), `ATOMIK_C(s2_h3), `ATOMIK_C(s2_h4),
    `ATOMIK_C(s2_take_d), `ATOMIK_C(s2_accum), `ATOMIK_C(s2_keep), `ATOMIK_C(s2_hold_r),
    `ATOMIK_C(s2_read), `ATOMIK_C(s2_res),
    `ATOMIK_C(s3_valid), `ATOMIK_C(s3_addr), `ATOMIK_C(s3_data), `ATOMIK_C(s3_b_r), `ATOMIK_C(s3_b_y),
    `ATOMIK_C(s3_h1), `ATOMIK_C(s3_h2),
    `ATOMIK_C(s3_take_d), `ATOMIK_C(s3_accum), `ATOMIK_C(s3_keep), `ATOMIK_C(s3_hold_r),
    `ATOMIK_C(s3_read), `ATOMIK_C(s3_res),
    `ATOMIK_C(e_valid), `ATOMIK_C(e_addr), `ATOMIK_C(e_data),
    `ATOMIK_C(e_b_r), `ATOMIK_C(e_b_y), `ATOMIK_C(e_b_s), `ATOMIK_C(e_l), `ATOMIK_C(e_h1),
    `ATOMIK_C(e_s_wr), `ATOMIK_C(e_s_br), `ATOMIK_C(e_s_wx), `ATOMIK_C(e_s_bx), `ATOMIK_C(e_s_d),
    `ATOMIK_C(e_k_wy), `ATOMIK_C(e_k_by), `ATOMIK_C(e_ud), `ATOMIK_C(e_ul),
    `ATOMIK_C(e_res), `ATOMIK_C(e_read),
    `ATOMIK_C(w_valid), `ATOMIK_C(w_addr), `ATOMIK_C(w_r), `ATOMIK_C(w_y),
    `ATOMIK_C(w2_r), `ATOMIK_C(w2_y),
    `ATOMIK_C(o_valid), `ATOMIK_C(o_read), `ATOMIK_C(o_result), `ATOMIK_C(o_acc),
    `ATOMIK_C(f_valid), `ATOMIK_C(f_result), `ATOMIK_C(f_clean),
    .l_mem_acc(`ATOMIK_LANES(ram_acc$mem_t)), .l_mem_view(`ATOMIK_LANES(ram_view$mem_t)),
    .l_rd_acc(`ATOMIK_LANES(ram_acc$read_data)), .l_rd_view(`ATOMIK_LANES(ram_view$read_data)),
    `ATOMIK_L(s1_valid), `ATOMIK_L(s1_addr), `ATOMIK_L(s1_delta),
    `ATOMIK_L(s1_h1), `ATOMIK_L(s1_h2), `ATOMIK_L(s1_h3),
    `ATOMIK_L(e_valid), `ATOMIK_L(e_addr), `ATOMIK_L(e_delta), `ATOMIK_L(e_base),
    `ATOMIK_L(e_h1), `ATOMIK_L(e_h2),
    `ATOMIK_L(v_g1), `ATOMIK_L(v_g2), `ATOMIK_L(v_g3), `ATOMIK_L(v_h1), `ATOMIK_L(v_h2),
    `ATOMIK_L(v_base), `ATOMIK_L(v_out),
    `ATOMIK_L(w_valid), `ATOMIK_L(w_addr), `ATOMIK_L(w_acc), `ATOMIK_L(w2_acc)
);
