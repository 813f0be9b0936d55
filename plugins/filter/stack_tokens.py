# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stack role's token bookkeeping (roles/stack/tasks/token.yml), for every service of a host at once.

``stack_token_values``: the token each service uses, the one just issued, else the host's copy (read by
influxdb2_token_probe), else a check-mode stand-in. ``stack_token_files``: the host_layout entries that
keep them (root-only files, their directories), or none when the copies are already right.
See the ``.yml`` file of each filter.
"""

from __future__ import annotations

import posixpath
from typing import Any

from ansible.errors import AnsibleFilterError

STAND_IN = "check-mode-stand-in"
FILE = {"mode": "0600", "uid": 0, "gid": 0}
DIRECTORY = {"mode": "0755", "uid": 0, "gid": 0}


def _copies(probe: Any, name: str) -> dict:
    """influxdb2_token_probe's copies; a skipped probe (a host without services) has none."""
    if not isinstance(probe, dict):
        raise AnsibleFilterError("%s: expected the registered result of influxdb2_token_probe" % name)
    copies = probe.get("copies", {})
    if not isinstance(copies, dict) or not all(isinstance(c, dict) for c in copies.values()):
        raise AnsibleFilterError("%s: expected the registered result of influxdb2_token_probe" % name)
    return copies


SERVICES = ("kapacitor", "telegraf")


def stack_token_entries(hosts: Any, rotate: Any = False) -> list[dict[str, Any]]:
    """influxdb2_token's ``tokens`` for every host of ``hosts`` (their variables, in play order): the token
    of each service of the host (the plan's ``host_tokens``), replaced when ``tickstack_rotate_tokens``
    (the host's own, else ``rotate``) or when the host's copy (its influxdb2_token_probe) is missing or
    refused."""
    if not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("stack_token_entries: expected the variables of the play's hosts (a list)")
    entries = []
    for host in hosts:
        plan = host.get("__stack_plan") or {}
        host_tokens = plan.get("host_tokens") or {} if isinstance(plan, dict) else {}
        probe = host.get("__stack_token_probe") or {}
        copies = probe.get("copies") or {} if isinstance(probe, dict) else {}
        host_rotate = host.get("tickstack_rotate_tokens", rotate)
        for service in SERVICES:
            token = host_tokens.get(service)
            if not token:
                continue
            copy = copies.get(service) or {}
            entries.append({"description": token["description"], "permissions": token["permissions"],
                            "rotate": _truthy(host_rotate) or not copy.get("accepted")})
    return entries


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "y", "t")
    return bool(value)


def stack_token_values(issued: Any, probe: Any, services: Any, host_tokens: Any = None) -> dict[str, str]:
    if not isinstance(issued, dict):
        raise AnsibleFilterError("stack_token_values: expected the registered result of influxdb2_token")
    if "tokens" in issued:
        # One run for every host (influxdb2_token's tokens): this host's entries by their description.
        if not isinstance(host_tokens, dict) or not isinstance(issued["tokens"], list):
            raise AnsibleFilterError("stack_token_values: a result of influxdb2_token's tokens needs the host's host_tokens")
        by_description = {r.get("description"): r for r in issued["tokens"] if isinstance(r, dict)}
        issued_by = {service: by_description.get((host_tokens.get(service) or {}).get("description")) or {}
                     for service in services or []}
    else:
        results = issued.get("results") or []
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            raise AnsibleFilterError("stack_token_values: expected the registered result of influxdb2_token")
        issued_by = {r.get("item"): r for r in results}
    copies = _copies(probe, "stack_token_values")
    values = {}
    for service in services or []:
        result = issued_by.get(service) or {}
        copy = copies.get(service) or {}
        if result.get("token_available") and result.get("token"):
            values[service] = result["token"]
        elif copy.get("value"):
            values[service] = copy["value"]
        else:
            values[service] = STAND_IN
    return values


def _right(found: Any, want: dict) -> bool:
    return isinstance(found, dict) and all(str(found.get(k)) == str(v) for k, v in want.items())


def stack_token_files(values: Any, paths: Any, services: Any, probe: Any = None) -> list[dict[str, Any]]:
    if not isinstance(values, dict) or not isinstance(paths, dict):
        raise AnsibleFilterError("stack_token_files: expected the tokens and the path of each service's token")
    copies = _copies(probe, "stack_token_files") if probe is not None else {}
    # The files the probe found that should not be there (its absent option) go in the same call.
    present = (probe or {}).get("present") or []
    if not isinstance(present, list):
        raise AnsibleFilterError("stack_token_files: expected the registered result of influxdb2_token_probe")
    gone = [{"path": path, "state": "absent"} for path in present]
    entries, seen, right = [], set(), not gone
    for service in services or []:
        value = values.get(service)
        if not value or value == STAND_IN:
            continue
        path = paths[service]
        directory = posixpath.dirname(path)
        if directory not in seen:
            seen.add(directory)
            entries.append({"path": directory, "state": "directory", "mode": DIRECTORY["mode"]})
        entries.append({"path": path, "content": value + "\n", "mode": FILE["mode"], "secret": True})
        copy = copies.get(service)
        right = right and isinstance(copy, dict) and copy.get("value") == value and _right(copy, FILE) and _right(
            copy.get("directory"), DIRECTORY)
    return [] if probe is not None and right else entries + gone


class FilterModule:
    """Token bookkeeping filters of the stack role."""

    def filters(self) -> dict[str, Any]:
        return {"stack_token_entries": stack_token_entries, "stack_token_values": stack_token_values,
                "stack_token_files": stack_token_files}
