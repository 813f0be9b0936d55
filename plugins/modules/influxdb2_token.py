#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible modules put DOCUMENTATION, EXAMPLES and RETURN before the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: influxdb2_token
short_description: Manage InfluxDB 2 API tokens (authorizations)
description:
  - Create, update, replace and delete an API token (an I(authorization)) identified by its O(description)
    within the organization O(org) (or O(org_id)) and, if given, owned by O(user).
  - InfluxDB cannot change the permissions of an existing token. When they differ, the module creates a new
    token with the wanted permissions and then deletes the old one, and says so in RV(replaced). Anything
    using the old token value must be given the new one.
  - B(Token values.) InfluxDB returns a token's value when it is created. InfluxDB 2.7 and older also return
    the value of existing tokens; InfluxDB 2.9 stores only a hash by default and never returns it again.
    RV(token_available) says whether RV(token) holds a value; RV(token) is never an empty string.
    Register the result of the run that creates the token (with C(no_log)), or use O(rotate) to get a new one.
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes, tickstack.influx.influxdb2, tickstack.influx.tls]
options:
  description:
    description:
      - The description that identifies the token within the organization (and user).
      - Must not be empty.
      - More than one token with this description (left by a replacement that failed midway) is healed
        with O(state=present) the way O(rotate) works, one new token replacing them all. O(state=absent)
        deletes them all.
      - Required unless O(tokens) is set.
    type: str
    aliases: [name]
  tokens:
    description:
      - Several tokens of the organization (and O(user)), each with the options of a single one
        (O(description), O(permissions), O(status), O(rotate), O(state)), handled in order, from one listing
        of the tokens and one lookup of every bucket their permissions name (an idempotent run is two
        requests, however many tokens).
      - Every entry is checked before any request; a description listed twice is refused. A failing entry
        is named by its index and description; those before it are done.
      - Mutually exclusive with O(description) and O(permissions).
    type: list
    elements: dict
    suboptions:
      description:
        description: The description that identifies the token (as O(description)).
        type: str
        required: true
        aliases: [name]
      permissions:
        description: What the token may do (as O(permissions)); required with V(state=present).
        type: list
        elements: dict
        suboptions: &permission_suboptions
          action:
            description: The action allowed.
            type: str
            choices: [read, write]
            required: true
          resource:
            description:
              - The resource the action applies to. Give exactly one of O(permissions[].resource.name),
                O(permissions[].resource.id) or O(permissions[].resource.all).
            type: dict
            required: true
            suboptions:
              type:
                description:
                  - Resource type, for example V(buckets), V(orgs), V(tasks), V(dashboards), V(telegrafs),
                    V(checks), V(notificationRules), V(notificationEndpoints), V(dbrp), V(users), V(secrets),
                    V(labels), V(variables), V(authorizations).
                type: str
                required: true
              name:
                description:
                  - Name of one resource, resolved to its ID. Supported for V(buckets) (in the organization),
                    V(orgs) and V(users).
                type: str
              id:
                description: ID of one resource.
                type: str
              all:
                description:
                  - All resources of this type in the organization (for V(orgs) and V(users), on the whole instance).
                type: bool
              org:
                description: Organization of the resource when it is not O(org).
                type: str
              org_id:
                description: ID of the organization of the resource when it is not O(org).
                type: str
      status:
        description: V(active) or V(inactive) (as O(status)).
        type: str
        choices: [active, inactive]
        default: active
      rotate:
        description: Replace the token with a new one (as O(rotate)).
        type: bool
        default: false
      state:
        description: V(present) or V(absent).
        type: str
        choices: [present, absent]
        default: present
  state:
    description:
      - V(present) creates, updates or replaces the token; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  user:
    description:
      - Name of the user who owns the token. The token can never do more than its owner.
      - When omitted, new tokens belong to the user of the O(token) option, and an existing token is
        looked up whatever its owner.
    type: str
  permissions:
    description:
      - What the token may do. Required with O(state=present).
      - Compared as a set with the existing token's permissions; order and duplicates do not matter.
    type: list
    elements: dict
    suboptions: *permission_suboptions
  status:
    description:
      - V(inactive) keeps the token but makes InfluxDB refuse it. Changed in place.
    type: str
    choices: [active, inactive]
    default: active
  rotate:
    description:
      - Replace the token with a new one (new value, same description and permissions) even if nothing
        else changed. Always reports a change.
    type: bool
    default: false
notes:
  - The result holds the token value when one is available; set C(no_log) on tasks that register it.
    The value never appears in the diff.
seealso:
  - module: tickstack.influx.influxdb2_v1_auth
  - module: tickstack.influx.influxdb2_info
