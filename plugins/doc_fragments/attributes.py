# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared attribute text, and a transitional helper.

Every module extends its connection fragment (``tickstack.influx.influxdb2`` or ``tickstack.influx.kapacitor``),
which carries the attributes of a module that changes things and its action group. Read-only modules extend
``tickstack.influx.attributes.info_module`` first (the first fragment's attributes win). Doc fragments are
plain string literals: ansible-test's yamllint sanity test reads them as literals and fails on strings built
at import time.

:func:`variants` builds such strings at import time; it is kept only until ``doc_fragments/influxdb1.py``
spells its variants out as literals, and is not to be used by new fragments.
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
    """Attributes only: the connection fragments carry those of modules that change things."""

    DOCUMENTATION = r"""
options: {}
"""

    INFO_MODULE = r"""
options: {}
attributes:
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
"""
