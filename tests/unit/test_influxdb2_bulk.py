"""influxdb2_bucket's buckets and influxdb2_dbrp's mappings: several objects in one run, from one listing."""

from __future__ import annotations

import pytest
from influxdb2_support import BUCKET2_ID, BUCKET_ID, ORG_ID, FakeInflux, FakeModule, bucket, client, error, org, reply

from ansible_collections.tickstack.influx.plugins.module_utils.http_client import ApiError
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import InvalidInput
from ansible_collections.tickstack.influx.plugins.modules import influxdb2_bucket, influxdb2_dbrp, influxdb2_token

BUCKET3_ID = "00000000000000b3"


def run(module_py, params, fake, check_mode=False):
    module = FakeModule(params, check_mode=check_mode)
    return module_py.ensure(module, client(fake)), module


def reads(fake):
    return [(s.method, s.path) for s in fake.sent if s.method == "GET"]


# -- buckets ----------------------------------------------------------------------------------------

def buckets_fake(*listed):
    fake = FakeInflux().on("GET", "/api/v2/buckets", reply(200, {"buckets": list(listed)}))
    fake.on("POST", "/api/v2/buckets", lambda req: reply(201, bucket(
        BUCKET3_ID, req.body["name"], every=req.body["retentionRules"][0]["everySeconds"])))
    fake.on("PATCH", "/api/v2/buckets/%s" % BUCKET2_ID, lambda req: reply(200, bucket(
        BUCKET2_ID, "other", every=req.body["retentionRules"][0]["everySeconds"])))
    fake.on("DELETE", "/api/v2/buckets/%s" % BUCKET_ID, reply(204))
    return fake


def entry(name, **settings):
    return dict({"name": name, "description": None, "retention": None, "shard_group_duration": None,
                 "state": "present"}, **settings)


def test_buckets_unchanged_cost_one_listing_of_the_org():
    fake = buckets_fake(bucket(every=30 * 86400, shard=86400), bucket(BUCKET2_ID, "other", every=0))
    result, _unused = run(influxdb2_bucket, {"buckets": [entry("metrics", retention="720h"), entry("other")]}, fake)
    assert not result["changed"] and fake.writes() == []
    assert reads(fake) == [("GET", "/api/v2/buckets")] and fake.sent[0].query["org"] == "acme"
    assert [(r["name"], r["changed"], r["bucket"]["id"]) for r in result["buckets"]] == [
        ("metrics", False, BUCKET_ID), ("other", False, BUCKET2_ID)]


def test_buckets_create_update_delete_in_order_with_one_diff_each():
    fake = buckets_fake(bucket(), bucket(BUCKET2_ID, "other", every=0))
    entries = [entry("new", retention="30d"), entry("other", retention="90d"), entry("metrics", state="absent")]
    result, _unused = run(influxdb2_bucket, {"buckets": entries}, fake, check_mode=True)
    assert result["changed"] and fake.writes() == []
    assert [r["changed"] for r in result["buckets"]] == [True, True, True]
    result, _unused = run(influxdb2_bucket, {"buckets": entries}, fake)
    assert [(w.method, w.path) for w in fake.writes()] == [
        ("POST", "/api/v2/buckets"), ("PATCH", "/api/v2/buckets/%s" % BUCKET2_ID), ("DELETE", "/api/v2/buckets/%s" % BUCKET_ID)]
    assert fake.writes()[0].body["orgID"] == ORG_ID  # learned from the listing: no org lookup
    assert [d["before_header"] for d in result["diff"]] == ["bucket new", "bucket other", "bucket metrics"]
    assert result["diff"][1]["after"] == {"retention": "90d"} and result["buckets"][2]["bucket"] == {}


@pytest.mark.parametrize("entries, message", [
    ([entry("ok"), entry("_system")], "buckets[1]: name: bucket name '_system' is invalid"),
    ([entry("ok", retention="10m")], "buckets[0]: retention: 10m is too short"),
    ([entry("ok"), entry("ok", retention="1d")], "buckets[1]: the bucket ok is listed twice"),
])
def test_buckets_bad_entry_fails_before_any_request(entries, message):
    fake = buckets_fake()
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[").replace("]", r"\]")):
        run(influxdb2_bucket, {"buckets": entries}, fake)
    assert fake.sent == []


