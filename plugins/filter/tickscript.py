# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``tickscript_dbrps`` filter: which databases and retention policies a TICKscript uses.

A thin wrapper over :func:`~ansible_collections.tickstack.influx.plugins.module_utils.tickscript.scan`,
the lexer the ``kapacitor_*`` modules use too, so the stack's preflight and the modules always read
a script the same way. See ``tickscript_dbrps.yml`` for the options and the result.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.tickstack.influx.plugins.module_utils.tickscript import TickscriptError, scan


def tickscript_dbrps(script: str, dbrps: Any = None, vars: Any = None, default_rps: Any = None,  # noqa: A002
                     name: str = "the TICKscript", allow_unreadable: bool = False) -> dict[str, Any]:
    """Ansible filter entry point (``vars`` is the option name users know from kapacitor_task)."""
    try:
        return scan(script, vars=vars, default_rps=default_rps, name=name, dbrps=dbrps,
                    allow_unreadable=allow_unreadable)
    except TickscriptError as e:
        raise AnsibleFilterError(str(e)) from e


class FilterModule:
    """TICKscript analysis filters."""

    def filters(self) -> dict[str, Any]:
        return {"tickscript_dbrps": tickscript_dbrps}
