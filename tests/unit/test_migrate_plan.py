"""The migration plan: 1.x info -> buckets, DBRPs, v1 authorizations, CQ advice; overrides from a model."""

from __future__ import annotations

import pytest

import collection_path  # noqa: F401 pylint: disable=unused-import  # the collection on sys.path

from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput
from ansible_collections.tickstack.influx.plugins.plugin_utils.migrate_plan import (
    bucket_name,
    build_plan,
    continuous_query_advice,
    copy_ranges,
    kapacitor_model,
    plan_or_errors,
    summary,
    telegraf_influxdb1_output,
)
from ansible_collections.tickstack.influx.plugins.plugin_utils.stack_plan import build_plan as stack_plan


def rp(database, name, duration, shard, default=False):
    return {"database": database, "name": name, "duration_seconds": duration, "shard_group_duration_seconds": shard,
            "replication": 1, "default": default}


def info():
    """What influxdb1_info returns for two databases x two RPs (one odd name), users, a CQ, a subscription."""
    return {
        "databases": [
            {"name": "telegraf", "default_retention_policy": "autogen", "retention_policies": [
                rp("telegraf", "autogen", 0, 604800, default=True), rp("telegraf", "one-week.v2", 604800, 86400)]},
            {"name": "app", "default_retention_policy": "hot", "retention_policies": [
                rp("app", "autogen", 0, 604800), rp("app", "hot", 3600 * 48, 3600, default=True)]},
        ],
        "users": [
            {"name": "admin", "admin": True, "privileges": []},
            {"name": "grafana", "admin": False, "privileges": [{"database": "telegraf", "privilege": "read"}]},
            {"name": "writer", "admin": False, "privileges": [
                {"database": "app", "privilege": "all"}, {"database": "telegraf", "privilege": "write"}]},
            {"name": "idle", "admin": False, "privileges": []},
        ],
        "continuous_queries": [{"database": "telegraf", "name": "cpu_1h", "query": (
            'CREATE CONTINUOUS QUERY cpu_1h ON telegraf BEGIN SELECT mean("usage") AS "usage" '
            'INTO "telegraf"."one-week.v2"."cpu_1h" FROM "telegraf"."autogen"."cpu" GROUP BY time(1h), * END')}],
        "subscriptions": [{"database": "telegraf", "retention_policy": "autogen", "name": "kapacitor-1", "mode": "ANY",
                           "destinations": ["http://kapacitor:9092"]}],
    }


def test_bucket_names_follow_the_stack_role():
    assert bucket_name("telegraf", "autogen") == "telegraf"
    assert bucket_name("telegraf", "one-week.v2") == "telegraf/one-week.v2"


def test_buckets_keep_retention_and_shard_groups():
    plan = build_plan(info())
    assert [(b["name"], b["retention_seconds"], b["shard_group_duration_seconds"]) for b in plan["buckets"]] == [
        ("telegraf", 0, 604800), ("telegraf/one-week.v2", 604800, 86400), ("app", 0, 604800), ("app/hot", 172800, 3600)]
    assert plan["buckets"][1]["retention"] == "7d" and plan["buckets"][0]["retention"] == "infinite"


def test_dbrps_keep_the_default_rp():
    plan = build_plan(info())
    assert [(m["database"], m["retention_policy"], m["bucket"], m["default"]) for m in plan["dbrps"]] == [
        ("telegraf", "autogen", "telegraf", True), ("telegraf", "one-week.v2", "telegraf/one-week.v2", False),
        ("app", "autogen", "app", False), ("app", "hot", "app/hot", True)]
    assert plan["copies"][1] == {"database": "telegraf", "retention_policy": "one-week.v2",
                                 "bucket": "telegraf/one-week.v2"}


def perms(plan, user):
    (auth,) = [a for a in plan["v1_auths"] if a["username"] == user]
    return sorted("%s:%s" % (p["action"], p["resource"]["name"]) for p in auth["permissions"])


def test_v1_auths_scoped_per_database():
    plan = build_plan(info())
    assert perms(plan, "grafana") == ["read:telegraf", "read:telegraf/one-week.v2"]
    assert perms(plan, "writer") == ["read:app", "read:app/hot", "write:app", "write:app/hot", "write:telegraf",
                                     "write:telegraf/one-week.v2"]
    assert len(perms(plan, "admin")) == 8
    assert any("admin" in note and "user management" in note for note in plan["notes"])
    assert {"user": "idle", "why": "no privilege on a migrated database"} in plan["skipped"]
    assert all("password" not in auth for auth in plan["v1_auths"])
    assert plan["v1_auths"][0]["description"] == "tickstack:migrate:admin"


