# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Kapacitor 1.x API client shared by the ``kapacitor_*`` modules, plus what they need to compare.

Built on :mod:`.http_client` (standard library only). It never calls ``fail_json``: API failures are
the typed :class:`~.http_client.ApiError` subclasses (with Kapacitor's own hints), bad input is
:class:`~.errors.InvalidInput` and a change that failed midway is :class:`KapacitorFailure`; the module
runner turns them all into one message.

The API shapes come from Kapacitor 1.8's own source (``services/task_store/service.go``,
``client/v1/client.go``, ``services/alert/api.go``, ``tick/ast/lex.go``):

* a task or template script is stored as sent; ``GET ?script-format=raw`` returns it unchanged;
* ``PATCH`` of a task validates before it stores anything, but does not restart an enabled task:
  ``kapacitor define`` reloads it by disabling and enabling it, and so do the modules;
* ``PATCH`` ignores an empty ``vars`` object and cannot detach a task from its template;
* errors come back as ``{"error": ..., "message": ...}``.
"""

from __future__ import annotations

import copy
import os
import re
import time
from functools import partialmethod

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.errors import AnsibleFallbackNotFound
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.module_utils.six.moves.urllib.parse import urlsplit, urlunsplit, unquote

from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput, OperationFailed
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import (
    AuthenticationFailed,
    HttpClient,
    NotFound,
    PermissionDenied,
    ServerUnreachable,
    WrongServer,
    excerpt,
    path_quote,
    tls_argument_spec,
    tls_options,
)
from ansible_collections.tickstack.influx.plugins.module_utils.masking import is_secret_name, mask, secret_values
from ansible_collections.tickstack.influx.plugins.module_utils.tickscript import script_key

DEFAULT_URL = "http://localhost:9092"
API = "/kapacitor/v1"
USER_AGENT = "ansible-tickstack.influx"

TASK_TYPES = ("stream", "batch")
VAR_TYPES = ("bool", "int", "float", "string", "regex", "duration", "lambda", "list", "star")


# ---------------------------------------------------------------------------------------------
# Connection options
# ---------------------------------------------------------------------------------------------

def _unsafe_ssl_fallback():
    """``validate_certs`` from ``KAPACITOR_UNSAFE_SSL``, the variable the kapacitor CLI reads (inverted)."""
    value = os.environ.get("KAPACITOR_UNSAFE_SSL")
    if value is None or value == "":
        raise AnsibleFallbackNotFound
    try:
        return not boolean(value, strict=True)
    except TypeError:
        raise AnsibleFallbackNotFound from None


def kapacitor_argument_spec(**module_options):
    """The connection options every ``kapacitor_*`` module takes (documented in the ``kapacitor`` fragment),
    merged with ``module_options``."""
    spec = tls_argument_spec(
        url=dict(type="str", default=DEFAULT_URL, fallback=(env_fallback, ["KAPACITOR_URL"])),
        username=dict(type="str", fallback=(env_fallback, ["KAPACITOR_USERNAME"])),
        password=dict(type="str", no_log=True, fallback=(env_fallback, ["KAPACITOR_PASSWORD"])),
        validate_certs=dict(type="bool", default=True, fallback=(_unsafe_ssl_fallback,)),
    )
    spec.update(module_options)
    return spec


def split_url_credentials(url):
    """Return ``(url_without_userinfo, username, password)``.

    The kapacitor CLI takes credentials as ``http://user:pass@host:9092`` (Go sends URL userinfo as
    basic auth), so ``KAPACITOR_URL`` values written for it work here too. The credentials are taken
    out of the URL so that it can be shown in messages.
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, _sep, hostport = parts.netloc.rpartition("@")
    username, _sep, password = userinfo.partition(":")
    clean = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    return clean, unquote(username) or None, unquote(password) if _sep else None


# What to check, by error, when the server is Kapacitor (the defaults speak of InfluxDB tokens).
HINTS = {
    ServerUnreachable: "check the url option and that kapacitord is running",
    AuthenticationFailed: ("Kapacitor has [http] auth-enabled = true and rejected the credentials; "
                           "check the username and password options"),
    PermissionDenied: "the Kapacitor user lacks the privilege for this call",
}


