#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: kapacitor_task
short_description: Manage Kapacitor tasks
description:
  - Create, update, enable, disable and delete a Kapacitor task, from a TICKscript or from a template.
  - Scripts are compared token by token, the way Kapacitor's lexer reads them, so re-indenting a script
    or changing its line breaks is not a change; comments are part of the script and count.
  - An update is done in place (C(PATCH)); an enabled task whose definition changed is then reloaded
    (disabled and enabled again) as C(kapacitor define) does, because Kapacitor does not restart it.
  - A script Kapacitor rejects fails the task with Kapacitor's message (it names the line and
    character) and leaves nothing behind. If a step after the first write fails (for example the new
    definition is valid but cannot start), the previous task is put back as it was.
  - With O(tasks), manages several tasks in one run, from one listing of the server's tasks; an
    idempotent run of any number of tasks costs one request (one per 100 tasks the server holds).
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes, tickstack.influx.kapacitor, tickstack.influx.tls]
options:
  id:
    description:
      - ID of the task (letters, digits, V(-), V(.) and V(_)).
      - Required unless O(tasks) is set.
    type: str
    aliases: [name]
  tasks:
    description:
      - Several tasks, each with the options of a single one (O(id), O(script), O(template_id), O(type),
        O(dbrps), O(vars), O(status), O(state)), managed in order in one run.
      - Mutually exclusive with O(id) and the definition options; the top-level O(status) and O(state)
        are not used (each entry has its own, with the same defaults).
      - Every entry is checked before any request. An entry that fails stops the run, and the message
        names it by its index and ID; those before it are done, each one whole, and a new run goes on
        from it.
    type: list
    elements: dict
    suboptions:
      id:
        description: As O(id).
        type: str
        required: true
        aliases: [name]
      script:
        description: As O(script).
        type: str
      template_id:
        description: As O(template_id).
        type: str
      type:
        description: As O(type).
        type: str
        choices: [stream, batch]
      dbrps:
        description: As O(dbrps).
        type: list
        elements: dict
        suboptions:
          db:
            description: Database name.
            type: str
            required: true
          rp:
            description: Retention policy name.
            type: str
            required: true
      vars:
        description: As O(vars).
        type: dict
      status:
        description: As O(status).
        type: str
        choices: [enabled, disabled]
        default: enabled
      state:
        description: As O(state).
        type: str
        choices: [present, absent]
        default: present
  script:
    description:
      - The TICKscript of the task.
      - Mutually exclusive with O(template_id).
      - Needed to create a task unless O(template_id) is set. When neither is set, the definition
        of an existing task is left alone and only O(status), O(vars) and O(dbrps) are managed.
    type: str
  state:
    description:
      - V(present) creates or updates the task, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  template_id:
    description:
      - Create the task from this template (see M(tickstack.influx.kapacitor_template)); its vars
        are set with O(vars).
      - The template must exist, also in check mode.
    type: str
  type:
    description:
      - V(stream) or V(batch).
      - Kapacitor derives the type from the script (a C(stream) or C(batch) source node); when this
        is set and the script says otherwise, the module fails instead of letting the server overrule it.
    type: str
    choices: [stream, batch]
  dbrps:
    description:
      - Databases and retention policies the task reads (stream tasks) or is allowed to use.
      - Only for a script without C(dbrp) statements; Kapacitor refuses both, and so does this module.
      - When the script has no C(dbrp) statement and this is not set, an existing task keeps its DBRPs.
    type: list
    elements: dict
    suboptions:
      db:
        description: Database name.
        type: str
        required: true
      rp:
        description: Retention policy name.
        type: str
        required: true
  vars:
    description:
      - Values of the script's or template's C(var) declarations, by name.
      - A plain value sets a var of its own type (V(true) is C(bool), V(5) is C(int), V(0.5) is
        C(float), text is C(string), a list is C(list)). Any other type is given as a dict with
        C(type) (one of V(bool), V(int), V(float), V(string), V(regex), V(duration), V(lambda),
        V(list), V(star)), C(value) and an optional C(description).
      - A V(duration) value is an InfluxQL duration such as V(90s) or V(1h30m), or an integer of
        nanoseconds. A V(lambda) value is the expression, with or without a leading C(lambda:).
        A V(regex) value is the pattern without slashes. A V(star) var has no value.
      - Compared as a whole; V({}) removes all vars (Kapacitor cannot do that in place, so the task
        is deleted and created again). Not set means the vars are not managed.
    type: dict
  status:
    description:
      - Whether the task runs.
    type: str
    choices: [enabled, disabled]
    default: enabled
