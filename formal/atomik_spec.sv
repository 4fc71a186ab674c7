// atomik_spec: the one-op-at-a-time specification of `atomik_state_table`,
// as a formal checker for SymbiYosys (read with `read_verilog -formal -sv`).
//
// It watches the table's ports and tracks ONE context, at an arbitrary
// constant address `t` (anyconst): the solver proves the properties for
// every choice of `t`, hence for every context. For that context it keeps
// its own reference and accumulator (`sh_ref`, `sh_acc`), updated the moment
// an op is accepted, exactly as if each op ran to completion before the next.
//
// Specification properties (ports only):
//   P1 `ready` is low exactly while `reset` is high and for 2^A cycles after
//      its last high cycle (the clearing sweep), high otherwise.
//   P2 `result_valid` is high exactly LATENCY cycles after an accepted READ,
//      SWAP or SWAP_KEEP (any address), and never otherwise; a reset flushes
//      ops accepted before it.
//   P3 for the tracked context, `result` is the state (reference ^
//      accumulator) when the op executed, and `result_clean` is
//      "accumulator == 0" for READ; for SWAP/SWAP_KEEP (any address)
//      `result_clean` is 0.
//   Reset sets the tracked context to (0, 0), so P3 also proves that every
//   context reads 0 and clean after the sweep.
//
// Lanes (NL > 0, `atomik_lane_table`): in each accepted cycle the control
// op takes effect first, then every valid lane's ACCUM (atomik_context):
// the context's accumulator takes the XOR of this cycle's lane deltas at
// t (or, LANES_X, the free term lanes_x).
// The lanes design's own invariants are in lane_spec.sv; TABLE_INV = 0
// turns off the single-port table's invariants below.
//
// Strengthening invariants (the `peek_*` inputs, wired by
// bind_state_table.vh to the table's internals): k-induction starts from an
// arbitrary state, and a wrong memory word at `t` can sit unobserved for any
// number of cycles, so no induction depth closes without saying what the
// memory and the in-flight writes hold. Each invariant says "this internal
// copy of context t equals the specification's state of some cycles ago";
// they are asserted (proven) like the properties, never assumed.
`default_nettype none
module atomik_spec #(
    parameter integer W = 64,       // context width (bits of data_in)
    parameter integer A = 8,        // address bits (2^A contexts)
    parameter integer LATENCY = 4,  // accept edge -> result cycle
    parameter integer NL = 0,       // ACCUM lanes (0: the single-port table)
    parameter integer TABLE_INV = 1,// check the single-port table's invariants
    // 1: the lanes' term is `lanes_x`, not the ports' deltas (the control
    // run of a lanes table proves the properties for every such term;
    // lane_spec.sv has the argument)
    parameter integer LANES_X = 0,
    // 0: P1-P3 are not checked (the table inside atomik_axis during the
    // search: a trace must break the AXI contract itself)
    parameter integer PORT_ASSERTS = 1,
    parameter integer LW = NL > 0 ? NL : 1
) (
    input wire         clock,
    input wire         reset,
    input wire         ready,
    input wire         op_valid,
    input wire [2:0]   op,
    input wire [A-1:0] addr,
    input wire [W-1:0] data_in,
    input wire         result_valid,
    input wire [W-1:0] result,
    input wire         result_clean,
    input wire [LW-1:0]   lane_valid, // lanes (tie to 0 when NL = 0)
    input wire [LW*A-1:0] lane_addr,
    input wire [LW*W-1:0] lane_delta,
    input wire [W-1:0]    lanes_x,    // LANES_X = 1: this cycle's lane term at t
    output wire [A-1:0] tracked,      // lets the bind read memory word `t`
    output wire [A-1:0] other,        // the second address of a two-address search (else t)
    // ---- the specification's state, for the lanes and AXI checkers ----
    output wire [A+1:0] spec_age,     // cycles since the last reset edge (saturating)
    output wire         spec_swept,   // the reset sweep is over
    output wire [W-1:0] spec_ref,     // tracked context: reference ...
    output wire [W-1:0] spec_acc,     // ... and accumulator, after every accepted op
    // expected results in flight (slot j: accepted j+1 cycles ago), for the
    // lanes checker's invariants
    output wire [LATENCY-1:0]   spec_ex_valid,
    output wire [LATENCY-1:0]   spec_ex_read,
    output wire [LATENCY-1:0]   spec_ex_track,
    output wire [LATENCY-1:0]   spec_ex_clean,
    output wire [LATENCY*W-1:0] spec_ex_state,
    output wire [W-1:0]         spec_data_mask,   // search: the data bits that may be 1
    // ---- internal state of the design, for the invariants only ----
    input wire [W-1:0] peek_mem_r,    // reference memory at `tracked`
    input wire [W-1:0] peek_mem_x,    // state memory (r ^ acc) at `tracked`
    input wire         peek_clearing,
    input wire [A-1:0] peek_clr_cnt,
    input wire         peek_w_valid,  // write stage (writes memory at the edge)
    input wire [A-1:0] peek_w_addr,
    input wire [W-1:0] peek_w_r,
    input wire [W-1:0] peek_w_x,
    input wire         peek_w2_valid, // copy of the previous write (forwarding)
    input wire [A-1:0] peek_w2_addr,
    input wire [W-1:0] peek_w2_r,
    input wire [W-1:0] peek_w2_x,
    input wire         peek_e_valid,  // execute stage
    input wire [A-1:0] peek_e_addr,
    input wire         peek_e_h1,     // execute takes the write stage, not base
    input wire [W-1:0] peek_e_base_r,
    input wire [W-1:0] peek_e_base_x
);
    localparam integer N = 1 << A;
    localparam [2:0] LOAD = 3'd0, ACCUM = 3'd1, READ = 3'd2, SWAP = 3'd3, SWAP_KEEP = 3'd4;

    (* anyconst *) reg [A-1:0] t;
    assign tracked = t;
`ifdef ATOMIK_SEARCH_TWO
    (* anyconst *) reg [A-1:0] u;
    always @* assume (u != t);
