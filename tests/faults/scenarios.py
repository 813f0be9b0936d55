"""One representative create or update run per module, and how to tell on the server that it converged.

A scenario prepares the server with raw API calls (never through the modules or the proxy), gives
the module arguments, and checks the server afterwards, again by raw API calls:

- ``check`` returns what is wrong with the object the run was meant to leave (empty: all good);
- ``inventory`` lists every object on the server as ``(kind, natural key, id)``, so the suite can
  see duplicates (two of one key), orphans (new objects the run was not asked for) and deletions
  the run was not asked for.

Every object a case makes carries the case's random prefix in its name, so cases never collide.
"""

from __future__ import annotations

import base64
import os
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Callable

from harness import OPERATOR_TOKEN, http

PASSWORD_OLD = "fault-old-password-1"
PASSWORD_NEW = "fault-new-password-2"
ADMIN_PASSWORD = "tickstack-admin-password"

Objects = set  # of (kind, key, id)


@dataclass
class Case:
    """One run of a scenario: the servers, a name prefix, and what prepare() made."""

    prefix: str
    influxdb: object | None = None  # harness.InfluxDB
    kapacitor: object | None = None  # harness.Kapacitor
    made: dict = field(default_factory=dict)

    def influx(self, method, path, body=None, **kw):
        return self.influxdb.api(method, path, body=body, **kw)

    def kapa(self, method, path, body=None):
        return http(method, self.kapacitor.url + "/kapacitor/v1" + path, body=body)


@dataclass
class Scenario:
    name: str  # module/what
    module: str
    service: str  # "influxdb", "kapacitor" or "blank" (a fresh influxd that is not set up)
    args: Callable[[Case], dict]
    check: Callable[[Case, dict], list[str]]
    prepare: Callable[[Case], None] = lambda case: None
    # (kind, key) of the objects the run must leave exactly one of
    expected: Callable[[Case], set] = lambda case: set()
    # ids the run may delete (the old object a replace swaps out)
    removable: Callable[[Case], set] = lambda case: set()
    read_only: bool = False
    # what is wrong with the state prepare() left, when a rollback can put it back under new IDs
    as_before: Callable[[Case], list[str]] | None = None

    @property
    def id(self):
        return self.name


# --------------------------------------------------------------------------------------------------
# InfluxDB: raw reads
# --------------------------------------------------------------------------------------------------

def _ok(status_body, what):
    status, body = status_body
    assert 200 <= status < 300, "%s: HTTP %s %s" % (what, status, body)
    return body


def influx_inventory(server, token=None) -> Objects:
    """Every org, bucket, user, token, v1 authorization and stored DBRP mapping on the instance."""
    def get(path):
        return _ok(server.api("GET", path, token=token), "GET " + path)

    out = set()
    orgs = get("/api/v2/orgs?limit=100")["orgs"]
    for org in orgs:
        out.add(("org", org["name"], org["id"]))
        for mapping in get("/api/v2/dbrps?orgID=%s" % org["id"]).get("content") or []:
            if not mapping.get("virtual"):
                out.add(("dbrp", "%s/%s" % (mapping["database"], mapping["retention_policy"]), mapping["id"]))
    offset = 0
    while True:
        page = get("/api/v2/buckets?limit=100&offset=%d" % offset)["buckets"]
        # System buckets (_monitoring, _tasks) come and go with their organization.
        out.update(("bucket", b["name"], b["id"]) for b in page if b.get("type") != "system")
        if len(page) < 100:
            break
        offset += len(page)
    out.update(("user", u["name"], u["id"]) for u in get("/api/v2/users")["users"])
    out.update(("token", a.get("description") or "", a["id"]) for a in get("/api/v2/authorizations")["authorizations"])
    out.update(("v1_auth", a.get("token") or "", a["id"])
               for a in get("/private/legacy/authorizations")["authorizations"])
    for org in orgs:
        out.update(("remote", r["name"], r["id"]) for r in get("/api/v2/remotes?orgID=%s" % org["id"]).get("remotes") or [])
        out.update(("replication", r["name"], r["id"])
                   for r in get("/api/v2/replications?orgID=%s" % org["id"]).get("replications") or [])
    return out


def authorizations(case, description):
    body = _ok(case.influx("GET", "/api/v2/authorizations?orgID=%s" % case.influxdb.org_id), "list tokens")
    return [a for a in body["authorizations"] if a.get("description") == description]


def permission_set(auth):
    return sorted((p["action"], p["resource"]["type"], p["resource"].get("id")) for p in auth.get("permissions") or [])


def bucket_by_name(case, name):
    status, body = case.influx("GET", "/api/v2/buckets?orgID=%s&name=%s" % (case.influxdb.org_id,
                                                                            urllib.parse.quote(name)))
    if status == 404:
        return None
    return next((b for b in _ok((status, body), "bucket " + name)["buckets"] if b["name"] == name), None)


def make_bucket(case, name, retention=0, description=""):
    rules = [{"type": "expire", "everySeconds": retention}] if retention else []
    body = {"orgID": case.influxdb.org_id, "name": name, "retentionRules": rules, "description": description}
    return _ok(case.influx("POST", "/api/v2/buckets", body), "create bucket")


def v1_password_works(server, username, password):
    basic = base64.b64encode(("%s:%s" % (username, password)).encode()).decode()
    status, _body = http("GET", server.url + "/query", headers={"Authorization": "Basic " + basic})
    return status not in (401, 403)


def user_password_works(server, name, password):
    """Whether InfluxDB's sign-in accepts ``name``/``password`` (the session is left to expire)."""
    basic = base64.b64encode(("%s:%s" % (name, password)).encode()).decode()
    status, _body = http("POST", server.url + "/api/v2/signin", headers={"Authorization": "Basic " + basic})
    return status == 204


