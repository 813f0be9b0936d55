# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The text every module's documentation shares, written once.

A module extends one fragment: its connection fragment (``tickstack.influx.influxdb2`` or
``tickstack.influx.kapacitor``), in the variant that fits it: ``.state`` for the modules that create
and delete (adds the ``state`` option), ``.info`` for the read-only ones, the plain one for
``influxdb2_setup``. The connection fragments build those variants with :func:`variants` from the text
here (Ansible imports doc fragments, so they can share Python strings).
"""

from __future__ import annotations

_ATTRIBUTES = {
    "changing": r"""
  check_mode:
    description:
      - Can run in check mode and predicts exactly whether a real run would change something, without
        writing anything.
    support: full
  diff_mode:
    description:
      - Returns the before and after values of the fields that change; secrets are shown masked.
    support: full
""",
    "info": r"""
  check_mode:
    description:
      - Can run in check mode; it only reads.
    support: full
    details:
      - This module does not change anything.
  diff_mode:
    description:
      - Returns no diff.
    support: N/A
    details:
      - This module does not change anything.
""",
}

_ACTION_GROUP = r"""
  action_group:
    description: Use C(group/tickstack.influx.%(group)s) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - tickstack.influx.%(group)s
"""

_STATE_OPTION = r"""
options:
  state:
    description:
      - V(present) creates the object or makes it match the options; V(absent) deletes it (the module's
        description says what goes with it).
    type: str
    choices: [present, absent]
    default: present
"""


def _with_attributes(options, kind, group):
    return "%s\nattributes:%s%s" % (options.rstrip(), _ATTRIBUTES[kind].rstrip("\n"), _ACTION_GROUP % {"group": group})


def variants(options, group):
    """``(DOCUMENTATION, STATE, INFO)`` of a connection fragment whose options (and notes) are ``options``."""
    documentation = _with_attributes(options, "changing", group)
    state = documentation.replace("\noptions:\n", _STATE_OPTION, 1)
    info = _with_attributes(options, "info", group)
    return documentation, state, info


class ModuleDocFragment(object):
    """The attributes of a module that changes things, without connection options (for a plugin of
    another kind that needs them; modules take them from their connection fragment)."""

    DOCUMENTATION = "\noptions: {}\nattributes:" + _ATTRIBUTES["changing"]
