# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The InfluxDB 2 API client every ``influxdb2_*`` module stands on.

Endpoints and payloads follow InfluxDB's own handlers (v2.7/v2.9): ``tenant/http_server_*.go``,
``authorization/http_server.go``, ``v1/authorization/http_server.go``, ``dbrp/http_server_dbrp.go``,
``remotes/transport/http.go`` and ``replications/transport/http.go``.
Like :mod:`.http_client`, it never calls ``fail_json``: API failures raise :class:`ApiError` subclasses
(a reply that is not the JSON object the API sends is an ``UnexpectedResponse``) and bad module input
raises :class:`~.errors.InvalidInput`; the module runner turns both into one message.
"""

from __future__ import annotations

import base64
import re
from functools import partialmethod

from ansible.module_utils.basic import env_fallback

from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import (
    ApiError,
    AuthenticationFailed,
    HttpClient,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    path_quote,
    tls_argument_spec,
    tls_options,
)

__all__ = ["InvalidInput"]  # modules import it from here with the client

DEFAULT_URL = "http://localhost:8086"
# The server refuses page sizes above this (influxdb.MaxPageSize); its default page is 20.
MAX_PAGE_SIZE = 100

# Resource types an authorization permission may name (influxdb authz.go).
RESOURCE_TYPES = (
    "authorizations", "buckets", "dashboards", "orgs", "sources", "tasks", "telegrafs", "users",
    "variables", "scrapers", "secrets", "labels", "views", "documents", "notificationRules",
    "notificationEndpoints", "checks", "dbrp", "notebooks", "annotations", "remotes", "replications",
    "instance",
)
# Types that are not scoped to one organization: "all" means every one of them on the instance.
INSTANCE_RESOURCE_TYPES = frozenset(("orgs", "users", "instance"))
NAMED_RESOURCE_TYPES = ("buckets", "orgs", "users")
# What a user can be in an organization (/api/v2/orgs/{id}/owners and /members), strongest first.
ORG_ROLES = ("owner", "member")
# InfluxDB's rule for user passwords (tenant.ErrPasswordLength): 8 to 72 characters (72: bcrypt's limit).
USER_PASSWORD_LENGTH = (8, 72)

_ID_RE = re.compile(r"^[0-9a-f]{16}$")
# InfluxDB answers 401 both for a bad token ("unauthorized access") and for a valid token that lacks a
# permission ("read:orgs/0123456789abcdef is unauthorized"); only the second is a permission problem.
_PERMISSION_MESSAGE_RE = re.compile(r"^(read|write):\S* is unauthorized")
# What 2.9 puts where a hashed token's value used to be.
_REDACTED_TOKENS = frozenset(("", "REDACTED"))


# --------------------------------------------------------------------------------------------------
# Argument spec and client construction
# --------------------------------------------------------------------------------------------------

def influxdb2_argument_spec(**module_options):
    """The connection options every influxdb2 module accepts, merged with ``module_options``."""
    spec = tls_argument_spec(
        url=dict(type="str", default=DEFAULT_URL, fallback=(env_fallback, ["INFLUX_HOST"])),
        token=dict(type="str", no_log=True, fallback=(env_fallback, ["INFLUX_TOKEN"])),
        org=dict(type="str", fallback=(env_fallback, ["INFLUX_ORG"])),
        org_id=dict(type="str", fallback=(env_fallback, ["INFLUX_ORG_ID"])),
    )
    spec.update(module_options)
    return spec


def client_from_module(module, require_token=False, transport=None):
    """An :class:`InfluxDB2Client` configured from the module's connection options.

    With ``require_token`` a missing token raises :class:`InvalidInput` before any request is sent.
    """
    params = module.params
    if require_token and not params.get("token"):
        raise InvalidInput("token: no API token given; set the token option (for example with module_defaults "
                           "for group/tickstack.influx.influxdb2) or the INFLUX_TOKEN environment variable")
    return InfluxDB2Client(url=params["url"], token=params.get("token"), transport=transport, **tls_options(params))


def connect(module):
    """The client of a module that needs a token (every one but setup and info)."""
    return client_from_module(module, require_token=True)


# --------------------------------------------------------------------------------------------------
# Durations
# --------------------------------------------------------------------------------------------------

_DURATION_UNITS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
# What the influx CLI accepts (its duration.RawDurationToTimeDuration: Go's time.ParseDuration plus d
# and w), in nanoseconds. Units are case-sensitive: "M" (month? minute?) and "mo"/"y" are refused.
_DURATION_NANOS = {"w": 604800 * 10 ** 9, "d": 86400 * 10 ** 9, "h": 3600 * 10 ** 9, "m": 60 * 10 ** 9,
                   "s": 10 ** 9, "ms": 10 ** 6, "us": 10 ** 3, "\u00b5s": 10 ** 3, "ns": 1}
_DURATION_PART_RE = re.compile(r"(\d+)(ns|us|\u00b5s|ms|s|m|h|d|w)")
_DURATION_RE = re.compile(r"^(?:\d+(?:ns|us|\u00b5s|ms|s|m|h|d|w))+$")
_INFINITE = frozenset(("0", "inf", "infinite", "forever", "never"))


def parse_duration(value, option="retention"):
    """Seconds in a duration such as ``30d``, ``1h30m``, ``720h0m0s`` or a number of seconds.

    ``0``, ``infinite`` (and ``inf``, ``forever``, ``never``) mean no expiry and give 0.
    None stays None (the option is not managed).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidInput("%s: %r is not a duration; use for example 30d, 12h or infinite" % (option, value))
    if isinstance(value, int):
        if value < 0:
            raise InvalidInput("%s: a duration cannot be negative, got %d" % (option, value))
        return value
    text = str(value).strip().replace(" ", "")
    if "M" in text:
        raise InvalidInput("%s: %r is ambiguous: M could mean months or minutes; write m for minutes, or the "
                           "length in days (months and years have no fixed length)" % (option, value))
    text = text.lower()  # 2D, 12H: the other units read the same in either case
    if text in _INFINITE:
        return 0
    if text.isdigit():
        return int(text)
    if not _DURATION_RE.match(text):
        raise InvalidInput(
            "%s: %r is not a duration; use whole numbers with the units w, d, h, m (minutes), s, ms, us or ns "
            "(30d, 1h30m), seconds as a number, or 0/infinite for no expiry; months and years (mo, y) have no "
            "fixed length and are refused" % (option, value))
    nanos = sum(int(amount) * _DURATION_NANOS[unit] for amount, unit in _DURATION_PART_RE.findall(text))
    seconds, rest = divmod(nanos, 10 ** 9)
    if rest:
        raise InvalidInput("%s: %r is not a whole number of seconds; InfluxDB keeps retention in seconds"
                           % (option, value))
    return seconds