def test_continuous_queries_reported_with_advice():
    (cq,) = build_plan(info())["continuous_queries"]
    assert cq["into"] == '"telegraf"."one-week.v2"."cpu_1h"' and cq["from"] == '"telegraf"."autogen"."cpu"'
    assert cq["every"] == "1h" and cq["action"] == "kapacitor_batch_task"
    assert "Kapacitor batch task" in cq["advice"] and "Flux task" in cq["advice"]
    assert "INTO" not in cq["advice"].split("query")[1].split("every")[0]


def test_resample_every_and_for():
    cq = continuous_query_advice({"database": "d", "name": "c", "query": (
        "CREATE CONTINUOUS QUERY c ON d RESAMPLE EVERY 30m FOR 2h BEGIN SELECT max(v) INTO m2 FROM m "
        "GROUP BY time(1h) END")})
    assert (cq["every"], cq["for"], cq["into"], cq["from"]) == ("30m", "2h", "m2", "m")


def test_subscriptions_listed_to_drop():
    plan = build_plan(info())
    assert plan["subscriptions"][0]["name"] == "kapacitor-1"
    assert "subscription kapacitor-1 on telegraf.autogen: drop once Kapacitor reads InfluxDB 2" in summary(plan)


def test_model_renames_changes_retention_and_skips():
    model = {"databases": [
        {"database": "telegraf", "retention_policy": "one-week.v2", "bucket": "telegraf-week", "retention": "14d"},
        {"database": "app", "retention_policy": "hot", "skip": True},
    ], "skip_users": ["admin"]}
    plan = build_plan(info(), model)
    names = [b["name"] for b in plan["buckets"]]
    assert names == ["telegraf", "telegraf-week", "app"]
    assert plan["buckets"][1]["retention_seconds"] == 14 * 86400
    # app's default RP was skipped: autogen becomes its default, and the plan says so.
    assert [m["default"] for m in plan["dbrps"] if m["database"] == "app"] == [True]
    assert any("default retention policy hot is not migrated" in note for note in plan["notes"])
    assert [a["username"] for a in plan["v1_auths"]] == ["grafana", "writer"]
    assert perms(plan, "writer") == ["read:app", "write:app", "write:telegraf", "write:telegraf-week"]


def test_skip_databases_leaves_everything_of_it_out():
    plan = build_plan(info(), {"skip_databases": ["telegraf"]})
    assert [b["name"] for b in plan["buckets"]] == ["app", "app/hot"]
    assert plan["continuous_queries"] == [] and plan["subscriptions"] == []
    assert [a["username"] for a in plan["v1_auths"]] == ["admin", "writer"]


@pytest.mark.parametrize("model, message", [
    ({"databases": [{"database": "nope"}]}, "no DBRP nope/autogen"),
    ({"databases": [{"database": "app", "retention_policy": "hot", "bucket": "app"}]}, "bucket app is already"),
    ({"databases": [{"database": "app", "bucket": "_sys"}]}, "underscore"),
    ({"databases": [{"database": "app", "retention": "1M"}]}, "ambiguous"),
    ({"databases": [{"retention_policy": "x"}]}, "needs a database"),
])
def test_model_errors_are_all_reported(model, message):
    with pytest.raises(InvalidInput, match=message):
        build_plan(info(), model)
    plan, error = plan_or_errors(info(), model)
    assert plan is None and message in error


def test_summary_lines():
    lines = summary(build_plan(info()))
    assert "bucket telegraf/one-week.v2 (retention 7d) <- telegraf.one-week.v2" in lines
    assert "dbrp app/hot -> app/hot (default)" in lines
    assert "v1 auth grafana: read:telegraf, read:telegraf/one-week.v2" in lines
    assert "skipped idle: no privilege on a migrated database" in lines


def test_filter_adds_the_summary_and_turns_errors_into_filter_errors():
    from ansible.errors import AnsibleFilterError

    from ansible_collections.tickstack.influx.plugins.filter.migrate_plan import FilterModule

    migrate_plan = FilterModule().filters()["migrate_plan"]
    plan = migrate_plan(info())
    assert plan["summary"] == summary(build_plan(info()))
    with pytest.raises(AnsibleFilterError, match="no DBRP nope/autogen"):
        migrate_plan(info(), {"databases": [{"database": "nope"}]})
    with pytest.raises(AnsibleFilterError, match="influxdb1_info"):
        migrate_plan(["not", "a", "dict"])


STREAM = """dbrp "telegraf"."autogen"
stream
    |from().measurement('cpu')
    |influxDBOut().database('app').retentionPolicy('hot').measurement('cpu_copy')
"""
BATCH = """batch
    |query('SELECT count("usage") FROM "telegraf"."one-week.v2"."cpu"').period(10s).every(2s)
    |influxDBOut().database('app').measurement('cpu_count')
"""


