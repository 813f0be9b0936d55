"""Unit tests of the health check: kapacitor_task_stats and influxdb2_newest_point against scripted
replies (the request each sends is asserted), and the health_report / health_series filters.

The reply shapes are kapacitord 1.8.3's and influxd 2.9.1's, as read from the real servers in
tests/integration/test_health_check.py (a batch query refused with 401 counts in the query node's
``errors``; there is no ``query_errors`` in 1.8.3).
"""

from __future__ import annotations

import copy
import json
from urllib.parse import parse_qs, urlsplit

import pytest

import collection_path  # noqa: F401 pylint: disable=unused-import  # the collection on sys.path

from module_args import patch_module_args

from ansible.errors import AnsibleFilterError

from ansible_collections.tickstack.influx.plugins.filter.health_report import FilterModule
from ansible_collections.tickstack.influx.plugins.module_utils import http_client as http_module
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import Response
from ansible_collections.tickstack.influx.plugins.module_utils.kapacitor import node_deltas, node_order, task_sample_stats
from ansible_collections.tickstack.influx.plugins.modules import influxdb2_newest_point, kapacitor_task_stats

FILTERS = FilterModule().filters()
health_report, health_series = FILTERS["health_report"], FILTERS["health_series"]


def answer(status, body=None, headers=None, raw=None):
    """A reply; kapacitord puts its version on every one (InfluxDB's replies ignore the header here)."""
    data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    return Response(status, dict({"Content-Type": "application/json", "X-Kapacitor-Version": "1.8.3"},
                                 **(headers or {})), data)