def format_duration(seconds, zero="infinite"):
    """The canonical text of a number of seconds (86400 -> ``1d``, 90000 -> ``1d1h``, 0 -> ``zero``)."""
    if seconds is None:
        return None
    seconds = int(seconds)
    if seconds == 0:
        return zero
    parts = []
    for unit, size in _DURATION_UNITS[1:]:  # days, not weeks: "30d" reads better than "4w2d"
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append("%d%s" % (amount, unit))
    return "".join(parts)


def default_shard_group_duration(retention_seconds):
    """The shard-group duration InfluxDB picks for a retention period (meta.shardGroupDuration)."""
    if retention_seconds == 0 or retention_seconds >= 180 * 86400:
        return 7 * 86400
    if retention_seconds >= 2 * 86400:
        return 86400
    return 3600


# --------------------------------------------------------------------------------------------------
# Object shapes
# --------------------------------------------------------------------------------------------------

def is_id(value):
    return isinstance(value, str) and bool(_ID_RE.match(value))


def bucket_retention(bucket):
    """(retention seconds, shard-group seconds) of a bucket as the API returns it."""
    rules = [r for r in (bucket.get("retentionRules") or []) if r.get("type", "expire") == "expire"]
    if not rules:
        return 0, None
    rule = rules[0]
    return int(rule.get("everySeconds") or 0), rule.get("shardGroupDurationSeconds")


def bucket_summary(bucket):
    """The fields of a bucket a playbook needs, with retention in seconds and as text."""
    retention, shard_group = bucket_retention(bucket)
    return {
        "id": bucket.get("id"),
        "name": bucket.get("name"),
        "org_id": bucket.get("orgID"),
        "type": bucket.get("type"),
        "description": bucket.get("description") or "",
        "retention_seconds": retention,
        "retention": format_duration(retention),
        "shard_group_duration_seconds": shard_group,
        "shard_group_duration": format_duration(shard_group, zero=None) if shard_group else None,
        "created_at": bucket.get("createdAt"),
        "updated_at": bucket.get("updatedAt"),
    }


def org_summary(org):
    return {
        "id": org.get("id"),
        "name": org.get("name"),
        "description": org.get("description") or "",
        "created_at": org.get("createdAt"),
        "updated_at": org.get("updatedAt"),
    }


def token_value(auth):
    """The token string the server revealed for an authorization, or None when it did not.

    InfluxDB <= 2.7 returns every token in lists; 2.9 stores only a hash and returns an empty string
    (or ``REDACTED``) except in the response that created it.
    """
    value = auth.get("token")
    if not isinstance(value, str) or value in _REDACTED_TOKENS:
        return None
    return value


def normalize_permission(permission):
    """The comparable form of one permission: action plus resource type, id and orgID."""
    resource = permission.get("resource") or {}
    out = {"type": resource.get("type")}
    for key in ("id", "orgID"):
        if resource.get(key):
            out[key] = resource[key]
    return {"action": permission.get("action"), "resource": out}


def normalize_permissions(permissions):
    unique = []
    for permission in permissions or []:
        normalized = normalize_permission(permission)
        if normalized not in unique:
            unique.append(normalized)
    return sorted(unique, key=_permission_sort_key)


def _permission_sort_key(permission):
    resource = permission["resource"]
    return (resource.get("type") or "", resource.get("orgID") or "", resource.get("id") or "",
            permission.get("action") or "")


def describe_permission(permission, names=None):
    """``write:buckets/<name or id>`` for messages and diffs."""
    resource = permission["resource"]
    target = resource.get("id")
    if target and names and target in names:
        target = names[target]
    if not target:
        target = "*" if not resource.get("orgID") else "all in org %s" % resource["orgID"]
    return "%s:%s/%s" % (permission["action"], resource["type"], target)


def authorization_summary(auth):
    """An authorization's metadata, never its token value."""
    return {
        "id": auth.get("id"),
        "description": auth.get("description") or "",
        "status": auth.get("status"),
        "org_id": auth.get("orgID"),
        "org": auth.get("org"),
        "user_id": auth.get("userID"),
        "user": auth.get("user"),
        "permissions": [
            {"action": p.get("action"),
             "resource": dict((k, v) for k, v in (p.get("resource") or {}).items() if v not in (None, ""))}
            for p in auth.get("permissions") or []
        ],
        "created_at": auth.get("createdAt"),
        "updated_at": auth.get("updatedAt"),
    }


