# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``migrate_plan`` filter: what ``influxdb1_info`` read -> the InfluxDB 2 objects to make."""

from __future__ import annotations

import time
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.tickstack.influx.plugins.plugin_utils.migrate_plan import (
    build_plan,
    copy_ranges,
    kapacitor_model,
    report,
    summary,
    task_problems,
    telegraf_influxdb1_output,
)


def migrate_plan(info: Any, model: Any = None, kapacitor: Any = None, telegraf_database: str = "telegraf",
                 telegraf_retention_policy: str = "autogen", influxdb1_url: str | None = None,
                 telegraf_username: str | None = None) -> dict[str, Any]:
    if not isinstance(info, dict):
        raise AnsibleFilterError("migrate_plan: the input must be the result of tickstack.influx.influxdb1_info")
    if model is not None and not isinstance(model, dict):
        raise AnsibleFilterError("migrate_plan: model must be a dict (databases, skip_databases, skip_users)")
    if kapacitor is not None and not isinstance(kapacitor, dict):
        raise AnsibleFilterError("migrate_plan: kapacitor must be the result of tickstack.influx.kapacitor_info")
    try:
        plan = build_plan(info, model)
        plan["summary"] = summary(plan)
        if kapacitor is not None:
            plan["kapacitor"] = kapacitor_model(plan, kapacitor.get("tasks") or [], telegraf_database,
                                                telegraf_retention_policy)
            plan["summary"] += ["kapacitor task %s (%s) -> InfluxDB 2%s" % (
                t["id"], t.get("type") or "?", ", proven after" if t["id"] in plan["kapacitor"]["running"] else "")
                for t in plan["kapacitor"]["kapacitor_tasks"]]
            plan["summary"] += ["note: %s" % n for n in plan["kapacitor"]["notes"]]
            plan["kapacitor"]["telegraf_output"] = telegraf_influxdb1_output(
                influxdb1_url or "", telegraf_database, telegraf_retention_policy, username=telegraf_username)
    except ValueError as e:
        raise AnsibleFilterError(str(e)) from e
    return plan


def migrate_copy_ranges(plan: Any, cutover: Any, lag: Any = "10m") -> list[dict[str, Any]]:
    if not isinstance(plan, dict) or "copies" not in plan:
        raise AnsibleFilterError("migrate_copy_ranges: the input must be a tickstack.influx.migrate_plan result")
    if not isinstance(cutover, dict):
        raise AnsibleFilterError("migrate_copy_ranges: cutover must be a dict with before and after (epoch seconds)")
    try:
        return copy_ranges(plan, cutover, lag)
    except ValueError as e:
        raise AnsibleFilterError(str(e)) from e


def migrate_task_problems(after: Any, earlier: Any, running: Any) -> list[str]:
    if not isinstance(after, dict) or not isinstance(earlier, dict):
        raise AnsibleFilterError("migrate_task_problems: after and earlier must be tickstack.influx.kapacitor_info results")
    return task_problems(after, earlier, [str(t) for t in running or []])


def migrate_report(copied: Any, cutover: Any) -> dict[str, Any]:
    if not isinstance(copied, list) or not isinstance(cutover, dict):
        raise AnsibleFilterError("migrate_report: the input must be the influxdb1_copy results and cutover a dict")
    return report(copied, cutover, time.time())


class FilterModule:
    """The migration plan from InfluxDB 1.x."""

    def filters(self) -> dict[str, Any]:
        return {"migrate_plan": migrate_plan, "migrate_copy_ranges": migrate_copy_ranges,
                "migrate_task_problems": migrate_task_problems, "migrate_report": migrate_report}
