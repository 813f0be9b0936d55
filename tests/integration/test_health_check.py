"""The health check against the real servers: kapacitor_task_stats, influxdb2_newest_point and the
health_report verdict, for every built InfluxDB (2.9.1 and 2.7.12) with kapacitord 1.8.3.

Kapacitor logs in to InfluxDB with a token of its own (read and write on the test buckets), so that
deactivating it makes the batch task's queries get 401 as a revoked token does in production.
Points for stream tasks are written to Kapacitor's write API while the sample runs (a thread), as
Telegraf's second output does.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from harness import VERSIONS
from kapacitor_support import PLAYBOOKS, bucket_with_dbrp, kapacitor_api, start_kapacitor_with_config, write_to_kapacitor

pytestmark = pytest.mark.integration

RP = "autogen"


@pytest.fixture(scope="module")
def stack(influxdb_any, tmp_path_factory):
    """Buckets tg (Telegraf's) and quiet (nobody writes it), Kapacitor with its own token."""
    influxdb = influxdb_any
    tag = "h" + influxdb.version.replace(".", "")
    tg, quiet = tag + "_tg", tag + "_quiet"
    ids = [bucket_with_dbrp(influxdb, tg, tg, RP), bucket_with_dbrp(influxdb, quiet, quiet, RP)]
    permissions = [{"action": action, "resource": {"type": "buckets", "id": bucket_id, "orgID": influxdb.org_id}}
                   for bucket_id in ids for action in ("read", "write")]
    status, auth = influxdb.api("POST", "/api/v2/authorizations", body={
        "orgID": influxdb.org_id, "description": "health-check kapacitor", "permissions": permissions})
    assert status == 201, (status, auth)
    kapacitor = start_kapacitor_with_config(VERSIONS["KAPACITOR_VERSION"], tmp_path_factory.mktemp("kap-health"),
                                            influxdb, auth={"token": auth["token"]})
    yield {"influxdb": influxdb, "kapacitor": kapacitor, "tg": tg, "quiet": quiet, "auth": auth}
    kapacitor.process.stop()


def define(kapacitor, task_id, script, db):
    status, body = kapacitor_api(kapacitor, "POST", "/tasks", body={
        "id": task_id, "script": script, "dbrps": [{"db": db, "rp": RP}], "status": "enabled"})
    assert status == 200, (status, body)
    assert body["executing"], body


class Feeder:
    """Writes a point for stream tasks to Kapacitor every 0.3 s while the playbook runs."""

    def __init__(self, kapacitor, db, measurement):
        self.kapacitor, self.db, self.measurement = kapacitor, db, measurement
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            write_to_kapacitor(self.kapacitor, self.db, RP, "%s,host=h1 v=1" % self.measurement)
            time.sleep(0.3)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def run_check(run_playbook, stack, prefix, hosts, expect_failure, check=False):
    influxdb, kapacitor = stack["influxdb"], stack["kapacitor"]
    return run_playbook(PLAYBOOKS / "health_check.yml", extra_vars={
        "kapacitor_url": kapacitor.url, "influxdb_url": influxdb.url, "influxdb_token": influxdb.token,
        "prefix": prefix, "hosts": hosts, "telegraf_db": stack["tg"], "interval": 2, "stale_after": 60,
    }, expect_failure=expect_failure, check=check)


def report_lines(proc) -> list[str]:
    """The lines of the Report task's msg (ansible-playbook prints the result as JSON)."""
    text = proc.stdout
    start = text.index("TASK [Report]")
    body = text[text.index("{", start):]
    depth = 0
    for end, char in enumerate(body):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            return json.loads(body[:end + 1])["msg"]
    raise AssertionError(text)


def test_stream_task_without_data_and_stale_host_are_named(stack, run_playbook, prefix):
    influxdb, kapacitor, tg, quiet = stack["influxdb"], stack["kapacitor"], stack["tg"], stack["quiet"]
    now = int(time.time())
    # h1 wrote just now, h2 ten minutes ago (within the lookback, but stale).
    status, body = influxdb.write_lp(tg, f"cpu,host=h1 v=1 {now - 1}\ncpu,host=h2 v=2 {now - 600}")
    assert status == 204, (status, body)
    define(kapacitor, prefix + "fed", f"stream|from().measurement('{prefix}m')|httpOut('x')", tg)
    define(kapacitor, prefix + "starved", f"stream|from().measurement('{prefix}m')|httpOut('x')", quiet)
    with Feeder(kapacitor, tg, prefix + "m"):
        proc = run_check(run_playbook, stack, prefix, ["h1", "h2", "h3"], expect_failure=True)
    lines = report_lines(proc)
    failing = [line for line in lines if line.startswith("FAIL ")]
    message = lines[-1]
    assert any(line.startswith("OK   stream task %sfed (db %s/autogen) received " % (prefix, tg)) for line in lines), lines
    assert any(("stream task %sstarved (db %s/autogen) received 0 points in 2s" % (prefix, quiet)) in line
               and "Telegraf writes no data for this db/rp to Kapacitor" in line for line in failing), lines
    assert any("Telegraf host h2: its newest point in %s/autogen is " % tg in line and "stale after 60 s" in line
               for line in failing), lines
    assert any("Telegraf host h3 wrote no point with host=h3" in line for line in failing), lines
    assert any(line.startswith("OK   Telegraf host h1: newest point") for line in lines), lines
    assert len(failing) == 3, lines
    for name in ("task %sstarved" % prefix, "host h2", "host h3"):
        assert name in message, message
    assert "task %sfed" % prefix not in message

    # The same, in check mode (read-only modules run), and healthy once the starved task goes.
    status, body = kapacitor_api(kapacitor, "DELETE", "/tasks/%sstarved" % prefix)
    assert status == 204, (status, body)
    with Feeder(kapacitor, tg, prefix + "m"):
        proc = run_check(run_playbook, stack, prefix, ["h1"], expect_failure=False, check=True)
    assert report_lines(proc)[0].startswith("PASS: 1 Kapacitor tasks, 1 Telegraf hosts"), proc.stdout
    kapacitor_api(kapacitor, "DELETE", "/tasks/%sfed" % prefix)


def test_batch_task_whose_query_gets_401_is_named(stack, run_playbook, prefix):
    influxdb, kapacitor, tg = stack["influxdb"], stack["kapacitor"], stack["tg"]
    status, body = influxdb.write_lp(tg, "cpu,host=h1 v=1 %d" % int(time.time()))
    assert status == 204, (status, body)
    define(kapacitor, prefix + "count",
           f"batch|query('SELECT count(v) FROM \"{tg}\".\"autogen\".\"cpu\"').period(1h).every(500ms)|httpOut('x')", tg)
    auth_path = "/api/v2/authorizations/%s" % stack["auth"]["id"]
    try:
        proc = run_check(run_playbook, stack, prefix, [], expect_failure=False)
        assert any(line.startswith("OK   batch task %scount" % prefix) and "without error" in line
                   for line in report_lines(proc)), proc.stdout
        status, body = influxdb.api("PATCH", auth_path, body={"status": "inactive"})
        assert status == 200, (status, body)
        proc = run_check(run_playbook, stack, prefix, [], expect_failure=True)
        lines = report_lines(proc)
        assert any(line.startswith("FAIL batch task %scount (db %s/autogen) " % (prefix, tg))
                   and "of its queries failed in 2s: InfluxDB refused Kapacitor's token" in line for line in lines), lines
        assert "task %scount" % prefix in lines[-1]
    finally:
        influxdb.api("PATCH", auth_path, body={"status": "active"})
    proc = run_check(run_playbook, stack, prefix, [], expect_failure=False)
    assert report_lines(proc)[0].startswith("PASS"), proc.stdout
    kapacitor_api(kapacitor, "DELETE", "/tasks/%scount" % prefix)


def test_newest_point_errors_are_clear(stack, run_playbook, tmp_path):
    """A bad token fails the module with a clear message; a database without mapping is a per-series error."""
    influxdb = stack["influxdb"]
    playbook = tmp_path / "newest.yml"
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Read", "tickstack.influx.influxdb2_newest_point": {
            "url": influxdb.url, "token": "{{ token }}",
            "series": [{"database": "no_such_db"}, {"database": stack["tg"], "retention_policy": RP}]},
         "register": "newest"},
        {"name": "Show", "ansible.builtin.debug": {"var": "newest"}}]}]))
    proc = run_playbook(playbook, extra_vars={"token": influxdb.token})
    assert '"error": "InfluxQL on no_such_db refused: database not found' in proc.stdout, proc.stdout
    proc = run_playbook(playbook, extra_vars={"token": "not-a-token"}, expect_failure=True)
    assert "cannot read the newest points from InfluxDB at %s" % influxdb.url in proc.stdout, proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
