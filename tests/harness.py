"""Start the real InfluxDB 2, Kapacitor and Telegraf built by ``make artifacts`` on loopback.

Binaries come out of the release tarballs (the same files the roles install), unpacked once into
the artifact cache. Every server runs in its own temporary directory on a free port and is stopped
when the test session ends.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OPERATOR_TOKEN = "tickstack-test-operator-token-0123456789abcdef"


def versions() -> dict[str, str]:
    """KEY=VALUE pairs from tools/versions.env (the one place versions are pinned)."""
    out = {}
    for line in (REPO / "tools" / "versions.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            out[key] = value.strip('"')
    return out


VERSIONS = versions()
CACHE = Path(os.environ.get("TICKSTACK_CACHE", Path.home() / ".cache" / "tickstack"))
ARTIFACTS = Path(os.environ.get("TICKSTACK_ARTIFACTS", CACHE / "artifacts"))


def tarball(product: str, version: str) -> Path:
    names = {
        "influxdb": f"influxdb/releases/influxdb2-{version}_linux_amd64.tar.gz",
        "influxdb1": f"influxdb/releases/influxdb-{version}_linux_amd64.tar.gz",
        "influx-cli": f"influxdb/releases/influxdb2-client-{version}-linux-amd64.tar.gz",
        "kapacitor": f"kapacitor/releases/kapacitor-{version}_linux_amd64.tar.gz",
        "telegraf": f"telegraf/releases/telegraf-{version}_linux_amd64.tar.gz",
    }
    return ARTIFACTS / names[product]


def unpacked(product: str, version: str) -> Path | None:
    """Unpack a release tarball once (keyed by its checksum); None when it was not built."""
    tar = tarball(product, version)
    if not tar.exists():
        return None
    digest = (tar.parent / (tar.name + ".sha256")).read_text().split()[0][:16]
    dest = CACHE / "unpacked" / f"{product}-{version}-{digest}"
    if not (dest / ".complete").exists():
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        with tarfile.open(tar) as tf:
            tf.extractall(dest, filter="tar")
        (dest / ".complete").touch()
    (top,) = [p for p in dest.iterdir() if p.is_dir()]
    return top


def binary(product: str, version: str, name: str) -> Path | None:
    top = unpacked(product, version)
    if top is None:
        return None
    for candidate in (top / "usr" / "bin" / name, top / name):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{name} not found in {tarball(product, version)}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body=None, token: str | None = None, headers: dict | None = None,
         basic: tuple[str, str] | None = None, raw: bytes | None = None, timeout: float = 10):
    """A tiny HTTP client for assertions; returns (status, decoded JSON or text)."""
    hdrs = dict(headers or {})
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    if token:
        hdrs["Authorization"] = f"Token {token}"
    if basic:
        hdrs["Authorization"] = "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, text = resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    try:
        return status, json.loads(text) if text.strip() else None
    except ValueError:
        return status, text


def wait_for(check, what: str, timeout: float = 60.0, proc: subprocess.Popen | None = None, log: Path | None = None):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text()[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{tail}")
        try:
            if check():
                return
        except (OSError, urllib.error.URLError) as e:
            last = e
        time.sleep(0.2)
    raise TimeoutError(f"{what} not ready after {timeout}s ({last})")


@dataclass
class Process:
    name: str
    proc: subprocess.Popen
    log: Path

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start(name: str, argv: list[str], workdir: Path, env: dict | None = None) -> Process:
    log = workdir / f"{name}.log"
    fh = open(log, "wb")
    proc = subprocess.Popen(argv, cwd=workdir, stdout=fh, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})}, start_new_session=True)
    return Process(name, proc, log)


@dataclass
class InfluxDB:
    """A running influxd. ``token`` is the operator (all-access) token once onboarded."""

    version: str
    url: str
    process: Process
    workdir: Path
    username: str = "admin"
    password: str = "tickstack-admin-password"
    org: str = "tickstack"
    bucket: str = "telegraf"
    token: str | None = None
    org_id: str | None = None
    bucket_id: str | None = None
    user_id: str | None = None

    @property
    def hashed_tokens(self) -> bool:
        return tuple(int(p) for p in self.version.split(".")[:2]) >= (2, 9)

    def onboard(self):
        status, body = http("POST", f"{self.url}/api/v2/setup", body={
            "username": self.username, "password": self.password, "org": self.org,
            "bucket": self.bucket, "token": OPERATOR_TOKEN,
        })
        assert status == 201, (status, body)
        self.token = body["auth"].get("token") or OPERATOR_TOKEN
        self.org_id = body["org"]["id"]
        self.bucket_id = body["bucket"]["id"]
        self.user_id = body["user"]["id"]
        return self

    def api(self, method: str, path: str, body=None, token: str | None = None, **kw):
        return http(method, self.url + path, body=body, token=token or self.token, **kw)

    def write_lp(self, bucket: str, lines: str, token: str | None = None):
        return http("POST", f"{self.url}/api/v2/write?org={self.org}&bucket={bucket}&precision=s",
                    raw=lines.encode(), token=token or self.token,
                    headers={"Content-Type": "text/plain; charset=utf-8"})

    def flux(self, query: str, token: str | None = None) -> tuple[int, str]:
        status, body = http("POST", f"{self.url}/api/v2/query?org={self.org}", raw=query.encode(),
                            token=token or self.token,
                            headers={"Content-Type": "application/vnd.flux", "Accept": "application/csv"})
        return status, body if isinstance(body, str) else json.dumps(body)


def start_influxdb(version: str, workdir: Path, onboard: bool = True, bucket: str = "telegraf") -> InfluxDB:
    """A fresh influxd on a free loopback port; ``bucket`` names the bucket onboarding creates."""
    influxd = binary("influxdb", version, "influxd")
    if influxd is None:
        raise FileNotFoundError(f"InfluxDB {version} was not built: run `make artifacts`")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [str(influxd), "--http-bind-address", f"127.0.0.1:{port}",
            "--bolt-path", str(workdir / "influxd.bolt"), "--engine-path", str(workdir / "engine"),
            "--sqlite-path", str(workdir / "influxd.sqlite"), "--reporting-disabled",
            "--log-level", "warn"]
    proc = start("influxd", argv, workdir, env={"INFLUXD_CONFIG_PATH": str(workdir)})
    server = InfluxDB(version=version, url=f"http://127.0.0.1:{port}", process=proc, workdir=workdir,
                      bucket=bucket)
    wait_for(lambda: http("GET", f"{server.url}/health", timeout=2)[0] == 200,
             f"influxd {version}", proc=proc.proc, log=proc.log)
    if onboard:
        server.onboard()
    return server


@dataclass
class Kapacitor:
    version: str
    url: str
    process: Process
    workdir: Path
    config: Path
    influxdb: InfluxDB | None = None
    extra: dict = field(default_factory=dict)
    # (username, password) of the admin when Kapacitor's own authentication is on.
    admin: tuple[str, str] | None = None


def kapacitor_config(workdir: Path, port: int, influxdb: InfluxDB | None, auth: dict | None,
                     users: bool = False, http_auth: bool = False) -> str:
    """A kapacitor.conf for InfluxDB 2 as the reference page describes.

    ``users`` turns on Kapacitor's user store (``[auth] enabled``, the users API), ``http_auth`` makes
    every request authenticate (``[http] auth-enabled``). ``auth`` is how Kapacitor logs in to InfluxDB.
    """
    lines = [
        'hostname = "127.0.0.1"',
        f'data_dir = "{workdir}/data"',
        "skip-config-overrides = true",
        "[http]",
        f'  bind-address = "127.0.0.1:{port}"',
        "  log-enabled = false",
    ]
    if http_auth:
        lines.append("  auth-enabled = true")
    if users:
        # bcrypt's minimum cost: the tests log in often, and the cost is not what they test.
        lines += ["[auth]", "  enabled = true", "  bcrypt-cost = 4", '  cache-expiration = "10m"']
    lines += [
        "[replay]",
        f'  dir = "{workdir}/replay"',
        "[storage]",
        f'  boltdb = "{workdir}/kapacitor.db"',
        "[task]",
        f'  dir = "{workdir}/tasks"',
        "[load]",
        "  enabled = false",
        "[logging]",
        '  file = "STDERR"',
        '  level = "WARN"',
        "[reporting]",
        "  enabled = false",
        "[stats]",
        "  enabled = false",
    ]
    if influxdb is not None:
        lines += [
            "[[influxdb]]",
            "  enabled = true",
            '  name = "default"',
            "  default = true",
            f'  urls = ["{influxdb.url}"]',
            "  disable-subscriptions = true",
            "  startup-timeout = \"1m\"",
            "  timeout = \"10s\"",
        ]
        for key, value in (auth or {}).items():
            lines.append(f'  {key} = "{value}"')
    else:
        lines += ["[[influxdb]]", "  enabled = false"]
    return "\n".join(lines) + "\n"


def start_kapacitor(version: str, workdir: Path, influxdb: InfluxDB | None, auth: dict | None = None,
                    admin: tuple[str, str] | None = None) -> Kapacitor:
    """A kapacitord on a free loopback port. With ``admin`` (username, password), Kapacitor's own
    authentication is on: the admin is created while no request is authenticated yet (the only way
    Kapacitor has to make its first user), then kapacitord restarts with ``[http] auth-enabled``."""
    kapacitord = binary("kapacitor", version, "kapacitord")
    if kapacitord is None:
        raise FileNotFoundError(f"Kapacitor {version} was not built: run `make artifacts`")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = workdir / "kapacitor.conf"
    config.write_text(kapacitor_config(workdir, port, influxdb, auth, users=admin is not None))
    proc = start("kapacitord", [str(kapacitord), "-config", str(config)], workdir)
    server = Kapacitor(version=version, url=f"http://127.0.0.1:{port}", process=proc, workdir=workdir,
                       config=config, influxdb=influxdb, admin=admin)
    wait_for(lambda: http("GET", f"{server.url}/kapacitor/v1/ping", timeout=2)[0] == 204,
             f"kapacitord {version}", proc=proc.proc, log=proc.log)
    if admin is not None:
        status, body = http("POST", f"{server.url}/kapacitor/v1/users",
                            body={"name": admin[0], "password": admin[1], "type": "admin"})
        assert status == 200 and body["name"] == admin[0], (status, body)
        proc.stop()
        config.write_text(kapacitor_config(workdir, port, influxdb, auth, users=True, http_auth=True))
        server.process = proc = start("kapacitord", [str(kapacitord), "-config", str(config)], workdir)
        wait_for(lambda: http("GET", f"{server.url}/kapacitor/v1/ping", basic=admin, timeout=2)[0] == 204,
                 f"kapacitord {version} with authentication", proc=proc.proc, log=proc.log)
    return server


def legacy_influxdb_built() -> bool:
    return tarball("influxdb", VERSIONS["INFLUXDB_LEGACY_VERSION"]).exists()


# --------------------------------------------------------------------------------------------------
# InfluxDB 1.x (the migration's source), from influxdb-<ver>_linux_amd64.tar.gz
# --------------------------------------------------------------------------------------------------

INFLUXDB1_ADMIN = ("admin", "tickstack-1x-admin-password")


def influxdb1_tarball(version: str) -> Path:
    return tarball("influxdb1", version)


def influxdb1_built() -> bool:
    return influxdb1_tarball(VERSIONS["INFLUXDB1_VERSION"]).exists()


def influxdb1_binary(version: str, name: str) -> Path | None:
    """``name`` (influxd, influx, influx_inspect) from the 1.x tarball, unpacked once by checksum."""
    top = unpacked("influxdb1", version)
    if top is None:
        return None
    found = top / "usr" / "bin" / name
    if not found.exists():
        raise FileNotFoundError(f"{name} not found in {influxdb1_tarball(version)}")
    return found


def influxdb1_config(workdir: Path, http_port: int, rpc_port: int) -> str:
    """An influxdb.conf with authentication on, everything but HTTP off, data under ``workdir``."""
    return "\n".join([
        "reporting-disabled = true",
        f'bind-address = "127.0.0.1:{rpc_port}"',
        "[meta]",
        f'  dir = "{workdir}/meta"',
        "[data]",
        f'  dir = "{workdir}/data"',
        f'  wal-dir = "{workdir}/wal"',
        "  query-log-enabled = false",
        "[monitor]",
        "  store-enabled = false",
        "[http]",
        "  enabled = true",
        f'  bind-address = "127.0.0.1:{http_port}"',
        "  auth-enabled = true",
        "  log-enabled = false",
        "[logging]",
        '  level = "warn"',
        "[continuous_queries]",
        "  enabled = true",
        "  log-enabled = false",
    ]) + "\n"


@dataclass
class InfluxDB1:
    """A running influxd 1.x with authentication on; ``admin`` is (username, password) of its admin user."""

    version: str
    url: str
    process: Process
    workdir: Path
    admin: tuple[str, str] = INFLUXDB1_ADMIN

    def query(self, q: str, db: str | None = None, method: str = "POST", auth: tuple[str, str] | None = None,
              **params):
        """Run InfluxQL through /query; returns (status, decoded JSON)."""
        args = {"q": q, **({"db": db} if db else {}), **params}
        url = f"{self.url}/query?{urllib.parse.urlencode(args)}"
        return http(method, url, basic=auth or self.admin)

    def ok(self, q: str, db: str | None = None):
        """Run InfluxQL that must succeed; returns the first statement's result."""
        status, body = self.query(q, db=db)
        assert status == 200, (q, status, body)
        result = body["results"][0]
        assert "error" not in result, (q, result)
        return result

    def write(self, db: str, lines: str, rp: str | None = None, precision: str = "s",
              auth: tuple[str, str] | None = None):
        args = {"db": db, "precision": precision, **({"rp": rp} if rp else {})}
        return http("POST", f"{self.url}/write?{urllib.parse.urlencode(args)}", raw=lines.encode(),
                    basic=auth or self.admin, headers={"Content-Type": "text/plain; charset=utf-8"})


