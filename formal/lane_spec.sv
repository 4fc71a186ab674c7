// Checkers for `atomik_lane_table` (the control port plus NL ACCUM lanes),
// beside atomik_spec with NL lanes, which states the specification itself
// (control op first, then the lanes; results exactly LATENCY cycles after
// acceptance) on the ports only.
//
// The design stores, per context, the control port's (r, y) in two
// memories and, per lane, the XOR of every delta that lane ever applied
// (its bank, stored twice: ram_acc for the lane's own read-modify-write,
// ram_view for the control port). Each lane also computes `view`: its bank
// at the control op's address, for the op accepted 3 cycles earlier; the
// control port adds the lanes' views (`control$lane_sum`) and stores
// y = state ^ L, where L is the XOR of the banks.
//
// The proof is compositional (formal.py runs each part as its own sby job;
// docs/verification.md states the argument):
//
//   Lane contract, for lane k (atomik_lane_contract, one run per lane):
//     if a control op was accepted at context t 3 cycles ago and no reset
//     came since, lane k's view equals T_k(3): the XOR of every delta lane
//     k accepted at t from the last reset up to 4 cycles ago.
//   Its premises are the ports and the lane's own logic: the run keeps
//   lane k and the reset sweep (the cone of influence of its assertions;
//   formal.py removes the output ports, so the other lanes and the control
//   pipeline drop out of the model).
//
//   Control port (atomik_control_inv, one run): formal.py cuts
//   `control$lane_sum` from the lanes and makes it a free input; the
//   checker ASSUMES the lane contracts' conjunction on it (lane_sum ==
//   L(3) = XOR_k T_k(3) whenever a control op at t is 3 cycles old) and
//   proves atomik_spec's properties on the ports.
//
// Both checkers pin every register that holds context t to a ghost history
// of the specification (entry d: the value d cycles ago), so one induction
// step closes (depth 1).
`default_nettype none

// ---------------------------------------------------------------- macros
// Accepted in cycle c-d and no reset since (age counts cycles since reset).
`define LI_LIVE(b, dd) ((b) && age > (dd))

// Cycles since the last reset edge (1 in the cycle after it), saturating
// past the sweep; both checkers keep one, defined as atomik_spec's.
module atomik_lane_age #(
    parameter integer A = 8
) (
    input wire clock,
    input wire reset,
    output reg [A+1:0] age = 0
);
    localparam [A+1:0] AGE_MAX = (1 << A) + 8;
    always @(posedge clock)
        if (reset) age <= 1;
        else if (age != AGE_MAX) age <= age + 1'b1;
endmodule

