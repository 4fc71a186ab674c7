// Inserted by formal/formal.py just before `endmodule` of a copy of the
// atomik_state_table file under proof (open-source Yosys has neither
// hierarchical references nor `bind`). The spec sees the ports; the peek_*
// connections name the internals of the rust-hdl design (two memories
// ram_r/ram_x holding (r, r ^ acc), stage registers *$q) and are used only
// by the strengthening invariants. A file with other internals needs its own
// copy of this file (formal.py --bind).
wire [$bits(addr)-1:0] atomik_formal_t;
atomik_spec #(
    .W($bits(data_in)),
    .A($bits(addr)),
    .LATENCY(`ATOMIK_LATENCY)
) atomik_formal_spec (
    .clock(clock), .reset(reset), .ready(ready),
    .op_valid(op_valid), .op(op), .addr(addr), .data_in(data_in),
    .result_valid(result_valid), .result(result), .result_clean(result_clean),
    .tracked(atomik_formal_t),
    .peek_mem_r(ram_r$mem[atomik_formal_t]),
    .peek_mem_x(ram_x$mem[atomik_formal_t]),
    .peek_clearing(clearing$q), .peek_clr_cnt(clr_cnt$q),
    .peek_w_valid(w_valid$q), .peek_w_addr(w_addr$q), .peek_w_r(w_r$q), .peek_w_x(w_x$q),
    .peek_w2_valid(w2_valid$q), .peek_w2_addr(w2_addr$q), .peek_w2_r(w2_r$q), .peek_w2_x(w2_x$q),
    .peek_e_valid(e_valid$q), .peek_e_addr(e_addr$q), .peek_e_h1(e_h1$q),
    .peek_e_base_r(e_base_r$q), .peek_e_base_x(e_base_x$q)
);
