# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``health_report`` filter: Kapacitor task statistics and newest points -> findings and pass/fail."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.tickstack.influx.plugins.plugin_utils.health_report import health_report as build_report
from ansible_collections.tickstack.influx.plugins.plugin_utils.health_report import health_series as build_series


def health_report(tasks: Any, points: Any = None, hosts: Any = (), stale_after: Any = 60,
                  telegraf_database: str = "telegraf", telegraf_retention_policy: str = "autogen") -> dict[str, Any]:
    if isinstance(tasks, dict) and tasks.get("skipped"):
        tasks = None
    if isinstance(points, dict) and points.get("skipped"):
        points = None
    try:
        seconds = int(stale_after)
    except (TypeError, ValueError):
        raise AnsibleFilterError("health_report: stale_after must be a number of seconds, got %r" % (stale_after,)) from None
    if hosts is not None and not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("health_report: hosts must be a list of the Telegraf hosts' host tag values")
    try:
        return build_report(tasks, points, hosts or [], seconds, telegraf_database, telegraf_retention_policy)
    except ValueError as e:
        raise AnsibleFilterError("health_report: %s" % e) from e


def health_series(tasks: Any, telegraf_database: str = "telegraf", telegraf_retention_policy: str = "autogen") -> list:
    if isinstance(tasks, dict) and tasks.get("skipped"):
        tasks = None
    try:
        return build_series(tasks, telegraf_database, telegraf_retention_policy)
    except ValueError as e:
        raise AnsibleFilterError("health_series: %s" % e) from e


class FilterModule:
    """The stack's health verdict."""

    def filters(self) -> dict[str, Any]:
        return {"health_report": health_report, "health_series": health_series}
