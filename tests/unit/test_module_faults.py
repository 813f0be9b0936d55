"""Faults and bad input on the module side (issue 11): never a traceback, never a half-made object.

Every module's main() runs against fake servers that answer HTML, lists, strings, truncated JSON or
errors at the worst moment; the result is one failure with ``msg`` (and the HTTP call's status,
method and URL), or a rollback that leaves the server as it was, and the next run converges.
"""

from __future__ import annotations

import http.client
import json

import pytest
from influxdb2_support import BUCKET2_ID, BUCKET_ID, ORG_ID, FakeInflux, FakeModule, bucket, client, error, org, reply, with_org
from test_kapacitor_modules import STREAM, FakeKapacitor, refuse

from module_args import patch_module_args
from ansible_collections.tickstack.influx.plugins.module_utils import http_client as http_module
from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput, OperationFailed
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import (
    MAX_PAGES,
    HttpClient,
    Response,
    ServerUnreachable,
    UnexpectedResponse,
    urls_transport,
)
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import parse_duration
from ansible_collections.tickstack.influx.plugins.modules import (
    influxdb2_bucket,
    influxdb2_dbrp,
    influxdb2_info,
    influxdb2_org,
    influxdb2_org_member,
    influxdb2_remote,
    influxdb2_replication,
    influxdb2_setup,
    influxdb2_token,
    influxdb2_user,
    influxdb2_v1_auth,
    kapacitor_info,
    kapacitor_task,
    kapacitor_template,
    kapacitor_topic_handler,
)

INFLUX = "http://influx.test:8086"
KAPACITOR = "http://kap.test:9092"
AUTH_ID, NEW_AUTH_ID = "00000000000000d1", "00000000000000d2"


def run_main(module_py, args, transport, monkeypatch, capsys):
    monkeypatch.setattr(http_module, "urls_transport", transport)
    with patch_module_args(dict(args, _ansible_diff=True)), pytest.raises(SystemExit):
        module_py.main()
    return json.loads(capsys.readouterr().out)


def every_call(answer):
    """A transport that gives every request the same answer; Kapacitor's carry its X-Kapacitor-Version
    (kapacitord sends it on every reply: these are Kapacitor's own bad replies, not another server's)."""
    def transport(method, url, headers, data, options):
        resp = Response(*answer) if isinstance(answer, tuple) else answer
        if url.startswith(KAPACITOR):
            resp = Response(resp.status, dict(resp.headers, **{"X-Kapacitor-Version": "1.8.3"}), resp.body)
        return resp
    return transport


