#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible modules put DOCUMENTATION, EXAMPLES and RETURN before the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: influxdb2_org
short_description: Manage InfluxDB 2 organizations
description:
  - Create, update and delete an organization in InfluxDB 2, identified by its name.
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes, tickstack.influx.influxdb2, tickstack.influx.tls]
options:
  name:
    description:
      - Name of the organization to manage.
      - The connection options O(org) and O(org_id) are not used by this module.
    type: str
    required: true
  state:
    description:
      - V(present) creates the organization or updates its description.
      - V(absent) deletes it with everything in it (buckets, tokens, tasks, dashboards).
    type: str
    choices: [present, absent]
    default: present
  description:
    description:
      - Description of the organization. Not managed when omitted; V("") clears it.
    type: str
seealso:
  - module: tickstack.influx.influxdb2_bucket
  - module: tickstack.influx.influxdb2_info
"""

EXAMPLES = r"""
- name: Create the monitoring organization
  tickstack.influx.influxdb2_org:
    url: http://localhost:8086
    token: "{{ influxdb_operator_token }}"
    name: monitoring
    description: Metrics from every host

- name: Remove an organization (and everything in it)
  tickstack.influx.influxdb2_org:
    name: old-team
    state: absent
"""

RETURN = r"""
org:
  description: The organization after the run (its predicted state in check mode). Empty when absent.
  returned: always
  type: dict
  sample:
    id: 0a1b2c3d4e5f6071
    name: monitoring
    description: Metrics from every host
    created_at: "2025-01-30T12:00:00Z"
    updated_at: "2025-01-30T12:00:00Z"
"""

from ansible_collections.tickstack.influx.plugins.module_utils.compare import Differ, state_diff
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import (
    connect,
    influxdb2_argument_spec,
    org_summary,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import STATE, run_module


def ensure(module, client):
    params = module.params
    name = params["name"]
    current = client.find_org(name)

    if params["state"] == "absent":
        if current is None:
            return {"changed": False, "org": {}}
        if not module.check_mode:
            client.delete_org(current["id"])
        before = org_summary(current)
        return {"changed": True, "org": {}, "diff": state_diff({"name": name, "description": before["description"]}, {})}

    if current is None:
        created = {"name": name, "description": params["description"] or ""}
        org = created
        if not module.check_mode:
            org = org_summary(client.create_org(name, params["description"]))
        return {"changed": True, "org": org, "diff": state_diff({}, created)}

    differ = Differ()
    differ.compare("description", current.get("description") or "", params["description"])
    org = org_summary(current)
    if differ.changed:
        if module.check_mode:
            org.update(differ.after)
        else:
            org = org_summary(client.update_org(current["id"], dict(differ.after)))
    return {"changed": differ.changed, "org": org, "diff": differ.diff()}


def main():
    run_module(influxdb2_argument_spec(name=dict(type="str", required=True), description=dict(type="str"), state=STATE),
               ensure, connect, action=lambda p: "cannot manage organization %r" % p["name"], natural_keys=("name",))


if __name__ == "__main__":
    main()
