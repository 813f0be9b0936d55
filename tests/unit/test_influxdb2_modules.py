"""The influxdb2_* modules' decisions against a fake server: changed, check mode, diffs, replacements."""

from __future__ import annotations

import json

import pytest
from influxdb2_support import (
    BUCKET2_ID,
    BUCKET_ID,
    ORG_ID,
    OTHER_ORG_ID,
    USER_ID,
    FakeInflux,
    FakeModule,
    bucket,
    client,
    error,
    org,
    reply,
    with_org,
)

from module_args import patch_module_args
from ansible_collections.tickstack.influx.plugins.module_utils import http_client as http_module
from ansible_collections.tickstack.influx.plugins.module_utils.compare import MASK
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import InvalidInput
from ansible_collections.tickstack.influx.plugins.modules import (
    influxdb2_bucket,
    influxdb2_dbrp,
    influxdb2_info,
    influxdb2_org,
    influxdb2_setup,
    influxdb2_token,
    influxdb2_v1_auth,
)

AUTH_ID = "00000000000000d1"
NEW_AUTH_ID = "00000000000000d2"
DUP_AUTH_ID = "00000000000000d3"


def run(module_py, params, fake, check_mode=False):
    module = FakeModule(params, check_mode=check_mode)
    result = module_py.ensure(module, client(fake))
    return result, module


# -- influxdb2_org ------------------------------------------------------------------------------

def test_org_create_check_mode_writes_nothing():
    fake = FakeInflux().on("GET", "/api/v2/orgs", error(404, "not found", "not found"))
    result, _unused = run(influxdb2_org, {"name": "new", "description": "d", "state": "present"}, fake, check_mode=True)
    assert result["changed"] and fake.writes() == []
    assert result["diff"] == {"before": {}, "after": {"name": "new", "description": "d"}}


def test_org_unchanged_then_description_update():
    fake = FakeInflux().on("GET", "/api/v2/orgs", reply(200, {"orgs": [org(description="d")]}))
    fake.on("PATCH", "/api/v2/orgs/%s" % ORG_ID, reply(200, org(description="e")))
    result, _unused = run(influxdb2_org, {"name": "acme", "description": "d", "state": "present"}, fake)
    assert not result["changed"] and fake.writes() == []
    result, _unused = run(influxdb2_org, {"name": "acme", "description": None, "state": "present"}, fake)
    assert not result["changed"]
    result, _unused = run(influxdb2_org, {"name": "acme", "description": "e", "state": "present"}, fake)
    assert result["changed"] and result["org"]["description"] == "e"
    assert fake.writes()[0].body == {"description": "e"}
    assert result["diff"] == {"before": {"description": "d"}, "after": {"description": "e"}}


def test_org_absent():
    fake = FakeInflux().on("GET", "/api/v2/orgs", reply(200, {"orgs": [org()]}), error(404, "gone", "not found"))
    fake.on("DELETE", "/api/v2/orgs/%s" % ORG_ID, reply(204))
    result, _unused = run(influxdb2_org, {"name": "acme", "description": None, "state": "absent"}, fake)
    assert result["changed"] and fake.writes()[0].method == "DELETE"
    result, _unused = run(influxdb2_org, {"name": "acme", "description": None, "state": "absent"}, fake)
    assert not result["changed"] and len(fake.writes()) == 1


# -- influxdb2_bucket ---------------------------------------------------------------------------

def bucket_params(**overrides):
    params = {"name": "metrics", "description": None, "retention": None, "shard_group_duration": None, "state": "present"}
    params.update(overrides)
    return params


def test_bucket_create_payload_and_check_mode():
    fake = with_org(FakeInflux()).on("GET", "/api/v2/buckets", error(404, "not found", "not found"))
    fake.on("POST", "/api/v2/buckets", reply(201, bucket(every=2592000, shard=86400)))
    result, _unused = run(influxdb2_bucket, bucket_params(retention="30d"), fake, check_mode=True)
    assert result["changed"] and fake.writes() == []
    assert result["bucket"]["shard_group_duration_seconds"] == 86400
    result, _unused = run(influxdb2_bucket, bucket_params(retention="30d"), fake)
    assert fake.writes()[0].body == {"orgID": ORG_ID, "name": "metrics",
                                     "retentionRules": [{"type": "expire", "everySeconds": 2592000}]}
    assert result["bucket"]["retention"] == "30d" and result["bucket"]["id"] == BUCKET_ID
    assert result["diff"]["after"] == {"name": "metrics", "description": "", "retention": "30d"}


