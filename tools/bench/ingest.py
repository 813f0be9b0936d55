#!/usr/bin/env python
"""The ingest pipeline as the roles configure it: one Telegraf writing to InfluxDB 2 and Kapacitor.

Real processes on loopback, from the artifact cache (tests/harness.py finds them): influxd 2.9.1
(onboarded, bucket ``telegraf`` with its DBRP mapping telegraf/autogen, a write-only token for
Telegraf), kapacitord 1.8.3 wired to it as the stack wires it (``disable-subscriptions = true``, a
token; Kapacitor's own authentication on) with a stream task on telegraf/autogen whose from() node
counts the points Kapacitor received, the stack's write relay in front of Kapacitor (a second
Telegraf with the stack role's relay config: the stack's default path with Kapacitor auth on), and
the Telegraf under test. A real stack runs kapacitord and the relay on the Kapacitor host; here
CPU affinity models the hosts (BENCH_INGEST_PIN, default on with >= 2 CPUs): the Telegraf under test
and influxd (the Telegraf host + the InfluxDB host) on the first CPU this script may use, kapacitord
and the relay (the Kapacitor host) on the second, in A and B alike, so that the Telegraf side gets
the same CPU in both and A does not pay Kapacitor's CPU. This script (the feeder and the poller) runs
with the Telegraf host: it stands for that host's inputs and does the same work in A and B. Each
process inherits its CPU from the thread that starts it (all its threads: Go servers start threads
early), and the table shows the CPUs each one got, read back from /proc. Unpinned, A pays the
Kapacitor host's CPU out of the Telegraf side's (the table says so).

Telegraf's config is built from roles/telegraf/defaults/main.yml (the ``[agent]`` table as it is;
the two outputs the way roles/telegraf/vars/main.yml shapes them with what roles/stack/tasks/telegraf.yml
passes, ``*_extra`` merged) and rendered with the collection's own TOML filter, so the bench follows
the role when a default changes. Two differences, both forced by the artifacts' Telegraf (built
with a few plugins only): the token and the relay password come from the environment, not a
secret store (no docker store, no systemd here); and the role's default inputs (cpu, mem, disk,
system) are replaced by ``inputs.influxdb_listener`` (no socket_listener), fed by this script over
one keep-alive connection with line-protocol points (unique series and timestamps), 500 a request.

Run A is Telegraf with both outputs, run B the same Telegraf with only the InfluxDB output,
alternated A B A B ... (BENCH_INGEST_ROUNDS pairs) to cancel load noise, twice:
- burst: 90 % of metric_buffer_limit points as fast as the listener takes them (nothing can
  overflow): how fast each output drains them is its limit on this machine;
- sustained: BENCH_INGEST_POINTS points at a steady BENCH_INGEST_RATE points/s (default: 80 % of
  B's burst rate), more than the buffer holds, so an output that cannot keep up drops points.
For each run and output: the rate (points held when the output first held all but the last batch,
which waits for flush_interval, over the time since the feed started; sampled every 0.2 s from
influxd's /metrics and the task's counter), the points lost (sent - stored, counted by a Flux query
once Telegraf has flushed), Telegraf's "buffer overflow" messages and each process's CPU time, and
each modelled host's CPU use beside how busy its CPU was (all processes: the machine is shared).
Target: sustained, A's InfluxDB rate >= 90 % of B's with 0 points lost at either output.

BENCH_INGEST_DEFAULTS (JSON: telegraf role variables merged over its defaults, e.g.
``{"telegraf_agent": {"metric_batch_size": 5000}}``) tries a default before changing it;
BENCH_INGEST_KEEP=1 keeps the temporary directory (configs, logs). ``--json`` prints a JSON list of
{section, metric, value, unit, note} for tools/bench/bench.py; without it, a markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "unit"))
import collection_path  # noqa: E402,F401 pylint: disable=unused-import  # the collection on sys.path

SECTION = "ingest"
MEASUREMENT_PREFIX = "ingest_bench"
SERIES = 50
TASK_ID = "ingest_bench_count"
KAPACITOR_ADMIN = ("admin", "ingest-bench-admin-password")
TARGET_PERCENT = 90.0


# --------------------------------------------------------------------------------------------------
# Pure logic (tests/unit/test_bench_ingest.py)
# --------------------------------------------------------------------------------------------------

def merge(base: dict, extra: dict) -> dict:
    """Ansible's combine(recursive=True): mappings merge key by key, anything else is replaced."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def duration_seconds(text: str) -> float:
    """A Telegraf duration ("10s", "500ms", "1m", "0s", "") in seconds."""
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    total, rest = 0.0, str(text).strip()
    if rest in ("", "0"):
        return 0.0
    for number, unit in re.findall(r"([0-9.]+)(ns|us|µs|ms|s|m|h)", rest):
        total += float(number) * units[unit]
    if not re.fullmatch(r"(?:[0-9.]+(?:ns|us|µs|ms|s|m|h))+", rest):
        raise ValueError(f"not a Telegraf duration: {text!r}")
    return total


