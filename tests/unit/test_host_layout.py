"""Unit tests of host_layout on a real filesystem (a temporary directory) and of the install_state filters.

The tests run as whatever user pytest runs as: owners and groups are that user's own, so no test needs
root; making a system user is exercised by Molecule (every role makes its user with host_layout).
"""

from __future__ import annotations

import grp
import hashlib
import json
import os
import pwd
import stat

import pytest

import collection_path  # noqa: E402,F401 pylint: disable=unused-import  # the collection on sys.path

from module_args import patch_module_args  # noqa: E402

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.tickstack.influx.plugins.filter.install_state import (  # noqa: E402
    archives_pending, files_differ, marker_content, nothing_to_remove, packages_pending)
from ansible_collections.tickstack.influx.plugins.modules import host_layout  # noqa: E402

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name
SECRET = "token-0123456789abcdef-very-secret"


def run(capsys, check=False, diff=True, **args):
    args.update(_ansible_check_mode=check, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            host_layout.main()
    return json.loads(capsys.readouterr().out)


def entry(path, **kw):
    kw.setdefault("owner", OWNER)
    kw.setdefault("group", GROUP)
    return dict(path=str(path), **kw)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_creates_then_changes_nothing(tmp_path, capsys):
    etc = tmp_path / "etc" / "svc"
    paths = [entry(etc, state="directory", mode="0750"),
             entry(etc / "env", content="A=1\n", mode="0600"),
             entry(etc / "token", content=SECRET + "\n", mode="0600", secret=True)]
    first = run(capsys, paths=paths)
    assert first["changed"] is True
    assert first["changed_paths"] == [str(etc), str(etc / "env"), str(etc / "token")]
    assert mode_of(etc) == 0o750 and mode_of(etc / "env") == 0o600
    assert (etc / "token").read_text() == SECRET + "\n"
    assert SECRET not in json.dumps(first)
    assert [d["after"] for d in first["diff"]][1:] == ["A=1\n", "(secret content not shown)\n"]
    second = run(capsys, paths=paths)
    assert second["changed"] is False and second["changed_paths"] == [] and second["diff"] == []


def test_check_mode_reports_and_writes_nothing(tmp_path, capsys):
    target = tmp_path / "env"
    target.write_text("A=1\n")
    os.chmod(target, 0o644)
    paths = [entry(target, content="A=2\n", mode="0600"), entry(tmp_path / "new", state="directory")]
    result = run(capsys, check=True, paths=paths)
    assert result["changed"] is True
    assert result["diff"][0]["before"] == "A=1\n" and result["diff"][0]["after"] == "A=2\n"
    assert target.read_text() == "A=1\n" and mode_of(target) == 0o644
    assert not (tmp_path / "new").exists()


def test_mode_only_change_keeps_the_content_and_inode(tmp_path, capsys):
    target = tmp_path / "env"
    target.write_text("A=1\n")
    os.chmod(target, 0o644)
    inode = os.stat(target).st_ino
    result = run(capsys, paths=[entry(target, content="A=1\n", mode="0600")])
    assert result["changed_paths"] == [str(target)]
    assert "mode" in result["diff"][0]["after"]
    assert mode_of(target) == 0o600 and os.stat(target).st_ino == inode


def test_purge_removes_what_is_not_listed_and_absent_removes(tmp_path, capsys):
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "old").write_text("x")
    (creds / "keep").write_text(SECRET)
    gone = tmp_path / "drop-in.conf"
    gone.write_text("z")
    result = run(capsys, paths=[entry(creds, state="directory", mode="0700", purge=True),
                                entry(creds / "keep", content=SECRET, mode="0600", secret=True),
                                dict(path=str(gone), state="absent"),
                                dict(path=str(tmp_path / "never"), state="absent")])
    assert sorted(os.listdir(creds)) == ["keep"] and not gone.exists()
    assert result["changed_paths"] == [str(creds), str(creds / "keep"), str(gone), str(creds / "old")]


