"""The InfluxDB 1.x client and influxdb1_info against a fake server that answers InfluxQL like 1.13."""

from __future__ import annotations

import base64
import json

import pytest
from influxdb2_support import FakeInflux, FakeModule, reply

from ansible_collections.tickstack.influx.plugins.module_utils import influxdb1
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import (
    AuthenticationFailed,
    PermissionDenied,
    Response,
    UnexpectedResponse,
)
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb1 import (
    InfluxDB1Client,
    InvalidInput,
    QueryFailed,
    line,
    mask_url,
    parse_go_duration,
    quote_ident,
)
from ansible_collections.tickstack.influx.plugins.modules import influxdb1_info

BASE = "http://influx1.test:8086"
RP_COLUMNS = ["name", "duration", "shardGroupDuration", "replicaN", "futureWriteLimit", "pastWriteLimit", "default"]


def result(*series, error=None):
    out = {"statement_id": 0}
    if series:
        out["series"] = list(series)
    if error:
        out["error"] = error
    return reply(200, {"results": [out]})


def series(columns, values, name=None):
    out = {"columns": columns, "values": values}
    if name:
        out["name"] = name
    return out


class FakeInfluxQL(FakeInflux):
    """Answers GET /query by its ``q``; unknown statements fail like the server does."""

    def __init__(self, answers):
        super().__init__()
        self.answers = answers
        self.on("GET", "/query", self.answer)
        self.on("GET", "/ping", Response(204, {"X-Influxdb-Version": "v1.13.2"}, b""))

    def answer(self, request):
        found = self.answers.get(request.query.get("q"))
        if found is None:
            return result(error="unexpected statement %r" % request.query.get("q"))
        return found

    def statements(self):
        return [s.query.get("q") for s in self.sent if s.path == "/query"]


def client(fake, **kwargs):
    return InfluxDB1Client(BASE, username="admin", password="s3cret", transport=fake, sleep=lambda _s: None, **kwargs)


def server_answers():
    return {
        "SHOW DATABASES": result(series(["name"], [["_internal"], ["telegraf"], ["app"]], name="databases")),
        'SHOW RETENTION POLICIES ON "telegraf"': result(series(RP_COLUMNS, [
            ["autogen", "0s", "168h0m0s", 1, "0s", "0s", False],
            ["one-week.v2", "168h0m0s", "24h0m0s", 1, "0s", "0s", True],
        ])),
        'SHOW RETENTION POLICIES ON "app"': result(series(RP_COLUMNS[:4] + ["default"], [
            ["autogen", "720h0m0s", "24h0m0s", 2, True],
        ])),
        'SHOW RETENTION POLICIES ON "_internal"': result(series(RP_COLUMNS, [
            ["monitor", "168h0m0s", "24h0m0s", 1, "0s", "0s", True]])),
        "SHOW USERS": result(series(["user", "admin"], [["admin", True], ["grafana", False], ["nobody", False]])),
        'SHOW GRANTS FOR "admin"': result(series(["database", "privilege"], [])),
        'SHOW GRANTS FOR "grafana"': result(series(["database", "privilege"], [
            ["telegraf", "READ"], ["app", "ALL PRIVILEGES"], ["_internal", "WRITE"]])),
        'SHOW GRANTS FOR "nobody"': result(series(["database", "privilege"], [["app", "NO PRIVILEGES"]])),
        "SHOW CONTINUOUS QUERIES": result(
            series(["name", "query"], [], name="_internal"),
            series(["name", "query"], [["cq_hourly", "CREATE CONTINUOUS QUERY cq_hourly ON telegraf BEGIN ... END"]],
                   name="telegraf"),
            series(["name", "query"], [], name="app")),
        "SHOW SUBSCRIPTIONS": result(series(["retention_policy", "name", "mode", "destinations"], [
            ["autogen", "kapacitor-1", "ANY", ["http://kap:p4ss@kapacitor.test:9092", "udp://kapacitor.test:9100"]],
        ], name="telegraf")),
    }


def info(params=None, answers=None):
    fake = FakeInfluxQL(answers or server_answers())
    module = FakeModule(dict({"gather": list(influxdb1_info.GATHER), "database": None, "include_internal": False},
                             **(params or {})))
    return influxdb1_info.gather(module, client(fake)), fake


# -- helpers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, seconds", [
    ("0s", 0), ("168h0m0s", 604800), ("24h0m0s", 86400), ("1h30m0s", 5400), ("720h0m0s", 2592000),
    ("500ms", 0), ("1m30s", 90), ("", 0), ("INF", 0),
])
def test_go_durations(text, seconds):
    assert parse_go_duration(text) == seconds


def test_go_duration_refuses_what_1x_never_prints():
    with pytest.raises(InvalidInput):
        parse_go_duration("7d")


def test_identifiers_are_quoted_and_escaped():
    assert quote_ident("one-week.v2") == '"one-week.v2"'
    assert quote_ident('we"ird\\') == '"we\\"ird\\\\"'


def test_subscription_passwords_are_masked():
    assert mask_url("http://kap:p4ss@kapacitor.test:9092/x") == "http://kap:********@kapacitor.test:9092/x"
    assert mask_url("udp://kapacitor.test:9100") == "udp://kapacitor.test:9100"


def test_line_protocol_keeps_types_and_escapes():
    types = {"f": "float", "i": "integer", "s": "string", "b": "boolean", "u": "unsigned", "n": "float"}
    text = line("c pu,x", {"host": "a b", "empty": "", "k=1": "v,1"},
                {"f": 1, "i": 3, "s": 'say "hi"', "b": False, "u": 7, "n": None}, types, 1700000000000000001)
    assert text == ('c\\ pu\\,x,host=a\\ b,k\\=1=v\\,1 b=false,f=1.0,i=3i,s="say \\"hi\\"",u=7u '
                    '1700000000000000001')
    assert line("m", {}, {"f": None}, types, 1) is None


