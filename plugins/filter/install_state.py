# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the common role still has to install, from what ``host_layout`` reported of the host.

``archives_pending``: the release archives whose marker is missing or records another tarball, or whose
main file is gone. ``packages_pending``: the pinned packages not installed at their version, as apt
names (``influxdb2=2.9.1-*``). See ``archives_pending.yml`` and ``packages_pending.yml``.
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


class FilterModule:
    """Install state filters."""

    def filters(self) -> dict[str, Any]:
        return {"archives_pending": archives_pending, "packages_pending": packages_pending}
