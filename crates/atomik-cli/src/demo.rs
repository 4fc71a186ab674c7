//! `atomik demo`: a guided tour that checks every claim it prints.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, Result, bail, ensure};
use atomik::wire::{self, Frames};
use atomik::{Context, Fingerprint, Outcome, PositionalFingerprint, Replica, Table};

/// One stage of the tour and how it went.
#[derive(Debug)]
pub(crate) struct Stage {
    pub(crate) name: String,
    pub(crate) result: Result<String>,
    pub(crate) seconds: f64,
}

pub(crate) fn stage(name: String, f: impl FnOnce() -> Result<String>) -> Stage {
    println!("\n== {name}");
    let t = Instant::now();
    let result = f();
    if let Err(e) = &result {
        println!("   FAILED: {e:#}");
    }
    Stage {
        name,
        result,
        seconds: t.elapsed().as_secs_f64(),
    }
}

/// LOAD, ACCUM, READ, SWAP on one context, and rollback.
pub(crate) fn operations() -> Result<String> {
    let mut c = Context::<u64>::new();
    c.load(0xDEAD_BEEF_CAFE_BABE);
    println!("   LOAD  0xdeadbeefcafebabe   state {:#018x}", c.read());
    c.accum(0xFF);
    println!(
        "   ACCUM 0xff                 state {:#018x}  (accumulator {:#x}, {} delta)",
        c.read(),
        c.accumulator(),
        c.delta_count()
    );
    ensure!(c.read() == 0xDEAD_BEEF_CAFE_BA41, "original README vector");
    println!("   READ                       -> {:#018x}", c.read());
    c.rollback(0xFF);
    println!(
        "   ROLLBACK 0xff (ACCUM again) state {:#018x}  clean: {}",
        c.read(),
        c.is_clean()
    );
    ensure!(
        c.read() == 0xDEAD_BEEF_CAFE_BABE && c.is_clean(),
        "rollback"
    );
    c.accum(0x0F);
    let old = c.swap(0x1234);
    println!(
        "   SWAP  0x1234               -> {old:#018x}, new epoch from {:#x}",
        c.read()
    );
    ensure!(
        old == 0xDEAD_BEEF_CAFE_BAB1 && c.read() == 0x1234 && c.is_clean(),
        "swap"
    );
    Ok("LOAD/ACCUM/READ/SWAP and rollback give the documented values".into())
}

/// A table: independent contexts, typed errors, batch apply, snapshot.
pub(crate) fn table() -> Result<String> {
    let mut t = Table::<u64>::new(256)?;
    t.load(0, 100)?;
    t.accum_batch(&[(0, 1), (255, 0xF0), (7, 3), (255, 0x0F)])?;
    println!("   256 contexts; batch of 4 deltas applied to addresses 0, 7, 255");
    let snap: Vec<String> = t
        .snapshot()
        .iter()
        .map(|(a, v)| format!("[{a}] = {v:#x}"))
        .collect();
    println!("   non-zero contexts: {}", snap.join(", "));
    ensure!(
        t.snapshot() == vec![(0, 101), (7, 3), (255, 0xFF)],
        "snapshot"
    );
    let err = t.accum(256, 1).expect_err("address 256 is out of range");
    println!("   accum at address 256 -> error: {err}");
    let bad = t.accum_batch(&[(1, 1), (999, 1)]);
    ensure!(
        bad.is_err() && t.read(1)? == 0,
        "a failed batch applies nothing"
    );
    println!("   a batch with one bad address is rejected whole: context 1 still reads 0");
    Ok("typed errors, all-or-nothing batches".into())
}

/// Fingerprints: O(1) change detection and the positional variant.
pub(crate) fn fingerprints() -> Result<String> {
    let mut buf: Vec<u8> = (0..64 * 1024).map(|i| (i * 31 % 251) as u8).collect();
    let mut fp = Fingerprint::<u64>::new();
    fp.load(&buf);
    let chunk = 1000;
    let old = u64::from_le_bytes(buf[chunk * 8..chunk * 8 + 8].try_into()?);
    let new = old ^ 0x1;
    buf[chunk * 8..chunk * 8 + 8].copy_from_slice(&new.to_le_bytes());
    fp.accum_delta(old, new);
    println!(
        "   64 KiB buffer, one bit flipped: incremental fingerprint changed = {}",
        fp.changed()
    );
    ensure!(fp.changed(), "incremental fingerprint sees the change");
    let mut check = fp;
    check.update(&buf);
    ensure!(check == fp, "O(1) update equals a full rescan");
    fp.rebase();

    let mut pfp = PositionalFingerprint::new();
    pfp.load(&buf);
    let (a, b) = (buf[0..8].to_vec(), buf[8..16].to_vec());
    buf[0..8].copy_from_slice(&b);
    buf[8..16].copy_from_slice(&a);
    fp.update(&buf);
    pfp.update(&buf);
    println!(
        "   two 8-byte chunks swapped: xor fold changed = {}, positional changed = {}",
        fp.changed(),
        pfp.changed()
    );
    ensure!(
        !fp.changed() && pfp.changed(),
        "positional sees swaps, xor does not"
    );
    Ok("O(1) change detection; positional catches swapped chunks".into())
}