def users_named(case, name):
    return [u for u in _ok(case.influx("GET", "/api/v2/users"), "users")["users"] if u["name"] == name]


def org_role(case, user_id):
    """``owner``, ``member`` or None: what the user is in the case's organization (raw API)."""
    roles = [role for role in ("owner", "member")
             if any(u["id"] == user_id for u in _ok(case.influx(
                 "GET", "/api/v2/orgs/%s/%ss" % (case.influxdb.org_id, role)), role + "s")["users"])]
    return roles[0] if len(roles) == 1 else (None if not roles else "both")


def stored_dbrps(case, database):
    body = _ok(case.influx("GET", "/api/v2/dbrps?orgID=%s&db=%s" % (case.influxdb.org_id, database)), "dbrps")
    return [m for m in body.get("content") or [] if not m.get("virtual")]


def _gone(found, what):
    """[] when ``found`` (an object, a list of them or a flag) says nothing is left."""
    return ["the %s is still there" % what] if found else []


def telegraf_bucket_id(case):
    return case.influxdb.bucket_id


# --------------------------------------------------------------------------------------------------
# InfluxDB scenarios
# --------------------------------------------------------------------------------------------------

def _setup_check(case, result):
    problems = []
    server = case.influxdb
    status, body = http("GET", server.url + "/api/v2/setup")
    if status != 200 or body.get("allowed") is not False:
        return ["the instance is not set up (GET /api/v2/setup: %s %s)" % (status, body)]
    inv = influx_inventory(server, token=OPERATOR_TOKEN)
    counts = {kind: sorted(k for kd, k, _oid in inv if kd == kind) for kind in ("org", "user", "token")}
    if counts["org"] != ["tickstack"]:
        problems.append("orgs on the instance: %s (want only tickstack)" % counts["org"])
    if counts["user"] != ["admin"]:
        problems.append("users on the instance: %s (want only admin)" % counts["user"])
    if len(counts["token"]) != 1:
        problems.append("%d tokens on the instance (want the operator token only)" % len(counts["token"]))
    buckets = [k for kd, k, _oid in inv if kd == "bucket" and not k.startswith("_")]
    if buckets != ["telegraf"]:
        problems.append("user buckets on the instance: %s (want only telegraf)" % buckets)
    return problems


def _org_args(description):
    return lambda case: {"name": case.prefix + "org", "description": description}


def _org_check(description):
    def check(case, result):
        body = _ok(case.influx("GET", "/api/v2/orgs?limit=100"), "orgs")
        found = [o for o in body["orgs"] if o["name"] == case.prefix + "org"]
        if len(found) != 1:
            return ["%d orgs named %s" % (len(found), case.prefix + "org")]
        if (found[0].get("description") or "") != description:
            return ["org description is %r, want %r" % (found[0].get("description"), description)]
        return []
    return check


def _org_prepare(case):
    case.made["org"] = _ok(case.influx("POST", "/api/v2/orgs", {"name": case.prefix + "org", "description": "before"}),
                           "create org")


def _bucket_check(retention, description):
    def check(case, result):
        bucket = bucket_by_name(case, case.prefix + "bucket")
        if bucket is None:
            return ["bucket %s is missing" % (case.prefix + "bucket")]
        rules = [r for r in bucket.get("retentionRules") or [] if r.get("type", "expire") == "expire"]
        every = rules[0]["everySeconds"] if rules else 0
        problems = []
        if every != retention:
            problems.append("bucket retention is %ss, want %ss" % (every, retention))
        if (bucket.get("description") or "") != description:
            problems.append("bucket description is %r, want %r" % (bucket.get("description"), description))
        return problems
    return check


def _token_args(action):
    return lambda case: {"description": case.prefix + "token",
                         "permissions": [{"action": action, "resource": {"type": "buckets", "name": "telegraf"}}]}


def _token_check(action):
    def check(case, result):
        found = authorizations(case, case.prefix + "token")
        if len(found) != 1:
            return ["%d tokens with the description %s (IDs %s)" % (len(found), case.prefix + "token",
                                                                    ", ".join(a["id"] for a in found))]
        want = [(action, "buckets", telegraf_bucket_id(case))]
        if permission_set(found[0]) != want:
            return ["token permissions are %s, want %s" % (permission_set(found[0]), want)]
        if found[0].get("status") != "active":
            return ["token status is %s" % found[0].get("status")]
        return []
    return check


def _tokens_check(case, result):
    """influxdb2_token with tokens: the existing token replaced with write, a second one made with read."""
    problems = _token_check("write")(case, result)
    found = authorizations(case, case.prefix + "token2")
    if len(found) != 1 or permission_set(found[0]) != [("read", "buckets", telegraf_bucket_id(case))]:
        problems.append("token %s: %s, want one that reads the Telegraf bucket"
                        % (case.prefix + "token2", [permission_set(a) for a in found]))
    return problems


def _token_prepare(case):
    case.made["token"] = _ok(case.influx("POST", "/api/v2/authorizations", {
        "orgID": case.influxdb.org_id, "description": case.prefix + "token", "permissions": [
            {"action": "read", "resource": {"type": "buckets", "id": case.influxdb.bucket_id,
                                            "orgID": case.influxdb.org_id}}]}), "create token")


def _buckets_check(case, result):
    """influxdb2_bucket with buckets: the existing bucket updated, the new one made."""
    problems = _bucket_check(3 * 86400, "changed")(case, result)
    made = bucket_by_name(case, case.prefix + "bucket2")
    rules = [r for r in (made or {}).get("retentionRules") or [] if r.get("type", "expire") == "expire"]
    if made is None or not rules or rules[0]["everySeconds"] != 2 * 86400:
        problems.append("bucket %s: %s, want a retention of 2d" % (case.prefix + "bucket2", made))
    return problems


