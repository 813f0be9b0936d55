"""influxdb2_user, influxdb2_org_member and the influxdb_users filter against a fake server: payloads,
check mode, honest changed, masked diffs, bad input before any request, bad replies as clear errors."""

from __future__ import annotations

import json

import pytest
from influxdb2_support import ORG_ID, USER_ID, FakeInflux, FakeModule, client, error, org, reply, with_org

from module_args import INJECT_INVOCATION, patch_module_args
from ansible.errors import AnsibleFilterError
from ansible_collections.tickstack.influx.plugins.filter.influxdb_users import influxdb_users
from ansible_collections.tickstack.influx.plugins.module_utils import http_client as http_module
from ansible_collections.tickstack.influx.plugins.module_utils.compare import MASK
from ansible_collections.tickstack.influx.plugins.module_utils.errors import OperationFailed
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import (
    ServerError,
    ServerUnreachable,
    UnexpectedResponse,
)
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import InvalidInput
from ansible_collections.tickstack.influx.plugins.modules import influxdb2_org_member, influxdb2_user

PASSWORD = "s3cret-pass"
NEW_USER_ID = "00000000000000a2"
ADMIN_ID = "00000000000000a0"


def run(module_py, params, fake, check_mode=False):
    module = FakeModule(params, check_mode=check_mode)
    return module_py.ensure(module, client(fake))


def user(name="alice", status="active", user_id=USER_ID):
    return {"id": user_id, "name": name, "status": status, "links": {"self": "/api/v2/users/%s" % user_id}}


def basic_of(sent):
    """The credentials a request was sent with: HttpClient's basic auth, which open_url sends."""
    assert "Authorization" not in sent.headers  # never the operator token
    return "%s:%s" % (sent.options["url_username"], sent.options["url_password"])


# -- influxdb2_user -------------------------------------------------------------------------------

def user_fake(existing=None, signin=204):
    fake = FakeInflux()
    fake.on("GET", "/api/v2/users", reply(200, {"users": [existing]}) if existing
            else error(404, "user not found", "not found"))
    fake.on("POST", "/api/v2/users", lambda req: reply(201, dict(user(), id=NEW_USER_ID, **req.body)))
    for user_id in (USER_ID, NEW_USER_ID):
        fake.on("POST", "/api/v2/users/%s/password" % user_id, reply(204))
        fake.on("PATCH", "/api/v2/users/%s" % user_id, lambda req: reply(200, dict(existing or user(), **req.body)))
        fake.on("DELETE", "/api/v2/users/%s" % user_id, reply(204))
    fake.on("POST", "/api/v2/signin", reply(signin, None if signin == 204 else {"code": "unauthorized"},
                                            headers={"Set-Cookie": "influxdb-oss-session=abc; Path=/api/"}))
    fake.on("POST", "/api/v2/signout", reply(204))
    fake.on("GET", "/api/v2/me", reply(200, user("admin", user_id=ADMIN_ID)))
    return fake


def user_params(**overrides):
    params = {"name": "alice", "password": PASSWORD, "update_password": "on_create", "status": "active",
              "state": "present"}
    params.update(overrides)
    return params


def test_user_create_posts_the_user_then_its_password():
    fake = user_fake()
    result = run(influxdb2_user, user_params(), fake)
    assert result["changed"] and result["password_set"]
    assert result["user"] == {"id": NEW_USER_ID, "name": "alice", "status": "active"}
    create, password = fake.writes()
    assert (create.method, create.path, create.body) == ("POST", "/api/v2/users", {"name": "alice", "status": "active"})
    assert password.path == "/api/v2/users/%s/password" % NEW_USER_ID and password.body == {"password": PASSWORD}
    assert fake.sent[0].query == {"name": "alice"}
    assert result["diff"] == {"before": {}, "after": {"name": "alice", "status": "active", "password": MASK}}
    assert PASSWORD not in json.dumps(result)


def test_user_create_in_check_mode_writes_nothing():
    fake = user_fake()
    result = run(influxdb2_user, user_params(status="inactive"), fake, check_mode=True)
    assert result["changed"] and result["password_set"] and fake.writes() == []
    assert result["user"] == {"id": None, "name": "alice", "status": "inactive"}


def test_user_create_without_password_sets_none():
    fake = user_fake()
    result = run(influxdb2_user, user_params(password=None), fake)
    assert result["changed"] and not result["password_set"]
    assert [w.path for w in fake.writes()] == ["/api/v2/users"]
    assert "password" not in result["diff"]["after"]