def test_bucket_same_retention_in_other_words_is_unchanged():
    fake = with_org(FakeInflux()).on("GET", "/api/v2/buckets", reply(200, {"buckets": [bucket(every=2592000, shard=86400)]}))
    result, _unused = run(influxdb2_bucket, bucket_params(retention="720h", shard_group_duration="24h"), fake)
    assert not result["changed"] and fake.writes() == []
    assert result["diff"] == {"before": {}, "after": {}}


def test_bucket_update_retention_and_description():
    fake = with_org(FakeInflux()).on("GET", "/api/v2/buckets", reply(200, {"buckets": [bucket(every=0, shard=604800)]}))
    fake.on("PATCH", "/api/v2/buckets/%s" % BUCKET_ID, reply(200, bucket(every=90 * 86400, shard=604800, description="x")))
    result, _unused = run(influxdb2_bucket, bucket_params(retention="90d", description="x"), fake)
    assert result["changed"]
    assert fake.writes()[0].body == {"description": "x", "retentionRules": [{"type": "expire", "everySeconds": 7776000}]}
    assert result["diff"] == {"before": {"description": "", "retention": "infinite"},
                              "after": {"description": "x", "retention": "90d"}}


def test_bucket_shrinking_retention_moves_the_shard_group_to_the_server_default():
    fake = with_org(FakeInflux()).on("GET", "/api/v2/buckets", reply(200, {"buckets": [bucket(every=0, shard=604800)]}))
    fake.on("PATCH", "/api/v2/buckets/%s" % BUCKET_ID, reply(200, bucket(every=86400, shard=3600)))
    result, _unused = run(influxdb2_bucket, bucket_params(retention="1d"), fake, check_mode=True)
    assert result["changed"] and fake.writes() == []
    assert result["diff"]["after"] == {"retention": "1d", "shard_group_duration": "1h"}
    assert result["bucket"]["shard_group_duration_seconds"] == 3600
    run(influxdb2_bucket, bucket_params(retention="1d"), fake)
    assert fake.writes()[0].body == {"retentionRules": [{"type": "expire", "everySeconds": 86400,
                                                         "shardGroupDurationSeconds": 3600}]}


@pytest.mark.parametrize("params, message", [
    (bucket_params(name="_monitoring"), "reserved for system buckets"),
    (bucket_params(name='a"b'), "quotation marks"),
    (bucket_params(retention="10m"), "retention: 10m is too short"),
    (bucket_params(retention="soon"), "retention: 'soon' is not a duration"),
    (bucket_params(shard_group_duration="30m"), "shard_group_duration: 30m is too short"),
    (bucket_params(retention="1d", shard_group_duration="7d"), "shard_group_duration: 7d is longer than the retention 1d"),
])
def test_bucket_bad_input_fails_before_any_request(params, message):
    fake = FakeInflux()
    with pytest.raises(InvalidInput, match=message):
        run(influxdb2_bucket, params, fake)
    assert fake.sent == []


# -- influxdb2_token ----------------------------------------------------------------------------

WRITE_METRICS = {"action": "write", "resource": {"type": "buckets", "name": "metrics"}}


def server_auth(auth_id=AUTH_ID, description="writer", token="", status="active", action="write"):
    return {"id": auth_id, "description": description, "status": status, "orgID": ORG_ID, "org": "acme",
            "userID": USER_ID, "user": "admin", "token": token,
            "permissions": [{"action": action, "resource": {"type": "buckets", "id": BUCKET_ID, "orgID": ORG_ID,
                                                            "name": "metrics", "org": "acme"}}]}


def token_fake(existing=()):
    fake = with_org(FakeInflux()).on("GET", "/api/v2/buckets", reply(200, {"buckets": [bucket()]}))
    fake.on("GET", "/api/v2/authorizations", reply(200, {"authorizations": list(existing)}))
    fake.on("POST", "/api/v2/authorizations", reply(201, server_auth(NEW_AUTH_ID, token="fresh-token-value")))
    fake.on("DELETE", "/api/v2/authorizations/%s" % AUTH_ID, reply(204))
    fake.on("PATCH", "/api/v2/authorizations/%s" % AUTH_ID, reply(200, server_auth(status="inactive")))
    return fake


def token_params(**overrides):
    params = {"description": "writer", "user": None, "permissions": [WRITE_METRICS], "status": "active",
              "rotate": False, "state": "present"}
    params.update(overrides)
    return params


def test_token_create_returns_the_value_once():
    fake = token_fake()
    result, _unused = run(influxdb2_token, token_params(), fake)
    assert result["changed"] and result["token_available"] and result["token"] == "fresh-token-value"
    assert fake.writes()[0].body == {"orgID": ORG_ID, "description": "writer", "status": "active", "permissions": [
        {"action": "write", "resource": {"type": "buckets", "id": BUCKET_ID, "orgID": ORG_ID}}]}
    assert "fresh-token-value" not in json.dumps(result["diff"]) and "fresh-token-value" not in json.dumps(result["authorization"])
    assert result["diff"]["after"]["permissions"] == ["write:buckets/metrics"]


