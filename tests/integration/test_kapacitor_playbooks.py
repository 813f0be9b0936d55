"""The kapacitor_* modules in playbooks against kapacitord 1.8.3 wired to InfluxDB 2.9.1.

Stream tasks get their points from Kapacitor's own write API; batch tasks query InfluxDB through the
1.x API and a DBRP mapping; both write back with influxDBOut to database my-db, retention policy
my-rp, which InfluxDB maps to a bucket: the tests read that bucket back with Flux.
"""

from __future__ import annotations

import re
import time

import pytest

from harness import VERSIONS, free_port, http
from kapacitor_support import (
    PLAYBOOKS,
    bucket_with_dbrp,
    flux_rows,
    kapacitor_api,
    make_bucket,
    make_tls_files,
    map_dbrp,
    poll,
    start_kapacitor_with_config,
    write_to_kapacitor,
)

pytestmark = pytest.mark.integration

DB, RP = "my-db", "my-rp"
BATCH_SRC_DB = "kap_batch_src"


def bucket_for(influxdb, database, retention_policy, new_bucket):
    """The bucket mapped to database/retention_policy; map ``new_bucket`` when nothing is mapped yet."""
    status, body = influxdb.api("GET", f"/api/v2/dbrps?orgID={influxdb.org_id}&db={database}&rp={retention_policy}")
    assert status == 200, (status, body)
    if body.get("content"):
        status, bucket = influxdb.api("GET", f"/api/v2/buckets/{body['content'][0]['bucketID']}")
        assert status == 200, (status, bucket)
        return bucket["name"]
    map_dbrp(influxdb, make_bucket(influxdb, new_bucket), database, retention_policy)
    return new_bucket


@pytest.fixture(scope="module")
def my_bucket(influxdb):
    return bucket_for(influxdb, DB, RP, "kapacitor-my-db")


@pytest.fixture(scope="module")
def batch_src_bucket(influxdb):
    bucket_with_dbrp(influxdb, "kapacitor-batch-src", BATCH_SRC_DB, "autogen")
    return "kapacitor-batch-src"


def recap_changed(output: str) -> int:
    match = re.search(r"localhost\s+:\s+ok=\d+\s+changed=(\d+)", output)
    assert match, output
    return int(match.group(1))


def test_task_lifecycle_and_stream_through_dbrp(kapacitor, influxdb, my_bucket, prefix, run_playbook):
    run_playbook(PLAYBOOKS / "kapacitor_task_lifecycle.yml", diff=True, extra_vars={
        "kapacitor_url": kapacitor.url, "influxdb_url": influxdb.url, "influxdb_token": influxdb.token,
        "prefix": prefix, "db": DB, "rp": RP})

    # The first script's output and, after the update, the reloaded task's, in the mapped bucket.
    first = flux_rows(influxdb, my_bucket, f"{prefix}cpu_v1")
    second = flux_rows(influxdb, my_bucket, f"{prefix}cpu_v2")
    assert [(r["host"], r["_field"], float(r["_value"])) for r in first] == [("a", "usage", 1.0)]
    assert [(r["host"], r["_field"], float(r["_value"])) for r in second] == [("b", "usage", 2.0)]
    assert kapacitor_api(kapacitor, "GET", f"/tasks/{prefix}lifecycle")[0] == 404


