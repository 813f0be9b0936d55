"""playbooks/migrate.yml (tickstack.influx.migrate): a seeded 1.x into a fresh 2.9.1, re-runnable."""

from __future__ import annotations

import re

import pytest
from influxdb1_support import LAYOUT, USERS, drop_continuous_queries, influxdb1, source_values, target_values  # noqa: F401 pylint: disable=unused-import

from harness import REPO, VERSIONS, http, start_influxdb

pytestmark = pytest.mark.integration
PLAYBOOK = REPO / "playbooks" / "migrate.yml"


@pytest.fixture(scope="module")
def influxdb(request, tmp_path_factory):
    server = start_influxdb(VERSIONS["INFLUXDB_VERSION"], tmp_path_factory.mktemp("influxdb2-playbook"), bucket="setup")
    request.addfinalizer(server.process.stop)
    return server


def changed(proc) -> int:
    return int(re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", proc.stdout).group(1))


def test_migrate_playbook(influxdb, influxdb1, run_playbook, tmp_path):  # noqa: F811
    extra = {
        "tickstack_migrate_state_file": str(tmp_path / "cutover.json"),
        "tickstack_migrate_influxdb1_url": influxdb1.url, "tickstack_migrate_influxdb1_username": "admin",
        "tickstack_migrate_influxdb1_password": influxdb1.admin[1],
        "tickstack_migrate_influxdb2_url": influxdb.url, "tickstack_migrate_influxdb2_token": influxdb.token,
        "tickstack_migrate_influxdb2_org": influxdb.org, "tickstack_migrate_user_passwords": USERS,
        "tickstack_migrate_window": "1h",
    }
    drop_continuous_queries(influxdb1)
    checked = run_playbook(PLAYBOOK, extra, check=True)
    assert "bucket telegraf/one-week.v2 (retention 7d) <- telegraf.one-week.v2" in checked.stdout
    assert "dbrp app/hot -> app/hot (default)" in checked.stdout
    status, buckets = influxdb.api("GET", f"/api/v2/buckets?orgID={influxdb.org_id}")
    assert sorted(b["name"] for b in buckets["buckets"] if b["type"] == "user") == ["setup"]

    first = run_playbook(PLAYBOOK, extra)
    assert changed(first) > 0
    for db, policies in LAYOUT.items():
        for rp, _clause, _default in policies:
            bucket = db if rp == "autogen" else f"{db}/{rp}"
            for measurement in ("cpu", "mem"):
                assert source_values(influxdb1, db, rp, measurement) == target_values(influxdb, bucket, measurement)
    numbers = re.search(r"TASK \[The closing numbers\].*?(\{.*?\})", first.stdout, re.S)
    assert numbers and '"differences": []' in numbers.group(1), first.stdout
    print("\n" + numbers.group(1))
    # influxdb1_access proved each user's rights through 2.x's 1.x API: 2 users x 4 DBRPs x read/write.
    assert "16 checks, differences: []" in first.stdout

    # The 1.x users log in to 2.x with their 1.x passwords, with what they could do before.
    def v1(user, method, path):
        return http(method, f"{influxdb.url}{path}", basic=(user, USERS[user]),
                    raw=b"probe v=1" if method == "POST" else None)[0]

    assert v1("grafana", "GET", "/query?db=telegraf&q=SELECT+count(*)+FROM+cpu") == 200
    assert v1("grafana", "POST", "/write?db=telegraf") in (401, 403)
    assert v1("writer", "POST", "/write?db=app&rp=hot") == 204
    assert v1("writer", "POST", "/write?db=telegraf") == 204
    status, body = http("GET", f"{influxdb.url}/query?db=app&q=SELECT+count(*)+FROM+cpu", basic=("grafana", USERS["grafana"]))
    assert status != 200 or "error" in str(body)

    again = run_playbook(PLAYBOOK, extra)
    assert changed(again) == 0, again.stdout
    for secret in (influxdb1.admin[1], influxdb.token, *USERS.values()):
        assert secret not in first.stdout and secret not in again.stdout and secret not in checked.stdout
