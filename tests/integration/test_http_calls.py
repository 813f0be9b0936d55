"""The HTTP calls of each module's idempotent run, counted against the real servers (issue 14).

Every API module runs twice with the arguments the roles pass (roles/stack/tasks/*.yml,
roles/kapacitor/tasks/objects.yml, roles/influxdb/tasks/*.yml) through the fault proxy in pass-through
mode: the first run creates, the second must report ``changed=false``. The second run's requests
(method, path, query, body) are what the daily converge costs: at most ``BOUND`` calls per module,
and no request sent twice.

The table of the counts goes to ``$TICKSTACK_HTTP_CALLS_REPORT`` (default /tmp/http_calls.md).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from faults.fault_proxy import FaultProxy
from faults.module_runner import run_module
from harness import VERSIONS, http, start_kapacitor

pytestmark = pytest.mark.integration

REPORT = Path(os.environ.get("TICKSTACK_HTTP_CALLS_REPORT", "/tmp/http_calls.md"))
ADMIN = ("ansible", "admin-password-for-http-calls")
PASSWORD = "a-user-password-1"
SCRIPT = ("stream\n    |from()\n        .measurement('cpu')\n"
          "    |alert()\n        .crit(lambda: \"usage_idle\" < 10)\n        .topic('cpu')\n")
TEMPLATE = ("var measurement string\nvar crit lambda\n\nstream\n    |from()\n        .measurement(measurement)\n"
            "    |alert()\n        .crit(crit)\n        .topic('tpl')\n")

# At most this many calls on the idempotent run, per module. 2 where the API allows it (find the
# object, and one more read where the module needs a second object); more only where an API limit
# forces it, said beside the number.
BOUND = {
    # GET /api/v2/setup (onboarding allowed?), then the token is checked (the instance is set up: the
    # token given must work there). The same with probe (the influxdb role's look before configuring).
    "influxdb2_setup": 2,
    # GET the org by name: the object itself.
    "influxdb2_org": 1,
    # The bucket, listed by org name and bucket name (the org's ID comes with it); with buckets
    # (several), the one listing of the org's buckets.
    "influxdb2_bucket": 1,
    # The mappings of the database, listed by org name (they carry the org's ID), then the bucket by
    # name: a mapping names its bucket by ID, and the API takes no bucket name. With mappings
    # (several), the one listing of the org's mappings, then its buckets in one lookup.
    "influxdb2_dbrp": 2,
    # The org's authorizations, listed by org name (they carry the org's ID), then every bucket name
    # the permissions give in one lookup: a permission names its bucket by ID, and
    # /api/v2/authorizations has no description filter. With tokens (several), the same two for all.
    "influxdb2_token": 2,
    # The user by name. update_password=on_create: nothing proves a password (InfluxDB returns none).
    "influxdb2_user": 1,
    # The org (/orgs/{id}/members takes its ID only), then the list of the wanted role, which names
    # its users (a user is owner or member, never both: the other list is read only when not found).
    "influxdb2_org_member": 2,
    # The v1 authorization by username (it names its org), then the buckets by name (one lookup).
    "influxdb2_v1_auth": 2,
    # The org (/api/v2/remotes takes the org by ID only), the remote by name.
    "influxdb2_remote": 2,
    # The org, the replication by name, the remote by name, the local bucket by name: four, since
    # /api/v2/replications and /api/v2/remotes take the org by ID only and a replication names its
    # remote and bucket by ID.
    "influxdb2_replication": 4,
    # Read-only; what the role's prune gathers (tokens): the org, the authorizations.
    "influxdb2_info": 2,
    # Read-only: one /query per series (one series here).
    "influxdb2_newest_point": 1,
    # Kapacitor: the object itself, its reply proving it is Kapacitor (X-Kapacitor-Version); with
    # tasks (several), the one listing of every task.
    "kapacitor_task": 1,
    "kapacitor_template": 1,
    "kapacitor_topic_handler": 1,
    # update_password=always, as the stack passes it: Kapacitor never returns a password, so only a
    # login proves it. The user reads itself with the password (403 for a normal user: a login, then
    # the admin reads the user), or, for an admin user (the stack's), 200 shows the user and an
    # anonymous ping must be refused (with [http] auth-enabled = false every login passes).
    "kapacitor_user": 2,
    # Read-only: the lists of tasks, templates and topics, plus one list of handlers per topic (the
    # API has no list of all handlers): 3 + topics, checked in the test.
    "kapacitor_info": 3,
    # Read-only: two samples of the task list, ``interval`` seconds apart (the samples are the point:
    # the repeat of that one request is its purpose, and the only repeat allowed).
    "kapacitor_task_stats": 2,
}
REPEAT_ALLOWED = {"kapacitor_task_stats"}

_TABLE: dict[tuple[str, str], int] = {}
_BOUNDS: dict[str, int] = {}
_SEEN: dict[tuple[str, str], str] = {}


def request_of(call) -> tuple:
    """(method, path, sorted query, body, who) of one proxied call: what makes two calls the same (a
    ping as the admin and one as another user are two requests)."""
    parts = urlsplit(call.path)
    body = call.body.decode("utf-8", "replace") if call.body else None
    return (call.method, parts.path, tuple(sorted(parse_qsl(parts.query, keep_blank_values=True))), body, call.who)


def describe(calls) -> str:
    lines = []
    for call in calls:
        method, path, query, body, who = request_of(call)
        lines.append("  %s %s%s%s (as %s)" % (method, path, "?" + "&".join("%s=%s" % q for q in query) if query else "",
                                              " " + body[:200] if body else "", who or "nobody"))
    return "\n".join(lines)


def idempotent_calls(proxy: FaultProxy, module: str, args: dict) -> list:
    """Run ``module`` twice; the first must succeed, the second must change nothing. The second's calls."""
    first = run_module(module, args)
    assert not first.get("failed"), "%s first run failed: %s" % (module, first)
    proxy.reset()
    second = run_module(module, args)
    calls = list(proxy.calls)
    assert not second.get("failed"), "%s second run failed: %s" % (module, second)
    assert second.get("changed") is False, "%s second run changed: %s" % (module, second.get("diff", second))
    return calls