def test_user_unchanged_with_on_create_never_signs_in():
    fake = user_fake(user(), signin=401)
    result = run(influxdb2_user, user_params(), fake)
    assert not result["changed"] and not result["password_set"] and fake.writes() == []
    assert not [s for s in fake.sent if s.path == "/api/v2/signin"]
    assert result["diff"] == {"before": {}, "after": {}}


@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize("works", [True, False])
def test_user_update_password_always_sets_only_a_refused_password(works, check_mode):
    fake = user_fake(user(), signin=204 if works else 401)
    result = run(influxdb2_user, user_params(update_password="always"), fake, check_mode=check_mode)
    signin = fake.last("POST", "/api/v2/signin")
    assert basic_of(signin) == "alice:" + PASSWORD
    assert result["changed"] is (not works) and result["password_set"] is (not works)
    password_posts = [w for w in fake.writes() if w.path.endswith("/password")]
    assert len(password_posts) == (0 if works or check_mode else 1)
    if not works:
        assert result["diff"] == {"before": {"password": MASK}, "after": {"password": MASK}}
    if works:  # the probe's session is closed again, with its cookie
        assert fake.last("POST", "/api/v2/signout").headers["Cookie"] == "influxdb-oss-session=abc"
    assert PASSWORD not in json.dumps(result)


def test_user_status_is_patched():
    fake = user_fake(user())
    result = run(influxdb2_user, user_params(status="inactive"), fake)
    assert result["changed"] and [(w.method, w.body) for w in fake.writes()] == [("PATCH", {"status": "inactive"})]
    assert result["diff"] == {"before": {"status": "active"}, "after": {"status": "inactive"}}
    assert result["user"]["status"] == "inactive"


def test_user_status_in_check_mode_is_predicted():
    fake = user_fake(user())
    result = run(influxdb2_user, user_params(status="inactive"), fake, check_mode=True)
    assert result["changed"] and fake.writes() == [] and result["user"]["status"] == "inactive"


def test_user_absent_deletes_and_absent_again_is_unchanged():
    fake = user_fake(user())
    result = run(influxdb2_user, user_params(state="absent"), fake)
    assert result["changed"] and [(w.method, w.path) for w in fake.writes()] == [("DELETE", "/api/v2/users/" + USER_ID)]
    assert result["diff"] == {"before": {"name": "alice", "status": "active"}, "after": {}}
    fake = user_fake()
    assert not run(influxdb2_user, user_params(state="absent"), fake)["changed"] and fake.writes() == []


def test_user_absent_refuses_the_token_owner():
    fake = user_fake(user("admin", user_id=ADMIN_ID))
    with pytest.raises(InvalidInput, match="name: 'admin' is the user of the token"):
        run(influxdb2_user, user_params(name="admin", state="absent"), fake)
    assert fake.writes() == []


@pytest.mark.parametrize("password", ["short", "x" * 73])
def test_user_bad_password_is_refused_before_any_request(password):
    fake = user_fake()
    with pytest.raises(InvalidInput, match=r"^password: InfluxDB requires 8 to 72 characters, got %d$" % len(password)):
        run(influxdb2_user, user_params(password=password), fake)
    assert fake.sent == []


def test_user_password_failure_deletes_the_new_user():
    fake = user_fake()
    fake.on("POST", "/api/v2/users/%s/password" % NEW_USER_ID, error(500, "boom", "internal error"))
    with pytest.raises(OperationFailed, match="cannot set the password of user 'alice': .*boom.*deleted again"):
        run(influxdb2_user, user_params(), fake)
    assert [(w.method, w.path) for w in fake.writes()][-1] == ("DELETE", "/api/v2/users/" + NEW_USER_ID)


def test_user_create_answer_lost_finds_the_user_it_made():
    fake = user_fake()
    fake.on("POST", "/api/v2/users", ServerUnreachable("connection reset"))
    fake.on("GET", "/api/v2/users", error(404, "user not found", "not found"), reply(200, {"users": [user()]}))
    result = run(influxdb2_user, user_params(), fake)
    assert result["changed"] and result["user"]["id"] == USER_ID
    assert fake.writes()[-1].path == "/api/v2/users/%s/password" % USER_ID


@pytest.mark.parametrize("answer, kind", [
    (reply(200, b"<html>proxy</html>", headers={"Content-Type": "text/html"}), UnexpectedResponse),
    (reply(200, {"users": {"id": "x"}}), UnexpectedResponse),
    (error(503, "upstream down"), ServerError),
])
def test_user_bad_replies_are_errors(answer, kind):
    fake = user_fake().on("GET", "/api/v2/users", answer)
    with pytest.raises(kind):
        run(influxdb2_user, user_params(), fake)
    assert fake.writes() == []