def client_from_params(params, transport=None, sleep=None):
    """Build a :class:`KapacitorClient` from module parameters (the ``kapacitor_argument_spec`` keys)."""
    url, url_user, url_password = split_url_credentials(params.get("url") or DEFAULT_URL)
    username = params.get("username") or url_user
    password = params.get("password")
    # An empty option (module_defaults templating a variable that is off) is no password: the URL's counts.
    if not password and username == url_user:
        password = url_password
    if password and not username:
        raise InvalidInput("password is set but username is not: Kapacitor's basic auth needs both")
    kwargs = {}
    if sleep is not None:
        kwargs["sleep"] = sleep
    http = HttpClient(
        url,
        headers={"User-Agent": USER_AGENT},
        url_username=username,
        url_password=password or "",
        transport=transport,
        service="Kapacitor",
        hints=HINTS,
        **dict(tls_options(params), **kwargs)
    )
    return KapacitorClient(http)


def connect(module):
    """The client of a module. No ping: the first reply of its first real request proves the server is
    Kapacitor (see :meth:`KapacitorClient.identify`), one call fewer on every run."""
    return client_from_params(module.params)


class KapacitorFailure(OperationFailed):
    """A failure whose message is ready for the user (it says what was left behind).

    ``cause``, the :class:`~.http_client.ApiError` behind it, adds its HTTP status, method and URL to
    ``fail_json``.
    """


# ---------------------------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------------------------

