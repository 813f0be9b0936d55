"""The roles' backup script (roles/common/files/tickstack_backup.py) against the real servers, as the
systemd unit runs it, and the restore the restore playbook does (``influx restore --full`` into a fresh
server onboarded with the same operator token; Kapacitor's kapacitor.db put in place): data, tokens
and Kapacitor's definitions come back. The Molecule scenario ``migrate`` runs the same through the roles
and tickstack.influx.restore on containers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import INFLUXDB_VERSIONS
from harness import (OPERATOR_TOKEN, REPO, VERSIONS, binary, http, start, start_influxdb, start_kapacitor,
                     wait_for)

SCRIPT = REPO / "roles/common/files/tickstack_backup.py"
INFLUX = binary("influx-cli", VERSIONS["INFLUX_CLI_VERSION"], "influx")
ADMIN = ("backup-admin", "backup-admin-password-16")


def run_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300, check=False)


def write_config(path: Path, **config) -> Path:
    path.write_text(json.dumps(config))
    path.chmod(0o600)
    return path


def field_values(server, bucket: str) -> int:
    status, body = server.flux(f'from(bucket: "{bucket}") |> range(start: 0) |> count() |> group() |> sum()'
                               ' |> keep(columns: ["_value"])')
    assert status == 200, body
    values = [line.split(",")[-1] for line in body.splitlines() if line.startswith(",_result,")]
    return sum(int(v) for v in values)


@pytest.mark.skipif(INFLUX is None, reason="the influx CLI was not built: run `make artifacts`")
@pytest.mark.parametrize("version", INFLUXDB_VERSIONS)
def test_influxdb_backup_pruned_and_restored_with_its_tokens(version, tmp_path):
    source = start_influxdb(version, tmp_path / "source")
    target = None
    try:
        lines = "\n".join(f"cpu,host=h{i % 3} usage={i}.5,n={i}i {1764550000 + i}" for i in range(500))
        assert source.write_lp(source.bucket, lines)[0] == 204
        status, reader = source.api("POST", "/api/v2/authorizations", body={
            "orgID": source.org_id, "description": "reader",
            "permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": source.org_id}}]})
        assert status == 201, reader
        dest = tmp_path / "backups"
        config = write_config(tmp_path / "influxdb.json", service="influxdb", dest=str(dest), keep=2,
                              url=source.url, token=OPERATOR_TOKEN, influx=str(INFLUX))
        for _run in range(3):
            result = run_script("run", "--config", str(config))
            assert result.returncode == 0, result.stderr
        backups = sorted(dest.iterdir())
        assert [p.name[:9] for p in backups] == ["influxdb-", "influxdb-"]
        newest = backups[-1]
        assert oct(dest.stat().st_mode & 0o777) == "0o700"
        assert {oct(p.stat().st_mode & 0o777) for p in newest.rglob("*") if p.is_file()} == {"0o600"}
        assert OPERATOR_TOKEN not in (newest / "tickstack-backup.json").read_text()
        verified = run_script("verify", str(newest), "--service", "influxdb")
        assert verified.returncode == 0, verified.stderr
        assert any(name.endswith(".manifest") for name in json.loads(verified.stdout)["files"])

        # A fresh server, onboarded with the same operator token (the restore playbook's way).
        target = start_influxdb(version, tmp_path / "target")
        assert field_values(target, source.bucket) == 0
        restored = subprocess.run(
            [str(INFLUX), "restore", "--full", "--host", target.url, "--configs-path", str(tmp_path / "cfg"),
             str(newest / "data")],
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "INFLUX_TOKEN": OPERATOR_TOKEN},
            capture_output=True, text=True, timeout=300, check=False)
        assert restored.returncode == 0, restored.stderr
        assert field_values(target, source.bucket) == field_values(source, source.bucket) == 1000
        # A token made before the backup works on the restored server (2.9 shows its value once, at creation).
        assert reader["token"]
        assert http("GET", f"{target.url}/api/v2/buckets", token=reader["token"])[0] == 200
        assert http("GET", f"{target.url}/api/v2/buckets", token=OPERATOR_TOKEN)[0] == 200
        assert http("GET", f"{target.url}/api/v2/buckets", token="never-issued-token-0123456789")[0] == 401
    finally:
        source.process.stop()
        if target is not None:
            target.process.stop()


@pytest.mark.skipif(INFLUX is None, reason="the influx CLI was not built: run `make artifacts`")
def test_influxdb_backup_with_a_refused_token_fails_clearly_and_leaves_nothing(influxdb, tmp_path):
    dest = tmp_path / "backups"
    config = write_config(tmp_path / "influxdb.json", service="influxdb", dest=str(dest), keep=2,
                          url=influxdb.url, token="wrong-token-0123456789", influx=str(INFLUX))
    result = run_script("run", "--config", str(config))
    assert result.returncode == 1
    assert result.stderr.startswith("tickstack-backup: influx backup failed (exit 1): ")
    assert "401" in result.stderr or "nauthorized" in result.stderr
    assert "wrong-token" not in result.stderr
    assert list(dest.iterdir()) == []


def test_kapacitor_backup_as_the_admin_and_restored_into_a_fresh_kapacitord(tmp_path):
    version = VERSIONS["KAPACITOR_VERSION"]
    source = start_kapacitor(version, tmp_path / "source", None, admin=ADMIN)
    target = None
    try:
        task = {"id": "backup_probe", "type": "stream", "dbrps": [{"db": "telegraf", "rp": "autogen"}],
                "script": "stream\n    |from()\n        .measurement('cpu')\n", "status": "disabled"}
        status, body = http("POST", f"{source.url}/kapacitor/v1/tasks", body=task, basic=ADMIN)
        assert status == 200, body
        dest = tmp_path / "backups"
        refused = run_script("run", "--config", str(write_config(
            tmp_path / "bad.json", service="kapacitor", dest=str(dest), keep=2, url=source.url,
            username=ADMIN[0], password="not-the-password-000")))
        assert refused.returncode == 1 and "HTTP 401" in refused.stderr and "Kapacitor's [auth]" in refused.stderr
        assert "not-the-password" not in refused.stderr and list(dest.iterdir()) == []
        config = write_config(tmp_path / "kapacitor.json", service="kapacitor", dest=str(dest), keep=2,
                              url=source.url, username=ADMIN[0], password=ADMIN[1])
        result = run_script("run", "--config", str(config))
        assert result.returncode == 0, result.stderr
        (newest,) = dest.iterdir()
        manifest = json.loads(run_script("verify", str(newest), "--service", "kapacitor").stdout)
        assert manifest["source"]["version"].startswith("1.8")

        # The restore playbook's way: Kapacitor installed (its own admin), stopped, kapacitor.db replaced, started.
        target = start_kapacitor(version, tmp_path / "target", None, admin=("fresh-admin", "fresh-admin-password-16"))
        assert http("GET", f"{target.url}/kapacitor/v1/tasks/backup_probe", basic=ADMIN)[0] == 401
        target.process.stop()
        shutil.copyfile(newest / "kapacitor.db", target.workdir / "kapacitor.db")
        kapacitord = binary("kapacitor", version, "kapacitord")
        target.process = start("kapacitord", [str(kapacitord), "-config", str(target.config)], target.workdir)
        wait_for(lambda: http("GET", f"{target.url}/kapacitor/v1/ping", basic=ADMIN, timeout=2)[0] == 204,
                 "the restored kapacitord", proc=target.process.proc, log=target.process.log)
        status, restored = http("GET", f"{target.url}/kapacitor/v1/tasks/backup_probe", basic=ADMIN)
        assert status == 200, restored
        assert {k: restored[k] for k in ("id", "type", "dbrps", "script", "status")} == task
    finally:
        source.process.stop()
        if target is not None:
            target.process.stop()


def test_the_script_is_stdlib_only():
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1"}
    result = subprocess.run(["/usr/bin/python3", "-S", "-I", str(SCRIPT), "--help"], capture_output=True, text=True,
                            env=env, check=False)
    assert result.returncode == 0, result.stderr
