# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readings of role variables shared by the roles' preflight filters (``influxdb_problems``,
``kapacitor_problems``, ``telegraf_model``): forgiving of the wrong type, so that a filter can report the
variable by name instead of raising on it.
"""

from __future__ import annotations

from typing import Any


def empty(value: Any) -> bool:
    """None, or anything with a length of 0 ('' , [], {})."""
    return value is None or (hasattr(value, "__len__") and len(value) == 0)


def items(value: Any) -> list:
    """The items of a list or tuple; anything else reads as no items."""
    return list(value) if isinstance(value, (list, tuple)) else []


def integer(value: Any) -> int:
    """The value as an int; what does not read as one is 0, below every minimum the roles set."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