// ------------------------------------------------------- the lane contract
module atomik_lane_contract #(
    parameter integer W = 64,
    parameter integer A = 8
) (
    input wire          clock,
    input wire          reset,
    input wire          ready,
    input wire          op_valid,
    input wire [A-1:0]  addr,
    input wire          lane_valid,  // this lane's ports
    input wire [A-1:0]  lane_addr,
    input wire [W-1:0]  lane_delta,
    input wire [A-1:0]  t,
    // ---- the reset sweep (shared with the control port) ----
    input wire          sweep_active,
    input wire [A-1:0]  sweep_next,
    // ---- the lane: bank memories, read registers, pipeline ----
    input wire [W-1:0]  mem_acc, mem_view,
    input wire [W-1:0]  rd_acc, rd_view,
    input wire          s1_valid, input wire [A-1:0] s1_addr, input wire [W-1:0] s1_delta,
    input wire          s1_fwd_w_to_e, s1_fwd_w2_to_e, s1_fwd_w2_to_s1,
    input wire          e_valid, input wire [A-1:0] e_addr, input wire [W-1:0] e_delta, e_base,
    input wire          e_fwd_w_to_e, e_fwd_w2_to_e,
    input wire          w_valid, input wire [A-1:0] w_addr, input wire [W-1:0] w_acc, w2_acc,
    input wire          v1_fwd_w_to_out, v1_fwd_w2_to_out, v1_fwd_w2_to_base,
    input wire          v2_fwd_w_to_out, v2_fwd_w2_to_out,
    input wire [W-1:0]  v2_base,
    input wire [W-1:0]  view          // the contract's subject
);
    localparam integer N = 1 << A;
    localparam integer D = 4;  // history entries: the oldest one read is 4
    integer d;
    genvar gd;

    wire [A+1:0] age;
    atomik_lane_age #(.A(A)) ages (.clock(clock), .reset(reset), .age(age));

    // T(0): the XOR of the deltas this lane accepted at t since the reset.
    wire lhit_now = ready && lane_valid && lane_addr == t;
    reg [W-1:0] tot = 0;
    always @(posedge clock)
        if (reset) tot <= 0;
        else if (lhit_now) tot <= tot ^ lane_delta;

    // Ghost history, entry d at [d*W +: W] / bit d (d = 1 ..= D).
    reg [D:1] g_rst = 0, g_hit = 0, g_lacc = 0, g_lhit = 0;
    reg [(D+1)*W-1:0] g_delta = 0;
    reg [D*W-1:0] h_t = 0;
    reg lwt1 = 0;  // the lane's W wrote t in the previous cycle
    wire lwt0 = w_valid && w_addr == t;
    always @(posedge clock) begin
        g_rst <= {g_rst, reset};
        g_hit <= {g_hit, op_valid && ready && addr == t};
        g_lacc <= {g_lacc, ready && lane_valid};
        g_lhit <= {g_lhit, lhit_now};
        g_delta[(D+1)*W-1:W] <= {g_delta[D*W-1:W], lane_delta};
        h_t <= {h_t, tot};
        lwt1 <= lwt0;
    end
    wire [(D+1)*W-1:0] vT = {h_t, tot};
