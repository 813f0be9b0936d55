# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of ``tickstack.influx.stack_plan`` (documented in plugins/modules/stack_plan.py).

An action plugin rather than a filter: it runs once per host on the controller, reads the
inventory groups from the task's variables, reads the tasks' and templates' script_file (never
templated, so Kapacitor's Go templates pass verbatim), and fails once with every model error
listed instead of one Jinja exception at a time. The rules live in plugins/plugin_utils/stack_plan.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.tickstack.influx.plugins.plugin_utils import stack_plan

ARGUMENT_SPEC = dict(
    databases=dict(type="list", elements="raw", default=[]),
    kapacitor_tasks=dict(type="list", elements="raw", default=[]),
    kapacitor_templates=dict(type="list", elements="raw", default=[]),
    telegraf_database=dict(type="str", default="telegraf"),
    telegraf_retention_policy=dict(type="str", default="autogen"),
    kapacitor_group=dict(type="str", default="kapacitor"),
    telegraf_group=dict(type="str", default="telegraf"),
    org=dict(type="str", default=""),
    stack_name=dict(type="str", default=stack_plan.DEFAULT_STACK_NAME),
    required=dict(type="dict", default={}),
    credential_urls=dict(type="dict", default={}),
    authorizations=dict(type="list", elements="dict"),
    tokens=dict(type="list", elements="dict"),
    replications=dict(type="list", elements="raw", default=[]),
    listed_remotes=dict(type="list", elements="dict"),
    listed_replications=dict(type="list", elements="dict"),
    remotes_planned=dict(type="list", elements="dict"),
    replications_planned=dict(type="list", elements="dict"),
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def _reader(self, task_vars: dict[str, Any]) -> Callable[[str], str]:
        """Reads a script_file on the controller: as the file lookup finds it, then beside the inventory.

        The lookup's search (the role's files/, the playbook's files/ and directory) first; then the
        directory of the host's inventory source and its files/ (site.yml is the collection's playbook,
        so a model kept beside the inventory names its files from there). Never templated.
        """
        inventory_dir = to_text(task_vars.get("inventory_dir") or "")

        def read(path: str) -> str:
            try:
                found = self._find_needle("files", path)
            except AnsibleError:
                candidates = [os.path.join(inventory_dir, sub, path) for sub in ("files", "")] if inventory_dir else []
                found = next((c for c in candidates if os.path.isfile(c)), "")
                if not found:
                    raise ValueError("not found in the playbook's search path (files/ of the role and of the "
                                     "playbook's directory, that directory) nor beside the inventory (%s); give "
                                     "an absolute path or put the file there" % (inventory_dir or "no inventory_dir")
                                     ) from None
            with open(found, "rb") as f:
                return to_text(f.read(), errors="surrogate_or_strict")

        return read

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        del validation
        result["changed"] = False

        if args["authorizations"] is not None:
            if args["tokens"] is None:
                result.update(failed=True, msg="authorizations needs tokens (the plan's tokens) to tell which to keep")
                return result
            errors = stack_plan.stack_name_errors(args["stack_name"])
            if errors:
                result.update(failed=True, msg=errors[0], errors=errors)
                return result
            result["prune"] = stack_plan.tokens_to_prune(args["authorizations"], args["stack_name"], args["tokens"])
            return result

        if args["listed_remotes"] is not None or args["listed_replications"] is not None:
            if args["remotes_planned"] is None or args["replications_planned"] is None:
                result.update(failed=True, msg="listed_remotes and listed_replications need remotes_planned and "
                                               "replications_planned (the plan's remotes and replications)")
                return result
            result["prune"] = stack_plan.replications_to_prune(
                args["listed_remotes"], args["listed_replications"], args["stack_name"], args["remotes_planned"],
                args["replications_planned"])
            return result

        groups = task_vars.get("groups") or {}
        read = self._reader(task_vars)
        templates, template_errors = stack_plan.read_script_files(
            args["kapacitor_templates"], "template", "kapacitor_templates", read)
        tasks, task_errors = stack_plan.read_script_files(
            args["kapacitor_tasks"], "task", "tickstack_kapacitor_tasks", read)
        plan = stack_plan.build_plan(
            databases=args["databases"],
            kapacitor_tasks=tasks,
            kapacitor_templates=templates,
            telegraf_database=args["telegraf_database"],
            telegraf_retention_policy=args["telegraf_retention_policy"],
            kapacitor_hosts=groups.get(args["kapacitor_group"], []),
            telegraf_hosts=groups.get(args["telegraf_group"], []),
            org=args["org"],
            stack_name=args["stack_name"],
            required=args["required"],
            # The remote tokens stay here: the plan (and so the result) only learns whether each is set.
            replications=stack_plan.without_remote_tokens(args["replications"]),
            groups=groups,
        )
        errors = template_errors + task_errors + plan["errors"]
        if errors:
            # Only the problems: the plan of a broken model would bury them.
            result.update(failed=True, errors=errors, msg="The stack's model has %d problem%s:\n- %s" % (
                len(errors), "" if len(errors) == 1 else "s", "\n- ".join(errors)))
            return result
        credential_urls = dict(args["credential_urls"])
        credential_urls.update(("tickstack_replications[%d].remote_url" % r["index"], r["remote_url"])
                               for r in plan["remotes"])
        warnings = stack_plan.plain_http_warnings(credential_urls)
        if warnings:
            result["warnings"] = warnings
        host = to_text(task_vars.get("inventory_hostname", ""))
        plan["host_tokens"] = stack_plan.host_tokens(plan, host)
        # A Kapacitor host's share of the tasks: its own, and the others absent (a task moved away leaves).
        if host in plan["kapacitor_hosts"]:
            plan["kapacitor_tasks"] = stack_plan.host_kapacitor_tasks(plan, host)
        result.update(plan)
        return result
