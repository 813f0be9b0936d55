"""Helpers for the Kapacitor integration tests: InfluxDB 2 objects by raw API, Kapacitor calls, polling.

Buckets, DBRP mappings and v1 authorizations are made with raw calls so that these tests depend on
nothing but the servers and the kapacitor_* modules under test.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

from harness import InfluxDB, Kapacitor, free_port, http, kapacitor_config, start, wait_for, binary

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"


def make_bucket(influxdb: InfluxDB, name: str) -> str:
    status, body = influxdb.api("POST", "/api/v2/buckets",
                                body={"orgID": influxdb.org_id, "name": name, "retentionRules": []})
    assert status == 201, (status, body)
    return body["id"]


def map_dbrp(influxdb: InfluxDB, bucket_id: str, database: str, retention_policy: str):
    status, body = influxdb.api("POST", "/api/v2/dbrps", body={
        "orgID": influxdb.org_id, "bucketID": bucket_id, "database": database,
        "retention_policy": retention_policy, "default": True})
    assert status == 201, (status, body)
    return body


def bucket_with_dbrp(influxdb: InfluxDB, name: str, database: str, retention_policy: str) -> str:
    bucket_id = make_bucket(influxdb, name)
    map_dbrp(influxdb, bucket_id, database, retention_policy)
    return bucket_id


def create_v1_auth(influxdb: InfluxDB, username: str, password: str, bucket_ids: list[str]) -> dict:
    """A v1 (legacy) authorization with read and write on the buckets, and its password."""
    permissions = [{"action": action, "resource": {"type": "buckets", "id": bucket_id, "orgID": influxdb.org_id}}
                   for bucket_id in bucket_ids for action in ("read", "write")]
    status, auth = influxdb.api("POST", "/private/legacy/authorizations", body={
        "orgID": influxdb.org_id, "token": username, "description": "kapacitor", "permissions": permissions})
    assert status == 201, (status, auth)
    status, body = influxdb.api("POST", f"/private/legacy/authorizations/{auth['id']}/password",
                                body={"password": password})
    assert status == 204, (status, body)
    return auth


def flux_rows(influxdb: InfluxDB, bucket: str, measurement: str, start: str = "-1h") -> list[dict]:
    query = (f'from(bucket: "{bucket}") |> range(start: {start}) '
             f'|> filter(fn: (r) => r._measurement == "{measurement}")')
    status, text = influxdb.flux(query)
    assert status == 200, (status, text)
    rows = []
    for line in csv.DictReader(io.StringIO("\n".join(line for line in text.splitlines() if line.strip()))):
        if line.get("_measurement") == measurement:
            rows.append(line)
    return rows


def poll(check, what: str, timeout: float = 30.0, interval: float = 0.5):
    """Call ``check`` until it returns something truthy; return that, or fail saying ``what``."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what} did not happen within {timeout}s (last: {last!r})")


def kapacitor_api(kapacitor: Kapacitor, method: str, path: str, body=None, basic=None, raw=None,
                  headers=None):
    return http(method, kapacitor.url + "/kapacitor/v1" + path, body=body, basic=basic, raw=raw,
                headers=headers)


def write_to_kapacitor(kapacitor: Kapacitor, db: str, rp: str, lines: str, basic=None):
    """Points for stream tasks go to Kapacitor itself: InfluxDB 2 has no subscriptions."""
    status, body = kapacitor_api(kapacitor, "POST", f"/write?db={db}&rp={rp}&precision=s", raw=lines.encode(),
                                 basic=basic, headers={"Content-Type": "text/plain"})
    assert status == 204, (status, body)


def task_stats(kapacitor: Kapacitor, task_id: str, basic=None) -> dict:
    status, task = kapacitor_api(kapacitor, "GET", f"/tasks/{task_id}", basic=basic)
    assert status == 200, (status, task)
    return task


def start_kapacitor_with_config(version: str, workdir: Path, influxdb: InfluxDB | None, auth: dict | None = None,
                                extra: str = "", http_auth: bool = False,
                                basic: tuple[str, str] | None = None) -> Kapacitor:
    """Like harness.start_kapacitor, with extra config text and optionally ``[http] auth-enabled``.

    With ``http_auth`` the ping needs credentials too, so readiness is checked with ``basic``.
    """
    kapacitord = binary("kapacitor", version, "kapacitord")
    if kapacitord is None:
        raise FileNotFoundError(f"Kapacitor {version} was not built: run `make artifacts`")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = workdir / "kapacitor.conf"
    text = kapacitor_config(workdir, port, influxdb, auth)
    if http_auth:
        text = text.replace("[http]\n", "[http]\n  auth-enabled = true\n", 1)
    config.write_text(text + extra)
    proc = start("kapacitord", [str(kapacitord), "-config", str(config)], workdir)
    server = Kapacitor(version=version, url=f"http://127.0.0.1:{port}", process=proc, workdir=workdir,
                       config=config, influxdb=influxdb)
    wait_for(lambda: http("GET", f"{server.url}/kapacitor/v1/ping", timeout=2, basic=basic)[0] == 204,
             f"kapacitord {version}", proc=proc.proc, log=proc.log)
    return server


def dump(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)