def legacy_authorization_summary(auth):
    summary = authorization_summary(auth)
    summary["username"] = auth.get("token")
    return summary


def virtual_bucket_names(database, retention_policy):
    """Bucket names whose virtual DBRP mapping is ``database``/``retention_policy`` (dbrp.parseDBRP)."""
    names = ["%s/%s" % (database, retention_policy)]
    if retention_policy == "autogen":
        names.insert(0, database)
    return names


def dbrp_summary(mapping):
    return {
        "id": mapping.get("id"),
        "database": mapping.get("database"),
        "retention_policy": mapping.get("retention_policy"),
        "default": bool(mapping.get("default")),
        "virtual": bool(mapping.get("virtual")),
        "bucket_id": mapping.get("bucketID"),
        "org_id": mapping.get("orgID"),
    }


def remote_summary(remote):
    """A remote connection as a playbook sees it (InfluxDB never returns the remote token)."""
    return {
        "id": remote.get("id"),
        "name": remote.get("name"),
        "org_id": remote.get("orgID"),
        "description": remote.get("description") or "",
        "remote_url": remote.get("remoteURL"),
        "remote_org_id": remote.get("remoteOrgID"),
        "allow_insecure_tls": bool(remote.get("allowInsecureTLS")),
    }


def replication_remote_bucket_name(replication):
    """The remote bucket name of a replication: 2.7 and 2.9 answer it as ``RemoteBucketName``."""
    return replication.get("remoteBucketName", replication.get("RemoteBucketName")) or None


def replication_summary(replication):
    """A replication's settings and its queue status fields (as the server reports them)."""
    return {
        "id": replication.get("id"),
        "name": replication.get("name"),
        "org_id": replication.get("orgID"),
        "description": replication.get("description") or "",
        "remote_id": replication.get("remoteID"),
        "local_bucket_id": replication.get("localBucketID"),
        "remote_bucket_id": replication.get("remoteBucketID"),
        "remote_bucket_name": replication_remote_bucket_name(replication),
        "max_queue_size_bytes": replication.get("maxQueueSizeBytes"),
        "max_age_seconds": replication.get("maxAgeSeconds"),
        "drop_non_retryable_data": bool(replication.get("dropNonRetryableData")),
        "current_queue_size_bytes": replication.get("currentQueueSizeBytes"),
        "remaining_bytes_to_be_synced": replication.get("remainingBytesToBeSynced"),
        "latest_response_code": replication.get("latestResponseCode"),
        "latest_error_message": replication.get("latestErrorMessage") or None,
    }


# --------------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------------

class InfluxDB2Http(HttpClient):
    """HttpClient that tells a rejected token (401) from a missing permission (also 401 in InfluxDB)."""

    def request(self, *args, **kwargs):
        try:
            return super(InfluxDB2Http, self).request(*args, **kwargs)
        except AuthenticationFailed as e:
            if _PERMISSION_MESSAGE_RE.match(e.message or ""):
                raise PermissionDenied(e.message, status=e.status, method=e.method, url=e.url, body=e.body) from e
            raise


class OrgRef(object):
    """The organization a module's ``org``/``org_id`` options name, resolved only when its ID is needed.

    The lists that take an organization by name (buckets, authorizations, DBRP mappings: ``org=``) are
    asked with it, and the ID is learned from the objects they return, so an idempotent run needs no
    organization lookup. A create (or an empty list) resolves it with
    :meth:`InfluxDB2Client.resolve_org`, whose error names a missing organization. ``org["id"]`` and
    ``org.get("name")`` read like the organization object :meth:`InfluxDB2Client.resolve_org` returns.
    """

    def __init__(self, client, name=None, org_id=None):
        if org_id and not is_id(org_id):
            raise InvalidInput("org_id: %r is not an InfluxDB ID (16 hexadecimal digits)" % (org_id,))
        if not org_id and not name:
            raise InvalidInput("org: set org or org_id (or the INFLUX_ORG / INFLUX_ORG_ID environment variables)")
        self.client = client
        self._given = (name, org_id)
        self.name = None if org_id else name
        self._id = org_id
        self._resolved = None
        # True once the server showed the organization exists (resolved, or learned from its objects).
        self.proven = False
        known = client._orgs.get(("id", org_id) if org_id else ("name", name))
        if known is not None:
            self._adopt(known)

    def _adopt(self, org):
        self._resolved = org
        self._id, self.name = org["id"], org.get("name")
        self.proven = True

    def confirm(self):
        """Raise the clear error of a missing organization, unless the server already showed it exists."""
        if not self.proven:
            self.resolve()

    @property
    def query(self):
        """How a list is scoped to the organization: by ID once known, else by name."""
        return {"orgID": self._id} if self._id else {"org": self.name}

    @property
    def id(self):
        if self._id is None:
            self.resolve()
        return self._id

    def resolve(self):
        """The organization object (one request, once); raises the clear error when it is missing."""
        if self._resolved is None:
            name, org_id = self._given
            self._adopt(self.client.resolve_org(None if org_id else name, org_id))
        return self._resolved

    def learn(self, items):
        """Take the ID from objects a list scoped by name returned (all carry the same ``orgID``)."""
        if self._id is None:
            ids = set(item.get("orgID") for item in items)
            if len(ids) == 1:
                org_id = ids.pop()
                if is_id(org_id):
                    self._id = org_id
                    self.proven = True
                    self.client.names[org_id] = self.name
        return items

    def owns(self, obj):
        """Whether ``obj`` (an object with ``orgID`` and, for authorizations, ``org``) is in this organization."""
        if self._id is None and self.name and obj.get("org") == self.name:  # names are unique on an instance
            self.learn([obj])
        return obj.get("orgID") == self.id

    def __getitem__(self, key):
        if key == "id":
            return self.id
        if key == "name" and self.name:
            return self.name
        return self.resolve()[key]

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default


