#!/usr/bin/env python
"""``make bench``: every benchmark of tools/bench/, run as a subprocess, printed as ONE markdown table.

Sections (BENCH_ONLY=comma list runs only those; default all):
  tickscript  tools/bench/tickscript_scan.py (the TICKscript lexer and scan; text, parsed here)
  stack       tools/bench/stack.py: the 4-host stack's converges, tasks, HTTP calls, the Ansible floor
  scale       tools/bench/stack.py: converges with BENCH_TELEGRAF_SCALE (default 1,5,20) Telegraf hosts
  ingest      tools/bench/ingest.py --json, when it exists
A benchmark with --json prints a JSON list of {section, metric, value, unit, note} on stdout; its
stderr (progress) passes through. The header says when, on what commit and core, on how many CPUs,
and the load average at the start and the end (the numbers of a busy machine are upper bounds).

``bench.py --rows FILE...`` prints the table of rows already measured instead (stack.py keeps an
interrupted run's rows in rows.json of its workdir, $TICKSTACK_CACHE/bench/<time>/).
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "tools" / "bench"
SECTIONS = ("tickscript", "stack", "scale", "ingest")
SCAN_LINE = re.compile(r"^\s*(\d+) lines\s+(\d+) tokens\s+tokens\(\) ([\d.]+) s\s+scan\(\) ([\d.]+) s")


def row(section: str, metric: str, value, unit: str = "", note: str = "") -> dict:
    return {"section": section, "metric": metric, "value": value, "unit": unit, "note": note}


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run(args: list[str]) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, *args], cwd=REPO, stdout=subprocess.PIPE, text=True, check=False)
    return proc.returncode, proc.stdout


def tickscript() -> list[dict]:
    rc, out = run([str(BENCH / "tickscript_scan.py")])
    rows = []
    for line in out.splitlines():
        match = SCAN_LINE.match(line)
        if match:
            lines, count, lex, scan = match.groups()
            note = "%s tokens, best of 3; target < 1 s at 20,000 lines" % count
            rows.append(row("tickscript", "tokens() %s lines" % lines, float(lex), "s", note))
            rows.append(row("tickscript", "scan() %s lines" % lines, float(scan), "s", note))
    if rc != 0 or not rows:
        rows.append(row("tickscript", "FAILED" if rc else "no rows", rc, "rc", " / ".join(out.splitlines()[-3:])))
    return rows


def parse_rows(out: str) -> list[dict]:
    """The rows a section printed: its whole output as one JSON list (ingest.py indents it), else its
    last line (stack.py prints progress first)."""
    text = out.strip()
    if not text:
        return []
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return json.loads(text.splitlines()[-1])


def json_rows(section: str, args: list[str]) -> list[dict]:
    rc, out = run(args)
    try:
        rows = parse_rows(out)
    except (json.JSONDecodeError, IndexError):
        rows = []
        out_tail = " / ".join(out.splitlines()[-3:])
        return [row(section, "FAILED: no JSON rows", rc, "rc", out_tail)]
    if rc != 0 and not any(r.get("metric") == "FAILED" for r in rows):
        rows.append(row(section, "FAILED", rc, "rc", "see its output above"))
    return rows


def header() -> list[str]:
    commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty", "--abbrev=12"],
                            capture_output=True, text=True, check=False).stdout.strip() or "unknown"
    branch = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--abbrev-ref", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    try:
        from ansible.release import __version__ as core  # pylint: disable=import-outside-toplevel
    except ImportError:
        core = "not installed"
    return ["date: %s" % time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
            "git commit: %s (%s)" % (commit, branch),
            "ansible-core: %s, Python %s" % (core, platform.python_version()),
            "nproc: %d" % os.cpu_count()]


def table(rows: list[dict]) -> str:
    lines = ["| section | metric | value | unit | note |", "|---|---|---:|---|---|"]
    for r in rows:
        cells = [str(r.get(key, "")).replace("|", "\\|").replace("\n", " ")
                 for key in ("section", "metric", "value", "unit", "note")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    if sys.argv[1:2] == ["--rows"]:
        rows = [r for path in sys.argv[2:] for r in json.loads(Path(path).read_text())]
        print("\n".join(["# tickstack.influx benchmarks (rows of %s)" % ", ".join(sys.argv[2:])]
                        + ["- " + line for line in header()] + ["- load average now: %s" % loadavg()]))
        print()
        print(table(rows))
        return 0
    only = {s.strip() for s in os.environ.get("BENCH_ONLY", "").split(",") if s.strip()} or set(SECTIONS)
    unknown = only - set(SECTIONS)
    if unknown:
        print("BENCH_ONLY: unknown section(s) %s; choose from %s" % (", ".join(sorted(unknown)), ", ".join(SECTIONS)),
              file=sys.stderr)
        return 2
    head = header()
    load_start = loadavg()
    started = time.time()
    rows: list[dict] = []
    if "tickscript" in only:
        rows += tickscript()
    stack_sections = sorted(only & {"stack", "scale"})
    if stack_sections:
        rows += json_rows("stack", [str(BENCH / "stack.py"), "--json", "--sections", ",".join(stack_sections)])
    if "ingest" in only:
        if (BENCH / "ingest.py").exists():
            rows += json_rows("ingest", [str(BENCH / "ingest.py"), "--json"])
        elif os.environ.get("BENCH_ONLY"):
            rows.append(row("ingest", "not run", "-", "", "tools/bench/ingest.py does not exist on this branch"))
    head += ["load average at start: %s, at end: %s" % (load_start, loadavg()),
             "bench wall time: %.0f s; sections: %s" % (time.time() - started, ",".join(s for s in SECTIONS if s in only))]
    print("\n".join("# " + line if i == 0 else "- " + line for i, line in enumerate(["tickstack.influx benchmarks"] + head)))
    print()
    print(table(rows))
    return 1 if any(str(r.get("metric", "")).startswith("FAILED") for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