class KapacitorClient(object):
    """The Kapacitor 1.x HTTP API (``/kapacitor/v1``): tasks, templates, topics and handlers."""

    def __init__(self, http):
        self.http = http
        # The X-Kapacitor-Version of the first reply; None until a reply came.
        self.version = None
        http.identify = self.identify

    @property
    def url(self):
        return self.http.base_url

    def identify(self, resp):
        """Prove, on the first reply the client gets (any status but a retried 429/5xx), that the server is
        Kapacitor: kapacitord puts ``X-Kapacitor-Version`` on every reply of its API, errors included.
        So a module needs no ping before its real request, and a url that points at another server
        (InfluxDB on 8086, a proxy's page) still fails on the first call with a message that says so."""
        if self.version is not None:
            return
        version = resp.headers.get("x-kapacitor-version")
        if version is None:
            why = ("no Kapacitor API here" if resp.status == 404 else
                   "the server answered but is not Kapacitor (no X-Kapacitor-Version header)")
            message = "%s; check that the url points at kapacitord (port 9092 by default); it answered %r" % (
                why, excerpt(resp.text))
            raise WrongServer(message, status=resp.status, method=resp.method, url=resp.url, body=resp.text)
        self.version = version

    def ping(self):
        """Check the server answers as Kapacitor; return its version (the ``X-Kapacitor-Version`` header)."""
        self.http.request("GET", API + "/ping", expect=(200, 204))
        return self.version

    def server_version(self):
        """The version from the replies so far, or from a ping when there was none."""
        return self.version if self.version is not None else self.ping()

    # Tasks and templates: one REST shape under /tasks and /templates -------------------------
    def _path(self, kind, object_id=None):
        return "%s/%s" % (API, kind) if object_id is None else "%s/%s/%s" % (API, kind, path_quote(object_id))

    def _get(self, kind, object_id, **query):
        """One object with its script exactly as stored, or None."""
        return self.http.get_or_none(self._path(kind, object_id), query=dict(query, **{"script-format": "raw"}))

    def _list(self, kind, pattern=None, fields=None):
        """Every object; ``fields`` (repeated in the query) limits what each one carries."""
        query = {"script-format": "raw", "pattern": pattern or None, "fields": list(fields or [])}
        return list(self.http.paginate(self._path(kind), kind, query=query, required=("id",)))

    def _create(self, kind, body):
        return self.http.post(self._path(kind), body, required=("id",))

    def _update(self, kind, object_id, body):
        return self.http.patch(self._path(kind, object_id), body, required=("id",))

    def _delete(self, kind, object_id):
        self.http.request("DELETE", self._path(kind, object_id), expect=(204, 404))

    def get_task(self, task_id):
        return self._get("tasks", task_id, **{"dot-view": "attributes"})

    list_tasks = partialmethod(_list, "tasks")
    create_task = partialmethod(_create, "tasks")
    update_task = partialmethod(_update, "tasks")
    delete_task = partialmethod(_delete, "tasks")
    get_template = partialmethod(_get, "templates")
    list_templates = partialmethod(_list, "templates")
    create_template = partialmethod(_create, "templates")
    update_template = partialmethod(_update, "templates")
    delete_template = partialmethod(_delete, "templates")

    # Alert topics and their handlers ---------------------------------------------------------
    def list_topics(self, pattern=None):
        query = {"pattern": pattern} if pattern else None
        return self.http.items(API + "/alerts/topics", "topics", query=query)

    def list_handlers(self, topic):
        return self.http.items("%s/alerts/topics/%s/handlers" % (API, path_quote(topic)), "handlers")

    def get_handler(self, topic, handler_id):
        return self.http.get_or_none(self._handler_path(topic, handler_id))

    def create_handler(self, topic, body):
        return self.http.post("%s/alerts/topics/%s/handlers" % (API, path_quote(topic)), body, required=("id",))

    def replace_handler(self, topic, handler_id, body):
        # Kapacitor answers a handler it cannot build with 500: retrying would only repeat that.
        return self.http.request("PUT", self._handler_path(topic, handler_id), json_body=body,
                                 idempotent=False).json_object("id")

    def delete_handler(self, topic, handler_id):
        self.http.request("DELETE", self._handler_path(topic, handler_id), expect=(204, 404))

    @staticmethod
    def _handler_path(topic, handler_id):
        return "%s/alerts/topics/%s/handlers/%s" % (API, path_quote(topic), path_quote(handler_id))

    # Users (services/auth/service.go; the routes exist only with [auth] enabled = true) ---------
    def _user_path(self, name=None):
        return API + "/users" if name is None else "%s/users/%s" % (API, path_quote(name))

    def get_user(self, name):
        """The user, or None. Without ``[auth] enabled = true`` there is no users API: its 404 is an error."""
        try:
            return self.http.get(self._user_path(name), required=("name",))
        except NotFound as e:
            if e.message == "no user exists":
                return None
            raise NotFound("Kapacitor has no users API here; set [auth] enabled = true in kapacitor.conf",
                           status=e.status, method=e.method, url=e.url) from None

    def user_names(self, pattern):
        """The names of the users whose name matches the glob ``pattern`` (one call, up to 1000)."""
        found = self.http.get(self._user_path(), query={"fields": "name", "pattern": pattern, "limit": "1000"},
                              required=("users",))
        return sorted(u.get("name") for u in found["users"] if isinstance(u, dict) and u.get("name"))

    def create_user(self, body):
        # Kapacitor answers a create of a name that exists 200 with an empty name and stores nothing:
        # the caller checks the name.
        return self.http.post(self._user_path(), body)

    def update_user(self, name, body):
        return self.http.patch(self._user_path(name), body, required=("name",))

    def delete_user(self, name):
        # Kapacitor answers 204 whether or not the user existed.
        self.http.request("DELETE", self._user_path(name), expect=(204, 404))

    def as_user(self, username, password):
        """The same server, other credentials (``None`` for none)."""
        http = copy.copy(self.http)
        http.options = dict(self.http.options, url_username=username, url_password=password or "")
        return KapacitorClient(http)

    def authenticates(self):
        """Whether these credentials log in: a ping answered 204, or 403 (known, but not allowed to
        ping: a user without permissions), is a login; 401 is not."""
        try:
            self.http.request("GET", API + "/ping", expect=(200, 204))
        except PermissionDenied:
            return True
        except AuthenticationFailed:
            return False
        return True

    def auth_enforced(self):
        """Whether Kapacitor runs with ``[http] auth-enabled = true`` (an anonymous ping is refused)."""
        return not self.as_user(None, None).authenticates()