notes:
  - Kapacitor 1.8 with InfluxDB 2 has no subscriptions, so a stream task only sees points written to
    Kapacitor's own C(/kapacitor/v1/write) endpoint (for example by Telegraf).
seealso:
  - module: tickstack.influx.kapacitor_template
  - module: tickstack.influx.kapacitor_info
  - name: Kapacitor task API
    description: The HTTP API this module uses.
    link: https://docs.influxdata.com/kapacitor/v1/working/api/#manage-tasks
"""

EXAMPLES = r"""
- name: Kapacitor connection for every kapacitor_* task in this play
  module_defaults:
    group/tickstack.influx.kapacitor:
      url: http://localhost:9092
  block:
    - name: Downsample CPU points written to Kapacitor into the cpu_1m bucket
      tickstack.influx.kapacitor_task:
        id: cpu_1m
        script: |
          dbrp "telegraf"."autogen"

          stream
            |from()
              .measurement('cpu')
            |window()
              .period(1m)
              .every(1m)
            |mean('usage_user')
            |influxDBOut()
              .database('telegraf')
              .retentionPolicy('1m')
              .measurement('cpu_1m')

    - name: Hourly error rate from InfluxDB through the 1.x API, with its DBRP given as an option
      tickstack.influx.kapacitor_task:
        id: error_rate
        dbrps:
          - db: telegraf
            rp: autogen
        script: |
          batch
            |query('SELECT sum(errors) / sum(total) AS rate FROM "telegraf"."autogen"."requests"')
              .period(1h)
              .every(1h)
            |influxDBOut()
              .database('reports')
              .retentionPolicy('autogen')
              .measurement('error_rate')

    - name: A task from a template, with typed vars
      tickstack.influx.kapacitor_task:
        id: cpu_alert_web
        template_id: threshold_alert
        vars:
          measurement: cpu
          where_filter:
            type: lambda
            value: '"host" =~ /^web/'
          crit:
            type: lambda
            value: '"usage_idle" < 10'
          window:
            type: duration
            value: 5m

    - name: Stop a task without touching its definition
      tickstack.influx.kapacitor_task:
        id: error_rate
        status: disabled

    - name: Delete a task
      tickstack.influx.kapacitor_task:
        id: cpu_1m
        state: absent

    - name: Several tasks in one run (one request when none changes)
      tickstack.influx.kapacitor_task:
        tasks:
          - id: cpu_1m
            script: "{{ lookup('ansible.builtin.file', 'tasks/cpu_1m.tick') }}"
          - id: error_rate
            status: disabled
          - id: old_alert
            state: absent
"""

RETURN = r"""
tasks:
  description:
    - With O(tasks), one entry per task, in order - C(id), C(changed) and C(task) (as RV(task)).
  returned: when O(tasks) is set
  type: list
  elements: dict
  sample: [{id: cpu_alert, changed: false, task: {id: cpu_alert, status: enabled, executing: true}}]
