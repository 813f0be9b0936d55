#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible modules put DOCUMENTATION, EXAMPLES and RETURN before the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: influxdb1_subscription
short_description: Create or drop a subscription on InfluxDB 1.x
description:
  - Manages one subscription of an InfluxDB 1.x database/retention policy (C(CREATE SUBSCRIPTION),
    C(DROP SUBSCRIPTION)). Kapacitor subscribes to every database/retention policy it can read; once it
    reads InfluxDB 2 (which has no subscriptions), the old server must stop sending it every point.
  - Kapacitor makes its subscriptions again at startup and every C(subscriptions-sync-interval) unless
    its C([[influxdb]]) section says C(disable-subscriptions = true) or no longer names the 1.x server
    (the kapacitor role always writes C(disable-subscriptions = true)); drop them after that change.
  - A subscription whose mode or destinations differ is dropped and made again (1.x cannot alter one).
    Destinations are compared with any password masked, as the server shows them.
  - Needs an admin user.
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes, tickstack.influx.influxdb1, tickstack.influx.tls]
options:
  name:
    description: The subscription's name (Kapacitor's are C(kapacitor-<cluster id>)).
    type: str
    required: true
  database:
    description: Its database.
    type: str
    required: true
  retention_policy:
    description: Its retention policy.
    type: str
    default: autogen
  state:
    description: V(absent) drops it; V(present) makes it with O(mode) and O(destinations).
    type: str
    choices: [present, absent]
    default: present
  mode:
    description: V(ANY) sends each point to one destination, V(ALL) to every one.
    type: str
    choices: [ANY, ALL]
    default: ANY
  destinations:
    description:
      - URLs the server sends points to (V(http://kapacitor.example.com:9092)); required with O(state=present).
    type: list
    elements: str
seealso:
  - module: tickstack.influx.influxdb1_info
"""

EXAMPLES = r"""
- name: Drop every subscription Kapacitor made on the 1.x server
  tickstack.influx.influxdb1_subscription:
    url: http://influxdb1.example.com:8086
    username: admin
    password: "{{ influxdb1_admin_password }}"
    name: "{{ item.name }}"
    database: "{{ item.database }}"
    retention_policy: "{{ item.retention_policy }}"
    state: absent
  loop: "{{ old.subscriptions }}"
  loop_control:
    label: "{{ item.name }} on {{ item.database }}.{{ item.retention_policy }}"

- name: Send every point of telegraf.autogen to a second Kapacitor
  tickstack.influx.influxdb1_subscription:
    name: kapacitor-standby
    database: telegraf
    destinations: [http://kapacitor2.example.com:9092]
"""

RETURN = r"""
subscription:
  description: The subscription after the run (destinations with passwords masked); null when absent.
  returned: always
  type: dict
  sample: {database: telegraf, retention_policy: autogen, name: kapacitor-0123, mode: ANY,
           destinations: ["http://kapacitor.example.com:9092"]}
diff:
  description: Before and after, passwords masked.
  returned: with C(--diff)
  type: dict
"""

from ansible_collections.tickstack.influx.plugins.module_utils.compare import state_diff
from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb1 import (
    connect,
    influxdb1_argument_spec,
    mask_url,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import run_module


def find(client, name, database, retention_policy):
    return next((s for s in client.subscriptions() if s["name"] == name and s["database"] == database
                 and s["retention_policy"] == retention_policy), None)


def ensure(module, client):
    params = module.params
    name, database, rp = params["name"], params["database"], params["retention_policy"]
    current = find(client, name, database, rp)
    desired = None
    if params["state"] == "present":
        if not params["destinations"]:
            raise InvalidInput("destinations: state=present needs at least one destination URL")
        desired = {"database": database, "retention_policy": rp, "name": name, "mode": params["mode"],
                   "destinations": [mask_url(d) for d in params["destinations"]]}
    same = current == desired or (current is not None and desired is not None
                                  and current["mode"] == desired["mode"]
                                  and sorted(current["destinations"]) == sorted(desired["destinations"]))
    if same:
        return {"changed": False, "subscription": current}
    if not module.check_mode:
        if current is not None:
            client.drop_subscription(name, database, rp)
        if desired is not None:
            client.create_subscription(name, database, rp, params["mode"], params["destinations"])
    return {"changed": True, "subscription": desired, "diff": state_diff(current, desired)}


def main():
    run_module(influxdb1_argument_spec(
        name=dict(type="str", required=True),
        database=dict(type="str", required=True),
        retention_policy=dict(type="str", default="autogen"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        mode=dict(type="str", choices=["ANY", "ALL"], default="ANY"),
        destinations=dict(type="list", elements="str"),
    ), ensure, connect, action=lambda p: "cannot manage subscription %r on %s.%s" % (
        p["name"], p["database"], p["retention_policy"]), natural_keys=("name", "database", "retention_policy"))


if __name__ == "__main__":
    main()
