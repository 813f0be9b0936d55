"""influxdb_problems: the influxdb role's preflight checks, one message per problem, each naming the
variable, with the role's own defaults as the base."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import collection_path  # noqa: F401 pylint: disable=unused-import  # the collection on sys.path

from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.tickstack.influx.plugins.filter.influxdb_problems import (  # noqa: E402
    FilterModule,
    influxdb_problems,
)

DEFAULTS = yaml.safe_load((Path(__file__).resolve().parents[2] / "roles/influxdb/defaults/main.yml").read_text())
NAMES = ("setup", "operator_token", "setup_username", "setup_password", "setup_org", "setup_bucket", "orgs",
         "buckets", "users", "tls_certificate", "tls_private_key", "backup_enabled", "cli_install", "backup_dir",
         "backup_keep", "backup_schedule")
TOKEN = "an-operator-token-from-a-vault"
PASSWORD = "a-setup-password"
CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n"


def problems(**overrides):
    model = {name: DEFAULTS["influxdb_" + name] for name in NAMES}
    model.update(operator_token=TOKEN, setup_password=PASSWORD)
    model.update(overrides)
    return influxdb_problems(model)


def test_the_defaults_with_a_token_and_a_setup_password_pass():
    assert problems() == []
    assert problems(tls_certificate=CERT, tls_private_key=KEY) == []
    # Without onboarding, org and bucket management, nor backups, no token is needed.
    assert problems(setup=False, operator_token="", backup_enabled=False) == []


@pytest.mark.parametrize("overrides, needle", [
    ({"operator_token": "", "backup_enabled": False}, "influxdb_operator_token is empty"),
    ({"setup": False, "operator_token": "", "backup_enabled": False, "buckets": [{"name": "b", "org": "o"}]},
     "influxdb_operator_token is empty"),
    ({"setup_password": "short"}, "influxdb_setup_password needs at least 8 characters"),
    ({"setup_username": "", "setup_bucket": ""}, "influxdb_setup_username, influxdb_setup_bucket must not be empty"),
    ({"orgs": [{"description": "x"}]}, "Every item of influxdb_orgs needs a name"),
    ({"orgs": [{}], "buckets": ["b"]}, "Every item of influxdb_orgs and influxdb_buckets needs a name"),
    ({"setup": False, "buckets": [{"name": "b"}]}, "every item of influxdb_buckets needs an org"),
    ({"tls_certificate": CERT}, "influxdb_tls_certificate and influxdb_tls_private_key go together"),
    ({"tls_certificate": "/etc/ssl/cert.pem", "tls_private_key": KEY}, "hold PEM content"),
    ({"tls_certificate": CERT, "tls_private_key": "/etc/ssl/key.pem"}, "hold PEM content"),
    ({"cli_install": False}, "the influx CLI (influxdb_cli_install: true"),
    ({"backup_dir": "backups"}, "an absolute influxdb_backup_dir (it is 'backups')"),
    ({"backup_keep": 0}, "influxdb_backup_keep of at least 1 (it is '0')"),
    ({"backup_keep": "many"}, "influxdb_backup_keep of at least 1"),
    ({"backup_schedule": ""}, "an OnCalendar= influxdb_backup_schedule"),
])
def test_each_problem_names_the_variable(overrides, needle):
    found = problems(**overrides)
    assert len(found) == 1 and needle in found[0], found


def test_every_problem_at_once_and_no_secret_in_them():
    short = "Zq7#xw"
    found = problems(operator_token="", setup_password=short, tls_certificate="/etc/ssl/c.pem", cli_install=False)
    assert len(found) == 4
    assert not any(short in message for message in found)
    assert not any(TOKEN in message or KEY in message for message in problems(tls_private_key=KEY))


def test_bad_input_and_registration():
    with pytest.raises(AnsibleFilterError, match="expected the influxdb role's variables as a dict"):
        influxdb_problems(["setup"])
    assert FilterModule().filters() == {"influxdb_problems": influxdb_problems}