def check_bound(module: str, version: str, calls: list, extra: int = 0, case: str | None = None):
    """At most ``BOUND[module] + extra`` calls (``extra``: the per-object calls an API forces) and no repeat."""
    seen = describe(calls)
    _TABLE[(case or module, version)] = len(calls)
    _BOUNDS[case or module] = max(_BOUNDS.get(case or module, 0), BOUND[module] + extra)
    _SEEN[(case or module, version)] = seen
    assert len(calls) <= BOUND[module] + extra, "%s made %d calls on its idempotent run, bound %d:\n%s" % (
        module, len(calls), BOUND[module] + extra, seen)
    if module not in REPEAT_ALLOWED:
        requests = [request_of(c) for c in calls]
        repeated = sorted({r for r in requests if requests.count(r) > 1}, key=str)
        assert not repeated, "%s repeated a request on its idempotent run:\n%s" % (module, seen)


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    if not _TABLE:
        return
    versions = sorted({v for _m, v in _TABLE})
    lines = ["| module | bound | " + " | ".join(versions) + " |", "|---|---|" + "---|" * len(versions)]
    for case in sorted({c for c, _v in _TABLE}, key=lambda c: (list(BOUND).index(c.split("/")[0]), c)):
        counts = [str(_TABLE[(case, v)]) if (case, v) in _TABLE else "-" for v in versions]
        lines.append("| %s | %d | %s |" % (case, _BOUNDS.get(case, BOUND[case.split("/")[0]]), " | ".join(counts)))
    text = "\n".join(lines) + "\n"
    details = "".join("\n%s on %s:\n%s\n" % (m, v, _SEEN[(m, v)]) for m, v in sorted(_SEEN))
    try:
        REPORT.write_text(text + details)
    except OSError:
        pass
    print("\nHTTP calls of each module's idempotent run\n" + text)


# --------------------------------------------------------------------------------------------------
# InfluxDB 2
# --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def influx_proxy(influxdb_any):
    with FaultProxy(influxdb_any.url) as proxy:
        yield proxy


def influx_api(server, method, path, body=None):
    status, reply = server.api(method, path, body=body)
    assert 200 <= status < 300, (method, path, status, reply)
    return reply


def make_buckets(server, names):
    return {name: influx_api(server, "POST", "/api/v2/buckets",
                             {"orgID": server.org_id, "name": name, "retentionRules": []})["id"] for name in names}


