# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The primary keys of an OpenPGP key file and their fingerprints (RFC 4880, RFC 9580), without gpg.

A repository's key file (InfluxData's ``influxdata-archive.key``) holds a primary key and subkeys;
apt trusts every key in the file given to ``Signed-By``, and a signature by a subkey counts as the
primary key's. So the pin is on the primary keys: the file must hold exactly the pinned one.
Fingerprints: v4 is SHA-1 over ``0x99``, a 2-octet length and the key packet's body; v5 and v6 are
SHA-256 over ``0x9A``/``0x9B`` and a 4-octet length.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Iterator, List, Tuple

from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput

PUBLIC_KEY = 6
PUBLIC_SUBKEY = 14
_ARMOR = re.compile(
    rb"-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n(.*?)-----END PGP PUBLIC KEY BLOCK-----", re.DOTALL)
_FINGERPRINT = re.compile(r"^(?:[0-9A-F]{40}|[0-9A-F]{64})$")


def _crc24(data: bytes) -> int:
    crc = 0xB704CE
    for octet in data:
        crc ^= octet << 16
        for _bit in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def _dearmor_block(block: bytes) -> bytes:
    lines = block.replace(b"\r", b"").split(b"\n")
    # Armor headers (Version:, Comment:) end at the first empty line; a block may have none.
    if b"" in lines and all(b": " in line for line in lines[:lines.index(b"")]):
        lines = lines[lines.index(b"") + 1:]
    body = [line.strip() for line in lines if line.strip()]
    checksum = None
    if body and body[-1].startswith(b"=") and len(body[-1]) == 5:
        checksum = body.pop()[1:]
    try:
        data = base64.b64decode(b"".join(body), validate=True)
    except (binascii.Error, ValueError) as e:
        raise InvalidInput("the armored key is not valid base64: %s" % e) from e
    if checksum is not None:
        try:
            wanted = int.from_bytes(base64.b64decode(checksum, validate=True), "big")
        except (binascii.Error, ValueError) as e:
            raise InvalidInput("the armored key's checksum line is not valid base64") from e
        if _crc24(data) != wanted:
            raise InvalidInput("the armored key is damaged: its CRC-24 checksum does not match")
    return data


def dearmor(data: bytes) -> bytes:
    """The binary packets of a key file: ASCII-armored (one or more blocks) or already binary."""
    if data.lstrip().startswith(b"-----BEGIN"):
        blocks = _ARMOR.findall(data)
        if not blocks:
            raise InvalidInput("the file is ASCII armor but holds no PGP PUBLIC KEY BLOCK")
        return b"".join(_dearmor_block(block) for block in blocks)
    return data


def packets(data: bytes) -> Iterator[Tuple[int, bytes]]:
    """(tag, body) of each OpenPGP packet in ``data`` (old and new packet formats)."""
    pos = 0
    while pos < len(data):
        header = data[pos]
        if not header & 0x80:
            raise InvalidInput("not an OpenPGP key: octet %d is no packet header" % pos)
        pos += 1
        if header & 0x40:  # new format
            tag = header & 0x3F
            if pos >= len(data):
                raise InvalidInput("not an OpenPGP key: it ends inside a packet header")
            first = data[pos]
            if first < 192:
                length, pos = first, pos + 1
            elif first < 224:
                if pos + 1 >= len(data):
                    raise InvalidInput("not an OpenPGP key: it ends inside a packet header")
                length, pos = ((first - 192) << 8) + data[pos + 1] + 192, pos + 2
            elif first == 255:
                length, pos = int.from_bytes(data[pos + 1:pos + 5], "big"), pos + 5
            else:
                raise InvalidInput("not an OpenPGP key file: packet with partial body lengths")
        else:  # old format
            tag = (header >> 2) & 0x0F
            size = {0: 1, 1: 2, 2: 4}.get(header & 0x03)
            if size is None:  # indeterminate: to the end
                length = len(data) - pos
            else:
                length, pos = int.from_bytes(data[pos:pos + size], "big"), pos + size
        if pos + length > len(data):
            raise InvalidInput("not an OpenPGP key: a packet runs past the end of the file (truncated?)")
        yield tag, data[pos:pos + length]
        pos += length


def fingerprint(body: bytes) -> str:
    """The fingerprint (upper-case hex) of a public key or subkey packet's body."""
    if not body:
        raise InvalidInput("not an OpenPGP key: an empty key packet")
    version = body[0]
    if version == 4:
        return hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body).hexdigest().upper()
    if version in (5, 6):
        prefix = b"\x9a" if version == 5 else b"\x9b"
        return hashlib.sha256(prefix + len(body).to_bytes(4, "big") + body).hexdigest().upper()
    raise InvalidInput("OpenPGP version %d keys are not supported (only versions 4, 5 and 6)" % version)


def key_fingerprints(data: bytes) -> Tuple[List[str], List[str]]:
    """(primary key fingerprints, subkey fingerprints) of a key file's content."""
    primaries, subkeys = [], []
    for tag, body in packets(dearmor(data)):
        if tag == PUBLIC_KEY:
            primaries.append(fingerprint(body))
        elif tag == PUBLIC_SUBKEY:
            subkeys.append(fingerprint(body))
    if not primaries:
        raise InvalidInput("not an OpenPGP public key: the file holds no primary key")
    return primaries, subkeys


def normalize_fingerprint(value: str, name: str = "fingerprint") -> str:
    """``value`` as upper-case hex without spaces or ``0x``; InvalidInput naming ``name`` otherwise."""
    text = re.sub(r"\s+", "", value or "").upper()
    if text.startswith("0X"):
        text = text[2:]
    if not _FINGERPRINT.match(text):
        raise InvalidInput(
            "%s is %r, not a key fingerprint: give the repository key's primary key fingerprint, 40 hex "
            "digits (64 for a v6 key), spaces allowed, as `gpg --show-keys` prints it" % (name, value))
    return text
