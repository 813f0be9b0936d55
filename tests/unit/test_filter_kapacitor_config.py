"""kapacitor_config_shadowed: the running config (the shape kapacitord 1.8.3's GET /kapacitor/v1/config
answers, including after a POST /config/influxdb/default that set urls) against the file's config."""

from __future__ import annotations

import pytest

import collection_path  # noqa: F401 pylint: disable=unused-import  # the collection on sys.path

from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.tickstack.influx.plugins.filter.kapacitor_config import kapacitor_config_shadowed  # noqa: E402

WRITTEN = {
    "hostname": "kapacitor",
    "http": {"bind-address": ":9092", "log-enabled": True, "auth-enabled": True},
    "storage": {"boltdb": "/var/lib/kapacitor/kapacitor.db"},
    "influxdb": [{"name": "default", "enabled": True, "urls": ["http://influxdb:8086"], "token": "tok",
                  "startup-timeout": "5m", "ssl-ca": ""}],
}


def running(urls=("http://influxdb:8086",), token=True, log_enabled=True, extra_influxdb=()):
    elements = [{"link": {}, "options": {"name": "default", "enabled": True, "urls": list(urls), "token": token,
                                         "password": False, "startup-timeout": "5m0s", "ssl-ca": ""},
                 "redacted": ["password", "token"]}]
    elements += [{"options": {"name": n}, "redacted": []} for n in extra_influxdb]
    return {"sections": {
        "http": {"elements": [{"options": {"bind-address": ":9092", "log-enabled": log_enabled,
                                           "auth-enabled": True}, "redacted": None}]},
        "influxdb": {"elements": elements},
        "smtp": {"elements": [{"options": {"enabled": False}, "redacted": ["password"]}]},
    }}


def test_nothing_shadowed_when_the_running_config_is_the_file():
    assert kapacitor_config_shadowed(running(), WRITTEN) == []


def test_an_override_of_the_influxdb_urls_is_named_without_its_value():
    assert kapacitor_config_shadowed(running(urls=["http://evil:1"]), WRITTEN) == ["influxdb[default].urls"]


def test_secrets_compare_by_being_set_and_plain_options_by_value():
    found = kapacitor_config_shadowed(running(token=False, log_enabled=False), WRITTEN)
    assert found == ["http.log-enabled", "influxdb[default].token"]


def test_a_list_element_the_file_has_but_kapacitor_does_not_is_named():
    written = dict(WRITTEN, influxdb=WRITTEN["influxdb"] + [{"name": "other", "urls": []}])
    assert kapacitor_config_shadowed(running(), written) == ["influxdb[other]"]


def test_not_the_config_api_json_is_an_error():
    with pytest.raises(AnsibleFilterError, match="GET /kapacitor/v1/config"):
        kapacitor_config_shadowed({"error": "x"}, WRITTEN)