def test_token_create_check_mode():
    fake = token_fake()
    result, _unused = run(influxdb2_token, token_params(), fake, check_mode=True)
    assert result["changed"] and not result["token_available"] and "token" not in result
    assert fake.writes() == []


def test_token_unchanged_on_hashed_server_says_no_value():
    fake = token_fake([server_auth(token="")])
    result, _unused = run(influxdb2_token, token_params(), fake)
    assert not result["changed"] and not result["replaced"] and fake.writes() == []
    assert result["token_available"] is False and "token" not in result


def test_token_unchanged_on_plain_server_returns_the_value():
    fake = token_fake([server_auth(token="old-plain-token")])
    result, _unused = run(influxdb2_token, token_params(), fake)
    assert not result["changed"] and result["token_available"] and result["token"] == "old-plain-token"


def test_token_permissions_differ_create_then_delete():
    fake = token_fake([server_auth(action="read")])
    result, _unused = run(influxdb2_token, token_params(), fake)
    assert result["changed"] and result["replaced"] and result["replaced_id"] == AUTH_ID
    assert "cannot change the permissions" in result["replace_reason"]
    assert [(w.method, w.path) for w in fake.writes()] == [
        ("POST", "/api/v2/authorizations"), ("DELETE", "/api/v2/authorizations/%s" % AUTH_ID)]
    assert fake.writes()[0].body["userID"] == USER_ID  # the owner is kept
    assert result["token"] == "fresh-token-value"
    assert result["diff"] == {"before": {"permissions": ["read:buckets/metrics"], "token": MASK},
                              "after": {"permissions": ["write:buckets/metrics"], "token": MASK}}


def test_token_replacement_in_check_mode_writes_nothing():
    fake = token_fake([server_auth(action="read")])
    result, _unused = run(influxdb2_token, token_params(), fake, check_mode=True)
    assert result["changed"] and result["replaced"] and fake.writes() == []
    assert not result["token_available"]


def test_token_rotate():
    fake = token_fake([server_auth()])
    result, _unused = run(influxdb2_token, token_params(rotate=True), fake)
    assert result["replaced"] and result["replace_reason"] == "rotate was requested"
    assert result["diff"] == {"before": {"token": MASK}, "after": {"token": MASK}}
    assert len(fake.writes()) == 2


def test_token_status_is_patched_in_place():
    fake = token_fake([server_auth()])
    result, _unused = run(influxdb2_token, token_params(status="inactive"), fake)
    assert result["changed"] and not result["replaced"]
    assert [(w.method, w.body) for w in fake.writes()] == [("PATCH", {"status": "inactive"})]


def test_token_duplicates_are_healed_for_present_and_all_go_for_absent():
    # Two tokens with one description (a replacement that failed midway) were an error every run;
    # issue 11: they are healed as a rotation would (one new token, with its value, replaces them).
    fake = token_fake([server_auth(), server_auth(DUP_AUTH_ID)])
    fake.on("DELETE", "/api/v2/authorizations/%s" % DUP_AUTH_ID, reply(204))
    result, _unused = run(influxdb2_token, token_params(), fake)
    assert result["replaced"] and "2 tokens had the description 'writer'" in result["replace_reason"]
    assert result["replaced_ids"] == [AUTH_ID, DUP_AUTH_ID] and result["token"] == "fresh-token-value"
    assert [w.method for w in fake.writes()] == ["POST", "DELETE", "DELETE"]
    fake.sent.clear()
    result, _unused = run(influxdb2_token, token_params(state="absent", permissions=None), fake)
    assert result["changed"] and len(fake.writes()) == 2


def test_token_absent_missing_is_unchanged():
    fake = token_fake([server_auth(description="someone else")])
    result, _unused = run(influxdb2_token, token_params(state="absent"), fake)
    assert not result["changed"] and fake.writes() == []


# -- influxdb2_dbrp -----------------------------------------------------------------------------

def mapping(db="metrics", rp="autogen", bucket_id=BUCKET_ID, default=True, virtual=False, dbrp_id="00000000000000f1"):
    return {"id": dbrp_id, "database": db, "retention_policy": rp, "default": default, "virtual": virtual,
            "orgID": ORG_ID, "bucketID": bucket_id}