`else
    wire [A-1:0] u = t;
`endif
    assign other = u;

    // The block RAMs power up undefined; the contract starts with a reset.
`ifdef ATOMIK_SEARCH
    reg past_valid = 1'b1;
`else
    reg past_valid = 1'b0;
`endif
    always @(posedge clock) past_valid <= 1'b1;
`ifdef ATOMIK_SEARCH
    // Counterexample search only (formal.py's bounded run after a failed
    // proof). Unrolling the 2^A-cycle reset sweep, or starting from an
    // all-zero memory, is too slow for the solver at 256 contexts. So the
    // run starts where the sweep ends, with every register at its initial 0
    // (the design's state after a reset, the sweep and three idle cycles
    // with inputs 0) and the kept memory words 0 (formal.py initialises
    // them), and every op and read is at address t, or (ATOMIK_SEARCH_TWO)
    // at t or u. The other words are then never read, so their contents
    // cannot matter: each trace found is a real run from reset. `reset` is
    // free: a trace may reset the design again (ops in flight are dropped,
    // the sweep writes 0 and keeps `ready` low past the search's depth).
    always @* assume (addr == t || addr == u);
`ifdef ATOMIK_SEARCH_BIT0
    // The first search: data words are 0 but for bit 0 (lanes: the bind
    // applies data_mask to the deltas). Still real runs. The datapath is
    // bitwise (XOR and selects: bit i of every word depends on bit i of
    // the inputs only), so a wrong select, forwarding path, address match
    // or control decision shows in bit 0 as in any bit, and with one data
    // bit the solver rules out the short traces in seconds, not minutes.
    wire [W-1:0] data_mask = {{W-1{1'b0}}, 1'b1};
    always @* assume ((data_in & ~data_mask) == 0);
`else
    wire [W-1:0] data_mask = {W{1'b1}};
`endif
`else
    wire [W-1:0] data_mask = {W{1'b1}};
    always @* if (!past_valid) assume (reset);
`endif

    // ---------------- the specification ----------------
    wire accept = op_valid && ready;
    wire has_result = op == READ || op == SWAP || op == SWAP_KEEP;

    // age: cycles since the last reset edge (1 in the cycle after it),
    // saturating well past the end of the sweep.
    localparam [A+1:0] AGE_MAX = N + 8;
`ifdef ATOMIK_SEARCH
    reg [A+1:0] age = AGE_MAX;
`else
    reg [A+1:0] age = 0;
`endif
    always @(posedge clock)
        if (reset) age <= 1;
        else if (age != AGE_MAX) age <= age + 1'b1;
    wire swept = age > N;

    // Tracked context, one op at a time (atomik_context); d1..d3: its
    // value 1..3 cycles ago.
    wire [W-1:0] sh_ref, sh_acc;
    wire [W-1:0] state = sh_ref ^ sh_acc;
    reg  [W-1:0] lanes_t;  // XOR of this cycle's lane deltas at t
    integer li;
    always @* begin
        lanes_t = 0;
        for (li = 0; li < NL; li = li + 1)
            if (lane_valid[li] && lane_addr[li*A +: A] == t) lanes_t = lanes_t ^ lane_delta[li*W +: W];
        if (LANES_X) lanes_t = lanes_x;
    end
    atomik_context #(.W(W)) ctx (
        .clock(clock), .reset(reset), .hit(accept && addr == t), .op(op), .data_in(data_in),
        .lanes(ready ? lanes_t : {W{1'b0}}), .ref_q(sh_ref), .acc_q(sh_acc)
    );
    assign spec_age = age;
    assign spec_swept = swept;
    assign spec_data_mask = data_mask;
    assign spec_ref = sh_ref;
    assign spec_acc = sh_acc;
    reg [W-1:0] d1_ref = 0, d1_acc = 0, d2_ref = 0, d2_acc = 0, d3_ref = 0, d3_acc = 0;
    always @(posedge clock)
        {d3_ref, d3_acc, d2_ref, d2_acc, d1_ref, d1_acc} <=
            {d2_ref, d2_acc, d1_ref, d1_acc, sh_ref, sh_acc};

    // Expected results, one slot per cycle of latency.
    reg [LATENCY-1:0]   ex_valid = 0;  // a READ/SWAP/SWAP_KEEP was accepted
    reg [LATENCY-1:0]   ex_read = 0;   // ... and it was a READ
    reg [LATENCY-1:0]   ex_track = 0;  // ... at address t
    reg [LATENCY-1:0]   ex_clean = 0;
    reg [LATENCY*W-1:0] ex_state = 0;
    always @(posedge clock) begin
        ex_valid <= {ex_valid, accept && has_result} & {LATENCY{!reset}};
        ex_read  <= {ex_read, op == READ};
        ex_track <= {ex_track, addr == t};
        ex_clean <= {ex_clean, op == READ && sh_acc == 0};
        ex_state <= {ex_state, state};
    end
    assign spec_ex_valid = ex_valid;
    assign spec_ex_read = ex_read;
    assign spec_ex_track = ex_track;
    assign spec_ex_clean = ex_clean;
    assign spec_ex_state = ex_state;
    wire          due = ex_valid[LATENCY-1];
    wire [W-1:0]  due_state = ex_state[LATENCY*W-1 -: W];

    if (PORT_ASSERTS) always @* if (past_valid) begin
        p1_ready:        assert (ready == (!reset && swept));
        p2_result_valid: assert (result_valid == due);
        if (due && ex_track[LATENCY-1]) begin
            p3_result:   assert (result == due_state);
            p3_clean:    assert (result_clean == ex_clean[LATENCY-1]);
        end
        if (due && !ex_read[LATENCY-1])
            p3_swap_not_clean: assert (!result_clean);
    end

`ifndef ATOMIK_SEARCH  // a counterexample must break the specification itself
    // ---------------- strengthening invariants ----------------
    // Pipeline of the design (op accepted in cycle a): S1 a+1, E a+2,
    // W a+3 (memory written at the end of a+3), W2 a+4 = a copy of W. So in
    // cycle c the memory holds every op accepted up to c-4 (d3), W and a
    // non-forwarded E base hold the state after ops up to c-3 (d2).
    // The sweep writes address k at the end of cycle (reset edge)+2+k.
    always @* if (past_valid) begin
        i_age:      assert (age != 0 && age <= AGE_MAX);
        i_sweep:    assert (peek_clearing == !swept && (swept || peek_clr_cnt == age - 1));
        // Nothing is accepted from the reset edge to the end of the sweep.
        if (age <= N + 1) i_sh: assert (sh_ref == 0 && sh_acc == 0);
        if (age >= 2 && age <= N + 2) i_d1: assert (d1_ref == 0 && d1_acc == 0);
        if (age >= 3 && age <= N + 3) i_d2: assert (d2_ref == 0 && d2_acc == 0);
        if (age >= 4 && age <= N + 4) i_d3: assert (d3_ref == 0 && d3_acc == 0);
    end
    if (TABLE_INV) always @* if (past_valid) begin
        if (age >= 4 && age >= t + 3) begin
            i_mem_r: assert (peek_mem_r == d3_ref);
            i_mem_x: assert (peek_mem_x == (d3_ref ^ d3_acc));
        end
        if (age >= 3 && peek_w_valid && peek_w_addr == t)
            i_w:    assert (peek_w_r == d2_ref && peek_w_x == (d2_ref ^ d2_acc));
        if (age >= 4 && peek_w2_valid && peek_w2_addr == t)
            i_w2:   assert (peek_w2_r == d3_ref && peek_w2_x == (d3_ref ^ d3_acc));
        if (peek_e_valid && peek_e_addr == t && !peek_e_h1)
            i_e:    assert (peek_e_base_r == d2_ref && peek_e_base_x == (d2_ref ^ d2_acc));
    end
`endif
endmodule

// One context under the one-op-at-a-time specification: the control op
// (`hit`: accepted at this context) first, then `lanes`, the XOR of the lane
// deltas accepted at this context in the same cycle (0 without lanes).
module atomik_context #(
    parameter integer W = 64
) (
    input wire         clock,
    input wire         reset,
    input wire         hit,
    input wire [2:0]   op,
    input wire [W-1:0] data_in,
    input wire [W-1:0] lanes,
    output reg [W-1:0] ref_q = 0,
    output reg [W-1:0] acc_q = 0
);
    localparam [2:0] LOAD = 3'd0, ACCUM = 3'd1, SWAP = 3'd3, SWAP_KEEP = 3'd4;
    reg [W-1:0] ref_n, acc_n;
    always @* begin
        ref_n = ref_q;
        acc_n = acc_q;
        if (hit)
            case (op)
                LOAD, SWAP: begin ref_n = data_in; acc_n = 0; end
                ACCUM:      acc_n = acc_q ^ data_in;
                SWAP_KEEP:  begin ref_n = ref_q ^ acc_q; acc_n = 0; end
                default: ;  // READ and reserved opcodes change nothing
            endcase
    end
    always @(posedge clock)
        if (reset) begin
            ref_q <= 0;
            acc_q <= 0;
        end else begin
            ref_q <= ref_n;
            acc_q <= acc_n ^ lanes;
        end
endmodule
`default_nettype wire
