# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``archive_members`` filter: which files of the unpacked release tarballs to install, and where.

Release tarballs of one product differ between versions (InfluxDB 2.7 ships its systemd unit and start
script under ``usr/``, 2.8.0 only a flat ``influxd``), so a member may name several places to look
(``src`` a list: the first one the archive holds wins) and may be ``optional``. See
``archive_members.yml`` for the options and the result.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError


def _names(result: dict) -> set[str]:
    # unarchive's list_files (with --show-transformed-names) names members after --strip-components.
    names = set()
    for name in result.get("files") or []:
        name = str(name)
        while name.startswith("./"):
            name = name[2:]
        names.add(name.rstrip("/"))
    return names


def _candidates(member: dict) -> list[str]:
    src = member.get("src")
    candidates = [src] if isinstance(src, str) else list(src or [])
    if not candidates or not all(isinstance(c, str) and c for c in candidates):
        raise AnsibleFilterError("archive_members: the member for %s needs src, a path or a list of paths"
                                 % member.get("dest", "?"))
    return candidates


def archive_members(archives: Any, unpacked: Any) -> dict[str, list]:
    """``install``: one item per member found (the member with ``src`` resolved and ``archive``, its
    archive's name); ``remove``: the ``dest`` of each optional member the archive does not hold."""
    if not isinstance(archives, list) or not isinstance(unpacked, list):
        raise AnsibleFilterError("archive_members: expected the list of archives and the results of the "
                                 "unarchive loop (registered with list_files: true)")
    listings = {}
    for result in unpacked:
        archive = result.get("_common_archive") if isinstance(result, dict) else None
        if not isinstance(archive, dict) or "files" not in result:
            raise AnsibleFilterError("archive_members: each unarchive result needs _common_archive (the loop "
                                     "variable) and files (list_files: true)")
        listings[archive["name"]] = _names(result)
    install: list[dict] = []
    remove: list[str] = []
    for archive in archives:
        name = archive["name"]
        if name not in listings:
            raise AnsibleFilterError("archive_members: no listing of the archive %s" % name)
        for member in archive.get("members") or []:
            candidates = _candidates(member)
            found = next((c for c in candidates if c in listings[name]), None)
            if found is not None:
                item = {k: v for k, v in member.items() if k != "optional"}
                item.update(src=found, archive=name)
                install.append(item)
            elif member.get("optional", False):
                remove.append(member["dest"])
            else:
                raise AnsibleFilterError(
                    "%s (%s) holds none of %s: it is not a release tarball of this product for Linux. Set %s "
                    "to one (and %s to its sha256, or leave that empty)." % (
                        archive.get("url_variable", "the archive URL"), archive.get("url", name),
                        ", ".join(candidates), archive.get("url_variable", "the archive URL"),
                        archive.get("checksum_variable", "its checksum")))
    return {"install": install, "remove": remove}


class FilterModule:
    """Release archive filters."""

    def filters(self) -> dict[str, Any]:
        return {"archive_members": archive_members}