task:
  description:
    - The task after the run (what it would be, in check mode). Empty after O(state=absent).
  returned: when O(id) is set
  type: dict
  contains:
    id:
      description: Task ID.
      type: str
      sample: cpu_1m
    type:
      description: V(stream) or V(batch).
      type: str
      sample: stream
    status:
      description: V(enabled) or V(disabled).
      type: str
      sample: enabled
    executing:
      description: Whether the task is running now.
      type: bool
      sample: true
    error:
      description: The last error of the task, empty when none.
      type: str
      sample: ""
    dbrps:
      description: Its databases and retention policies.
      type: list
      elements: dict
      sample: [{"db": "telegraf", "rp": "autogen"}]
    script:
      description: The TICKscript as stored.
      type: str
    vars:
      description: Its vars, as Kapacitor returns them (durations in nanoseconds).
      type: dict
      sample: {"window": {"type": "duration", "value": 300000000000, "description": ""}}
    template_id:
      description: The template it was made from, empty when none.
      type: str
      sample: ""
    created:
      description: When it was created.
      type: str
    modified:
      description: When it was last changed.
      type: str
    last_enabled:
      description: When it was last enabled.
      type: str
diff:
  description: The changed keys before and after (only the keys that changed).
  returned: in diff mode
  type: dict
  sample: {"before": {"status": "disabled"}, "after": {"status": "enabled"}}
