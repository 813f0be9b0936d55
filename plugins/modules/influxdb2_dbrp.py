#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible modules put DOCUMENTATION, EXAMPLES and RETURN before the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: influxdb2_dbrp
short_description: Manage InfluxDB 2 DBRP mappings (1.x database/retention policy to bucket)
description:
  - Map a 1.x database and retention policy to a bucket, so InfluxQL queries and 1.x writes
    (C(/query?db=...&rp=...), C(/write?db=...&rp=...), Kapacitor, Grafana's InfluxQL data source) reach it.
  - The mapping is identified by O(database) and O(retention_policy) within the organization O(org) (or O(org_id)).
  - B(Virtual mappings.) InfluxDB 2 already answers for every bucket without a stored mapping. Bucket V(foo) reads as
    database V(foo) with retention policy V(autogen), and bucket V(foo/bar) as database V(foo), retention policy
    V(bar). It lists them with C(virtual=true). When such a virtual mapping already points at O(bucket), it
    counts as present and nothing is stored, unless O(virtual_ok=false) or O(default) is set.
  - Changing the bucket of a stored mapping replaces it (InfluxDB cannot change it in place).
  - B(Default retention policy.) A database has at most one default mapping, used when a 1.x request gives no
    C(rp). InfluxDB makes the first stored mapping of a database its default; O(default=true) moves the default
    to this mapping; O(default=false) moves it to another stored mapping of the database, and is not possible
    when there is no other one (the module then warns and leaves it).
  - With O(mappings), manages several mappings of the organization in one run, from one listing of its
    mappings and one of its buckets; an idempotent run of any number of mappings costs two requests.
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes, tickstack.influx.influxdb2, tickstack.influx.tls]
options:
  database:
    description:
      - The 1.x database name (letters, digits, V(_), V(-) and V(.)).
      - Required unless O(mappings) is set.
    type: str
    aliases: [db]
  mappings:
    description:
      - Several mappings of the organization, each with the options of a single one (O(database),
        O(retention_policy), O(bucket), O(default), O(virtual_ok), O(state)), handled in order.
      - Every entry is checked before any request; a database and retention policy listed twice is refused.
      - Mutually exclusive with O(database), O(retention_policy), O(bucket), O(default) and O(virtual_ok).
    type: list
    elements: dict
    suboptions:
      database:
        description: The 1.x database name.
        type: str
        required: true
        aliases: [db]
      retention_policy:
        description: The 1.x retention policy name.
        type: str
        default: autogen
        aliases: [rp]
      bucket:
        description: The bucket it points at, by name or ID; required with V(state=present).
        type: str
      default:
        description: Whether this is the database's default retention policy; not managed when omitted.
        type: bool
      virtual_ok:
        description: Whether a matching virtual mapping satisfies V(state=present) (as O(virtual_ok)).
        type: bool
        default: true
      state:
        description: V(present) or V(absent).
        type: str
        choices: [present, absent]
        default: present
  retention_policy:
    description:
      - The 1.x retention policy name.
    type: str
    default: autogen
    aliases: [rp]
  bucket:
    description:
      - The bucket the mapping points at, by name, or by ID when no bucket has that name. Required with
        O(state=present) (unless O(mappings) is set).
    type: str
  default:
    description:
      - Whether this is the database's default retention policy. Not managed when omitted.
      - Setting it stores a mapping even when a matching virtual one exists.
    type: bool
  state:
    description:
      - V(present) makes sure the mapping exists; V(absent) deletes a stored mapping.
      - Virtual mappings cannot be deleted; they exist as long as their bucket does. RV(virtual_remains) says
        when one still answers for the database and retention policy.
    type: str
    choices: [present, absent]
    default: present
  virtual_ok:
    description:
      - Whether a matching virtual mapping satisfies O(state=present). Set V(false) to always store a mapping
        (for example so it survives renaming the bucket).
    type: bool
    default: true
seealso:
  - module: tickstack.influx.influxdb2_bucket
  - module: tickstack.influx.influxdb2_v1_auth
"""

EXAMPLES = r"""
- name: Kapacitor's InfluxDBOut writes to db kapacitor, rp autogen; store that mapping
  tickstack.influx.influxdb2_dbrp:
    url: http://localhost:8086
    token: "{{ influxdb_operator_token }}"
    org: tickstack
    database: kapacitor
    retention_policy: autogen
    bucket: kapacitor-alerts
    default: true

- name: 1.x clients query db telegraf rp one_year from the bucket telegraf-long
  tickstack.influx.influxdb2_dbrp:
    database: telegraf
    rp: one_year
    bucket: telegraf-long

- name: Remove a stored mapping
  tickstack.influx.influxdb2_dbrp:
    database: telegraf
    rp: one_year
    state: absent

- name: Several mappings in one run (two requests when none changes)
  tickstack.influx.influxdb2_dbrp:
    mappings:
      - {database: telegraf, rp: autogen, bucket: telegraf, default: true, virtual_ok: false}
      - {database: telegraf, rp: one_year, bucket: telegraf-long}
