"""InfluxDB2Client against a fake transport: paths, payloads, name resolution, pagination, error mapping."""

from __future__ import annotations

import base64

import pytest
from influxdb2_support import (
    BUCKET2_ID,
    BUCKET_ID,
    ORG_ID,
    OTHER_ORG_ID,
    USER_ID,
    FakeInflux,
    bucket,
    client,
    error,
    org,
    reply,
)

from ansible_collections.tickstack.influx.plugins.module_utils.http_client import (
    AuthenticationFailed,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    ServerError,
    ServerUnreachable,
)
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import (
    InvalidInput,
    bucket_rules,
    normalize_permissions,
    token_value,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import failure


def test_token_header_and_base_url():
    fake = FakeInflux().on("GET", "/health", reply(200, {"status": "pass", "version": "v2.9.1"}))
    c = client(fake, token="secret-token")
    assert c.health()["version"] == "v2.9.1"
    assert fake.sent[0].headers["Authorization"] == "Token secret-token"


def test_no_token_no_header():
    fake = FakeInflux().on("GET", "/api/v2/setup", reply(200, {"allowed": True}))
    assert client(fake, token=None).setup_allowed() is True
    assert "Authorization" not in fake.sent[0].headers


def test_setup_payload():
    fake = FakeInflux().on("POST", "/api/v2/setup", reply(201, {"auth": {"token": "x"}}))
    client(fake, token=None).setup("admin", "pw123456", "acme", "metrics", retention_seconds=3600, token="op")
    assert fake.sent[0].body == {"username": "admin", "password": "pw123456", "org": "acme", "bucket": "metrics",
                                 "retentionPeriodSeconds": 3600, "token": "op"}


def test_setup_payload_infinite_retention_and_generated_token():
    fake = FakeInflux().on("POST", "/api/v2/setup", reply(201, {}))
    client(fake, token=None).setup("admin", "pw123456", "acme", "metrics", retention_seconds=0)
    assert "retentionPeriodSeconds" not in fake.sent[0].body and "token" not in fake.sent[0].body


# -- organizations ------------------------------------------------------------------------------

def test_find_org_by_name_and_missing_org_is_none():
    fake = FakeInflux().on("GET", "/api/v2/orgs", reply(200, {"orgs": [org()]}),
                           error(404, 'organization name "nope" not found', "not found"))
    c = client(fake)
    assert c.find_org("acme")["id"] == ORG_ID
    assert fake.sent[0].query == {"org": "acme"}
    assert c.find_org("nope") is None


def test_resolve_org_prefers_id_and_explains_missing():
    fake = FakeInflux().on("GET", "/api/v2/orgs/%s" % ORG_ID, reply(200, org()))
    fake.on("GET", "/api/v2/orgs", error(404, "not found", "not found"))
    c = client(fake)
    assert c.resolve_org("ignored", ORG_ID)["name"] == "acme"
    with pytest.raises(NotFound, match="organization 'ghost' not found"):
        c.resolve_org("ghost")
    with pytest.raises(InvalidInput, match="org_id: 'xyz' is not an InfluxDB ID"):
        c.resolve_org(None, "xyz")
    with pytest.raises(InvalidInput, match="set org or org_id"):
        c.resolve_org(None, None)


def test_org_pagination_uses_max_page_size():
    first = [org("%016x" % i, "o%d" % i) for i in range(100)]
    fake = FakeInflux().on("GET", "/api/v2/orgs", reply(200, {"orgs": first}), reply(200, {"orgs": [org("f" * 16, "last")]}))
    orgs = client(fake).list_orgs()
    assert len(orgs) == 101
    assert [(s.query["offset"], s.query["limit"]) for s in fake.sent] == [("0", "100"), ("100", "100")]


# -- buckets ------------------------------------------------------------------------------------

def test_bucket_list_follows_pages_until_a_short_one():
    pages = [[bucket("%016x" % (p * 100 + i), "b%d" % (p * 100 + i)) for i in range(n)] for p, n in enumerate((100, 100, 7))]
    fake = FakeInflux().on("GET", "/api/v2/buckets", *[reply(200, {"buckets": page}) for page in pages])
    found = client(fake).list_buckets(org_id=ORG_ID)
    assert len(found) == 207 and len({b["id"] for b in found}) == 207
    assert [s.query for s in fake.sent] == [
        {"orgID": ORG_ID, "offset": str(offset), "limit": "100"} for offset in (0, 100, 200)]


def test_find_bucket_by_name_404_is_none():
    fake = FakeInflux().on("GET", "/api/v2/buckets", error(404, 'bucket "x" not found', "not found"))
    assert client(fake).find_bucket(ORG_ID, "x") is None
    assert fake.sent[0].query["name"] == "x" and fake.sent[0].query["orgID"] == ORG_ID


def test_bucket_list_404_without_name_is_an_error():
    fake = FakeInflux().on("GET", "/api/v2/buckets", error(404, "organization not found", "not found"))
    with pytest.raises(NotFound):
        client(fake).list_buckets(org_id=ORG_ID)


def test_resolve_bucket_by_name_then_by_id():
    fake = FakeInflux().on("GET", "/api/v2/buckets", error(404, "not found", "not found"))
    fake.on("GET", "/api/v2/buckets/%s" % BUCKET_ID, reply(200, bucket()))
    assert client(fake).resolve_bucket(ORG_ID, BUCKET_ID)["name"] == "metrics"


def test_resolve_bucket_id_of_another_org_is_refused():
    fake = FakeInflux().on("GET", "/api/v2/buckets", error(404, "not found", "not found"))
    fake.on("GET", "/api/v2/buckets/%s" % BUCKET_ID, reply(200, bucket(org_id=OTHER_ORG_ID)))
    with pytest.raises(InvalidInput, match="belongs to another organization"):
        client(fake).resolve_bucket(ORG_ID, BUCKET_ID)


def test_resolve_missing_bucket_names_the_option():
    fake = FakeInflux().on("GET", "/api/v2/buckets", error(404, "not found", "not found"))
    with pytest.raises(NotFound, match=r"read_buckets\[1\]: bucket 'gone' not found"):
        client(fake).resolve_bucket(ORG_ID, "gone", "read_buckets[1]")


def test_create_bucket_payload():
    fake = FakeInflux().on("POST", "/api/v2/buckets", reply(201, bucket()))
    c = client(fake)
    c.create_bucket(ORG_ID, "metrics", "desc", 2592000, 86400)
    assert fake.sent[-1].body == {"orgID": ORG_ID, "name": "metrics", "description": "desc", "retentionRules": [
        {"type": "expire", "everySeconds": 2592000, "shardGroupDurationSeconds": 86400}]}
    c.create_bucket(ORG_ID, "forever")
    assert fake.sent[-1].body == {"orgID": ORG_ID, "name": "forever", "retentionRules": []}


def test_bucket_rules():
    assert bucket_rules(0) == []
    assert bucket_rules(None) == []
    assert bucket_rules(3600) == [{"type": "expire", "everySeconds": 3600}]
    assert bucket_rules(0, 604800) == [{"type": "expire", "everySeconds": 0, "shardGroupDurationSeconds": 604800}]


# -- permissions --------------------------------------------------------------------------------

def permission_fake():
    fake = FakeInflux()
    fake.on("GET", "/api/v2/buckets", lambda req: reply(200, {"buckets": [bucket()]}) if req.query.get("name") == "metrics"
            else error(404, "bucket not found", "not found"))
    fake.on("GET", "/api/v2/orgs", lambda req: reply(200, {"orgs": [org(OTHER_ORG_ID, "other")]})
            if req.query.get("org") == "other" else error(404, "organization not found", "not found"))
    fake.on("GET", "/api/v2/users", reply(200, {"users": [{"id": USER_ID, "name": "kapacitor"}]}))
    return fake


def test_build_permissions_resolves_names_and_scopes_to_the_org():
    c = client(permission_fake())
    perms = c.build_permissions([
        {"action": "write", "resource": {"type": "buckets", "name": "metrics"}},
        {"action": "read", "resource": {"type": "buckets", "all": True}},
        {"action": "read", "resource": {"type": "tasks", "id": "00000000000000c1"}},
        {"action": "read", "resource": {"type": "orgs", "name": "other"}},
        {"action": "read", "resource": {"type": "users", "name": "kapacitor"}},
        {"action": "read", "resource": {"type": "orgs", "all": True}},
    ], ORG_ID)
    assert perms == normalize_permissions([
        {"action": "write", "resource": {"type": "buckets", "id": BUCKET_ID, "orgID": ORG_ID}},
        {"action": "read", "resource": {"type": "buckets", "orgID": ORG_ID}},
        {"action": "read", "resource": {"type": "tasks", "id": "00000000000000c1", "orgID": ORG_ID}},
        {"action": "read", "resource": {"type": "orgs", "id": OTHER_ORG_ID, "orgID": OTHER_ORG_ID}},
        {"action": "read", "resource": {"type": "users", "id": USER_ID}},
        {"action": "read", "resource": {"type": "orgs"}},
    ])
    assert c.names[BUCKET_ID] == "metrics"


def test_build_permissions_resource_in_another_org():
    fake = permission_fake()
    fake.on("GET", "/api/v2/buckets", lambda req: reply(200, {"buckets": [bucket(BUCKET2_ID, org_id=OTHER_ORG_ID)]})
            if req.query.get("orgID") == OTHER_ORG_ID else error(404, "nope", "not found"))
    perms = client(fake).build_permissions(
        [{"action": "read", "resource": {"type": "buckets", "name": "metrics", "org": "other"}}], ORG_ID)
    assert perms == [{"action": "read", "resource": {"type": "buckets", "id": BUCKET2_ID, "orgID": OTHER_ORG_ID}}]


@pytest.mark.parametrize("spec, message", [
    ({"action": "delete", "resource": {"type": "buckets", "all": True}}, r"permissions\[0\]\.action: 'delete' must be read or write"),
    ({"action": "read", "resource": {"type": "bucket", "all": True}}, r"permissions\[0\]\.resource\.type: 'bucket' is not"),
    ({"action": "read", "resource": {"type": "buckets"}}, r"give exactly one of name, id or all: true \(got none\)"),
    ({"action": "read", "resource": {"type": "buckets", "name": "a", "id": "0000000000000001"}}, r"\(got name, id\)"),
    ({"action": "read", "resource": {"type": "buckets", "all": False}}, r"\(got none\)"),
    ({"action": "read", "resource": {"type": "buckets", "id": "nope"}}, r"resource\.id: 'nope' is not an InfluxDB ID"),
    ({"action": "read", "resource": {"type": "tasks", "name": "x"}}, r"names can be resolved for buckets, orgs, users only"),
])
def test_build_permissions_rejects_bad_specs(spec, message):
    with pytest.raises(InvalidInput, match=message):
        client(permission_fake()).build_permissions([spec], ORG_ID)


def test_build_permissions_unknown_bucket_name():
    with pytest.raises(NotFound, match=r"permissions\[0\]\.resource\.name: bucket 'ghost' not found"):
        client(permission_fake()).build_permissions([{"action": "read", "resource": {"type": "buckets", "name": "ghost"}}], ORG_ID)


def many_buckets(count):
    """``count`` buckets (b000, b001...) served in pages by offset and limit, as /api/v2/buckets does."""
    every = [bucket("%016x" % (0xb000 + n), "b%03d" % n) for n in range(count)]

    def page(req):
        assert "name" not in req.query  # several names: the org's list, never one call per name
        offset, limit = int(req.query["offset"]), int(req.query["limit"])
        assert limit <= 100  # the server's MaxPageSize
        return reply(200, {"buckets": every[offset:offset + limit]})
    return FakeInflux().on("GET", "/api/v2/buckets", page)


def bucket_queries(fake):
    return [s.query for s in fake.sent if s.path == "/api/v2/buckets"]


def test_build_permissions_resolves_all_bucket_names_in_one_paged_list():
    # 250 buckets; the permissions name three, one of them twice, the last on the second page.
    fake = many_buckets(250)
    c = client(fake)
    perms = c.build_permissions([
        {"action": "read", "resource": {"type": "buckets", "name": "b003"}},
        {"action": "read", "resource": {"type": "buckets", "name": "b042"}},
        {"action": "write", "resource": {"type": "buckets", "name": "b042"}},
        {"action": "write", "resource": {"type": "buckets", "name": "b130"}},
    ], ORG_ID)
    assert perms == normalize_permissions([
        {"action": "read", "resource": {"type": "buckets", "id": "%016x" % 0xb003, "orgID": ORG_ID}},
        {"action": "read", "resource": {"type": "buckets", "id": "%016x" % 0xb02a, "orgID": ORG_ID}},
        {"action": "write", "resource": {"type": "buckets", "id": "%016x" % 0xb02a, "orgID": ORG_ID}},
        {"action": "write", "resource": {"type": "buckets", "id": "%016x" % 0xb082, "orgID": ORG_ID}},
    ])
    # Two pages of 100, stopping at the page that holds the last name: the third is never read.
    assert bucket_queries(fake) == [{"orgID": ORG_ID, "offset": "0", "limit": "100"},
                                    {"orgID": ORG_ID, "offset": "100", "limit": "100"}]
    assert len(fake.sent) == 2
    assert c.names["%016x" % 0xb082] == "b130"


def test_build_permissions_reads_every_page_for_a_missing_name():
    fake = many_buckets(201)
    with pytest.raises(NotFound, match=r"permissions\[1\]\.resource\.name: bucket 'ghost' not found"):
        client(fake).build_permissions([
            {"action": "read", "resource": {"type": "buckets", "name": "b200"}},
            {"action": "read", "resource": {"type": "buckets", "name": "ghost"}},
        ], ORG_ID)
    assert [q["offset"] for q in bucket_queries(fake)] == ["0", "100", "200"]


def test_build_permissions_one_name_uses_the_name_filter_once():
    fake = permission_fake()
    client(fake).build_permissions([{"action": action, "resource": {"type": "buckets", "name": "metrics"}}
                                    for action in ("read", "write")], ORG_ID)
    assert bucket_queries(fake) == [{"orgID": ORG_ID, "name": "metrics", "offset": "0", "limit": "100"}]


def test_build_permissions_checks_every_spec_before_any_request():
    fake = permission_fake()
    with pytest.raises(InvalidInput, match=r"permissions\[1\]\.action"):
        client(fake).build_permissions([{"action": "read", "resource": {"type": "buckets", "name": "metrics"}},
                                        {"action": "delete", "resource": {"type": "buckets", "all": True}}], ORG_ID)
    assert fake.sent == []


def test_each_org_is_resolved_once_per_client():
    fake = permission_fake()
    fake.on("GET", "/api/v2/buckets", lambda req: reply(200, {"buckets": [bucket(BUCKET2_ID, org_id=OTHER_ORG_ID)]}))
    c = client(fake)
    assert c.resolve_org("other")["id"] == OTHER_ORG_ID
    c.build_permissions([{"action": "read", "resource": {"type": "buckets", "name": "metrics", "org": "other"}},
                         {"action": "read", "resource": {"type": "orgs", "name": "other"}},
                         {"action": "read", "resource": {"type": "buckets", "all": True, "org_id": OTHER_ORG_ID}}],
                        ORG_ID)
    assert [s.query for s in fake.sent if s.path == "/api/v2/orgs"] == [{"org": "other"}]
    assert c.resolve_org(org_id=OTHER_ORG_ID)["name"] == "other"  # by ID too, from the same answer
    assert len([s for s in fake.sent if s.path.startswith("/api/v2/orgs")]) == 1


def test_resolve_buckets_names_together_then_ids():
    fake = many_buckets(3)
    fake.on("GET", "/api/v2/buckets/%016x" % 0xbeef, reply(200, bucket("%016x" % 0xbeef, "by-id")))
    found = client(fake).resolve_buckets(ORG_ID, [("b001", "read_buckets[0]"), ("b002", "read_buckets[1]"),
                                                  ("b001", "write_buckets[0]"), ("%016x" % 0xbeef, "write_buckets[1]")])
    assert [b["name"] for b in found] == ["b001", "b002", "b001", "by-id"]
    assert [(s.path, s.query) for s in fake.sent] == [
        ("/api/v2/buckets", {"orgID": ORG_ID, "offset": "0", "limit": "100"}),
        ("/api/v2/buckets/%016x" % 0xbeef, {})]
    with pytest.raises(NotFound, match=r"write_buckets\[0\]: bucket 'ghost' not found"):
        client(many_buckets(3)).resolve_buckets(ORG_ID, [("b001", "read_buckets[0]"), ("ghost", "write_buckets[0]")])


def test_normalize_permissions_ignores_order_names_and_duplicates():
    server = [
        {"action": "write", "resource": {"type": "buckets", "id": BUCKET_ID, "orgID": ORG_ID, "name": "metrics", "org": "acme"}},
        {"action": "read", "resource": {"type": "buckets", "id": BUCKET_ID, "orgID": ORG_ID, "name": "metrics", "org": "acme"}},
    ]
    wanted = [
        {"action": "read", "resource": {"type": "buckets", "id": BUCKET_ID, "orgID": ORG_ID}},
        {"action": "write", "resource": {"type": "buckets", "id": BUCKET_ID, "orgID": ORG_ID}},
        {"action": "read", "resource": {"type": "buckets", "id": BUCKET_ID, "orgID": ORG_ID}},
    ]
    assert normalize_permissions(server) == normalize_permissions(wanted)
    assert normalize_permissions(server[:1]) != normalize_permissions(wanted)


# -- tokens -------------------------------------------------------------------------------------

@pytest.mark.parametrize("auth, value", [
    ({"token": "abc=="}, "abc=="),
    ({"token": ""}, None),
    ({"token": "REDACTED"}, None),
    ({}, None),
    ({"token": None}, None),
])
def test_token_value_never_passes_off_a_redaction(auth, value):
    assert token_value(auth) == value


def test_authorization_payloads():
    fake = FakeInflux().on("POST", "/api/v2/authorizations", reply(201, {"id": "1"}))
    fake.on("GET", "/api/v2/authorizations", reply(200, {"authorizations": []}))
    fake.on("PATCH", "/api/v2/authorizations/00000000000000d1", reply(200, {}))
    fake.on("DELETE", "/api/v2/authorizations/00000000000000d1", reply(204))
    c = client(fake)
    perms = [{"action": "read", "resource": {"type": "buckets", "orgID": ORG_ID}}]
    c.create_authorization(ORG_ID, "reader", perms, "inactive", USER_ID)
    assert fake.sent[-1].body == {"orgID": ORG_ID, "description": "reader", "permissions": perms, "status": "inactive",
                                  "userID": USER_ID}
    c.list_authorizations(org_id=ORG_ID)
    assert fake.sent[-1].query == {"orgID": ORG_ID}
    c.update_authorization("00000000000000d1", {"status": "active"})
    assert fake.sent[-1].body == {"status": "active"}
    c.delete_authorization("00000000000000d1")
    assert fake.sent[-1].method == "DELETE"


# -- v1 authorizations --------------------------------------------------------------------------

def test_legacy_lookup_by_username_404_is_none():
    fake = FakeInflux().on("GET", "/private/legacy/authorizations", error(404, "authorization not found", "not found"))
    assert client(fake).find_legacy_authorization("kapa") is None
    assert fake.sent[0].query == {"token": "kapa"}


def test_legacy_list_filters_org_on_our_side():
    auths = [{"id": "1", "orgID": ORG_ID, "token": "a"}, {"id": "2", "orgID": OTHER_ORG_ID, "token": "b"}]
    fake = FakeInflux().on("GET", "/private/legacy/authorizations", reply(200, {"authorizations": auths}))
    assert [a["token"] for a in client(fake).list_legacy_authorizations(ORG_ID)] == ["a"]


def test_legacy_create_and_password():
    fake = FakeInflux().on("POST", "/private/legacy/authorizations", reply(201, {"id": "00000000000000e1"}))
    fake.on("POST", "/private/legacy/authorizations/00000000000000e1/password", reply(204))
    c = client(fake)
    perms = [{"action": "read", "resource": {"type": "buckets", "id": BUCKET_ID, "orgID": ORG_ID}}]
    created = c.create_legacy_authorization(ORG_ID, "kapa", perms)
    c.set_legacy_password(created["id"], "s3cret-pass")
    assert fake.sent[0].body == {"orgID": ORG_ID, "token": "kapa", "permissions": perms, "status": "active", "description": ""}
    assert fake.sent[1].body == {"password": "s3cret-pass"}


@pytest.mark.parametrize("status, works", [(400, True), (401, False), (403, False), (204, True)])
def test_v1_credentials_probe(status, works):
    fake = FakeInflux().on("GET", "/query", reply(status, {"error": "missing required parameter \"q\""}))
    assert client(fake).v1_credentials_work("kapa", "pa:ss") is works
    sent = fake.sent[0]
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(b"kapa:pa:ss").decode()
    assert sent.query == {}


# -- DBRP ---------------------------------------------------------------------------------------

def test_dbrp_paths_carry_the_org():
    fake = FakeInflux().on("GET", "/api/v2/dbrps", reply(200, {"content": []}))
    fake.on("POST", "/api/v2/dbrps", reply(201, {"id": "00000000000000f1"}))
    fake.on("PATCH", "/api/v2/dbrps/00000000000000f1", reply(200, {"content": {"id": "00000000000000f1", "default": True}}))
    fake.on("DELETE", "/api/v2/dbrps/00000000000000f1", reply(204))
    c = client(fake)
    c.list_dbrps(ORG_ID, database="db1")
    assert fake.sent[-1].query == {"orgID": ORG_ID, "db": "db1"}
    c.create_dbrp(ORG_ID, "db1", "autogen", BUCKET_ID, default=True)
    assert fake.sent[-1].body == {"orgID": ORG_ID, "database": "db1", "retention_policy": "autogen",
                                  "bucketID": BUCKET_ID, "default": True}
    assert c.update_dbrp(ORG_ID, "00000000000000f1", {"default": True})["default"] is True
    assert fake.sent[-1].query == {"orgID": ORG_ID}
    c.delete_dbrp(ORG_ID, "00000000000000f1")
    assert fake.sent[-1].query == {"orgID": ORG_ID}


# -- errors -------------------------------------------------------------------------------------

def test_rejected_token_is_authentication_failed():
    fake = FakeInflux().on("GET", "/api/v2/orgs", error(401, "unauthorized access", "unauthorized"))
    with pytest.raises(AuthenticationFailed) as caught:
        client(fake).check_token()
    assert "token or credentials were rejected" in str(caught.value)


def test_missing_permission_is_permission_denied_even_on_401():
    fake = FakeInflux().on("GET", "/api/v2/orgs", error(401, "read:orgs/0000000000000001 is unauthorized", "unauthorized"))
    with pytest.raises(PermissionDenied) as caught:
        client(fake).find_org("acme")
    text = str(caught.value)
    assert "read:orgs/0000000000000001 is unauthorized" in text and "lack permission" in text
    assert caught.value.status == 401


def test_unprocessable_carries_the_server_message():
    fake = FakeInflux().on("POST", "/api/v2/buckets",
                           error(422, "retention policy duration must be at least 1h0m0s", "unprocessable entity"))
    with pytest.raises(InvalidRequest, match="must be at least 1h0m0s"):
        client(fake).create_bucket(ORG_ID, "x", retention_seconds=60)


def test_unreachable_names_the_url():
    fake = FakeInflux().on("GET", "/health", ServerUnreachable("cannot connect: [Errno 111] Connection refused",
                                                               method="GET", url="http://influx.test:8086/health"))
    with pytest.raises(ServerUnreachable) as caught:
        client(fake, retries=1).health()
    result = failure(caught.value, "cannot read InfluxDB")
    assert result["msg"].startswith("cannot read InfluxDB: GET http://influx.test:8086/health: cannot connect")
    assert "check the url option" in result["msg"] and result["url"] == "http://influx.test:8086/health"
    assert len(fake.sent) == 2  # one retry


def test_get_is_retried_on_503_but_post_is_not():
    fake = FakeInflux().on("GET", "/api/v2/orgs", error(503, "busy"), reply(200, {"orgs": [org()]}))
    fake.on("POST", "/api/v2/orgs", error(503, "busy"), reply(201, org()))
    c = client(fake)
    assert c.find_org("acme")["id"] == ORG_ID
    with pytest.raises(ServerError):
        c.create_org("acme")
    assert [s.method for s in fake.sent] == ["GET", "GET", "POST"]


def test_failure_includes_status():
    result = failure(NotFound("gone", method="GET", url="http://x/y"), "cannot manage bucket 'b'")
    assert result == {"msg": "cannot manage bucket 'b': GET http://x/y: HTTP 404: gone", "status": 404, "url": "http://x/y",
                      "method": "GET"}
    # Input errors name the option: the runner does not prefix them (the modules never did).
    assert failure(InvalidInput("name: bad"), "doing") == {"msg": "name: bad"}
