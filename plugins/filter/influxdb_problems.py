# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``influxdb_problems`` filter: what is wrong with the influxdb role's variables, each message naming
the variable and the fix, for the role's preflight to fail with all of them at once before anything is
written. See ``influxdb_problems.yml`` for the options.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.tickstack.influx.plugins.plugin_utils.variables import (
    empty as _empty,
    integer as _int,
    items as _items,
)

SETUP_PASSWORD_MIN = 8
CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----")
PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def influxdb_problems(model: Any) -> list[str]:
    if not isinstance(model, Mapping):
        raise AnsibleFilterError("influxdb_problems: expected the influxdb role's variables as a dict, got %s"
                                 % type(model).__name__)
    problems = []
    setup = bool(model.get("setup"))
    orgs, buckets, users = _items(model.get("orgs")), _items(model.get("buckets")), _items(model.get("users"))
    token_needed = setup or bool(orgs or buckets or users)
    if token_needed and _empty(model.get("operator_token")):
        problems.append("influxdb_operator_token is empty: set the operator token (from a vault); the role onboards "
                        "with it and manages organizations, buckets and users with it.")
    if setup:
        if len(_text(model.get("setup_password"))) < SETUP_PASSWORD_MIN:
            problems.append("With influxdb_setup, influxdb_setup_password needs at least %d characters (InfluxDB "
                            "refuses shorter ones; keep it in a vault)." % SETUP_PASSWORD_MIN)
        empty = [name for name in ("setup_username", "setup_org", "setup_bucket") if _empty(model.get(name))]
        if empty:
            problems.append("With influxdb_setup, %s must not be empty." % ", ".join("influxdb_" + name for name in empty))
    unnamed = [name for name, items in (("influxdb_orgs", orgs), ("influxdb_buckets", buckets))
               if any(not isinstance(item, Mapping) or "name" not in item for item in items)]
    if unnamed:
        problems.append("Every item of %s needs a name." % " and ".join(unnamed))
    if not setup and any(isinstance(item, Mapping) and "org" not in item for item in buckets):
        problems.append("Without influxdb_setup every item of influxdb_buckets needs an org.")
    certificate, key = _text(model.get("tls_certificate")), _text(model.get("tls_private_key"))
    if (bool(certificate) != bool(key) or (certificate and not CERTIFICATE.search(certificate))
            or (key and not PRIVATE_KEY.search(key))):
        problems.append("influxdb_tls_certificate and influxdb_tls_private_key go together and hold PEM content "
                        "(-----BEGIN CERTIFICATE----- / -----BEGIN ... PRIVATE KEY-----), not paths: read a file "
                        "from the controller with lookup('ansible.builtin.file', path).")
    if model.get("backup_enabled"):
        wrong = []
        if not model.get("cli_install"):
            wrong.append("the influx CLI (influxdb_cli_install: true; it runs `influx backup`)")
        if _empty(model.get("operator_token")):
            wrong.append("influxdb_operator_token")
        if not _text(model.get("backup_dir")).startswith("/") or len(_text(model.get("backup_dir"))) < 2:
            wrong.append("an absolute influxdb_backup_dir (it is '%s')" % _text(model.get("backup_dir")))
        if _int(model.get("backup_keep")) < 1:
            wrong.append("influxdb_backup_keep of at least 1 (it is '%s')" % _text(model.get("backup_keep")))
        if _empty(model.get("backup_schedule")):
            wrong.append("an OnCalendar= influxdb_backup_schedule")
        if wrong:
            problems.append("influxdb_backup_enabled needs %s. Or set influxdb_backup_enabled to false."
                            % ", ".join(wrong))
    return problems


class FilterModule:
    """The influxdb role's checks of its variables."""

    def filters(self) -> dict:
        return {"influxdb_problems": influxdb_problems}
