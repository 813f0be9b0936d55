"""credential_paths: a service's secrets as host_layout paths (roles/common/tasks/configure.yml)."""

from __future__ import annotations

import pytest

import collection_path  # noqa: F401 pylint: disable=unused-import  # the collection on sys.path

from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.tickstack.influx.plugins.filter.credential_paths import (  # noqa: E402
    FilterModule,
    credential_paths,
)

DIR = "/etc/telegraf/credentials"
DROP_INS = "/etc/systemd/system/telegraf.service.d"
DROP_IN = "[Service]\nLoadCredential=influx_token:/etc/telegraf/credentials/influx_token\n"


def test_systemd_credentials_are_root_only_sorted_and_secret():
    paths = credential_paths({"kapacitor_password": "kp", "influx_token": "it"}, DIR, DROP_INS, drop_in=DROP_IN)
    assert paths == [
        {"path": DIR, "state": "directory", "group": "root", "mode": "0700", "purge": True},
        {"path": DIR + "/influx_token", "content": "it", "group": "root", "mode": "0600", "secret": True},
        {"path": DIR + "/kapacitor_password", "content": "kp", "group": "root", "mode": "0600", "secret": True},
        {"path": DROP_INS + "/40-ansible-credentials.conf", "mode": "0644", "content": DROP_IN},
    ]


def test_a_store_the_service_reads_itself_is_group_readable_and_has_no_drop_in():
    paths = credential_paths({"influx_token": "it"}, DIR, DROP_INS, group="telegraf", systemd=False)
    assert paths[0]["mode"] == "0750" and paths[0]["group"] == "telegraf"
    assert paths[1]["mode"] == "0640" and paths[1]["group"] == "telegraf"
    assert paths[-1] == {"path": DROP_INS + "/40-ansible-credentials.conf", "state": "absent"}


def test_no_secret_removes_the_directory_and_the_drop_in():
    assert credential_paths({}, DIR, DROP_INS) == [
        {"path": DIR, "state": "absent"},
        {"path": DROP_INS + "/40-ansible-credentials.conf", "state": "absent"},
    ]


def test_no_directory_no_paths():
    assert credential_paths({"influx_token": "it"}, "", DROP_INS) == []


def test_values_are_strings():
    assert credential_paths({"port": 8086}, DIR, DROP_INS)[1]["content"] == "8086"


@pytest.mark.parametrize("credentials, drop_ins, match", [
    (["influx_token"], DROP_INS, "expected the secrets as a dict"),
    ({"influx_token": "it"}, "", "drop_in_dir"),
])
def test_bad_input(credentials, drop_ins, match):
    with pytest.raises(AnsibleFilterError, match=match):
        credential_paths(credentials, DIR, drop_ins)


def test_registered():
    assert FilterModule().filters()["credential_paths"] is credential_paths
