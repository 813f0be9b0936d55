"""influxdb2_token against the real influxd; the tokens it made are tried against the server here."""

from __future__ import annotations

import json

import pytest

from influxdb2_helpers import bucket_named, influx_vars, playbook

pytestmark = pytest.mark.integration


def can_write(server, bucket, token):
    status, body = server.write_lp(bucket, "scope,case=w value=1i 1700000000", token=token)
    assert status in (204, 401, 403, 404), (status, body)
    return status == 204


def can_read(server, bucket, token):
    status, body = server.flux(f'from(bucket: "{bucket}") |> range(start: 0) |> limit(n: 1)', token=token)
    assert status in (200, 401, 403, 404), (status, body)
    return status == 200


def cleanup(server, prefix):
    status, body = server.api("GET", f"/api/v2/authorizations?orgID={server.org_id}")
    for auth in body["authorizations"]:
        if auth["description"].startswith(prefix):
            server.api("DELETE", f"/api/v2/authorizations/{auth['id']}")
    for name in (f"{prefix}a", f"{prefix}b"):
        bucket = bucket_named(server, name)
        if bucket:
            server.api("DELETE", f"/api/v2/buckets/{bucket['id']}")


def test_token_lifecycle_and_scoping(influxdb_any, prefix, run_playbook, tmp_path):
    server = influxdb_any
    a, b = f"{prefix}a", f"{prefix}b"
    try:
        run_playbook(playbook("token"),
                     influx_vars(server, prefix, out_dir=str(tmp_path), hashed_tokens=server.hashed_tokens))
        tokens = {p.name: p.read_text() for p in tmp_path.iterdir()}

        writer = tokens["writer"]
        assert can_write(server, a, writer)
        assert not can_read(server, a, writer)
        assert not can_write(server, b, writer)

        mixed = tokens["mixed"]
        assert can_read(server, a, mixed)
        assert not can_write(server, a, mixed)
        assert can_write(server, b, mixed)
        assert not can_read(server, b, mixed)

        # Replaced and rotated tokens stop working; the latest one has the latest permissions.
        assert not can_read(server, a, tokens["changing_old"])
        assert not can_read(server, b, tokens["changing_new"])
        assert can_read(server, b, tokens["rotated"])
        assert not can_read(server, a, tokens["rotated"])

        # What the server stores for the token: one per description, and hashed values hidden on 2.9.
        status, body = server.api("GET", f"/api/v2/authorizations?orgID={server.org_id}")
        ours = [x for x in body["authorizations"] if x["description"].startswith(prefix)]
        assert sorted(x["description"] for x in ours) == [f"{prefix}changing", f"{prefix}mixed", f"{prefix}writer"]
        listed = {x["description"]: x.get("token") for x in ours}
        if server.hashed_tokens:
            assert set(listed.values()) == {""}
        else:
            assert listed[f"{prefix}writer"] == writer
    finally:
        cleanup(server, prefix)


def test_token_probe_tells_a_valid_copy_from_a_revoked_one(influxdb_any, prefix, run_playbook, tmp_path):
    """influxdb2_token_probe against the real influxd: a token the server holds is accepted, one it revoked
    is refused (401), a missing copy is reported as such, and no value appears in the output."""
    server = influxdb_any
    copies, out = tmp_path / "copies", tmp_path / "out"
    copies.mkdir()
    out.mkdir()
    made = []
    try:
        for name in ("valid", "revoked"):
            status, body = server.api("POST", "/api/v2/authorizations", {
                "orgID": server.org_id, "description": f"{prefix}{name}",
                "permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": server.org_id}}]})
            assert status == 201, (status, body)
            made.append(body["id"])
            (copies / f"{name}.token").write_text(body["token"] + "\n")
        assert server.api("DELETE", f"/api/v2/authorizations/{made[1]}")[0] == 204
        extra = influx_vars(server, prefix, copy_dir=str(copies), out_dir=str(out))
        result = run_playbook(playbook("token_probe"), extra, verbosity=3)
        found = json.loads((out / "probe.json").read_text())
        assert found["valid"]["accepted"] is True and found["valid"]["exists"] is True
        assert found["revoked"]["accepted"] is False and found["revoked"]["exists"] is True
        assert {k: v for k, v in found["missing"].items() if k != "directory"} == {
            "exists": False, "accepted": False, "value": None, "mode": None, "uid": None, "gid": None}
        for name in ("valid", "revoked"):
            assert (copies / f"{name}.token").read_text().strip() not in result.stdout + result.stderr
    finally:
        for auth_id in made[:1]:
            server.api("DELETE", f"/api/v2/authorizations/{auth_id}")
