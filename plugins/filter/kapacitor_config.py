# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``kapacitor_config_shadowed`` filter: options whose running value is not what kapacitor.conf says.

With ``[config-override] enabled``, a ``POST /kapacitor/v1/config/<section>`` stores an override that
Kapacitor applies over its file, and ``GET /kapacitor/v1/config`` shows only the result. Comparing
that result with the file the role wrote names the options an override (or a ``KAPACITOR_*``
environment variable) shadows. See ``kapacitor_config_shadowed.yml`` for the options and the result.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.tickstack.influx.plugins.module_utils.kapacitor import parse_duration


def _same(wanted: Any, running: Any, redacted: bool) -> bool:
    if redacted:
        # Kapacitor shows a secret option only as whether it is set.
        return bool(wanted) == bool(running)
    if isinstance(wanted, str) and isinstance(running, str) and wanted != running:
        try:
            return parse_duration(wanted) == parse_duration(running)
        except ValueError:
            return False
    if wanted in ([], {}, "") and running is None:
        return True
    return wanted == running


def _elements(section: Any) -> list[dict]:
    elements = section.get("elements") if isinstance(section, dict) else None
    return [e for e in elements or [] if isinstance(e, dict)]


def kapacitor_config_shadowed(running: Any, written: Any) -> list[str]:
    """``section.option`` (``section[name].option`` for list sections) for each option the file sets
    whose running value differs; sections and options the config API does not show are skipped."""
    if not isinstance(running, dict) or not isinstance(running.get("sections"), dict):
        raise AnsibleFilterError("kapacitor_config_shadowed: expected the JSON of GET /kapacitor/v1/config "
                                 "(an object with 'sections')")
    if not isinstance(written, dict):
        raise AnsibleFilterError("kapacitor_config_shadowed: expected the config the role wrote, as a dict")
    found = []
    for name, value in sorted(written.items()):
        elements = _elements(running["sections"].get(name))
        if not elements:
            continue
        if isinstance(value, dict):
            pairs = [(name, value, elements[0])]
        elif isinstance(value, list):
            by_name = dict((e.get("options", {}).get("name"), e) for e in elements)
            pairs = [("%s[%s]" % (name, item.get("name")), item, by_name.get(item.get("name")))
                     for item in value if isinstance(item, dict)]
        else:
            continue
        for label, options, element in pairs:
            if element is None:
                found.append(label)
                continue
            shown = element.get("options") or {}
            redacted = set(element.get("redacted") or [])
            for key, wanted in sorted(options.items()):
                if key in shown and not _same(wanted, shown[key], key in redacted):
                    found.append("%s.%s" % (label, key))
    return found


class FilterModule:
    """Kapacitor configuration filters."""

    def filters(self) -> dict[str, Any]:
        return {"kapacitor_config_shadowed": kapacitor_config_shadowed}
