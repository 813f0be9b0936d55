"""meta/runtime.yml's action groups name exactly the modules in plugins/modules/.

`module_defaults: {group/tickstack.influx.influxdb2: ...}` silently skips a module that is missing
from its group, so a module added without its group entry would run without the URL and token
the playbook set once. This test keeps the groups and the modules in step, both ways.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
RUNTIME = REPO / "meta" / "runtime.yml"
MODULES = REPO / "plugins" / "modules"
GROUP_PREFIXES = {"influxdb1": "influxdb1_", "influxdb2": "influxdb2_", "kapacitor": "kapacitor_"}
COLLECTION = "tickstack.influx."


def runtime() -> dict:
    return yaml.safe_load(RUNTIME.read_text()) or {}


def modules_with_prefix(prefix: str) -> set[str]:
    return {path.stem for path in MODULES.glob(prefix + "*.py")}


def group_members(group: str) -> list[str]:
    entries = (runtime().get("action_groups") or {}).get(group)
    assert isinstance(entries, list), f"meta/runtime.yml: action_groups.{group} must be a list"
    # Entries may be short names or FQCNs; both resolve to the same module.
    return [entry[len(COLLECTION):] if entry.startswith(COLLECTION) else entry for entry in entries]


def test_requires_ansible():
    assert runtime().get("requires_ansible") == ">=2.17.0"


def test_only_known_groups():
    assert set(runtime().get("action_groups") or {}) == set(GROUP_PREFIXES)


@pytest.mark.parametrize("group", sorted(GROUP_PREFIXES))
def test_group_matches_modules(group):
    members = group_members(group)
    present = modules_with_prefix(GROUP_PREFIXES[group])
    duplicates = sorted({name for name in members if members.count(name) > 1})
    assert not duplicates, f"meta/runtime.yml: action_groups.{group} lists {duplicates} more than once"
    missing = sorted(present - set(members))
    assert not missing, f"meta/runtime.yml: add {missing} to action_groups.{group}"
    stale = sorted(set(members) - present)
    assert not stale, f"meta/runtime.yml: action_groups.{group} names {stale}, not in plugins/modules/"


def test_every_module_is_grouped():
    """A module outside both prefixes would be outside both groups: name it after its service.

    Exempt: the documentation of a controller-side action plugin (plugins/action/<name>.py), which
    talks to no service and takes no connection options (stack_plan), and the modules of the roles'
    install that talk to no InfluxDB or Kapacitor either (repo_signing_key: a package repository's key;
    host_layout: a service's user and files on the host).
    """
    prefixes = tuple(GROUP_PREFIXES.values())
    actions = {path.stem for path in (REPO / "plugins" / "action").glob("*.py")}
    no_service = {"repo_signing_key", "host_layout"}
    ungrouped = sorted(path.stem for path in MODULES.glob("*.py")
                       if path.stem != "__init__" and not path.stem.startswith(prefixes)
                       and path.stem not in actions | no_service)
    assert not ungrouped, f"plugins/modules/{ungrouped}: module names start with {' or '.join(prefixes)}"
