#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible modules put DOCUMENTATION, EXAMPLES and RETURN before the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: influxdb2_token_probe
short_description: Read a host's copies of its InfluxDB 2 tokens and ask InfluxDB whether it still accepts each
description:
  - For each entry of O(copies), reads the token file on the host the module runs on (a root-only copy
    such as the stack role keeps, the only copy of a token once InfluxDB 2.9 hashes it), and asks
    InfluxDB with it for one bucket (C(GET /api/v2/buckets?limit=1)). Any valid token may list buckets
    (it sees only its own); an unknown, deleted or inactive one gets HTTP 401.
  - One request per copy that exists, from the host itself, so the answer also proves that this host
    reaches InfluxDB at O(url).
  - Reads only. The values are returned, so that a play can reuse them; run it with C(no_log).
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes.info_module, tickstack.influx.influxdb2, tickstack.influx.tls]
options:
  copies:
    description:
      - The token file of each name (a service, V(kapacitor) or V(telegraf)); the file holds the token and
        optionally a final newline.
    type: dict
    required: true
  absent:
    description:
      - Files that should not be on the host (for example a credential copy of a mode the host left); which
        of them exist is reported in RV(present), nothing of them is read.
    type: list
    elements: path
    default: []
  read:
    description:
      - Other small files of the host whose content to return in RV(read) (for example the root-only
        environment file that keeps a relay's passwords), in the same round trip. They may hold secrets.
    type: list
    elements: path
    default: []
notes:
  - The O(token), O(org) and O(org_id) options are not used (each copy is sent as its own token); they are
    accepted so that the C(group/tickstack.influx.influxdb2) module defaults apply.
  - O(url) is InfluxDB as this host reaches it.
  - A copy that InfluxDB could not judge (no answer, or neither HTTP 200 nor 401 once the retries are
    spent) fails the module, naming the copy and the URL, never the token.
seealso:
  - module: tickstack.influx.influxdb2_token
  - module: tickstack.influx.host_layout
"""

EXAMPLES = r"""
- name: Read this host's tokens and ask InfluxDB whether it accepts them
  tickstack.influx.influxdb2_token_probe:
    url: https://influxdb.example.com:8086
    ca_path: /etc/tickstack/tls/ca.pem
    copies:
      kapacitor: /etc/tickstack/tokens/kapacitor.token
  register: probe
  no_log: true

- name: Issue a new token when the copy is missing or refused
  tickstack.influx.influxdb2_token:
    description: kapacitor on {{ inventory_hostname }}
    permissions: [{action: read, resource: {type: buckets}}]
    rotate: "{{ not probe.copies.kapacitor.accepted }}"
  delegate_to: localhost
  no_log: true
"""

RETURN = r"""
copies:
  description: For each name of O(copies), what was found and what InfluxDB answered.
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the file exists and holds a token.
      type: bool
    accepted:
      description: Whether InfluxDB accepted the token (HTTP 200); V(false) when it refused it (401) or there is none.
      type: bool
    value:
      description: The token, or V(null) when there is none. A secret.
      type: str
    mode:
      description: The file's mode (four octal digits), or V(null).
      type: str
    uid:
      description: The numeric ID of the file's owner, or V(null).
      type: int
    gid:
      description: The numeric ID of the file's group, or V(null).
      type: int
    directory:
      description: The C(mode), C(uid) and C(gid) of the file's directory (each V(null) when it does not exist).
      type: dict
  sample:
    kapacitor: {exists: true, accepted: true, value: "(the token)", mode: "0600", uid: 0, gid: 0,
                directory: {mode: "0755", uid: 0, gid: 0}}
read:
  description: For each path of O(read), its content, or V(null) when it does not exist. May hold secrets.
  returned: always
  type: dict
  sample: {/etc/kapacitor-write-relay/environment: "(the file)"}
present:
  description: The paths of O(absent) that exist.
  returned: always
  type: list
  elements: str
  sample: [/etc/telegraf/.kapacitor-password]
"""

import os
import stat

from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import ApiError, AuthenticationFailed, tls_options
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import InfluxDB2Client, influxdb2_argument_spec
from ansible_collections.tickstack.influx.plugins.module_utils.runner import run_module


def owner_of(info):
    if info is None:
        return {"mode": None, "uid": None, "gid": None}
    return {"mode": "%04o" % stat.S_IMODE(info.st_mode), "uid": info.st_uid, "gid": info.st_gid}


def read_copy(path):
    """The token in ``path``, the file's mode and owner, and its directory's; the token is None when there is none."""
    try:
        directory = owner_of(os.stat(os.path.dirname(path)))
    except (FileNotFoundError, NotADirectoryError):
        directory = owner_of(None)
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            data = handle.read(65536)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None, dict(owner_of(None), directory=directory)
    except OSError as e:
        raise InvalidInput("copies: cannot read %s: %s" % (path, e.strerror or e)) from e
    value = data.decode("utf-8", "replace").strip()
    return (value or None), dict(owner_of(info), directory=directory)


def check_params(params):
    for name, path in params["copies"].items():
        if not isinstance(path, str) or not os.path.isabs(path):
            raise InvalidInput("copies: the file of %s must be an absolute path, not %r" % (name, path))
    for option in ("absent", "read"):
        for path in params[option]:
            if not os.path.isabs(path):
                raise InvalidInput("%s: %r is not an absolute path" % (option, path))


def read_file(path):
    try:
        with open(path, "rb") as handle:
            return handle.read(65536).decode("utf-8", "replace")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    except OSError as e:
        raise InvalidInput("read: cannot read %s: %s" % (path, e.strerror or e)) from e


def accepted(params, name, value):
    client = InfluxDB2Client(url=params["url"], token=value, **tls_options(params))
    try:
        # A reply that is not InfluxDB's bucket list (a proxy's sign-in page) is no proof: it fails.
        client.http.get("/api/v2/buckets", query={"limit": "1"}, required=("buckets",))
    except AuthenticationFailed:
        return False
    except ApiError as e:
        e.message = "cannot check this host's %s token with InfluxDB: %s" % (name, e.message)
        raise
    return True


def ensure(module, _client):
    params = module.params
    check_params(params)
    copies = {}
    for name in sorted(params["copies"]):
        value, info = read_copy(params["copies"][name])
        copies[name] = dict(info, exists=value is not None, value=value,
                            accepted=value is not None and accepted(params, name, value))
    present = [path for path in params["absent"] if os.path.lexists(path)]
    return {"changed": False, "copies": copies, "present": present,
            "read": dict((path, read_file(path)) for path in params["read"])}


def main():
    run_module(influxdb2_argument_spec(copies=dict(type="dict", required=True),
                                       absent=dict(type="list", elements="path", default=[]),
                                       read=dict(type="list", elements="path", default=[])),
               ensure, lambda module: None, action="probe the token copies")


if __name__ == "__main__":
    main()