def telegraf_config(defaults: dict, stack: dict, *, influx_url: str, org: str, bucket: str,
                    kapacitor_url: str | None, kapacitor_username: str, listen: str) -> dict:
    """The config the telegraf role renders with its defaults and the stack's wiring.

    ``defaults``: roles/telegraf/defaults/main.yml; ``stack``: roles/stack/defaults/main.yml.
    ``kapacitor_url`` None: the InfluxDB output only. The role reads the token and the relay password
    from a secret store ("@{secrets:...}"); the artifacts' Telegraf has neither the docker store nor
    a systemd here, so they come from the environment (INFLUX_TOKEN, KAPACITOR_PASSWORD).
    """
    v2 = {"urls": [influx_url], "token": "${INFLUX_TOKEN}", "organization": org, "bucket": bucket}
    outputs: dict[str, list] = {"influxdb_v2": [merge(v2, defaults.get("telegraf_influxdb_v2_extra") or {})]}
    if kapacitor_url is not None:
        kapacitor = {
            "urls": [kapacitor_url],
            "database": stack["tickstack_telegraf_database"],
            "retention_policy": stack["tickstack_telegraf_retention_policy"],
            "skip_database_creation": True,
        }
        if defaults.get("telegraf_kapacitor_namepass"):
            kapacitor["namepass"] = defaults["telegraf_kapacitor_namepass"]
        if kapacitor_username:
            kapacitor.update(username=kapacitor_username, password="${KAPACITOR_PASSWORD}")
        outputs["influxdb"] = [merge(kapacitor, defaults.get("telegraf_kapacitor_extra") or {})]
    base = {
        "global_tags": defaults.get("telegraf_global_tags") or {},
        "agent": dict(defaults["telegraf_agent"]),
        "outputs": outputs,
        "inputs": {"influxdb_listener": [{"service_address": listen}]},
    }
    config = merge(base, defaults.get("telegraf_config_extra") or {})
    if not config["global_tags"]:
        del config["global_tags"]
    return config


def relay_agent(template_text: str) -> dict:
    """The [agent] table of the stack role's relay template (a literal dict in the template)."""
    import jinja2  # noqa: PLC0415  # ansible-core's dependency, in the venv

    found = re.search(r"\{\{\s*(\{'agent':.*?\}\})\s*\|\s*tickstack\.influx\.to_toml\s*\}\}", template_text, re.S)
    if not found:
        raise ValueError("roles/stack/templates/kapacitor_write_relay.conf.j2: no {'agent': {...}} | to_toml found")
    return jinja2.Environment().compile_expression(found.group(1))()["agent"]


def relay_config(agent: dict, vars_: dict, *, listen: str, username: str, kapacitor_url: str,
                 kapacitor_username: str, database: str) -> dict:
    """The relay's config as roles/stack/templates/kapacitor_write_relay.conf.j2 renders it (no TLS).

    ``vars_``: roles/stack/vars/main.yml (the database and retention policy tags). Passwords come
    from the environment, as the relay's root-only environment file gives them.
    """
    db_tag, rp_tag = vars_["_stack_relay_database_tag"], vars_["_stack_relay_retention_policy_tag"]
    return {
        "agent": agent,
        "outputs": {"influxdb": [{
            "urls": [kapacitor_url], "database": database, "database_tag": db_tag, "exclude_database_tag": True,
            "retention_policy_tag": rp_tag, "exclude_retention_policy_tag": True, "skip_database_creation": True,
            "username": kapacitor_username, "password": "${TICKSTACK_RELAY_KAPACITOR_PASSWORD}",
        }]},
        "inputs": {"influxdb_listener": [{
            "service_address": listen, "basic_username": username,
            "basic_password": "${TICKSTACK_RELAY_LISTENER_PASSWORD}",
            "database_tag": db_tag, "retention_policy_tag": rp_tag,
        }]},
    }


def line_chunks(measurement: str, points: int, chunk: int, base_ns: int, series: int = SERIES) -> list[bytes]:
    """``points`` line-protocol points in chunks of ``chunk`` lines; point i is series i % series at
    base_ns + i µs, so every point is distinct (nothing is overwritten in InfluxDB)."""
    out = []
    for start in range(0, points, chunk):
        out.append("".join(f"{measurement},series=s{i % series} n={i}i {base_ns + i * 1000}\n"
                           for i in range(start, min(start + chunk, points))).encode())
    return out


Samples = list[tuple[float, int]]  # (seconds since the feed started, points the output holds)


def throughput(samples: Samples, points: int, batch: int) -> float:
    """Points/s an output stored: the points it held when it first held all but the last batch, over
    the time that took from the start of the feed. The last (partial) batch is left out because it
    waits for flush_interval, however fast the output is; an output that never gets that far is
    rated by what it held at the end, over the time it got there."""
    target = max(1, points - batch)
    for seconds, count in samples:
        if count >= target and seconds > 0:
            return count / seconds
    final = samples[-1][1] if samples else 0
    reached = next((seconds for seconds, count in samples if count >= final), 0.0)
    return final / reached if reached > 0 else 0.0


def completed(samples: Samples) -> float:
    """When the output first held what it held at the end (seconds since the feed started)."""
    final = samples[-1][1] if samples else 0
    return next((seconds for seconds, count in samples if count >= final), 0.0)


def ok_points(metrics: str) -> int:
    """Points influxd's storage engine has written (storage_writer_ok_points_sum of /metrics)."""
    found = re.findall(r"^storage_writer_ok_points_sum(?:\{[^}]*\})? ([0-9.e+]+)$", metrics, re.M)
    if not found:
        raise ValueError("influxd /metrics has no storage_writer_ok_points_sum")
    return int(sum(float(value) for value in found))


