"""Unit tests for plugins/filter/toml.py: every rendering is read back with tomllib."""

from __future__ import annotations

import datetime
import importlib.util
import math
import tomllib
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "plugins" / "filter" / "toml.py"
_SPEC = importlib.util.spec_from_file_location("tickstack_filter_toml", _PATH)
toml_filter = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(toml_filter)
to_toml = toml_filter.to_toml


def roundtrip(data):
    text = to_toml(data)
    return tomllib.loads(text), text


@pytest.mark.parametrize("value", [
    "plain", "", "with \"quotes\"", "back\\slash", "C:\\path\\to", "tab\there", "new\nline",
    "cr\rlf", "bell\x07", "nul\x00", "del\x7f", "escape\x1b[0m", "unicode: żółć ✓ 日本",
    "emoji 🚀", "${INFLUX_TOKEN}", "'single'", "#not a comment", "a = b", "[not.a.table]",
    "{{ .TaskName }}", "\\u0041 stays literal", "trailing backslash \\",
])
def test_strings_are_escaped(value):
    parsed, _unused = roundtrip({"key": value})
    assert parsed == {"key": value}


@pytest.mark.parametrize("value", [0, 1, -1, 8086, 2**63 - 1, -(2**63)])
def test_integers(value):
    parsed, _unused = roundtrip({"n": value})
    assert parsed["n"] == value and type(parsed["n"]) is int  # pylint: disable=unidiomatic-typecheck  # bool is not int here


def test_integer_out_of_range_is_refused():
    with pytest.raises(toml_filter.TomlError, match="64 bits"):
        to_toml({"n": 2**63})


@pytest.mark.parametrize("value", [0.0, 1.5, -2.25, 1e20, 1e-5, 123456789.125, float("inf"), float("-inf")])
def test_floats(value):
    parsed, _unused = roundtrip({"x": value})
    assert parsed["x"] == value and type(parsed["x"]) is float  # pylint: disable=unidiomatic-typecheck


def test_nan():
    parsed, _unused = roundtrip({"x": float("nan")})
    assert math.isnan(parsed["x"])


def test_bools_are_not_ints():
    parsed, text = roundtrip({"yes": True, "no": False})
    assert parsed == {"yes": True, "no": False}
    assert "yes = true" in text and "no = false" in text


def test_dates_and_times():
    data = {
        "dt": datetime.datetime(2024, 5, 1, 12, 30, 15, tzinfo=datetime.timezone.utc),
        "local": datetime.datetime(2024, 5, 1, 12, 30, 15),
        "d": datetime.date(2024, 5, 1),
        "t": datetime.time(7, 45, 0),
    }
    parsed, _unused = roundtrip(data)
    assert parsed == data


def test_inline_arrays_and_nested_arrays():
    data = {"urls": ["http://a:8086", "http://b:8086"], "empty": [], "nested": [[1, 2], ["x"]],
            "mixed": [1, "two", 3.0, True], "tuple": (1, 2)}
    parsed, text = roundtrip(data)
    assert parsed == {**data, "tuple": [1, 2]}
    assert 'urls = ["http://a:8086", "http://b:8086"]' in text


def test_list_of_tables_mixed_with_scalars_is_inline():
    data = {"points": [{"x": 1}, 2]}
    parsed, _unused = roundtrip(data)
    assert parsed == data


def test_nested_tables_and_key_order():
    data = {"hostname": "localhost", "http": {"bind-address": ":9092", "log-enabled": True},
            "top_after": 1, "logging": {"level": "INFO"}}
    parsed, text = roundtrip(data)
    assert parsed == data
    lines = text.splitlines()
    # plain keys of a table come before its sub-tables, whatever the input order
    assert lines.index("top_after = 1") < lines.index("[http]")
    assert lines.index("[http]") < lines.index("[logging]")


def test_array_of_tables_kapacitor_style():
    data = {"data_dir": "/var/lib/kapacitor", "influxdb": [
        {"name": "default", "urls": ["http://localhost:8086"], "token": "t0k=n",
         "disable-subscriptions": True, "subscriptions": {}, "excluded-subscriptions": {"_kapacitor": ["autogen"]}},
        {"name": "second", "enabled": False},
    ]}
    parsed, text = roundtrip(data)
    assert parsed == data
    assert text.count("[[influxdb]]") == 2
    assert "[influxdb.subscriptions]" in text


def test_telegraf_style_plugins_skip_implicit_headers():
    data = {
        "agent": {"interval": "10s"},
        "outputs": {
            "influxdb_v2": [{"urls": ["http://localhost:8086"], "token": "${INFLUX_TOKEN}"}],
            "influxdb": [{"urls": ["http://localhost:9092"], "database": "telegraf",
                          "skip_database_creation": True, "namepass": ["cpu", "mem"]}],
        },
        "inputs": {"cpu": [{"percpu": True, "tags": {"role": "db"}}], "mem": [{}]},
    }
    parsed, text = roundtrip(data)
    assert parsed == data
    assert "[outputs]" not in text and "[inputs]" not in text
    assert "[[outputs.influxdb_v2]]" in text and "[[inputs.mem]]" in text
    assert "[inputs.cpu.tags]" in text


