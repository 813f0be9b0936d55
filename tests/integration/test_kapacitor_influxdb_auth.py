"""Which of Kapacitor's ways to authenticate to InfluxDB 2 work, against the real servers.

For each built InfluxDB (2.9.1, and 2.7.12 when built) kapacitord 1.8.3 is started once per way of
authenticating, with a batch task that reads a DBRP-mapped bucket through the 1.x ``/query`` API
(``httpOut`` shows what it read) and writes the result back through ``influxDBOut`` to another
DBRP-mapped bucket (read back with Flux). A wrong password is the control that shows the check
can fail. Run with ``-s`` to see the table of results.
"""

from __future__ import annotations

import pytest

from harness import VERSIONS
from kapacitor_support import (
    bucket_with_dbrp,
    create_v1_auth,
    dump,
    flux_rows,
    kapacitor_api,
    poll,
    start_kapacitor_with_config,
    task_stats,
)

pytestmark = pytest.mark.integration

V1_USER = "kapacitor-v1"
V1_PASSWORD = "kapacitor-v1-password"

BATCH = """batch
    |query('SELECT mean("load") AS load FROM "{src}"."autogen"."sys"')
        .period(1h)
        .every(1s)
    |httpOut('read')
    |influxDBOut()
        .database('{dst}')
        .retentionPolicy('autogen')
        .measurement('{measurement}')
"""

RESULTS: dict[str, dict] = {}


@pytest.fixture(scope="module")
def auth_setup(influxdb_any):
    """Source and destination buckets with DBRP mappings, a few points, and a v1 authorization."""
    src = bucket_with_dbrp(influxdb_any, "kap-auth-src", "kap_auth_src", "autogen")
    dst = bucket_with_dbrp(influxdb_any, "kap-auth-dst", "kap_auth_dst", "autogen")
    status, body = influxdb_any.write_lp("kap-auth-src", "sys,host=a load=1.5\nsys,host=b load=2.5")
    assert status == 204, (status, body)
    create_v1_auth(influxdb_any, V1_USER, V1_PASSWORD, [src, dst])
    return influxdb_any


def methods(influxdb):
    return {
        "token": ({"token": influxdb.token}, True),
        "username+token-as-password": ({"username": influxdb.username, "password": influxdb.token}, True),
        # InfluxDB 2 looks the username up as a v1 authorization and, finding none, takes the password
        # as a token: the username is not checked at all.
        "any-username+token-as-password": ({"username": "not-a-user", "password": influxdb.token}, True),
        "v1-authorization": ({"username": V1_USER, "password": V1_PASSWORD}, True),
        "control:wrong-password": ({"username": V1_USER, "password": "not-the-password"}, False),
    }


@pytest.mark.parametrize("method", ["token", "username+token-as-password", "any-username+token-as-password",
                                    "v1-authorization", "control:wrong-password"])
def test_batch_task_reads_and_writes_back(auth_setup, method, tmp_path):
    influxdb = auth_setup
    auth, expected = methods(influxdb)[method]
    kapacitor = start_kapacitor_with_config(VERSIONS["KAPACITOR_VERSION"], tmp_path / "kapacitor", influxdb, auth=auth)
    outcome = {"influxdb": influxdb.version, "kapacitor": kapacitor.version, "auth keys": sorted(auth),
               "kapacitord started": True}
    try:
        measurement = "copied_" + method.replace("+", "_").replace("-", "_").replace(":", "_")
        script = BATCH.format(src="kap_auth_src", dst="kap_auth_dst", measurement=measurement)
        status, body = kapacitor_api(kapacitor, "POST", "/tasks", body={
            "id": "auth", "script": script, "dbrps": [{"db": "kap_auth_src", "rp": "autogen"}],
            "status": "enabled"})
        assert status == 200, (status, body)

        def read_back():
            status, body = kapacitor_api(kapacitor, "GET", "/tasks/auth/read")
            series = (body or {}).get("series") if status == 200 else None
            return series

        def written():
            return flux_rows(influxdb, "kap-auth-dst", measurement)

        if expected:
            series = poll(read_back, f"{method}: a query result in httpOut", timeout=30)
            rows = poll(written, f"{method}: the result written back to InfluxDB", timeout=30)
            outcome["query read"] = series[0]["values"][0][1] == 2.0
            outcome["influxDBOut wrote"] = float(rows[0]["_value"]) == 2.0
        else:
            # Give the task the same time the working ways needed, then check nothing arrived.
            with pytest.raises(AssertionError):
                poll(read_back, "control read", timeout=8)
            outcome["query read"] = False
            outcome["influxDBOut wrote"] = bool(written())
        stats = task_stats(kapacitor, "auth")["stats"]["node-stats"]
        outcome["node stats"] = {node: {k: v for k, v in values.items()
                                        if k in ("batches_queried", "points_queried", "points_written",
                                                 "write_errors", "errors")}
                                 for node, values in stats.items() if node.startswith(("query", "influxdb_out"))}
        log = kapacitor.process.log.read_text()
        outcome["401 from InfluxDB in kapacitord log"] = 'err="invalid response: code 401"' in log
    finally:
        kapacitor.process.stop()
        RESULTS[f"InfluxDB {influxdb.version} / {method}"] = outcome
        print(f"\n[kapacitor->influxdb auth] {influxdb.version} {method}: {dump(outcome)}")

    assert outcome["query read"] is expected and outcome["influxDBOut wrote"] is expected, dump(outcome)
    assert outcome["401 from InfluxDB in kapacitord log"] is (not expected), dump(outcome)
