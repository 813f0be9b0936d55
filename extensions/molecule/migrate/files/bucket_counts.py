#!/usr/bin/env python
"""Print {bucket: field values before STOP} for every user bucket of the InfluxDB 2 at URL (JSON).

    INFLUX_TOKEN=... bucket_counts.py URL ORG STOP   (STOP: RFC 3339)

The restore proof runs it on the backed-up server and on the restored one: the numbers must agree.
"""

import csv
import io
import json
import os
import sys
import urllib.request


def call(url, token, path, body=None, content_type=None):
    request = urllib.request.Request(url + path, data=body, headers={"Authorization": "Token " + token})
    if content_type:
        request.add_header("Content-Type", content_type)
        request.add_header("Accept", "application/csv")
    with urllib.request.urlopen(request, timeout=60) as reply:
        return reply.read().decode()


def main():
    url, org, stop = sys.argv[1:4]
    token = os.environ["INFLUX_TOKEN"]
    buckets = json.loads(call(url, token, "/api/v2/buckets?limit=100"))["buckets"]
    counts = {}
    for bucket in sorted(b["name"] for b in buckets if b.get("type") == "user"):
        flux = (f'from(bucket: {json.dumps(bucket)}) |> range(start: 0, stop: {stop}) |> count()'
                ' |> group() |> sum() |> keep(columns: ["_value"])')
        table = call(url, token, "/api/v2/query?org=" + urllib.request.quote(org), flux.encode(), "application/vnd.flux")
        rows = [row for row in csv.DictReader(io.StringIO(table)) if row.get("_value")]
        counts[bucket] = sum(int(row["_value"]) for row in rows)
    print(json.dumps(counts, sort_keys=True))


if __name__ == "__main__":
    main()
