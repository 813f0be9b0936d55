#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Documentation only: the code is the action plugin plugins/action/tls_certificates.py (it runs on
# the controller) and the rules are in plugins/plugin_utils/tls_certificates.py.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tls_certificates
short_description: A private CA and per-host server certificates on the controller, or checked certificates you provide
description:
  - With O(mode=generated), keeps a private CA and one server certificate per host in O(directory) on the
    controller, made with the Python C(cryptography) library that ansible-core itself requires (no other
    collection, no C(openssl) binary). Keys are EC P-256, written 0600 in a 0700 directory; the CA lasts 10 years,
    a host certificate 397 days.
  - Idempotent. A valid CA and certificate are reused. A certificate is re-issued when it is missing, does not
    match its key, was not issued by the current CA, expires within O(renew_days), or its names changed. The
    CA is replaced when missing, broken or expiring, and every certificate follows on its host's next run.
  - A certificate names the host's C(inventory_hostname), its C(ansible_host), O(names), C(localhost) and
    C(127.0.0.1), as DNS names or IP addresses.
  - Hosts run in parallel under a lock on O(directory), so they share one CA.
  - With O(mode=provided), reads the CA, certificate and key you give (PEM content, for example from a vault, or
    a file on the controller) and checks that the key matches, the CA issued the certificate and it has not
    expired; each problem names the variable.
  - Returns the PEMs; the task that calls it must be C(no_log) because RV(private_key) is a secret.
author:
  - tickstack.influx contributors (@tickstack)
options:
  mode:
    description: V(generated) makes and keeps the material; V(provided) checks and returns yours.
    type: str
    required: true
    choices: [generated, provided]
  directory:
    description: Absolute directory on the controller for V(generated) (created 0700).
    type: path
  certificate:
    description: Whether this host gets a server certificate; V(false) returns the CA only.
    type: bool
    default: true
  names:
    description: More DNS names or IP addresses of this host's certificate.
    type: list
    elements: str
    default: []
  ca_name:
    description: Common name of a new CA.
    type: str
    default: tickstack CA
  renew_days:
    description: Re-issue a certificate (or the CA) that expires within this many days.
    type: int
    default: 30
  ca:
    description: For V(provided), the CA certificate as PEM content or a file on the controller.
    type: str
  host_certificate:
    description: For V(provided), this host's certificate (PEM content or a file on the controller).
    type: str
  host_private_key:
    description: For V(provided), this host's unencrypted private key (PEM content or a file on the controller).
    type: str
attributes:
  action:
    description: Runs on the controller as an action plugin.
    support: full
  async:
    description: Cannot run asynchronously.
    support: none
  check_mode:
    description: Writes nothing in check mode; what it would make is made in memory and returned.
    support: full
  diff_mode:
    description: Returns no diff.
    support: N/A
seealso:
  - module: tickstack.influx.stack_plan
"""

EXAMPLES = r"""
- name: A private CA and this host's certificate, kept on the controller
  tickstack.influx.tls_certificates:
    mode: generated
    directory: "{{ lookup('ansible.builtin.env', 'HOME') }}/.local/share/tickstack.influx/tls/tickstack"
    names: [influxdb.example.net]
  register: tls
  no_log: true

- name: Certificates you provide (files on the controller, or vault content)
  tickstack.influx.tls_certificates:
    mode: provided
    ca: files/ca.crt
    host_certificate: "files/{{ inventory_hostname }}.crt"
    host_private_key: "{{ vault_tls_key }}"
  register: tls
  no_log: true
"""

RETURN = r"""
ca:
  description: The CA certificate (PEM).
  returned: success
  type: str
certificate:
  description: This host's certificate (PEM); empty with O(certificate=false).
  returned: success
  type: str
private_key:
  description: This host's private key (PEM); empty with O(certificate=false). A secret.
  returned: success
  type: str
dns_names:
  description: The DNS names of a generated certificate.
  returned: with O(mode=generated)
  type: list
  elements: str
  sample: [influxdb, localhost]
ip_addresses:
  description: The IP addresses of a generated certificate.
  returned: with O(mode=generated)
  type: list
  elements: str
  sample: [127.0.0.1]
reasons:
  description: What was made and why (C(CA - missing), C(<host> - its names changed)); empty when all was reused.
  returned: success
  type: list
  elements: str
errors:
  description: Every problem of provided material, each naming the variable.
  returned: failure with O(mode=provided)
  type: list
  elements: str
"""
