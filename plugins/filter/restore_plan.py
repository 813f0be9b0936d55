# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``restore_plan`` filter: verified backups + what the host holds -> what to restore, or why not."""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
from typing import Any

from ansible.errors import AnsibleFilterError

SERVICES = ("influxdb", "kapacitor")


def _verified(results: list[dict[str, Any]], sets: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The manifests the backup script printed, by service, and the messages of those it refused."""
    manifests: dict[str, Any] = {}
    errors = []
    for result in results:
        service = (result.get("item") or {}).get("key")
        if service not in sets:
            raise AnsibleFilterError(f"restore_plan: a verify result for {service!r}, which is not being restored")
        message = (result.get("stderr") or result.get("msg") or "").strip().removeprefix("tickstack-backup: ")
        if result.get("rc") != 0:
            errors.append(f"tickstack_restore_{service}_backup={sets[service]} cannot be restored: {message or 'verify failed'}")
            continue
        try:
            manifests[service] = json.loads(result.get("stdout") or "")
        except ValueError:
            errors.append(f"tickstack_restore_{service}_backup={sets[service]}: the verify printed no manifest ({message})")
    return manifests, errors


def restore_plan(sets: Any, verified: Any, markers: Any = None, onboarded: Any = False, force: Any = False,
                 operator_token: Any = "") -> dict[str, Any]:
    """{pending: {service: backup name}, manifests, errors}: errors non-empty means nothing may change.

    sets: {service: backup directory on the controller}; verified: the registered results of the
    ``tickstack_backup.py verify`` loop over them; markers: the registered slurp results of
    /var/lib/<service>/.tickstack-restored; onboarded: whether the host's InfluxDB is onboarded already.
    """
    if not isinstance(sets, dict) or not sets or set(sets) - set(SERVICES):
        raise AnsibleFilterError("restore_plan: sets must map influxdb and/or kapacitor to a backup directory")
    if not isinstance(verified, list):
        raise AnsibleFilterError("restore_plan: verified must be the results of the verify loop")
    manifests, errors = _verified(verified, sets)
    missing = [service for service in sets if service not in manifests and not any(service in e for e in errors)]
    errors += [f"tickstack_restore_{service}_backup: not verified" for service in missing]
    if "influxdb" in manifests:
        wanted = manifests["influxdb"].get("operator_token_sha256")
        if not operator_token or hashlib.sha256(str(operator_token).encode()).hexdigest() != wanted:
            errors.append(
                f"{sets['influxdb']} was taken with another operator token than influxdb_operator_token. A full "
                "restore replaces the fresh server's tokens with the backup's, so the fresh server must be "
                "onboarded with the same one: set influxdb_operator_token to the operator token of the "
                "instance that was backed up")
    restored = {}
    for marker in markers or []:
        service = marker.get("item")
        if marker.get("content") is not None:
            restored[service] = base64.b64decode(marker["content"]).decode().strip()
    pending = {}
    refused = []
    for service, path in sorted(sets.items()):
        name = posixpath.basename(str(path).rstrip("/"))
        if restored.get(service) == name:
            continue
        pending[service] = name
        if restored.get(service):
            refused.append(f"{service} was restored from {restored[service]} already")
        elif service == "influxdb" and onboarded:
            refused.append("its InfluxDB is onboarded already (a full restore replaces everything it holds)")
    if refused and not force:
        errors.append("not a fresh host: " + "; ".join(refused) + ". Set tickstack_restore_force=true to replace it anyway")
    return {"pending": pending if not errors else {}, "manifests": manifests, "errors": errors}


class FilterModule:
    """What the restore playbook restores."""

    def filters(self) -> dict[str, Any]:
        return {"restore_plan": restore_plan}