"""

EXAMPLES = r"""
- name: A token Telegraf can write metrics with
  tickstack.influx.influxdb2_token:
    url: http://localhost:8086
    token: "{{ influxdb_operator_token }}"
    org: tickstack
    description: telegraf writer
    permissions:
      - action: write
        resource: {type: buckets, name: telegraf}
  register: telegraf_token
  no_log: true

- name: Save the value, which InfluxDB 2.9 only reveals when the token is created
  ansible.builtin.copy:
    content: "{{ telegraf_token.token }}"
    dest: /etc/telegraf/influx-token
    mode: "0600"
  when: telegraf_token.token_available
  no_log: true

- name: Kapacitor reads telegraf and writes its alerts back
  tickstack.influx.influxdb2_token:
    description: kapacitor
    permissions:
      - {action: read, resource: {type: buckets, name: telegraf}}
      - {action: write, resource: {type: buckets, name: kapacitor}}
      - {action: read, resource: {type: orgs, name: tickstack}}

- name: Get a new value for the Telegraf token
  tickstack.influx.influxdb2_token:
    description: telegraf writer
    permissions:
      - {action: write, resource: {type: buckets, name: telegraf}}
    rotate: true
  register: rotated
  no_log: true

- name: Disable a token without deleting it
  tickstack.influx.influxdb2_token:
    description: old dashboard
    permissions:
      - {action: read, resource: {type: buckets, all: true}}
    status: inactive

- name: Delete a token
  tickstack.influx.influxdb2_token:
    description: old dashboard
    state: absent

- name: The tokens of several hosts in one run (two requests when none changes)
  tickstack.influx.influxdb2_token:
    tokens:
      - description: telegraf on web1
        permissions: [{action: write, resource: {type: buckets, name: telegraf}}]
      - description: telegraf on web2
        permissions: [{action: write, resource: {type: buckets, name: telegraf}}]
        rotate: true
  register: telegraf_tokens
  no_log: true
"""

RETURN = r"""
tokens:
  description:
    - With O(tokens), one entry per token, in order - C(description), C(changed), C(authorization),
      C(token_available), C(token) (when available; a secret) and C(replaced) (with C(replaced_id),
      C(replaced_ids) and C(replace_reason) when true), as for a single token.
  returned: when O(tokens) is set
  type: list
  elements: dict
  sample:
    - {description: telegraf on web1, changed: false, token_available: false, replaced: false,
       authorization: {id: 0a1b2c3d4e5f6071, description: telegraf on web1, status: active}}
authorization:
  description:
    - The token's metadata after the run (predicted in check mode), never its value. Empty when absent.
  returned: unless O(tokens) is set
  type: dict
  sample:
    id: 0a1b2c3d4e5f6071
    description: telegraf writer
    status: active
    org_id: 1b2c3d4e5f607182
    org: tickstack
    user_id: 2c3d4e5f60718293
    user: admin
    permissions:
      - action: write
        resource: {type: buckets, id: 3d4e5f6071829304, orgID: 1b2c3d4e5f607182, name: telegraf, org: tickstack}
token_available:
  description:
    - Whether RV(token) holds the token's value. True when the token was created or replaced in this run, or
      when the server reveals existing values (InfluxDB 2.7 and older). Always false in check mode.
  returned: unless O(tokens) is set
  type: bool
  sample: true
token:
  description:
    - The token value. Secret.
  returned: when RV(token_available) is true
  type: str
replaced:
  description:
    - Whether the token was replaced by a new one (permissions differed, or O(rotate)). The old value no
      longer works.
  returned: unless O(tokens) is set
  type: bool
  sample: false
replaced_id:
  description: ID of the token that was replaced and deleted (the first one when duplicates were healed).
  returned: when RV(replaced) is true
  type: str
replaced_ids:
  description: IDs of every token that was replaced and deleted.
  returned: when RV(replaced) is true
  type: list
  elements: str
replace_reason:
  description: Why the token was replaced.
  returned: when RV(replaced) is true
  type: str
  sample: the permissions differ and InfluxDB cannot change the permissions of an existing token
