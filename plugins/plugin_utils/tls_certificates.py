# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The stack's TLS material on the controller: a private CA and per-host server certificates.

Built on the Python ``cryptography`` library, which ansible-core itself requires: the collection
needs no other collection (community.crypto) and no ``openssl`` binary on the controller.

A directory keeps ``ca.crt``/``ca.key`` and ``<host>.crt``/``<host>.key``; keys are 0600 and the
directory 0700. Everything valid is reused: a CA or certificate is replaced only when it is
missing, unreadable, expires within the renewal window, was not issued by the current CA, does
not match its key, or (a host's) when its names changed. Callers hold :func:`locked` around
:func:`ensure_host` so that parallel hosts share one CA.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import ipaddress
import os
import tempfile
from typing import Any, Iterable, Iterator, Mapping, Sequence

from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput

try:  # ansible-core requires cryptography; the guard keeps a clear message for a broken controller
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
except ImportError as e:  # pragma: no cover - ansible-core installs it
    CRYPTOGRAPHY_ERROR: str | None = "the Python cryptography library (an ansible-core requirement) is missing: %s" % e
else:
    CRYPTOGRAPHY_ERROR = None

CA_DAYS = 3650
CERT_DAYS = 397
RENEW_DAYS = 30
ALWAYS_NAMES = ("localhost", "127.0.0.1")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _not_after(cert: x509.Certificate) -> datetime.datetime:
    value = getattr(cert, "not_valid_after_utc", None)
    return value if value is not None else cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def subject_names(names: Iterable[Any]) -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) of ``names`` plus localhost/127.0.0.1, each sorted and unique.

    The roles' own calls go to 127.0.0.1, so every certificate names it.
    """
    dns, ips = set(), set()
    for name in list(names) + list(ALWAYS_NAMES):
        text = str(name or "").strip()
        if not text:
            continue
        try:
            ips.add(str(ipaddress.ip_address(text)))
        except ValueError:
            if any(c.isspace() or c in "/:@" for c in text):
                raise InvalidInput("tickstack_tls_names: %r is neither a host name nor an IP address" % text) from None
            dns.add(text.lower())
    return sorted(dns), sorted(ips, key=lambda a: (ipaddress.ip_address(a).version, ipaddress.ip_address(a)))


def cert_names(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    dns = sorted(n.lower() for n in san.get_values_for_type(x509.DNSName))
    ips = sorted((str(a) for a in san.get_values_for_type(x509.IPAddress)),
                 key=lambda a: (ipaddress.ip_address(a).version, ipaddress.ip_address(a)))
    return dns, ips


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: Any) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _public_bytes(key: Any) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_matches(cert: x509.Certificate, key: Any) -> bool:
    return _public_bytes(cert.public_key()) == _public_bytes(key.public_key())


def issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    if cert.issuer != ca.subject:
        return False
    try:
        cert.verify_directly_issued_by(ca)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def new_ca(common_name: str, now: datetime.datetime | None = None, days: int = CA_DAYS) -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) of a new self-signed CA."""
    now = now or _now()
    key = _new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return _cert_pem(cert), _key_pem(key)


def new_host_cert(host: str, dns: Sequence[str], ips: Sequence[str], ca_pem: bytes, ca_key_pem: bytes,
                  now: datetime.datetime | None = None, days: int = CERT_DAYS) -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) of a server certificate for ``host`` signed by the CA."""
    now = now or _now()
    ca = x509.load_pem_x509_certificate(ca_pem)
    ca_key = serialization.load_pem_private_key(ca_key_pem, password=None)
    key = _new_key()
    sans = [x509.DNSName(n) for n in dns] + [x509.IPAddress(ipaddress.ip_address(a)) for a in ips]
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host[:64])]))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(min(now + datetime.timedelta(days=days), _not_after(ca)))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, key_cert_sign=False,
                                         crl_sign=False, content_commitment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return _cert_pem(cert), _key_pem(key)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def _write(path: str, data: bytes, mode: int) -> None:
    """Atomically, with ``mode`` from the start (a key is never readable by others, even briefly)."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _load_pair(cert_pem: bytes | None, key_pem: bytes | None) -> tuple[x509.Certificate, Any] | None:
    if not cert_pem or not key_pem:
        return None
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError):
        return None
    return (cert, key) if key_matches(cert, key) else None


def ca_problem(cert_pem: bytes | None, key_pem: bytes | None, now: datetime.datetime,
               renew_days: int = RENEW_DAYS) -> str | None:
    """Why the CA must be (re)made, or None to keep it."""
    pair = _load_pair(cert_pem, key_pem)
    if pair is None:
        return "missing" if not cert_pem and not key_pem else "unreadable or not matching its key"
    if _not_after(pair[0]) - now < datetime.timedelta(days=renew_days):
        return "expires within %d days" % renew_days
    return None


def host_problem(cert_pem: bytes | None, key_pem: bytes | None, ca_pem: bytes, dns: Sequence[str],
                 ips: Sequence[str], now: datetime.datetime, renew_days: int = RENEW_DAYS) -> str | None:
    """Why a host's certificate must be (re)issued, or None to keep it."""
    pair = _load_pair(cert_pem, key_pem)
    if pair is None:
        return "missing" if not cert_pem and not key_pem else "unreadable or not matching its key"
    cert = pair[0]
    if not issued_by(cert, x509.load_pem_x509_certificate(ca_pem)):
        return "not issued by the current CA"
    if _not_after(cert) - now < datetime.timedelta(days=renew_days):
        return "expires within %d days" % renew_days
    if cert_names(cert) != (list(dns), list(ips)):
        return "its names changed"
    return None


