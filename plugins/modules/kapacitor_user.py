#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible modules put DOCUMENTATION, EXAMPLES and RETURN before the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: kapacitor_user
short_description: Manage Kapacitor's own users
description:
  - Create, update and delete a user of Kapacitor's internal user store (C(/kapacitor/v1/users)), the
    users Kapacitor checks when it runs with C([http] auth-enabled = true).
  - The users API exists only with C([auth] enabled = true) in C(kapacitor.conf). Kapacitor has no
    anonymous way to make the first user, so create it while C([http] auth-enabled = false), with the API
    bound to loopback, then turn authentication on (the C(tickstack.influx.kapacitor) role does this).
  - An V(admin) user may do everything. A V(normal) user may do what its O(permissions) allow.
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes, tickstack.influx.kapacitor, tickstack.influx.tls]
options:
  state:
    description:
      - V(present) creates or updates the user; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - The username, made of letters, digits, V(-), V(.), V(_) and V(@) (Kapacitor's rule, checked before any call).
    type: str
    required: true
  user_password:
    description:
      - The user's password, 1 to 72 bytes (bcrypt's limit). Required to create the user. Kapacitor cannot
        show it back.
    type: str
  update_password:
    description:
      - V(on_create) sets the password only when the user is created.
      - V(always) makes sure the password is O(user_password). The module logs in as the user (the user
        reads itself, C(GET /kapacitor/v1/users/NAME), with O(user_password)). 403 (a user without the
        privilege) is a login, then the admin reads the user; 200 (an admin user) is a login once an
        anonymous ping is refused (Kapacitor enforces authentication); 401 is not, then the admin reads
        the user. It sets the password only when the login fails, so a second run changes nothing, in
        two calls. When Kapacitor does not enforce authentication (C([http] auth-enabled = false))
        nothing can be checked, so the password is set and reported as a change.
      - A password is set by deleting the user and creating it again with the same type and
        permissions, because Kapacitor keeps accepting a password that logged in for up to an hour
        after a C(PATCH) changed it (its authentication cache); a delete clears that cache.
    type: str
    choices: [always, on_create]
    default: on_create
  type:
    description:
      - V(normal) may do what O(permissions) grant. V(admin) may do everything; Kapacitor keeps no
        permissions for it.
    type: str
    choices: [admin, normal]
    default: normal
  permissions:
    description:
      - What a V(normal) user may do. V(api) is the whole API except C(/config) and C(/write);
        V(config_api) is C(/config) (and C(/ping)); V(write_points) is C(/write) (and C(/ping));
        V(all) is all three; V(none) or an empty list is nothing.
      - Kapacitor stores V(api), V(config_api) and V(write_points) together as V(all); the module compares
        them the same way.
      - Not managed for an existing user when omitted; a new user gets none.
      - Kapacitor 1.8 OSS checks a write against a per-database privilege that its users API cannot
        grant, so only V(admin) users can write points; V(write_points) still lets a user ping and
        nothing else.
      - Must be empty (or omitted) with O(type=admin).
    type: list
    elements: str
    choices: [none, api, config_api, write_points, all]
  list_pattern:
    description:
      - Also list, read-only and in the same run, the names of the users that match this glob (for example
        V(tickstack-*)), in RV(listed), so that a play that removes users it no longer needs has them without
        a task of its own.
    type: str
notes:
  - O(username) and O(password) are the credentials the module connects with (an admin user); O(name)
    and O(user_password) are the user it manages.
seealso:
  - module: tickstack.influx.kapacitor_task
  - name: Kapacitor authentication
    description: The users API and the permissions.
    link: https://docs.influxdata.com/kapacitor/v1/administration/auth/kapacitor-auth/
"""

EXAMPLES = r"""
- name: Ansible's admin, created on loopback while Kapacitor does not enforce authentication yet
  tickstack.influx.kapacitor_user:
    url: http://127.0.0.1:9092
    name: ansible
    user_password: "{{ vault_kapacitor_admin_password }}"
    update_password: always
    type: admin

