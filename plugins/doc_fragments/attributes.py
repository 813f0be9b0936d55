# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):
    """The ``attributes`` of this collection's modules, shared by the InfluxDB 2 and Kapacitor modules.

    Use ``tickstack.influx.attributes`` for modules that change things, ``.info_module`` for read-only
    ones, and ``.actiongroup_influxdb2`` or ``.actiongroup_kapacitor`` for the action group.
    """

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

    ACTIONGROUP_INFLUXDB2 = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/tickstack.influx.influxdb2) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - tickstack.influx.influxdb2
"""

    ACTIONGROUP_KAPACITOR = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/tickstack.influx.kapacitor) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - tickstack.influx.kapacitor
"""
