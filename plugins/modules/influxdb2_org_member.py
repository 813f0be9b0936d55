#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible modules put DOCUMENTATION, EXAMPLES and RETURN before the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: influxdb2_org_member
short_description: Manage the members and owners of an InfluxDB 2 organization
description:
  - Makes a user a member or an owner of the organization O(org) (or O(org_id)), moves it from one role to
    the other, or removes it (C(/api/v2/orgs/{id}/members) and C(/api/v2/orgs/{id}/owners)).
  - InfluxDB keeps one role per user and organization. Moving a user removes the old role and adds the
    new one in the same run; if adding fails, the module puts the old role back.
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes, tickstack.influx.influxdb2, tickstack.influx.tls]
options:
  user:
    description:
      - Name of the user (see M(tickstack.influx.influxdb2_user)).
    type: str
    required: true
  role:
    description:
      - V(member) or V(owner) of the organization. Ignored with O(state=absent).
    type: str
    choices: [member, owner]
    default: member
  state:
    description:
      - V(present) makes the user O(role) of the organization; V(absent) removes it, whatever its role.
    type: str
    choices: [present, absent]
    default: present
notes:
  - The organization is the connection option O(org) (its name) or O(org_id).
seealso:
  - module: tickstack.influx.influxdb2_user
  - module: tickstack.influx.influxdb2_org
"""

EXAMPLES = r"""
- name: Alice may use the monitoring organization
  tickstack.influx.influxdb2_org_member:
    url: http://localhost:8086
    token: "{{ influxdb_operator_token }}"
    org: monitoring
    user: alice

- name: Bob runs it
  tickstack.influx.influxdb2_org_member:
    org: monitoring
    user: bob
    role: owner

- name: Carol leaves it
  tickstack.influx.influxdb2_org_member:
    org: monitoring
    user: carol
    state: absent
"""

RETURN = r"""
membership:
  description: The user's place in the organization after the run (predicted in check mode). Empty when absent.
  returned: always
  type: dict
  sample:
    org: monitoring
    org_id: 1b2c3d4e5f607182
    user: alice
    user_id: 0a1b2c3d4e5f6071
    role: member
"""

from ansible_collections.tickstack.influx.plugins.module_utils.compare import Differ, state_diff
from ansible_collections.tickstack.influx.plugins.module_utils.errors import OperationFailed
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import ApiError
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import (
    connect,
    influxdb2_argument_spec,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import STATE, run_module


def ensure(module, client):
    params = module.params
    org = client.resolve_org(params["org"], params["org_id"])
    # The owners and members lists name their users: the user is looked up only when in neither.
    current, user = client.find_org_user(org["id"], params["user"], first=params["role"])
    if user is None:
        user = client.resolve_user(params["user"])
    membership = {"org": org.get("name"), "org_id": org["id"], "user": user.get("name"), "user_id": user["id"]}
    result = {"changed": False, "membership": {}}

    if params["state"] == "absent":
        if current is None:
            return result
        if not module.check_mode:
            client.remove_org_user(org["id"], user["id"], current)
        result.update(changed=True, diff=state_diff({"user": user.get("name"), "role": current}, {}))
        return result

    wanted = params["role"]
    result["membership"] = dict(membership, role=wanted)
    if current is None:
        result.update(changed=True, diff=state_diff({}, {"user": user.get("name"), "role": wanted}))
        if not module.check_mode:
            add(client, org["id"], user["id"], wanted)
        return result

    differ = Differ()
    if differ.compare("role", current, wanted) and not module.check_mode:
        move(client, org["id"], user["id"], current, wanted)
    result.update(changed=differ.changed, diff=differ.diff())
    return result


def add(client, org_id, user_id, role):
    try:
        client.add_org_user(org_id, user_id, role)
    except ApiError:
        # The answer may be lost after the server added it: then it is done.
        try:
            done = client.org_role(org_id, user_id) == role
        except ApiError:
            done = False
        if not done:
            raise


def move(client, org_id, user_id, current, wanted):
    """Remove ``current``, add ``wanted``; put ``current`` back when the add fails."""
    client.remove_org_user(org_id, user_id, current)
    try:
        add(client, org_id, user_id, wanted)
    except ApiError as e:
        try:
            client.add_org_user(org_id, user_id, current)
            undone = "it is %s again" % current
        except ApiError as restore:
            undone = ("putting it back as %s failed too (%s): it is no longer in the organization; run again"
                      % (current, restore))
        raise OperationFailed("cannot make user %s %s of organization %s: %s; %s"
                              % (client.names.get(user_id) or user_id, "an owner" if wanted == "owner" else "a member",
                                 client.names.get(org_id) or org_id, e, undone), e) from e


def main():
    run_module(influxdb2_argument_spec(
        user=dict(type="str", required=True),
        role=dict(type="str", choices=["member", "owner"], default="member"),
        state=STATE,
    ), ensure, connect, action=lambda p: "cannot manage the membership of user %r in organization %r"
                                         % (p["user"], p["org"] or p["org_id"]),
        natural_keys=("user",))


if __name__ == "__main__":
    main()
