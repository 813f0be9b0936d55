# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A small InfluxDB 1.x client over :class:`~.http_client.HttpClient`: InfluxQL through ``/query``.

What it reads follows InfluxDB 1.x's own ``coordinator/statement_executor.go``: each ``SHOW ...``
answers one series (or one per database) of ``columns`` and ``values``; rows are read by column name,
because the columns differ between releases (1.11 added ``futureWriteLimit`` and ``pastWriteLimit``
to ``SHOW RETENTION POLICIES``). A statement that fails comes back as HTTP 200 with an ``error`` in its
result: that is raised as :class:`QueryFailed`. Like the other clients it never calls ``fail_json``.
"""

from __future__ import annotations

import base64
import csv
import json
import re
from urllib.parse import urlsplit, urlunsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import (
    ApiError,
    AuthenticationFailed,
    HttpClient,
    PermissionDenied,
    Response,
    tls_argument_spec,
    tls_options,
)

__all__ = ["InvalidInput"]

DEFAULT_URL = "http://localhost:8086"
SERVICE = "InfluxDB 1.x"
HINTS = {
    AuthenticationFailed: "the username or password was rejected; check the username and password options",
    PermissionDenied: "the user is valid but not allowed this statement (users, grants, continuous queries "
                      "and subscriptions need an admin user)",
}
# SHOW GRANTS spells privileges like this (influxql.Privilege.String()).
PRIVILEGES = {"READ": "read", "WRITE": "write", "ALL PRIVILEGES": "all", "NO PRIVILEGES": "none"}
# The database InfluxDB keeps its own monitoring in (written when [monitor] store-enabled = true).
INTERNAL_DATABASE = "_internal"
MASK = "********"

_GO_DURATION_PART_RE = re.compile(r"(\d+(?:\.\d+)?)(ns|us|\u00b5s|ms|s|m|h)")
_GO_DURATION_RE = re.compile(r"^(?:\d+(?:\.\d+)?(?:ns|us|\u00b5s|ms|s|m|h))+$")
_GO_UNIT_NANOS = {"h": 3600 * 10 ** 9, "m": 60 * 10 ** 9, "s": 10 ** 9, "ms": 10 ** 6, "us": 10 ** 3,
                  "\u00b5s": 10 ** 3, "ns": 1}


class QueryFailed(ApiError):
    """A statement the server answered with an ``error`` in its result (HTTP 200 or 400)."""

    default_hint = ""


# --------------------------------------------------------------------------------------------------
# Argument spec and client construction
# --------------------------------------------------------------------------------------------------

def influxdb1_argument_spec(**module_options):
    """The connection options every influxdb1 module accepts, merged with ``module_options``."""
    spec = tls_argument_spec(
        url=dict(type="str", default=DEFAULT_URL, fallback=(env_fallback, ["INFLUXDB1_URL"])),
        username=dict(type="str", fallback=(env_fallback, ["INFLUX_USERNAME"])),
        password=dict(type="str", no_log=True, fallback=(env_fallback, ["INFLUX_PASSWORD"])),
    )
    spec.update(module_options)
    return spec


def connect(module, transport=None):
    """An :class:`InfluxDB1Client` from the module's connection options."""
    params = module.params
    if params.get("password") and not params.get("username"):
        raise InvalidInput("username: a password was given without a username")
    return InfluxDB1Client(params["url"], username=params.get("username"), password=params.get("password"),
                           transport=transport, **tls_options(params))


# --------------------------------------------------------------------------------------------------
# InfluxQL text
# --------------------------------------------------------------------------------------------------

def quote_ident(name: str) -> str:
    """``name`` as a double-quoted InfluxQL identifier (any name, even ``one-week.v2``)."""
    return '"%s"' % str(name).replace("\\", "\\\\").replace('"', '\\"')


def quote_string(text: str) -> str:
    """``text`` as a single-quoted InfluxQL string literal."""
    return "'%s'" % str(text).replace("\\", "\\\\").replace("'", "\\'")


def qualified(database: str, retention_policy: str, measurement: str) -> str:
    return ".".join(quote_ident(part) for part in (database, retention_policy, measurement))