def test_buckets_failing_entry_is_named_and_those_before_it_are_done():
    fake = buckets_fake(bucket(BUCKET2_ID, "other", every=0))
    fake.on("POST", "/api/v2/buckets", reply(201, bucket(BUCKET3_ID, "first")), error(422, "bucket quota reached"))
    with pytest.raises(ApiError) as caught:
        run(influxdb2_bucket, {"buckets": [entry("first"), entry("second")]}, fake)
    assert "buckets[1] (second): " in str(caught.value) and "bucket quota reached" in str(caught.value)
    assert [w.body["name"] for w in fake.writes()] == ["first", "second"]


def test_buckets_of_a_missing_org_get_its_clear_error():
    fake = FakeInflux().on("GET", "/api/v2/buckets", error(404, 'organization name "acme" not found', "not found"))
    fake.on("GET", "/api/v2/orgs", error(404, "organization not found", "not found"))
    with pytest.raises(ApiError, match="organization 'acme' not found"):
        run(influxdb2_bucket, {"buckets": [entry("metrics")]}, fake)
    assert fake.writes() == []


def test_no_buckets_no_request():
    fake = buckets_fake()
    result, _unused = run(influxdb2_bucket, {"buckets": []}, fake)
    assert result == {"changed": False, "buckets": [], "diff": []} and fake.sent == []


# -- DBRP mappings ---------------------------------------------------------------------------------

def mapping(db, rp, bucket_id, default, dbrp_id, virtual=False):
    return {"id": dbrp_id, "database": db, "retention_policy": rp, "default": default, "virtual": virtual,
            "orgID": ORG_ID, "bucketID": bucket_id}


class DbrpServer:
    """Stored mappings that behave as InfluxDB's: the first of a database is its default, a new default
    takes it from the others; every bucket also answers as a virtual mapping."""

    def __init__(self, *stored):
        self.stored = list(stored)
        self.buckets = [bucket(), bucket(BUCKET2_ID, "other")]
        self.fake = FakeInflux()
        self.fake.on("GET", "/api/v2/buckets", lambda req: reply(200, {"buckets": [
            b for b in self.buckets if b["name"] == req.query.get("name", b["name"])]}))
        self.fake.on("GET", "/api/v2/dbrps", self.list)
        self.fake.on("POST", "/api/v2/dbrps", self.create)

    def list(self, req):
        virtual = [mapping(b["name"], "autogen", b["id"], True, b["id"], virtual=True) for b in self.buckets]
        found = [m for m in self.stored + virtual if m["database"] == req.query.get("db", m["database"])]
        return reply(200, {"content": found})

    def create(self, req):
        body = req.body
        same_db = [m for m in self.stored if m["database"] == body["database"]]
        default = body["default"] or not same_db
        if default:
            for m in same_db:
                m["default"] = False
        made = mapping(body["database"], body["retention_policy"], body["bucketID"], default, "00000000000000f%d" % len(self.stored))
        self.stored.append(made)
        return reply(201, made)


def dbrp(db, rp, bucket_ref, default=None, state="present"):
    return {"database": db, "retention_policy": rp, "bucket": bucket_ref, "default": default, "virtual_ok": False,
            "state": state}


def test_mappings_unchanged_cost_two_requests():
    server = DbrpServer(mapping("metrics", "autogen", BUCKET_ID, True, "00000000000000f1"),
                        mapping("metrics", "long", BUCKET2_ID, False, "00000000000000f2"))
    entries = [dbrp("metrics", "autogen", "metrics", default=True), dbrp("metrics", "long", "other")]
    result, _unused = run(influxdb2_dbrp, {"mappings": entries}, server.fake)
    assert not result["changed"] and server.fake.writes() == []
    assert reads(server.fake) == [("GET", "/api/v2/dbrps"), ("GET", "/api/v2/buckets")]
    assert "db" not in server.fake.sent[0].query
    assert [(r["database"], r["retention_policy"], r["dbrp"]["id"]) for r in result["mappings"]] == [
        ("metrics", "autogen", "00000000000000f1"), ("metrics", "long", "00000000000000f2")]


