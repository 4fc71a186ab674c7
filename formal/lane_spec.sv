// atomik_lane_inv: strengthening invariants for `atomik_lane_table` (the
// control port plus NL ACCUM lanes), beside atomik_spec with NL lanes,
// which states the specification itself (control op first, then the lanes,
// results exactly LATENCY cycles after acceptance) on the ports only.
//
// The design stores, per context, the control port's (r, y) in two
// memories and, per lane, the XOR of every delta that lane ever applied
// (its bank, stored twice: ram_acc and ram_view). With L = XOR of the
// banks, the state is y ^ L. So the ghost state of context t here is:
//   tot[i] = XOR of lane i's accepted deltas at t since the last reset;
//   y      = state ^ (XOR of tot[i]),  r = reference (atomik_spec's).
// Like the table's invariants, each says "this memory word at t equals the
// ghost value of some cycles ago": control op accepted in cycle a is written
// at the end of a+5, a lane delta of cycle b at the end of b+3. The ghost
// delay lines are cleared by reset (nothing is accepted during the sweep,
// which writes context k at the end of cycle (reset edge)+2+k).
// All are asserted (proven), never assumed.
`default_nettype none
module atomik_lane_inv #(
    parameter integer W = 64,
    parameter integer A = 8,
    parameter integer NL = 3,
    parameter integer CTRL_DELAY = 5, // memory (r, y) at c: state after ops <= c-6
    parameter integer LANE_DELAY = 3  // banks at c: lane deltas accepted <= c-4
) (
    input wire          clock,
    input wire          reset,
    input wire          ready,
    input wire [A-1:0]  t,
    input wire [A+1:0]  age,
    input wire [W-1:0]  spec_ref,
    input wire [W-1:0]  spec_acc,
    input wire [NL-1:0]   lane_valid,
    input wire [NL*A-1:0] lane_addr,
    input wire [NL*W-1:0] lane_delta,
    input wire [W-1:0]    peek_mem_r,  // control memories at t
    input wire [W-1:0]    peek_mem_y,
    input wire [NL*W-1:0] peek_acc,    // every lane's ram_acc at t
    input wire [NL*W-1:0] peek_view    // every lane's ram_view at t
);
    localparam integer N = 1 << A;

    reg  [NL*W-1:0] tot = 0;
    reg  [W-1:0]    lsum;  // XOR of tot
    integer i;
    always @* begin
        lsum = 0;
        for (i = 0; i < NL; i = i + 1) lsum = lsum ^ tot[i*W +: W];
    end
    always @(posedge clock)
        for (i = 0; i < NL; i = i + 1)
            if (reset) tot[i*W +: W] <= 0;
            else if (ready && lane_valid[i] && lane_addr[i*A +: A] == t)
                tot[i*W +: W] <= tot[i*W +: W] ^ lane_delta[i*W +: W];

    // Delay lines, stage k (1-based) in bits [(k-1)*width +: width]: the
    // ghost value k cycles ago, i.e. after the ops accepted up to cycle c-1-k
    // (0 right after a reset).
    reg [CTRL_DELAY*W-1:0]    h_r = 0, h_y = 0;
    reg [LANE_DELAY*NL*W-1:0] h_t = 0;
    always @(posedge clock) begin
        h_r <= reset ? 0 : {h_r, spec_ref};
        h_y <= reset ? 0 : {h_y, spec_ref ^ spec_acc ^ lsum};
        h_t <= reset ? 0 : {h_t, tot};
    end

`ifdef ATOMIK_SEARCH
    // Counterexample search (see atomik_spec.sv): start after the sweep with
    // every bank word at t zero; lane deltas go to t only, so no other
    // (unconstrained) word is ever read.
    reg first = 1'b1;
    always @(posedge clock) first <= 1'b0;
    always @* begin
        if (first) assume (peek_acc == 0 && peek_view == 0);
        for (i = 0; i < NL; i = i + 1) assume (!lane_valid[i] || lane_addr[i*A +: A] == t);
    end
`else
    reg past_valid = 1'b0;
    always @(posedge clock) past_valid <= 1'b1;
    always @* if (!past_valid) assume (reset);  // as in atomik_spec
    // Nothing is accepted from the reset edge to the end of the sweep.
    genvar g;
    for (g = 1; g <= CTRL_DELAY; g = g + 1) begin : l_hist
        always @* if (past_valid && age <= N + 1 + g)
            assert (h_r[(g-1)*W +: W] == 0 && h_y[(g-1)*W +: W] == 0);
    end
    for (g = 1; g <= LANE_DELAY; g = g + 1) begin : l_hist_lanes
        always @* if (past_valid && age <= N + 1 + g) assert (h_t[(g-1)*NL*W +: NL*W] == 0);
    end
    always @* if (past_valid) begin
        if (age <= N + 1) l_tot: assert (tot == 0);
        if (age >= t + 3) begin
            l_mem_r: assert (peek_mem_r == h_r[(CTRL_DELAY-1)*W +: W]);
            l_mem_y: assert (peek_mem_y == h_y[(CTRL_DELAY-1)*W +: W]);
            l_acc:   assert (peek_acc == h_t[(LANE_DELAY-1)*NL*W +: NL*W]);
            l_view:  assert (peek_view == h_t[(LANE_DELAY-1)*NL*W +: NL*W]);
        end
    end
`endif
endmodule
`default_nettype wire
