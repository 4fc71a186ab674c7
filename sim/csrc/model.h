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
// kind. The kinds share the control port and its outputs.
template <class M>
inline void drive_control(M& top, const atomik_sim_in& in) {
    top.reset = in.reset;
    top.op_valid = in.op_valid;
    top.op = in.op;
    top.addr = in.addr;
    top.data_in = in.data_in;
}

// A packed input port from little-endian bytes: scalar ports (CData ..
// QData) take their own size, wide ports their words. The bytes beyond a
// port's width are zero (lanes the model does not have).
template <class T>
inline void put_le(T& port, const void* src) {
    T v;
    std::memcpy(&v, src, sizeof v);
    port = v;
}
template <std::size_t W>
inline void put_le(VlWide<W>& port, const void* src) {
    std::memcpy(port.data(), src, W * sizeof(EData));
}

// atomik_state_table: the control port only.
struct Plain {
    using In = atomik_sim_in;
    template <class M>
    static void drive(M& top, const In& in) { drive_control(top, in); }
};

// atomik_lane_table: the control port and N ACCUM lanes.
struct Lanes {
    using In = atomik_sim_lane_in;
    template <class M>
    static void drive(M& top, const In& in) {
        drive_control(top, in.control);
        top.lane_valid = in.lane_valid;
        put_le(top.lane_addr, in.lane_addr);
        put_le(top.lane_delta, in.lane_delta);
    }
};

template <class M, class P>
struct Model final : Base {
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<M> top;
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
        top->clock = 0;
        top->eval();  // the first cycle's dump records this state at t = 0
    }

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
        auto* out = static_cast<atomik_sim_out*>(out_raw);
        for (size_t i = 0; i < n; i++) {
            top->clock = 0;
            P::drive(*top, in[i]);
            top->eval();
            dump();
            out[i].ready = top->ready;
            out[i].result_valid = top->result_valid;
            out[i].result_clean = top->result_clean;
            out[i].result = top->result;
            ctx->timeInc(5);
            top->clock = 1;
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
