# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``host_problems`` filter: what keeps a role from installing its service on a host (an OS family it
does not support, a service manager other than systemd, an unknown install method), each message naming
what was found and the fix, for the common role's preflight to fail with all of them at once before
anything is written. See ``host_problems.yml`` for the options.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

INSTALL_METHODS = ("repo", "archive")


def host_problems(facts: Any, service: Any, install_method: Any, supported: Any = ("Debian", "RedHat")) -> list[str]:
    if not isinstance(facts, Mapping):
        raise AnsibleFilterError("host_problems: expected the host's ansible_facts as a dict, got %s"
                                 % type(facts).__name__)
    if not isinstance(service, str) or not service:
        raise AnsibleFilterError("host_problems: expected the service's name (influxdb, kapacitor, telegraf)")
    if isinstance(supported, str) or not isinstance(supported, Sequence):
        raise AnsibleFilterError("host_problems: expected the supported OS families as a list")
    problems = []
    family = facts.get("os_family") or ""
    manager = facts.get("service_mgr") or ""
    if family not in supported or manager != "systemd":
        problems.append(
            "The %s role supports Debian-family (tested: Debian 12 and 13) and RedHat-family (repository untested) "
            "systems running systemd. This host runs %s %s (family %s) with service manager %s."
            % (service, facts.get("distribution") or "an unknown OS", facts.get("distribution_version") or "",
               family or "unknown", manager or "unknown"))
    if install_method not in INSTALL_METHODS:
        problems.append("%s_install_method is '%s'; use 'repo' (InfluxData's package repository) or 'archive' "
                        "(the official release tarball)." % (service, install_method))
    return problems


class FilterModule:
    def filters(self):
        return {"host_problems": host_problems}
