"""tools/bench/stack.py and bench.py: the proxy counts what passes, calls land on their task and host,
repeats are counted, the floor has the right tasks, and the table is one markdown table."""

from __future__ import annotations

import http.server
import importlib.util
import json
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

BENCH = Path(__file__).resolve().parents[2] / "tools" / "bench"


def load(name):
    spec = importlib.util.spec_from_file_location("bench_" + name, BENCH / ("%s.py" % name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stack = load("stack")
bench = load("bench")


@pytest.fixture
def upstream():
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((self.command, self.path, body, self.headers["Authorization"]))
            reply = json.dumps({"ok": True}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_GET = do_POST

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address, seen
    server.shutdown()
    server.server_close()


def test_proxy_forwards_and_records(upstream):
    address, seen = upstream
    proxy = stack.Proxy("127.0.0.1")
    try:
        url = proxy.add("bench-influxdb", "influxdb", address)
        request = urllib.request.Request(url + "/api/v2/buckets?name=x", data=b'{"a": 1}', method="POST",
                                         headers={"Authorization": "Token t", "Content-Length": "8"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201 and json.load(response) == {"ok": True}
    finally:
        proxy.close()
    assert seen == [("POST", "/api/v2/buckets?name=x", b'{"a": 1}', "Token t")]
    [recorded] = proxy.requests
    assert (recorded["host"], recorded["method"], recorded["path"], recorded["status"]) == (
        "bench-influxdb", "POST", "/api/v2/buckets?name=x", 201)
    assert "Token t" not in json.dumps(proxy.requests)  # only a digest of the body, no headers


def test_proxy_answers_502_when_the_upstream_is_down():
    proxy = stack.Proxy("127.0.0.1")
    try:
        url = proxy.add("bench-influxdb", "influxdb", ("127.0.0.1", 1))
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(url + "/health", timeout=10)
        assert error.value.code == 502
    finally:
        proxy.close()
    assert proxy.requests[0]["status"] == 502


def record(task, action, host, start, end, status="ok"):
    return {"task": task, "action": action, "path": "/x/influx/roles/stack/tasks/%s.yml:1" % task,
            "host": host, "status": status, "start": start, "end": end}


def request(host, when, path, body="b"):
    return {"time": when, "host": host, "service": "influxdb", "method": "GET", "path": path, "body": body, "status": 200}


def test_calls_land_on_their_host_and_task_and_repeats_are_counted():
    records = [
        record("buckets", "tickstack.influx.influxdb2_bucket", "bench-influxdb", 10.0, 12.0),
        record("token", "tickstack.influx.influxdb2_token", "bench-telegraf1", 12.5, 14.0),
        # The same task on another host at the same time: told apart by the port (host), not the time.
        record("token", "tickstack.influx.influxdb2_token", "bench-telegraf2", 12.5, 14.0),
        record("task", "tickstack.influx.kapacitor_task", "bench-kapacitor", 15.0, 16.0),
        record("plan", "tickstack.influx.stack_plan", "bench-influxdb", 16.0, 17.0),
    ]
    requests = [
        request("bench-influxdb", 10.5, "/api/v2/buckets?name=a"),
        request("bench-influxdb", 11.0, "/api/v2/buckets?name=a"),  # exact repeat
        request("bench-influxdb", 11.5, "/api/v2/buckets?name=a", body="other"),  # not a repeat
        request("bench-telegraf1", 13.0, "/api/v2/authorizations"),
        request("bench-telegraf2", 13.0, "/api/v2/authorizations"),
        request("bench-telegraf2", 13.1, "/api/v2/authorizations"),  # repeat on telegraf2 only
        request("bench-influxdb", 20.0, "/health"),  # after every task
    ]
    rows = {r["metric"]: r for r in stack.http_rows(requests, records, {"tickstack_influxdb_api_url"})}
    assert rows["tickstack.influx.influxdb2_bucket"]["value"] == 3.0
    assert "3 calls in 1 task runs (a loop's items are one run; max 3 in one), 1 exact repeats" in rows["tickstack.influx.influxdb2_bucket"]["note"]
    assert rows["tickstack.influx.influxdb2_token"]["value"] == 1.5
    assert "1 exact repeats; per host: telegraf1 1, telegraf2 2" in rows["tickstack.influx.influxdb2_token"]["note"]
    # kapacitor_task ran in roles/stack/ and made no proxied call: named, with the reason.
    assert rows["tickstack.influx.kapacitor_task"]["value"] == "n/a"
    assert "role vars" in rows["tickstack.influx.kapacitor_task"]["note"]
    assert rows["tickstack.influx.stack_plan"]["value"] == 0 and "no HTTP" in rows["tickstack.influx.stack_plan"]["note"]
    assert rows["unattributed requests"]["value"] == 1 and "GET /health" in rows["unattributed requests"]["note"]


def test_slowest_sums_over_hosts_and_health_is_its_windows():
    records = [record("a", "x", "h1", 0, 1), record("a", "x", "h2", 0, 3), record("b", "y", "h1", 3, 5)]
    records.append(dict(record("sample", "z", "h1", 5, 9), path="/r/influx/roles/stack/tasks/health.yml:9"))
    top = stack.slowest(records, top=2)
    assert [(t["task"], t["seconds"], t["hosts"]) for t in top] == [("a", 4, 2), ("sample", 4, 1)]
    assert stack.health_seconds(records) == 4


def test_idempotence_failure_names_the_changed_tasks():
    result = {"recap": {"h1": {"changed": 1}}, "records": [record("a", "x", "h1", 0, 1, status="changed")]}
    with pytest.raises(stack.BenchError, match=r"(?s)NOT IDEMPOTENT: changed=1.*a on h1"):
        stack.require_idempotent("idem", result)
    stack.require_idempotent("idem", {"recap": {"h1": {"changed": 0}}, "records": []})


def test_floor_gathers_as_site_does_and_pings_per_host(tmp_path):
    plays = yaml.safe_load(stack.floor_playbook(tmp_path / "floor.yml", {"h1": 3, "h2": 1}).read_text())
    site = [p for p in yaml.safe_load(stack.SITE.read_text()) if p.get("gather_facts", True)]
    assert [p["gather_subset"] for p in plays] == [p["gather_subset"] for p in site]
    assert [p["hosts"] for p in plays[:-1]] == [p["hosts"] for p in site[:-1]]
    assert plays[-1]["vars"] == {"bench_floor_ok": {"h1": 3, "h2": 1}}
    assert [t["when"] for t in plays[-1]["tasks"]] == [
        "bench_floor_ok[inventory_hostname] | int > %d" % i for i in range(3)]
    assert all("ansible.builtin.ping" in t for t in plays[-1]["tasks"])


def test_bench_table_and_scan_lines():
    match = bench.SCAN_LINE.match("    5000 lines    41000 tokens   tokens() 0.123 s   scan() 0.456 s")
    assert match.groups() == ("5000", "41000", "0.123", "0.456")
    text = bench.table([bench.row("stack", "a|b", 1.5, "s", "note")])
    assert text.splitlines() == ["| section | metric | value | unit | note |", "|---|---|---:|---|---|",
                                 "| stack | a\\|b | 1.5 | s | note |"]


def test_bench_reads_an_indented_json_list_and_a_last_json_line():
    bench = load("bench")
    rows = [{"section": "ingest", "metric": "m", "value": 1, "unit": "s", "note": ""}]
    assert bench.parse_rows(json.dumps(rows, indent=2)) == rows
    assert bench.parse_rows("progress\nmore progress\n" + json.dumps(rows)) == rows
    assert bench.parse_rows("") == []


def test_a_call_at_a_tasks_end_is_not_given_to_the_skip_or_the_task_that_follows():
    records = [
        record("setup", "tickstack.influx.influxdb2_setup", "bench-influxdb", 10.0, 11.0),
        # Starts within the slack of the call: a skip makes no call, and the next task does not own it.
        record("check", "ansible.builtin.fail", "bench-influxdb", 11.02, 11.03, status="skipped"),
        record("dir", "ansible.builtin.file", "bench-influxdb", 11.04, 11.6),
    ]
    requests = [request("bench-influxdb", 10.99, "/api/v2/setup"), request("bench-influxdb", 11.0, "/api/v2/setup")]
    calls, unattributed = stack.attribute(requests, records)
    assert not unattributed
    assert set(calls) == {("tickstack.influx.influxdb2_setup", "bench-influxdb")}