def _org_scope(org):
    """The query that scopes a list to ``org`` (an :class:`OrgRef` or an organization ID)."""
    return org.query if isinstance(org, OrgRef) else {"orgID": org}


def _org_id(org):
    return org.id if isinstance(org, OrgRef) else org


class InfluxDB2Client(object):
    """Resource methods for the InfluxDB 2 API; lookups return None for "not there"."""

    def __init__(self, url=DEFAULT_URL, token=None, validate_certs=True, ca_path=None, client_cert=None,
                 client_key=None, timeout=10, transport=None, retries=3, sleep=None):
        headers = {"Authorization": "Token %s" % token} if token else {}
        self.token = token
        self._tls = dict(validate_certs=validate_certs, ca_path=ca_path, client_cert=client_cert,
                         client_key=client_key, timeout=timeout, transport=transport, retries=retries)
        if sleep is not None:
            self._tls["sleep"] = sleep
        self.http = InfluxDB2Http(url, headers=headers, **self._tls)
        self.url = self.http.base_url
        # ID -> name of every resource resolved by name, so diffs and messages can show names.
        self.names = {}
        # Organizations already resolved in this run, by ("id", ID) and ("name", name): a module
        # that names one org twice (the module's, a permission's) asks once.
        self._orgs = {}

    def _find_named(self, collection, key, name, filter_param="name"):
        """The object called ``name`` in a list filtered by name (a filter matching nothing is a 404)."""
        try:
            found = self.http.items(collection, key, query={filter_param: name})
        except NotFound:
            return None
        return next((o for o in found if o.get("name") == name), None)

    # Objects whose update and delete are a PATCH and a DELETE of <collection>/<id>.
    def _update(self, collection, object_id, changes, required=("id",)):
        return self.http.patch("%s/%s" % (collection, path_quote(object_id)), changes, required=required)

    def _delete(self, collection, object_id):
        self.http.delete("%s/%s" % (collection, path_quote(object_id)), verify=True)

    # -- instance ----------------------------------------------------------------------------------

    def health(self):
        """``/health``: name, status, version and commit (no token needed)."""
        return self.http.get("/health", required=("status",))

    def setup_allowed(self):
        """True while the instance has not been onboarded."""
        resp = self.http.request("GET", "/api/v2/setup")
        allowed = resp.json_object().get("allowed")
        if not isinstance(allowed, bool):
            raise resp.unexpected("expected {\"allowed\": true|false}")
        return allowed

    def setup(self, username, password, org, bucket, retention_seconds=None, token=None):
        body = {"username": username, "password": password, "org": org, "bucket": bucket}
        if retention_seconds:
            body["retentionPeriodSeconds"] = retention_seconds
        if token:
            body["token"] = token
        resp = self.http.request("POST", "/api/v2/setup", json_body=body)
        made = resp.json_object()
        if not all(isinstance(made.get(key, {}), dict) for key in ("org", "bucket", "user", "auth")):
            raise resp.unexpected("expected the org, bucket, user and auth the setup made")
        return made

    def check_token(self):
        """Raise AuthenticationFailed when the token is rejected (any valid token may list orgs)."""
        self.http.get("/api/v2/orgs", query={"limit": 1})

    # -- organizations -----------------------------------------------------------------------------

    def list_orgs(self):
        return list(self.http.paginate("/api/v2/orgs", "orgs", limit=MAX_PAGE_SIZE, required=("id",)))

    def find_org(self, name):
        return self._find_named("/api/v2/orgs", "orgs", name, filter_param="org")

    def get_org(self, org_id):
        return self.http.get_or_none("/api/v2/orgs/%s" % path_quote(org_id))

    def org_ref(self, org=None, org_id=None):
        """An :class:`OrgRef` for the module's options (no request)."""
        return OrgRef(self, org, org_id)

    def resolve_org(self, org=None, org_id=None):
        """The organization named by ``org_id`` (preferred) or ``org``; raises when missing.

        Each organization is asked for once per client (per module run)."""
        key = ("id", org_id) if org_id else ("name", org)
        if key in self._orgs:
            return self._orgs[key]
        if org_id:
            if not is_id(org_id):
                raise InvalidInput("org_id: %r is not an InfluxDB ID (16 hexadecimal digits)" % (org_id,))
            found = self.get_org(org_id)
            if found is None:
                raise NotFound("organization with ID %s not found" % org_id)
        elif org:
            found = self.find_org(org)
            if found is None:
                # A token without read access to an org gets an empty list, not an error.
                raise NotFound("organization %r not found (or the token may not read it)" % org)
        else:
            raise InvalidInput("org: set org or org_id (or the INFLUX_ORG / INFLUX_ORG_ID environment variables)")
        self.names[found["id"]] = found.get("name")
        self._orgs[key] = self._orgs[("id", found["id"])] = self._orgs[("name", found.get("name"))] = found
        return found

    def _org_label(self, org_id):
        """How messages name an organization: its name when known, else its ID."""
        name = self.names.get(org_id)
        return "%r" % name if name else org_id

    def create_org(self, name, description=None):
        body = {"name": name}
        if description is not None:
            body["description"] = description
        return self.http.post("/api/v2/orgs", body, required=("id",))

    update_org = partialmethod(_update, "/api/v2/orgs")
    delete_org = partialmethod(_delete, "/api/v2/orgs")

    # -- users ---------------------------------------------------------------------------------

    def find_user(self, name):
        return self._find_named("/api/v2/users", "users", name)

    def resolve_user(self, name, option="user"):
        user = self.find_user(name)
        if user is None:
            raise NotFound("%s: user %r not found" % (option, name))
        self.names[user["id"]] = user.get("name")
        return user

    def me(self):
        """The user the token belongs to."""
        return self.http.get("/api/v2/me", required=("id",))

    def create_user(self, name, status="active"):
        return self.http.post("/api/v2/users", {"name": name, "status": status}, required=("id",))

    update_user = partialmethod(_update, "/api/v2/users")
    delete_user = partialmethod(_delete, "/api/v2/users")

    def set_user_password(self, user_id, password):
        self.http.request("POST", "/api/v2/users/%s/password" % path_quote(user_id), json_body={"password": password})

    def user_credentials_work(self, name, password):
        """True when ``POST /api/v2/signin`` accepts ``name``/``password`` (Basic auth).

        The sign-in reads and writes no data; its session is signed out again (best effort: sessions
        expire on their own). Only 401/403 mean "no"; anything else is an error, never a working password.
        """
        probe = HttpClient(self.url, url_username=name, url_password=password, **self._tls)
        resp = probe.request("POST", "/api/v2/signin", expect=(204, 401, 403), idempotent=True)
        if resp.status != 204:
            return False
        cookie = (resp.headers.get("set-cookie") or "").split(";", 1)[0]
        if cookie:
            session = HttpClient(self.url, headers={"Cookie": cookie}, **self._tls)
            try:
                session.request("POST", "/api/v2/signout", expect=(204, 401))
            except ApiError:
                pass
        return True

    # -- organization members and owners --------------------------------------------------------

    def org_role(self, org_id, user_id):
        """``owner``, ``member`` or None: what ``user_id`` is in the organization."""
        for role in ORG_ROLES:
            if any(u.get("id") == user_id for u in self.list_org_users(org_id, role)):
                return role
        return None

    def find_org_user(self, org_id, name, first="member"):
        """``(role, user)`` of the user called ``name`` in the organization, or ``(None, None)``.

        The lists of owners and members carry each user's name, so no user lookup is needed; the list of
        ``first`` is read first (a user is one or the other: InfluxDB keeps one mapping per user and org),
        and the other only when the user is not in it."""
        for role in sorted(ORG_ROLES, key=lambda r: r != first):
            user = next((u for u in self.list_org_users(org_id, role) if u.get("name") == name), None)
            if user is not None:
                self.names[user["id"]] = name
                return role, user
        return None, None

    def list_org_users(self, org_id, role):
        return self.http.items(_org_users_path(org_id, role), "users")

    def add_org_user(self, org_id, user_id, role):
        return self.http.post(_org_users_path(org_id, role), {"id": user_id}, required=("id",))

    def remove_org_user(self, org_id, user_id, role):
        """Remove the user's ``role`` mapping. InfluxDB answers 204 when there is none, so a retry is safe;
        the path must match the role (a DELETE under owners/ removes a member mapping as well)."""
        self.http.delete("%s/%s" % (_org_users_path(org_id, role), path_quote(user_id)))

    # -- buckets ---------------------------------------------------------------------------------

    def list_buckets(self, org_id=None, name=None):
        """Buckets (of the org: an ID or an :class:`OrgRef`), by name when ``name`` is given."""
        query = dict(_org_scope(org_id) if org_id else {}, name=name)
        try:
            found = list(self.http.paginate("/api/v2/buckets", "buckets", query=query, limit=MAX_PAGE_SIZE,
                                            required=("id",)))
        except NotFound:  # a name filter that matches nothing is a 404 (so is an org name that does)
            if isinstance(org_id, OrgRef):
                org_id.confirm()  # a missing organization is an error, not "no such bucket"
            if not name:
                raise
            return []
        return org_id.learn(found) if isinstance(org_id, OrgRef) else found

    def find_bucket(self, org_id, name):
        return next((b for b in self.list_buckets(org_id=org_id, name=name) if b.get("name") == name), None)

    def find_buckets(self, org_id, names):
        """The buckets of the org called one of ``names``, by name (a name that is missing has no key).

        One name: the API's ``name`` filter. Several: the API filters by one name only, so the org's
        buckets are read in pages of :data:`MAX_PAGE_SIZE`, stopping at the page that holds the last
        name wanted (every page, for a name that is missing).
        """
        wanted = set(names)
        if len(wanted) <= 1:
            found = [self.find_bucket(org_id, name) for name in wanted]
            return dict((b["name"], b) for b in found if b is not None)
        found = {}
        org_id = _org_id(org_id)
        for bucket in self.http.paginate("/api/v2/buckets", "buckets", query={"orgID": org_id}, limit=MAX_PAGE_SIZE,
                                         required=("id",)):
            if bucket.get("name") in wanted and bucket.get("orgID", org_id) == org_id:
                found.setdefault(bucket["name"], bucket)
                if len(found) == len(wanted):
                    break
        return found

    def resolve_buckets(self, org_id, refs):
        """The buckets ``refs`` name, in order: each ref is ``(name or ID, option)``; names are looked up
        together (:meth:`find_buckets`), and a ref that no bucket is called is taken as an ID."""
        by_name = self.find_buckets(org_id, [ref for ref, _option in refs])
        return [by_name.get(ref) or self.resolve_bucket(org_id, ref, option, by_name={}) for ref, option in refs]

    def get_bucket(self, bucket_id):
        return self.http.get_or_none("/api/v2/buckets/%s" % path_quote(bucket_id))

    def resolve_bucket(self, org_id, name_or_id, option="bucket", by_name=None):
        """A bucket by name in the org, or by ID when no bucket has that name.

        ``by_name``: the buckets already found by name (:meth:`find_buckets`), when the name was looked up."""
        org_id = _org_id(org_id)
        found = self.find_bucket(org_id, name_or_id) if by_name is None else by_name.get(name_or_id)
        if found is None and is_id(name_or_id):
            found = self.get_bucket(name_or_id)
            if found is not None and found.get("orgID") != org_id:
                raise InvalidInput("%s: bucket ID %s belongs to another organization (%s)"
                                   % (option, name_or_id, found.get("orgID")))
        if found is None:
            raise NotFound("%s: bucket %r not found in organization %s" % (option, name_or_id, self._org_label(org_id)))
        return found

    def create_bucket(self, org_id, name, description=None, retention_seconds=0, shard_group_seconds=None):
        body = {"orgID": org_id, "name": name, "retentionRules": bucket_rules(retention_seconds, shard_group_seconds)}
        if description is not None:
            body["description"] = description
        return self.http.post("/api/v2/buckets", body, required=("id",))

    update_bucket = partialmethod(_update, "/api/v2/buckets")
    delete_bucket = partialmethod(_delete, "/api/v2/buckets")

    # -- authorizations (API tokens) -------------------------------------------------------------

    def list_authorizations(self, org_id=None, user_id=None):
        """Authorizations (of the org: an ID or an :class:`OrgRef`, whose ID they teach it)."""
        query = dict(_org_scope(org_id) if org_id else {}, userID=user_id)
        return self._org_items("/api/v2/authorizations", "authorizations", org_id, query)

    def create_authorization(self, org_id, description, permissions, status="active", user_id=None):
        body = {"orgID": org_id, "description": description, "permissions": permissions, "status": status}
        if user_id:
            body["userID"] = user_id
        return self.http.post("/api/v2/authorizations", body, required=("id",))

    update_authorization = partialmethod(_update, "/api/v2/authorizations", required=())
    delete_authorization = partialmethod(_delete, "/api/v2/authorizations")

    def build_permissions(self, specs, org_id, option="permissions"):
        """The API permissions for the module's permission specs, names resolved to IDs.

        Every spec is checked before any request. The bucket names of each organization are then
        resolved together (:meth:`find_buckets`: one call, however many permissions name them), and
        each organization is resolved once.
        """
        return self.build_permission_sets([(specs, option)], org_id)[0]

    def build_permission_sets(self, sets, org_id):
        """:meth:`build_permissions` for several lists at once (``sets``: ``(specs, option)`` pairs), in
        order: every spec of every list is checked first, then the bucket names of all of them are
        resolved together (one call per organization, however many lists and permissions name them)."""
        checked_sets = []
        for specs, option in sets:
            checked = []
            for index, spec in enumerate(specs or []):
                where = "%s[%d]" % (option, index)
                action = spec.get("action")
                if action not in ("read", "write"):
                    raise InvalidInput("%s.action: %r must be read or write" % (where, action))
                checked.append((where, action, self._check_resource(spec.get("resource") or {}, where)))
            checked_sets.append(checked)
        buckets = {}
        for checked in checked_sets:
            for _where, _action, (rtype, chosen, value, org, scope_id) in checked:
                if rtype == "buckets" and chosen == "name":
                    buckets.setdefault(self._scope_org(org, scope_id, org_id), set()).add(value)
        found = dict((scope, self.find_buckets(scope, names)) for scope, names in buckets.items())
        built = []
        for checked in checked_sets:
            permissions = []
            for where, action, (rtype, chosen, value, org, scope_id) in checked:
                scope = self._scope_org(org, scope_id, org_id)
                permissions.append({"action": action,
                                    "resource": self._permission_resource(rtype, chosen, value, scope, where, found)})
            built.append(normalize_permissions(permissions))
        return built

    @staticmethod
    def _check_resource(resource, where):
        """(type, which of name/id/all, its value, org, org_id) of a permission resource, refused before
        any request when it cannot be right."""
        rtype = resource.get("type")
        if rtype not in RESOURCE_TYPES:
            raise InvalidInput("%s.resource.type: %r is not an InfluxDB resource type; use one of %s"
                               % (where, rtype, ", ".join(RESOURCE_TYPES)))
        chosen = [key for key in ("name", "id", "all") if resource.get(key) not in (None, False, "")]
        if len(chosen) != 1:
            raise InvalidInput("%s.resource: give exactly one of name, id or all: true (got %s)"
                               % (where, ", ".join(chosen) or "none"))
        value = resource.get(chosen[0])
        if chosen[0] == "id":
            value = str(value)
            if not is_id(value):
                raise InvalidInput("%s.resource.id: %r is not an InfluxDB ID (16 hexadecimal digits)" % (where, value))
        if chosen[0] == "name" and rtype not in NAMED_RESOURCE_TYPES:
            raise InvalidInput("%s.resource.name: names can be resolved for %s only; give the id of this %s resource"
                               % (where, ", ".join(NAMED_RESOURCE_TYPES), rtype))
        return rtype, chosen[0], value, resource.get("org"), resource.get("org_id")

    def _scope_org(self, org, org_id, default_org_id):
        if org or org_id:
            return self.resolve_org(org, org_id)["id"]
        return default_org_id

    def _permission_resource(self, rtype, chosen, value, org_id, where, buckets):
        scoped = rtype not in INSTANCE_RESOURCE_TYPES
        out = {"type": rtype}
        if chosen == "all":
            if scoped:
                out["orgID"] = org_id
            return out
        if chosen == "id":
            out["id"] = value
        else:
            out["id"] = self._resource_id_by_name(rtype, value, org_id, where, buckets)
        if scoped:
            out["orgID"] = org_id
        elif rtype == "orgs":
            out["orgID"] = out["id"]  # how InfluxDB itself scopes a permission on one org
        return out

    def _resource_id_by_name(self, rtype, name, org_id, where, buckets):
        resource_id = self._lookup_resource_id(rtype, name, org_id, where, buckets)
        self.names[resource_id] = name
        return resource_id

    def _lookup_resource_id(self, rtype, name, org_id, where, buckets):
        if rtype == "buckets":
            bucket = buckets.get(org_id, {}).get(name)
            if bucket is None:
                raise NotFound("%s.resource.name: bucket %r not found in organization %s"
                               % (where, name, self._org_label(org_id)))
            return bucket["id"]
        if rtype == "orgs":
            try:
                org = self.resolve_org(name)
            except NotFound:
                raise NotFound("%s.resource.name: organization %r not found" % (where, name)) from None
            return org["id"]
        user = self.find_user(name)
        if user is None:
            raise NotFound("%s.resource.name: user %r not found" % (where, name))
        return user["id"]

    # -- v1 compatibility authorizations -------------------------------------------------------

    def find_legacy_authorization(self, username):
        """The v1 authorization whose username is ``username`` (usernames are unique per instance)."""
        try:
            found = self.http.items("/private/legacy/authorizations", "authorizations", query={"token": username})
        except NotFound:
            return None
        return next((a for a in found if a.get("token") == username), None)

    def list_legacy_authorizations(self, org_id=None):
        found = self.http.items("/private/legacy/authorizations", "authorizations")
        # The server ignores its own org filter here, so filter on our side.
        return [a for a in found if org_id is None or a.get("orgID") == org_id]

    def create_legacy_authorization(self, org_id, username, permissions, description=None, status="active",
                                    user_id=None):
        body = {"orgID": org_id, "token": username, "permissions": permissions, "status": status,
                "description": description or ""}
        if user_id:
            body["userID"] = user_id
        return self.http.post("/private/legacy/authorizations", body, required=("id",))

    def set_legacy_password(self, auth_id, password):
        self.http.request("POST", "/private/legacy/authorizations/%s/password" % path_quote(auth_id),
                          json_body={"password": password})

    update_legacy_authorization = partialmethod(_update, "/private/legacy/authorizations")
    delete_legacy_authorization = partialmethod(_delete, "/private/legacy/authorizations")

    def v1_credentials_work(self, username, password):
        """True when the 1.x API accepts ``username``/``password`` (Basic auth).

        A GET /query without ``q`` passes authentication and then fails with 400, so it proves the
        password without reading or writing anything. Only 401/403 mean "no": a 5xx or 429 (after the
        retries) or any other answer is an error, never taken for a working password.
        """
        basic = base64.b64encode(("%s:%s" % (username, password)).encode("utf-8")).decode("ascii")
        probe = HttpClient(self.url, headers={"Authorization": "Basic %s" % basic}, **self._tls)
        resp = probe.request("GET", "/query", expect=(200, 204, 400, 401, 403))
        return resp.status not in (401, 403)

    # -- DBRP mappings ---------------------------------------------------------------------------

    def list_dbrps(self, org_id, database=None, retention_policy=None, bucket_id=None):
        """Physical and virtual mappings (2.x lists a ``virtual: true`` one for every bucket); ``org_id``
        is an ID or an :class:`OrgRef` (which learns its ID from them)."""
        query = dict(_org_scope(org_id), db=database, rp=retention_policy, bucketID=bucket_id)
        return self._org_items("/api/v2/dbrps", "content", org_id, query)

    def _org_items(self, path, key, org_id, query):
        """A list scoped by ``org_id`` (an ID or an :class:`OrgRef`, which learns its ID from the items);
        a 404 from an organization that does not exist gets that organization's clear message."""
        try:
            found = self.http.items(path, key, query=query)
        except NotFound:
            if isinstance(org_id, OrgRef):
                org_id.confirm()
            raise
        return org_id.learn(found) if isinstance(org_id, OrgRef) else found

    def create_dbrp(self, org_id, database, retention_policy, bucket_id, default=False):
        body = {"orgID": org_id, "database": database, "retention_policy": retention_policy,
                "bucketID": bucket_id, "default": bool(default)}
        return self.http.post("/api/v2/dbrps", body, required=("id",))

    def update_dbrp(self, org_id, dbrp_id, changes):
        resp = self.http.request("PATCH", "/api/v2/dbrps/%s" % path_quote(dbrp_id), json_body=changes,
                                 query={"orgID": org_id})
        found = resp.json_object()
        found = found.get("content") if isinstance(found.get("content"), dict) else found
        if not found.get("id"):
            raise resp.unexpected("expected the updated mapping")
        return found

    def delete_dbrp(self, org_id, dbrp_id):
        self.http.delete("/api/v2/dbrps/%s" % path_quote(dbrp_id), query={"orgID": org_id}, verify=True)

    # -- remote connections and replications (edge to central) ----------------------------------

    def list_remotes(self, org_id, name=None, remote_url=None):
        """Remote connections of the org (the server answers ``"remotes": null`` for none)."""
        query = {"orgID": org_id, "name": name, "remoteURL": remote_url}
        return self.http.items("/api/v2/remotes", "remotes", query=query)

    def find_remote(self, org_id, name):
        return next((r for r in self.list_remotes(org_id, name=name) if r.get("name") == name), None)

    def get_remote(self, remote_id):
        return self.http.get_or_none("/api/v2/remotes/%s" % path_quote(remote_id))

    def resolve_remote(self, org_id, name_or_id, option="remote"):
        """A remote connection by name in the org, or by ID when none has that name."""
        found = self.find_remote(org_id, name_or_id)
        if found is None and is_id(name_or_id):
            found = self.get_remote(name_or_id)
            if found is not None and found.get("orgID") != org_id:
                raise InvalidInput("%s: remote connection ID %s belongs to another organization (%s)"
                                   % (option, name_or_id, found.get("orgID")))
        if found is None:
            raise NotFound("%s: remote connection %r not found in organization %s; create it first with "
                           "tickstack.influx.influxdb2_remote" % (option, name_or_id, self._org_label(org_id)))
        self.names[found["id"]] = found.get("name")
        return found

    def create_remote(self, org_id, name, remote_url, remote_token, remote_org_id=None, allow_insecure_tls=False,
                      description=None):
        body = {"orgID": org_id, "name": name, "remoteURL": remote_url, "remoteAPIToken": remote_token,
                "allowInsecureTLS": bool(allow_insecure_tls)}
        if remote_org_id:
            body["remoteOrgID"] = remote_org_id
        if description is not None:
            body["description"] = description
        return self.http.post("/api/v2/remotes", body, required=("id",))

    update_remote = partialmethod(_update, "/api/v2/remotes")
    delete_remote = partialmethod(_delete, "/api/v2/remotes")

    def list_replications(self, org_id, name=None, remote_id=None, local_bucket_id=None):
        """Replications of the org with their queue status (``"replications": null`` for none)."""
        query = {"orgID": org_id, "name": name, "remoteID": remote_id, "localBucketID": local_bucket_id}
        return self.http.items("/api/v2/replications", "replications", query=query)

    def find_replication(self, org_id, name):
        return next((r for r in self.list_replications(org_id, name=name) if r.get("name") == name), None)

    def create_replication(self, body):
        """POST a replication; ``body`` is the API's creation request (orgID, name, remoteID, ...)."""
        return self.http.post("/api/v2/replications", body, required=("id",))

    update_replication = partialmethod(_update, "/api/v2/replications")
    delete_replication = partialmethod(_delete, "/api/v2/replications")

    def validate_replication(self, replication_id):
        """Ask the server to try the replication's remote (a 4xx/5xx reply says why it cannot work)."""
        self.http.request("POST", "/api/v2/replications/%s/validate" % path_quote(replication_id))

    # -- InfluxQL through the 1.x compatibility API ------------------------------------------------

    def influxql(self, statement, database, retention_policy=None):
        """The series of a read-only InfluxQL ``statement`` through ``/query`` (GET, retried), times in
        epoch seconds. A statement the server refuses (an ``error`` in the reply, or HTTP 400) is an
        :class:`~.http_client.InvalidRequest` naming the database/retention policy."""
        where = "%s/%s" % (database, retention_policy) if retention_policy else database
        query = {"q": statement, "db": database, "rp": retention_policy or None, "epoch": "s"}
        resp = self.http.request("GET", "/query", query=query, expect=(200, 400))
        data = resp.json_object()
        results = data.get("results")
        error = data.get("error")
        if error is None and isinstance(results, list) and results and isinstance(results[0], dict):
            error = results[0].get("error")
        if resp.status == 400 or error:
            raise InvalidRequest("InfluxQL on %s refused: %s" % (where, error or "HTTP 400"), status=resp.status,
                                 method=resp.method, url=resp.url)
        if not isinstance(results, list) or not results or not isinstance(results[0], dict):
            raise resp.unexpected('expected {"results": [...]} from /query')
        series = results[0].get("series") or []
        if not isinstance(series, list) or not all(isinstance(s, dict) for s in series):
            raise resp.unexpected("expected a list of series from /query")
        return series


