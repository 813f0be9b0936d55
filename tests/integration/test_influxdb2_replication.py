"""influxdb2_remote and influxdb2_replication between two real influxd of the same version: the modules make the
remote and the replication (the repeat is not changed), points written at the edge arrive centrally; then the
central server is stopped, points written at the edge wait in the queue (its size grows), and once the central server
is back on the same port and data directory the queue drains and every point arrives. The drain time is printed
(run with -s to see it)."""

from __future__ import annotations

import re
import time

import pytest

from conftest import INFLUXDB_VERSIONS
from harness import http, start, start_influxdb, wait_for
from influxdb2_helpers import influx_vars, playbook

pytestmark = pytest.mark.integration

OUTAGE_POINTS = 2000
# How long the central server stays down after the queue grew: long enough for the edge's retries to back off.
OUTAGE_SECONDS = 15


def replication_if(server, name, condition):
    """The replication named ``name`` when ``condition`` holds for it, else None (for wait_until)."""
    found = replication_named(server, name)
    return found if condition(found) else None


def replication_named(server, name):
    status, body = server.api("GET", f"/api/v2/replications?orgID={server.org_id}&name={name}")
    assert status == 200, (status, body)
    found = [r for r in body.get("replications") or [] if r["name"] == name]
    assert len(found) == 1, body
    return found[0]


def count_points(server, bucket, measurement):
    status, csv = server.flux(f'from(bucket: "{bucket}") |> range(start: 0) '
                              f'|> filter(fn: (r) => r._measurement == "{measurement}") |> group() |> count()')
    assert status == 200, csv
    values = [line.split(",")[-1] for line in csv.replace("\r", "").splitlines()
              if line.startswith(",_result,")]
    return int(values[0]) if values else 0


def write_points(server, bucket, measurement, count, start_at=1700000000):
    lines = "\n".join(f"{measurement},host=edge value={i}i {start_at + i}" for i in range(count))
    status, body = server.write_lp(bucket, lines)
    assert status == 204, (status, body)


def wait_until(check, what, timeout=120.0, every=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what}: not after {timeout}s")


def restart(server):
    """Start a stopped influxd again with the same command line: same port, same bolt, engine and sqlite files."""
    server.process = start("influxd", list(server.process.proc.args), server.workdir,
                           env={"INFLUXD_CONFIG_PATH": str(server.workdir)})
    wait_for(lambda: http("GET", f"{server.url}/health", timeout=2)[0] == 200, f"influxd {server.version} again",
             proc=server.process.proc, log=server.process.log)


@pytest.fixture(params=INFLUXDB_VERSIONS)
def edge_and_central(request, tmp_path):
    edge = start_influxdb(request.param, tmp_path / "edge")
    central = start_influxdb(request.param, tmp_path / "central")
    yield edge, central
    for server in (edge, central):
        server.process.stop()


def test_replication_edge_to_central_and_through_an_outage(edge_and_central, prefix, run_playbook):
    edge, central = edge_and_central
    extra = influx_vars(edge, prefix, central_url=central.url, central_token=central.token, central_org=central.org,
                        central_org_id=central.org_id)
    local, remote_bucket, name = f"{prefix}edge", f"{prefix}central", f"{prefix}rep"
    proc = run_playbook(playbook("replication"), dict(extra, phase="present"), diff=True)
    assert central.token not in proc.stdout

    # Points written at the edge arrive centrally.
    write_points(edge, local, "before", 10)
    wait_until(lambda: count_points(central, remote_bucket, "before") == 10, "10 points at the central server")
    settled = replication_named(edge, name)
    assert settled["latestResponseCode"] == 204 and settled.get("remainingBytesToBeSynced", 0) == 0, settled
    idle_size = settled["currentQueueSizeBytes"]

    # The central server goes away: the edge keeps taking writes and queues them.
    central.process.stop()
    down = time.monotonic()
    write_points(edge, local, "outage", OUTAGE_POINTS, start_at=1700100000)
    # The queue grows at once; the failed attempt that records the error follows it (on 2.7.12 the
    # status can still read 204 from the last good write when the queue has already grown).
    queued = wait_until(lambda: replication_if(edge, name, lambda r: r["currentQueueSizeBytes"] > idle_size
                                               and r.get("latestResponseCode") != 204 and r.get("latestErrorMessage")),
                        "the queue growing and a failed attempt while the central server is down", timeout=30)
    print(f"\n[{edge.version}] queue while central is down: currentQueueSizeBytes={queued['currentQueueSizeBytes']} "
          f"(idle {idle_size}), remainingBytesToBeSynced={queued.get('remainingBytesToBeSynced')}, "
          f"latestResponseCode={queued.get('latestResponseCode')}, latestErrorMessage="
          f"{queued.get('latestErrorMessage')!r}")
    assert queued["currentQueueSizeBytes"] > 0
    assert queued.get("remainingBytesToBeSynced", 1) > 0
    assert queued.get("latestResponseCode") != 204 and queued.get("latestErrorMessage"), queued
    time.sleep(OUTAGE_SECONDS)
    assert count_points(edge, local, "outage") == OUTAGE_POINTS

    # Back on the same port and data directory: the queue drains and every point arrives.
    launched = time.monotonic()
    restart(central)
    back = time.monotonic()
    wait_until(lambda: count_points(central, remote_bucket, "outage") == OUTAGE_POINTS,
               f"{OUTAGE_POINTS} queued points at the central server", timeout=300, every=0.5)
    arrived = time.monotonic() - back
    drained = wait_until(lambda: replication_if(edge, name, lambda r: r.get("remainingBytesToBeSynced", 0) == 0),
                         "the queue drained", timeout=60)
    drain = time.monotonic() - back
    print(f"[{edge.version}] central down {launched - down:.1f}s; influxd up again {back - launched:.1f}s after its "
          f"start; then all {OUTAGE_POINTS} points central after {arrived:.1f}s, remainingBytesToBeSynced 0 after "
          f"{drain:.1f}s (latestResponseCode={drained.get('latestResponseCode')})")
    assert count_points(central, remote_bucket, "before") == 10

    # The modules see the same thing, and a repeat run changes nothing.
    run_playbook(playbook("replication"), dict(extra, phase="absent"))
    status, body = edge.api("GET", f"/api/v2/remotes?orgID={edge.org_id}")
    assert status == 200 and not [r for r in body.get("remotes") or [] if r["name"].startswith(prefix)], body
    assert not re.search(re.escape(central.token), proc.stdout + proc.stderr)


