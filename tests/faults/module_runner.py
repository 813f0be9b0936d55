"""Run a module of this collection in this process, the way Ansible would run it on a node.

``run_module("influxdb2_bucket", {...})`` feeds the arguments as ``ANSIBLE_MODULE_ARGS`` and returns
what the module would have sent back to the controller, or a result that says it crashed:

- ``exit_json`` / ``fail_json``: the result dict;
- anything else escaping the module: ``{"failed": True, "module_stderr": <traceback>, "crashed": True}``,
  what Ansible shows as "MODULE FAILURE" with the traceback.

Running in-process (instead of one ``python`` per case) keeps hundreds of cases inside the CI budget.
The retry backoff of the HTTP layer is not waited for either: its ``sleep`` is swapped for one that
records the delays asked for, so a test can still say how long a real run would have slept.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys
import time
import traceback

from ansible.module_utils import basic, urls


importlib.import_module("unit.collection_path")  # puts ansible_collections.tickstack.influx on sys.path
PACKAGE = "ansible_collections.tickstack.influx.plugins.modules."


class SleepRecorder:
    """Stands in for ``time.sleep`` in the HTTP layer: records the delay instead of waiting."""

    def __init__(self):
        self.delays: list[float] = []

    def __call__(self, seconds):
        self.delays.append(float(seconds))

    @property
    def total(self) -> float:
        return sum(self.delays)


@contextlib.contextmanager
def recorded_sleep(recorder: SleepRecorder):
    """Swap ``time.sleep`` out of the defaults of ``HttpClient.__init__`` (where it is bound) for now.

    When the HTTP layer no longer binds it there, nothing is swapped and real delays are slept.
    """
    http_client = importlib.import_module("ansible_collections.tickstack.influx.plugins.module_utils.http_client")
    init = http_client.HttpClient.__init__
    saved = (init.__defaults__, init.__kwdefaults__)
    if init.__defaults__:
        init.__defaults__ = tuple(recorder if d is time.sleep else d for d in init.__defaults__)
    if init.__kwdefaults__:
        init.__kwdefaults__ = {k: (recorder if v is time.sleep else v) for k, v in init.__kwdefaults__.items()}
    try:
        yield recorder
    finally:
        init.__defaults__, init.__kwdefaults__ = saved


_CONTEXTS: dict = {}


def _cached_make_context(original):
    """``open_url`` builds a TLS context (loading every CA: ~60 ms of CPU) even for a plain http:// URL.

    The suite talks plain HTTP on loopback only, so the context is never used for a handshake; build
    each distinct one once.
    """
    def make_context(cafile=None, cadata=None, capath=None, ciphers=None, validate_certs=True, client_cert=None,
                     client_key=None):
        if cadata is not None:
            return original(cafile, cadata, capath, ciphers, validate_certs, client_cert, client_key)
        key = (cafile, capath, tuple(ciphers or ()), validate_certs, client_cert, client_key)
        if key not in _CONTEXTS:
            _CONTEXTS[key] = original(cafile, None, capath, ciphers, validate_certs, client_cert, client_key)
        return _CONTEXTS[key]
    return make_context


def _capture_results(results: list):
    """Patch AnsibleModule so the result dict is kept as is (ansible-core 2.19+ has a hook for it)."""
    if hasattr(basic.AnsibleModule, "_record_module_result"):
        return _patched(basic.AnsibleModule, "_record_module_result", lambda self, o: results.append(o))
    return contextlib.nullcontext()


@contextlib.contextmanager
def _patched(owner, name, value):
    saved = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, saved)


def run_module(name: str, args: dict, check_mode: bool = False, diff: bool = False,
               sleeper: SleepRecorder | None = None) -> dict:
    module = importlib.import_module(PACKAGE + name)
    payload = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff, _ansible_no_log=False,
                   _ansible_remote_tmp="/tmp", _ansible_keep_remote_files=False)
    saved = (basic._ANSIBLE_ARGS, getattr(basic, "_ANSIBLE_PROFILE", None))
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": payload}).encode()
    if hasattr(basic, "_ANSIBLE_PROFILE"):
        basic._ANSIBLE_PROFILE = "legacy"
    results: list[dict] = []
    stdout = io.StringIO()
    try:
        with _capture_results(results), contextlib.redirect_stdout(stdout), \
                _patched(urls, "make_context", _cached_make_context(urls.make_context)), \
                recorded_sleep(sleeper or SleepRecorder()):
            try:
                module.main()
            except SystemExit:
                pass
            except BaseException:  # what Ansible reports as MODULE FAILURE
                return {"failed": True, "crashed": True, "msg": "MODULE FAILURE",
                        "module_stderr": traceback.format_exc()}
    finally:
        basic._ANSIBLE_ARGS = saved[0]
        if hasattr(basic, "_ANSIBLE_PROFILE"):
            basic._ANSIBLE_PROFILE = saved[1]
    if results:
        return results[-1]
    text = stdout.getvalue().strip()
    try:
        if not text:
            return {"failed": True, "crashed": True, "msg": "MODULE FAILURE", "module_stderr": "no output"}
        return json.loads(text.splitlines()[-1])
    except ValueError:
        return {"failed": True, "crashed": True, "msg": "MODULE FAILURE", "module_stdout": text}


def main():  # pragma: no cover - a debugging aid: python module_runner.py NAME ARGS_JSON
    print(json.dumps(run_module(sys.argv[1], json.loads(sys.argv[2])), indent=2, default=str))


if __name__ == "__main__":  # pragma: no cover
    main()