# ---------------------------------------------------------------------------------------------
# TICKscript: tokens, type, dbrp statements
# ---------------------------------------------------------------------------------------------
# The lexer, script_key, script_type and script_dbrps live in module_utils/tickscript.py, the one
# TICKscript lexer of the collection (the modules and the tickscript_dbrps filter share it).

def dbrps_key(dbrps):
    return sorted((d.get("db"), d.get("rp")) for d in dbrps or [])


# ---------------------------------------------------------------------------------------------
# Task vars
# ---------------------------------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+)(ns|ms|us|µs|u|µ|s|m|h|d|w)")
_NANOS = {"ns": 1, "u": 1000, "µ": 1000, "us": 1000, "µs": 1000, "ms": 10 ** 6, "s": 10 ** 9,
          "m": 60 * 10 ** 9, "h": 3600 * 10 ** 9, "d": 86400 * 10 ** 9, "w": 7 * 86400 * 10 ** 9}


def parse_duration(text):
    """Nanoseconds of an InfluxQL duration (``90s``, ``1h30m``, ``-5m``), as Kapacitor parses var values."""
    value = str(text).strip()
    negative = value.startswith("-")
    body = value[1:] if negative else value
    pos, total = 0, 0
    while pos < len(body):
        match = _DURATION_PART.match(body, pos)
        if not match:
            raise ValueError("invalid duration %r: use a number and a unit (ns, u, ms, s, m, h, d, w), "
                             "for example 90s or 1h30m" % (text,))
        total += int(match.group(1)) * _NANOS[match.group(2)]
        pos = match.end()
    if not body:
        raise ValueError("invalid duration %r" % (text,))
    return -total if negative else total


def _infer_var_type(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, str):
        return "string"
    return None


def strip_lambda(expression):
    text = str(expression).strip()
    if text.startswith("lambda:"):
        text = text[len("lambda:"):].strip()
    return text


def wire_var(name, spec):
    """A var as the API takes it: ``{"type", "value", "description"}``.

    ``spec`` is a plain value (bool, int, float, string or list: the type follows) or a dict with
    ``type``, ``value`` and optional ``description``. Raises :class:`~.errors.InvalidInput` with the var's name.
    """
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - {"type", "value", "description"})
        if unknown:
            raise InvalidInput("var %s: unknown keys %s (use type, value, description)" % (name, ", ".join(unknown)))
        if "type" not in spec:
            raise InvalidInput("var %s: a dict needs a type (one of %s)" % (name, ", ".join(VAR_TYPES)))
        var_type, value, description = spec["type"], spec.get("value"), spec.get("description") or ""
    else:
        var_type, value, description = _infer_var_type(spec), spec, ""
        if var_type is None:
            raise InvalidInput("var %s: cannot tell the type of %r; give it as {type: ..., value: ...}" % (name, spec))
    if var_type not in VAR_TYPES:
        raise InvalidInput("var %s: unknown type %r (one of %s)" % (name, var_type, ", ".join(VAR_TYPES)))
    return {"type": var_type, "value": _coerce_var(name, var_type, value), "description": str(description)}


def _coerce_var(name, var_type, value):
    if var_type == "star":
        if value not in (None, "", "*"):
            raise InvalidInput("var %s: a star var has no value" % name)
        return None
    if value is None:
        raise InvalidInput("var %s: a %s var needs a value" % (name, var_type))
    if var_type == "list":
        if not isinstance(value, (list, tuple)):
            raise InvalidInput("var %s: a list var takes a list, got %r" % (name, value))
        return [wire_var("%s[%d]" % (name, index), item) for index, item in enumerate(value)]
    if var_type == "duration" and isinstance(value, str):
        try:
            return parse_duration(value)
        except ValueError as e:
            raise InvalidInput("var %s: %s" % (name, e)) from None
    try:
        return _SCALARS[var_type](value)
    except (TypeError, ValueError):
        raise InvalidInput("var %s: %r is not a valid %s" % (name, value, var_type)) from None


def _strict_int(value):
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError
    return int(value)


def _strict_float(value):
    if isinstance(value, bool):
        raise ValueError
    return float(value)


def _text(value):
    if isinstance(value, (dict, list, tuple)):
        raise ValueError
    return str(value)