"""

RETURN = r"""
dbrp:
  description:
    - The mapping after the run (predicted in check mode); the virtual one when that satisfies the task.
      Empty when no mapping remains.
  returned: unless O(mappings) is set
  type: dict
  sample:
    id: 0a1b2c3d4e5f6071
    database: kapacitor
    retention_policy: autogen
    default: true
    virtual: false
    bucket_id: 1b2c3d4e5f607182
    org_id: 2c3d4e5f60718293
replaced:
  description: Whether a stored mapping pointing at another bucket was deleted and created again.
  returned: unless O(mappings) is set
  type: bool
virtual_remains:
  description: With O(state=absent), whether a virtual mapping still answers for the database and retention policy.
  returned: when O(state=absent)
  type: bool
mappings:
  description:
    - With O(mappings), one entry per mapping, in order - C(database), C(retention_policy), C(changed) and
      C(dbrp) (as RV(dbrp)).
  returned: when O(mappings) is set
  type: list
  elements: dict
  sample:
    - database: telegraf
      retention_policy: autogen
      changed: false
      dbrp: {id: 0a1b2c3d4e5f6071, database: telegraf, retention_policy: autogen, default: true, virtual: false}
"""

from ansible_collections.tickstack.influx.plugins.module_utils.compare import Differ, state_diff
from ansible_collections.tickstack.influx.plugins.module_utils.errors import OperationFailed
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import ApiError
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import (
    InvalidInput,
    connect,
    dbrp_summary,
    influxdb2_argument_spec,
    virtual_bucket_names,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import STATE, check_list_entries, list_option_spec, run_entries, run_module


ENTRY_KEYS = ("database", "retention_policy", "bucket", "default", "virtual_ok", "state")


def ensure(module, client):
    params = module.params
    if params.get("mappings") is not None:
        return ensure_all(module, client)
    # Resolved only if its ID is needed: the lists take it by name and teach its ID.
    org = client.org_ref(params["org"], params["org_id"])
    mappings = client.list_dbrps(org, database=params["database"])
    bucket = None
    if params["state"] == "present":
        if not params["bucket"]:
            raise InvalidInput("bucket: required with state=present (the bucket name or ID the mapping points at)")
        bucket = client.resolve_bucket(org["id"], params["bucket"])
    return ensure_mapping(module, client, org, params, mappings, bucket)


def check_entries(entries):
    """Refuse a bad entry of O(mappings) before any request."""
    check_list_entries("mappings", entries, ("database", "retention_policy"), "mapping", empty=("bucket",))
    for index, entry in enumerate(entries):
        if entry["state"] == "present" and not entry["bucket"]:
            raise InvalidInput("mappings[%d] (%s/%s): bucket: required with state=present (the bucket name or ID the "
                               "mapping points at)" % (index, entry["database"], entry["retention_policy"]))


def ensure_all(module, client):
    """Every entry of O(mappings), from one listing of the organization's mappings and one of its buckets."""
    entries = [dict((key, entry.get(key)) for key in ENTRY_KEYS) for entry in module.params["mappings"]]
    check_entries(entries)
    if not entries:
        return {"changed": False, "mappings": [], "diff": []}
    org = client.org_ref(module.params["org"], module.params["org_id"])
    by_database = {}
    for found in client.list_dbrps(org):
        by_database.setdefault(found.get("database"), []).append(found)
    wanted = [(index, entry) for index, entry in enumerate(entries) if entry["state"] == "present"]
    resolved = client.resolve_buckets(org, [(entry["bucket"], "mappings[%d].bucket" % index) for index, entry in wanted])
    buckets = dict((index, bucket) for (index, _entry), bucket in zip(wanted, resolved))

    def run_one(index, entry):
        database = entry["database"]
        result = ensure_mapping(module, client, org, entry, by_database.get(database, []), buckets.get(index))
        # A change can move the database's default: the next entries of that database see it as it is now.
        # (In check mode they compare with the listing: their predicted default may not show this one's.)
        if result["changed"] and not module.check_mode:
            by_database[database] = client.list_dbrps(org, database=database)
        return result

    return run_entries("mappings", entries, ("database", "retention_policy"), run_one, "dbrp", "DBRP mapping")


