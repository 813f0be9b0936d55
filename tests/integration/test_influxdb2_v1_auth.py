"""influxdb2_v1_auth against the real influxd; the username it made is tried on the 1.x API here."""

from __future__ import annotations

import urllib.parse

import pytest

from harness import http
from influxdb2_helpers import bucket_named, influx_vars, playbook

pytestmark = pytest.mark.integration

PASSWORD = "first-Passw0rd!"
NEW_PASSWORD = "second-Passw0rd!"


def v1_write(server, db, credentials):
    query = urllib.parse.urlencode({"db": db, "precision": "s"})
    status, body = http("POST", f"{server.url}/write?{query}", raw=b"v1scope,case=w value=2i 1700000100",
                        basic=credentials)
    return status


def v1_query(server, db, credentials):
    """(status, the series' rows) of a 1.x InfluxQL query."""
    query = urllib.parse.urlencode({"db": db, "q": 'SELECT "value" FROM "v1scope"'})
    status, body = http("GET", f"{server.url}/query?{query}", basic=credentials)
    rows = []
    if status == 200 and isinstance(body, dict):
        for result in body.get("results") or []:
            for series in result.get("series") or []:
                rows.extend(series.get("values") or [])
    return status, rows


def test_v1_auth_lifecycle_and_scoping(influxdb_any, prefix, run_playbook):
    server = influxdb_any
    a, b = f"{prefix}a", f"{prefix}b"
    username = f"{prefix}v1"
    try:
        run_playbook(playbook("v1_auth"),
                     influx_vars(server, prefix, v1_password=PASSWORD, v1_password_new=NEW_PASSWORD))
        assert server.write_lp(a, "v1scope,case=seed value=1i 1700000000")[0] == 204
        assert server.write_lp(b, "v1scope,case=seed value=1i 1700000000")[0] == 204
        good = (username, NEW_PASSWORD)

        # Reads A, not B; writes B, not A.
        status, rows = v1_query(server, a, good)
        assert status == 200 and len(rows) == 1
        status, rows = v1_query(server, b, good)
        assert rows == []
        assert v1_write(server, b, good) == 204
        assert v1_write(server, a, good) in (401, 403, 404)
        status, csv = server.flux(f'from(bucket: "{b}") |> range(start: 0) |> filter(fn: (r) => r.case == "w")')
        assert status == 200 and ",2," in csv.replace("\r", "")

        # The old password no longer works; neither does the deleted username.
        assert v1_query(server, a, (username, PASSWORD))[0] == 401
        assert v1_query(server, a, (f"{username}-tmp", PASSWORD))[0] == 401
    finally:
        status, body = server.api("GET", "/private/legacy/authorizations")
        for auth in body["authorizations"]:
            if auth["token"].startswith(prefix):
                server.api("DELETE", f"/private/legacy/authorizations/{auth['id']}")
        for name in (a, b):
            bucket = bucket_named(server, name)
            if bucket:
                server.api("DELETE", f"/api/v2/buckets/{bucket['id']}")
