#!/usr/bin/env python
"""How long the TICKscript lexer and scan take on 5,000, 10,000 and 20,000-line scripts.

Prints one line per size: seconds for ``tokens()`` and ``scan()`` (the best of three runs, so a
busy machine disturbs it less). The target is under 1 s for 20,000 lines; the scanner this
replaced took 4 s, 17 s and 68 s. Run with ``make bench``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "unit"))
import collection_path  # noqa: E402,F401 pylint: disable=unused-import  # the collection on sys.path

from ansible_collections.tickstack.influx.plugins.module_utils.tickscript import scan, tokens  # noqa: E402

# Twenty lines of what real tasks hold: comments, vars, lambdas with division and regexes,
# a batch query with several sources, and an influxDBOut() with its properties.
BLOCK = """// block {i}: error rate of web hosts
var period{i} = 5m
var out{i} = 'rollups'
var errors{i} = batch
    |query('''
        SELECT sum("errors") / sum("total") AS rate -- per host
        FROM "telegraf"."autogen"."requests", "telegraf"."autogen"./^http_.*/
        WHERE "host" =~ /^web-[0-9]+$/ AND "path" != '/health'
    ''')
        .period(period{i})
        .every(1m)
        .groupBy('host')
errors{i}
    |eval(lambda: "rate" * 100.0 / 2, lambda: "rate" > 0.5)
        .as('percent', 'high')
    |alert()
        .crit(lambda: "percent" > 10 AND "host" !~ /^canary/)
        .message('{{{{ .ID }}}} is {{{{ .Level }}}}')
    |influxDBOut()
        .database(out{i}).retentionPolicy('one_year').measurement('error_rate')
"""
LINES_PER_BLOCK = BLOCK.count("\n")


def script(lines: int) -> str:
    return 'dbrp "telegraf"."autogen"\n' + "".join(BLOCK.format(i=i) for i in range(lines // LINES_PER_BLOCK))


def best_of(runs: int, func, *args) -> float:
    times = []
    for _run in range(runs):
        start = time.perf_counter()
        func(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    print("tickscript lexer and scan (best of 3; target: 20,000 lines < 1 s)")
    slow = False
    for lines in (5000, 10000, 20000):
        text = script(lines)
        count = text.count("\n") + 1
        lexed = best_of(3, tokens, text)
        scanned = best_of(3, scan, text)
        print("  %6d lines %8d tokens   tokens() %.3f s   scan() %.3f s"
              % (count, len(tokens(text)), lexed, scanned))
        slow = slow or (lines == 20000 and scanned >= 1)
    if slow:
        print("  slower than the 1 s target (a busy machine also slows it: check `uptime`)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
