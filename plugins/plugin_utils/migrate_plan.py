# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The migration's plan: from what ``influxdb1_info`` read on a 1.x server to what InfluxDB 2 needs.

Pure Python on the controller, unit-tested in tests/unit/test_migrate_plan.py. The rules:

- **Buckets.** Every database/retention policy (DBRP) becomes a bucket with the same retention
  and shard-group duration, named as the stack role names them: the database for ``autogen``,
  ``<database>/<retention_policy>`` otherwise (InfluxDB's own naming, so virtual DBRPs agree).
- **DBRP mappings.** One per DBRP, to its bucket; the 1.x default retention policy stays the
  default (InfluxQL without an RP, as Kapacitor's and Grafana's queries are, keeps working).
- **Users.** Every 1.x user with a privilege becomes a v1 authorization of the same name, with
  read and/or write on the buckets of the databases it had them on (all of a database's buckets:
  1.x grants are per database). Admins get read and write on every migrated bucket, and a note
  that user management does not carry over. Users with no privilege are skipped, with a note.
  1.x keeps only password hashes: the passwords come from the caller, never from the plan.
- **Continuous queries** are not migrated silently: each is reported with what it reads, writes
  and how often, and what to do (a Kapacitor batch task or a Flux task).
- **Subscriptions** (Kapacitor's) are listed to drop once Kapacitor reads InfluxDB 2.
- **Overrides.** An explicit model (``databases`` entries as the stack role takes them:
  ``database``, ``retention_policy``, ``bucket``, ``retention``, or ``skip: true``) renames a
  bucket, changes its retention or leaves a DBRP out; ``skip_databases`` and ``skip_users`` leave
  whole databases and users out. A model entry naming a DBRP the server does not have is an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import (
    format_duration,
    parse_duration,
    validate_bucket_name,
)
from ansible_collections.tickstack.influx.plugins.module_utils.tickscript import script_dbrps
from ansible_collections.tickstack.influx.plugins.plugin_utils.stack_plan import build_plan as stack_build_plan

AUTOGEN = "autogen"
V1_AUTH_DESCRIPTION = "tickstack:migrate:%s"
_CQ_RE = re.compile(
    r"CREATE\s+CONTINUOUS\s+QUERY\s+(?P<name>\"(?:[^\"\\]|\\.)*\"|\S+)\s+ON\s+(?P<db>\"(?:[^\"\\]|\\.)*\"|\S+)"
    r"(?:\s+RESAMPLE(?P<resample>.*?))?\s+BEGIN\s+(?P<select>.*)\s+END\s*$", re.I | re.S)
_INTO_RE = re.compile(r"\bINTO\s+(?P<into>.+?)\s+FROM\s+(?P<from>.+?)(?:\s+WHERE\b|\s+GROUP\s+BY\b|$)", re.I | re.S)
_GROUP_TIME_RE = re.compile(r"GROUP\s+BY\s+time\(\s*(?P<every>[^,)\s]+)", re.I)
_EVERY_RE = re.compile(r"\bEVERY\s+(?P<every>\S+)", re.I)
_FOR_RE = re.compile(r"\bFOR\s+(?P<for>\S+)", re.I)


def bucket_name(database: str, retention_policy: str) -> str:
    """The bucket of a DBRP, named as the stack role and InfluxDB's virtual DBRPs name it."""
    return database if retention_policy == AUTOGEN else "%s/%s" % (database, retention_policy)


def _key(database: Any, retention_policy: Any) -> str:
    return "%s/%s" % (database, retention_policy)


def _overrides(model: Mapping[str, Any] | None, errors: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for index, entry in enumerate((model or {}).get("databases") or []):
        where = "model.databases[%d]" % index
        if not isinstance(entry, Mapping) or not entry.get("database"):
            errors.append("%s: needs a database" % where)
            continue
        key = _key(entry["database"], entry.get("retention_policy") or AUTOGEN)
        if key in found:
            errors.append("%s: %s is listed twice" % (where, key))
        found[key] = dict(entry, where=where)
    return found


def _bucket(rp: Mapping[str, Any], override: Mapping[str, Any], errors: list[str]) -> dict[str, Any] | None:
    database, name = rp["database"], rp["name"]
    where = override.get("where") or "%s/%s" % (database, name)
    bucket = str(override.get("bucket") or bucket_name(database, name))
    try:
        validate_bucket_name(bucket, option=where)
        retention = rp["duration_seconds"] if override.get("retention") is None else \
            parse_duration(override["retention"], option="%s.retention" % where)
    except InvalidInput as e:
        errors.append(str(e))
        return None
    shard = rp.get("shard_group_duration_seconds") or None
    if retention and shard and shard > retention:
        shard = None  # InfluxDB 2 refuses a shard group longer than the retention; let it choose
    return {"name": bucket, "database": database, "retention_policy": name, "retention_seconds": retention,
            "retention": format_duration(retention), "shard_group_duration_seconds": shard,
            "description": "%s.%s from InfluxDB 1.x" % (database, name)}


def continuous_query_advice(cq: Mapping[str, Any]) -> dict[str, Any]:
    """What a CQ reads, writes and how often, and what to do about it in InfluxDB 2."""
    text = " ".join(str(cq.get("query") or "").split())
    parts: dict[str, Any] = {"database": cq.get("database"), "name": cq.get("name"), "query": cq.get("query"),
                             "into": None, "from": None, "every": None, "for": None}
    match = _CQ_RE.search(text)
    select = match.group("select") if match else text
    into = _INTO_RE.search(select)
    if into:
        parts["into"], parts["from"] = into.group("into").strip(), into.group("from").strip()
    group = _GROUP_TIME_RE.search(select)
    resample = (match.group("resample") or "") if match else ""
    every = _EVERY_RE.search(resample)
    parts["every"] = every.group("every") if every else (group.group("every") if group else None)
    period = _FOR_RE.search(resample)
    parts["for"] = period.group("for") if period else parts["every"]
    parts["action"] = "kapacitor_batch_task"
    parts["advice"] = (
        "InfluxDB 2 runs no continuous queries. Recreate %s as a Kapacitor batch task (query %r every %s "
        "over the last %s, written with influxDBOut to the bucket of %s), or as a Flux task (every: %s) "
        "that reads the bucket of %s and writes to() the bucket of %s. Its past results were copied with "
        "the data." % (cq.get("name"), _select_without_into(select), parts["every"] or "its interval",
                       parts["for"] or "interval", parts["into"] or "its INTO target", parts["every"] or "?",
                       parts["from"] or "its FROM source", parts["into"] or "its INTO target"))
    return parts


def _select_without_into(select: str) -> str:
    return re.sub(r"\s+INTO\s+.+?\s+FROM\s+", " FROM ", select, count=1, flags=re.I | re.S)


def build_plan(info: Mapping[str, Any], model: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The plan for the 1.x server ``info`` (what ``influxdb1_info`` returns); raises on model errors.

    Returns ``buckets``, ``dbrps``, ``v1_auths``, ``continuous_queries``, ``subscriptions`` (to drop),
    ``copies`` (DBRP -> bucket, the order to copy in), ``skipped`` and ``notes``.
    """
    model = model or {}
    errors: list[str] = []
    notes: list[str] = []
    skipped: list[dict[str, str]] = []
    overrides = _overrides(model, errors)
    skip_databases = set(model.get("skip_databases") or [])
    skip_users = set(model.get("skip_users") or [])

    buckets: list[dict[str, Any]] = []
    dbrps: list[dict[str, Any]] = []
    by_database: dict[str, list[str]] = {}
    seen_keys = set()
    for database in info.get("databases") or []:
        db = database["name"]
        if db in skip_databases:
            skipped.append({"database": db, "why": "in skip_databases"})
            continue
        policies = database.get("retention_policies") or []
        default = database.get("default_retention_policy") or next(
            (rp["name"] for rp in policies if rp.get("default")), None)
        kept = []
        for rp in policies:
            key = _key(db, rp["name"])
            seen_keys.add(key)
            override = overrides.get(key, {})
            if override.get("skip"):
                skipped.append({"database": db, "retention_policy": rp["name"], "why": "skip: true in the model"})
                continue
            bucket = _bucket(rp, override, errors)
            if bucket is None:
                continue
            kept.append(rp["name"])
            if bucket["name"] in (b["name"] for b in buckets):
                errors.append("%s: bucket %s is already the bucket of another DBRP; give one a bucket in the model"
                              % (key, bucket["name"]))
                continue
            buckets.append(bucket)
            by_database.setdefault(db, []).append(bucket["name"])
            dbrps.append({"database": db, "retention_policy": rp["name"], "bucket": bucket["name"], "default": False})
        if kept and default not in kept:
            notes.append("%s: the default retention policy %s is not migrated; %s becomes the default"
                         % (db, default, kept[0]))
            default = kept[0]
        for mapping in dbrps:
            if mapping["database"] == db:
                mapping["default"] = mapping["retention_policy"] == default
    for key, entry in overrides.items():
        if key not in seen_keys and entry["database"] not in skip_databases:
            errors.append("%s: the 1.x server has no DBRP %s" % (entry["where"], key))
    if errors:
        raise InvalidInput("the migration plan has %d problem(s): %s" % (len(errors), "; ".join(errors)))

    all_buckets = [b["name"] for b in buckets]
    v1_auths = []
    for user in info.get("users") or []:
        name = user["name"]
        if name in skip_users:
            skipped.append({"user": name, "why": "in skip_users"})
            continue
        read, write = set(), set()
        if user.get("admin"):
            read.update(all_buckets)
            write.update(all_buckets)
            notes.append("%s: a 1.x admin; its v1 authorization may read and write every migrated bucket, but "
                         "user management does not carry over (use an InfluxDB 2 operator token)" % name)
        for grant in user.get("privileges") or []:
            names = by_database.get(grant["database"], [])
            if grant["privilege"] in ("read", "all"):
                read.update(names)
            if grant["privilege"] in ("write", "all"):
                write.update(names)
        if not read and not write:
            skipped.append({"user": name, "why": "no privilege on a migrated database"})
            continue
        permissions = [{"action": action, "resource": {"type": "buckets", "name": bucket}}
                       for bucket in all_buckets for action, granted in (("read", read), ("write", write))
                       if bucket in granted]
        v1_auths.append({"username": name, "admin": bool(user.get("admin")), "permissions": permissions,
                         "description": V1_AUTH_DESCRIPTION % name})

    cqs = [continuous_query_advice(cq) for cq in info.get("continuous_queries") or []
           if cq.get("database") not in skip_databases]
    subscriptions = [dict(s) for s in info.get("subscriptions") or [] if s.get("database") not in skip_databases]
    copies = [{"database": b["database"], "retention_policy": b["retention_policy"], "bucket": b["name"]}
              for b in buckets]
    return {"buckets": buckets, "dbrps": dbrps, "v1_auths": v1_auths, "continuous_queries": cqs,
            "subscriptions": subscriptions, "copies": copies, "skipped": skipped, "notes": notes,
            "access": access_expectations(v1_auths, dbrps)}


def access_expectations(v1_auths: Sequence[Mapping[str, Any]], dbrps: Sequence[Mapping[str, Any]]) -> list[dict]:
    """What each migrated user may do on each DBRP through InfluxDB 2's 1.x API (``influxdb1_access``'s expect)."""
    out = []
    for auth in v1_auths:
        granted = {(p["action"], p["resource"]["name"]) for p in auth["permissions"]}
        for mapping in dbrps:
            out.append({"username": auth["username"], "database": mapping["database"],
                        "retention_policy": mapping["retention_policy"],
                        "read": ("read", mapping["bucket"]) in granted, "write": ("write", mapping["bucket"]) in granted})
    return out


def summary(plan: Mapping[str, Any]) -> list[str]:
    """The plan as lines for a person (what check mode prints)."""
    lines = []
    for bucket in plan["buckets"]:
        lines.append("bucket %s (retention %s) <- %s.%s" % (bucket["name"], bucket["retention"], bucket["database"],
                                                            bucket["retention_policy"]))
    for mapping in plan["dbrps"]:
        lines.append("dbrp %s/%s -> %s%s" % (mapping["database"], mapping["retention_policy"], mapping["bucket"],
                                             " (default)" if mapping["default"] else ""))
    for auth in plan["v1_auths"]:
        rights = ", ".join("%s:%s" % (p["action"], p["resource"]["name"]) for p in auth["permissions"])
        lines.append("v1 auth %s: %s" % (auth["username"], rights))
    for cq in plan["continuous_queries"]:
        lines.append("continuous query %s.%s: %s" % (cq["database"], cq["name"], cq["advice"]))
    for sub in plan["subscriptions"]:
        lines.append("subscription %s on %s.%s: drop once Kapacitor reads InfluxDB 2" % (
            sub["name"], sub["database"], sub["retention_policy"]))
    for item in plan["skipped"]:
        lines.append("skipped %s: %s" % (item.get("user") or "/".join(
            v for v in (item.get("database"), item.get("retention_policy")) if v), item["why"]))
    return lines + ["note: %s" % note for note in plan["notes"]]


def _task_for_stack(task: Mapping[str, Any]) -> dict[str, Any]:
    """A task read from Kapacitor as the stack role's tickstack_kapacitor_tasks entry (same script, status)."""
    entry: dict[str, Any] = {"id": task["id"], "script": task["script"], "type": task.get("type") or None,
                             "status": task.get("status") or "enabled"}
    # Kapacitor refuses dbrps given with a task whose script has dbrp statements.
    if not script_dbrps(task["script"]):
        entry["dbrps"] = [{"db": d["db"], "rp": d["rp"]} for d in task.get("dbrps") or []]
    if task.get("vars"):
        entry["vars"] = dict(task["vars"])
    return {k: v for k, v in entry.items() if v is not None}


def kapacitor_model(plan: Mapping[str, Any], tasks: Sequence[Mapping[str, Any]] | None,
                    telegraf_database: str = "telegraf", telegraf_retention_policy: str = AUTOGEN) -> dict[str, Any]:
    """The stack role's model for the migrated server and the tasks that run in Kapacitor.

    ``tasks`` is ``kapacitor_info``'s ``tasks`` (with scripts). The stack role then makes Kapacitor's
    token from what these scripts read and write (its one lexer and rules), points Kapacitor's
    ``[[influxdb]]`` at InfluxDB 2 with ``disable-subscriptions = true``, and has Telegraf write to
    Kapacitor's write API under ``telegraf_database``/``telegraf_retention_policy``: the stream
    tasks' data, which 1.x sent through its subscriptions.

    Returns ``databases`` (tickstack_databases), ``kapacitor_tasks`` (tickstack_kapacitor_tasks),
    ``running`` (IDs of the tasks enabled and executing now: the ones to prove afterwards) and ``notes``.
    Raises :class:`InvalidInput` when a stream task reads a DBRP Telegraf cannot feed, or a task uses
    a DBRP the plan does not migrate.
    """
    databases = [{"database": b["database"], "retention_policy": b["retention_policy"], "bucket": b["name"],
                  "retention": b["retention"], "description": b["description"],
                  "default": any(m["default"] for m in plan["dbrps"]
                                 if (m["database"], m["retention_policy"]) == (b["database"], b["retention_policy"]))}
                 for b in plan["buckets"]]
    known = {(d["database"], d["retention_policy"]) for d in databases}
    telegraf = (str(telegraf_database), str(telegraf_retention_policy or AUTOGEN))
    errors: list[str] = []
    notes: list[str] = []
    writes: list[tuple[str, str]] = []
    stack_tasks: list[dict[str, Any]] = []
    running: list[str] = []
    if telegraf not in known:
        errors.append("tickstack_telegraf_database/tickstack_telegraf_retention_policy: Telegraf writes %s/%s, "
                      "which the plan does not migrate (migrated: %s)"
                      % (telegraf + (", ".join("%s/%s" % k for k in sorted(known)),)))
    for task in tasks or []:
        task_id = task.get("id")
        if task.get("template_id"):
            notes.append("Kapacitor task %s is made from template %s: left as it is; give it in "
                         "tickstack_kapacitor_tasks with reads/writes so its token covers it" % (
                             task_id, task["template_id"]))
            continue
        if not task.get("script"):
            errors.append("Kapacitor task %s: kapacitor_info returned no script (read it with include_scripts: true)"
                          % task_id)
            continue
        entry = _task_for_stack(task)
        dbrps = script_dbrps(task["script"]) or entry.get("dbrps") or []
        if task.get("type") == "stream":
            other = sorted({(d["db"], d["rp"]) for d in dbrps} - {telegraf})
            if other:
                errors.append("Kapacitor stream task %s reads %s, but InfluxDB 2 has no subscriptions and Telegraf "
                              "writes only %s/%s to Kapacitor; change tickstack_telegraf_database/"
                              "tickstack_telegraf_retention_policy or write those points to Kapacitor yourself"
                              % (task_id, ", ".join("%s/%s" % p for p in other), telegraf[0], telegraf[1]))
        if task.get("status") == "enabled" and task.get("executing"):
            running.append(str(task_id))
        elif task.get("status") == "enabled":
            notes.append("Kapacitor task %s is enabled but not executing (%s): not proven afterwards"
                         % (task_id, task.get("error") or "no error reported"))
        stack_tasks.append(entry)
    if not errors:
        stacked = stack_build_plan(databases=databases, kapacitor_tasks=stack_tasks, telegraf_database=telegraf[0],
                                   telegraf_retention_policy=telegraf[1])
        errors.extend(stacked["errors"])
        writes = sorted({(p["db"], p["rp"]) for t in stacked["tasks"] for p in t["writes"]})
    if errors:
        raise InvalidInput("the Kapacitor part of the migration has %d problem(s): %s" % (len(errors), "; ".join(errors)))
    return {"databases": databases, "kapacitor_tasks": stack_tasks, "running": sorted(running), "notes": notes,
            "telegraf_database": telegraf[0], "telegraf_retention_policy": telegraf[1],
            "writes": [{"db": db, "rp": rp} for db, rp in writes]}


_IDENT_RE = re.compile(r'"((?:[^"\\]|\\.)*)"|([^".\s]+)|(?<=\.)(?=\.)')


def _into_dbrp(cq: Mapping[str, Any], defaults: Mapping[str, str]) -> tuple[str, str] | None:
    """The database/retention policy a CQ's INTO names (``"db"."rp"."m"``, ``db..m``, ``"rp"."m"``, ``m``)."""
    text = str(cq.get("into") or "").strip()
    if not text:
        return None
    parts = [(m.group(1) if m.group(1) is not None else (m.group(2) or "")).replace('\\"', '"')
             for m in _IDENT_RE.finditer(text)]
    database = str(cq.get("database") or "")
    if len(parts) >= 3:
        database, rp = parts[-3] or database, parts[-2]
    elif len(parts) == 2:
        rp = parts[0]
    else:
        rp = ""
    return database, rp or defaults.get(database, AUTOGEN)


def copy_ranges(plan: Mapping[str, Any], cutover: Mapping[str, Any], lag: Any = "10m") -> list[dict[str, Any]]:
    """Each copy with the end of its range (``stop``, RFC3339), fixed at the first run's cutover.

    Raw data (what Telegraf and other clients write) is written to both servers from ``cutover.after``
    (Telegraf's dual-write is on), so it is copied and compared up to then. A DBRP that Kapacitor tasks
    or continuous queries write is *derived*: after the cutover Kapacitor writes it to InfluxDB 2 only,
    and batch tasks and CQs stamp their points with the start of their period, in the past. It is copied
    and compared up to ``cutover.before`` (before Kapacitor was touched) less ``lag``, and less the
    longest CQ interval, so a point written after the cutover never falls inside the compared range.
    """
    try:
        before, after = int(cutover["before"]), int(cutover["after"])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("cutover: needs before and after (epoch seconds)") from None
    if after < before:
        raise InvalidInput("cutover: after (%d) is earlier than before (%d)" % (after, before))
    lag_seconds = parse_duration(lag, option="tickstack_migrate_derived_lag")
    defaults = {m["database"]: m["retention_policy"] for m in plan["dbrps"] if m["default"]}
    derived = {(w["db"], w["rp"]) for w in (plan.get("kapacitor") or {}).get("writes") or []}
    for cq in plan["continuous_queries"]:
        target = _into_dbrp(cq, defaults)
        if target:
            derived.add(target)
        for key in ("every", "for"):
            if cq.get(key):
                try:
                    lag_seconds = max(lag_seconds, parse_duration(cq[key], option="continuous query %s" % cq["name"]))
                except InvalidInput:
                    pass
    out = []
    for copy in plan["copies"]:
        is_derived = (copy["database"], copy["retention_policy"]) in derived
        stop = before - lag_seconds if is_derived else after
        out.append(dict(copy, derived=is_derived, stop_epoch=stop,
                        stop=datetime.fromtimestamp(stop, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")))
    return out


INFLUXDB1_SECRET = "influxdb1_password"


def telegraf_influxdb1_output(url: str, database: str, retention_policy: str = AUTOGEN, username: str | None = None,
                              secret: str = INFLUXDB1_SECRET) -> dict[str, Any]:
    """Telegraf's ``[[outputs.influxdb]]`` to the 1.x server: the old server's half of the dual-write.

    The password is a reference to the telegraf role's secret store (``telegraf_secrets``), so it is in
    neither the config nor the environment. The database exists already (it is being migrated).
    """
    if not url:
        raise InvalidInput("tickstack_migrate_influxdb1_url: the dual-write needs the 1.x server's URL")
    output: dict[str, Any] = {"urls": [str(url).rstrip("/")], "database": str(database),
                              "retention_policy": str(retention_policy), "skip_database_creation": True,
                              "timeout": "5s"}
    if username:
        output.update(username=username, password="@{secrets:%s}" % secret)
    return output


def _processed(task: Mapping[str, Any]) -> int:
    """Points a task's nodes have taken in (the sum of each node's ``collected``)."""
    nodes = ((task.get("stats") or {}).get("node_stats") or {}).values()
    return sum(int(node.get("collected") or 0) for node in nodes if isinstance(node, Mapping))


def task_problems(after: Mapping[str, Any], earlier: Mapping[str, Any], running: Sequence[str]) -> list[str]:
    """Why the tasks that were enabled and executing before the move (``running``) are not proven after it.

    ``earlier`` and ``after`` are two ``kapacitor_info`` reads taken after the repoint, ``after`` the later
    one. A task is proven when it is enabled and executing without an error and its nodes have collected
    more points than at the earlier read: it processes new points (read through InfluxDB 2 by a batch
    task, written to Kapacitor by Telegraf for a stream task).
    """
    tasks_after = {t["id"]: t for t in after.get("tasks") or []}
    tasks_earlier = {t["id"]: t for t in earlier.get("tasks") or []}
    problems = []
    for task_id in running:
        task = tasks_after.get(task_id)
        if task is None:
            problems.append("%s: gone from Kapacitor" % task_id)
        elif task.get("status") != "enabled" or not task.get("executing"):
            state = "executing" if task.get("executing") else "not executing"
            problems.append("%s: %s and %s (%s)" % (task_id, task.get("status"), state, task.get("error") or "no error"))
        elif task.get("error"):
            problems.append("%s: %s" % (task_id, task["error"]))
        elif _processed(task) <= _processed(tasks_earlier.get(task_id) or {}):
            problems.append("%s: has processed no new point (%d collected, as before)" % (task_id, _processed(task)))
    return problems


def report(copied: Sequence[Mapping[str, Any]], cutover: Mapping[str, Any], now: float) -> dict[str, Any]:
    """The closing numbers: counts compared, copy throughput, and how long the migration has taken."""
    measurements = [m for c in copied for m in c.get("measurements") or []]
    points = sum(int(c.get("points_written") or 0) for c in copied)
    seconds = sum(float(c.get("seconds") or 0) for c in copied)
    started = float(cutover.get("started") or cutover.get("before") or now)
    return {
        "dbrps_compared": len(copied),
        "measurements_compared": len(measurements),
        "windows_compared": sum(int(m.get("windows") or 0) for m in measurements),
        "field_values_compared": sum(int(m.get("source_values") or 0) for m in measurements),
        "differences": [m.get("measurement") for m in measurements if m.get("source_values") != m.get("target_values")],
        "points_copied": points,
        "copy_seconds": round(seconds, 2),
        "points_per_second": int(points / seconds) if seconds else 0,
        "migration_seconds": round(now - started, 1),
    }


def plan_or_errors(info: Mapping[str, Any], model: Mapping[str, Any] | None = None) -> tuple[dict | None, str | None]:
    """:func:`build_plan` for callers that report instead of raising (an action plugin)."""
    try:
        return build_plan(info, model), None
    except InvalidInput as e:
        return None, str(e)


__all__ = ["AUTOGEN", "INFLUXDB1_SECRET", "access_expectations", "bucket_name", "build_plan", "continuous_query_advice",
           "copy_ranges", "kapacitor_model", "plan_or_errors", "report", "summary", "task_problems",
           "telegraf_influxdb1_output"]