def kapacitor_tasks():
    """What kapacitor_info returns for a stream task (dbrp statement), a batch task and two others."""
    return [
        {"id": "copy", "type": "stream", "status": "enabled", "executing": True, "dbrps": [
            {"db": "telegraf", "rp": "autogen"}], "script": STREAM, "vars": {}, "template_id": ""},
        {"id": "count", "type": "batch", "status": "enabled", "executing": True, "dbrps": [
            {"db": "telegraf", "rp": "one-week.v2"}], "script": BATCH, "vars": {}, "template_id": ""},
        {"id": "off", "type": "batch", "status": "disabled", "executing": False, "dbrps": [
            {"db": "telegraf", "rp": "one-week.v2"}], "script": BATCH, "vars": {}, "template_id": ""},
        {"id": "templated", "type": "stream", "status": "enabled", "executing": True, "dbrps": [
            {"db": "telegraf", "rp": "autogen"}], "script": STREAM, "vars": {}, "template_id": "tpl"},
    ]


def test_kapacitor_model_feeds_the_stack_role():
    plan = build_plan(info())
    model = kapacitor_model(plan, kapacitor_tasks())
    assert model["running"] == ["copy", "count"]
    assert [t["id"] for t in model["kapacitor_tasks"]] == ["copy", "count", "off"]
    copy, count, off = model["kapacitor_tasks"]
    # A script with a dbrp statement takes no dbrps (Kapacitor refuses both); the others keep theirs.
    assert "dbrps" not in copy and count["dbrps"] == [{"db": "telegraf", "rp": "one-week.v2"}]
    assert off["status"] == "disabled"
    assert any("template tpl" in n for n in model["notes"])
    found = {(d["database"], d["retention_policy"]): (d["bucket"], d["default"], d["retention"])
             for d in model["databases"]}
    assert found == {
        ("telegraf", "autogen"): ("telegraf", True, "infinite"),
        ("telegraf", "one-week.v2"): ("telegraf/one-week.v2", False, "7d"),
        ("app", "autogen"): ("app", False, "infinite"),
        ("app", "hot"): ("app/hot", True, "2d")}
    # The stack role's plan takes the model as it is, and scopes Kapacitor's token to what the tasks use.
    stacked = stack_plan(databases=model["databases"], kapacitor_tasks=model["kapacitor_tasks"],
                         kapacitor_hosts=["k"], telegraf_hosts=["t"], org="o")
    assert stacked["errors"] == []
    # A stream task reads nothing from InfluxDB (Telegraf writes its points to Kapacitor); the batch task does.
    assert stacked["read_buckets"] == ["telegraf/one-week.v2"]
    # influxDBOut() without a retention policy writes the default one (app/hot).
    assert stacked["write_buckets"] == ["app/hot"]
    assert stacked["telegraf_bucket"] == "telegraf"


def test_kapacitor_model_refuses_a_stream_task_telegraf_cannot_feed():
    tasks = [dict(kapacitor_tasks()[0], script=STREAM.replace('"telegraf"."autogen"', '"app"."hot"'))]
    with pytest.raises(InvalidInput, match="stream task copy reads app/hot.*tickstack_telegraf_database"):
        kapacitor_model(build_plan(info()), tasks)
    with pytest.raises(InvalidInput, match="Telegraf writes nope/autogen, which the plan does not migrate"):
        kapacitor_model(build_plan(info()), [], telegraf_database="nope")
    with pytest.raises(InvalidInput, match="count: kapacitor_info returned no script"):
        kapacitor_model(build_plan(info()), [dict(kapacitor_tasks()[1], script=None)])


def test_kapacitor_model_notes_a_task_enabled_but_not_executing():
    tasks = [dict(kapacitor_tasks()[1], executing=False, error="query failed")]
    model = kapacitor_model(build_plan(info()), tasks)
    assert model["running"] == [] and any("count is enabled but not executing (query failed)" in n
                                          for n in model["notes"])


def test_telegraf_output_to_influxdb1():
    out = telegraf_influxdb1_output("http://old:8086/", "telegraf", "one-week.v2", username="telegraf")
    assert out == {"urls": ["http://old:8086"], "database": "telegraf", "retention_policy": "one-week.v2",
                   "skip_database_creation": True, "timeout": "5s", "username": "telegraf",
                   "password": "@{secrets:influxdb1_password}"}
    assert "username" not in telegraf_influxdb1_output("http://old:8086", "telegraf")
    with pytest.raises(InvalidInput, match="tickstack_migrate_influxdb1_url"):
        telegraf_influxdb1_output("", "telegraf")


