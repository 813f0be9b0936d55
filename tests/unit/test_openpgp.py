"""The repository key check: primary key fingerprints read from the OpenPGP packets, without gpg.

The fixtures are throwaway public keys made with gpg 2.2 (``--quick-gen-key``/``--quick-add-key``);
the expected fingerprints are the ones ``gpg --show-keys --with-colons`` printed for them.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest

import collection_path  # noqa: F401 pylint: disable=unused-import  # the collection on sys.path
from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput, OperationFailed
from ansible_collections.tickstack.influx.plugins.module_utils.openpgp import (
    dearmor, key_fingerprints, normalize_fingerprint, packets)

FIXTURES = Path(__file__).parent / "fixtures" / "openpgp"
RSA = "306BDE8EAA7C8C8D880546CC7887E41703376992"
RSA_SUBKEYS = ["674069CB758F7132B6ADA10F3BDA7831EF4EFEC5", "9E4DC01E055E37AE651CFEEF31498FE49885D3A9"]
ED25519 = "BF1590D85EC323CFFD920E1CF1D9BDA06B3C3BD6"
ED25519_SUBKEY = "55AD1AD0DD2062C1EA5FADCF89E010F083EB07FB"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize("name", ["rsa-with-subkeys.asc", "rsa-with-subkeys.gpg"])
def test_primary_and_subkeys_of_an_rsa_key_armored_or_binary(name):
    assert key_fingerprints(fixture(name)) == ([RSA], RSA_SUBKEYS)


def test_ed25519_key_with_a_signing_subkey():
    assert key_fingerprints(fixture("ed25519-with-subkey.asc")) == ([ED25519], [ED25519_SUBKEY])


def test_a_file_with_two_keys_lists_both_primaries():
    primaries, subkeys = key_fingerprints(fixture("two-keys.asc"))
    assert primaries == [RSA, ED25519]
    assert subkeys == RSA_SUBKEYS + [ED25519_SUBKEY]


def test_armor_and_binary_give_the_same_packets():
    assert dearmor(fixture("rsa-with-subkeys.asc")) == fixture("rsa-with-subkeys.gpg")


def test_crlf_armor_is_read():
    crlf = fixture("ed25519-with-subkey.asc").replace(b"\n", b"\r\n")
    assert key_fingerprints(crlf)[0] == [ED25519]


def test_damaged_armor_fails_its_checksum():
    text = fixture("ed25519-with-subkey.asc").decode()
    lines = text.split("\n")
    body = [i for i, line in enumerate(lines) if line and not line.startswith(("-----", "=")) and ":" not in line]
    line = lines[body[2]]
    lines[body[2]] = ("B" if line[0] != "B" else "C") + line[1:]
    with pytest.raises(InvalidInput, match="CRC-24"):
        dearmor("\n".join(lines).encode())


def test_truncated_key_is_refused():
    with pytest.raises(InvalidInput, match="truncated"):
        key_fingerprints(fixture("rsa-with-subkeys.gpg")[:500])


@pytest.mark.parametrize("content, message", [
    (b"<html>not found</html>", "no packet header"),
    (b"", "no primary key"),
    (b"-----BEGIN PGP MESSAGE-----\nabc\n-----END PGP MESSAGE-----\n", "no PGP PUBLIC KEY BLOCK"),
])
def test_what_is_not_a_key_is_refused(content, message):
    with pytest.raises(InvalidInput, match=message):
        key_fingerprints(content)


def test_a_file_of_subkeys_only_has_no_primary_key():
    binary = dearmor(fixture("ed25519-with-subkey.asc"))
    # Keep only the subkey packet, re-framed in the new format (tag 14).
    body = [b for tag, b in packets(binary) if tag == 14][0]
    assert len(body) < 192
    with pytest.raises(InvalidInput, match="no primary key"):
        key_fingerprints(bytes([0xC0 | 14, len(body)]) + body)


def test_old_format_packet_headers_are_read():
    body = [b for tag, b in packets(dearmor(fixture("ed25519-with-subkey.asc"))) if tag == 6][0]
    old = bytes([0x80 | (6 << 2) | 0, len(body)]) + body
    assert key_fingerprints(old) == ([ED25519], [])


def test_v6_fingerprint_is_sha256_over_the_key_packet():
    body = bytes([6]) + b"\x00" * 10
    packet = bytes([0xC0 | 6, len(body)]) + body
    expected = hashlib.sha256(b"\x9b" + len(body).to_bytes(4, "big") + body).hexdigest().upper()
    assert key_fingerprints(packet)[0] == [expected]


def test_v3_keys_are_refused():
    body = bytes([3]) + b"\x00" * 10
    with pytest.raises(InvalidInput, match="version 3"):
        key_fingerprints(bytes([0xC0 | 6, len(body)]) + body)


@pytest.mark.parametrize("value", [
    "24C975CBA61A024EE1B631787C3D57159FC2F927",
    "24c975cba61a024ee1b631787c3d57159fc2f927",
    "24C9 75CB A61A 024E E1B6  3178 7C3D 5715 9FC2 F927",
    "0x24C975CBA61A024EE1B631787C3D57159FC2F927",
])
def test_fingerprints_are_normalized(value):
    assert normalize_fingerprint(value) == "24C975CBA61A024EE1B631787C3D57159FC2F927"


@pytest.mark.parametrize("value", ["", "7C3D57159FC2F927", "24C975CBA61A024EE1B631787C3D57159FC2F92G", None])
def test_a_bad_fingerprint_names_the_variable(value):
    with pytest.raises(InvalidInput, match="^influxdb_repo_key_fingerprint is .* not a key fingerprint"):
        normalize_fingerprint(value, "influxdb_repo_key_fingerprint")


def test_base64_garbage_in_armor_is_refused():
    armor = b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n" + base64.b64encode(b"x")[:-1] + b"!\n" \
        + b"-----END PGP PUBLIC KEY BLOCK-----\n"
    with pytest.raises(InvalidInput, match="base64"):
        dearmor(armor)


# --- the module: what it writes, and that a mismatch trusts nothing ------------------------------

class FakeModule:
    """What ``repo_signing_key.ensure`` uses of AnsibleModule."""

    def __init__(self, dest, fingerprint, check_mode=False):
        self.params = {"url": "http://mirror.invalid/influxdata-archive.key", "dest": str(dest),
                       "fingerprint": fingerprint, "fingerprint_variable": "telegraf_repo_key_fingerprint",
                       "timeout": 30, "validate_certs": True}
        self.check_mode = check_mode

    def atomic_move(self, src, dest):
        os.replace(src, dest)

    def load_file_common_arguments(self, params, path=None):
        return {"path": path}

    def set_fs_attributes_if_different(self, file_args, changed):
        return changed


@pytest.fixture
def signing_key(monkeypatch):
    from ansible_collections.tickstack.influx.plugins.modules import repo_signing_key
    monkeypatch.setattr(repo_signing_key, "download", lambda module, url: fixture("ed25519-with-subkey.asc"))
    return repo_signing_key


def test_module_writes_the_pinned_key_once(tmp_path, signing_key):
    dest = tmp_path / "keyrings" / "influxdata-archive.asc"
    first = signing_key.ensure(FakeModule(dest, ED25519.lower()), None)
    assert first == {"changed": True, "fingerprint": ED25519, "subkeys": [ED25519_SUBKEY], "dest": str(dest)}
    assert dest.read_bytes() == fixture("ed25519-with-subkey.asc")
    assert signing_key.ensure(FakeModule(dest, ED25519), None)["changed"] is False


def test_module_check_mode_writes_nothing(tmp_path, signing_key):
    dest = tmp_path / "influxdata-archive.asc"
    assert signing_key.ensure(FakeModule(dest, ED25519, check_mode=True), None)["changed"] is True
    assert not dest.exists()


@pytest.mark.parametrize("pinned", [RSA, ED25519_SUBKEY])
def test_module_refuses_another_key_or_the_subkey_and_keeps_the_old_one(tmp_path, signing_key, pinned):
    dest = tmp_path / "influxdata-archive.asc"
    dest.write_bytes(b"the key trusted before")
    with pytest.raises(OperationFailed) as failure:
        signing_key.ensure(FakeModule(dest, pinned), None)
    assert "has the primary key fingerprint %s, but telegraf_repo_key_fingerprint pins %s" % (ED25519, pinned) \
        in str(failure.value)
    assert "Nothing was trusted" in str(failure.value)
    assert dest.read_bytes() == b"the key trusted before"


def test_module_refuses_a_file_with_a_second_primary_key(tmp_path, monkeypatch, signing_key):
    monkeypatch.setattr(signing_key, "download", lambda module, url: fixture("two-keys.asc"))
    with pytest.raises(OperationFailed, match="%s, %s, but" % (RSA, ED25519)):
        signing_key.ensure(FakeModule(tmp_path / "k.asc", RSA), None)
    assert not (tmp_path / "k.asc").exists()
