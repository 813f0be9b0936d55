"""Unit tests of kapacitor_user against an in-memory Kapacitor users API.

``FakeUsers`` answers as kapacitord 1.8.3 does (services/auth/service.go, services/httpd/handler.go,
and what the real binary answered): every route needs credentials once ``enforced``; a ping by a user
without permissions is 403, a wrong password 401; GET of a missing user is 404 "no user exists", a
missing route 404 "Not Found"; a second POST of a name is 200 with an empty user; api + config_api +
write_points come back as all; ``cached`` is Kapacitor's login cache, which a PATCH does not clear and a
DELETE does.
"""

from __future__ import annotations

import fnmatch
import json
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

import collection_path  # noqa: E402,F401 pylint: disable=unused-import  # the collection on sys.path

from module_args import patch_module_args  # noqa: E402

from ansible_collections.tickstack.influx.plugins.module_utils import http_client as http_module  # noqa: E402
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import Response  # noqa: E402
from ansible_collections.tickstack.influx.plugins.modules import kapacitor_user  # noqa: E402
from ansible_collections.tickstack.influx.plugins.modules.kapacitor_user import canonical_permissions  # noqa: E402

URL = "http://kap.test:9092"
API = "/kapacitor/v1"
ADMIN = ("ansible", "admin-password")