def test_mappings_of_a_new_database_see_each_other():
    server = DbrpServer()
    entries = [dbrp("new", "autogen", "metrics", default=True), dbrp("new", "long", "other")]
    result, _unused = run(influxdb2_dbrp, {"mappings": entries}, server.fake)
    assert result["changed"] and [w.body["default"] for w in server.fake.writes()] == [True, False]
    assert [r["dbrp"]["default"] for r in result["mappings"]] == [True, False]
    assert [d["before_header"] for d in result["diff"]] == ["DBRP mapping new/autogen", "DBRP mapping new/long"]
    again, _unused = run(influxdb2_dbrp, {"mappings": entries}, server.fake)
    assert not again["changed"]


def test_mappings_bucket_by_id_and_absent_entries():
    server = DbrpServer(mapping("old", "autogen", BUCKET_ID, True, "00000000000000f1"))
    server.fake.on("GET", "/api/v2/buckets/%s" % BUCKET2_ID, reply(200, server.buckets[1]))
    server.fake.on("DELETE", "/api/v2/dbrps/00000000000000f1", reply(204))
    entries = [dbrp("byid", "autogen", BUCKET2_ID), dbrp("old", "autogen", None, state="absent")]
    result, _unused = run(influxdb2_dbrp, {"mappings": entries}, server.fake)
    assert [(w.method, w.path) for w in server.fake.writes()] == [("POST", "/api/v2/dbrps"),
                                                                  ("DELETE", "/api/v2/dbrps/00000000000000f1")]
    assert server.fake.writes()[0].body["bucketID"] == BUCKET2_ID and result["mappings"][1]["changed"]


@pytest.mark.parametrize("entries, message", [
    ([dbrp("a", "autogen", "metrics"), dbrp("b", "autogen", None)], r"mappings\[1\] \(b/autogen\): bucket: required"),
    ([dbrp("a", "autogen", "metrics"), dbrp("a", "autogen", "other")], r"mappings\[1\]: the mapping a/autogen is listed twice"),
    ([dbrp(" ", "autogen", "metrics")], r"mappings\[0\].database: cannot be empty"),
])
def test_mappings_bad_entry_fails_before_any_request(entries, message):
    server = DbrpServer()
    with pytest.raises(InvalidInput, match=message):
        run(influxdb2_dbrp, {"mappings": entries}, server.fake)
    assert server.fake.sent == []


def test_mappings_missing_bucket_is_named_before_any_write():
    server = DbrpServer()
    with pytest.raises(ApiError, match=r"mappings\[1\]\.bucket: bucket 'nope' not found"):
        run(influxdb2_dbrp, {"mappings": [dbrp("a", "autogen", "metrics"), dbrp("b", "autogen", "nope")]}, server.fake)
    assert server.fake.writes() == []


# -- tokens ----------------------------------------------------------------------------------------

AUTH_ID = "00000000000000d1"
WRITE = {"action": "write", "resource": {"type": "buckets", "name": "metrics"}}
READ_OTHER = {"action": "read", "resource": {"type": "buckets", "name": "other"}}


def auth(auth_id, description, *permissions, token=""):
    return {"id": auth_id, "description": description, "status": "active", "orgID": ORG_ID, "org": "acme",
            "userID": "00000000000000a1", "user": "admin", "token": token, "permissions": list(permissions)}


def server_permission(action, bucket_id, name):
    return {"action": action, "resource": {"type": "buckets", "id": bucket_id, "orgID": ORG_ID, "name": name, "org": "acme"}}


def tokens_fake(*existing):
    fake = FakeInflux().on("GET", "/api/v2/authorizations", reply(200, {"authorizations": list(existing)}))
    fake.on("GET", "/api/v2/orgs", reply(200, {"orgs": [org()]}))
    fake.on("GET", "/api/v2/buckets", reply(200, {"buckets": [bucket(), bucket(BUCKET2_ID, "other")]}))
    made = iter(range(0xe1, 0xff))
    fake.on("POST", "/api/v2/authorizations", lambda req: reply(201, dict(
        auth("00000000000000%02x" % next(made), req.body["description"], *req.body["permissions"]),
        token="new-" + req.body["description"])))
    fake.on("DELETE", "/api/v2/authorizations/%s" % AUTH_ID, reply(204))
    return fake