_SCALARS = {
    "bool": lambda value: boolean(value, strict=True),
    "int": _strict_int,
    "float": _strict_float,
    # Kapacitor reads a number as nanoseconds: the API's own unit.
    "duration": _strict_int,
    "lambda": lambda value: strip_lambda(_text(value)),
    "string": _text,
    "regex": _text,
}


def wire_vars(specs):
    """All vars of a task in the API's form; None stays None (vars not managed)."""
    if specs is None:
        return None
    return dict((name, wire_var(name, spec)) for name, spec in specs.items())


def _var_key(var):
    var_type = var.get("type")
    value = var.get("value")
    if var_type == "float" and value is not None:
        value = float(value)
    elif var_type in ("int", "duration") and value is not None:
        value = int(value)
    elif var_type == "lambda":
        value = script_key(strip_lambda(value or ""))
    elif var_type == "list":
        value = tuple(_var_key(item) for item in value or [])
    elif var_type == "star":
        value = None
    return (var_type, value, var.get("description") or "")


def vars_key(variables):
    """What two sets of vars are compared by (Kapacitor returns 2.0 as 2 and durations in ns)."""
    return dict((name, _var_key(var)) for name, var in (variables or {}).items())


# ---------------------------------------------------------------------------------------------
# What the modules return
# ---------------------------------------------------------------------------------------------

def task_summary(task, include_stats=False):
    """A task as the modules return it: snake_case keys, no links or graphviz."""
    if task is None:
        return None
    summary = {
        "id": task.get("id"),
        "type": task.get("type"),
        "status": task.get("status"),
        "executing": task.get("executing", False),
        "error": task.get("error", ""),
        "dbrps": task.get("dbrps") or [],
        "script": task.get("script"),
        "vars": task.get("vars") or {},
        "template_id": task.get("template-id") or "",
        "created": task.get("created"),
        "modified": task.get("modified"),
        "last_enabled": task.get("last-enabled"),
    }
    if include_stats:
        stats = task.get("stats") or {}
        summary["stats"] = {"task_stats": stats.get("task-stats") or {}, "node_stats": stats.get("node-stats") or {}}
    return summary


def template_summary(template):
    if template is None:
        return None
    return {
        "id": template.get("id"),
        "type": template.get("type"),
        "script": template.get("script"),
        "vars": template.get("vars") or {},
        "error": template.get("error", ""),
        "created": template.get("created"),
        "modified": template.get("modified"),
    }


def handler_summary(topic, handler):
    if handler is None:
        return None
    return {
        "topic": topic,
        "id": handler.get("id"),
        "kind": handler.get("kind"),
        "options": handler.get("options") or {},
        "match": handler.get("match") or "",
    }


# Which handler options are secret: the rules live once in module_utils/masking.py (option_secrets).
def is_secret_option(key):
    """Whether a handler option called ``key`` is secret as a whole (``url``, ``routing-key``, ``token``...)."""
    return is_secret_name(key)


def secret_option_values(options):
    """Every secret substring of handler options, for ``module.no_log_values``: values of secret options
    and the credentials inside URLs of the others (see :func:`.masking.option_secrets`)."""
    return secret_values(options or {})


def mask_options(options):
    """A copy of handler options with every secret of :func:`secret_option_values` masked, for the diff."""
    return mask(options or {})


# ---------------------------------------------------------------------------------------------
# Task statistics between two samples (kapacitor_task_stats)
# ---------------------------------------------------------------------------------------------
# Kapacitor 1.8 (task_store/service.go, pipeline node stats): every node reports the counters
# ``collected`` (points or batches it received), ``emitted``, ``errors``; a query node also
# ``batches_queried`` and ``points_queried`` (a failed query counts only in its ``errors``: 1.8.3 has
# no ``query_errors``, older releases did), an influxDBOut node ``points_written`` and
# ``write_errors``. Node names end in their position in the pipeline (stream0, from1, query1...).

TASK_STATS_FIELDS = ("id", "type", "status", "executing", "error", "dbrps", "stats")
_NODE_INDEX_RE = re.compile(r"(\d+)$")


