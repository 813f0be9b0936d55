"""telegraf_fragments: the telegraf role's bookkeeping of telegraf.conf and its telegraf.d fragments, with
the role's own paths (read from roles/telegraf/vars/main.yml) and what ansible.builtin.find returns."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import collection_path  # noqa: F401 pylint: disable=unused-import  # the collection on sys.path

from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.tickstack.influx.plugins.filter.telegraf_fragments import (  # noqa: E402
    FilterModule,
    telegraf_fragments,
)

ROLE_VARS = yaml.safe_load((Path(__file__).resolve().parents[2] / "roles/telegraf/vars/main.yml").read_text())
CONF = ROLE_VARS["_telegraf_config_path"]
DIR = ROLE_VARS["_telegraf_fragment_dir"]
PREFIX = ROLE_VARS["_telegraf_fragment_prefix"]
CANDIDATES = ROLE_VARS["_telegraf_candidate_dir"]
KINDS = ROLE_VARS["_telegraf_fragment_kinds"]

# _telegraf_config_base as the stack renders it (the secret store, tags, agent, both outputs, an input).
CONFIG = {
    "secretstores": {"systemd": [{"id": "secrets", "prefix": ""}]},
    "global_tags": {"dc": "lab"},
    "agent": {"interval": "10s"},
    "outputs": {"influxdb_v2": [{"urls": ["http://influxdb:8086"], "token": "@{secrets:influx_token}"}],
                "influxdb": [{"urls": ["http://kapacitor:9092"], "database": "telegraf"}]},
    "inputs": {"cpu": [{}], "mem": [{}]},
}


def plan(config=None, found=(), **overrides):
    args = {"config_path": CONF, "fragment_dir": DIR, "prefix": PREFIX, "candidate_dir": CANDIDATES,
            "kinds": KINDS}
    args.update(overrides)
    return telegraf_fragments(CONFIG if config is None else config, list(found), **args)


def find_files(*paths):
    # ansible.builtin.find's `files`: a dict per file (only `path` matters here).
    return [{"path": path, "mode": "0640", "isreg": True} for path in paths]


def test_the_role_paths_are_what_the_tests_assume():
    assert (CONF, DIR, PREFIX, CANDIDATES) == ("/etc/telegraf/telegraf.conf", "/etc/telegraf/telegraf.d",
                                               "tickstack-", "/etc/telegraf/tickstack-candidate")
    assert KINDS == ["outputs", "inputs", "processors", "aggregators"]


def test_first_run_writes_telegraf_conf_and_a_fragment_per_kind_with_plugins():
    result = plan()
    assert result["files"] == [
        {"name": "telegraf.conf", "dest": CONF, "candidate": CANDIDATES + "/telegraf.conf",
         "sections": ["secretstores", "global_tags", "agent"]},
        {"name": "tickstack-outputs.conf", "dest": DIR + "/tickstack-outputs.conf",
         "candidate": CANDIDATES + "/tickstack-outputs.conf", "sections": ["outputs"]},
        {"name": "tickstack-inputs.conf", "dest": DIR + "/tickstack-inputs.conf",
         "candidate": CANDIDATES + "/tickstack-inputs.conf", "sections": ["inputs"]},
    ]
    assert result["check"] == [CANDIDATES + "/telegraf.conf", CANDIDATES + "/tickstack-outputs.conf",
                               CANDIDATES + "/tickstack-inputs.conf"]
    assert result["others"] == [] and result["stale"] == []


def test_telegraf_conf_keeps_every_other_table_in_the_config_order():
    config = {"agent": {}, "processors": {"rename": [{}]}, "secretstores": {}, "outputs": {},
              "custom": {"a": 1}, "top_level_key": "x", "aggregators": {"minmax": [{"period": "30s"}]}}
    result = plan(config)
    # Empty outputs: no fragment; processors and aggregators (telegraf_config_extra) each get one.
    assert [(f["name"], f["sections"]) for f in result["files"]] == [
        ("telegraf.conf", ["agent", "secretstores", "custom", "top_level_key"]),
        ("tickstack-processors.conf", ["processors"]),
        ("tickstack-aggregators.conf", ["aggregators"]),
    ]


@pytest.mark.parametrize("value", [None, {}, []])
def test_a_kind_without_plugins_gets_no_fragment(value):
    result = plan(dict(CONFIG, inputs=value))
    assert [f["name"] for f in result["files"]] == ["telegraf.conf", "tickstack-outputs.conf"]


def test_converged_host_with_a_foreign_fragment_checks_it_and_prunes_nothing():
    found = find_files(DIR + "/tickstack-outputs.conf", DIR + "/tickstack-inputs.conf", DIR + "/other-role.conf",
                       CANDIDATES + "/telegraf.conf", CANDIDATES + "/tickstack-outputs.conf",
                       CANDIDATES + "/tickstack-inputs.conf")
    result = plan(found=found)
    assert result["others"] == [DIR + "/other-role.conf"]
    assert result["check"] == [CANDIDATES + "/telegraf.conf", CANDIDATES + "/tickstack-outputs.conf",
                               CANDIDATES + "/tickstack-inputs.conf", DIR + "/other-role.conf"]
    assert result["stale"] == []


def test_fragments_and_candidates_the_role_no_longer_writes_are_stale_and_not_checked():
    # Aggregators were configured once (fragment and candidate left), and are not any more.
    found = find_files(DIR + "/tickstack-aggregators.conf", DIR + "/tickstack-outputs.conf",
                       DIR + "/other-role.conf", CANDIDATES + "/tickstack-aggregators.conf",
                       CANDIDATES + "/tickstack-outputs.conf", CANDIDATES + "/leftover/x.conf")
    result = plan(found=found)
    assert result["stale"] == [DIR + "/tickstack-aggregators.conf", CANDIDATES + "/leftover/x.conf",
                               CANDIDATES + "/tickstack-aggregators.conf"]
    assert not set(result["stale"]) & set(result["check"])
    assert DIR + "/other-role.conf" not in result["stale"]
    assert DIR + "/tickstack-aggregators.conf" not in result["check"]


def test_the_role_owns_only_its_prefix_directly_in_the_fragment_directory():
    found = find_files(DIR + "/zz.conf", DIR + "/sub/tickstack-inputs.conf", DIR + "/my-tickstack-x.conf",
                       DIR + "/tickstack-old.conf", "/etc/telegraf/telegraf.d-other/tickstack-x.conf",
                       DIR + "/aa.conf")
    result = plan(found=found)
    # Sorted; a tickstack-* file in a subdirectory is someone else's, as is any file outside both dirs
    # (never checked, never removed).
    assert result["others"] == [DIR + "/aa.conf", DIR + "/my-tickstack-x.conf", DIR + "/sub/tickstack-inputs.conf",
                                DIR + "/zz.conf"]
    assert result["check"][3:] == result["others"]
    assert result["stale"] == [DIR + "/tickstack-old.conf"]


def test_paths_and_find_results_give_the_same_plan_and_trailing_slashes_do_not_matter():
    paths = [DIR + "/tickstack-aggregators.conf", DIR + "/other-role.conf"]
    by_dicts = plan(found=find_files(*paths))
    assert plan(found=paths) == by_dicts
    assert plan(found=paths, fragment_dir=DIR + "/", candidate_dir=CANDIDATES + "/") == by_dicts


def test_the_filter_is_registered():
    filters = FilterModule().filters()
    assert filters["telegraf_fragments"] is telegraf_fragments and set(filters) == {
        "telegraf_fragments", "telegraf_fragments_installed", "telegraf_check_marker"}


@pytest.mark.parametrize("config, found, overrides, match", [
    (["agent"], [], {}, "config must be a mapping"),
    (None, "/etc/telegraf/telegraf.d/x.conf", {}, "found must be the files of ansible.builtin.find"),
    (None, [{"mode": "0644"}], {}, "found holds an entry without a path"),
    (None, [], {"config_path": "telegraf.conf"}, "config_path must be an absolute file path"),
    (None, [], {"fragment_dir": "telegraf.d"}, "fragment_dir must be an absolute directory path"),
    (None, [], {"candidate_dir": "/"}, "candidate_dir must be an absolute directory path"),
    (None, [], {"prefix": ""}, "prefix must be a non-empty file name prefix"),
    (None, [], {"prefix": "a/b"}, "prefix must be a non-empty file name prefix"),
    (None, [], {"kinds": "outputs"}, "kinds must be a list of plugin kinds"),
])
def test_bad_input_names_the_field(config, found, overrides, match):
    with pytest.raises(AnsibleFilterError, match="telegraf_fragments: " + match):
        telegraf_fragments(CONFIG if config is None else config, found,
                           **{"config_path": CONF, "fragment_dir": DIR, "prefix": PREFIX,
                              "candidate_dir": CANDIDATES, "kinds": KINDS, **overrides})


def _found(path, content, mode="0640", owner="root", group="telegraf"):
    import hashlib
    return {"path": path, "checksum": hashlib.sha1(content.encode()).hexdigest(), "mode": mode,
            "pw_name": owner, "gr_name": group}


def test_installed_only_when_every_file_matches_and_nothing_is_stale():
    from ansible_collections.tickstack.influx.plugins.filter.telegraf_fragments import telegraf_fragments_installed
    fragments = {"files": [{"dest": "/etc/telegraf/telegraf.conf"}, {"dest": "/etc/telegraf/telegraf.d/tickstack-inputs.conf"}],
                 "stale": []}
    rendered = {"/etc/telegraf/telegraf.conf": "[agent]\n", "/etc/telegraf/telegraf.d/tickstack-inputs.conf": "[[inputs.cpu]]\n"}
    found = [_found(path, content) for path, content in rendered.items()]
    assert telegraf_fragments_installed(fragments, found, rendered) is True
    assert telegraf_fragments_installed(fragments, found[:1], rendered) is False
    assert telegraf_fragments_installed(fragments, [found[0], _found(found[1]["path"], "other\n")], rendered) is False
    assert telegraf_fragments_installed(fragments, [found[0], _found(found[1]["path"], "[[inputs.cpu]]\n", "0644")],
                                        rendered) is False
    assert telegraf_fragments_installed(fragments, [found[0], _found(found[1]["path"], "[[inputs.cpu]]\n",
                                                                     group="root")], rendered) is False
    assert telegraf_fragments_installed(dict(fragments, stale=["/etc/telegraf/telegraf.d/tickstack-aggregators.conf"]),
                                        found, rendered) is False
    with pytest.raises(AnsibleFilterError):
        telegraf_fragments_installed(fragments, "nope", rendered)


def test_the_check_record_changes_with_every_input_that_changes_what_the_check_would_say():
    from ansible_collections.tickstack.influx.plugins.filter.telegraf_fragments import telegraf_check_marker
    conf, inputs, other = CONF, DIR + "/tickstack-inputs.conf", DIR + "/other-role.conf"
    fragments = {"files": [{"dest": conf}, {"dest": inputs}], "others": [other], "stale": []}
    rendered = {conf: "[agent]\n", inputs: "[[inputs.cpu]]\n"}
    found = [_found(conf, "[agent]\n"), _found(inputs, "[[inputs.cpu]]\n"), _found(other, "[[inputs.mem]]\n")]
    installed = {"packages": {"telegraf": "1.39.3-1"}, "stat": {}}
    record = telegraf_check_marker(fragments, found, rendered, installed)
    assert record.endswith("\n") and record.count("\n") == 5
    assert "file %s %s" % (inputs, found[1]["checksum"]) in record
    assert "other %s %s" % (other, found[2]["checksum"]) in record
    # The same inputs in another order (found as find sorts it or not): the same record.
    assert telegraf_check_marker(fragments, found[::-1], dict(reversed(list(rendered.items()))),
                                 {"stat": {}, "packages": {"telegraf": "1.39.3-1"}}) == record
    changed = [
        telegraf_check_marker(fragments, found, dict(rendered, **{inputs: "[[inputs.disk]]\n"}), installed),
        telegraf_check_marker(fragments, found[:2] + [_found(other, "[[inputs.swap]]\n")], rendered, installed),
        telegraf_check_marker(dict(fragments, others=[other, DIR + "/zz.conf"]),
                              found + [_found(DIR + "/zz.conf", "")], rendered, installed),
        telegraf_check_marker(dict(fragments, others=[]), found, rendered, installed),
        telegraf_check_marker(fragments, found, rendered, dict(installed, packages={"telegraf": "1.40.0-1"})),
    ]
    assert record not in changed and len(set(changed)) == len(changed)
    with pytest.raises(AnsibleFilterError, match="rendered has no content for " + inputs):
        telegraf_check_marker(fragments, found, {conf: ""}, installed)
    with pytest.raises(AnsibleFilterError, match="installed must be a mapping"):
        telegraf_check_marker(fragments, found, rendered, ["telegraf"])
    with pytest.raises(AnsibleFilterError, match="found must be the files"):
        telegraf_check_marker(fragments, "nope", rendered, installed)
