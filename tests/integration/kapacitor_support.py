"""Helpers for the Kapacitor integration tests: InfluxDB 2 objects by raw API, Kapacitor calls, polling.

Buckets, DBRP mappings and v1 authorizations are made with raw calls so that these tests depend on
nothing but the servers and the kapacitor_* modules under test.
"""

from __future__ import annotations

import csv
import io
import json
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from harness import InfluxDB, Kapacitor, free_port, http, kapacitor_config, start, wait_for, binary

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"


def make_bucket(influxdb: InfluxDB, name: str) -> str:
    status, body = influxdb.api("POST", "/api/v2/buckets",
                                body={"orgID": influxdb.org_id, "name": name, "retentionRules": []})
    assert status == 201, (status, body)
    return body["id"]


def map_dbrp(influxdb: InfluxDB, bucket_id: str, database: str, retention_policy: str):
    status, body = influxdb.api("POST", "/api/v2/dbrps", body={
        "orgID": influxdb.org_id, "bucketID": bucket_id, "database": database,
        "retention_policy": retention_policy, "default": True})
    assert status == 201, (status, body)
    return body


def bucket_with_dbrp(influxdb: InfluxDB, name: str, database: str, retention_policy: str) -> str:
    bucket_id = make_bucket(influxdb, name)
    map_dbrp(influxdb, bucket_id, database, retention_policy)
    return bucket_id


def create_v1_auth(influxdb: InfluxDB, username: str, password: str, bucket_ids: list[str]) -> dict:
    """A v1 (legacy) authorization with read and write on the buckets, and its password."""
    permissions = [{"action": action, "resource": {"type": "buckets", "id": bucket_id, "orgID": influxdb.org_id}}
                   for bucket_id in bucket_ids for action in ("read", "write")]
    status, auth = influxdb.api("POST", "/private/legacy/authorizations", body={
        "orgID": influxdb.org_id, "token": username, "description": "kapacitor", "permissions": permissions})
    assert status == 201, (status, auth)
    status, body = influxdb.api("POST", f"/private/legacy/authorizations/{auth['id']}/password",
                                body={"password": password})
    assert status == 204, (status, body)
    return auth


def flux_rows(influxdb: InfluxDB, bucket: str, measurement: str, start: str = "0") -> list[dict]:
    """Rows of ``measurement`` in ``bucket``; from the epoch by default, since a batch query without
    GROUP BY time() stamps its result with the start of its period (now - 1h for .period(1h))."""
    query = (f'from(bucket: "{bucket}") |> range(start: {start}) '
             f'|> filter(fn: (r) => r._measurement == "{measurement}")')
    status, text = influxdb.flux(query)
    assert status == 200, (status, text)
    rows = []
    for line in csv.DictReader(io.StringIO("\n".join(line for line in text.splitlines() if line.strip()))):
        if line.get("_measurement") == measurement:
            rows.append(line)
    return rows


def poll(check, what: str, timeout: float = 30.0, interval: float = 0.5):
    """Call ``check`` until it returns something truthy; return that, or fail saying ``what``."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what} did not happen within {timeout}s (last: {last!r})")


def kapacitor_api(kapacitor: Kapacitor, method: str, path: str, body=None, basic=None, raw=None,
                  headers=None):
    return http(method, kapacitor.url + "/kapacitor/v1" + path, body=body, basic=basic, raw=raw,
                headers=headers)


def write_to_kapacitor(kapacitor: Kapacitor, db: str, rp: str, lines: str, basic=None):
    """Points for stream tasks go to Kapacitor itself: InfluxDB 2 has no subscriptions."""
    status, body = kapacitor_api(kapacitor, "POST", f"/write?db={db}&rp={rp}&precision=s", raw=lines.encode(),
                                 basic=basic, headers={"Content-Type": "text/plain"})
    assert status == 204, (status, body)


def task_stats(kapacitor: Kapacitor, task_id: str, basic=None) -> dict:
    status, task = kapacitor_api(kapacitor, "GET", f"/tasks/{task_id}", basic=basic)
    assert status == 200, (status, task)
    return task


def start_kapacitor_with_config(version: str, workdir: Path, influxdb: InfluxDB | None, auth: dict | None = None,
                                extra: str = "", http_auth: bool = False,
                                basic: tuple[str, str] | None = None,
                                tls: tuple[Path, Path] | None = None) -> Kapacitor:
    """Like harness.start_kapacitor, with extra config text, ``[http] auth-enabled`` and HTTPS.

    With ``http_auth`` the ping needs credentials too, so readiness is checked with ``basic``.
    ``tls`` is (certificate, private key): Kapacitor then serves https only.
    """
    kapacitord = binary("kapacitor", version, "kapacitord")
    if kapacitord is None:
        raise FileNotFoundError(f"Kapacitor {version} was not built: run `make artifacts`")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = workdir / "kapacitor.conf"
    text = kapacitor_config(workdir, port, influxdb, auth)
    http_section = "[http]\n"
    if http_auth:
        http_section += "  auth-enabled = true\n"
    if tls:
        http_section += (f'  https-enabled = true\n  https-certificate = "{tls[0]}"\n'
                         f'  https-private-key = "{tls[1]}"\n')
    config.write_text(text.replace("[http]\n", http_section, 1) + extra)
    proc = start("kapacitord", [str(kapacitord), "-config", str(config)], workdir)
    scheme = "https" if tls else "http"
    server = Kapacitor(version=version, url=f"{scheme}://127.0.0.1:{port}", process=proc, workdir=workdir,
                       config=config, influxdb=influxdb)

    def ready():
        if tls:
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            try:
                with urllib.request.urlopen(f"{server.url}/kapacitor/v1/ping", timeout=2, context=context) as resp:
                    return resp.status == 204
            except urllib.error.HTTPError as e:
                return e.code == 204
        return http("GET", f"{server.url}/kapacitor/v1/ping", timeout=2, basic=basic)[0] == 204

    wait_for(ready, f"kapacitord {version}", proc=proc.proc, log=proc.log)
    return server


def make_tls_files(directory: Path) -> dict[str, Path]:
    """A CA and a server certificate for 127.0.0.1 signed by it (openssl).

    Both carry the extensions RFC 5280 asks for (key usage on the CA, the authority key identifier
    on the server's): Python 3.13 verifies with VERIFY_X509_STRICT and refuses them without.
    """
    directory.mkdir(parents=True, exist_ok=True)
    files = {name: directory / f"{name}.pem" for name in ("ca", "ca-key", "cert", "key")}
    csr, ext = directory / "server.csr", directory / "san.ext"
    ext.write_text("subjectAltName = IP:127.0.0.1, DNS:localhost\n"
                   "basicConstraints = critical, CA:FALSE\n"
                   "keyUsage = critical, digitalSignature, keyEncipherment\n"
                   "extendedKeyUsage = serverAuth\n"
                   "subjectKeyIdentifier = hash\n"
                   "authorityKeyIdentifier = keyid:always\n")

    def run(*argv):
        subprocess.run(["openssl", *argv], check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=tickstack test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-keyout", str(files["ca-key"]), "-out", str(files["ca"]))
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", str(files["key"]),
        "-out", str(csr))
    run("x509", "-req", "-in", str(csr), "-CA", str(files["ca"]), "-CAkey", str(files["ca-key"]),
        "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(files["cert"]))
    return files


def dump(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)
