# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``stack_kapacitor_outputs`` filter: a Telegraf host's outputs to Kapacitor, as the stack wires them.

One output per Kapacitor host whose stream tasks read what the host writes (the stack plan's
``kapacitor_write_targets``), in the telegraf role's ``telegraf_kapacitor_outputs`` shape
(``urls``, ``username``, ``password``):

* the first Kapacitor host at the stack's Kapacitor URL (or its write relay's URL), as with one host;
  the others by inventory name, on the same port;
* with the write relay, each output logs in as the relay's listener user, with that relay's password:
  from the Kapacitor host's facts (worked out there by ``relay_secrets.yml``), else from the relay's
  environment file read on that host (a Kapacitor host outside a ``--limit`` run);
* without it, with this host's own Kapacitor user (``kapacitor_user.yml``);
* a Kapacitor outside the inventory (an empty Kapacitor group) gets the points at the stack's Kapacitor URL.

``stack_relay_env_secrets`` reads both of a relay's passwords from its environment file (relay_secrets.yml
keeps them; this filter's fallback reads the listener's). See the ``.yml`` file of each filter.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
import re
from typing import Any
from urllib.parse import urlsplit

from ansible.errors import AnsibleFilterError

# Set on each Kapacitor host by roles/stack/tasks/relay_secrets.yml.
SECRETS_FACT = "__stack_relay_secrets"
# The relay's environment file (roles/stack/tasks/kapacitor_relay.yml): its listener's password and its
# Kapacitor user's.
PASSWORDS = {
    "listener": re.compile(r"(?m)^TICKSTACK_RELAY_LISTENER_PASSWORD=([0-9A-Za-z]+)$"),
    "kapacitor": re.compile(r"(?m)^TICKSTACK_RELAY_KAPACITOR_PASSWORD=([0-9A-Za-z]+)$"),
}


def _port(url: str) -> int:
    try:
        return urlsplit(url).port or 9092
    except ValueError as e:
        raise AnsibleFilterError("stack_kapacitor_outputs: %s is not a URL (%s)" % (url, e)) from e


def stack_relay_env_secrets(result: Any) -> dict[str, str]:
    """The relay's two passwords in its environment file - a slurp result, or the file's text (None: no
    file) - '' for each one not there."""
    text = result if isinstance(result, str) else ""
    content = result.get("content") if isinstance(result, Mapping) else None
    if content:
        try:
            text = base64.b64decode(content).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            text = ""
    found = {name: pattern.search(text) for name, pattern in PASSWORDS.items()}
    return {name: match.group(1) if match else "" for name, match in found.items()}


def stack_kapacitor_outputs(targets: Any, kapacitor_hosts: Any, kapacitor_url: str, scheme: str = "http",
                            relay: bool = False, relay_url: str = "", relay_port: Any = 9093,
                            relay_username: str = "", relay_facts: Any = None, relay_files: Any = None,
                            credentials: Any = None) -> list[dict[str, Any]]:
    if not isinstance(targets, (list, tuple)) or not isinstance(kapacitor_hosts, (list, tuple)):
        raise AnsibleFilterError("stack_kapacitor_outputs: expected the plan's kapacitor_write_targets and the "
                                 "Kapacitor group's hosts, as lists")
    if not kapacitor_hosts:
        return [{"urls": [kapacitor_url]}] if kapacitor_url else []
    facts = list(relay_facts) if isinstance(relay_facts, (list, tuple)) else []
    files = (relay_files or {}).get("results") if isinstance(relay_files, Mapping) else None
    files = files if isinstance(files, list) else []
    own = credentials if isinstance(credentials, Mapping) else {}
    first_url = relay_url if relay else kapacitor_url
    port = relay_port if relay else _port(kapacitor_url)
    outputs = []
    for index, host in enumerate(targets):
        url = first_url if host == kapacitor_hosts[0] else "%s://%s:%s" % (scheme, host, port)
        if relay:
            host_facts = facts[index] if index < len(facts) and isinstance(facts[index], Mapping) else {}
            known = host_facts.get(SECRETS_FACT)
            if isinstance(known, Mapping) and known.get("listener"):
                password = known["listener"]
            else:
                password = stack_relay_env_secrets(files[index] if index < len(files) else None)["listener"]
            outputs.append({"urls": [url], "username": relay_username, "password": password})
        else:
            outputs.append({"urls": [url], "username": own.get("name") or "", "password": own.get("password") or ""})
    return outputs


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"stack_kapacitor_outputs": stack_kapacitor_outputs, "stack_relay_env_secrets": stack_relay_env_secrets}
