"""roles/common/files/tickstack_backup.py: names, retention, the manifest, verification, and the calls it
makes (the `influx backup` command line and environment, Kapacitor's backup request), with fakes in place
of the CLI and the HTTP opener. tests/integration/test_backup_restore.py runs it against the real servers."""

from __future__ import annotations

import datetime
import email.message
import hashlib
import importlib.util
import io
import json
import stat
import subprocess
import urllib.error
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "roles/common/files/tickstack_backup.py"
spec = importlib.util.spec_from_file_location("tickstack_backup", SCRIPT)
backup = importlib.util.module_from_spec(spec)
spec.loader.exec_module(backup)

NOW = datetime.datetime(2026, 12, 1, 3, 15, 7, tzinfo=datetime.timezone.utc)
TOKEN = "op-token-that-must-not-leak-0123456789"
# A BoltDB file's first 20 bytes: a page header (16 bytes) and the meta page's magic.
BOLT = b"\0" * 16 + (0xED0CDAED).to_bytes(4, "little") + b"\0" * 4076


def mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def fake_influx_backup(files: dict[str, bytes] | None = None):
    """A `take` that writes what `influx backup` writes: <time>.manifest naming the KV, SQL and shard files."""
    def take(config, target):
        data = target / "data"
        data.mkdir()
        wanted = files if files is not None else {"t.bolt.gz": b"kv", "t.sqlite.gz": b"sql", "t.1.tar.gz": b"shard"}
        for name, content in wanted.items():
            (data / name).write_bytes(content)
        (data / "t.manifest").write_text(json.dumps({
            "kv": {"fileName": "t.bolt.gz"}, "sql": {"fileName": "t.sqlite.gz"},
            "buckets": [{"retentionPolicies": [{"shardGroups": [{"shards": [{"fileName": "t.1.tar.gz"}]}]}]}]}))
        return {"operator_token_sha256": backup.token_fingerprint(config["token"])}
    return take


def config(tmp_path: Path, **extra) -> dict:
    return {"service": "influxdb", "dest": str(tmp_path / "backups"), "keep": 2, "url": "http://127.0.0.1:8086",
            "token": TOKEN, **extra}


# --- names and retention --------------------------------------------------------------------------

def test_names_are_utc_and_sort_as_times():
    local = NOW.astimezone(datetime.timezone(datetime.timedelta(hours=5)))
    assert backup.backup_name("influxdb", local) == "influxdb-20261201T031507Z"
    later = backup.backup_name("influxdb", NOW + datetime.timedelta(days=40))
    assert sorted([later, backup.backup_name("influxdb", NOW)])[-1] == later


@pytest.mark.parametrize("keep, expected", [(1, ["a", "b"]), (2, ["a"]), (3, []), (5, [])])
def test_to_prune_keeps_the_newest(keep, expected):
    assert backup.to_prune(["b", "c", "a"], keep) == expected


def test_keep_below_one_is_refused():
    with pytest.raises(backup.BackupError, match="keep must be at least 1"):
        backup.to_prune(["a"], 0)


def test_prune_removes_the_oldest_and_partials_of_its_service_only(tmp_path):
    for name in ["influxdb-20261129T031500Z", "influxdb-20261130T031500Z", "influxdb-20261201T031500Z",
                 ".influxdb-20261201T041500Z.partial", "kapacitor-20261101T031500Z", "notes"]:
        (tmp_path / name).mkdir()
    removed = backup.prune(tmp_path, "influxdb", 2)
    assert removed == ["influxdb-20261129T031500Z", ".influxdb-20261201T041500Z.partial"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "influxdb-20261130T031500Z", "influxdb-20261201T031500Z", "kapacitor-20261101T031500Z", "notes"]


def test_a_second_run_in_the_same_second_takes_the_next_name(tmp_path):
    (tmp_path / "influxdb-20261201T031507Z").mkdir()
    assert backup.unique_name(tmp_path, "influxdb", NOW) == "influxdb-20261201T031508Z"


# --- a run ---------------------------------------------------------------------------------------

def test_run_writes_a_complete_root_only_backup_with_a_manifest(tmp_path):
    final = backup.run_backup(config(tmp_path), now=NOW, take=fake_influx_backup())
    assert final == tmp_path / "backups" / "influxdb-20261201T031507Z"
    assert mode(tmp_path / "backups") == "0o700"
    assert {mode(p) for p in final.rglob("*") if p.is_dir()} | {mode(final)} == {"0o700"}
    assert {mode(p) for p in final.rglob("*") if p.is_file()} == {"0o600"}
    manifest = json.loads((final / backup.MANIFEST).read_text())
    assert manifest["service"] == "influxdb" and manifest["format"] == 1
    assert manifest["created"] == "2026-12-01T03:15:07+00:00"
    assert manifest["files"]["data/t.bolt.gz"] == {"size": 2, "sha256": hashlib.sha256(b"kv").hexdigest()}
    assert manifest["operator_token_sha256"] == hashlib.sha256(TOKEN.encode()).hexdigest()
    assert TOKEN not in (final / backup.MANIFEST).read_text()
    assert backup.verify(final, "influxdb")["files"] == manifest["files"]


