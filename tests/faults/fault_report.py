"""The outcome table of the fault suite (markdown), and the list of pairs expected to fail."""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict
from pathlib import Path

from fault_proxy import FAULTS

HERE = Path(__file__).resolve().parent
ABBREV = {"clear failure": "F", "recovered": "R", "not reached": "-", "traceback": "TB", "unclear message": "UM",
          "silently wrong": "SW", "not converged": "NC", "leftover": "LO"}
BAD = ("traceback", "unclear message", "silently wrong", "not converged", "leftover")


def known_failures() -> dict[tuple[str, str], str]:
    """(scenario, fault) pairs expected to fail, from known_failures.txt and $TICKSTACK_FAULTS_XFAIL.

    Lines read ``<scenario> <fault>  # why``; ``<fault>`` may be ``*``.
    """
    known = {}
    files = [HERE / "known_failures.txt"]
    if os.environ.get("TICKSTACK_FAULTS_XFAIL"):
        files.append(Path(os.environ["TICKSTACK_FAULTS_XFAIL"]))
    for path in files:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            text, _sep, why = line.partition("#")
            words = text.split()
            if len(words) == 2:
                for fault in FAULTS if words[1] == "*" else [words[1]]:
                    known[(words[0], fault)] = why.strip() or "known failure"
    return known


def _cell(outcomes: Counter) -> str:
    order = list(BAD) + ["clear failure", "recovered", "not reached"]
    parts = ["%d%s" % (outcomes[o], ABBREV[o]) for o in order if outcomes[o]]
    if outcomes["half-made"]:
        parts.append("(%dh)" % outcomes["half-made"])
    bad = any(outcomes[o] for o in BAD)
    return ("**%s**" if bad else "%s") % " ".join(parts) if parts else ""


def render_report(cases: list[dict], counts: dict[str, list[str]], known: dict, faults=FAULTS) -> tuple[str, str]:
    """(the summary for the terminal, the whole report) as markdown."""
    by_cell: dict[tuple[str, str], Counter] = defaultdict(Counter)
    totals: Counter = Counter()
    for case in cases:
        by_cell[(case["scenario"], case["fault"])][case["outcome"]] += 1
        totals[case["outcome"]] += 1
        if case.get("half_made"):
            by_cell[(case["scenario"], case["fault"])]["half-made"] += 1
            totals["half-made"] += 1
    scenarios = sorted({c["scenario"] for c in cases})
    lines = ["# Fault injection: faults × modules",
             "",
             "Run at %s; %d cases; %s." % (time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), len(cases),
                                           ", ".join("%s %d" % (o, totals[o]) for o in list(ABBREV) + ["half-made"]
                                                     if totals[o])),
             "",
             "| scenario | calls | " + " | ".join(faults) + " |",
             "|---|---|" + "---|" * len(faults)]
    for name in scenarios:
        row = [_cell(by_cell[(name, f)]) + (" (xfail)" if (name, f) in known and any(
            by_cell[(name, f)][o] for o in BAD) else "") for f in faults]
        lines.append("| %s | %d | %s |" % (name, len(counts.get(name, [])), " | ".join(row)))
    lines += ["",
              "Cells count the cases (one per N, the call that gets the fault): F clear failure, R recovered "
              "(after a bounded retry), - fault not reached; **TB traceback, UM unclear message, SW silently "
              "wrong, NC not converged by the next clean run, LO leftover (duplicate, orphan or unasked "
              "deletion on the server)**. (Nh): N of the failed runs left neither the state before them nor the "
              "asked one (not rolled back); listed below, the next clean run still has to converge."]
    summary = "\n".join(lines) + "\n"

    full = lines + ["", "## Calls of a clean run, by N", ""]
    for name in scenarios:
        full.append("- **%s**: " % name + "; ".join("%d `%s`" % (i + 1, call.split("?", 1)[0])
                                                    for i, call in enumerate(counts.get(name, []))))
    bad = [c for c in cases if c["outcome"] in BAD]
    full += ["", "## Failing cases (%d)" % len(bad), ""]
    for case in sorted(bad, key=lambda c: (c["scenario"], FAULTS.index(c["fault"]) if c["fault"] in FAULTS else 0,
                                           c["n"])):
        xfail = " (listed as a known failure)" if (case["scenario"], case["fault"]) in known else ""
        full += ["### %s, fault %s at call %d: %s%s" % (case["scenario"], case["fault"], case["n"], case["outcome"],
                                                        xfail),
                 "", "Faulted call: `%s`" % case["call"], "", "```", case["detail"].rstrip(), "```", ""]
    half = [c for c in cases if c.get("half_made") and c["outcome"] not in BAD]
    full += ["## Failed runs that left a half-made state (%d)" % len(half), "",
             "Reported, not failed on: the next clean run converged in each of these.", ""]
    for case in sorted(half, key=lambda c: (c["scenario"], c["fault"], c["n"])):
        full.append("- %s, fault %s at call %d (`%s`): %s" % (case["scenario"], case["fault"], case["n"],
                                                              case["call"], case["half_made"]))
    return summary, "\n".join(full) + "\n"
