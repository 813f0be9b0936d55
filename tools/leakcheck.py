#!/usr/bin/env python
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Count the secrets in a log: raw, base64 and URL-encoded. Exit 1 when any is found.

    tools/leakcheck.py LOG --secrets-file secrets.json [--secret KIND=VALUE ...]

``secrets.json`` maps a kind ("slack webhook", "kapacitor url password") to a value or a list of
values; prefer it to ``--secret``, whose values are visible in the process list. The table has one
row per kind. Forms searched for each value:

* raw, and JSON-escaped when that differs (a ``"`` or ``\\`` inside a value);
* base64 at the three alignments a value can take inside a longer encoded string (``Basic
  base64(user:password)`` holds the password at an offset), standard and URL-safe alphabets, only
  the characters that depend on the value alone;
* URL-encoded (``quote`` and ``quote_plus``) when that differs from raw.

Exit status: 0 nothing found, 1 something found, 2 bad usage.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

FORMS = ("raw", "base64", "urlencoded")
# Shorter values give base64 fragments that match by chance; they are searched raw only.
MIN_BASE64_LENGTH = 6


def base64_fragments(secret: str) -> set[str]:
    """The base64 text that encodes ``secret`` wherever it sits in a longer encoded string."""
    data = secret.encode("utf-8")
    found = set()
    if len(data) < MIN_BASE64_LENGTH:
        return found
    for offset in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * offset + data).decode("ascii")
            start = -(-8 * offset // 6)            # the first character made of the value's bits only
            stop = 8 * (offset + len(data)) // 6   # the last one not mixed with what follows
            fragment = encoded[start:stop]
            if fragment:
                found.add(fragment)
    return found


def forms(secret: str) -> dict[str, set[str]]:
    """Every searched spelling of ``secret``, by form."""
    raw = {secret, json.dumps(secret)[1:-1]}
    encoded = {quote(secret, safe=""), quote_plus(secret, safe="")} - raw
    return {"raw": raw, "base64": base64_fragments(secret), "urlencoded": encoded}


def count(text: str, secrets: dict[str, list[str]]) -> dict[str, dict[str, int]]:
    """Occurrences in ``text`` of each kind's values, by form (a spelling shared by two forms counts once)."""
    result = {}
    for kind, values in secrets.items():
        counts = dict.fromkeys(FORMS, 0)
        for value in values:
            seen = set()
            for form, spellings in forms(value).items():
                for spelling in sorted(spellings - seen):
                    counts[form] += text.count(spelling)
                seen |= spellings
        result[kind] = counts
    return result


def table(counts: dict[str, dict[str, int]]) -> str:
    width = max([len("secret")] + [len(kind) for kind in counts])
    lines = ["%-*s  %5s  %6s  %10s  %5s" % (width, "secret", "raw", "base64", "urlencoded", "total")]
    for kind, by_form in counts.items():
        lines.append("%-*s  %5d  %6d  %10d  %5d" % (width, kind, by_form["raw"], by_form["base64"],
                                                    by_form["urlencoded"], sum(by_form.values())))
    return "\n".join(lines)


def load_secrets(path: str | None, pairs: list[str]) -> dict[str, list[str]]:
    """Secrets by kind, from the JSON file and ``KIND=VALUE`` pairs; raises ValueError with the reason."""
    secrets: dict[str, list[str]] = {}
    if path:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("%s: expected a JSON object of kind -> value or list of values" % path)
        for kind, values in data.items():
            for value in values if isinstance(values, list) else [values]:
                secrets.setdefault(str(kind), []).append(str(value))
    for pair in pairs:
        kind, sep, value = pair.partition("=")
        if not sep:
            raise ValueError("--secret %r: use KIND=VALUE" % kind)
        secrets.setdefault(kind, []).append(value)
    for kind, values in secrets.items():
        if not all(values):
            raise ValueError("secret %r: an empty value would match everywhere" % kind)
    if not secrets:
        raise ValueError("no secrets given: use --secrets-file or --secret")
    return secrets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("log", help="the log file to search")
    parser.add_argument("--secrets-file", help="JSON object: kind -> value or list of values")
    parser.add_argument("--secret", action="append", default=[], metavar="KIND=VALUE",
                        help="one more secret (visible in the process list: prefer --secrets-file)")
    args = parser.parse_args(argv)
    try:
        secrets = load_secrets(args.secrets_file, args.secret)
        text = Path(args.log).read_text(encoding="utf-8", errors="replace")
    except (OSError, ValueError) as e:
        print("leakcheck: %s" % e, file=sys.stderr)
        return 2
    counts = count(text, secrets)
    print(table(counts))
    found = sum(sum(by_form.values()) for by_form in counts.values())
    print("%d occurrence(s) of %d secret kind(s) in %s" % (found, len(counts), args.log))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
