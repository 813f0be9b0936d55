# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compare current and desired state and build Ansible's diff, with secrets masked.

Every module finds the current object, builds the desired one, and asks :class:`Differ` which keys
differ. The same tracker produces ``diff`` (only the changed keys) so ``changed`` and the diff can
never disagree.
"""

from __future__ import annotations

import copy

MASK = "********"


def normalize(value):
    """Order-insensitive form for comparing lists of dicts (permissions, dbrps, handlers)."""
    if isinstance(value, dict):
        return dict((k, normalize(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        items = [normalize(v) for v in value]
        try:
            return sorted(items, key=repr)
        except TypeError:  # pragma: no cover - repr always sorts
            return items
    return value


class Differ(object):
    """Track before/after of the keys a module manages.

    ``secrets``: keys whose values are shown as a mask in the diff. Lists compare as sets of items.
    """

    def __init__(self, secrets=()):
        self.secrets = set(secrets)
        self.before = {}
        self.after = {}

    def compare(self, key, current, desired):
        """Record ``key`` as changed when ``desired`` is not None and differs from ``current``.

        A desired value of None means "not managed": it is never a change.
        Returns True when the key changed.
        """
        if desired is None or normalize(current) == normalize(desired):
            return False
        self.before[key] = copy.deepcopy(current)
        self.after[key] = copy.deepcopy(desired)
        return True

    def add(self, key, before, after):
        """Record a change unconditionally (for example a password set with update_password=always)."""
        self.before[key] = copy.deepcopy(before)
        self.after[key] = copy.deepcopy(after)

    @property
    def changed(self):
        return bool(self.after)

    @property
    def keys(self):
        return sorted(self.after)

    def _mask(self, data):
        return dict((k, MASK if k in self.secrets and v is not None else v) for k, v in data.items())

    def diff(self):
        return {"before": self._mask(self.before), "after": self._mask(self.after)}


def state_diff(before, after):
    """The diff for a create or a delete: one side is empty (callers mask secrets with :data:`MASK`)."""
    return {"before": dict(before or {}), "after": dict(after or {})}
