"""Run one scenario with one fault at the Nth call, then a clean run, and judge what was left.

Outcomes (the first four are what the issue accepts):

- ``clear failure``: the run failed with one message that names the URL (and the status, for a
  status fault), and no traceback;
- ``recovered``: the run succeeded (after a bounded retry) and the server holds what was asked;
- ``not reached``: the run made fewer than N calls, so the fault never fired;
- ``traceback``: the module crashed (``module_stderr``/``exception`` in the result);
- ``unclear message``: it failed without naming the URL or status (or with no message at all);
- ``silently wrong``: it reported success but the server does not hold what was asked;
- ``not converged``: the next clean run failed, or did not reach the asked state;
- ``leftover``: after the clean run the server holds a duplicate, an orphan, or lost an object
  nobody asked to delete.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from fault_proxy import FaultProxy
from harness import OPERATOR_TOKEN, VERSIONS, start_influxdb
from module_runner import SleepRecorder, run_module
from scenarios import Case, Scenario, cleanup, influx_inventory, kapacitor_inventory

FAULT_TIMEOUT = 2  # the module's timeout option during a faulted run; the stall lasts longer
STALL_SECONDS = 5.0
MAX_RETRY_SLEEP = 30.0  # a run that recovers may ask the HTTP layer to sleep this long at most
GOOD = ("clear failure", "recovered", "not reached")
BAD = ("traceback", "unclear message", "silently wrong", "not converged", "leftover")
STATUS_FAULTS = ("500", "503", "429")


@dataclass
class CaseResult:
    scenario: str
    fault: str
    n: int
    outcome: str
    call: str = ""  # the request that got the fault
    detail: str = ""  # message, traceback or what is wrong on the server
    slept: float = 0.0  # retry delays the run asked for
    seconds: float = 0.0
    # A failed run that left neither the state before it nor the asked one (not rolled back), if so: what
    half_made: str = ""

    def to_dict(self):
        return asdict(self)


class Services:
    """The servers and proxies of one test session (each xdist worker has its own)."""

    def __init__(self, influxdb=None, kapacitor=None, influx_proxy=None, kapacitor_proxy=None, workdir=None):
        self.influxdb = influxdb
        self.kapacitor = kapacitor
        self.influx_proxy = influx_proxy
        self.kapacitor_proxy = kapacitor_proxy
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="tickstack-faults-"))
        self.counts: dict[str, list[str]] = {}

    def close(self):
        if self.kapacitor_proxy is not None:
            self.kapacitor_proxy.stop()


class _Blank:
    """A fresh influxd that is not set up, with its own proxy, for one influxdb2_setup case."""

    def __init__(self, workdir: Path):
        self.dir = Path(tempfile.mkdtemp(prefix="blank-", dir=workdir))
        self.server = start_influxdb(VERSIONS["INFLUXDB_VERSION"], self.dir, onboard=False)
        self.server.token = OPERATOR_TOKEN
        self.proxy = FaultProxy(self.server.url, stall_seconds=STALL_SECONDS).start()

    def close(self):
        self.proxy.stop()
        self.server.process.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def module_args(scenario: Scenario, case: Case, url: str, timeout: int | None = None) -> dict:
    args = dict(scenario.args(case), url=url)
    if scenario.service in ("influxdb", "blank"):
        args.update(token=case.influxdb.token if scenario.service == "influxdb" else OPERATOR_TOKEN)
        if scenario.service == "influxdb":
            args.setdefault("org", case.influxdb.org)
    if timeout is not None:
        args["timeout"] = timeout
    return args


def inventory(scenario: Scenario, case: Case):
    if scenario.service == "kapacitor":
        return kapacitor_inventory(case.kapacitor)
    if scenario.service == "blank":
        return None  # the setup check looks at the whole (new) instance
    return influx_inventory(case.influxdb)


def inventory_problems(scenario: Scenario, case: Case, before, after) -> list[str]:
    """Duplicates, orphans and deletions nobody asked for, between two inventories."""
    if before is None:
        return []
    problems = []
    expected = scenario.expected(case)
    for kind, key in sorted(expected):
        ids = sorted(i for k, kk, i in after if (k, kk) == (kind, key))
        if len(ids) != 1:
            problems.append("%d %s objects named %s (want 1): %s" % (len(ids), kind, key, ", ".join(ids) or "none"))
    for kind, key, oid in sorted(after - before):
        if (kind, key) not in expected:
            problems.append("orphan %s %r (id %s) was left" % (kind, key, oid))
    removable = scenario.removable(case)
    for kind, key, oid in sorted(before - after):
        if oid not in removable and (kind, key) not in expected:
            problems.append("%s %r (id %s) was deleted, nobody asked for that" % (kind, key, oid))
        elif oid not in removable:
            problems.append("%s %r was replaced (id %s is gone), nobody asked for that" % (kind, key, oid))
    return problems


def crashed(result: dict) -> str | None:
    """The traceback when the module crashed (or put one in its message), else None."""
    if result.get("crashed") or "module_stderr" in result or "exception" in result:
        return result.get("module_stderr") or result.get("exception") or result.get("module_stdout") or "crashed"
    if "Traceback (most recent call last)" in str(result.get("msg") or ""):
        return result["msg"]
    return None


def message_problem(result: dict, fault: str, proxy_url: str, faulted_path: str = "") -> str | None:
    """What a failure message lacks: every one names the URL; one about the faulted call, its status too."""
    msg = result.get("msg") or ""
    if not msg.strip():
        return "the failure has no message"
    hostport = proxy_url.split("://", 1)[1]
    missing = []
    if hostport not in msg:
        missing.append("the URL")
    about_fault = not faulted_path or faulted_path.split("?", 1)[0] in msg
    if fault in STATUS_FAULTS and about_fault and fault not in msg:
        missing.append("the status %s" % fault)
    if missing:
        return "the message does not name %s" % " or ".join(missing)
    return None


def run_case(services: Services, scenario: Scenario, fault: str | None, n: int) -> CaseResult:
    """One case: prepare, run with the fault at call ``n`` (None: count calls), clean run, judge, clean up."""
    started = time.monotonic()
    case = Case(prefix="f%s-" % uuid.uuid4().hex[:8])
    blank = None
    try:
        if scenario.service == "blank":
            blank = _Blank(services.workdir)
            case.influxdb, proxy = blank.server, blank.proxy
        elif scenario.service == "influxdb":
            case.influxdb, proxy = services.influxdb, services.influx_proxy
        else:
            case.kapacitor, proxy = services.kapacitor, services.kapacitor_proxy
        result = _judge(scenario, case, proxy, fault, n)
    finally:
        try:
            if blank is not None:
                blank.close()
            else:
                cleanup(case)
        except Exception:  # cleanup is best effort; the next case has its own prefix
            pass
    result.seconds = round(time.monotonic() - started, 2)
    return result


def _judge(scenario: Scenario, case: Case, proxy: FaultProxy, fault: str | None, n: int) -> CaseResult:
    scenario.prepare(case)
    before = inventory(scenario, case)
    proxy.reset()
    if fault:
        proxy.arm(fault, n)
    sleeper = SleepRecorder()
    first = run_module(scenario.module, module_args(scenario, case, proxy.url, FAULT_TIMEOUT if fault else None),
                       sleeper=sleeper)
    calls = ["%s %s" % (c.method, c.path) for c in proxy.calls]
    faulted = next((c for c in proxy.calls if c.fault), None)
    out = CaseResult(scenario.name, fault or "none", n, "recovered", slept=round(sleeper.total, 2),
                     call="%s %s" % (faulted.method, faulted.path) if faulted else "")
    proxy.disarm()
    if fault is None:
        out.detail = "\n".join(calls)

    trace = crashed(first)
    if trace:
        out.outcome, out.detail = "traceback", trace
        return _converge(scenario, case, proxy, before, out, keep=True)
    if first.get("failed"):
        if fault is None:
            out.outcome, out.detail = "not converged", "the clean run failed: %s" % first.get("msg")
            return out
        problem = message_problem(first, fault, proxy.url, faulted.path if faulted else "")
        out.outcome = "unclear message" if problem else "clear failure"
        out.detail = ("%s: %s" % (problem, first.get("msg"))) if problem else first.get("msg")
        out.half_made = half_made(scenario, case, before)
        return _converge(scenario, case, proxy, before, out, keep=bool(problem))

    # It says it worked: the server must agree, right now.
    problems = scenario.check(case, first) + inventory_problems(scenario, case, before, inventory(scenario, case))
    if sleeper.total > MAX_RETRY_SLEEP:
        problems.append("the retries asked to sleep %.1fs" % sleeper.total)
    if problems:
        out.outcome = "silently wrong" if fault else "not converged"
        out.detail = "; ".join(problems) + (" (run reported changed=%s)" % first.get("changed"))
        if fault is None:
            out.detail += "\ncalls:\n" + "\n".join(calls)
        return _converge(scenario, case, proxy, before, out, keep=True)
    if fault and not faulted:
        out.outcome = "not reached"
    return _converge(scenario, case, proxy, before, out, keep=False)


def half_made(scenario: Scenario, case: Case, before) -> str:
    """After a failed run: "" when the server holds the state from before the run or the asked one.

    The issue's rule for multi-step changes (complete or roll back). Reported, not failed on.
    """
    if before is None or scenario.read_only:
        return ""
    now = inventory(scenario, case)
    if now == before:
        return ""
    keys = sorted((kind, key) for kind, key, _oid in now)
    if keys == sorted((kind, key) for kind, key, _oid in before) and scenario.as_before is not None \
            and not scenario.as_before(case):
        return ""  # put back as it was (a rollback makes new IDs)
    wrong = scenario.check(case, {}) + inventory_problems(scenario, case, before, now)
    if not wrong:
        return ""
    gone = sorted("%s %s" % (kind, key) for kind, key, _oid in before - now)
    new = sorted("%s %s" % (kind, key) for kind, key, _oid in now - before)
    return "; ".join(wrong) + " (gone: %s; new: %s)" % (", ".join(gone) or "none", ", ".join(new) or "none")


def _converge(scenario, case, proxy, before, out: CaseResult, keep: bool) -> CaseResult:
    """The next clean run must succeed and leave exactly what was asked, and the run after it change
    nothing; ``keep`` an outcome already bad."""
    if out.fault == "none":
        return _settled(scenario, case, proxy, out)
    proxy.reset()
    second = run_module(scenario.module, module_args(scenario, case, proxy.url))
    trace = crashed(second)
    if trace or second.get("failed"):
        if not keep:
            out.outcome = "not converged"
            out.detail = "clean run after [%s]: %s" % (out.detail, trace or second.get("msg"))
        return out
    problems = scenario.check(case, second)
    leftovers = inventory_problems(scenario, case, before, inventory(scenario, case))
    if (problems or leftovers) and not keep:
        out.outcome = "not converged" if problems else "leftover"
        out.detail = "after the clean run: %s (the faulted run: %s)" % ("; ".join(problems + leftovers), out.detail)
    if keep or problems or leftovers:
        return out
    return _settled(scenario, case, proxy, out)


def _settled(scenario, case, proxy, out: CaseResult) -> CaseResult:
    """One more clean run: it must succeed with changed=False (a run that changes again never converged)."""
    proxy.reset()
    again = run_module(scenario.module, module_args(scenario, case, proxy.url))
    if crashed(again) or again.get("failed") or again.get("changed"):
        what = crashed(again) or again.get("msg") or "changed=True, diff %s" % again.get("diff")
        out.outcome = "not converged"
        out.detail = "the run after the clean one did not settle: %s (before: %s)" % (what, out.detail)
    return out


class BaselineFailed(AssertionError):
    def __init__(self, result: CaseResult):
        super().__init__("the clean run of %s does not work: %s" % (result.scenario, result.detail))
        self.result = result


def case_counts(services: Services, scenario: Scenario) -> list[str]:
    """The calls a clean run of the scenario makes through the proxy (cached per session).

    Raises :class:`BaselineFailed` when the clean run itself fails or leaves the wrong state.
    """
    if scenario.name not in services.counts:
        result = run_case(services, scenario, None, 0)
        if result.outcome != "recovered":
            result.outcome = "not converged"
            raise BaselineFailed(result)
        services.counts[scenario.name] = result.detail.splitlines()
    return services.counts[scenario.name]