- name: A user that may manage tasks, templates and alerts, but not the configuration
  tickstack.influx.kapacitor_user:
    url: http://kapacitor.example.com:9092
    username: ansible
    password: "{{ vault_kapacitor_admin_password }}"
    name: grafana
    user_password: "{{ vault_kapacitor_grafana_password }}"
    permissions: [api]

- name: Remove a user
  tickstack.influx.kapacitor_user:
    username: ansible
    password: "{{ vault_kapacitor_admin_password }}"
    name: grafana
    state: absent
"""

RETURN = r"""
user:
  description: The user after the run (predicted in check mode), without the password. Empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: Username.
      type: str
      sample: grafana
    type:
      description: V(admin) or V(normal).
      type: str
      sample: normal
    permissions:
      description: Its permissions as Kapacitor reports them (V(all) for the three together; empty for an admin).
      type: list
      elements: str
      sample: [api]
password_set:
  description: Whether the password was (or in check mode would be) set in this run.
  returned: always
  type: bool
listed:
  description: With O(list_pattern), the names of the users that match it after the run, sorted.
  returned: when O(list_pattern) is set
  type: list
  elements: str
  sample: [tickstack-prod-telegraf-web1]
diff:
  description: The changed keys before and after; the password is always masked.
  returned: in diff mode
  type: dict
"""

from ansible_collections.tickstack.influx.plugins.module_utils.compare import MASK, Differ, state_diff
from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput, OperationFailed
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import (
    ApiError,
    AuthenticationFailed,
    PermissionDenied,
)
from ansible_collections.tickstack.influx.plugins.module_utils.kapacitor import connect, kapacitor_argument_spec
from ansible_collections.tickstack.influx.plugins.module_utils.runner import STATE, run_module

# The three permissions Kapacitor folds into "all" (services/auth/service.go convertPrivleges), in its order.
PARTS = ("api", "config_api", "write_points")
PERMISSIONS = ("none",) + PARTS + ("all",)
USERNAME_SYMBOLS = frozenset("-._@0123456789")
MAX_PASSWORD_BYTES = 72


def canonical_permissions(permissions):
    """``permissions`` as Kapacitor reports them back: no ``none``, the three parts together as ``all``."""
    wanted = set(permissions or ()) - {"none"}
    if "all" in wanted or wanted >= set(PARTS):
        return ["all"]
    return [p for p in PARTS if p in wanted]


def check_input(params):
    """Kapacitor's own rules, before any call, so a bad value names its option."""
    name = params["name"]
    if not all(c.isalpha() or c in USERNAME_SYMBOLS for c in name):
        raise InvalidInput("name: %r may hold only letters, digits, '-', '.', '_' and '@' (Kapacitor's rule)" % name)
    password = params["user_password"]
    if password is not None and not 1 <= len(password.encode("utf-8")) <= MAX_PASSWORD_BYTES:
        raise InvalidInput("user_password: Kapacitor needs 1 to %d bytes (bcrypt), got %d"
                           % (MAX_PASSWORD_BYTES, len(password.encode("utf-8"))))
    if params["type"] == "admin" and canonical_permissions(params["permissions"]):
        raise InvalidInput("permissions: an admin user may do everything and Kapacitor keeps no permissions for "
                           "it; drop permissions or use type=normal")


def user_summary(user):
    if not user:
        return {}
    return {"name": user.get("name"), "type": user.get("type") or "normal",
            "permissions": canonical_permissions(user.get("permissions"))}


def wire_user(params, permissions):
    body = {"name": params["name"], "password": params["user_password"], "type": params["type"]}
    if params["type"] == "normal":
        body["permissions"] = permissions or ["none"]
    return body


