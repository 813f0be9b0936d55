#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible modules put DOCUMENTATION, EXAMPLES and RETURN before the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: influxdb1_access
short_description: Prove what users may read and write through a 1.x API (InfluxDB 1.x, or InfluxDB 2's compatibility API)
description:
  - Logs in as each user with its password (HTTP basic authentication, as 1.x clients do) and tries, for
    each database/retention policy listed, a read (C(SELECT) on C(/query)) and a write (C(/write)),
    then compares what was allowed with what was expected.
  - The write sends a line that is not line protocol, so nothing is ever stored. A server that checks
    the permission first answers 400 (allowed, the line refused) or 401/403 (not allowed). InfluxDB 2's
    C(/write) checks the bucket permission before it parses the body.
  - The read is allowed when the query answers 200 without an error in its result; InfluxDB 2 answers a
    database/retention policy the user may not read as not found, in the result.
  - A write answered 401, 403 or 404 (InfluxDB 2, for a bucket the authorization cannot see) is a refusal.
  - Changes nothing; RV(differences) lists every check that did not come out as expected.
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes.info_module, tickstack.influx.influxdb1, tickstack.influx.tls]
options:
  users:
    description: The users to log in as, with their passwords (secrets; never returned).
    type: list
    elements: dict
    required: true
    suboptions:
      username:
        description: The user.
        type: str
        required: true
      password:
        description: Its password.
        type: str
        required: true
  expect:
    description:
      - What each user may do; a user of O(users) without an entry for a database/retention policy
        that another entry names is expected to be refused there.
    type: list
    elements: dict
    required: true
    suboptions:
      username:
        description: The user.
        type: str
        required: true
      database:
        description: The database.
        type: str
        required: true
      retention_policy:
        description: The retention policy.
        type: str
        default: autogen
      read:
        description: Whether it may read.
        type: bool
        default: false
      write:
        description: Whether it may write.
        type: bool
        default: false
notes:
  - O(username) and O(password) (the connection's own) are not used; each check logs in as its user.
seealso:
  - module: tickstack.influx.influxdb2_v1_auth
"""

EXAMPLES = r"""
- name: The 1.x users can do on InfluxDB 2 what they could do before, and nothing more
  tickstack.influx.influxdb1_access:
    url: https://influxdb2.example.com:8086
    users:
      - {username: grafana, password: "{{ vault_grafana_password }}"}
    expect:
      - {username: grafana, database: telegraf, retention_policy: autogen, read: true}
      - {username: grafana, database: app, retention_policy: autogen}
  register: access
  failed_when: access.differences | length > 0
"""

RETURN = r"""
checks:
  description: Every check, with what was expected and what the server answered.
  returned: always
  type: list
  elements: dict
  sample:
    - {username: grafana, database: telegraf, retention_policy: autogen, action: read, expected: true,
       allowed: true, status: 200}
differences:
  description: The checks whose outcome was not the expected one (empty when everything matched).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import ApiError, tls_options
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb1 import (
    InfluxDB1Client,
    influxdb1_argument_spec,
    quote_ident,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import run_module

# Not line protocol (no field): refused by the parser, which runs only after the permission check.
PROBE_LINE = "tickstack_access_probe"
DENIED = (401, 403)


def _answer(client, method, path, query, data=None):
    """(status, error text) of one call; a denial is an answer here, not a failure."""
    try:
        resp = client.http.request(method, path, query=query, data=data, content_type="text/plain; charset=utf-8",
                                   expect=tuple(range(200, 600)), idempotent=method == "GET")
    except ApiError as e:
        return e.status or 0, str(e)
    text = resp.text or ""
    return resp.status, text


def can_read(client, database, retention_policy):
    """Allowed: 200 and no error in the result (InfluxDB 2 answers a DBRP the user may not read as not found)."""
    status, text = _answer(client, "GET", "/query", {
        "db": database, "rp": retention_policy,
        "q": "SELECT * FROM %s.%s./.*/ LIMIT 1" % (quote_ident(database), quote_ident(retention_policy))})
    return status == 200 and '"error"' not in text, status


def can_write(client, database, retention_policy):
    """Allowed: the line is refused as not line protocol (400), or taken (204).

    InfluxDB 2 answers 404 for a bucket the authorization cannot see and 401/403 for one it may not
    write; 1.x answers 403.
    """
    status, _text = _answer(client, "POST", "/write", {"db": database, "rp": retention_policy}, data=PROBE_LINE)
    if status in DENIED + (404,):
        return False, status
    if status in (400, 204):
        return True, status
    raise ApiError("unexpected answer %d to a write probe on %s/%s" % (status, database, retention_policy),
                   status=status, method="POST", url="%s/write" % client.url)


def ensure(module, connect_as):
    params = module.params
    passwords = {}
    for user in params["users"]:
        passwords[user["username"]] = user["password"]
    expected = {}
    for entry in params["expect"]:
        if entry["username"] not in passwords:
            raise InvalidInput("expect: %s has no password in users" % entry["username"])
        expected[(entry["username"], entry["database"], entry["retention_policy"])] = entry
    places = sorted({(db, rp) for _user, db, rp in expected})
    checks = []
    for username in sorted(passwords):
        client = connect_as(username, passwords[username])
        for database, retention_policy in places:
            want = expected.get((username, database, retention_policy), {})
            for action, probe in (("read", can_read), ("write", can_write)):
                allowed, status = probe(client, database, retention_policy)
                checks.append({"username": username, "database": database, "retention_policy": retention_policy,
                               "action": action, "expected": bool(want.get(action)), "allowed": allowed,
                               "status": status})
    return {"changed": False, "checks": checks, "differences": [c for c in checks if c["allowed"] != c["expected"]]}


def connect(module, transport=None):
    params = module.params

    def connect_as(username, password):
        return InfluxDB1Client(params["url"], username=username, password=password, transport=transport,
                               retries=1, **tls_options(params))
    return connect_as


def main():
    run_module(influxdb1_argument_spec(
        users=dict(type="list", elements="dict", required=True, no_log=False, options=dict(
            username=dict(type="str", required=True),
            password=dict(type="str", required=True, no_log=True))),
        expect=dict(type="list", elements="dict", required=True, options=dict(
            username=dict(type="str", required=True),
            database=dict(type="str", required=True),
            retention_policy=dict(type="str", default="autogen"),
            read=dict(type="bool", default=False),
            write=dict(type="bool", default=False))),
    ), ensure, connect, action=lambda p: "cannot check access at %s" % p["url"])


if __name__ == "__main__":
    main()
