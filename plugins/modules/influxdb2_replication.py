#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible modules put DOCUMENTATION, EXAMPLES and RETURN before the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: influxdb2_replication
short_description: Manage InfluxDB 2 replications (stream a local bucket's writes to a remote bucket)
description:
  - Create, update and delete a replication (C(/api/v2/replications)) of the organization O(org) (or O(org_id)),
    identified by its O(name). Every point written to O(local_bucket) from then on is queued on disk and sent to
    O(remote_bucket) through the remote connection O(remote) (see M(tickstack.influx.influxdb2_remote)); points
    written before the replication existed are not sent.
  - When the remote is down the queue grows (up to O(max_queue_size)) and drains when it is back. RV(replication)
    holds the queue's status as InfluxDB reports it.
  - InfluxDB retries a failed send after 0.5 s, 1 s, 2 s, ... (doubling), and after 10 failed attempts (about
    8.5 minutes) every 15 minutes, so after a long outage the queue may start draining up to 15 minutes after the
    remote is back (InfluxDB's C(replications/remotewrite/writer.go)).
  - InfluxDB cannot move a replication to another local bucket. When O(local_bucket) differs, the module deletes the
    replication and creates it again; what was still queued is lost, and RV(replaced) says so.
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes, tickstack.influx.influxdb2, tickstack.influx.tls]
options:
  name:
    description:
      - Name of the replication, unique in the organization.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the replication; V(absent) deletes it and its queue.
    type: str
    choices: [present, absent]
    default: present
  remote:
    description:
      - The remote connection, by name, or by ID when none has that name. Required with O(state=present).
    type: str
  local_bucket:
    description:
      - The local bucket whose writes are replicated, by name, or by ID when no bucket has that name.
        Required with O(state=present).
    type: str
  remote_bucket:
    description:
      - Name of the bucket on the remote InfluxDB (InfluxDB 2.7 and 2.9 take the name; the remote resolves it at
        each write, so the module does not need to reach the remote).
      - One of O(remote_bucket) and O(remote_bucket_id) is required with O(state=present).
    type: str
  remote_bucket_id:
    description:
      - ID of the bucket on the remote InfluxDB, instead of O(remote_bucket).
    type: str
  max_queue_size:
    description:
      - Most bytes the local queue may hold on disk while the remote cannot take the writes; at least V(33554430)
        (32 MiB). Writes beyond it are not queued.
      - Not managed when omitted; a new replication gets InfluxDB's default, V(67108860) (64 MiB).
    type: int
  max_age:
    description:
      - How long a point may wait in the queue before it is dropped, as a duration (V(1h), V(7d)) or seconds.
        V(0) leaves it to InfluxDB (2.9 documents 0 as its default; 2.7 as no limit).
      - Otherwise between V(1m) and V(60d) (InfluxDB 2.9 refuses anything else; the module checks it for every
        version before any call).
      - Not managed when omitted.
    type: raw
  drop_non_retryable_data:
    description:
      - Drop a batch the remote refuses for good (for example HTTP 400 or 404) instead of retrying it forever and
        holding up the queue behind it.
      - Not managed when omitted; a new replication then keeps retrying.
    type: bool
  description:
    description:
      - Free text. Not managed when omitted.
    type: str
  validate:
    description:
      - After the run, ask InfluxDB to try the replication's remote connection and remote bucket
        (C(POST /api/v2/replications/<id>/validate)); the module fails with InfluxDB's reason when it cannot work.
      - Not done in check mode for a replication that does not exist yet.
    type: bool
    default: false
seealso:
  - module: tickstack.influx.influxdb2_remote
  - module: tickstack.influx.influxdb2_bucket
"""

EXAMPLES = r"""
- name: Stream the edge's telegraf bucket to the central one
  tickstack.influx.influxdb2_replication:
    url: http://127.0.0.1:8086
    token: "{{ influxdb_operator_token }}"
    org: edge
    name: telegraf-to-central
    remote: central
    local_bucket: telegraf
    remote_bucket: edge-telegraf
    max_queue_size: 268435456
    max_age: 7d
    drop_non_retryable_data: true
    validate: true
  register: replication

- name: Show how much is still queued
  ansible.builtin.debug:
    msg: "{{ replication.replication.remaining_bytes_to_be_synced }} bytes to send"

- name: Stop replicating
  tickstack.influx.influxdb2_replication:
    name: telegraf-to-central
    state: absent
"""

RETURN = r"""
replication:
  description:
    - The replication after the run (predicted in check mode), with the queue's status as InfluxDB reports it.
      Empty when absent.
    - C(current_queue_size_bytes) is the queue's size on disk (a few bytes even when empty);
      C(remaining_bytes_to_be_synced) what is still to send (null on versions that do not report it);
      C(latest_response_code) and C(latest_error_message) the remote's latest answer (null before the first write).
  returned: always
  type: dict
  sample:
    id: 0a1b2c3d4e5f6071
    name: telegraf-to-central
    org_id: 1b2c3d4e5f607182
    description: ""
    remote_id: 2c3d4e5f60718293
    remote: central
    local_bucket_id: 3d4e5f6071829304
    local_bucket: telegraf
    remote_bucket_id: null
    remote_bucket_name: edge-telegraf
    max_queue_size_bytes: 67108860
    max_age_seconds: 604800
    drop_non_retryable_data: true
    current_queue_size_bytes: 53
    remaining_bytes_to_be_synced: 0
    latest_response_code: 204
    latest_error_message: null
replaced:
  description: Whether the replication was deleted and created again because its local bucket differed.
  returned: always
  type: bool
"""

from ansible_collections.tickstack.influx.plugins.module_utils.compare import Differ, state_diff
from ansible_collections.tickstack.influx.plugins.module_utils.errors import OperationFailed
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import ApiError, NotFound
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import (
    InvalidInput,
    connect,
    format_duration,
    influxdb2_argument_spec,
    is_id,
    parse_duration,
    replication_summary,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import STATE, run_module

# InfluxDB's own bounds (replication.go): MinReplicationMaxQueueSizeBytes, and the maxAgeSeconds range of 2.9.
MIN_QUEUE_SIZE = 33554430
MIN_MAX_AGE = 60
MAX_MAX_AGE = 5184000

# Module option -> API field, for the settings patched in place.
FIELDS = (("remote_id", "remoteID"), ("remote_bucket_name", "remoteBucketName"), ("remote_bucket_id", "remoteBucketID"),
          ("max_queue_size_bytes", "maxQueueSizeBytes"), ("max_age_seconds", "maxAgeSeconds"),
          ("drop_non_retryable_data", "dropNonRetryableData"), ("description", "description"))


def check_input(params):
    """Bad input fails here, before any request; returns max_age in seconds (None when not managed)."""
    if params["remote_bucket_id"] is not None and not is_id(params["remote_bucket_id"]):
        raise InvalidInput("remote_bucket_id: %r is not an InfluxDB ID (16 hexadecimal digits); give the bucket's "
                           "name as remote_bucket instead" % (params["remote_bucket_id"],))
    size = params["max_queue_size"]
    if size is not None and size < MIN_QUEUE_SIZE:
        raise InvalidInput("max_queue_size: %d bytes is too small; InfluxDB requires at least %d (32 MiB)"
                           % (size, MIN_QUEUE_SIZE))
    max_age = parse_duration(params["max_age"], "max_age")
    if max_age and not MIN_MAX_AGE <= max_age <= MAX_MAX_AGE:
        raise InvalidInput("max_age: %s is out of range; give 0 (InfluxDB's default) or 1m to 60d (InfluxDB 2.9 "
                           "refuses anything else)" % format_duration(max_age))
    if params["state"] == "present":
        missing = [key for key in ("remote", "local_bucket") if not params[key]]
        if missing:
            raise InvalidInput("%s: required with state=present" % ", ".join(missing))
        if not params["remote_bucket"] and not params["remote_bucket_id"]:
            raise InvalidInput("remote_bucket, remote_bucket_id: give one of them with state=present (the bucket on "
                               "the remote InfluxDB the writes go to)")
    return max_age


def desired(params, remote, bucket, max_age):
    """The managed settings as the summary names them; None means not managed."""
    wanted = {"remote_id": remote["id"], "local_bucket_id": bucket["id"],
              "max_queue_size_bytes": params["max_queue_size"], "max_age_seconds": max_age,
              "drop_non_retryable_data": params["drop_non_retryable_data"], "description": params["description"]}
    if params["remote_bucket"]:
        wanted.update(remote_bucket_name=params["remote_bucket"], remote_bucket_id=None)
    else:
        # InfluxDB writes to the remote bucket by name whenever one is set, so a name must go.
        wanted.update(remote_bucket_id=params["remote_bucket_id"], remote_bucket_name="")
    return wanted


def creation_body(org_id, name, wanted):
    body = {"orgID": org_id, "name": name, "remoteID": wanted["remote_id"], "localBucketID": wanted["local_bucket_id"]}
    if wanted["remote_bucket_id"]:
        body["remoteBucketID"] = wanted["remote_bucket_id"]
    else:
        body["remoteBucketName"] = wanted["remote_bucket_name"]
    for option, field in FIELDS[3:]:
        if wanted[option] is not None:
            body[field] = wanted[option]
    return body


def named(summary, client, remote, bucket):
    """The summary with the remote's and the local bucket's names beside their IDs (``remote`` and ``bucket``
    are the resolved ones, whose ID is None when check mode predicts them)."""
    def name(object_id, resolved):
        if object_id == resolved["id"]:
            return resolved["name"]
        return client.names.get(object_id)
    return dict(summary, remote=name(summary.get("remote_id"), remote),
                local_bucket=name(summary.get("local_bucket_id"), bucket))


def planned_summary(org_id, name, wanted):
    return {"id": None, "name": name, "org_id": org_id, "description": wanted["description"] or "",
            "remote_id": wanted["remote_id"], "local_bucket_id": wanted["local_bucket_id"],
            "remote_bucket_id": wanted["remote_bucket_id"], "remote_bucket_name": wanted["remote_bucket_name"] or None,
            "max_queue_size_bytes": wanted["max_queue_size_bytes"], "max_age_seconds": wanted["max_age_seconds"],
            "drop_non_retryable_data": bool(wanted["drop_non_retryable_data"]), "current_queue_size_bytes": None,
            "remaining_bytes_to_be_synced": None, "latest_response_code": None, "latest_error_message": None}


def resolve(module, client, org_id):
    """The remote connection and the local bucket.

    In check mode a missing one is taken as made by an earlier task of the same run (which check mode skipped,
    as the stack role's bucket and remote tasks are): the module warns and predicts the creation. Otherwise a
    missing one fails, naming the option.
    """
    found = []
    for option, lookup, kind in (("remote", client.resolve_remote, "remote connection"),
                                 ("local_bucket", client.resolve_bucket, "bucket")):
        try:
            found.append(lookup(org_id, module.params[option], option))
        except NotFound:
            if not module.check_mode:
                raise
            module.warn("%s: %s %r does not exist; check mode predicts the replication as if an earlier task had "
                        "made it" % (option, kind, module.params[option]))
            found.append({"id": None, "name": module.params[option]})
    return found


def ensure(module, client):
    params = module.params
    max_age = check_input(params)
    org = client.resolve_org(params["org"], params["org_id"])
    current = client.find_replication(org["id"], params["name"])
    result = {"changed": False, "replaced": False, "replication": {}}

    if params["state"] == "absent":
        if current is None:
            return result
        if not module.check_mode:
            client.delete_replication(current["id"])
        before = replication_summary(current)
        result.update(changed=True, diff=state_diff({k: before[k] for k in ("name", "remote_id", "local_bucket_id")},
                                                    {}))
        return result

    remote, bucket = resolve(module, client, org["id"])
    wanted = desired(params, remote, bucket, max_age)

    if current is not None and current.get("localBucketID") != bucket["id"]:
        # The API cannot change the local bucket: delete and create again (the queue goes with it).
        before = replication_summary(current)
        result.update(replaced=True, diff=state_diff(
            {"local_bucket_id": before["local_bucket_id"]}, {"local_bucket_id": bucket["id"], "local_bucket": bucket["name"]}))
        if not module.check_mode:
            client.delete_replication(current["id"])
        current = None

    if current is None:
        planned = planned_summary(org["id"], params["name"], wanted)
        result["changed"] = True
        if not result["replaced"]:
            result["diff"] = state_diff({}, dict((k, v) for k, v in named(planned, client, remote, bucket).items()
                                                 if v is not None and not k.startswith(("current_", "remaining_", "latest_"))))
        if module.check_mode:
            result["replication"] = named(planned, client, remote, bucket)
            return result
        try:
            made = client.create_replication(creation_body(org["id"], params["name"], wanted))
        except ApiError as e:
            if not result["replaced"]:
                raise
            raise OperationFailed("cannot create replication %r again on local bucket %r after deleting the one on "
                                  "bucket %s (its queue is gone): %s; the next run creates it"
                                  % (params["name"], bucket["name"], result["diff"]["before"]["local_bucket_id"], e),
                                  e) from e
        result["replication"] = named(replication_summary(made), client, remote, bucket)
        if params["validate"]:
            client.validate_replication(made["id"])
        return result

    summary = replication_summary(current)
    differ = Differ()
    for option, _field in FIELDS:
        have = summary[option]
        if option == "remote_bucket_name":
            have = have or ""
        differ.compare(option, have, wanted[option])
    changes = dict((field, wanted[option]) for option, field in FIELDS if option in differ.after)
    if changes:
        if module.check_mode:
            summary.update((k, v) for k, v in differ.after.items())
        else:
            summary = replication_summary(client.update_replication(current["id"], changes))
    if params["validate"]:
        client.validate_replication(current["id"])
    result.update(changed=differ.changed, replication=named(summary, client, remote, bucket), diff=differ.diff())
    return result


def main():
    run_module(influxdb2_argument_spec(
        name=dict(type="str", required=True),
        remote=dict(type="str"),
        local_bucket=dict(type="str"),
        remote_bucket=dict(type="str"),
        remote_bucket_id=dict(type="str"),
        max_queue_size=dict(type="int"),
        max_age=dict(type="raw"),
        drop_non_retryable_data=dict(type="bool"),
        description=dict(type="str"),
        validate=dict(type="bool", default=False),
        state=STATE,
    ), ensure, connect, action=lambda p: "cannot manage replication %r" % p["name"],
        natural_keys=("name", "remote", "local_bucket", "remote_bucket", "remote_bucket_id"),
        mutually_exclusive=[("remote_bucket", "remote_bucket_id")])


if __name__ == "__main__":
    main()