def parse_go_duration(text) -> int:
    """Whole seconds in a Go duration as 1.x prints it (``168h0m0s``; ``0s`` is infinite and gives 0)."""
    value = str(text or "").strip()
    if value in ("", "0", "INF", "inf"):
        return 0
    if not _GO_DURATION_RE.match(value):
        raise InvalidInput("%r is not a duration InfluxDB 1.x reports (such as 168h0m0s)" % (text,))
    nanos = sum(float(amount) * _GO_UNIT_NANOS[unit] for amount, unit in _GO_DURATION_PART_RE.findall(value))
    return int(round(nanos / 10 ** 9))


def rows(series: dict) -> list[dict]:
    """The ``values`` of one series as dicts keyed by its ``columns``."""
    columns = series.get("columns") or []
    return [dict(zip(columns, values)) for values in series.get("values") or []]


def mask_url(url: str) -> str:
    """``url`` with the password of its user part masked (subscription destinations may carry one)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = "%s:%d" % (host, parts.port)
    return urlunsplit((parts.scheme, "%s:%s@%s" % (parts.username or "", MASK, host), parts.path, parts.query,
                       parts.fragment))


# --------------------------------------------------------------------------------------------------
# Object shapes (what the info module returns; the migration plan reads the same shapes)
# --------------------------------------------------------------------------------------------------

def retention_policy_summary(database: str, row: dict) -> dict:
    duration = parse_go_duration(row.get("duration"))
    shard = parse_go_duration(row.get("shardGroupDuration"))
    return {
        "database": database,
        "name": row.get("name"),
        "duration": row.get("duration"),
        "duration_seconds": duration,
        "shard_group_duration": row.get("shardGroupDuration"),
        "shard_group_duration_seconds": shard,
        "replication": row.get("replicaN"),
        "default": bool(row.get("default")),
    }


def subscription_summary(database: str, row: dict) -> dict:
    return {
        "database": database,
        "retention_policy": row.get("retention_policy"),
        "name": row.get("name"),
        "mode": row.get("mode"),
        "destinations": [mask_url(d) for d in row.get("destinations") or []],
    }


def privilege_summary(row: dict) -> dict:
    text = str(row.get("privilege") or "")
    return {"database": row.get("database"), "privilege": PRIVILEGES.get(text, text.lower())}


# --------------------------------------------------------------------------------------------------
# Line protocol (for the copy into InfluxDB 2)
# --------------------------------------------------------------------------------------------------

def _escape(text: str, specials: str) -> str:
    out = str(text)
    for char in specials:
        out = out.replace(char, "\\" + char)
    return out


def field_value(value, field_type: str):
    """One field value in line protocol for its 1.x type (JSON gives 1 for the float 1.0)."""
    if field_type == "integer":
        return "%di" % int(value)
    if field_type == "unsigned":
        return "%du" % int(value)
    if field_type == "boolean":
        return "true" if value else "false"
    if field_type == "string":
        return '"%s"' % str(value).replace("\\", "\\\\").replace('"', '\\"')
    return repr(float(value))


def line(measurement: str, tags: dict, fields: dict, field_types: dict, timestamp: int) -> str | None:
    """One point in line protocol; None when every field is null (1.x fills absent fields with null)."""
    rendered = []
    for key in sorted(fields):
        value = fields[key]
        if value is None:
            continue
        rendered.append("%s=%s" % (_escape(key, ", ="), field_value(value, field_types.get(key, "float"))))
    if not rendered:
        return None
    head = _escape(measurement, ", ")
    tag_text = "".join(",%s=%s" % (_escape(k, ", ="), _escape(v, ", =")) for k, v in sorted(tags.items()) if v)
    return "%s%s %s %d" % (head, tag_text, ",".join(rendered), int(timestamp))


# --------------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------------

class InfluxDB1Client(object):
    """InfluxQL over ``/query`` with basic authentication; lists come back as dicts."""

    def __init__(self, url=DEFAULT_URL, username=None, password=None, validate_certs=True, ca_path=None,
                 client_cert=None, client_key=None, timeout=10, transport=None, retries=3, sleep=None):
        headers = {}
        if username:
            basic = base64.b64encode(("%s:%s" % (username, password or "")).encode("utf-8")).decode("ascii")
            headers["Authorization"] = "Basic %s" % basic
        options = dict(validate_certs=validate_certs, ca_path=ca_path, client_cert=client_cert,
                       client_key=client_key, timeout=timeout, transport=transport, retries=retries,
                       service=SERVICE, hints=HINTS)
        if sleep is not None:
            options["sleep"] = sleep
        self.http = HttpClient(url, headers=headers, **options)
        self.url = self.http.base_url
        self.username = username

    # -- raw --------------------------------------------------------------------------------------

    def ping(self) -> str:
        """The server's version (``X-Influxdb-Version`` of ``/ping``, which needs no credentials)."""
        resp = self.http.request("GET", "/ping", expect=(200, 204))
        version = resp.headers.get("x-influxdb-version")
        if not version:
            raise resp.unexpected("no X-Influxdb-Version header: is this InfluxDB 1.x?")
        return version.lstrip("v")

    def query(self, statement: str, database: str | None = None, **params) -> list[dict]:
        """The series of a read-only ``statement`` (GET, retried); a failed statement raises :class:`QueryFailed`."""
        query = {"q": statement, "db": database}
        query.update(params)
        resp = self.http.request("GET", "/query", query=query, expect=(200, 400))
        return self._series(resp, statement)

    def execute(self, statement: str, database: str | None = None) -> list[dict]:
        """Run a statement that changes the server (POST, as 1.x requires; not retried)."""
        resp = self.http.request("POST", "/query", query={"q": statement, "db": database}, expect=(200, 400),
                                 idempotent=False)
        return self._series(resp, statement)

    def _series(self, resp, statement):
        data = resp.json_object()
        results = data.get("results")
        if resp.status == 400 or data.get("error"):
            raise QueryFailed(data.get("error") or "the server refused %r" % statement, status=resp.status,
                              method=resp.method, url=resp.url, body=resp.text)
        if not isinstance(results, list) or not results or not isinstance(results[0], dict):
            raise resp.unexpected("expected {\"results\": [...]}")
        first = results[0]
        if first.get("error"):
            raise QueryFailed("%s: %s" % (statement, first["error"]), status=resp.status, method=resp.method,
                              url=resp.url)
        series = first.get("series") or []
        if not isinstance(series, list) or not all(isinstance(s, dict) for s in series):
            raise resp.unexpected("expected a list of series")
        return series

    def stream(self, statement: str, database: str, chunk_size: int = 10000, epoch: str = "ns"):
        """Yield the series chunks of a chunked query (``chunked=true``: one JSON object a line).

        A series longer than ``chunk_size`` arrives in several chunks (``partial: true``); each chunk is
        yielded as it is, so callers never hold more than they ask for at once.
        """
        query = {"q": statement, "db": database, "chunked": "true", "chunk_size": chunk_size, "epoch": epoch}
        resp = self.http.request("GET", "/query", query=query, expect=(200, 400))
        text = resp.text
        if resp.status == 400:
            self._series(resp, statement)
        for raw in text.splitlines():
            if not raw.strip():
                continue
            try:
                chunk = json.loads(raw)
            except ValueError:
                raise resp.unexpected("a chunk of the reply is not JSON") from None
            if not isinstance(chunk, dict):
                raise resp.unexpected("expected one JSON object a line")
            if chunk.get("error"):
                raise QueryFailed("%s: %s" % (statement, chunk["error"]), status=resp.status, method=resp.method,
                                  url=resp.url)
            for result in chunk.get("results") or []:
                if result.get("error"):
                    raise QueryFailed("%s: %s" % (statement, result["error"]), status=resp.status,
                                      method=resp.method, url=resp.url)
                yield from result.get("series") or []

    # -- schema -------------------------------------------------------------------------------------

    def databases(self) -> list[str]:
        found = self.query("SHOW DATABASES")
        return [row.get("name") for s in found for row in rows(s)]

    def retention_policies(self, database: str) -> list[dict]:
        found = self.query("SHOW RETENTION POLICIES ON %s" % quote_ident(database))
        return [retention_policy_summary(database, row) for s in found for row in rows(s)]

    def users(self) -> list[dict]:
        found = self.query("SHOW USERS")
        return [{"name": row.get("user"), "admin": bool(row.get("admin"))} for s in found for row in rows(s)]

    def grants(self, username: str) -> list[dict]:
        found = self.query("SHOW GRANTS FOR %s" % quote_ident(username))
        granted = [privilege_summary(row) for s in found for row in rows(s)]
        return sorted((g for g in granted if g["privilege"] != "none"), key=lambda g: g["database"] or "")

    def continuous_queries(self) -> list[dict]:
        found = self.query("SHOW CONTINUOUS QUERIES")
        return [{"database": s.get("name"), "name": row.get("name"), "query": row.get("query")}
                for s in found for row in rows(s)]

    def subscriptions(self) -> list[dict]:
        found = self.query("SHOW SUBSCRIPTIONS")
        return [subscription_summary(s.get("name"), row) for s in found for row in rows(s)]

    def drop_subscription(self, name: str, database: str, retention_policy: str) -> None:
        self.execute("DROP SUBSCRIPTION %s ON %s.%s" % (quote_ident(name), quote_ident(database),
                                                        quote_ident(retention_policy)))

    def create_subscription(self, name: str, database: str, retention_policy: str, mode: str,
                            destinations: list[str]) -> None:
        self.execute("CREATE SUBSCRIPTION %s ON %s.%s DESTINATIONS %s %s" % (
            quote_ident(name), quote_ident(database), quote_ident(retention_policy), mode,
            ", ".join(quote_string(d) for d in destinations)))

    def measurements(self, database: str) -> list[str]:
        """Measurement names of a database (1.x keeps them per database; an RP may hold only some)."""
        statement = "SHOW MEASUREMENTS ON %s" % quote_ident(database)
        return [row.get("name") for s in self.query(statement) for row in rows(s)]

    def field_types(self, database: str, retention_policy: str, measurement: str) -> dict:
        """Field name -> 1.x type (float, integer, unsigned, string, boolean) in one RP's measurement."""
        statement = "SHOW FIELD KEYS ON %s FROM %s.%s" % (quote_ident(database), quote_ident(retention_policy),
                                                          quote_ident(measurement))
        types = {}
        for s in self.query(statement):
            for row in rows(s):
                types.setdefault(row.get("fieldKey"), row.get("fieldType"))
        return types


