"""The real InfluxDB 1.x from `make artifacts` (the migration's source) starts with authentication on."""

from __future__ import annotations

import subprocess
import time
import urllib.request

import pytest

from harness import VERSIONS, http, influxdb1_binary, start_influxdb1

pytestmark = pytest.mark.smoke
VERSION = VERSIONS["INFLUXDB1_VERSION"]


def test_influxdb1_binaries_report_the_pinned_version():
    for name in ("influxd", "influx", "influx_inspect"):
        assert influxdb1_binary(VERSION, name).exists()
    out = subprocess.run([str(influxdb1_binary(VERSION, "influxd")), "version"], capture_output=True, text=True,
                         check=True).stdout
    assert out.startswith(f"InfluxDB {VERSION} ")


def test_influxd1_auth_write_and_query(tmp_path):
    server = start_influxdb1(VERSION, tmp_path)
    try:
        with urllib.request.urlopen(f"{server.url}/ping", timeout=5) as resp:
            assert resp.headers["X-Influxdb-Version"] == VERSION
        # Authentication is on: no credentials, or wrong ones, are refused.
        assert http("POST", f"{server.url}/query?q=SHOW+DATABASES")[0] == 401
        assert server.query("SHOW DATABASES", auth=("admin", "wrong"))[0] == 401
        server.ok('CREATE DATABASE "smoke"')
        server.ok('CREATE RETENTION POLICY "one-week.v2" ON "smoke" DURATION 7d REPLICATION 1')
        assert server.write("smoke", "cpu,host=a value=1i 1700000000\ncpu,host=b value=2i 1700000001")[0] == 204
        # A point older than an RP's duration is refused: this one is recent.
        assert server.write("smoke", f"cpu,host=a value=3i {int(time.time())}", rp="one-week.v2")[0] == 204
        result = server.ok('SELECT count("value") FROM "smoke"."autogen"."cpu"')
        assert result["series"][0]["values"][0][1] == 2
        result = server.ok('SELECT count("value") FROM "smoke"."one-week.v2"."cpu"')
        assert result["series"][0]["values"][0][1] == 1
        users = server.ok("SHOW USERS")["series"][0]
        assert users["columns"] == ["user", "admin"] and users["values"] == [["admin", True]]
    finally:
        server.process.stop()