def dbrp_fake(mappings):
    fake = with_org(FakeInflux())
    fake.on("GET", "/api/v2/buckets", lambda req: reply(200, {"buckets": [
        b for b in (bucket(), bucket(BUCKET2_ID, "other")) if b["name"] == req.query.get("name", b["name"])]}))
    fake.on("GET", "/api/v2/dbrps", reply(200, {"content": list(mappings)}))
    fake.on("POST", "/api/v2/dbrps", lambda req: reply(201, dict(mapping(), **{
        "database": req.body["database"], "retention_policy": req.body["retention_policy"],
        "bucketID": req.body["bucketID"], "default": req.body["default"], "id": "00000000000000f9"})))
    fake.on("PATCH", "/api/v2/dbrps/00000000000000f1", lambda req: reply(200, {"content": mapping(default=req.body["default"])}))
    fake.on("DELETE", "/api/v2/dbrps/00000000000000f1", reply(204))
    return fake


def dbrp_params(**overrides):
    params = {"database": "metrics", "retention_policy": "autogen", "bucket": "metrics", "default": None,
              "virtual_ok": True, "state": "present"}
    params.update(overrides)
    return params


def test_dbrp_virtual_mapping_counts_as_present():
    fake = dbrp_fake([mapping(virtual=True, dbrp_id=BUCKET_ID)])
    result, _unused = run(influxdb2_dbrp, dbrp_params(), fake)
    assert not result["changed"] and fake.writes() == [] and result["dbrp"]["virtual"]


@pytest.mark.parametrize("overrides", [{"virtual_ok": False}, {"default": True}, {"default": False}])
def test_dbrp_virtual_is_not_enough_when_more_is_asked(overrides):
    fake = dbrp_fake([mapping(virtual=True, dbrp_id=BUCKET_ID)])
    result, module = run(influxdb2_dbrp, dbrp_params(**overrides), fake, check_mode=True)
    assert result["changed"] and fake.writes() == []
    result, module = run(influxdb2_dbrp, dbrp_params(**overrides), fake)
    sent = fake.writes()[0]
    assert (sent.method, sent.path) == ("POST", "/api/v2/dbrps")
    # The first stored mapping of a database is its default whatever was asked, so ask for what will be.
    assert sent.body == {"orgID": ORG_ID, "database": "metrics", "retention_policy": "autogen",
                         "bucketID": BUCKET_ID, "default": True}
    assert result["dbrp"]["default"] is True and not result["dbrp"]["virtual"]
    assert bool(module.warnings) == (overrides.get("default") is False)


def test_dbrp_virtual_of_another_bucket_means_create():
    fake = dbrp_fake([mapping(virtual=True, dbrp_id=BUCKET_ID)])
    result, _unused = run(influxdb2_dbrp, dbrp_params(bucket="other"), fake)
    assert result["changed"] and fake.writes()[0].body["bucketID"] == BUCKET2_ID


def test_dbrp_second_mapping_is_not_default_unless_asked():
    fake = dbrp_fake([mapping(rp="weekly", default=True, dbrp_id="00000000000000f5")])
    result, _unused = run(influxdb2_dbrp, dbrp_params(), fake)
    assert fake.writes()[0].body["default"] is False and result["dbrp"]["default"] is False


def test_dbrp_stored_and_same_is_unchanged():
    fake = dbrp_fake([mapping()])
    result, _unused = run(influxdb2_dbrp, dbrp_params(default=True), fake)
    assert not result["changed"] and fake.writes() == []


def test_dbrp_bucket_change_replaces():
    fake = dbrp_fake([mapping()])
    result, _unused = run(influxdb2_dbrp, dbrp_params(bucket="other"), fake, check_mode=True)
    assert result["changed"] and result["replaced"] and fake.writes() == []
    assert result["diff"] == {"before": {"bucket_id": BUCKET_ID}, "after": {"bucket_id": BUCKET2_ID}}
    result, _unused = run(influxdb2_dbrp, dbrp_params(bucket="other"), fake)
    assert [(w.method, w.path) for w in fake.writes()] == [("DELETE", "/api/v2/dbrps/00000000000000f1"),
                                                           ("POST", "/api/v2/dbrps")]
    assert fake.writes()[1].body["default"] is True  # it was the default and stays so
    assert result["dbrp"]["bucket_id"] == BUCKET2_ID


def test_dbrp_default_false_on_the_only_mapping_warns_and_does_not_flap():
    fake = dbrp_fake([mapping()])
    result, module = run(influxdb2_dbrp, dbrp_params(default=False), fake)
    assert not result["changed"] and fake.writes() == []
    assert "stays the default" in module.warnings[0]


def test_dbrp_default_moves_with_patch():
    fake = dbrp_fake([mapping(default=False), mapping(rp="weekly", default=True, dbrp_id="00000000000000f5")])
    result, _unused = run(influxdb2_dbrp, dbrp_params(default=True), fake)
    assert result["changed"] and [(w.method, w.body) for w in fake.writes()] == [("PATCH", {"default": True})]
    assert fake.writes()[0].query == {"orgID": ORG_ID}


