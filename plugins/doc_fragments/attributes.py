# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The check mode and diff attributes of every module.

A module extends ``tickstack.influx.attributes`` (a module that changes things) or
``tickstack.influx.attributes.info_module`` (one that only reads), then its connection fragment
(``influxdb1``, ``influxdb2`` or ``kapacitor``: options, notes and the action group), then
``tickstack.influx.tls``. Doc fragments are plain string literals: ansible-test's yamllint sanity
test reads them as literals.
"""

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description:
      - Can run in check mode and predicts exactly whether a real run would change something, without
        writing anything.
    support: full
  diff_mode:
    description:
      - Returns the before and after values of the fields that change; secrets are shown masked.
    support: full
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
