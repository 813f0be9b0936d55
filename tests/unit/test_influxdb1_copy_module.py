"""influxdb1_copy's decisions against fakes of both servers: which windows, what is written, check mode."""

from __future__ import annotations

import json

import pytest
from influxdb2_support import ORG_ID, FakeInflux, FakeModule, bucket, org, reply
from test_influxdb1_client import FakeInfluxQL, client, result, series

from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput, OperationFailed
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import Response
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb1 import WindowCopier, _csv_rows
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import InfluxDB2Client
from ansible_collections.tickstack.influx.plugins.modules import influxdb1_copy

H = 3600 * 10 ** 9
T0 = 1000 * H  # window-aligned for 1h windows
FROM = '"db"."one-week.v2"."cpu"'


def source_answers(points=((T0 + 1, "a", 1.0, 3), (T0 + 2, "a", 2.5, 4), (T0 + H + 5, "b", 7.0, 1))):
    answers = {
        'SHOW MEASUREMENTS ON "db"': result(series(["name"], [["cpu"], ["only_autogen"]], name="measurements")),
        "SELECT * FROM %s ORDER BY time ASC LIMIT 1" % FROM: result(series(["time", "f", "host", "i"], [
            [points[0][0], 1.0, "a", 3]], name="cpu")),
        "SELECT * FROM %s ORDER BY time DESC LIMIT 1" % FROM: result(series(["time", "f", "host", "i"], [
            [points[-1][0], 7.0, "b", 1]], name="cpu")),
        'SELECT * FROM "db"."one-week.v2"."only_autogen" ORDER BY time ASC LIMIT 1': result(),
        "SELECT count(*) FROM %s WHERE time >= %d AND time < %d GROUP BY time(%dns) fill(none)" % (
            FROM, T0, T0 + 2 * H, H): result(series(["time", "count_f", "count_i"], [[T0, 2, 2], [T0 + H, 1, 1]],
                                                    name="cpu")),
        'SHOW FIELD KEYS ON "db" FROM "one-week.v2"."cpu"': result(series(["fieldKey", "fieldType"], [
            ["f", "float"], ["i", "integer"]], name="cpu")),
    }
    for start in (T0, T0 + H):
        rows = [p for p in points if start <= p[0] < start + H]
        chunks = []
        for host in sorted({p[1] for p in rows}):
            chunks.append({"results": [{"statement_id": 0, "series": [{
                "name": "cpu", "tags": {"host": host}, "columns": ["time", "f", "i"],
                "values": [[p[0], p[2], p[3]] for p in rows if p[1] == host]}]}]})
        body = "\n".join(json.dumps(c) for c in chunks).encode()
        answers["SELECT * FROM %s WHERE time >= %d AND time < %d GROUP BY *" % (FROM, start, start + H)] = \
            Response(200, {"Content-Type": "application/json"}, body)
    return answers


def counts_csv(counts):
    lines = [",result,table,window,n"] + [",_result,0,%d,%d" % (w, n) for w, n in counts]
    return Response(200, {"Content-Type": "text/csv"}, ("\r\n".join(lines) + "\r\n").encode())


def target(counts_before, counts_after=None):
    fake = FakeInflux()
    fake.on("GET", "/api/v2/orgs", reply(200, {"orgs": [org()]}))
    fake.on("GET", "/api/v2/buckets", reply(200, {"buckets": [bucket(name="db/one-week.v2")]}))
    replies = [counts_csv(counts_before)] + ([counts_csv(counts_after)] if counts_after is not None else [])
    fake.on("POST", "/api/v2/query", *replies)
    fake.on("POST", "/api/v2/write", Response(204, {}, b""))
    return fake


def run(fake2, answers=None, check_mode=False, **params):
    base = {"database": "db", "retention_policy": "one-week.v2", "bucket": "db/one-week.v2", "measurements": None,
            "start": None, "stop": None, "window": "1h", "chunk_size": 100, "batch_size": 2, "max_windows": 0,
            "influxdb2_url": "http://influx2.test:8086", "influxdb2_token": "t0ken", "influxdb2_org": "acme"}
    base.update(params)
    module = FakeModule(base, check_mode=check_mode)
    fake1 = FakeInfluxQL(answers or source_answers())
    target_client = InfluxDB2Client("http://influx2.test:8086", token="t0ken", transport=fake2, sleep=lambda _s: None)
    return influxdb1_copy.ensure(module, client(fake1), target_client), fake1


def writes(fake2):
    return [s for s in fake2.sent if s.path == "/api/v2/write"]


def test_copies_every_window_in_batches_with_types():
    fake2 = target([], [(T0, 4), (T0 + H, 2)])
    found, _fake1 = run(fake2)
    assert found["changed"] and found["complete"] and found["windows_copied"] == 2
    assert found["points_written"] == 3 and found["windows_remaining"] == 0
    sent = writes(fake2)
    assert [s.query for s in sent][0] == {"org": "acme", "bucket": "db/one-week.v2", "precision": "ns"}
    assert [s.body.decode().splitlines() for s in sent] == [
        ["cpu,host=a f=1.0,i=3i %d" % (T0 + 1), "cpu,host=a f=2.5,i=4i %d" % (T0 + 2)],
        ["cpu,host=b f=7.0,i=1i %d" % (T0 + H + 5)]]
    assert found["measurements"] == [{"measurement": "cpu", "source_values": 6, "target_values": 6, "windows": 2,
                                      "windows_copied": 2, "windows_remaining": 0, "points_written": 3}]
    query = fake2.last("POST", "/api/v2/query")
    assert query.headers["Accept"] == "text/csv"
    flux = query.body["query"]
    assert 'from(bucket: "db/one-week.v2")' in flux and "window(every: %dns)" % H in flux


