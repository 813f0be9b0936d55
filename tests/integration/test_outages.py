"""Service outages during ingest lose no point: real influxd 2.9.1, kapacitord 1.8.3 and Telegraf.

Telegraf runs the telegraf.conf the telegraf role renders with its defaults (agent: buffer, batch and
flush settings untouched), wired as the stack role wires it: every point to InfluxDB 2 and to
Kapacitor's write API. One extra input is deterministic: an exec script that bumps a counter each
second and prints SERIES points stamped BASE + counter seconds, so the set Telegraf produced is known
exactly (SERIES x counter points, counters 1..counter) and the bucket can be checked for it.

200 series a second is what a host with 2000 series sends at the role's 10 s interval, or a host with
500 series in 4 minutes: a 60 s outage buffers about 12000 metrics per output, more than Telegraf's
own default buffer (10000) holds, which the role raises.

The point counts before and after each outage are printed (``pytest -s``) for the closing note.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness import VERSIONS, InfluxDB, Kapacitor, Process, binary, http, start, start_influxdb, start_kapacitor, wait_for
from kapacitor_support import PLAYBOOKS, kapacitor_api, make_bucket, map_dbrp, poll

pytestmark = pytest.mark.integration

OUTAGE = 60.0
SERIES = 200
MEASUREMENT = "outage_counter"
DB, RP = "telegraf", "autogen"  # the stack's tickstack_telegraf_database / _retention_policy
OUT_DB = "outage_out"  # where the stream task writes (influxDBOut), mapped to OUT_BUCKET
OUT_BUCKET = "outage-stream-out"
TASK_ID = "outage_copy"
# Telegraf flushes every 10 s (the role's flush_interval); after a restart it also has to reconnect.
SETTLE = 60.0

COUNTER_SCRIPT = """#!/bin/sh
# One tick: bump the counter, print {series} points stamped {base} + counter seconds (ns precision).
# Nothing once the test run is gone (a killed pytest leaves its servers running).
kill -0 {owner} 2>/dev/null || exit 0
dir={dir}
[ -e "$dir/paused" ] && exit 0
n=$(cat "$dir/counter" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" >"$dir/counter.tmp" && mv "$dir/counter.tmp" "$dir/counter"
ts=$(({base} + n))000000000
i=0
while [ "$i" -lt {series} ]; do
  printf '{measurement},series=s%03d n=%di %s\\n' "$i" "$n" "$ts"
  i=$((i + 1))
done
"""

STREAM_SCRIPT = f"""dbrp "{DB}"."{RP}"

stream
    |from()
        .measurement('{MEASUREMENT}')
    |influxDBOut()
        .database('{OUT_DB}')
        .retentionPolicy('autogen')
"""

_restarts = itertools.count(1)


def start_again(server: InfluxDB | Kapacitor, ready, env: dict | None = None) -> None:
    """Start a stopped server again with the same argv: same data directory, same port."""
    old = server.process
    assert old.proc.poll() is not None, f"{old.name} is still running"
    name = f"{old.name.split('.')[0]}.{next(_restarts)}"
    server.process = start(name, list(old.proc.args), server.workdir, env=env)
    wait_for(ready, name, proc=server.process.proc, log=server.process.log)


def stopper(server: InfluxDB | Kapacitor):
    """A finalizer that stops the server's process of the moment (a restart replaces it)."""

    def stop() -> None:
        server.process.stop()

    return stop


def influxd_ready(server: InfluxDB):
    return lambda: http("GET", f"{server.url}/health", timeout=2)[0] == 200


def kapacitord_ready(server: Kapacitor):
    return lambda: http("GET", f"{server.url}/kapacitor/v1/ping", timeout=2)[0] == 204


def influxd_env(server: InfluxDB) -> dict:
    return {"INFLUXD_CONFIG_PATH": str(server.workdir)}


@dataclass
class Counter:
    """The exec input's state: its counter file and a pause switch."""

    directory: Path

    def value(self) -> int:
        path = self.directory / "counter"
        return int(path.read_text()) if path.exists() else 0

    def pause(self) -> int:
        """Stop producing; returns the final counter once the tick in flight (if any) is done."""
        (self.directory / "paused").touch()
        time.sleep(1.5)
        return self.value()

    def resume(self) -> None:
        (self.directory / "paused").unlink(missing_ok=True)


@dataclass
class Stack:
    influxdb: InfluxDB
    kapacitor: Kapacitor
    telegraf: Process
    counter: Counter
    config: Path


def csv_blocks(text: str) -> dict[str, list[dict]]:
    """Rows of an annotation-free Flux CSV reply, by the ``result`` (yield) they belong to."""
    results: dict[str, list[dict]] = {}
    for block in re.split(r"\r?\n\s*\r?\n", text.strip()):
        for row in csv.DictReader(io.StringIO(block)):
            results.setdefault(row.get("result", ""), []).append(row)
    return results


def counter_stats(influxdb: InfluxDB, bucket: str, above: int = 0) -> tuple[int, int, int]:
    """(points, lowest counter, highest counter) of the counter measurement in ``bucket``, counters > above."""
    query = f"""
data = from(bucket: "{bucket}")
    |> range(start: 0, stop: 2100-01-01T00:00:00Z)
    |> filter(fn: (r) => r._measurement == "{MEASUREMENT}" and r._field == "n" and r._value > {above})
    |> group()
data |> count() |> yield(name: "count")
data |> min() |> yield(name: "min")
data |> max() |> yield(name: "max")
"""
    status, text = influxdb.flux(query)
    assert status == 200, (status, text)
    results = csv_blocks(text)

    def value(name: str) -> int:
        rows = results.get(name) or []
        return int(rows[0]["_value"]) if rows else 0

    return value("count"), value("min"), value("max")


def all_points_arrive(influxdb: InfluxDB, bucket: str, produced: int, above: int = 0) -> tuple[int, int, int]:
    """Wait for the bucket to hold every point of counters above..produced; the exact set or a failure."""
    want = (SERIES * (produced - above), above + 1, produced)

    def arrived():
        stats = counter_stats(influxdb, bucket, above)
        return stats if stats[0] >= want[0] else None

    try:
        return poll(arrived, f"{want[0]} points in {bucket}", timeout=SETTLE, interval=1.0)
    except AssertionError:
        got = counter_stats(influxdb, bucket, above)
        raise AssertionError(f"{bucket}: wanted {want} (points, min, max), found {got}") from None


def no_buffer_overflow(telegraf: Process) -> None:
    """Telegraf says "Metric buffer overflow; N metrics have been dropped" when an output's buffer is full."""
    log = telegraf.log.read_text(errors="replace")
    assert "buffer overflow" not in log.lower(), log[-3000:]


@pytest.fixture(scope="module")
def stack(request, tmp_path_factory, run_playbook) -> Stack:
    telegraf_bin = binary("telegraf", VERSIONS["TELEGRAF_VERSION"], "telegraf")
    if telegraf_bin is None:
        raise FileNotFoundError("Telegraf was not built: run `make artifacts`")
    root = tmp_path_factory.mktemp("outages")

    influxdb = start_influxdb(VERSIONS["INFLUXDB_VERSION"], root / "influxdb")
    request.addfinalizer(stopper(influxdb))
    out_bucket_id = make_bucket(influxdb, OUT_BUCKET)
    map_dbrp(influxdb, out_bucket_id, OUT_DB, "autogen")
    # Telegraf's token as the stack issues it: write on its bucket only.
    status, auth = influxdb.api("POST", "/api/v2/authorizations", body={
        "orgID": influxdb.org_id, "description": "outage telegraf",
        "permissions": [{"action": "write", "resource": {"type": "buckets", "id": influxdb.bucket_id,
                                                         "orgID": influxdb.org_id}}]})
    assert status == 201, (status, auth)

    kapacitor = start_kapacitor(VERSIONS["KAPACITOR_VERSION"], root / "kapacitor", influxdb,
                                auth={"token": influxdb.token})
    request.addfinalizer(stopper(kapacitor))
    status, body = kapacitor_api(kapacitor, "POST", "/tasks", body={
        "id": TASK_ID, "type": "stream", "script": STREAM_SCRIPT,
        "status": "enabled"})
    assert status == 200, (status, body)

    counter = Counter(root / "counter")
    counter.directory.mkdir()
    script = counter.directory / "tick.sh"
    # An hour back, so that no point is ever in the future of a range() that stops at now.
    base = int(time.time()) - 3600
    script.write_text(COUNTER_SCRIPT.format(dir=counter.directory, base=base, series=SERIES, measurement=MEASUREMENT,
                                            owner=os.getpid()))

    config = root / "telegraf.conf"
    run_playbook(PLAYBOOKS / "outage_telegraf_conf.yml", extra_vars={
        "dest": str(config), "telegraf_bin": str(telegraf_bin), "influx_url": influxdb.url,
        "influx_org": influxdb.org, "influx_bucket": influxdb.bucket, "kapacitor_url": kapacitor.url,
        "telegraf_database": DB, "telegraf_retention_policy": RP, "counter_command": f"/bin/sh {script}"})
    agent = config.read_text().split("[agent]", 1)[1].split("\n\n", 1)[0]
    print(f"\n[outage] telegraf agent settings (role defaults):{agent}")

    telegraf = start("telegraf", [str(telegraf_bin), "--config", str(config)], root,
                     env={"INFLUX_TOKEN": auth["token"]})
    request.addfinalizer(telegraf.stop)
    poll(lambda: telegraf.proc.poll() is not None or counter_stats(influxdb, influxdb.bucket)[0] > 0,
         "Telegraf's first points in InfluxDB", timeout=SETTLE)
    assert telegraf.proc.poll() is None, telegraf.log.read_text()[-3000:]
    return Stack(influxdb, kapacitor, telegraf, counter, config)


def test_influxd_down_for_60s_loses_no_point(stack):
    influxdb, counter = stack.influxdb, stack.counter
    counter.resume()
    before = counter_stats(influxdb, influxdb.bucket)
    influxdb.process.stop()
    at_stop = counter.value()
    time.sleep(OUTAGE)
    at_start = counter.value()
    start_again(influxdb, influxd_ready(influxdb), env=influxd_env(influxdb))
    produced = counter.pause()

    after = all_points_arrive(influxdb, influxdb.bucket, produced)
    print(f"\n[outage] influxd down {OUTAGE:.0f}s: bucket {influxdb.bucket} held {before[0]} points before; "
          f"{SERIES * (at_start - at_stop)} produced while down; Telegraf produced {SERIES * produced} in all, "
          f"bucket has {after[0]} (counters {after[1]}..{after[2]})")
    assert after == (SERIES * produced, 1, produced)
    no_buffer_overflow(stack.telegraf)


def test_kapacitord_down_for_60s_stream_resumes_and_influxdb_output_unaffected(stack):
    influxdb, kapacitor, counter = stack.influxdb, stack.kapacitor, stack.counter
    counter.resume()
    # The stream task's output is flowing again before the outage starts.
    since = counter.value()
    poll(lambda: counter_stats(influxdb, OUT_BUCKET, since)[0] > 0, "the stream task's output", timeout=SETTLE)
    # What the stream task wrote while influxd was down (the test before) is Kapacitor's to lose:
    # influxDBOut does not keep a failed write. Reported, not asserted.
    earlier = counter_stats(influxdb, OUT_BUCKET)[0] - counter_stats(influxdb, OUT_BUCKET, since)[0]
    print(f"\n[outage] stream task output of the points sent during the influxd test: {earlier} of "
          f"{SERIES * since} in {OUT_BUCKET}")
    before = counter_stats(influxdb, influxdb.bucket)
    out_before = counter_stats(influxdb, OUT_BUCKET, since)

    kapacitor.process.stop()
    stopped, at_stop = time.monotonic(), counter.value()
    # Telegraf keeps writing to InfluxDB while its Kapacitor output fails.
    poll(lambda: counter_stats(influxdb, influxdb.bucket)[2] > at_stop, "InfluxDB writes during the Kapacitor outage",
         timeout=OUTAGE / 2)
    time.sleep(max(0.0, OUTAGE - (time.monotonic() - stopped)))
    at_start = counter.value()
    start_again(kapacitor, kapacitord_ready(kapacitor))

    # The task is enabled again from Kapacitor's store and writes what arrives after the restart.
    poll(lambda: counter_stats(influxdb, OUT_BUCKET, at_start)[0] > 0, "the stream task's output after the restart",
         timeout=SETTLE)
    status, task = kapacitor_api(kapacitor, "GET", f"/tasks/{TASK_ID}")
    assert status == 200 and task["executing"], (status, task)
    produced = counter.pause()

    after = all_points_arrive(influxdb, influxdb.bucket, produced)
    # Telegraf kept what Kapacitor missed and Kapacitor flushed its own buffer when stopped: the
    # stream's output lost nothing either.
    out_after = all_points_arrive(influxdb, OUT_BUCKET, produced, above=since)
    print(f"[outage] kapacitord down {OUTAGE:.0f}s: bucket {influxdb.bucket} held {before[0]} points before, "
          f"{after[0]} after = all {SERIES * produced} Telegraf produced; stream output ({OUT_BUCKET}, counters "
          f"> {since}): {out_before[0]} before the stop, {out_after[0]} after of {SERIES * (produced - since)} "
          f"sent (counters {out_after[1]}..{out_after[2]}; {SERIES * (at_start - at_stop)} were sent while down)")
    assert after == (SERIES * produced, 1, produced)
    assert out_after == (SERIES * (produced - since), since + 1, produced)
    no_buffer_overflow(stack.telegraf)


class RestartingProxy:
    """A TCP proxy in front of influxd that counts connections (the modules open one per request).

    At connection ``restart_at`` it stops influxd before forwarding, so that request meets a stopped
    server, and starts it again (same data, same port) in the background ``down_for`` seconds later.
    """

    def __init__(self, influxdb: InfluxDB, down_for: float = 0.0):
        self.influxdb = influxdb
        self.down_for = down_for
        self.upstream = ("127.0.0.1", int(influxdb.url.rsplit(":", 1)[1]))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.connections = 0
        self.restart_at: int | None = None
        self.restart: threading.Thread | None = None
        self.restart_error: BaseException | None = None
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client = self.listener.accept()[0]
            except OSError:
                return
            self.connections += 1
            if self.connections == self.restart_at:
                self.influxdb.process.stop()
                self.restart = threading.Thread(target=self._start_again, daemon=True)
                self.restart.start()
            threading.Thread(target=self._forward, args=(client,), daemon=True).start()

    def _start_again(self) -> None:
        time.sleep(self.down_for)
        try:
            start_again(self.influxdb, influxd_ready(self.influxdb), env=influxd_env(self.influxdb))
        except BaseException as e:  # reported by the test, not lost in a thread
            self.restart_error = e

    def _forward(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=30)
        except OSError:
            client.close()  # what a client sees from a stopped server behind a proxy
            return
        for src, dst in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            for sock in (src, dst):
                sock.close()


CONVERGE_TASKS = ["Bucket telegraf", "Bucket alerts", "Bucket downsampled", "DBRP telegraf/autogen",
                  "DBRP telegraf/downsampled", "DBRP alerts/autogen", "Token telegraf",
                  "Report a failure to issue the telegraf token", "Token kapacitor",
                  "Report a failure to issue the kapacitor token"]


def task_outcomes(output: str) -> dict[str, str]:
    """Task name -> ok / changed / skipping / fatal, from the default callback's output."""
    outcomes: dict[str, str] = {}
    task = None
    for line in output.splitlines():
        if match := re.match(r"TASK \[(.+?)\] \*+", line):
            task = match.group(1)
        elif task and (match := re.match(r"(ok|changed|skipping|fatal|failed): \[localhost\]", line)):
            outcomes.setdefault(task, match.group(1))
    return outcomes


def needed_changes(influxdb: InfluxDB, prefix: str) -> dict[str, str]:
    """What a run must report per task, from what is on the server now (one object per task)."""
    org = influxdb.org_id
    names = {b["id"]: b["name"] for b in influxdb.api("GET", f"/api/v2/buckets?orgID={org}&limit=100")[1]["buckets"]}
    buckets = set(names.values())
    mapped = {(d["database"], d["retention_policy"], names.get(d["bucketID"]))
              for d in influxdb.api("GET", f"/api/v2/dbrps?orgID={org}")[1]["content"] if not d.get("virtual")}
    tokens = [a["description"] for a in influxdb.api("GET", f"/api/v2/authorizations?orgID={org}")[1]["authorizations"]]
    for description in (f"{prefix}telegraf", f"{prefix}kapacitor"):
        assert tokens.count(description) <= 1, f"duplicate tokens {description!r}"
    present = {
        "Bucket telegraf": f"{prefix}telegraf" in buckets,
        "Bucket alerts": f"{prefix}alerts" in buckets,
        "Bucket downsampled": f"{prefix}telegraf/downsampled" in buckets,
        "DBRP telegraf/autogen": (f"{prefix}telegraf", "autogen", f"{prefix}telegraf") in mapped,
        "DBRP telegraf/downsampled": (f"{prefix}telegraf", "downsampled", f"{prefix}telegraf/downsampled") in mapped,
        "DBRP alerts/autogen": (f"{prefix}alerts", "autogen", f"{prefix}alerts") in mapped,
        "Token telegraf": f"{prefix}telegraf" in tokens,
        "Token kapacitor": f"{prefix}kapacitor" in tokens,
    }
    return {task: "skipping" if task.startswith("Report") else "ok" if present[task] else "changed"
            for task in CONVERGE_TASKS}


def converge(run_playbook, proxy: RestartingProxy, name_prefix: str, expect_failure: bool = False):
    influxdb = proxy.influxdb
    extra = {"influx_url": proxy.url, "influx_token": influxdb.token, "influx_org": influxdb.org,
             "prefix": name_prefix}
    return run_playbook(PLAYBOOKS / "outage_converge.yml", extra, expect_failure=expect_failure)


@pytest.fixture(scope="module")
def converge_requests(stack, run_playbook) -> int:
    """How many requests a first converge makes, counted on other names through a proxy that restarts nothing."""
    proxy = RestartingProxy(stack.influxdb)
    try:
        converge(run_playbook, proxy, f"count{time.time_ns()}-")
        return proxy.connections
    finally:
        proxy.close()


# Down briefly (the modules' retries may ride it out) and for longer than their retries last.
@pytest.mark.parametrize("down_for", [0.0, 10.0], ids=["restart", "down-10s"])
def test_influxd_restarted_mid_converge_fails_clearly_and_the_next_run_converges(stack, run_playbook, prefix,
                                                                                 converge_requests, down_for):
    influxdb = stack.influxdb
    requests = converge_requests
    proxy = RestartingProxy(influxdb, down_for)
    proxy.restart_at = requests // 2
    try:
        # Either outcome is right: the run fails with one clear message, or it rides out the restart.
        try:
            interrupted = converge(run_playbook, proxy, prefix, expect_failure=True)
        except AssertionError as recovered:  # it passed: every task succeeded (none ignores errors)
            interrupted, output = None, str(recovered)
        assert proxy.restart is not None, f"only {proxy.connections} requests, no restart"
        proxy.restart.join(60)
        assert proxy.restart_error is None, proxy.restart_error
        if interrupted is None:
            result = "recovered by retrying"
        else:
            output = interrupted.stdout + interrupted.stderr
            failed = [task for task, outcome in task_outcomes(output).items() if outcome in ("fatal", "failed")]
            assert len(failed) == 1, output
            message = next(line for line in output.splitlines() if line.startswith(("fatal:", "failed:")))
            # One message that names the request that failed: method and URL (the modules' typed errors).
            assert '"msg"' in message and proxy.url in message, message
            result = f"failed clearly at '{failed[0]}': {message[:300]}"
        assert "Traceback" not in output and "MODULE FAILURE" not in output, output
        print(f"\n[outage] influxd stopped at request {proxy.restart_at} of {requests} of a converge, "
              f"started {down_for:.0f}s later: {result}")

        needed = needed_changes(influxdb, prefix)
        second = converge(run_playbook, proxy, prefix)
        assert task_outcomes(second.stdout) == needed, second.stdout
        print(f"[outage] next converge changed only {[t for t, o in needed.items() if o == 'changed']}")
        third = converge(run_playbook, proxy, prefix)
        assert set(task_outcomes(third.stdout).values()) <= {"ok", "skipping"}, third.stdout
        assert needed_changes(influxdb, prefix) == {t: "skipping" if t.startswith("Report") else "ok"
                                                    for t in CONVERGE_TASKS}
    finally:
        proxy.close()
