"""Each real binary from `make artifacts` starts on loopback and does its basic job."""

from __future__ import annotations

import subprocess

import pytest

from harness import (VERSIONS, binary, http, kapacitor_config, free_port, start_influxdb,
                     start_kapacitor)
from conftest import INFLUXDB_VERSIONS

pytestmark = pytest.mark.smoke


@pytest.mark.parametrize("version", INFLUXDB_VERSIONS)
def test_influxd_health_and_onboarding(version, tmp_path):
    server = start_influxdb(version, tmp_path, onboard=False)
    try:
        status, health = http("GET", f"{server.url}/health")
        assert status == 200 and health["status"] == "pass"
        assert health["version"] == f"v{version}"
        status, setup = http("GET", f"{server.url}/api/v2/setup")
        assert status == 200 and setup["allowed"] is True
        server.onboard()
        status, setup = http("GET", f"{server.url}/api/v2/setup")
        assert setup["allowed"] is False
        status, buckets = server.api("GET", "/api/v2/buckets?name=telegraf")
        assert status == 200 and [b["name"] for b in buckets["buckets"]] == ["telegraf"]
        # A write and a read through the operator token.
        assert server.write_lp("telegraf", "smoke,host=a value=1i 1700000000")[0] == 204
        status, csv = server.flux('from(bucket:"telegraf") |> range(start: 0) |> filter(fn: (r) => r._measurement == "smoke")')
        assert status == 200 and ",1," in csv.replace("\r", "")
    finally:
        server.process.stop()


def test_influx_cli_talks_to_influxd(influxdb):
    influx = binary("influx-cli", VERSIONS["INFLUX_CLI_VERSION"], "influx")
    out = subprocess.run([str(influx), "bucket", "list", "--host", influxdb.url, "--token", influxdb.token,
                          "--org", influxdb.org, "--json"], capture_output=True, text=True, check=True)
    assert '"name": "telegraf"' in out.stdout


def test_kapacitord_with_influxdb2(influxdb, tmp_path):
    kapacitord = binary("kapacitor", VERSIONS["KAPACITOR_VERSION"], "kapacitord")
    version = subprocess.run([str(kapacitord), "version"], capture_output=True, text=True, check=True).stdout
    assert f"Kapacitor OSS version {VERSIONS['KAPACITOR_VERSION']} " in version
    conf = tmp_path / "check.conf"
    conf.write_text(kapacitor_config(tmp_path, free_port(), influxdb, {"token": influxdb.token}))
    check = subprocess.run([str(kapacitord), "config", "-config", str(conf)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    assert "disable-subscriptions = true" in check.stdout
    server = start_kapacitor(VERSIONS["KAPACITOR_VERSION"], tmp_path / "run", influxdb, auth={"token": influxdb.token})
    try:
        assert http("GET", f"{server.url}/kapacitor/v1/ping")[0] == 204
    finally:
        server.process.stop()


def test_kapacitord_config_check_rejects_garbage(tmp_path):
    kapacitord = binary("kapacitor", VERSIONS["KAPACITOR_VERSION"], "kapacitord")
    conf = tmp_path / "bad.conf"
    conf.write_text("[[influxdb]]\n  urls = not-a-list\n")
    check = subprocess.run([str(kapacitord), "config", "-config", str(conf)], capture_output=True, text=True, check=False)
    assert check.returncode != 0


TELEGRAF_CONF = """
[agent]
  interval = "10s"
  omit_hostname = false
[[inputs.cpu]]
[[inputs.mem]]
[[outputs.influxdb_v2]]
  urls = ["http://127.0.0.1:8086"]
  token = "${INFLUX_TOKEN}"
  organization = "tickstack"
  bucket = "telegraf"
[[outputs.influxdb]]
  urls = ["http://127.0.0.1:9092"]
  database = "telegraf"
  retention_policy = "autogen"
  skip_database_creation = true
"""


def test_telegraf_config_check(tmp_path):
    telegraf = binary("telegraf", VERSIONS["TELEGRAF_VERSION"], "telegraf")
    version = subprocess.run([str(telegraf), "--version"], capture_output=True, text=True, check=True).stdout
    assert f"Telegraf {VERSIONS['TELEGRAF_VERSION']}" in version
    good = tmp_path / "telegraf.conf"
    good.write_text(TELEGRAF_CONF)
    check = subprocess.run([str(telegraf), "config", "check", "--config", str(good)], capture_output=True,
                           text=True, env={"INFLUX_TOKEN": "x", "PATH": "/usr/bin:/bin"}, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    bad = tmp_path / "bad.conf"
    bad.write_text(TELEGRAF_CONF + "\n[[outputs.nonexistent]]\n")
    check = subprocess.run([str(telegraf), "config", "check", "--config", str(bad)], capture_output=True, text=True, check=False)
    assert check.returncode != 0
