# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``credential_paths`` filter: a service's secrets as root-only files, as host_layout paths.

For the common role's configure step (roles/common/tasks/configure.yml): the credentials directory with
one file per secret (purged of any other file), and the systemd drop-in that passes them with
``LoadCredential=``; with no secret, the directory and the drop-in go. See ``credential_paths.yml``.
"""

from __future__ import annotations

from collections.abc import Mapping
import posixpath
from typing import Any

from ansible.errors import AnsibleFilterError

DROP_IN = "40-ansible-credentials.conf"


def credential_paths(credentials: Any, directory: str, drop_in_dir: str, drop_in: str = "", group: str = "root",
                     systemd: bool = True) -> list[dict[str, Any]]:
    if not isinstance(credentials, Mapping):
        raise AnsibleFilterError("credential_paths: expected the secrets as a dict (name to value), got %s"
                                 % type(credentials).__name__)
    if not directory:
        return []
    if not drop_in_dir:
        raise AnsibleFilterError("credential_paths: drop_in_dir (the service's systemd drop-in directory) is empty")
    root = group == "root"
    paths: list[dict[str, Any]] = []
    if credentials:
        paths.append({"path": directory, "state": "directory", "group": group, "mode": "0700" if root else "0750",
                      "purge": True})
        for name in sorted(credentials):
            value = credentials[name]
            paths.append({"path": posixpath.join(directory, str(name)),
                          "content": value if isinstance(value, str) else str(value),
                          "group": group, "mode": "0600" if root else "0640", "secret": True})
    else:
        paths.append({"path": directory, "state": "absent"})
    drop_in_path = posixpath.join(drop_in_dir, DROP_IN)
    if credentials and systemd:
        paths.append({"path": drop_in_path, "mode": "0644", "content": drop_in})
    else:
        paths.append({"path": drop_in_path, "state": "absent"})
    return paths


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"credential_paths": credential_paths}
