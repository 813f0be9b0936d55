"""influxdb2_bucket against the real influxd: lifecycle and bad input in the playbook, state checked here."""

from __future__ import annotations

import pytest

from influxdb2_helpers import bucket_named, influx_vars, playbook

pytestmark = pytest.mark.integration


def test_bucket_lifecycle(influxdb_any, prefix, run_playbook):
    run_playbook(playbook("bucket"), influx_vars(influxdb_any, prefix))
    assert bucket_named(influxdb_any, f"{prefix}bucket") is None


def test_bucket_retention_as_stored_by_the_server(influxdb, prefix, run_playbook, tmp_path):
    name = f"{prefix}kept"
    book = tmp_path / "bucket.yml"
    book.write_text(f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - tickstack.influx.influxdb2_bucket:
        url: "{{{{ influx_url }}}}"
        token: "{{{{ influx_token }}}}"
        org: "{{{{ influx_org }}}}"
        name: {name}
        retention: 2w
        shard_group_duration: 2d
        description: kept
""")
    run_playbook(book, influx_vars(influxdb, prefix))
    stored = bucket_named(influxdb, name)
    assert stored["description"] == "kept"
    assert stored["retentionRules"] == [{"type": "expire", "everySeconds": 14 * 86400,
                                         "shardGroupDurationSeconds": 2 * 86400}]
    assert influxdb.api("DELETE", f"/api/v2/buckets/{stored['id']}")[0] == 204
