# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What is secret in free-form values (handler options, URLs), in one place.

Everything here is derived from :func:`option_secrets`, the one rule: the secret substrings of one
value under one option name. Masking (:func:`mask`) and the module's ``no_log_values``
(:func:`secret_values`) both come from it, so what a diff hides and what Ansible scrubs from the
whole result, ``invocation`` included, can never disagree.

The rules:

* an option whose *name* says it holds a secret is secret as a whole: names containing ``password``,
  ``passwd``, ``secret``, ``token``, ``authorization``, ``credential``, ``webhook``, ``apikey`` or
  ``dsn``; and names with a word (split at ``-``, ``_``, ``.``, spaces and camelCase) that is ``key``,
  ``url``, ``uri``, ``pass`` (plural too) or ends in ``key`` or ``url`` (``routing-key``, ``api_key``,
  ``webhookUrl``). A URL option is secret because chat webhooks (Slack, Teams, Discord, Mattermost)
  carry their credential in the URL itself: a Slack ``url`` *is* the key;
* in any other string, every URL-looking part (``scheme://...``) is searched: the password of its
  userinfo (``user:password@``), or the whole userinfo when it has no password (``https://key@host``,
  a Sentry-style DSN); the whole URL when its host or path says webhook (``hooks.slack.com``,
  ``/hooks/``, ``/webhook/``, ``/webhooks/``); the values of query parameters with secret names
  (``?token=``, ``?key=``, ``?sig=``).

Everything else stays visible (``channel``, ``username``, ``path``, ``topics``...): a diff that hides
everything says nothing.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

MASK = "********"

# A secret name contains one of these anywhere.
SECRET_NAME_PARTS = ("password", "passwd", "secret", "token", "authorization", "credential", "webhook",
                     "apikey", "dsn")
# ... or has one of these as a whole word ...
SECRET_NAME_WORDS = frozenset(("key", "keys", "url", "urls", "uri", "uris", "pass"))
# ... or a word ending in one of these.
SECRET_NAME_ENDINGS = ("key", "url", "urls")
# Query parameters of a URL whose values are credentials.
SECRET_QUERY_NAMES = frozenset(("sig", "signature", "code", "auth", "apikey", "api_key", "access_token"))
# A path segment or host label that makes a whole URL a webhook (its path is the credential).
WEBHOOK_SEGMENTS = frozenset(("hooks", "webhook", "webhooks"))

_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
# A URL inside free text: the scheme, then anything up to whitespace or a quote.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>`]+")


def is_secret_name(name) -> bool:
    """Whether an option called ``name`` holds a secret as a whole (see the module docstring)."""
    text = str(name)
    lowered = text.lower()
    if any(part in lowered for part in SECRET_NAME_PARTS):
        return True
    words = [w.lower() for w in _WORDS.findall(text)]
    return any(w in SECRET_NAME_WORDS or w.endswith(SECRET_NAME_ENDINGS) for w in words)


def url_secrets(text) -> set:
    """The secret parts of every URL in the string ``text`` (userinfo, webhook URLs, secret query values)."""
    found = set()
    for match in _URL.finditer(str(text)):
        url = match.group(0).rstrip(".,;:)]}")
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
        except ValueError:  # not a URL after all (a bad port, brackets): keep it whole, to be safe
            found.add(url)
            continue
        userinfo, at, _hostport = parts.netloc.rpartition("@")
        if at and userinfo:
            _user, colon, password = userinfo.partition(":")
            found.update(_raw_and_decoded(password if colon else userinfo))
        segments = [s.lower() for s in parts.path.split("/") if s]
        labels = host.split(".")
        webhook_host = any(label in WEBHOOK_SEGMENTS or "webhook" in label for label in labels)
        if webhook_host or WEBHOOK_SEGMENTS.intersection(segments):
            found.add(url)
            continue
        for name, value in parse_qsl(parts.query, keep_blank_values=False):
            if value and (is_secret_name(name) or name.lower() in SECRET_QUERY_NAMES):
                found.update(_raw_and_decoded(value))
                found.update(v for v in re.findall(r"(?:^|&)%s=([^&#]+)" % re.escape(name), parts.query) if v)
    return found


def _raw_and_decoded(value):
    return {v for v in (value, unquote(value)) if v}


def option_secrets(name, value, inherited=False) -> set:
    """THE rule: the secret substrings of the scalar ``value`` of the option ``name``.

    ``inherited`` is true inside a secret option (``headers: {Authorization: ...}`` under a secret
    name, or a list under ``urls``). Booleans, ``None`` and empty strings are never secret.
    """
    if value is None or isinstance(value, bool) or value == "":
        return set()
    if inherited or (name is not None and is_secret_name(name)):
        return {str(value)}
    if isinstance(value, str):
        return url_secrets(value)
    return set()


def secret_values(tree, name=None, inherited=False) -> set:
    """Every secret substring in a nested structure of options (for ``module.no_log_values``)."""
    found = set()
    if isinstance(tree, dict):
        for key, item in tree.items():
            found |= secret_values(item, key, inherited or is_secret_name(key))
    elif isinstance(tree, (list, tuple)):
        for item in tree:
            found |= secret_values(item, name, inherited)
    else:
        found |= option_secrets(name, tree, inherited)
    return found


def mask(tree, name=None, inherited=False):
    """A copy of ``tree`` with every secret (by :func:`option_secrets`) replaced with :data:`MASK`."""
    if isinstance(tree, dict):
        return dict((key, mask(item, key, inherited or is_secret_name(key))) for key, item in tree.items())
    if isinstance(tree, list):
        return [mask(item, name, inherited) for item in tree]
    secrets = option_secrets(name, tree, inherited)
    if not secrets:
        return tree
    text = str(tree)
    if text in secrets:
        return MASK
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