def _dbrps_check(case, result):
    """influxdb2_dbrp with mappings: the existing mapping moved to b2, a new database mapped to b1."""
    problems = _dbrp_check("b2")(case, result)
    found = stored_dbrps(case, case.prefix + "db2")
    if [(m["retention_policy"], m["bucketID"], bool(m.get("default"))) for m in found] != [
            ("autogen", case.made["b1"]["id"], True)]:
        problems.append("database %s: %s, want autogen -> b1, its default" % (case.prefix + "db2", found))
    return problems


def _dbrp_prepare(move):
    def prepare(case):
        case.made["b1"] = make_bucket(case, case.prefix + "b1")
        if move:
            case.made["b2"] = make_bucket(case, case.prefix + "b2")
            case.made["dbrp"] = _ok(case.influx("POST", "/api/v2/dbrps", {
                "orgID": case.influxdb.org_id, "bucketID": case.made["b1"]["id"], "database": case.prefix + "db",
                "retention_policy": "autogen", "default": True}), "create dbrp")
    return prepare


def _dbrp_check(target):
    def check(case, result):
        found = stored_dbrps(case, case.prefix + "db")
        if len(found) != 1:
            return ["%d stored mappings for database %s: %s" % (len(found), case.prefix + "db",
                                                                [(m["retention_policy"], m["bucketID"]) for m in found])]
        mapping = found[0]
        problems = []
        if mapping["retention_policy"] != "autogen" or mapping["bucketID"] != case.made[target]["id"]:
            problems.append("mapping is %s -> %s, want autogen -> %s"
                            % (mapping["retention_policy"], mapping["bucketID"], case.made[target]["id"]))
        if not mapping.get("default"):
            problems.append("the only mapping of the database is not its default")
        return problems
    return check


def _v1_prepare(case):
    org, bucket = case.influxdb.org_id, case.influxdb.bucket_id
    auth = _ok(case.influx("POST", "/private/legacy/authorizations", {
        "orgID": org, "token": case.prefix + "user", "description": "",
        "permissions": [{"action": "read", "resource": {"type": "buckets", "id": bucket, "orgID": org}}]}),
        "create v1 auth")
    _ok(case.influx("POST", "/private/legacy/authorizations/%s/password" % auth["id"], {"password": PASSWORD_OLD}),
        "set v1 password")
    case.made["v1"] = auth


def _v1_check(actions, password):
    def check(case, result):
        body = _ok(case.influx("GET", "/private/legacy/authorizations"), "v1 auths")
        found = [a for a in body["authorizations"] if a.get("token") == case.prefix + "user"]
        if len(found) != 1:
            return ["%d v1 authorizations with the username %s" % (len(found), case.prefix + "user")]
        problems = []
        want = sorted((a, "buckets", telegraf_bucket_id(case)) for a in actions)
        if permission_set(found[0]) != want:
            problems.append("v1 permissions are %s, want %s" % (permission_set(found[0]), want))
        if found[0].get("status") != "active":
            problems.append("v1 authorization status is %s" % found[0].get("status"))
        if not v1_password_works(case.influxdb, case.prefix + "user", password):
            problems.append("the v1 password does not work (the authorization has no or another password)")
        return problems
    return check


def _user_prepare(case):
    case.made["user"] = _ok(case.influx("POST", "/api/v2/users", {"name": case.prefix + "user"}), "create user")
    _ok(case.influx("POST", "/api/v2/users/%s/password" % case.made["user"]["id"], {"password": PASSWORD_OLD}),
        "set user password")


def _user_check(password):
    def check(case, result):
        found = users_named(case, case.prefix + "user")
        if len(found) != 1:
            return ["%d users named %s" % (len(found), case.prefix + "user")]
        problems = []
        if found[0].get("status") != "active":
            problems.append("user status is %s" % found[0].get("status"))
        if not user_password_works(case.influxdb, case.prefix + "user", password):
            problems.append("the user's password does not work (no or another password)")
        return problems
    return check


def _member_prepare(role):
    def prepare(case):
        _user_prepare(case)
        if role:
            _ok(case.influx("POST", "/api/v2/orgs/%s/%ss" % (case.influxdb.org_id, role),
                            {"id": case.made["user"]["id"]}), "make the user " + role)
    return prepare


def _member_check(role):
    def check(case, result):
        found = org_role(case, case.made["user"]["id"])
        return [] if found == role else ["the user is %s in the organization, want %s" % (found, role)]
    return check


def _member_args(role, state="present"):
    return lambda case: {"user": case.prefix + "user", "role": role, "state": state}


def _the_user(case):
    return {("user", case.prefix + "user")}


def _info_check(case, result):
    """What influxdb2_info returned against what the server holds."""
    inv = influx_inventory(case.influxdb)
    problems = []
    org_ids = {i for kind, _key, i in inv if kind == "org"}
    got_orgs = {o.get("id") for o in result.get("orgs") or []}
    if got_orgs != org_ids:
        problems.append("info orgs %s, server %s" % (sorted(got_orgs), sorted(org_ids)))
    buckets = _ok(case.influx("GET", "/api/v2/buckets?orgID=%s&limit=100" % case.influxdb.org_id), "buckets")["buckets"]
    want_buckets = {b["id"] for b in buckets if b.get("type") != "system"}
    got_buckets = {b.get("id") for b in result.get("buckets") or []}
    if got_buckets != want_buckets:
        problems.append("info buckets %s, server %s" % (sorted(got_buckets), sorted(want_buckets)))
    tokens = {a["id"] for a in authorizations_all(case)}
    got_tokens = {t.get("id") for t in result.get("tokens") or []}
    if got_tokens != tokens:
        problems.append("info tokens %d, server %d" % (len(got_tokens), len(tokens)))
    if not (result.get("health") or {}).get("status") == "pass":
        problems.append("info health is %s" % result.get("health"))
    return problems


