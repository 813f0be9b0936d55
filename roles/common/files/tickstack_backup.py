#!/usr/bin/env python
"""Back up InfluxDB 2 or Kapacitor into a timestamped directory, verify it, keep the newest N.

Shipped by the influxdb and kapacitor roles (tickstack.influx) and run by their
tickstack-backup-<service>.service (a systemd timer). Python standard library only.

    tickstack_backup.py run --config /etc/tickstack/backup/influxdb.json
    tickstack_backup.py verify /var/backups/influxdb/influxdb-20261201T031500Z [--service influxdb]

The config file is root-only JSON: service (influxdb | kapacitor), dest, keep, url, ca_path,
validate_certs, and the secret: token (InfluxDB's operator token, handed to `influx backup` in its
environment, never on its command line) or username/password (Kapacitor's [auth] user).

Each run writes <dest>/.<service>-<UTC time>.partial, checks it, writes tickstack-backup.json (the
files with size and sha256) and renames the directory to <service>-<UTC time>: a directory with
that name is complete. Then every complete backup but the newest `keep` is removed, and so is any
partial one a failed run left behind.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

MANIFEST = "tickstack-backup.json"
FORMAT = 1
SERVICES = ("influxdb", "kapacitor")
KAPACITOR_DB = "kapacitor.db"
# A BoltDB file starts with a meta page: 16 bytes of page header, then the magic (little-endian).
BOLT_MAGIC = 0xED0CDAED
NAME = re.compile(r"^(?P<service>influxdb|kapacitor)-(?P<stamp>\d{8}T\d{6}Z)$")
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup that could not be made or does not hold what it should (the message says why)."""


# --- names and retention --------------------------------------------------------------------------

def backup_name(service: str, now: datetime.datetime) -> str:
    """<service>-YYYYmmddTHHMMSSZ, in UTC, so that names sort as times do."""
    return f"{service}-{now.astimezone(datetime.timezone.utc):%Y%m%dT%H%M%SZ}"


def partial_name(name: str) -> str:
    return f".{name}.partial"


def unique_name(dest: Path, service: str, now: datetime.datetime) -> str:
    """A name not yet taken in dest: a second run within the same second takes the next second's."""
    moment = now
    while True:
        name = backup_name(service, moment)
        if not (dest / name).exists() and not (dest / partial_name(name)).exists():
            return name
        moment += datetime.timedelta(seconds=1)


def complete_backups(dest: Path, service: str) -> list[str]:
    """Names of the complete backups of service in dest, oldest first."""
    names = []
    for entry in dest.iterdir() if dest.is_dir() else []:
        match = NAME.match(entry.name)
        if match and match.group("service") == service and entry.is_dir():
            names.append(entry.name)
    return sorted(names)


def to_prune(names: list[str], keep: int) -> list[str]:
    """The names beyond the newest `keep` (names sort as times)."""
    if keep < 1:
        raise BackupError(f"keep must be at least 1, got {keep}")
    ordered = sorted(names)
    return ordered[:-keep] if len(ordered) > keep else []


def prune(dest: Path, service: str, keep: int) -> list[str]:
    """Remove the backups beyond the newest `keep`, and partial ones an earlier failed run left."""
    removed = []
    for name in to_prune(complete_backups(dest, service), keep):
        shutil.rmtree(dest / name)
        removed.append(name)
    for entry in sorted(dest.iterdir()):
        if entry.name.startswith(f".{service}-") and entry.name.endswith(".partial"):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink()
            removed.append(entry.name)
    return removed


# --- the manifest -------------------------------------------------------------------------------

def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def token_fingerprint(token: str) -> str:
    """What the manifest keeps of the operator token: enough to tell whether a restore has the same one."""
    return hashlib.sha256(token.encode()).hexdigest()


def build_manifest(path: Path, service: str, created: str, extra: dict | None = None) -> dict:
    files = {}
    for entry in sorted(path.rglob("*")):
        if entry.is_file() and entry.name != MANIFEST:
            files[entry.relative_to(path).as_posix()] = {"size": entry.stat().st_size, "sha256": sha256_file(entry)}
    manifest = {"format": FORMAT, "service": service, "created": created, "files": files}
    manifest.update(extra or {})
    return manifest


