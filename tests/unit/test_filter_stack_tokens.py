"""Unit tests of the stack role's token bookkeeping filters (roles/stack/tasks/token.yml)."""

from __future__ import annotations

import pytest

import collection_path  # noqa: E402,F401 pylint: disable=unused-import  # the collection on sys.path

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.tickstack.influx.plugins.filter.stack_tokens import (  # noqa: E402
    STAND_IN, stack_token_files, stack_token_values)

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
