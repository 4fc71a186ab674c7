// Shared by the dispatch file (shim.cpp) and every per-model unity file.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {

// Inputs driven during one clock cycle (layout mirrored in sim/src/verilated.rs).
struct atomik_sim_in {
    uint8_t reset;
    uint8_t op_valid;
    uint8_t op;
    uint8_t pad0;
    uint32_t addr;
    uint64_t data_in;
};

// Outputs observed during that cycle, before its closing rising edge.
struct atomik_sim_out {
    uint8_t ready;
    uint8_t result_valid;
    uint8_t result_clean;
    uint8_t pad0;
    uint32_t pad1;
    uint64_t result;
};

// The inputs of atomik_lane_table are sized to its lane count, so they are
// a template: atomik_sim::LaneIn<N> in model.h.

// Inputs of one cycle of atomik_axis (layout mirrored in sim/src/verilated.rs).
// s_tvalid/s_tdata are an offer: the shim's AXI source (model.h, Axis)
// presents it only when no earlier beat is still waiting to be taken.
// Beats are little-endian 64-bit halves.
struct atomik_sim_axis_in {
    uint8_t aresetn;
    uint8_t s_tvalid;
    uint8_t m_tready;
    uint8_t pad0;
    uint32_t pad1;
    uint64_t s_tdata[2];
};

// Outputs of one cycle of atomik_axis, and the op beat the source actually
// drove in it (s_tvalid, s_tdata).
struct atomik_sim_axis_out {
    uint8_t s_tready;
    uint8_t m_tvalid;
    uint8_t s_tvalid;
    uint8_t pad0;
    uint32_t pad1;
    uint64_t m_tdata[2];
    uint64_t s_tdata[2];
};

// Inputs of one cycle of atomik_board (layout mirrored in sim/src/verilated.rs).
struct atomik_sim_board_in {
    uint8_t btn;
    uint8_t uart_rx;
};

// Outputs of one cycle of atomik_board.
struct atomik_sim_board_out {
    uint8_t uart_tx;
    uint8_t led;
};

// Why a model could not be constructed: the return value of every
// atomik_sim_new_<name> (mirrored by ModelError in sim/src/verilated.rs).
enum atomik_sim_status {
    ATOMIK_SIM_OK = 0,
    // A VCD was asked of a model Verilated without --trace.
    ATOMIK_SIM_NO_TRACE = 1,
    // The VCD file could not be opened for writing.
    ATOMIK_SIM_VCD_OPEN = 2,
    // std::bad_alloc while building the model.
    ATOMIK_SIM_NO_MEMORY = 3,
    // Any other C++ exception; its what() is copied into the caller's buffer.
    ATOMIK_SIM_EXCEPTION = 4,
};

}  // extern "C"

namespace atomik_sim {

// What the dispatch file needs of any model. `in` and `out` point to n
// elements of the port structs of the model's kind (atomik_sim_in or
// LaneIn<N> with atomik_sim_out; atomik_sim_axis_in with
// atomik_sim_axis_out): the Rust side knows each model's kind and passes
// the matching arrays.
struct Base {
    virtual ~Base() = default;
    virtual void run(const void* in, void* out, size_t n) = 0;
    // ACCUM lanes of the port structs this model takes (0: not a lanes
    // table), so the Rust side can check it passes the right size.
    virtual size_t lanes() const = 0;
};

}  // namespace atomik_sim
