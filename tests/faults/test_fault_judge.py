"""How the fault suite judges a case, on made-up results (no servers): it must not pass vacuously."""

from __future__ import annotations

import importlib

from fault_report import render_report
from fault_suite import crashed, inventory_problems, message_problem
from module_runner import PACKAGE, SleepRecorder, recorded_sleep, run_module
from scenarios import Case, Scenario

URL = "http://127.0.0.1:4242"


def scenario(**kw):
    base = dict(name="m/x", module="influxdb2_org", service="influxdb", args=lambda case: {},
                check=lambda case, result: [], expected=lambda case: {("org", "p-org")},
                removable=lambda case: {"old"})
    base.update(kw)
    return Scenario(**base)


def test_a_module_crash_is_a_traceback(monkeypatch):
    module = importlib.import_module(PACKAGE + "influxdb2_org")

    def boom():
        raise KeyError("id")

    monkeypatch.setattr(module, "main", boom)
    result = run_module("influxdb2_org", {})
    assert crashed(result) and "KeyError: 'id'" in result["module_stderr"]
    assert crashed({"failed": True, "msg": "boom: Traceback (most recent call last):\n  File x"})
    assert crashed({"failed": True, "msg": "GET http://h/x: HTTP 500"}) is None


def test_fail_json_comes_back_as_the_result():
    result = run_module("influxdb2_org", {"name": "x", "token": "a-token-value", "url": "http://127.0.0.1:1",
                                          "timeout": 1})
    assert result["failed"] and not crashed(result)
    assert "127.0.0.1:1" in result["msg"]


def test_retry_delays_are_recorded_not_slept():
    http_client = importlib.import_module("ansible_collections.tickstack.influx.plugins.module_utils.http_client")
    recorder = SleepRecorder()
    with recorded_sleep(recorder):
        client = http_client.HttpClient("http://127.0.0.1:1", transport=lambda *a: http_client.Response(503, {}, b""),
                                        retries=2)
        try:
            client.request("GET", "/x")
        except http_client.ApiError:
            pass
    assert recorder.delays == [0.5, 1.0]


def test_a_message_must_name_the_url_and_the_status():
    assert message_problem({"msg": ""}, "500", URL) == "the failure has no message"
    assert "the URL" in message_problem({"msg": "HTTP 500: boom"}, "500", URL)
    assert "the status 503" in message_problem({"msg": "GET %s/x: failed" % URL}, "503", URL)
    assert message_problem({"msg": "GET %s/x: HTTP 429: slow down" % URL}, "429", URL) is None
    assert message_problem({"msg": "GET %s/x: timed out" % URL}, "stall", URL) is None
    # A later call that failed for its own reason need not carry the status of the fault before it.
    assert message_problem({"msg": "POST %s/b: timed out" % URL}, "500", URL, "/a?x=1") is None
    assert "the status 500" in message_problem({"msg": "POST %s/a: boom" % URL}, "500", URL, "/a?x=1")


def test_duplicates_orphans_and_unasked_deletions_are_leftovers():
    case = Case(prefix="p-")
    before = {("org", "p-org", "1"), ("bucket", "keep", "2"), ("token", "p-org", "old")}
    assert inventory_problems(scenario(), case, before, before) == []
    replaced = (before - {("token", "p-org", "old")}) | {("token", "p-org", "new")}
    assert inventory_problems(scenario(expected=lambda case: {("org", "p-org"), ("token", "p-org")}), case,
                              before, replaced) == []
    dup = before | {("org", "p-org", "3")}
    assert inventory_problems(scenario(), case, before, dup) == ["2 org objects named p-org (want 1): 1, 3"]
    orphan = before | {("bucket", "p-stray", "4")}
    assert inventory_problems(scenario(), case, before, orphan) == ["orphan bucket 'p-stray' (id 4) was left"]
    lost = before - {("bucket", "keep", "2")}
    assert inventory_problems(scenario(), case, before, lost) == [
        "bucket 'keep' (id 2) was deleted, nobody asked for that"]


def test_the_report_flags_bad_cells_and_lists_their_details():
    cases = [dict(scenario="m/x", fault="500", n=1, outcome="recovered", call="GET /a", detail="", half_made=""),
             dict(scenario="m/x", fault="500", n=2, outcome="traceback", call="POST /b", detail="Traceback: boom",
                  half_made=""),
             dict(scenario="m/x", fault="html", n=1, outcome="clear failure", call="GET /a", detail="x",
                  half_made="gone")]
    summary, full = render_report(cases, {"m/x": ["GET /a", "POST /b"]}, {("m/x", "500"): "known"})
    assert "| m/x | 2 | **1TB 1R** (xfail) |" in summary
    assert "1F (1h)" in summary
    assert "### m/x, fault 500 at call 2: traceback (listed as a known failure)" in full
    assert "Traceback: boom" in full
