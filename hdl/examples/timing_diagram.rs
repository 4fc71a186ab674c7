//! Renders the timing diagram of docs/hardware.md: a short op sequence on the
//! 16 x 32 preset (same pipeline as 256 x 64, shorter reset sweep) simulated
//! by rust-hdl, written to a VCD, and drawn as SVG by rust-hdl's renderer.
//!
//! `cargo run -p atomik-hdl --example timing_diagram -- [--check] [OUT.svg]`
//! writes (or with `--check`, compares) `docs/images/timing.svg` by default;
//! the VCD it draws from goes to the target directory.

use std::sync::{Arc, Mutex};

use atomik::Opcode;
use atomik_hdl::{AtomikStateTable, Forwarding};
use rust_hdl::docs::vcd2svg::display_metrics::DisplayMetrics;
use rust_hdl::docs::vcd2svg::trace_collection::TraceCollection;
use rust_hdl::docs::vcd2svg::vcd_style::VCDStyle;
use rust_hdl::prelude::*;

type Uut = AtomikStateTable<4, 32>;
const PERIOD: u64 = 10; // ps per clock cycle in the simulation

/// One cycle of stimulus: (op_valid, op, addr, data).
type Step = (bool, Opcode, u64, u64);

fn main() -> std::process::ExitCode {
    // Display, not Debug: a drift message must read as an instruction.
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("timing_diagram: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let (check, svg) = parse_args()?;
    let target = atomik_codegen::target_dir();
    std::fs::create_dir_all(&target)?;
    let vcd = target.join("timing.vcd").display().to_string();
    let first_op_cycle = simulate(&vcd)?;
    let text = render(&vcd, first_op_cycle * PERIOD)?;
    let mode = atomik_codegen::Mode::from_check_flag(check);
    match atomik_codegen::ensure_file_contents(&svg, text.as_bytes(), mode, "just verilog")? {
        atomik_codegen::Outcome::UpToDate => println!("{} is up to date", svg.display()),
        atomik_codegen::Outcome::Written => println!("wrote {} (VCD: {vcd})", svg.display()),
    }
    Ok(())
}

/// `[--check] [OUT.svg]`: whether to compare instead of write, and the SVG.
fn parse_args() -> Result<(bool, std::path::PathBuf), Box<dyn std::error::Error>> {
    let mut check = false;
    let mut svg = atomik_codegen::workspace_root().join("docs/images/timing.svg");
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--check" => check = true,
            a if a.starts_with('-') => {
                return Err(format!(
                    "unknown option {a} (usage: timing_diagram [--check] [OUT.svg])"
                )
                .into());
            }
            a => svg = a.into(),
        }
    }
    Ok((check, svg))
}

/// The cycles drawn: LOAD, ACCUM, READ back to back on one address (the
/// hazard the forwarding resolves), SWAP, then READ of the new epoch.
fn steps() -> Vec<Step> {
    let idle: Step = (false, Opcode::Load, 0, 0);
    let mut ops = vec![
        (true, Opcode::Load, 3, 0xCAFE_BABE),
        (true, Opcode::Accum, 3, 0xFF),
        (true, Opcode::Read, 3, 0),
        (true, Opcode::Swap, 3, 0x1234),
        (true, Opcode::Read, 3, 0),
    ];
    ops.extend([idle; 5]);
    ops
}

/// Simulates the steps into `vcd`; returns the cycle of the first op.
fn simulate(vcd: &str) -> Result<u64, Box<dyn std::error::Error>> {
    let ops = steps();
    let first_op_cycle = Arc::new(Mutex::new(0u64));
    let mark = first_op_cycle.clone();
    let mut sim = Simulation::<Uut>::new();
    sim.add_clock(PERIOD / 2, |x: &mut Box<Uut>| x.clock.next = !x.clock.val());
    sim.add_testbench(move |mut sim: Sim<Uut>| {
        let mut x = sim.init()?;
        // One cycle of reset, then wait out the clearing sweep (16 cycles):
        // `ready` is combinational, so look at it between the edges.
        x.reset.next = true;
        wait_clock_true!(sim, clock, x);
        x.reset.next = false;
        let mut cycle = 1u64;
        loop {
            wait_clock_false!(sim, clock, x);
            let ready = x.ready.val();
            wait_clock_true!(sim, clock, x);
            if ready {
                break;
            }
            cycle += 1;
        }
        // Now just after a rising edge with ready high: one op per cycle.
        *mark.lock().expect("not poisoned") = cycle;
        for &(valid, op, addr, data) in &ops {
            x.op_valid.next = valid;
            x.op.next = u64::from(op.bits()).to_bits();
            x.addr.next = addr.to_bits();
            x.data_in.next = data.to_bits();
            wait_clock_false!(sim, clock, x);
            wait_clock_true!(sim, clock, x);
        }
        sim.done(x)
    });
    sim.run_to_file(Box::new(Uut::new(Forwarding::ALL)), 2_000, vcd)
        .map_err(|e| format!("simulation failed: {e:?}"))?;
    let cycle = *first_op_cycle.lock().expect("not poisoned");
    Ok(cycle)
}

/// The SVG of the signals shown, from a cycle before `start` (ps).
fn render(vcd: &str, start: u64) -> Result<String, Box<dyn std::error::Error>> {
    let signals = [
        "uut.clock",
        "uut.ready",
        "uut.op_valid",
        "uut.op",
        "uut.addr",
        "uut.data_in",
        "uut.s1_fwd_w_to_e.q",
        "uut.exec.fwd_w_to_e.q",
        "uut.store.wr_valid.q",
        "uut.result_valid",
        "uut.result",
        "uut.result_clean",
    ];
    let traces = TraceCollection::parse(&signals, std::fs::File::open(vcd)?)?;
    let metrics = DisplayMetrics {
        style: VCDStyle::gtkwave(),
        canvas_width: 1600,
        min_time: start - PERIOD,
        max_time: start + 10 * PERIOD,
        ..Default::default()
    };
    Ok(traces.as_svg(&metrics)?.to_string())
}
