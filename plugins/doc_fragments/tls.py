# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):
    """TLS options of every module (module_utils/http_client.py tls_argument_spec)."""

    DOCUMENTATION = r"""
options:
  validate_certs:
    description:
      - Verify the server's TLS certificate when O(url) is C(https://).
      - Only set this to V(false) on trusted test networks or personally controlled hosts.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the certificate authority that signed the server's certificate.
    type: path
  client_cert:
    description:
      - PEM file of a client certificate for mutual TLS.
    type: path
  client_key:
    description:
      - PEM file of the private key for O(client_cert).
    type: path
"""