@contextlib.contextmanager
def locked(directory: str) -> Iterator[None]:
    """The directory (made 0700 if new), held under an exclusive lock for one host's turn."""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    with open(os.path.join(directory, ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _safe_host(host: str) -> str:
    if not host or host.startswith(".") or "/" in host or "\0" in host:
        raise InvalidInput("inventory_hostname %r cannot name a certificate file" % host)
    return host


def ensure_host(directory: str, host: str, names: Iterable[Any], *, certificate: bool = True,
                ca_name: str = "tickstack CA", check_mode: bool = False, now: datetime.datetime | None = None,
                renew_days: int = RENEW_DAYS) -> dict[str, Any]:
    """The CA (and, with ``certificate``, ``host``'s certificate and key), made or reused.

    Returns ``changed``, ``ca`` (PEM), ``certificate``/``private_key`` (PEM, or ''), the
    certificate's ``dns_names``/``ip_addresses`` and ``reasons`` (what was made and why). In check
    mode nothing is written; what would be made is made in memory only.
    """
    now = now or _now()
    if not check_mode:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    ca_path, ca_key_path = os.path.join(directory, "ca.crt"), os.path.join(directory, "ca.key")
    reasons: list[str] = []
    ca_pem, ca_key_pem = _read(ca_path), _read(ca_key_path)
    problem = ca_problem(ca_pem, ca_key_pem, now, renew_days)
    if problem:
        reasons.append("CA: %s" % problem)
        ca_pem, ca_key_pem = new_ca(ca_name, now)
        if not check_mode:
            _write(ca_key_path, ca_key_pem, 0o600)
            _write(ca_path, ca_pem, 0o644)
    result: dict[str, Any] = {"ca": ca_pem.decode(), "certificate": "", "private_key": "",
                              "dns_names": [], "ip_addresses": []}
    if certificate:
        host = _safe_host(host)
        dns, ips = subject_names([host] + list(names))
        cert_path, key_path = os.path.join(directory, host + ".crt"), os.path.join(directory, host + ".key")
        cert_pem, key_pem = _read(cert_path), _read(key_path)
        problem = host_problem(cert_pem, key_pem, ca_pem, dns, ips, now, renew_days)
        if problem:
            reasons.append("%s: %s" % (host, problem))
            cert_pem, key_pem = new_host_cert(host, dns, ips, ca_pem, ca_key_pem, now)
            if not check_mode:
                _write(key_path, key_pem, 0o600)
                _write(cert_path, cert_pem, 0o644)
        result.update(certificate=cert_pem.decode(), private_key=key_pem.decode(), dns_names=dns, ip_addresses=ips)
    result.update(changed=bool(reasons), reasons=reasons)
    return result


def pem_or_file(value: Any, variable: str, reader: Any = None) -> str:
    """PEM content as given, or the content of the controller file it names."""
    text = str(value or "").strip()
    if not text:
        raise InvalidInput("%s is empty: give PEM content (from a vault) or a file on the controller" % variable)
    if text.startswith("-----BEGIN"):
        return text + "\n"
    try:
        data = reader(text) if reader else _read(os.path.expanduser(text))
    except OSError as e:
        raise InvalidInput("%s: cannot read %s: %s" % (variable, text, e)) from e
    if data is None:
        raise InvalidInput("%s: %s does not exist on the controller (give PEM content or a readable file)"
                           % (variable, text))
    data = data.decode() if isinstance(data, bytes) else str(data)
    if "-----BEGIN" not in data:
        raise InvalidInput("%s: %s holds no PEM block" % (variable, text))
    return data.strip() + "\n"


def check_provided(ca_pem: str, cert_pem: str | None, key_pem: str | None, host: str,
                   now: datetime.datetime | None = None) -> list[str]:
    """Problems of user-provided material for ``host`` (each naming the variable), [] when usable."""
    now = now or _now()
    try:
        ca = x509.load_pem_x509_certificate(ca_pem.encode())
    except ValueError:
        return ["tickstack_tls_ca: not a PEM certificate"]
    if cert_pem is None:
        return []
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
    except ValueError:
        return ["tickstack_tls_certificate of %s: not a PEM certificate" % host]
    try:
        key = serialization.load_pem_private_key((key_pem or "").encode(), password=None)
    except (ValueError, TypeError):
        return ["tickstack_tls_private_key of %s: not an unencrypted PEM private key" % host]
    problems = []
    if not key_matches(cert, key):
        problems.append("tickstack_tls_private_key of %s does not match tickstack_tls_certificate" % host)
    if not issued_by(cert, ca):
        problems.append("tickstack_tls_certificate of %s was not issued by tickstack_tls_ca (%s)"
                        % (host, ca.subject.rfc4514_string()))
    if _not_after(cert) <= now:
        problems.append("tickstack_tls_certificate of %s expired on %s" % (host, _not_after(cert).date()))
    return problems


def names_of(host_vars: Mapping[str, Any], extra: Iterable[Any] | None) -> list[Any]:
    """The names a host's certificate carries: ansible_host and tickstack_tls_names."""
    names = [host_vars.get("ansible_host")] if host_vars.get("ansible_host") else []
    return names + list(extra or [])