/// Two replicas converging through encoded v1 messages over a bad channel.
pub(crate) fn replicas() -> Result<String> {
    let mut a = Replica::<u64>::new(1, 16)?;
    let mut b = Replica::<u64>::new(2, 16)?;
    let msgs = vec![
        a.load(3, 0xDEAD_BEEF_CAFE_BABE)?,
        a.accum(3, 0xFF)?,
        a.accum(5, 0x10)?,
        a.accum(3, 0x0F00)?,
        a.accum(5, 0x01)?,
        a.swap_keep(5)?.1,
    ];
    let mut sent = Vec::new();
    wire::encode_all(&msgs, &mut sent);
    let n = wire::frame_len::<u64>();
    println!(
        "   replica A made 6 changes -> {} bytes of v1 frames ({n} B each)",
        sent.len()
    );
    // The channel duplicates frame 1 and loses frame 3.
    let mut channel = Vec::new();
    for (i, f) in sent.chunks(n).enumerate() {
        match i {
            1 => {
                channel.extend_from_slice(f);
                channel.extend_from_slice(f);
            }
            3 => {}
            _ => channel.extend_from_slice(f),
        }
    }
    println!("   channel: frame 1 duplicated, frame 3 lost");
    let mut outcomes = Vec::new();
    for f in Frames::<u64>::new(&channel) {
        let m = f.context("decoding a frame")?;
        outcomes.push(format!("{}:{:?}", m.seq, b.apply(&m)?));
    }
    println!("   B applies: {}", outcomes.join(", "));
    ensure!(
        outcomes.iter().filter(|o| o.ends_with("Duplicate")).count() == 1,
        "the duplicate is recognised"
    );
    let missing = b.missing(a.id(), a.next_seq());
    println!("   B reports missing seqs {missing:?}; A retransmits them");
    ensure!(
        missing.len() == 1 && missing[0] == (3..4),
        "the lost frame is reported"
    );
    for r in missing {
        for seq in r {
            let (m, _) = atomik::DeltaMsg::<u64>::decode(&sent[usize::try_from(seq)? * n..])?;
            ensure!(b.apply(&m)? == Outcome::Applied, "retransmission applies");
        }
    }
    ensure!(a.same_state(&b), "replicas converge");
    println!(
        "   converged: context 3 = {:#x}, context 5 = {:#x} on both",
        b.table().read(3)?,
        b.table().read(5)?
    );
    let naive = raw_xor_of_context_3(&channel)?;
    println!(
        "   raw XOR of the same channel leaves context 3 at {naive:#x}: the duplicated 0xff cancelled itself"
    );
    println!("   and the lost 0xf00 went unnoticed");
    ensure!(naive != b.table().read(3)?, "raw XOR diverges");
    Ok("duplicate ignored, loss reported and repaired, replicas bit-identical".into())
}

/// What the original design did with the same channel: apply every frame as
/// it comes, with no dedup and no gap detection. Returns context 3's state.
fn raw_xor_of_context_3(channel: &[u8]) -> Result<u64> {
    let mut naive = Context::<u64>::new();
    for f in Frames::<u64>::new(channel) {
        let m = f?;
        match (m.addr, m.kind) {
            (3, atomik::MsgKind::Load) => naive.load(m.value),
            (3, atomik::MsgKind::Accum) => naive.accum(m.value),
            _ => {}
        }
    }
    Ok(naive.read())
}

/// Where the demo finds the repository (hdl/verilog, bindings/c, target/).
#[derive(Debug, Clone)]
pub(crate) struct Repo {
    pub(crate) root: PathBuf,
    pub(crate) lib_dir: PathBuf,
    pub(crate) out: PathBuf,
}

impl Repo {
    /// The workspace this binary was built from, or `root` if given.
    pub(crate) fn locate(root: Option<PathBuf>, lib_dir: Option<PathBuf>) -> Self {
        let root = root.unwrap_or_else(atomik_codegen::workspace_root);
        let lib_dir = lib_dir.unwrap_or_else(|| root.join("target/release"));
        let out = root.join("target/demo");
        Repo { root, lib_dir, out }
    }
}

/// Emits the default table with rust-hdl and checks it is the committed file.
pub(crate) fn emit_verilog(repo: &Repo) -> Result<String> {
    let text = atomik_hdl::verilog(
        atomik_hdl::DEFAULT_CONTEXTS,
        atomik_hdl::DEFAULT_WIDTH,
        atomik_hdl::Forwarding::ALL,
    )?;
    std::fs::create_dir_all(&repo.out)?;
    let path = repo.out.join("atomik_state_table.v");
    std::fs::write(&path, &text)?;
    let committed = repo.root.join("hdl/verilog/atomik_state_table.v");
    let same = std::fs::read_to_string(&committed).is_ok_and(|c| c == text);
    println!(
        "   rust-hdl emitted {} lines of Verilog -> {}",
        text.lines().count(),
        path.display()
    );
    println!(
        "   module atomik_state_table: 256 contexts x 64 bits, LATENCY {}",
        atomik_hdl::LATENCY
    );
    ensure!(
        same,
        "the emitted Verilog differs from {} (run `just verilog`)",
        committed.display()
    );
    println!("   identical to the committed {}", committed.display());
    Ok("256 x 64 table emitted; identical to the committed file".into())
}

