// The per-model half of the shim: a cycle loop templated on the Verilator
// class, compiled in the same translation unit as that model's generated
// code (build.rs writes one "unity" file per model), so eval() inlines into
// the loop. VM_TRACE is defined by that unity file: 1 for traced models.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>

#include "verilated.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif

#include "ports.h"

namespace atomik_sim {

// Port policies: how one cycle's inputs are driven into a model of each
// kind, and its outputs read back. Model<M, P> needs of a policy P: the
// records P::In and P::Out of one cycle, P::lanes, P::clock(top, level),
// and drive(top, in) and sample(top, out).
template <class I, class O, std::size_t N = 0>
struct PortRecords {
    using In = I;
    using Out = O;
    static constexpr std::size_t lanes = N;
};

// The table kinds share the clock `clock`, the control port and its outputs.
template <class M>
inline void drive_control(M& top, const atomik_sim_in& in) {
    top.reset = in.reset;
    top.op_valid = in.op_valid;
    top.op = in.op;
    top.addr = in.addr;
    top.data_in = in.data_in;
}

template <class I, std::size_t N>
struct TablePorts : PortRecords<I, atomik_sim_out, N> {
    template <class M>
    static void clock(M& top, uint8_t v) { top.clock = v; }
    template <class M>
    void sample(M& top, atomik_sim_out& out) {
        out.ready = top.ready;
        out.result_valid = top.result_valid;
        out.result_clean = top.result_clean;
        out.result = top.result;
    }
};

// A packed input port from `n` little-endian bytes (n <= the port's
// storage): scalar ports (CData .. QData) and wide ports' words, the bytes
// above n zero, as Verilator requires of the bits beyond a port's width.
template <class T>
inline void put_le(T& port, const void* src, std::size_t n = sizeof(T)) {
    T v = 0;
    std::memcpy(&v, src, n);
    port = v;
}
template <std::size_t W>
inline void put_le(VlWide<W>& port, const void* src, std::size_t n = W * sizeof(EData)) {
    std::memset(port.data(), 0, W * sizeof(EData));
    std::memcpy(port.data(), src, n);
}
template <std::size_t W>
inline void get_le(void* dst, const VlWide<W>& port) {
    std::memcpy(dst, port.data(), W * sizeof(EData));
}

// atomik_state_table: the control port only.
struct Plain : TablePorts<atomik_sim_in, 0> {
    template <class M>
    void drive(M& top, const atomik_sim_in& in) { drive_control(top, in); }
};

// Inputs of one cycle of an atomik_lane_table with N lanes (layout
// mirrored by LanePortsIn<N> in sim/src/verilated.rs): the control port,
// then lane i's valid bit, address and delta. Sized to N, because copying
// and filling 16 lanes for a 3-lane design cost the checking thread its
// share of the co-simulation's speed.
template <std::size_t N>
struct LaneIn {
    atomik_sim_in control;
    uint32_t lane_valid;
    uint32_t pad0;
    uint8_t lane_addr[N];
    uint64_t lane_delta[N];
};

// atomik_lane_table: the control port and N ACCUM lanes.
template <std::size_t N>
struct Lanes : TablePorts<LaneIn<N>, N> {
    template <class M>
    void drive(M& top, const LaneIn<N>& in) {
        drive_control(top, in.control);
        top.lane_valid = in.lane_valid;
        put_le(top.lane_addr, in.lane_addr, sizeof in.lane_addr);
        put_le(top.lane_delta, in.lane_delta, sizeof in.lane_delta);
    }
};

// atomik_axis, with an AXI4-Stream source in front of it: a beat that was
// offered and not taken stays on s_axis_tvalid/tdata, unchanged, until the
// edge that takes it (the AXI rule the wrapper may rely on), and the offers
// of the cycles in between are dropped. During reset the source drives
// tvalid low and forgets its beat, as AXI4-Stream asks of a master. The
// source lives here, not in Rust, because it reacts to s_axis_tready within
// the cycle; what it drove is reported back in the outputs.
struct Axis : PortRecords<atomik_sim_axis_in, atomik_sim_axis_out> {
    bool pending = false;
    uint8_t s_tvalid = 0;
    uint64_t s_tdata[2] = {0, 0};