def test_user_signin_answering_500_is_an_error_not_a_wrong_password():
    fake = user_fake(user()).on("POST", "/api/v2/signin", error(500, "boom"))
    with pytest.raises(ServerError):
        run(influxdb2_user, user_params(update_password="always"), fake)
    assert not [w for w in fake.writes() if w.path.endswith("/password")]


# -- influxdb2_org_member -------------------------------------------------------------------------

MEMBERS = "/api/v2/orgs/%s/members" % ORG_ID
OWNERS = "/api/v2/orgs/%s/owners" % ORG_ID


def member_fake(role=None):
    fake = with_org(FakeInflux()).on("GET", "/api/v2/users", reply(200, {"users": [user()]}))
    admin = dict(user("admin", user_id=ADMIN_ID), role="owner")
    alice = dict(user(), role=role)
    fake.on("GET", OWNERS, reply(200, {"users": [admin] + ([alice] if role == "owner" else [])}))
    fake.on("GET", MEMBERS, reply(200, {"users": [alice] if role == "member" else []}))
    for path, new_role in ((MEMBERS, "member"), (OWNERS, "owner")):
        fake.on("POST", path, reply(201, dict(user(), role=new_role)))
        fake.on("DELETE", "%s/%s" % (path, USER_ID), reply(204))
    return fake


def member_params(**overrides):
    params = {"user": "alice", "role": "member", "state": "present"}
    params.update(overrides)
    return params


def test_member_add_posts_the_user_id():
    fake = member_fake()
    result = run(influxdb2_org_member, member_params(), fake)
    assert result["changed"] and [(w.method, w.path, w.body) for w in fake.writes()] == [("POST", MEMBERS, {"id": USER_ID})]
    assert result["membership"] == {"org": "acme", "org_id": ORG_ID, "user": "alice", "user_id": USER_ID, "role": "member"}
    assert result["diff"] == {"before": {}, "after": {"user": "alice", "role": "member"}}


def test_member_add_in_check_mode_writes_nothing():
    fake = member_fake()
    result = run(influxdb2_org_member, member_params(role="owner"), fake, check_mode=True)
    assert result["changed"] and fake.writes() == [] and result["membership"]["role"] == "owner"


@pytest.mark.parametrize("role", ["member", "owner"])
def test_member_same_role_is_unchanged(role):
    fake = member_fake(role)
    result = run(influxdb2_org_member, member_params(role=role), fake)
    assert not result["changed"] and fake.writes() == [] and result["diff"] == {"before": {}, "after": {}}


@pytest.mark.parametrize("role, lists", [("member", [MEMBERS]), ("owner", [OWNERS])])
def test_member_idempotent_run_reads_the_org_and_the_wanted_roles_list_only(role, lists):
    # The list names its users: no user lookup, and the other role's list is not read.
    fake = member_fake(role)
    result = run(influxdb2_org_member, member_params(role=role), fake)
    assert not result["changed"]
    assert [(s.method, s.path, s.query) for s in fake.sent] == [("GET", "/api/v2/orgs", {"org": "acme"})] + [
        ("GET", path, {}) for path in lists]
    assert result["membership"]["user_id"] == USER_ID


def test_member_not_in_either_list_is_looked_up_by_name():
    fake = member_fake()
    run(influxdb2_org_member, member_params(), fake)
    assert [(s.method, s.path) for s in fake.sent] == [
        ("GET", "/api/v2/orgs"), ("GET", MEMBERS), ("GET", OWNERS), ("GET", "/api/v2/users"), ("POST", MEMBERS)]


@pytest.mark.parametrize("current, wanted", [("member", "owner"), ("owner", "member")])
def test_member_move_is_one_run_with_a_diff_of_the_role(current, wanted):
    fake = member_fake(current)
    result = run(influxdb2_org_member, member_params(role=wanted), fake)
    old, new = (MEMBERS, OWNERS) if current == "member" else (OWNERS, MEMBERS)
    assert [(w.method, w.path) for w in fake.writes()] == [("DELETE", "%s/%s" % (old, USER_ID)), ("POST", new)]
    assert result["changed"] and result["diff"] == {"before": {"role": current}, "after": {"role": wanted}}


def test_member_move_in_check_mode_writes_nothing():
    fake = member_fake("member")
    result = run(influxdb2_org_member, member_params(role="owner"), fake, check_mode=True)
    assert result["changed"] and fake.writes() == [] and result["diff"]["after"] == {"role": "owner"}


