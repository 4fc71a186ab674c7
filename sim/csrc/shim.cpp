// C ABI over the Verilator models of atomik_state_table, for the Rust
// co-simulation harness (sim/src/verilated.rs). The per-model constructors
// (atomik_sim_new_<name>) live in the unity files build.rs generates; this
// file holds what is common. No C++ exception crosses into Rust.

#include "ports.h"

extern "C" {

void atomik_sim_free(void* h) {
    try {
        delete static_cast<atomik_sim::Base*>(h);
    } catch (...) {
    }
}

// ACCUM lanes of the model's input structs (0: not a lanes table).
size_t atomik_sim_lanes(void* h) {
    return static_cast<const atomik_sim::Base*>(h)->lanes();
}

// Runs n cycles (port arrays of the model's kind, see Base). Returns 0, or -1 if the model threw (outputs then invalid).
int atomik_sim_run(void* h, const void* in, void* out, size_t n) {
    try {
        static_cast<atomik_sim::Base*>(h)->run(in, out, n);
        return 0;
    } catch (...) {
        return -1;
    }
}

}  // extern "C"
