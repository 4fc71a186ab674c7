// atomik_axis_spec: the AXI4-Stream contract of `atomik_axis`, as a formal
// checker (read with `read_verilog -formal -sv`; bind_axis.vh attaches it
// next to atomik_spec, which checks the table inside the wrapper).
//
// DEPTH and LATENCY are the checker's own constants (formal.py passes the
// design catalogue's `fifo_depth` and `latency`), never the file's: a
// wrong constant in the design is then a failed property, not a mirror.
//
// Ports only, at the AXI level (beats are taken when tvalid && tready):
//   A0 `m_axis_tvalid` is low in every cycle `aresetn` is low, the first
//      one included (AXI4-Stream: "during reset, TVALID must be driven
//      LOW"). Checked in every cycle of every run, with no exemption.
//   A1 `m_axis_tvalid` and `m_axis_tdata` hold while `m_axis_tready` is low
//      (unless `aresetn` falls, which A0 covers).
//   A2 `s_axis_tready` is high exactly when the table is out of reset and
//      its sweep, and fewer than DEPTH results are owed (accepted
//      READ/SWAP/SWAP_KEEP beats whose result beat was not yet taken). So
//      with `m_axis_tready` high one op is taken every cycle.
//   A3 `m_axis_tvalid` is high exactly when `aresetn` is high and some owed
//      result was taken LATENCY or more cycles ago: no result is invented,
//      and none is lost or held back (it is offered LATENCY cycles after
//      its op beat, until taken).
//   A4 order and value: the solver may pick any accepted READ/SWAP/SWAP_KEEP
//      beat at the tracked address `t` (`pick` is a free input, `t` any
//      constant). The checker counts the result beats owed ahead of it; the
//      result beat taken when that count reaches 0 must be exactly
//      {0, clean, op, addr, state} with the state and clean bit of the
//      one-op-at-a-time specification (atomik_context, fed by the s_axis
//      handshakes themselves). A lost, duplicated or reordered beat puts
//      another beat in its place, which differs in addr, op or result.
//
// Strengthening invariants (peek_*: the wrapper's FIFO registers; spec_*:
// atomik_spec's state for the table inside) are asserted, never assumed.
// No combinational path from s_axis_tvalid to s_axis_tready is proven
// structurally by formal.py (a yosys cone check), not here.
`default_nettype none
module atomik_axis_spec #(
    parameter integer W = 64,
    parameter integer A = 8,
    parameter integer LATENCY = 5,  // op beat taken -> its result beat offered
    parameter integer DEPTH = 8,    // results the wrapper may owe (its FIFO entries)
    parameter integer PCW = 4,      // bits of the wrapper's counters (peeks only)
    parameter integer PW = 3        // bits of the wrapper's FIFO pointers (peeks only)
) (
    input wire          aclk,
    input wire          aresetn,
    input wire          s_tvalid,
    input wire          s_tready,
    input wire [127:0]  s_tdata,
    input wire          m_tvalid,
    input wire          m_tready,
    input wire [127:0]  m_tdata,
    input wire [A-1:0]  t,          // atomik_spec's tracked address
    input wire          swept,      // atomik_spec: the sweep is over
    input wire [W-1:0]  spec_ref,   // atomik_spec's context t, for j_ctx
    input wire [W-1:0]  spec_acc,
    // ---- internal state of the wrapper, for the invariants only ----
    input wire [PCW-1:0] peek_owed,
    input wire [PCW-1:0] peek_count,
    input wire [PW-1:0] peek_wptr,
    input wire [PW-1:0] peek_rptr,
    output wire [PW-1:0] slot,      // FIFO entry that should hold the tracked beat
    input wire [75:0]   peek_slot
);
    localparam [2:0] READ = 3'd2, SWAP = 3'd3, SWAP_KEEP = 3'd4;
    // The checker's counters: one bit more than DEPTH needs, so a design
    // that takes more than DEPTH results is counted, not wrapped.
    localparam integer CW = $clog2(DEPTH + 1) + 1;
    localparam integer YW = LATENCY - 1;  // cycles a result spends in the table

`ifdef ATOMIK_SEARCH
    // Counterexample search (atomik_spec.sv: the table inside it restricts
    // the op beats' data bits in the first search).
    reg past_valid = 1'b1;
