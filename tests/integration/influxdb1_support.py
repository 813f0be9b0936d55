"""Shared bits of the influxdb1_* integration tests: a real 1.x server seeded like a production one.

Two databases x two retention policies (one not the default, one with an odd name), two users with
grants, a continuous query and a Kapacitor-style subscription, and points of several field types.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from harness import VERSIONS, start_influxdb1

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
USERS = {"grafana": "grafana-Passw0rd", "writer": "writer-Passw0rd"}
SUBSCRIPTION_PASSWORD = "kap-secret-Passw0rd"
# Per database: (retention policy, CREATE ... clause or None for autogen, default?)
LAYOUT = {
    "telegraf": [("autogen", None, True), ("one-week.v2", "DURATION 7d REPLICATION 1 SHARD DURATION 1d", False)],
    "app": [("autogen", None, False), ("hot", "DURATION 2d REPLICATION 1 SHARD DURATION 1h", True)],
}
HOSTS = 10
SPAN_S = 6 * 3600
STEP_S = 30


def playbook(name: str) -> Path:
    return PLAYBOOKS / f"influxdb1_{name}.yml"


def seed(server, hosts: int = HOSTS, span_s: int = SPAN_S, step_s: int = STEP_S) -> dict:
    """Create the layout and write points ending now; returns {db/rp/measurement: points}."""
    for db, policies in LAYOUT.items():
        server.ok(f'CREATE DATABASE "{db}"')
        for rp, clause, default in policies:
            if clause:
                server.ok(f'CREATE RETENTION POLICY "{rp}" ON "{db}" {clause}{" DEFAULT" if default else ""}')
    server.ok(f"CREATE USER grafana WITH PASSWORD '{USERS['grafana']}'")
    server.ok(f"CREATE USER writer WITH PASSWORD '{USERS['writer']}'")
    server.ok('GRANT READ ON "telegraf" TO grafana')
    server.ok('GRANT ALL ON "app" TO writer')
    server.ok('GRANT WRITE ON "telegraf" TO writer')
    server.ok('CREATE CONTINUOUS QUERY "cpu_5m" ON "telegraf" BEGIN SELECT mean("usage") AS "usage" '
              'INTO "telegraf"."one-week.v2"."cpu_5m" FROM "telegraf"."autogen"."cpu" GROUP BY time(5m), * END')
    server.ok('CREATE SUBSCRIPTION "kapacitor-test" ON "telegraf"."autogen" DESTINATIONS ANY '
              f"'http://kapacitor:{SUBSCRIPTION_PASSWORD}@127.0.0.1:9' ")
    end = int(time.time()) // step_s * step_s
    counts = {}
    for db, policies in LAYOUT.items():
        for rp, _clause, _default in policies:
            lines = []
            for t in range(end - span_s, end, step_s):
                for h in range(hosts):
                    lines.append(f"cpu,host=h{h},region=eu\\ west usage={(t % 97) / 7.0},cores={h + 1}i {t}")
                    if h % 2 == 0:
                        lines.append(f'mem,host=h{h} used={t % 1000}i,ok={"true" if t % 3 else "false"},'
                                     f'note="n \\"{t % 5}\\"" {t}')
            for start in range(0, len(lines), 20000):
                status, body = server.write(db, "\n".join(lines[start:start + 20000]), rp=rp)
                assert status == 204, (status, body)
            counts[f"{db}/{rp}/cpu"] = len(range(end - span_s, end, step_s)) * hosts
            counts[f"{db}/{rp}/mem"] = len(range(end - span_s, end, step_s)) * len(range(0, hosts, 2))
    return counts


def drop_continuous_queries(server) -> None:
    """Stop the CQ: it writes a new point every 5 minutes, and a copy test must see a still source."""
    server.ok('DROP CONTINUOUS QUERY "cpu_5m" ON "telegraf"')


def source_values(server, db: str, rp: str, measurement: str) -> int:
    """Field values of a measurement in one RP, counted by the 1.x server (what the copy compares)."""
    result = server.ok(f'SELECT count(*) FROM "{db}"."{rp}"."{measurement}"')
    if not result.get("series"):
        return 0
    return sum(v for v in result["series"][0]["values"][0][1:] if v)


def target_values(influxdb, bucket: str, measurement: str) -> int:
    status, csv = influxdb.flux(
        f'from(bucket: "{bucket}") |> range(start: 0) |> filter(fn: (r) => r._measurement == "{measurement}") '
        '|> count() |> group() |> sum()')
    assert status == 200, csv
    lines = [line for line in csv.replace("\r", "").splitlines() if line and not line.startswith("#")]
    if len(lines) < 2:
        return 0
    header = lines[0].split(",")
    return int(lines[1].split(",")[header.index("_value")])


def read_json(path: Path):
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def influxdb1(request, tmp_path_factory):
    """A seeded InfluxDB 1.x; ``.counts`` holds the points written per db/rp/measurement."""
    server = start_influxdb1(VERSIONS["INFLUXDB1_VERSION"], tmp_path_factory.mktemp("influxdb1"))
    request.addfinalizer(server.process.stop)
    server.counts = seed(server)
    return server