def authorizations_all(case):
    return _ok(case.influx("GET", "/api/v2/authorizations?orgID=%s" % case.influxdb.org_id), "tokens")["authorizations"]


def _info_prepare(case):
    make_bucket(case, case.prefix + "seen")


def _remote_args(case):
    server = case.influxdb
    # The remote is this same influxd: what the create stores is what is checked, not a far end.
    return {"name": case.prefix + "remote", "remote_url": server.url, "remote_org_id": server.org_id,
            "remote_token": OPERATOR_TOKEN, "description": "central"}


def _remote_check(case, result):
    body = _ok(case.influx("GET", "/api/v2/remotes?orgID=%s&name=%s" % (case.influxdb.org_id, case.prefix + "remote")),
               "remotes")
    found = body.get("remotes") or []
    if len(found) != 1:
        return ["%d remote connections named %s" % (len(found), case.prefix + "remote")]
    problems = []
    if found[0].get("remoteURL") != case.influxdb.url or found[0].get("remoteOrgID") != case.influxdb.org_id:
        problems.append("remote is %s/%s, want %s/%s" % (found[0].get("remoteURL"), found[0].get("remoteOrgID"),
                                                         case.influxdb.url, case.influxdb.org_id))
    if found[0].get("description") != "central":
        problems.append("remote description is %r" % found[0].get("description"))
    return problems


def _remote_prepare(case):
    server = case.influxdb
    case.made["remote"] = _ok(case.influx("POST", "/api/v2/remotes", {
        "orgID": server.org_id, "name": case.prefix + "remote", "remoteURL": server.url, "remoteOrgID": server.org_id,
        "remoteAPIToken": OPERATOR_TOKEN}), "create remote")


def _replication_prepare(existing):
    def prepare(case):
        _remote_prepare(case)
        case.made["bucket"] = make_bucket(case, case.prefix + "local")
        if existing:
            case.made["replication"] = _ok(case.influx("POST", "/api/v2/replications", {
                "orgID": case.influxdb.org_id, "name": case.prefix + "rep", "remoteID": case.made["remote"]["id"],
                "localBucketID": case.made["bucket"]["id"], "remoteBucketName": "telegraf"}), "create replication")
    return prepare


def _replication_args(max_age):
    return lambda case: {"name": case.prefix + "rep", "remote": case.prefix + "remote",
                         "local_bucket": case.prefix + "local", "remote_bucket": "telegraf", "max_age": max_age,
                         "drop_non_retryable_data": True}


def _replications(case):
    path = "/api/v2/replications?orgID=%s&name=%s" % (case.influxdb.org_id, case.prefix + "rep")
    body = _ok(case.influx("GET", path), "replications")
    return body.get("replications") or []


def _replication_check(max_age):
    def check(case, result):
        found = _replications(case)
        if len(found) != 1:
            return ["%d replications named %s" % (len(found), case.prefix + "rep")]
        rep, problems = found[0], []
        if rep.get("remoteID") != case.made["remote"]["id"] or rep.get("localBucketID") != case.made["bucket"]["id"]:
            problems.append("replication goes %s -> %s, want %s -> %s" % (
                rep.get("localBucketID"), rep.get("remoteID"), case.made["bucket"]["id"], case.made["remote"]["id"]))
        if rep.get("maxAgeSeconds") != max_age or not rep.get("dropNonRetryableData"):
            problems.append("replication maxAgeSeconds=%s dropNonRetryableData=%s, want %s and true"
                            % (rep.get("maxAgeSeconds"), rep.get("dropNonRetryableData"), max_age))
        return problems
    return check


def _replication_expected(case):
    return {("remote", case.prefix + "remote"), ("bucket", case.prefix + "local"), ("replication", case.prefix + "rep")}


def _newest_prepare(case):
    """A point of host h in the bucket telegraf (its virtual DBRP telegraf/autogen), a second old."""
    status, body = case.influxdb.write_lp("telegraf", "%sm,host=h v=1 %d" % (case.prefix, int(time.time()) - 1))
    if status != 204:
        raise AssertionError("write: HTTP %s %s" % (status, body))


def _newest_check(case, result):
    series = result.get("series") or []
    group = (series[0].get("groups") or {}).get("h") if series else None
    if not group or group.get("measurement") != case.prefix + "m" or not 0 <= group.get("age", -1) < 600:
        return ["newest point of host h: %s" % (series,)]
    return []


def _probe_copy(case):
    return "/tmp/tickstack-faults-%sprobe.token" % case.prefix


def _probe_prepare(case):
    """A copy of a token the server holds, as the stack role keeps one on a host (root only)."""
    with open(_probe_copy(case), "w", encoding="utf-8") as handle:
        handle.write(case.influxdb.token + "\n")
    os.chmod(_probe_copy(case), 0o600)


def _probe_check(case, result):
    found = (result.get("copies") or {}).get("probe") or {}
    if not (found.get("exists") and found.get("accepted") and found.get("mode") == "0600"):
        return ["influxdb2_token_probe reported %s" % {k: v for k, v in found.items() if k != "value"}]
    return []