def recap_changed(output: str) -> int:
    found = re.search(r"localhost\s+:\s+ok=\d+\s+changed=(\d+)", output)
    assert found, output[-2000:]
    return int(found.group(1))


def test_stack_replication_option(tmp_path, prefix, run_playbook):
    """The stack role's tickstack_replications against a real edge and central InfluxDB 2.9.1."""
    version = INFLUXDB_VERSIONS[0]
    edge = start_influxdb(version, tmp_path / "edge")
    central = start_influxdb(version, tmp_path / "central")
    try:
        stack_playbook = playbook("replication").parent / "stack_replication.yml"
        extra = influx_vars(edge, prefix, central_url=central.url, central_token=central.token,
                            central_org_id=central.org_id, replicate=True)
        assert central.api("POST", "/api/v2/buckets", {"orgID": central.org_id, "name": f"{prefix}from-edge"})[0] == 201
        # A remote connection the stack did not make: pruning must leave it.
        status, _body = edge.api("POST", "/api/v2/remotes", {
            "orgID": edge.org_id, "name": f"{prefix}by-hand", "remoteURL": central.url, "remoteAPIToken": "x",
            "remoteOrgID": central.org_id})
        assert status == 201

        # Check mode first: the remote does not exist yet (its task only predicts it), and the replication task
        # predicts its creation too instead of failing on the missing remote; nothing is written. (The bucket is
        # made here beforehand: the DBRP task of resources.yml needs an existing bucket in check mode.)
        assert edge.api("POST", "/api/v2/buckets", {"orgID": edge.org_id, "name": f"{prefix}metrics"})[0] == 201
        checked = run_playbook(stack_playbook, extra, check=True)
        assert recap_changed(checked.stdout) >= 3  # DBRP mapping, remote, replication
        assert "check mode predicts the replication" in checked.stdout + checked.stderr
        status, body = edge.api("GET", f"/api/v2/remotes?orgID={edge.org_id}")
        assert [r["name"] for r in body["remotes"]] == [f"{prefix}by-hand"]
        assert not edge.api("GET", f"/api/v2/replications?orgID={edge.org_id}")[1].get("replications")

        first = run_playbook(stack_playbook, extra)
        assert recap_changed(first.stdout) == 3  # DBRP mapping, remote, replication
        name = f"{prefix}hq-{prefix}metrics"
        made = replication_named(edge, name)
        assert made["maxAgeSeconds"] == 86400 and made["description"] == f"tickstack:{prefix}stack:replication:{prefix}hq"
        write_points(edge, f"{prefix}metrics", "stack", 5)
        wait_until(lambda: count_points(central, f"{prefix}from-edge", "stack") == 5, "5 points at the central server")

        again = run_playbook(stack_playbook, extra, diff=True, verbosity=3)
        assert recap_changed(again.stdout) == 0
        assert central.token not in again.stdout + again.stderr

        # A bad entry stops the plan, naming the entry and the field, before anything is written.
        bad = run_playbook(stack_playbook, {**extra, "tickstack_replications": [{
            "name": f"{prefix}hq2", "local_buckets": [f"{prefix}nope"], "remote_url": central.url,
            "remote_org_id": central.org_id, "remote_token": central.token}]}, expect_failure=True)
        assert f"tickstack_replications[0] ({prefix}hq2): local_buckets {prefix}nope is not among the buckets" in bad.stdout
        assert central.token not in bad.stdout + bad.stderr
        status, body = edge.api("GET", f"/api/v2/remotes?orgID={edge.org_id}")
        assert sorted(r["name"] for r in body["remotes"]) == [f"{prefix}by-hand", f"{prefix}hq"]

        # No longer listed: this stack's replication and remote go, the hand-made remote stays.
        pruned = run_playbook(stack_playbook, {**extra, "replicate": False})
        assert recap_changed(pruned.stdout) == 2
        status, body = edge.api("GET", f"/api/v2/replications?orgID={edge.org_id}")
        assert not body.get("replications"), body
        status, body = edge.api("GET", f"/api/v2/remotes?orgID={edge.org_id}")
        assert [r["name"] for r in body["remotes"]] == [f"{prefix}by-hand"]
        assert recap_changed(run_playbook(stack_playbook, {**extra, "replicate": False}).stdout) == 0
    finally:
        edge.process.stop()
        central.process.stop()
