# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the common role still has to install, from what ``host_layout`` reported of the host.

``archives_pending``: the release archives whose marker is missing or records another tarball, or whose
main file is gone. ``packages_pending``: the pinned packages not installed at their version, as apt
names (``influxdb2=2.9.1-*``). ``files_differ``: the files that are missing or differ from what is wanted
(content, mode, owner). See ``archives_pending.yml``, ``packages_pending.yml`` and ``files_differ.yml``.
"""

from __future__ import annotations

import hashlib
import posixpath
from typing import Any

from ansible.errors import AnsibleFilterError


def marker_content(sha256: str, url: str) -> str:
    """What the marker of an installed archive holds: the line of its upstream ``.sha256`` file."""
    return "%s  %s\n" % (sha256, posixpath.basename(url))


def archives_pending(archives: Any, sha256: Any, stat: Any, marker_dir: str) -> list:
    if not isinstance(archives, list) or not isinstance(sha256, dict) or not isinstance(stat, dict):
        raise AnsibleFilterError("archives_pending: expected the archives, the sha256 of each URL and "
                                 "host_layout's stat")
    pending = []
    for archive in archives:
        try:
            digest = sha256[archive["url"]]
            marker = stat["%s/%s.archive" % (marker_dir, archive["name"])]
            main_file = stat[archive["members"][0]["dest"]]
        except (KeyError, IndexError, TypeError) as e:
            raise AnsibleFilterError("archives_pending: nothing known of %r for archive %s (is its marker and main "
                                     "file in host_layout's stat?)" % (str(e), archive.get("name"))) from e
        wanted = hashlib.sha1(marker_content(digest, archive["url"]).encode("utf-8")).hexdigest()
        if not marker.get("exists") or marker.get("checksum") != wanted or not main_file.get("exists"):
            pending.append(archive)
    return pending


def packages_pending(packages: Any, installed: Any) -> list:
    if not isinstance(packages, list) or not isinstance(installed, dict):
        raise AnsibleFilterError("packages_pending: expected the pinned packages and host_layout's packages")
    pending = []
    for package in packages:
        name, version = package["name"], str(package["version"])
        have = installed.get(name)
        # Any Debian revision of the pinned upstream version (2.9.1-1, 2.9.1-2) will do.
        if not have or (have != version and not have.startswith(version + "-")):
            pending.append("%s=%s-*" % (name, version))
    return pending


def files_differ(stat: Any, wanted: Any) -> list:
    """The paths of ``wanted`` ({path: {content, mode, uid, gid}}, each key optional) that host_layout's
    ``stat`` reports missing, not a regular file, or with another content, mode or owner."""
    if not isinstance(stat, dict) or not isinstance(wanted, dict):
        raise AnsibleFilterError("files_differ: expected host_layout's stat and a dict of the wanted files")
    differ = []
    for path, want in wanted.items():
        have = stat.get(path)
        if not isinstance(have, dict) or not isinstance(want, dict):
            raise AnsibleFilterError("files_differ: nothing known of %s (is it in host_layout's stat?)" % path)
        same = have.get("exists") and not have.get("isdir") and have.get("checksum")
        if same and "content" in want:
            same = have["checksum"] == hashlib.sha1(str(want["content"]).encode("utf-8")).hexdigest()
        for key in ("mode", "uid", "gid"):
            if same and key in want:
                same = str(have.get(key)) == str(want[key])
        if not same:
            differ.append(path)
    return sorted(differ)


def nothing_to_remove(layout: Any, paths: Any, unit: str) -> bool:
    """Whether a host_layout result (its ``stat`` and ``units``) shows none of ``paths`` and ``unit`` not
    running. A path or unit it did not read counts as there: the caller then looks itself."""
    if not isinstance(layout, dict):
        raise AnsibleFilterError("nothing_to_remove: expected a host_layout result (a dict), got %s" % type(layout).__name__)
    stat, units = layout.get("stat"), layout.get("units")
    if not isinstance(stat, dict) or not isinstance(units, dict) or not isinstance(units.get(unit), dict):
        return False
    return (all(isinstance(stat.get(path), dict) and stat[path].get("exists") is False for path in paths)
            and units[unit].get("active") in ("inactive", "unknown", "failed"))


class FilterModule:
    """Install state filters."""

    def filters(self) -> dict[str, Any]:
        return {"archives_pending": archives_pending, "files_differ": files_differ,
                "nothing_to_remove": nothing_to_remove,
                "packages_pending": packages_pending}
