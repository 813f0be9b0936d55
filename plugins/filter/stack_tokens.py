# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stack role's token bookkeeping (roles/stack/tasks/token.yml), for every service of a host at once.

``stack_token_probes``: the services whose copy InfluxDB accepted (HTTP 200), and those it could not check. ``stack_token_values``:
the token each service uses, the one just issued, else the host's copy, else a check-mode stand-in.
``stack_token_files``: the host_layout entries that keep them (root-only files, their directories).
See the ``.yml`` file of each filter.
"""

from __future__ import annotations

import base64
import posixpath
from typing import Any

from ansible.errors import AnsibleFilterError

STAND_IN = "check-mode-stand-in"


def _results(registered: Any, name: str) -> list[dict]:
    if not isinstance(registered, dict):
        raise AnsibleFilterError("%s: expected a registered loop result" % name)
    results = registered.get("results", [])
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise AnsibleFilterError("%s: expected a registered loop result" % name)
    return results


def stack_token_probes(probes: Any) -> dict[str, list]:
    """``accepted``: the services whose copy InfluxDB accepted (200); ``unreachable``: those whose probe got
    neither 200 nor 401, with the status and message only (the probe loop's items hold the copies)."""
    accepted, unreachable = [], []
    for result in _results(probes, "stack_token_probes"):
        service = (result.get("item") or {}).get("item")
        status = result.get("status")
        if status == 200:
            accepted.append(service)
        elif status != 401:
            unreachable.append({"service": service, "status": status if status is not None else "-",
                                "msg": str(result.get("msg") or "")})
    return {"accepted": accepted, "unreachable": unreachable}


def stack_token_values(issued: Any, copies: Any, services: Any) -> dict[str, str]:
    issued_by = {r.get("item"): r for r in _results(issued, "stack_token_values")} if issued.get("results") else {}
    copies_by = {r.get("item"): r for r in _results(copies, "stack_token_values")}
    values = {}
    for service in services or []:
        result = issued_by.get(service) or {}
        copy = copies_by.get(service) or {}
        if result.get("token_available") and result.get("token"):
            values[service] = result["token"]
        elif copy.get("content"):
            values[service] = base64.b64decode(copy["content"]).decode("utf-8").strip()
        else:
            values[service] = STAND_IN
    return values


def stack_token_files(values: Any, paths: Any, services: Any) -> list[dict[str, Any]]:
    if not isinstance(values, dict) or not isinstance(paths, dict):
        raise AnsibleFilterError("stack_token_files: expected the tokens and the path of each service's token")
    entries, seen = [], set()
    for service in services or []:
        value = values.get(service)
        if not value or value == STAND_IN:
            continue
        path = paths[service]
        directory = posixpath.dirname(path)
        if directory not in seen:
            seen.add(directory)
            entries.append({"path": directory, "state": "directory", "mode": "0755"})
        entries.append({"path": path, "content": value + "\n", "mode": "0600", "secret": True})
    return entries


class FilterModule:
    """Token bookkeeping filters of the stack role."""

    def filters(self) -> dict[str, Any]:
        return {"stack_token_probes": stack_token_probes, "stack_token_values": stack_token_values,
                "stack_token_files": stack_token_files}
