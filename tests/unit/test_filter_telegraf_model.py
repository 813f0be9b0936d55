"""telegraf_model: the telegraf role's configuration, secrets and secret store from its variables, and the
problems its preflight reports (each naming the variable), with the role's own defaults as the base."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import collection_path  # noqa: F401 pylint: disable=unused-import  # the collection on sys.path

from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.tickstack.influx.plugins.filter.telegraf_model import (  # noqa: E402
    FilterModule,
    telegraf_model,
)

ROLE = Path(__file__).resolve().parents[2] / "roles" / "telegraf"
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
CREDENTIALS = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())["_telegraf_credentials_dir"]


def model(**overrides):
    """The dict roles/telegraf/vars/main.yml hands the filter, from the role's defaults, wired as the
    stack role wires it (InfluxDB 2 and one Kapacitor output with a username), on systemd 252."""
    base = {
        "influxdb_v2_enabled": True,
        "influxdb_v2_urls": ["http://influxdb:8086"],
        "influxdb_v2_token": "influx-token",
        "influxdb_v2_organization": "lab",
        "influxdb_v2_bucket": "telegraf",
        "influxdb_v2_tls_ca": DEFAULTS["telegraf_influxdb_v2_tls_ca"],
        "influxdb_v2_insecure_skip_verify": DEFAULTS["telegraf_influxdb_v2_insecure_skip_verify"],
        "influxdb_v2_extra": DEFAULTS["telegraf_influxdb_v2_extra"],
        "kapacitor_enabled": True,
        "kapacitor_outputs": [{"urls": ["http://kapacitor:9093"], "username": "relay", "password": "relay-pass"}],
        "kapacitor_urls": DEFAULTS["telegraf_kapacitor_urls"],
        "kapacitor_username": DEFAULTS["telegraf_kapacitor_username"],
        "kapacitor_password": DEFAULTS["telegraf_kapacitor_password"],
        "kapacitor_database": DEFAULTS["telegraf_kapacitor_database"],
        "kapacitor_retention_policy": DEFAULTS["telegraf_kapacitor_retention_policy"],
        "kapacitor_namepass": DEFAULTS["telegraf_kapacitor_namepass"],
        "kapacitor_tls_ca": DEFAULTS["telegraf_kapacitor_tls_ca"],
        "kapacitor_insecure_skip_verify": DEFAULTS["telegraf_kapacitor_insecure_skip_verify"],
        "kapacitor_extra": DEFAULTS["telegraf_kapacitor_extra"],
        "influxdb_outputs": DEFAULTS["telegraf_influxdb_outputs"],
        "secrets": DEFAULTS["telegraf_secrets"],
        "secret_store": DEFAULTS["telegraf_secret_store"],
        "systemd_version": "252",
        "credentials_dir": CREDENTIALS,
        "global_tags": {"dc": "lab"},
        "agent": DEFAULTS["telegraf_agent"],
        "inputs": DEFAULTS["telegraf_inputs"],
        "config_extra": DEFAULTS["telegraf_config_extra"],
    }
    base.update(overrides)
    return telegraf_model(base)


def test_the_stack_wiring():
    result = model()
    assert result["problems"] == []
    assert result["secret_store"] == "systemd"
    assert result["secrets"] == {"influx_token": "influx-token", "kapacitor_password": "relay-pass"}
    config = result["config"]
    assert list(config) == ["secretstores", "global_tags", "agent", "outputs", "inputs"]
    assert config["secretstores"] == {"systemd": [{"id": "secrets", "prefix": ""}]}
    assert config["outputs"]["influxdb_v2"] == [{
        "urls": ["http://influxdb:8086"], "token": "@{secrets:influx_token}", "organization": "lab",
        "bucket": "telegraf"}]
    assert config["outputs"]["influxdb"] == [{
        "urls": ["http://kapacitor:9093"], "database": "telegraf", "retention_policy": "autogen",
        "skip_database_creation": True, "username": "relay", "password": "@{secrets:kapacitor_password}"}]
    # No secret value anywhere in the configuration.
    assert "influx-token" not in repr(config) and "relay-pass" not in repr(config)
    # Every input is a list of instances.
    assert all(isinstance(instances, list) for instances in config["inputs"].values())


def test_several_kapacitor_outputs_name_their_passwords_by_position():
    result = model(kapacitor_outputs=[
        {"urls": ["http://k1:9093"], "username": "relay", "password": "p0"},
        {"urls": ["http://k2:9092"]},
        {"urls": ["http://k3:9093"], "username": "relay", "password": "p2"},
    ])
    assert result["problems"] == []
    outputs = result["config"]["outputs"]["influxdb"]
    assert [o.get("password") for o in outputs] == [
        "@{secrets:kapacitor_password}", None, "@{secrets:kapacitor_password_2}"]
    assert "username" not in outputs[1]
    assert result["secrets"] == {"influx_token": "influx-token", "kapacitor_password": "p0", "kapacitor_password_2": "p2"}


def test_one_output_from_the_single_kapacitor_variables():
    result = model(kapacitor_outputs=[], kapacitor_urls=["http://kapacitor:9092"])
    assert result["config"]["outputs"]["influxdb"][0]["urls"] == ["http://kapacitor:9092"]
    assert "username" not in result["config"]["outputs"]["influxdb"][0]
    assert "kapacitor_password" not in result["secrets"]


def test_tls_and_extras_are_merged_recursively():
    result = model(influxdb_v2_tls_ca="/etc/ca.crt", influxdb_v2_insecure_skip_verify=True,
                   influxdb_v2_extra={"timeout": "10s"}, kapacitor_tls_ca="/etc/ca.crt", kapacitor_namepass=["cpu"],
                   kapacitor_extra={"timeout": "3s"},
                   config_extra={"agent": {"interval": "1s"}, "processors": {"rename": [{}]}})
    v2 = result["config"]["outputs"]["influxdb_v2"][0]
    assert (v2["tls_ca"], v2["insecure_skip_verify"], v2["timeout"]) == ("/etc/ca.crt", True, "10s")
    kapacitor = result["config"]["outputs"]["influxdb"][0]
    assert (kapacitor["tls_ca"], kapacitor["namepass"], kapacitor["timeout"]) == ("/etc/ca.crt", ["cpu"], "3s")
    assert "insecure_skip_verify" not in kapacitor
    # The agent table keeps the role's settings beside the one overridden.
    assert result["config"]["agent"]["interval"] == "1s"
    assert result["config"]["agent"]["metric_batch_size"] == DEFAULTS["telegraf_agent"]["metric_batch_size"]
    assert result["config"]["processors"] == {"rename": [{}]}


def test_the_role_secrets_win_over_same_named_ones():
    result = model(secrets={"influx_token": "mine", "api_key": "k"})
    assert result["secrets"] == {"influx_token": "influx-token", "api_key": "k", "kapacitor_password": "relay-pass"}


@pytest.mark.parametrize("version, store, expected", [
    ("252", "auto", "systemd"), ("249", "auto", "files"), (None, "auto", "files"), ("249", "files", "files"),
])
def test_the_secret_store(version, store, expected):
    result = model(systemd_version=version, secret_store=store)
    assert result["problems"] == [] and result["secret_store"] == expected
    if expected == "files":
        assert result["config"]["secretstores"] == {"docker": [{"id": "secrets", "path": CREDENTIALS}]}


def test_no_secrets_no_secret_store():
    result = model(influxdb_v2_enabled=False, kapacitor_outputs=[{"urls": ["http://k:9092"]}])
    assert result["secrets"] == {} and result["config"]["secretstores"] == {}


@pytest.mark.parametrize("overrides, names", [
    ({"influxdb_v2_token": ""}, ["Empty now: telegraf_influxdb_v2_token."]),
    ({"influxdb_v2_urls": [], "influxdb_v2_bucket": ""},
     ["Empty now: telegraf_influxdb_v2_urls, telegraf_influxdb_v2_bucket."]),
    ({"kapacitor_outputs": [{"urls": []}]}, ["telegraf_kapacitor_urls"]),
    ({"kapacitor_outputs": [{"username": "u", "password": "p"}]}, ["telegraf_kapacitor_urls"]),
    ({"kapacitor_outputs": [{"urls": ["http://k:9093"], "username": "u"}]}, ["telegraf_kapacitor_password"]),
    ({"kapacitor_database": ""}, ["telegraf_kapacitor_database"]),
    ({"secrets": ["not", "a", "dict"]}, ["telegraf_secrets must map names"]),
    ({"secrets": {"bad name": "x"}}, ["telegraf_secrets must map names", "bad name"]),
    ({"secret_store": "vault"}, ["telegraf_secret_store must be auto, systemd or files"]),
    ({"secret_store": "systemd", "systemd_version": "247"}, ["systemd 250 or later", "this host has 247"]),
    ({"secret_store": "systemd", "systemd_version": None}, ["no systemd version in its facts (gather facts)"]),
    ({"inputs": ["cpu"]}, ["telegraf_inputs must map plugin names"]),
    ({"influxdb_outputs": {"urls": ["http://old:8086"]}}, ["telegraf_influxdb_outputs must be a list"]),
    ({"influxdb_outputs": [{"database": "telegraf"}]}, ["telegraf_influxdb_outputs", "each a dict with urls"]),
    ({"influxdb_outputs": [{"urls": "http://old:8086"}]}, ["telegraf_influxdb_outputs", "urls (a list)"]),
    ({"influxdb_outputs": ["http://old:8086"]}, ["telegraf_influxdb_outputs"]),
    ({"influxdb_v2_enabled": False, "kapacitor_enabled": False}, ["Telegraf would have no output"]),
])
def test_problems_name_the_variable(overrides, names):
    problems = model(**overrides)["problems"]
    assert len(problems) == 1, problems
    for name in names:
        assert name in problems[0]
    # No secret value in a message.
    assert "influx-token" not in problems[0] and "relay-pass" not in problems[0]


def test_several_problems_are_all_reported():
    problems = model(influxdb_v2_token="", kapacitor_database="", inputs="cpu")["problems"]
    assert len(problems) == 3


OLD = {"urls": ["http://influxdb1:8086"], "database": "telegraf", "retention_policy": "autogen",
       "skip_database_creation": True, "username": "telegraf", "password": "@{secrets:influxdb1_password}"}


def test_influxdb_outputs_follow_the_kapacitor_outputs():
    """The move off 1.x: Telegraf writes to InfluxDB 2, to Kapacitor and to the old server."""
    result = model(influxdb_outputs=[OLD], secrets={"influxdb1_password": "old-pass"})
    assert result["problems"] == []
    outputs = result["config"]["outputs"]["influxdb"]
    assert [o["urls"] for o in outputs] == [["http://kapacitor:9093"], ["http://influxdb1:8086"]]
    assert outputs[1] == OLD
    assert result["secrets"]["influxdb1_password"] == "old-pass"
    assert "old-pass" not in str(result["config"])


def test_influxdb_outputs_alone_are_an_output():
    result = model(influxdb_v2_enabled=False, kapacitor_enabled=False, influxdb_outputs=[OLD],
                   secrets={"influxdb1_password": "old-pass"})
    assert result["problems"] == []
    assert result["config"]["outputs"] == {"influxdb": [OLD]}


def test_outputs_from_config_extra_alone_are_enough():
    result = model(influxdb_v2_enabled=False, kapacitor_enabled=False,
                   config_extra={"outputs": {"file": [{"files": ["stdout"]}]}})
    assert result["problems"] == []


def test_not_a_dict():
    with pytest.raises(AnsibleFilterError, match="expected the telegraf role's variables as a dict"):
        telegraf_model(["x"])


def test_registered():
    assert FilterModule().filters()["telegraf_model"] is telegraf_model
