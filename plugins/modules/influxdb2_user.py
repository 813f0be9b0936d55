#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible modules put DOCUMENTATION, EXAMPLES and RETURN before the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: influxdb2_user
short_description: Manage InfluxDB 2 users and their passwords
description:
  - Create, update and delete a user of InfluxDB 2 (C(/api/v2/users)), identified by its name, and set
    its password (C(/api/v2/users/{id}/password)), the one it signs in to the UI and the C(influx) CLI with.
  - Users are instance-wide. What a user may see comes from its organizations; give it one with
    M(tickstack.influx.influxdb2_org_member).
  - The connection options O(org) and O(org_id) are not used by this module.
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes, tickstack.influx.influxdb2, tickstack.influx.tls]
options:
  name:
    description:
      - The user name. Unique on the instance.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the user; V(absent) deletes it (with its organization memberships).
      - The module refuses to delete the user that the O(token) belongs to.
    type: str
    choices: [present, absent]
    default: present
  status:
    description:
      - The user's status. InfluxDB 2.7 and 2.9 store it; neither refuses the sign-in of an
        V(inactive) user, so it is no way to lock anyone out (delete the user, or set another password).
    type: str
    choices: [active, inactive]
    default: active
  password:
    description:
      - The password. InfluxDB cannot show it back. Without it a new user has no password (it cannot sign
        in, but tokens can be made for it).
      - InfluxDB requires 8 to 72 characters; the module checks that before any call.
    type: str
  update_password:
    description:
      - V(on_create) sets the password only when the user is created.
      - V(always) makes sure the password is O(password). The module checks it by signing in as the user
        (C(POST /api/v2/signin), then signs out) and sets it only when the sign-in is refused, so the run
        stays idempotent.
    type: str
    choices: [always, on_create]
    default: on_create
seealso:
  - module: tickstack.influx.influxdb2_org_member
  - module: tickstack.influx.influxdb2_v1_auth
"""

EXAMPLES = r"""
- name: A user for Alice, who sets her own password afterwards
  tickstack.influx.influxdb2_user:
    url: http://localhost:8086
    token: "{{ influxdb_operator_token }}"
    name: alice
    password: "{{ vault_alice_initial_password }}"

- name: Keep the password of the dashboards' user in line with the vault
  tickstack.influx.influxdb2_user:
    name: dashboards
    password: "{{ vault_dashboards_password }}"
    update_password: always

- name: Remove a user
  tickstack.influx.influxdb2_user:
    name: bob
    state: absent
"""

RETURN = r"""
user:
  description: The user after the run (predicted in check mode). Empty when absent.
  returned: always
  type: dict
  sample:
    id: 0a1b2c3d4e5f6071
    name: alice
    status: active
password_set:
  description: Whether the password was (or in check mode would be) set in this run.
  returned: always
  type: bool
"""

from ansible_collections.tickstack.influx.plugins.module_utils.compare import MASK, Differ, state_diff
from ansible_collections.tickstack.influx.plugins.module_utils.errors import OperationFailed
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import ApiError
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import (
    InvalidInput,
    check_user_password,
    connect,
    influxdb2_argument_spec,
    user_summary,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import STATE, run_module


def ensure(module, client):
    params = module.params
    name = params["name"]
    check_user_password(params["password"])
    current = client.find_user(name)
    result = {"changed": False, "password_set": False, "user": {}}

    if params["state"] == "absent":
        if current is None:
            return result
        if client.me().get("id") == current["id"]:
            raise InvalidInput("name: %r is the user of the token this module runs with; InfluxDB would lose "
                               "the token with it. Delete it with another user's token" % name)
        if not module.check_mode:
            client.delete_user(current["id"])
        result.update(changed=True, diff=state_diff({"name": name, "status": current.get("status")}, {}))
        return result

    if current is None:
        with_password = params["password"] is not None
        planned = {"id": None, "name": name, "status": params["status"]}
        after = {"name": name, "status": params["status"]}
        if with_password:
            after["password"] = MASK
        result.update(changed=True, password_set=with_password, user=planned, diff=state_diff({}, after))
        if not module.check_mode:
            result["user"] = create(client, name, params["status"], params["password"])
        return result

    differ = Differ(secrets=("password",))
    differ.compare("status", current.get("status") or "active", params["status"])
    user = user_summary(current)
    if differ.changed:
        if module.check_mode:
            user.update(differ.after)
        else:
            user = user_summary(client.update_user(current["id"], dict(differ.after)))

    if params["update_password"] == "always" and params["password"] is not None:
        if not client.user_credentials_work(name, params["password"]):
            differ.add("password", MASK, MASK)
            result["password_set"] = True
            if not module.check_mode:
                client.set_user_password(current["id"], params["password"])
    result.update(changed=differ.changed, user=user, diff=differ.diff())
    return result


def create(client, name, status, password):
    """Create the user and set its password, or delete it again: with update_password=on_create the
    next run would otherwise leave it without the password for good."""
    try:
        created = client.create_user(name, status)
    except ApiError:
        # The answer may be lost after the server made it (a reset, a 503 from a proxy): finish it then.
        try:
            created = client.find_user(name)
        except ApiError:
            created = None
        if created is None:
            raise
    if password is None:
        return user_summary(created)
    try:
        client.set_user_password(created["id"], password)
    except ApiError as e:
        try:
            client.delete_user(created["id"])
            undone = "the new user was deleted again; the next run creates it"
        except ApiError as cleanup:
            undone = ("deleting the new user %s failed too (%s): it has no password; delete it or run again with "
                      "update_password=always" % (created["id"], cleanup))
        raise OperationFailed("cannot set the password of user %r: %s; %s" % (name, e, undone), e) from e
    return user_summary(created)


def main():
    run_module(influxdb2_argument_spec(
        name=dict(type="str", required=True),
        password=dict(type="str", no_log=True),
        update_password=dict(type="str", choices=["always", "on_create"], default="on_create", no_log=False),
        status=dict(type="str", choices=["active", "inactive"], default="active"),
        state=STATE,
    ), ensure, connect, action=lambda p: "cannot manage user %r" % p["name"], natural_keys=("name",))


if __name__ == "__main__":
    main()
