"""influxdb1_copy: the real 1.x (two databases x two RPs) into the real 2.9.1; counts equal; resumable."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from influxdb1_support import LAYOUT, drop_continuous_queries, influxdb1, playbook, read_json, source_values, target_values  # noqa: F401 pylint: disable=unused-import

from harness import VERSIONS, start_influxdb

pytestmark = pytest.mark.integration
FIELDS = {"cpu": 2, "mem": 3}  # field values a point (see influxdb1_support.seed)
RETENTION = {("telegraf", "one-week.v2"): 7 * 86400, ("app", "hot"): 2 * 86400}


def bucket_for(db: str, rp: str) -> str:
    return db if rp == "autogen" else f"{db}/{rp}"


@pytest.fixture(scope="module")
def influxdb(request, tmp_path_factory):
    """A fresh InfluxDB 2 whose setup bucket is not named like a 1.x database (telegraf is one here)."""
    server = start_influxdb(VERSIONS["INFLUXDB_VERSION"], tmp_path_factory.mktemp("influxdb2-migrate"), bucket="setup")
    request.addfinalizer(server.process.stop)
    return server


@pytest.fixture(scope="module")
def copies(influxdb, influxdb1):  # noqa: F811
    """The buckets the plan gives (same retention), in the 2.x server; the DBRPs to copy."""
    drop_continuous_queries(influxdb1)
    made = []
    for db, policies in LAYOUT.items():
        for rp, _clause, _default in policies:
            bucket = bucket_for(db, rp)
            every = RETENTION.get((db, rp), 0)
            status, body = influxdb.api("POST", "/api/v2/buckets", body={
                "orgID": influxdb.org_id, "name": bucket,
                "retentionRules": [{"type": "expire", "everySeconds": every}] if every else []})
            assert status == 201, body
            made.append({"database": db, "retention_policy": rp, "bucket": bucket, "id": body["id"]})
    return [{k: c[k] for k in ("database", "retention_policy", "bucket")} for c in made]


def run_copy(run_playbook, tmp_path, influxdb, influxdb1, copies, name, check=False, **extra):  # noqa: F811
    out = tmp_path / f"{name}.json"
    proc = run_playbook(playbook("copy"), {
        "influx1_url": influxdb1.url, "admin_password": influxdb1.admin[1], "influx_url": influxdb.url,
        "influx_token": influxdb.token, "influx_org": influxdb.org, "copies": copies, "out": str(out), **extra},
        check=check)
    assert influxdb1.admin[1] not in proc.stdout and influxdb.token not in proc.stdout
    return read_json(out)


def test_copy_resume_and_equal_counts(influxdb, influxdb1, copies, run_playbook, tmp_path):  # noqa: F811
    week = [c for c in copies if c["retention_policy"] == "one-week.v2"]

    # Interrupted: three windows of the odd-named RP, then the run stops.
    first = run_copy(run_playbook, tmp_path, influxdb, influxdb1, week, "partial", max_windows=3)
    assert first[0]["changed"] and first[0]["complete"] is False and first[0]["windows_copied"] == 3
    assert first[0]["windows_remaining"] > 0
    partial = target_values(influxdb, "telegraf/one-week.v2", "cpu") + target_values(
        influxdb, "telegraf/one-week.v2", "mem")
    assert 0 < partial < source_values(influxdb1, "telegraf", "one-week.v2", "cpu") + source_values(
        influxdb1, "telegraf", "one-week.v2", "mem")

    # Check mode says what is left and writes nothing.
    checked = run_copy(run_playbook, tmp_path, influxdb, influxdb1, week, "check", check=True)
    assert checked[0]["changed"] and checked[0]["windows_copied"] == first[0]["windows_remaining"]
    assert target_values(influxdb, "telegraf/one-week.v2", "cpu") + target_values(
        influxdb, "telegraf/one-week.v2", "mem") == partial

    # Resume, and copy everything else.
    started = time.monotonic()
    full = run_copy(run_playbook, tmp_path, influxdb, influxdb1, copies, "full")
    elapsed = time.monotonic() - started
    assert all(r["complete"] and r["windows_remaining"] == 0 for r in full)
    (resumed,) = [r for r in full if r["item"]["retention_policy"] == "one-week.v2"]
    left = {m["measurement"]: m["windows_remaining"] for m in first[0]["measurements"]}
    assert {m["measurement"]: m["windows_copied"] for m in resumed["measurements"]} == left

    compared = []
    for c in copies:
        for measurement in ("cpu", "mem"):
            points = influxdb1.counts[f"{c['database']}/{c['retention_policy']}/{measurement}"]
            old = source_values(influxdb1, c["database"], c["retention_policy"], measurement)
            new = target_values(influxdb, c["bucket"], measurement)
            assert old == new, (c, measurement, old, new)
            assert old == points * FIELDS[measurement], (c, measurement, old, points)
            compared.append(f"{c['database']}/{c['retention_policy']}/{measurement}: {points} points, {old} values")
    written = sum(r["points_written"] for r in full)
    module_seconds = sum(r["seconds"] for r in full)
    print("\ncounts equal on both sides:\n  " + "\n  ".join(compared))
    print(f"copy: {written} points in {module_seconds:.1f} s in the module ({written / module_seconds:.0f} points/s), "
          f"{elapsed:.1f} s with ansible-playbook")

    # Done: a re-run changes nothing, also from a start inside a window (Flux labels that window
    # with the range start, GROUP BY time() with its boundary: both are keyed by the boundary).
    again = run_copy(run_playbook, tmp_path, influxdb, influxdb1, copies, "again")
    assert not any(r["changed"] for r in again) and sum(r["points_written"] for r in again) == 0
    inside = datetime.fromtimestamp(time.time() // 3600 * 3600 - 2 * 3600 + 7 * 60, timezone.utc)
    again = run_copy(run_playbook, tmp_path, influxdb, influxdb1, copies, "again-start",
                     start=inside.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert not any(r["changed"] for r in again) and all(r["complete"] for r in again)


def field_type(influxdb, bucket: str, measurement: str, field: str) -> str:
    """The Flux data type of a field's values in InfluxDB 2 (from the CSV's #datatype annotation)."""
    flux = (f'from(bucket: "{bucket}") |> range(start: 0) |> filter(fn: (r) => r._measurement == "{measurement}" '
            f'and r._field == "{field}") |> last()')
    status, csv = influxdb.api("POST", f"/api/v2/query?org={influxdb.org}",
                               body={"query": flux, "type": "flux", "dialect": {"annotations": ["datatype"]}})
    assert status == 200 and isinstance(csv, str), csv
    lines = csv.replace("\r", "").splitlines()
    datatypes = next(line for line in lines if line.startswith("#datatype")).split(",")
    header = next(line for line in lines if line.startswith(",result")).split(",")
    return datatypes[header.index("_value")]


def test_types_and_tags_survive_the_copy(influxdb, influxdb1, copies, run_playbook, tmp_path):  # noqa: F811
    run_copy(run_playbook, tmp_path, influxdb, influxdb1, [c for c in copies if c["bucket"] == "app"], "types")
    assert [field_type(influxdb, "app", m, f) for m, f in (
        ("cpu", "usage"), ("cpu", "cores"), ("mem", "used"), ("mem", "ok"), ("mem", "note"))] == [
        "double", "long", "long", "boolean", "string"]
    status, csv = influxdb.flux('from(bucket: "app") |> range(start: 0) |> filter(fn: (r) => r._measurement == "cpu" '
                                'and r._field == "cores" and r.host == "h3") |> last()')
    assert status == 200 and ",4,cores,cpu,h3,eu west" in csv
