"""plugin_utils.variables: the forgiving readings the preflight filters share, so a variable of the
wrong type is reported by name instead of raising."""

from __future__ import annotations

import pytest

import collection_path  # noqa: F401 pylint: disable=unused-import  # the collection on sys.path

from ansible_collections.tickstack.influx.plugins.plugin_utils.variables import (  # noqa: E402
    empty,
    integer,
    items,
)


@pytest.mark.parametrize("value", [None, "", [], {}, ()])
def test_empty_values(value):
    assert empty(value)


@pytest.mark.parametrize("value", [0, False, "x", [0], {"a": 1}, 3.5])
def test_values_that_are_not_empty(value):
    assert not empty(value)


def test_items_of_a_list_or_tuple_and_nothing_else():
    assert items([1, 2]) == [1, 2]
    assert items((1,)) == [1]
    assert items({"a": 1}) == []
    assert items("ab") == []
    assert items(None) == []


@pytest.mark.parametrize("value, expected", [(5, 5), ("7", 7), (None, 0), ("x", 0), ([], 0), (2.9, 2)])
def test_integer_readings(value, expected):
    assert integer(value) == expected