def cpu_seconds(stat: str, ticks: int = 100) -> float:
    """User + system CPU seconds from the text of /proc/<pid>/stat (fields 14 and 15)."""
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks


HOSTS = ("telegraf host", "kapacitor host")  # the CPU each modelled host gets, in this order


def placement(available: set[int], setting: str | None) -> tuple[dict[str, set[int]] | None, str]:
    """CPU affinity that models the stack's separate hosts (BENCH_INGEST_PIN), and a note saying so.

    Pinned: the Telegraf under test and influxd (the Telegraf host + the InfluxDB host) on the first
    CPU this script may use, kapacitord and the relay (the Kapacitor host) on the second, in A and B
    alike, so that A does not pay the Kapacitor host's CPU out of the Telegraf side's. ``setting``:
    "1" on, "0" off, unset/"" on when at least 2 CPUs are available.
    """
    cpus = sorted(available)
    setting = (setting or "").strip()
    if setting not in ("", "0", "1"):
        raise ValueError(f"BENCH_INGEST_PIN must be 0 or 1, not {setting!r}")
    if setting == "0":
        return None, "not pinned (BENCH_INGEST_PIN=0): every process on every CPU, A pays Kapacitor's CPU"
    if len(cpus) < 2:
        if setting == "1":
            raise ValueError(f"BENCH_INGEST_PIN=1 needs 2 CPUs, this script may use {cpus}: unset it or set 0")
        return None, f"not pinned: only CPU {cpus} available, A pays Kapacitor's CPU (BENCH_INGEST_PIN needs 2)"
    hosts = dict(zip(HOSTS, ({cpus[0]}, {cpus[1]})))
    return hosts, (f"pinned (BENCH_INGEST_PIN{'=1' if setting else ' default'}): "
                   f"CPU {cpus[0]} = Telegraf host + InfluxDB host, CPU {cpus[1]} = Kapacitor host")


def cpu_list(cpus: set[int]) -> str:
    """{0, 1, 2, 5} -> "0-2,5" (the kernel's list format)."""
    out, ordered = [], sorted(cpus)
    start = prev = None
    for cpu in ordered + [None]:
        if cpu is not None and prev is not None and cpu == prev + 1:
            prev = cpu
            continue
        if start is not None:
            out.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = cpu
    return ",".join(out)


def allowed_cpus(status_texts: list[str]) -> set[int]:
    """The CPUs any thread of a process may run on, from the texts of its /proc/<pid>/task/*/status."""
    cpus: set[int] = set()
    for text in status_texts:
        found = re.search(r"^Cpus_allowed_list:\s*(\S+)", text, re.M)
        if not found:
            raise ValueError("no Cpus_allowed_list in a /proc status text")
        for part in found.group(1).split(","):
            low, _dash, high = part.partition("-")
            cpus.update(range(int(low), int(high or low) + 1))
    return cpus


def cpu_busy(before: str, after: str) -> dict[int, float]:
    """Busy share of each CPU between two texts of /proc/stat (all processes, the other engineers' too)."""
    def per_cpu(text: str) -> dict[int, tuple[int, int]]:
        out = {}
        for line in text.splitlines():
            name, *values = line.split()
            if re.fullmatch(r"cpu[0-9]+", name):
                ticks = [int(v) for v in values]
                idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
                out[int(name[3:])] = (sum(ticks[:8]), idle)
        return out
    first, last = per_cpu(before), per_cpu(after)
    busy = {}
    for cpu, (total, idle) in last.items():
        if cpu in first:
            dt, di = total - first[cpu][0], idle - first[cpu][1]
            busy[cpu] = (dt - di) / dt if dt > 0 else 0.0
    return busy


@dataclass
class Run:
    """One run: what was fed and how each output's count grew."""

    kind: str  # "A" (InfluxDB + Kapacitor) or "B" (InfluxDB only)
    points: int
    batch: int  # metric_batch_size
    feed_seconds: float
    influx: Samples
    kapacitor: Samples | None = None
    overflow_messages: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds each process used in the run
    wall: float = 0.0  # seconds from the start of the feed until the outputs settled
    busy: dict[int, float] = field(default_factory=dict)  # each CPU's busy share in the run (/proc/stat)

    @property
    def offered_rate(self) -> float:
        return self.points / self.feed_seconds

    @property
    def influx_rate(self) -> float:
        return throughput(self.influx, self.points, self.batch)

    @property
    def kapacitor_rate(self) -> float | None:
        return None if self.kapacitor is None else throughput(self.kapacitor, self.points, self.batch)

    @property
    def influx_lost(self) -> int:
        return self.points - (self.influx[-1][1] if self.influx else 0)

    @property
    def kapacitor_lost(self) -> int | None:
        if self.kapacitor is None:
            return None
        return self.points - (self.kapacitor[-1][1] if self.kapacitor else 0)

    @property
    def drain_seconds(self) -> float:
        """After the feed, until the last output held all it would get."""
        ends = [completed(self.influx)] + ([completed(self.kapacitor)] if self.kapacitor is not None else [])
        return max(0.0, max(ends) - self.feed_seconds)


