#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible modules put DOCUMENTATION, EXAMPLES and RETURN before the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: influxdb2_newest_point
short_description: How old the newest point of a database/retention policy is in InfluxDB 2, per tag value
description:
  - For each entry of O(series), asks InfluxDB 2 through the 1.x compatibility API (C(/query), InfluxQL,
    so by database/retention policy as Telegraf and Kapacitor name them) for the newest point within
    O(lookback), overall and, with C(group_by), per value of that tag (for example per Telegraf C(host)).
  - One InfluxQL query per entry - C(SELECT * FROM /.*/ WHERE time > now() - <lookback> [GROUP BY "<tag>"]
    ORDER BY time DESC LIMIT 1) - which reads one point per series.
  - The age is the module host's clock minus the point's timestamp (the time the point carries, which
    Telegraf sets when it gathers it), in whole seconds; run it on the InfluxDB host, or on a host whose
    clock agrees with the writers'.
  - Reads only; the token needs read access to the buckets behind the databases.
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes.info_module, tickstack.influx.influxdb2, tickstack.influx.tls]
options:
  series:
    description: What to look at.
    type: list
    elements: dict
    required: true
    suboptions:
      database:
        description: The 1.x database (a DBRP mapping's database).
        type: str
        required: true
      retention_policy:
        description: Its retention policy; the database's default mapping when not set.
        type: str
      measurement:
        description: Only this measurement; every measurement when not set.
        type: str
      group_by:
        description: A tag (such as V(host)); the newest point is then also returned per value of it.
        type: str
  lookback:
    description:
      - How far back to look, as an InfluxQL duration (V(30s), V(15m), V(1h)). Older points count as none.
    type: str
    default: 1h
notes:
  - The O(org) and O(org_id) options are not used; the token's organization decides.
seealso:
  - module: tickstack.influx.kapacitor_task_stats
  - module: tickstack.influx.influxdb2_info
"""

EXAMPLES = r"""
- name: How old the newest point of every Telegraf host is
  tickstack.influx.influxdb2_newest_point:
    url: http://127.0.0.1:8086
    token: "{{ influxdb_operator_token }}"
    series:
      - database: telegraf
        retention_policy: autogen
        group_by: host
    lookback: 15m
  register: newest

- name: Fail for a host that wrote nothing for a minute
  ansible.builtin.assert:
    that: (newest.series[0].groups[item].age | default(999999)) < 60
    fail_msg: "{{ item }} has written nothing to telegraf/autogen for a minute"
  loop: [web1, web2]
"""

RETURN = r"""
series:
  description: One entry per O(series) entry, in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    database:
      description: The database.
      type: str
    retention_policy:
      description: The retention policy as given (V(null) for the default one).
      type: str
    measurement:
      description: The measurement as given (V(null) for every one).
      type: str
    group_by:
      description: The tag as given.
      type: str
    newest:
      description:
        - The newest point within O(lookback) - C(time) (epoch seconds), C(age) (seconds), C(measurement) -
          or V(null) when there is none.
      type: dict
      sample: {time: 1764619200, age: 2, measurement: cpu}
    groups:
      description: With C(group_by), the newest point per tag value (same keys as C(newest)); the values with no point within O(lookback) are absent.
      type: dict
      sample: {web1: {time: 1764619200, age: 2, measurement: cpu}}
    error:
      description: Why the query was refused (for example a database with no DBRP mapping); empty when it ran.
      type: str
    now:
      description: The module host's clock when the answer came (epoch seconds).
      type: int
"""

import re
import time

from ansible_collections.tickstack.influx.plugins.module_utils.http_client import InvalidRequest
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb1 import quote_ident
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import (
    InvalidInput,
    connect,
    influxdb2_argument_spec,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import run_module

_LOOKBACK_RE = re.compile(r"^(\d+(ns|u|µ|ms|s|m|h|d|w))+$")
# Patched by the unit tests.
NOW = time.time


def newest_statement(entry, lookback):
    """The InfluxQL that returns the newest point of every series of ``entry`` within ``lookback``."""
    source = quote_ident(entry["measurement"]) if entry.get("measurement") else "/.*/"
    group = ' GROUP BY %s' % quote_ident(entry["group_by"]) if entry.get("group_by") else ""
    return "SELECT * FROM %s WHERE time > now() - %s%s ORDER BY time DESC LIMIT 1" % (source, lookback, group)


def newest_of(series, group_by, now):
    """From the series of :func:`newest_statement`: the newest point overall and per tag value."""
    newest, groups = None, {}
    for item in series:
        columns, values = item.get("columns") or [], item.get("values") or []
        if "time" not in columns or not values or not isinstance(values[0], list):
            continue
        stamp = values[0][columns.index("time")]
        if not isinstance(stamp, (int, float)) or isinstance(stamp, bool):
            continue
        point = {"time": int(stamp), "age": max(0, int(now - stamp)), "measurement": item.get("name")}
        if newest is None or point["time"] > newest["time"]:
            newest = point
        if group_by:
            value = (item.get("tags") or {}).get(group_by)
            if value is not None and (value not in groups or point["time"] > groups[value]["time"]):
                groups[value] = point
    return newest, groups


def check_params(params):
    if not _LOOKBACK_RE.match(params["lookback"] or ""):
        raise InvalidInput("lookback: %r is not an InfluxQL duration; use a number and a unit, for example 15m or 1h"
                           % params["lookback"])
    for index, entry in enumerate(params["series"]):
        for key in ("database", "retention_policy", "measurement", "group_by"):
            value = entry.get(key)
            if value is not None and not str(value).strip():
                raise InvalidInput("series[%d].%s: cannot be empty (leave it out instead)" % (index, key))


def gather(module, client):
    params = module.params
    check_params(params)
    found = []
    for entry in params["series"]:
        row = {key: entry.get(key) for key in ("database", "retention_policy", "measurement", "group_by")}
        row.update({"newest": None, "groups": {}, "error": ""})
        try:
            series = client.influxql(newest_statement(entry, params["lookback"]), entry["database"],
                                     entry.get("retention_policy"))
        except InvalidRequest as e:
            row["error"] = e.msg
            series = []
        now = NOW()
        row["now"] = int(now)
        row["newest"], row["groups"] = newest_of(series, entry.get("group_by"), now)
        found.append(row)
    return {"changed": False, "series": found}


def main():
    run_module(influxdb2_argument_spec(
        series=dict(type="list", elements="dict", required=True, options=dict(
            database=dict(type="str", required=True),
            retention_policy=dict(type="str"),
            measurement=dict(type="str"),
            group_by=dict(type="str"),
        )),
        lookback=dict(type="str", default="1h"),
    ), gather, connect, action=lambda p: "cannot read the newest points from InfluxDB at %s" % p["url"])


if __name__ == "__main__":
    main()