def write_manifest(path: Path, manifest: dict) -> None:
    temporary = path / (MANIFEST + ".tmp")
    with temporary.open("w") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temporary, 0o600)
    temporary.rename(path / MANIFEST)


def check_bolt(path: Path) -> None:
    with path.open("rb") as handle:
        head = handle.read(20)
    if len(head) < 20 or int.from_bytes(head[16:20], "little") != BOLT_MAGIC:
        raise BackupError(f"{path} is not a BoltDB file (Kapacitor's storage): its header has no BoltDB magic")


def check_influx_manifest(path: Path, files: dict) -> None:
    """`influx backup` writes <time>.manifest naming the KV, SQL and shard files: all must be there."""
    manifests = [name for name in files if name.endswith(".manifest")]
    if len(manifests) != 1:
        raise BackupError(f"{path} holds {len(manifests)} influx backup manifests (*.manifest), expected 1")
    try:
        influx = json.loads((path / manifests[0]).read_text())
        wanted = [influx["kv"]["fileName"]]
        if influx.get("sql"):
            wanted.append(influx["sql"]["fileName"])
        for bucket in influx.get("buckets") or []:
            for policy in bucket.get("retentionPolicies") or []:
                for group in policy.get("shardGroups") or []:
                    wanted.extend(shard["fileName"] for shard in group.get("shards") or [])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(f"{path / manifests[0]} is not an influx backup manifest: {exc!r}") from None
    folder = Path(manifests[0]).parent
    missing = [name for name in wanted if (folder / name).as_posix() not in files]
    if missing:
        raise BackupError(f"{path}: files named in {manifests[0]} are missing: {', '.join(missing)}")


def verify(path: Path, service: str | None = None) -> dict:
    """The manifest of a complete backup, after checking every file it names; BackupError otherwise."""
    path = Path(path)
    if not path.is_dir():
        raise BackupError(f"{path} is not a directory (a backup is a directory <service>-<time>)")
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{path} has no {MANIFEST}: not a complete tickstack backup") from None
    except ValueError as exc:
        raise BackupError(f"{path / MANIFEST} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
        raise BackupError(f"{path / MANIFEST} is not a tickstack backup manifest (format {FORMAT})")
    if manifest.get("service") not in SERVICES or (service and manifest["service"] != service):
        raise BackupError(f"{path} is a backup of {manifest.get('service')!r}, not of {service or ' or '.join(SERVICES)}")
    files = manifest["files"]
    if not files:
        raise BackupError(f"{path} is empty: its manifest names no files")
    for name, meta in sorted(files.items()):
        entry = path / name
        if not entry.is_file():
            raise BackupError(f"{path}: {name} is missing")
        if entry.stat().st_size != meta.get("size") or meta["size"] == 0:
            raise BackupError(f"{path}: {name} has {entry.stat().st_size} bytes, the manifest says {meta.get('size')} (and none may be empty)")
        if sha256_file(entry) != meta.get("sha256"):
            raise BackupError(f"{path}: {name} does not match its sha256 in the manifest (corrupt)")
    if manifest["service"] == "kapacitor":
        if KAPACITOR_DB not in files:
            raise BackupError(f"{path} holds no {KAPACITOR_DB}")
        check_bolt(path / KAPACITOR_DB)
    else:
        check_influx_manifest(path, files)
    return manifest


# --- taking the backup ----------------------------------------------------------------------------

def ssl_context(config: dict) -> ssl.SSLContext:
    if not config.get("validate_certs", True):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=config.get("ca_path") or None)


def kapacitor_request(config: dict) -> urllib.request.Request:
    request = urllib.request.Request(config["url"].rstrip("/") + "/kapacitor/v1/storage/backup")
    if config.get("username"):
        pair = f"{config['username']}:{config.get('password', '')}".encode()
        request.add_header("Authorization", "Basic " + base64.b64encode(pair).decode())
    return request