def ensure_mapping(module, client, org, params, mappings, bucket):
    """One mapping: ``mappings`` are the organization's (stored and virtual) of its database, ``bucket``
    the bucket it points at (``None`` with ``state=absent``)."""
    database, rp = params["database"], params["retention_policy"]
    same_db_stored = [m for m in mappings if not m.get("virtual")]
    stored = next((m for m in same_db_stored if m.get("retention_policy") == rp), None)
    virtual = next((m for m in mappings if m.get("virtual") and m.get("retention_policy") == rp), None)
    others = [m for m in same_db_stored if m is not stored]
    result = {"changed": False, "replaced": False, "dbrp": {}}

    if params["state"] == "absent":
        result["virtual_remains"] = virtual is not None
        if stored is None:
            if virtual is not None:
                result["dbrp"] = dbrp_summary(virtual)
            return result
        if not module.check_mode:
            client.delete_dbrp(org["id"], stored["id"])
        result.update(changed=True, diff=state_diff(key_fields(stored), {}))
        # Deleting the stored mapping uncovers the virtual one of a bucket named after this db/rp, if any.
        result["virtual_remains"] = any(client.find_bucket(org["id"], name) for name in virtual_bucket_names(database, rp))
        return result

    wanted_default = params["default"]

    if stored is None:
        if virtual is not None and virtual.get("bucketID") == bucket["id"] and params["virtual_ok"] \
                and wanted_default is None:
            result["dbrp"] = dbrp_summary(virtual)
            return result
        # InfluxDB makes the first stored mapping of a database its default whatever was asked.
        becomes_default = bool(wanted_default) or not any(m.get("default") for m in others)
        if wanted_default is False and becomes_default:
            module.warn("database %r has no other stored mapping, so InfluxDB makes this one its default" % database)
        planned = {"database": database, "retention_policy": rp, "bucket_id": bucket["id"],
                   "default": becomes_default, "virtual": False, "org_id": org["id"]}
        result.update(changed=True, dbrp=planned, diff=state_diff({}, dict(planned, bucket=bucket["name"])))
        if not module.check_mode:
            result["dbrp"] = dbrp_summary(client.create_dbrp(org["id"], database, rp, bucket["id"], becomes_default))
        return result

    differ = Differ()
    current = dbrp_summary(stored)
    if current["bucket_id"] != bucket["id"]:
        # The API cannot move a mapping to another bucket: delete it and create it again.
        keep_default = current["default"] if wanted_default is None else wanted_default
        differ.compare("bucket_id", current["bucket_id"], bucket["id"])
        differ.compare("default", current["default"], wanted_default)
        result.update(changed=True, replaced=True, diff=differ.diff(),
                      dbrp=dict(current, bucket_id=bucket["id"], default=bool(keep_default) or not others, id=None))
        if not module.check_mode:
            result["dbrp"] = dbrp_summary(move(client, org["id"], stored, bucket, keep_default))
        return result

    if wanted_default is False and current["default"] and not others:
        module.warn("mapping %s/%s stays the default of database %r: InfluxDB moves the default only to another "
                    "stored mapping of the database, and there is none" % (database, rp, database))
        wanted_default = None
    differ.compare("default", current["default"], wanted_default)
    if differ.changed:
        if module.check_mode:
            current["default"] = wanted_default
        else:
            current = dbrp_summary(client.update_dbrp(org["id"], stored["id"], {"default": wanted_default}))
    result.update(changed=differ.changed, dbrp=current, diff=differ.diff())
    return result


def move(client, org_id, stored, bucket, default):
    """Delete ``stored`` and create it on ``bucket``; if the create fails, put the old mapping back."""
    database, rp = stored.get("database"), stored.get("retention_policy")
    client.delete_dbrp(org_id, stored["id"])
    try:
        return client.create_dbrp(org_id, database, rp, bucket["id"], default)
    except ApiError as e:
        try:
            client.create_dbrp(org_id, database, rp, stored.get("bucketID"), bool(stored.get("default")))
            undone = "the mapping was put back on bucket %s" % stored.get("bucketID")
        except ApiError as cleanup:
            undone = "putting the old mapping back failed too (%s): %s/%s has no stored mapping until the next run" % (
                cleanup, database, rp)
        raise OperationFailed("cannot move DBRP mapping %s/%s to bucket %r: %s; %s"
                              % (database, rp, bucket.get("name"), e, undone), e) from e


def key_fields(mapping):
    return {"database": mapping.get("database"), "retention_policy": mapping.get("retention_policy"),
            "bucket_id": mapping.get("bucketID"), "default": bool(mapping.get("default"))}


def main():
    entry = dict(
        database=dict(type="str", required=True, aliases=["db"]),
        retention_policy=dict(type="str", default="autogen", aliases=["rp"]),
        bucket=dict(type="str"),
        default=dict(type="bool"),
        virtual_ok=dict(type="bool", default=True),
        state=STATE,
    )
    # A single mapping (its database not required: mappings may be given instead), or several (mappings).
    spec = influxdb2_argument_spec(**list_option_spec("mappings", entry, "database"))
    # retention_policy and virtual_ok have defaults: they cannot be told apart from omitted, so they are
    # not refused beside mappings (and unused then).
    exclusive = [("mappings", key) for key in ("database", "bucket", "default")]
    run_module(spec, ensure, connect,
               action=lambda p: ("cannot manage DBRP mapping %s/%s" % (p["database"], p["retention_policy"])
                                 if p.get("database") else "cannot manage the DBRP mappings"),
               natural_keys=("database", "retention_policy", "bucket"), mutually_exclusive=exclusive,
               required_one_of=[("database", "mappings")],
               required_if=[("state", "present", ("bucket", "mappings"), True)])


if __name__ == "__main__":
    main()