"""

from ansible_collections.tickstack.influx.plugins.module_utils.compare import MASK, Differ, state_diff
from ansible_collections.tickstack.influx.plugins.module_utils.errors import OperationFailed
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import ApiError
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import (
    InvalidInput,
    authorization_summary,
    connect,
    describe_permission,
    influxdb2_argument_spec,
    normalize_permissions,
    token_value,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import STATE, check_list_entries, list_option_spec, run_entries, run_module

PERMISSION_SPEC = dict(
    action=dict(type="str", required=True, choices=["read", "write"]),
    resource=dict(type="dict", required=True, options=dict(
        type=dict(type="str", required=True),
        name=dict(type="str"),
        id=dict(type="str"),
        all=dict(type="bool"),
        org=dict(type="str"),
        org_id=dict(type="str"),
    )),
)


def permission_names(client, server_permissions=()):
    """ID -> name for readable permission lists in diffs (names the user gave and the server sent)."""
    names = dict(client.names)
    for permission in server_permissions:
        resource = permission.get("resource") or {}
        if resource.get("id") and resource.get("name"):
            names[resource["id"]] = resource["name"]
    return names


def described(permissions, names):
    return sorted(describe_permission(p, names) for p in permissions)


def planned_summary(org, params, permissions, names, user):
    return {
        "description": params["description"], "status": params["status"], "org_id": org["id"],
        "org": org.get("name"), "user": user.get("name") if user else None,
        "permissions": [dict(p, resource=dict(p["resource"], name=names.get(p["resource"].get("id"))))
                        if names.get(p["resource"].get("id")) else p for p in permissions],
    }


ENTRY_KEYS = ("description", "permissions", "status", "rotate", "state")
# What a bulk run (O(tokens)) returns of each entry, beside its description.
ENTRY_RESULT = ("changed", "authorization", "token_available", "token", "replaced", "replaced_id", "replaced_ids",
                "replace_reason")


def ensure(module, client):
    params = module.params
    if params.get("tokens") is not None:
        return ensure_all(module, client)
    # Resolved only if its ID is needed: the lists below take it by name and teach its ID.
    org = client.org_ref(params["org"], params["org_id"])
    user = client.resolve_user(params["user"]) if params["user"] else None
    existing = [a for a in client.list_authorizations(org_id=org, user_id=user["id"] if user else None)
                if a.get("description") == params["description"]]
    if params["state"] == "present" and not params["permissions"]:
        raise InvalidInput("permissions: at least one permission is required with state=present")
    return ensure_token(module, client, org, user, params, existing,
                        lambda: client.build_permissions(params["permissions"], org["id"]))


def check_entries(entries):
    """Refuse a bad entry of O(tokens) before any request."""
    check_list_entries("tokens", entries, ("description",), "token", shown=repr)
    for index, entry in enumerate(entries):
        if entry["state"] == "present" and not entry["permissions"]:
            raise InvalidInput("tokens[%d] (%s): permissions: at least one permission is required with state=present"
                               % (index, entry["description"]))


def ensure_all(module, client):
    """Every entry of O(tokens), from one listing of the tokens and one lookup of every bucket they name."""
    params = module.params
    entries = [dict((key, entry.get(key)) for key in ENTRY_KEYS) for entry in params["tokens"]]
    check_entries(entries)
    if not entries:
        return {"changed": False, "tokens": [], "diff": []}
    org = client.org_ref(params["org"], params["org_id"])
    user = client.resolve_user(params["user"]) if params["user"] else None
    listed = client.list_authorizations(org_id=org, user_id=user["id"] if user else None)
    present = [index for index, entry in enumerate(entries) if entry["state"] == "present"]
    built = client.build_permission_sets(
        [(entries[index]["permissions"], "tokens[%d].permissions" % index) for index in present], org["id"]) if present else []
    wanted = dict(zip(present, built))

    def run_one(index, entry):
        existing = [a for a in listed if a.get("description") == entry["description"]]
        return ensure_token(module, client, org, user, entry, existing, lambda: wanted[index])

    return run_entries("tokens", entries, ("description",), run_one, ENTRY_RESULT, "token")


def ensure_token(module, client, org, user, params, existing, wanted_permissions):
    """One token: ``params`` are its options, ``existing`` the server's tokens of its description,
    ``wanted_permissions`` a function that returns the API permissions it should have."""
    description = params["description"]
    result = {"changed": False, "replaced": False, "token_available": False, "authorization": {}}

    if params["state"] == "absent":
        if not existing:
            return result
        if not module.check_mode:
            for auth in existing:
                client.delete_authorization(auth["id"])
        before = [authorization_summary(a) for a in existing]
        result.update(changed=True, diff=state_diff(
            {"description": description, "ids": [a["id"] for a in before]}, {}))
        return result

    wanted = wanted_permissions()
    current = existing[0] if existing else None
    names = permission_names(client, current.get("permissions", []) if current else ())

    if current is None:
        planned = planned_summary(org, params, wanted, names, user)
        result.update(changed=True, authorization=planned, diff=state_diff({}, {
            "description": description, "status": params["status"], "permissions": described(wanted, names)}))
        if not module.check_mode:
            created = create(client, org["id"], description, wanted, params["status"], user["id"] if user else None,
                             known=existing)
            publish(result, created)
        return result

    differ = Differ(secrets=("token",))
    have = normalize_permissions(current.get("permissions"))
    reason = None
    if len(existing) > 1:
        differ.add("tokens", len(existing), 1)
        reason = ("%d tokens had the description %r (a replacement failed midway?); one new token replaces them"
                  % (len(existing), description))
    elif have != wanted:
        differ.compare("permissions", described(have, names), described(wanted, names))
        reason = "the permissions differ and InfluxDB cannot change the permissions of an existing token"
    elif params["rotate"]:
        reason = "rotate was requested"
    differ.compare("status", current.get("status"), params["status"])

    if reason:
        differ.add("token", MASK, MASK)  # a new value; both sides are masked
        result.update(changed=True, replaced=True, replaced_id=current["id"], replace_reason=reason,
                      replaced_ids=[a["id"] for a in existing],
                      authorization=planned_summary(org, params, wanted, names, user), diff=differ.diff())
        if not module.check_mode:
            owner = user["id"] if user else current.get("userID")
            created = create(client, org["id"], description, wanted, params["status"], owner, known=existing)
            retire(client, existing, created, description)
            publish(result, created)
        return result

    summary = authorization_summary(current)
    if differ.changed:
        if module.check_mode:
            summary["status"] = params["status"]
        else:
            summary = authorization_summary(client.update_authorization(current["id"], {"status": params["status"]}))
    result.update(changed=differ.changed, authorization=summary, diff=differ.diff())
    value = token_value(current)
    if value:
        result.update(token=value, token_available=True)
    return result


def create(client, org_id, description, permissions, status, owner, known):
    """Create the token; when the call fails, delete a token it made anyway (its answer lost on the
    way back), since its value is lost with the answer and the next run must make one it can return."""
    try:
        return client.create_authorization(org_id, description, permissions, status, owner)
    except ApiError as e:
        known_ids = set(a["id"] for a in known)
        try:
            strays = [a for a in client.list_authorizations(org_id=org_id)
                      if a.get("description") == description and a["id"] not in known_ids]
            for stray in strays:
                client.delete_authorization(stray["id"])
        except ApiError as cleanup:
            raise OperationFailed("cannot create token %r: %s; looking for a token the call made anyway failed too "
                                  "(%s): the next run replaces any duplicate" % (description, e, cleanup), e) from e
        if not strays:
            raise
        raise OperationFailed("cannot create token %r: %s; the call had made token %s anyway, without returning "
                              "its value, so it was deleted again" % (description, e, ", ".join(a["id"] for a in strays)),
                              e) from e


def retire(client, olds, created, description):
    """Delete the tokens ``created`` replaces; when one cannot go, delete ``created`` again.

    Either the new token alone has the description, or the old ones still work and the new one is
    gone: never two live tokens for one description with the new value lost. What the rollback
    itself cannot delete the next run heals as duplicates.
    """
    for index, old in enumerate(olds):
        try:
            client.delete_authorization(old["id"])
        except ApiError as e:
            deleted = ", ".join(o["id"] for o in olds[:index])
            done = " (after deleting %s)" % deleted if deleted else ""
            try:
                client.delete_authorization(created["id"])
            except ApiError as cleanup:
                raise OperationFailed(
                    "cannot delete the old token %s%s: %s; deleting the new token %s failed too (%s): tokens with the "
                    "description %r are left for the next run to replace with one" % (
                        old["id"], done, e, created["id"], cleanup, description), e) from e
            raise OperationFailed("cannot delete the old token %s%s: %s; the new token was deleted again, so the "
                                  "remaining token keeps working and the next run retries"
                                  % (old["id"], done, e), e) from e


def publish(result, auth):
    """Put a created token's metadata and value in the result."""
    result["authorization"] = authorization_summary(auth)
    value = token_value(auth)
    if value:
        result.update(token=value, token_available=True)


def main():
    entry = dict(
        description=dict(type="str", required=True, aliases=["name"]),
        permissions=dict(type="list", elements="dict", options=PERMISSION_SPEC),
        status=dict(type="str", choices=["active", "inactive"], default="active"),
        rotate=dict(type="bool", default=False),
        state=STATE,
    )
    # A single token (its description not required: tokens may be given instead), or several (tokens).
    spec = influxdb2_argument_spec(user=dict(type="str"), **list_option_spec("tokens", entry, "description", no_log=False))
    exclusive = [("tokens", key) for key in ("description", "permissions")]
    run_module(spec, ensure, connect,
               action=lambda p: "cannot manage token %r" % p["description"] if p.get("description") else "cannot manage the tokens",
               natural_keys=("description", "user"), mutually_exclusive=exclusive, required_one_of=[("description", "tokens")],
               required_if=[("state", "present", ("permissions", "tokens"), True)])


if __name__ == "__main__":
    main()
