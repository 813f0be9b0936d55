#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible modules put DOCUMENTATION, EXAMPLES and RETURN before the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: influxdb2_info
short_description: Read health, organizations, buckets, tokens, DBRP mappings, v1 authorizations and replications from InfluxDB 2
description:
  - Reads an InfluxDB 2 instance and changes nothing.
  - Token metadata only; token values are never returned.
  - With O(org) or O(org_id) set, buckets, tokens, DBRP mappings and v1 authorizations of that organization
    are returned, otherwise those of every organization the token can see.
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes.info_module, tickstack.influx.influxdb2, tickstack.influx.tls]
options:
  gather:
    description:
      - What to read. V(health) needs no token.
      - V(remotes) (remote connections, never their tokens) and V(replications) (with their queue status) are read
        only when listed.
    type: list
    elements: str
    choices: [health, orgs, buckets, tokens, dbrps, v1_auths, remotes, replications]
    default: [health, orgs, buckets, tokens, dbrps, v1_auths]
  bucket:
    description: Only the bucket with this name (and, with V(dbrps), only mappings to it).
    type: str
  token_description:
    description: Only tokens with this description.
    type: str
  database:
    description: Only DBRP mappings of this 1.x database.
    type: str
  username:
    description: Only the v1 authorization with this username.
    type: str
  include_system_buckets:
    description: Include the system buckets V(_monitoring) and V(_tasks) (and their virtual mappings).
    type: bool
    default: false
seealso:
  - module: tickstack.influx.influxdb2_bucket
  - module: tickstack.influx.influxdb2_token
"""

EXAMPLES = r"""
- name: Wait until InfluxDB answers, and read its version
  tickstack.influx.influxdb2_info:
    url: http://localhost:8086
    gather: [health]
  register: influx
  until: influx.health.status | default('') == 'pass'
  retries: 30
  delay: 2

- name: Everything in the tickstack organization
  tickstack.influx.influxdb2_info:
    token: "{{ influxdb_operator_token }}"
    org: tickstack
  register: influx

- name: Show which bucket answers for db telegraf
  ansible.builtin.debug:
    msg: "{{ influx.dbrps | selectattr('database', '==', 'telegraf') | list }}"
"""

RETURN = r"""
health:
  description: The answer of C(/health).
  returned: when V(health) is gathered
  type: dict
  sample: {name: influxdb, status: pass, message: ready for queries and writes, version: v2.9.1, commit: 0123abc}
version:
  description: The server version without the leading V(v).
  returned: when V(health) is gathered
  type: str
  sample: 2.9.1
orgs:
  description: Organizations.
  returned: when V(orgs) is gathered
  type: list
  elements: dict
  sample: [{id: 0a1b2c3d4e5f6071, name: tickstack, description: ""}]
buckets:
  description: Buckets, with retention in seconds and as text.
  returned: when V(buckets) is gathered
  type: list
  elements: dict
  sample: [{id: 1b2c3d4e5f607182, name: telegraf, org_id: 0a1b2c3d4e5f6071, retention: 30d, retention_seconds: 2592000}]
tokens:
  description: Token metadata (description, status, owner, permissions), never the values.
  returned: when V(tokens) is gathered
  type: list
  elements: dict
dbrps:
  description: DBRP mappings, stored ones and virtual ones (C(virtual=true)).
  returned: when V(dbrps) is gathered
  type: list
  elements: dict
  sample: [{database: telegraf, retention_policy: autogen, default: true, virtual: true, bucket_id: 1b2c3d4e5f607182}]
v1_auths:
  description: v1 compatibility authorizations (username, status, permissions), never passwords.
  returned: when V(v1_auths) is gathered
  type: list
  elements: dict
remotes:
  description: Remote connections, as M(tickstack.influx.influxdb2_remote) returns them (never the remote token).
  returned: when V(remotes) is gathered
  type: list
  elements: dict
replications:
  description: Replications with their queue status, as M(tickstack.influx.influxdb2_replication) returns them.
  returned: when V(replications) is gathered
  type: list
  elements: dict
"""

from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import (
    InvalidInput,
    authorization_summary,
    bucket_summary,
    client_from_module,
    dbrp_summary,
    influxdb2_argument_spec,
    legacy_authorization_summary,
    org_summary,
    remote_summary,
    replication_summary,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import run_module

GATHER = ["health", "orgs", "buckets", "tokens", "dbrps", "v1_auths"]
# Read only when asked for (the default list stays what it was).
GATHER_CHOICES = GATHER + ["remotes", "replications"]


def gather(module, client):
    params = module.params
    wanted = params["gather"]
    result = {"changed": False}
    if "health" in wanted:
        health = client.health() or {}
        result["health"] = health
        result["version"] = (health.get("version") or "").lstrip("v")
    if wanted == ["health"]:
        return result
    if not client.token:
        raise InvalidInput("token: no API token given; it is needed to gather %s (only health needs none)"
                           % ", ".join(w for w in wanted if w != "health"))

    if params["org"] or params["org_id"]:
        orgs = [client.resolve_org(params["org"], params["org_id"])]
    else:
        orgs = client.list_orgs()
    if "orgs" in wanted:
        result["orgs"] = [org_summary(o) for o in orgs]

    buckets = []
    if "buckets" in wanted or "dbrps" in wanted:
        for org in orgs:
            buckets.extend(b for b in client.list_buckets(org_id=org["id"], name=params["bucket"])
                           if params["include_system_buckets"] or b.get("type") != "system")
    if "buckets" in wanted:
        result["buckets"] = [bucket_summary(b) for b in buckets]
    if "tokens" in wanted:
        result["tokens"] = [authorization_summary(a) for org in orgs for a in client.list_authorizations(org_id=org["id"])
                            if params["token_description"] in (None, a.get("description"))]
    if "dbrps" in wanted:
        bucket_ids = set(b["id"] for b in buckets)
        result["dbrps"] = [dbrp_summary(m) for org in orgs for m in client.list_dbrps(org["id"], database=params["database"])
                           if m.get("bucketID") in bucket_ids or (not m.get("virtual") and not params["bucket"])]
    if "v1_auths" in wanted:
        org_ids = set(o["id"] for o in orgs)
        if params["username"]:
            found = client.find_legacy_authorization(params["username"])
            v1_auths = [found] if found and found.get("orgID") in org_ids else []
        else:
            v1_auths = [a for a in client.list_legacy_authorizations() if a.get("orgID") in org_ids]
        result["v1_auths"] = [legacy_authorization_summary(a) for a in v1_auths]
    if "remotes" in wanted:
        result["remotes"] = [remote_summary(r) for org in orgs for r in client.list_remotes(org["id"])]
    if "replications" in wanted:
        result["replications"] = [replication_summary(r) for org in orgs for r in client.list_replications(org["id"])]
    return result


def main():
    run_module(influxdb2_argument_spec(
        gather=dict(type="list", elements="str", choices=GATHER_CHOICES, default=GATHER),
        bucket=dict(type="str"),
        token_description=dict(type="str", no_log=False),
        database=dict(type="str"),
        username=dict(type="str"),
        include_system_buckets=dict(type="bool", default=False),
    ), gather, client_from_module, action=lambda p: "cannot read InfluxDB at %s" % p["url"])


if __name__ == "__main__":
    main()
