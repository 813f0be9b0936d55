"""host_problems: the common role's preflight check of the host (OS family, service manager) and the install
method, one message per problem, each naming what was found and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import collection_path  # noqa: F401 pylint: disable=unused-import  # the collection on sys.path

from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.tickstack.influx.plugins.filter.host_problems import (  # noqa: E402
    FilterModule,
    host_problems,
)

SUPPORTED = yaml.safe_load((Path(__file__).resolve().parents[2] / "roles/common/vars/main.yml").read_text())[
    "_common_supported_os_families"]
DEBIAN = {"os_family": "Debian", "service_mgr": "systemd", "distribution": "Debian", "distribution_version": "13.1"}


def test_a_supported_host_with_a_known_method_has_no_problem():
    assert host_problems(DEBIAN, "influxdb", "repo", SUPPORTED) == []
    assert host_problems(dict(DEBIAN, os_family="RedHat"), "telegraf", "archive", SUPPORTED) == []


def test_another_os_family_names_what_the_host_runs():
    facts = {"os_family": "Alpine", "service_mgr": "openrc", "distribution": "Alpine", "distribution_version": "3.20"}
    (message,) = host_problems(facts, "kapacitor", "repo", SUPPORTED)
    assert message.startswith("The kapacitor role supports Debian-family")
    assert "This host runs Alpine 3.20 (family Alpine) with service manager openrc." in message


def test_a_supported_family_without_systemd_is_refused():
    (message,) = host_problems(dict(DEBIAN, service_mgr="sysvinit"), "telegraf", "repo", SUPPORTED)
    assert "with service manager sysvinit." in message


def test_missing_facts_read_as_unknown():
    (message,) = host_problems({}, "influxdb", "repo", SUPPORTED)
    assert "This host runs an unknown OS  (family unknown) with service manager unknown." in message


def test_an_unknown_install_method_names_the_variable_and_both_choices():
    (message,) = host_problems(DEBIAN, "telegraf", "package", SUPPORTED)
    assert message == ("telegraf_install_method is 'package'; use 'repo' (InfluxData's package repository) or "
                       "'archive' (the official release tarball).")


def test_every_problem_at_once():
    assert len(host_problems({"os_family": "Darwin"}, "influxdb", "brew", SUPPORTED)) == 2


def test_the_default_families_are_the_roles_own():
    assert host_problems(dict(DEBIAN, os_family="RedHat"), "influxdb", "repo") == []
    assert len(host_problems(dict(DEBIAN, os_family="Suse"), "influxdb", "repo")) == 1


@pytest.mark.parametrize("args, needle", [
    (("not facts", "influxdb", "repo"), "ansible_facts as a dict"),
    ((DEBIAN, "", "repo"), "the service's name"),
    ((DEBIAN, "influxdb", "repo", "Debian"), "supported OS families as a list"),
])
def test_wrong_input_is_an_error_that_says_what_was_expected(args, needle):
    with pytest.raises(AnsibleFilterError, match=needle):
        host_problems(*args)


def test_the_filter_is_registered():
    assert FilterModule().filters()["host_problems"] is host_problems
