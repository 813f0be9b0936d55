"""influxdb2_dbrp against the real influxd; 1.x writes go through the mappings it made."""

from __future__ import annotations

import urllib.parse

import pytest

from harness import http
from influxdb2_helpers import bucket_named, influx_vars, playbook

pytestmark = pytest.mark.integration


def v1_write(server, line, **params):
    query = urllib.parse.urlencode({**params, "precision": "s"})
    return http("POST", f"{server.url}/write?{query}", raw=line.encode(),
                headers={"Authorization": f"Token {server.token}"})


def cases_in(server, bucket):
    status, csv = server.flux(f'from(bucket: "{bucket}") |> range(start: 0) |> filter(fn: (r) => r._measurement == "dbrp")'
                              ' |> keep(columns: ["case"]) |> distinct(column: "case")')
    assert status == 200, csv
    return {line.split(",")[-1] for line in csv.replace("\r", "").splitlines()[1:] if line.strip()} - {"case", "_value"}


def test_dbrp_lifecycle_and_1x_writes(influxdb_any, prefix, run_playbook):
    server = influxdb_any
    a, b, legacy = f"{prefix}a", f"{prefix}b", f"{prefix}legacy"
    try:
        run_playbook(playbook("dbrp"), influx_vars(server, prefix))
        assert v1_write(server, "dbrp,case=weekly v=1i 1700000000", db=legacy, rp="weekly")[0] == 204
        assert v1_write(server, "dbrp,case=default v=1i 1700000000", db=legacy)[0] == 204
        assert v1_write(server, "dbrp,case=daily v=1i 1700000000", db=legacy, rp="daily")[0] == 204
        assert cases_in(server, b) == {"weekly"}
        assert cases_in(server, a) == {"default", "daily"}
        # No mapping, no write.
        status, body = v1_write(server, "dbrp,case=none v=1i 1700000000", db=legacy, rp="monthly")
        assert status == 404, (status, body)
    finally:
        status, body = server.api("GET", f"/api/v2/dbrps?orgID={server.org_id}")
        for mapping in body["content"]:
            if mapping["database"].startswith(prefix) and not mapping["virtual"]:
                server.api("DELETE", f"/api/v2/dbrps/{mapping['id']}?orgID={server.org_id}")
        for name in (a, b):
            bucket = bucket_named(server, name)
            if bucket:
                server.api("DELETE", f"/api/v2/buckets/{bucket['id']}")
