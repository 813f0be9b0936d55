"""Unit tests for plugins/plugin_utils/tls_certificates.py: made once, reused, renewed for each reason."""

from __future__ import annotations

import datetime
import os
import ssl
import stat
import socket
import subprocess
import sys
import threading
from pathlib import Path

import collection_path  # noqa: F401 pylint: disable=unused-import  # the collection on sys.path
import pytest
from cryptography import x509

from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput
from ansible_collections.tickstack.influx.plugins.plugin_utils import tls_certificates as tls

NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)


def _cert(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


def test_first_run_makes_ca_and_certificate_with_private_modes(tmp_path):
    directory = str(tmp_path / "tls")
    out = tls.ensure_host(directory, "influxdb", ["10.0.0.5", "db.example.net"], now=NOW)
    assert out["changed"]
    assert out["reasons"] == ["CA: missing", "influxdb: missing"]
    assert out["dns_names"] == ["db.example.net", "influxdb", "localhost"]
    assert out["ip_addresses"] == ["10.0.0.5", "127.0.0.1"]
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    for name, mode in (("ca.key", 0o600), ("influxdb.key", 0o600), ("ca.crt", 0o644), ("influxdb.crt", 0o644)):
        assert stat.S_IMODE(os.stat(os.path.join(directory, name)).st_mode) == mode, name
    cert, ca = _cert(out["certificate"]), _cert(out["ca"])
    assert tls.issued_by(cert, ca)
    assert tls.cert_names(cert) == (out["dns_names"], out["ip_addresses"])
    assert out["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert (Path(directory) / "influxdb.key").read_text() == out["private_key"]


def test_second_run_reuses_everything(tmp_path):
    directory = str(tmp_path)
    first = tls.ensure_host(directory, "influxdb", ["10.0.0.5"], now=NOW)
    again = tls.ensure_host(directory, "influxdb", ["10.0.0.5"], now=NOW + datetime.timedelta(days=100))
    assert not again["changed"] and again["reasons"] == []
    assert again["certificate"] == first["certificate"] and again["private_key"] == first["private_key"]
    assert again["ca"] == first["ca"]


def test_changed_names_reissue_the_certificate_only(tmp_path):
    first = tls.ensure_host(str(tmp_path), "kapacitor", [], now=NOW)
    out = tls.ensure_host(str(tmp_path), "kapacitor", ["192.0.2.7"], now=NOW)
    assert out["reasons"] == ["kapacitor: its names changed"]
    assert out["ca"] == first["ca"] and out["certificate"] != first["certificate"]
    assert "192.0.2.7" in tls.cert_names(_cert(out["certificate"]))[1]


def test_near_expiry_renews(tmp_path):
    first = tls.ensure_host(str(tmp_path), "h", [], now=NOW)
    outside = NOW + datetime.timedelta(days=tls.CERT_DAYS - tls.RENEW_DAYS - 1)
    assert tls.ensure_host(str(tmp_path), "h", [], now=outside)["reasons"] == []
    inside = NOW + datetime.timedelta(days=tls.CERT_DAYS - tls.RENEW_DAYS + 1)
    out = tls.ensure_host(str(tmp_path), "h", [], now=inside)
    assert out["reasons"] == ["h: expires within 30 days"]
    assert out["certificate"] != first["certificate"]


def test_a_new_ca_reissues_every_certificate(tmp_path):
    first = tls.ensure_host(str(tmp_path), "h", [], now=NOW)
    (tmp_path / "ca.key").unlink()
    out = tls.ensure_host(str(tmp_path), "h", [], now=NOW)
    assert out["reasons"] == ["CA: unreadable or not matching its key", "h: not issued by the current CA"]
    assert out["ca"] != first["ca"]
    assert tls.issued_by(_cert(out["certificate"]), _cert(out["ca"]))


def test_a_key_that_does_not_match_is_replaced(tmp_path):
    tls.ensure_host(str(tmp_path), "a", [], now=NOW)
    tls.ensure_host(str(tmp_path), "b", [], now=NOW)
    (tmp_path / "a.key").write_bytes((tmp_path / "b.key").read_bytes())
    assert tls.ensure_host(str(tmp_path), "a", [], now=NOW)["reasons"] == ["a: unreadable or not matching its key"]


def test_check_mode_writes_nothing_but_returns_material(tmp_path):
    out = tls.ensure_host(str(tmp_path), "h", [], check_mode=True, now=NOW)
    assert out["changed"] and out["certificate"] and out["private_key"]
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_ca_only(tmp_path):
    out = tls.ensure_host(str(tmp_path), "telegraf1", [], certificate=False, now=NOW)
    assert out["certificate"] == "" and out["private_key"] == "" and out["ca"]
    assert not (tmp_path / "telegraf1.crt").exists()


def test_bad_names_and_hosts_are_refused(tmp_path):
    with pytest.raises(InvalidInput, match="tickstack_tls_names"):
        tls.subject_names(["http://x"])
    with pytest.raises(InvalidInput, match="inventory_hostname"):
        tls.ensure_host(str(tmp_path), "../etc", [], now=NOW)


def test_parallel_hosts_share_one_ca(tmp_path):
    results = {}

    def run(host):
        with tls.locked(str(tmp_path)):
            results[host] = tls.ensure_host(str(tmp_path), host, [])

    threads = [threading.Thread(target=run, args=("h%d" % i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r["ca"] for r in results.values()}) == 1
    assert sum(r["reasons"].count("CA: missing") for r in results.values()) == 1


def test_a_real_tls_client_accepts_the_certificate(tmp_path):
    """Python's ssl (OpenSSL) verifies the chain and the names, as Go's TLS in influxd/kapacitord does."""
    out = tls.ensure_host(str(tmp_path), "influxdb", [])
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "influxdb.crt", tmp_path / "influxdb.key")
    script = (
        "import socket,ssl,sys\n"
        "ctx=ssl.create_default_context(cadata=open(sys.argv[2]).read())\n"
        "s=ctx.wrap_socket(socket.create_connection(('127.0.0.1',int(sys.argv[1]))),server_hostname=sys.argv[3])\n"
        "s.recv(1)\n")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def serve():
        conn = listener.accept()[0]
        try:
            tls_conn = server.wrap_socket(conn, server_side=True)
            tls_conn.send(b"x")
            tls_conn.close()
        except ssl.SSLError:
            conn.close()

    for name, ok in (("influxdb", True), ("127.0.0.1", True), ("other-host", False)):
        t = threading.Thread(target=serve)
        t.start()
        rc = subprocess.run([sys.executable, "-c", script, str(port), str(tmp_path / "ca.crt"), name],
                            capture_output=True, check=False).returncode
        t.join()
        assert (rc == 0) is ok, name
    listener.close()
    assert tls.issued_by(_cert(out["certificate"]), _cert(out["ca"]))


def test_pem_or_file(tmp_path):
    (tmp_path / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n")
    assert tls.pem_or_file(str(tmp_path / "ca.crt"), "tickstack_tls_ca").startswith("-----BEGIN CERTIFICATE")
    assert tls.pem_or_file("-----BEGIN X-----\n", "v") == "-----BEGIN X-----\n"
    with pytest.raises(InvalidInput, match="tickstack_tls_ca is empty"):
        tls.pem_or_file("", "tickstack_tls_ca")
    with pytest.raises(InvalidInput, match="does not exist on the controller"):
        tls.pem_or_file(str(tmp_path / "nope"), "tickstack_tls_ca")
    (tmp_path / "junk").write_text("hello")
    with pytest.raises(InvalidInput, match="holds no PEM block"):
        tls.pem_or_file(str(tmp_path / "junk"), "tickstack_tls_ca")


def test_check_provided_names_each_problem(tmp_path):
    a = tls.ensure_host(str(tmp_path / "a"), "h", [], now=NOW)
    b = tls.ensure_host(str(tmp_path / "b"), "h", [], now=NOW)
    assert tls.check_provided(a["ca"], a["certificate"], a["private_key"], "h", now=NOW) == []
    problems = tls.check_provided(a["ca"], b["certificate"], a["private_key"], "h", now=NOW)
    assert problems == ["tickstack_tls_private_key of h does not match tickstack_tls_certificate",
                        "tickstack_tls_certificate of h was not issued by tickstack_tls_ca (CN=tickstack CA)"]
    expired = tls.check_provided(a["ca"], a["certificate"], a["private_key"], "h",
                                 now=NOW + datetime.timedelta(days=400))
    assert expired and "expired" in expired[0]
    assert tls.check_provided("junk", None, None, "h") == ["tickstack_tls_ca: not a PEM certificate"]
    assert "not an unencrypted PEM private key" in tls.check_provided(a["ca"], a["certificate"], "x", "h")[0]
