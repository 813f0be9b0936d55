# Copyright: tickstack.influx contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bench only: every task result as JSON (task, action, path, host, status, start, end) and the recap.

Enabled by tools/bench/stack.py through ANSIBLE_CALLBACK_PLUGINS and ANSIBLE_CALLBACKS_ENABLED; it
writes to the file in BENCH_TIMING_FILE when the playbook ends. Times are time.time() so that the
bench's proxy, in another process on the same machine, can place its requests in the task windows.
Nothing of a result but its status is kept (no arguments, no values: no secret can reach the file).
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_timing
type: aggregate
short_description: task timings as JSON for tools/bench/stack.py
description:
  - Writes one record per task run and host (uuid, name, action, path, status, start, end) and the play recap
    to the file named by E(BENCH_TIMING_FILE).
requirements:
  - enabled in ANSIBLE_CALLBACKS_ENABLED
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timing"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._path = os.environ.get("BENCH_TIMING_FILE", "")
        self._started: dict[tuple[str, str], float] = {}
        self._task_start: dict[str, float] = {}
        self._records: list[dict] = []
        self._plays: list[dict] = []

    def v2_playbook_on_play_start(self, play):
        self._plays.append({"name": play.get_name(), "start": time.time()})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_start[task._uuid] = time.time()

    def v2_playbook_on_handler_task_start(self, task):
        self._task_start[task._uuid] = time.time()

    def v2_runner_on_start(self, host, task):
        self._started[(task._uuid, host.get_name())] = time.time()

    def _record(self, result, status):
        task = result._task
        host = result._host.get_name()
        end = time.time()
        start = self._started.pop((task._uuid, host), None) or self._task_start.get(task._uuid, end)
        changed = bool(result._result.get("changed", False)) if status == "ok" else False
        self._records.append({
            "uuid": task._uuid,
            "task": task.get_name(),
            "action": task.action,
            "path": task.get_path() or "",
            "host": host,
            "status": "changed" if changed else status,
            "start": start,
            "end": end,
        })

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        if not self._path:
            return
        recap = {host: stats.summarize(host) for host in sorted(stats.processed)}
        with open(self._path, "w", encoding="utf-8") as out:
            json.dump({"plays": self._plays, "records": self._records, "recap": recap}, out)
