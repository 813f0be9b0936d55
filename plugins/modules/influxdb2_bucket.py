#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible modules put DOCUMENTATION, EXAMPLES and RETURN before the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: influxdb2_bucket
short_description: Manage InfluxDB 2 buckets
description:
  - Create, update and delete a bucket, identified by its name within the organization O(org) (or O(org_id)).
  - Retention and shard-group durations are compared in seconds, so V(30d) and V(720h) are the same.
  - With O(buckets), manages several buckets of the organization in one run, from one listing of its
    buckets; an idempotent run of any number of buckets costs one request (one per 100 buckets the
    organization holds).
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes, tickstack.influx.influxdb2, tickstack.influx.tls]
options:
  name:
    description:
      - Name of the bucket.
      - Names starting with V(_) are reserved for system buckets and names containing V(") break
        queries; the module refuses both before contacting the server.
      - Required unless O(buckets) is set.
    type: str
  buckets:
    description:
      - Several buckets of the organization, each with the options of a single one (O(name),
        O(description), O(retention), O(shard_group_duration), O(state)), handled in order.
      - Every entry is checked before any request; a bucket listed twice is refused.
      - Mutually exclusive with O(name), O(description), O(retention) and O(shard_group_duration).
    type: list
    elements: dict
    suboptions:
      name:
        description: Name of the bucket.
        type: str
        required: true
      description:
        description: Its description; not managed when omitted.
        type: str
      retention:
        description: How long data is kept (as O(retention)); not managed when omitted.
        type: raw
      shard_group_duration:
        description: Time range of each shard group (as O(shard_group_duration)); not managed when omitted.
        type: raw
      state:
        description: V(present) or V(absent).
        type: str
        choices: [present, absent]
        default: present
  description:
    description:
      - Description of the bucket. Not managed when omitted; V("") clears it.
    type: str
  state:
    description:
      - V(present) creates or updates the bucket; V(absent) deletes it and its data.
    type: str
    choices: [present, absent]
    default: present
  retention:
    description:
      - How long data is kept, as a duration such as V(30d), V(12h), V(1w) or V(1d12h), or a number of
        seconds. V(0) or V(infinite) keeps data forever.
      - InfluxDB requires at least V(1h) unless infinite.
      - Not managed when omitted; a new bucket then keeps data forever.
    type: raw
  shard_group_duration:
    description:
      - Time range covered by each shard group, as a duration (at least V(1h)).
      - Not managed when omitted; InfluxDB then picks one from the retention (V(1h) below 2 days,
        V(1d) below 6 months, V(7d) otherwise).
      - When O(retention) shrinks below the current shard-group duration and this option is omitted, the
        module sets InfluxDB's default for the new retention, because the server refuses a retention
        shorter than the shard-group duration.
    type: raw
seealso:
  - module: tickstack.influx.influxdb2_dbrp
  - module: tickstack.influx.influxdb2_token
"""

EXAMPLES = r"""
- name: Keep Telegraf metrics for 30 days
  tickstack.influx.influxdb2_bucket:
    url: http://localhost:8086
    token: "{{ influxdb_operator_token }}"
    org: tickstack
    name: telegraf
    retention: 30d
    description: Host metrics

- name: Set the connection once and keep data forever
  module_defaults:
    group/tickstack.influx.influxdb2:
      url: http://localhost:8086
      token: "{{ influxdb_operator_token }}"
      org: tickstack
  block:
    - name: Create the archive bucket
      tickstack.influx.influxdb2_bucket:
        name: archive
        retention: infinite
        shard_group_duration: 7d

- name: Delete a bucket and its data
  tickstack.influx.influxdb2_bucket:
    name: scratch
    state: absent

- name: Several buckets in one run (one request when none changes)
  tickstack.influx.influxdb2_bucket:
    buckets:
      - {name: telegraf, retention: 30d}
      - {name: rollups, retention: 1y, description: Hourly rollups}
      - {name: scratch, state: absent}
"""

RETURN = r"""
bucket:
  description: The bucket after the run (its predicted state in check mode). Empty when absent.
  returned: unless O(buckets) is set
  type: dict
  sample:
    id: 0a1b2c3d4e5f6071
    name: telegraf
    org_id: 1b2c3d4e5f607182
    type: user
    description: Host metrics
    retention: 30d
    retention_seconds: 2592000
    shard_group_duration: 1d
    shard_group_duration_seconds: 86400
buckets:
  description:
    - With O(buckets), one entry per bucket, in order - C(name), C(changed) and C(bucket) (as RV(bucket)).
  returned: when O(buckets) is set
  type: list
  elements: dict
  sample:
    - name: telegraf
      changed: false
      bucket: {id: 0a1b2c3d4e5f6071, name: telegraf, retention: 30d}
"""

from ansible_collections.tickstack.influx.plugins.module_utils.compare import Differ, state_diff
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import (
    InvalidInput,
    bucket_retention,
    bucket_summary,
    connect,
    default_shard_group_duration,
    format_duration,
    influxdb2_argument_spec,
    parse_duration,
    validate_bucket_name,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import STATE, check_list_entries, list_option_spec, run_entries, run_module

MIN_DURATION = 3600  # meta.MinRetentionPolicyDuration


def desired_durations(params):
    retention = parse_duration(params["retention"], "retention")
    if retention is not None and 0 < retention < MIN_DURATION:
        raise InvalidInput("retention: %s is too short; InfluxDB requires at least 1h (or 0/infinite for no expiry)"
                           % params["retention"])
    shard_group = parse_duration(params["shard_group_duration"], "shard_group_duration")
    if shard_group is not None and shard_group < MIN_DURATION:
        raise InvalidInput("shard_group_duration: %s is too short; InfluxDB requires at least 1h"
                           % params["shard_group_duration"])
    if retention and shard_group and shard_group > retention:
        raise InvalidInput("shard_group_duration: %s is longer than the retention %s; InfluxDB refuses that"
                           % (format_duration(shard_group), format_duration(retention)))
    return retention, shard_group


ENTRY_KEYS = ("name", "description", "retention", "shard_group_duration", "state")


def ensure(module, client):
    params = module.params
    if params.get("buckets") is not None:
        return ensure_all(module, client)
    name = params["name"]
    validate_bucket_name(name)
    durations = desired_durations(params)
    # Resolved only if its ID is needed: the lists take it by name and teach its ID.
    org = client.org_ref(params["org"], params["org_id"])
    return ensure_bucket(module, client, org, params, durations, client.find_bucket(org, name))


def ensure_all(module, client):
    """Every entry of O(buckets), from one listing of the organization's buckets (paginated)."""
    entries = [dict((key, entry.get(key)) for key in ENTRY_KEYS) for entry in module.params["buckets"]]
    durations = []
    # Every entry is checked before any request.
    for index, entry in enumerate(entries):
        try:
            validate_bucket_name(entry["name"])
            durations.append(desired_durations(entry))
        except InvalidInput as e:
            raise InvalidInput("buckets[%d]: %s" % (index, e)) from e
    check_list_entries("buckets", entries, ("name",), "bucket")
    org = client.org_ref(module.params["org"], module.params["org_id"]) if entries else None
    listed = dict((b.get("name"), b) for b in client.list_buckets(org)) if entries else {}

    def run_one(index, entry):
        return ensure_bucket(module, client, org, entry, durations[index], listed.get(entry["name"]))

    return run_entries("buckets", entries, ("name",), run_one, "bucket", "bucket")


def ensure_bucket(module, client, org, params, durations, current):
    """One bucket (``params``: the entry's options; ``current``: the server's bucket of that name, or None)."""
    name = params["name"]
    retention, shard_group = durations

    if params["state"] == "absent":
        if current is None:
            return {"changed": False, "bucket": {}}
        if not module.check_mode:
            client.delete_bucket(current["id"])
        before = bucket_summary(current)
        return {"changed": True, "bucket": {},
                "diff": state_diff({k: before[k] for k in ("name", "description", "retention")}, {})}

    if current is None:
        planned = {"name": name, "description": params["description"] or "",
                   "retention": format_duration(retention or 0)}
        if shard_group is not None:
            planned["shard_group_duration"] = format_duration(shard_group)
        if module.check_mode:
            bucket = dict(planned, org_id=org["id"], retention_seconds=retention or 0,
                          shard_group_duration_seconds=shard_group or default_shard_group_duration(retention or 0))
        else:
            bucket = bucket_summary(client.create_bucket(org["id"], name, params["description"], retention or 0,
                                                         shard_group))
        return {"changed": True, "bucket": bucket, "diff": state_diff({}, planned)}

    current_retention, current_shard_group = bucket_retention(current)
    if retention is not None and shard_group is None and retention and current_shard_group \
            and current_shard_group > retention:
        shard_group = default_shard_group_duration(retention)

    differ = Differ()
    differ.compare("description", current.get("description") or "", params["description"])
    differ.compare("retention", format_duration(current_retention), format_duration(retention))
    differ.compare("shard_group_duration", format_duration(current_shard_group),
                   format_duration(shard_group) if shard_group is not None else None)

    bucket = bucket_summary(current)
    if differ.changed:
        changes = {}
        if "description" in differ.after:
            changes["description"] = params["description"]
        rule = {}
        if "retention" in differ.after:
            rule["everySeconds"] = retention
        if "shard_group_duration" in differ.after:
            rule["shardGroupDurationSeconds"] = shard_group
        if rule:
            rule["type"] = "expire"
            changes["retentionRules"] = [rule]
        if module.check_mode:
            bucket.update(dict((k, v) for k, v in differ.after.items()))
            if "retention" in differ.after:
                bucket["retention_seconds"] = retention
            if "shard_group_duration" in differ.after:
                bucket["shard_group_duration_seconds"] = shard_group
        else:
            bucket = bucket_summary(client.update_bucket(current["id"], changes))
    return {"changed": differ.changed, "bucket": bucket, "diff": differ.diff()}


def main():
    entry = dict(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        retention=dict(type="raw"),
        shard_group_duration=dict(type="raw"),
        state=STATE,
    )
    # A single bucket (its name not required: buckets may be given instead), or several (buckets).
    spec = influxdb2_argument_spec(**list_option_spec("buckets", entry, "name"))
    exclusive = [("buckets", key) for key in ("name", "description", "retention", "shard_group_duration")]
    run_module(spec, ensure, connect,
               action=lambda p: "cannot manage bucket %r" % p["name"] if p.get("name") else "cannot manage the buckets",
               natural_keys=("name",), mutually_exclusive=exclusive, required_one_of=[("name", "buckets")])


if __name__ == "__main__":
    main()