INFLUX_SCENARIOS = [
    Scenario("influxdb2_setup/create", "influxdb2_setup", "blank",
             args=lambda case: {"username": "admin", "password": ADMIN_PASSWORD, "org": "tickstack",
                                "bucket": "telegraf", "retention": "30d", "token": OPERATOR_TOKEN},
             check=_setup_check),
    Scenario("influxdb2_org/create", "influxdb2_org", "influxdb", args=_org_args("made by the fault suite"),
             check=_org_check("made by the fault suite"), expected=lambda case: {("org", case.prefix + "org")}),
    Scenario("influxdb2_org/update", "influxdb2_org", "influxdb", args=_org_args("after"), prepare=_org_prepare,
             check=_org_check("after"), expected=lambda case: {("org", case.prefix + "org")}),
    Scenario("influxdb2_bucket/create", "influxdb2_bucket", "influxdb",
             args=lambda case: {"name": case.prefix + "bucket", "retention": "2d", "description": "new"},
             check=_bucket_check(2 * 86400, "new"), expected=lambda case: {("bucket", case.prefix + "bucket")}),
    Scenario("influxdb2_bucket/update", "influxdb2_bucket", "influxdb",
             prepare=lambda case: case.made.update(bucket=make_bucket(case, case.prefix + "bucket", 86400, "old")),
             args=lambda case: {"name": case.prefix + "bucket", "retention": "3d", "description": "changed"},
             check=_bucket_check(3 * 86400, "changed"), expected=lambda case: {("bucket", case.prefix + "bucket")}),
    Scenario("influxdb2_bucket/several", "influxdb2_bucket", "influxdb",
             prepare=lambda case: case.made.update(bucket=make_bucket(case, case.prefix + "bucket", 86400, "old")),
             args=lambda case: {"buckets": [{"name": case.prefix + "bucket", "retention": "3d", "description": "changed"},
                                            {"name": case.prefix + "bucket2", "retention": "2d"}]},
             check=_buckets_check, expected=lambda case: {("bucket", case.prefix + "bucket"), ("bucket", case.prefix + "bucket2")}),
    Scenario("influxdb2_token/create", "influxdb2_token", "influxdb", args=_token_args("read"),
             check=_token_check("read"), expected=lambda case: {("token", case.prefix + "token")}),
    Scenario("influxdb2_token/replace", "influxdb2_token", "influxdb", args=_token_args("write"),
             prepare=_token_prepare, check=_token_check("write"),
             as_before=lambda case: _token_check("read")(case, {}),
             expected=lambda case: {("token", case.prefix + "token")},
             removable=lambda case: {case.made["token"]["id"]}),
    Scenario("influxdb2_token/several", "influxdb2_token", "influxdb",
             args=lambda case: {"tokens": [dict(_token_args("write")(case), rotate=False),
                                           dict(_token_args("read")(case), description=case.prefix + "token2")]},
             prepare=_token_prepare, check=_tokens_check,
             expected=lambda case: {("token", case.prefix + "token"), ("token", case.prefix + "token2")},
             removable=lambda case: {case.made["token"]["id"]}),
    Scenario("influxdb2_dbrp/create", "influxdb2_dbrp", "influxdb",
             args=lambda case: {"database": case.prefix + "db", "retention_policy": "autogen",
                                "bucket": case.prefix + "b1"},
             prepare=_dbrp_prepare(move=False), check=_dbrp_check("b1"),
             expected=lambda case: {("dbrp", case.prefix + "db/autogen"), ("bucket", case.prefix + "b1")}),
    Scenario("influxdb2_dbrp/move", "influxdb2_dbrp", "influxdb",
             args=lambda case: {"database": case.prefix + "db", "retention_policy": "autogen",
                                "bucket": case.prefix + "b2"},
             prepare=_dbrp_prepare(move=True), check=_dbrp_check("b2"),
             as_before=lambda case: _dbrp_check("b1")(case, {}),
             expected=lambda case: {("dbrp", case.prefix + "db/autogen"), ("bucket", case.prefix + "b1"),
                                    ("bucket", case.prefix + "b2")},
             removable=lambda case: {case.made["dbrp"]["id"]}),
    Scenario("influxdb2_dbrp/several", "influxdb2_dbrp", "influxdb",
             args=lambda case: {"mappings": [
                 {"database": case.prefix + "db", "retention_policy": "autogen", "bucket": case.prefix + "b2",
                  "virtual_ok": False},
                 {"database": case.prefix + "db2", "retention_policy": "autogen", "bucket": case.prefix + "b1",
                  "default": True, "virtual_ok": False}]},
             prepare=_dbrp_prepare(move=True), check=_dbrps_check,
             expected=lambda case: {("dbrp", case.prefix + "db/autogen"), ("dbrp", case.prefix + "db2/autogen"),
                                    ("bucket", case.prefix + "b1"), ("bucket", case.prefix + "b2")},
             removable=lambda case: {case.made["dbrp"]["id"]}),
    Scenario("influxdb2_v1_auth/create", "influxdb2_v1_auth", "influxdb",
             args=lambda case: {"username": case.prefix + "user", "password": PASSWORD_NEW,
                                "read_buckets": ["telegraf"]},
             check=_v1_check(["read"], PASSWORD_NEW), expected=lambda case: {("v1_auth", case.prefix + "user")}),
    Scenario("influxdb2_v1_auth/replace", "influxdb2_v1_auth", "influxdb",
             args=lambda case: {"username": case.prefix + "user", "password": PASSWORD_NEW,
                                "read_buckets": ["telegraf"], "write_buckets": ["telegraf"]},
             prepare=_v1_prepare, check=_v1_check(["read", "write"], PASSWORD_NEW),
             as_before=lambda case: _v1_check(["read"], PASSWORD_OLD)(case, {}),
             expected=lambda case: {("v1_auth", case.prefix + "user")},
             removable=lambda case: {case.made["v1"]["id"]}),
    Scenario("influxdb2_v1_auth/password", "influxdb2_v1_auth", "influxdb",
             args=lambda case: {"username": case.prefix + "user", "password": PASSWORD_NEW,
                                "update_password": "always", "read_buckets": ["telegraf"]},
             prepare=_v1_prepare, check=_v1_check(["read"], PASSWORD_NEW),
             expected=lambda case: {("v1_auth", case.prefix + "user")}),
    Scenario("influxdb2_remote/create", "influxdb2_remote", "influxdb", args=_remote_args, check=_remote_check,
             expected=lambda case: {("remote", case.prefix + "remote")}),
    Scenario("influxdb2_remote/update", "influxdb2_remote", "influxdb", args=_remote_args, prepare=_remote_prepare,
             check=_remote_check, expected=lambda case: {("remote", case.prefix + "remote")}),
    Scenario("influxdb2_replication/create", "influxdb2_replication", "influxdb", args=_replication_args("1h"),
             prepare=_replication_prepare(existing=False), check=_replication_check(3600),
             expected=_replication_expected),
    Scenario("influxdb2_replication/update", "influxdb2_replication", "influxdb", args=_replication_args("2h"),
             prepare=_replication_prepare(existing=True), check=_replication_check(7200),
             expected=_replication_expected),
    Scenario("influxdb2_user/create", "influxdb2_user", "influxdb",
             args=lambda case: {"name": case.prefix + "user", "password": PASSWORD_NEW},
             check=_user_check(PASSWORD_NEW), expected=_the_user),
    Scenario("influxdb2_user/password", "influxdb2_user", "influxdb",
             args=lambda case: {"name": case.prefix + "user", "password": PASSWORD_NEW, "update_password": "always"},
             prepare=_user_prepare, check=_user_check(PASSWORD_NEW), expected=_the_user),
    Scenario("influxdb2_org_member/add", "influxdb2_org_member", "influxdb", args=_member_args("member"),
             prepare=_member_prepare(None), check=_member_check("member"), expected=_the_user),
    Scenario("influxdb2_org_member/move", "influxdb2_org_member", "influxdb", args=_member_args("owner"),
             prepare=_member_prepare("member"), check=_member_check("owner"),
             as_before=lambda case: _member_check("member")(case, {}), expected=_the_user),
    Scenario("influxdb2_info/read", "influxdb2_info", "influxdb", args=lambda case: {},
             prepare=_info_prepare, check=_info_check, read_only=True,
             expected=lambda case: {("bucket", case.prefix + "seen")}),
    # Deletes: a DELETE whose first attempt worked and whose retry gets 404 is done.
    Scenario("influxdb2_bucket/delete", "influxdb2_bucket", "influxdb",
             args=lambda case: {"name": case.prefix + "bucket", "state": "absent"},
             prepare=lambda case: case.made.update(bucket=make_bucket(case, case.prefix + "bucket")),
             check=lambda case, result: _gone(bucket_by_name(case, case.prefix + "bucket"), "bucket"),
             removable=lambda case: {case.made["bucket"]["id"]}),
    Scenario("influxdb2_token/delete", "influxdb2_token", "influxdb",
             args=lambda case: {"description": case.prefix + "token", "state": "absent"}, prepare=_token_prepare,
             check=lambda case, result: _gone(authorizations(case, case.prefix + "token"), "token"),
             removable=lambda case: {case.made["token"]["id"]}),
    Scenario("influxdb2_dbrp/delete", "influxdb2_dbrp", "influxdb",
             args=lambda case: {"database": case.prefix + "db", "retention_policy": "autogen", "state": "absent"},
             prepare=_dbrp_prepare(move=True),
             check=lambda case, result: _gone(stored_dbrps(case, case.prefix + "db"), "stored mapping"),
             expected=lambda case: {("bucket", case.prefix + "b1"), ("bucket", case.prefix + "b2")},
             removable=lambda case: {case.made["dbrp"]["id"]}),
    Scenario("influxdb2_v1_auth/delete", "influxdb2_v1_auth", "influxdb",
             args=lambda case: {"username": case.prefix + "user", "state": "absent"}, prepare=_v1_prepare,
             check=lambda case, result: _gone([a for a in _ok(case.influx("GET", "/private/legacy/authorizations"),
                                                              "v1 auths")["authorizations"]
                                               if a.get("token") == case.prefix + "user"], "v1 authorization"),
             removable=lambda case: {case.made["v1"]["id"]}),
    Scenario("influxdb2_replication/delete", "influxdb2_replication", "influxdb",
             args=lambda case: {"name": case.prefix + "rep", "state": "absent"},
             prepare=_replication_prepare(existing=True),
             check=lambda case, result: _gone(_replications(case), "replication"),
             expected=lambda case: {("remote", case.prefix + "remote"), ("bucket", case.prefix + "local")},
             removable=lambda case: {case.made["replication"]["id"]}),
    Scenario("influxdb2_user/delete", "influxdb2_user", "influxdb",
             args=lambda case: {"name": case.prefix + "user", "state": "absent"}, prepare=_user_prepare,
             check=lambda case, result: _gone(users_named(case, case.prefix + "user"), "user"),
             removable=lambda case: {case.made["user"]["id"]}),
    Scenario("influxdb2_org_member/remove", "influxdb2_org_member", "influxdb",
             args=_member_args("member", "absent"), prepare=_member_prepare("owner"),
             check=_member_check(None), expected=_the_user),

    Scenario("influxdb2_newest_point/read", "influxdb2_newest_point", "influxdb",
             args=lambda case: {"series": [{"database": "telegraf", "retention_policy": "autogen",
                                            "measurement": case.prefix + "m", "group_by": "host"}]},
             prepare=_newest_prepare, check=_newest_check, read_only=True),
    Scenario("influxdb2_token_probe/read", "influxdb2_token_probe", "influxdb",
             args=lambda case: {"copies": {"probe": _probe_copy(case)}},
             prepare=_probe_prepare, check=_probe_check, read_only=True),
]