def start_influxdb1(version: str, workdir: Path) -> InfluxDB1:
    """influxd 1.x on loopback with authentication on and one admin user (``INFLUXDB1_ADMIN``)."""
    influxd = influxdb1_binary(version, "influxd")
    if influxd is None:
        raise FileNotFoundError(f"InfluxDB {version} was not built: run `tools/artifacts.sh influxdb1`")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = workdir / "influxdb.conf"
    config.write_text(influxdb1_config(workdir, port, free_port()))
    proc = start("influxd1", [str(influxd), "run", "-config", str(config)], workdir)
    server = InfluxDB1(version=version, url=f"http://127.0.0.1:{port}", process=proc, workdir=workdir)
    wait_for(lambda: http("GET", f"{server.url}/ping", timeout=2)[0] == 204,
             f"influxd {version}", proc=proc.proc, log=proc.log)
    # With authentication on and no user yet, the server accepts exactly one statement without
    # credentials: creating the first admin.
    user, password = server.admin
    status, body = http("POST", f"{server.url}/query?" + urllib.parse.urlencode(
        {"q": f"CREATE USER \"{user}\" WITH PASSWORD '{password}' WITH ALL PRIVILEGES"}))
    assert status == 200 and "error" not in body["results"][0], (status, body)
    return server
