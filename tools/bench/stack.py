#!/usr/bin/env python
"""The 4-host stack's converges, timed: what an operator's daily run costs, and where it goes.

Starts the standard stack (1 InfluxDB, 1 Kapacitor, 2 Telegraf hosts) in systemd containers named
``bench-*`` on the Docker network ``tickstack-bench`` (the flags of the default Molecule scenario),
converges what Molecule converges (extensions/molecule/shared/converge.yml, with the same
provisioner settings and the apt repository install), and prints rows for:

- the first and the idempotent converge (wall seconds; the idempotent one must be changed=0);
- tasks per host that report ok, changed and skipped on the idempotent run;
- the 10 slowest tasks of the idempotent run (summed over hosts) and the health check's share;
- HTTP calls per module on the idempotent run, counted by a reverse proxy in front of InfluxDB's
  and Kapacitor's APIs (one port per inventory host, so a delegated call is still its host's);
- the Ansible floor on the same containers: the same fact gathering and as many ping tasks per
  host as that host ran ok tasks, and the idempotent run as a ratio to it. The idempotent converge
  and the floor alternate for BENCH_REPEAT rounds (default 3) so that both see the machine's drift
  alike; each round is printed, the medians, and the median of the rounds' ratios;
- (section ``scale``) first and idempotent converges with N fresh, light Telegraf containers for
  each N of BENCH_TELEGRAF_SCALE, and the marginal cost per Telegraf host.

``--json`` prints the rows as a JSON list of {section, metric, value, unit, note} (what
tools/bench/bench.py reads); progress goes to stderr. ``--keep`` leaves the containers.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from statistics import median

import yaml

REPO = Path(__file__).resolve().parents[2]
NETWORK = "tickstack-bench"
LABEL = "tickstack.bench=1"
IMAGE = "tickstack/debian-systemd:bookworm"
SCENARIO_DIR = REPO / "extensions" / "molecule" / "default"
CONVERGE = REPO / "extensions" / "molecule" / "shared" / "converge.yml"
SITE = REPO / "playbooks" / "site.yml"
STANDARD = {"bench-influxdb": "influxdb", "bench-kapacitor": "kapacitor",
            "bench-telegraf1": "telegraf", "bench-telegraf2": "telegraf"}
# The default scenario's platform flags (extensions/molecule/default/molecule.yml): systemd as PID 1,
# not privileged.
RUN_FLAGS = ["--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined", "--cgroupns", "host",
             "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock"]
HEALTH_TASKS = "roles/stack/tasks/health.yml"
# Actions of this collection that never call InfluxDB's or Kapacitor's API.
NO_API = {"tickstack.influx.stack_plan": "an action plugin that computes the plan on the controller: no HTTP",
          "tickstack.influx.repo_signing_key": "reads the apt repository's key (the mirror), not an API"}
PLAYBOOK_TIMEOUT = 3600
# Rounds of idempotent converge + floor (BENCH_REPEAT; at least 1).
REPEAT = max(1, int(os.environ.get("BENCH_REPEAT", "3") or 3))


def log(message: str) -> None:
    print("[bench stack %s] %s" % (time.strftime("%H:%M:%S"), message), file=sys.stderr, flush=True)


def sh(*args: str, check: bool = True, timeout: float = 300) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise BenchError("%s failed (rc %d): %s" % (" ".join(args), proc.returncode, proc.stderr.strip()))
    return proc.stdout.strip()


class BenchError(Exception):
    pass


# --- containers -----------------------------------------------------------------------------------
def cleanup() -> None:
    ids = sh("docker", "ps", "-aq", "--filter", "label=" + LABEL).split()
    if ids:
        sh("docker", "rm", "-f", *ids, timeout=600)
    if sh("docker", "network", "ls", "-q", "--filter", "name=^%s$" % NETWORK):
        sh("docker", "network", "rm", NETWORK)


def start_containers(names: list[str], light: bool = False) -> None:
    if not sh("docker", "network", "ls", "-q", "--filter", "name=^%s$" % NETWORK):
        sh("docker", "network", "create", "--label", LABEL, NETWORK)
    extra = ["--memory", "256m"] if light else []
    for name in names:
        sh("docker", "run", "-d", "--name", name, "--hostname", name, "--label", LABEL,
           "--network", NETWORK, *RUN_FLAGS, *extra, IMAGE, "/lib/systemd/systemd")
    for name in names:
        # "running" or "degraded" (a unit of the image failed): either way systemd is up.
        sh("docker", "exec", name, "timeout", "120", "systemctl", "is-system-running", "--wait",
           check=False, timeout=180)
    # A container whose systemd exited at boot (seen once for 2 of 5 light ones, cause not found) is
    # started again once, and said, rather than failing the converge at its first task.
    for name in names:
        if sh("docker", "inspect", "-f", "{{.State.Running}}", name) != "true":
            log("%s stopped after it started (%s); starting it again" % (
                name, sh("docker", "inspect", "-f", "{{.State.Status}} exit {{.State.ExitCode}} oom {{.State.OOMKilled}}",
                         name)))
            sh("docker", "start", name)
            sh("docker", "exec", name, "timeout", "120", "systemctl", "is-system-running", "--wait",
               check=False, timeout=180)


def remove_containers(names: list[str]) -> None:
    if names:
        sh("docker", "rm", "-f", *names, timeout=600)


def container_ip(name: str) -> str:
    return sh("docker", "inspect", "-f", "{{(index .NetworkSettings.Networks \"%s\").IPAddress}}" % NETWORK, name)


# --- the counting proxy ---------------------------------------------------------------------------
class Proxy:
    """One port per (inventory host, service): each request is recorded with its arrival time."""

    def __init__(self, bind: str):
        self.bind = bind
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.servers: list[http.server.ThreadingHTTPServer] = []

    def add(self, host: str, service: str, upstream: tuple[str, int]) -> str:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):  # quiet: the bench prints its own rows
                pass

            def _forward(self):
                arrived = time.time()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection", "keep-alive", "proxy-connection")}
                status, reply, reply_headers = 502, b"bench proxy: upstream unreachable\n", []
                try:
                    conn = http.client.HTTPConnection(*upstream, timeout=120)
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    response = conn.getresponse()
                    status, reply = response.status, response.read()
                    reply_headers = [(k, v) for k, v in response.getheaders()
                                     if k.lower() not in ("transfer-encoding", "connection", "content-length")]
                    conn.close()
                except OSError:
                    pass
                with proxy.lock:
                    proxy.requests.append({
                        "time": arrived, "host": host, "service": service, "method": self.command,
                        "path": self.path, "body": hashlib.sha256(body).hexdigest(), "status": status})
                self.send_response(status)
                for key, value in reply_headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply)))
                self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _forward

        server = http.server.ThreadingHTTPServer((self.bind, 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.servers.append(server)
        return "http://%s:%d" % (self.bind, server.server_address[1])

    def since(self, start: float) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["time"] >= start]

    def close(self):
        for server in self.servers:
            server.shutdown()
            server.server_close()


# --- Ansible --------------------------------------------------------------------------------------
class Runner:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.repo_env = dict(line.removeprefix("export ").split("=", 1)
                             for line in sh(str(REPO / "tools" / "apt_repo.sh"), "env").splitlines()
                             if line.startswith("export "))
        self.mirror = sh(str(REPO / "tools" / "mirror.sh"), "url")
        self.gateway = self.mirror.split("//", 1)[1].rsplit(":", 1)[0]
        self.count = 0

    def env(self, timing: Path) -> dict:
        env = dict(os.environ)
        env.update(self.repo_env)
        cache = Path(env.get("TICKSTACK_CACHE", Path.home() / ".cache" / "tickstack"))
        collections = env.get("ANSIBLE_COLLECTIONS_PATH")
        if not collections:
            digest = hashlib.sha256(str(REPO).encode()).hexdigest()[:12]
            collections = str(cache / "collections" / digest)
            (Path(collections) / "ansible_collections" / "tickstack").mkdir(parents=True, exist_ok=True)
            link = Path(collections) / "ansible_collections" / "tickstack" / "influx"
            if not link.exists():
                link.symlink_to(REPO)
        env.setdefault("ANSIBLE_HOME", str(cache / "ansible-home"))
        env["PATH"] = "%s:%s" % (REPO / ".venv" / "bin", env.get("PATH", ""))
        env.update({
            # What .config/molecule/config.yml's provisioner sets.
            "ANSIBLE_COLLECTIONS_PATH": collections,
            "ANSIBLE_PIPELINING": "true",
            "ANSIBLE_DEPRECATION_WARNINGS": "false",
            "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
            "ANSIBLE_CALLBACK_RESULT_FORMAT": "yaml",
            "ANSIBLE_TIMEOUT": "60",
            # What Molecule itself sets for its runs.
            "ANSIBLE_HOST_KEY_CHECKING": "false",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_FORCE_COLOR": "false",
            "ANSIBLE_NOCOLOR": "true",
            "MOLECULE_SCENARIO_DIRECTORY": str(SCENARIO_DIR),
            "ANSIBLE_CALLBACK_PLUGINS": str(REPO / "tools" / "bench" / "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "bench_timing",
            "BENCH_TIMING_FILE": str(timing),
        })
        return env

    def inventory(self, hosts: dict[str, str], hostvars: dict[str, dict]) -> Path:
        groups: dict[str, dict] = {"influxdb": {"hosts": {}}, "kapacitor": {"hosts": {}}, "telegraf": {"hosts": {}}}
        for name, group in hosts.items():
            groups[group]["hosts"][name] = hostvars.get(name, {})
        fingerprint = self.repo_env["TICKSTACK_APT_REPO_FINGERPRINT"]
        repo_url = self.repo_env["TICKSTACK_APT_REPO_URL"]
        inventory = {"all": {"vars": {
            "ansible_connection": "community.docker.docker",
            "ansible_python_interpreter": "/usr/bin/python3",
            "tickstack_download_base_url": self.mirror,
            # extensions/molecule/default/molecule.yml: the roles' default install method, repo.
            "tickstack_test_install_method": "repo",
            **{"%s_repo_base_url" % role: repo_url for role in ("influxdb", "kapacitor", "telegraf")},
            **{"%s_repo_key_fingerprint" % role: fingerprint for role in ("influxdb", "kapacitor", "telegraf")},
        }, "children": groups}}
        self.count += 1
        path = self.workdir / ("inventory-%02d.yml" % self.count)
        path.write_text(yaml.safe_dump(inventory, sort_keys=False))
        return path

    def play(self, label: str, playbook: Path, inventory: Path, forks: int = 5) -> dict:
        """Run a playbook; return wall seconds, its records and recap. Fails loudly on a failed run."""
        slug = label.replace(" ", "-")
        timing = self.workdir / ("%s.json" % slug)
        logfile = self.workdir / ("%s.log" % slug)
        timing.unlink(missing_ok=True)
        log("%s: ansible-playbook -f %d %s (log %s)" % (label, forks, playbook.name, logfile))
        start = time.time()
        with logfile.open("w") as out:
            proc = subprocess.run(
                ["ansible-playbook", "-i", str(inventory), "-f", str(forks), str(playbook)],
                cwd=REPO, env=self.env(timing), stdout=out, stderr=subprocess.STDOUT,
                timeout=PLAYBOOK_TIMEOUT, check=False)
        wall = time.time() - start
        if proc.returncode != 0:
            tail = logfile.read_text(errors="replace").splitlines()[-40:]
            raise BenchError("%s failed (rc %d) after %.0f s; the end of %s:\n%s"
                             % (label, proc.returncode, wall, logfile, "\n".join(tail)))
        data = json.loads(timing.read_text()) if timing.exists() else {"records": [], "recap": {}}
        log("%s: %.1f s" % (label, wall))
        return {"wall": wall, "start": start, "records": data["records"], "recap": data["recap"]}


# --- analysis -------------------------------------------------------------------------------------
def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Rows(list):
    """The rows so far, also written to a file at every change: an interrupted run keeps its numbers."""

    def __init__(self, path: Path):
        super().__init__()
        self.path = path
        self.failures: list[str] = []

    def fail(self, section: str, metric: str, exc: Exception) -> None:
        """A FAILED row (the run goes on with the next measurement; the exit status says it failed)."""
        self.failures.append(str(exc))
        print("bench stack: %s" % exc, file=sys.stderr, flush=True)
        self.append(row(section, "FAILED: " + metric, "-", "", str(exc).splitlines()[0]))

    def append(self, item):
        super().append(item)
        self.path.write_text(json.dumps(self, indent=1))

    def extend(self, items):
        super().extend(items)
        self.path.write_text(json.dumps(self, indent=1))


def row(section: str, metric: str, value, unit: str = "", note: str = "") -> dict:
    return {"section": section, "metric": metric, "value": value, "unit": unit, "note": note}


def counts(records: list[dict]) -> dict[str, dict[str, int]]:
    per_host: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for record in records:
        per_host[record["host"]][record["status"]] += 1
    return per_host


def changed_tasks(result: dict) -> list[str]:
    return ["%s on %s (%s)" % (r["task"], r["host"], r["path"])
            for r in result["records"] if r["status"] == "changed"]


def require_idempotent(label: str, result: dict) -> None:
    changed = sum(host.get("changed", 0) for host in result["recap"].values())
    if changed:
        raise BenchError("%s: NOT IDEMPOTENT: changed=%d:\n  %s"
                         % (label, changed, "\n  ".join(changed_tasks(result)) or "(see the log)"))


def task_windows(records: list[dict]) -> list[tuple[float, float, str]]:
    """(start, end, key) per task run (all its hosts): a task of a role included twice runs twice."""
    windows: dict[str, list[float]] = {}
    for record in records:
        key = "%s\0%s\0%s" % (record.get("uuid", ""), record["path"], record["task"])
        window = windows.setdefault(key, [record["start"], record["end"]])
        window[0], window[1] = min(window[0], record["start"]), max(window[1], record["end"])
    return [(start, end, key) for key, (start, end) in windows.items()]


def health_seconds(records: list[dict]) -> float:
    return sum(end - start for start, end, key in task_windows(records) if HEALTH_TASKS in key)


def slowest(records: list[dict], top: int = 10) -> list[dict]:
    summed: dict[str, dict] = {}
    for record in records:
        key = "%s\0%s" % (record["path"], record["task"])
        entry = summed.setdefault(key, {"task": record["task"], "action": record["action"],
                                        "path": record["path"], "seconds": 0.0, "hosts": 0})
        entry["seconds"] += record["end"] - record["start"]
        entry["hosts"] += 1
    return sorted(summed.values(), key=lambda e: -e["seconds"])[:top]


def short_path(path: str) -> str:
    marker = "/influx/"
    return path.split(marker, 1)[1] if marker in path else Path(path).name


def attribute(requests: list[dict], records: list[dict]) -> tuple[dict, list[dict]]:
    """Each request to the (task, host) whose window holds it: {(action, host): [[request, ...] per task]}."""
    # A skipped task makes no call: only the tasks that ran can own one.
    by_host: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        if record["status"] != "skipped":
            by_host[record["host"]].append(record)
    calls: dict[tuple[str, str], dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    unattributed = []
    for request in requests:
        # A window that holds the request beats one that only nearly does (0.05 s of slack for the
        # callback's clock), else the next task's start takes the call of the task just before it.
        ran = by_host.get(request["host"], [])
        match = ([r for r in ran if r["start"] <= request["time"] <= r["end"]]
                 or [r for r in ran if r["start"] - 0.05 <= request["time"] <= r["end"] + 0.05])
        if not match:
            unattributed.append(request)
            continue
        record = min(match, key=lambda r: r["end"] - r["start"])
        calls[(record["action"], request["host"])][record.get("uuid") or record["path"]].append(request)
    return calls, unattributed


def http_rows(requests: list[dict], records: list[dict], proxied: set[str]) -> list[dict]:
    calls, unattributed = attribute(requests, records)
    modules: dict[str, dict[str, list[list[dict]]]] = defaultdict(dict)
    for (action, host), tasks in calls.items():
        modules[action][host] = list(tasks.values())
    rows = []
    for action in sorted(modules):
        hosts = modules[action]
        total = sum(len(task) for task_lists in hosts.values() for task in task_lists)
        runs = sum(len(task_lists) for task_lists in hosts.values())
        repeats = 0
        most = 0
        for task_lists in hosts.values():
            for task in task_lists:
                keys = [(r["method"], r["path"], r["body"]) for r in task]
                repeats += len(keys) - len(set(keys))
                most = max(most, len(keys))
        per_host = ", ".join("%s %d" % (host.removeprefix("bench-"), sum(len(t) for t in task_lists))
                             for host, task_lists in sorted(hosts.items()))
        rows.append(row("http", action, round(total / len(hosts), 1), "calls/host",
                        "%d calls in %d task runs (a loop's items are one run; max %d in one), %d exact repeats; per host: %s"
                        % (total, runs, most, repeats, per_host)))
    # Modules of this collection that ran but made no call through the proxy.
    ran = defaultdict(set)
    for record in records:
        if record["status"] in ("ok", "changed") and record["action"].startswith("tickstack.influx."):
            ran[record["action"]].add(short_path(record["path"]).split(":")[0])
    for action in sorted(set(ran) - set(modules)):
        files = ", ".join(sorted(ran[action]))
        if action.split(".")[-1].startswith("kapacitor") and any(f.startswith("roles/stack/") for f in ran[action]):
            why = ("its url is the stack role's _stack_kapacitor_loopback_url/_stack_kapacitor_api_url (role vars "
                   "and set_fact: an inventory cannot override them, and the same URL is the write relay's "
                   "data path, which must not go through the proxy)")
        elif action in NO_API:
            rows.append(row("http", action, 0, "calls/host", "%s (%s)" % (NO_API[action], files)))
            continue
        elif action.split(".")[-1].startswith("kapacitor"):
            why = "its url is the kapacitor role's _kapacitor_bootstrap_url (role vars: an inventory cannot override it)"
        else:
            why = "its url is not one of the overridden variables (%s)" % ", ".join(sorted(proxied))
        rows.append(row("http", action, "n/a", "calls/host", "not proxied (%s): %s" % (files, why)))
    rows.append(row("http", "unattributed requests", len(unattributed), "calls",
                    "proxied requests outside every task window" + (
                        ": " + ", ".join(sorted({"%s %s" % (r["method"], r["path"].split("?")[0]) for r in unattributed}))
                        if unattributed else "")))
    return rows


def floor_playbook(path: Path, ok_per_host: dict[str, int]) -> Path:
    """The same fact gathering as the converge (plays of site.yml that gather, same subset) and per host
    as many ping tasks as it ran ok tasks (hosts with fewer skip the rest: a skip costs little)."""
    plays = []
    for play in yaml.safe_load(SITE.read_text()):
        if play.get("gather_facts", True) and "hosts" in play:
            plays.append({"name": "Floor: " + play["name"], "hosts": play["hosts"], "gather_facts": True,
                          "gather_subset": play.get("gather_subset", ["all"]), "tasks": []})
    most = max(ok_per_host.values(), default=0)
    plays[-1]["hosts"] = "all"
    plays[-1]["vars"] = {"bench_floor_ok": ok_per_host}
    plays[-1]["tasks"] = [{"name": "No-op %d" % i, "ansible.builtin.ping": None,
                           "when": "bench_floor_ok[inventory_hostname] | int > %d" % i} for i in range(most)]
    path.write_text(yaml.safe_dump(plays, sort_keys=False))
    return path


# --- the sections ---------------------------------------------------------------------------------
def standard_stack(runner: Runner, proxy: Proxy, rows: Rows, measure: bool) -> dict[str, dict]:
    start_containers(list(STANDARD))
    hostvars = proxy_vars(proxy)
    inventory = runner.inventory(STANDARD, hostvars)
    first = runner.play("stack first converge", CONVERGE, inventory)
    if not measure:
        return hostvars
    load = loadavg()
    rows.append(row("stack", "first converge (4 hosts)", round(first["wall"], 1), "s",
                    "forks 5, install method repo; health check %.1f s of it; load %s" % (health_seconds(first["records"]), load)))
    idem = runner.play("stack idempotent converge", CONVERGE, inventory)
    load = loadavg()
    try:
        require_idempotent("stack idempotent converge", idem)
    except BenchError as exc:
        rows.fail("stack", "idempotent converge (4 hosts) changed", exc)
    changed = sum(host.get("changed", 0) for host in idem["recap"].values())
    rows.append(row("stack", "idempotent converge (4 hosts)", round(idem["wall"], 1), "s",
                    "changed=%d; forks 5; load %s" % (changed, load)))
    rows.append(row("stack", "health-check tasks in the idempotent run", round(health_seconds(idem["records"]), 1), "s",
                    "roles/stack/tasks/health.yml with its defaults (mostly waiting: the sample interval)"))
    per_host = counts(idem["records"])
    for host in STANDARD:
        c = per_host.get(host, {})
        recap = idem["recap"].get(host, {})
        rows.append(row("stack", "tasks on %s (idempotent)" % host, c.get("ok", 0), "ok",
                        "changed %d, skipped %d (recap: ok %d, skipped %d)"
                        % (c.get("changed", 0), c.get("skipped", 0), recap.get("ok", 0), recap.get("skipped", 0))))
    for rank, task in enumerate(slowest(idem["records"]), 1):
        rows.append(row("slowest", "%d. %s" % (rank, task["task"]), round(task["seconds"], 2), "s",
                        "%s on %d host(s), %s" % (task["action"], task["hosts"], short_path(task["path"]))))
    rows.extend(http_rows(proxy.since(idem["start"]), idem["records"],
                          {"tickstack_influxdb_api_url", "influxdb_url", "kapacitor_url"}))
    ok_per_host = {host: per_host.get(host, {}).get("ok", 0) for host in STANDARD}
    floor_book = floor_playbook(runner.workdir / "floor.yml", ok_per_host)
    # This machine's speed drifts by a third within minutes: the idempotent converge and the floor
    # alternate, REPEAT rounds, and the medians and the median of each round's ratio are printed.
    idems, floors = [idem["wall"]], []
    try:
        for rnd in range(REPEAT):
            if rnd > 0:
                again = runner.play("stack idempotent converge %d" % (rnd + 1), CONVERGE, inventory)
                require_idempotent("stack idempotent converge %d" % (rnd + 1), again)
                idems.append(again["wall"])
            floors.append(runner.play("stack floor %d" % (rnd + 1), floor_book, inventory)["wall"])
    except (BenchError, subprocess.TimeoutExpired) as exc:
        rows.fail("stack", "Ansible floor", exc)
        return hostvars
    pings = ", ".join("%s %d" % (h.removeprefix("bench-"), n) for h, n in ok_per_host.items())
    rounds = "; ".join("%.1f / %.1f" % pair for pair in zip(idems, floors))
    rows.append(row("stack", "idempotent converge, median of %d rounds" % len(idems), round(median(idems), 1), "s",
                    "idempotent / floor per round: %s" % rounds))
    rows.append(row("stack", "Ansible floor (same hosts, same gathering, pings), median", round(median(floors), 1), "s",
                    "ping tasks per host: %s; load %s" % (pings, loadavg())))
    rows.append(row("stack", "idempotent / floor (median of the rounds' ratios)",
                    round(median([i / f for i, f in zip(idems, floors)]), 2), "x", ""))
    return hostvars


def proxy_vars(proxy: Proxy) -> dict[str, dict]:
    """Host vars that send the module tasks' API calls through the proxy, one port per host.

    tickstack_influxdb_api_url is the stack role's API URL (its tasks are delegated to the API host but
    keep their host's vars); influxdb_url and kapacitor_url are the influxdb and kapacitor roles'.
    Kapacitor's and Telegraf's data paths use tickstack_influxdb_url / tickstack_kapacitor_url: untouched.
    """
    influx = (container_ip("bench-influxdb"), 8086)
    kapacitor = (container_ip("bench-kapacitor"), 9092)
    hostvars: dict[str, dict] = {}
    for host in STANDARD:
        hostvars[host] = {"tickstack_influxdb_api_url": proxy.add(host, "influxdb", influx)}
    hostvars["bench-influxdb"]["influxdb_url"] = hostvars["bench-influxdb"]["tickstack_influxdb_api_url"]
    hostvars["bench-kapacitor"]["kapacitor_url"] = proxy.add("bench-kapacitor", "kapacitor", kapacitor)
    return hostvars


def telegraf_scale(runner: Runner, hostvars: dict[str, dict], sizes: list[int], rows: Rows) -> None:
    remove_containers([h for h, g in STANDARD.items() if g == "telegraf"])
    times: dict[int, tuple[float, float]] = {}
    for size in sizes:
        names = ["bench-t%d-%02d" % (size, i) for i in range(1, size + 1)]
        start_containers(names, light=True)
        hosts = {"bench-influxdb": "influxdb", "bench-kapacitor": "kapacitor", **{n: "telegraf" for n in names}}
        keep = {h: v for h, v in hostvars.items() if h in hosts}
        inventory = runner.inventory(hosts, keep)
        forks = max(5, size + 2)
        try:
            first = runner.play("scale %d first converge" % size, CONVERGE, inventory, forks)
            load_first = loadavg()
            idem = runner.play("scale %d idempotent converge" % size, CONVERGE, inventory, forks)
            require_idempotent("scale %d idempotent converge" % size, idem)
        except (BenchError, subprocess.TimeoutExpired) as exc:
            rows.fail("scale", "N=%d" % size, exc)
            remove_containers(names)
            continue
        times[size] = (first["wall"], idem["wall"])
        note = ("%d light Telegraf containers (--memory 256m; systemd + telegraf only) + the kept InfluxDB and "
                "Kapacitor; forks %d" % (size, forks))
        rows.append(row("scale", "N=%d first converge" % size, round(first["wall"], 1), "s",
                        "%s; load %s" % (note, load_first)))
        rows.append(row("scale", "N=%d idempotent converge" % size, round(idem["wall"], 1), "s",
                        "changed=0; health check %.1f s; load %s" % (health_seconds(idem["records"]), loadavg())))
        remove_containers(names)
    if len(times) >= 2:
        small, large = sorted(times)[-2:]
        for index, what in ((0, "first"), (1, "idempotent")):
            slope = (times[large][index] - times[small][index]) / (large - small)
            rows.append(row("scale", "marginal cost per Telegraf host (%s)" % what, round(slope, 2), "s/host",
                            "slope between N=%d and N=%d" % (small, large)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--keep", action="store_true", help="leave the bench containers and network")
    parser.add_argument("--scale", default=os.environ.get("BENCH_TELEGRAF_SCALE", "1,5,20"),
                        help="Telegraf host counts (default: BENCH_TELEGRAF_SCALE or 1,5,20)")
    parser.add_argument("--sections", default=os.environ.get("BENCH_ONLY", "") or "stack,scale",
                        help="stack, scale (default: BENCH_ONLY or both)")
    args = parser.parse_args()
    sections = {s.strip() for s in args.sections.split(",") if s.strip()}
    if not sections & {"stack", "scale"}:
        log("nothing to do for sections %s" % ",".join(sorted(sections)))
        print("[]" if args.json else "")
        return 0
    try:
        sizes = sorted({int(n) for n in args.scale.split(",") if n.strip()})
    except ValueError:
        print("BENCH_TELEGRAF_SCALE=%r: give a comma list of host counts such as 1,5,20" % args.scale, file=sys.stderr)
        return 2
    if any(n < 1 for n in sizes):
        print("BENCH_TELEGRAF_SCALE=%r: every host count must be at least 1" % args.scale, file=sys.stderr)
        return 2

    cache = Path(os.environ.get("TICKSTACK_CACHE", Path.home() / ".cache" / "tickstack"))
    workdir = cache / "bench" / time.strftime("%Y%m%dT%H%M%S")
    workdir.mkdir(parents=True, exist_ok=True)
    rows = Rows(workdir / "rows.json")
    log("workdir %s (rows so far: rows.json); removing bench containers of an aborted run" % workdir)
    cleanup()
    runner = Runner(workdir)
    proxy = Proxy(runner.gateway)
    try:
        hostvars = standard_stack(runner, proxy, rows, measure="stack" in sections)
        if "scale" in sections and sizes:
            telegraf_scale(runner, hostvars, sizes, rows)
    except (BenchError, subprocess.TimeoutExpired) as exc:
        rows.fail("stack", "standard stack", exc)
    finally:
        proxy.close()
        if args.keep:
            log("--keep: leaving the bench-* containers and the %s network" % NETWORK)
        else:
            cleanup()
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            print("%-8s %-60s %10s %-10s %s" % (r["section"], r["metric"], r["value"], r["unit"], r["note"]))
    return 1 if rows.failures else 0


if __name__ == "__main__":
    sys.exit(main())
