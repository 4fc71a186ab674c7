// atomik_lane_inv: strengthening invariants for `atomik_lane_table` (the
// control port plus NL ACCUM lanes), beside atomik_spec with NL lanes,
// which states the specification itself (control op first, then the lanes,
// results exactly LATENCY cycles after acceptance) on the ports only.
//
// The design stores, per context, the control port's (r, y) in two
// memories and, per lane, the XOR of every delta that lane ever applied
// (its bank, stored twice: ram_acc and ram_view). With L = XOR of the
// banks, the state is y ^ L.
//
// Ghost history (entry d = 1..D: the value d cycles ago; entry 0: now):
//   R(d), S(d)  reference and state of context t after every op accepted up
//               to cycle c-1-d (atomik_spec's, delayed), A = S ^ R;
//   T(d,i)      lane i's total of deltas at t, same cycles; L(d) = XOR_i T;
//               Y(d) = S(d) ^ L(d) is what the control memory stores as y;
//   rst/acc/hit/res/rd(d), op(d), data(d): reset, control op accepted (any
//               address / at t / with a result / a READ) in cycle c-d;
//   lacc/lhit/delta(d,i): lane i's delta accepted (any address / at t).
// The ghost lines are consistent by construction (each entry is the next
// one after the ops of its cycle: asserted, so induction may use it).
// The invariants then pin every pipeline register of the design that holds
// context t (memory words and read registers, S1..F of the control port,
// S1/E/W/W2 and the control view of every lane) to the ghost value it must
// hold, so one induction step closes (depth 1): no register is left whose
// value depends on history the solver cannot see.
//
// Two runs (formal.py, Kind.steps), because with every data bit in one
// run the solver does not finish (yices, > 9 min on the 3-lane preset):
//  1. ATOMIK_BITSLICE: atomik_spec picks one arbitrary bit j (anyconst)
//     and every data compare below and in P3's result compares bit j only
//     (LI_EQ); control invariants and P1, P2 are checked whole; the clean
//     bit (a function of every bit) is left out. j only masks compares:
//     no register of the design or of the checker depends on it, so the
//     reachable states are the same for every j, and a pass proves, in
//     every reachable state, each compare for every bit, i.e. whole.
//  2. ATOMIK_CLEAN: everything run 1 proved is assumed whole (it holds in
//     every reachable state, so this only drops unreachable states from
//     the induction) and result_clean and the invariants about it
//     (LI_CLEAN) are proven.
// Run 1 does not assume the design is bitwise: its hypothesis pins bit j
// only, so if bit j of a pinned register depended on another bit, the
// solver could choose that bit freely and the induction would fail.
`default_nettype none
module atomik_lane_inv #(
    parameter integer W = 64,
    parameter integer A = 8,
    parameter integer NL = 3,
    parameter integer LATENCY = 6
) (
    input wire          clock,
    input wire          reset,
    input wire          ready,
    input wire          op_valid,
    input wire [2:0]    op,
    input wire [A-1:0]  addr,
    input wire [W-1:0]  data_in,
    input wire [A-1:0]  t,
    input wire [A+1:0]  age,
    input wire [W-1:0]  spec_ref,
    input wire [W-1:0]  spec_acc,
    input wire [LATENCY-1:0]   spec_ex_valid,
    input wire [LATENCY-1:0]   spec_ex_read,
    input wire [LATENCY-1:0]   spec_ex_track,
    input wire [LATENCY-1:0]   spec_ex_clean,
    input wire [LATENCY*W-1:0] spec_ex_state,
    input wire [W-1:0]         check_mask,  // atomik_spec's: data bits compared
    input wire [NL-1:0]   lane_valid,
    input wire [NL*A-1:0] lane_addr,
    input wire [NL*W-1:0] lane_delta,
    // ---- the design: control memories and pipeline ----
    input wire [W-1:0] mem_r, mem_y,
    input wire [W-1:0] rd_r, rd_y,  // the memories' read registers
    input wire s1_valid, input wire [A-1:0] s1_addr, input wire [W-1:0] s1_data,
    input wire s1_h1, s1_h2, s1_h3, s1_h4, s1_h5,
    input wire s1_take_d, s1_accum, s1_keep, s1_hold_r, s1_read, s1_res,
    input wire s2_valid, input wire [A-1:0] s2_addr, input wire [W-1:0] s2_data,
    input wire [W-1:0] s2_b_r, s2_b_y,
    input wire s2_h1, s2_h2, s2_h3, s2_h4,
    input wire s2_take_d, s2_accum, s2_keep, s2_hold_r, s2_read, s2_res,
    input wire s3_valid, input wire [A-1:0] s3_addr, input wire [W-1:0] s3_data,
    input wire [W-1:0] s3_b_r, s3_b_y,
    input wire s3_h1, s3_h2,
    input wire s3_take_d, s3_accum, s3_keep, s3_hold_r, s3_read, s3_res,
    input wire e_valid, input wire [A-1:0] e_addr, input wire [W-1:0] e_data,
    input wire [W-1:0] e_b_r, e_b_y, e_b_s, e_l,
    input wire e_h1, e_s_wr, e_s_br, e_s_wx, e_s_bx, e_s_d, e_k_wy, e_k_by, e_ud, e_ul,
    input wire e_res, e_read,
    input wire w_valid, input wire [A-1:0] w_addr, input wire [W-1:0] w_r, w_y, w2_r, w2_y,
    input wire o_valid, o_read, input wire [W-1:0] o_result, o_acc,
    input wire f_valid, input wire [W-1:0] f_result, input wire f_clean,
    // ---- every lane's bank (lane i in bits [i*W +: W] / bit i) ----
    input wire [NL*W-1:0] l_mem_acc, l_mem_view,
    input wire [NL*W-1:0] l_rd_acc, l_rd_view,
    input wire [NL-1:0] l_s1_valid, input wire [NL*A-1:0] l_s1_addr, input wire [NL*W-1:0] l_s1_delta,
    input wire [NL-1:0] l_s1_h1, l_s1_h2, l_s1_h3,
    input wire [NL-1:0] l_e_valid, input wire [NL*A-1:0] l_e_addr,
    input wire [NL*W-1:0] l_e_delta, l_e_base,
    input wire [NL-1:0] l_e_h1, l_e_h2,
    input wire [NL-1:0] l_v_g1, l_v_g2, l_v_g3, l_v_h1, l_v_h2,
    input wire [NL*W-1:0] l_v_base, l_v_out,
    input wire [NL-1:0] l_w_valid, input wire [NL*A-1:0] l_w_addr,
    input wire [NL*W-1:0] l_w_acc, l_w2_acc
);
    localparam integer N = 1 << A;
    localparam integer D = 6;  // history entries: the oldest one read is 6 (S2's base)
    localparam [2:0] LOAD = 3'd0, ACCUM = 3'd1, READ = 3'd2, SWAP = 3'd3, SWAP_KEEP = 3'd4;
    integer i, d;

    // ---------------- lane totals at t (now) ----------------
    reg [NL*W-1:0] tot = 0;
    always @(posedge clock)
        for (i = 0; i < NL; i = i + 1)
            if (reset) tot[i*W +: W] <= 0;
            else if (ready && lane_valid[i] && lane_addr[i*A +: A] == t)
                tot[i*W +: W] <= tot[i*W +: W] ^ lane_delta[i*W +: W];

    // ---------------- ghost history ----------------
    wire accept = op_valid && ready;
    reg [D:1] g_rst = 0, g_acc = 0, g_hit = 0, g_res = 0, g_rd = 0;
    reg [(D+1)*3-1:0] g_op = 0;     // entry d at [d*3 +: 3]
    reg [(D+1)*W-1:0] g_data = 0;   // entry d at [d*W +: W]
    reg [D*W-1:0] h_r = 0, h_s = 0; // entry d at [(d-1)*W +: W]
    reg [D*NL*W-1:0] h_t = 0;       // entry d, lane i at [((d-1)*NL+i)*W +: W]
    reg [(D+1)*NL-1:0] g_lacc = 0, g_lhit = 0;  // entry d, lane i at [d*NL+i]
    reg [(D+1)*NL*W-1:0] g_delta = 0;           // entry d, lane i at [(d*NL+i)*W +: W]
    reg wt1 = 0;                    // control W wrote t in the previous cycle
    reg [NL-1:0] lwt1 = 0;          // lane W wrote t in the previous cycle
    wire wt0 = w_valid && w_addr == t;
    reg [NL-1:0] lwt0;
    reg [NL-1:0] lacc_now, lhit_now;
    always @* for (i = 0; i < NL; i = i + 1) begin
        lwt0[i] = l_w_valid[i] && l_w_addr[i*A +: A] == t;
        lacc_now[i] = ready && lane_valid[i];
        lhit_now[i] = lacc_now[i] && lane_addr[i*A +: A] == t;
    end
    always @(posedge clock) begin
        g_rst <= {g_rst, reset};
        g_acc <= {g_acc, accept};
        g_hit <= {g_hit, accept && addr == t};
        g_res <= {g_res, accept && (op == READ || op == SWAP || op == SWAP_KEEP)};
        g_rd <= {g_rd, accept && op == READ};
        g_op[(D+1)*3-1:3] <= {g_op[D*3-1:3], op};
        g_data[(D+1)*W-1:W] <= {g_data[D*W-1:W], data_in};
        h_r <= {h_r, spec_ref};
        h_s <= {h_s, spec_ref ^ spec_acc};
        h_t <= {h_t, tot};
        g_lacc[(D+1)*NL-1:NL] <= {g_lacc[D*NL-1:NL], lacc_now};
        g_lhit[(D+1)*NL-1:NL] <= {g_lhit[D*NL-1:NL], lhit_now};
        g_delta[(D+1)*NL*W-1:NL*W] <= {g_delta[D*NL*W-1:NL*W], lane_delta};
        wt1 <= wt0;
        lwt1 <= lwt0;
    end
    // Entry d of each line, d = 0 (now) ..= D.
    wire [(D+1)*W-1:0]    vR = {h_r, spec_ref};
    wire [(D+1)*W-1:0]    vS = {h_s, spec_ref ^ spec_acc};
    wire [(D+1)*NL*W-1:0] vT = {h_t, tot};
    reg  [(D+1)*W-1:0]    vL, vLanes;  // L(d); XOR of lane deltas at t accepted in c-d
    always @* begin
        vL = 0;
        vLanes = 0;
        for (d = 0; d <= D; d = d + 1)
            for (i = 0; i < NL; i = i + 1) begin
                vL[d*W +: W] = vL[d*W +: W] ^ vT[(d*NL+i)*W +: W];
                if (d > 0 && g_lhit[d*NL+i])
                    vLanes[d*W +: W] = vLanes[d*W +: W] ^ g_delta[(d*NL+i)*W +: W];
            end
    end
`define LI_R(d) vR[(d)*W +: W]
`define LI_S(d) vS[(d)*W +: W]
`define LI_Y(d) (vS[(d)*W +: W] ^ vL[(d)*W +: W])
`define LI_A(d) (vS[(d)*W +: W] ^ vR[(d)*W +: W])
`define LI_L(d) vL[(d)*W +: W]
`define LI_T(d, i) vT[((d)*NL+(i))*W +: W]
`define LI_OP(d) g_op[(d)*3 +: 3]
`define LI_DATA(d) g_data[(d)*W +: W]
`define LI_LHIT(d, i) g_lhit[(d)*NL+(i)]
`define LI_DELTA(d, i) g_delta[((d)*NL+(i))*W +: W]
    // Not flushed: accepted in cycle c-d and no reset since (age > d).
`define LI_LIVE(b, dd) ((b) && age > (dd))
    // Data compares: every bit, or only the bits of check_mask (one bit in
    // ATOMIK_BITSLICE, the first step of the proof; see the top comment).
