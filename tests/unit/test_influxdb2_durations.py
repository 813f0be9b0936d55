"""Durations, bucket names and the connection options of the InfluxDB 2 modules."""

from __future__ import annotations

import pytest
from influxdb2_support import FakeModule

from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import (
    DEFAULT_URL,
    InvalidInput,
    bucket_retention,
    client_from_module,
    default_shard_group_duration,
    format_duration,
    influxdb2_argument_spec,
    parse_duration,
    validate_bucket_name,
    virtual_bucket_names,
)


@pytest.mark.parametrize("text, seconds", [
    ("30d", 30 * 86400), ("1h", 3600), ("1h30m", 5400), ("1w", 604800), ("1d12h", 129600),
    ("720h0m0s", 720 * 3600), ("90s", 90), ("3600", 3600), (3600, 3600), ("0", 0), (0, 0),
    ("infinite", 0), ("INF", 0), ("forever", 0), (" 2D ", 172800), ("1d 12h", 129600),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("value", ["30 days", "1.5h", "-1h", "h", "1y", "1mo", "d30", "", True, -5, "1h-30m"])
def test_parse_duration_refuses(value):
    with pytest.raises(InvalidInput, match="^retention: "):
        parse_duration(value)


def test_parse_duration_names_the_option_and_keeps_none():
    assert parse_duration(None) is None
    with pytest.raises(InvalidInput, match="^shard_group_duration: 'soon' is not a duration"):
        parse_duration("soon", "shard_group_duration")


@pytest.mark.parametrize("seconds, text", [
    (0, "infinite"), (3600, "1h"), (86400, "1d"), (90000, "1d1h"), (2592000, "30d"), (604800, "7d"),
    (5400, "1h30m"), (61, "1m1s"),
])
def test_format_duration_round_trips(seconds, text):
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds


def test_format_duration_none_and_zero_label():
    assert format_duration(None) is None
    assert format_duration(0, zero=None) is None


@pytest.mark.parametrize("retention, shard", [
    (0, 604800), (3600, 3600), (86400, 3600), (2 * 86400, 86400), (30 * 86400, 86400), (180 * 86400, 604800),
])
def test_default_shard_group_duration_matches_influxdb(retention, shard):
    assert default_shard_group_duration(retention) == shard


def test_bucket_retention_reads_rules():
    assert bucket_retention({"retentionRules": []}) == (0, None)
    assert bucket_retention({"retentionRules": [{"type": "expire", "everySeconds": 3600,
                                                 "shardGroupDurationSeconds": 3600}]}) == (3600, 3600)
    assert bucket_retention({"retentionRules": [{"type": "expire", "everySeconds": 0,
                                                 "shardGroupDurationSeconds": 604800}]}) == (0, 604800)


@pytest.mark.parametrize("name, message", [
    ("_internal", "names starting with an underscore are reserved"),
    ('say"hi', "may not contain quotation marks"),
    ("", "cannot be empty"),
])
def test_bucket_names_refused(name, message):
    with pytest.raises(InvalidInput, match=message):
        validate_bucket_name(name)


def test_bucket_names_allowed():
    for name in ("telegraf", "db/rp", "a_b", "x-1.2", "with space"):
        validate_bucket_name(name)


def test_virtual_bucket_names():
    assert virtual_bucket_names("telegraf", "autogen") == ["telegraf", "telegraf/autogen"]
    assert virtual_bucket_names("telegraf", "weekly") == ["telegraf/weekly"]


def test_argument_spec_connection_options():
    spec = influxdb2_argument_spec(name=dict(type="str", required=True))
    assert spec["token"]["no_log"] is True
    assert spec["url"]["default"] == DEFAULT_URL == "http://localhost:8086"
    assert spec["timeout"]["default"] == 10 and spec["validate_certs"]["default"] is True
    for option, env in (("url", "INFLUX_HOST"), ("token", "INFLUX_TOKEN"), ("org", "INFLUX_ORG"),
                        ("org_id", "INFLUX_ORG_ID")):
        assert spec[option]["fallback"][1] == [env]
    assert spec["name"] == {"type": "str", "required": True}


def test_client_from_module_requires_a_token_when_asked():
    module = FakeModule({"token": None})
    with pytest.raises(InvalidInput, match="^token: no API token given"):
        client_from_module(module, require_token=True)
    assert client_from_module(module).token is None


def test_client_from_module_passes_tls_options():
    module = FakeModule({"validate_certs": False, "ca_path": "/ca.pem", "timeout": 3})
    c = client_from_module(module)
    assert c.http.options["validate_certs"] is False and c.http.options["ca_path"] == "/ca.pem"
    assert c.http.options["timeout"] == 3
    assert c.http.headers["Authorization"] == "Token t0ken"