def test_only_the_windows_that_differ_are_copied():
    fake2 = target([(T0, 4), (T0 + H, 1)], [(T0, 4), (T0 + H, 2)])
    found, fake1 = run(fake2)
    assert found["windows_copied"] == 1 and found["points_written"] == 1
    assert not any("time >= %d AND time < %d GROUP BY *" % (T0, T0 + H) in q for q in fake1.statements())


def test_a_finished_copy_changes_nothing():
    fake2 = target([(T0, 4), (T0 + H, 2)])
    found, _fake1 = run(fake2)
    assert found["changed"] is False and found["complete"] and writes(fake2) == []
    assert found["diff"] == {"before": {"cpu": 6}, "after": {"cpu": 6}}


def test_check_mode_writes_nothing_and_says_what_would_be_copied():
    fake2 = target([(T0, 4)])
    found, _fake1 = run(fake2, check_mode=True)
    assert found["changed"] and not found["complete"] and found["windows_copied"] == 1
    assert found["windows_remaining"] == 1 and writes(fake2) == []


def test_max_windows_stops_early_and_a_rerun_resumes():
    fake2 = target([], [(T0, 4)])
    found, _fake1 = run(fake2, max_windows=1)
    assert found["windows_copied"] == 1 and not found["complete"] and found["windows_remaining"] == 1
    fake2 = target([(T0, 4)], [(T0, 4), (T0 + H, 2)])
    found, _fake1 = run(fake2)
    assert found["windows_copied"] == 1 and found["complete"]


def test_a_difference_after_copying_fails_naming_it():
    fake2 = target([], [(T0, 4), (T0 + H, 1)])
    with pytest.raises(OperationFailed, match="cpu: 1 window"):
        run(fake2)


@pytest.mark.parametrize("params, message", [
    ({"window": "0"}, "window"), ({"window": "1M"}, "ambiguous"), ({"batch_size": 0}, "batch_size"),
    ({"start": "yesterday"}, "RFC3339"), ({"start": "2024-01-02T00:00:00Z", "stop": "2024-01-01T00:00:00Z"}, "after"),
])
def test_bad_input_is_refused_before_any_write(params, message):
    fake2 = target([])
    with pytest.raises(InvalidInput, match=message):
        run(fake2, **params)
    assert writes(fake2) == []


def test_target_token_and_org_are_required():
    module = FakeModule({"influxdb2_token": None, "influxdb2_org": "acme", "influxdb2_url": None})
    with pytest.raises(InvalidInput, match="influxdb2_token"):
        influxdb1_copy.target_client(module.params)


def test_rfc3339_and_alignment():
    assert influxdb1_copy.rfc3339_ns("1970-01-01T00:00:01.5Z", "start") == 1500000000
    copier = WindowCopier(None, None, "o", "d", "r", "b", H)
    assert copier.align(T0 + 1, T0 + H + 5) == (T0, T0 + 2 * H)
    assert copier.align(T0, T0 + H - 1) == (T0, T0 + H)


def test_csv_rows_skip_repeated_headers():
    text = ",result,table,window,n\r\n,_result,0,1,2\r\n\r\n,result,table,window,n\r\n,_result,1,2,3\r\n"
    assert [(r["window"], r["n"]) for r in _csv_rows(text)] == [("1", "2"), ("2", "3")]


def test_org_id_is_resolved_once():
    fake2 = target([(T0, 4), (T0 + H, 2)])
    run(fake2)
    assert [s.query for s in fake2.sent if s.path == "/api/v2/buckets"][0]["orgID"] == ORG_ID


def test_a_missing_bucket_fails_but_counts_as_empty_in_check_mode():
    fake2 = target([])
    fake2.on("GET", "/api/v2/buckets", reply(404, {"code": "not found", "message": "bucket not found"}))
    with pytest.raises(InvalidInput, match="create it first"):
        run(fake2)
    found, _fake1 = run(fake2, check_mode=True)
    assert found["changed"] and found["windows_copied"] == 2 and writes(fake2) == []


def test_a_start_inside_a_window_clips_the_copy_and_keys_counts_by_boundary():
    fake1 = FakeInfluxQL({})
    body = json.dumps({"results": [{"statement_id": 0, "series": [{"name": "cpu", "tags": {"host": "a"},
                                                                  "columns": ["time", "f"], "values": [[T0 + 2, 2.5]]}]}]})
    fake1.answers["SELECT * FROM %s WHERE time >= %d AND time < %d GROUP BY *" % (FROM, T0 + 2, T0 + H)] = \
        Response(200, {"Content-Type": "application/json"}, body.encode())
    # Flux labels a window that the range starts inside with the range start: it is the same window.
    fake2 = target([(T0 + 2, 1), (T0 + H, 3)])
    target_client = InfluxDB2Client("http://influx2.test:8086", token="t0ken", transport=fake2, sleep=lambda _s: None)
    copier = WindowCopier(client(fake1), target_client, "acme", "db", "one-week.v2", "db/one-week.v2", H)
    assert copier.target_counts("cpu", T0 + 2, T0 + 2 * H) == {T0: 1, T0 + H: 3}
    assert copier.copy_window("cpu", {"f": "float"}, T0, low=T0 + 2, high=T0 + 2 * H) == 1
    assert writes(fake2)[0].body.decode() == "cpu,host=a f=2.5 %d" % (T0 + 2)