class Script(object):
    """A transport that answers each request with the next reply of a list, and records the requests."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.requests = []

    def __call__(self, method, url, headers, data, options):
        parts = urlsplit(url)
        self.requests.append({"method": method, "path": parts.path, "query": parse_qs(parts.query),
                              "headers": dict(headers), "data": data, "options": dict(options)})
        reply = self.replies.pop(0)
        return reply() if callable(reply) else reply


def run(module, capsys, monkeypatch, replies, check=False, **args):
    script = Script(replies)
    monkeypatch.setattr(http_module, "urls_transport", script)
    args.update(_ansible_check_mode=check)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out), script


# --------------------------------------------------------------------------------------------------
# kapacitor_task_stats
# --------------------------------------------------------------------------------------------------

PING = answer(204, headers={"X-Kapacitor-Version": "1.8.3"})


def stream_task(collected, errors=0, write_errors=0, task_id="cpu", dbrp=("telegraf", "autogen")):
    return {"id": task_id, "type": "stream", "status": "enabled", "executing": True, "error": "",
            "dbrps": [{"db": dbrp[0], "rp": dbrp[1]}],
            "stats": {"task-stats": {"throughput": 0}, "node-stats": {
                "stream0": {"avg_exec_time_ns": 0, "collected": collected, "emitted": collected, "errors": 0,
                            "working_cardinality": 0},
                "from1": {"avg_exec_time_ns": 0, "collected": collected, "emitted": collected, "errors": errors,
                          "working_cardinality": 0},
                "influxdb_out2": {"avg_exec_time_ns": 5, "collected": collected, "emitted": 0, "errors": write_errors,
                                  "points_written": collected - write_errors, "write_errors": write_errors,
                                  "working_cardinality": 0}}}}


def batch_task(queried, query_errors, task_id="count"):
    return {"id": task_id, "type": "batch", "status": "enabled", "executing": True, "error": "",
            "dbrps": [{"db": "telegraf", "rp": "autogen"}],
            "stats": {"task-stats": {"throughput": 0}, "node-stats": {
                "batch0": {"collected": queried, "emitted": 0, "errors": 0},
                "query1": {"batches_queried": queried, "points_queried": queried, "collected": queried,
                           "emitted": queried, "errors": query_errors},
                "influxdb_out2": {"collected": queried, "emitted": 0, "errors": 0, "points_written": queried,
                                  "write_errors": 0}}}}


def tasks_reply(*tasks):
    return answer(200, {"tasks": list(tasks)})


def test_task_stats_samples_twice_with_two_list_calls(capsys, monkeypatch):
    slept = []
    monkeypatch.setattr(kapacitor_task_stats, "SLEEP", slept.append)
    result, script = run(kapacitor_task_stats, capsys, monkeypatch, [
        tasks_reply(stream_task(100), batch_task(5, 0)), tasks_reply(stream_task(120), batch_task(7, 3))],
        url="http://kap.test:9092", username="ansible", password="secret-password-0123", interval=10,
        pattern="c*")
    assert result["changed"] is False and result["version"] == "1.8.3" and result["interval"] == 10
    assert slept == [10]
    # No ping: the version comes from the first list's X-Kapacitor-Version.
    assert [r["method"] + " " + r["path"] for r in script.requests] == [
        "GET /kapacitor/v1/tasks", "GET /kapacitor/v1/tasks"]
    listing = script.requests[0]["query"]
    assert listing["fields"] == ["id", "type", "status", "executing", "error", "dbrps", "stats"]
    assert listing["pattern"] == ["c*"] and listing["script-format"] == ["raw"]
    assert script.requests[0]["options"]["url_username"] == "ansible"
    assert "secret-password-0123" not in json.dumps(result)
    count, cpu = result["tasks"]
    assert cpu["id"] == "cpu" and cpu["first_node"] == "stream0" and cpu["nodes"] == ["stream0", "from1", "influxdb_out2"]
    assert cpu["collected"] == 120 and cpu["received"] == 20 and cpu["emitted"] == 20 and cpu["points_written"] == 20
    assert cpu["query_errors"] == 0 and cpu["batches_queried"] is None and cpu["write_errors"] == 0
    assert cpu["node_deltas"]["influxdb_out2"] == {"collected": 20, "emitted": 0, "errors": 0, "points_written": 20,
                                                   "write_errors": 0}
    assert count["first_node"] == "batch0" and count["received"] == 2
    assert count["batches_queried"] == 2 and count["query_errors"] == 3 and count["errors"] == 3


def test_task_stats_against_a_baseline_is_one_call_over_the_time_since(capsys, monkeypatch):
    clock = iter([1000.0, 1014.6, 1014.7, 1015.0, 1020.0, 1020.0, 1020.1])
    monkeypatch.setattr(kapacitor_task_stats, "CLOCK", lambda: next(clock))
    slept = []
    monkeypatch.setattr(kapacitor_task_stats, "SLEEP", slept.append)
    first, _unused = run(kapacitor_task_stats, capsys, monkeypatch, [tasks_reply(stream_task(100), batch_task(5, 0))],
                         url="http://kap.test:9092", interval=0)
    assert first["sampled_at"] == 1000.0 and first["tasks"][1]["received"] is None
    # 14.6 s later: more than the interval, so no wait; the deltas cover those 15 s.
    result, script = run(kapacitor_task_stats, capsys, monkeypatch, [tasks_reply(stream_task(130), batch_task(8, 1))],
                         url="http://kap.test:9092", interval=10, baseline=first)
    assert slept == [] and len(script.requests) == 1 and result["interval"] == 15
    count, cpu = result["tasks"]
    assert cpu["received"] == 30 and cpu["interval"] == 15 and count["query_errors"] == 1
    # 6 s later: it waits for the rest of the interval first.
    result, _unused = run(kapacitor_task_stats, capsys, monkeypatch, [tasks_reply(stream_task(140), batch_task(9, 1))],
                          url="http://kap.test:9092", interval=10, baseline=dict(first, sampled_at=1014.0))
    assert slept == [pytest.approx(4.0)] and result["interval"] == 6
    bad, script = run(kapacitor_task_stats, capsys, monkeypatch, [], url="http://kap.test:9092", baseline={"tasks": "x"})
    assert bad["failed"] and "baseline: expected an earlier result" in bad["msg"] and script.requests == []


def test_task_stats_interval_zero_takes_one_sample(capsys, monkeypatch):
    monkeypatch.setattr(kapacitor_task_stats, "SLEEP", lambda s: pytest.fail("slept"))
    result, script = run(kapacitor_task_stats, capsys, monkeypatch, [tasks_reply(stream_task(5))],
                         url="http://kap.test:9092", interval=0, check=True)
    assert len(script.requests) == 1 and result["version"] == "1.8.3"
    assert result["tasks"][0]["collected"] == 5 and result["tasks"][0]["received"] is None


def test_task_stats_refuses_a_bad_interval_before_any_call(capsys, monkeypatch):
    result, script = run(kapacitor_task_stats, capsys, monkeypatch, [], url="http://kap.test:9092", interval=-1)
    assert result["failed"] and result["msg"].startswith("interval: -1 is out of range")
    assert script.requests == []


@pytest.mark.parametrize("reply, expected", [
    (answer(200, raw=b"<html>proxy login</html>", headers={"Content-Type": "text/html"}), "the reply is not JSON"),
    (answer(200, {"tasks": {"id": "x"}}), "expected 'tasks' to be a list"),
    (answer(401, {"error": "authentication required"}), "rejected the credentials"),
])
def test_task_stats_bad_replies_are_clear_errors(capsys, monkeypatch, reply, expected):
    result, _script = run(kapacitor_task_stats, capsys, monkeypatch, [reply], url="http://kap.test:9092",
                          interval=0)
    assert result["failed"] and result["msg"].startswith("cannot read Kapacitor's task statistics: ")
    assert expected in result["msg"], result["msg"]


def test_node_order_and_counter_reset():
    assert node_order({"influxdb_out2": {}, "stream0": {}, "from1": {}, "alert10": {}}) == [
        "stream0", "from1", "influxdb_out2", "alert10"]
    # A counter that went down: the task restarted in between, its new value is what it did since.
    before = {"a1": {"collected": 50, "avg_exec_time_ns": 9}}
    after = {"a1": {"collected": 7, "avg_exec_time_ns": 1}, "b2": {"collected": 3}}
    assert node_deltas(before, after) == {"a1": {"collected": 7}}
    fresh = task_sample_stats(None, stream_task(4), 10)
    assert fresh["received"] is None and fresh["collected"] == 4


# --------------------------------------------------------------------------------------------------
# influxdb2_newest_point
# --------------------------------------------------------------------------------------------------

NOW = 1_800_000_000


def series_reply(*series):
    return answer(200, {"results": [{"statement_id": 0, "series": list(series)}]})


def test_newest_point_queries_by_dbrp_and_host(capsys, monkeypatch):
    monkeypatch.setattr(influxdb2_newest_point, "NOW", lambda: NOW + 0.4)
    result, script = run(influxdb2_newest_point, capsys, monkeypatch, [
        series_reply({"name": "mem", "tags": {"host": "web1"}, "columns": ["time", "v"], "values": [[NOW - 2, 3]]},
                     {"name": "cpu", "tags": {"host": "web1"}, "columns": ["time", "v"], "values": [[NOW - 9, 1]]},
                     {"name": "cpu", "tags": {"host": "web2"}, "columns": ["time", "v"], "values": [[NOW - 300, 2]]}),
        series_reply({"name": "copy", "columns": ["time", "host", "v"], "values": [[NOW - 5, "web1", 1]]}),
        answer(200, {"results": [{"statement_id": 0, "error": "database not found: nope"}]}),
    ], url="http://influx.test:8086", token="operator-token-0123456789", lookback="15m", series=[
        {"database": "telegraf", "retention_policy": "autogen", "group_by": "host"},
        {"database": "my-db", "retention_policy": "my-rp", "measurement": 'we"ird'},
        {"database": "nope"}])
    first, second, third = script.requests
    assert first["method"] == "GET" and first["path"] == "/query"
    assert first["headers"]["Authorization"] == "Token operator-token-0123456789"
    assert first["query"] == {"db": ["telegraf"], "rp": ["autogen"], "epoch": ["s"], "q": [
        'SELECT * FROM /.*/ WHERE time > now() - 15m GROUP BY "host" ORDER BY time DESC LIMIT 1']}
    assert second["query"]["q"] == ['SELECT * FROM "we\\"ird" WHERE time > now() - 15m ORDER BY time DESC LIMIT 1']
    assert "rp" not in third["query"]
    telegraf, mine, nope = result["series"]
    assert result["changed"] is False
    assert telegraf["newest"] == {"time": NOW - 2, "age": 2, "measurement": "mem"}
    assert telegraf["groups"] == {"web1": {"time": NOW - 2, "age": 2, "measurement": "mem"},
                                  "web2": {"time": NOW - 300, "age": 300, "measurement": "cpu"}}
    assert mine["newest"]["age"] == 5 and mine["groups"] == {} and mine["error"] == ""
    assert nope["newest"] is None and nope["error"] == "InfluxQL on nope refused: database not found: nope"
    assert "operator-token-0123456789" not in json.dumps(result)


@pytest.mark.parametrize("args, expected", [
    ({"lookback": "an hour"}, "lookback: 'an hour' is not an InfluxQL duration"),
    ({"series": [{"database": "telegraf", "group_by": " "}]}, "series[0].group_by: cannot be empty"),
    ({"token": None}, "token: no API token given"),
])
def test_newest_point_bad_input_is_refused_before_any_call(capsys, monkeypatch, args, expected):
    params = dict({"url": "http://influx.test:8086", "token": "t" * 20, "series": [{"database": "telegraf"}]}, **args)
    result, script = run(influxdb2_newest_point, capsys, monkeypatch, [], **params)
    assert result["failed"] and expected in result["msg"], result["msg"]
    assert script.requests == []


@pytest.mark.parametrize("reply, expected", [
    (answer(401, {"code": "unauthorized", "message": "unauthorized access"}), "unauthorized access"),
    (answer(200, raw=b"<html>gateway</html>", headers={"Content-Type": "text/html"}), "the reply is not JSON"),
    (answer(200, {"results": "nope"}), 'expected {"results": [...]} from /query'),
    (answer(200, {"results": [{"series": {"name": "x"}}]}), "expected a list of series from /query"),
])
def test_newest_point_bad_replies_are_clear_errors(capsys, monkeypatch, reply, expected):
    result, _script = run(influxdb2_newest_point, capsys, monkeypatch, [reply], url="http://influx.test:8086",
                          token="t" * 20, series=[{"database": "telegraf"}])
    assert result["failed"] and result["msg"].startswith("cannot read the newest points from InfluxDB at http://influx.test:8086: ")
    assert expected in result["msg"], result["msg"]


# --------------------------------------------------------------------------------------------------
# health_report and health_series
# --------------------------------------------------------------------------------------------------

def sampled(before, after, interval=10):
    return task_sample_stats(before, after, interval)


def points(hosts=None, dbrps=None):
    series = [{"database": "telegraf", "retention_policy": "autogen", "measurement": None, "group_by": "host",
               "groups": {h: {"time": 0, "age": age, "measurement": "cpu"} for h, age in (hosts or {}).items()},
               "newest": None, "error": ""}]
    for (db, rp), age in (dbrps or {}).items():
        series.append({"database": db, "retention_policy": rp, "measurement": None, "group_by": None, "groups": {},
                       "newest": None if age is None else {"time": 0, "age": age, "measurement": "m"}, "error": ""})
    return {"changed": False, "series": series}


def test_healthy_stack_passes():
    stats = {"tasks": [sampled(stream_task(100), stream_task(130)), sampled(batch_task(3, 0), batch_task(8, 0))]}
    report = health_report(stats, points({"web1": 1, "web2": 4}), hosts=["web1", "web2"], stale_after=60)
    assert report["passed"] and report["failures"] == []
    assert report["lines"] == [
        "PASS: 2 Kapacitor tasks, 2 Telegraf hosts (stale after 60 s)",
        "OK   stream task cpu (db telegraf/autogen) received 30 points in 10s",
        "OK   batch task count (db telegraf/autogen) ran 5 queries in 10s without error",
        "OK   Telegraf host web1: newest point in telegraf/autogen is 1 s old",
        "OK   Telegraf host web2: newest point in telegraf/autogen is 4 s old",
    ]
    assert report["message"] == "health check passed"


def test_every_failure_is_named_with_its_cause():
    quiet = ("quiet", "autogen")
    copy_db = ("my-db", "my-rp")
    stats = {"tasks": [
        sampled(stream_task(10, task_id="starved", dbrp=quiet), stream_task(10, task_id="starved", dbrp=quiet)),
        sampled(stream_task(10, task_id="elsewhere", dbrp=copy_db), stream_task(10, task_id="elsewhere", dbrp=copy_db)),
        sampled(batch_task(3, 0), batch_task(3, 4)),
        sampled(stream_task(10, task_id="writer"), stream_task(20, write_errors=2, task_id="writer")),
        dict(sampled(None, stream_task(0, task_id="broken")), executing=False, error="no dbrp"),
        dict(sampled(None, stream_task(0, task_id="off")), status="disabled", executing=False),
    ]}
    report = health_report(stats, points({"web1": 200}, {quiet: None, copy_db: 3}), hosts=["web1", "web2"],
                           stale_after=30)
    assert not report["passed"]
    reasons = {f["name"]: f["reason"] for f in report["findings"]}
    assert reasons["starved"] == (
        "stream task starved (db quiet/autogen) received 0 points in 10s: Telegraf writes no data for this db/rp "
        "to Kapacitor, or the DBRP is wrong (InfluxDB has no fresh point of quiet/autogen either)")
    assert reasons["elsewhere"].startswith(
        "stream task elsewhere (db my-db/my-rp) received 0 points in 10s, though InfluxDB has fresh points of my-db/my-rp "
        "(newest point 3 s old): Telegraf does not write this db/rp to Kapacitor")
    assert reasons["count"].startswith(
        "batch task count (db telegraf/autogen) 4 of its queries failed in 10s: InfluxDB refused Kapacitor's token")
    assert reasons["writer"].startswith("stream task writer (db telegraf/autogen) 2 writes to InfluxDB failed in 10s")
    assert reasons["broken"] == "stream task broken (db telegraf/autogen) is enabled but not executing: no dbrp"
    assert reasons["off"] == "stream task off (db telegraf/autogen) is disabled: not checked"
    assert reasons["web1"].startswith("Telegraf host web1: its newest point in telegraf/autogen is 200 s old "
                                      "(stale after 30 s): telegraf is stopped on web1")
    assert reasons["web2"].startswith("Telegraf host web2 wrote no point with host=web2 to telegraf/autogen")
    assert [f["name"] for f in report["failures"]] == ["starved", "elsewhere", "count", "writer", "broken", "web1", "web2"]
    assert report["message"].startswith(
        "health check failed for task starved, task elsewhere, task count, task writer, task broken, host web1, host web2: ")
    assert report["lines"][0] == "FAIL: 6 Kapacitor tasks, 2 Telegraf hosts (stale after 30 s)"
    assert "SKIP stream task off (db telegraf/autogen) is disabled: not checked" in report["lines"]


def test_failed_or_skipped_reads():
    failed = {"failed": True, "msg": "cannot read Kapacitor's task statistics: connection refused"}
    report = health_report(failed, {"skipped": True}, hosts=["web1"])
    assert not report["passed"]
    assert report["findings"][0]["reason"] == ("Kapacitor could not be read: cannot read Kapacitor's task "
                                               "statistics: connection refused")
    assert report["findings"][1]["status"] == "skip"
    # No Kapacitor group: the tasks read is skipped, and only the hosts count.
    assert health_report({"skipped": True, "changed": False}, points({"web1": 1}), hosts=["web1"])["passed"]
    sampled_once = {"tasks": [sampled(None, stream_task(3))]}
    assert health_report(sampled_once)["findings"][0]["status"] == "skip"


def test_bad_filter_input():
    with pytest.raises(AnsibleFilterError, match="stale_after must be a number of seconds"):
        health_report({}, stale_after="soon")
    with pytest.raises(AnsibleFilterError, match="stale_after: 0 is not a number of seconds"):
        health_report({}, stale_after=0)
    with pytest.raises(AnsibleFilterError, match="hosts must be a list"):
        health_report({}, hosts="web1")
    with pytest.raises(AnsibleFilterError, match="expected the result of tickstack.influx.kapacitor_task_stats"):
        health_report({"tasks": ["cpu"]})
    with pytest.raises(AnsibleFilterError, match="points: expected the result of tickstack.influx.influxdb2_newest_point"):
        health_report({}, ["x"])


def test_health_series_lists_each_dbrp_once():
    two = copy.deepcopy(stream_task(1, task_id="b", dbrp=("my-db", "my-rp")))
    stats = {"tasks": [sampled(None, stream_task(1)), sampled(None, two), sampled(None, batch_task(1, 0))]}
    assert health_series(stats, "telegraf", "autogen") == [
        {"database": "telegraf", "retention_policy": "autogen", "group_by": "host"},
        {"database": "telegraf", "retention_policy": "autogen"},
        {"database": "my-db", "retention_policy": "my-rp"},
    ]
    assert health_series({"skipped": True}) == [{"database": "telegraf", "retention_policy": "autogen", "group_by": "host"}]