def test_runs_are_pruned_to_keep(tmp_path):
    for minutes in range(4):
        backup.run_backup(config(tmp_path), now=NOW + datetime.timedelta(minutes=minutes), take=fake_influx_backup())
    assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == [
        "influxdb-20261201T031707Z", "influxdb-20261201T031807Z"]


def test_a_failed_take_leaves_no_partial_and_keeps_the_older_backups(tmp_path):
    backup.run_backup(config(tmp_path), now=NOW, take=fake_influx_backup())

    def broken(config, target):
        (target / "data").mkdir()
        raise backup.BackupError("influx backup failed (exit 1): Error: connection refused")

    with pytest.raises(backup.BackupError, match="connection refused"):
        backup.run_backup(config(tmp_path), now=NOW + datetime.timedelta(days=1), take=broken)
    assert [p.name for p in (tmp_path / "backups").iterdir()] == ["influxdb-20261201T031507Z"]


def test_a_backup_that_fails_verification_is_not_renamed(tmp_path):
    with pytest.raises(backup.BackupError, match="missing: t.1.tar.gz"):
        backup.run_backup(config(tmp_path), now=NOW, take=fake_influx_backup({"t.bolt.gz": b"kv", "t.sqlite.gz": b"s"}))
    assert list((tmp_path / "backups").iterdir()) == []


@pytest.mark.parametrize("change, message", [
    ({"service": "grafana"}, "service must be one of influxdb, kapacitor"),
    ({"token": ""}, "the config lacks token"),
    ({"dest": "", "url": ""}, "the config lacks dest, url"),
    ({"keep": 0}, "the config lacks keep"),
    ({"keep": -1}, "keep must be at least 1"),
])
def test_bad_config_is_refused_before_anything_is_written(tmp_path, change, message):
    with pytest.raises(backup.BackupError, match=message):
        backup.run_backup({**config(tmp_path), **change}, now=NOW, take=fake_influx_backup())
    assert not (tmp_path / "backups").exists()


# --- verify --------------------------------------------------------------------------------------

@pytest.fixture
def complete(tmp_path):
    return backup.run_backup(config(tmp_path), now=NOW, take=fake_influx_backup())


@pytest.mark.parametrize("damage, message", [
    (lambda p: (p / "data/t.1.tar.gz").unlink(), "data/t.1.tar.gz is missing"),
    (lambda p: (p / "data/t.bolt.gz").write_bytes(b"kv-longer"), "has 9 bytes, the manifest says 2"),
    (lambda p: (p / "data/t.bolt.gz").write_bytes(b"KV"), "does not match its sha256"),
    (lambda p: (p / backup.MANIFEST).unlink(), "has no tickstack-backup.json"),
    (lambda p: (p / backup.MANIFEST).write_text("{"), "is not valid JSON"),
    (lambda p: (p / backup.MANIFEST).write_text('{"format": 1, "service": "influxdb", "files": {}}'), "is empty"),
])
def test_verify_finds_a_damaged_backup(complete, damage, message):
    damage(complete)
    with pytest.raises(backup.BackupError, match=message):
        backup.verify(complete, "influxdb")


def test_verify_refuses_another_service_and_a_file(complete):
    with pytest.raises(backup.BackupError, match="a backup of 'influxdb', not of kapacitor"):
        backup.verify(complete, "kapacitor")
    with pytest.raises(backup.BackupError, match="is not a directory"):
        backup.verify(complete / backup.MANIFEST)


def test_verify_reads_the_influx_manifest(tmp_path):
    def take(config, target):
        (target / "data").mkdir()
        (target / "data/t.manifest").write_text('{"kv": null}')
        return {}
    with pytest.raises(backup.BackupError, match="is not an influx backup manifest"):
        backup.run_backup(config(tmp_path), now=NOW, take=take)


def test_main_verify_prints_the_manifest_and_fails_clearly(complete, capsys):
    assert backup.main(["verify", str(complete), "--service", "influxdb"]) == 0
    assert json.loads(capsys.readouterr().out)["path"] == str(complete)
    (complete / "data/t.sqlite.gz").write_bytes(b"sql")  # same size, other bytes
    (complete / "data/t.sqlite.gz").write_bytes(b"SQL")
    assert backup.main(["verify", str(complete)]) == 1
    assert "tickstack-backup: " in capsys.readouterr().err


def test_main_run_with_an_unreadable_config(tmp_path, capsys):
    assert backup.main(["run", "--config", str(tmp_path / "missing.json")]) == 1
    assert "cannot read the config" in capsys.readouterr().err


# --- InfluxDB: the influx CLI ------------------------------------------------------------------

