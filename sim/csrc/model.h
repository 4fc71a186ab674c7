// The per-model half of the shim: a cycle loop templated on the Verilator
// class, compiled in the same translation unit as that model's generated
// code (build.rs writes one "unity" file per model), so eval() inlines into
// the loop. VM_TRACE is defined by that unity file: 1 for traced models.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <new>

#include "verilated.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif

#include "ports.h"

namespace atomik_sim {

template <class M>
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
    void run(const atomik_sim_in* in, atomik_sim_out* out, size_t n) override {
        for (size_t i = 0; i < n; i++) {
            top->clock = 0;
            top->reset = in[i].reset;
            top->op_valid = in[i].op_valid;
            top->op = in[i].op;
            top->addr = in[i].addr;
            top->data_in = in[i].data_in;
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
template <class M>
int make(const char* vcd_path, uint32_t random_seed, void** out, char* msg, size_t msg_len) {
    *out = nullptr;
    if (msg_len > 0) msg[0] = '\0';
#if !VM_TRACE
    if (vcd_path != nullptr) return ATOMIK_SIM_NO_TRACE;
#endif
    try {
        std::unique_ptr<Model<M>> m(new Model<M>(vcd_path, random_seed));
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