# --------------------------------------------------------------------------------------------------
# Copying one DBRP into an InfluxDB 2 bucket
# --------------------------------------------------------------------------------------------------

_FLUX_STRING_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("${", "\\${"))


def flux_string(value: str) -> str:
    out = str(value)
    for old, new in _FLUX_STRING_ESCAPES:
        out = out.replace(old, new)
    return '"%s"' % out


def _csv_rows(text: str) -> list[dict]:
    """Rows of a Flux CSV reply without annotations (a header line, then rows; tables may repeat it)."""
    header = None
    out = []
    for record in csv.reader(text.splitlines()):
        if not record or not any(record):
            header = None
            continue
        if header is None or record == header:
            header = record
            continue
        out.append(dict(zip(header, record)))
    return out


class _CsvResponse(Response):
    """A Flux reply: CSV, which the HTTP layer's JSON check would refuse."""

    def check_json(self):
        return self


def _csv_transport(transport):
    """``transport`` asking for CSV; a success answered in CSV passes the JSON check, nothing else does."""
    def send(method, url, headers, data, options):
        resp = transport(method, url, dict(headers, Accept="text/csv"), data, options)
        if 200 <= resp.status < 300 and "csv" in resp.headers.get("content-type", ""):
            return _CsvResponse(resp.status, resp.headers, resp.body)
        return resp
    return send


