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
//! Each model's C constructor returns an `atomik_sim_status` (csrc/ports.h)
//! rather than a null pointer, so the Rust side can say why it failed.
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

/// One Verilator model the harness links.
struct ModelSpec {
    /// Verilog source, relative to the workspace root.
    verilog: &'static str,
    /// Its top module.
    top: &'static str,
    /// Verilator class prefix.
    prefix: &'static str,
    /// Constructor suffix: `atomik_sim_new_<suffix>`.
    suffix: &'static str,
    /// Built with `--trace` (VCD support; slower).
    traced: bool,
    /// Its port policy in csrc/model.h: `Plain` (atomik_state_table),
    /// `Lanes<N>` (atomik_lane_table with N lanes: the model checks it
    /// against the design's count when it is built) or `Axis` (atomik_axis).
    ports: &'static str,
}

const MODELS: [ModelSpec; 9] = [
    ModelSpec {
        verilog: "hdl/verilog/atomik_state_table.v",
        top: "atomik_state_table",
        prefix: "Vatomik_state_table",
        suffix: "default",
        traced: true,
        ports: "Plain",
    },
    ModelSpec {
        verilog: "hdl/verilog/atomik_state_table.v",
        top: "atomik_state_table",
        prefix: "Vatomik_state_table_fast",
        suffix: "default_fast",
        traced: false,
        ports: "Plain",
    },
    ModelSpec {
        verilog: "hdl/verilog/16x32/atomik_state_table.v",
        top: "atomik_state_table",
        prefix: "Vatomik_small_16x32",
        suffix: "small",
        traced: true,
        ports: "Plain",
    },
    ModelSpec {
        verilog: "hdl/verilog/mutants/no_forwarding/atomik_state_table.v",
        top: "atomik_state_table",
        prefix: "Vatomik_mutant_nofwd",
        suffix: "mutant",
        traced: true,
        ports: "Plain",
    },
    // The lanes and axis designs are built traced only: one Verilator build each
    // (the ECP5 preset's takes minutes), and a failure needs a VCD.
    ModelSpec {
        verilog: "hdl/verilog/lanes_ice40/atomik_lane_table.v",
        top: "atomik_lane_table",
        prefix: "Vatomik_lanes_ice40",
        suffix: "lanes_ice40",
        traced: true,
        ports: "Lanes<3>",
    },
    ModelSpec {
        verilog: "hdl/verilog/lanes_ecp5/atomik_lane_table.v",
        top: "atomik_lane_table",
        prefix: "Vatomik_lanes_ecp5",
        suffix: "lanes_ecp5",
        traced: true,
        ports: "Lanes<16>",
    },
    ModelSpec {
        verilog: "hdl/verilog/mutants/load_forgets_lanes/atomik_lane_table.v",
        top: "atomik_lane_table",
        prefix: "Vatomik_mutant_lanes",
        suffix: "lanes_mutant",
        traced: true,
        ports: "Lanes<3>",
    },
    ModelSpec {
        verilog: "hdl/verilog/axis/atomik_axis.v",
        top: "atomik_axis",
        prefix: "Vatomik_axis",
        suffix: "axis",
        traced: true,
        ports: "Axis",
    },
    ModelSpec {
        verilog: "hdl/verilog/mutants/axis_overcommit/atomik_axis.v",
        top: "atomik_axis",
        prefix: "Vatomik_mutant_axis",
        suffix: "axis_mutant",
        traced: true,
        ports: "Axis",
    },
];

/// The Verilator runtime sources, compiled once with VCD support.
const RUNTIME: [&str; 3] = [
    "verilated.cpp",
    "verilated_threads.cpp",
    "verilated_vcd_c.cpp",
];

fn main() {
    let root = atomik_codegen::workspace_root();
    let manifest = root.join("sim");
    rerun_if_changed(&root);
    let verilator = std::env::var("VERILATOR").unwrap_or_else(|_| "verilator".into());
    let Some(include) = usable_verilator(&verilator) else {
        println!("cargo:rustc-cfg=atomik_no_verilator");
        return;
    };
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    let mut build = cc_build(&include, &manifest);
    for spec in &MODELS {
        build.file(verilate(spec, &verilator, &root, &out));
    }
    for runtime in RUNTIME {
        build.file(runtime_wrapper(runtime, &include, &out));
    }
    build.file(manifest.join("csrc/shim.cpp"));
    build.compile("atomik_verilated");
    // The runtime uses threads (verilated_threads.cpp).
    println!("cargo:rustc-link-lib=pthread");
}

