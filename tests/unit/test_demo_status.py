"""playbooks/demo_status.yml (`make demo`'s last step) reads the demo stack with the credentials the demo converges
with: the operator token, and Kapacitor's admin while the stack turns Kapacitor's authentication on by default.
CI converges only the scenarios of `make test`, so this is where a change of those defaults meets the demo."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


class _Loader(yaml.SafeLoader):
    """Ansible's YAML: !unsafe and !vault values read as plain strings."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: loader.construct_scalar(node)
                              if isinstance(node, yaml.ScalarNode) else None)


def load(path: str):
    return yaml.load((ROOT / path).read_text(), Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


STATUS = load("playbooks/demo_status.yml")[0]
INVENTORY_VARS = load("extensions/molecule/demo/inventory.yml")["all"]["vars"]
MODEL = load("extensions/molecule/shared/vars/test_model.yml")
STACK_DEFAULTS = load("roles/stack/defaults/main.yml")


def resolved(value: str) -> object:
    """A module default that names one inventory variable ("{{ name }}"), resolved."""
    name = value.strip().removeprefix("{{").removesuffix("}}").strip()
    assert name in INVENTORY_VARS, "%s is not set in extensions/molecule/demo/inventory.yml" % name
    return INVENTORY_VARS[name]


def test_kapacitor_is_read_as_the_admin_the_demo_makes():
    kapacitor = STATUS["module_defaults"]["group/tickstack.influx.kapacitor"]
    auth = MODEL.get("tickstack_kapacitor_auth_enabled", STACK_DEFAULTS["tickstack_kapacitor_auth_enabled"])
    if not auth:
        return
    assert resolved(kapacitor["username"]) == MODEL.get("tickstack_kapacitor_admin_username",
                                                        STACK_DEFAULTS["tickstack_kapacitor_admin_username"])
    assert resolved(kapacitor["password"]) == MODEL["tickstack_kapacitor_admin_password"]


def test_influxdb_is_read_with_the_operator_token_and_org_the_demo_onboards():
    influxdb = STATUS["module_defaults"]["group/tickstack.influx.influxdb2"]
    assert resolved(influxdb["token"]) == MODEL["influxdb_operator_token"]
    assert resolved(influxdb["org"]) == MODEL["influxdb_setup_org"]
