# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``influxdb_users`` filter: the influxdb role's ``influxdb_users`` list, checked, as the loops of its tasks.

Every item is checked before the role writes anything, and every error names the item and the field.
The result carries no password: the task reads it from ``influxdb_users[index]``, so neither loop items
nor labels ever hold one. See ``influxdb_users.yml`` for the options and the result.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import check_user_password

USER_KEYS = ("name", "password", "update_password", "status", "state", "orgs")
ORG_KEYS = ("name", "role", "state")
CHOICES = {
    "update_password": ("on_create", "always"),
    "status": ("active", "inactive"),
    "state": ("present", "absent"),
    "role": ("member", "owner"),
}


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise AnsibleFilterError("%s: a non-empty name is required" % where)
    return value


def _choice(item: dict, key: str, where: str) -> str:
    value = item.get(key)
    if value is None:
        return CHOICES[key][0]
    if value not in CHOICES[key]:
        raise AnsibleFilterError("%s.%s: %r must be one of %s" % (where, key, value, ", ".join(CHOICES[key])))
    return value


def _known(item: Any, keys: tuple, where: str) -> dict:
    if not isinstance(item, dict):
        raise AnsibleFilterError("%s: expected a dict with %s, got %r" % (where, ", ".join(keys), type(item).__name__))
    unknown = sorted(str(k) for k in item if k not in keys)
    if unknown:
        raise AnsibleFilterError("%s: unknown key %s; the keys are %s" % (where, ", ".join(unknown), ", ".join(keys)))
    return item


def _orgs(item: dict, user: str, default_org: str, where: str) -> list[dict]:
    orgs = item.get("orgs")
    if orgs is None:
        if not default_org:
            raise AnsibleFilterError("%s.orgs: not given and there is no default organization "
                                     "(influxdb_setup_org); list the user's organizations or set orgs: []" % where)
        orgs = [{"name": default_org}]
    if not isinstance(orgs, list):
        raise AnsibleFilterError("%s.orgs: expected a list of organization names or {name, role, state}" % where)
    members, seen = [], set()
    for position, org in enumerate(orgs):
        at = "%s.orgs[%d]" % (where, position)
        org = {"name": org} if isinstance(org, str) else _known(org, ORG_KEYS, at)
        name = _name(org.get("name"), at + ".name")
        if name in seen:
            raise AnsibleFilterError("%s.name: organization %r is listed twice for user %r" % (at, name, user))
        seen.add(name)
        members.append({"user": user, "org": name, "role": _choice(org, "role", at),
                        "state": _choice(org, "state", at)})
    return members


def _predicted(results: Any) -> set:
    """Users that the results of the users task (check mode) only predict: planned, with no ID yet."""
    names = set()
    for result in results or []:
        user = result.get("user") if isinstance(result, dict) else None
        if isinstance(user, dict) and user.get("name") and not user.get("id"):
            names.add(user["name"])
    return names


def influxdb_users(users: Any, default_org: str = "", variable: str = "influxdb_users",
                   results: Any = None) -> dict[str, list]:
    """``users``: one item per user (no password: ``index`` points into the input); ``members``: one item
    per organization membership of the users that stay, ``pending`` when ``results`` (the users task's,
    registered) say the user is not there yet: a check-mode run that would create it."""
    if users is None:
        users = []
    if not isinstance(users, list):
        raise AnsibleFilterError("%s: expected a list of users, got %s" % (variable, type(users).__name__))
    out_users, out_members, names = [], [], set()
    for index, item in enumerate(users):
        where = "%s[%d]" % (variable, index)
        item = _known(item, USER_KEYS, where)
        name = _name(item.get("name"), where + ".name")
        if name in names:
            raise AnsibleFilterError("%s.name: user %r is listed twice" % (where, name))
        names.add(name)
        where = "%s[%d] (%s)" % (variable, index, name)
        password = item.get("password")
        if password is not None:
            if not isinstance(password, str) or not password:
                raise AnsibleFilterError("%s.password: must be a non-empty string; leave it out for a user "
                                         "without a password" % where)
            try:
                check_user_password(password, where + ".password")
            except InvalidInput as e:
                raise AnsibleFilterError(str(e)) from None
        update_password = _choice(item, "update_password", where)
        if update_password == "always" and password is None:
            raise AnsibleFilterError("%s.update_password: always needs a password" % where)
        state = _choice(item, "state", where)
        out_users.append({"name": name, "index": index, "has_password": password is not None,
                          "update_password": update_password, "status": _choice(item, "status", where),
                          "state": state})
        members = _orgs(item, name, default_org, where)
        if state == "present":  # a deleted user's memberships go with it
            out_members.extend(members)
    pending = _predicted(results)
    for member in out_members:
        member["pending"] = member["user"] in pending
    return {"users": out_users, "members": out_members}


class FilterModule:
    """InfluxDB role filters."""

    def filters(self) -> dict[str, Any]:
        return {"influxdb_users": influxdb_users}
