#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible modules put DOCUMENTATION, EXAMPLES and RETURN before the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: influxdb2_remote
short_description: Manage InfluxDB 2 remote connections (the far end of a replication)
description:
  - Create, update and delete a remote connection (C(/api/v2/remotes)) of the organization O(org) (or O(org_id)),
    identified by its O(name). A remote connection is the URL, organization and API token of another InfluxDB
    (usually a central one) that M(tickstack.influx.influxdb2_replication) streams the writes of a local bucket to.
  - InfluxDB stores the remote token but never shows it back, so the module cannot compare it; O(update_token) says
    when it is sent.
  - InfluxDB does not check the remote when the connection is made; M(tickstack.influx.influxdb2_replication) with
    O(tickstack.influx.influxdb2_replication#module:validate=true) does.
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes, tickstack.influx.influxdb2, tickstack.influx.tls]
options:
  name:
    description:
      - Name of the remote connection, unique in the organization.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the remote connection; V(absent) deletes it.
      - InfluxDB refuses to delete a remote connection that a replication still uses; delete the replications first.
    type: str
    choices: [present, absent]
    default: present
  remote_url:
    description:
      - Base URL of the remote InfluxDB, for example V(https://central.example.com:8086). Required with
        O(state=present).
    type: str
  remote_token:
    description:
      - API token on the remote InfluxDB. It needs write access to the remote buckets the replications write to.
      - Required to create the remote connection. Never returned, logged or shown in a diff.
    type: str
  update_token:
    description:
      - V(on_create) sends O(remote_token) only when the remote connection is created.
      - V(always) sends it at every run and reports a change every time, because InfluxDB cannot show the stored
        token to compare (use it to rotate the token, then go back to V(on_create)).
    type: str
    choices: [always, on_create]
    default: on_create
  remote_org_id:
    description:
      - ID of the organization on the remote InfluxDB (16 hexadecimal digits). One of O(remote_org_id) and
        O(remote_org) is required with O(state=present).
      - The robust choice, as nothing needs to reach the remote to check it.
    type: str
  remote_org:
    description:
      - Name of the organization on the remote InfluxDB, resolved to its ID on O(remote_url) with O(remote_token) at
        every run. That needs the remote reachable from the host the module runs on, and a token that may read the
        organization (a token that may only write buckets cannot); otherwise give O(remote_org_id).
    type: str
  allow_insecure_tls:
    description:
      - Let the local InfluxDB skip verifying the remote's TLS certificate. Also used when resolving O(remote_org).
    type: bool
    default: false
  description:
    description:
      - Free text. Not managed when omitted; V("") clears it.
    type: str
notes:
  - The connection options (O(url), O(token), TLS) are those of the local InfluxDB, where the remote connection is
    stored.
seealso:
  - module: tickstack.influx.influxdb2_replication
"""

EXAMPLES = r"""
- name: The central InfluxDB, as seen from the edge
  tickstack.influx.influxdb2_remote:
    url: http://127.0.0.1:8086
    token: "{{ influxdb_operator_token }}"
    org: edge
    name: central
    remote_url: https://central.example.com:8086
    remote_org_id: 0a1b2c3d4e5f6071
    remote_token: "{{ vault_central_write_token }}"

- name: Rotate the remote token
  tickstack.influx.influxdb2_remote:
    name: central
    remote_url: https://central.example.com:8086
    remote_org_id: 0a1b2c3d4e5f6071
    remote_token: "{{ vault_central_write_token_new }}"
    update_token: always

- name: Remove it (after its replications)
  tickstack.influx.influxdb2_remote:
    name: central
    state: absent
"""

RETURN = r"""
remote:
  description: The remote connection after the run (predicted in check mode), never its token. Empty when absent.
  returned: always
  type: dict
  sample:
    id: 0a1b2c3d4e5f6071
    name: central
    org_id: 1b2c3d4e5f607182
    description: ""
    remote_url: https://central.example.com:8086
    remote_org_id: 2c3d4e5f60718293
    allow_insecure_tls: false
token_set:
  description: Whether the remote token was (or in check mode would be) sent in this run.
  returned: always
  type: bool
"""

from urllib.parse import urlsplit

from ansible_collections.tickstack.influx.plugins.module_utils.compare import MASK, Differ, state_diff
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import ApiError, NotFound
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import (
    InfluxDB2Client,
    InvalidInput,
    connect,
    influxdb2_argument_spec,
    is_id,
    remote_summary,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import STATE, run_module

# Module option -> API field, for the settings compared and patched in place.
FIELDS = (("remote_url", "remoteURL"), ("remote_org_id", "remoteOrgID"), ("allow_insecure_tls", "allowInsecureTLS"),
          ("description", "description"))


def check_url(url):
    try:
        parts = urlsplit(url)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
        userinfo = bool(parts.username or parts.password)
    except ValueError:  # a bad port or brackets
        usable, userinfo = False, False
    if not usable:
        raise InvalidInput("remote_url: %r is not an http:// or https:// URL of the remote InfluxDB (for example "
                           "https://central.example.com:8086)" % (url,))
    if userinfo:
        raise InvalidInput("remote_url: give the remote's credentials as remote_token, not inside the URL")


def check_input(params):
    """Bad input fails here, before any request."""
    url = params["remote_url"]
    if url is not None:
        check_url(url)
    if params["remote_org_id"] is not None and not is_id(params["remote_org_id"]):
        raise InvalidInput("remote_org_id: %r is not an InfluxDB ID (16 hexadecimal digits); give the ID, or the "
                           "organization's name as remote_org" % (params["remote_org_id"],))
    if params["state"] == "present":
        if not url:
            raise InvalidInput("remote_url: required with state=present (the URL of the remote InfluxDB)")
        if not params["remote_org_id"] and not params["remote_org"]:
            raise InvalidInput("remote_org_id, remote_org: give one of them with state=present (the organization the "
                               "replications write to on the remote)")


def remote_client(params, transport=None):
    """A client of the remote InfluxDB with the remote token (TLS checked unless allow_insecure_tls)."""
    return InfluxDB2Client(params["remote_url"], token=params["remote_token"], transport=transport,
                           validate_certs=not params["allow_insecure_tls"], ca_path=params["ca_path"],
                           timeout=params["timeout"] or 10)


def remote_org_id(params):
    """The remote organization's ID: given, or looked up by name on the remote with the remote token."""
    if params["remote_org_id"]:
        return params["remote_org_id"]
    if not params["remote_token"]:
        raise InvalidInput("remote_org: resolving %r needs remote_token; or give remote_org_id" % params["remote_org"])
    try:
        return remote_client(params).resolve_org(params["remote_org"])["id"]
    except NotFound:
        raise InvalidInput("remote_org: organization %r not found on %s with remote_token (a token that may only "
                           "write buckets cannot read organizations); give remote_org_id instead"
                           % (params["remote_org"], params["remote_url"])) from None
    except ApiError as e:
        raise InvalidInput("remote_org: cannot look up organization %r on the remote: %s; give remote_org_id, "
                           "which needs no call to the remote" % (params["remote_org"], e)) from e


def ensure(module, client):
    params = module.params
    check_input(params)
    org = client.resolve_org(params["org"], params["org_id"])
    current = client.find_remote(org["id"], params["name"])
    result = {"changed": False, "token_set": False, "remote": {}}

    if params["state"] == "absent":
        if current is None:
            return result
        if not module.check_mode:
            client.delete_remote(current["id"])
        before = remote_summary(current)
        result.update(changed=True, diff=state_diff({k: before[k] for k in ("name", "remote_url")}, {}))
        return result

    wanted = {"remote_url": params["remote_url"].rstrip("/"), "remote_org_id": remote_org_id(params),
              "allow_insecure_tls": params["allow_insecure_tls"], "description": params["description"]}

    if current is None:
        if not params["remote_token"]:
            raise InvalidInput("remote_token: required to create the remote connection %r (InfluxDB cannot keep or "
                               "show an existing token)" % params["name"])
        planned = dict(wanted, name=params["name"], org_id=org["id"], id=None, description=params["description"] or "")
        result.update(changed=True, token_set=True, remote=planned,
                      diff=state_diff({}, dict(planned, remote_token=MASK)))
        if not module.check_mode:
            result["remote"] = remote_summary(client.create_remote(
                org["id"], params["name"], wanted["remote_url"], params["remote_token"], wanted["remote_org_id"],
                wanted["allow_insecure_tls"], params["description"]))
        return result

    summary = remote_summary(current)
    differ = Differ(secrets=("remote_token",))
    for option, _field in FIELDS:
        differ.compare(option, summary[option], wanted[option])
    changes = dict((field, wanted[option]) for option, field in FIELDS if option in differ.after)
    if params["update_token"] == "always" and params["remote_token"]:
        differ.add("remote_token", MASK, MASK)
        changes["remoteAPIToken"] = params["remote_token"]
        result["token_set"] = True
    if changes:
        if module.check_mode:
            summary.update((k, v) for k, v in differ.after.items() if k in summary)
        else:
            summary = remote_summary(client.update_remote(current["id"], changes))
    result.update(changed=differ.changed, remote=summary, diff=differ.diff())
    return result


def main():
    run_module(influxdb2_argument_spec(
        name=dict(type="str", required=True),
        remote_url=dict(type="str"),
        remote_token=dict(type="str", no_log=True),
        update_token=dict(type="str", choices=["always", "on_create"], default="on_create", no_log=False),
        remote_org_id=dict(type="str"),
        remote_org=dict(type="str"),
        allow_insecure_tls=dict(type="bool", default=False),
        description=dict(type="str"),
        state=STATE,
    ), ensure, connect, action=lambda p: "cannot manage remote connection %r" % p["name"],
        natural_keys=("name", "remote_url", "remote_org_id", "remote_org"),
        mutually_exclusive=[("remote_org_id", "remote_org")])


if __name__ == "__main__":
    main()