def test_member_move_that_fails_puts_the_old_role_back():
    fake = member_fake("member").on("POST", OWNERS, error(500, "boom", "internal error"))
    with pytest.raises(OperationFailed, match="cannot make user alice an owner of organization acme: .*boom.*"
                                              "it is member again"):
        run(influxdb2_org_member, member_params(role="owner"), fake)
    assert [(w.method, w.path) for w in fake.writes()] == [
        ("DELETE", "%s/%s" % (MEMBERS, USER_ID)), ("POST", OWNERS), ("POST", MEMBERS)]


def test_member_add_answer_lost_but_made_is_done():
    fake = member_fake()
    fake.on("POST", MEMBERS, ServerUnreachable("connection reset"))
    fake.on("GET", MEMBERS, reply(200, {"users": []}), reply(200, {"users": [dict(user(), role="member")]}))
    result = run(influxdb2_org_member, member_params(), fake)
    assert result["changed"]


@pytest.mark.parametrize("role", ["member", "owner"])
def test_member_absent_removes_whatever_role(role):
    fake = member_fake(role)
    result = run(influxdb2_org_member, member_params(state="absent", role="member"), fake)
    path = MEMBERS if role == "member" else OWNERS
    assert [(w.method, w.path) for w in fake.writes()] == [("DELETE", "%s/%s" % (path, USER_ID))]
    assert result["diff"] == {"before": {"user": "alice", "role": role}, "after": {}}
    assert result["membership"] == {}


def test_member_absent_when_not_a_member_is_unchanged():
    fake = member_fake()
    result = run(influxdb2_org_member, member_params(state="absent"), fake)
    assert not result["changed"] and fake.writes() == []


def test_member_unknown_user_names_the_option():
    fake = member_fake().on("GET", "/api/v2/users", error(404, "user not found", "not found"))
    with pytest.raises(Exception, match="user: user 'alice' not found"):
        run(influxdb2_org_member, member_params(), fake)
    assert fake.writes() == []


def test_member_list_of_the_wrong_shape_is_an_error():
    fake = member_fake().on("GET", OWNERS, reply(200, {"users": "admin"}))
    with pytest.raises(UnexpectedResponse, match="expected 'users' to be a list of objects"):
        run(influxdb2_org_member, member_params(), fake)
    assert fake.writes() == []


# -- main(): the argument spec, no_log and the runner --------------------------------------------

def run_main(module_py, args, fake, monkeypatch, capsys):
    monkeypatch.setattr(http_module, "urls_transport", fake)
    with patch_module_args(dict(args, **INJECT_INVOCATION)), pytest.raises(SystemExit) as caught:
        module_py.main()
    return caught.value.code, json.loads(capsys.readouterr().out)


def test_main_user_hides_the_password_everywhere(monkeypatch, capsys):
    args = {"url": "http://influx.test:8086", "token": "operator-t0ken", "name": "alice", "password": PASSWORD,
            "_ansible_diff": True}
    code, out = run_main(influxdb2_user, args, user_fake(), monkeypatch, capsys)
    assert code == 0 and out["changed"] and out["diff"]["after"]["password"] == MASK
    assert PASSWORD not in json.dumps(out)


def test_main_user_short_password_fails_naming_the_field(monkeypatch, capsys):
    fake = user_fake()
    code, out = run_main(influxdb2_user, {"url": "http://influx.test:8086", "token": "operator-t0ken", "name": "alice",
                                          "password": "short12"}, fake, monkeypatch, capsys)
    assert code == 1 and out["msg"] == "password: InfluxDB requires 8 to 72 characters, got 7"
    assert fake.sent == [] and "short12" not in json.dumps(out)


def test_main_member_fails_with_what_it_was_doing(monkeypatch, capsys):
    fake = FakeInflux().on("GET", "/api/v2/orgs", reply(200, {"orgs": [org()]}))
    fake.on("GET", MEMBERS, reply(200, {"users": []})).on("GET", OWNERS, reply(200, {"users": []}))
    fake.on("GET", "/api/v2/users", error(500, "boom"))
    code, out = run_main(influxdb2_org_member, {"url": "http://influx.test:8086", "token": "operator-t0ken", "org": "acme",
                                                "user": "alice"}, fake, monkeypatch, capsys)
    assert code == 1 and out["msg"].startswith("cannot manage the membership of user 'alice' in organization 'acme': "
                                               "GET http://influx.test:8086/api/v2/users?name=alice: HTTP 500")


def test_main_member_refuses_an_empty_user(monkeypatch, capsys):
    fake = FakeInflux()
    code, out = run_main(influxdb2_org_member, {"url": "http://influx.test:8086", "token": "operator-t0ken", "org": "acme",
                                                "user": ""}, fake, monkeypatch, capsys)
    assert code == 1 and out["msg"].startswith("user: cannot be empty") and fake.sent == []