def test_dbrp_absent():
    fake = dbrp_fake([mapping()])
    result, _unused = run(influxdb2_dbrp, dbrp_params(state="absent", bucket=None), fake)
    assert result["changed"] and fake.writes()[0].method == "DELETE"
    assert result["virtual_remains"] is True  # bucket "metrics" still answers as metrics/autogen


def test_dbrp_absent_with_only_a_virtual_mapping_is_unchanged():
    fake = dbrp_fake([mapping(virtual=True, dbrp_id=BUCKET_ID)])
    result, _unused = run(influxdb2_dbrp, dbrp_params(state="absent", bucket=None), fake)
    assert not result["changed"] and fake.writes() == [] and result["virtual_remains"]


# -- influxdb2_v1_auth --------------------------------------------------------------------------

def legacy(username="kapa", status="active", action="read", bucket_id=BUCKET_ID, org_id=ORG_ID, description=""):
    return {"id": AUTH_ID, "token": username, "status": status, "orgID": org_id, "userID": USER_ID,
            "description": description,
            "permissions": [{"action": action, "resource": {"type": "buckets", "id": bucket_id, "orgID": org_id,
                                                            "name": "metrics"}}]}


def v1_fake(existing=None, password_works=True):
    fake = with_org(FakeInflux()).on("GET", "/api/v2/buckets", reply(200, {"buckets": [bucket()]}))
    fake.on("GET", "/private/legacy/authorizations", reply(200, {"authorizations": [existing]}) if existing
            else error(404, "authorization not found", "not found"))
    fake.on("POST", "/private/legacy/authorizations", reply(201, dict(legacy(), id=NEW_AUTH_ID)))
    for auth_id in (AUTH_ID, NEW_AUTH_ID):
        fake.on("POST", "/private/legacy/authorizations/%s/password" % auth_id, reply(204))
    fake.on("DELETE", "/private/legacy/authorizations/%s" % AUTH_ID, reply(204))
    fake.on("PATCH", "/private/legacy/authorizations/%s" % AUTH_ID, lambda req: reply(200, dict(legacy(), **req.body)))
    fake.on("GET", "/query", reply(400 if password_works else 401, {"error": "x"}))
    return fake


def v1_params(**overrides):
    params = {"username": "kapa", "password": "s3cret-pass", "update_password": "on_create", "read_buckets": ["metrics"],
              "write_buckets": [], "description": None, "user": None, "status": "active", "state": "present"}
    params.update(overrides)
    return params


def test_v1_create_sets_the_password():
    fake = v1_fake()
    result, _unused = run(influxdb2_v1_auth, v1_params(), fake)
    assert result["changed"] and result["password_set"]
    create, password = fake.writes()
    assert create.body == {"orgID": ORG_ID, "token": "kapa", "status": "active", "description": "", "permissions": [
        {"action": "read", "resource": {"type": "buckets", "id": BUCKET_ID, "orgID": ORG_ID}}]}
    assert password.path.endswith("/%s/password" % NEW_AUTH_ID) and password.body == {"password": "s3cret-pass"}
    assert "s3cret-pass" not in json.dumps(result)


def test_v1_create_needs_a_password():
    with pytest.raises(InvalidInput, match="password: required to create"):
        run(influxdb2_v1_auth, v1_params(password=None), v1_fake())


def test_v1_unchanged_with_on_create_never_probes():
    fake = v1_fake(legacy(), password_works=False)
    result, _unused = run(influxdb2_v1_auth, v1_params(), fake)
    assert not result["changed"] and fake.writes() == []
    assert not [s for s in fake.sent if s.path == "/query"]


@pytest.mark.parametrize("works", [True, False])
def test_v1_update_password_always_sets_only_a_wrong_password(works):
    fake = v1_fake(legacy(), password_works=works)
    result, _unused = run(influxdb2_v1_auth, v1_params(update_password="always"), fake)
    assert result["changed"] is (not works) and result["password_set"] is (not works)
    assert len(fake.writes()) == (0 if works else 1)


def test_v1_inactive_password_cannot_be_checked_so_it_is_set():
    fake = v1_fake(legacy(status="inactive"))
    result, _unused = run(influxdb2_v1_auth, v1_params(update_password="always", status="inactive"), fake)
    assert result["changed"] and result["diff"] == {"before": {"password": MASK}, "after": {"password": MASK}}