# --------------------------------------------------------------------------------------------------
# Kapacitor
# --------------------------------------------------------------------------------------------------

def kapacitor_inventory(server) -> Objects:
    def get(path):
        return _ok(http("GET", server.url + "/kapacitor/v1" + path), "GET " + path)

    out = set()
    out.update(("task", t["id"], t["id"]) for t in get("/tasks?fields=status&limit=1000")["tasks"])
    out.update(("template", t["id"], t["id"]) for t in get("/templates?fields=type&limit=1000")["templates"])
    for topic in get("/alerts/topics")["topics"]:
        for handler in get("/alerts/topics/%s/handlers" % urllib.parse.quote(topic["id"], safe=""))["handlers"]:
            key = "%s/%s" % (topic["id"], handler["id"])
            out.add(("handler", key, key))
    return out


def _script(measurement):
    return ('// made by the fault suite\ndbrp "telegraf"."autogen"\n\nstream\n    |from()\n'
            "        .measurement('%s')\n    |log()\n" % measurement)


TEMPLATE = ('dbrp "telegraf"."autogen"\n\nvar measurement string\nvar level = \'%s\'\n\nstream\n'
            "    |from()\n        .measurement(measurement)\n    |log()\n        .level(level)\n")


def _tokens(script):
    return re.sub(r"\s+", "", script or "")


