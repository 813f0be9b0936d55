"""archive_members: the influxdb role's member spec (read from roles/influxdb/vars/main.yml) against the
listings unarchive gives (list_files, --strip-components=1) for each InfluxDB 2 tarball layout seen."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import collection_path  # noqa: F401 pylint: disable=unused-import  # the collection on sys.path

from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.tickstack.influx.plugins.filter.archive_members import archive_members  # noqa: E402

ROLE_VARS = yaml.safe_load((Path(__file__).resolve().parents[2] / "roles/influxdb/vars/main.yml").read_text())
UNIT_COPY = ROLE_VARS["_influxdb_archive_unit_copy"]
SCRIPTS = ["usr/lib/influxdb/scripts/influxd-systemd-start.sh", "usr/lib/influxdb/scripts/influxdb.service",
           "usr/lib/influxdb/scripts/init.sh"]
# What `tar --list --show-transformed-names --strip-components=1` prints: "" for the top directory,
# directories with a trailing slash.
LAYOUTS = {
    # InfluxData's 2.7.12 (influxdata/influxdb#27010) and this project's 2.9.1: the package tree.
    "package tree": ["", "etc/", "etc/logrotate.d/influxdb", "usr/", "usr/bin/", "usr/bin/influxd",
                     "usr/lib/influxdb/scripts/", *SCRIPTS, "usr/share/influxdb/LICENSE"],
    # This project's 2.7.12: the binary under usr/bin only.
    "usr/bin only": ["", "LICENSE", "README.md", "usr/", "usr/bin/", "usr/bin/influxd", "usr/lib/",
                     "usr/lib/influxdb/", "usr/lib/influxdb/scripts/"],
    # InfluxData's 2.8.0 (influxdata/influxdb#27010), and 2.0-era tarballs: a flat influxd.
    "flat": ["", "LICENSE", "README.md", "influxd"],
}


def server_archive(url="http://mirror/influxdb2-2.7.12_linux_amd64.tar.gz"):
    archive = dict(ROLE_VARS["_influxdb_server_archive"], url=url)
    archive["members"] = [dict(m, dest=m["dest"].replace("{{ _influxdb_archive_unit_copy }}", UNIT_COPY))
                          for m in archive["members"]]
    return archive


def unpacked(archive, files):
    return [{"_common_archive": archive, "files": files, "changed": True}]


def test_package_tree_installs_the_shipped_unit_and_script():
    archive = server_archive()
    plan = archive_members([archive], unpacked(archive, LAYOUTS["package tree"]))
    assert [(m["src"], m["dest"]) for m in plan["install"]] == [
        ("usr/bin/influxd", "/usr/bin/influxd"),
        ("usr/lib/influxdb/scripts/influxd-systemd-start.sh", "/usr/lib/influxdb/scripts/influxd-systemd-start.sh"),
        ("usr/lib/influxdb/scripts/influxdb.service", UNIT_COPY),
        ("usr/lib/influxdb/scripts/influxdb.service", "/lib/systemd/system/influxdb.service"),
    ]
    assert plan["install"][0]["mode"] == "0755" and plan["install"][1]["mode"] == "0755"
    assert all(m["archive"] == "influxd" and "optional" not in m for m in plan["install"])
    assert plan["remove"] == []


@pytest.mark.parametrize("layout, src", [("usr/bin only", "usr/bin/influxd"), ("flat", "influxd")])
def test_tarball_without_systemd_files_installs_influxd_and_removes_stale_ones(layout, src):
    archive = server_archive()
    plan = archive_members([archive], unpacked(archive, LAYOUTS[layout]))
    assert [(m["src"], m["dest"], m["mode"]) for m in plan["install"]] == [(src, "/usr/bin/influxd", "0755")]
    # The role decides on its own unit by the archive's copy being absent: it must be removed.
    assert plan["remove"] == ["/usr/lib/influxdb/scripts/influxd-systemd-start.sh", UNIT_COPY,
                              "/lib/systemd/system/influxdb.service"]


def test_leading_dot_slash_names_match():
    archive = server_archive()
    plan = archive_members([archive], unpacked(archive, ["./", "./usr/bin/influxd"]))
    assert plan["install"][0]["src"] == "usr/bin/influxd"


def test_not_an_influxdb_tarball_names_the_variables():
    archive = server_archive(url="http://mirror/telegraf-1.39.3_linux_amd64.tar.gz")
    with pytest.raises(AnsibleFilterError) as err:
        archive_members([archive], unpacked(archive, ["", "usr/", "usr/bin/telegraf"]))
    message = str(err.value)
    assert "influxdb_archive_url (http://mirror/telegraf-1.39.3_linux_amd64.tar.gz)" in message
    assert "usr/bin/influxd, influxd" in message
    assert "influxdb_archive_checksum" in message


def test_several_archives_keep_their_own_listing():
    server = server_archive()
    cli = dict(ROLE_VARS["_influxdb_cli_archive"], url="http://mirror/influxdb2-client.tar.gz")
    results = unpacked(server, LAYOUTS["flat"]) + unpacked(cli, ["", "influx", "LICENSE"])
    plan = archive_members([server, cli], results)
    assert [(m["archive"], m["src"], m["dest"]) for m in plan["install"]] == [
        ("influxd", "influxd", "/usr/bin/influxd"), ("influx-cli", "influx", "/usr/bin/influx")]
    # The server's listing has an influx CLI nowhere, the CLI's no influxd: no cross-matching.
    with pytest.raises(AnsibleFilterError, match="influxdb_cli_archive_url"):
        archive_members([server, cli], unpacked(server, LAYOUTS["flat"] + ["influx"]) + unpacked(cli, ["", "LICENSE"]))


@pytest.mark.parametrize("archives, results, match", [
    ("x", [], "expected the list of archives"),
    ([], [{"files": []}], "needs _common_archive"),
    ([{"name": "a", "members": []}], [], "no listing of the archive a"),
    ([{"name": "a", "members": [{"dest": "/x", "src": []}]}],
     [{"_common_archive": {"name": "a"}, "files": []}], "needs src"),
])
def test_bad_input(archives, results, match):
    with pytest.raises(AnsibleFilterError, match=match):
        archive_members(archives, results)