def test_nested_arrays_of_tables():
    data = {"a": [{"b": [{"c": 1}, {"c": 2}], "d": {"e": [{"f": "g"}]}}]}
    parsed, _unused = roundtrip(data)
    assert parsed == data


def test_empty_tables_are_kept():
    data = {"tls": {}, "deep": {"inner": {}}}
    parsed, text = roundtrip(data)
    assert parsed == data
    assert "[tls]" in text


def test_keys_needing_quotes():
    data = {"with space": 1, "dotted.key": {"a": 1}, "ünïcode": "x", "": "empty",
            "quote\"d": {"x": [{"y": 1}]}, 8086: "int key"}
    parsed, _unused = roundtrip(data)
    assert parsed == {**{k: v for k, v in data.items() if k != 8086}, "8086": "int key"}


def test_inline_tables_inside_arrays():
    data = {"handlers": [[{"kind": "log", "options": {"path": "/tmp/x"}}]]}
    parsed, _unused = roundtrip(data)
    assert parsed == data


def test_none_values_are_left_out():
    parsed, text = roundtrip({"a": None, "b": 1, "t": {"c": None}, "arr": [{"d": None, "e": 2}],
                              "inline": [{"x": None}, 1]})
    assert parsed == {"b": 1, "t": {}, "arr": [{"e": 2}], "inline": [{}, 1]}
    assert "a =" not in text


def test_none_inside_an_array_is_refused():
    with pytest.raises(toml_filter.TomlError, match=r"list\[1\]"):
        to_toml({"list": [1, None]})


@pytest.mark.parametrize("data", [[1, 2], "text", 3, None])
def test_top_level_must_be_a_mapping(data):
    with pytest.raises(toml_filter.TomlError, match="mapping"):
        to_toml(data)


def test_unsupported_types_name_the_path():
    with pytest.raises(toml_filter.TomlError, match=r"section\.value"):
        to_toml({"section": {"value": object()}})
    with pytest.raises(toml_filter.TomlError, match="keys must be strings"):
        to_toml({"t": {True: 1}})


def test_empty_document():
    assert to_toml({}) == ""
    assert to_toml({"a": None}) == ""


def test_output_is_deterministic_and_ends_with_newline():
    data = {"b": 1, "a": {"z": 1, "y": [1]}}
    assert to_toml(data) == to_toml(data)
    assert to_toml(data).endswith("\n")
    assert to_toml(data) == "b = 1\n\n[a]\nz = 1\ny = [1]\n"


def test_subclasses_of_builtin_types_render_as_their_base():
    """Ansible hands filters tagged/unsafe subclasses of str, int, float, dict and list."""
    class Text(str):
        def __repr__(self):
            return "Text(...)"

    class Number(int):
        def __repr__(self):
            return "Number(...)"

    class Real(float):
        def __repr__(self):
            return "Real(...)"

    class Table(dict):
        pass

    class Items(list):
        pass

    data = Table(name=Text("x\"y"), port=Number(9092), ratio=Real(0.5), urls=Items([Text("u")]),
                 influxdb=Items([Table(token=Text("t"))]))
    parsed, _unused = roundtrip(data)
    assert parsed == {"name": "x\"y", "port": 9092, "ratio": 0.5, "urls": ["u"], "influxdb": [{"token": "t"}]}


def test_filter_plugin_wraps_errors():
    from ansible.errors import AnsibleFilterError

    filters = toml_filter.FilterModule().filters()
    assert filters["to_toml"]({"a": 1}) == "a = 1\n"
    with pytest.raises(AnsibleFilterError, match="to_toml"):
        filters["to_toml"]([1])


def test_ansible_tagged_values():
    """Values carrying Ansible's data tags (trusted templates, unsafe text) render like plain ones."""
    from ansible.utils.unsafe_proxy import wrap_var
    try:
        from ansible.template import trust_as_template
    except ImportError:  # ansible-core < 2.19: what a playbook's YAML gives is AnsibleUnicode
        from ansible.parsing.yaml.objects import AnsibleUnicode as trust_as_template

    data = {"hostname": trust_as_template("kap\"acitor"),
            "influxdb": [wrap_var({"urls": ["http://influx:8086"], "token": "t{{ not templated }}"})]}
    parsed, _unused = roundtrip(data)
    assert parsed == {"hostname": "kap\"acitor",
                      "influxdb": [{"urls": ["http://influx:8086"], "token": "t{{ not templated }}"}]}
