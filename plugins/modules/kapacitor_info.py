#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: kapacitor_info
short_description: Read Kapacitor's tasks, templates, alert topics and handlers
description:
  - Returns Kapacitor's version, its tasks (with status, whether they run, their last error, DBRPs
    and execution statistics), its templates, and its alert topics with their handlers.
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes.info_module, tickstack.influx.kapacitor, tickstack.influx.tls]
options:
  gather:
    description:
      - What to read. V(all) reads everything.
    type: list
    elements: str
    choices: [all, tasks, templates, topics]
    default: [all]
  pattern:
    description:
      - Only the tasks, templates and topics whose ID matches this glob (for example V(cpu_*)).
    type: str
  include_scripts:
    description:
      - Return the TICKscript of each task and template.
    type: bool
    default: true
seealso:
  - module: tickstack.influx.kapacitor_task
  - module: tickstack.influx.kapacitor_template
  - module: tickstack.influx.kapacitor_topic_handler
"""

EXAMPLES = r"""
- name: Read everything
  tickstack.influx.kapacitor_info:
    url: http://localhost:9092
  register: kapacitor

- name: Fail when a task is enabled but not running
  ansible.builtin.assert:
    that: item.executing
    fail_msg: "{{ item.id }} is not running: {{ item.error }}"
  loop: "{{ kapacitor.tasks | selectattr('status', '==', 'enabled') }}"
  loop_control:
    label: "{{ item.id }}"

- name: Points processed by the cpu tasks
  tickstack.influx.kapacitor_info:
    gather: [tasks]
    pattern: cpu_*
    include_scripts: false
  register: cpu_tasks
"""

RETURN = r"""
version:
  description: Kapacitor's version.
  returned: always
  type: str
  sample: 1.8.3
tasks:
  description:
    - The tasks, sorted by ID, each with the keys that M(tickstack.influx.kapacitor_task) returns in its
      C(task) result (C(id), C(type), C(status), C(executing), C(error), C(dbrps), C(script) with
      O(include_scripts), C(vars), C(template_id), C(created), C(modified), C(last_enabled)), plus C(stats).
  returned: when gathered
  type: list
  elements: dict
  contains:
    stats:
      description:
        - Execution statistics of a running task, C(task_stats) (such as C(throughput)) and
          C(node_stats) by node (such as C(collected), C(emitted), C(points_written), C(write_errors)).
        - Empty dicts when the task is not running.
      type: dict
      sample: {"task_stats": {"throughput": 0}, "node_stats": {"stream0": {"collected": 12, "emitted": 12}}}
templates:
  description:
    - The templates, sorted by ID, each with the keys that M(tickstack.influx.kapacitor_template) returns in
      its C(template) result (C(id), C(type), C(script) with O(include_scripts), C(vars), C(error), C(created),
      C(modified)).
  returned: when gathered
  type: list
  elements: dict
topics:
  description: The alert topics, sorted by ID, each with its handlers.
  returned: when gathered
  type: list
  elements: dict
  contains:
    id:
      description: Topic ID.
      type: str
      sample: cpu
    level:
      description: The highest level of the topic's current events.
      type: str
      sample: OK
    collected:
      description: Number of events the topic has received.
      type: int
    handlers:
      description: Its handlers (topic, id, kind, options with secret-looking values masked, match).
      type: list
      elements: dict
"""

from ansible_collections.tickstack.influx.plugins.module_utils.kapacitor import (
    connect,
    handler_summary,
    kapacitor_argument_spec,
    mask_options,
    secret_option_values,
    task_summary,
    template_summary,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import run_module


def gather(module, client):
    params = module.params
    wanted = set(params["gather"])
    if "all" in wanted:
        wanted = {"tasks", "templates", "topics"}
    pattern = params["pattern"]
    result = {"changed": False}

    if "tasks" in wanted:
        tasks = [task_summary(t, include_stats=True) for t in client.list_tasks(pattern=pattern)]
        result["tasks"] = sorted(tasks, key=lambda t: t["id"])
    if "templates" in wanted:
        templates = [template_summary(t) for t in client.list_templates(pattern=pattern)]
        result["templates"] = sorted(templates, key=lambda t: t["id"])
    if not params["include_scripts"]:
        for item in result.get("tasks", []) + result.get("templates", []):
            item.pop("script", None)
    if "topics" in wanted:
        topics = []
        for topic in client.list_topics(pattern=pattern):
            handlers = []
            for handler in client.list_handlers(topic["id"]):
                module.no_log_values.update(secret_option_values(handler.get("options")))
                summary = handler_summary(topic["id"], handler)
                summary["options"] = mask_options(summary["options"])
                handlers.append(summary)
            topics.append({"id": topic["id"], "level": topic.get("level"), "collected": topic.get("collected", 0),
                           "handlers": handlers})
        result["topics"] = sorted(topics, key=lambda t: t["id"])
    # From the replies' X-Kapacitor-Version (a ping only when nothing was asked).
    result["version"] = client.server_version()
    return result


def main():
    run_module(kapacitor_argument_spec(
        gather=dict(type="list", elements="str", choices=["all", "tasks", "templates", "topics"], default=["all"]),
        pattern=dict(type="str"),
        include_scripts=dict(type="bool", default=True),
    ), gather, connect, action="cannot read Kapacitor")


if __name__ == "__main__":
    main()