def _task_check(measurement):
    def check(case, result):
        status, task = case.kapa("GET", "/tasks/%s?script-format=raw" % (case.prefix + "task"))
        if status != 200:
            return ["task %s: HTTP %s" % (case.prefix + "task", status)]
        problems = []
        if _tokens(task.get("script")) != _tokens(_script(measurement)):
            problems.append("task script is %r" % task.get("script"))
        if task.get("status") != "enabled" or not task.get("executing"):
            problems.append("task status %s, executing %s" % (task.get("status"), task.get("executing")))
        if task.get("dbrps") != [{"db": "telegraf", "rp": "autogen"}]:
            problems.append("task dbrps %s" % task.get("dbrps"))
        return problems
    return check


def _task_prepare(case):
    _ok(case.kapa("POST", "/tasks", {"id": case.prefix + "task", "type": "stream", "script": _script("before"),
                                     "status": "enabled"}), "create task")


def _template_check(level):
    def check(case, result):
        status, template = case.kapa("GET", "/templates/%s?script-format=raw" % (case.prefix + "tpl"))
        if status != 200:
            return ["template %s: HTTP %s" % (case.prefix + "tpl", status)]
        if _tokens(template.get("script")) != _tokens(TEMPLATE % level):
            return ["template script is %r" % template.get("script")]
        return []
    return check


def _handler_args(path):
    return lambda case: {"topic": case.prefix + "topic", "id": "log", "kind": "log", "options": {"path": path},
                         "match": "level() == CRITICAL"}


def _handler_check(path):
    def check(case, result):
        status, handler = case.kapa("GET", "/alerts/topics/%s/handlers/log" % (case.prefix + "topic"))
        if status != 200:
            return ["handler %s/log: HTTP %s" % (case.prefix + "topic", status)]
        problems = []
        if handler.get("kind") != "log" or (handler.get("options") or {}).get("path") != path:
            problems.append("handler is %s %s" % (handler.get("kind"), handler.get("options")))
        if handler.get("match") != "level() == CRITICAL":
            problems.append("handler match is %r" % handler.get("match"))
        return problems
    return check


def _kapacitor_info_check(case, result):
    inv = kapacitor_inventory(case.kapacitor)
    want = {key for kind, key, _oid in inv if kind == "task"}
    got = {t.get("id") for t in result.get("tasks") or []}
    problems = []
    if got != want:
        problems.append("info tasks %s, server %s" % (sorted(got), sorted(want)))
    want = {key for kind, key, _oid in inv if kind == "template"}
    got = {t.get("id") for t in result.get("templates") or []}
    if got != want:
        problems.append("info templates %s, server %s" % (sorted(got), sorted(want)))
    want = {key for kind, key, _oid in inv if kind == "handler"}
    got = {"%s/%s" % (t.get("id"), h.get("id")) for t in result.get("topics") or [] for h in t.get("handlers") or []}
    if got != want:
        problems.append("info handlers %s, server %s" % (sorted(got), sorted(want)))
    return problems


def _task_stats_check(case, result):
    want = {key for kind, key, _oid in kapacitor_inventory(case.kapacitor) if kind == "task"}
    got = {t.get("id") for t in result.get("tasks") or []}
    mine = [t for t in result.get("tasks") or [] if t.get("id") == case.prefix + "task"]
    problems = [] if got == want else ["task_stats tasks %s, server %s" % (sorted(got), sorted(want))]
    if not mine or mine[0].get("first_node") != "stream0" or mine[0].get("received") is None:
        problems.append("task_stats of %stask: %s" % (case.prefix, mine))
    return problems


def _tasks_check(case, result):
    """kapacitor_task with tasks: the existing task updated, the new one created, both running."""
    problems = _task_check("after")(case, result)
    status, task = case.kapa("GET", "/tasks/%s?script-format=raw" % (case.prefix + "task2"))
    if status != 200 or _tokens(task.get("script")) != _tokens(_script("cpu")) or not task.get("executing"):
        problems.append("task %stask2: HTTP %s %s" % (case.prefix, status, task))
    return problems