/// `verilator --lint-only -Wall` on the emitted file.
pub(crate) fn lint_verilog(repo: &Repo) -> Result<String> {
    let path = repo.out.join("atomik_state_table.v");
    let out = Command::new("verilator")
        .args(["--lint-only", "-Wall"])
        .arg(&path)
        .output()
        .context("running verilator (install it with `just deps`)")?;
    let warnings = String::from_utf8_lossy(&out.stderr);
    println!("   verilator --lint-only -Wall {}", path.display());
    ensure!(
        out.status.success() && warnings.trim().is_empty(),
        "lint failed:\n{warnings}"
    );
    println!("   0 warnings, no waivers");
    Ok("verilator -Wall: zero warnings".into())
}

/// One million random ops on a design of the catalogue in Verilator, every
/// output compared with the software model in every cycle (random ops and
/// reserved opcodes, hot addresses for back-to-back hazards, idle gaps,
/// resets; lanes racing the control op at every distance; AXI consumers
/// that stall until the FIFO fills). A lanes design then runs at full load,
/// an op on every port in every cycle, to show N + 1 ops per cycle.
pub(crate) fn cosim(design: atomik_sim::Design) -> Result<String> {
    println!("   {}", design.about());
    let mixed = run_cosim(&atomik_sim::RunConfig::new(design, 2026, 1_000_000))?;
    if design.lanes() == 0 {
        return Ok(mixed);
    }
    println!("   full load: an op on the control port and on every lane in every cycle");
    let mut full = atomik_sim::RunConfig::new(design, 2026, 1_000_000);
    full.full_load = true;
    let saturated = run_cosim(&full)?;
    Ok(format!("{mixed}; full load: {saturated}"))
}

/// Runs one co-simulation, prints its counts, fails on the first mismatch.
fn run_cosim(config: &atomik_sim::RunConfig) -> Result<String> {
    let r = atomik_sim::run(config, |_| {})?;
    let c = r.counts;
    println!(
        "   {} ops in {} cycles ({:.2} ops/cycle), {} results checked: {} mismatches \
         ({:.1} M ops/s checked)",
        c.ops,
        c.cycles,
        r.ops_per_cycle(),
        c.results,
        r.mismatches,
        r.ops_per_second() / 1e6
    );
    if let Some(m) = r.first {
        bail!("hardware and model disagree: {m}");
    }
    Ok(format!(
        "{} ops, 0 mismatches, {:.2} ops/cycle",
        c.ops,
        r.ops_per_cycle()
    ))
}

/// The native libraries a static link of libatomik_core needs: `Libs.private`
/// of the pkg-config template, the one place that lists them.
fn static_link_libs(repo: &Repo) -> Result<Vec<String>> {
    let pc = repo.root.join("bindings/c/atomik_core.pc.in");
    let text = std::fs::read_to_string(&pc).with_context(|| format!("reading {}", pc.display()))?;
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("Libs.private:"))
        .with_context(|| format!("no Libs.private in {}", pc.display()))?;
    Ok(line.split_whitespace().map(String::from).collect())
}

/// Builds and runs the C quick start against libatomik_core.
pub(crate) fn c_quickstart(repo: &Repo) -> Result<String> {
    let lib = repo.lib_dir.join("libatomik_core.a");
    if !lib.exists() {
        println!(
            "   {} missing: cargo build --release -p atomik-ffi",
            lib.display()
        );
        let ok = Command::new(env!("CARGO"))
            .args(["build", "--release", "-q", "-p", "atomik-ffi"])
            .current_dir(&repo.root)
            .status()
            .context("running cargo")?
            .success();
        ensure!(ok && lib.exists(), "building libatomik_core failed");
    }
    let src = repo.root.join("bindings/c/examples/quickstart.c");
    let exe = repo.out.join("quickstart");
    std::fs::create_dir_all(&repo.out)?;
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    println!(
        "   {cc} -std=c99 -Wall -Wextra -Wpedantic -Werror quickstart.c libatomik_core.a -o {}",
        exe.display()
    );
    let out = Command::new(&cc)
        .args([
            "-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-O2", "-I",
        ])
        .arg(repo.root.join("bindings/c"))
        .arg(&src)
        .arg(&lib)
        .args(static_link_libs(repo)?)
        .arg("-o")
        .arg(&exe)
        .output()
        .with_context(|| format!("running {cc}"))?;
    ensure!(
        out.status.success(),
        "compiling the quick start failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&exe)
        .output()
        .context("running the quick start")?;
    for line in String::from_utf8_lossy(&run.stdout).lines() {
        println!("   | {line}");
    }
    ensure!(
        run.status.success(),
        "the quick start reported a wrong result"
    );
    Ok("C99 quick start compiled against libatomik_core.a and passed".into())
}
