# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``kapacitor_task_entries`` filter: the kapacitor role's kapacitor_tasks as the entries of
kapacitor_task's ``tasks`` option (one module run for all of them). See ``kapacitor_task_entries.yml``.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

# What a kapacitor_tasks entry may say besides script_file, as kapacitor_task's tasks take it.
KEYS = ("id", "script", "template_id", "type", "dbrps", "vars", "status", "state")


def kapacitor_task_entries(tasks: Any, scripts: Any = None) -> list:
    """Each task's keys for kapacitor_task; a ``script_file`` becomes its ``script``, read from ``scripts``
    (file name -> content, what the role's lookup read on the controller)."""
    if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
        raise AnsibleFilterError("kapacitor_task_entries: expected kapacitor_tasks, a list of dicts")
    scripts = scripts or {}
    if not isinstance(scripts, dict):
        raise AnsibleFilterError("kapacitor_task_entries: expected the scripts by file name")
    entries = []
    for index, task in enumerate(tasks):
        entry = dict((key, task[key]) for key in KEYS if task.get(key) is not None)
        if "script" not in entry and task.get("script_file") and entry.get("state", "present") == "present":
            if task["script_file"] not in scripts:
                raise AnsibleFilterError("kapacitor_task_entries: kapacitor_tasks[%d] (%s): script_file %s was not "
                                         "read" % (index, task.get("id"), task["script_file"]))
            entry["script"] = scripts[task["script_file"]]
        entries.append(entry)
    return entries


class FilterModule:
    """Kapacitor task filters."""

    def filters(self) -> dict[str, Any]:
        return {"kapacitor_task_entries": kapacitor_task_entries}
