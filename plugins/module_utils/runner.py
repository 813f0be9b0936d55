# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one ``main()`` tail of every module: refuse empty keys, connect, ensure, fail or exit.

A module holds its argument spec and an ``ensure(module, client)`` that returns the result dict; its
``main()`` is one call to :func:`run_module` with the spec, ``ensure`` and how to connect. Every failure the collection raises on purpose is a
:class:`~.errors.TickstackError`, so every module fails with the same fields: ``msg``, plus
``status``, ``method`` and ``url`` of the HTTP call behind it when there is one.

Secrets the argument spec cannot mark ``no_log`` (a password inside ``url: http://user:pass@host``
or ``KAPACITOR_URL``, a webhook URL inside a free-form ``options`` dict) are added to the module's
``no_log_values`` before Ansible logs the invocation or returns anything, so they appear nowhere in
the result (``invocation`` included), the journal or a failure.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Dict, Iterable, Optional, Union

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput, OperationFailed, TickstackError
from ansible_collections.tickstack.influx.plugins.module_utils.masking import url_secrets

Action = Union[str, Callable[[Dict[str, Any]], str], None]
# The ``state`` option of every module that creates and deletes.
STATE = dict(type="str", choices=["present", "absent"], default="present")


def failure(error: TickstackError, action: Optional[str] = None) -> Dict[str, Any]:
    """The ``fail_json`` fields for ``error``.

    Input errors name the option and failed operations say what was left behind, so their message
    stands alone; any other error (an API call) is prefixed with what was being done.
    """
    text = str(error)
    if action and not isinstance(error, (InvalidInput, OperationFailed)):
        text = "%s: %s" % (action, text)
    result = {"msg": text}
    result.update(error.details())
    return result


def refuse_empty(params: Dict[str, Any], keys: Iterable[str]) -> None:
    """Raise :class:`InvalidInput` for a natural key given as an empty string.

    An empty key (often an undefined variable defaulted to ``""``) would match the wrong objects, or
    all of them, on the server: it is refused before any call.
    """
    for key in keys:
        value = params.get(key)
        if isinstance(value, str) and not value.strip():
            raise InvalidInput("%s: cannot be empty (is a variable undefined or defaulted to an empty string?)"
                               % key)


def list_option_spec(option: str, entry: Dict[str, Any], key: str, **list_options) -> Dict[str, Any]:
    """The options of a module that manages one object, or with ``option`` several: ``entry``'s options at
    the top level (its natural ``key`` not required there), and ``option``, a list of such entries."""
    single = copy.deepcopy(entry)
    single[key] = dict((name, value) for name, value in single[key].items() if name != "required")
    single[option] = dict(type="list", elements="dict", options=entry, **list_options)
    return single


def check_list_entries(option: str, entries: list, keys: Iterable[str], what: str, empty: Iterable[str] = (),
                       shown: Callable[[str], str] = str) -> None:
    """Refuse, before any request, an entry of a list option whose natural key (``keys``, and ``empty``) is
    an empty string (as :func:`refuse_empty` does for one object), or whose ``keys`` repeat an earlier
    entry's; the message names the entry by index and shows its keys (joined with ``/``) with ``shown``."""
    keys = tuple(keys)
    seen = set()
    for index, entry in enumerate(entries):
        try:
            refuse_empty(entry, keys + tuple(empty))
        except InvalidInput as e:
            raise InvalidInput("%s[%d].%s" % (option, index, e.msg)) from None
        ident = tuple(entry.get(key) for key in keys)
        if ident in seen:
            raise InvalidInput("%s[%d]: the %s %s is listed twice"
                               % (option, index, what, shown("/".join(str(part) for part in ident))))
        seen.add(ident)


