# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kapacitor role's kapacitor_tasks for kapacitor_task's ``tasks`` option (one module run for all).

``kapacitor_task_script_files``: the ``script_file`` names the role reads on the controller (a task without
its own ``script``). ``kapacitor_task_entries``: the entries, each such file replaced by its content.
See ``kapacitor_task_entries.yml`` and ``kapacitor_task_script_files.yml``.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

# What a kapacitor_tasks entry may say besides script_file, as kapacitor_task's tasks take it.
KEYS = ("id", "script", "template_id", "type", "dbrps", "vars", "status", "state")


def _tasks(tasks: Any, name: str) -> list:
    if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
        raise AnsibleFilterError("%s: expected kapacitor_tasks, a list of dicts" % name)
    return tasks


def _reads_file(task: dict) -> bool:
    """Whether the task's script comes from its script_file: it has no script of its own and is not being
    deleted (a deleted task needs no script, and its file may be gone)."""
    return task.get("script") is None and bool(task.get("script_file")) and task.get("state", "present") != "absent"


def kapacitor_task_script_files(tasks: Any) -> list:
    """The script_file of each task that reads one, each once, in order."""
    files = []
    for task in _tasks(tasks, "kapacitor_task_script_files"):
        if _reads_file(task) and task["script_file"] not in files:
            files.append(task["script_file"])
    return files


def kapacitor_task_entries(tasks: Any, scripts: Any = None) -> list:
    """Each task's keys for kapacitor_task; a ``script_file`` becomes its ``script``, read from ``scripts``
    (file name -> content, what the role's lookup read on the controller)."""
    tasks = _tasks(tasks, "kapacitor_task_entries")
    scripts = scripts or {}
    if not isinstance(scripts, dict):
        raise AnsibleFilterError("kapacitor_task_entries: expected the scripts by file name")
    entries = []
    for index, task in enumerate(tasks):
        entry = dict((key, task[key]) for key in KEYS if task.get(key) is not None)
        if _reads_file(task):
            if task["script_file"] not in scripts:
                raise AnsibleFilterError("kapacitor_task_entries: kapacitor_tasks[%d] (%s): script_file %s was not "
                                         "read" % (index, task.get("id"), task["script_file"]))
            entry["script"] = scripts[task["script_file"]]
        entries.append(entry)
    return entries


class FilterModule:
    """Kapacitor task filters."""

    def filters(self) -> dict[str, Any]:
        return {"kapacitor_task_entries": kapacitor_task_entries,
                "kapacitor_task_script_files": kapacitor_task_script_files}