def pair_rows(label: str, runs: list[Run]) -> tuple[list[dict], float, int]:
    """Rows of one A/B comparison: rates per output, the dual/single ratio, losses; and (ratio, lost)."""
    dual = [r for r in runs if r.kind == "A"]
    single = [r for r in runs if r.kind == "B"]
    if not dual or not single:
        raise ValueError("an A/B comparison needs at least one A and one B run")

    def rates(rs: list[Run], attr: str) -> tuple[float, str]:
        values = [getattr(r, attr) for r in rs]
        return statistics.fmean(values), "runs: " + ", ".join(f"{v:.0f}" for v in values)

    a_influx, a_note = rates(dual, "influx_rate")
    a_kap, k_note = rates(dual, "kapacitor_rate")
    b_influx, b_note = rates(single, "influx_rate")
    percent = 100.0 * a_influx / b_influx if b_influx else 0.0
    lost = {"A to InfluxDB": sum(r.influx_lost for r in dual), "A to Kapacitor": sum(r.kapacitor_lost for r in dual),
            "B to InfluxDB": sum(r.influx_lost for r in single)}
    rows = [
        {"metric": f"{label}: A (InfluxDB + Kapacitor) to InfluxDB", "value": round(a_influx), "unit": "points/s",
         "note": a_note},
        {"metric": f"{label}: A (InfluxDB + Kapacitor) to Kapacitor", "value": round(a_kap), "unit": "points/s",
         "note": k_note + " (through the write relay)"},
        {"metric": f"{label}: B (InfluxDB only) to InfluxDB", "value": round(b_influx), "unit": "points/s",
         "note": b_note},
        {"metric": f"{label}: A / B to InfluxDB", "value": round(percent, 1), "unit": "%", "note": ""},
        {"metric": f"{label}: points lost", "value": sum(lost.values()), "unit": "points",
         "note": "sent - stored at each output: " + ", ".join(f"{k} {v}" for k, v in lost.items())
         + f" ({sum(r.points for r in runs)} sent in {len(runs)} runs)"},
    ]
    return rows, percent, sum(lost.values())


PROCESS_HOST = {"telegraf": HOSTS[0], "influxd": HOSTS[0], "bench": HOSTS[0],
                "kapacitord": HOSTS[1], "relay": HOSTS[1]}


def cpu_rows(runs: list[Run], cpus: dict[str, str] | None = None) -> list[dict]:
    """Where the time goes: CPU seconds per 100,000 points of each process, A and B; and each modelled
    host's CPU use in the run (its processes' CPU seconds over the run's wall time: 1.00 = one whole
    CPU) beside how busy the CPU it was pinned to was, counting every process on the machine."""
    rows = []
    for kind in ("A", "B"):
        rs = [r for r in runs if r.kind == kind]
        if not rs:
            continue
        names = sorted({name for r in rs for name in r.cpu})
        per = {name: statistics.fmean([r.cpu.get(name, 0.0) * 100000 / r.points for r in rs]) for name in names}
        rows.append({"metric": f"CPU per 100k points, {kind}", "value": round(sum(per.values()), 2), "unit": "s",
                     "note": ", ".join(f"{name} {value:.2f}" for name, value in per.items())})
        for host in HOSTS:
            members = [name for name in names if PROCESS_HOST.get(name) == host]
            if not members:
                continue
            use = {name: statistics.fmean([r.cpu.get(name, 0.0) / r.wall if r.wall else 0.0 for r in rs])
                   for name in members}
            note = ", ".join(f"{name} {value:.2f}" for name, value in use.items())
            if cpus:
                pinned = {cpus.get(name) for name in members} - {None}
                if len(pinned) == 1:
                    cpu = pinned.pop()
                    if cpu.isdigit():
                        busy = [r.busy[int(cpu)] for r in rs if int(cpu) in r.busy]
                        if busy:
                            note += f"; CPU {cpu} busy {100 * statistics.fmean(busy):.0f} % (all processes)"
            rows.append({"metric": f"CPU use, {kind}, {host}", "value": round(sum(use.values()), 2),
                         "unit": "CPUs", "note": note})
    return rows


def summary(capacity: list[Run], sustained: list[Run], rate: float, how: str, load: tuple[str, str],
            pin_note: str = "", cpus: dict[str, str] | None = None) -> list[dict]:
    """The bench rows ({section, metric, value, unit, note}): capacity (bursts), then the sustained runs.
    ``pin_note``: how the processes were placed (placement()); ``cpus``: process -> the CPUs it got."""
    burst_rows, burst_percent, _burst_lost = pair_rows("burst", capacity) if capacity else ([], 0.0, 0)
    rows = [{"metric": "CPU placement", "value": "pinned" if cpus and pin_note.startswith("pinned") else "off",
             "unit": "", "note": pin_note + ("; CPUs each process got: " + ", ".join(
                 f"{name} {cpu}" for name, cpu in cpus.items()) if cpus else "")}] if pin_note or cpus else []
    rows += [{"metric": "offered rate (sustained runs)", "value": round(rate), "unit": "points/s",
             "note": f"{how}; {sustained[0].points} points per run, A/B alternated"}]
    sustained_rows, percent, lost = pair_rows("sustained", sustained)
    overflow = sum(r.overflow_messages for r in capacity + sustained)
    met = percent >= TARGET_PERCENT and lost == 0
    rows += sustained_rows + [
        {"metric": "target: sustained A >= 90 % of B with 0 lost", "value": "met" if met else "MISSED", "unit": "",
         "note": f"{percent:.1f} %, {lost} lost"},
    ] + burst_rows + [
        {"metric": "Telegraf buffer overflow messages", "value": overflow, "unit": "count",
         "note": "'Metric buffer overflow' lines in Telegraf's logs, all runs"},
        {"metric": "drain after the feed (mean, sustained)", "value": round(statistics.fmean(r.drain_seconds for r in sustained), 1),
         "unit": "s", "note": "until every output held all it got (the last partial batch waits for flush_interval)"},
    ] + cpu_rows(sustained, cpus) + [
        {"metric": "load average", "value": load[1], "unit": "1/5/15 min", "note": f"before: {load[0]} (2 cores, shared)"},
    ]
    return [{"section": SECTION, **row} for row in rows]