def _org_users_path(org_id, role):
    if role not in ORG_ROLES:
        raise InvalidInput("role: %r must be one of %s" % (role, ", ".join(ORG_ROLES)))
    return "/api/v2/orgs/%s/%ss" % (path_quote(org_id), role)


def check_user_password(password, option="password"):
    """InfluxDB's own length rule, checked before any call so nothing is half made."""
    low, high = USER_PASSWORD_LENGTH
    if password is not None and not low <= len(password) <= high:
        raise InvalidInput("%s: InfluxDB requires %d to %d characters, got %d" % (option, low, high, len(password)))


def user_summary(user):
    """The fields of a user a playbook needs (InfluxDB keeps no password it could show)."""
    return {"id": user.get("id"), "name": user.get("name"), "status": user.get("status") or "active"}


def bucket_rules(retention_seconds, shard_group_seconds=None):
    """The ``retentionRules`` of a bucket: none for infinite retention and no shard-group setting."""
    retention_seconds = retention_seconds or 0
    if not retention_seconds and not shard_group_seconds:
        return []
    rule = {"type": "expire", "everySeconds": retention_seconds}
    if shard_group_seconds:
        rule["shardGroupDurationSeconds"] = shard_group_seconds
    return [rule]


def validate_bucket_name(name, option="name"):
    """InfluxDB's own rules (tenant.validBucketName), checked before any request."""
    if not name:
        raise InvalidInput("%s: a bucket name cannot be empty" % option)
    if name.startswith("_"):
        raise InvalidInput("%s: bucket name %r is invalid: names starting with an underscore are reserved "
                           "for system buckets" % (option, name))
    if '"' in name:
        raise InvalidInput("%s: bucket name %r is invalid: bucket names may not contain quotation marks "
                           "(they break queries)" % (option, name))
