"""influxdb2_user, influxdb2_org_member and the influxdb role's users entry point against the real influxd."""

from __future__ import annotations

import re

import pytest

from harness import http
from influxdb2_helpers import influx_vars, playbook

pytestmark = pytest.mark.integration

FIRST_PASSWORD = "first-Passw0rd!"
SECOND_PASSWORD = "second-Passw0rd!"


def signin(server, name, password):
    return http("POST", f"{server.url}/api/v2/signin", basic=(name, password))[0]


def users_named(server, prefix):
    status, body = server.api("GET", "/api/v2/users")
    assert status == 200, (status, body)
    return {u["name"]: u for u in body["users"] if u["name"].startswith(prefix)}


def role_in(server, org_id, user_id):
    for role in ("owner", "member"):
        status, body = server.api("GET", f"/api/v2/orgs/{org_id}/{role}s")
        assert status == 200, (status, body)
        if any(u["id"] == user_id for u in body["users"]):
            return role
    return None


def org_named(server, name):
    status, body = server.api("GET", f"/api/v2/orgs?org={name}")
    return body["orgs"][0] if status == 200 and body["orgs"] else None


def cleanup(server, prefix):
    for found in users_named(server, prefix).values():
        server.api("DELETE", f"/api/v2/users/{found['id']}")
    org = org_named(server, f"{prefix}ops")
    if org:
        server.api("DELETE", f"/api/v2/orgs/{org['id']}")


def test_user_and_membership_lifecycle(influxdb_any, prefix, run_playbook):
    server = influxdb_any
    try:
        run_playbook(playbook("user"), influx_vars(server, prefix, first_password=FIRST_PASSWORD,
                                                   second_password=SECOND_PASSWORD))
        assert users_named(server, prefix) == {}
    finally:
        cleanup(server, prefix)


def recap_changed(output):
    return int(re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", output).group(1))


def test_role_users_entry_point_twice(influxdb_any, prefix, run_playbook):
    server = influxdb_any
    alice_password, bob_password = "alice-Passw0rd-1", "bob-Passw0rd-22"
    extra = influx_vars(server, prefix, alice_password=alice_password, bob_password=bob_password)
    try:
        # A user the list removes, and one whose password the role must put right (always).
        status, gone = server.api("POST", "/api/v2/users", {"name": f"{prefix}gone"})
        assert status == 201, gone
        # Check mode predicts without writing (and skips the memberships of users it would create).
        predicted = run_playbook(playbook("role_users"), extra, check=True, diff=True)
        assert recap_changed(predicted.stdout) > 0
        assert sorted(users_named(server, prefix)) == [f"{prefix}gone"]
        first = run_playbook(playbook("role_users"), extra, diff=True)
        assert recap_changed(first.stdout) > 0
        second = run_playbook(playbook("role_users"), extra, diff=True, verbosity=3)
        assert recap_changed(second.stdout) == 0, second.stdout
        assert "has_password" in second.stdout  # -vvv shows every loop item and result
        for run in (first, second):
            output = run.stdout + run.stderr
            assert alice_password not in output and bob_password not in output

        users = users_named(server, prefix)
        assert sorted(users) == [f"{prefix}alice", f"{prefix}bob", f"{prefix}carol"]
        assert users[f"{prefix}carol"]["status"] == "inactive"
        assert signin(server, f"{prefix}alice", alice_password) == 204
        assert signin(server, f"{prefix}bob", bob_password) == 204
        ops = org_named(server, f"{prefix}ops")
        assert role_in(server, server.org_id, users[f"{prefix}alice"]["id"]) == "member"
        assert role_in(server, ops["id"], users[f"{prefix}alice"]["id"]) == "owner"
        assert role_in(server, server.org_id, users[f"{prefix}bob"]["id"]) == "member"
        assert role_in(server, ops["id"], users[f"{prefix}bob"]["id"]) is None
        assert role_in(server, server.org_id, users[f"{prefix}carol"]["id"]) is None

        # Someone changed alice's password: update_password=always puts it back, and only that changes.
        status, _body = server.api("POST", f"/api/v2/users/{users[f'{prefix}alice']['id']}/password",
                                   {"password": "changed-by-hand-1"})
        assert status == 204
        healed = run_playbook(playbook("role_users"), extra)
        assert recap_changed(healed.stdout) == 1, healed.stdout
        assert signin(server, f"{prefix}alice", alice_password) == 204
        assert signin(server, f"{prefix}alice", "changed-by-hand-1") == 401
    finally:
        cleanup(server, prefix)


def test_role_users_bad_list_fails_before_any_user_is_written(influxdb, prefix, run_playbook):
    """A password too short for InfluxDB passes the argument spec; the influxdb_users filter refuses it."""
    proc = run_playbook(playbook("role_users"), influx_vars(influxdb, prefix, alice_password="short12",
                                                            bob_password="bob-Passw0rd-22"), expect_failure=True)
    output = proc.stdout + proc.stderr
    assert f"influxdb_users[0] ({prefix}alice).password: InfluxDB requires 8 to 72 characters, got 7" in output
    assert "short12" not in output
    try:
        assert users_named(influxdb, prefix) == {}
    finally:
        cleanup(influxdb, prefix)