KAPACITOR_SCENARIOS = [
    Scenario("kapacitor_task/create", "kapacitor_task", "kapacitor",
             args=lambda case: {"id": case.prefix + "task", "script": _script("cpu")},
             check=_task_check("cpu"), expected=lambda case: {("task", case.prefix + "task")}),
    Scenario("kapacitor_task/update", "kapacitor_task", "kapacitor",
             args=lambda case: {"id": case.prefix + "task", "script": _script("after")}, prepare=_task_prepare,
             check=_task_check("after"), expected=lambda case: {("task", case.prefix + "task")}),
    Scenario("kapacitor_task/several", "kapacitor_task", "kapacitor",
             args=lambda case: {"tasks": [{"id": case.prefix + "task", "script": _script("after")},
                                          {"id": case.prefix + "task2", "script": _script("cpu")}]},
             prepare=_task_prepare, check=_tasks_check,
             expected=lambda case: {("task", case.prefix + "task"), ("task", case.prefix + "task2")}),
    Scenario("kapacitor_template/create", "kapacitor_template", "kapacitor",
             args=lambda case: {"id": case.prefix + "tpl", "script": TEMPLATE % "INFO"},
             check=_template_check("INFO"), expected=lambda case: {("template", case.prefix + "tpl")}),
    Scenario("kapacitor_template/update", "kapacitor_template", "kapacitor",
             args=lambda case: {"id": case.prefix + "tpl", "script": TEMPLATE % "ERROR"},
             prepare=lambda case: _ok(case.kapa("POST", "/templates", {
                 "id": case.prefix + "tpl", "type": "stream", "script": TEMPLATE % "INFO"}), "template"),
             check=_template_check("ERROR"), expected=lambda case: {("template", case.prefix + "tpl")}),
    Scenario("kapacitor_topic_handler/create", "kapacitor_topic_handler", "kapacitor",
             args=_handler_args("/tmp/tickstack-faults-a.log"), check=_handler_check("/tmp/tickstack-faults-a.log"),
             expected=lambda case: {("handler", case.prefix + "topic/log")}),
    Scenario("kapacitor_topic_handler/update", "kapacitor_topic_handler", "kapacitor",
             args=_handler_args("/tmp/tickstack-faults-b.log"),
             prepare=lambda case: _ok(case.kapa("POST", "/alerts/topics/%s/handlers" % (case.prefix + "topic"), {
                 "id": "log", "kind": "log", "options": {"path": "/tmp/tickstack-faults-a.log"},
                 "match": "level() == CRITICAL"}), "handler"),
             check=_handler_check("/tmp/tickstack-faults-b.log"),
             expected=lambda case: {("handler", case.prefix + "topic/log")}),
    Scenario("kapacitor_info/read", "kapacitor_info", "kapacitor", args=lambda case: {},
             prepare=_task_prepare, check=_kapacitor_info_check, read_only=True,
             expected=lambda case: {("task", case.prefix + "task")}),
    Scenario("kapacitor_task_stats/read", "kapacitor_task_stats", "kapacitor", args=lambda case: {"interval": 1},
             prepare=_task_prepare, check=_task_stats_check, read_only=True,
             expected=lambda case: {("task", case.prefix + "task")}),
    Scenario("kapacitor_task/delete", "kapacitor_task", "kapacitor",
             args=lambda case: {"id": case.prefix + "task", "state": "absent"}, prepare=_task_prepare,
             check=lambda case, result: _gone(case.kapa("GET", "/tasks/" + case.prefix + "task")[0] != 404, "task"),
             removable=lambda case: {case.prefix + "task"}),
    Scenario("kapacitor_topic_handler/delete", "kapacitor_topic_handler", "kapacitor",
             args=lambda case: {"topic": case.prefix + "topic", "id": "log", "state": "absent"},
             prepare=lambda case: _ok(case.kapa("POST", "/alerts/topics/%s/handlers" % (case.prefix + "topic"), {
                 "id": "log", "kind": "log", "options": {"path": "/tmp/tickstack-faults-a.log"}}), "handler"),
             check=lambda case, result: _gone(case.kapa("GET", "/alerts/topics/%s/handlers/log"
                                                        % (case.prefix + "topic"))[0] != 404, "handler"),
             removable=lambda case: {case.prefix + "topic/log"}),
]

SCENARIOS = INFLUX_SCENARIOS + KAPACITOR_SCENARIOS


def cleanup(case: Case):
    """Delete whatever carries the case's prefix (raw API), so one case never sees another's objects."""
    if case.influxdb is not None and case.influxdb.token:
        server = case.influxdb
        try:
            inv = influx_inventory(server)
        except AssertionError:
            return
        paths = {"org": "/api/v2/orgs/%s", "bucket": "/api/v2/buckets/%s", "token": "/api/v2/authorizations/%s",
                 "v1_auth": "/private/legacy/authorizations/%s",
                 "dbrp": "/api/v2/dbrps/%%s?orgID=%s" % server.org_id, "user": "/api/v2/users/%s",
                 "replication": "/api/v2/replications/%s", "remote": "/api/v2/remotes/%s"}
        # Replications before their remotes and buckets (InfluxDB refuses to delete a remote in use).
        for kind in ("replication", "remote", "dbrp", "token", "v1_auth", "bucket", "org", "user"):
            for k, key, oid in inv:
                if k == kind and key.startswith(case.prefix):
                    server.api("DELETE", paths[kind] % oid)
    if case.kapacitor is not None:
        inv = kapacitor_inventory(case.kapacitor)
        for kind, key, _oid in sorted(inv):
            if not key.startswith(case.prefix):
                continue
            if kind == "task":
                case.kapa("DELETE", "/tasks/" + key)
            elif kind == "template":
                case.kapa("DELETE", "/templates/" + key)
            elif kind == "handler":
                topic, handler = key.split("/", 1)
                case.kapa("DELETE", "/alerts/topics/%s/handlers/%s" % (topic, handler))
        for kind, key, _oid in inv:
            if kind == "handler" and key.startswith(case.prefix):
                case.kapa("DELETE", "/alerts/topics/" + key.split("/", 1)[0])
