"""Every module × every fault × every N: one clear failure or a recovery, then convergence, no leftovers.

For each scenario a clean run through the proxy first counts the calls the module makes; then for
each fault and each N up to that count, the case runs with the fault at call N (see fault_suite).
"""

from __future__ import annotations

import pytest

from fault_proxy import FAULTS
from fault_report import known_failures
from fault_suite import BAD, BaselineFailed, case_counts, run_case
from scenarios import SCENARIOS

pytestmark = pytest.mark.integration
KNOWN = known_failures()


def describe(result) -> str:
    detail = result["detail"].strip()
    if len(detail) > 1500:
        detail = detail[:700] + "\n[...]\n" + detail[-700:]
    return "N=%d (%s): %s\n    %s" % (result["n"], result["call"], result["outcome"], detail.replace("\n", "\n    "))


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_fault_at_every_call(services, scenario, fault, request):
    if (scenario.name, fault) in KNOWN:
        request.applymarker(pytest.mark.xfail(reason=KNOWN[(scenario.name, fault)], strict=False))
    if scenario.service == "kapacitor":
        services = request.getfixturevalue("kapacitor_services")
    try:
        calls = case_counts(services, scenario)
    except BaselineFailed as e:
        request.node.user_properties.append(("fault_cases", [e.result.to_dict()]))
        raise
    request.node.user_properties.append(("fault_calls", {scenario.name: calls}))
    results = [run_case(services, scenario, fault, n).to_dict() for n in range(1, len(calls) + 1)]
    request.node.user_properties.append(("fault_cases", results))
    bad = [r for r in results if r["outcome"] in BAD]
    assert not bad, "%s with fault %s:\n%s" % (scenario.name, fault, "\n".join(describe(r) for r in bad))
