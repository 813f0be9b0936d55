#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: kapacitor_task_stats
short_description: Sample Kapacitor's task statistics twice and return what each task received in between
description:
  - Lists Kapacitor's tasks with their statistics, waits O(interval) seconds and lists them again (two
    HTTP calls in all, whatever the number of tasks), and returns for each task what its counters did in
    between - whether a stream task received points at all, whether a batch task's queries failed.
  - A stream task that receives nothing is the usual silent failure after a move to InfluxDB 2 (it has no
    subscriptions, so Telegraf must write the task's database/retention policy to Kapacitor's write
    API); a batch task whose query gets 401 from InfluxDB still shows as running, with no task error,
    and only its query node's C(errors) counter grows (Kapacitor 1.8.3 has no C(query_errors) counter;
    it is added in when an older Kapacitor reports one).
  - Reads only; feed the result to the P(tickstack.influx.health_report#filter) filter for a verdict.
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes.info_module, tickstack.influx.kapacitor, tickstack.influx.tls]
options:
  interval:
    description:
      - Seconds between the two samples. V(0) takes one sample; every delta is then V(null).
    type: int
    default: 10
  pattern:
    description:
      - Only the tasks whose ID matches this glob (for example V(cpu_*)).
    type: str
  baseline:
    description:
      - An earlier result of this module taken with O(interval=0) (its RV(tasks) and RV(sampled_at), on the
        same host), used as the first sample - one HTTP call then. The deltas cover the time since it was
        taken; when that is less than O(interval), the module first waits for the rest.
      - The stack role samples once as a converge begins and once at its end, so that the converge itself is
        the interval.
    type: dict
notes:
  - The module waits O(interval) seconds on the host it runs on.
  - >-
    Age of the newest point: Kapacitor keeps no timestamp of the last point a task received, so the
    module cannot say how old it is. What it measures exactly is C(received), the growth of the first
    node's C(collected) counter during O(interval): more than 0 means the newest point is at most
    O(interval) seconds old. M(tickstack.influx.influxdb2_newest_point) measures the age of the newest
    point InfluxDB holds for a database/retention policy.
seealso:
  - module: tickstack.influx.kapacitor_info
  - module: tickstack.influx.influxdb2_newest_point
"""

EXAMPLES = r"""
- name: Sample the tasks 10 s apart
  tickstack.influx.kapacitor_task_stats:
    url: http://127.0.0.1:9092
    username: ansible
    password: "{{ kapacitor_admin_password }}"
    interval: 10
  register: kapacitor_stats

- name: Fail when a stream task received nothing
  ansible.builtin.assert:
    that: item.received | int > 0
    fail_msg: "{{ item.id }} received no points in {{ item.interval }} s"
  loop: "{{ kapacitor_stats.tasks | selectattr('type', '==', 'stream') | selectattr('executing') }}"
  loop_control:
    label: "{{ item.id }}"

- name: The verdict on tasks and Telegraf hosts
  ansible.builtin.debug:
    msg: "{{ (kapacitor_stats | tickstack.influx.health_report(stale_after=60)).lines }}"
"""

RETURN = r"""
version:
  description: Kapacitor's version.
  returned: always
  type: str
  sample: 1.8.3
interval:
  description: Seconds between the two samples (with O(baseline), since it was taken).
  returned: always
  type: int
  sample: 10
sampled_at:
  description: When the (second) sample was taken, in seconds since the epoch on the host the module runs on.
  returned: always
  type: float
  sample: 1764747600.25
tasks:
  description:
    - Every task (sorted by ID) in the second sample. The deltas (C(received), C(emitted), C(errors),
      C(query_errors), C(batches_queried), C(points_written), C(write_errors), C(node_deltas)) are V(null)
      with O(interval=0) and for a task that was not there in the first sample. A counter that went down
      (the task was restarted in between) counts from 0.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Task ID.
      type: str
    type:
      description: V(stream) or V(batch).
      type: str
    status:
      description: V(enabled) or V(disabled).
      type: str
    executing:
      description: Whether the task runs.
      type: bool
    error:
      description: The task's error (why it does not run); empty when it runs.
      type: str
    dbrps:
      description: The task's databases/retention policies, C([{db, rp}]).
      type: list
      elements: dict
    node_stats:
      description: Every node's statistics in the second sample, as Kapacitor reports them.
      type: dict
      sample: {"stream0": {"collected": 120, "emitted": 120, "errors": 0}}
    nodes:
      description: The node names in pipeline order.
      type: list
      elements: str
      sample: [stream0, from1, influxdb_out2]
    first_node:
      description: The first node (C(stream0) of a stream task, C(batch0) of a batch task).
      type: str
    collected:
      description: The first node's C(collected) counter in the second sample (points, or batches, since the task started).
      type: int
    received:
      description: How much the first node's C(collected) grew in O(interval) - the points (batches) the task received.
      type: int
      sample: 20
    emitted:
      description: How much the first node's C(emitted) grew in O(interval).
      type: int
    errors:
      description: How much the C(errors) counters of all nodes grew.
      type: int
    query_errors:
      description: How much the C(errors) (and C(query_errors)) counters of the query nodes grew - failed batch queries. V(0) without query nodes.
      type: int
    batches_queried:
      description: How much the query nodes' C(batches_queried) grew; V(null) without query nodes.
      type: int
    points_written:
      description: How much the C(points_written) counters grew (the C(influxDBOut()) nodes).
      type: int
    write_errors:
      description: How much the C(write_errors) counters grew (the C(influxDBOut()) nodes).
      type: int
    node_deltas:
      description: Per node, how much each counter grew (gauges such as C(avg_exec_time_ns) left out).
      type: dict
"""

import time

from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput
from ansible_collections.tickstack.influx.plugins.module_utils.kapacitor import (
    connect,
    kapacitor_argument_spec,
    sample_tasks,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import run_module

# Patched by the unit tests.
SLEEP = None
CLOCK = None


def gather(module, client):
    interval = module.params["interval"]
    if interval < 0 or interval > 3600:
        raise InvalidInput("interval: %d is out of range; give the seconds between the two samples, 0 to 3600 "
                           "(0 takes one sample)" % interval)
    baseline = module.params["baseline"]
    if baseline is not None:
        tasks, taken = baseline.get("tasks"), baseline.get("sampled_at")
        if not isinstance(tasks, list) or not all(isinstance(t, dict) and t.get("id") for t in tasks) \
                or not isinstance(taken, (int, float)):
            raise InvalidInput("baseline: expected an earlier result of this module (its tasks and sampled_at)")
        waited = (CLOCK or time.time)() - taken
        if waited < interval:
            (SLEEP or time.sleep)(interval - waited)
        interval = int(round((CLOCK or time.time)() - taken))
        baseline = (tasks, interval)
    tasks = sample_tasks(client, interval, pattern=module.params["pattern"], sleep=SLEEP, baseline=baseline)
    return {"changed": False, "version": client.server_version(), "interval": interval, "tasks": tasks,
            "sampled_at": (CLOCK or time.time)()}


def main():
    run_module(kapacitor_argument_spec(
        interval=dict(type="int", default=10),
        pattern=dict(type="str"),
        baseline=dict(type="dict"),
    ), gather, connect, action="cannot read Kapacitor's task statistics")


if __name__ == "__main__":
    main()
