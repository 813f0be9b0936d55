#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible modules put DOCUMENTATION, EXAMPLES and RETURN before the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: influxdb1_info
short_description: Read databases, retention policies, users, grants, continuous queries and subscriptions from InfluxDB 1.x
description:
  - Reads an InfluxDB 1.x server through its HTTP API (InfluxQL C(SHOW) statements on C(/query)) and
    changes nothing. It is the first step of a move to InfluxDB 2.
  - Passwords are never returned; a password in a subscription destination URL is masked.
  - Users, their grants, continuous queries and subscriptions can only be read by an admin user (1.13
    refuses C(SHOW CONTINUOUS QUERIES) to others too); a user that is not an admin sees the databases,
    and their retention policies, that it may read or write.
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes.info_module, tickstack.influx.influxdb1, tickstack.influx.tls]
options:
  gather:
    description:
      - What to read. V(ping) (the version) needs no credentials.
      - V(databases) and V(retention_policies) read the same; V(retention_policies) also returns them as one list.
    type: list
    elements: str
    choices: [ping, databases, retention_policies, users, continuous_queries, subscriptions]
    default: [ping, databases, retention_policies, users, continuous_queries, subscriptions]
  database:
    description: Only this database (its retention policies, continuous queries, subscriptions and grants).
    type: str
  include_internal:
    description: Include the C(_internal) database InfluxDB writes its own monitoring to.
    type: bool
    default: false
seealso:
  - module: tickstack.influx.influxdb2_info
"""

EXAMPLES = r"""
- name: Read the 1.x server
  tickstack.influx.influxdb1_info:
    url: http://influxdb1.example.com:8086
    username: admin
    password: "{{ influxdb1_admin_password }}"
  register: old

- name: Show each database with its default retention policy
  ansible.builtin.debug:
    msg: "{{ old.databases | items2dict(key_name='name', value_name='default_retention_policy') }}"

- name: The same, with the connection set once for every influxdb1 module
  module_defaults:
    group/tickstack.influx.influxdb1:
      url: http://influxdb1.example.com:8086
      username: admin
      password: "{{ influxdb1_admin_password }}"
  block:
    - name: Only the telegraf database
      tickstack.influx.influxdb1_info:
        database: telegraf
        gather: [retention_policies, continuous_queries]
      register: telegraf_db
"""

RETURN = r"""
version:
  description: The server version without the leading V(v) (from C(/ping)).
  returned: when V(ping) is gathered
  type: str
  sample: 1.13.2
databases:
  description: Databases with their default retention policy and their retention policies.
  returned: when V(databases) or V(retention_policies) is gathered
  type: list
  elements: dict
  sample:
    - name: telegraf
      default_retention_policy: autogen
      retention_policies:
        - {database: telegraf, name: autogen, duration: 0s, duration_seconds: 0, shard_group_duration: 168h0m0s,
           shard_group_duration_seconds: 604800, replication: 1, default: true}
retention_policies:
  description:
    - Every retention policy of the databases read, with its duration and shard-group duration as the
      server prints them and in seconds (C(0) is infinite), its replication and whether it is the default.
  returned: when V(retention_policies) is gathered
  type: list
  elements: dict
  sample:
    - {database: telegraf, name: one-week, duration: 168h0m0s, duration_seconds: 604800, shard_group_duration: 24h0m0s,
       shard_group_duration_seconds: 86400, replication: 1, default: false}
users:
  description: Users, whether they are admins, and their privileges per database (V(read), V(write) or V(all)).
  returned: when V(users) is gathered
  type: list
  elements: dict
  sample: [{name: grafana, admin: false, privileges: [{database: telegraf, privilege: read}]}]
continuous_queries:
  description: Continuous queries with their database, name and full C(CREATE CONTINUOUS QUERY) text.
  returned: when V(continuous_queries) is gathered
  type: list
  elements: dict
  sample:
    - database: telegraf
      name: cpu_hourly
      query: CREATE CONTINUOUS QUERY cpu_hourly ON telegraf BEGIN SELECT mean(usage_idle) INTO ... END
subscriptions:
  description:
    - Subscriptions (Kapacitor makes one per database and retention policy it subscribes to), with
      their destinations; a password in a destination URL is masked.
  returned: when V(subscriptions) is gathered
  type: list
  elements: dict
  sample:
    - {database: telegraf, retention_policy: autogen, name: kapacitor-0123, mode: ANY,
       destinations: ["http://kapacitor.example.com:9092"]}
"""

from ansible_collections.tickstack.influx.plugins.module_utils.influxdb1 import (
    INTERNAL_DATABASE,
    connect,
    influxdb1_argument_spec,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import run_module

GATHER = ["ping", "databases", "retention_policies", "users", "continuous_queries", "subscriptions"]


def gather(module, client):
    params = module.params
    wanted = params["gather"]
    only = params["database"]
    result = {"changed": False}

    def keep(database):
        if only is not None:
            return database == only
        return params["include_internal"] or database != INTERNAL_DATABASE

    if "ping" in wanted:
        result["version"] = client.ping()
    if "databases" in wanted or "retention_policies" in wanted:
        databases = []
        policies = []
        for name in client.databases():
            if not keep(name):
                continue
            found = client.retention_policies(name)
            policies.extend(found)
            databases.append({"name": name, "retention_policies": found,
                              "default_retention_policy": next((rp["name"] for rp in found if rp["default"]), None)})
        result["databases"] = databases
        if "retention_policies" in wanted:
            result["retention_policies"] = policies
    if "users" in wanted:
        users = []
        for user in client.users():
            privileges = [g for g in client.grants(user["name"]) if keep(g["database"])]
            users.append(dict(user, privileges=privileges))
        result["users"] = users
    if "continuous_queries" in wanted:
        result["continuous_queries"] = [cq for cq in client.continuous_queries() if keep(cq["database"])]
    if "subscriptions" in wanted:
        result["subscriptions"] = [s for s in client.subscriptions() if keep(s["database"])]
    return result


def main():
    run_module(influxdb1_argument_spec(
        gather=dict(type="list", elements="str", choices=GATHER, default=GATHER),
        database=dict(type="str"),
        include_internal=dict(type="bool", default=False),
    ), gather, connect, action=lambda p: "cannot read InfluxDB 1.x at %s" % p["url"], natural_keys=("database",))


if __name__ == "__main__":
    main()
