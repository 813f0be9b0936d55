"""influxdb1_subscription against the real InfluxDB 1.x: drop Kapacitor's subscription, make and change one."""

from __future__ import annotations

import pytest
from influxdb1_support import SUBSCRIPTION_PASSWORD, influxdb1, playbook, read_json  # noqa: F401 pylint: disable=unused-import

pytestmark = pytest.mark.integration


def test_subscription_lifecycle(influxdb1, run_playbook, tmp_path):  # noqa: F811
    out = tmp_path / "subscription.json"
    proc = run_playbook(playbook("subscription"), {"influx1_url": influxdb1.url, "admin_password": influxdb1.admin[1],
                                                   "sub_password": SUBSCRIPTION_PASSWORD, "out": str(out)}, diff=True)
    found = read_json(out)
    assert found["drop_check"]["changed"] is True
    assert [s["name"] for s in found["after_check"]] == ["kapacitor-test"]
    assert found["dropped"]["changed"] is True and found["dropped"]["subscription"] is None
    assert found["dropped"]["diff"]["before"]["destinations"] == ["http://kapacitor:********@127.0.0.1:9"]
    assert found["dropped_again"]["changed"] is False
    assert found["made"]["changed"] is True
    assert found["made_again"]["changed"] is False
    assert found["remade"]["changed"] is True
    assert "destinations" in found["refused"]["msg"]
    (sub,) = found["final"]
    assert (sub["database"], sub["retention_policy"], sub["name"], sub["mode"]) == (
        "telegraf", "one-week.v2", "kapacitor standby", "ANY")
    assert sorted(sub["destinations"]) == ["http://127.0.0.1:10", "http://kapacitor:********@127.0.0.1:9"]
    assert SUBSCRIPTION_PASSWORD not in out.read_text() and SUBSCRIPTION_PASSWORD not in proc.stdout
