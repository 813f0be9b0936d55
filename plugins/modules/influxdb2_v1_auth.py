#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible modules put DOCUMENTATION, EXAMPLES and RETURN before the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: influxdb2_v1_auth
short_description: Manage InfluxDB 2 v1-compatibility usernames and passwords
description:
  - Create, update and delete a v1 compatibility authorization (C(/private/legacy/authorizations)), that is a username
    and password that InfluxDB 1.x clients (Kapacitor, Grafana's InfluxQL data source, old Telegraf outputs)
    use with Basic auth or C(u)/C(p) on the 1.x C(/query) and C(/write) endpoints.
  - Scoped to buckets of the organization O(org) (or O(org_id)) for reading and writing.
  - InfluxDB cannot change the permissions of an existing v1 authorization. When O(read_buckets) or
    O(write_buckets) differ, the module deletes it and creates it again with the same username, which needs
    O(password); RV(replaced) says so.
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes, tickstack.influx.influxdb2, tickstack.influx.tls]
options:
  state:
    description:
      - V(present) creates or updates the authorization; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  username:
    description:
      - The v1 username. Unique on the whole instance.
    type: str
    required: true
  password:
    description:
      - The password. Required to create (or replace) the authorization. InfluxDB cannot show it back.
      - InfluxDB requires 8 to 72 characters; the module checks that before any call.
    type: str
  update_password:
    description:
      - V(on_create) sets the password only when the authorization is created (or replaced).
      - V(always) makes sure the password is O(password). The module checks it with a harmless 1.x
        request and sets it only when it does not work, so the run stays idempotent. An inactive
        authorization cannot be checked; its password is set and reported as a change every run.
    type: str
    choices: [always, on_create]
    default: on_create
  read_buckets:
    description:
      - Buckets the username may read (query), by name, or by ID when no bucket has that name.
    type: list
    elements: str
    default: []
  write_buckets:
    description:
      - Buckets the username may write to, by name, or by ID when no bucket has that name.
    type: list
    elements: str
    default: []
  description:
    description:
      - Free text. Not managed when omitted.
    type: str
  user:
    description:
      - Name of the InfluxDB user who owns the authorization (it can never do more than this user).
        Defaults to the user of the O(token) option. Used when creating.
    type: str
  status:
    description:
      - V(inactive) keeps the authorization but refuses logins.
    type: str
    choices: [active, inactive]
    default: active
seealso:
  - module: tickstack.influx.influxdb2_dbrp
  - module: tickstack.influx.influxdb2_token
"""

EXAMPLES = r"""
- name: Kapacitor reads telegraf and writes alerts through the 1.x API
  tickstack.influx.influxdb2_v1_auth:
    url: http://localhost:8086
    token: "{{ influxdb_operator_token }}"
    org: tickstack
    username: kapacitor
    password: "{{ vault_kapacitor_influx_password }}"
    read_buckets: [telegraf]
    write_buckets: [kapacitor]

- name: Keep the Grafana password in line with the vault
  tickstack.influx.influxdb2_v1_auth:
    username: grafana
    password: "{{ vault_grafana_influx_password }}"
    update_password: always
    read_buckets: [telegraf, kapacitor]

- name: Remove a v1 username
  tickstack.influx.influxdb2_v1_auth:
    username: legacy-app
    state: absent
"""

RETURN = r"""
v1_auth:
  description: The authorization after the run (predicted in check mode), without any secret. Empty when absent.
  returned: always
  type: dict
  sample:
    id: 0a1b2c3d4e5f6071
    username: kapacitor
    description: ""
    status: active
    org_id: 1b2c3d4e5f607182
    permissions:
      - {action: read, resource: {type: buckets, id: 3d4e5f6071829304, orgID: 1b2c3d4e5f607182, name: telegraf}}
password_set:
  description: Whether the password was (or in check mode would be) set in this run.
  returned: always
  type: bool
replaced:
  description: Whether the authorization was deleted and created again because its permissions differed.
  returned: always
  type: bool
