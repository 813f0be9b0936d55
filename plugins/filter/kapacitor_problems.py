# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``kapacitor_problems`` filter: what is wrong with the kapacitor role's variables, each message naming
the variable and the fix, for the role's preflight to fail with all of them at once before anything is
written. See ``kapacitor_problems.yml`` for the options.
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

# Kapacitor's username rule.
USERNAME = re.compile(r"^[-._@0-9A-Za-z]+$")
ADMIN_PASSWORD_MIN = 16


def kapacitor_problems(model: Any) -> list[str]:
    if not isinstance(model, Mapping):
        raise AnsibleFilterError("kapacitor_problems: expected the kapacitor role's variables as a dict, got %s"
                                 % type(model).__name__)
    problems = []
    if _empty(model.get("influxdb_urls")):
        problems.append("kapacitor_influxdb_urls is empty; list the InfluxDB URL(s).")
    method = model.get("influxdb_auth_method")
    if method == "token" and _empty(model.get("influxdb_token")):
        problems.append("kapacitor_influxdb_token is empty: InfluxDB 2 needs authentication. Set an API token with "
                        "read (and, for write-back, write) access to the buckets the tasks use, or set "
                        "kapacitor_influxdb_auth_method to 'basic'.")
    if method == "basic" and (_empty(model.get("influxdb_username")) or _empty(model.get("influxdb_password"))):
        problems.append("kapacitor_influxdb_auth_method is 'basic': set kapacitor_influxdb_username and "
                        "kapacitor_influxdb_password.")

    definitions = _items(model.get("templates")) + _items(model.get("tasks"))
    handlers = _items(model.get("topic_handlers"))
    if (any(not isinstance(item, Mapping) or "id" not in item or ("script" in item and "script_file" in item)
            for item in definitions)
            or any(not isinstance(item, Mapping) or "topic" not in item or "id" not in item for item in handlers)):
        problems.append("Every item of kapacitor_templates and kapacitor_tasks needs an id and at most one of script "
                        "and script_file; every item of kapacitor_topic_handlers needs a topic and an id.")

    if model.get("auth_enabled"):
        username = model.get("admin_username")
        password = model.get("admin_password")
        if (not isinstance(username, str) or not USERNAME.match(username)
                or not isinstance(password, str) or len(password) < ADMIN_PASSWORD_MIN):
            problems.append(
                "kapacitor_auth_enabled is true, so the role needs its Kapacitor admin: set kapacitor_admin_password "
                "(from a vault) to at least %d characters, and kapacitor_admin_username to ASCII letters, digits, "
                "'-', '.', '_' or '@' (it is '%s'). Or set kapacitor_auth_enabled to false, which leaves Kapacitor's "
                "API open to anyone who reaches it." % (ADMIN_PASSWORD_MIN, username))

    if model.get("backup_enabled"):
        directory = model.get("backup_dir")
        if (not isinstance(directory, str) or not re.match(r"^/.+", directory) or _int(model.get("backup_keep")) < 1
                or _empty(model.get("backup_schedule"))):
            problems.append(
                "kapacitor_backup_enabled needs an absolute kapacitor_backup_dir (it is '%s'), kapacitor_backup_keep of "
                "at least 1 (it is '%s') and an OnCalendar= kapacitor_backup_schedule. Or set kapacitor_backup_enabled "
                "to false." % (directory, model.get("backup_keep")))
    return problems


class FilterModule:
    def filters(self):
        return {"kapacitor_problems": kapacitor_problems}
