"""influxdb2_org against the real influxd."""

from __future__ import annotations

import pytest

from influxdb2_helpers import influx_vars, playbook

pytestmark = pytest.mark.integration


def test_org_lifecycle(influxdb_any, prefix, run_playbook):
    run_playbook(playbook("org"), influx_vars(influxdb_any, prefix))
    status, _unused = influxdb_any.api("GET", f"/api/v2/orgs?org={prefix}org")
    assert status == 404
