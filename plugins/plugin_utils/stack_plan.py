# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The stack's plan: from the model and the inventory to everything the stack role acts on.

Pure Python on the controller (no Ansible needed), so every rule is unit-tested in milliseconds
(tests/unit/test_stack_plan.py). The ``tickstack.influx.stack_plan`` action plugin is its only
caller in the collection; it gathers the inputs from the task and fails once, listing every
problem :func:`build_plan` found.

The rules, in the order the role relies on them:

- **Databases.** Each ``tickstack_databases`` entry is a 1.x database/retention policy (DBRP)
  mapped to a bucket: ``retention_policy`` defaults to ``autogen``, ``bucket`` to the database
  (for ``autogen``) or ``<database>/<retention_policy>`` (InfluxDB's own naming). A database's
  default retention policy is the one marked ``default: true``, else the first listed.
- **Buckets.** One per bucket name; entries sharing a bucket must not disagree on its settings.
- **Tasks.** What each present Kapacitor task reads and writes comes from its TICKscript (or its
  template's, with the task's vars) through ``tickscript.scan``, plus its ``reads``/``writes``. A
  task whose script names no DBRP and that gives none gets derived ones: its batch queries'
  sources, or for a stream task what Telegraf writes to Kapacitor. Every DBRP a task uses must be
  declared in ``tickstack_databases``.
- **Permissions.** Every Kapacitor host may read the buckets the tasks read and write the buckets
  they write (read on the organization when neither: InfluxDB refuses a token without
  permissions); every Telegraf host may write its bucket.
- **Tokens.** One per service and host, marked by its description
  ``tickstack:<stack name>:<service>:<host>`` (InfluxDB authorizations have no labels). Pruning
  (:func:`tokens_to_prune`) revokes this stack's tokens of hosts no longer in the inventory, and
  the 0.1.0 descriptions ``tickstack <service> <host>`` once the host has its new token.
- **Replications.** Each ``tickstack_replications`` entry is one remote connection (its ``name``) and one
  replication per local bucket (``<name>-<bucket>``), every local bucket one of the model's buckets. Both
  are marked by their description ``tickstack:<stack name>:replication:<name>``; pruning
  (:func:`replications_to_prune`) removes this stack's remotes and replications that are no longer listed.
  The remote token never enters the plan: the action plugin passes only whether it is set.
- **Script files.** A task's or template's ``script_file`` is read on the controller
  (:func:`read_script_files`, with the action's file search) into ``script`` before anything else,
  and never templated: Kapacitor's Go templates (``{{ .ID }}``) reach Kapacitor as written.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import parse_duration
from ansible_collections.tickstack.influx.plugins.module_utils.tickscript import scan

SERVICES = ("kapacitor", "telegraf")
DEFAULT_STACK_NAME = "tickstack"
TOKEN_PREFIX = "tickstack"
_STACK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_LEGACY_DESCRIPTION = re.compile(r"tickstack (kapacitor|telegraf) (\S+)")
_TRUE = frozenset({"true", "yes", "on", "1", "y", "t"})
_FALSE = frozenset({"false", "no", "off", "0", "n", "f", ""})

# Hints for the connection settings the role cannot work without (see :func:`required_errors`).
REQUIRED_HINTS = {
    "tickstack_influxdb_url": "the InfluxDB group (tickstack_influxdb_group) has no hosts, so give the URL "
                              "of InfluxDB Cloud or of your InfluxDB 2 server",
    "tickstack_influxdb_api_url": "give the URL of InfluxDB as tickstack_influxdb_api_host reaches it",
    "tickstack_influxdb_operator_token": "set an all-access token (from a vault); it creates the buckets, "
                                         "DBRP mappings and the services' tokens",
    "tickstack_influxdb_org": "name the organization",
}

Pair = tuple[str, str]


class _Errors(list):
    """The model errors found so far, each naming the entry and the fix."""

    def add(self, where: str, msg: str) -> None:
        self.append("%s: %s" % (where, msg))


# --- small helpers --------------------------------------------------------------------------------

def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def _pair_dict(pair: Pair) -> dict[str, str]:
    return {"db": pair[0], "rp": pair[1]}


def _pairs_out(pairs: Iterable[Pair]) -> list[dict[str, str]]:
    return [_pair_dict(p) for p in sorted(set(pairs))]


def _pairs_in(items: Iterable[Mapping[str, str]]) -> list[Pair]:
    return [(str(p["db"]), str(p.get("rp") or "")) for p in items]


def _shown(pairs: Iterable[Pair]) -> str:
    return ", ".join("%s/%s" % p for p in pairs) or "none"


def token_description(stack_name: str, service: str, host: str) -> str:
    """The description that marks a token as this stack's, for one service on one host."""
    return "%s:%s:%s:%s" % (TOKEN_PREFIX, stack_name, service, host)


def legacy_token_description(service: str, host: str) -> str:
    """The description 0.1.0 gave the same token."""
    return "tickstack %s %s" % (service, host)


# --- connection settings and stack name -----------------------------------------------------------

def required_errors(required: Mapping[str, Any] | None) -> list[str]:
    """An error for every setting of ``required`` (name -> value) that is empty."""
    errors = _Errors()
    for name, value in (required or {}).items():
        if value is None or (isinstance(value, str) and not value.strip()):
            errors.add(name, "is empty: %s." % REQUIRED_HINTS.get(name, "set it"))
    return errors


def _loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_warnings(credential_urls: Mapping[str, Any] | None) -> list[str]:
    """A warning for every URL (variable name -> URL) that would carry a credential in plain HTTP off loopback.

    Each URL given here is one the stack sends a token or password to; ``user:password@`` in a URL
    is a credential of its own. https:// and loopback addresses are fine.
    """
    warnings = []
    for name, url in (credential_urls or {}).items():
        text = str(url or "").strip()
        if not text:
            continue
        parts = urlsplit(text)
        if parts.scheme.lower() != "http" or _loopback(parts.hostname or ""):
            continue
        shown = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
        warnings.append("%s (%s) sends credentials in plain HTTP beyond this host: anyone on the network path can "
                        "read them. Set tickstack_tls (generated or provided) or give an https:// URL."
                        % (name, shown))
    return warnings


def stack_name_errors(stack_name: Any) -> list[str]:
    errors = _Errors()
    if not isinstance(stack_name, str) or not _STACK_NAME.fullmatch(stack_name):
        errors.add("tickstack_stack_name", "%r cannot mark tokens: use letters, digits, '_', '.' and '-' "
                   "(no ':' or spaces), for example the inventory's name." % (stack_name,))
    return errors


def _entries(entries: Sequence[Any] | None, variable: str, key: str, what: str, errors: _Errors
             ) -> Iterator[tuple[int, str, Mapping[str, Any], str]]:
    """(index, where, entry, its key) of each entry of a model list with a non-empty ``key``; errors for the others."""
    for index, entry in enumerate(entries or []):
        where = "%s[%d]" % (variable, index)
        if isinstance(entry, Mapping) and str(entry.get(key) or "").strip():
            yield index, where, entry, str(entry[key])
        else:
            errors.add(where, "needs %s, got %r." % (what, entry))


# --- script files ---------------------------------------------------------------------------------

# What a task or template may give its script as; a task may come from a template instead.
_SCRIPT_SOURCES = {"task": ("script", "script_file", "template_id"), "template": ("script", "script_file")}


def _joined(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else "%s and %s" % (", ".join(names[:-1]), names[-1])


def read_script_files(entries: Sequence[Any] | None, kind: str, variable: str, read: Callable[[str], str]
                      ) -> tuple[list[Any], list[str]]:
    """The entries (``kind`` task or template) with each ``script_file`` read by ``read`` into ``script``.

    A present entry needs exactly one of :data:`_SCRIPT_SOURCES`; an absent one needs none and its
    file is not read (removing a task must not depend on a file that may be gone). ``read`` raises
    ``OSError`` or ``ValueError`` (with a message naming where it looked) when it cannot read the file.
    The content is returned as a plain string, never templated. Returns (entries, errors); an entry
    with an error is passed through unchanged (the plan skips it, its error is listed).
    """
    sources = _SCRIPT_SOURCES[kind]
    resolved: list[Any] = []
    errors = _Errors()
    for index, entry in enumerate(entries or []):
        resolved.append(entry)
        if not isinstance(entry, Mapping):
            continue  # build_plan names it
        label = "Kapacitor %s '%s' (%s[%d])" % (kind, entry.get("id"), variable, index)
        if entry.get("state", "present") == "absent":
            if entry.get("script_file") is not None:
                resolved[-1] = {k: v for k, v in entry.items() if k != "script_file"}
            continue
        given = [name for name in sources if entry.get(name) is not None]
        if len(given) != 1:
            errors.add(label, "needs exactly one of %s (unless its state is absent), %s." % (
                _joined(["%s" % name for name in sources]),
                "has none" if not given else "has " + _joined(given)))
            continue
        if given[0] != "script_file":
            continue
        path = entry["script_file"]
        if not isinstance(path, str) or not path.strip():
            errors.add(label, "script_file must be the path of a TICKscript file, got %r." % (path,))
            continue
        try:
            script = read(path)
        except (OSError, ValueError) as e:
            errors.add(label, "cannot read its script_file %s: %s" % (path, e))
            continue
        resolved[-1] = dict({k: v for k, v in entry.items() if k != "script_file"}, script=script)
    return resolved, list(errors)


# --- databases ------------------------------------------------------------------------------------

def normalize_databases(entries: Sequence[Any] | None, errors: _Errors) -> list[dict[str, Any]]:
    """tickstack_databases with retention_policy, bucket and default filled in; bad entries dropped."""
    databases: list[dict[str, Any]] = []
    first_at: dict[Pair, int] = {}
    for index, where, entry, database in _entries(entries, "tickstack_databases", "database",
                                                  "a database (the 1.x database name TICKscripts use)", errors):
        rp = str(entry.get("retention_policy") or "autogen")
        default = _as_bool(entry.get("default", False))
        if default is None:
            errors.add(where, "default must be true or false, got %r." % (entry.get("default"),))
            default = False
        if (database, rp) in first_at:
            errors.add(where, "%s/%s is already listed at tickstack_databases[%d]; list each database/retention "
                       "policy once." % (database, rp, first_at[(database, rp)]))
            continue
        first_at[(database, rp)] = index
        item = dict(entry)
        item.update(database=database, retention_policy=rp, default=default,
                    bucket=str(entry.get("bucket") or (database if rp == "autogen" else "%s/%s" % (database, rp))))
        databases.append(item)

    marked: dict[str, list[str]] = {}
    for item in databases:
        if item["default"]:
            marked.setdefault(item["database"], []).append(item["retention_policy"])
    for database, rps in marked.items():
        if len(rps) > 1:
            errors.add("tickstack_databases", "database %s has %d retention policies with default: true (%s); "
                       "mark at most one." % (database, len(rps), ", ".join(rps)))
    return databases


def default_rps(databases: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Each database's default retention policy: the one marked default, else the first listed."""
    found: dict[str, str] = {}
    for item in [d for d in databases if d["default"]] + list(databases):
        found.setdefault(item["database"], item["retention_policy"])
    return found


def buckets(databases: Sequence[Mapping[str, Any]], errors: _Errors) -> list[dict[str, Any]]:
    """One item per bucket; entries that share a bucket must agree on what they set."""
    found: dict[str, dict[str, Any]] = {}
    for item in databases:
        settings = {key: item[key] for key in ("retention", "description") if key in item}
        first = found.get(item["bucket"])
        if first is None:
            found[item["bucket"]] = dict(bucket=item["bucket"], **settings)
            continue
        for key, value in settings.items():
            if key in first and first[key] != value:
                errors.add("tickstack_databases", "%s/%s shares the bucket %s with an earlier entry but sets its %s "
                           "to %r, not %r; set it once (or the same everywhere)."
                           % (item["database"], item["retention_policy"], item["bucket"], key, value, first[key]))
            first.setdefault(key, value)
    return list(found.values())


def dbrp_mappings(databases: Sequence[Mapping[str, Any]], defaults: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"database": d["database"], "retention_policy": d["retention_policy"], "bucket": d["bucket"],
             "default": defaults.get(d["database"]) == d["retention_policy"]} for d in databases]


def bucket_entries(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """influxdb2_bucket's ``buckets``: what the model sets of each bucket, nothing it leaves unset."""
    return [dict({"name": item["bucket"]}, **{key: item[key] for key in ("retention", "description") if key in item})
            for item in items]


def dbrp_entries(mappings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """influxdb2_dbrp's ``mappings``: stored (not virtual) mappings, the database's default retention policy
    made its default (the others' default left to InfluxDB, which keeps one per database)."""
    return [{"database": m["database"], "retention_policy": m["retention_policy"], "bucket": m["bucket"],
             "default": True if m["default"] else None, "virtual_ok": False} for m in mappings]


# --- tasks ----------------------------------------------------------------------------------------

def _extra_pairs(task: Mapping[str, Any], key: str, defaults: Mapping[str, str], label: str,
                 errors: _Errors) -> list[Pair]:
    """A task's reads/writes/dbrps as pairs; a missing rp is the database's default."""
    value = task.get(key)
    if value is None:
        return []
    if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
        errors.add(label, "%s must be a list of {db, rp}, got %r." % (key, value))
        return []
    pairs = []
    for item in value:
        if not isinstance(item, Mapping) or not str(item.get("db") or "").strip():
            errors.add(label, "every item of %s needs a db (and an rp), got %r." % (key, item))
            continue
        db = str(item["db"])
        pairs.append((db, str(item.get("rp") or defaults.get(db, ""))))
    return pairs


def _template_script(task: Mapping[str, Any], templates: Mapping[str, Mapping[str, Any]], label: str,
                     errors: _Errors) -> str | None:
    template_id = str(task["template_id"])
    template = templates.get(template_id)
    if template is None or template.get("state", "present") == "absent" or not isinstance(template.get("script"), str):
        if task.get("reads") is not None or task.get("writes") is not None:
            return None  # the model says what it touches, as 0.1.0 required
        why = ("is not in kapacitor_templates" if template is None
               else "is removed by kapacitor_templates (state: absent)" if template.get("state") == "absent"
               else "has no script the plan can read")
        errors.add(label, "its template %s %s, so the plan cannot tell what the task reads and writes; define the "
                   "template in kapacitor_templates with its script, or give the task reads/writes." % (template_id, why))
        return None
    return template["script"]


def plan_task(task: Mapping[str, Any], label: str, templates: Mapping[str, Mapping[str, Any]],
              defaults: Mapping[str, str], telegraf_dbrp: Pair, errors: _Errors) -> dict[str, Any] | None:
    """What one present task reads and writes and the DBRPs it runs with; None when it cannot tell."""
    task_id = str(task["id"])
    if task.get("script") is not None:
        script: str | None = task["script"]
    else:
        known_errors = len(errors)
        script = _template_script(task, templates, label, errors)
        if len(errors) > known_errors:
            return None
    given_dbrps = _extra_pairs(task, "dbrps", defaults, label, errors)
    extra_reads = _extra_pairs(task, "reads", defaults, label, errors)
    extra_writes = _extra_pairs(task, "writes", defaults, label, errors)

    scanned: dict[str, Any] = {"type": None, "dbrps": [], "dbrps_in_script": False, "queries": [],
                               "reads": [], "writes": []}
    if script is not None:
        try:
            # A source the scanner cannot resolve is an error unless the task says what it reads/writes.
            scanned = scan(script, vars=task.get("vars") or {}, default_rps=dict(defaults), name=task_id,
                           allow_unreadable=task.get("reads") is not None or task.get("writes") is not None)
        except Exception as e:  # TickscriptError, and a scanner bug must still name the task
            errors.add(label, "cannot read its TICKscript: %s" % e)
            return None

    task_type = task.get("type") or scanned["type"]
    reads = _pairs_in(scanned["reads"])
    derived: list[Pair] | None = None
    if scanned["dbrps_in_script"]:
        if task.get("dbrps") is not None:
            errors.add(label, "its script has dbrp statements, so Kapacitor refuses dbrps given with the task; "
                       "remove the task's dbrps (or the script's dbrp statements).")
        dbrps = _pairs_in(scanned["dbrps"])
    elif task.get("dbrps") is not None:
        dbrps = given_dbrps
        if task_type == "batch":
            reads += given_dbrps
    elif task_type == "batch" and scanned["queries"]:
        derived = _pairs_in(scanned["queries"])
        dbrps = derived
    elif task_type == "stream":
        derived = [telegraf_dbrp]
        dbrps = derived
    else:
        dbrps = []
    return {
        "id": task_id,
        "type": task_type,
        "dbrps": _pairs_out(dbrps),
        "derived_dbrps": None if derived is None else _pairs_out(derived),
        "reads": _pairs_out(reads + extra_reads),
        "writes": _pairs_out(_pairs_in(scanned["writes"]) + extra_writes),
    }


def plan_tasks(tasks: Sequence[Any] | None, templates: Mapping[str, Mapping[str, Any]], defaults: Mapping[str, str],
               known: Mapping[Pair, str], telegraf_dbrp: Pair, errors: _Errors
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(plans of the present tasks, the kapacitor role's kapacitor_tasks)."""
    planned: list[dict[str, Any]] = []
    role_tasks: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index, _where, task, task_id in _entries(tasks, "tickstack_kapacitor_tasks", "id", "an id", errors):
        label = "Kapacitor task '%s'" % task_id
        if task_id in seen:
            errors.add(label, "is listed twice (tickstack_kapacitor_tasks[%d] and [%d]); give each task a unique id."
                       % (seen[task_id], index))
            continue
        seen[task_id] = index
        state = task.get("state") or "present"
        role_task = {k: v for k, v in task.items() if k not in ("reads", "writes") + PLACEMENT_KEYS}
        role_tasks.append(role_task)
        if state not in ("present", "absent"):
            errors.add(label, "state must be present or absent, got %r." % (state,))
            continue
        if state == "absent":
            continue
        has_script = task.get("script") is not None
        has_template = task.get("template_id") is not None
        if has_script == has_template:
            errors.add(label, "needs exactly one of script, script_file and template_id (unless its state is absent).")
            continue
        planned_task = plan_task(task, label, templates, defaults, telegraf_dbrp, errors)
        if planned_task is None:
            continue
        used = [(p["db"], p["rp"]) for key in ("dbrps", "reads", "writes") for p in planned_task[key]]
        unknown = sorted({p for p in used if p not in known})
        if unknown:
            errors.add(label, "uses %s (database/retention policy), which tickstack_databases does not declare "
                       "(declared: %s). Add %s to tickstack_databases, or fix the task's dbrp statements, query() "
                       "FROM clauses or influxDBOut() database/retentionPolicy."
                       % (_shown(unknown), _shown(known), "it" if len(unknown) == 1 else "them"))
        if planned_task["derived_dbrps"]:
            role_task["dbrps"] = planned_task["derived_dbrps"]
        planned.append(planned_task)
    return planned, role_tasks


def _templates_by_id(templates: Sequence[Any] | None) -> dict[str, Mapping[str, Any]]:
    return {str(t["id"]): t for t in templates or [] if isinstance(t, Mapping) and t.get("id")}


# --- placement ------------------------------------------------------------------------------------

PLACEMENT_KEYS = ("hosts", "group")


def _placement(task: Mapping[str, Any], label: str, kapacitor_hosts: Sequence[str],
               groups: Mapping[str, Sequence[str]], errors: _Errors) -> list[str] | None:
    """The Kapacitor hosts one present task runs on, in the Kapacitor group's order; None after an error.

    No ``hosts`` and no ``group``: every host of the Kapacitor group. ``hosts``: those inventory names,
    each a Kapacitor host. ``group``: the Kapacitor hosts of that inventory group (which may hold other
    hosts too, for example a data centre's), at least one.
    """
    given = [key for key in PLACEMENT_KEYS if task.get(key) is not None]
    if not given:
        return list(kapacitor_hosts)
    if len(given) > 1:
        errors.add(label, "gives both hosts and group; place it with one of them (or neither, for every host of "
                   "tickstack_kapacitor_group).")
        return None
    known_hosts = set(groups.get("all") or []) | set(kapacitor_hosts)
    if given[0] == "hosts":
        hosts = task["hosts"]
        if isinstance(hosts, str) or not isinstance(hosts, Sequence) \
                or not all(isinstance(h, str) and h.strip() for h in hosts):
            errors.add(label, "hosts must be a list of inventory names of Kapacitor hosts, got %r." % (hosts,))
            return None
        if not hosts:
            errors.add(label, "hosts is empty, so the task would run nowhere; list its Kapacitor hosts, or remove "
                       "hosts to run it on every host of tickstack_kapacitor_group (or set state: absent).")
            return None
        unknown = [h for h in hosts if h not in known_hosts]
        outside = [h for h in hosts if h in known_hosts and h not in kapacitor_hosts]
        if unknown:
            errors.add(label, "hosts names %s, not in the inventory; use inventory names of Kapacitor hosts (%s)."
                       % (", ".join(unknown), ", ".join(kapacitor_hosts) or "none"))
        if outside:
            errors.add(label, "hosts names %s, not in tickstack_kapacitor_group (%s); add %s to the Kapacitor group "
                       "or place the task on its hosts." % (", ".join(outside), ", ".join(kapacitor_hosts) or "none",
                                                            "it" if len(outside) == 1 else "them"))
        if unknown or outside:
            return None
        return [h for h in kapacitor_hosts if h in set(hosts)]
    group = task["group"]
    if not isinstance(group, str) or not group.strip():
        errors.add(label, "group must be the name of an inventory group, got %r." % (group,))
        return None
    if group not in groups:
        errors.add(label, "group %s is not an inventory group (groups: %s); name an existing group, or use hosts."
                   % (group, ", ".join(sorted(g for g in groups if g not in ("all", "ungrouped"))) or "none"))
        return None
    members = set(groups[group] or [])
    hosts = [h for h in kapacitor_hosts if h in members]
    if not hosts:
        errors.add(label, "group %s has no host of tickstack_kapacitor_group (%s), so the task would run nowhere; "
                   "add Kapacitor hosts to the group, or name another group." % (group, ", ".join(kapacitor_hosts)
                                                                                 or "none"))
        return None
    return hosts


def place_tasks(tasks: Sequence[Any] | None, kapacitor_hosts: Sequence[str],
                groups: Mapping[str, Sequence[str]] | None, errors: _Errors) -> dict[str, list[str]]:
    """Task id -> the Kapacitor hosts it runs on, for every present task (absent ones go from every host)."""
    placed: dict[str, list[str]] = {}
    for task in tasks or []:
        if not isinstance(task, Mapping) or not str(task.get("id") or "").strip() or str(task["id"]) in placed:
            continue  # plan_tasks names it
        if (task.get("state") or "present") != "present":
            continue
        label = "Kapacitor task '%s'" % task["id"]
        hosts = _placement(task, label, kapacitor_hosts, groups or {}, errors)
        if hosts is not None:
            placed[str(task["id"])] = hosts
    return placed


def host_kapacitor_tasks(plan: Mapping[str, Any], host: str) -> list[dict[str, Any]]:
    """The kapacitor role's kapacitor_tasks on one host: its tasks as planned, the others placed elsewhere absent.

    A task placed elsewhere is removed here (Kapacitor returns 404 for a task it never had, so it costs
    nothing), which is how a task moved from one host to another leaves the first.
    """
    placement = plan["placement"]
    return [task if (task.get("state") or "present") != "present" or host in placement.get(str(task["id"]), [])
            else {"id": task["id"], "state": "absent"}
            for task in plan["kapacitor_tasks"]]


def stream_hosts(planned: Sequence[Mapping[str, Any]], placement: Mapping[str, Sequence[str]],
                 kapacitor_hosts: Sequence[str], telegraf_dbrp: Pair) -> list[str]:
    """The Kapacitor hosts that run a stream task reading what Telegraf writes: where Telegraf sends points.

    A task whose type the plan cannot tell (a template it cannot read) counts as a stream task: a
    Kapacitor host that gets points it does not use costs less than a stream task that gets none.
    """
    wanted = {h for t in planned if t["type"] != "batch" and _pair_dict(telegraf_dbrp) in t["dbrps"]
              for h in placement.get(t["id"], [])}
    return [h for h in kapacitor_hosts if h in wanted]


# --- permissions and tokens -----------------------------------------------------------------------

def _bucket_permissions(action: str, names: Iterable[str]) -> list[dict[str, Any]]:
    return [{"action": action, "resource": {"type": "buckets", "name": name}} for name in names]


def kapacitor_permissions(read_buckets: Sequence[str], write_buckets: Sequence[str], org: str) -> list[dict[str, Any]]:
    permissions = _bucket_permissions("read", read_buckets) + _bucket_permissions("write", write_buckets)
    # InfluxDB refuses a token without permissions.
    return permissions or [{"action": "read", "resource": {"type": "orgs", "name": org}}]


def _hosts(value: Any) -> list[str]:
    return [str(h) for h in value or []]


def build_plan(*, databases: Sequence[Any] | None = None, kapacitor_tasks: Sequence[Any] | None = None,
               kapacitor_templates: Sequence[Any] | None = None, telegraf_database: str = "telegraf",
               telegraf_retention_policy: str = "autogen", kapacitor_hosts: Sequence[str] | None = None,
               telegraf_hosts: Sequence[str] | None = None, org: str = "", stack_name: str = DEFAULT_STACK_NAME,
               required: Mapping[str, Any] | None = None, replications: Sequence[Any] | None = None,
               groups: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """Everything the stack role acts on, and every model error (``errors``, empty when it can act).

    ``groups`` are the inventory's groups (name -> hosts, with ``all``), for the tasks' ``hosts`` and
    ``group``; without them only the Kapacitor hosts are known.
    """
    errors = _Errors(required_errors(required))
    errors.extend(stack_name_errors(stack_name))
    kapacitor_hosts = _hosts(kapacitor_hosts)
    telegraf_hosts = _hosts(telegraf_hosts)

    dbs = normalize_databases(databases, errors)
    bucket_items = buckets(dbs, errors)
    defaults = default_rps(dbs)
    known = {(d["database"], d["retention_policy"]): d["bucket"] for d in dbs}

    telegraf_dbrp = (str(telegraf_database), str(telegraf_retention_policy or defaults.get(telegraf_database, "")))
    telegraf_bucket = known.get(telegraf_dbrp, "")
    if telegraf_hosts and not telegraf_bucket:
        errors.add("tickstack_telegraf_database", "Telegraf writes to %s/%s (tickstack_telegraf_database/"
                   "tickstack_telegraf_retention_policy), which is not in tickstack_databases (listed: %s). Add it "
                   "there." % (telegraf_dbrp + (_shown(known),)))

    planned, role_tasks = plan_tasks(kapacitor_tasks, _templates_by_id(kapacitor_templates), defaults, known,
                                     telegraf_dbrp, errors)
    placement = place_tasks(kapacitor_tasks, kapacitor_hosts, groups, errors)

    def used_buckets(key: str, tasks: Iterable[Mapping[str, Any]]) -> list[str]:
        return sorted({known[(p["db"], p["rp"])] for t in tasks for p in t[key] if (p["db"], p["rp"]) in known})

    read_buckets, write_buckets = used_buckets("reads", planned), used_buckets("writes", planned)
    permissions = {
        "kapacitor": kapacitor_permissions(read_buckets, write_buckets, org),
        "telegraf": _bucket_permissions("write", [telegraf_bucket]) if telegraf_bucket else [],
    }
    # Each Kapacitor host's token covers the tasks placed on it, no more.
    host_permissions = {"kapacitor": {}, "telegraf": {host: permissions["telegraf"] for host in telegraf_hosts}}
    for host in kapacitor_hosts:
        mine = [t for t in planned if host in placement.get(t["id"], [])]
        host_permissions["kapacitor"][host] = kapacitor_permissions(used_buckets("reads", mine),
                                                                    used_buckets("writes", mine), org)
    remotes, replication_items = plan_replications(replications, [b["bucket"] for b in bucket_items], stack_name,
                                                   errors)
    mappings = dbrp_mappings(dbs, defaults)
    tokens = [{"service": service, "host": host, "description": token_description(stack_name, service, host),
               "permissions": host_permissions[service][host]}
              for service, hosts in (("kapacitor", kapacitor_hosts), ("telegraf", telegraf_hosts)) for host in hosts]
    return {
        "errors": list(errors),
        "stack_name": stack_name,
        "databases": dbs,
        "default_rps": defaults,
        "buckets": bucket_items,
        "dbrps": mappings,
        # The same in the shape of influxdb2_bucket's buckets and influxdb2_dbrp's mappings (roles/stack/tasks/resources.yml).
        "bucket_entries": bucket_entries(bucket_items),
        "dbrp_entries": dbrp_entries(mappings),
        "telegraf_dbrp": _pair_dict(telegraf_dbrp),
        "telegraf_bucket": telegraf_bucket,
        "tasks": planned,
        "kapacitor_tasks": role_tasks,
        "placement": placement,
        "kapacitor_write_targets": stream_hosts(planned, placement, kapacitor_hosts, telegraf_dbrp),
        "kapacitor_templates": list(kapacitor_templates or []),
        "read_buckets": read_buckets,
        "write_buckets": write_buckets,
        "permissions": permissions,
        "kapacitor_hosts": kapacitor_hosts,
        "telegraf_hosts": telegraf_hosts,
        "tokens": tokens,
        "remotes": remotes,
        "replications": replication_items,
    }


def host_tokens(plan: Mapping[str, Any], host: str) -> dict[str, dict[str, Any]]:
    """The tokens of one host, by service."""
    return {t["service"]: {"description": t["description"], "permissions": t["permissions"]}
            for t in plan["tokens"] if t["host"] == host}


# --- replications ---------------------------------------------------------------------------------

REPLICATION_KEYS = ("name", "local_buckets", "remote_url", "remote_org_id", "remote_org", "remote_token",
                    "remote_token_set", "remote_bucket", "allow_insecure_tls", "max_queue_size", "max_age",
                    "drop_non_retryable_data")
# InfluxDB's bounds (replication.go): the smallest queue, and the max age range 2.9 accepts.
MIN_REPLICATION_QUEUE = 33554430
MAX_AGE_RANGE = (60, 5184000)
_HEX_ID = re.compile(r"[0-9a-f]{16}")


def replication_description(stack_name: str, name: str) -> str:
    """The description that marks a remote connection and its replications as this stack's."""
    return "%s:%s:replication:%s" % (TOKEN_PREFIX, stack_name, name)


def without_remote_tokens(entries: Sequence[Any] | None) -> list[Any]:
    """The entries with ``remote_token`` replaced by ``remote_token_set`` (the plan never holds the token)."""
    out: list[Any] = []
    for entry in entries or []:
        if isinstance(entry, Mapping):
            token = entry.get("remote_token")
            entry = {k: v for k, v in entry.items() if k != "remote_token"}
            entry["remote_token_set"] = token is not None and bool(str(token).strip())
        out.append(entry)
    return out


def _remote_url_error(url: Any) -> str | None:
    try:
        parts = urlsplit(str(url or ""))
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
        userinfo = bool(parts.username or parts.password)
    except ValueError:
        usable, userinfo = False, False
    if not usable:
        return "remote_url must be the http:// or https:// URL of the remote InfluxDB (for example " \
               "https://central.example.com:8086)."
    if userinfo:
        return "remote_url must not hold credentials (user:password@); give the token as remote_token."
    return None


def _replication_settings(entry: Mapping[str, Any], where: str, errors: _Errors) -> dict[str, Any]:
    """max_queue_size, max_age (seconds), drop_non_retryable_data and allow_insecure_tls, checked."""
    settings: dict[str, Any] = {"max_queue_size": None, "max_age": None, "drop_non_retryable_data": None,
                                "allow_insecure_tls": False}
    size = entry.get("max_queue_size")
    if size is not None:
        if isinstance(size, bool) or not str(size).strip().isdigit() or int(str(size)) < MIN_REPLICATION_QUEUE:
            errors.add(where, "max_queue_size must be a number of bytes, at least %d (32 MiB), got %r."
                       % (MIN_REPLICATION_QUEUE, size))
        else:
            settings["max_queue_size"] = int(str(size))
    if entry.get("max_age") is not None:
        try:
            age = parse_duration(entry["max_age"], "max_age")
        except InvalidInput as e:
            errors.add(where, "%s." % e)
        else:
            if age and not MAX_AGE_RANGE[0] <= age <= MAX_AGE_RANGE[1]:
                errors.add(where, "max_age must be 0 (InfluxDB's default) or between 1m and 60d, got %r."
                           % (entry["max_age"],))
            else:
                settings["max_age"] = age
    for key in ("drop_non_retryable_data", "allow_insecure_tls"):
        if entry.get(key) is not None:
            value = _as_bool(entry[key])
            if value is None:
                errors.add(where, "%s must be true or false, got %r." % (key, entry[key]))
            else:
                settings[key] = value
    return settings


def plan_replications(entries: Sequence[Any] | None, bucket_names: Iterable[str], stack_name: str,
                      errors: _Errors) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(remote connections, replications) of ``tickstack_replications``; every problem goes to ``errors``.

    Messages name the entry by its index and name and never show a value of ``remote_token``.
    """
    known = sorted(set(bucket_names))
    remotes: list[dict[str, Any]] = []
    replications: list[dict[str, Any]] = []
    names: dict[str, int] = {}
    replication_names: dict[str, str] = {}
    for index, entry in enumerate(entries or []):
        where = "tickstack_replications[%d]" % index
        if not isinstance(entry, Mapping):
            errors.add(where, "must be a mapping with name, local_buckets, remote_url, remote_org_id (or remote_org), "
                       "remote_token and optionally remote_bucket, got a %s." % type(entry).__name__)
            continue
        name = entry.get("name")
        if not isinstance(name, str) or not _STACK_NAME.fullmatch(name):
            errors.add(where, "name must be letters, digits, '_', '.' and '-' (it names the remote connection and "
                       "its replications), got %r." % (name,))
            continue
        where = "%s (%s)" % (where, name)
        if name in names:
            errors.add(where, "the name is already used by tickstack_replications[%d]; give each entry its own."
                       % names[name])
            continue
        names[name] = index
        known_errors = len(errors)
        unknown = sorted(str(k) for k in entry if k not in REPLICATION_KEYS)
        if unknown:
            errors.add(where, "unknown key%s %s; the keys are %s." % (
                "" if len(unknown) == 1 else "s", ", ".join(unknown),
                ", ".join(k for k in REPLICATION_KEYS if k != "remote_token_set")))
        local = entry.get("local_buckets")
        if not isinstance(local, Sequence) or isinstance(local, (str, bytes)) or not local \
                or not all(isinstance(b, str) and b.strip() for b in local):
            errors.add(where, "local_buckets must be a non-empty list of bucket names, got %r." % (local,))
            local = []
        missing = [b for b in local if b not in known]
        if missing:
            errors.add(where, "local_buckets %s %s not among the buckets of tickstack_databases (%s); add %s there."
                       % (", ".join(missing), "is" if len(missing) == 1 else "are", ", ".join(known) or "none",
                          "it" if len(missing) == 1 else "them"))
        url_error = _remote_url_error(entry.get("remote_url"))
        if url_error:
            errors.add(where, url_error)
        org_id, org = entry.get("remote_org_id"), entry.get("remote_org")
        if bool(org_id) == bool(org):
            errors.add(where, "give exactly one of remote_org_id (the remote organization's ID, the robust choice) and "
                       "remote_org (its name, looked up on the remote at every run).")
        elif org_id and not _HEX_ID.fullmatch(str(org_id)):
            errors.add(where, "remote_org_id must be an InfluxDB ID (16 hexadecimal digits), got %r." % (org_id,))
        if not entry.get("remote_token_set", bool(entry.get("remote_token"))):
            errors.add(where, "remote_token is empty: set it from a vault variable (a token of the remote InfluxDB "
                       "that may write the remote bucket).")
        remote_bucket = entry.get("remote_bucket")
        if remote_bucket is not None and (not isinstance(remote_bucket, str) or not remote_bucket.strip()):
            errors.add(where, "remote_bucket must be a bucket name of the remote InfluxDB, got %r." % (remote_bucket,))
        settings = _replication_settings(entry, where, errors)
        if len(errors) > known_errors:
            continue
        description = replication_description(stack_name, name)
        remotes.append({"index": index, "name": name, "remote_url": str(entry["remote_url"]).rstrip("/"),
                        "remote_org_id": org_id or None, "remote_org": org or None,
                        "allow_insecure_tls": settings.pop("allow_insecure_tls"), "description": description})
        for bucket in local:
            replication_name = "%s-%s" % (name, bucket)
            if replication_name in replication_names:
                clash = replication_names[replication_name]
                errors.add(where, "its replication of %s would be called %s like one of tickstack_replications entry "
                           "%s; rename one of the entries." % (bucket, replication_name, clash))
                continue
            replication_names[replication_name] = name
            replications.append(dict(settings, name=replication_name, remote=name, local_bucket=bucket,
                                     remote_bucket=remote_bucket or bucket, description=description))
    return remotes, replications


def replications_to_prune(listed_remotes: Sequence[Mapping[str, Any]] | None,
                          listed_replications: Sequence[Mapping[str, Any]] | None, stack_name: str,
                          remotes: Sequence[Mapping[str, Any]], replications: Sequence[Mapping[str, Any]]
                          ) -> dict[str, list[dict[str, Any]]]:
    """This stack's remote connections and replications (marked by :func:`replication_description`) that the plan
    no longer lists, by name. Anything with another description is not this stack's and is never touched."""
    prefix = replication_description(stack_name, "")

    def stale(listed, keep):
        wanted = {str(item["name"]) for item in keep}
        return sorted(({"name": str(item.get("name")), "id": item.get("id")} for item in listed or []
                       if str(item.get("description") or "").startswith(prefix)
                       and str(item.get("name")) not in wanted), key=lambda item: item["name"])

    return {"replications": stale(listed_replications, replications), "remotes": stale(listed_remotes, remotes)}


# --- pruning --------------------------------------------------------------------------------------

def parse_description(description: str, stack_name: str) -> tuple[str, str] | None:
    """(service, host) of a token this stack marked, None for any other description."""
    prefix = "%s:%s:" % (TOKEN_PREFIX, stack_name)
    if not description.startswith(prefix):
        return None
    service, sep, host = description[len(prefix):].partition(":")
    if not sep or service not in SERVICES or not host:
        return None
    return service, host


def tokens_to_prune(authorizations: Sequence[Mapping[str, Any]] | None, stack_name: str,
                    expected: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The descriptions of this stack's tokens to revoke, with their IDs and why.

    ``expected`` are the plan's ``tokens`` (service and host of every token the stack keeps).
    Revoked: a token marked ``tickstack:<stack_name>:<service>:<host>`` whose host no longer runs
    that service in the inventory; a 0.1.0 token (``tickstack <service> <host>``) once the host's
    new token exists, or, for the default stack name (the only one 0.1.0 knew), when the host no
    longer runs that service. Anything else is not this stack's and is never touched.
    """
    keep = {(str(t["service"]), str(t["host"])) for t in expected}
    marked: set[tuple[str, str]] = set()
    for auth in authorizations or []:
        parsed = parse_description(str(auth.get("description") or ""), stack_name)
        if parsed:
            marked.add(parsed)

    found: dict[str, dict[str, Any]] = {}
    for auth in authorizations or []:
        description = str(auth.get("description") or "")
        parsed = parse_description(description, stack_name)
        reason = None
        if parsed and parsed not in keep:
            reason = "%s no longer runs %s in this inventory" % (parsed[1], parsed[0])
        legacy = _LEGACY_DESCRIPTION.fullmatch(description)
        if legacy:
            pair = (legacy.group(1), legacy.group(2))
            if pair in marked and pair in keep:
                reason = "0.1.0 token, replaced by %s" % token_description(stack_name, *pair)
            elif pair not in keep and stack_name == DEFAULT_STACK_NAME:
                reason = "0.1.0 token of %s, which no longer runs %s in this inventory" % (pair[1], pair[0])
        if reason:
            item = found.setdefault(description, {"description": description, "ids": [], "reason": reason})
            item["ids"].append(auth.get("id"))
    return sorted(found.values(), key=lambda item: item["description"])