def test_the_token_is_in_the_environment_never_on_the_command_line(tmp_path):
    argv, env = backup.influx_command(config(tmp_path, ca_path="/etc/ca.crt"), tmp_path)
    assert argv == ["/usr/bin/influx", "backup", "--host", "http://127.0.0.1:8086", "--compression", "gzip",
                    "--configs-path", str(tmp_path / ".influx-configs"), str(tmp_path / "data")]
    assert TOKEN not in " ".join(argv)
    assert env == {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "INFLUX_TOKEN": TOKEN, "SSL_CERT_FILE": "/etc/ca.crt"}
    argv, env = backup.influx_command(config(tmp_path, validate_certs=False, influx="/opt/influx"), tmp_path)
    assert argv[0] == "/opt/influx" and "--skip-verify" in argv and "SSL_CERT_FILE" not in env


def test_a_failing_cli_is_an_error_with_its_last_lines(tmp_path):
    calls = []

    def run(argv, **kwargs):
        calls.append((argv, kwargs))
        return subprocess.CompletedProcess(argv, 1, "", "INFO: Downloading metadata snapshot\nError: 401 Unauthorized\n")

    with pytest.raises(backup.BackupError, match=r"exit 1\): INFO: Downloading metadata snapshot \| Error: 401 Unauthorized"):
        backup.backup_influxdb(config(tmp_path), tmp_path, run=run)
    assert calls[0][1]["env"]["INFLUX_TOKEN"] == TOKEN and calls[0][1]["check"] is False


def test_a_missing_cli_is_an_error(tmp_path):
    with pytest.raises(backup.BackupError, match="could not run /nonexistent/influx backup"):
        backup.backup_influxdb(config(tmp_path, influx="/nonexistent/influx"), tmp_path)


# --- Kapacitor: GET /kapacitor/v1/storage/backup -------------------------------------------------

class Reply(io.BytesIO):
    def __init__(self, body: bytes, headers: dict | None = None):
        super().__init__(body)
        self.headers = email.message.Message()
        for key, value in (headers or {}).items():
            self.headers[key] = value


def kapacitor_config(tmp_path, **extra):
    return {"service": "kapacitor", "dest": str(tmp_path / "backups"), "keep": 3, "url": "https://kap:9092/",
            "username": "ansible", "password": "s3cret-password-16", **extra}


def test_kapacitor_backup_request_and_result(tmp_path):
    seen = []

    def opener(request, timeout, context):
        seen.append(request)
        return Reply(BOLT, {"X-Kapacitor-Version": "1.8.3"})

    final = backup.run_backup(kapacitor_config(tmp_path), now=NOW, take=lambda c, t: backup.backup_kapacitor(c, t, opener))
    assert seen[0].full_url == "https://kap:9092/kapacitor/v1/storage/backup"
    assert seen[0].get_method() == "GET"
    assert seen[0].get_header("Authorization") == "Basic YW5zaWJsZTpzM2NyZXQtcGFzc3dvcmQtMTY="
    assert (final / "kapacitor.db").read_bytes() == BOLT
    manifest = backup.verify(final, "kapacitor")
    assert manifest["source"] == {"url": "https://kap:9092/", "version": "1.8.3"}
    assert "s3cret" not in (final / backup.MANIFEST).read_text()


def test_kapacitor_without_auth_sends_no_authorization(tmp_path):
    seen = []
    backup.backup_kapacitor(kapacitor_config(tmp_path, username=""), tmp_path,
                            lambda request, timeout, context: seen.append(request) or Reply(BOLT))
    assert seen[0].get_header("Authorization") is None


def test_an_html_reply_is_not_a_backup(tmp_path):
    with pytest.raises(backup.BackupError, match="is not a BoltDB file"):
        backup.run_backup(kapacitor_config(tmp_path), now=NOW, take=lambda c, t: backup.backup_kapacitor(
            c, t, lambda request, timeout, context: Reply(b"<html><body>proxy error</body></html>")))
    assert list((tmp_path / "backups").iterdir()) == []


@pytest.mark.parametrize("error, message", [
    (urllib.error.HTTPError("u", 401, "Unauthorized", {}, io.BytesIO(b'{"error":"authentication failed"}')),
     r"HTTP 401 Unauthorized \(check the backup user's name and password: Kapacitor's \[auth\]\): .*authentication failed"),
    (urllib.error.HTTPError("u", 503, "Service Unavailable", {}, io.BytesIO(b"")), "HTTP 503 Service Unavailable"),
    (urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")), "Connection refused"),
    (ConnectionResetError(104, "Connection reset by peer"), "Connection reset by peer"),
])
def test_kapacitor_errors_are_clear_and_hold_no_password(tmp_path, error, message):
    def opener(request, timeout, context):
        raise error
    with pytest.raises(backup.BackupError, match=message) as caught:
        backup.backup_kapacitor(kapacitor_config(tmp_path), tmp_path, opener)
    assert "s3cret" not in str(caught.value)
    assert str(caught.value).startswith("GET https://kap:9092/kapacitor/v1/storage/backup: ")
