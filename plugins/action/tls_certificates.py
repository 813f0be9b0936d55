# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of ``tickstack.influx.tls_certificates`` (documented in plugins/modules/tls_certificates.py).

An action plugin: the CA and its key stay on the controller, and each host's run takes its turn
under a lock on the directory, so parallel hosts share one CA. The rules live in
plugins/plugin_utils/tls_certificates.py (the ``cryptography`` library ansible-core requires).
"""

from __future__ import annotations

import os
from typing import Any

from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.tickstack.influx.plugins.module_utils.errors import TickstackError
from ansible_collections.tickstack.influx.plugins.plugin_utils import tls_certificates as tls

ARGUMENT_SPEC = dict(
    mode=dict(type="str", required=True, choices=["generated", "provided"]),
    directory=dict(type="path"),
    certificate=dict(type="bool", default=True),
    names=dict(type="list", elements="str", default=[]),
    ca_name=dict(type="str", default="tickstack CA"),
    renew_days=dict(type="int", default=tls.RENEW_DAYS),
    ca=dict(type="str"),
    host_certificate=dict(type="str"),
    host_private_key=dict(type="str", no_log=True),
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def _read_controller_file(self, path: str) -> bytes | None:
        """A file on the controller (relative paths as the file lookup finds them); None if absent."""
        expanded = os.path.expanduser(path)
        if not os.path.isabs(expanded):
            try:
                expanded = self._find_needle("files", path)
            except Exception:  # pylint: disable=broad-except  # AnsibleError subclasses: not found
                return None
        try:
            with open(expanded, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        del validation
        host = to_text(task_vars.get("inventory_hostname", ""))
        if tls.CRYPTOGRAPHY_ERROR:
            result.update(failed=True, changed=False, msg=tls.CRYPTOGRAPHY_ERROR)
            return result
        try:
            if args["mode"] == "generated":
                result.update(self._generated(args, task_vars, host))
            else:
                result.update(self._provided(args, host))
        except (TickstackError, OSError) as e:
            result.update(failed=True, changed=False, msg=to_text(e))
        return result

    def _generated(self, args: dict[str, Any], task_vars: dict[str, Any], host: str) -> dict[str, Any]:
        directory = args["directory"]
        if not directory or not os.path.isabs(os.path.expanduser(directory)):
            return {"failed": True, "changed": False,
                    "msg": "tickstack_tls_dir must be an absolute directory on the controller, got %r" % directory}
        ansible_host = self._templar.template(task_vars.get("ansible_host")) if task_vars.get("ansible_host") else None
        names = tls.names_of({"ansible_host": ansible_host}, args["names"])
        directory = os.path.expanduser(directory)
        with tls.locked(directory):
            return tls.ensure_host(directory, host, names, certificate=args["certificate"], ca_name=args["ca_name"],
                                   check_mode=bool(self._task.check_mode), renew_days=args["renew_days"])

    def _provided(self, args: dict[str, Any], host: str) -> dict[str, Any]:
        ca = tls.pem_or_file(args["ca"], "tickstack_tls_ca", self._read_controller_file)
        out = {"changed": False, "ca": ca, "certificate": "", "private_key": "", "reasons": []}
        if not args["certificate"]:
            problems = tls.check_provided(ca, None, None, host)
        else:
            cert = tls.pem_or_file(args["host_certificate"], "tickstack_tls_certificate of %s" % host,
                                   self._read_controller_file)
            key = tls.pem_or_file(args["host_private_key"], "tickstack_tls_private_key of %s" % host,
                                  self._read_controller_file)
            problems = tls.check_provided(ca, cert, key, host)
            out.update(certificate=cert, private_key=key)
        if problems:
            return {"failed": True, "changed": False, "errors": problems, "msg": "; ".join(problems)}
        return out