def _setup(server, prefix):
    return {"username": server.username, "password": server.password, "org": server.org, "bucket": server.bucket}


def _org(server, prefix):
    return {"name": prefix + "org", "description": "an org"}


def _bucket(server, prefix):
    return {"org": server.org, "name": prefix + "bucket", "retention": "30d", "description": "metrics"}


def _dbrp(server, prefix):
    make_buckets(server, [prefix + "dbrp"])
    return {"database": prefix + "db", "retention_policy": "autogen", "bucket": prefix + "dbrp", "default": True,
            "virtual_ok": False}


def _buckets(server, prefix):
    # The stack role's shape (roles/stack/tasks/resources.yml): every bucket of the model in one run.
    return {"org": server.org, "buckets": [{"name": prefix + "bulk-%d" % n, "retention": "%dd" % (30 + n)} for n in range(3)]}


def _dbrps(server, prefix):
    # The stack role's shape: every mapping of the model in one run, stored, one default per database.
    make_buckets(server, [prefix + "bulk-a", prefix + "bulk-b"])
    return {"mappings": [
        {"database": prefix + "bulkdb", "retention_policy": "autogen", "bucket": prefix + "bulk-a", "default": True,
         "virtual_ok": False},
        {"database": prefix + "bulkdb", "retention_policy": "long", "bucket": prefix + "bulk-b", "virtual_ok": False},
        {"database": prefix + "otherdb", "retention_policy": "autogen", "bucket": prefix + "bulk-b", "default": True,
         "virtual_ok": False}]}


def _token(server, prefix):
    # The shape of the stack's Kapacitor token: read the Telegraf bucket, read and write its own.
    names = [prefix + "telegraf", prefix + "kapacitor", prefix + "alerts"]
    make_buckets(server, names)
    permissions = [{"action": "read", "resource": {"type": "buckets", "name": names[0]}},
                   {"action": "read", "resource": {"type": "buckets", "name": names[1]}},
                   {"action": "write", "resource": {"type": "buckets", "name": names[1]}},
                   {"action": "write", "resource": {"type": "buckets", "name": names[2]}}]
    return {"description": prefix + "kapacitor token", "permissions": permissions, "rotate": False}


def _tokens(server, prefix):
    # The stack role's shape (roles/stack/tasks/token.yml): every host's tokens in one run.
    names = [prefix + "t-telegraf", prefix + "t-kapacitor"]
    make_buckets(server, names)
    write_telegraf = {"action": "write", "resource": {"type": "buckets", "name": names[0]}}
    kapacitor = [{"action": "read", "resource": {"type": "buckets", "name": names[0]}},
                 {"action": "write", "resource": {"type": "buckets", "name": names[1]}}]
    return {"tokens": [{"description": prefix + "kapacitor on k1", "permissions": kapacitor, "rotate": False}]
            + [{"description": prefix + "telegraf on t%d" % n, "permissions": [write_telegraf], "rotate": False}
               for n in range(4)]}


def _user(server, prefix):
    return {"name": prefix + "user", "password": PASSWORD, "update_password": "on_create", "status": "active",
            "state": "present"}


def _org_member(server, prefix):
    influx_api(server, "POST", "/api/v2/users", {"name": prefix + "member", "status": "active"})
    return {"org": server.org, "user": prefix + "member", "role": "member", "state": "present"}


def _v1_auth(server, prefix):
    make_buckets(server, [prefix + "v1a", prefix + "v1b"])
    return {"username": prefix + "v1", "password": PASSWORD, "read_buckets": [prefix + "v1a", prefix + "v1b"],
            "write_buckets": [prefix + "v1b"]}


def _remote(server, prefix):
    return {"name": prefix + "remote", "description": "central", "remote_url": server.url,
            "remote_org_id": server.org_id, "remote_token": server.token, "allow_insecure_tls": False}


def _replication(server, prefix):
    make_buckets(server, [prefix + "local"])
    influx_api(server, "POST", "/api/v2/remotes", {
        "orgID": server.org_id, "name": prefix + "rremote", "remoteURL": server.url, "remoteOrgID": server.org_id,
        "remoteAPIToken": server.token})
    return {"name": prefix + "rep", "description": "to central", "remote": prefix + "rremote",
            "local_bucket": prefix + "local", "remote_bucket": server.bucket, "max_age": "1h",
            "drop_non_retryable_data": True}