INFLUX_MODULES = [
    (influxdb2_org, {"name": "acme"}),
    (influxdb2_bucket, {"name": "metrics", "org": "acme"}),
    (influxdb2_token, {"description": "writer", "org": "acme",
                       "permissions": [{"action": "write", "resource": {"type": "buckets", "name": "metrics"}}]}),
    (influxdb2_dbrp, {"database": "metrics", "bucket": "metrics", "org": "acme"}),
    (influxdb2_v1_auth, {"username": "kapa", "password": "s3cret-pass", "read_buckets": ["metrics"], "org": "acme"}),
    (influxdb2_setup, {"username": "admin", "password": "pw123456", "org": "acme", "bucket": "metrics"}),
    (influxdb2_info, {"org": "acme"}),
    (influxdb2_remote, {"name": "central", "org": "acme", "remote_url": "https://hq.test:8086",
                        "remote_org_id": "0123456789abcdef", "remote_token": "central-token"}),
    (influxdb2_replication, {"name": "to-hq", "org": "acme", "remote": "central", "local_bucket": "metrics",
                             "remote_bucket": "edge"}),
    (influxdb2_user, {"name": "alice", "password": "s3cret-pass"}),
    (influxdb2_org_member, {"user": "alice", "org": "acme", "role": "owner"}),
]
KAPACITOR_MODULES = [
    (kapacitor_task, {"id": "cpu", "script": STREAM}),
    (kapacitor_template, {"id": "tpl", "script": STREAM}),
    (kapacitor_topic_handler, {"topic": "cpu", "id": "log", "kind": "log", "options": {"path": "/tmp/a.log"}}),
    (kapacitor_info, {}),
]
BAD_BODIES = [
    (b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>", "not JSON", "502 Bad Gateway"),
    (b'["a", "b"]', "expected a JSON object, got a list", '["a", "b"]'),
    (b'"just a string"', "expected a JSON object, got a string", "just a string"),
    (b'{"orgs": [{"id": "00000000000', "not JSON", '{"orgs": [{"id": "00000000000'),
]


@pytest.mark.parametrize("module_py, args", INFLUX_MODULES + KAPACITOR_MODULES, ids=lambda v: getattr(v, "__name__", "").rsplit(".", 1)[-1])
@pytest.mark.parametrize("body, why, quoted", BAD_BODIES, ids=["html", "list", "string", "truncated"])
def test_a_2xx_reply_that_is_not_the_api_json_is_one_clear_failure(module_py, args, body, why, quoted, monkeypatch, capsys):
    url = KAPACITOR if module_py.__name__.rsplit(".", 1)[-1].startswith("kapacitor") else INFLUX
    args = dict(args, url=url) if url == KAPACITOR else dict(args, url=url, token="s3cret-token")
    out = run_main(module_py, args, every_call((200, {"Content-Type": "text/html"}, body)),
                   monkeypatch, capsys)
    assert out["failed"] is True and "Traceback" not in json.dumps(out)
    assert why in out["msg"] and quoted in out["msg"]
    assert out["status"] == 200 and out["method"] in ("GET", "POST") and out["url"].startswith(url)


@pytest.mark.parametrize("reply_body, why", [
    ({"orgs": "acme"}, "expected 'orgs' to be a list of objects, got a string"),
    ({"orgs": [{"name": "acme"}]}, "an item of 'orgs' has no id"),
    ({"orgs": [["acme"]]}, "expected 'orgs' to be a list of objects, got a list"),
])
def test_wrong_shapes_are_api_errors_not_key_errors(reply_body, why, monkeypatch, capsys):
    out = run_main(influxdb2_org, {"url": INFLUX, "token": "s3cret-token", "name": "acme"}, every_call(reply(200, reply_body)),
                   monkeypatch, capsys)
    assert out["failed"] and why in out["msg"] and out["url"].startswith(INFLUX + "/api/v2/orgs")


def test_a_created_object_without_an_id_is_an_error():
    fake = with_org(FakeInflux()).on("GET", "/api/v2/buckets", reply(200, {"buckets": []}))
    fake.on("POST", "/api/v2/buckets", reply(201, {"name": "metrics"}))
    module = FakeModule({"name": "metrics", "description": None, "retention": None, "shard_group_duration": None,
                         "state": "present"})
    with pytest.raises(UnexpectedResponse, match="the reply has no id"):
        influxdb2_bucket.ensure(module, client(fake))


def test_a_body_cut_off_mid_read_is_unreachable_not_a_traceback(monkeypatch):
    class Cut:
        headers = {}

        def getcode(self):
            return 200

        def read(self):
            raise http.client.IncompleteRead(b'{"or', 100)

    monkeypatch.setattr(http_module, "open_url", lambda url, **kwargs: Cut())
    with pytest.raises(ServerUnreachable, match="broken reply: IncompleteRead"):
        urls_transport("GET", "http://x/y", {}, None, {})


# -- retries and pagination -------------------------------------------------------------------------

def test_a_delete_answered_404_after_a_retry_is_done():
    fake = FakeInflux().on("DELETE", "/api/v2/buckets/%s" % BUCKET_ID, error(503, "busy"), error(404, "not found"))
    client(fake).delete_bucket(BUCKET_ID)
    assert [s.method for s in fake.sent] == ["DELETE", "DELETE"]


def test_a_first_delete_answered_404_is_still_not_found():
    fake = FakeInflux().on("DELETE", "/api/v2/buckets/%s" % BUCKET_ID, error(404, "bucket not found"))
    with pytest.raises(http_module.NotFound):
        client(fake).delete_bucket(BUCKET_ID)


def test_pagination_stops_when_the_server_ignores_the_offset():
    page = {"buckets": [bucket("%016x" % i, "b%d" % i) for i in range(100)]}
    fake = FakeInflux().on("GET", "/api/v2/buckets", reply(200, page))
    with pytest.raises(UnexpectedResponse, match="page at offset 100 repeats the page before it"):
        client(fake).list_buckets(org_id=ORG_ID)
    assert len(fake.sent) == 2


def test_pagination_has_an_upper_bound():
    def endless(request):
        start = int(request.query["offset"])
        return reply(200, {"items": list(range(start, start + 2))})

    fake = FakeInflux().on("GET", "/items", endless)
    http = HttpClient(INFLUX, transport=fake)
    with pytest.raises(UnexpectedResponse, match="more than %d pages" % MAX_PAGES):
        list(http.paginate("/items", "items", limit=2))
    assert len(fake.sent) == MAX_PAGES


# -- empty natural keys -----------------------------------------------------------------------------

@pytest.mark.parametrize("module_py, args, key", [
    (influxdb2_dbrp, {"database": "", "bucket": "metrics", "state": "absent"}, "database"),
    (influxdb2_dbrp, {"database": "prod", "retention_policy": " ", "state": "absent"}, "retention_policy"),
    (influxdb2_token, {"description": "", "state": "absent"}, "description"),
    (influxdb2_org, {"name": "", "state": "absent"}, "name"),
    (influxdb2_bucket, {"name": "", "state": "absent"}, "name"),
    (influxdb2_v1_auth, {"username": "", "state": "absent"}, "username"),
    (kapacitor_task, {"id": "", "state": "absent"}, "id"),
    (kapacitor_template, {"id": "", "state": "absent"}, "id"),
    (kapacitor_topic_handler, {"topic": "cpu", "id": "", "state": "absent"}, "id"),
])
def test_empty_natural_keys_are_refused_before_any_call(module_py, args, key, monkeypatch, capsys):
    calls = []

    def transport(*request):
        calls.append(request)
        return reply(500, {"message": "must not be called"})

    if module_py.__name__.rsplit(".", 1)[-1].startswith("kapacitor"):
        args = dict(args, url=KAPACITOR)
    else:
        args = dict(args, url=INFLUX, token="s3cret-token", org="acme")
    out = run_main(module_py, args, transport, monkeypatch, capsys)
    assert out["failed"] and out["msg"].startswith("%s: cannot be empty" % key)
    assert calls == []


# -- durations ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["120M", "1M", "2Mo"])
def test_capital_m_is_ambiguous_and_refused(text):
    with pytest.raises(InvalidInput, match="^retention: '%s' is ambiguous: M could mean months or minutes" % text):
        parse_duration(text)


@pytest.mark.parametrize("text", ["1mo", "1y", "2yr", "1.5d"])
def test_months_years_and_fractions_are_refused(text):
    with pytest.raises(InvalidInput, match="^shard_group_duration: .* is not a duration"):
        parse_duration(text, "shard_group_duration")


@pytest.mark.parametrize("text, seconds", [("120m", 7200), ("3600000ms", 3600), ("1h0m0s", 3600), ("2w", 1209600),
                                           ("3600000000us", 3600), ("3600000000\u00b5s", 3600), ("60s", 60)])
def test_what_influx_reads_unambiguously_is_accepted(text, seconds):
    assert parse_duration(text) == seconds


def test_a_duration_must_be_whole_seconds():
    with pytest.raises(InvalidInput, match="not a whole number of seconds"):
        parse_duration("1500ms")


# -- influxdb2_token: replace and heal ------------------------------------------------------------------

def auth(auth_id, action="write", token=""):
    return {"id": auth_id, "description": "writer", "status": "active", "orgID": ORG_ID, "userID": "00000000000000a1",
            "token": token, "permissions": [{"action": action, "resource": {"type": "buckets", "id": BUCKET_ID,
                                                                            "orgID": ORG_ID}}]}


def token_server(existing, delete_old=None):
    fake = with_org(FakeInflux()).on("GET", "/api/v2/buckets", reply(200, {"buckets": [bucket()]}))
    fake.on("GET", "/api/v2/authorizations", reply(200, {"authorizations": existing}))
    fake.on("POST", "/api/v2/authorizations", reply(201, auth(NEW_AUTH_ID, token="new-value")))
    fake.on("DELETE", "/api/v2/authorizations/%s" % AUTH_ID, delete_old or reply(204))
    fake.on("DELETE", "/api/v2/authorizations/%s" % NEW_AUTH_ID, reply(204))
    fake.on("GET", "/api/v2/authorizations/%s" % AUTH_ID, reply(200, auth(AUTH_ID)))  # still there
    return fake


TOKEN = {"description": "writer", "user": None, "status": "active", "rotate": False, "state": "present",
         "permissions": [{"action": "write", "resource": {"type": "buckets", "name": "metrics"}}]}


def test_token_replace_deletes_the_new_token_when_the_old_cannot_go():
    fake = token_server([auth(AUTH_ID, action="read")], delete_old=error(403, "write:authorizations is unauthorized"))
    with pytest.raises(OperationFailed, match="cannot delete the old token %s.*the new token was deleted again" % AUTH_ID):
        influxdb2_token.ensure(FakeModule(dict(TOKEN)), client(fake))
    assert [(w.method, w.path.rsplit("/", 1)[-1]) for w in fake.writes()] == [
        ("POST", "authorizations"), ("DELETE", AUTH_ID), ("DELETE", NEW_AUTH_ID)]


def test_token_replace_says_when_the_rollback_fails_too():
    fake = token_server([auth(AUTH_ID, action="read")], delete_old=error(500, "boom"))
    fake.on("DELETE", "/api/v2/authorizations/%s" % NEW_AUTH_ID, error(500, "boom"))
    fake.on("GET", "/api/v2/authorizations/%s" % NEW_AUTH_ID, reply(200, auth(NEW_AUTH_ID)))
    with pytest.raises(OperationFailed, match="deleting the new token %s failed too.*next run to replace" % NEW_AUTH_ID):
        influxdb2_token.ensure(FakeModule(dict(TOKEN)), client(fake))


def test_token_duplicates_are_healed_with_a_usable_value_and_the_next_run_converges():
    fake = token_server([auth(AUTH_ID), auth("00000000000000d3")])
    fake.on("DELETE", "/api/v2/authorizations/00000000000000d3", reply(204))
    check = influxdb2_token.ensure(FakeModule(dict(TOKEN), check_mode=True), client(fake))
    assert check["changed"] and check["replaced"] and fake.writes() == []
    result = influxdb2_token.ensure(FakeModule(dict(TOKEN)), client(fake))
    assert result["token"] == "new-value" and result["token_available"]
    assert sorted(w.path[-16:] for w in fake.writes() if w.method == "DELETE") == [AUTH_ID, "00000000000000d3"]
    fake.on("GET", "/api/v2/authorizations", reply(200, {"authorizations": [auth(NEW_AUTH_ID)]}))
    assert influxdb2_token.ensure(FakeModule(dict(TOKEN)), client(fake))["changed"] is False


# -- influxdb2_v1_auth -----------------------------------------------------------------------------------

V1 = {"username": "kapa", "password": "s3cret-pass", "update_password": "on_create", "read_buckets": ["metrics"],
      "write_buckets": [], "description": None, "user": None, "status": "active", "state": "present"}


def legacy(auth_id=AUTH_ID):
    return {"id": auth_id, "token": "kapa", "status": "active", "orgID": ORG_ID, "userID": "00000000000000a1",
            "permissions": [{"action": "read", "resource": {"type": "buckets", "id": BUCKET_ID, "orgID": ORG_ID}}]}


def v1_server(existing=None, password_reply=None, probe=None):
    fake = with_org(FakeInflux()).on("GET", "/api/v2/buckets", reply(200, {"buckets": [bucket()]}))
    fake.on("GET", "/private/legacy/authorizations", reply(200, {"authorizations": [existing] if existing else []}))
    fake.on("POST", "/private/legacy/authorizations", reply(201, legacy(NEW_AUTH_ID)))
    fake.on("POST", "/private/legacy/authorizations/%s/password" % NEW_AUTH_ID, password_reply or reply(204))
    fake.on("POST", "/private/legacy/authorizations/%s/password" % AUTH_ID, reply(204))
    fake.on("DELETE", "/private/legacy/authorizations/%s" % NEW_AUTH_ID, reply(204))
    fake.on("GET", "/query", probe or reply(400, {"error": "missing required parameter \"q\""}))
    return fake


@pytest.mark.parametrize("password", ["abc", "x" * 7, "x" * 73])
def test_v1_password_length_is_checked_before_any_call(password):
    fake = v1_server()
    with pytest.raises(InvalidInput, match="password: InfluxDB requires 8 to 72 characters, got %d" % len(password)):
        influxdb2_v1_auth.ensure(FakeModule(dict(V1, password=password)), client(fake))
    assert fake.sent == []


def test_v1_create_is_rolled_back_when_the_password_fails():
    fake = v1_server(password_reply=error(400, "passwords must be at least 8 characters"))
    with pytest.raises(OperationFailed, match="cannot set the password of v1 authorization 'kapa'.*deleted again"):
        influxdb2_v1_auth.ensure(FakeModule(dict(V1)), client(fake))
    assert [(w.method, w.path.rsplit("/", 1)[-1]) for w in fake.writes()] == [
        ("POST", "authorizations"), ("POST", "password"), ("DELETE", NEW_AUTH_ID)]


@pytest.mark.parametrize("status", [500, 503, 429])
def test_v1_a_failing_credential_check_is_an_error_not_a_working_password(status):
    fake = v1_server(existing=legacy(), probe=error(status, "overloaded"))
    with pytest.raises(http_module.ApiError) as caught:
        influxdb2_v1_auth.ensure(FakeModule(dict(V1, update_password="always")), client(fake))
    assert caught.value.status == status and fake.writes() == []


# -- influxdb2_dbrp: a move completes or is rolled back ------------------------------------------------

def test_dbrp_move_puts_the_old_mapping_back_when_the_create_fails():
    stored = {"id": "00000000000000f1", "database": "metrics", "retention_policy": "autogen", "default": True,
              "virtual": False, "orgID": ORG_ID, "bucketID": BUCKET_ID}
    fake = with_org(FakeInflux())
    fake.on("GET", "/api/v2/buckets", reply(200, {"buckets": [bucket(BUCKET2_ID, "other")]}))
    fake.on("GET", "/api/v2/dbrps", reply(200, {"content": [stored]}))
    fake.on("DELETE", "/api/v2/dbrps/00000000000000f1", reply(204))
    fake.on("POST", "/api/v2/dbrps", error(500, "boom"), reply(201, dict(stored, id="00000000000000f2")))
    module = FakeModule({"database": "metrics", "retention_policy": "autogen", "bucket": "other", "default": None,
                         "virtual_ok": True, "state": "present"})
    with pytest.raises(OperationFailed, match="cannot move DBRP mapping metrics/autogen to bucket 'other'.*put back"):
        influxdb2_dbrp.ensure(module, client(fake))
    restore = fake.writes()[-1]
    assert restore.method == "POST" and restore.body["bucketID"] == BUCKET_ID and restore.body["default"] is True


# -- kapacitor_task: never deletes what it did not create -----------------------------------------------

@pytest.fixture
def kapacitor(monkeypatch):
    fake = FakeKapacitor()
    monkeypatch.setattr(http_module, "urls_transport", fake)
    return fake


def task_main(capsys, **args):
    with patch_module_args(dict(args, url=KAPACITOR, _ansible_diff=True)), pytest.raises(SystemExit):
        kapacitor_task.main()
    return json.loads(capsys.readouterr().out)


def test_a_task_created_concurrently_is_not_deleted_by_a_failed_create(kapacitor, capsys, monkeypatch):
    theirs = STREAM.replace("my-db", "their-db")
    real_post = kapacitor._tasks_post

    def race(rest, body, query):
        # Another run creates the task between our GET (nothing there) and our POST.
        real_post(rest, dict(body, script=theirs), query)
        return real_post(rest, body, query)

    monkeypatch.setattr(kapacitor, "_tasks_post", race)
    out = task_main(capsys, id="cpu", script=STREAM)
    assert out["failed"] and "already exists" in out["msg"] and "this run did not create; it was left alone" in out["msg"]
    assert kapacitor.tasks["cpu"]["script"] == theirs


def test_a_half_created_task_of_another_definition_is_left_alone(kapacitor, capsys, monkeypatch):
    theirs = STREAM.replace("my-db", "their-db")

    def stored_then_failed(rest, body, query):
        kapacitor.tasks[body["id"]] = {"id": body["id"], "template-id": "", "type": "stream", "script": theirs,
                                       "dbrps": [{"db": "telegraf", "rp": "autogen"}], "vars": {}, "status": "enabled"}
        return refuse(500, "something failed")

    monkeypatch.setattr(kapacitor, "_tasks_post", stored_then_failed)
    out = task_main(capsys, id="cpu", script=STREAM)
    assert out["failed"] and "left alone" in out["msg"] and "cpu" in kapacitor.tasks


def test_a_half_created_task_of_this_run_is_deleted_and_the_next_run_converges(kapacitor, capsys):
    broken = STREAM.replace("|influxDBOut()", "|influxDBOut()\n        .cluster('missing')")
    out = task_main(capsys, id="cpu", script=broken)
    assert out["failed"] and "the half-created task was deleted" in out["msg"] and kapacitor.tasks == {}
    assert task_main(capsys, id="cpu", script=STREAM)["changed"] is True
    assert task_main(capsys, id="cpu", script=STREAM)["changed"] is False


def test_a_task_changed_by_someone_else_during_a_failed_update_is_left_alone(kapacitor, capsys, monkeypatch):
    task_main(capsys, id="cpu", script=STREAM)
    theirs = STREAM.replace("my-db", "their-db")
    real_patch = kapacitor._tasks_patch

    def interfere(rest, body, query):
        if body.get("script"):
            kapacitor.tasks["cpu"]["script"] = theirs
            return refuse(500, "boom")
        return real_patch(rest, body, query)

    monkeypatch.setattr(kapacitor, "_tasks_patch", interfere)
    out = task_main(capsys, id="cpu", script=STREAM.replace("my-db", "new-db"))
    assert out["failed"] and "changed by someone else meanwhile and was left alone" in out["msg"]
    assert kapacitor.tasks["cpu"]["script"] == theirs


def test_org_lookup_still_works(monkeypatch, capsys):
    out = run_main(influxdb2_org, {"url": INFLUX, "token": "s3cret-token", "name": "acme"},
                   FakeInflux().on("GET", "/api/v2/orgs", reply(200, {"orgs": [org()]})), monkeypatch, capsys)
    assert out["changed"] is False and out["org"]["id"] == ORG_ID


# -- a success status with a body that is not the API's: the call did not happen -------------------------

HTML = reply(200, b"<html>proxy</html>", {"Content-Type": "text/html"})


def test_a_delete_answered_with_html_is_not_done_and_the_replacement_rolls_back():
    fake = token_server([auth(AUTH_ID, action="read")], delete_old=HTML)
    with pytest.raises(OperationFailed, match="cannot delete the old token .*the reply is not JSON.*deleted again"):
        influxdb2_token.ensure(FakeModule(dict(TOKEN)), client(fake))


@pytest.mark.parametrize("probe", [HTML, reply(200, b'{"results": [', {})])
def test_v1_a_credential_check_answered_with_html_is_an_error(probe):
    fake = v1_server(existing=legacy(), probe=probe)
    with pytest.raises(UnexpectedResponse, match="not JSON"):
        influxdb2_v1_auth.ensure(FakeModule(dict(V1, update_password="always")), client(fake))
    assert fake.writes() == []


def test_v1_a_password_call_answered_with_html_rolls_the_create_back():
    fake = v1_server(password_reply=HTML)
    with pytest.raises(OperationFailed, match="not JSON.*deleted again"):
        influxdb2_v1_auth.ensure(FakeModule(dict(V1)), client(fake))
    assert fake.writes()[-1].method == "DELETE"


def test_json_lines_are_json():
    assert Response(200, {}, b'{"a": 1}\n{"b": 2}\n').check_json().status == 200


# -- an answer lost after the server acted -------------------------------------------------------------

def test_v1_a_create_whose_answer_was_lost_is_completed():
    fake = v1_server()
    fake.on("POST", "/private/legacy/authorizations", error(503, "proxy: upstream reset"))
    fake.on("GET", "/private/legacy/authorizations", reply(200, {"authorizations": []}),
            reply(200, {"authorizations": [legacy(NEW_AUTH_ID)]}))
    result = influxdb2_v1_auth.ensure(FakeModule(dict(V1)), client(fake))
    assert result["changed"] and result["password_set"]
    assert fake.writes()[-1].path.endswith("/%s/password" % NEW_AUTH_ID)


def test_token_a_create_whose_answer_was_lost_deletes_the_token_it_made():
    fake = token_server([])
    fake.on("POST", "/api/v2/authorizations", ServerUnreachable("cannot connect: reset", method="POST", url=INFLUX))
    fake.on("GET", "/api/v2/authorizations", reply(200, {"authorizations": []}),
            reply(200, {"authorizations": [auth(NEW_AUTH_ID)]}))
    with pytest.raises(OperationFailed, match="had made token %s anyway.*deleted again" % NEW_AUTH_ID):
        influxdb2_token.ensure(FakeModule(dict(TOKEN)), client(fake))
    assert (fake.writes()[-1].method, fake.writes()[-1].path[-16:]) == ("DELETE", NEW_AUTH_ID)


@pytest.mark.parametrize("answer", [reply(200, b"<html>spoiled</html>", {}), error(503, "gateway timeout"),
                                    ServerUnreachable("cannot connect: reset", method="DELETE", url=INFLUX)])
def test_a_delete_whose_answer_was_lost_is_done_when_the_object_is_gone(answer):
    # Seen by the fault suite: a DELETE forwarded, then its answer spoiled; the replacement rolled back
    # and left no token at all. Now a GET decides whether it is gone.
    path = "/api/v2/authorizations/%s" % AUTH_ID
    fake = FakeInflux().on("DELETE", path, answer).on("GET", path, error(404, "authorization not found"))
    client(fake, retries=0).delete_authorization(AUTH_ID)
    fake.on("GET", path, reply(200, auth(AUTH_ID)))
    with pytest.raises(http_module.ApiError):
        client(fake, retries=0).delete_authorization(AUTH_ID)


def test_an_html_error_page_is_quoted_short_on_one_line():
    page = b"<html>\n<head><title>502 Bad Gateway</title></head>\n<body>" + b"x" * 2000 + b"</body></html>"
    fake = FakeInflux().on("GET", "/api/v2/orgs", Response(502, {"Content-Type": "text/html"}, page))
    with pytest.raises(http_module.ServerError) as caught:
        client(fake, retries=0).find_org("acme")
    assert caught.value.message.startswith("<html> <head><title>502 Bad Gateway</title></head>")
    assert len(caught.value.message) <= 243 and "\n" not in caught.value.message
