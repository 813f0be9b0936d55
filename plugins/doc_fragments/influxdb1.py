# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # Connection options of every influxdb1_* module (module_utils/influxdb1.py influxdb1_argument_spec);
    # modules extend it after tickstack.influx.attributes (or .info_module) and before tickstack.influx.tls.
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of the InfluxDB 1.x HTTP API, for example V(https://influxdb1.example.com:8086).
      - If not set, the environment variable E(INFLUXDB1_URL) is used, then V(http://localhost:8086).
    type: str
    default: http://localhost:8086
  username:
    description:
      - User for HTTP basic authentication, needed when the server runs with C([http] auth-enabled = true).
      - Reading users, grants, continuous queries and subscriptions needs an admin user.
      - If not set, the environment variable E(INFLUX_USERNAME) is used (the variable the 1.x C(influx) CLI reads).
    type: str
  password:
    description:
      - Password of O(username).
      - If not set, the environment variable E(INFLUX_PASSWORD) is used.
    type: str
  timeout:
    description:
      - Seconds to wait for each HTTP response. Reads are retried on connection errors, HTTP 429 and 5xx.
    type: int
    default: 10
notes:
  - The modules talk to the InfluxDB 1.x API from the host they run on (usually C(localhost) or with
    C(delegate_to)); they need only the Python standard library there.
  - Set the connection options once for all of them with C(module_defaults) and the
    C(group/tickstack.influx.influxdb1) action group.
attributes:
  action_group:
    description: Use C(group/tickstack.influx.influxdb1) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - tickstack.influx.influxdb1
"""
