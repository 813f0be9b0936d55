"""Unit tests for the pure parts of tools/bench/ingest.py: the configs it builds from the roles'
files, the points it feeds, and the numbers it derives from the samples."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("tickstack_bench_ingest", REPO / "tools" / "bench" / "ingest.py")
ingest = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = ingest  # dataclasses look their module up there
_SPEC.loader.exec_module(ingest)

from ansible_collections.tickstack.influx.plugins.filter.toml import to_toml  # noqa: E402

DEFAULTS = yaml.safe_load((REPO / "roles/telegraf/defaults/main.yml").read_text())
STACK = yaml.safe_load((REPO / "roles/stack/defaults/main.yml").read_text())
STACK_VARS = yaml.safe_load((REPO / "roles/stack/vars/main.yml").read_text())
RELAY_TEMPLATE = (REPO / "roles/stack/templates/kapacitor_write_relay.conf.j2").read_text()


def config(defaults=None, kapacitor_url="http://127.0.0.1:9093"):
    return ingest.telegraf_config(
        defaults or DEFAULTS, STACK, influx_url="http://127.0.0.1:8086", org="o", bucket="telegraf",
        kapacitor_url=kapacitor_url, kapacitor_username="telegraf", listen="127.0.0.1:9999")


def test_agent_is_the_roles_default_table_as_it_is():
    rendered = tomllib.loads(to_toml(config()))
    assert rendered["agent"] == DEFAULTS["telegraf_agent"]


def test_dual_write_has_both_outputs_as_the_stack_wires_them():
    rendered = tomllib.loads(to_toml(config()))
    assert rendered["outputs"]["influxdb_v2"] == [{
        "urls": ["http://127.0.0.1:8086"], "token": "${INFLUX_TOKEN}", "organization": "o", "bucket": "telegraf"}]
    assert rendered["outputs"]["influxdb"] == [{
        "urls": ["http://127.0.0.1:9093"], "database": STACK["tickstack_telegraf_database"],
        "retention_policy": STACK["tickstack_telegraf_retention_policy"], "skip_database_creation": True,
        "username": "telegraf", "password": "${KAPACITOR_PASSWORD}"}]
    assert rendered["inputs"] == {"influxdb_listener": [{"service_address": "127.0.0.1:9999"}]}
    assert "global_tags" not in rendered  # the role's default is empty


def test_single_output_run_drops_only_the_kapacitor_output():
    dual, single = config(), config(kapacitor_url=None)
    assert set(single["outputs"]) == {"influxdb_v2"}
    assert single["outputs"]["influxdb_v2"] == dual["outputs"]["influxdb_v2"]
    assert single["agent"] == dual["agent"]


def test_a_changed_default_reaches_the_config():
    changed = ingest.merge(DEFAULTS, {"telegraf_agent": {"metric_batch_size": 7},
                                      "telegraf_influxdb_v2_extra": {"content_encoding": "identity"},
                                      "telegraf_kapacitor_extra": {"timeout": "9s"}})
    built = config(changed)
    assert built["agent"]["metric_batch_size"] == 7
    assert built["agent"]["flush_interval"] == DEFAULTS["telegraf_agent"]["flush_interval"]
    assert built["outputs"]["influxdb_v2"][0]["content_encoding"] == "identity"
    assert built["outputs"]["influxdb"][0]["timeout"] == "9s"


def test_merge_is_recursive_and_does_not_touch_its_inputs():
    base = {"a": {"b": 1, "c": 2}, "d": [1]}
    assert ingest.merge(base, {"a": {"b": 3}, "d": [2]}) == {"a": {"b": 3, "c": 2}, "d": [2]}
    assert base == {"a": {"b": 1, "c": 2}, "d": [1]}


def test_relay_agent_is_read_from_the_stack_roles_template():
    agent = ingest.relay_agent(RELAY_TEMPLATE)
    assert agent["omit_hostname"] is True
    assert set(agent) >= {"flush_interval", "metric_batch_size", "metric_buffer_limit"}
    assert f"'metric_buffer_limit': {agent['metric_buffer_limit']}" in RELAY_TEMPLATE


def test_relay_agent_fails_clearly_when_the_template_changes_shape():
    with pytest.raises(ValueError, match="kapacitor_write_relay.conf.j2"):
        ingest.relay_agent("{{ agent | to_nice_yaml }}")


def test_relay_config_passes_db_and_rp_in_tags_as_the_stack_does():
    relay = ingest.relay_config({"flush_interval": "1s"}, STACK_VARS, listen="127.0.0.1:1", username="telegraf",
                                kapacitor_url="http://127.0.0.1:2", kapacitor_username="relay", database="telegraf")
    listener = relay["inputs"]["influxdb_listener"][0]
    output = relay["outputs"]["influxdb"][0]
    assert listener["database_tag"] == output["database_tag"] == STACK_VARS["_stack_relay_database_tag"]
    assert listener["retention_policy_tag"] == output["retention_policy_tag"] == STACK_VARS["_stack_relay_retention_policy_tag"]
    assert output["exclude_database_tag"] and output["exclude_retention_policy_tag"]
    assert listener["basic_password"] == "${TICKSTACK_RELAY_LISTENER_PASSWORD}"
    assert output["password"] == "${TICKSTACK_RELAY_KAPACITOR_PASSWORD}"
    tomllib.loads(to_toml(relay))


def test_line_chunks_are_distinct_points_in_full_chunks():
    chunks = ingest.line_chunks("m", 1050, 500, base_ns=10**18, series=7)
    lines = b"".join(chunks).decode().splitlines()
    assert [len(c.decode().splitlines()) for c in chunks] == [500, 500, 50]
    assert len(lines) == 1050
    keys = {(line.split(" ")[0], line.split(" ")[2]) for line in lines}
    assert len(keys) == 1050  # no two points share series and time: InfluxDB overwrites none
    assert lines[8] == f"m,series=s1 n=8i {10**18 + 8000}"


def test_throughput_leaves_out_the_last_partial_batch():
    # Kept up with 1000 points/s; the last 500 waited 10 s for the flush interval.
    samples = [(1.0, 1000), (2.0, 2000), (3.0, 2500), (13.0, 3000)]
    assert ingest.throughput(samples, 3000, 1000) == pytest.approx(2000 / 2.0)  # all but one batch at 2 s
    assert ingest.completed(samples) == 13.0


def test_throughput_of_an_output_that_fell_behind_and_dropped():
    samples = [(1.0, 500), (2.0, 1000), (4.0, 1800), (6.0, 1800)]
    assert ingest.throughput(samples, 10000, 1000) == pytest.approx(1800 / 4.0)
    assert ingest.throughput([], 10000, 1000) == 0.0


def test_run_losses_and_drain():
    run = ingest.Run("A", 3000, 1000, 3.0, influx=[(1.0, 1000), (3.5, 3000)], kapacitor=[(1.0, 900), (5.0, 2900)])
    assert (run.influx_lost, run.kapacitor_lost) == (0, 100)
    assert run.drain_seconds == pytest.approx(2.0)
    assert run.offered_rate == pytest.approx(1000.0)
    single = ingest.Run("B", 3000, 1000, 3.0, influx=[(3.0, 3000)])
    assert single.kapacitor_lost is None and single.kapacitor_rate is None


def test_ok_points_sums_every_engine_path():
    metrics = ('# HELP storage_writer_ok_points x\nstorage_writer_ok_points_count{path="/a"} 3\n'
               'storage_writer_ok_points_sum{path="/a"} 1500\nstorage_writer_ok_points_sum{path="/b"} 2.5e+03\n')
    assert ingest.ok_points(metrics) == 4000
    with pytest.raises(ValueError, match="storage_writer_ok_points_sum"):
        ingest.ok_points("go_goroutines 12\n")


def test_cpu_seconds_reads_utime_and_stime_past_the_name():
    stat = "1234 (tele graf) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 12 0 100 0 0"
    assert ingest.cpu_seconds(stat, ticks=100) == pytest.approx(3.0)


@pytest.mark.parametrize(("text", "seconds"), [("10s", 10.0), ("0s", 0.0), ("", 0.0), ("1m30s", 90.0),
                                               ("500ms", 0.5)])
def test_duration_seconds(text, seconds):
    assert ingest.duration_seconds(text) == pytest.approx(seconds)


def test_duration_seconds_refuses_garbage():
    with pytest.raises(ValueError, match="not a Telegraf duration"):
        ingest.duration_seconds("ten seconds")


def runs(a_rate_points: int, lost_kapacitor: int = 0):
    """Two A and two B runs of 10,000 points fed in 10 s; A stores a_rate_points by 10 s."""
    out = []
    for _round in range(2):
        out.append(ingest.Run("A", 10000, 1000, 10.0, influx=[(10.0, a_rate_points), (12.0, 10000)],
                              kapacitor=[(10.0, 9000), (12.0, 10000 - lost_kapacitor)]))
        out.append(ingest.Run("B", 10000, 1000, 10.0, influx=[(10.0, 10000)]))
    return out


def rows_by_metric(rows):
    return {row["metric"]: row for row in rows}


def test_summary_meets_the_target():
    rows = rows_by_metric(ingest.summary(runs(9500), runs(9500), 1000.0, "BENCH_INGEST_RATE", ("1 1 1", "2 2 2")))
    assert rows["sustained: A / B to InfluxDB"]["value"] == pytest.approx(95.0)
    assert rows["target: sustained A >= 90 % of B with 0 lost"]["value"] == "met"
    assert all(row["section"] == "ingest" for row in rows.values())
    assert {"metric", "value", "unit", "note"} <= set(rows["sustained: points lost"])


def test_summary_misses_the_target_on_one_lost_point():
    rows = rows_by_metric(ingest.summary([], runs(9500, lost_kapacitor=1), 1000.0, "x", ("1", "2")))
    assert rows["sustained: points lost"]["value"] == 2  # one per A run
    assert "A to Kapacitor 2" in rows["sustained: points lost"]["note"]
    assert rows["target: sustained A >= 90 % of B with 0 lost"]["value"] == "MISSED"


def test_summary_misses_the_target_when_dual_write_is_slow():
    # A holds all but the last batch only at 12 s: 9000/12 = 750/s against B's 1000/s.
    slow = [run if run.kind == "B" else ingest.Run("A", 10000, 1000, 10.0, influx=[(10.0, 8000), (12.0, 9000), (14.0, 10000)],
                                                   kapacitor=[(10.0, 10000)]) for run in runs(0)]
    rows = rows_by_metric(ingest.summary([], slow, 1000.0, "x", ("1", "2")))
    assert rows["sustained: A / B to InfluxDB"]["value"] == pytest.approx(75.0)
    assert rows["target: sustained A >= 90 % of B with 0 lost"]["value"] == "MISSED"


def test_summary_needs_both_kinds():
    with pytest.raises(ValueError, match="at least one A and one B"):
        ingest.summary([], [r for r in runs(9500) if r.kind == "A"], 1.0, "x", ("1", "2"))


def test_markdown_has_a_row_per_metric():
    table = ingest.markdown([{"metric": "m", "value": 1, "unit": "u", "note": "n"}])
    assert table.splitlines() == ["| metric | value | unit | note |", "|---|---:|---|---|", "| m | 1 | u | n |"]


def test_placement_pins_by_default_on_two_cpus():
    hosts, note = ingest.placement({0, 1}, None)
    assert hosts == {"telegraf host": {0}, "kapacitor host": {1}}
    assert note.startswith("pinned (BENCH_INGEST_PIN default)")


def test_placement_uses_the_first_two_cpus_it_may_use():
    hosts, note = ingest.placement({3, 5, 7}, "1")
    assert hosts == {"telegraf host": {3}, "kapacitor host": {5}}
    assert "CPU 3 = Telegraf host + InfluxDB host, CPU 5 = Kapacitor host" in note


def test_placement_off_on_request_or_on_one_cpu():
    assert ingest.placement({0, 1}, "0") == (None, ingest.placement({0, 1}, "0")[1])
    assert "BENCH_INGEST_PIN=0" in ingest.placement({0, 1}, "0")[1]
    hosts, note = ingest.placement({0}, "")
    assert hosts is None and note.startswith("not pinned: only CPU [0]")


@pytest.mark.parametrize("available, setting, match", [({0}, "1", "needs 2 CPUs"), ({0, 1}, "yes", "0 or 1")])
def test_placement_refuses_what_it_cannot_do(available, setting, match):
    with pytest.raises(ValueError, match=match):
        ingest.placement(available, setting)


def test_allowed_cpus_is_the_union_over_threads_and_lists_back():
    texts = ["Name:\ttelegraf\nCpus_allowed:\t1\nCpus_allowed_list:\t0\n",
             "Name:\ttelegraf\nCpus_allowed_list:\t2-4,7\n"]
    cpus = ingest.allowed_cpus(texts)
    assert cpus == {0, 2, 3, 4, 7}
    assert ingest.cpu_list(cpus) == "0,2-4,7"
    assert ingest.cpu_list({1}) == "1"
    with pytest.raises(ValueError, match="Cpus_allowed_list"):
        ingest.allowed_cpus(["Name:\tx\n"])


def test_cpu_busy_per_cpu_counts_iowait_as_idle():
    before = "cpu  10 0 10 80 0 0 0 0 0 0\ncpu0 10 0 0 40 0 0 0 0 0 0\ncpu1 0 0 10 40 0 0 0 0 0 0\nintr 5\n"
    after = "cpu  0 0 0 0\ncpu0 60 0 0 90 0 0 0 0 0 0\ncpu1 10 0 10 110 20 0 0 0 0 0\nintr 9\n"
    assert ingest.cpu_busy(before, after) == {0: pytest.approx(0.5), 1: pytest.approx(0.1)}


def test_cpu_rows_per_host_with_the_pinned_cpus_busy_share():
    run_a = ingest.Run("A", 100000, 5000, 5.0, influx=[(5.0, 100000)], kapacitor=[(5.0, 100000)],
                       cpu={"telegraf": 1.0, "influxd": 1.0, "bench": 0.5, "kapacitord": 2.0, "relay": 1.0},
                       wall=10.0, busy={0: 0.9, 1: 0.5})
    rows = rows_by_metric(ingest.cpu_rows([run_a], {"telegraf": "0", "influxd": "0", "bench": "0",
                                                    "kapacitord": "1", "relay": "1"}))
    assert rows["CPU per 100k points, A"]["value"] == 5.5
    assert rows["CPU use, A, telegraf host"]["value"] == 0.25
    assert rows["CPU use, A, telegraf host"]["note"].endswith("CPU 0 busy 90 % (all processes)")
    assert rows["CPU use, A, kapacitor host"]["value"] == 0.3
    assert "CPU 1 busy 50 %" in rows["CPU use, A, kapacitor host"]["note"]
    assert "CPU per 100k points, B" not in rows  # no B run: no B rows


def test_summary_says_how_the_processes_were_placed():
    cpus = {"telegraf": "0", "influxd": "0", "kapacitord": "1", "relay": "1"}
    rows = rows_by_metric(ingest.summary([], runs(9500), 1000.0, "x", ("1", "2"), "pinned (x)", cpus))
    assert rows["CPU placement"]["value"] == "pinned"
    assert rows["CPU placement"]["note"].endswith("telegraf 0, influxd 0, kapacitord 1, relay 1")
    off = rows_by_metric(ingest.summary([], runs(9500), 1000.0, "x", ("1", "2"), "not pinned: only CPU [0]", {}))
    assert off["CPU placement"]["value"] == "off" and off["CPU placement"]["note"].startswith("not pinned")
