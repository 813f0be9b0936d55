"""influxdb2_setup against fresh influxd instances."""

from __future__ import annotations

import pytest

from harness import OPERATOR_TOKEN
from influxdb2_helpers import influx_vars, playbook

pytestmark = pytest.mark.integration


def test_setup_with_a_given_token(influxdb_blank, prefix, run_playbook):
    server = influxdb_blank
    server.token = f"{OPERATOR_TOKEN}-{prefix}"
    run_playbook(playbook("setup"), influx_vars(server, prefix))
    status, body = server.api("GET", "/api/v2/buckets?name=telegraf")
    assert status == 200
    assert body["buckets"][0]["retentionRules"][0]["everySeconds"] == 30 * 86400


def test_setup_generates_a_token(influxdb_blank, prefix, run_playbook, tmp_path):
    server = influxdb_blank
    run_playbook(playbook("setup_generated"), {**influx_vars(server, prefix), "out_dir": str(tmp_path)})
    token = (tmp_path / "operator").read_text()
    status, body = server.api("GET", "/api/v2/orgs", token=token)
    assert status == 200 and [o["name"] for o in body["orgs"]] == [server.org]