def read_proving_password(client, params):
    """``(the stored user or None, whether user_password is proven to be its password)`` in two calls.

    The user's own GET of itself, with ``user_password``, answers both questions at once when it can:
    403 is a login (Kapacitor refuses a privilege only to credentials it accepted, so authentication
    is enforced), and the admin reads the user; 200 (an admin user reading itself) shows the user,
    and an anonymous ping proves that authentication is enforced (else any login passes); 401 is no
    login (a wrong password or no such user), and the admin reads the user. Any other answer (no
    users API, another server) is the error it is.
    """
    try:
        seen = client.as_user(params["name"], params["user_password"]).get_user(params["name"])
    except PermissionDenied:
        return client.get_user(params["name"]), True
    except AuthenticationFailed:
        return client.get_user(params["name"]), False
    if seen is None:  # "no user exists" to a login: only without enforcement; the admin's view decides
        return client.get_user(params["name"]), False
    return seen, client.auth_enforced()


def create(client, body):
    created = client.create_user(body)
    # A create of a name that exists is answered 200 with an empty user, and nothing is stored.
    if created.get("name") != body["name"]:
        raise OperationFailed("Kapacitor did not create user %r (it answered %r): another run may have created it; "
                              "run again" % (body["name"], created.get("name")))
    return created


def recreate(client, body):
    """Set the password by deleting and creating the user, the one change that ends the old password at once."""
    client.delete_user(body["name"])
    try:
        return create(client, body)
    except (ApiError, OperationFailed) as e:
        raise OperationFailed("user %r was deleted to set its password, but creating it again failed: %s; it does "
                              "not exist now, the next run creates it" % (body["name"], e), e) from e


def ensure(module, client):
    result = ensure_user(module, client)
    if module.params.get("list_pattern"):
        result["listed"] = client.user_names(module.params["list_pattern"])
    return result


def ensure_user(module, client):
    params = module.params
    check_input(params)
    name = params["name"]
    prove = (params["state"] == "present" and params["update_password"] == "always"
             and params["user_password"] is not None)
    if prove:
        current, proven = read_proving_password(client, params)
    else:
        current, proven = client.get_user(name), False
    result = {"changed": False, "password_set": False, "user": user_summary(current)}

    if params["state"] == "absent":
        if current is not None:
            if not module.check_mode:
                client.delete_user(name)
            result.update(changed=True, user={}, diff=state_diff(user_summary(current), {}))
        return result

    if params["permissions"] is None and current is not None:
        permissions = user_summary(current)["permissions"]
    else:
        permissions = canonical_permissions(params["permissions"])
    if params["type"] == "admin":
        permissions = []
    desired = {"name": name, "type": params["type"], "permissions": permissions}

    if current is None:
        if params["user_password"] is None:
            raise InvalidInput("user_password: required to create Kapacitor user %r" % name)
        result.update(changed=True, password_set=True, user=desired, diff=state_diff({}, dict(desired, password=MASK)))
        if not module.check_mode:
            result["user"] = user_summary(create(client, wire_user(params, permissions)))
        return result

    before = user_summary(current)
    differ = Differ(secrets=("password",))
    differ.compare("type", before["type"], desired["type"])
    differ.compare("permissions", before["permissions"], desired["permissions"])
    set_password = prove and not proven
    if set_password:
        differ.add("password", MASK, MASK)
    result.update(changed=differ.changed, password_set=set_password, user=desired, diff=differ.diff())
    if module.check_mode or not differ.changed:
        return result
    if set_password:
        result["user"] = user_summary(recreate(client, wire_user(params, permissions)))
    else:
        body = {"type": desired["type"]}
        if desired["type"] == "normal":
            body["permissions"] = permissions or ["none"]
        result["user"] = user_summary(client.update_user(name, body))
    return result


def main():
    run_module(kapacitor_argument_spec(
        name=dict(type="str", required=True),
        user_password=dict(type="str", no_log=True),
        update_password=dict(type="str", choices=["always", "on_create"], default="on_create", no_log=False),
        type=dict(type="str", choices=["admin", "normal"], default="normal"),
        permissions=dict(type="list", elements="str", choices=list(PERMISSIONS)),
        list_pattern=dict(type="str"),
        state=STATE,
    ), ensure, connect, action=lambda p: "cannot manage Kapacitor user %r" % p["name"], natural_keys=("name",))


if __name__ == "__main__":
    main()
