"""Unit tests of the stack role's token bookkeeping filters (roles/stack/tasks/token.yml)."""

from __future__ import annotations

import base64

import pytest

import collection_path  # noqa: E402,F401 pylint: disable=unused-import  # the collection on sys.path

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.tickstack.influx.plugins.filter.stack_tokens import (  # noqa: E402
    STAND_IN, stack_token_files, stack_token_probes, stack_token_values)

KAP, TEL = "kapacitor-token-value-0123456789", "telegraf-token-value-0123456789"


def copy(service, value=None):
    result = {"item": service}
    if value is not None:
        result["content"] = base64.b64encode((value + "\n").encode()).decode()
    return result


def test_probes_sort_accepted_refused_and_unreachable_without_the_copies():
    probes = {"results": [{"item": copy("kapacitor", KAP), "status": 200},
                          {"item": copy("telegraf", TEL), "status": 401}]}
    assert stack_token_probes(probes) == {"accepted": ["kapacitor"], "unreachable": []}
    down = stack_token_probes({"results": [{"item": copy("telegraf", TEL), "status": -1, "msg": "refused"}]})
    assert down == {"accepted": [], "unreachable": [{"service": "telegraf", "status": -1, "msg": "refused"}]}
    assert TEL not in str(down)
    with pytest.raises(AnsibleFilterError):
        stack_token_probes("nope")


def test_values_prefer_the_new_token_then_the_copy_then_the_stand_in():
    copies = {"results": [copy("kapacitor", KAP), copy("telegraf")]}
    issued = {"results": [{"item": "kapacitor", "token_available": False},
                          {"item": "telegraf", "token_available": True, "token": TEL}]}
    assert stack_token_values(issued, copies, ["kapacitor", "telegraf"]) == {"kapacitor": KAP, "telegraf": TEL}
    # Check mode without an API: nothing issued, no copy.
    assert stack_token_values({"skipped": True}, {"results": [copy("telegraf")]}, ["telegraf"]) == {
        "telegraf": STAND_IN}


def test_files_are_root_only_secrets_after_their_directory_and_skip_the_stand_in():
    paths = {"kapacitor": "/etc/kapacitor/.influxdb-token", "telegraf": "/etc/telegraf/.influxdb-token"}
    files = stack_token_files({"kapacitor": KAP, "telegraf": STAND_IN}, paths, ["kapacitor", "telegraf"])
    assert files == [{"path": "/etc/kapacitor", "state": "directory", "mode": "0755"},
                     {"path": "/etc/kapacitor/.influxdb-token", "content": KAP + "\n", "mode": "0600", "secret": True}]
    assert stack_token_files({}, paths, []) == []
