# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):
    """The ``attributes`` of this collection's modules, shared by the InfluxDB 2 and Kapacitor modules.

    Read-only modules extend ``tickstack.influx.attributes.info_module`` before their connection fragment.
    """

    # Modules that change things get check_mode, diff_mode and action_group from their connection
    # fragment (influxdb2 or kapacitor). Read-only modules list this one first: the first fragment wins.
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
