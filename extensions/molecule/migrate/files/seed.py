"""Seed the scenario's InfluxDB 1.x like a production server (runs on m-influxdb1, stdlib only).

Two databases x two retention policies (one not the default, one named one-week.v2), two users with
grants, a continuous query, and three hours of points in every retention policy, ending a minute ago.
"""

import base64
import json
import os
import sys
import time
import urllib.parse
import urllib.request

URL = "http://127.0.0.1:8086"
AUTH = "Basic " + base64.b64encode(("admin:" + os.environ["INFLUX1_ADMIN_PASSWORD"]).encode()).decode()
STATEMENTS = [
    'CREATE DATABASE "telegraf"',
    'CREATE RETENTION POLICY "one-week.v2" ON "telegraf" DURATION 7d REPLICATION 1 SHARD DURATION 1d',
    'CREATE DATABASE "app"',
    'CREATE RETENTION POLICY "hot" ON "app" DURATION 2d REPLICATION 1 SHARD DURATION 1h DEFAULT',
    "CREATE USER grafana WITH PASSWORD '%s'" % os.environ["GRAFANA_PASSWORD"],
    "CREATE USER writer WITH PASSWORD '%s'" % os.environ["WRITER_PASSWORD"],
    'GRANT READ ON "telegraf" TO grafana',
    'GRANT ALL ON "app" TO writer',
    'GRANT WRITE ON "telegraf" TO writer',
    'CREATE CONTINUOUS QUERY "probe_1m" ON "telegraf" BEGIN SELECT count("value") AS "points" '
    'INTO "telegraf"."one-week.v2"."probe_1m" FROM "telegraf"."autogen"."tickstack_probe" GROUP BY time(1m), * END',
]
DBRPS = [("telegraf", "autogen"), ("telegraf", "one-week.v2"), ("app", "autogen"), ("app", "hot")]
HOSTS, SPAN_S, STEP_S = 5, 3 * 3600, 10


def call(path, data=None, **query):
    request = urllib.request.Request(URL + path + "?" + urllib.parse.urlencode(query), data=data,
                                     headers={"Authorization": AUTH}, method="POST")
    with urllib.request.urlopen(request, timeout=60) as resp:
        return resp.status, resp.read()


def main():
    for statement in STATEMENTS:
        status, body = call("/query", q=statement)
        results = json.loads(body).get("results", [{}])
        if any(r.get("error") for r in results):
            sys.exit("%s: %s" % (statement, body))
    end = int(time.time()) // 60 * 60 - 60
    total = 0
    for db, rp in DBRPS:
        lines = []
        for t in range(end - SPAN_S, end, STEP_S):
            for h in range(HOSTS):
                lines.append("cpu,host=h%d,region=eu\\ west usage=%s,cores=%di %d" % (h, (t % 97) / 7.0, h + 1, t))
                if h % 2 == 0:
                    lines.append('mem,host=h%d used=%di,ok=%s,note="n \\"%d\\"" %d' % (
                        h, t % 1000, "true" if t % 3 else "false", t % 5, t))
        for start in range(0, len(lines), 10000):
            call("/write", "\n".join(lines[start:start + 10000]).encode(), db=db, rp=rp, precision="s")
        total += len(lines)
    print(json.dumps({"points": total}))


main()
