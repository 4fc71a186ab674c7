//! Builds the Verilator models the co-simulation drives.
//!
//! For each model variant below this runs `verilator --cc -O3` (with
//! `--trace` for the traced variants) into OUT_DIR and writes a "unity" C++
//! file that includes every generated file (globbed, not a hard-coded list:
//! Verilator's file names depend on the design) together with the shim's
//! cycle loop, so `eval()` inlines into the loop (measured: 50 -> 46 ns per
//! cycle). The runtime (verilated.cpp, verilated_threads.cpp,
//! verilated_vcd_c.cpp), the unity files and csrc/shim.cpp are compiled with
//! the `cc` crate at -O3 in every cargo profile: the model's speed is the
//! harness's speed.
//!
//! The default design is built twice: traced (VCD replays, `--vcd`) and
//! untraced for the long runs (41 vs 46 ns per cycle measured).
//!
//! Without Verilator the crate still builds (cfg `atomik_no_verilator`) and
//! the co-simulation tests report that they were skipped; with
//! REQUIRE_VERILATOR=1 (set in CI) a missing Verilator is a build error.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A model variant: Verilog (relative to the workspace root), Verilator class
/// prefix, constructor suffix (`atomik_sim_new_<suffix>`), traced?
const MODELS: [(&str, &str, &str, bool); 4] = [
    (
        "hdl/verilog/atomik_state_table.v",
        "Vatomik_state_table",
        "default",
        true,
    ),
    (
        "hdl/verilog/atomik_state_table.v",
        "Vatomik_state_table_fast",
        "default_fast",
        false,
    ),
    (
        "hdl/verilog/16x32/atomik_state_table.v",
        "Vatomik_small_16x32",
        "small",
        true,
    ),
    (
        "hdl/verilog/mutants/no_forwarding/atomik_state_table.v",
        "Vatomik_mutant_nofwd",
        "mutant",
        true,
    ),
];

fn main() {
    println!("cargo:rustc-check-cfg=cfg(atomik_no_verilator)");
    println!("cargo:rerun-if-changed=build.rs");
    for f in ["shim.cpp", "model.h", "ports.h"] {
        println!("cargo:rerun-if-changed=csrc/{f}");
    }
    println!("cargo:rerun-if-env-changed=VERILATOR");
    println!("cargo:rerun-if-env-changed=VERILATOR_ROOT");
    println!("cargo:rerun-if-env-changed=REQUIRE_VERILATOR");

    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest
        .parent()
        .expect("sim/ is inside the workspace")
        .to_path_buf();
    for (v, ..) in MODELS {
        println!("cargo:rerun-if-changed={}", root.join(v).display());
    }

    let verilator = std::env::var("VERILATOR").unwrap_or_else(|_| "verilator".into());
    let required = std::env::var("REQUIRE_VERILATOR").is_ok_and(|v| v == "1");
    let include = match verilator_include(&verilator) {
        Ok(dir) => dir,
        Err(why) => {
            if required {
                panic!(
                    "REQUIRE_VERILATOR=1 but Verilator is unusable: {why}. \
                     Install it (`just deps`, or apt-get install verilator)."
                );
            }
            println!(
                "cargo:warning=Verilator not found ({why}): co-simulation is SKIPPED. \
                 Install verilator (`just deps`) to run it."
            );
            println!("cargo:rustc-cfg=atomik_no_verilator");
            return;
        }
    };

    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("gnu++17")
        // Fast model in every cargo profile (see the module docs).
        .opt_level(3)
        .debug(false)
        .include(&include)
        .include(include.join("vltstd"))
        .include(manifest.join("csrc"))
        .define("VM_COVERAGE", "0")
        .define("VM_SC", "0")
        .define("VM_TRACE_FST", "0")
        // Generated code and the runtime are not ours to warn about.
        .warnings(false)
        .flag_if_supported("-faligned-new")
        // cc builds position-independent code for Rust's PIE binaries; under
        // -fPIC GCC must assume global functions may be interposed and stops
        // inlining eval() into the loop (measured: 51 vs 41 ns per cycle).
        .flag_if_supported("-fno-semantic-interposition")
        .flag_if_supported("-fvisibility=hidden")
        .flag_if_supported("-fvisibility-inlines-hidden");

    for (verilog, prefix, suffix, traced) in MODELS {
        let mdir = out.join(prefix);
        let _ = std::fs::remove_dir_all(&mdir);
        let mut cmd = Command::new(&verilator);
        cmd.args(["--cc", "-O3"]);
        if traced {
            cmd.arg("--trace");
        }
        let status = cmd
            .args(["--top-module", "atomik_state_table", "--prefix", prefix])
            .arg("--Mdir")
            .arg(&mdir)
            .arg(root.join(verilog))
            .status()
            .unwrap_or_else(|e| panic!("running {verilator}: {e}"));
        assert!(status.success(), "verilator failed on {verilog}");
        // One translation unit per model: the generated code and the loop.
        let trace = u8::from(traced);
        let mut unity = format!(
            "// Generated by sim/build.rs: {prefix} ({verilog}) in one translation unit.\n\
             #define VM_TRACE {trace}\n#define VM_TRACE_VCD {trace}\n"
        );
        for cpp in cpp_files(&mdir) {
            writeln!(unity, "#include \"{}\"", cpp.display()).expect("string write");
        }
        writeln!(
            unity,
            "#include \"model.h\"\n\
             extern \"C\" void* atomik_sim_new_{suffix}(const char* vcd, uint32_t seed) {{\n\
             \x20   return atomik_sim::make<{prefix}>(vcd, seed);\n}}"
        )
        .expect("string write");
        let unity_path = out.join(format!("unity_{suffix}.cpp"));
        std::fs::write(&unity_path, unity).expect("writing the unity file");
        build.file(unity_path);
    }
    // The runtime, once, with VCD support compiled in.
    for runtime in [
        "verilated.cpp",
        "verilated_threads.cpp",
        "verilated_vcd_c.cpp",
    ] {
        let wrapper = out.join(format!("runtime_{runtime}"));
        std::fs::write(
            &wrapper,
            format!(
                "#define VM_TRACE 1\n#define VM_TRACE_VCD 1\n#include \"{}\"\n",
                include.join(runtime).display()
            ),
        )
        .expect("writing a runtime wrapper");
        build.file(wrapper);
    }
    build.file(manifest.join("csrc/shim.cpp"));
    build.compile("atomik_verilated");
    // The runtime uses threads (verilated_threads.cpp).
    println!("cargo:rustc-link-lib=pthread");
}

/// The Verilator include directory, or why Verilator cannot be used.
fn verilator_include(verilator: &str) -> Result<PathBuf, String> {
    let out = Command::new(verilator)
        .args(["--getenv", "VERILATOR_ROOT"])
        .output()
        .map_err(|e| format!("`{verilator}` could not be run: {e}"))?;
    if !out.status.success() {
        return Err(format!("`{verilator} --getenv VERILATOR_ROOT` failed"));
    }
    let root = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let include = Path::new(&root).join("include");
    if include.join("verilated.h").exists() {
        Ok(include)
    } else {
        Err(format!("no verilated.h under {}", include.display()))
    }
}

/// Every C++ file Verilator generated for one model, in a stable order.
fn cpp_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "cpp"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "verilator generated no C++ in {}",
        dir.display()
    );
    files
}
