"""Fixtures and the outcome table of the fault-injection suite.

Every test attaches its case results to its report (``user_properties``), so the table is built on
the controller also when pytest-xdist runs the tests in workers. The table goes to the terminal at
the end of the session and to ``/tmp/faults_report.md`` (or ``$TICKSTACK_FAULTS_REPORT``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fault_proxy import FAULTS, FaultProxy
from fault_report import known_failures, render_report
from fault_suite import STALL_SECONDS, Services
from harness import VERSIONS, unpacked

REPORT = Path(os.environ.get("TICKSTACK_FAULTS_REPORT", "/tmp/faults_report.md"))


def pytest_configure(config):
    """Unpack the servers once before pytest-xdist starts its workers (two unpacking one tarball race)."""
    if hasattr(config, "workerinput"):
        return
    for product, version in (("influxdb", VERSIONS["INFLUXDB_VERSION"]), ("kapacitor", VERSIONS["KAPACITOR_VERSION"])):
        unpacked(product, version)


@pytest.fixture(scope="session")
def services(request, influxdb, tmp_path_factory):
    """The session's influxd behind a fault proxy; kapacitord joins when a Kapacitor test asks for it."""
    influx_proxy = FaultProxy(influxdb.url, stall_seconds=STALL_SECONDS).start()
    request.addfinalizer(influx_proxy.stop)
    found = Services(influxdb, None, influx_proxy, None, tmp_path_factory.mktemp("faults"))
    request.addfinalizer(found.close)
    return found


@pytest.fixture
def kapacitor_services(services, kapacitor):
    if services.kapacitor is None:
        services.kapacitor = kapacitor
        services.kapacitor_proxy = FaultProxy(kapacitor.url, stall_seconds=STALL_SECONDS).start()
    return services


_CASES: list[dict] = []
_COUNTS: dict[str, list[str]] = {}
_XFAILED: set[str] = set()


def pytest_runtest_logreport(report):
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == "fault_cases":
            _CASES.extend(value)
        elif name == "fault_calls":
            _COUNTS.update(value)
    if getattr(report, "wasxfail", None) is not None:
        _XFAILED.add(report.nodeid)


def pytest_terminal_summary(terminalreporter, config):
    if hasattr(config, "workerinput") or not _CASES:
        return
    summary, full = render_report(_CASES, _COUNTS, known_failures(), FAULTS)
    try:
        REPORT.write_text(full)
    except OSError as e:
        terminalreporter.write_line("cannot write %s: %s" % (REPORT, e))
    terminalreporter.section("fault injection: outcomes (full report: %s)" % REPORT)
    terminalreporter.write_line(summary.rstrip())