# -- client ---------------------------------------------------------------------------------------

def test_basic_auth_and_statements_sent_as_get():
    fake = FakeInfluxQL(server_answers())
    assert client(fake).databases() == ["_internal", "telegraf", "app"]
    sent = fake.sent[-1]
    assert sent.method == "GET" and sent.query == {"q": "SHOW DATABASES"}
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(b"admin:s3cret").decode()


def test_ping_reads_the_version_header():
    assert client(FakeInfluxQL({})).ping() == "1.13.2"
    fake = FakeInflux().on("GET", "/ping", Response(204, {}, b""))
    with pytest.raises(UnexpectedResponse, match="X-Influxdb-Version"):
        client(fake).ping()


def test_statement_error_is_query_failed():
    fake = FakeInfluxQL({'SHOW RETENTION POLICIES ON "gone"': result(error="database not found: gone")})
    with pytest.raises(QueryFailed, match="database not found: gone"):
        client(fake).retention_policies("gone")


def test_http_errors_carry_1x_hints():
    fake = FakeInflux().on("GET", "/query", reply(401, {"error": "authorization failed"}))
    with pytest.raises(AuthenticationFailed) as err:
        client(fake).users()
    assert "authorization failed" in str(err.value) and "username or password" in str(err.value)
    fake = FakeInflux().on("GET", "/query", reply(403, {"error": "error authorizing query: requires admin"}))
    with pytest.raises(PermissionDenied, match="admin user"):
        client(fake).users()


def test_reply_without_results_is_unexpected():
    fake = FakeInflux().on("GET", "/query", reply(200, {"nothing": True}))
    with pytest.raises(UnexpectedResponse):
        client(fake).databases()


def test_stream_yields_every_chunk_of_a_chunked_reply():
    def chunk(values, partial=False):
        found = {"statement_id": 0, "series": [{"name": "cpu", "tags": {"host": "a"}, "columns": ["time", "v"],
                                                "values": values}]}
        if partial:
            found["partial"] = True
        return {"results": [found]}

    chunks = [chunk([[1, 1.5], [2, 2.5]], partial=True), chunk([[3, 3.5]])]
    body = "\n".join(json.dumps(c) for c in chunks).encode() + b"\n"
    fake = FakeInflux().on("GET", "/query", Response(200, {"Content-Type": "application/json"}, body))
    got = list(client(fake).stream('SELECT * FROM "cpu" GROUP BY *', "db", chunk_size=2))
    assert [len(s["values"]) for s in got] == [2, 1]
    assert fake.sent[-1].query == {"q": 'SELECT * FROM "cpu" GROUP BY *', "db": "db", "chunked": "true",
                                   "chunk_size": "2", "epoch": "ns"}
    error_body = json.dumps({"results": [{"statement_id": 0, "error": "boom"}]}).encode()
    fake = FakeInflux().on("GET", "/query", Response(200, {}, error_body))
    with pytest.raises(QueryFailed, match="boom"):
        list(client(fake).stream("SELECT 1", "db"))


def test_connect_refuses_a_password_without_user():
    module = FakeModule({"url": BASE, "username": None, "password": "x"})
    with pytest.raises(InvalidInput, match="username"):
        influxdb1.connect(module)


# -- influxdb1_info ---------------------------------------------------------------------------------

def test_info_reads_everything_without_internal():
    found, fake = info()
    assert found["changed"] is False and found["version"] == "1.13.2"
    assert [d["name"] for d in found["databases"]] == ["telegraf", "app"]
    assert [d["default_retention_policy"] for d in found["databases"]] == ["one-week.v2", "autogen"]
    week = found["retention_policies"][1]
    assert week == {"database": "telegraf", "name": "one-week.v2", "duration": "168h0m0s", "duration_seconds": 604800,
                    "shard_group_duration": "24h0m0s", "shard_group_duration_seconds": 86400, "replication": 1,
                    "default": True}
    # A 1.8-style reply without the write-limit columns reads the same.
    assert found["retention_policies"][2]["replication"] == 2
    users = {u["name"]: u for u in found["users"]}
    assert users["admin"] == {"name": "admin", "admin": True, "privileges": []}
    assert users["grafana"]["privileges"] == [
        {"database": "app", "privilege": "all"}, {"database": "telegraf", "privilege": "read"}]
    assert users["nobody"]["privileges"] == []
    assert found["continuous_queries"] == [
        {"database": "telegraf", "name": "cq_hourly", "query": "CREATE CONTINUOUS QUERY cq_hourly ON telegraf BEGIN ... END"}]
    assert found["subscriptions"][0]["destinations"] == [
        "http://kap:********@kapacitor.test:9092", "udp://kapacitor.test:9100"]
    assert 'SHOW RETENTION POLICIES ON "_internal"' not in fake.statements()
    assert "p4ss" not in json.dumps(found)


def test_info_one_database_and_internal():
    found, fake = info({"database": "app", "gather": ["databases", "users"]})
    assert [d["name"] for d in found["databases"]] == ["app"]
    assert "retention_policies" not in found and "version" not in found
    assert {u["name"]: u["privileges"] for u in found["users"]}["grafana"] == [{"database": "app", "privilege": "all"}]
    found, _fake = info({"include_internal": True, "gather": ["databases"]})
    assert [d["name"] for d in found["databases"]] == ["_internal", "telegraf", "app"]


def test_info_only_ping_sends_no_query():
    found, fake = info({"gather": ["ping"]})
    assert found == {"changed": False, "version": "1.13.2"} and fake.statements() == []
