"""The module arguments a unit test hands to ``AnsibleModule``, on every ansible-core the matrix runs.

ansible-core 2.19 added ``ansible.module_utils.testing.patch_module_args``; on 2.17 and 2.18 the same
thing is patching ``basic._ANSIBLE_ARGS`` with the JSON Ansible would send.
``INJECT_INVOCATION`` asks for the ``invocation`` key in the result: from 2.21 Ansible adds it only
when told (``ANSIBLE_INJECT_INVOCATION``), before that always, and the older cores refuse the
unknown ``_ansible_inject_invocation`` argument, hence the empty dict there.
"""

from __future__ import annotations

import contextlib
import json
from unittest import mock

from ansible.module_utils import basic
from ansible.module_utils.common.parameters import PASS_VARS

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19

    @contextlib.contextmanager
    def patch_module_args(args=None):
        payload = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()
        with mock.patch.object(basic, "_ANSIBLE_ARGS", payload):
            yield


INJECT_INVOCATION = {"_ansible_inject_invocation": True} if "inject_invocation" in PASS_VARS else {}

__all__ = ["INJECT_INVOCATION", "patch_module_args"]
