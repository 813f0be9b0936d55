"""kapacitor_problems: the kapacitor role's preflight checks, one message per problem, each naming the
variable, with the role's own defaults as the base."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import collection_path  # noqa: F401 pylint: disable=unused-import  # the collection on sys.path

from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.tickstack.influx.plugins.filter.kapacitor_problems import (  # noqa: E402
    FilterModule,
    kapacitor_problems,
)

DEFAULTS = yaml.safe_load((Path(__file__).resolve().parents[2] / "roles/kapacitor/defaults/main.yml").read_text())
SECRET = "a-long-admin-password-from-a-vault"


def problems(**overrides):
    model = {name: DEFAULTS["kapacitor_" + name] for name in (
        "influxdb_urls", "influxdb_auth_method", "influxdb_username", "influxdb_password", "templates", "tasks",
        "topic_handlers", "auth_enabled", "admin_username", "backup_enabled", "backup_dir", "backup_keep",
        "backup_schedule")}
    model.update(influxdb_token="influx-token", admin_password=SECRET)
    model.update(overrides)
    return kapacitor_problems(model)


def test_the_defaults_with_a_token_and_an_admin_password_pass():
    assert problems() == []


@pytest.mark.parametrize("overrides, needle", [
    ({"influxdb_urls": []}, "kapacitor_influxdb_urls is empty"),
    ({"influxdb_token": ""}, "kapacitor_influxdb_token is empty"),
    ({"influxdb_auth_method": "basic", "influxdb_username": "k", "influxdb_password": ""},
     "set kapacitor_influxdb_username and kapacitor_influxdb_password"),
    ({"tasks": [{"script": "stream"}]}, "needs an id"),
    ({"templates": [{"id": "t", "script": "x", "script_file": "t.tick"}]}, "at most one of script and script_file"),
    ({"topic_handlers": [{"id": "h"}]}, "kapacitor_topic_handlers needs a topic and an id"),
    ({"topic_handlers": ["not-a-dict"]}, "kapacitor_topic_handlers needs a topic and an id"),
    ({"admin_password": "short"}, "at least 16 characters"),
    ({"admin_username": "bad name"}, "(it is 'bad name')"),
    ({"backup_enabled": True, "backup_dir": "relative"}, "(it is 'relative')"),
    ({"backup_enabled": True, "backup_keep": 0}, "kapacitor_backup_keep of at least 1 (it is '0')"),
    ({"backup_enabled": True, "backup_schedule": ""}, "OnCalendar= kapacitor_backup_schedule"),
])
def test_each_problem_names_its_variable(overrides, needle):
    found = problems(**overrides)
    assert len(found) == 1 and needle in found[0], found
    assert SECRET not in found[0] and "influx-token" not in found[0]


def test_what_is_off_is_not_checked():
    # No token needed with basic auth; no admin without authentication; no backup settings when off.
    assert problems(influxdb_auth_method="basic", influxdb_token="", influxdb_username="k",
                    influxdb_password="p") == []
    assert problems(auth_enabled=False, admin_password="") == []
    assert problems(backup_enabled=False, backup_dir="", backup_keep=0) == []


def test_every_problem_at_once():
    assert len(problems(influxdb_urls=[], influxdb_token="", admin_password="", tasks=[{}])) == 4


def test_not_a_dict():
    with pytest.raises(AnsibleFilterError, match="expected the kapacitor role's variables as a dict"):
        kapacitor_problems("x")


def test_registered():
    assert FilterModule().filters()["kapacitor_problems"] is kapacitor_problems
