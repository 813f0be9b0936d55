"""influxdb2_info and the failure messages of the influxdb2 modules against the real influxd."""

from __future__ import annotations

import pytest

from harness import free_port
from influxdb2_helpers import influx_vars, playbook

pytestmark = pytest.mark.integration


def test_info_reads_everything_and_no_secret(influxdb_any, prefix, run_playbook):
    run_playbook(playbook("info"), influx_vars(influxdb_any, prefix))


def test_failure_messages(influxdb, prefix, run_playbook):
    status, limited = influxdb.api("POST", "/api/v2/authorizations", body={
        "orgID": influxdb.org_id, "description": f"{prefix}limited",
        "permissions": [{"action": "read", "resource": {"type": "orgs", "id": influxdb.org_id}}]})
    assert status == 201, limited
    try:
        run_playbook(playbook("errors"), influx_vars(
            influxdb, prefix, dead_url=f"http://127.0.0.1:{free_port()}", limited_token=limited["token"],
            missing_org_id="0123456789abcdef"))
    finally:
        influxdb.api("DELETE", f"/api/v2/authorizations/{limited['id']}")