def markdown(rows: list[dict]) -> str:
    """The rows as a markdown table."""
    lines = ["| metric | value | unit | note |", "|---|---:|---|---|"]
    lines += [f"| {r['metric']} | {r['value']} | {r['unit']} | {r['note']} |" for r in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# The processes
# --------------------------------------------------------------------------------------------------

def log(message: str) -> None:
    print(f"[ingest {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@contextlib.contextmanager
def spawned_on(cpus: set[int] | None):
    """Processes started inside run on ``cpus`` (None: wherever): a child inherits the affinity of the
    thread that forks it, so every thread it ever has is pinned, which setting it afterwards on a Go
    server's running threads would not guarantee."""
    if cpus is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def process_cpus(pid: int | str) -> str:
    """The CPUs the threads of a running process may use, as the kernel lists them."""
    texts = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            texts.append((task / "status").read_text())
    return cpu_list(allowed_cpus(texts))


@dataclass
class Bench:
    root: Path
    overrides: dict = field(default_factory=dict)  # BENCH_INGEST_DEFAULTS: role variables to try
    processes: list = field(default_factory=list)
    hosts: dict | None = None  # placement(): modelled host -> its CPUs, None when not pinned
    cpus: dict = field(default_factory=dict)  # process -> the CPUs it got (read from /proc)

    def host(self, name: str) -> set[int] | None:
        return None if self.hosts is None else self.hosts[name]

    def __post_init__(self):
        import yaml  # noqa: PLC0415  # the venv's

        from harness import VERSIONS, binary  # noqa: PLC0415

        self.defaults = yaml.safe_load((REPO / "roles/telegraf/defaults/main.yml").read_text())
        self.stack = yaml.safe_load((REPO / "roles/stack/defaults/main.yml").read_text())
        self.stack_vars = yaml.safe_load((REPO / "roles/stack/vars/main.yml").read_text())
        self.relay_agent = relay_agent((REPO / "roles/stack/templates/kapacitor_write_relay.conf.j2").read_text())
        self.telegraf_bin = binary("telegraf", VERSIONS["TELEGRAF_VERSION"], "telegraf")
        if self.telegraf_bin is None:
            raise SystemExit("Telegraf was not built: run `make artifacts`")
        self.versions = VERSIONS
        self.defaults = merge(self.defaults, self.overrides)
        self.agent = self.defaults["telegraf_agent"]
        self.flush = duration_seconds(self.agent.get("flush_interval", "10s")) + \
            duration_seconds(self.agent.get("flush_jitter", "0s"))

    def stop(self):
        for process in reversed(self.processes):
            try:
                process.stop()
            except OSError:
                pass
        self.processes.clear()

    def start_servers(self):
        from harness import free_port, start, start_influxdb, start_kapacitor, wait_for  # noqa: PLC0415
        from harness import http as http_call  # noqa: PLC0415

        self.http = http_call
        database, rp = self.stack["tickstack_telegraf_database"], self.stack["tickstack_telegraf_retention_policy"]
        log(f"influxd {self.versions['INFLUXDB_VERSION']}")
        with spawned_on(self.host(HOSTS[0])):
            influx = start_influxdb(self.versions["INFLUXDB_VERSION"], self.root / "influxdb", bucket=database)
        self.processes.append(influx.process)
        self.influx = influx
        status, body = influx.api("POST", "/api/v2/dbrps", body={
            "orgID": influx.org_id, "bucketID": influx.bucket_id, "database": database,
            "retention_policy": rp, "default": True})
        if status != 201:
            raise RuntimeError(f"DBRP mapping {database}/{rp}: {status} {body}")
        bucket = {"type": "buckets", "id": influx.bucket_id, "orgID": influx.org_id}
        # The stack's tokens: Telegraf writes its bucket; Kapacitor reads and writes it.
        self.telegraf_token = self.token("ingest telegraf", [{"action": "write", "resource": bucket}])
        kapacitor_token = self.token("ingest kapacitor", [{"action": a, "resource": bucket} for a in ("read", "write")])

        log(f"kapacitord {self.versions['KAPACITOR_VERSION']} (authentication on)")
        with spawned_on(self.host(HOSTS[1])):
            kapacitor = start_kapacitor(self.versions["KAPACITOR_VERSION"], self.root / "kapacitor", influx,
                                        auth={"token": kapacitor_token}, admin=KAPACITOR_ADMIN)
        self.processes.append(kapacitor.process)  # the one running with authentication on
        self.kapacitor = kapacitor
        # roles/stack/vars/main.yml: _stack_relay_kapacitor_username.
        relay_user = re.sub(r"[^-._@0-9A-Za-z]", "-", f"tickstack-{self.stack['tickstack_stack_name']}-write-relay")
        passwords = {"kapacitor": "ingest-bench-relay-kapacitor-pw", "listener": "ingest-bench-relay-listener-pw"}
        self.kapacitor_api("POST", "/users", {"name": relay_user, "password": passwords["kapacitor"], "type": "admin"})
        script = f'dbrp "{database}"."{rp}"\n\nstream\n    |from()\n        .database(\'{database}\')\n'
        self.kapacitor_api("POST", "/tasks", {"id": TASK_ID, "type": "stream", "script": script, "status": "enabled"})

        log("the write relay (Telegraf with the stack role's relay config)")
        self.relay_port = free_port()
        relay_dir = self.root / "relay"
        relay_dir.mkdir()
        config = relay_config(self.relay_agent, self.stack_vars, listen=f"127.0.0.1:{self.relay_port}",
                              username=self.stack["tickstack_kapacitor_write_relay_username"],
                              kapacitor_url=kapacitor.url, kapacitor_username=relay_user, database=database)
        self.write_config(relay_dir / "relay.conf", config)
        self.relay_password = passwords["listener"]
        with spawned_on(self.host(HOSTS[1])):
            relay = start("relay", [str(self.telegraf_bin), "--config", str(relay_dir / "relay.conf")], relay_dir,
                          env={"TICKSTACK_RELAY_LISTENER_PASSWORD": passwords["listener"],
                               "TICKSTACK_RELAY_KAPACITOR_PASSWORD": passwords["kapacitor"]})
        self.processes.append(relay)
        self.relay = relay
        wait_for(lambda: self.http("GET", f"http://127.0.0.1:{self.relay_port}/ping", timeout=2)[0] == 204,
                 "the write relay", proc=relay.proc, log=relay.log)
        for name, process in (("influxd", influx.process), ("kapacitord", kapacitor.process), ("relay", relay)):
            self.cpus[name] = process_cpus(process.proc.pid)

    def token(self, description: str, permissions: list) -> str:
        status, body = self.influx.api("POST", "/api/v2/authorizations", body={
            "orgID": self.influx.org_id, "description": description, "permissions": permissions})
        if status != 201:
            raise RuntimeError(f"token {description}: {status} {body}")
        return body["token"]

    def kapacitor_api(self, method: str, path: str, body=None):
        status, reply = self.http(method, f"{self.kapacitor.url}/kapacitor/v1{path}", body=body, basic=KAPACITOR_ADMIN)
        if status not in (200, 201, 204):
            raise RuntimeError(f"Kapacitor {method} {path}: {status} {reply}")
        return reply

    def write_config(self, path: Path, config: dict) -> None:
        from ansible_collections.tickstack.influx.plugins.filter.toml import to_toml  # noqa: PLC0415

        path.write_text(to_toml(config))
        path.chmod(0o600)

    # ---- counters -----------------------------------------------------------------------------

    def influx_count(self, measurement: str) -> int:
        query = (f'from(bucket: "{self.influx.bucket}") |> range(start: 0) '
                 f'|> filter(fn: (r) => r._measurement == "{measurement}" and r._field == "n") '
                 f'|> count() |> group() |> sum()')
        status, text = self.influx.flux(query)
        if status != 200:
            raise RuntimeError(f"InfluxDB count: {status} {text[:300]}")
        rows = [line.split(",") for line in text.splitlines() if line.strip()]
        if len(rows) < 2:
            return 0
        return int(rows[1][rows[0].index("_value")])

    def influx_written(self) -> int:
        """Points influxd has written so far (cheap: its /metrics, not a query over the data)."""
        status, text = self.http("GET", f"{self.influx.url}/metrics")
        if status != 200 or not isinstance(text, str):
            raise RuntimeError(f"InfluxDB /metrics: {status}")
        return ok_points(text)

    def kapacitor_count(self) -> int:
        """Points the stream task's from() node has taken in (all measurements: only the bench's flow)."""
        task = self.kapacitor_api("GET", f"/tasks/{TASK_ID}?dot-view=labels&script-format=raw")
        if os.environ.get("BENCH_INGEST_DEBUG"):
            log(json.dumps(task.get("stats")))
        nodes = task.get("stats", {}).get("node-stats", {})
        found = [stats for name, stats in nodes.items() if name.startswith("from")]
        if not found:
            raise RuntimeError(f"Kapacitor task {TASK_ID}: no from() node in its stats ({sorted(nodes)})")
        return int(found[0].get("collected", 0))

    def rounds(self, label: str, rounds: int, points: int, rate: float | None) -> list[Run]:
        """A B A B ...: ``rounds`` pairs, alternated so that the load of the moment hits both."""
        runs = []
        for number in range(1, rounds + 1):
            for kind in ("A", "B"):
                log(f"{label} {number}{kind}: {points} points at " + (f"{rate:.0f}/s" if rate else "full speed"))
                run = self.run(kind, f"{MEASUREMENT_PREFIX}_{label}_{number}{kind}", points, rate)
                log(f"  fed in {run.feed_seconds:.1f} s; InfluxDB {run.influx_rate:.0f}/s, lost {run.influx_lost}"
                    + (f"; Kapacitor {run.kapacitor_rate:.0f}/s, lost {run.kapacitor_lost}" if kind == "A" else "")
                    + f"; drained {run.drain_seconds:.1f} s after; overflow messages {run.overflow_messages}; "
                    + "CPU s " + ", ".join(f"{k} {v:.2f}" for k, v in run.cpu.items()))
                runs.append(run)
        return runs

    def cpu(self, telegraf) -> dict[str, float]:
        pids = {"telegraf": telegraf.proc.pid, "relay": self.relay.proc.pid, "kapacitord": self.kapacitor.process.proc.pid,
                "influxd": self.influx.process.proc.pid, "bench": "self"}  # bench: the feeder and the poller
        return {name: cpu_seconds(Path(f"/proc/{pid}/stat").read_text(), os.sysconf("SC_CLK_TCK"))
                for name, pid in pids.items()}

    # ---- one run ------------------------------------------------------------------------------

    def run(self, kind: str, measurement: str, points: int, rate: float | None) -> Run:
        """Telegraf (A: both outputs, B: InfluxDB only) fed ``points`` at ``rate``/s (None: as fast as it reads)."""
        from harness import free_port, start  # noqa: PLC0415

        run_dir = self.root / measurement
        run_dir.mkdir()
        port = free_port()
        with_kapacitor = kind == "A"
        username = self.stack["tickstack_kapacitor_write_relay_username"] if with_kapacitor else ""
        config = telegraf_config(
            self.defaults, self.stack, influx_url=self.influx.url, org=self.influx.org, bucket=self.influx.bucket,
            kapacitor_url=f"http://127.0.0.1:{self.relay_port}" if with_kapacitor else None,
            kapacitor_username=username, listen=f"127.0.0.1:{port}")
        self.write_config(run_dir / "telegraf.conf", config)
        with spawned_on(self.host(HOSTS[0])):
            telegraf = start("telegraf", [str(self.telegraf_bin), "--config", str(run_dir / "telegraf.conf")],
                             run_dir, env={"INFLUX_TOKEN": self.telegraf_token, "KAPACITOR_PASSWORD": self.relay_password})
        self.processes.append(telegraf)
        poller = None
        try:
            conn = self.connect(port, telegraf)
            self.cpus["telegraf"] = process_cpus(telegraf.proc.pid)
            chunk = 500
            chunks = line_chunks(measurement, points, chunk, base_ns=(int(time.time()) - 3600) * 10**9)
            kapacitor_before = self.kapacitor_count()
            poller = Poller(self, measurement, kapacitor_before if with_kapacitor else None)
            cpu_before = self.cpu(telegraf)
            stat_before = Path("/proc/stat").read_text()
            start_at = poller.start()
            for index, data in enumerate(chunks):
                if rate:
                    delay = start_at + index * chunk / rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                conn.request("POST", "/write?precision=ns", body=data, headers={"Content-Type": "text/plain"})
                reply = conn.getresponse()
                text = reply.read()
                if reply.status != 204:
                    raise RuntimeError(f"Telegraf's listener refused a batch: {reply.status} {text[:300]!r}")
            feed = time.monotonic() - start_at
            conn.close()
            poller.settle(points, quiet=self.flush + 5)
            poller.final()
            wall = time.monotonic() - start_at
            cpu = {name: used - cpu_before[name] for name, used in self.cpu(telegraf).items()}
            busy = cpu_busy(stat_before, Path("/proc/stat").read_text())
            overflow = telegraf.log.read_text(errors="replace").lower().count("buffer overflow")
        finally:
            if poller is not None:
                poller.done.set()
            telegraf.stop()
            self.processes.remove(telegraf)
        return Run(kind, points, int(self.agent["metric_batch_size"]), feed, poller.influx,
                   poller.kapacitor, overflow, cpu, wall, busy)

    def connect(self, port: int, telegraf) -> http.client.HTTPConnection:
        """A keep-alive connection to Telegraf's listener, once it answers /ping."""
        deadline = time.monotonic() + 60
        while True:
            if telegraf.proc.poll() is not None:
                raise RuntimeError(f"telegraf exited: {telegraf.log.read_text()[-2000:]}")
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("GET", "/ping")
                reply = conn.getresponse()
                reply.read()
                if reply.status == 204:
                    return conn
            except OSError:
                pass
            conn.close()
            if time.monotonic() > deadline:
                raise RuntimeError(f"Telegraf's listener on port {port} did not answer in 60 s")
            time.sleep(0.2)


class Poller(threading.Thread):
    """Samples the outputs' counts every 0.2 s from the start of the feed until settle() is done:
    influxd's written-points counter (its /metrics: a query over the data every 0.2 s would load
    influxd) and the stream task's counter. The points stored are counted once at the end (final())."""

    def __init__(self, bench: Bench, measurement: str, kapacitor_before: int | None):
        super().__init__(daemon=True)
        self.bench, self.measurement, self.kapacitor_before = bench, measurement, kapacitor_before
        self.influx_before = bench.influx_written()
        self.influx: Samples = []
        self.kapacitor: Samples | None = None if kapacitor_before is None else []
        self.done = threading.Event()
        self.error: Exception | None = None
        self.started_at = 0.0

    def start(self) -> float:  # type: ignore[override]
        self.started_at = time.monotonic()
        super().start()
        return self.started_at

    def run(self) -> None:
        try:
            while not self.done.is_set():
                influx = self.bench.influx_written() - self.influx_before
                kapacitor = None if self.kapacitor is None else self.bench.kapacitor_count() - self.kapacitor_before
                now = time.monotonic() - self.started_at
                self.influx.append((now, influx))
                if self.kapacitor is not None:
                    self.kapacitor.append((now, kapacitor))
                self.done.wait(0.2)
        except Exception as exc:  # noqa: BLE001  # re-raised in the main thread by settle()
            self.error = exc

    def final(self) -> None:
        """The last sample: the points of this run's measurement in the bucket, counted by a query."""
        stored = self.bench.influx_count(self.measurement)
        now = self.influx[-1][0] if self.influx else 0.0
        if self.influx and stored != self.influx[-1][1]:
            self.influx.append((now, stored))
        elif not self.influx:
            self.influx.append((now, stored))

    def settle(self, points: int, quiet: float, limit: float = 300.0) -> None:
        """Until every output holds all points, or no count moved for ``quiet`` seconds."""
        moved, last = time.monotonic(), None
        deadline = moved + limit
        try:
            while time.monotonic() < deadline:
                if self.error is not None:
                    raise RuntimeError(f"counting the points: {self.error}") from self.error
                counts = (self.influx[-1][1] if self.influx else 0,
                          None if self.kapacitor is None else (self.kapacitor[-1][1] if self.kapacitor else 0))
                if counts[0] >= points and (counts[1] is None or counts[1] >= points):
                    return
                if counts != last:
                    moved, last = time.monotonic(), counts
                elif time.monotonic() - moved > quiet:
                    return
                time.sleep(0.2)
        finally:
            self.done.set()
            self.join(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--json", action="store_true", help="a JSON list of bench rows on stdout")
    args = parser.parse_args()
    points = int(os.environ.get("BENCH_INGEST_POINTS", "200000"))
    rounds = int(os.environ.get("BENCH_INGEST_ROUNDS", "2"))
    rate_setting = os.environ.get("BENCH_INGEST_RATE", "auto")
    if points < 1000 or rounds < 1:
        raise SystemExit("BENCH_INGEST_POINTS must be >= 1000 and BENCH_INGEST_ROUNDS >= 1")
    try:
        overrides = json.loads(os.environ.get("BENCH_INGEST_DEFAULTS") or "{}")
    except ValueError as exc:
        raise SystemExit(f"BENCH_INGEST_DEFAULTS: not JSON ({exc})") from None
    if not isinstance(overrides, dict) or any(not str(key).startswith("telegraf_") for key in overrides):
        raise SystemExit('BENCH_INGEST_DEFAULTS must be a JSON object of telegraf role variables, '
                         'e.g. {"telegraf_agent": {"metric_batch_size": 5000}}')

    try:
        hosts, pin_note = placement(os.sched_getaffinity(0), os.environ.get("BENCH_INGEST_PIN"))
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    if hosts is not None:
        # The feeder (this script's main thread, and the poller thread it starts) goes with the
        # Telegraf host: it stands for that host's own inputs and does the same work in A and B, so it
        # costs both the same; on the Kapacitor host's CPU it would compete with kapacitord and the
        # relay in A only and slow A's feed, not B's.
        os.sched_setaffinity(0, hosts[HOSTS[0]])
    log(pin_note)
    root = Path(tempfile.mkdtemp(prefix="tickstack-ingest-"))
    bench = Bench(root, overrides, hosts=hosts)
    bench.cpus["bench"] = process_cpus("self")

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    load_before = load_average()
    try:
        bench.start_servers()
        # Capacity: bursts that fit in the output buffer (nothing can overflow), fed as fast as
        # Telegraf's listener takes them; how fast each output drains them is its limit here.
        burst = max(1000, int(int(bench.agent["metric_buffer_limit"]) * 0.9))
        capacity = bench.rounds("burst", rounds, burst, None)
        single = statistics.fmean(r.influx_rate for r in capacity if r.kind == "B")
        if rate_setting == "auto":
            rate, how = 0.8 * single, f"80 % of B's burst rate ({single:.0f}/s)"
        else:
            rate, how = float(rate_setting), "BENCH_INGEST_RATE"
        sustained = bench.rounds("sustained", rounds, points, rate)
        rows = summary(capacity, sustained, rate, how, (load_before, load_average()), pin_note,
                       {name: bench.cpus[name] for name in ("telegraf", "influxd", "bench", "kapacitord", "relay")
                        if name in bench.cpus})
    finally:
        bench.stop()
        if os.environ.get("BENCH_INGEST_KEEP"):
            log(f"kept {root} (BENCH_INGEST_KEEP)")
        else:
            shutil.rmtree(root, ignore_errors=True)
    agent = ", ".join(f"{k}={v}" for k, v in bench.agent.items() if k in (
        "metric_batch_size", "metric_buffer_limit", "flush_interval", "flush_jitter", "interval"))
    source = f"role defaults + BENCH_INGEST_DEFAULTS {json.dumps(overrides)}" if overrides else "role defaults"
    rows.append({"section": SECTION, "metric": f"telegraf [agent] ({source})", "value": "", "unit": "",
                 "note": agent + f"; relay (stack role): {', '.join(f'{k}={v}' for k, v in bench.relay_agent.items())}"})
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print(markdown(rows))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as interruption:
        log(f"interrupted ({str(interruption) or 'Ctrl-C'}); processes stopped, temporary directory removed")
        sys.exit(130)
    except (RuntimeError, TimeoutError, FileNotFoundError) as failure:
        log(f"failed: {failure}")
        sys.exit(1)
