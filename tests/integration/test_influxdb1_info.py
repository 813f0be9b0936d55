"""influxdb1_info against the real InfluxDB 1.x, seeded like a production server."""

from __future__ import annotations

import pytest
from influxdb1_support import SUBSCRIPTION_PASSWORD, USERS, influxdb1, playbook, read_json  # noqa: F401 pylint: disable=unused-import

pytestmark = pytest.mark.integration


def test_info_reads_the_server(influxdb1, run_playbook, tmp_path):  # noqa: F811
    out = tmp_path / "info.json"
    proc = run_playbook(playbook("info"), {"influx1_url": influxdb1.url, "admin_password": influxdb1.admin[1],
                                           "grafana_password": USERS["grafana"], "out": str(out)})
    found = read_json(out)
    everything = found["everything"]
    assert everything["version"] == influxdb1.version
    databases = {d["name"]: d for d in everything["databases"]}
    assert sorted(databases) == ["app", "telegraf"]
    assert databases["telegraf"]["default_retention_policy"] == "autogen"
    assert databases["app"]["default_retention_policy"] == "hot"
    policies = {(p["database"], p["name"]): p for p in everything["retention_policies"]}
    week = policies[("telegraf", "one-week.v2")]
    assert (week["duration_seconds"], week["shard_group_duration_seconds"], week["replication"], week["default"]) == (
        604800, 86400, 1, False)
    hot = policies[("app", "hot")]
    assert (hot["duration"], hot["duration_seconds"], hot["shard_group_duration_seconds"], hot["default"]) == (
        "48h0m0s", 172800, 3600, True)
    assert policies[("telegraf", "autogen")]["duration_seconds"] == 0
    users = {u["name"]: u for u in everything["users"]}
    assert users["admin"]["admin"] is True
    assert users["grafana"] == {"name": "grafana", "admin": False,
                                "privileges": [{"database": "telegraf", "privilege": "read"}]}
    assert users["writer"]["privileges"] == [{"database": "app", "privilege": "all"},
                                             {"database": "telegraf", "privilege": "write"}]
    (cq,) = everything["continuous_queries"]
    assert cq["database"] == "telegraf" and cq["name"] == "cpu_5m" and "INTO" in cq["query"]
    (sub,) = everything["subscriptions"]
    assert (sub["database"], sub["retention_policy"], sub["name"], sub["mode"]) == (
        "telegraf", "autogen", "kapacitor-test", "ANY")
    assert sub["destinations"] == ["http://kapacitor:********@127.0.0.1:9"]
    # Neither a password nor the subscription's secret reaches the output or the log.
    for secret in (influxdb1.admin[1], USERS["grafana"], SUBSCRIPTION_PASSWORD):
        assert secret not in out.read_text() and secret not in proc.stdout
    app_users = {u["name"]: u["privileges"] for u in found["app"]["users"]}
    assert app_users["writer"] == [{"database": "app", "privilege": "all"}]