def node_order(node_stats):
    """The node names in pipeline order (by the number they end in, then by name)."""
    def key(name):
        match = _NODE_INDEX_RE.search(name)
        return (int(match.group(1)) if match else 1 << 30, name)
    return sorted(node_stats or {}, key=key)


def _counter_delta(before, after):
    """How much a counter grew; a counter that went down was reset (the task restarted): its new value."""
    if not isinstance(after, (int, float)) or isinstance(after, bool):
        return None
    if not isinstance(before, (int, float)) or isinstance(before, bool):
        return None
    return after - before if after >= before else after


def node_deltas(before, after):
    """Per node, how much each counter grew between two samples of ``node-stats`` (only nodes in both)."""
    deltas = {}
    for name, stats in (after or {}).items():
        old = (before or {}).get(name)
        if not isinstance(stats, dict) or not isinstance(old, dict):
            continue
        grown = {}
        for key, value in stats.items():
            if key == "avg_exec_time_ns" or key == "working_cardinality":
                continue  # gauges, not counters
            delta = _counter_delta(old.get(key), value)
            if delta is not None:
                grown[key] = delta
        deltas[name] = grown
    return deltas


def _query_node(name):
    return name.startswith("query")


def _sum(deltas, key, nodes=None):
    return sum(values.get(key, 0) for name, values in deltas.items() if nodes is None or name in nodes)


def task_sample_stats(before, after, interval):
    """One task's health numbers from two samples (task dicts as the API returns them) ``interval`` s apart.

    ``before`` may be None (one sample only, or the task appeared in between): the deltas are then None.
    """
    stats = (after.get("stats") or {}).get("node-stats") or {}
    order = node_order(stats)
    first = order[0] if order else None
    result = {
        "id": after.get("id"),
        "type": after.get("type"),
        "status": after.get("status"),
        "executing": bool(after.get("executing", False)),
        "error": after.get("error") or "",
        "dbrps": after.get("dbrps") or [],
        "node_stats": stats,
        "nodes": order,
        "first_node": first,
        "collected": (stats.get(first) or {}).get("collected") if first else None,
        "interval": interval,
        "received": None,
        "emitted": None,
        "errors": None,
        "query_errors": None,
        "batches_queried": None,
        "points_written": None,
        "write_errors": None,
        "node_deltas": None,
    }
    if before is None:
        return result
    deltas = node_deltas((before.get("stats") or {}).get("node-stats"), stats)
    queries = [name for name in deltas if _query_node(name)]
    first_delta = deltas.get(first) or {}
    result.update({
        "received": first_delta.get("collected"),
        "emitted": first_delta.get("emitted"),
        "errors": _sum(deltas, "errors"),
        "query_errors": _sum(deltas, "errors", queries) + _sum(deltas, "query_errors", queries) if queries else 0,
        "batches_queried": _sum(deltas, "batches_queried", queries) if queries else None,
        "points_written": _sum(deltas, "points_written"),
        "write_errors": _sum(deltas, "write_errors"),
        "node_deltas": deltas,
    })
    return result


def sample_tasks(client, interval, pattern=None, sleep=None, baseline=None):
    """Two lists of the tasks with their stats, ``interval`` seconds apart (one with ``interval`` 0):
    two HTTP calls in all, whatever the number of tasks. Returns the tasks by ID from
    :func:`task_sample_stats`, sorted by ID.

    ``baseline``: ``(tasks, seconds)``, the tasks of an earlier sample (as this function returns them,
    with their ``node_stats``) taken ``seconds`` ago; one list then, compared with it.
    """
    first = None
    if baseline is not None:
        tasks, interval = baseline
        first = dict((t["id"], {"stats": {"node-stats": t.get("node_stats") or {}}}) for t in tasks)
    elif interval > 0:
        first = dict((t["id"], t) for t in client.list_tasks(pattern=pattern, fields=TASK_STATS_FIELDS))
        (sleep or time.sleep)(interval)
    second = client.list_tasks(pattern=pattern, fields=TASK_STATS_FIELDS)
    found = [task_sample_stats(first.get(t["id"]) if first is not None else None, t, interval) for t in second]
    return sorted(found, key=lambda t: t["id"])
