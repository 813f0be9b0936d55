"""stack_kapacitor_outputs: a Telegraf host's outputs to Kapacitor (roles/stack/tasks/telegraf.yml), with and
without the write relay, for one and several Kapacitor hosts, and for a Kapacitor outside the inventory."""

from __future__ import annotations

import base64

import pytest

import collection_path  # noqa: F401 pylint: disable=unused-import  # the collection on sys.path

from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.tickstack.influx.plugins.filter.stack_kapacitor_outputs import (  # noqa: E402
    FilterModule,
    stack_kapacitor_outputs,
    stack_relay_env_secrets,
)

HOSTS = ["kap-a", "kap-b"]
RELAY = {"relay": True, "relay_url": "http://kap-a:9093", "relay_port": 9093, "relay_username": "telegraf-relay"}


def facts(password):
    """A Kapacitor host's variables after relay_secrets.yml."""
    return {"inventory_hostname": "kap", "__stack_relay_secrets": {"listener": password, "kapacitor": "other"}}


def env_file(password):
    text = "TICKSTACK_RELAY_KAPACITOR_PASSWORD=other\nTICKSTACK_RELAY_LISTENER_PASSWORD=%s\n" % password
    return {"content": base64.b64encode(text.encode()).decode(), "item": "kap-b"}


def test_one_kapacitor_host_without_the_relay_uses_the_hosts_own_user():
    outputs = stack_kapacitor_outputs(["kap-a"], HOSTS, "http://kap-a:9092",
                                      credentials={"name": "telegraf-t1", "password": "t1-pass"})
    assert outputs == [{"urls": ["http://kap-a:9092"], "username": "telegraf-t1", "password": "t1-pass"}]


def test_without_auth_the_user_is_empty():
    outputs = stack_kapacitor_outputs(["kap-a", "kap-b"], HOSTS, "https://kapacitor.example:9443", scheme="https")
    assert outputs == [
        {"urls": ["https://kapacitor.example:9443"], "username": "", "password": ""},
        # The other hosts by inventory name, on the first one's port.
        {"urls": ["https://kap-b:9443"], "username": "", "password": ""},
    ]


def test_the_default_port_when_the_url_has_none():
    outputs = stack_kapacitor_outputs(["kap-b"], HOSTS, "http://kapacitor.example")
    assert outputs[0]["urls"] == ["http://kap-b:9092"]


def test_the_relay_passwords_from_the_kapacitor_hosts_facts():
    outputs = stack_kapacitor_outputs(HOSTS, HOSTS, "http://kap-a:9092", **RELAY,
                                      relay_facts=[facts("pa"), facts("pb")],
                                      relay_files={"results": [{"skipped": True}, {"skipped": True}]})
    assert outputs == [
        {"urls": ["http://kap-a:9093"], "username": "telegraf-relay", "password": "pa"},
        {"urls": ["http://kap-b:9093"], "username": "telegraf-relay", "password": "pb"},
    ]


def test_a_relay_outside_the_run_is_read_from_its_file_by_position():
    """kap-b is not in the run (--limit): its password is in the second item of the slurp loop."""
    outputs = stack_kapacitor_outputs(HOSTS, HOSTS, "http://kap-a:9092", **RELAY,
                                      relay_facts=[facts("pa"), {"inventory_hostname": "kap-b"}],
                                      relay_files={"results": [{"skipped": True}, env_file("Pb0123")]})
    assert [o["password"] for o in outputs] == ["pa", "Pb0123"]


@pytest.mark.parametrize("files", [
    None,
    {"results": []},
    {"results": [{"skipped": True}, {"failed": True, "msg": "file not found"}]},
    {"results": [{}, {"content": "not base64 !"}]},
    {"results": [{}, {"content": base64.b64encode(b"OTHER=1\n").decode()}]},
])
def test_an_unreadable_relay_file_gives_an_empty_password(files):
    """Check mode on a new stack: no relay yet, so nothing to read (the telegraf role names the empty password)."""
    outputs = stack_kapacitor_outputs(HOSTS, HOSTS, "http://kap-a:9092", **RELAY, relay_facts=[{}, {}], relay_files=files)
    assert [o["password"] for o in outputs] == ["", ""]


def test_only_the_targets_get_an_output():
    outputs = stack_kapacitor_outputs(["kap-b"], HOSTS, "http://kap-a:9092", **RELAY,
                                      relay_facts=[facts("pb")])
    assert outputs == [{"urls": ["http://kap-b:9093"], "username": "telegraf-relay", "password": "pb"}]
    assert stack_kapacitor_outputs([], HOSTS, "http://kap-a:9092") == []


def test_a_kapacitor_outside_the_inventory():
    assert stack_kapacitor_outputs([], [], "http://kapacitor.example:9092") == [
        {"urls": ["http://kapacitor.example:9092"]}]
    assert stack_kapacitor_outputs([], [], "") == []


@pytest.mark.parametrize("targets, hosts", [("kap-a", HOSTS), (["kap-a"], "kap-a"), (None, HOSTS)])
def test_not_lists(targets, hosts):
    with pytest.raises(AnsibleFilterError, match="kapacitor_write_targets"):
        stack_kapacitor_outputs(targets, hosts, "http://kap-a:9092")


def test_a_bad_url_is_named():
    with pytest.raises(AnsibleFilterError, match="http://kap-a:port is not a URL"):
        stack_kapacitor_outputs(["kap-b"], HOSTS, "http://kap-a:port")


def test_the_relay_env_file_gives_both_passwords():
    text = b"TICKSTACK_RELAY_KAPACITOR_PASSWORD=Kap0123\nTICKSTACK_RELAY_LISTENER_PASSWORD=Lis0123\n"
    assert stack_relay_env_secrets({"content": base64.b64encode(text).decode()}) == {
        "listener": "Lis0123", "kapacitor": "Kap0123"}
    # The file's text as influxdb2_token_probe's read returns it, the same.
    assert stack_relay_env_secrets(text.decode()) == {"listener": "Lis0123", "kapacitor": "Kap0123"}
    assert stack_relay_env_secrets("TICKSTACK_RELAY_LISTENER_PASSWORD=Lis0123\n") == {"listener": "Lis0123", "kapacitor": ""}


@pytest.mark.parametrize("result", [
    {"failed": True, "msg": "file not found"},
    {"skipped": True},
    {"content": "not base64 !"},
    {"content": base64.b64encode(b"TICKSTACK_RELAY_LISTENER_PASSWORD=has spaces\n").decode()},
    None,
])
def test_what_is_not_in_the_file_is_empty(result):
    assert stack_relay_env_secrets(result) == {"listener": "", "kapacitor": ""}


def test_registered():
    filters = FilterModule().filters()
    assert filters["stack_kapacitor_outputs"] is stack_kapacitor_outputs
    assert filters["stack_relay_env_secrets"] is stack_relay_env_secrets