def test_v1_permission_change_needs_password_then_replaces():
    fake = v1_fake(legacy(action="write"))
    with pytest.raises(InvalidInput, match="password: required to replace"):
        run(influxdb2_v1_auth, v1_params(password=None), fake)
    assert fake.writes() == []
    result, _unused = run(influxdb2_v1_auth, v1_params(), fake)
    assert result["replaced"] and [(w.method, w.path.rsplit("/", 1)[-1]) for w in fake.writes()] == [
        ("DELETE", AUTH_ID), ("POST", "authorizations"), ("POST", "password")]


def test_v1_status_and_description_patch():
    fake = v1_fake(legacy())
    result, _unused = run(influxdb2_v1_auth, v1_params(status="inactive", description="kapacitor"), fake)
    assert result["changed"] and fake.writes()[0].body == {"status": "inactive", "description": "kapacitor"}


def test_v1_username_in_another_org_is_refused():
    fake = v1_fake(legacy(org_id="00000000000000ff"))
    with pytest.raises(InvalidInput, match="already a v1 username in another organization"):
        run(influxdb2_v1_auth, v1_params(), fake)


def test_v1_needs_a_bucket():
    with pytest.raises(InvalidInput, match="give at least one bucket"):
        run(influxdb2_v1_auth, v1_params(read_buckets=[]), v1_fake())


# -- influxdb2_setup ----------------------------------------------------------------------------

def setup_params(**overrides):
    params = {"username": "admin", "password": "pw123456", "org": "acme", "bucket": "metrics", "retention": "infinite",
              "token": "operator"}
    params.update(overrides)
    return params


def test_setup_onboards_once():
    fake = FakeInflux().on("GET", "/api/v2/setup", reply(200, {"allowed": True}))
    fake.on("POST", "/api/v2/setup", reply(201, {"org": org(), "bucket": bucket(), "user": {"id": USER_ID, "name": "admin"},
                                                 "auth": {"token": "operator"}}))
    result, _unused = run(influxdb2_setup, setup_params(), fake, check_mode=True)
    assert result["changed"] and fake.writes() == []
    result, _unused = run(influxdb2_setup, setup_params(), fake)
    assert result["changed"] and result["org"]["id"] == ORG_ID
    assert result["token_available"] is False and "token" not in result  # the caller gave it


def test_setup_returns_a_generated_token():
    fake = FakeInflux().on("GET", "/api/v2/setup", reply(200, {"allowed": True}))
    fake.on("POST", "/api/v2/setup", reply(201, {"auth": {"token": "generated"}}))
    result, _unused = run(influxdb2_setup, setup_params(token=None), fake)
    assert result["token_available"] and result["token"] == "generated"


def test_setup_done_checks_the_token():
    fake = FakeInflux().on("GET", "/api/v2/setup", reply(200, {"allowed": False}))
    fake.on("GET", "/api/v2/orgs", reply(200, {"orgs": [org()]}), error(401, "unauthorized access", "unauthorized"))
    result, _unused = run(influxdb2_setup, setup_params(), fake)
    assert not result["changed"] and result["already_setup"] and fake.writes() == []
    with pytest.raises(InvalidInput, match="already set up and rejects the given token"):
        run(influxdb2_setup, setup_params(), fake)


def test_setup_probe_looks_and_never_writes():
    fake = FakeInflux().on("GET", "/api/v2/setup", reply(200, {"allowed": False}))
    fake.on("GET", "/api/v2/orgs", reply(200, {"orgs": [org()]}), error(401, "unauthorized access", "unauthorized"))
    probe = {"token": "t0ken", "probe": True}
    result, _unused = run(influxdb2_setup, probe, fake)
    assert result == {"changed": False, "reachable": True, "already_setup": True, "token_accepted": True,
                      "token_available": False}
    # A rejected token is a finding, not a failure; a new instance has no token to check.
    assert run(influxdb2_setup, probe, fake)[0]["token_accepted"] is False
    fake.on("GET", "/api/v2/setup", reply(200, {"allowed": True}))
    result, _unused = run(influxdb2_setup, probe, fake)
    assert (result["already_setup"], result["token_accepted"]) == (False, None) and fake.writes() == []


def test_setup_probe_of_an_unreachable_server_tries_once():
    fake = FakeInflux().on("GET", "/api/v2/setup", http_module.ServerUnreachable("connection refused"))
    result, _unused = run(influxdb2_setup, {"token": "t0ken", "probe": True}, fake)
    assert (result["reachable"], result["already_setup"], result["token_accepted"]) == (False, None, None)
    assert len(fake.sent) == 1


def test_setup_probe_through_a_proxy_whose_influxdb_is_down_says_unreachable():
    fake = FakeInflux().on("GET", "/api/v2/setup", reply(502, b"upstream unreachable", {"Content-Type": "text/plain"}))
    result, _unused = run(influxdb2_setup, {"token": "t0ken", "probe": True}, fake)
    assert result["reachable"] is False and len(fake.sent) == 1


