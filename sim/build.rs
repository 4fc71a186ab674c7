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
//! The models are the design catalogue's (`atomik-designs`): every design
//! traced, and untraced too where the catalogue asks for a fast model. The
//! Rust side's constructor table (`models.rs` in OUT_DIR) is generated here
//! from the same list, so the two cannot disagree.
//!
//! Verilator is required: without it the build fails with the command that
//! installs it, so a co-simulation test can never pass by being skipped.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use atomik_designs::{DESIGNS, Design, Family};

/// One Verilator model the harness links: a catalogue design, traced or not.
struct ModelSpec {
    design: &'static Design,
    /// Built with `--trace` (VCD support; slower).
    traced: bool,
}

impl ModelSpec {
    /// The Verilog source, relative to the workspace root.
    fn verilog(&self) -> String {
        self.design.file()
    }

    /// The C constructor's suffix (`atomik_sim_new_<suffix>`) and the
    /// Verilator class prefix's tail: the design's name, `_fast` untraced.
    fn suffix(&self) -> String {
        let fast = if self.traced { "" } else { "_fast" };
        format!("{}{fast}", self.design.name)
    }

    /// Its port policy in csrc/model.h: `Plain` (atomik_state_table),
    /// `Lanes<N>` (atomik_lane_table with N lanes: the model checks it
    /// against the design's count when it is built) or `Axis` (atomik_axis).
    fn ports(&self) -> String {
        match self.design.family {
            Family::StateTable { .. } => "Plain".into(),
            Family::LaneTable { lanes } => format!("Lanes<{lanes}>"),
            Family::Axis => "Axis".into(),
            Family::Board(_) => "Board".into(),
        }
    }
}

/// Every model: each catalogue design traced (a failure needs a VCD), and
/// untraced too where the catalogue asks for a fast model (41 vs 46 ns per
/// cycle on the default design; the others are built once each: the ECP5
/// lanes preset's Verilator build alone takes minutes).
fn models() -> Vec<ModelSpec> {
    DESIGNS
        .iter()
        .flat_map(|design| {
            let fast = design.fast_model.then_some(ModelSpec {
                design,
                traced: false,
            });
            std::iter::once(ModelSpec {
                design,
                traced: true,
            })
            .chain(fast)
        })
        .collect()
}

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
    let include = verilator_include(&verilator).unwrap_or_else(|why| {
        panic!(
            "Verilator is required to build atomik-sim (the co-simulation): {why}. \
             Install it with `just deps` (or `apt-get install verilator`)."
        )
    });
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    let models = models();
    std::fs::write(out.join("models.rs"), rust_bindings(&models)).expect("writing models.rs");
    std::fs::write(out.join("lane_counts.rs"), lane_dispatch()).expect("writing lane_counts.rs");
    let mut build = cc_build(&include, &manifest);
    for unity in verilate_all(&models, &verilator, &root, &out) {
        build.file(unity);
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
    println!("cargo:rerun-if-changed=build.rs");
    for f in ["shim.cpp", "model.h", "ports.h"] {
        println!("cargo:rerun-if-changed=csrc/{f}");
    }
    for var in ["VERILATOR", "VERILATOR_ROOT"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    for design in DESIGNS {
        println!(
            "cargo:rerun-if-changed={}",
            root.join(design.file()).display()
        );
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

/// Runs Verilator on every model, as many at a time as there are cores (it
/// is single-threaded, and a clean build waits for all of them); returns
/// the unity files in model order.
fn verilate_all(models: &[ModelSpec], verilator: &str, root: &Path, out: &Path) -> Vec<PathBuf> {
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::Mutex::new(vec![None; models.len()]);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(spec) = models.get(i) else { break };
                    let unity = verilate(spec, verilator, root, out);
                    done.lock().expect("no panic while held")[i] = Some(unity);
                }
            });
        }
    });
    done.into_inner()
        .expect("no panic while held")
        .into_iter()
        .map(|u| u.expect("every model verilated"))
        .collect()
}

