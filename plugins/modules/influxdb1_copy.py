#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible modules put DOCUMENTATION, EXAMPLES and RETURN before the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: influxdb1_copy
short_description: Copy the data of an InfluxDB 1.x database and retention policy into an InfluxDB 2 bucket
description:
  - Reads one 1.x database/retention policy through the 1.x query API (chunked, nanosecond
    timestamps), measurement by measurement and time window by time window, and writes it to an
    InfluxDB 2 bucket through the 2.x write API in line protocol, in bounded batches. Works across
    hosts; the module needs only HTTP access to both servers.
  - Resumable and idempotent without a checkpoint file. Before copying, the module counts the field
    values of every window on both sides (C(GROUP BY time()) on 1.x, C(window()) in Flux on 2.x) and
    copies only the windows that differ; a run that was stopped resumes at the first window not yet
    complete, and a finished copy changes nothing. Re-writing a point is harmless in InfluxDB (the
    same series and time overwrite).
  - After copying, the copied windows are counted again on both sides; a difference fails the task
    and names the measurement and windows (run it again to recopy them).
  - Field types come from C(SHOW FIELD KEYS), so integers stay integers (the 1.x JSON gives V(1) for
    the float V(1.0)).
  - The bucket must exist (create it with M(tickstack.influx.influxdb2_bucket), with the retention
    the plan gives it); in check mode a missing bucket counts as empty. Points older than the bucket's
    retention are refused by InfluxDB 2.
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes, tickstack.influx.influxdb1, tickstack.influx.tls]
options:
  database:
    description: The 1.x database to copy from.
    type: str
    required: true
  retention_policy:
    description: The 1.x retention policy to copy from.
    type: str
    default: autogen
  bucket:
    description: The InfluxDB 2 bucket to write to.
    type: str
    required: true
  measurements:
    description: Only these measurements (default every measurement of the database that has data in the retention policy).
    type: list
    elements: str
  start:
    description:
      - Copy points at or after this time (RFC3339, for example V(2024-01-01T00:00:00Z)); default the first point.
    type: str
  stop:
    description:
      - Copy points before this time (RFC3339); default just after the last point when the run starts.
    type: str
  window:
    description:
      - Length of one time window (V(1d), V(6h)...), the unit of copying, counting and resuming.
        One window of one measurement is read in one query, so it bounds memory.
    type: str
    default: 1d
  chunk_size:
    description: Points per chunk the 1.x server sends (C(chunk_size) of the chunked query).
    type: int
    default: 10000
  batch_size:
    description: Lines per 2.x write request.
    type: int
    default: 5000
  max_windows:
    description:
      - Stop after copying this many windows (over all measurements) and return RV(complete=false);
        the next run goes on from there. V(0) copies everything.
    type: int
    default: 0
  influxdb2_url:
    description:
      - Base URL of the InfluxDB 2 API to write to.
      - If not set, the environment variable E(INFLUX_HOST) is used, then V(http://localhost:8086).
    type: str
  influxdb2_token:
    description:
      - Token with write access to O(bucket) and read access to it (for the counts).
      - If not set, the environment variable E(INFLUX_TOKEN) is used.
    type: str
  influxdb2_org:
    description:
      - Organization of O(bucket).
      - If not set, the environment variable E(INFLUX_ORG) is used.
    type: str
notes:
  - The TLS options (O(validate_certs), O(ca_path), O(client_cert), O(client_key)) and O(timeout) apply
    to both servers.
  - Keep writing new points to both servers while copying (for example Telegraf with two outputs), so
    that nothing written during the move is lost; the last window is copied again by a later run if it
    grew.
seealso:
  - module: tickstack.influx.influxdb1_info
  - module: tickstack.influx.influxdb2_bucket
"""

EXAMPLES = r"""
- name: Copy telegraf.autogen into the telegraf bucket
  tickstack.influx.influxdb1_copy:
    url: http://influxdb1.example.com:8086
    username: admin
    password: "{{ influxdb1_admin_password }}"
    database: telegraf
    retention_policy: autogen
    bucket: telegraf
    influxdb2_url: https://influxdb2.example.com:8086
    influxdb2_token: "{{ influxdb_operator_token }}"
    influxdb2_org: tickstack
  register: copied

- name: Throughput
  ansible.builtin.debug:
    msg: "{{ copied.points_written }} points in {{ copied.seconds }} s ({{ copied.points_per_second }} points/s)"

- name: Copy a week at most per run, inside a maintenance window
  tickstack.influx.influxdb1_copy:
    database: telegraf
    retention_policy: one-week
    bucket: telegraf/one-week
    window: 6h
    max_windows: 28
"""

RETURN = r"""
complete:
  description: Every window is copied (false when O(max_windows) stopped the run early).
  returned: always
  type: bool
points_written:
  description: Points (lines) written to InfluxDB 2 by this run.
  returned: always
  type: int
seconds:
  description: Seconds the run took.
  returned: always
  type: float
points_per_second:
  description: RV(points_written) divided by RV(seconds).
  returned: always
  type: float
windows_copied:
  description: Windows copied by this run (in check mode, the windows that would be).
  returned: always
  type: int
windows_remaining:
  description: Windows that still differ after this run (0 when RV(complete)); in check mode, the windows to copy.
  returned: always
  type: int
measurements:
  description:
    - Per measurement, the field values counted on both sides over the copied time range after the run,
      the windows and the windows copied.
  returned: always
  type: list
  elements: dict
  sample:
    - {measurement: cpu, source_values: 5760, target_values: 5760, windows: 2, windows_copied: 2, points_written: 2880}
"""

import time
from datetime import datetime, timezone

from ansible.module_utils.basic import env_fallback

from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput, OperationFailed
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb1 import (
    WindowCopier,
    connect,
    influxdb1_argument_spec,
)
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import (
    DEFAULT_URL,
    InfluxDB2Client,
    parse_duration,
)
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import tls_options
from ansible_collections.tickstack.influx.plugins.module_utils.runner import run_module


def rfc3339_ns(value, option):
    if value is None:
        return None
    text = str(value).strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("%s: %r is not an RFC3339 time such as 2024-01-01T00:00:00Z" % (option, value)) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 10 ** 9 + delta.microseconds * 1000


def target_client(params, transport=None):
    if not params.get("influxdb2_token"):
        raise InvalidInput("influxdb2_token: no InfluxDB 2 token given; set it or the INFLUX_TOKEN environment variable")
    if not params.get("influxdb2_org"):
        raise InvalidInput("influxdb2_org: name the organization of the bucket (or set INFLUX_ORG)")
    return InfluxDB2Client(url=params.get("influxdb2_url") or DEFAULT_URL, token=params["influxdb2_token"],
                           transport=transport, **tls_options(params))


def copier_for(module, source, target):
    params = module.params
    window = parse_duration(params["window"], option="window")
    if not window:
        raise InvalidInput("window: must be longer than 0, for example 1d or 6h")
    for option in ("chunk_size", "batch_size"):
        if params[option] < 1:
            raise InvalidInput("%s: must be at least 1" % option)
    org = target.resolve_org(params["influxdb2_org"])
    copier = WindowCopier(source, target, params["influxdb2_org"], params["database"], params["retention_policy"],
                          params["bucket"], window * 10 ** 9, chunk_size=params["chunk_size"],
                          batch_size=params["batch_size"])
    if target.find_bucket(org["id"], params["bucket"]) is None:
        if not module.check_mode:
            raise InvalidInput("bucket: %r does not exist in organization %r; create it first (influxdb2_bucket)"
                               % (params["bucket"], params["influxdb2_org"]))
        copier.target_missing = True  # check mode before the bucket is made: all of it is to copy
    return copier


def ensure(module, source, target=None):
    params = module.params
    started = time.monotonic()
    target = target or target_client(params)
    copier = copier_for(module, source, target)
    start = rfc3339_ns(params["start"], "start")
    stop = rfc3339_ns(params["stop"], "stop")
    if start is not None and stop is not None and stop <= start:
        raise InvalidInput("stop: must be after start")
    measurements = params["measurements"] or source.measurements(params["database"])

    plans = []
    for name in measurements:
        found = copier.time_range(name)
        if found is None:
            continue
        first, last = found
        low, high = copier.align(first if start is None else max(first, start),
                                 last if stop is None else min(last, stop - 1))
        if start is not None:
            low = max(low, start)
        if stop is not None:
            high = min(high, stop)
        if high <= low:
            continue
        want = copier.source_counts(name, low, high)
        have = copier.target_counts(name, low, high)
        todo = sorted(w for w, n in want.items() if have.get(w) != n)
        plans.append({"name": name, "low": low, "high": high, "want": want, "have": have, "todo": todo})

    budget = params["max_windows"] or None
    copied_total = 0
    report = []
    differences = []
    for plan in plans:
        name = plan["name"]
        todo = plan["todo"]
        if budget is not None:
            todo = todo[:max(0, budget - copied_total)]
        written = 0
        if todo and not module.check_mode:
            types = copier.source.field_types(params["database"], params["retention_policy"], name)
            for window in todo:
                written += copier.copy_window(name, types, window, plan["low"], plan["high"])
            have = copier.target_counts(name, plan["low"], plan["high"])
            wrong = [w for w in todo if have.get(w) != plan["want"][w]]
            if wrong:
                differences.append("%s: %d window(s) differ after copying, the first at %d ns (1.x %d, 2.x %d "
                                   "field values)" % (name, len(wrong), wrong[0], plan["want"][wrong[0]],
                                                      have.get(wrong[0], 0)))
            plan["have"] = have
        copied_total += len(todo)
        if module.check_mode:
            remaining = plan["todo"]
        else:
            remaining = [w for w, n in plan["want"].items() if plan["have"].get(w) != n]
        report.append({"measurement": name, "source_values": sum(plan["want"].values()),
                       "target_values": sum(plan["have"].values()), "windows": len(plan["want"]),
                       "windows_copied": len(todo), "windows_remaining": len(remaining), "points_written": written})
    if differences:
        raise OperationFailed("copied %d window(s) of %s.%s into %s, but the counts differ: %s (run again to recopy "
                              "them; points written meanwhile to only one side cause this too)"
                              % (copied_total, params["database"], params["retention_policy"], params["bucket"],
                                 "; ".join(differences)))
    seconds = round(time.monotonic() - started, 3)
    remaining = sum(r["windows_remaining"] for r in report)
    return {
        "changed": copied_total > 0,
        "complete": remaining == 0,
        "points_written": copier.points_written,
        "seconds": seconds,
        "points_per_second": round(copier.points_written / seconds, 1) if seconds else 0.0,
        "windows_copied": copied_total,
        "windows_remaining": remaining,
        "measurements": report,
        "diff": {"before": {r["measurement"]: r["target_values"] for r in report},
                 "after": {r["measurement"]: r["source_values"] for r in report}},
    }


def action(params):
    return "cannot copy %s.%s into %s" % (params["database"], params["retention_policy"], params["bucket"])


def main():
    run_module(influxdb1_argument_spec(
        database=dict(type="str", required=True),
        retention_policy=dict(type="str", default="autogen"),
        bucket=dict(type="str", required=True),
        measurements=dict(type="list", elements="str"),
        start=dict(type="str"),
        stop=dict(type="str"),
        window=dict(type="str", default="1d"),
        chunk_size=dict(type="int", default=10000),
        batch_size=dict(type="int", default=5000),
        max_windows=dict(type="int", default=0),
        influxdb2_url=dict(type="str", fallback=(env_fallback, ["INFLUX_HOST"])),
        influxdb2_token=dict(type="str", no_log=True, fallback=(env_fallback, ["INFLUX_TOKEN"])),
        influxdb2_org=dict(type="str", fallback=(env_fallback, ["INFLUX_ORG"])),
    ), ensure, connect, action=action, natural_keys=("database", "retention_policy", "bucket"))


if __name__ == "__main__":
    main()