def test_stat_and_packages_read_before_changes(tmp_path, capsys):
    marker = tmp_path / "m.archive"
    result = run(capsys, stat=[str(marker)], paths=[entry(marker, content="abc\n", mode="0644")],
                 packages=["surely-not-a-package-name"])
    assert result["stat"][str(marker)] == {"exists": False, "isdir": False, "checksum": None, "mode": None,
                                           "uid": None, "gid": None}
    assert result["packages"] == {"surely-not-a-package-name": None}
    again = run(capsys, stat=[str(marker)])
    assert again["stat"][str(marker)] == {"exists": True, "isdir": False, "checksum": hashlib.sha1(b"abc\n").hexdigest(),
                                          "mode": "0644", "uid": os.getuid(), "gid": os.getgid()}


@pytest.mark.parametrize("bad, field", [
    (dict(path="relative/x", content="a"), "paths[0].path"),
    (dict(path="/x", content="a", mode="644x"), "paths[0].mode"),
    (dict(path="/x", mode="0644"), "paths[0].content"),
    (dict(path="/x", state="directory", content="a"), "paths[0].content"),
    (dict(path="/x", content="a", purge=True), "paths[0].purge"),
])
def test_bad_input_is_refused_before_anything_is_written(tmp_path, capsys, bad, field):
    first = entry(tmp_path / "written-first", content="a")
    result = run(capsys, paths=[bad, first] if field.startswith("paths[0]") else [first, bad])
    assert result["failed"] is True and result["msg"].startswith(field)
    assert not (tmp_path / "written-first").exists()


def test_an_unknown_owner_is_an_error_outside_check_mode(tmp_path, capsys):
    target = tmp_path / "f"
    result = run(capsys, paths=[dict(path=str(target), content="a", owner="no-such-user-here")])
    assert result["failed"] is True and "paths[0].owner" in result["msg"] and not target.exists()
    assert run(capsys, check=True, paths=[dict(path=str(target), content="a", owner="no-such-user-here")])["changed"]


def test_a_directory_where_a_file_belongs_is_not_replaced(tmp_path, capsys):
    (tmp_path / "d").mkdir()
    result = run(capsys, paths=[entry(tmp_path / "d", content="a")])
    assert result["failed"] is True and "is not a file" in result["msg"] and (tmp_path / "d").is_dir()


ARCHIVE = {"name": "kapacitor", "url": "http://mirror/kapacitor-1.8.3_linux_amd64.tar.gz",
           "members": [{"dest": "/usr/bin/kapacitord"}]}
SHA = {ARCHIVE["url"]: "a" * 64}


def _stat(marker_text=None, main=True):
    checksum = hashlib.sha1(marker_text.encode()).hexdigest() if marker_text else None
    return {"/usr/lib/kapacitor/kapacitor.archive": {"exists": marker_text is not None, "checksum": checksum},
            "/usr/bin/kapacitord": {"exists": main}}


def test_archives_pending_follows_marker_and_main_file():
    right = marker_content("a" * 64, ARCHIVE["url"])
    assert right == "%s  kapacitor-1.8.3_linux_amd64.tar.gz\n" % ("a" * 64)
    assert archives_pending([ARCHIVE], SHA, _stat(right), "/usr/lib/kapacitor") == []
    assert archives_pending([ARCHIVE], SHA, _stat(None), "/usr/lib/kapacitor") == [ARCHIVE]
    assert archives_pending([ARCHIVE], SHA, _stat("other\n"), "/usr/lib/kapacitor") == [ARCHIVE]
    assert archives_pending([ARCHIVE], SHA, _stat(right, main=False), "/usr/lib/kapacitor") == [ARCHIVE]
    with pytest.raises(AnsibleFilterError, match="kapacitor"):
        archives_pending([ARCHIVE], SHA, {}, "/usr/lib/kapacitor")


def test_packages_pending_accepts_any_revision_of_the_pinned_version():
    packages = [{"name": "influxdb2", "version": "2.9.1"}, {"name": "influxdb2-cli", "version": "2.7.5"}]
    assert packages_pending(packages, {"influxdb2": "2.9.1-1", "influxdb2-cli": "2.7.5-2"}) == []
    assert packages_pending(packages, {"influxdb2": "2.7.12-1", "influxdb2-cli": None}) == [
        "influxdb2=2.9.1-*", "influxdb2-cli=2.7.5-*"]
    assert packages_pending(packages, {"influxdb2": "2.9.10-1", "influxdb2-cli": "2.7.5"}) == ["influxdb2=2.9.1-*"]