    template <class M>
    static void clock(M& top, uint8_t v) { top.aclk = v; }
    template <class M>
    void drive(M& top, const In& in) {
        if (!in.aresetn) {
            pending = false;
            s_tvalid = 0;
        } else if (!pending) {
            s_tvalid = in.s_tvalid;
            std::memcpy(s_tdata, in.s_tdata, sizeof s_tdata);
        }
        top.aresetn = in.aresetn;
        top.m_axis_tready = in.m_tready;
        top.s_axis_tvalid = s_tvalid;
        put_le(top.s_axis_tdata, s_tdata);
    }
    template <class M>
    void sample(M& top, Out& out) {
        out.s_tready = top.s_axis_tready;
        out.m_tvalid = top.m_axis_tvalid;
        out.s_tvalid = s_tvalid;
        get_le(out.m_tdata, top.m_axis_tdata);
        std::memcpy(out.s_tdata, s_tdata, sizeof s_tdata);
        // Settled outputs of this cycle decide whether the beat is taken
        // at its closing edge.
        pending = s_tvalid && !top.s_axis_tready;
    }
};

// atomik_board: a whole board top; its host link is the UART.
struct Board : PortRecords<atomik_sim_board_in, atomik_sim_board_out> {
    template <class M>
    static void clock(M& top, uint8_t v) { top.clk = v; }
    template <class M>
    void drive(M& top, const In& in) {
        top.btn = in.btn;
        top.uart_rx = in.uart_rx;
    }
    template <class M>
    void sample(M& top, Out& out) {
        out.uart_tx = top.uart_tx;
        out.led = top.led;
    }
};

template <class M, class P>
struct Model final : Base {
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<M> top;
    P ports;
#if VM_TRACE
    std::unique_ptr<VerilatedVcdC> vcd;
#endif

    Model(const char* vcd_path, uint32_t random_seed) : ctx(new VerilatedContext) {
        // random_seed != 0: every flop and memory word starts random
        // (Verilator's --x-initial unique + randReset 2) instead of 0, so the
        // reset sweep has to do its job.
        if (random_seed != 0) {
            ctx->randReset(2);
            ctx->randSeed(static_cast<int>(random_seed & 0x7fffffff));
        }
#if VM_TRACE
        // Tracing must be enabled on the context before the model exists.
        ctx->traceEverOn(vcd_path != nullptr);
#endif
        top.reset(new M{ctx.get(), "uut"});
#if VM_TRACE
        if (vcd_path) {
            vcd.reset(new VerilatedVcdC);
            top->trace(vcd.get(), 99);
            vcd->open(vcd_path);  // make() checks that it opened
        }
#endif
        P::clock(*top, 0);
        top->eval();  // the first cycle's dump records this state at t = 0
    }

    size_t lanes() const override { return P::lanes; }

    // Whether the VCD asked for (if any) is open for writing.
    bool trace_ok() const {
#if VM_TRACE
        return !vcd || vcd->isOpen();
#else
        return true;
#endif
    }

    ~Model() override {
#if VM_TRACE
        if (vcd) vcd->close();
#endif
        top->final();
    }

    void dump() {
#if VM_TRACE
        if (vcd) vcd->dump(ctx->time());
#endif
    }

    // One cycle = falling edge with the new inputs, settle, sample the
    // outputs, rising edge. Two evals per cycle: the falling edge and the
    // input change are the same evaluation.
    void run(const void* in_raw, void* out_raw, size_t n) override {
        const auto* in = static_cast<const typename P::In*>(in_raw);
        auto* out = static_cast<typename P::Out*>(out_raw);
        for (size_t i = 0; i < n; i++) {
            P::clock(*top, 0);
            ports.drive(*top, in[i]);
            top->eval();
            dump();
            ports.sample(*top, out[i]);
            ctx->timeInc(5);
            P::clock(*top, 1);
            top->eval();
            dump();
            ctx->timeInc(5);
        }
    }
};

// Constructs a model into *out and returns ATOMIK_SIM_OK, or returns why it
// could not (an atomik_sim_status; *out is then NULL, and for
// ATOMIK_SIM_EXCEPTION msg holds the exception's text). No exception escapes
// into Rust.
template <class M, class P>
int make(const char* vcd_path, uint32_t random_seed, void** out, char* msg, size_t msg_len) {
    *out = nullptr;
    if (msg_len > 0) msg[0] = '\0';
#if !VM_TRACE
    if (vcd_path != nullptr) return ATOMIK_SIM_NO_TRACE;
#endif
    try {
        std::unique_ptr<Model<M, P>> m(new Model<M, P>(vcd_path, random_seed));
        if (!m->trace_ok()) return ATOMIK_SIM_VCD_OPEN;
        *out = static_cast<Base*>(m.release());
        return ATOMIK_SIM_OK;
    } catch (const std::bad_alloc&) {
        return ATOMIK_SIM_NO_MEMORY;
    } catch (const std::exception& e) {
        if (msg_len > 0) std::snprintf(msg, msg_len, "%s", e.what());
        return ATOMIK_SIM_EXCEPTION;
    } catch (...) {
        if (msg_len > 0) std::snprintf(msg, msg_len, "%s", "a C++ exception that is not a std::exception");
        return ATOMIK_SIM_EXCEPTION;
    }
}

}  // namespace atomik_sim