# -- the influxdb_users filter --------------------------------------------------------------------

def test_filter_defaults_and_memberships_without_passwords():
    plan = influxdb_users([
        {"name": "alice", "password": PASSWORD},
        {"name": "bob", "orgs": ["ops", {"name": "primary", "role": "owner"}, {"name": "old", "state": "absent"}],
         "status": "inactive"},
        {"name": "carol", "orgs": []},
        {"name": "dave", "state": "absent"},
    ], "primary")
    assert plan["users"] == [
        {"name": "alice", "index": 0, "has_password": True, "update_password": "on_create", "status": "active",
         "state": "present"},
        {"name": "bob", "index": 1, "has_password": False, "update_password": "on_create", "status": "inactive",
         "state": "present"},
        {"name": "carol", "index": 2, "has_password": False, "update_password": "on_create", "status": "active",
         "state": "present"},
        {"name": "dave", "index": 3, "has_password": False, "update_password": "on_create", "status": "active",
         "state": "absent"},
    ]
    assert plan["members"] == [
        {"user": "alice", "org": "primary", "role": "member", "state": "present", "pending": False},
        {"user": "bob", "org": "ops", "role": "member", "state": "present", "pending": False},
        {"user": "bob", "org": "primary", "role": "owner", "state": "present", "pending": False},
        {"user": "bob", "org": "old", "role": "member", "state": "absent", "pending": False},
    ]
    assert PASSWORD not in json.dumps(plan)


@pytest.mark.parametrize("users, message", [
    ({"name": "alice"}, r"^influxdb_users: expected a list of users, got dict$"),
    ([{"password": PASSWORD}], r"^influxdb_users\[0\]\.name: a non-empty name is required$"),
    ([{"name": " "}], r"^influxdb_users\[0\]\.name: a non-empty name is required$"),
    ([{"name": "a"}, {"name": "a"}], r"^influxdb_users\[1\]\.name: user 'a' is listed twice$"),
    ([{"name": "a", "pasword": "x"}], r"^influxdb_users\[0\]: unknown key pasword; the keys are name, password"),
    ([{"name": "a", "password": "short"}],
     r"^influxdb_users\[0\] \(a\)\.password: InfluxDB requires 8 to 72 characters, got 5$"),
    ([{"name": "a", "password": ""}], r"^influxdb_users\[0\] \(a\)\.password: must be a non-empty string"),
    ([{"name": "a", "update_password": "always"}], r"^influxdb_users\[0\] \(a\)\.update_password: always needs a password$"),
    ([{"name": "a", "status": "disabled"}], r"^influxdb_users\[0\] \(a\)\.status: 'disabled' must be one of active, inactive$"),
    ([{"name": "a", "orgs": "ops"}], r"^influxdb_users\[0\] \(a\)\.orgs: expected a list"),
    ([{"name": "a", "orgs": [{"name": "ops", "role": "admin"}]}],
     r"^influxdb_users\[0\] \(a\)\.orgs\[0\]\.role: 'admin' must be one of member, owner$"),
    ([{"name": "a", "orgs": ["ops", "ops"]}], r"^influxdb_users\[0\] \(a\)\.orgs\[1\]\.name: organization 'ops' is listed twice"),
    ([{"name": "a", "orgs": [{"org": "ops"}]}], r"^influxdb_users\[0\] \(a\)\.orgs\[0\]: unknown key org"),
])
def test_filter_bad_input_names_the_item_and_field(users, message):
    with pytest.raises(AnsibleFilterError, match=message):
        influxdb_users(users, "primary")


def test_filter_without_a_default_org_needs_orgs():
    with pytest.raises(AnsibleFilterError, match=r"influxdb_users\[0\] \(a\)\.orgs: not given"):
        influxdb_users([{"name": "a"}], "")
    assert influxdb_users([{"name": "a", "orgs": []}], "")["members"] == []


def test_filter_memberships_of_users_check_mode_would_create_are_pending():
    results = [{"item": {"name": "alice"}, "user": {"id": None, "name": "alice", "status": "active"}, "changed": True},
               {"item": {"name": "bob"}, "user": {"id": USER_ID, "name": "bob", "status": "active"}},
               {"item": {"name": "dave"}, "user": {}, "changed": True},
               {"item": {"name": "erin"}, "skipped": True}]
    plan = influxdb_users([{"name": "alice"}, {"name": "bob"}, {"name": "dave", "state": "absent"}, {"name": "erin"}],
                          "primary", results=results)
    assert [(m["user"], m["pending"]) for m in plan["members"]] == [("alice", True), ("bob", False), ("erin", False)]
