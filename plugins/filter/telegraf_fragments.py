# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``telegraf_fragments`` filter: the telegraf role's files, what ``telegraf config check`` loads, and
which of the role's fragments to prune.

Telegraf loads telegraf.conf and every ``*.conf`` under its config directory. The role writes
telegraf.conf (every table but the plugin kinds) and one fragment per plugin kind that has plugins,
``<prefix><kind>.conf`` directly in the fragment directory; it owns those names only. Everything else
the ``find`` there returns belongs to someone else: checked with the role's files, never touched.
See ``telegraf_fragments.yml`` for the options and the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import hashlib
import json
from typing import Any

from ansible.errors import AnsibleFilterError


def _fail(field: str, problem: str) -> AnsibleFilterError:
    return AnsibleFilterError("telegraf_fragments: %s %s" % (field, problem))


def _directory(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.startswith("/") or value.rstrip("/") == "":
        raise _fail(field, "must be an absolute directory path, got %r" % (value,))
    return value.rstrip("/")


def _paths(found: Any) -> list[str]:
    # The `files` of ansible.builtin.find (dicts with `path`), or the paths themselves.
    if not isinstance(found, Sequence) or isinstance(found, (str, bytes)):
        raise _fail("found", "must be the files of ansible.builtin.find (or their paths), got %s"
                    % type(found).__name__)
    paths = []
    for entry in found:
        path = entry.get("path") if isinstance(entry, Mapping) else entry
        if not isinstance(path, str) or not path:
            raise _fail("found", "holds an entry without a path: %r" % (entry,))
        paths.append(path)
    return paths


def _in_directory(path: str, directory: str) -> bool:
    # Anywhere below it (find recurses; Telegraf walks subdirectories too).
    return path.startswith(directory + "/")


def telegraf_fragments(config: Any, found: Any, config_path: str, fragment_dir: str, prefix: str,
                       candidate_dir: str, kinds: Any) -> dict[str, list]:
    """``files``: what to render (``name``, ``dest``, ``candidate``, ``sections``), telegraf.conf first;
    ``check``: the config files ``telegraf config check`` loads (the candidates, then the others' files,
    sorted); ``others``: those files of others; ``stale``: the role's own fragments and candidates it no
    longer writes, sorted."""
    if not isinstance(config, Mapping):
        raise _fail("config", "must be a mapping of Telegraf's tables, got %s" % type(config).__name__)
    if not isinstance(config_path, str) or not config_path.startswith("/"):
        raise _fail("config_path", "must be an absolute file path, got %r" % (config_path,))
    fragment_dir = _directory(fragment_dir, "fragment_dir")
    candidate_dir = _directory(candidate_dir, "candidate_dir")
    if not isinstance(prefix, str) or not prefix or "/" in prefix:
        raise _fail("prefix", "must be a non-empty file name prefix without '/', got %r" % (prefix,))
    if (not isinstance(kinds, Sequence) or isinstance(kinds, (str, bytes))
            or not all(isinstance(kind, str) and kind for kind in kinds)):
        raise _fail("kinds", "must be a list of plugin kinds (outputs, inputs, ...), got %r" % (kinds,))
    paths = _paths(found)

    files = [{"name": "telegraf.conf", "dest": config_path,
              "sections": [str(key) for key in config if key not in kinds]}]
    for kind in kinds:
        # An absent, null or empty kind gets no fragment (and a fragment left from before is stale).
        if config.get(kind):
            name = "%s%s.conf" % (prefix, kind)
            files.append({"name": name, "dest": "%s/%s" % (fragment_dir, name), "sections": [kind]})
    for file in files:
        file["candidate"] = "%s/%s" % (candidate_dir, file["name"])

    # The role's names: <prefix>*.conf directly in the fragment directory (never in a subdirectory).
    owned = [path for path in paths
             if _in_directory(path, fragment_dir) and "/" not in path[len(fragment_dir) + 1:]
             and path[len(fragment_dir) + 1:].startswith(prefix)]
    others = sorted(path for path in paths if _in_directory(path, fragment_dir) and path not in owned)
    written = {file["dest"] for file in files} | {file["candidate"] for file in files}
    stale = sorted({path for path in owned + [p for p in paths if _in_directory(p, candidate_dir)]
                    if path not in written})
    return {
        "files": files,
        "check": [file["candidate"] for file in files] + others,
        "others": others,
        "stale": stale,
    }


def telegraf_fragments_installed(fragments: Any, found: Any, rendered: Any, owner: str = "root",
                                 group: str = "telegraf", mode: str = "0640") -> bool:
    """Whether every file the role writes is installed with the content just rendered (sha1), the owner,
    group and mode it gets, and nothing of the role's is stale: then the render, the check of the
    candidates and the install would change nothing."""
    if not isinstance(fragments, Mapping) or not isinstance(rendered, Mapping):
        raise _fail("fragments", "must be the telegraf_fragments result and the rendered content of each dest")
    if not isinstance(found, Sequence) or not all(isinstance(entry, Mapping) for entry in found):
        raise _fail("found", "must be the files of ansible.builtin.find with get_checksum: true")
    by_path = {entry.get("path"): entry for entry in found}
    if fragments.get("stale"):
        return False
    for file in fragments.get("files") or []:
        entry = by_path.get(file["dest"])
        content = rendered.get(file["dest"])
        if entry is None or content is None or not entry.get("checksum"):
            return False
        if entry["checksum"] != hashlib.sha1(str(content).encode("utf-8")).hexdigest():
            return False
        if (entry.get("pw_name"), entry.get("gr_name")) != (owner, group) or entry.get("mode") != mode:
            return False
    return True


def telegraf_check_marker(fragments: Any, found: Any, rendered: Any, installed: Any) -> str:
    """The record of a set ``telegraf config check`` passed: each file the role writes with the sha1 of what
    it renders (what is installed once the set is in place), each file of others with the sha1 found, and
    what says which Telegraf checked them (``installed``: package versions, the archive marker's stat).
    The telegraf role writes it after a passing check and skips the check while it is the same."""
    if not isinstance(fragments, Mapping) or not isinstance(rendered, Mapping):
        raise _fail("fragments", "must be the telegraf_fragments result and the rendered content of each dest")
    if not isinstance(found, Sequence) or not all(isinstance(entry, Mapping) for entry in found):
        raise _fail("found", "must be the files of ansible.builtin.find with get_checksum: true")
    if not isinstance(installed, Mapping):
        raise _fail("installed", "must be a mapping (package versions, stat results), got %s"
                    % type(installed).__name__)
    by_path = {entry.get("path"): entry for entry in found}
    lines = ["# telegraf config check passed for this set (tickstack.influx.telegraf); do not edit"]
    for file in fragments.get("files") or []:
        if file["dest"] not in rendered:
            raise _fail("rendered", "has no content for %s" % file["dest"])
        lines.append("file %s %s" % (file["dest"], hashlib.sha1(str(rendered[file["dest"]]).encode("utf-8")).hexdigest()))
    for path in fragments.get("others") or []:
        lines.append("other %s %s" % (path, (by_path.get(path) or {}).get("checksum")))
    lines.append("installed %s" % json.dumps(installed, sort_keys=True, default=str))
    return "\n".join(lines) + "\n"


class FilterModule:
    """The telegraf role's bookkeeping of telegraf.conf and its telegraf.d fragments."""

    def filters(self) -> dict:
        return {"telegraf_fragments": telegraf_fragments, "telegraf_fragments_installed": telegraf_fragments_installed,
                "telegraf_check_marker": telegraf_check_marker}