/// Runs Verilator on one model and writes its unity file; returns the
/// unity file's path.
fn verilate(spec: &ModelSpec, verilator: &str, root: &Path, out: &Path) -> PathBuf {
    let prefix = format!("V{}", spec.suffix());
    let mdir = out.join(&prefix);
    let _ = std::fs::remove_dir_all(&mdir);
    let mut cmd = Command::new(verilator);
    cmd.args(["--cc", "-O3"]);
    if spec.traced {
        cmd.arg("--trace");
    }
    let status = cmd
        .args(["--top-module", spec.design.top(), "--prefix", &prefix])
        .arg("--Mdir")
        .arg(&mdir)
        .arg(root.join(spec.verilog()))
        .status()
        .unwrap_or_else(|e| panic!("running {verilator}: {e}"));
    assert!(status.success(), "verilator failed on {}", spec.verilog());
    let unity_path = out.join(format!("unity_{}.cpp", spec.suffix()));
    std::fs::write(&unity_path, unity_source(spec, &cpp_files(&mdir)))
        .expect("writing the unity file");
    unity_path
}

/// One translation unit per model: the generated code and the cycle loop,
/// with the model's C constructor (returns an `atomik_sim_status`).
fn unity_source(spec: &ModelSpec, cpp: &[PathBuf]) -> String {
    let (verilog, suffix, ports) = (spec.verilog(), spec.suffix(), spec.ports());
    let prefix = format!("V{suffix}");
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

/// `models.rs` (included by src/verilated.rs): the C constructor of every
/// model, and `constructor(name, traced)`, which picks one by design name.
fn rust_bindings(models: &[ModelSpec]) -> String {
    let mut decls = String::new();
    let mut arms = String::new();
    for m in models {
        let suffix = m.suffix();
        writeln!(
            decls,
            "    pub(super) fn atomik_sim_new_{suffix}(vcd: *const c_char, seed: u32, \
             out: *mut *mut c_void, msg: *mut c_char, msg_len: usize) -> c_int;"
        )
        .expect("string write");
        writeln!(
            arms,
            "        ({:?}, {}) => Some(atomik_sim_new_{suffix}),",
            m.design.name, m.traced
        )
        .expect("string write");
    }
    // A design without an untraced build runs its traced one either way.
    for d in DESIGNS.iter().filter(|d| !d.fast_model) {
        writeln!(
            arms,
            "        ({:?}, false) => Some(atomik_sim_new_{}),",
            d.name, d.name
        )
        .expect("string write");
    }
    format!(
        "// Generated by sim/build.rs from the design catalogue.\n\
         unsafe extern \"C\" {{\n{decls}}}\n\n\
         /// The C constructor of `name`'s model, traced or not.\n\
         pub(super) fn constructor(name: &str, traced: bool) -> Option<Constructor> {{\n\
         \x20   match (name, traced) {{\n{arms}        _ => None,\n    }}\n}}\n"
    )
}

/// `lane_counts.rs` (included by src/dispatch.rs): the macro `by_lanes!`,
/// which instantiates the harness for each lane count the catalogue's lanes
/// designs have, and no other (each instance is a full copy of it).
fn lane_dispatch() -> String {
    let mut counts: Vec<usize> = DESIGNS.iter().map(|d| d.family.lanes()).collect();
    counts.retain(|&n| n > 0);
    counts.sort_unstable();
    counts.dedup();
    let arms: String = counts
        .iter()
        .map(|n| format!("            {n} => $f::<LaneCycle<{n}>>($($arg),*).map(Into::into),\n"))
        .collect();
    format!(
        "// Generated by sim/build.rs from the design catalogue.\n\
         macro_rules! by_lanes {{\n\
         \x20   ($n:expr, $f:ident($($arg:expr),*)) => {{\n\
         \x20       match $n {{\n{arms}\
         \x20           n => unreachable!(\"no design of the catalogue has {{n}} lanes\"),\n\
         \x20       }}\n\
         \x20   }};\n\
         }}\n"
    )
}
