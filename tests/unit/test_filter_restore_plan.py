"""restore_plan: what playbooks/restore.yml restores, from the verify results, the host's markers and whether
its InfluxDB is onboarded; every refusal comes before anything changes."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

import collection_path  # noqa: F401 pylint: disable=unused-import  # the collection on sys.path

from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.tickstack.influx.plugins.filter.restore_plan import restore_plan  # noqa: E402

TOKEN = "operator-token-0123456789"
SETS = {"influxdb": "/srv/b/influxdb-20261201T031500Z", "kapacitor": "/srv/b/kapacitor-20261201T034500Z/"}


def ok(service, **manifest):
    body = {"format": 1, "service": service, "files": {"x": {}}, **manifest}
    return {"item": {"key": service, "value": SETS[service]}, "rc": 0, "stdout": json.dumps(body), "stderr": ""}


def verified():
    return [ok("influxdb", operator_token_sha256=hashlib.sha256(TOKEN.encode()).hexdigest()), ok("kapacitor")]


def marker(service, content=None):
    if content is None:
        return {"item": service, "failed": True, "msg": "file not found"}
    return {"item": service, "content": base64.b64encode(content.encode()).decode()}


def test_a_fresh_host_gets_both():
    plan = restore_plan(SETS, verified(), [marker("influxdb"), marker("kapacitor")], operator_token=TOKEN)
    assert plan["errors"] == []
    assert plan["pending"] == {"influxdb": "influxdb-20261201T031500Z", "kapacitor": "kapacitor-20261201T034500Z"}
    assert plan["manifests"]["kapacitor"]["service"] == "kapacitor"


def test_a_second_run_restores_nothing():
    markers = [marker("influxdb", "influxdb-20261201T031500Z\n"), marker("kapacitor", "kapacitor-20261201T034500Z")]
    # The host is onboarded now (by the restore itself): that is no refusal when the marker names this backup.
    plan = restore_plan(SETS, verified(), markers, onboarded=True, operator_token=TOKEN)
    assert plan == {"pending": {}, "manifests": plan["manifests"], "errors": []}


def test_a_corrupt_backup_is_refused_with_the_scripts_message():
    results = verified()
    results[1] = {"item": {"key": "kapacitor", "value": SETS["kapacitor"]}, "rc": 1, "stdout": "",
                  "stderr": "tickstack-backup: /srv/b/kapacitor-x: kapacitor.db does not match its sha256 in the manifest (corrupt)\n"}
    plan = restore_plan(SETS, results, [], operator_token=TOKEN)
    assert plan["pending"] == {}
    assert plan["errors"] == [f"tickstack_restore_kapacitor_backup={SETS['kapacitor']} cannot be restored: "
                              "/srv/b/kapacitor-x: kapacitor.db does not match its sha256 in the manifest (corrupt)"]


def test_another_operator_token_is_refused():
    plan = restore_plan({"influxdb": SETS["influxdb"]}, verified()[:1], [], operator_token="another-token")
    assert plan["pending"] == {}
    assert "taken with another operator token than influxdb_operator_token" in plan["errors"][0]
    assert "another-token" not in plan["errors"][0]


def test_a_host_that_is_not_fresh_is_refused_unless_forced():
    plan = restore_plan(SETS, verified(), [marker("kapacitor", "kapacitor-20261101T034500Z")], onboarded=True,
                        operator_token=TOKEN)
    assert plan["pending"] == {}
    assert plan["errors"] == [
        "not a fresh host: its InfluxDB is onboarded already (a full restore replaces everything it holds); "
        "kapacitor was restored from kapacitor-20261101T034500Z already. Set tickstack_restore_force=true to "
        "replace it anyway"]
    forced = restore_plan(SETS, verified(), [marker("kapacitor", "kapacitor-20261101T034500Z")], onboarded=True,
                          force=True, operator_token=TOKEN)
    assert forced["errors"] == [] and set(forced["pending"]) == {"influxdb", "kapacitor"}


def test_a_verify_that_printed_nothing_is_an_error():
    results = [{"item": {"key": "kapacitor", "value": SETS["kapacitor"]}, "rc": 0, "stdout": "", "stderr": ""}]
    plan = restore_plan({"kapacitor": SETS["kapacitor"]}, results, [])
    assert plan["errors"] == [f"tickstack_restore_kapacitor_backup={SETS['kapacitor']}: the verify printed no manifest ()"]


@pytest.mark.parametrize("sets, results, message", [
    ({}, [], "sets must map influxdb and/or kapacitor"),
    ({"telegraf": "/x"}, [], "sets must map influxdb and/or kapacitor"),
    (SETS, "nope", "verified must be the results of the verify loop"),
    ({"kapacitor": "/x"}, verified()[:1], "a verify result for 'influxdb', which is not being restored"),
])
def test_bad_input(sets, results, message):
    with pytest.raises(AnsibleFilterError, match=message):
        restore_plan(sets, results, [])