`define LI_EQ(x, y) ((((x) ^ (y)) & check_mask) == 0)
`define LI_EQN(x, y) ((((x) ^ (y)) & {NL{check_mask}}) == 0)
`ifdef ATOMIK_CLEAN
    // Second step: everything the first step proved is assumed (it holds in
    // every reachable state); only the clean bits are checked.
`define LI_CHECK assume
`define LI_CLEAN assert
`else
`define LI_CHECK assert
`define LI_CLEAN assert
`endif

    // The control op's decode, as the design registers it.
    function automatic [5:0] decode(input [2:0] o);  // take_d accum keep hold_r read res
        decode = {o == LOAD || o == SWAP, o == ACCUM, o == SWAP_KEEP,
                  !(o == LOAD || o == SWAP || o == SWAP_KEEP), o == READ,
                  o == READ || o == SWAP || o == SWAP_KEEP};
    endfunction
    wire [5:0] dec4 = decode(`LI_OP(4));  // the op in E (cycle c-4)

    reg past_valid = 1'b0;
    always @(posedge clock) past_valid <= 1'b1;
`ifdef ATOMIK_SEARCH
    // Counterexample search (see atomik_spec.sv): start after the sweep with
    // every bank word at t zero; lane deltas go to t only, so no other
    // (unconstrained) word is ever read.
    reg first = 1'b1;
    always @(posedge clock) first <= 1'b0;
    always @* begin
        if (first) assume (l_mem_acc == 0 && l_mem_view == 0);
        for (i = 0; i < NL; i = i + 1) assume (!lane_valid[i] || lane_addr[i*A +: A] == t);
    end
`else
    // As in atomik_spec, the first cycle is a reset. The induction step may
    // also start in a state with past_valid = 0, which only the first cycle
    // of a run has: there the checker's own registers hold their initial
    // values (this restricts the checker, not the design).
    always @* if (!past_valid) assume (reset && tot == 0 && spec_ref == 0 && spec_acc == 0
        && g_rst == 0 && g_acc == 0 && g_hit == 0 && g_res == 0 && g_rd == 0 && g_op == 0 && g_data == 0 && h_r == 0
        && h_s == 0 && h_t == 0 && g_lacc == 0 && g_lhit == 0 && g_delta == 0 && !wt1 && lwt1 == 0);
    genvar gd, gi;

    // ---- the ghost lines: entry d is entry d+1 after the ops of its cycle ----
    for (gd = 0; gd < D; gd = gd + 1) begin : g_line
        wire [2:0]   o = `LI_OP(gd+1);
        wire [W-1:0] dt = `LI_DATA(gd+1);
        wire [W-1:0] r1 = `LI_R(gd+1), s1 = `LI_S(gd+1);
        wire         h = g_hit[gd+1];
        wire [W-1:0] r_n = h && (o == LOAD || o == SWAP) ? dt : h && o == SWAP_KEEP ? s1 : r1;
        wire [W-1:0] s_n = (h && (o == LOAD || o == SWAP) ? dt : h && o == ACCUM ? s1 ^ dt : s1)
                           ^ vLanes[(gd+1)*W +: W];
        always @* if (past_valid) begin
            if (g_rst[gd+1]) begin
                `LI_CHECK /* l_line_rst */ (`LI_EQ(`LI_R(gd), 0) && `LI_EQ(`LI_S(gd), 0)
                                    && `LI_EQN(vT[gd*NL*W +: NL*W], 0));
            end else begin
                `LI_CHECK /* l_line_r */ (`LI_EQ(`LI_R(gd), r_n));
                `LI_CHECK /* l_line_s */ (`LI_EQ(`LI_S(gd), s_n));
            end
            if (age >= gd + 1 && age <= N + 1 + gd)
                `LI_CHECK /* l_line_zero */ (`LI_EQ(`LI_R(gd), 0) && `LI_EQ(`LI_S(gd), 0)
                                          && `LI_EQN(vT[gd*NL*W +: NL*W], 0));
        end
        for (gi = 0; gi < NL; gi = gi + 1) begin : lane
            always @* if (past_valid && !g_rst[gd+1])
                `LI_CHECK /* l_line_t */ (`LI_EQ(`LI_T(gd, gi), `LI_T(gd+1, gi)
                                  ^ (`LI_LHIT(gd+1, gi) ? `LI_DELTA(gd+1, gi) : {W{1'b0}})));
        end
    end
    // Nothing is accepted during the sweep: an op of cycle c-d was
    // accepted at age > N, so now age > N + d, unless a reset came since.
    for (gd = 1; gd <= D; gd = gd + 1) begin : g_sweep
        always @* if (past_valid && age > gd && age <= N + gd)
            `LI_CHECK /* l_idle */ (!g_acc[gd] && g_lacc[gd*NL +: NL] == 0);
        // age counts cycles since the last reset (1 in the cycle after it).
        always @* if (past_valid)
            `LI_CHECK /* l_rst */ ((age != gd || g_rst[gd]) && (!g_rst[gd] || age <= gd));
        always @* if (past_valid)
            `LI_CHECK /* l_hit */ ((!g_hit[gd] || g_acc[gd]) && (!g_res[gd] || g_acc[gd])
                           && (!g_rd[gd] || g_res[gd])
                           && (g_lhit[gd*NL +: NL] & ~g_lacc[gd*NL +: NL]) == 0);
    end

    // ---- atomik_spec's expected results agree with the ghost ----
    for (gd = 1; gd <= LATENCY; gd = gd + 1) begin : g_ex
        always @* if (past_valid) begin
            `LI_CHECK /* l_ex_valid */ (spec_ex_valid[gd-1] == `LI_LIVE(g_res[gd], gd));
            if (spec_ex_valid[gd-1]) begin
                `LI_CHECK /* l_ex_kind */ (spec_ex_read[gd-1] == g_rd[gd]
                                           && spec_ex_track[gd-1] == g_hit[gd]);
                if (spec_ex_track[gd-1]) begin
                    `LI_CHECK /* l_ex_state */ (`LI_EQ(spec_ex_state[(gd-1)*W +: W], `LI_S(gd)));
`ifndef ATOMIK_BITSLICE
                    `LI_CLEAN /* l_ex_clean */ (spec_ex_clean[gd-1] == (g_rd[gd] && `LI_A(gd) == 0));
`endif
                end
            end
        end
    end

    // ---- control port: valid bits and result kinds, any address ----
    always @* if (past_valid) begin
        c_valid: `LI_CHECK (s1_valid == `LI_LIVE(g_acc[1], 1) && s2_valid == `LI_LIVE(g_acc[2], 2)
                         && s3_valid == `LI_LIVE(g_acc[3], 3) && e_valid == `LI_LIVE(g_acc[4], 4));
        c_at_t:  `LI_CHECK ((s1_valid && s1_addr == t) == `LI_LIVE(g_hit[1], 1)
                         && (s2_valid && s2_addr == t) == `LI_LIVE(g_hit[2], 2)
                         && (s3_valid && s3_addr == t) == `LI_LIVE(g_hit[3], 3)
                         && (e_valid && e_addr == t) == `LI_LIVE(g_hit[4], 4));
        c_res:   `LI_CHECK ((s1_valid && s1_res) == `LI_LIVE(g_res[1], 1)
                         && (s2_valid && s2_res) == `LI_LIVE(g_res[2], 2)
                         && (s3_valid && s3_res) == `LI_LIVE(g_res[3], 3)
                         && e_res == `LI_LIVE(g_res[4], 4) && o_valid == `LI_LIVE(g_res[5], 5)
                         && f_valid == `LI_LIVE(g_res[6], 6));
        c_read:  `LI_CHECK ((s1_valid && s1_read) == `LI_LIVE(g_rd[1], 1)
                         && (s2_valid && s2_read) == `LI_LIVE(g_rd[2], 2)
                         && (s3_valid && s3_read) == `LI_LIVE(g_rd[3], 3)
                         && e_read == `LI_LIVE(g_rd[4], 4) && (!o_valid || o_read == g_rd[5])
                         && (!f_valid || g_rd[6] || !f_clean));
        c_e_idle: `LI_CHECK (e_valid || !(e_s_wr || e_s_br || e_s_wx || e_s_bx || e_s_d
                                       || e_k_wy || e_k_by || e_ud || e_ul));
        if (`LI_LIVE(g_hit[5], 5)) c_w_at_t: `LI_CHECK (wt0);
        if (`LI_LIVE(g_hit[6], 6)) c_w2_at_t: `LI_CHECK (wt1);
        // The sweep's writes: context age-2 from W, in the cycles of age 2 ..= N+1.
        if (age >= 2 && age <= N + 1) begin
            c_w_sweep: `LI_CHECK (w_valid && w_addr == age - 2);
            c_lw_sweep: `LI_CHECK (&l_w_valid);
            for (i = 0; i < NL; i = i + 1) `LI_CHECK /* c_lw_sweep_addr */ (l_w_addr[i*A +: A] == age - 2);
        end
    end

    // ---- control port: the op at t in each stage ----
    always @* if (past_valid) begin
        // The read of cycle c-1 saw the memory of then: entry 6 (5 then),
        // unless W wrote t in that same edge (then S1 forwards W2).
        if (`LI_LIVE(g_hit[1], 1) && !wt1)
            c_rd: `LI_CHECK (`LI_EQ(rd_r, `LI_R(6)) && `LI_EQ(rd_y, `LI_Y(6)));
        if (`LI_LIVE(g_hit[1], 1))
            c_s1: `LI_CHECK (`LI_EQ(s1_data, `LI_DATA(1))
                && {s1_take_d, s1_accum, s1_keep, s1_hold_r, s1_read, s1_res} == decode(`LI_OP(1))
                && {s1_h1, s1_h2, s1_h3, s1_h4, s1_h5} == {g_hit[2], g_hit[3], g_hit[4], g_hit[5], wt1});
        if (`LI_LIVE(g_hit[2], 2))
            c_s2: `LI_CHECK (`LI_EQ(s2_data, `LI_DATA(2))
                && {s2_take_d, s2_accum, s2_keep, s2_hold_r, s2_read, s2_res} == decode(`LI_OP(2))
                && {s2_h1, s2_h2, s2_h3, s2_h4} == {g_hit[3], g_hit[4], g_hit[5], g_hit[6]}
                && `LI_EQ(s2_b_r, `LI_R(6)) && `LI_EQ(s2_b_y, `LI_Y(6)));
        if (`LI_LIVE(g_hit[3], 3))
            c_s3: `LI_CHECK (`LI_EQ(s3_data, `LI_DATA(3))
                && {s3_take_d, s3_accum, s3_keep, s3_hold_r, s3_read, s3_res} == decode(`LI_OP(3))
                && {s3_h1, s3_h2} == {g_hit[4], g_hit[5]}
                && `LI_EQ(s3_b_r, `LI_R(5)) && `LI_EQ(s3_b_y, `LI_Y(5)));
        if (`LI_LIVE(g_hit[4], 4))
            c_e: `LI_CHECK (`LI_EQ(e_data, `LI_DATA(4)) && e_h1 == g_hit[5]
                && `LI_EQ(e_b_r, `LI_R(5)) && `LI_EQ(e_b_y, `LI_Y(5)) && `LI_EQ(e_l, `LI_L(4))
                && `LI_EQ(e_b_s, `LI_Y(5) ^ `LI_L(4))
                // dec4: take_d accum keep hold_r read res
                && {e_s_wr, e_s_br, e_s_wx, e_s_bx, e_s_d} == {g_hit[5] && dec4[2],
                       !g_hit[5] && dec4[2], g_hit[5] && dec4[3], !g_hit[5] && dec4[3], dec4[5]}
                && {e_k_wy, e_k_by, e_ud, e_ul} == {g_hit[5] && !dec4[5], !g_hit[5] && !dec4[5],
                                                    dec4[5] || dec4[4], dec4[5]});
        // W holds the op of cycle c-5 (after it: entry 4), or a sweep write of 0.
        if (wt0)
            c_w: `LI_CHECK (age <= N + 1 ? `LI_EQ(w_r, 0) && `LI_EQ(w_y, 0)
                                      : `LI_EQ(w_r, `LI_R(4)) && `LI_EQ(w_y, `LI_Y(4)));
        if (wt1 && age >= 2)
            c_w2: `LI_CHECK (age <= N + 2 ? `LI_EQ(w2_r, 0) && `LI_EQ(w2_y, 0)
                                       : `LI_EQ(w2_r, `LI_R(5)) && `LI_EQ(w2_y, `LI_Y(5)));
        if (`LI_LIVE(g_res[5], 5) && g_hit[5])
            c_o: `LI_CHECK (`LI_EQ(o_result, `LI_S(5)) && `LI_EQ(o_acc, `LI_A(5)));
        if (`LI_LIVE(g_res[6], 6) && g_hit[6])
            c_f: `LI_CHECK (`LI_EQ(f_result, `LI_S(6)));
`ifndef ATOMIK_BITSLICE
        if (`LI_LIVE(g_res[6], 6) && g_hit[6])
            c_f_clean: `LI_CLEAN (f_clean == (g_rd[6] && `LI_A(6) == 0));
`endif
        // Memories: every control write up to c-6 (entry 5), every lane write
        // up to c-4 (entry 3); the sweep clears t at the end of age t+2.
        if (age >= t + 3)
            c_mem: `LI_CHECK (age <= N + 1 ? `LI_EQ(mem_r, 0) && `LI_EQ(mem_y, 0)
                                        : `LI_EQ(mem_r, `LI_R(5)) && `LI_EQ(mem_y, `LI_Y(5)));
    end

    // ---- every lane ----
    for (gi = 0; gi < NL; gi = gi + 1) begin : l
        always @* if (past_valid) begin
            `LI_CHECK /* l_valid */ (l_s1_valid[gi] == `LI_LIVE(g_lacc[1*NL+gi], 1)
                             && l_e_valid[gi] == `LI_LIVE(g_lacc[2*NL+gi], 2));
            `LI_CHECK /* l_at_t */ (
                (l_s1_valid[gi] && l_s1_addr[gi*A +: A] == t) == `LI_LIVE(`LI_LHIT(1, gi), 1)
                && (l_e_valid[gi] && l_e_addr[gi*A +: A] == t) == `LI_LIVE(`LI_LHIT(2, gi), 2));
            if (`LI_LIVE(`LI_LHIT(3, gi), 3)) `LI_CHECK /* l_w_at_t */ (lwt0[gi]);
            if (`LI_LIVE(`LI_LHIT(4, gi), 4)) `LI_CHECK /* l_w2_at_t */ (lwt1[gi]);
            if (`LI_LIVE(`LI_LHIT(1, gi), 1) && !lwt1[gi])
                `LI_CHECK /* l_rd */ (`LI_EQ(l_rd_acc[gi*W +: W], `LI_T(4, gi)));
            if (`LI_LIVE(g_hit[1], 1) && !lwt1[gi])
                `LI_CHECK /* l_rd_view */ (`LI_EQ(l_rd_view[gi*W +: W], `LI_T(4, gi)));
            if (`LI_LIVE(`LI_LHIT(1, gi), 1))
                `LI_CHECK /* l_s1 */ (`LI_EQ(l_s1_delta[gi*W +: W], `LI_DELTA(1, gi))
                    && {l_s1_h1[gi], l_s1_h2[gi], l_s1_h3[gi]}
                       == {`LI_LHIT(2, gi), `LI_LHIT(3, gi), lwt1[gi]});
            if (`LI_LIVE(`LI_LHIT(2, gi), 2))
                `LI_CHECK /* l_e */ (`LI_EQ(l_e_delta[gi*W +: W], `LI_DELTA(2, gi))
                    && {l_e_h1[gi], l_e_h2[gi]} == {`LI_LHIT(3, gi), `LI_LHIT(4, gi)}
                    && `LI_EQ(l_e_base[gi*W +: W], `LI_T(4, gi)));
            if (lwt0[gi])
                `LI_CHECK /* l_w */ (`LI_EQ(l_w_acc[gi*W +: W],
                                            age <= N + 1 ? {W{1'b0}} : `LI_T(2, gi)));
            if (lwt1[gi] && age >= 2)
                `LI_CHECK /* l_w2 */ (`LI_EQ(l_w2_acc[gi*W +: W],
                                             age <= N + 2 ? {W{1'b0}} : `LI_T(3, gi)));
            // The control port's view of this lane, for its op at t.
            if (`LI_LIVE(g_hit[1], 1))
                `LI_CHECK /* l_v1 */ ({l_v_g1[gi], l_v_g2[gi], l_v_g3[gi]}
                              == {`LI_LHIT(2, gi), `LI_LHIT(3, gi), lwt1[gi]});
            if (`LI_LIVE(g_hit[2], 2))
                `LI_CHECK /* l_v2 */ ({l_v_h1[gi], l_v_h2[gi]} == {`LI_LHIT(3, gi), `LI_LHIT(4, gi)}
                              && `LI_EQ(l_v_base[gi*W +: W], `LI_T(4, gi)));
            if (`LI_LIVE(g_hit[3], 3))
                `LI_CHECK /* l_v3 */ (`LI_EQ(l_v_out[gi*W +: W], `LI_T(3, gi)));
            if (age >= t + 3)
                `LI_CHECK /* l_mem */ (age <= N + 1
                    ? `LI_EQ(l_mem_acc[gi*W +: W], 0) && `LI_EQ(l_mem_view[gi*W +: W], 0)
                    : `LI_EQ(l_mem_acc[gi*W +: W], `LI_T(3, gi))
                      && `LI_EQ(l_mem_view[gi*W +: W], `LI_T(3, gi)));
        end
    end
`endif
`undef LI_R
`undef LI_S
`undef LI_Y
`undef LI_A
`undef LI_L
`undef LI_T
`undef LI_OP
`undef LI_DATA
`undef LI_LHIT
`undef LI_DELTA
`undef LI_LIVE
`undef LI_EQ
`undef LI_EQN
`undef LI_CHECK
`undef LI_CLEAN
endmodule
`default_nettype wire