def _info(server, prefix):
    return {"gather": ["tokens"]}


def _newest_point(server, prefix):
    status, _body = server.write_lp(server.bucket, "%sm,host=h v=1 %d" % (prefix, int(time.time()) - 1))
    assert status == 204
    return {"series": [{"database": server.bucket, "retention_policy": "autogen", "measurement": prefix + "m",
                        "group_by": "host"}], "lookback": "1h"}


INFLUX_CASES = {
    "influxdb2_setup": _setup, "influxdb2_setup/probe": lambda server, prefix: {"probe": True}, "influxdb2_org": _org,
    "influxdb2_bucket": _bucket, "influxdb2_bucket/bulk": _buckets,
    "influxdb2_dbrp": _dbrp, "influxdb2_dbrp/bulk": _dbrps,
    "influxdb2_token": _token, "influxdb2_token/bulk": _tokens, "influxdb2_user": _user, "influxdb2_org_member": _org_member,
    "influxdb2_v1_auth": _v1_auth, "influxdb2_remote": _remote, "influxdb2_replication": _replication,
    "influxdb2_info": _info, "influxdb2_newest_point": _newest_point,
}


@pytest.mark.parametrize("module", list(INFLUX_CASES))
def test_influxdb2_idempotent_calls(module, influxdb_any, influx_proxy, prefix):
    case, module = module, module.split("/")[0]
    args = INFLUX_CASES[case](influxdb_any, prefix)
    # As the roles' module_defaults set them: the url, the operator token, the org by name.
    connection = {"url": influx_proxy.url, "token": influxdb_any.token, "org": influxdb_any.org}
    calls = idempotent_calls(influx_proxy, module, dict(connection, **args))
    check_bound(module, influxdb_any.version, calls, case=case)


def test_token_permissions_resolved_in_one_list(influxdb_any, influx_proxy, prefix):
    """The buckets a token's permissions name are looked up together, whatever their number."""
    names = ["%sb%02d" % (prefix, n) for n in range(8)]
    make_buckets(influxdb_any, names)
    permissions = [{"action": action, "resource": {"type": "buckets", "name": name}}
                   for name in names for action in ("read", "write")]
    args = {"url": influx_proxy.url, "token": influxdb_any.token, "org": influxdb_any.org,
            "description": prefix + "many", "permissions": permissions}
    calls = idempotent_calls(influx_proxy, "influxdb2_token", args)
    bucket_calls = [c for c in calls if urlsplit(c.path).path == "/api/v2/buckets"]
    assert len(bucket_calls) == 1, describe(calls)
    assert len(calls) <= BOUND["influxdb2_token"], describe(calls)


# --------------------------------------------------------------------------------------------------
# Kapacitor (with its own authentication on, as the stack runs it)
# --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def kapacitor_auth(tmp_path_factory):
    server = start_kapacitor(VERSIONS["KAPACITOR_VERSION"], tmp_path_factory.mktemp("kapacitor-calls"), None,
                             admin=ADMIN)
    yield server
    server.process.stop()


@pytest.fixture(scope="module")
def kapacitor_proxy(kapacitor_auth):
    with FaultProxy(kapacitor_auth.url) as proxy:
        yield proxy


def _task(prefix):
    return {"id": prefix + "task", "script": SCRIPT, "type": "stream",
            "dbrps": [{"db": "telegraf", "rp": "autogen"}], "status": "enabled", "state": "present"}


def _tasks(prefix):
    # The role's shape: every task of a host in one run (its idempotent run is one listing).
    return {"tasks": [dict(_task(prefix), id=prefix + "task-%d" % n) for n in range(3)]
            + [dict(_task(prefix), id=prefix + "task-off", status="disabled")]}


def _template(prefix):
    return {"id": prefix + "tpl", "script": TEMPLATE, "type": "stream", "state": "present"}


def _topic_handler(prefix):
    return {"topic": prefix + "topic", "id": "log", "kind": "log", "options": {"path": "/tmp/tickstack-calls.log"},
            "match": "level() == CRITICAL", "state": "present"}


def _kapacitor_user(prefix):
    return {"name": prefix + "telegraf", "user_password": PASSWORD, "update_password": "always", "type": "normal",
            "permissions": ["write_points"]}