"""


from ansible_collections.tickstack.influx.plugins.module_utils.compare import Differ, state_diff
from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import ApiError, Conflict
from ansible_collections.tickstack.influx.plugins.module_utils.kapacitor import (
    KapacitorFailure,
    connect,
    dbrps_key,
    kapacitor_argument_spec,
    task_summary,
    vars_key,
    wire_vars,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import STATE, check_list_entries, list_option_spec, run_entries, run_module
from ansible_collections.tickstack.influx.plugins.module_utils.tickscript import script_dbrps, script_key, script_type


class Desired(object):
    """The task the parameters ask for, resolved against the server (template, current task)."""

    def __init__(self, client, params, current):
        self.id = params["id"]
        self.status = params["status"]
        self.template_id = params.get("template_id")
        self.script = params.get("script")
        try:
            self.vars = wire_vars(params.get("vars"))
        except InvalidInput as e:
            raise InvalidInput("task %s: %s" % (self.id, e)) from None
        self.template_type = None
        if self.template_id:
            self.mode = "template"
            template = client.get_template(self.template_id)
            if template is None:
                raise KapacitorFailure("template %s does not exist: create it first with "
                                       "tickstack.influx.kapacitor_template" % self.template_id)
            self.effective_script = template.get("script") or ""
            self.template_type = template.get("type")
        elif self.script is not None:
            self.mode = "script"
            if not self.script.strip():
                raise KapacitorFailure("script is empty")
            self.effective_script = self.script
        elif current is not None:
            # Neither given: the task keeps the definition it has.
            self.effective_script = current.get("script") or ""
            if current.get("template-id"):
                self.mode, self.template_id = "template", current["template-id"]
                self.template_type = current.get("type")
            else:
                self.mode, self.script = "script", self.effective_script
        else:
            raise KapacitorFailure("task %s does not exist: script or template_id is needed to create it" % self.id)

        inferred = self.template_type or script_type(self.effective_script)
        wanted = params.get("type")
        if wanted and inferred and wanted != inferred:
            raise KapacitorFailure("type is %s but the script is a %s task (Kapacitor takes the type from the "
                                   "script)" % (wanted, inferred))
        self.type = inferred or wanted

        self.implicit_dbrps = script_dbrps(self.effective_script)
        option_dbrps = params.get("dbrps")
        if self.implicit_dbrps:
            if option_dbrps:
                statements = ", ".join('"%s"."%s"' % (d["db"], d["rp"]) for d in self.implicit_dbrps)
                raise KapacitorFailure("the script has dbrp statements (%s) and dbrps is set too; Kapacitor "
                                       "refuses both: remove one" % statements)
            self.dbrps = self.implicit_dbrps
        elif option_dbrps:
            self.dbrps = [{"db": d["db"], "rp": d["rp"]} for d in option_dbrps]
        elif current is not None:
            self.dbrps = list(current.get("dbrps") or [])
        else:
            whose = "the template's script" if self.mode == "template" else "the script"
            raise KapacitorFailure("%s has no dbrp statement: set dbrps (for example [{db: telegraf, rp: autogen}]) "
                                   "or add a dbrp \"db\".\"rp\" line to it" % whose)
        if not self.dbrps:
            raise KapacitorFailure("task %s would have no DBRPs: set dbrps or add a dbrp statement" % self.id)

    @property
    def explicit_dbrps(self):
        return not self.implicit_dbrps

    def definition_body(self):
        """The PATCH or POST fields that define the task (not its status)."""
        body = {}
        if self.mode == "template":
            body["template-id"] = self.template_id
        elif self.mode == "script":
            body["script"] = self.script
            if self.type:
                body["type"] = self.type
        if self.explicit_dbrps:
            body["dbrps"] = self.dbrps
        if self.vars:
            body["vars"] = self.vars
        return body

    def create_body(self):
        body = self.definition_body()
        body.update({"id": self.id, "status": self.status})
        if self.vars is not None:
            body["vars"] = self.vars
        return body

    def view(self):
        """The desired task in the shape of :func:`task_summary` (for check mode and the diff)."""
        view = {"id": self.id, "type": self.type, "status": self.status, "dbrps": self.dbrps}
        if self.mode == "template":
            view["template_id"] = self.template_id
        elif self.mode == "script":
            view["script"] = self.script
        if self.vars is not None:
            view["vars"] = self.vars
        return view


def compare(current, desired):
    differ = Differ()
    differ.compare("template_id", current.get("template-id") or "",
                   desired.template_id if desired.mode == "template" else "")
    if desired.mode == "script" and script_key(current.get("script")) != script_key(desired.script):
        differ.add("script", current.get("script"), desired.script)
    if desired.type:
        differ.compare("type", current.get("type"), desired.type)
    if dbrps_key(current.get("dbrps")) != dbrps_key(desired.dbrps):
        differ.add("dbrps", current.get("dbrps") or [], desired.dbrps)
    if desired.vars is not None and vars_key(current.get("vars")) != vars_key(desired.vars):
        differ.add("vars", current.get("vars") or {}, desired.vars)
    differ.compare("status", current.get("status"), desired.status)
    return differ


def snapshot_body(task):
    """A create body that puts ``task`` (as GET returned it, raw script) back."""
    body = {"id": task["id"], "status": task.get("status") or "disabled"}
    if task.get("template-id"):
        body["template-id"] = task["template-id"]
    else:
        body["script"] = task.get("script") or ""
        if task.get("type"):
            body["type"] = task["type"]
    if not script_dbrps(task.get("script")):
        body["dbrps"] = task.get("dbrps") or []
    if task.get("vars"):
        body["vars"] = task["vars"]
    return body


def made_from(task, body):
    """Whether ``task`` (as GET returns it) holds the definition POSTed or PATCHed as ``body``."""
    if (task.get("template-id") or "") != (body.get("template-id") or ""):
        return False
    if not body.get("template-id") and script_key(task.get("script")) != script_key(body.get("script")):
        return False
    if "dbrps" in body and dbrps_key(task.get("dbrps")) != dbrps_key(body["dbrps"]):
        return False
    stored = vars_key(task.get("vars"))
    return all(stored.get(name) == key for name, key in vars_key(body.get("vars")).items())


def definition_key(task):
    return (task.get("template-id") or "", script_key(task.get("script")), dbrps_key(task.get("dbrps")),
            vars_key(task.get("vars")), task.get("status"))


# What a bulk run (O(tasks)) lists of every task, once: what the comparison and the result need.
LIST_FIELDS = ("type", "status", "executing", "error", "dbrps", "script", "vars", "template-id", "created",
               "modified", "last-enabled")
ENTRY_KEYS = ("id", "script", "template_id", "type", "dbrps", "vars", "status", "state")
_UNREAD = object()


def ensure(module, client):
    if module.params["tasks"] is None:
        return TaskManager(module, client, module.params).run()
    return ensure_all(module, client)


def check_entries(entries):
    """Refuse a bad entry of O(tasks) before any call: each needs an id, seen once, and no empty key."""
    check_list_entries("tasks", entries, ("id",), "task", empty=("template_id",))
    for index, entry in enumerate(entries):
        if entry.get("script") is not None and entry.get("template_id") is not None:
            raise InvalidInput("tasks[%d] (%s): script and template_id are mutually exclusive: set one"
                               % (index, entry["id"]))


def ensure_all(module, client):
    """Every entry of O(tasks), from one listing of the server's tasks (paginated)."""
    entries = module.params["tasks"]
    check_entries(entries)
    listed = dict((task["id"], task) for task in client.list_tasks(fields=LIST_FIELDS)) if entries else {}

    def run_one(_index, entry):
        params = dict((key, entry.get(key)) for key in ENTRY_KEYS)
        return TaskManager(module, client, params, current=listed.get(entry["id"])).run()

    return run_entries("tasks", entries, ("id",), run_one, "task", "task")


