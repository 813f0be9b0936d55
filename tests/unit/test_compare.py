"""Differ and state_diff (plugins/module_utils/compare.py): what counts as a change and what the diff shows."""

from __future__ import annotations

import influxdb2_support  # noqa: F401 pylint: disable=unused-import  # puts the collection on the import path

from ansible_collections.tickstack.influx.plugins.module_utils.compare import MASK, Differ, normalize, state_diff


def test_none_is_not_managed():
    d = Differ()
    assert d.compare("description", "something", None) is False
    assert not d.changed and d.diff() == {"before": {}, "after": {}}


def test_changes_are_recorded_once_per_key():
    d = Differ()
    assert d.compare("status", "active", "inactive") is True
    assert d.compare("description", "", "") is False
    assert d.changed and d.keys == ["status"]
    assert d.diff() == {"before": {"status": "active"}, "after": {"status": "inactive"}}


def test_lists_compare_as_sets_of_items():
    d = Differ()
    assert d.compare("permissions", [{"a": 1}, {"b": [2, 1]}], [{"b": [1, 2]}, {"a": 1}]) is False
    assert d.compare("handlers", ["x", "y"], ["y", "x", "z"]) is True
    assert d.keys == ["handlers"]


def test_secrets_are_masked_but_none_stays_none():
    d = Differ(secrets=("password",))
    d.compare("password", None, "hunter2")
    assert d.diff() == {"before": {"password": None}, "after": {"password": MASK}}
    assert "hunter2" not in repr(d.diff())


def test_add_records_unconditionally_and_copies():
    d = Differ(secrets=("token",))
    value = ["a"]
    d.add("token", "x", "y")
    d.add("list", value, value)
    value.append("b")
    assert d.changed and d.diff() == {"before": {"token": MASK, "list": ["a"]}, "after": {"token": MASK, "list": ["a"]}}


def test_state_diff_handles_empty_sides():
    assert state_diff({}, {"name": "b", "password": MASK}) == {"before": {}, "after": {"name": "b", "password": MASK}}
    assert state_diff({"name": "b"}, None) == {"before": {"name": "b"}, "after": {}}


def test_normalize_nested():
    assert normalize({"x": [3, 1, 2], "y": {"z": ["b", "a"]}}) == {"x": [1, 2, 3], "y": {"z": ["a", "b"]}}