def test_files_differ_compares_only_what_is_wanted(tmp_path, capsys):
    right, loose, gone = tmp_path / "right", tmp_path / "loose", tmp_path / "gone"
    right.write_text("deb\n")
    loose.write_text("deb\n")
    os.chmod(right, 0o644)
    os.chmod(loose, 0o666)
    seen = run(capsys, stat=[str(right), str(loose), str(gone), str(tmp_path)])["stat"]
    uid = os.getuid()
    assert files_differ(seen, {str(right): {"content": "deb\n", "mode": "0644", "uid": uid}}) == []
    assert files_differ(seen, {str(right): {"content": "other\n"}}) == [str(right)]
    assert files_differ(seen, {str(right): {"uid": uid + 1}}) == [str(right)]
    assert files_differ(seen, {str(loose): {"content": "deb\n"}}) == []
    assert files_differ(seen, {str(loose): {"mode": "0644"}, str(gone): {}, str(tmp_path): {}}) == sorted(
        [str(loose), str(gone), str(tmp_path)])
    with pytest.raises(AnsibleFilterError, match="nothing known of /elsewhere"):
        files_differ(seen, {"/elsewhere": {}})


def test_find_reports_matching_files_as_find_would(tmp_path, capsys):
    conf, sub, other, missing = tmp_path / "a.conf", tmp_path / "d" / "b.conf", tmp_path / "c.txt", tmp_path / "gone"
    sub.parent.mkdir()
    conf.write_text("x\n")
    sub.write_text("y\n")
    other.write_text("z\n")
    os.chmod(conf, 0o640)
    (tmp_path / "d" / "link.conf").symlink_to(conf)
    result = run(capsys, find=[{"path": str(tmp_path), "patterns": ["*.conf"]}, {"path": str(missing)}])
    assert result["changed"] is False
    found = result["found"][str(tmp_path)]
    assert [f["path"] for f in found] == [str(conf), str(sub)]
    assert found[0] == {"path": str(conf), "checksum": hashlib.sha1(b"x\n").hexdigest(), "mode": "0640",
                        "uid": os.getuid(), "gid": os.getgid(), "pw_name": OWNER, "gr_name": GROUP}
    assert result["found"][str(missing)] == []


def test_nothing_to_remove_only_when_every_path_was_read_and_is_gone(tmp_path, capsys):
    there, gone = tmp_path / "there", tmp_path / "gone"
    there.write_text("x\n")
    seen = run(capsys, stat=[str(there), str(gone)])
    stopped = dict(seen, units={"t.timer": {"enabled": "not-found", "active": "inactive"}})
    assert nothing_to_remove(stopped, [str(gone)], "t.timer") is True
    assert nothing_to_remove(stopped, [str(gone), str(there)], "t.timer") is False
    # A path or unit the call did not read: look (remove as without the check).
    assert nothing_to_remove(stopped, [str(gone), "/not/read"], "t.timer") is False
    assert nothing_to_remove(stopped, [str(gone)], "other.timer") is False
    assert nothing_to_remove(dict(seen, units={"t.timer": {"active": "active"}}), [str(gone)], "t.timer") is False
    assert nothing_to_remove({}, [str(gone)], "t.timer") is False
    with pytest.raises(AnsibleFilterError, match="expected a host_layout result"):
        nothing_to_remove([], [], "t.timer")


def test_validate_runs_before_anything_is_written(tmp_path, capsys):
    first, checked = tmp_path / "first", tmp_path / "checked.conf"
    paths = [entry(first, content="a\n"),
             entry(checked, content="bad\n", validate="grep -q good %s")]
    result = run(capsys, paths=paths)
    assert result["failed"] is True and "paths[1]" in result["msg"] and "Nothing was changed" in result["msg"]
    assert not first.exists() and not checked.exists()
    paths[1]["content"] = "good\n"
    assert run(capsys, paths=paths)["changed"] is True and checked.read_text() == "good\n"
    # Unchanged content is not checked again (a check that would now fail is not run).
    paths[1]["validate"] = "false %s"
    assert run(capsys, paths=paths)["changed"] is False


def test_validate_needs_a_file_and_the_placeholder(tmp_path, capsys):
    result = run(capsys, paths=[entry(tmp_path / "x", content="a", validate="true")])
    assert result["failed"] is True and result["msg"].startswith("paths[0].validate")