`else
    reg past_valid = 1'b0;
    // As in atomik_spec: the first cycle is a reset (also in the induction
    // step, whose first state may otherwise be one no run reaches).
    always @* if (!past_valid) assume (!aresetn);
`endif
    always @(posedge aclk) past_valid <= 1'b1;

    wire         s_hs = s_tvalid && s_tready;
    wire         m_hs = m_tvalid && m_tready;
    wire [W-1:0] data = s_tdata[W-1:0];
    wire [A-1:0] addr = s_tdata[64 +: A];
    wire [2:0]   op = s_tdata[72 +: 3];
    wire         has_result = op == READ || op == SWAP || op == SWAP_KEEP;

    // The specification of context t, fed by the AXI handshakes.
    wire [W-1:0] ax_ref, ax_acc;
    atomik_context #(.W(W)) ctx (
        .clock(aclk), .reset(!aresetn), .hit(s_hs && addr == t), .op(op), .data_in(data),
        .lanes({W{1'b0}}), .ref_q(ax_ref), .acc_q(ax_acc)
    );

    // owed: results accepted and not yet taken; young[i]: a result was
    // accepted i+1 cycles ago (not yet offerable: i + 1 < LATENCY).
    reg [CW-1:0] owed = 0;
    reg [YW-1:0] young = 0;
    function automatic [CW-1:0] ones(input [YW-1:0] v);
        integer i;
        begin
            ones = 0;
            for (i = 0; i < YW; i = i + 1) ones = ones + v[i];
        end
    endfunction
    wire [CW-1:0] in_table = ones(young);

    // The tracked beat: `ahead` result beats are owed before it.
    (* anyseq *) reg pick;
    reg          tr_on = 0;
    reg [CW-1:0] tr_ahead = 0;
    reg [4:0]    tr_age = 0;  // cycles since acceptance, saturating at LATENCY
    reg [127:0]  tr_beat = 0;
    wire [127:0] expected = {52'b0, op == READ && ax_acc == 0, op, addr, ax_ref ^ ax_acc};

    always @(posedge aclk)
        if (!aresetn) begin
            owed <= 0;
            young <= 0;
            tr_on <= 0;
        end else begin
            owed <= owed + (s_hs && has_result) - m_hs;
            young <= {young, s_hs && has_result};
            if (tr_on) begin
                if (m_hs) begin
                    if (tr_ahead == 0) tr_on <= 0;  // checked by a4_beat below
                    tr_ahead <= tr_ahead - 1'b1;
                end
                if (tr_age < LATENCY) tr_age <= tr_age + 1'b1;
            end else if (pick && s_hs && has_result && addr == t) begin
                tr_on <= 1;
                tr_ahead <= owed - m_hs;
                tr_age <= 1;
                tr_beat <= expected;
            end
        end

    // The result beat offered and not taken in the previous cycle.
    reg         held = 0;
    reg [127:0] held_tdata = 0;
    always @(posedge aclk) begin
        held <= aresetn && m_tvalid && !m_tready;
        held_tdata <= m_tdata;
    end

    // A0 has no past_valid guard: it holds from the very first cycle.
    always @* if (!aresetn) a0_reset_tvalid: assert (!m_tvalid);
    always @* if (past_valid) begin
        if (held && aresetn) a1_stable: assert (m_tvalid && m_tdata == held_tdata);
        a2_s_tready: assert (s_tready == (aresetn && swept && owed < DEPTH));
        a3_owed:     assert (owed <= DEPTH && owed >= in_table);
        a3_m_tvalid: assert (m_tvalid == (aresetn && owed != in_table));
        if (aresetn && tr_on && m_hs && tr_ahead == 0)
            a4_beat: assert (m_tdata == tr_beat);
    end

    assign slot = peek_rptr + tr_ahead[PW-1:0];
`ifndef ATOMIK_SEARCH
    // The wrapper's counters and FIFO against the checker's own count.
    always @* if (past_valid) begin
        j_ctx:   assert (ax_ref == spec_ref && ax_acc == spec_acc);
        j_owed:  assert (peek_owed == owed);
        j_count: assert (peek_count == owed - in_table);
        j_ptr:   assert (peek_wptr - peek_rptr == peek_count[PW-1:0]);
        if (tr_on) begin
            j_tr_age:  assert (tr_age != 0 && tr_age <= LATENCY);
            j_tr_owed: assert (tr_ahead < owed);
            if (tr_age >= LATENCY)
                j_tr_fifo: assert (tr_ahead < peek_count && peek_slot == tr_beat[75:0]);
            else
                j_tr_table: assert (tr_ahead == peek_count + ones(young >> tr_age));
            j_tr_beat: assert (tr_beat[127:76] == 0);
        end
    end
`endif
endmodule
`default_nettype wire