`define LC_T(d) vT[(d)*W +: W]
`define LC_DELTA(d) g_delta[(d)*W +: W]

    reg past_valid = 1'b0;
    always @(posedge clock) past_valid <= 1'b1;
    // As in atomik_spec, the first cycle is a reset; the checker's own
    // registers hold their initial values there (the induction step may
    // start in a state with past_valid = 0 only as the first cycle).
    always @* if (!past_valid) assume (reset && tot == 0 && g_rst == 0 && g_hit == 0
        && g_lacc == 0 && g_lhit == 0 && g_delta == 0 && h_t == 0 && !lwt1 && age == 0);

    // ---- the contract ----
    always @* if (past_valid && `LI_LIVE(g_hit[3], 3))
        lane_view: assert (view == `LC_T(3));

    // ---- the sweep and the ghost ----
    always @* if (past_valid) begin
        lc_age:   assert (age != 0 && age <= N + 8);
        lc_sweep: assert (sweep_active == (age <= N) && (age > N || sweep_next == age - 1));
        lc_ready: assert (ready == (!reset && age > N));
        // The sweep's writes: context age-2, in the cycles of age 2 ..= N+1.
        if (age >= 2 && age <= N + 1)
            lc_w_sweep: assert (w_valid && w_addr == age - 2);
    end
    for (gd = 0; gd < D; gd = gd + 1) begin : line
        always @* if (past_valid) begin
            if (g_rst[gd+1]) assert /* lc_line_rst */ (`LC_T(gd) == 0);
            else assert /* lc_line */ (`LC_T(gd) == (`LC_T(gd+1)
                ^ (g_lhit[gd+1] ? `LC_DELTA(gd+1) : {W{1'b0}})));
            if (age >= gd + 1 && age <= N + 1 + gd) assert /* lc_line_zero */ (`LC_T(gd) == 0);
        end
    end
    for (gd = 1; gd <= D; gd = gd + 1) begin : hist
        always @* if (past_valid) begin
            // Nothing is accepted during the sweep.
            if (age > gd && age <= N + gd) assert /* lc_idle */ (!g_hit[gd] && !g_lacc[gd]);
            assert /* lc_rst */ ((age != gd || g_rst[gd]) && (!g_rst[gd] || age <= gd));
            assert /* lc_hit */ (!g_lhit[gd] || g_lacc[gd]);
        end
    end

    // ---- the lane's pipeline (delta accepted in cycle b: S1 b+1, E b+2,
    // W b+3 writing both banks at its end, W2 b+4) ----
    always @* if (past_valid) begin
        lc_valid: assert (s1_valid == `LI_LIVE(g_lacc[1], 1) && e_valid == `LI_LIVE(g_lacc[2], 2));
        lc_at_t:  assert ((s1_valid && s1_addr == t) == `LI_LIVE(g_lhit[1], 1)
                          && (e_valid && e_addr == t) == `LI_LIVE(g_lhit[2], 2));
        if (`LI_LIVE(g_lhit[3], 3)) lc_w_at_t: assert (lwt0);
        if (`LI_LIVE(g_lhit[4], 4)) lc_w2_at_t: assert (lwt1);
        // The read of cycle c-1 saw the bank of then (entry 4), unless W
        // wrote t at that same edge (then the W2 forward applies).
        if (`LI_LIVE(g_lhit[1], 1) && !lwt1) lc_rd: assert (rd_acc == `LC_T(4));
        if (`LI_LIVE(g_hit[1], 1) && !lwt1) lc_rd_view: assert (rd_view == `LC_T(4));
        if (`LI_LIVE(g_lhit[1], 1))
            lc_s1: assert (s1_delta == `LC_DELTA(1)
                && {s1_fwd_w_to_e, s1_fwd_w2_to_e, s1_fwd_w2_to_s1} == {g_lhit[2], g_lhit[3], lwt1});
        if (`LI_LIVE(g_lhit[2], 2))
            lc_e: assert (e_delta == `LC_DELTA(2)
                && {e_fwd_w_to_e, e_fwd_w2_to_e} == {g_lhit[3], g_lhit[4]}
                && e_base == `LC_T(4));
        if (lwt0) lc_w: assert (w_acc == (age <= N + 1 ? {W{1'b0}} : `LC_T(2)));
        if (lwt1 && age >= 2) lc_w2: assert (w2_acc == (age <= N + 2 ? {W{1'b0}} : `LC_T(3)));
        // The control port's view of this lane, for a control op at t.
        if (`LI_LIVE(g_hit[1], 1))
            lc_v1: assert ({v1_fwd_w_to_out, v1_fwd_w2_to_out, v1_fwd_w2_to_base}
                           == {g_lhit[2], g_lhit[3], lwt1});
        if (`LI_LIVE(g_hit[2], 2))
            lc_v2: assert ({v2_fwd_w_to_out, v2_fwd_w2_to_out} == {g_lhit[3], g_lhit[4]}
                           && v2_base == `LC_T(4));
        // Both banks hold every write up to c-4 (entry 3); the sweep
        // clears t at the end of age t+2.
        if (age >= t + 3)
            lc_mem: assert (age <= N + 1 ? mem_acc == 0 && mem_view == 0
                                        : mem_acc == `LC_T(3) && mem_view == `LC_T(3));
    end
`undef LC_T
`undef LC_DELTA
endmodule

// ---------------------------------------------- the control port's checker
module atomik_control_inv #(
    parameter integer W = 64,
    parameter integer A = 8,
    parameter integer LATENCY = 6
) (
    input wire          clock,
    input wire          reset,
    input wire          ready,
    input wire          op_valid,
    input wire [2:0]    op,
    input wire [A-1:0]  addr,
    input wire [W-1:0]  data_in,
    input wire [W-1:0]  lanes_x,    // the lanes' term at t this cycle (atomik_spec's)
    input wire [A-1:0]  t,
    input wire [A+1:0]  age,
    input wire [W-1:0]  spec_ref,
    input wire [W-1:0]  spec_acc,
    input wire [LATENCY-1:0]   spec_ex_valid,
    input wire [LATENCY-1:0]   spec_ex_read,
    input wire [LATENCY-1:0]   spec_ex_track,
    input wire [LATENCY-1:0]   spec_ex_clean,
    input wire [LATENCY*W-1:0] spec_ex_state,
    // ---- the lanes' sum, cut from the lanes by formal.py (a free input) ----
    input wire [W-1:0]  lane_sum,
    // ---- the control port: memories and pipeline ----
    input wire [W-1:0] mem_r, mem_y,
    input wire [W-1:0] rd_r, rd_y,   // the memories' read registers
    input wire s1_valid, input wire [A-1:0] s1_addr, input wire [W-1:0] s1_data,
    input wire [5:0] s1_flags,      // OpFlags: take_d accum keep hold_r read res, bit 0 first
    input wire s1_fwd_w_to_e, s1_fwd_w_to_s3, s1_fwd_w_to_s2, s1_fwd_w2_to_s2, s1_fwd_w2_to_s1,
    input wire s2_valid, input wire [A-1:0] s2_addr, input wire [W-1:0] s2_data,
    input wire [5:0] s2_flags,
    input wire [W-1:0] s2_b_r, s2_b_y,
    input wire s2_fwd_w_to_e, s2_fwd_w_to_s3, s2_fwd_w_to_s2, s2_fwd_w2_to_s2,
    input wire s3_valid, input wire [A-1:0] s3_addr, input wire [W-1:0] s3_data,
    input wire [5:0] s3_flags,
    input wire [W-1:0] s3_b_r, s3_b_y,
    input wire s3_fwd_w_to_e, s3_fwd_w_to_s3,
    input wire e_valid, input wire [A-1:0] e_addr, input wire [W-1:0] e_data,
    input wire [W-1:0] e_base_r, e_base_s, e_base_view, e_lanes,
    input wire e_fwd_w_to_e,
    input wire sel_w_r, sel_base_r, sel_w_view, sel_base_view, sel_d,
    input wire keep_w, keep_base, add_d, add_lanes,
    input wire e_res, e_read,
    input wire w_valid, input wire [A-1:0] w_addr, input wire [W-1:0] w_r, w_y, w2_r, w2_y,
    input wire o_valid, o_read, input wire [W-1:0] o_result, o_acc,
    input wire f_valid, input wire [W-1:0] f_result, input wire f_clean
);
    localparam integer N = 1 << A;
    localparam integer D = 6;  // history entries: the oldest one read is 6
    localparam [2:0] LOAD = 3'd0, ACCUM = 3'd1, READ = 3'd2, SWAP = 3'd3, SWAP_KEEP = 3'd4;
    genvar gd;

    // The lanes' term: any value in every cycle, 0 while `ready` is low (as
    // the XOR of the lane deltas accepted at t is: the real design is the
    // instance where it is that XOR). L(0) is its XOR since the reset.
    wire [W-1:0] lanes_now = lanes_x;
    always @* lanes_x_idle: assume (ready || lanes_x == 0);
    reg [W-1:0] ltot = 0;
    always @(posedge clock)
        if (reset) ltot <= 0;
        else ltot <= ltot ^ lanes_now;

    // ---------------- ghost history ----------------
    // Entry d (1 ..= D) of R, S, L: after every op accepted up to c-1-d;
    // of rst/acc/hit/res/rd/op/data/lanes: what happened in cycle c-d.
    wire accept = op_valid && ready;
    reg [D:1] g_rst = 0, g_acc = 0, g_hit = 0, g_res = 0, g_rd = 0;
    reg [(D+1)*3-1:0] g_op = 0;     // entry d at [d*3 +: 3]
    reg [(D+1)*W-1:0] g_data = 0;   // entry d at [d*W +: W]
    reg [(D+1)*W-1:0] g_lanes = 0;  // entry d at [d*W +: W]
    reg [D*W-1:0] h_r = 0, h_s = 0, h_l = 0;  // entry d at [(d-1)*W +: W]
    reg wt1 = 0;                    // W wrote t in the previous cycle
    wire wt0 = w_valid && w_addr == t;
    always @(posedge clock) begin
        g_rst <= {g_rst, reset};
        g_acc <= {g_acc, accept};
        g_hit <= {g_hit, accept && addr == t};
        g_res <= {g_res, accept && (op == READ || op == SWAP || op == SWAP_KEEP)};
        g_rd <= {g_rd, accept && op == READ};
        g_op[(D+1)*3-1:3] <= {g_op[D*3-1:3], op};
        g_data[(D+1)*W-1:W] <= {g_data[D*W-1:W], data_in};
        g_lanes[(D+1)*W-1:W] <= {g_lanes[D*W-1:W], lanes_now};
        h_r <= {h_r, spec_ref};
        h_s <= {h_s, spec_ref ^ spec_acc};
        h_l <= {h_l, ltot};
        wt1 <= wt0;
    end
    wire [(D+1)*W-1:0] vR = {h_r, spec_ref};
    wire [(D+1)*W-1:0] vS = {h_s, spec_ref ^ spec_acc};
    wire [(D+1)*W-1:0] vL = {h_l, ltot};
`define CI_R(d) vR[(d)*W +: W]
`define CI_S(d) vS[(d)*W +: W]
`define CI_L(d) vL[(d)*W +: W]
`define CI_Y(d) (vS[(d)*W +: W] ^ vL[(d)*W +: W])
`define CI_A(d) (vS[(d)*W +: W] ^ vR[(d)*W +: W])
`define CI_OP(d) g_op[(d)*3 +: 3]
`define CI_DATA(d) g_data[(d)*W +: W]
`define CI_LANES(d) g_lanes[(d)*W +: W]

    // The control op's flags, as OpDecode packs them (bit 0 first): take_d,
    // accum, keep, hold_r, read, res.
    function automatic [5:0] decode(input [2:0] o);
        decode = {o == READ || o == SWAP || o == SWAP_KEEP, o == READ,
                  !(o == LOAD || o == SWAP || o == SWAP_KEEP), o == SWAP_KEEP,
                  o == ACCUM, o == LOAD || o == SWAP};
    endfunction
    wire [5:0] dec4 = decode(`CI_OP(4));  // the op in E (cycle c-4)
    wire take_d4 = dec4[0], accum4 = dec4[1], keep4 = dec4[2], hold_r4 = dec4[3];

    reg past_valid = 1'b0;
    always @(posedge clock) past_valid <= 1'b1;
    // The first cycle is a reset; the checker's own registers hold their
    // initial values there (this restricts the checker, not the design).
    always @* if (!past_valid) assume (reset && ltot == 0 && spec_ref == 0 && spec_acc == 0
        && g_rst == 0 && g_acc == 0 && g_hit == 0 && g_res == 0 && g_rd == 0 && g_op == 0
        && g_data == 0 && g_lanes == 0 && h_r == 0 && h_s == 0 && h_l == 0 && !wt1);

    // ---- the lane contracts (proven per lane, atomik_lane_contract) ----
    always @* if (`LI_LIVE(g_hit[3], 3)) lane_contracts: assume (lane_sum == `CI_L(3));

    // ---- the ghost lines: entry d is entry d+1 after the ops of its cycle ----
    for (gd = 0; gd < D; gd = gd + 1) begin : line
        wire [2:0]   o = `CI_OP(gd+1);
        wire [W-1:0] dt = `CI_DATA(gd+1);
        wire [W-1:0] r1 = `CI_R(gd+1), s1 = `CI_S(gd+1);
        wire         h = g_hit[gd+1];
        wire [W-1:0] r_n = h && (o == LOAD || o == SWAP) ? dt : h && o == SWAP_KEEP ? s1 : r1;
        wire [W-1:0] s_n = (h && (o == LOAD || o == SWAP) ? dt : h && o == ACCUM ? s1 ^ dt : s1)
                           ^ `CI_LANES(gd+1);
        always @* if (past_valid) begin
            if (g_rst[gd+1])
                assert /* ci_line_rst */ (`CI_R(gd) == 0 && `CI_S(gd) == 0
                                     && `CI_L(gd) == 0);
            else
                assert /* ci_line */ (`CI_R(gd) == r_n && `CI_S(gd) == s_n
                                 && `CI_L(gd) == (`CI_L(gd+1) ^ `CI_LANES(gd+1)));
            if (age >= gd + 1 && age <= N + 1 + gd)
                assert /* ci_line_zero */ (`CI_R(gd) == 0 && `CI_S(gd) == 0
                                      && `CI_L(gd) == 0);
        end
    end
    for (gd = 1; gd <= D; gd = gd + 1) begin : hist
        always @* if (past_valid) begin
            // Nothing is accepted during the sweep.
            if (age > gd && age <= N + gd) assert /* ci_idle */ (!g_acc[gd] && `CI_LANES(gd) == 0);
            assert /* ci_rst */ ((age != gd || g_rst[gd]) && (!g_rst[gd] || age <= gd));
            assert /* ci_hit */ ((!g_hit[gd] || g_acc[gd]) && (!g_res[gd] || g_acc[gd])
                            && (!g_rd[gd] || g_res[gd]));
        end
    end
    // ---- atomik_spec's expected results agree with the ghost ----
    for (gd = 1; gd <= LATENCY; gd = gd + 1) begin : ex
        always @* if (past_valid) begin
            assert /* ci_ex_valid */ (spec_ex_valid[gd-1] == `LI_LIVE(g_res[gd], gd));
            if (spec_ex_valid[gd-1]) begin
                assert /* ci_ex_kind */ (spec_ex_read[gd-1] == g_rd[gd] && spec_ex_track[gd-1] == g_hit[gd]);
                if (spec_ex_track[gd-1]) begin
                    assert /* ci_ex_state */ (spec_ex_state[(gd-1)*W +: W] == `CI_S(gd));
                    assert /* ci_ex_clean */ (spec_ex_clean[gd-1] == (g_rd[gd] && `CI_A(gd) == 0));
                end
            end
        end
    end

    // ---- valid bits and result kinds, any address ----
    always @* if (past_valid) begin
        c_valid: assert (s1_valid == `LI_LIVE(g_acc[1], 1) && s2_valid == `LI_LIVE(g_acc[2], 2)
                         && s3_valid == `LI_LIVE(g_acc[3], 3) && e_valid == `LI_LIVE(g_acc[4], 4));
        c_at_t:  assert ((s1_valid && s1_addr == t) == `LI_LIVE(g_hit[1], 1)
                         && (s2_valid && s2_addr == t) == `LI_LIVE(g_hit[2], 2)
                         && (s3_valid && s3_addr == t) == `LI_LIVE(g_hit[3], 3)
                         && (e_valid && e_addr == t) == `LI_LIVE(g_hit[4], 4));
        c_res:   assert ((s1_valid && s1_flags[5]) == `LI_LIVE(g_res[1], 1)
                         && (s2_valid && s2_flags[5]) == `LI_LIVE(g_res[2], 2)
                         && (s3_valid && s3_flags[5]) == `LI_LIVE(g_res[3], 3)
                         && e_res == `LI_LIVE(g_res[4], 4) && o_valid == `LI_LIVE(g_res[5], 5)
                         && f_valid == `LI_LIVE(g_res[6], 6));
        c_read:  assert ((s1_valid && s1_flags[4]) == `LI_LIVE(g_rd[1], 1)
                         && (s2_valid && s2_flags[4]) == `LI_LIVE(g_rd[2], 2)
                         && (s3_valid && s3_flags[4]) == `LI_LIVE(g_rd[3], 3)
                         && e_read == `LI_LIVE(g_rd[4], 4) && (!o_valid || o_read == g_rd[5])
                         && (!f_valid || g_rd[6] || !f_clean));
        c_e_idle: assert (e_valid || !(sel_w_r || sel_base_r || sel_w_view || sel_base_view
                                      || sel_d || keep_w || keep_base || add_d || add_lanes));
        if (`LI_LIVE(g_hit[5], 5)) c_w_at_t: assert (wt0);
        if (`LI_LIVE(g_hit[6], 6)) c_w2_at_t: assert (wt1);
        // The sweep's writes: context age-2 from W, in the cycles of age 2 ..= N+1.
        if (age >= 2 && age <= N + 1) c_w_sweep: assert (w_valid && w_addr == age - 2);
    end

    // ---- the op at t in each stage ----
    always @* if (past_valid) begin
        // The read of cycle c-1 saw the memory of then: entry 6 (5 then),
        // unless W wrote t at that same edge (then S1 forwards W2).
        if (`LI_LIVE(g_hit[1], 1) && !wt1)
            c_rd: assert (rd_r == `CI_R(6) && rd_y == `CI_Y(6));
        if (`LI_LIVE(g_hit[1], 1))
            c_s1: assert (s1_data == `CI_DATA(1) && s1_flags == decode(`CI_OP(1))
                && {s1_fwd_w_to_e, s1_fwd_w_to_s3, s1_fwd_w_to_s2, s1_fwd_w2_to_s2, s1_fwd_w2_to_s1}
                   == {g_hit[2], g_hit[3], g_hit[4], g_hit[5], wt1});
        if (`LI_LIVE(g_hit[2], 2))
            c_s2: assert (s2_data == `CI_DATA(2) && s2_flags == decode(`CI_OP(2))
                && {s2_fwd_w_to_e, s2_fwd_w_to_s3, s2_fwd_w_to_s2, s2_fwd_w2_to_s2}
                   == {g_hit[3], g_hit[4], g_hit[5], g_hit[6]}
                && s2_b_r == `CI_R(6) && s2_b_y == `CI_Y(6));
        if (`LI_LIVE(g_hit[3], 3))
            c_s3: assert (s3_data == `CI_DATA(3) && s3_flags == decode(`CI_OP(3))
                && {s3_fwd_w_to_e, s3_fwd_w_to_s3} == {g_hit[4], g_hit[5]}
                && s3_b_r == `CI_R(5) && s3_b_y == `CI_Y(5));
        if (`LI_LIVE(g_hit[4], 4))
            c_e: assert (e_data == `CI_DATA(4) && e_fwd_w_to_e == g_hit[5]
                && e_base_r == `CI_R(5) && e_base_s == `CI_Y(5)
                && e_lanes == `CI_L(4) && e_base_view == (`CI_Y(5) ^ `CI_L(4))
                && {sel_w_r, sel_base_r, sel_w_view, sel_base_view, sel_d}
                   == {g_hit[5] && hold_r4, !g_hit[5] && hold_r4, g_hit[5] && keep4,
                       !g_hit[5] && keep4, take_d4}
                && {keep_w, keep_base, add_d, add_lanes}
                   == {g_hit[5] && !take_d4, !g_hit[5] && !take_d4, take_d4 || accum4, take_d4});
        // W holds the op of cycle c-5 (after it: entry 4), or a sweep write of 0.
        if (wt0)
            c_w: assert (age <= N + 1 ? w_r == 0 && w_y == 0
                                      : w_r == `CI_R(4) && w_y == `CI_Y(4));
        if (wt1 && age >= 2)
            c_w2: assert (age <= N + 2 ? w2_r == 0 && w2_y == 0
                                       : w2_r == `CI_R(5) && w2_y == `CI_Y(5));
        if (`LI_LIVE(g_res[5], 5) && g_hit[5])
            c_o: assert (o_result == `CI_S(5) && o_acc == `CI_A(5));
        if (`LI_LIVE(g_res[6], 6) && g_hit[6])
            c_f: assert (f_result == `CI_S(6) && f_clean == (g_rd[6] && `CI_A(6) == 0));
        // The memories hold every write up to c-6 (entry 5); the sweep
        // clears t at the end of age t+2.
        if (age >= t + 3)
            c_mem: assert (age <= N + 1 ? mem_r == 0 && mem_y == 0
                                        : mem_r == `CI_R(5) && mem_y == `CI_Y(5));
    end
`undef CI_R
`undef CI_S
`undef CI_L
`undef CI_Y
`undef CI_A
`undef CI_OP
`undef CI_DATA
`undef CI_LANES
endmodule
`undef LI_LIVE
`default_nettype wire
