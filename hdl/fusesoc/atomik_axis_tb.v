// Self-checking testbench of atomik_axis, the FuseSoC `sim` target of
// hdl/atomik.core (docs/fusesoc.md).
//
// OPS random ops, three in four of them on contexts 0-3 so that an op often
// meets the one before it in the pipeline, are offered with random gaps
// while the result stream is taken with random backpressure, including
// stalls long enough to fill the result FIFO. Every result beat is
// compared, all 128 bits, with a model of the table: the state before the
// op, the op's address and opcode, the clean flag (READ only), and zeros
// above. The run fails ($fatal) on the first wrong or unexpected beat, on a
// beat whose tdata changes while tvalid waits, or when results stop
// arriving.
`timescale 1ns / 1ps
module atomik_axis_tb;
    parameter integer OPS = 20000;
    parameter integer SEED = 1;

    reg aclk = 1'b0;
    always #5 aclk = ~aclk;
    reg aresetn = 1'b0;
    reg s_valid = 1'b0;
    reg [127:0] s_data = 128'd0;
    wire s_ready;
    wire m_valid;
    reg m_ready = 1'b0;
    wire [127:0] m_data;

    atomik_axis dut (
        .aclk(aclk), .aresetn(aresetn),
        .s_axis_tvalid(s_valid), .s_axis_tready(s_ready), .s_axis_tdata(s_data),
        .m_axis_tvalid(m_valid), .m_axis_tready(m_ready), .m_axis_tdata(m_data));

    // The model: every context starts clean (reference 0, accumulator 0).
    reg [63:0] ref_m [0:255];
    reg [63:0] acc_m [0:255];
    // Result beats owed, in the order their ops were accepted.
    reg [127:0] owed [0:1023];
    integer head = 0, tail = 0;
    integer seed = SEED, issued = 0, taken = 0, checked = 0, cycles = 0, stall = 0, i;
    reg waiting = 1'b0;
    reg [127:0] held;

    function [127:0] random_op(input integer unused);
        reg [2:0] op;
        reg [7:0] addr;
        begin
            op = {$random(seed)} % 5;
            addr = ({$random(seed)} % 4 == 0) ? {$random(seed)} % 256 : {$random(seed)} % 4;
            random_op = {53'd0, op, addr, $random(seed), $random(seed)};
        end
    endfunction

    // Apply an accepted op beat to the model; owe its result beat, if any.
    task accept(input [127:0] beat);
        reg [2:0] op;
        reg [7:0] a;
        reg [63:0] d, state;
        begin
            op = beat[74:72];
            a = beat[71:64];
            d = beat[63:0];
            state = ref_m[a] ^ acc_m[a];
            if (op == 3'd2 || op == 3'd3 || op == 3'd4) begin
                owed[tail % 1024] = {52'd0, op == 3'd2 && acc_m[a] == 64'd0, op, a, state};
                tail = tail + 1;
            end
            case (op)
                3'd0: begin ref_m[a] = d; acc_m[a] = 64'd0; end
                3'd1: acc_m[a] = acc_m[a] ^ d;
                3'd3: begin ref_m[a] = d; acc_m[a] = 64'd0; end
                3'd4: begin ref_m[a] = state; acc_m[a] = 64'd0; end
                default: ;
            endcase
        end
    endtask

    task check(input [127:0] beat);
        begin
            if (head == tail)
                $fatal(1, "result beat %h with no op owing one", beat);
            if (beat !== owed[head % 1024])
                $fatal(1, "result %0d: got %h, expected %h", head, beat, owed[head % 1024]);
            head = head + 1;
            checked = checked + 1;
        end
    endtask

    initial begin
        for (i = 0; i < 256; i = i + 1) begin
            ref_m[i] = 64'd0;
            acc_m[i] = 64'd0;
        end
        repeat (4) @(posedge aclk);
        aresetn <= 1'b1;
    end

    always @(posedge aclk) if (aresetn) begin
        cycles = cycles + 1;
        if (s_valid && s_ready) begin
            accept(s_data);
            taken = taken + 1;
        end
        // AXI4-Stream: a result beat on offer holds still until it is taken.
        if (waiting && m_valid && m_data !== held)
            $fatal(1, "m_axis_tdata changed while tvalid waited: %h then %h", held, m_data);
        waiting = m_valid && !m_ready;
        held = m_data;
        if (m_valid && m_ready)
            check(m_data);
        if (!s_valid || s_ready) begin
            if (issued < OPS && {$random(seed)} % 4 != 0) begin
                s_valid <= 1'b1;
                s_data <= random_op(0);
                issued = issued + 1;
            end else
                s_valid <= 1'b0;
        end
        // Mostly short gaps, sometimes a long stall that fills the FIFO
        // (the credit limit is only reached that way).
        if (stall > 0)
            stall = stall - 1;
        else if ({$random(seed)} % 64 == 0)
            stall = {$random(seed)} % 40;
        m_ready <= stall == 0 && {$random(seed)} % 3 != 0;
        if (taken == OPS && head == tail && !m_valid) begin
            $display("atomik_axis_tb: PASS: %0d ops, %0d result beats checked, %0d cycles",
                     taken, checked, cycles);
            $finish;
        end
        if (cycles > 20 * OPS + 1000)
            $fatal(1, "stalled: %0d of %0d ops taken, %0d results owed", taken, OPS, tail - head);
    end
endmodule
