# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``to_toml`` filter: render a mapping as a TOML document (standard library only)."""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


class TomlError(ValueError):
    """Raised for data TOML cannot represent; the message names the offending key path."""


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray))


def _is_array_of_tables(value: Any) -> bool:
    # An empty list stays an inline `key = []`: TOML cannot express an empty array of tables.
    return _is_sequence(value) and len(value) > 0 and all(_is_table(item) for item in value)


def _quote(text: str) -> str:
    out = []
    for char in text:
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _key(key: Any, path: str) -> str:
    if isinstance(key, bool) or not isinstance(key, (str, int)):
        raise TomlError(f"{path or '<root>'}: TOML keys must be strings, got {type(key).__name__} {key!r}")
    text = str(key)
    return text if _BARE_KEY.match(text) else _quote(text)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _scalar(value: Any, path: str) -> str:
    # bool before int: bool is a subclass of int. The explicit base-class calls keep
    # Ansible's tagged subclasses of str/int/float from changing the text.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise TomlError(f"{path}: integer {int.__repr__(value)} does not fit in TOML's 64 bits")
        return int.__repr__(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return float.__repr__(value)
    if isinstance(value, str):
        return _quote(str.__str__(value))
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if _is_table(value):
        return _inline_table(value, path)
    if _is_sequence(value):
        return _inline_array(value, path)
    if value is None:
        raise TomlError(f"{path}: TOML has no null; an array cannot hold None")
    raise TomlError(f"{path}: cannot render a value of type {type(value).__name__} as TOML")


def _inline_array(values: Sequence, path: str) -> str:
    return "[" + ", ".join(_scalar(item, f"{path}[{index}]") for index, item in enumerate(values)) + "]"


def _inline_table(table: Mapping, path: str) -> str:
    pairs = [f"{_key(key, path)} = {_scalar(value, _join(path, str(key)))}"
             for key, value in table.items() if value is not None]
    return "{ " + ", ".join(pairs) + " }" if pairs else "{}"


def _render_table(table: Mapping, path: str, header: str | None, lines: list[str]) -> None:
    """Append ``table`` to ``lines``: its header (if any), its key/values, then its sub-tables.

    ``path`` is the dotted, already-quoted key path; ``header`` is the header line to write, or
    None when the table is implicit (the root, or a table holding nothing but sub-tables).
    """
    values, tables, arrays = [], [], []
    for key, value in table.items():
        if value is None:
            continue  # no null in TOML: an unset optional setting is left out
        name = _key(key, path)
        if _is_table(value):
            tables.append((name, value))
        elif _is_array_of_tables(value):
            arrays.append((name, value))
        else:
            values.append((name, value))

    if header is not None:
        if lines:
            lines.append("")
        lines.append(header)
    for name, value in values:
        lines.append(f"{name} = {_scalar(value, _join(path, name))}")

    for name, sub in tables:
        sub_path = _join(path, name)
        has_values = any(v is not None and not _is_table(v) and not _is_array_of_tables(v)
                         for v in sub.values())
        explicit = has_values or not any(v is not None for v in sub.values())
        _render_table(sub, sub_path, f"[{sub_path}]" if explicit else None, lines)
    for name, items in arrays:
        sub_path = _join(path, name)
        for item in items:
            _render_table(item, sub_path, f"[[{sub_path}]]", lines)


def to_toml(data: Any) -> str:
    """Render ``data`` (a mapping) as a TOML document.

    Keys keep their order; within each table plain keys come first, then sub-tables, then arrays of
    tables. A list whose items are all mappings becomes an array of tables (``[[name]]``); other
    lists become inline arrays (mappings inside them become inline tables). Keys whose value is
    None are left out. The result ends with a newline unless it is empty.
    """
    if not _is_table(data):
        raise TomlError(f"to_toml needs a mapping at the top, got {type(data).__name__}")
    lines: list[str] = []
    _render_table(data, "", None, lines)
    return "\n".join(lines) + "\n" if lines else ""


def _to_toml_filter(data: Any) -> str:
    try:
        return to_toml(data)
    except TomlError as exc:
        raise AnsibleFilterError(f"to_toml: {exc}") from exc


class FilterModule:
    """TOML rendering for the collection's configuration templates."""

    def filters(self) -> dict:
        return {"to_toml": _to_toml_filter}