/// Tells cargo what the build depends on.
fn rerun_if_changed(root: &Path) {
    println!("cargo:rustc-check-cfg=cfg(atomik_no_verilator)");
    println!("cargo:rerun-if-changed=build.rs");
    for f in ["shim.cpp", "model.h", "ports.h"] {
        println!("cargo:rerun-if-changed=csrc/{f}");
    }
    for var in ["VERILATOR", "VERILATOR_ROOT", "REQUIRE_VERILATOR"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    for spec in &MODELS {
        println!(
            "cargo:rerun-if-changed={}",
            root.join(spec.verilog).display()
        );
    }
}

/// Verilator's include directory; `None` (with a warning) when Verilator is
/// unusable and not required.
fn usable_verilator(verilator: &str) -> Option<PathBuf> {
    let required = std::env::var("REQUIRE_VERILATOR").is_ok_and(|v| v == "1");
    match verilator_include(verilator) {
        Ok(dir) => Some(dir),
        Err(why) if required => panic!(
            "REQUIRE_VERILATOR=1 but Verilator is unusable: {why}. \
             Install it (`just deps`, or apt-get install verilator)."
        ),
        Err(why) => {
            println!(
                "cargo:warning=Verilator not found ({why}): co-simulation is SKIPPED. \
                 Install verilator (`just deps`) to run it."
            );
            None
        }
    }
}

/// The C++ build of the models, the runtime and the shim.
fn cc_build(include: &Path, manifest: &Path) -> cc::Build {
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("gnu++17")
        // Fast model in every cargo profile (see the module docs).
        .opt_level(3)
        .debug(false)
        .include(include)
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
    build
}

/// Runs Verilator on one model and writes its unity file; returns the
/// unity file's path.
fn verilate(spec: &ModelSpec, verilator: &str, root: &Path, out: &Path) -> PathBuf {
    let mdir = out.join(spec.prefix);
    let _ = std::fs::remove_dir_all(&mdir);
    let mut cmd = Command::new(verilator);
    cmd.args(["--cc", "-O3"]);
    if spec.traced {
        cmd.arg("--trace");
    }
    let status = cmd
        .args(["--top-module", spec.top, "--prefix", spec.prefix])
        .arg("--Mdir")
        .arg(&mdir)
        .arg(root.join(spec.verilog))
        .status()
        .unwrap_or_else(|e| panic!("running {verilator}: {e}"));
    assert!(status.success(), "verilator failed on {}", spec.verilog);
    let unity_path = out.join(format!("unity_{}.cpp", spec.suffix));
    std::fs::write(&unity_path, unity_source(spec, &cpp_files(&mdir)))
        .expect("writing the unity file");
    unity_path
}

/// One translation unit per model: the generated code and the cycle loop,
/// with the model's C constructor (returns an `atomik_sim_status`).
fn unity_source(spec: &ModelSpec, cpp: &[PathBuf]) -> String {
    let ModelSpec {
        verilog,
        prefix,
        suffix,
        ports,
        ..
    } = spec;
    let trace = u8::from(spec.traced);
    let mut unity = format!(
        "// Generated by sim/build.rs: {prefix} ({verilog}) in one translation unit.\n\
         #define VM_TRACE {trace}\n#define VM_TRACE_VCD {trace}\n"
    );
    for file in cpp {
        writeln!(unity, "#include \"{}\"", file.display()).expect("string write");
    }
    writeln!(
        unity,
        "#include \"model.h\"\n\
         extern \"C\" int atomik_sim_new_{suffix}(const char* vcd, uint32_t seed, void** out,\n\
         \x20                                  char* msg, size_t msg_len) {{\n\
         \x20   return atomik_sim::make<{prefix}, atomik_sim::{ports}>(vcd, seed, out, msg, msg_len);\n}}"
    )
    .expect("string write");
    unity
}

/// A file that compiles one runtime source with VCD support; returns its path.
fn runtime_wrapper(runtime: &str, include: &Path, out: &Path) -> PathBuf {
    let wrapper = out.join(format!("runtime_{runtime}"));
    std::fs::write(
        &wrapper,
        format!(
            "#define VM_TRACE 1\n#define VM_TRACE_VCD 1\n#include \"{}\"\n",
            include.join(runtime).display()
        ),
    )
    .expect("writing a runtime wrapper");
    wrapper
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
