# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stack's health verdict: Kapacitor task statistics and newest points -> findings and pass/fail.

Input are the results of ``kapacitor_task_stats`` (two samples of the tasks' counters) and of
``influxdb2_newest_point`` (the newest point per database/retention policy, and per Telegraf host).
Each finding names the task or host, says what was measured and, for a failure, the likely cause.
"""

from __future__ import annotations

from typing import Any, Iterable

OK, FAIL, SKIP = "ok", "fail", "skip"


def _dbrp_text(dbrps: Iterable[dict]) -> str:
    return ", ".join("%s/%s" % (d.get("db"), d.get("rp")) for d in dbrps or []) or "no dbrp"


def _points_by_dbrp(points: dict | None) -> dict[tuple, dict]:
    """Entries of influxdb2_newest_point without group_by, by (database, retention_policy)."""
    found = {}
    for entry in (points or {}).get("series") or []:
        if not entry.get("group_by") and not entry.get("measurement"):
            found[(entry.get("database"), entry.get("retention_policy"))] = entry
    return found


def _influx_side(dbrps: list[dict], by_dbrp: dict[tuple, dict], stale_after: int) -> tuple[list[str], list[str]]:
    """The task's db/rps whose newest point in InfluxDB is fresh, and those that are stale or empty."""
    fresh, stale = [], []
    for dbrp in dbrps or []:
        entry = by_dbrp.get((dbrp.get("db"), dbrp.get("rp")))
        if entry is None:
            continue
        newest = entry.get("newest")
        label = "%s/%s" % (dbrp.get("db"), dbrp.get("rp"))
        if newest is not None and newest.get("age", stale_after + 1) <= stale_after:
            fresh.append("%s (newest point %d s old)" % (label, newest["age"]))
        else:
            stale.append(label)
    return fresh, stale


def task_finding(task: dict, by_dbrp: dict[tuple, dict], stale_after: int) -> dict[str, Any]:
    name, kind = task.get("id"), task.get("type") or "?"
    dbrps = task.get("dbrps") or []
    where = "%s task %s (db %s)" % (kind, name, _dbrp_text(dbrps))
    interval = task.get("interval")

    def found(status, reason):
        return {"kind": "task", "name": name, "type": kind, "status": status, "reason": reason,
                "received": task.get("received"), "interval": interval}

    if task.get("status") != "enabled":
        return found(SKIP, "%s is %s: not checked" % (where, task.get("status") or "not enabled"))
    if not task.get("executing"):
        why = task.get("error") or "no error given; see kapacitord's log"
        return found(FAIL, "%s is enabled but not executing: %s" % (where, why))
    if task.get("error"):
        return found(FAIL, "%s reports an error: %s" % (where, task["error"]))
    if task.get("received") is None:
        return found(SKIP, "%s runs; not sampled twice (interval 0, or it started between the samples)" % where)

    problems = []
    if task.get("query_errors"):
        problems.append(
            "%d of its queries failed in %ss: InfluxDB refused Kapacitor's token (revoked, inactive, or no read "
            "access to %s: HTTP 401/403) or is unreachable; kapacitord logs each as 'error executing query'"
            % (task["query_errors"], interval, _dbrp_text(dbrps)))
    if task.get("write_errors"):
        problems.append(
            "%d writes to InfluxDB failed in %ss: Kapacitor's token is revoked or cannot write the bucket of its "
            "influxDBOut(), or the database/retention policy has no DBRP mapping; kapacitord logs 'failed to write "
            "points to InfluxDB'" % (task["write_errors"], interval))
    if kind == "stream" and task.get("received") == 0:
        fresh, stale = _influx_side(dbrps, by_dbrp, stale_after)
        if fresh:
            problems.append(
                "received 0 points in %ss, though InfluxDB has fresh points of %s: Telegraf does not write this "
                "db/rp to Kapacitor (its outputs.influxdb to Kapacitor or the write relay), or the task's dbrp is "
                "wrong" % (interval, ", ".join(fresh)))
        else:
            problems.append(
                "received 0 points in %ss: Telegraf writes no data for this db/rp to Kapacitor, or the DBRP is wrong%s"
                % (interval, " (InfluxDB has no fresh point of %s either)" % ", ".join(stale) if stale else ""))
    if problems:
        return found(FAIL, "%s %s" % (where, "; ".join(problems)))
    if kind == "batch":
        queried = task.get("batches_queried")
        return found(OK, "%s ran %s queries in %ss without error" % (where, "its" if queried is None else queried,
                                                                     interval))
    return found(OK, "%s received %s points in %ss" % (where, task.get("received"), interval))


def host_findings(points: dict | None, hosts: list[str], database: str, retention_policy: str,
                  stale_after: int) -> list[dict[str, Any]]:
    entry = next((e for e in (points or {}).get("series") or []
                  if e.get("group_by") == "host" and e.get("database") == database
                  and e.get("retention_policy") in (retention_policy, None)), None)
    findings = []
    where = "%s/%s" % (database, retention_policy)
    for host in hosts:
        def found(status, reason, age=None, host=host):
            return {"kind": "host", "name": host, "status": status, "reason": reason, "age": age}

        if entry is None:
            findings.append(found(SKIP, "Telegraf host %s: the newest points of %s were not read" % (host, where)))
            continue
        if entry.get("error"):
            findings.append(found(FAIL, "Telegraf host %s: InfluxDB cannot answer for %s: %s" % (host, where, entry["error"])))
            continue
        point = (entry.get("groups") or {}).get(host)
        cause = ("telegraf is stopped on %s, cannot reach InfluxDB, or InfluxDB refuses its token (see "
                 "'journalctl -u telegraf' there)" % host)
        if point is None:
            findings.append(found(FAIL, "Telegraf host %s wrote no point with host=%s to %s in the lookback: %s"
                                  % (host, host, where, cause)))
        elif point.get("age", 0) > stale_after:
            findings.append(found(FAIL, "Telegraf host %s: its newest point in %s is %d s old (stale after %d s): %s"
                                  % (host, where, point["age"], stale_after, cause), point["age"]))
        else:
            findings.append(found(OK, "Telegraf host %s: newest point in %s is %d s old" % (host, where, point["age"]),
                                  point["age"]))
    return findings


def health_series(tasks: Any, telegraf_database: str, telegraf_retention_policy: str) -> list[dict[str, Any]]:
    """The ``series`` option of influxdb2_newest_point for :func:`health_report`: the Telegraf
    database/retention policy by ``host``, then every database/retention policy of the tasks, once each."""
    wanted = [{"database": telegraf_database, "retention_policy": telegraf_retention_policy, "group_by": "host"}]
    seen = set()
    for task in _task_list(tasks):
        for dbrp in task.get("dbrps") or []:
            key = (dbrp.get("db"), dbrp.get("rp"))
            if key[0] and key not in seen:
                seen.add(key)
                wanted.append({"database": key[0], "retention_policy": key[1]})
    return wanted


def _task_list(tasks: Any) -> list[dict]:
    task_list = (tasks.get("tasks") or []) if isinstance(tasks, dict) else list(tasks or [])
    if not all(isinstance(t, dict) for t in task_list):
        raise ValueError("tasks: expected the result of tickstack.influx.kapacitor_task_stats")
    return task_list


def _read_failure(kind: str, result: Any, key: str) -> list[dict[str, Any]]:
    """A finding for a module result that failed (so the report still runs, and says so)."""
    if isinstance(result, dict) and key not in result and (result.get("failed") or result.get("msg")):
        return [{"kind": kind, "name": kind, "status": FAIL,
                 "reason": "%s could not be read: %s" % (kind, result.get("msg") or "the module failed")}]
    return []


def health_report(tasks: Any = None, points: Any = None, hosts: Iterable[str] = (), stale_after: int = 60,
                  telegraf_database: str = "telegraf", telegraf_retention_policy: str = "autogen") -> dict[str, Any]:
    """The verdict. ``tasks``: a kapacitor_task_stats result (or its ``tasks``); ``points``: an
    influxdb2_newest_point result; ``hosts``: the ``host`` tag values the Telegraf hosts write."""
    if isinstance(stale_after, bool) or not isinstance(stale_after, int) or stale_after < 1:
        raise ValueError("stale_after: %r is not a number of seconds (1 or more)" % (stale_after,))
    task_list = _task_list(tasks)
    if points is not None and not isinstance(points, dict):
        raise ValueError("points: expected the result of tickstack.influx.influxdb2_newest_point")
    by_dbrp = _points_by_dbrp(points)
    findings = _read_failure("Kapacitor", tasks, "tasks") + _read_failure("InfluxDB", points, "series")
    findings += [task_finding(t, by_dbrp, stale_after) for t in task_list]
    findings += host_findings(points, [str(h) for h in hosts or []], telegraf_database, telegraf_retention_policy,
                              stale_after)
    failures = [f for f in findings if f["status"] == FAIL]
    passed = not failures
    header = "%s: %d Kapacitor tasks, %d Telegraf hosts (stale after %d s)" % (
        "PASS" if passed else "FAIL", len(task_list), len(list(hosts or [])), stale_after)
    lines = [header] + ["%-4s %s" % (f["status"].upper(), f["reason"]) for f in findings]
    message = ("health check passed" if passed else
               "health check failed for %s: %s" % (", ".join("%s %s" % (f["kind"], f["name"]) for f in failures),
                                                   " | ".join(f["reason"] for f in failures)))
    return {"passed": passed, "findings": findings, "failures": failures, "lines": lines, "message": message}
