# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # Connection options of every kapacitor_* module (module_utils/kapacitor.py kapacitor_argument_spec);
    # modules extend it after tickstack.influx.attributes (or .info_module) and before tickstack.influx.tls.
    DOCUMENTATION = r"""
options:
  url:
    description:
      - URL of the Kapacitor HTTP API, without the C(/kapacitor/v1) path.
      - Credentials in the URL (C(http://user:pass@host:9092)), as the C(kapacitor) CLI accepts them,
        are used as O(username) and O(password) when those are not set.
      - If not set, the value of the E(KAPACITOR_URL) environment variable is used (the variable the
        C(kapacitor) CLI reads).
    type: str
    default: http://localhost:9092
  username:
    description:
      - User for HTTP basic authentication, needed when Kapacitor runs with C([http] auth-enabled = true).
      - If not set, the value of the E(KAPACITOR_USERNAME) environment variable is used.
    type: str
  password:
    description:
      - Password of O(username).
      - If not set, the value of the E(KAPACITOR_PASSWORD) environment variable is used.
    type: str
  validate_certs:
    description:
      - Verify Kapacitor's TLS certificate when O(url) is C(https://).
      - If not set, E(KAPACITOR_UNSAFE_SSL=true) (the C(kapacitor) CLI's variable) turns verification off.
      - Only set this to V(false) on personally controlled hosts with self-signed certificates.
  timeout:
    description:
      - Seconds to wait for each HTTP response.
    type: int
    default: 10
notes:
  - All the C(kapacitor_*) modules are in the C(tickstack.influx.kapacitor) action group, so
    C(module_defaults) can set the connection options once for a play.
  - The modules run on the managed node with the Python standard library only.
attributes:
  action_group:
    description: Use C(group/tickstack.influx.kapacitor) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - tickstack.influx.kapacitor
"""
