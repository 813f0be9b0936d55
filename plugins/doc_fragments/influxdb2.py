# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):
    """Connection options shared by every influxdb2_* module (see module_utils/influxdb2.py).

    Modules extend it after ``tickstack.influx.attributes`` (or ``.info_module``) and before ``tickstack.influx.tls``.
    """

    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of the InfluxDB 2 HTTP API, for example V(https://influxdb.example.com:8086).
      - If not set, the environment variable E(INFLUX_HOST) is used, then V(http://localhost:8086).
    type: str
    default: http://localhost:8086
  token:
    description:
      - "API token sent as C(Authorization: Token <token>)."
      - If not set, the environment variable E(INFLUX_TOKEN) is used.
      - Required by every module except M(tickstack.influx.influxdb2_setup) (where it is the operator
        token to create) and the health check of M(tickstack.influx.influxdb2_info).
    type: str
  org:
    description:
      - Name of the organization the module works in.
      - If not set, the environment variable E(INFLUX_ORG) is used.
      - O(org_id) takes precedence when both are set.
    type: str
  org_id:
    description:
      - ID of the organization the module works in (16 hexadecimal digits).
      - If not set, the environment variable E(INFLUX_ORG_ID) is used.
    type: str
  timeout:
    description:
      - Seconds to wait for each HTTP response. Idempotent requests are retried on connection errors,
        HTTP 429 and 5xx.
    type: int
    default: 10
notes:
  - The modules talk to the InfluxDB API from the host they run on (usually with C(delegate_to) or on
    C(localhost)); they need only the Python standard library there.
  - Set the connection options once for all of them with C(module_defaults) and the
    C(group/tickstack.influx.influxdb2) action group.
attributes:
  action_group:
    description: Use C(group/tickstack.influx.influxdb2) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - tickstack.influx.influxdb2
"""