def test_setup_probe_of_something_else_still_fails():
    fake = FakeInflux().on("GET", "/api/v2/setup", reply(200, b"<html>sign in</html>", {"Content-Type": "text/html"}))
    with pytest.raises(http_module.ApiError):
        run(influxdb2_setup, {"token": "t0ken", "probe": True}, fake)


def test_setup_needs_an_org():
    with pytest.raises(InvalidInput, match="^org: "):
        run(influxdb2_setup, setup_params(org=None), FakeInflux())


# -- influxdb2_info -----------------------------------------------------------------------------

def test_info_never_returns_token_values():
    fake = with_org(FakeInflux()).on("GET", "/health", reply(200, {"status": "pass", "version": "v2.7.12"}))
    fake.on("GET", "/api/v2/buckets", reply(200, {"buckets": [bucket(), bucket(BUCKET2_ID, "_monitoring", btype="system")]}))
    fake.on("GET", "/api/v2/authorizations", reply(200, {"authorizations": [server_auth(token="plain-secret")]}))
    fake.on("GET", "/api/v2/dbrps", reply(200, {"content": [mapping(virtual=True, dbrp_id=BUCKET_ID),
                                                            mapping("_monitoring", virtual=True, bucket_id=BUCKET2_ID)]}))
    fake.on("GET", "/private/legacy/authorizations", reply(200, {"authorizations": [legacy()]}))
    module = FakeModule({"gather": influxdb2_info.GATHER, "bucket": None, "token_description": None, "database": None,
                         "username": None, "include_system_buckets": False})
    result = influxdb2_info.gather(module, client(fake))
    assert result["version"] == "2.7.12" and not result["changed"]
    assert [b["name"] for b in result["buckets"]] == ["metrics"]
    assert [m["database"] for m in result["dbrps"]] == ["metrics"]
    assert "plain-secret" not in json.dumps(result)
    assert result["v1_auths"][0]["username"] == "kapa"
    assert fake.writes() == []


# -- main(): argument spec and failure messages ---------------------------------------------------

def run_main(module_py, args, fake, monkeypatch, capsys):
    monkeypatch.setattr(http_module, "urls_transport", fake)
    with patch_module_args(args), pytest.raises(SystemExit) as caught:
        module_py.main()
    return caught.value.code, json.loads(capsys.readouterr().out)


def test_main_fails_with_the_field_and_cause(monkeypatch, capsys):
    code, out = run_main(influxdb2_bucket, {"url": "http://influx.test:8086", "token": "x", "org": "acme",
                                            "name": "_bad"}, FakeInflux(), monkeypatch, capsys)
    assert code == 1 and out["failed"]
    assert out["msg"] == "name: bucket name '_bad' is invalid: names starting with an underscore are reserved for system buckets"


def test_main_reports_a_rejected_token(monkeypatch, capsys):
    fake = FakeInflux().on("GET", "/api/v2/orgs", error(401, "unauthorized access", "unauthorized"))
    code, out = run_main(influxdb2_org, {"url": "http://influx.test:8086", "token": "bad", "name": "acme"},
                         fake, monkeypatch, capsys)
    assert code == 1 and out["status"] == 401
    assert out["msg"].startswith("cannot manage organization 'acme': GET http://influx.test:8086/api/v2/orgs?org=acme: "
                                 "HTTP 401: unauthorized access (the token or credentials were rejected")
    assert "bad" not in out["msg"].replace("'acme'", "")


def test_main_without_token(monkeypatch, capsys):
    monkeypatch.delenv("INFLUX_TOKEN", raising=False)
    code, out = run_main(influxdb2_org, {"url": "http://influx.test:8086", "name": "acme"}, FakeInflux(), monkeypatch, capsys)
    assert code == 1 and out["msg"].startswith("token: no API token given")


def test_main_exit_hides_the_diff_unless_asked(monkeypatch, capsys):
    fake = FakeInflux().on("GET", "/api/v2/orgs", reply(200, {"orgs": [org()]}))
    code, out = run_main(influxdb2_org, {"url": "http://influx.test:8086", "token": "x", "name": "acme"}, fake,
                         monkeypatch, capsys)
    assert code == 0 and out["changed"] is False and "diff" not in out


# -- idempotent runs: the organization by name, its ID learned from the objects (issue 14) ----------

def requests(fake):
    return [(s.method, s.path, s.query) for s in fake.sent]


def test_bucket_idempotent_run_is_one_list_by_org_name():
    fake = FakeInflux().on("GET", "/api/v2/buckets", reply(200, {"buckets": [bucket()]}))
    result, _unused = run(influxdb2_bucket, bucket_params(org="acme"), fake)
    assert not result["changed"]
    assert requests(fake) == [("GET", "/api/v2/buckets", {"org": "acme", "name": "metrics", "offset": "0",
                                                          "limit": "100"})]