def answer(status, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else b""
    return Response(status, dict({"X-Kapacitor-Version": "1.8.3"}, **(headers or {})), data)


def refuse(status, message):
    return answer(status, {"error": message, "message": message})


class FakeUsers(object):
    def __init__(self, enforced=True, auth_service=True):
        self.users = {ADMIN[0]: {"password": ADMIN[1], "type": "admin", "permissions": []}}
        self.enforced = enforced
        self.auth_service = auth_service
        self.cached = {}
        self.calls = []

    def add(self, name, password, type_="normal", permissions=()):
        self.users[name] = {"password": password, "type": type_, "permissions": canonical_permissions(permissions)}

    def writes(self):
        return [c for c in self.calls if c[0] in ("POST", "PATCH", "DELETE")]

    def _login(self, username, password):
        user = self.users.get(username)
        if user is None:
            return None
        if user["password"] == password or self.cached.get(username) == password:
            self.cached[username] = password
            return user
        return None

    def _view(self, name):
        user = self.users[name]
        return {"link": {"rel": "self", "href": "%s/users/%s" % (API, name)}, "name": name,
                "type": user["type"], "permissions": list(user["permissions"])}

    def __call__(self, method, url, headers, data, options):
        path = unquote(urlsplit(url).path)[len(API):]
        body = json.loads(data) if data else None
        who = options.get("url_username")
        self.calls.append((method, path, body, who))
        if self.enforced:
            if not who:
                return refuse(401, "unable to parse authentication credentials")
            user = self._login(who, options.get("url_password"))
            if user is None:
                return refuse(401, "authorization failed")
            may_ping = bool(set(user["permissions"]) & {"all", "api", "config_api", "write_points"})
            if user["type"] != "admin" and not (path == "/ping" and may_ping):
                return refuse(403, 'user %s does not have "read" privilege for API endpoint "%s"' % (who, path))
        if path == "/ping":
            return answer(204)
        if not path.startswith("/users") or not self.auth_service:
            return refuse(404, "Not Found")
        name = path[len("/users/"):] if path.startswith("/users/") else None
        if method == "GET" and name is None:
            pattern = parse_qs(urlsplit(url).query).get("pattern", ["*"])[0]
            return answer(200, {"users": [{"name": n} for n in sorted(self.users) if fnmatch.fnmatchcase(n, pattern)]})
        if method == "GET":
            return answer(200, self._view(name)) if name in self.users else refuse(404, "no user exists")
        if method == "POST":
            if body["name"] in self.users:
                return answer(200, {"link": {"rel": "self", "href": API + "/users"}, "name": "", "type": "normal",
                                    "permissions": []})
            perms = [] if body.get("type") == "admin" else canonical_permissions(body.get("permissions"))
            self.users[body["name"]] = {"password": body["password"], "type": body.get("type") or "normal",
                                        "permissions": perms}
            return answer(200, self._view(body["name"]))
        if method == "PATCH":
            user = self.users[name]
            if body.get("password"):
                user["password"] = body["password"]
            if "permissions" in body:
                user["permissions"] = canonical_permissions(body["permissions"])
            if body.get("type"):
                user["type"] = body["type"]
                if body["type"] == "admin":
                    user["permissions"] = []
            return answer(200, self._view(name))
        if method == "DELETE":
            self.users.pop(name, None)
            self.cached.pop(name, None)
            return answer(204)
        raise AssertionError(method)


@pytest.fixture
def kapacitor(monkeypatch):
    fake = FakeUsers()
    monkeypatch.setattr(http_module, "urls_transport", fake)
    return fake


def run(capsys, check=False, diff=True, **args):
    args.setdefault("url", URL)
    args.setdefault("username", ADMIN[0])
    args.setdefault("password", ADMIN[1])
    args.update(_ansible_check_mode=check, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            kapacitor_user.main()
    return json.loads(capsys.readouterr().out)


def test_canonical_permissions_follow_kapacitor():
    assert canonical_permissions(["none"]) == []
    assert canonical_permissions(["write_points", "api"]) == ["api", "write_points"]
    assert canonical_permissions(["api", "config_api", "write_points"]) == ["all"]
    assert canonical_permissions(["all", "none"]) == ["all"]


def test_create_sends_the_user_and_masks_the_password(kapacitor, capsys):
    result = run(capsys, name="tg-web1", user_password="s3cret-pass", permissions=["write_points"])
    assert result["changed"] is True and result["password_set"] is True
    assert result["user"] == {"name": "tg-web1", "type": "normal", "permissions": ["write_points"]}
    sent = {"name": "tg-web1", "password": "s3cret-pass", "type": "normal", "permissions": ["write_points"]}
    assert kapacitor.writes() == [("POST", "/users", sent, "ansible")]
    assert result["diff"] == {"before": {}, "after": {"name": "tg-web1", "type": "normal",
                                                      "permissions": ["write_points"], "password": "********"}}
    assert "s3cret-pass" not in json.dumps(result)


def test_create_admin_sends_no_permissions_and_new_normal_user_gets_none(kapacitor, capsys):
    run(capsys, name="ops", user_password="pw-ops-123", type="admin")
    run(capsys, name="nobody", user_password="pw-nobody-1")
    posts = [c[2] for c in kapacitor.writes()]
    assert posts == [{"name": "ops", "password": "pw-ops-123", "type": "admin"},
                     {"name": "nobody", "password": "pw-nobody-1", "type": "normal", "permissions": ["none"]}]


def test_check_mode_predicts_and_writes_nothing(kapacitor, capsys):
    result = run(capsys, check=True, name="tg", user_password="pw-tg-1234", permissions=["write_points"])
    assert result["changed"] is True and result["user"]["permissions"] == ["write_points"]
    assert kapacitor.writes() == [] and "tg" not in kapacitor.users


def test_second_run_with_update_password_always_logs_in_as_the_user_and_changes_nothing(kapacitor, capsys):
    kapacitor.add("tg", "pw-tg-1234", permissions=["write_points"])
    result = run(capsys, name="tg", user_password="pw-tg-1234", update_password="always", permissions=["write_points"])
    assert result["changed"] is False and result["password_set"] is False
    assert kapacitor.writes() == []
    # The proof in two calls: the user's GET of itself is refused with 403 (a login: Kapacitor refuses
    # a privilege only to credentials it accepted), then the admin reads the user. No ping.
    assert [(c[0], c[1], c[3]) for c in kapacitor.calls] == [("GET", "/users/tg", "tg"), ("GET", "/users/tg", "ansible")]


def test_second_run_of_an_admin_user_reads_itself_and_proves_enforcement(kapacitor, capsys):
    # An admin may read itself (200): that shows the user; an anonymous ping refused (401) proves that
    # Kapacitor enforces authentication, so the login meant something. The admin's credentials are
    # not needed when nothing changes.
    kapacitor.add("relay", "pw-relay-123", type_="admin")
    result = run(capsys, name="relay", user_password="pw-relay-123", update_password="always", type="admin")
    assert result["changed"] is False and result["password_set"] is False and result["user"]["type"] == "admin"
    assert [(c[0], c[1], c[3]) for c in kapacitor.calls] == [("GET", "/users/relay", "relay"), ("GET", "/ping", None)]


def test_a_refused_login_reads_the_user_as_admin_and_sets_the_password(kapacitor, capsys):
    kapacitor.add("tg", "old-password-1", permissions=["write_points"])
    result = run(capsys, name="tg", user_password="new-password-2", update_password="always",
                 permissions=["write_points"])
    assert result["changed"] is True and result["password_set"] is True
    assert [(c[0], c[1], c[3]) for c in kapacitor.calls][:2] == [("GET", "/users/tg", "tg"),
                                                                 ("GET", "/users/tg", "ansible")]
    assert [(c[0], c[1]) for c in kapacitor.writes()] == [("DELETE", "/users/tg"), ("POST", "/users")]
    assert kapacitor.users["tg"]["password"] == "new-password-2"


def test_user_without_permissions_still_proves_its_password_with_a_403(kapacitor, capsys):
    kapacitor.add("idle", "pw-idle-123")
    result = run(capsys, name="idle", user_password="pw-idle-123", update_password="always")
    assert result["changed"] is False


def test_wrong_password_is_set_by_recreating_the_user_so_the_old_one_stops_at_once(kapacitor, capsys):
    kapacitor.add("tg", "old-password", permissions=["write_points"])
    kapacitor.cached["tg"] = "old-password"  # it logged in with it: Kapacitor caches that for an hour
    result = run(capsys, name="tg", user_password="new-password", update_password="always")
    assert result["changed"] is True and result["password_set"] is True
    assert result["diff"] == {"before": {"password": "********"}, "after": {"password": "********"}}
    assert [c[:3] for c in kapacitor.writes()] == [
        ("DELETE", "/users/tg", None),
        ("POST", "/users", {"name": "tg", "password": "new-password", "type": "normal",
                            "permissions": ["write_points"]})]
    assert kapacitor._login("tg", "old-password") is None and kapacitor._login("tg", "new-password")
    assert "new-password" not in json.dumps(result) and "old-password" not in json.dumps(result)


def test_on_create_never_touches_the_password(kapacitor, capsys):
    kapacitor.add("tg", "old-password", permissions=["write_points"])
    result = run(capsys, name="tg", user_password="other-password", permissions=["write_points"])
    assert result["changed"] is False and kapacitor.writes() == []
    assert not [c for c in kapacitor.calls if c[3] == "tg"]


def test_unenforced_auth_cannot_prove_a_password_so_it_is_set(kapacitor, capsys):
    kapacitor.enforced = False
    kapacitor.add("tg", "pw-tg-1234", permissions=["write_points"])
    result = run(capsys, name="tg", user_password="pw-tg-1234", update_password="always", permissions=["write_points"])
    assert result["changed"] is True and result["password_set"] is True


def test_permissions_change_is_one_patch(kapacitor, capsys):
    kapacitor.add("tg", "pw-tg-1234", permissions=["write_points"])
    result = run(capsys, name="tg", permissions=["api", "write_points"])
    assert result["changed"] is True
    assert result["diff"] == {"before": {"permissions": ["write_points"]}, "after": {"permissions": ["api", "write_points"]}}
    assert [c[:3] for c in kapacitor.writes()] == [("PATCH", "/users/tg", {"type": "normal",
                                                                           "permissions": ["api", "write_points"]})]
    assert run(capsys, name="tg", permissions=["write_points", "api"])["changed"] is False


def test_three_parts_equal_all_and_omitted_permissions_are_kept(kapacitor, capsys):
    kapacitor.add("ops", "pw-ops-1234", permissions=["all"])
    assert run(capsys, name="ops", permissions=["api", "config_api", "write_points"])["changed"] is False
    assert run(capsys, name="ops")["changed"] is False
    assert kapacitor.writes() == []


def test_demoting_an_admin_patches_type_and_permissions(kapacitor, capsys):
    kapacitor.add("ops", "pw-ops-1234", type_="admin")
    result = run(capsys, name="ops", permissions=["api"])
    assert result["diff"]["before"] == {"type": "admin", "permissions": []}
    assert [c[2] for c in kapacitor.writes()] == [{"type": "normal", "permissions": ["api"]}]


def test_removal_and_its_repeat(kapacitor, capsys):
    kapacitor.add("tg", "pw-tg-1234", permissions=["write_points"])
    result = run(capsys, name="tg", state="absent")
    assert result["changed"] is True and result["user"] == {}
    assert result["diff"]["before"] == {"name": "tg", "type": "normal", "permissions": ["write_points"]}
    assert "tg" not in kapacitor.users
    assert run(capsys, name="tg", state="absent")["changed"] is False


@pytest.mark.parametrize("args, option", [
    ({"name": "bad name"}, "name:"),
    ({"name": "bad:name"}, "name:"),
    ({"name": "tg", "user_password": "x" * 73}, "user_password:"),
    ({"name": "tg", "user_password": ""}, "user_password:"),
    ({"name": "tg", "user_password": "pw-12345", "type": "admin", "permissions": ["api"]}, "permissions:"),
    ({"name": "tg"}, "user_password: required"),
    ({"name": " "}, "name: cannot be empty"),
])
def test_bad_input_names_the_option_before_any_write(kapacitor, capsys, args, option):
    result = run(capsys, **args)
    assert result["failed"] is True and result["msg"].startswith(option), result["msg"]
    assert kapacitor.writes() == []


def test_a_name_that_is_letters_of_any_script_is_fine(kapacitor, capsys):
    assert run(capsys, name="tickstack-prod_telegraf.wéb1@dc", user_password="pw-12345")["changed"] is True


def test_wrong_admin_password_is_a_clear_error(kapacitor, capsys):
    result = run(capsys, name="tg", user_password="pw-12345", password="wrong")
    assert result["failed"] is True and result["status"] == 401
    assert "rejected the credentials; check the username and password options" in result["msg"]
    assert "wrong" not in result["msg"] and kapacitor.writes() == []


def test_no_users_api_without_auth_service_says_which_setting(kapacitor, capsys):
    kapacitor.auth_service = False
    result = run(capsys, name="tg", user_password="pw-12345")
    assert result["failed"] is True and "set [auth] enabled = true" in result["msg"]
    assert kapacitor.writes() == []


def test_a_create_that_kapacitor_answers_with_an_empty_user_fails(kapacitor, capsys, monkeypatch):
    # Another run created the user between our GET and POST: Kapacitor stores nothing and says 200.
    real_get = kapacitor.__call__

    def racing(method, url, headers, data, options):
        if method == "GET" and url.endswith("/users/tg"):
            kapacitor.add("tg", "theirs-123")
            kapacitor.calls.append((method, "/users/tg", None, None))
            return refuse(404, "no user exists")
        return real_get(method, url, headers, data, options)

    monkeypatch.setattr(http_module, "urls_transport", racing)
    result = run(capsys, name="tg", user_password="pw-12345")
    assert result["failed"] is True and "did not create user 'tg'" in result["msg"]


def test_list_pattern_lists_the_matching_users_in_the_same_run(kapacitor, capsys):
    kapacitor.add("tickstack-s-telegraf-web1", "a-password-0123", "admin")
    kapacitor.add("tickstack-s-telegraf-web2", "a-password-4567", "admin")
    kapacitor.add("grafana", "a-password-89ab")
    result = run(capsys, name="relay", user_password="relay-password-0123", update_password="always", type="admin",
                 list_pattern="tickstack-s-telegraf-*")
    assert result["changed"] is True
    assert result["listed"] == ["tickstack-s-telegraf-web1", "tickstack-s-telegraf-web2"]
    assert ("GET", "/users", None, ADMIN[0]) in kapacitor.calls
    assert "a-password" not in json.dumps(result) and "listed" not in run(capsys, name="grafana", state="absent")