class TaskManager(object):
    def __init__(self, module, client, params, current=_UNREAD):
        self.module = module
        self.client = client
        self.params = params
        self.task_id = params["id"]
        self.current = current

    def run(self):
        current = self.client.get_task(self.task_id) if self.current is _UNREAD else self.current
        if self.params["state"] == "absent":
            return self.absent(current)
        desired = Desired(self.client, self.params, current)
        result = self.create(desired) if current is None else self.update(current, desired)
        task = result["task"]
        if not self.module.check_mode and task.get("status") == "enabled" and not task.get("executing"):
            # Kapacitor stops a task that fails at run time but keeps it enabled: say so, every run.
            self.module.warn("task %s is enabled but not executing%s" % (
                self.task_id, ": " + task["error"] if task.get("error") else ""))
        return result

    # -- absent ---------------------------------------------------------------------------------
    def absent(self, current):
        if current is None:
            return {"changed": False, "task": {}, "diff": state_diff({}, {})}
        before = task_summary(current)
        if not self.module.check_mode:
            self.client.delete_task(self.task_id)
        return {"changed": True, "task": {}, "diff": state_diff(_diff_view(before), {})}

    # -- create ---------------------------------------------------------------------------------
    def create(self, desired):
        diff = state_diff({}, _diff_view(desired.view()))
        if self.module.check_mode:
            return {"changed": True, "task": _predicted(None, desired), "diff": diff}
        self._create(desired.create_body(), "create task %s" % self.task_id)
        return {"changed": True, "task": self._final(), "diff": diff}

    def _create(self, body, action):
        """POST a task; when Kapacitor stored it but failed after (an enabled task that cannot start),
        delete it so that a failed create leaves nothing behind.

        Only a task this run made is deleted: not when the ID was taken (a concurrent run created it
        first), and not when the task found has another definition than the one sent.
        """
        try:
            self.client.create_task(body)
        except ApiError as e:
            message = "Kapacitor refused to %s: %s" % (action, e)
            try:
                now = self.client.get_task(self.task_id)
                if now is None:
                    pass
                elif isinstance(e, Conflict) or "already exists" in (e.message or "") or not made_from(now, body):
                    message += "; a task %s exists that this run did not create; it was left alone" % self.task_id
                else:
                    self.client.delete_task(self.task_id)
                    message += "; the half-created task was deleted"
            except ApiError as cleanup:
                message += "; deleting the half-created task failed too: %s" % cleanup
            raise KapacitorFailure(message, e) from e

    # -- update ---------------------------------------------------------------------------------
    def update(self, current, desired):
        differ = compare(current, desired)
        if not differ.changed:
            return {"changed": False, "task": task_summary(current), "diff": differ.diff()}
        if self.module.check_mode:
            return {"changed": True, "task": _predicted(current, desired), "diff": differ.diff()}

        definition_changed = bool(set(differ.keys) - {"status"})
        # PATCH can neither empty the vars nor move a task to or from a template (Kapacitor 1.8 keeps
        # the old template association), so those changes delete the task and create it again.
        recreate = "template_id" in differ.keys or (definition_changed and desired.vars == {} and current.get("vars"))
        try:
            if recreate:
                self.client.delete_task(self.task_id)
                self._create(desired.create_body(), "recreate task %s" % self.task_id)
            elif not definition_changed:
                self.client.update_task(self.task_id, {"status": desired.status})
            elif current.get("status") == "enabled" and desired.status == "enabled":
                self.client.update_task(self.task_id, desired.definition_body())
                # Kapacitor stores the new definition but keeps running the old one until reloaded.
                self.client.update_task(self.task_id, {"status": "disabled"})
                self.client.update_task(self.task_id, {"status": "enabled"})
            else:
                body = desired.definition_body()
                body["status"] = desired.status
                self.client.update_task(self.task_id, body)
        except KapacitorFailure as e:
            e.msg += self._restore(current, desired)
            raise
        except ApiError as e:
            message = "Kapacitor refused to update task %s: %s" % (self.task_id, e)
            raise KapacitorFailure(message + self._restore(current, desired), e) from e
        return {"changed": True, "task": self._final(), "diff": differ.diff()}

    def _restore(self, snapshot, desired):
        """Put the task back as ``snapshot`` if the failed update changed it; say what happened.

        A task that is neither the snapshot nor what this run wrote was changed by someone else
        meanwhile: it is left alone.
        """
        try:
            now = self.client.get_task(self.task_id)
            if now is not None and definition_key(now) == definition_key(snapshot):
                return "; the task was left unchanged"
            if now is not None and definition_key(now)[:-1] == definition_key(snapshot)[:-1]:
                self.client.update_task(self.task_id, {"status": snapshot.get("status")})
                return "; the task's status was put back to %s" % snapshot.get("status")
            if now is not None and not made_from(now, desired.create_body()):
                return "; the task was changed by someone else meanwhile and was left alone"
            if now is not None:
                self.client.delete_task(self.task_id)
            self.client.create_task(snapshot_body(snapshot))
            return "; the previous definition of the task was restored"
        except ApiError as e:
            return "; restoring the previous task failed too: %s" % e

    def _final(self):
        return task_summary(self.client.get_task(self.task_id)) or {}