def _kapacitor_admin_user(prefix):
    # The stack's users: the write relay's (and, without it, each Telegraf host's) are admins.
    return {"name": prefix + "relay", "user_password": PASSWORD, "update_password": "always", "type": "admin"}


KAPACITOR_CASES = {
    "kapacitor_task": _task, "kapacitor_task/bulk": _tasks, "kapacitor_template": _template, "kapacitor_topic_handler": _topic_handler,
    "kapacitor_user": _kapacitor_user, "kapacitor_user/admin": _kapacitor_admin_user,
    "kapacitor_user/admin+list": lambda prefix: dict(_kapacitor_admin_user(prefix), list_pattern=prefix + "*"),
    "kapacitor_info": lambda prefix: {},
    "kapacitor_task_stats": lambda prefix: {"interval": 1},
}


@pytest.mark.parametrize("module", list(KAPACITOR_CASES))
def test_kapacitor_idempotent_calls(module, kapacitor_auth, kapacitor_proxy, prefix):
    connection = {"url": kapacitor_proxy.url, "username": ADMIN[0], "password": ADMIN[1]}
    case, module = module, module.split("/")[0]
    calls = idempotent_calls(kapacitor_proxy, module, dict(connection, **KAPACITOR_CASES[case](prefix)))
    extra = 0
    if module == "kapacitor_info":
        extra = len([c for c in calls if c.path.startswith("/kapacitor/v1/alerts/topics/")])
        assert extra == len(kapacitor_topics(kapacitor_auth)), describe(calls)
    if case == "kapacitor_user/admin+list":
        # The users list the stack's relay task reads along (list_pattern): another API, one call.
        extra = 1
    check_bound(module, "kapacitor " + kapacitor_auth.version, calls, extra, case=case)


def kapacitor_topics(server) -> list:
    status, body = http("GET", server.url + "/kapacitor/v1/alerts/topics", basic=ADMIN)
    assert status == 200, (status, body)
    return body["topics"]


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
@pytest.mark.parametrize("module", list(KAPACITOR_CASES))
def test_kapacitor_wrong_server_still_named(module, check_mode, influxdb, prefix):
    """No ping, yet the first real request proves the server is Kapacitor: InfluxDB at the url fails
    that first request, named, before anything is written, in check mode too (its 404 is not taken
    for "no such task")."""
    args = dict(KAPACITOR_CASES[module](prefix), username=ADMIN[0], password=ADMIN[1])
    with FaultProxy(influxdb.url) as proxy:
        result = run_module(module.split("/")[0], dict(args, url=proxy.url), check_mode=check_mode)
        calls = list(proxy.calls)
    assert result.get("failed") and not result.get("crashed"), json.dumps(result)[:2000]
    assert "no Kapacitor API here; check that the url points at kapacitord" in result["msg"], result["msg"]
    assert proxy.url in result["msg"] and result["status"] == 404
    assert len(calls) == 1 and calls[0].method == "GET", describe(calls)


def test_kapacitor_tasks_from_templates_compare_from_the_listing(kapacitor_auth, kapacitor_proxy, prefix):
    """kapacitor_task's tasks against the real kapacitord: what one listing returns (template-id, typed
    vars, raw scripts) compares as the per-task GET does, so a second run changes nothing; each task from
    a template reads its template once."""
    template = prefix + "bulk-tpl"
    status, body = http("POST", kapacitor_auth.url + "/kapacitor/v1/templates", basic=ADMIN,
                        body={"id": template, "type": "stream", "script": TEMPLATE})
    assert status == 200, (status, body)
    entries = [{"id": prefix + "from-tpl", "template_id": template, "dbrps": [{"db": "telegraf", "rp": "autogen"}],
                "vars": {"measurement": "cpu", "crit": {"type": "lambda", "value": '"usage_idle" < 5'}}},
               {"id": prefix + "plain", "script": SCRIPT, "dbrps": [{"db": "telegraf", "rp": "autogen"}],
                "vars": {}}]
    connection = {"url": kapacitor_proxy.url, "username": ADMIN[0], "password": ADMIN[1]}
    calls = idempotent_calls(kapacitor_proxy, "kapacitor_task", dict(connection, tasks=entries))
    assert [(c.method, urlsplit(c.path).path) for c in calls] == [
        ("GET", "/kapacitor/v1/tasks"), ("GET", "/kapacitor/v1/templates/" + template)], describe(calls)
