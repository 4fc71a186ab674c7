// Inserted by formal/formal.py just before `endmodule` of a copy of the
// atomik_lane_table file under proof. formal.py has replaced each memory
// by its word at t (`$mem_t`; with ATOMIK_SEARCH_TWO also at u), declared
// `atomik_formal_t` (and `atomik_formal_u`), and defines one of the runs
// below (lane_spec.sv has the compositional argument):
//
//   ATOMIK_LANE_RUN     lane K's contract; formal.py defines `ATOMIK_L(x)
//                       as laneK$x and removes the output ports, so only
//                       lane K and the reset sweep stay in the model.
//   ATOMIK_CONTROL_RUN  the specification on the ports; formal.py has cut
//                       `control$lane_sum` from the lanes (a free input),
//                       which atomik_control_inv constrains by the lane
//                       contracts.
//   ATOMIK_SEARCH       counterexample search on the whole design: the
//                       specification only; formal.py defines
//                       `ATOMIK_LANES(x) as {laneN-1$x, ..., lane0$x} and
//                       ATOMIK_SEARCH_LANES, the mask of lanes that may
//                       present deltas (the others stay idle).
localparam integer ATOMIK_NL = $bits(lane_valid);
localparam integer ATOMIK_A = $bits(addr);
localparam integer ATOMIK_W = $bits(data_in);
`ifdef ATOMIK_LANE_RUN
(* anyconst *) reg [ATOMIK_A-1:0] atomik_formal_lane_t;
assign atomik_formal_t = atomik_formal_lane_t;
atomik_lane_contract #(.W(ATOMIK_W), .A(ATOMIK_A)) atomik_formal_lane (
    .clock(clock), .reset(reset), .ready(ready), .op_valid(op_valid), .addr(addr),
    .lane_valid(lane_valid[`ATOMIK_LANE]), .lane_addr(lane_addr[`ATOMIK_LANE*ATOMIK_A +: ATOMIK_A]),
    .lane_delta(lane_delta[`ATOMIK_LANE*ATOMIK_W +: ATOMIK_W]),
    .t(atomik_formal_lane_t),
    .sweep_active(control$sweep$active$q), .sweep_next(control$sweep$next_addr$q),
    .mem_acc(`ATOMIK_L(accum$ram_acc$mem_t)), .mem_view(`ATOMIK_L(control_view$ram_view$mem_t)),
    .rd_acc(`ATOMIK_L(accum$ram_acc$read_data)), .rd_view(`ATOMIK_L(control_view$ram_view$read_data)),
    .s1_valid(`ATOMIK_L(accum$r_s1_valid$q)), .s1_addr(`ATOMIK_L(accum$r_s1_addr$q)),
    .s1_delta(`ATOMIK_L(accum$s1_delta$q)),
    .s1_fwd_w_to_e(`ATOMIK_L(accum$s1_fwd_w_to_e$q)), .s1_fwd_w2_to_e(`ATOMIK_L(accum$s1_fwd_w2_to_e$q)),
    .s1_fwd_w2_to_s1(`ATOMIK_L(accum$s1_fwd_w2_to_s1$q)),
    .e_valid(`ATOMIK_L(accum$r_e_valid$q)), .e_addr(`ATOMIK_L(accum$r_e_addr$q)),
    .e_delta(`ATOMIK_L(accum$e_delta$q)), .e_base(`ATOMIK_L(accum$e_base$q)),
    .e_fwd_w_to_e(`ATOMIK_L(accum$e_fwd_w_to_e$q)), .e_fwd_w2_to_e(`ATOMIK_L(accum$e_fwd_w2_to_e$q)),
    .w_valid(`ATOMIK_L(accum$r_w_valid$q)), .w_addr(`ATOMIK_L(accum$r_w_addr$q)),
    .w_acc(`ATOMIK_L(accum$r_w_acc$q)), .w2_acc(`ATOMIK_L(accum$r_w2_acc$q)),
    .v1_fwd_w_to_out(`ATOMIK_L(control_view$v1_fwd_w_to_out$q)),
    .v1_fwd_w2_to_out(`ATOMIK_L(control_view$v1_fwd_w2_to_out$q)),
    .v1_fwd_w2_to_base(`ATOMIK_L(control_view$v1_fwd_w2_to_base$q)),
    .v2_fwd_w_to_out(`ATOMIK_L(control_view$v2_fwd_w_to_out$q)),
    .v2_fwd_w2_to_out(`ATOMIK_L(control_view$v2_fwd_w2_to_out$q)),
    .v2_base(`ATOMIK_L(control_view$v2_base$q)),
    .view(`ATOMIK_L(view))
);
`else
wire [ATOMIK_A+1:0] atomik_formal_age;
wire atomik_formal_swept;
wire [ATOMIK_W-1:0] atomik_formal_ref, atomik_formal_acc;
wire [`ATOMIK_LATENCY-1:0] atomik_formal_ex_valid, atomik_formal_ex_read;
wire [`ATOMIK_LATENCY-1:0] atomik_formal_ex_track, atomik_formal_ex_clean;
wire [`ATOMIK_LATENCY*ATOMIK_W-1:0] atomik_formal_ex_state;
wire [ATOMIK_W-1:0] atomik_formal_data_mask;
wire [ATOMIK_A-1:0] atomik_formal_other;
`ifdef ATOMIK_CONTROL_RUN
// The lanes' term of the specification: any value (zero while `ready` is
// low, atomik_control_inv assumes), the same one the lanes' sum is held to.
(* anyseq *) reg [ATOMIK_W-1:0] atomik_formal_lanes_x;
localparam integer ATOMIK_LANES_X = 1;
`else
wire [ATOMIK_W-1:0] atomik_formal_lanes_x = 0;
localparam integer ATOMIK_LANES_X = 0;
`endif
atomik_spec #(
    .W(ATOMIK_W),
    .A(ATOMIK_A),
    .LATENCY(`ATOMIK_LATENCY),
    .NL(ATOMIK_NL),
    .TABLE_INV(0),
    .LANES_X(ATOMIK_LANES_X)
) atomik_formal_spec (
    .clock(clock), .reset(reset), .ready(ready),
    .op_valid(op_valid), .op(op), .addr(addr), .data_in(data_in),
    .result_valid(result_valid), .result(result), .result_clean(result_clean),
    .lane_valid(lane_valid), .lane_addr(lane_addr), .lane_delta(lane_delta),
    .lanes_x(atomik_formal_lanes_x),
    .tracked(atomik_formal_t), .other(atomik_formal_other),
    .spec_age(atomik_formal_age), .spec_swept(atomik_formal_swept),
    .spec_ref(atomik_formal_ref), .spec_acc(atomik_formal_acc),
    .spec_ex_valid(atomik_formal_ex_valid), .spec_ex_read(atomik_formal_ex_read),
    .spec_ex_track(atomik_formal_ex_track), .spec_ex_clean(atomik_formal_ex_clean),
    .spec_ex_state(atomik_formal_ex_state), .spec_data_mask(atomik_formal_data_mask),
    .peek_mem_r(control$store$ram_r$mem_t),
    .peek_mem_x(control$store$ram_s$mem_t),
    .peek_clearing(control$sweep$active$q), .peek_clr_cnt(control$sweep$next_addr$q),
    // the single-port table's stage registers: not in this design
    .peek_w_valid(1'b0), .peek_w_addr(atomik_formal_t), .peek_w_r(data_in), .peek_w_x(data_in),
    .peek_w2_valid(1'b0), .peek_w2_addr(atomik_formal_t), .peek_w2_r(data_in), .peek_w2_x(data_in),
    .peek_e_valid(1'b0), .peek_e_addr(atomik_formal_t), .peek_e_h1(1'b0),
    .peek_e_base_r(data_in), .peek_e_base_x(data_in)
);
`ifdef ATOMIK_SEARCH_TWO
assign atomik_formal_u = atomik_formal_other;
`endif
`ifdef ATOMIK_SEARCH
// Only the lanes of ATOMIK_SEARCH_LANES present deltas, at the searched
// addresses; the others stay idle (inputs 0). Restricting inputs keeps
// every trace a real run of the whole design.
genvar atomik_formal_i;
for (atomik_formal_i = 0; atomik_formal_i < ATOMIK_NL; atomik_formal_i = atomik_formal_i + 1)
begin : atomik_formal_search_lane
    wire [ATOMIK_A-1:0] la = lane_addr[atomik_formal_i*ATOMIK_A +: ATOMIK_A];
    always @*
        if ((`ATOMIK_SEARCH_LANES >> atomik_formal_i) & 1)
            assume ((!lane_valid[atomik_formal_i] || la == atomik_formal_t
                     || la == atomik_formal_other)
                    && (lane_delta[atomik_formal_i*ATOMIK_W +: ATOMIK_W] & ~atomik_formal_data_mask) == 0);
        else
            assume (!lane_valid[atomik_formal_i] && la == 0
                    && lane_delta[atomik_formal_i*ATOMIK_W +: ATOMIK_W] == 0);
end
`endif
`ifdef ATOMIK_CONTROL_RUN
`define ATOMIK_C(x) control$``x``$q
atomik_control_inv #(
    .W(ATOMIK_W),
    .A(ATOMIK_A),
    .LATENCY(`ATOMIK_LATENCY)
) atomik_formal_control (
    .clock(clock), .reset(reset), .ready(ready),
    .op_valid(op_valid), .op(op), .addr(addr), .data_in(data_in),
    .lanes_x(atomik_formal_lanes_x),
    .t(atomik_formal_t), .age(atomik_formal_age),
    .spec_ref(atomik_formal_ref), .spec_acc(atomik_formal_acc),
    .spec_ex_valid(atomik_formal_ex_valid), .spec_ex_read(atomik_formal_ex_read),
    .spec_ex_track(atomik_formal_ex_track), .spec_ex_clean(atomik_formal_ex_clean),
    .spec_ex_state(atomik_formal_ex_state),
    .lane_sum(control$lane_sum),
    .mem_r(control$store$ram_r$mem_t), .mem_y(control$store$ram_s$mem_t),
    .rd_r(control$store$ram_r$read_data), .rd_y(control$store$ram_s$read_data),
    .s1_valid(`ATOMIK_C(front$s1$r_valid)), .s1_addr(`ATOMIK_C(front$s1$r_addr)),
    .s1_data(`ATOMIK_C(front$s1$r_data)), .s1_flags(`ATOMIK_C(front$s1$r_flags)),
    .s1_fwd_w_to_e(`ATOMIK_C(front$s1_fwd_w_to_e)), .s1_fwd_w_to_s3(`ATOMIK_C(front$s1_fwd_w_to_s3)),
    .s1_fwd_w_to_s2(`ATOMIK_C(front$s1_fwd_w_to_s2)), .s1_fwd_w2_to_s2(`ATOMIK_C(front$s1_fwd_w2_to_s2)),
    .s1_fwd_w2_to_s1(`ATOMIK_C(front$s1_fwd_w2_to_s1)),
    .s2_valid(`ATOMIK_C(front$s2$r_valid)), .s2_addr(`ATOMIK_C(front$s2$r_addr)),
    .s2_data(`ATOMIK_C(front$s2$r_data)), .s2_flags(`ATOMIK_C(front$s2$r_flags)),
    .s2_b_r(`ATOMIK_C(merge$s2_b_r)), .s2_b_y(`ATOMIK_C(merge$s2_b_y)),
    .s2_fwd_w_to_e(`ATOMIK_C(front$s2_fwd_w_to_e)), .s2_fwd_w_to_s3(`ATOMIK_C(front$s2_fwd_w_to_s3)),
    .s2_fwd_w_to_s2(`ATOMIK_C(front$s2_fwd_w_to_s2)), .s2_fwd_w2_to_s2(`ATOMIK_C(front$s2_fwd_w2_to_s2)),
    .s3_valid(`ATOMIK_C(front$s3$r_valid)), .s3_addr(`ATOMIK_C(front$s3$r_addr)),
    .s3_data(`ATOMIK_C(front$s3$r_data)), .s3_flags(`ATOMIK_C(front$s3$r_flags)),
    .s3_b_r(`ATOMIK_C(merge$s3_b_r)), .s3_b_y(`ATOMIK_C(merge$s3_b_y)),
    .s3_fwd_w_to_e(`ATOMIK_C(front$s3_fwd_w_to_e)), .s3_fwd_w_to_s3(`ATOMIK_C(front$s3_fwd_w_to_s3)),
    .e_valid(`ATOMIK_C(exec$e_valid)), .e_addr(`ATOMIK_C(exec$e_addr)), .e_data(`ATOMIK_C(exec$e_data)),
    .e_base_r(`ATOMIK_C(exec$e_base_r)), .e_base_s(`ATOMIK_C(exec$e_base_s)),
    .e_base_view(`ATOMIK_C(exec$e_base_view)), .e_lanes(`ATOMIK_C(exec$e_lanes)),
    .e_fwd_w_to_e(`ATOMIK_C(exec$fwd_w_to_e)),
    .sel_w_r(`ATOMIK_C(exec$select$sel_w_r)), .sel_base_r(`ATOMIK_C(exec$select$sel_base_r)),
    .sel_w_view(`ATOMIK_C(exec$select$sel_w_view)),
    .sel_base_view(`ATOMIK_C(exec$select$sel_base_view)), .sel_d(`ATOMIK_C(exec$select$sel_d)),
    .keep_w(`ATOMIK_C(exec$select$keep_w)), .keep_base(`ATOMIK_C(exec$select$keep_base)),
    .add_d(`ATOMIK_C(exec$select$add_d)), .add_lanes(`ATOMIK_C(exec$select$add_lanes)),
    .e_res(`ATOMIK_C(exec$e_res)), .e_read(`ATOMIK_C(exec$e_read)),
    .w_valid(`ATOMIK_C(store$wr_valid)), .w_addr(`ATOMIK_C(store$wr_addr)),
    .w_r(`ATOMIK_C(store$wr_r)), .w_y(`ATOMIK_C(store$wr_s)),
    .w2_r(`ATOMIK_C(store$wr2_r)), .w2_y(`ATOMIK_C(store$wr2_s)),
    .o_valid(`ATOMIK_C(result_stage$o_valid)), .o_read(`ATOMIK_C(result_stage$o_read)),
    .o_result(`ATOMIK_C(result_stage$o_result)), .o_acc(`ATOMIK_C(result_stage$o_acc)),
    .f_valid(`ATOMIK_C(result_stage$f_valid)), .f_result(`ATOMIK_C(result_stage$f_result)),
    .f_clean(`ATOMIK_C(result_stage$f_clean))
);
`undef ATOMIK_C
`endif
`endif