def test_stream_points_written_to_kapacitor_land_in_the_mapped_bucket(kapacitor, influxdb, my_bucket, prefix,
                                                                      run_playbook, tmp_path):
    playbook = tmp_path / "stream.yml"
    playbook.write_text(f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - tickstack.influx.kapacitor_task:
        url: {kapacitor.url}
        id: {prefix}stream
        script: |
          dbrp "telegraf"."autogen"
          stream
              |from()
                  .measurement('{prefix}mem')
                  .where(lambda: "used" > 50)
              |eval(lambda: "used" * 2.0)
                  .as('double')
              |influxDBOut()
                  .database('{DB}')
                  .retentionPolicy('{RP}')
                  .measurement('{prefix}mem_high')
                  .flushInterval(200ms)
""")
    run_playbook(playbook)
    try:
        write_to_kapacitor(kapacitor, "telegraf", "autogen",
                           f"{prefix}mem,host=a used=40\n{prefix}mem,host=b used=60\n{prefix}mem,host=c used=75")
        rows = poll(lambda: len(flux_rows(influxdb, my_bucket, f"{prefix}mem_high")) == 2
                    and flux_rows(influxdb, my_bucket, f"{prefix}mem_high"), "the stream task's output", timeout=30)
        assert sorted((r["host"], r["_field"], float(r["_value"])) for r in rows) == [
            ("b", "double", 120.0), ("c", "double", 150.0)]
        stats = kapacitor_api(kapacitor, "GET", f"/tasks/{prefix}stream")[1]["stats"]["node-stats"]
        (out,) = [values for node, values in stats.items() if node.startswith("influxdb_out")]
        assert (out["points_written"], out["write_errors"]) == (2, 0)
    finally:
        kapacitor_api(kapacitor, "DELETE", f"/tasks/{prefix}stream")


def test_batch_task_queries_through_dbrp_and_writes_back(kapacitor, influxdb, my_bucket, batch_src_bucket, prefix,
                                                         run_playbook):
    now = int(time.time())
    lines = [f"{prefix}sys,host=a load=1 {now - 30}", f"{prefix}sys,host=a load=3 {now - 20}",
             f"{prefix}sys,host=b load=10 {now - 10}"]
    status, body = influxdb.write_lp(batch_src_bucket, "\n".join(lines))
    assert status == 204, (status, body)
    try:
        run_playbook(PLAYBOOKS / "kapacitor_batch.yml", extra_vars={
            "kapacitor_url": kapacitor.url, "prefix": prefix, "src_db": BATCH_SRC_DB, "db": DB, "rp": RP})

        def both_hosts():
            rows = flux_rows(influxdb, my_bucket, f"{prefix}sys_mean")
            return rows if {r["host"] for r in rows} == {"a", "b"} else None

        rows = poll(both_hosts, "the batch task's result in the mapped bucket", timeout=30)
        means = {(r["host"], float(r["_value"])) for r in rows}
        assert ("a", 2.0) in means and ("b", 10.0) in means
    finally:
        kapacitor_api(kapacitor, "DELETE", f"/tasks/{prefix}batch")


def test_template_task_and_topic_handler(kapacitor, prefix, run_playbook, tmp_path):
    log_path = tmp_path / "alerts.log"
    extra = {"kapacitor_url": kapacitor.url, "prefix": prefix, "log_path": str(log_path)}
    try:
        first = run_playbook(PLAYBOOKS / "kapacitor_template_handler.yml", extra_vars=extra)
        assert recap_changed(first.stdout) == 3
        second = run_playbook(PLAYBOOKS / "kapacitor_template_handler.yml", extra_vars=extra)
        assert recap_changed(second.stdout) == 0, second.stdout

        write_to_kapacitor(kapacitor, "telegraf", "autogen",
                           f"{prefix}temp,host=h1 value=20\n{prefix}temp,host=h2 value=95")
        text = poll(lambda: log_path.exists() and log_path.read_text(), "an alert in the handler's log", timeout=30)
        assert '"level":"CRITICAL"' in text and "h2" in text and "h1" not in text
    finally:
        kapacitor_api(kapacitor, "DELETE", f"/tasks/{prefix}hot")
        kapacitor_api(kapacitor, "DELETE", f"/templates/{prefix}threshold")
        kapacitor_api(kapacitor, "DELETE", f"/alerts/topics/{prefix}alerts/handlers/log-critical")


def test_failures_are_clear_and_leave_nothing_behind(kapacitor, prefix, run_playbook):
    unreachable = f"http://127.0.0.1:{free_port()}"
    run_playbook(PLAYBOOKS / "kapacitor_errors.yml", extra_vars={
        "kapacitor_url": kapacitor.url, "prefix": prefix, "unreachable_url": unreachable})
    status, body = kapacitor_api(kapacitor, "GET", f"/tasks?pattern={prefix}*")
    assert status == 200 and body["tasks"] == []


def test_kapacitor_with_http_auth(influxdb, prefix, run_playbook, tmp_path):
    """[http] auth-enabled: a user made while auth is off, then credentials from KAPACITOR_* variables."""
    workdir = tmp_path / "kapacitor-auth"
    auth_section = '[auth]\n  enabled = true\n  bcrypt-cost = 4\n  cache-expiration = "10m"\n'
    version = VERSIONS["KAPACITOR_VERSION"]
    bootstrap = start_kapacitor_with_config(version, workdir, influxdb, auth={"token": influxdb.token},
                                            extra=auth_section)
    try:
        status, body = kapacitor_api(bootstrap, "POST", "/users",
                                     body={"name": "ops", "password": "ops-password-1", "type": "admin"})
        assert status == 200, (status, body)
    finally:
        bootstrap.process.stop()

    server = start_kapacitor_with_config(version, workdir, influxdb, auth={"token": influxdb.token},
                                         extra=auth_section, http_auth=True, basic=("ops", "ops-password-1"))
    try:
        assert http("GET", server.url + "/kapacitor/v1/tasks")[0] == 401
        result = run_playbook(PLAYBOOKS / "kapacitor_http_auth.yml", extra_vars={"prefix": prefix}, verbosity=3,
                              env={"KAPACITOR_URL": server.url, "KAPACITOR_USERNAME": "ops",
                                   "KAPACITOR_PASSWORD": "ops-password-1"})
        assert "ops-password-1" not in result.stdout + result.stderr
    finally:
        server.process.stop()


def test_kapacitor_over_tls(prefix, run_playbook, tmp_path):
    """https with a private CA: ca_path verifies it, validate_certs=false and KAPACITOR_UNSAFE_SSL skip it."""
    tls = make_tls_files(tmp_path / "tls")
    server = start_kapacitor_with_config(VERSIONS["KAPACITOR_VERSION"], tmp_path / "kapacitor-tls", None,
                                         tls=(tls["cert"], tls["key"]))
    try:
        run_playbook(PLAYBOOKS / "kapacitor_tls.yml", extra_vars={"kapacitor_url": server.url,
                                                                  "ca_path": str(tls["ca"])})
    finally:
        server.process.stop()
