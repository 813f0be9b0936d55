"""Unit tests of the stack role's token bookkeeping filters (roles/stack/tasks/token.yml)."""

from __future__ import annotations

import pytest

import collection_path  # noqa: E402,F401 pylint: disable=unused-import  # the collection on sys.path

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.tickstack.influx.plugins.filter.stack_tokens import (  # noqa: E402
    STAND_IN, stack_token_entries, stack_token_files, stack_token_values)

KAP, TEL = "kapacitor-token-value-0123456789", "telegraf-token-value-0123456789"
ROOT_DIR = {"mode": "0755", "uid": 0, "gid": 0}


def copy(value=None, mode="0600", uid=0, directory=None):
    """What influxdb2_token_probe reports of one copy."""
    return {"exists": value is not None, "accepted": value is not None, "value": value,
            "mode": mode if value is not None else None, "uid": uid if value is not None else None,
            "gid": 0 if value is not None else None, "directory": directory or ROOT_DIR}


def test_values_prefer_the_new_token_then_the_copy_then_the_stand_in():
    probe = {"copies": {"kapacitor": copy(KAP), "telegraf": copy()}}
    issued = {"results": [{"item": "kapacitor", "token_available": False},
                          {"item": "telegraf", "token_available": True, "token": TEL}]}
    assert stack_token_values(issued, probe, ["kapacitor", "telegraf"]) == {"kapacitor": KAP, "telegraf": TEL}
    # Check mode without an API: nothing issued, no copy.
    assert stack_token_values({"skipped": True}, {"copies": {"telegraf": copy()}}, ["telegraf"]) == {
        "telegraf": STAND_IN}
    with pytest.raises(AnsibleFilterError, match="influxdb2_token_probe"):
        stack_token_values({}, {"copies": ["nope"]}, ["telegraf"])


def test_files_are_root_only_secrets_after_their_directory_and_skip_the_stand_in():
    paths = {"kapacitor": "/etc/kapacitor/.influxdb-token", "telegraf": "/etc/telegraf/.influxdb-token"}
    files = stack_token_files({"kapacitor": KAP, "telegraf": STAND_IN}, paths, ["kapacitor", "telegraf"])
    assert files == [{"path": "/etc/kapacitor", "state": "directory", "mode": "0755"},
                     {"path": "/etc/kapacitor/.influxdb-token", "content": KAP + "\n", "mode": "0600", "secret": True}]
    assert stack_token_files({}, paths, []) == []


@pytest.mark.parametrize("found, written", [
    (copy(KAP), False),
    (copy("an-older-token"), True),
    (copy(), True),
    (copy(KAP, mode="0644"), True),
    (copy(KAP, uid=1000), True),
    (copy(KAP, directory={"mode": "0777", "uid": 0, "gid": 0}), True),
    (copy(KAP, directory={"mode": None, "uid": None, "gid": None}), True),
])
def test_files_are_written_only_when_a_copy_is_not_already_right(found, written):
    paths = {"kapacitor": "/etc/kapacitor/.influxdb-token"}
    files = stack_token_files({"kapacitor": KAP}, paths, ["kapacitor"], {"copies": {"kapacitor": found}})
    assert (len(files) == 2) is written and (files == []) is not written


def test_files_the_probe_found_present_are_removed_with_the_copies():
    paths = {"telegraf": "/etc/telegraf/.influxdb-token"}
    right = {"copies": {"telegraf": copy(KAP)}}
    assert stack_token_files({"telegraf": KAP}, paths, ["telegraf"], dict(right, present=[])) == []
    files = stack_token_files({"telegraf": KAP}, paths, ["telegraf"], dict(right, present=["/etc/telegraf/.kapacitor-password"]))
    assert files[-1] == {"path": "/etc/telegraf/.kapacitor-password", "state": "absent"} and len(files) == 3
    with pytest.raises(AnsibleFilterError, match="influxdb2_token_probe"):
        stack_token_files({"telegraf": KAP}, paths, ["telegraf"], dict(right, present="/etc/x"))


def plan_tokens(host, *services):
    return {service: {"description": "tickstack:s:%s:%s" % (service, host),
                      "permissions": [{"action": "write", "resource": {"type": "buckets", "name": "telegraf"}}]}
            for service in services}


def test_entries_are_every_hosts_tokens_rotated_when_asked_or_when_the_copy_fails():
    hosts = [
        {"__stack_plan": {"host_tokens": {}}},  # an InfluxDB host: no token
        {"__stack_plan": {"host_tokens": plan_tokens("k1", "kapacitor")},
         "__stack_token_probe": {"copies": {"kapacitor": copy(KAP)}}},
        {"__stack_plan": {"host_tokens": plan_tokens("t1", "telegraf")},
         "__stack_token_probe": {"copies": {"telegraf": copy()}}},
        {"__stack_plan": {"host_tokens": plan_tokens("t2", "telegraf")}, "tickstack_rotate_tokens": "true",
         "__stack_token_probe": {"copies": {"telegraf": copy(TEL)}}},
    ]
    entries = stack_token_entries(hosts)
    assert [(e["description"], e["rotate"]) for e in entries] == [
        ("tickstack:s:kapacitor:k1", False), ("tickstack:s:telegraf:t1", True), ("tickstack:s:telegraf:t2", True)]
    assert entries[0]["permissions"] == plan_tokens("k1", "kapacitor")["kapacitor"]["permissions"]
    assert all(e["rotate"] for e in stack_token_entries(hosts, True))
    with pytest.raises(AnsibleFilterError, match="expected the variables"):
        stack_token_entries({"not": "a list"})


def test_values_from_one_run_for_every_host_are_matched_by_description():
    mine = plan_tokens("t1", "telegraf")
    issued = {"tokens": [{"description": "tickstack:s:kapacitor:k1", "token_available": True, "token": "other-host"},
                         {"description": "tickstack:s:telegraf:t1", "token_available": True, "token": TEL}]}
    assert stack_token_values(issued, {"copies": {"telegraf": copy()}}, ["telegraf"], mine) == {"telegraf": TEL}
    kept = {"tokens": [{"description": "tickstack:s:telegraf:t1", "token_available": False}]}
    assert stack_token_values(kept, {"copies": {"telegraf": copy(KAP)}}, ["telegraf"], mine) == {"telegraf": KAP}
    with pytest.raises(AnsibleFilterError, match="needs the host's host_tokens"):
        stack_token_values(issued, {"copies": {}}, ["telegraf"])