def csv_client(http: HttpClient) -> HttpClient:
    """An HttpClient like ``http`` (URL, token, TLS, retries) for the Flux query API, which answers CSV."""
    options = dict((k, v) for k, v in http.options.items())
    return HttpClient(http.base_url, headers=http.headers, transport=_csv_transport(http.transport),
                      retries=http.retries, backoff=http.backoff, sleep=http.sleep, service=http.service,
                      hints=http.hints, **options)


class WindowCopier(object):
    """Copies one 1.x database/retention policy into one InfluxDB 2 bucket, window by window.

    A window (``window_ns`` long, aligned to the epoch like ``GROUP BY time()`` and Flux's
    ``window()``) is copied when its count of field values differs between the two sides, so a run
    that was stopped resumes where it stopped and a finished copy is a no-op: the state is read from
    the 2.x side, not kept anywhere. Re-writing a point is harmless (same series and time overwrite).
    """

    def __init__(self, source: InfluxDB1Client, target, org: str, database: str, retention_policy: str,
                 bucket: str, window_ns: int, chunk_size: int = 10000, batch_size: int = 5000):
        self.source = source
        self.target = target
        self.org = org
        self.database = database
        self.retention_policy = retention_policy
        self.bucket = bucket
        self.window_ns = int(window_ns)
        self.chunk_size = chunk_size
        self.batch_size = batch_size
        self.points_written = 0
        # The bucket does not exist yet (check mode before it is made): it counts as empty.
        self.target_missing = False
        self.flux = csv_client(target.http) if target is not None else None

    def _from(self, measurement):
        return qualified(self.database, self.retention_policy, measurement)

    def time_range(self, measurement: str) -> tuple[int, int] | None:
        """(first, last) timestamp in ns of a measurement in this RP, or None when it has no data here."""
        ends = []
        for order in ("ASC", "DESC"):
            found = self.source.query("SELECT * FROM %s ORDER BY time %s LIMIT 1" % (self._from(measurement), order),
                                      self.database, epoch="ns")
            times = [row.get("time") for s in found for row in rows(s)]
            if not times:
                return None
            ends.append(int(times[0]))
        return ends[0], ends[1]

    def align(self, start: int, stop: int) -> tuple[int, int]:
        """[start, stop) widened to whole windows."""
        first = (start // self.window_ns) * self.window_ns
        last = -(-(stop + 1) // self.window_ns) * self.window_ns
        return first, last

    def source_counts(self, measurement: str, start: int, stop: int) -> dict[int, int]:
        statement = "SELECT count(*) FROM %s WHERE time >= %d AND time < %d GROUP BY time(%dns) fill(none)" % (
            self._from(measurement), start, stop, self.window_ns)
        counts = {}
        for s in self.source.query(statement, self.database, epoch="ns"):
            for row in rows(s):
                total = sum(int(v) for k, v in row.items() if k != "time" and v is not None)
                if total:
                    counts[int(row["time"])] = total
        return counts

    def target_counts(self, measurement: str, start: int, stop: int) -> dict[int, int]:
        if self.target_missing:
            return {}
        flux = ("from(bucket: %s) |> range(start: time(v: %d), stop: time(v: %d)) "
                "|> filter(fn: (r) => r._measurement == %s) |> window(every: %dns) |> count() "
                "|> group(columns: [\"_start\"]) |> sum() "
                "|> map(fn: (r) => ({window: int(v: r._start), n: r._value})) |> group()"
                % (flux_string(self.bucket), start, stop, flux_string(measurement), self.window_ns))
        resp = self.flux.request(
            "POST", "/api/v2/query", query={"org": self.org}, idempotent=True,
            json_body={"query": flux, "type": "flux", "dialect": {"header": True, "annotations": []}})
        counts = {}
        for row in _csv_rows(resp.text):
            try:
                # A range starting inside a window gives that window a later _start: key it by its
                # boundary, as GROUP BY time() labels it.
                window = int(row["window"]) // self.window_ns * self.window_ns
                counts[window] = counts.get(window, 0) + int(row["n"])
            except (KeyError, ValueError):
                raise resp.unexpected("expected window,n rows from the count query") from None
        return counts

    def _write(self, lines: list[str]) -> None:
        if not lines:
            return
        self.target.http.request("POST", "/api/v2/write", query={"org": self.org, "bucket": self.bucket,
                                                                 "precision": "ns"},
                                 data="\n".join(lines), content_type="text/plain; charset=utf-8",
                                 expect=(204,), idempotent=True)
        self.points_written += len(lines)

    def copy_window(self, measurement: str, field_types: dict, start: int, low: int | None = None,
                    high: int | None = None) -> int:
        """Stream one window out of 1.x (chunked) into 2.x in batches of ``batch_size`` lines.

        ``low``/``high`` clip the window to the range being copied (a ``start`` or ``stop`` that is
        not on a window boundary).
        """
        begin = start if low is None else max(start, low)
        end = start + self.window_ns if high is None else min(start + self.window_ns, high)
        statement = "SELECT * FROM %s WHERE time >= %d AND time < %d GROUP BY *" % (
            self._from(measurement), begin, end)
        batch: list[str] = []
        written = 0
        for s in self.source.stream(statement, self.database, chunk_size=self.chunk_size):
            tags = s.get("tags") or {}
            columns = s.get("columns") or []
            for values in s.get("values") or []:
                point = dict(zip(columns, values))
                timestamp = point.pop("time")
                text = line(measurement, tags, point, field_types, timestamp)
                if text is None:
                    continue
                batch.append(text)
                if len(batch) >= self.batch_size:
                    self._write(batch)
                    written += len(batch)
                    batch = []
        self._write(batch)
        return written + len(batch)