def backup_kapacitor(config: dict, target: Path, opener=urllib.request.urlopen) -> dict:
    """GET /kapacitor/v1/storage/backup (a copy of kapacitor.db) into target/kapacitor.db."""
    url = config["url"].rstrip("/") + "/kapacitor/v1/storage/backup"
    try:
        with opener(kapacitor_request(config), timeout=config.get("timeout", 300),
                    context=ssl_context(config)) as reply, (target / KAPACITOR_DB).open("wb") as out:
            version = reply.headers.get("X-Kapacitor-Version", "")
            shutil.copyfileobj(reply, out, CHUNK)
            out.flush()
            os.fsync(out.fileno())
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace").strip()
        hint = " (check the backup user's name and password: Kapacitor's [auth])" if exc.code in (401, 403) else ""
        raise BackupError(f"GET {url}: HTTP {exc.code} {exc.reason}{hint}: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise BackupError(f"GET {url}: {getattr(exc, 'reason', exc)}") from None
    check_bolt(target / KAPACITOR_DB)
    return {"source": {"url": config["url"], "version": version}}


def influx_command(config: dict, target: Path) -> tuple[list[str], dict]:
    """The `influx backup` command line (no secret in it) and its environment (the token)."""
    argv = [config.get("influx", "/usr/bin/influx"), "backup", "--host", config["url"],
            "--compression", "gzip", "--configs-path", str(target / ".influx-configs")]
    if not config.get("validate_certs", True):
        argv.append("--skip-verify")
    argv.append(str(target / "data"))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(target), "INFLUX_TOKEN": config["token"]}
    if config.get("ca_path"):
        env["SSL_CERT_FILE"] = config["ca_path"]
    return argv, env


def backup_influxdb(config: dict, target: Path, run=subprocess.run) -> dict:
    argv, env = influx_command(config, target)
    try:
        result = run(argv, env=env, capture_output=True, text=True, timeout=config.get("timeout", 3600), check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise BackupError(f"could not run {argv[0]} backup: {exc}") from None
    if result.returncode != 0:
        output = (result.stderr or result.stdout or "").strip().splitlines()
        raise BackupError(f"influx backup failed (exit {result.returncode}): {' | '.join(output[-5:])}")
    shutil.rmtree(target / ".influx-configs", ignore_errors=True)
    return {"source": {"url": config["url"]}, "operator_token_sha256": token_fingerprint(config["token"])}


def run_backup(config: dict, now: datetime.datetime | None = None, take=None) -> Path:
    """One backup of config['service'] in config['dest']: the path of the complete, verified backup."""
    service = config.get("service")
    if service not in SERVICES:
        raise BackupError(f"service must be one of {', '.join(SERVICES)}, got {service!r}")
    missing = [key for key in ("dest", "url", "keep") + (("token",) if service == "influxdb" else ()) if not config.get(key)]
    if missing:
        raise BackupError(f"the config lacks {', '.join(missing)}")
    keep = int(config["keep"])
    to_prune([], keep)
    dest = Path(config["dest"])
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(dest, 0o700)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    name = unique_name(dest, service, now)
    partial = dest / partial_name(name)
    partial.mkdir(mode=0o700)
    try:
        take = take or (backup_influxdb if service == "influxdb" else backup_kapacitor)
        extra = take(config, partial)
        for entry in partial.rglob("*"):
            os.chmod(entry, 0o700 if entry.is_dir() else 0o600)
        write_manifest(partial, build_manifest(partial, service, now.astimezone(datetime.timezone.utc).isoformat(), extra))
        verify(partial, service)
        final = dest / name
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    prune(dest, service, keep)
    return final


def load_config(path: str) -> dict:
    try:
        with open(path) as handle:
            config = json.load(handle)
    except (OSError, ValueError) as exc:
        raise BackupError(f"cannot read the config {path}: {exc}") from None
    if not isinstance(config, dict):
        raise BackupError(f"{path} must hold a JSON object")
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="take a backup, verify it, prune to the newest keep")
    run_parser.add_argument("--config", required=True)
    verify_parser = commands.add_parser("verify", help="check a backup directory; print its manifest")
    verify_parser.add_argument("path")
    verify_parser.add_argument("--service", choices=SERVICES)
    args = parser.parse_args(argv)
    os.umask(0o077)
    try:
        if args.command == "run":
            final = run_backup(load_config(args.config))
            print(f"backup complete: {final}")
        else:
            manifest = verify(Path(args.path), args.service)
            print(json.dumps({"path": str(Path(args.path).resolve()), **manifest}, sort_keys=True))
    except BackupError as exc:
        print(f"tickstack-backup: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