def test_kapacitor_model_lists_what_the_tasks_write():
    model = kapacitor_model(build_plan(info()), kapacitor_tasks())
    assert model["writes"] == [{"db": "app", "rp": "hot"}]


def test_copy_ranges_stop_derived_dbrps_before_the_cutover():
    plan = build_plan(info())
    plan["kapacitor"] = kapacitor_model(plan, kapacitor_tasks())
    ranges = {(c["database"], c["retention_policy"]): c for c in copy_ranges(plan, {"before": 7200, "after": 7300}, "5m")}
    # Kapacitor writes app/hot; the CQ writes telegraf/one-week.v2 every 1h (longer than the 5m lag).
    assert ranges[("app", "hot")]["derived"] and ranges[("app", "hot")]["stop_epoch"] == 7200 - 3600
    assert ranges[("telegraf", "one-week.v2")]["stop_epoch"] == 7200 - 3600
    assert not ranges[("telegraf", "autogen")]["derived"]
    assert ranges[("telegraf", "autogen")]["stop"] == "1970-01-01T02:01:40Z"
    assert ranges[("app", "autogen")]["stop_epoch"] == 7300
    with pytest.raises(InvalidInput, match="cutover"):
        copy_ranges(plan, {"before": 2, "after": 1})
    with pytest.raises(InvalidInput, match="tickstack_migrate_derived_lag"):
        copy_ranges(plan, {"before": 1, "after": 2}, "soon")


@pytest.mark.parametrize("into, expected", [
    ('"telegraf"."one-week.v2"."cpu_1h"', ("telegraf", "one-week.v2")),
    ('"other".."cpu_1h"', ("other", "hot")),
    ('"one-week.v2"."cpu_1h"', ("app", "one-week.v2")),
    ("cpu_1h", ("app", "hot")),
])
def test_continuous_query_targets(into, expected):
    plan = build_plan(info())
    plan["continuous_queries"] = [{"database": "app", "name": "cq", "into": into, "every": None, "for": None}]
    plan["dbrps"] = plan["dbrps"] + [{"database": "other", "retention_policy": "hot", "bucket": "x", "default": True}]
    plan["copies"] = [{"database": expected[0], "retention_policy": expected[1], "bucket": "x"}]
    (copy,) = copy_ranges(plan, {"before": 1000, "after": 1000}, "0s")
    assert copy["derived"] is True


def test_access_expectations_follow_the_grants():
    access = {(a["username"], a["database"], a["retention_policy"]): (a["read"], a["write"])
              for a in build_plan(info())["access"]}
    assert access[("grafana", "telegraf", "one-week.v2")] == (True, False)
    assert access[("grafana", "app", "hot")] == (False, False)
    assert access[("writer", "app", "autogen")] == (True, True)
    assert access[("writer", "telegraf", "autogen")] == (False, True)
    assert access[("admin", "app", "hot")] == (True, True)


def test_task_problems_need_new_points():
    from ansible_collections.tickstack.influx.plugins.plugin_utils.migrate_plan import task_problems

    def read(**tasks):
        return {"tasks": [dict({"id": k, "status": "enabled", "executing": True, "error": ""}, **v)
                          for k, v in tasks.items()]}

    def stats(n):
        return {"stats": {"node_stats": {"stream0": {"collected": n}, "from1": {"collected": n}}}}

    earlier = read(copy=stats(5), count=stats(2))
    assert task_problems(read(copy=stats(6), count=stats(3)), earlier, ["copy", "count"]) == []
    problems = task_problems(read(copy=stats(5), count=dict(stats(9), executing=False, error="boom")), earlier,
                             ["copy", "count", "gone"])
    assert problems == ["copy: has processed no new point (10 collected, as before)",
                        "count: enabled and not executing (boom)", "gone: gone from Kapacitor"]


def test_report_sums_the_copies():
    from ansible_collections.tickstack.influx.plugins.plugin_utils.migrate_plan import report
    copied = [{"points_written": 1000, "seconds": 0.5, "measurements": [
        {"measurement": "cpu", "source_values": 10, "target_values": 10, "windows": 2}]},
        {"points_written": 0, "seconds": 0.5, "measurements": [
            {"measurement": "mem", "source_values": 4, "target_values": 3, "windows": 1}]}]
    out = report(copied, {"started": 100.0}, 160.0)
    assert out == {"dbrps_compared": 2, "measurements_compared": 2, "windows_compared": 3, "field_values_compared": 14,
                   "differences": ["mem"], "points_copied": 1000, "copy_seconds": 1.0, "points_per_second": 1000,
                   "migration_seconds": 60.0}
