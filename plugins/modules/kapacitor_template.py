#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: kapacitor_template
short_description: Manage Kapacitor task templates
description:
  - Create, update and delete a Kapacitor template, a TICKscript with C(var) declarations from which
    M(tickstack.influx.kapacitor_task) makes tasks with O(tickstack.influx.kapacitor_task#module:template_id).
  - Scripts are compared token by token, so re-indenting is not a change.
  - Kapacitor applies an updated template to every task made from it and restarts the enabled ones.
    If that fails, Kapacitor puts the tasks back but not the template; this module then puts the
    template's previous script back too, so that a failed update leaves nothing changed.
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes, tickstack.influx.kapacitor, tickstack.influx.tls]
options:
  id:
    description:
      - ID of the template (letters, digits, V(-), V(.) and V(_)).
    type: str
    required: true
    aliases: [name]
  script:
    description:
      - The TICKscript of the template. Its C(var) declarations are what tasks set with C(vars).
      - Required with O(state=present).
    type: str
  state:
    description:
      - V(present) creates or updates the template, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - V(stream) or V(batch). Kapacitor derives it from the script; when this is set and the script
        says otherwise, the module fails.
    type: str
    choices: [stream, batch]
  force:
    description:
      - With O(state=absent), delete the template even if tasks were made from it. Those tasks keep
        running, but Kapacitor can no longer update them.
      - Without it, deleting a template that tasks use fails and names the tasks.
    type: bool
    default: false
seealso:
  - module: tickstack.influx.kapacitor_task
  - name: Kapacitor template tasks
    description: How templates and their vars work.
    link: https://docs.influxdata.com/kapacitor/v1/working/template_tasks/
"""

EXAMPLES = r"""
- name: A threshold alert template
  tickstack.influx.kapacitor_template:
    url: http://localhost:9092
    id: threshold_alert
    script: |
      dbrp "telegraf"."autogen"

      var measurement string
      var where_filter = lambda: TRUE
      var groups = [*]
      var field string
      var crit lambda
      var window = 5m

      stream
        |from()
          .measurement(measurement)
          .where(where_filter)
          .groupBy(groups)
        |window()
          .period(window)
          .every(window)
        |mean(field)
        |alert()
          .crit(crit)
          .topic('thresholds')

- name: Delete a template nothing uses any more
  tickstack.influx.kapacitor_template:
    id: old_template
    state: absent
"""

RETURN = r"""
template:
  description: The template after the run (what it would be, in check mode). Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: Template ID.
      type: str
      sample: threshold_alert
    type:
      description: V(stream) or V(batch).
      type: str
      sample: stream
    script:
      description: The TICKscript as stored.
      type: str
    vars:
      description: The vars the script declares, with their types and defaults, as Kapacitor reports them.
      type: dict
      sample: {"window": {"type": "duration", "value": 300000000000, "description": ""}}
    error:
      description: Kapacitor's error for the template, empty when none.
      type: str
    created:
      description: When it was created.
      type: str
    modified:
      description: When it was last changed.
      type: str
tasks:
  description: IDs of the tasks made from the template (checked before a delete).
  returned: when O(state=absent) and the template existed
  type: list
  elements: str
  sample: [cpu_alert_web]
diff:
  description: The changed keys before and after.
  returned: in diff mode
  type: dict
"""

from ansible_collections.tickstack.influx.plugins.module_utils.compare import Differ, state_diff
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import ApiError, ServerError
from ansible_collections.tickstack.influx.plugins.module_utils.kapacitor import (
    KapacitorFailure,
    connect,
    kapacitor_argument_spec,
    template_summary,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import STATE, run_module
from ansible_collections.tickstack.influx.plugins.module_utils.tickscript import script_key, script_type


def tasks_using(client, template_id):
    tasks = client.list_tasks(fields=["template-id"])
    return sorted(t["id"] for t in tasks if t.get("template-id") == template_id)


def ensure(module, client):
    current = client.get_template(module.params["id"])
    if module.params["state"] == "absent":
        return absent(module, client, current)
    return present(module, client, current)


def absent(module, client, current):
    template_id = module.params["id"]
    if current is None:
        return {"changed": False, "template": {}, "diff": state_diff({}, {})}
    users = tasks_using(client, template_id)
    if users and not module.params["force"]:
        raise KapacitorFailure("template %s is used by task(s) %s: delete them first, or set force=true to delete "
                               "the template anyway" % (template_id, ", ".join(users)))
    if not module.check_mode:
        client.delete_template(template_id)
    before = {"id": template_id, "type": current.get("type"), "script": current.get("script")}
    return {"changed": True, "template": {}, "tasks": users, "diff": state_diff(before, {})}


def present(module, client, current):
    params = module.params
    template_id, script = params["id"], params["script"]
    if not script or not script.strip():
        raise KapacitorFailure("script is required to create or update a template")
    inferred = script_type(script)
    if params["type"] and inferred and params["type"] != inferred:
        raise KapacitorFailure("type is %s but the script is a %s template (Kapacitor takes the type from the "
                               "script)" % (params["type"], inferred))
    wanted_type = inferred or params["type"]

    if current is None:
        body = {"id": template_id, "script": script}
        if wanted_type:
            body["type"] = wanted_type
        view = {"id": template_id, "type": wanted_type, "script": script}
        if module.check_mode:
            predicted = {"vars": {}, "error": "", "created": None, "modified": None}
            predicted.update(view)
            return {"changed": True, "template": predicted, "diff": state_diff({}, view)}
        try:
            created = client.create_template(body)
        except ApiError as e:
            raise KapacitorFailure("Kapacitor refused to create template %s: %s" % (template_id, e), e) from e
        return {"changed": True, "template": template_summary(client.get_template(template_id) or created),
                "diff": state_diff({}, view)}

    differ = Differ()
    if script_key(current.get("script")) != script_key(script):
        differ.add("script", current.get("script"), script)
    if wanted_type:
        differ.compare("type", current.get("type"), wanted_type)
    if not differ.changed:
        return {"changed": False, "template": template_summary(current), "diff": differ.diff()}
    if module.check_mode:
        predicted = template_summary(current)
        predicted.update(differ.after)
        return {"changed": True, "template": predicted, "diff": differ.diff()}

    body = {"script": script}
    if wanted_type:
        body["type"] = wanted_type
    try:
        client.update_template(template_id, body)
    except ApiError as e:
        message = "Kapacitor refused to update template %s: %s" % (template_id, e)
        if isinstance(e, ServerError):
            message += restore(client, current)
        raise KapacitorFailure(message, e) from e
    return {"changed": True, "template": template_summary(client.get_template(template_id)), "diff": differ.diff()}


def restore(client, snapshot):
    """After a 5xx Kapacitor may have stored the new script and failed on a task: put the old one back."""
    try:
        now = client.get_template(snapshot["id"])
        if now is not None and script_key(now.get("script")) == script_key(snapshot.get("script")):
            return "; the template was left unchanged"
        client.update_template(snapshot["id"], {"script": snapshot.get("script"), "type": snapshot.get("type")})
        return "; the template's previous script was restored"
    except ApiError as e:
        return "; restoring the template's previous script failed too: %s" % e


def main():
    run_module(kapacitor_argument_spec(
        id=dict(type="str", required=True, aliases=["name"]),
        script=dict(type="str"),
        type=dict(type="str", choices=["stream", "batch"]),
        force=dict(type="bool", default=False),
        state=STATE,
    ), ensure, connect, action=lambda p: "template %s" % p["id"],
        natural_keys=("id",), required_if=[("state", "present", ("script",))])


if __name__ == "__main__":
    main()