def token_entry(description, *permissions, **options):
    return dict({"description": description, "permissions": list(permissions), "status": "active", "rotate": False,
                 "state": "present"}, **options)


def test_tokens_unchanged_cost_the_listing_and_one_bucket_lookup():
    fake = tokens_fake(auth(AUTH_ID, "telegraf on a", server_permission("write", BUCKET_ID, "metrics")),
                       auth("00000000000000d2", "kapacitor on b", server_permission("read", BUCKET2_ID, "other"),
                            server_permission("write", BUCKET_ID, "metrics")))
    entries = [token_entry("telegraf on a", WRITE), token_entry("kapacitor on b", READ_OTHER, WRITE)]
    result, _unused = run(influxdb2_token, {"tokens": entries, "user": None}, fake)
    assert not result["changed"] and fake.writes() == []
    assert reads(fake) == [("GET", "/api/v2/authorizations"), ("GET", "/api/v2/buckets")]
    assert [(r["description"], r["changed"], r["token_available"]) for r in result["tokens"]] == [
        ("telegraf on a", False, False), ("kapacitor on b", False, False)]


def test_tokens_create_rotate_and_delete_each_with_its_value():
    fake = tokens_fake(auth(AUTH_ID, "old", server_permission("write", BUCKET_ID, "metrics")),
                       auth("00000000000000d2", "kept", server_permission("write", BUCKET_ID, "metrics")))
    fake.on("DELETE", "/api/v2/authorizations/00000000000000d2", reply(204))
    entries = [token_entry("new", WRITE), token_entry("kept", WRITE, rotate=True), token_entry("old", state="absent", permissions=None)]
    result, _unused = run(influxdb2_token, {"tokens": entries, "user": None}, fake, check_mode=True)
    assert result["changed"] and fake.writes() == [] and not any(r["token_available"] for r in result["tokens"])
    result, _unused = run(influxdb2_token, {"tokens": entries, "user": None}, fake)
    assert [(w.method, w.path) for w in fake.writes()] == [
        ("POST", "/api/v2/authorizations"), ("POST", "/api/v2/authorizations"),
        ("DELETE", "/api/v2/authorizations/00000000000000d2"), ("DELETE", "/api/v2/authorizations/%s" % AUTH_ID)]
    new, kept, old = result["tokens"]
    assert (new["token"], kept["token"], kept["replaced"]) == ("new-new", "new-kept", True)
    assert old["changed"] and "token" not in old
    assert "new-new" not in str(result["diff"])
    assert [d["before_header"] for d in result["diff"]] == ["token new", "token kept", "token old"]


@pytest.mark.parametrize("entries, message", [
    ([token_entry("a", WRITE), token_entry(" ", WRITE)], r"tokens\[1\]\.description: cannot be empty"),
    ([token_entry("a", WRITE), token_entry("a", READ_OTHER)], r"tokens\[1\]: the token 'a' is listed twice"),
    ([token_entry("a")], r"tokens\[0\] \(a\): permissions: at least one permission"),
    ([token_entry("a", WRITE), token_entry("b", {"action": "delete", "resource": {"type": "buckets", "name": "x"}})],
     r"tokens\[1\]\.permissions\[0\]\.action: 'delete' must be read or write"),
])
def test_tokens_bad_entry_fails_before_any_write(entries, message):
    fake = tokens_fake()
    with pytest.raises(InvalidInput, match=message):
        run(influxdb2_token, {"tokens": entries, "user": None}, fake)
    assert fake.writes() == []


def test_tokens_failing_entry_is_named():
    fake = tokens_fake()
    fake.on("POST", "/api/v2/authorizations", reply(201, dict(auth("00000000000000e1", "a", WRITE), token="new-a")),
            error(403, "insufficient permissions for write"))
    with pytest.raises(ApiError) as caught:
        run(influxdb2_token, {"tokens": [token_entry("a", WRITE), token_entry("b", WRITE)], "user": None}, fake)
    assert "tokens[1] (b): " in str(caught.value) and "new-a" not in str(caught.value)