"""

from ansible_collections.tickstack.influx.plugins.module_utils.compare import MASK, Differ, state_diff
from ansible_collections.tickstack.influx.plugins.module_utils.errors import OperationFailed
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import ApiError
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import (
    InvalidInput,
    connect,
    describe_permission,
    influxdb2_argument_spec,
    legacy_authorization_summary,
    normalize_permissions,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import STATE, run_module


# What InfluxDB accepts (72: the bcrypt limit).
MIN_PASSWORD = 8
MAX_PASSWORD = 72


def bucket_permissions(client, params, org_id):
    # Every bucket named in one lookup (read_buckets and write_buckets often name the same ones).
    refs = [(action, ref, "%s[%d]" % (option, index))
            for action, option in (("read", "read_buckets"), ("write", "write_buckets"))
            for index, ref in enumerate(params[option])]
    buckets = client.resolve_buckets(org_id, [(ref, where) for _action, ref, where in refs])
    permissions = []
    names = {}
    for (action, _ref, _where), bucket in zip(refs, buckets):
        names[bucket["id"]] = bucket["name"]
        permissions.append({"action": action, "resource": {"type": "buckets", "id": bucket["id"], "orgID": org_id}})
    return normalize_permissions(permissions), names


def described(permissions, names):
    return sorted(describe_permission(p, names) for p in permissions)


def ensure(module, client):
    params = module.params
    username = params["username"]
    check_password(params["password"])
    # Resolved only if its ID is needed: the lists below take it by name and teach its ID.
    org = client.org_ref(params["org"], params["org_id"])
    current = client.find_legacy_authorization(username)
    if current is not None and not org.owns(current):
        raise InvalidInput("username: %r is already a v1 username in another organization (%s); v1 usernames are "
                           "unique on the instance" % (username, current.get("org") or current.get("orgID")))
    result = {"changed": False, "replaced": False, "password_set": False, "v1_auth": {}}

    if params["state"] == "absent":
        if current is None:
            return result
        if not module.check_mode:
            client.delete_legacy_authorization(current["id"])
        result.update(changed=True, diff=state_diff({"username": username, "status": current.get("status")}, {}))
        return result

    wanted, names = bucket_permissions(client, params, org["id"])
    if not wanted:
        raise InvalidInput("read_buckets, write_buckets: give at least one bucket; InfluxDB requires permissions")
    user = client.resolve_user(params["user"]) if params["user"] else None
    planned = {"username": username, "description": params["description"] or "", "status": params["status"],
               "org_id": org["id"], "org": org.get("name"),
               "permissions": [dict(p, resource=dict(p["resource"], name=names[p["resource"]["id"]])) for p in wanted]}

    if current is None:
        require_password(params, "create")
        result.update(changed=True, password_set=True, v1_auth=planned, diff=state_diff({}, {
            "username": username, "status": params["status"], "permissions": described(wanted, names),
            "password": MASK}))
        if not module.check_mode:
            result["v1_auth"] = create(client, params, org, wanted, user)
        return result

    differ = Differ(secrets=("password",))
    have = normalize_permissions(current.get("permissions"))
    for permission in current.get("permissions") or []:
        resource = permission.get("resource") or {}
        if resource.get("id") and resource.get("name"):
            names.setdefault(resource["id"], resource["name"])
    differ.compare("status", current.get("status"), params["status"])
    differ.compare("description", current.get("description") or "", params["description"])

    if have != wanted:
        require_password(params, "replace")
        differ.compare("permissions", described(have, names), described(wanted, names))
        differ.add("password", MASK, MASK)
        result.update(changed=True, replaced=True, password_set=True, v1_auth=planned, diff=differ.diff())
        if not module.check_mode:
            owner = user or {"id": current.get("userID")}
            client.delete_legacy_authorization(current["id"])
            result["v1_auth"] = create(client, params, org, wanted, owner)
        return result

    summary = legacy_authorization_summary(current)
    updates = dict((key, params[key]) for key in differ.keys)
    if updates:
        if module.check_mode:
            summary.update(updates)
        else:
            summary = legacy_authorization_summary(client.update_legacy_authorization(current["id"], updates))

    if params["update_password"] == "always" and params["password"] is not None:
        # An inactive authorization refuses every login, so its password cannot be checked.
        checkable = params["status"] == "active" and (current.get("status") == "active" or not module.check_mode)
        if not checkable or not client.v1_credentials_work(username, params["password"]):
            differ.add("password", MASK, MASK)
            result["password_set"] = True
            if not module.check_mode:
                client.set_legacy_password(current["id"], params["password"])
    result.update(changed=differ.changed, v1_auth=summary, diff=differ.diff())
    return result


def check_password(password):
    """InfluxDB's own rule (8 to 72 characters), checked before any call so nothing is half made."""
    if password is not None and not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput("password: InfluxDB requires %d to %d characters, got %d"
                           % (MIN_PASSWORD, MAX_PASSWORD, len(password)))


def require_password(params, action):
    if not params["password"]:
        raise InvalidInput("password: required to %s the v1 authorization %r (InfluxDB cannot keep or show an "
                           "existing password)" % (action, params["username"]))


def made_anyway(client, username, org_id, permissions):
    """The authorization a failed create made after all (same username, org and permissions), or None."""
    try:
        found = client.find_legacy_authorization(username)
    except ApiError:
        return None
    if found and found.get("orgID") == org_id and normalize_permissions(found.get("permissions")) == permissions:
        return found
    return None


def create(client, params, org, permissions, user):
    """Create the authorization and set its password, or delete it again: never one without a password."""
    try:
        created = client.create_legacy_authorization(org["id"], params["username"], permissions,
                                                     params["description"], params["status"], user["id"] if user else None)
    except ApiError:
        # The answer may be lost after the server made it (a reset, a 503 from a proxy): finish it then,
        # or the next run would find an authorization without a password and leave it so.
        created = made_anyway(client, params["username"], org["id"], permissions)
        if created is None:
            raise
    try:
        client.set_legacy_password(created["id"], params["password"])
    except ApiError as e:
        try:
            client.delete_legacy_authorization(created["id"])
            undone = "the new authorization was deleted again; the next run creates it"
        except ApiError as cleanup:
            undone = ("deleting the new authorization %s failed too (%s): it has no password; delete it or run again "
                      "with update_password=always" % (created["id"], cleanup))
        raise OperationFailed("cannot set the password of v1 authorization %r: %s; %s"
                              % (params["username"], e, undone), e) from e
    return legacy_authorization_summary(created)


def main():
    run_module(influxdb2_argument_spec(
        username=dict(type="str", required=True),
        password=dict(type="str", no_log=True),
        update_password=dict(type="str", choices=["always", "on_create"], default="on_create", no_log=False),
        read_buckets=dict(type="list", elements="str", default=[]),
        write_buckets=dict(type="list", elements="str", default=[]),
        description=dict(type="str"),
        user=dict(type="str"),
        status=dict(type="str", choices=["active", "inactive"], default="active"),
        state=STATE,
    ), ensure, connect, action=lambda p: "cannot manage v1 authorization %r" % p["username"],
        natural_keys=("username", "user"))


if __name__ == "__main__":
    main()
