"""Shared bits of the influxdb2_* integration tests: playbook paths and the extra vars they take."""

from __future__ import annotations

from pathlib import Path

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"


def playbook(name: str) -> Path:
    return PLAYBOOKS / f"influxdb2_{name}.yml"


def influx_vars(server, prefix: str, **extra) -> dict:
    """What every influxdb2 playbook takes: where the server is, the operator token, the org, a prefix."""
    return {"influx_url": server.url, "influx_token": server.token, "influx_org": server.org, "prefix": prefix,
            **extra}


def bucket_named(server, name: str):
    """The bucket called ``name`` in the server's org, or None (asked of the server, not the modules)."""
    status, body = server.api("GET", f"/api/v2/buckets?orgID={server.org_id}&name={name}")
    if status == 404:
        return None
    assert status == 200, (status, body)
    return next((b for b in body["buckets"] if b["name"] == name), None)