def run_entries(option: str, entries: list, keys: Iterable[str], run_one: Callable[[int, Dict[str, Any]], Dict[str, Any]],
                result_key: Union[str, Iterable[str]], what: str) -> Dict[str, Any]:
    """The result of a module's list option (``tasks``, ``buckets``, ``mappings``, ``tokens``):
    ``run_one(index, entry)`` for each entry in order, each returning ``{"changed", result_key, "diff"}``.

    The result lists one ``{<keys>, "changed", result_key}`` per entry (``keys``: the entry's natural
    keys, which also name it, joined with ``/``; ``result_key``: one key of ``run_one``'s result, or
    several, those present copied) and one diff per entry, headed with ``what`` and that name. A
    failing entry's error is prefixed with ``option[index] (name)``; those before it are done (each
    entry changes whole or not at all), so a new run goes on from it.
    """
    keys = tuple(keys)
    results, diffs = [], []
    for index, entry in enumerate(entries):
        name = "/".join(str(entry[key]) for key in keys)
        try:
            result = run_one(index, entry)
        except TickstackError as e:
            where = "%s[%d] (%s): " % (option, index, name)
            if hasattr(e, "message"):  # an API error: str() shows its message after the call
                e.message = where + (e.message or "")
            e.msg = where + e.msg
            raise
        header = "%s %s" % (what, name)
        diffs.append(dict(result.get("diff") or {}, before_header=header, after_header=header))
        row = dict((key, entry[key]) for key in keys)
        if isinstance(result_key, str):
            row.update({"changed": result["changed"], result_key: result[result_key]})
        else:
            row.update((key, result[key]) for key in result_key if key in result)
        results.append(row)
    return {"changed": any(r["changed"] for r in results), option: results, "diff": diffs}


def param_secrets(params: Any) -> set:
    """The credentials inside URLs anywhere in the parameters (userinfo, webhook URLs, secret query values)."""
    if isinstance(params, dict):
        return set().union(*[param_secrets(v) for v in params.values()]) if params else set()
    if isinstance(params, (list, tuple)):
        return set().union(*[param_secrets(v) for v in params]) if params else set()
    if isinstance(params, str) and "://" in params:
        return url_secrets(params)
    return set()


class TickstackModule(AnsibleModule):
    """``AnsibleModule`` that hides the secrets found by :func:`param_secrets` (and by the module's own
    ``secrets`` function of the params) before anything leaves the module.

    ``_log_invocation`` (the journal line written during ``__init__``) and ``_return_formatted``
    (every ``exit_json``/``fail_json``, including the failures of argument validation, which happen
    inside ``__init__``) are the two ways out; both hide first.
    """

    def __init__(self, secrets: Optional[Callable[[Dict[str, Any]], Iterable[str]]] = None, **kwargs):
        self._secrets_of = secrets
        super().__init__(**kwargs)
        self.hide_secrets()

    def hide_secrets(self) -> None:
        params = getattr(self, "params", None) or {}
        found = param_secrets(params)
        if self._secrets_of is not None:
            try:
                found.update(self._secrets_of(params))
            except (AttributeError, TypeError, ValueError):  # unvalidated params of the wrong type
                pass
        self.no_log_values.update(v for v in found if v)

    def _log_invocation(self):
        self.hide_secrets()
        return super()._log_invocation()

    def _return_formatted(self, kwargs):
        self.hide_secrets()
        return super()._return_formatted(kwargs)


def run_module(argument_spec: Dict[str, Any], ensure: Callable, connect: Callable, action: Action = None,
               natural_keys: Iterable[str] = (), secrets: Optional[Callable] = None, **module_options) -> None:
    """Build the module, run ``ensure(module, connect(module))`` and exit with its result.

    Every module supports check mode; ``module_options`` go to ``AnsibleModule`` (``required_if``...).
    ``action`` says what the module was doing (a string, or a function of the params) for API failures.
    ``secrets`` (a function of the params) returns values to hide beyond the URL credentials the
    runner finds itself, for example the secret options of a handler.
    The ``diff`` key is dropped unless Ansible runs with ``--diff``.
    """
    module = TickstackModule(secrets=secrets, argument_spec=argument_spec, supports_check_mode=True, **module_options)
    result = {}
    try:
        refuse_empty(module.params, natural_keys)
        result = ensure(module, connect(module))
    except TickstackError as e:
        doing = action(module.params) if callable(action) else action
        module.fail_json(**failure(e, doing))
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)