def _diff_view(view):
    """The keys a user manages, for a create or delete diff."""
    keys = ("id", "type", "status", "dbrps", "script", "template_id", "vars")
    return dict((k, view[k]) for k in keys if view.get(k) not in (None, ""))


def _predicted(current, desired):
    predicted = task_summary(current) if current else {
        "id": desired.id, "executing": False, "error": "", "script": desired.effective_script,
        "vars": {}, "template_id": "", "created": None, "modified": None, "last_enabled": None}
    predicted.update(desired.view())
    if desired.mode == "template":
        predicted["script"] = desired.effective_script
    predicted["executing"] = desired.status == "enabled" and predicted.get("executing", False)
    return predicted


def main():
    entry = dict(
        id=dict(type="str", required=True, aliases=["name"]),
        script=dict(type="str"),
        template_id=dict(type="str"),
        type=dict(type="str", choices=["stream", "batch"]),
        dbrps=dict(type="list", elements="dict", options=dict(
            db=dict(type="str", required=True),
            rp=dict(type="str", required=True),
        )),
        vars=dict(type="dict"),
        status=dict(type="str", choices=["enabled", "disabled"], default="enabled"),
        state=STATE,
    )
    # A single task (its id not required: tasks may be given instead), or several (tasks).
    spec = kapacitor_argument_spec(**list_option_spec("tasks", entry, "id"))
    single_only = ("id", "script", "template_id", "type", "dbrps", "vars")
    exclusive = [("script", "template_id")] + [("tasks", key) for key in single_only]
    run_module(spec, ensure, connect, action=lambda p: "task %s" % p["id"] if p.get("id") else None,
               natural_keys=("id", "template_id"), mutually_exclusive=exclusive, required_one_of=[("id", "tasks")])


if __name__ == "__main__":
    main()