@pytest.mark.parametrize("state", ["present", "absent"])
def test_bucket_in_a_missing_org_is_the_org_error_not_a_missing_bucket(state):
    fake = FakeInflux().on("GET", "/api/v2/buckets", error(404, 'organization name "acme" not found', "not found"))
    fake.on("GET", "/api/v2/orgs", reply(200, {"orgs": []}))
    with pytest.raises(Exception, match=r"organization 'acme' not found \(or the token may not read it\)"):
        run(influxdb2_bucket, bucket_params(org="acme", state=state), fake)
    assert fake.writes() == []


def test_bucket_create_resolves_the_org_it_needs():
    fake = with_org(FakeInflux()).on("GET", "/api/v2/buckets", error(404, 'bucket "metrics" not found', "not found"))
    fake.on("POST", "/api/v2/buckets", reply(201, bucket()))
    run(influxdb2_bucket, bucket_params(org="acme"), fake)
    assert [(m, p) for m, p, _q in requests(fake)] == [("GET", "/api/v2/buckets"), ("GET", "/api/v2/orgs"),
                                                       ("POST", "/api/v2/buckets")]
    assert fake.writes()[0].body["orgID"] == ORG_ID


def test_token_idempotent_run_is_the_authorizations_by_org_name_then_the_buckets():
    fake = token_fake([server_auth()])
    result, _unused = run(influxdb2_token, token_params(org="acme"), fake)
    assert not result["changed"]
    assert requests(fake) == [
        ("GET", "/api/v2/authorizations", {"org": "acme"}),
        ("GET", "/api/v2/buckets", {"orgID": ORG_ID, "name": "metrics", "offset": "0", "limit": "100"})]


def test_token_in_a_missing_org_is_the_org_error():
    fake = token_fake().on("GET", "/api/v2/authorizations", error(404, 'organization name "acme" not found', "not found"))
    fake.on("GET", "/api/v2/orgs", reply(200, {"orgs": []}))
    with pytest.raises(Exception, match=r"organization 'acme' not found"):
        run(influxdb2_token, token_params(org="acme"), fake)


def test_token_with_no_authorization_in_the_org_resolves_it_for_the_create():
    fake = token_fake()
    run(influxdb2_token, token_params(org="acme"), fake, check_mode=True)
    assert [p for _m, p, _q in requests(fake)] == ["/api/v2/authorizations", "/api/v2/orgs", "/api/v2/buckets"]


def test_dbrp_idempotent_run_is_the_mappings_by_org_name_then_the_bucket():
    fake = dbrp_fake([mapping()])
    result, _unused = run(influxdb2_dbrp, {"database": "metrics", "retention_policy": "autogen", "bucket": "metrics",
                                           "default": None, "virtual_ok": False, "state": "present"}, fake)
    assert not result["changed"]
    assert requests(fake) == [
        ("GET", "/api/v2/dbrps", {"org": "acme", "db": "metrics"}),
        ("GET", "/api/v2/buckets", {"orgID": ORG_ID, "name": "metrics", "offset": "0", "limit": "100"})]


def test_v1_idempotent_run_takes_the_org_from_the_authorization():
    # read metrics and other, write metrics: three permissions, two bucket names, one bucket list.
    existing = dict(legacy(), org="acme", permissions=[
        {"action": action, "resource": {"type": "buckets", "id": bucket_id, "orgID": ORG_ID}}
        for action, bucket_id in (("read", BUCKET_ID), ("read", BUCKET2_ID), ("write", BUCKET_ID))])
    fake = v1_fake(existing).on("GET", "/api/v2/buckets", reply(200, {"buckets": [bucket(), bucket(BUCKET2_ID, "other")]}))
    result, _unused = run(influxdb2_v1_auth, v1_params(read_buckets=["metrics", "other"], write_buckets=["metrics"]),
                          fake)
    assert not result["changed"], result["diff"]
    assert requests(fake) == [
        ("GET", "/private/legacy/authorizations", {"token": "kapa"}),
        ("GET", "/api/v2/buckets", {"orgID": ORG_ID, "offset": "0", "limit": "100"})]


def test_v1_username_of_another_org_is_still_refused():
    fake = v1_fake(dict(legacy(org_id=OTHER_ORG_ID), org="other"))
    with pytest.raises(InvalidInput, match="already a v1 username in another organization"):
        run(influxdb2_v1_auth, v1_params(), fake)
    assert [p for _m, p, _q in requests(fake)] == ["/private/legacy/authorizations", "/api/v2/orgs"]
