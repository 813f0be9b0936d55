#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: host_layout
short_description: A service's system user, directories and small files on a host, in one round trip
description:
  - Makes a service's system group and user, its directories and its small files (environment files,
    systemd drop-ins, credentials, token copies) what O(user) and O(paths) say, in one module run, where
    the equivalent C(ansible.builtin.group), C(ansible.builtin.user), C(ansible.builtin.file) and
    C(ansible.builtin.copy) tasks cost a round trip per item. The roles of this collection use it so that a
    converge that changes nothing costs each host few round trips.
  - Also reports, read-only, what the roles need to decide their next steps (O(stat), O(packages)), so
    that no extra task has to ask.
  - Files are written atomically (a temporary file in the same directory, then a rename) with their
    owner, group and mode set before the rename. Missing parent directories are created (root, 0755).
  - The content of an entry with O(paths[].secret=true) is never in the diff or the result.
author:
  - tickstack.influx contributors (@tickstack)
options:
  user:
    description:
      - The service's system user and its primary group, created when missing (C(groupadd --system),
        C(useradd --system --no-create-home)). An existing user whose primary group, home or shell differ
        is changed with C(usermod). Users and groups are never removed.
    type: dict
    suboptions:
      name:
        description: The user's name.
        type: str
        required: true
      group:
        description: Its primary group (a system group, created when missing). Defaults to O(user.name).
        type: str
      home:
        description: Its home directory (not created).
        type: path
        required: true
      shell:
        description: Its login shell.
        type: path
        default: /bin/false
  paths:
    description:
      - Directories and files, handled in the order given (a directory before the files in it). Owners
        and groups are names.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: An absolute path.
        type: path
        required: true
      state:
        description:
          - V(directory), V(file) (with O(paths[].content)) or V(absent) (a file or a directory tree).
        type: str
        choices: [directory, file, absent]
        default: file
      owner:
        description: Its owner.
        type: str
        default: root
      group:
        description: Its group.
        type: str
        default: root
      mode:
        description:
          - Its mode, as an octal string (for example V(0644), quoted in YAML); V(0755) for a directory and
            V(0644) for a file when not given.
        type: str
      content:
        description: The whole content of a V(file).
        type: str
      secret:
        description: The content is a secret (a token, a password), never in the diff, the result or a log.
        type: bool
        default: false
      validate:
        description:
          - For a V(file), a command that checks new content before anything is written, with C(%s) for
            the path of a temporary copy (as C(ansible.builtin.template)'s C(validate)). Every entry's check
            runs before any entry is changed, so a failed check changes nothing.
        type: str
      purge:
        description:
          - For a V(directory), remove what it holds that O(paths) does not list (a credential no longer
            wanted). Only the directory's own entries are looked at.
        type: bool
        default: false
  stat:
    description:
      - Paths to report on in RV(stat), read before anything changes (for example the marker files that
        record which archives are installed).
    type: list
    elements: path
    default: []
  packages:
    description:
      - Package names whose installed versions to report in RV(packages) (C(dpkg-query) where it exists,
        otherwise C(rpm)), read before anything changes.
    type: list
    elements: str
    default: []
  units:
    description:
      - systemd unit names whose state to report in RV(units), read before anything changes, so that a
        role can skip starting what already runs.
    type: list
    elements: str
    default: []
  find:
    description:
      - Directories whose regular files to report in RV(found), read before anything changes, as
        C(ansible.builtin.find) with C(recurse=true) and C(get_checksum=true) would (for example the
        fragments of a config directory, compared on the controller with what the role renders).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: An absolute directory path (none found when it does not exist).
        type: path
        required: true
      patterns:
        description: Shell patterns one of which a file's name must match.
        type: list
        elements: str
        default: ['*']
attributes:
  check_mode:
    description: Reports what would change, and the diff, without changing anything.
    support: full
  diff_mode:
    description: One diff per changed path; a secret's content is masked.
    support: full
"""

EXAMPLES = r"""
- name: The system user, directories and environment file of kapacitor
  tickstack.influx.host_layout:
    user:
      name: kapacitor
      home: /var/lib/kapacitor
    paths:
      - {path: /etc/kapacitor, state: directory, mode: "0755"}
      - {path: /var/lib/kapacitor, state: directory, owner: kapacitor, group: kapacitor, mode: "0750"}
      - path: /etc/default/kapacitor
        content: "KAPACITOR_TOKEN={{ kapacitor_token }}\n"
        mode: "0600"
        secret: true
    stat:
      - /var/lib/tickstack/archives/kapacitor.archive
  notify: Restart kapacitor
"""

RETURN = r"""
changed_paths:
  description: The paths that changed (or would, in check mode), with the user's name first when it did.
  returned: always
  type: list
  elements: str
  sample: [/etc/default/kapacitor]
stat:
  description:
    - For each path of O(stat), whether it exists, whether it is a directory, a file's sha1, its mode
      (four octal digits) and the numeric ID of its owner and group (null when it does not exist).
  returned: always
  type: dict
  sample:
    /var/lib/tickstack/archives/kapacitor.archive:
      exists: true
      isdir: false
      checksum: 3f786850e387550fdab836ed7e6dc881de23001b
      mode: "0644"
      uid: 0
      gid: 0
packages:
  description: For each name of O(packages), its installed version, or null when it is not installed.
  returned: always
  type: dict
  sample: {kapacitor: 1.8.3-1}
units:
  description: For each name of O(units), C(systemctl is-enabled) and C(is-active) (for example V(enabled), V(active)).
  returned: always
  type: dict
  sample: {tickstack-backup-kapacitor.timer: {enabled: enabled, active: active}}
found:
  description:
    - For each directory of O(find), its matching regular files, sorted by path, with the keys
      C(ansible.builtin.find) gives them - C(path), C(checksum) (sha1), C(mode) (four octal digits),
      C(uid), C(gid), C(pw_name) and C(gr_name).
  returned: always
  type: dict
  sample:
    /etc/telegraf:
      - {path: /etc/telegraf/telegraf.conf, checksum: 3f786850e387550fdab836ed7e6dc881de23001b, mode: "0640",
         uid: 0, gid: 999, pw_name: root, gr_name: telegraf}
"""

import fnmatch
import grp
import hashlib
import os
import pwd
import re
import shlex
import shutil
import stat as stat_module
import tempfile

from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput, OperationFailed
from ansible_collections.tickstack.influx.plugins.module_utils.runner import run_module

MASK = "(secret content not shown)"
MODE = re.compile(r"^0?[0-7]{3,4}$")

ARGUMENT_SPEC = dict(
    user=dict(type="dict", options=dict(
        name=dict(type="str", required=True),
        group=dict(type="str"),
        home=dict(type="path", required=True),
        shell=dict(type="path", default="/bin/false"),
    )),
    paths=dict(type="list", elements="dict", default=[], options=dict(
        path=dict(type="path", required=True),
        state=dict(type="str", choices=["directory", "file", "absent"], default="file"),
        owner=dict(type="str", default="root"),
        group=dict(type="str", default="root"),
        mode=dict(type="str"),
        content=dict(type="str"),
        secret=dict(type="bool", default=False),
        validate=dict(type="str"),
        purge=dict(type="bool", default=False),
    )),
    stat=dict(type="list", elements="path", default=[]),
    packages=dict(type="list", elements="str", default=[]),
    units=dict(type="list", elements="str", default=[]),
    find=dict(type="list", elements="dict", default=[], options=dict(
        path=dict(type="path", required=True),
        patterns=dict(type="list", elements="str", default=["*"]),
    )),
)


def secrets(params):
    return [entry["content"] for entry in params.get("paths") or []
            if entry.get("secret") and entry.get("content")]


def check_paths(entries):
    """Refuse what cannot be right before anything is touched."""
    seen = set()
    for index, entry in enumerate(entries):
        where = "paths[%d]" % index
        path = entry["path"]
        if not os.path.isabs(path):
            raise InvalidInput("%s.path: %r is not an absolute path" % (where, path))
        if os.path.normpath(path) in seen:
            raise InvalidInput("%s.path: %s is listed twice" % (where, path))
        seen.add(os.path.normpath(path))
        state = entry["state"]
        if state != "absent" and entry.get("mode") is None:
            entry["mode"] = "0755" if state == "directory" else "0644"
        if state != "absent" and not MODE.match(entry["mode"]):
            raise InvalidInput("%s.mode: %r is not an octal mode; quote it, for example mode: \"0644\""
                               % (where, entry.get("mode")))
        if state == "file" and entry.get("content") is None:
            raise InvalidInput("%s.content: a file needs its content (or state: directory / absent)" % where)
        if state != "file" and entry.get("content") is not None:
            raise InvalidInput("%s.content: only a file has content (state is %s)" % (where, state))
        if entry.get("purge") and state != "directory":
            raise InvalidInput("%s.purge: only a directory can be purged" % where)
        if entry.get("validate") is not None and (state != "file" or "%s" not in entry["validate"]):
            raise InvalidInput("%s.validate: needs a file and %%s (the path of the copy to check) in the command"
                               % where)


def validate_all(module, entries):
    """Check the new content of every entry that has a check, before anything is written."""
    for index, entry in enumerate(entries):
        if not entry.get("validate"):
            continue
        path = entry["path"]
        data = entry["content"].encode("utf-8")
        if os.path.isfile(path) and read(path) == data:
            continue
        fd, tmp = tempfile.mkstemp(prefix=".host_layout.")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            argv = [arg.replace("%s", tmp) for arg in shlex.split(entry["validate"])]
            rc, out, err = module.run_command(argv)
        finally:
            os.unlink(tmp)
        if rc != 0:
            raise OperationFailed("paths[%d] (%s): the new content failed its check (%s, rc %d): %s. Nothing was "
                                  "changed." % (index, path, argv[0], rc, (err or out).strip()))


def run(argv, module):
    rc, out, err = module.run_command(argv)
    if rc != 0:
        raise OperationFailed("%s failed (rc %d): %s" % (" ".join(argv), rc, (err or out).strip()))
    return out


def lookup(kind, name):
    try:
        return pwd.getpwnam(name) if kind == "user" else grp.getgrnam(name)
    except KeyError:
        return None


def ensure_user(module, spec, changed):
    """The system group and user; in check mode, what would be made."""
    if not spec:
        return
    name, group = spec["name"], spec.get("group") or spec["name"]
    if lookup("group", group) is None:
        changed.append("group " + group)
        if not module.check_mode:
            run([module.get_bin_path("groupadd", True), "--system", group], module)
    current = lookup("user", name)
    if current is None:
        changed.append("user " + name)
        if not module.check_mode:
            run([module.get_bin_path("useradd", True), "--system", "--no-create-home", "--gid", group,
                 "--home-dir", spec["home"], "--shell", spec["shell"], name], module)
        return
    gid = lookup("group", group)
    wanted = [("--gid", group, gid is None or current.pw_gid != gid.gr_gid),
              ("--home", spec["home"], current.pw_dir != spec["home"]),
              ("--shell", spec["shell"], current.pw_shell != spec["shell"])]
    argv = [arg for flag, value, differs in wanted if differs for arg in (flag, value)]
    if argv:
        changed.append("user " + name)
        if not module.check_mode:
            run([module.get_bin_path("usermod", True)] + argv + [name], module)


def ids(entry, where, check_mode):
    """The uid and gid of an entry; None for a user or group that does not exist yet, in check mode."""
    found = []
    for kind, name in (("user", entry["owner"]), ("group", entry["group"])):
        known = lookup(kind, name)
        if known is None:
            # In check mode an earlier task (or this one) would have made it.
            if check_mode:
                found.append(None)
                continue
            field = "owner" if kind == "user" else "group"
            raise InvalidInput("%s.%s: there is no %s %s on this host" % (where, field, kind, name))
        found.append(known.pw_uid if kind == "user" else known.gr_gid)
    return found


def read(path):
    with open(path, "rb") as f:
        return f.read()


def text_of(data, entry):
    if entry["secret"]:
        return MASK + "\n"
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "(binary content)\n"


def make_parents(path):
    parent = os.path.dirname(path)
    missing = []
    while parent and not os.path.isdir(parent):
        missing.append(parent)
        parent = os.path.dirname(parent)
    for directory in reversed(missing):
        os.mkdir(directory, 0o755)


def write_file(module, path, data, uid, gid, mode):
    make_parents(path)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchown(f.fileno(), uid, gid)
            os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def ensure_entry(module, index, entry, changed, diffs):
    where = "paths[%d]" % index
    path, state = entry["path"], entry["state"]
    try:
        current = os.lstat(path)
    except FileNotFoundError:
        current = None
    if state == "absent":
        if current is None:
            return
        changed.append(path)
        diffs.append({"before_header": path, "after_header": path, "before": "(present)\n", "after": "(absent)\n"})
        if not module.check_mode:
            if stat_module.S_ISDIR(current.st_mode):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        return
    uid, gid = ids(entry, where, module.check_mode)
    mode = int(entry["mode"], 8)
    is_dir = state == "directory"
    kind_ok = current is not None and (stat_module.S_ISDIR(current.st_mode) if is_dir
                                       else stat_module.S_ISREG(current.st_mode))
    if current is not None and not kind_ok:
        raise OperationFailed("%s.path: %s exists but is not a %s; nothing was changed there (move it away, or "
                              "set state: absent first)" % (where, path, state))
    before = after = None
    data = None if is_dir else entry["content"].encode("utf-8")
    content_differs = False
    if not is_dir:
        old = read(path) if current is not None else None
        content_differs = old != data
        if content_differs:
            before = "" if old is None else text_of(old, entry)
            after = text_of(data, entry)
    attrs = [] if current is None else [
        ("owner", current.st_uid, uid), ("group", current.st_gid, gid),
        ("mode", stat_module.S_IMODE(current.st_mode), mode)]
    attrs_differ = [name for name, have, want in attrs if want is None or have != want]
    if current is not None and not content_differs and not attrs_differ:
        return
    changed.append(path)
    if current is None:
        diffs.append({"before_header": path, "after_header": path, "before": "(absent)\n",
                      "after": "(directory %s %s:%s)\n" % (entry["mode"], entry["owner"], entry["group"]) if is_dir
                      else after})
    elif content_differs:
        diffs.append({"before_header": path, "after_header": path, "before": before, "after": after})
    else:
        had = ", ".join("%s %s" % (n, oct(h) if n == "mode" else h) for n, h, _w in attrs if n in attrs_differ)
        wants = ", ".join("%s %s" % (n, entry[n]) for n in attrs_differ)
        diffs.append({"before_header": path, "after_header": path,
                      "before": "(%s)\n" % had, "after": "(%s)\n" % wants})
    if module.check_mode:
        return
    if is_dir:
        if current is None:
            make_parents(path)
            os.mkdir(path, mode)
        os.chown(path, uid, gid)
        os.chmod(path, mode)
    elif content_differs:
        write_file(module, path, data, uid, gid, mode)
    else:
        os.chown(path, uid, gid)
        os.chmod(path, mode)


def purge(module, entries, changed, diffs):
    listed = {os.path.normpath(entry["path"]) for entry in entries}
    for entry in entries:
        if not entry["purge"] or not os.path.isdir(entry["path"]):
            continue
        for name in sorted(os.listdir(entry["path"])):
            path = os.path.join(entry["path"], name)
            if os.path.normpath(path) in listed:
                continue
            changed.append(path)
            diffs.append({"before_header": path, "after_header": path, "before": "(present)\n", "after": "(absent)\n"})
            if not module.check_mode:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)


def _name(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return None


def found_in(entry):
    """The regular files under ``entry["path"]`` (recursively) whose name matches one of its patterns."""
    found = []
    for root, dirs, files in os.walk(entry["path"]):
        dirs.sort()
        for name in sorted(files):
            if not any(fnmatch.fnmatch(name, pattern) for pattern in entry["patterns"]):
                continue
            path = os.path.join(root, name)
            try:
                current = os.lstat(path)
            except FileNotFoundError:
                continue
            if not stat_module.S_ISREG(current.st_mode):
                continue
            found.append({"path": path, "checksum": hashlib.sha1(read(path)).hexdigest(),
                          "mode": "%04o" % stat_module.S_IMODE(current.st_mode), "uid": current.st_uid,
                          "gid": current.st_gid, "pw_name": _name(pwd.getpwuid, current.st_uid),
                          "gr_name": _name(grp.getgrgid, current.st_gid)})
    return sorted(found, key=lambda item: item["path"])


def stat_of(path):
    try:
        current = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return {"exists": False, "isdir": False, "checksum": None, "mode": None, "uid": None, "gid": None}
    isdir = stat_module.S_ISDIR(current.st_mode)
    checksum = None
    if stat_module.S_ISREG(current.st_mode):
        checksum = hashlib.sha1(read(path)).hexdigest()
    return {"exists": True, "isdir": isdir, "checksum": checksum, "mode": "%04o" % stat_module.S_IMODE(current.st_mode),
            "uid": current.st_uid, "gid": current.st_gid}


def installed_packages(module, names):
    if not names:
        return {}
    dpkg = module.get_bin_path("dpkg-query")
    if dpkg:
        rc, out, _err = module.run_command([dpkg, "--show", "--showformat=${Package}\t${Version}\t${db:Status-Abbrev}\n"]
                                           + list(names))
        found = {}
        for line in out.splitlines():
            fields = line.split("\t")
            if len(fields) == 3 and fields[2].startswith("ii"):
                found[fields[0]] = fields[1]
        return {name: found.get(name) for name in names}
    rpm = module.get_bin_path("rpm", True)
    found = {}
    for name in names:
        rc, out, _err = module.run_command([rpm, "-q", "--queryformat", "%{VERSION}-%{RELEASE}", name])
        found[name] = out.strip() if rc == 0 else None
    return found


def unit_states(module, names):
    if not names:
        return {}
    systemctl = module.get_bin_path("systemctl", True)
    states = {}
    for name in names:
        enabled = module.run_command([systemctl, "is-enabled", name])[1].strip() or "not-found"
        active = module.run_command([systemctl, "is-active", name])[1].strip() or "unknown"
        states[name] = {"enabled": enabled, "active": active}
    return states


def ensure(module, _client):
    params = module.params
    entries = params["paths"]
    check_paths(entries)
    # What the role asked to know, as it was before this run changed anything.
    stats = {path: stat_of(path) for path in params["stat"]}
    packages = installed_packages(module, params["packages"])
    units = unit_states(module, params["units"])
    found = dict((entry["path"], found_in(entry)) for entry in params["find"])
    changed, diffs = [], []
    if not module.check_mode:
        validate_all(module, entries)
    ensure_user(module, params["user"], changed)
    for index, entry in enumerate(entries):
        ensure_entry(module, index, entry, changed, diffs)
    purge(module, entries, changed, diffs)
    return {"changed": bool(changed), "changed_paths": changed, "stat": stats, "packages": packages, "units": units,
            "found": found, "diff": diffs}


def main():
    run_module(ARGUMENT_SPEC, ensure, lambda module: None, action="laying out the service's files",
               secrets=secrets)


if __name__ == "__main__":
    main()
