#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: repo_signing_key
short_description: A package repository's signing key, trusted only if its primary key fingerprint is the pinned one
description:
  - Downloads the OpenPGP public key file at O(url) on the managed node, reads its packets (no C(gpg)
    needed) and writes it to O(dest), the keyring a repository's C(Signed-By) names, only when the file holds
    exactly one primary key and its fingerprint is O(fingerprint). Subkeys (the ones that sign) are allowed;
    a second primary key is not, because apt would trust it too.
  - A key that does not match fails the task and leaves O(dest) as it was, so nothing new is trusted.
  - Idempotent; O(dest) is replaced atomically when its content differs. Its directory is created (0755)
    when missing.
author:
  - tickstack.influx contributors (@tickstack)
options:
  url:
    description: Where the key file is (ASCII-armored or binary).
    type: str
    required: true
  dest:
    description: The keyring file to write (for example C(/etc/apt/keyrings/influxdata-archive.asc)).
    type: path
    required: true
  fingerprint:
    description: The primary key fingerprint to trust, 40 hex digits (64 for a v6 key); spaces and case do not matter.
    type: str
    required: true
  fingerprint_variable:
    description: The variable O(fingerprint) comes from, named in the error messages.
    type: str
    default: fingerprint
  timeout:
    description: Seconds to wait for the download.
    type: int
    default: 30
  validate_certs:
    description: Verify the TLS certificate of an C(https://) O(url).
    type: bool
    default: true
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    description: Downloads and checks the key and reports whether O(dest) would change; writes nothing.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
"""

EXAMPLES = r"""
- name: Trust InfluxData's repository key, pinned
  tickstack.influx.repo_signing_key:
    url: https://repos.influxdata.com/influxdata-archive.key
    dest: /etc/apt/keyrings/influxdata-archive.asc
    fingerprint: 24C975CBA61A024EE1B631787C3D57159FC2F927
    fingerprint_variable: influxdb_repo_key_fingerprint
    owner: root
    group: root
    mode: "0644"
"""

RETURN = r"""
fingerprint:
  description: The primary key fingerprint of the key file (the pinned one).
  returned: success
  type: str
  sample: 24C975CBA61A024EE1B631787C3D57159FC2F927
subkeys:
  description: The fingerprints of its subkeys.
  returned: success
  type: list
  elements: str
dest:
  description: The keyring file.
  returned: success
  type: str
"""

import os
import tempfile

from ansible.module_utils.urls import fetch_url

from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput, OperationFailed
from ansible_collections.tickstack.influx.plugins.module_utils.openpgp import key_fingerprints, normalize_fingerprint
from ansible_collections.tickstack.influx.plugins.module_utils.runner import run_module

ARGUMENT_SPEC = dict(
    url=dict(type="str", required=True),
    dest=dict(type="path", required=True),
    fingerprint=dict(type="str", required=True),
    fingerprint_variable=dict(type="str", default="fingerprint"),
    timeout=dict(type="int", default=30),
    validate_certs=dict(type="bool", default=True),
)


def download(module, url):
    response, info = fetch_url(module, url, timeout=module.params["timeout"])
    if info.get("status") != 200 or response is None:
        raise OperationFailed("could not download the repository key %s: HTTP %s %s"
                              % (url, info.get("status"), info.get("msg", "")))
    return response.read()


def checked_key(module):
    """The key file's content, when it holds exactly the pinned primary key."""
    params = module.params
    name, url = params["fingerprint_variable"], params["url"]
    pinned = normalize_fingerprint(params["fingerprint"], name)
    content = download(module, url)
    try:
        primaries, subkeys = key_fingerprints(content)
    except InvalidInput as e:
        raise OperationFailed("%s is not a usable repository key: %s. Nothing was trusted (%s unchanged)."
                              % (url, e, params["dest"])) from e
    if primaries != [pinned]:
        raise OperationFailed(
            "the repository key at %s has the primary key fingerprint %s, but %s pins %s. Nothing was trusted "
            "(%s unchanged). If the repository really changed its key, check the new one with its publisher, "
            "then set %s to its primary key fingerprint."
            % (url, ", ".join(primaries), name, pinned, params["dest"], name))
    return content, pinned, subkeys


def ensure(module, _client):
    dest = module.params["dest"]
    content, pinned, subkeys = checked_key(module)
    current = None
    if os.path.exists(dest):
        with open(dest, "rb") as f:
            current = f.read()
    changed = current != content
    if changed and not module.check_mode:
        directory = os.path.dirname(dest)
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o755)
        fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(dest), dir=directory)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.chmod(tmp, 0o644)
        module.atomic_move(tmp, dest)
    if os.path.exists(dest):
        file_args = module.load_file_common_arguments(module.params, path=dest)
        changed = module.set_fs_attributes_if_different(file_args, changed)
    return {"changed": changed, "fingerprint": pinned, "subkeys": subkeys, "dest": dest}


def main():
    run_module(ARGUMENT_SPEC, ensure, lambda module: None,
               action=lambda params: "trusting the repository key %s" % params["url"],
               add_file_common_args=True)


if __name__ == "__main__":
    main()
