"""Unit tests for plugins/plugin_utils/stack_plan.py: every derivation rule and every model error."""

from __future__ import annotations

from pathlib import Path

import collection_path  # noqa: F401 pylint: disable=unused-import  # the collection on sys.path
import pytest
import yaml

from ansible_collections.tickstack.influx.plugins.plugin_utils import stack_plan as sp

REPO = Path(__file__).resolve().parents[2]

STREAM = """
dbrp "telegraf"."autogen"
stream
    |from()
        .measurement('cpu')
    |influxDBOut()
        .database('my-db')
        .retentionPolicy('my-rp')
"""
BATCH = """
batch
    |query('SELECT mean(usage) FROM "telegraf"."autogen"."cpu"')
        .period(1m)
        .every(1m)
    |influxDBOut()
        .database('my-db')
        .retentionPolicy('my-rp')
"""
DATABASES = [
    {"database": "telegraf", "retention": "30d"},
    {"database": "my-db", "retention_policy": "my-rp", "bucket": "my-bucket"},
]


def pairs(*items):
    return [{"db": db, "rp": rp} for db, rp in items]


def plan(**kwargs):
    kwargs.setdefault("databases", DATABASES)
    kwargs.setdefault("kapacitor_hosts", ["k1"])
    kwargs.setdefault("telegraf_hosts", ["t1", "t2"])
    kwargs.setdefault("org", "acme")
    return sp.build_plan(**kwargs)


def ok(**kwargs):
    result = plan(**kwargs)
    assert result["errors"] == []
    return result


def errors(**kwargs):
    result = plan(**kwargs)
    assert result["errors"], "expected model errors"
    return "\n".join(result["errors"])


def task_plan(result, task_id):
    return next(t for t in result["tasks"] if t["id"] == task_id)


# --- databases, buckets, DBRPs -------------------------------------------------------------------

def test_database_defaults_filled_in():
    result = ok(databases=[{"database": "telegraf"}, {"database": "db", "retention_policy": "rp"},
                           {"database": "db", "retention_policy": "two", "bucket": "b2"}])
    assert [(d["database"], d["retention_policy"], d["bucket"], d["default"]) for d in result["databases"]] == [
        ("telegraf", "autogen", "telegraf", False), ("db", "rp", "db/rp", False), ("db", "two", "b2", False)]


def test_default_rp_is_the_marked_one_else_the_first():
    result = ok(databases=[{"database": "telegraf"}, {"database": "db", "retention_policy": "a"},
                           {"database": "db", "retention_policy": "b", "default": "yes"},
                           {"database": "other", "retention_policy": "x"}, {"database": "other", "retention_policy": "y"}])
    assert result["default_rps"] == {"telegraf": "autogen", "db": "b", "other": "x"}
    assert [(m["database"], m["retention_policy"], m["default"]) for m in result["dbrps"]] == [
        ("telegraf", "autogen", True), ("db", "a", False), ("db", "b", True), ("other", "x", True), ("other", "y", False)]


def test_one_bucket_item_per_bucket_with_settings_only_when_given():
    result = ok(databases=[{"database": "telegraf", "retention": "30d"},
                           {"database": "db", "retention_policy": "a", "bucket": "shared", "description": "d"},
                           {"database": "db", "retention_policy": "b", "bucket": "shared"}])
    assert result["buckets"] == [{"bucket": "telegraf", "retention": "30d"},
                                 {"bucket": "shared", "description": "d"}]


def test_entries_in_the_modules_shape():
    result = ok(databases=[{"database": "telegraf", "retention": "30d"},
                           {"database": "db", "retention_policy": "a", "bucket": "shared", "description": "d"},
                           {"database": "db", "retention_policy": "b", "bucket": "shared", "default": True}])
    assert result["bucket_entries"] == [{"name": "telegraf", "retention": "30d"}, {"name": "shared", "description": "d"}]
    assert result["dbrp_entries"] == [
        {"database": "telegraf", "retention_policy": "autogen", "bucket": "telegraf", "default": True, "virtual_ok": False},
        {"database": "db", "retention_policy": "a", "bucket": "shared", "default": None, "virtual_ok": False},
        {"database": "db", "retention_policy": "b", "bucket": "shared", "default": True, "virtual_ok": False}]


def test_error_shared_bucket_settings_disagree():
    assert "shares the bucket shared" in errors(databases=[
        {"database": "telegraf"}, {"database": "a", "bucket": "shared", "retention": "1d"},
        {"database": "b", "bucket": "shared", "retention": "2d"}])


@pytest.mark.parametrize("entry", [{"retention_policy": "x"}, {"database": ""}, "telegraf", None])
def test_error_database_entry_without_database(entry):
    assert "tickstack_databases[1]: needs a database" in errors(databases=[{"database": "telegraf"}, entry])


def test_error_database_listed_twice():
    text = errors(databases=[{"database": "telegraf"}, {"database": "telegraf", "retention_policy": "autogen"}])
    assert "tickstack_databases[1]: telegraf/autogen is already listed at tickstack_databases[0]" in text


def test_error_two_defaults_for_one_database():
    text = errors(databases=[{"database": "telegraf"}, {"database": "db", "retention_policy": "a", "default": True},
                             {"database": "db", "retention_policy": "b", "default": True}])
    assert "database db has 2 retention policies with default: true (a, b)" in text


def test_error_default_not_a_boolean():
    assert "default must be true or false" in errors(databases=[{"database": "telegraf", "default": "maybe"}])


def test_error_telegraf_database_not_declared():
    text = errors(databases=[{"database": "metrics"}])
    assert "Telegraf writes to telegraf/autogen" in text and "listed: metrics/autogen" in text


def test_no_telegraf_hosts_no_telegraf_bucket_needed():
    result = ok(databases=[{"database": "metrics"}], telegraf_hosts=[])
    assert result["telegraf_bucket"] == "" and result["permissions"]["telegraf"] == []


def test_telegraf_bucket_and_permissions():
    result = ok(databases=[{"database": "metrics", "bucket": "m"}], telegraf_database="metrics")
    assert result["telegraf_bucket"] == "m"
    assert result["permissions"]["telegraf"] == [{"action": "write", "resource": {"type": "buckets", "name": "m"}}]


# --- tasks ---------------------------------------------------------------------------------------

def test_stream_task_dbrps_from_script_and_writes():
    result = ok(kapacitor_tasks=[{"id": "s", "script": STREAM}])
    assert task_plan(result, "s") == {"id": "s", "type": "stream", "dbrps": pairs(("telegraf", "autogen")),
                                      "derived_dbrps": None, "reads": [], "writes": pairs(("my-db", "my-rp"))}
    assert "dbrps" not in result["kapacitor_tasks"][0]


def test_batch_task_without_dbrps_gets_its_queries_sources():
    result = ok(kapacitor_tasks=[{"id": "b", "script": BATCH, "reads": [{"db": "my-db"}]}])
    planned = task_plan(result, "b")
    assert planned["derived_dbrps"] == pairs(("telegraf", "autogen"))
    assert planned["reads"] == pairs(("my-db", "my-rp"), ("telegraf", "autogen"))
    role_task = result["kapacitor_tasks"][0]
    assert role_task["dbrps"] == pairs(("telegraf", "autogen")) and "reads" not in role_task


def test_stream_task_without_dbrp_gets_what_telegraf_writes():
    script = "stream\n    |from().measurement('cpu')\n"
    result = ok(kapacitor_tasks=[{"id": "s", "script": script}], telegraf_database="my-db",
                telegraf_retention_policy="my-rp")
    assert task_plan(result, "s")["derived_dbrps"] == pairs(("my-db", "my-rp"))


def test_task_dbrps_given_are_used_with_default_rps_and_count_as_batch_reads():
    script = "batch\n    |query('SELECT 1 FROM \"my-db\".\"my-rp\".\"m\"')\n"
    result = ok(kapacitor_tasks=[{"id": "b", "script": script, "dbrps": [{"db": "telegraf"}]}])
    planned = task_plan(result, "b")
    assert planned["dbrps"] == pairs(("telegraf", "autogen")) and planned["derived_dbrps"] is None
    assert planned["reads"] == pairs(("my-db", "my-rp"), ("telegraf", "autogen"))
    assert result["kapacitor_tasks"][0]["dbrps"] == [{"db": "telegraf"}]


def test_influxdbout_without_rp_writes_the_default_rp():
    script = "dbrp \"telegraf\".\"autogen\"\nstream\n    |from()\n    |influxDBOut().database('my-db')\n"
    assert task_plan(ok(kapacitor_tasks=[{"id": "s", "script": script}]), "s")["writes"] == pairs(("my-db", "my-rp"))


def test_task_vars_resolve_names():
    script = ("var db = 'nothing'\ndbrp \"telegraf\".\"autogen\"\nstream\n    |from()\n"
              "    |influxDBOut().database(db).retentionPolicy('my-rp')\n")
    result = ok(kapacitor_tasks=[{"id": "s", "script": script, "vars": {"db": {"type": "string", "value": "my-db"}}}])
    assert task_plan(result, "s")["writes"] == pairs(("my-db", "my-rp"))


def test_template_task_permissions_from_the_template_script_with_the_task_vars():
    template = ("var out_db string\ndbrp \"telegraf\".\"autogen\"\nstream\n    |from()\n"
                "    |influxDBOut().database(out_db).retentionPolicy('my-rp')\n")
    result = ok(kapacitor_templates=[{"id": "tpl", "script": template}],
                kapacitor_tasks=[{"id": "t", "template_id": "tpl", "vars": {"out_db": {"type": "string", "value": "my-db"}}}])
    assert task_plan(result, "t")["writes"] == pairs(("my-db", "my-rp"))
    assert result["write_buckets"] == ["my-bucket"]


def test_template_task_from_elsewhere_uses_reads_and_writes():
    result = ok(kapacitor_tasks=[{"id": "t", "template_id": "elsewhere", "type": "stream",
                                  "writes": [{"db": "my-db", "rp": "my-rp"}]}])
    planned = task_plan(result, "t")
    assert planned["writes"] == pairs(("my-db", "my-rp"))
    assert planned["derived_dbrps"] == pairs(("telegraf", "autogen"))


def test_error_template_not_readable():
    text = errors(kapacitor_tasks=[{"id": "t", "template_id": "missing"}])
    assert "Kapacitor task 't': its template missing is not in kapacitor_templates" in text
    assert plan(kapacitor_tasks=[{"id": "t", "template_id": "missing"}])["tasks"] == []
    text = errors(kapacitor_templates=[{"id": "gone", "state": "absent"}],
                  kapacitor_tasks=[{"id": "t", "template_id": "gone"}])
    assert "is removed by kapacitor_templates" in text


def test_absent_tasks_pass_through_unscanned():
    result = ok(kapacitor_tasks=[{"id": "old", "state": "absent"}])
    assert result["tasks"] == [] and result["kapacitor_tasks"] == [{"id": "old", "state": "absent"}]


def test_error_task_without_id():
    assert "tickstack_kapacitor_tasks[0]: needs an id" in errors(kapacitor_tasks=[{"script": STREAM}])


def test_error_task_id_twice():
    text = errors(kapacitor_tasks=[{"id": "s", "script": STREAM}, {"id": "s", "script": STREAM}])
    assert "Kapacitor task 's': is listed twice" in text


@pytest.mark.parametrize("task", [{"id": "x"}, {"id": "x", "script": STREAM, "template_id": "t"}])
def test_error_task_needs_script_or_template(task):
    assert "needs exactly one of script, script_file and template_id" in errors(kapacitor_tasks=[task])


def test_error_bad_state():
    assert "state must be present or absent" in errors(kapacitor_tasks=[{"id": "x", "script": STREAM, "state": "gone"}])


def test_error_unreadable_script_names_the_task():
    text = errors(kapacitor_tasks=[{"id": "broken", "script": "stream |from() |influxDBOut()\n"}])
    assert "Kapacitor task 'broken': cannot read its TICKscript" in text


def test_error_dbrps_in_script_and_task():
    text = errors(kapacitor_tasks=[{"id": "s", "script": STREAM, "dbrps": [{"db": "telegraf", "rp": "autogen"}]}])
    assert "Kapacitor refuses dbrps given with the task" in text


@pytest.mark.parametrize("key", ["reads", "writes", "dbrps"])
def test_error_pair_without_db(key):
    script = "batch\n    |query('SELECT 1 FROM \"telegraf\".\"autogen\".\"m\"')\n"
    assert "every item of %s needs a db" % key in errors(kapacitor_tasks=[{"id": "b", "script": script, key: [{"rp": "x"}]}])
    assert "%s must be a list" % key in errors(kapacitor_tasks=[{"id": "b", "script": script, key: "telegraf"}])


def test_error_task_uses_undeclared_dbrp():
    script = STREAM.replace("my-rp", "other-rp")
    text = errors(kapacitor_tasks=[{"id": "s", "script": script}])
    assert "Kapacitor task 's': uses my-db/other-rp (database/retention policy)" in text
    assert "declared: telegraf/autogen, my-db/my-rp" in text


def test_every_error_is_listed_at_once():
    result = plan(databases=[{"database": "x"}, {"retention_policy": "r"}],
                  kapacitor_tasks=[{"script": STREAM}, {"id": "y"}], required={"tickstack_influxdb_org": ""})
    assert len(result["errors"]) == 5


# --- permissions, tokens, settings ---------------------------------------------------------------

def test_kapacitor_permissions_are_least_privilege():
    result = ok(kapacitor_tasks=[{"id": "s", "script": STREAM}, {"id": "b", "script": BATCH}])
    assert result["permissions"]["kapacitor"] == [
        {"action": "read", "resource": {"type": "buckets", "name": "telegraf"}},
        {"action": "write", "resource": {"type": "buckets", "name": "my-bucket"}}]


def test_kapacitor_without_reads_or_writes_reads_its_org():
    assert ok()["permissions"]["kapacitor"] == [{"action": "read", "resource": {"type": "orgs", "name": "acme"}}]


def test_tokens_of_every_host_marked_with_the_stack_name():
    result = ok(stack_name="prod")
    assert [(t["service"], t["host"], t["description"]) for t in result["tokens"]] == [
        ("kapacitor", "k1", "tickstack:prod:kapacitor:k1"), ("telegraf", "t1", "tickstack:prod:telegraf:t1"),
        ("telegraf", "t2", "tickstack:prod:telegraf:t2")]
    assert sp.host_tokens(result, "t1") == {"telegraf": {"description": "tickstack:prod:telegraf:t1",
                                                         "permissions": result["permissions"]["telegraf"]}}
    assert sp.host_tokens(result, "influxdb") == {}


@pytest.mark.parametrize("name", ["", "a:b", "with space", None])
def test_error_bad_stack_name(name):
    assert "tickstack_stack_name" in errors(stack_name=name)


def test_error_required_settings_empty_with_hints():
    text = errors(required={"tickstack_influxdb_url": "", "tickstack_influxdb_operator_token": " ",
                            "tickstack_influxdb_org": "acme", "other": None})
    assert "tickstack_influxdb_url: is empty: the InfluxDB group" in text
    assert "tickstack_influxdb_operator_token: is empty: set an all-access token" in text
    assert "other: is empty: set it." in text and "tickstack_influxdb_org" not in text


class _ModelLoader(yaml.SafeLoader):
    """Reads the Molecule model as Ansible would, ``!unsafe`` being a plain string here."""


_ModelLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def test_the_molecule_model_gives_what_0_1_0_gave():
    model = yaml.load((REPO / "extensions/molecule/shared/vars/test_model.yml").read_text(), Loader=_ModelLoader)
    files = REPO / "extensions/molecule/shared/files"
    tasks, file_errors = sp.read_script_files(model["tickstack_kapacitor_tasks"], "task", "tickstack_kapacitor_tasks",
                                              lambda path: (files / Path(path).name).read_text())
    assert file_errors == []
    result = ok(databases=model["tickstack_databases"], kapacitor_tasks=tasks, org="tickstack")
    assert result["buckets"] == [{"bucket": "telegraf", "retention": "30d"}, {"bucket": "my-bucket", "retention": "90d"}]
    assert [m["default"] for m in result["dbrps"]] == [True, True]
    assert result["read_buckets"] == ["telegraf"] and result["write_buckets"] == ["my-bucket"]
    assert [t.get("dbrps") for t in result["kapacitor_tasks"]] == [None, pairs(("telegraf", "autogen")), None, None]
    scripts = {t["id"]: t["script"] for t in result["kapacitor_tasks"]}
    assert ".message('{{ .ID }} is {{ .Level }} on {{ index .Tags \"host\" }}')" in scripts["probe_alert"]
    assert "{{ index .Tags \"host\" }}" in scripts["probe_alert_inline"]


# --- pruning -------------------------------------------------------------------------------------

def auths(*descriptions):
    return [{"id": "id%d" % i, "description": d} for i, d in enumerate(descriptions)]


EXPECTED = [{"service": "kapacitor", "host": "k1"}, {"service": "telegraf", "host": "t1"}]


def test_parse_description():
    assert sp.parse_description("tickstack:prod:telegraf:web:1", "prod") == ("telegraf", "web:1")
    assert sp.parse_description("tickstack:prod:other:web", "prod") is None
    assert sp.parse_description("tickstack:prod2:telegraf:web", "prod") is None
    assert sp.parse_description("tickstack:prod:telegraf:", "prod") is None


def test_prune_hosts_no_longer_in_the_inventory_only():
    listed = auths("tickstack:tickstack:kapacitor:k1", "tickstack:tickstack:telegraf:t1",
                   "tickstack:tickstack:telegraf:gone", "tickstack:tickstack:kapacitor:t1",
                   "tickstack:other:telegraf:gone", "admin's Token", "", "telegraf writer")
    prune = sp.tokens_to_prune(listed, "tickstack", EXPECTED)
    assert [(p["description"], p["ids"]) for p in prune] == [
        ("tickstack:tickstack:kapacitor:t1", ["id3"]), ("tickstack:tickstack:telegraf:gone", ["id2"])]
    assert prune[1]["reason"] == "gone no longer runs telegraf in this inventory"


def test_prune_duplicates_of_one_stale_description_together():
    prune = sp.tokens_to_prune(auths("tickstack:tickstack:telegraf:gone", "tickstack:tickstack:telegraf:gone"),
                               "tickstack", EXPECTED)
    assert prune == [{"description": "tickstack:tickstack:telegraf:gone", "ids": ["id0", "id1"],
                      "reason": "gone no longer runs telegraf in this inventory"}]


def test_prune_legacy_tokens_only_once_replaced():
    listed = auths("tickstack telegraf t1", "tickstack kapacitor k1", "tickstack:tickstack:telegraf:t1")
    prune = sp.tokens_to_prune(listed, "tickstack", EXPECTED)
    assert [p["description"] for p in prune] == ["tickstack telegraf t1"]
    assert prune[0]["reason"] == "0.1.0 token, replaced by tickstack:tickstack:telegraf:t1"


def test_prune_legacy_tokens_of_removed_hosts_only_for_the_default_stack_name():
    listed = auths("tickstack telegraf gone")
    assert [p["description"] for p in sp.tokens_to_prune(listed, "tickstack", EXPECTED)] == ["tickstack telegraf gone"]
    assert sp.tokens_to_prune(listed, "prod", EXPECTED) == []
    listed = auths("tickstack telegraf t1", "tickstack:prod:telegraf:t1")
    assert [p["description"] for p in sp.tokens_to_prune(listed, "prod", EXPECTED)] == ["tickstack telegraf t1"]


def test_prune_nothing_listed():
    assert sp.tokens_to_prune([], "tickstack", EXPECTED) == [] and sp.tokens_to_prune(None, "tickstack", []) == []


FLUX = """
batch
    |queryFlux('from(bucket: "telegraf") |> range(start: -1m)')
        .period(1m)
        .every(1m)
    |influxDBOut()
        .database('my-db')
        .retentionPolicy('my-rp')
"""


def test_error_unreadable_source_asks_for_reads():
    text = errors(kapacitor_tasks=[{"id": "flux", "script": FLUX}])
    assert "Kapacitor task 'flux': cannot read its TICKscript" in text and "reads" in text


def test_unreadable_source_with_reads_given():
    result = ok(kapacitor_tasks=[{"id": "flux", "script": FLUX, "dbrps": [{"db": "telegraf"}],
                                  "reads": [{"db": "telegraf", "rp": "autogen"}]}])
    planned = task_plan(result, "flux")
    assert planned["reads"] == pairs(("telegraf", "autogen")) and planned["writes"] == pairs(("my-db", "my-rp"))
    assert result["read_buckets"] == ["telegraf"]


# --- plain HTTP with credentials ----------------------------------------------------------------

def test_plain_http_off_loopback_warns_naming_the_variable():
    warnings = sp.plain_http_warnings({
        "tickstack_influxdb_url": "http://influxdb:8086",
        "tickstack_influxdb_api_url": "http://127.0.0.1:8086",
        "tickstack_kapacitor_url": "https://kapacitor:9092",
        "loopback_v6": "http://[::1]:9092",
        "named_loopback": "http://localhost:8086",
        "embedded": "http://admin:s3cret@10.0.0.9:9092/",
        "unset": "",
    })
    assert len(warnings) == 2
    assert warnings[0].startswith("tickstack_influxdb_url (http://influxdb:8086) sends credentials in plain HTTP")
    assert "tickstack_tls" in warnings[0]
    assert warnings[1].startswith("embedded (http://10.0.0.9:9092/)")
    assert "s3cret" not in " ".join(warnings)


def test_no_warning_for_https_or_loopback():
    assert sp.plain_http_warnings({"a": "HTTPS://x:1", "b": "http://127.1.2.3:8086", "c": None}) == []


# --- script_file ---------------------------------------------------------------------------------

GO_TEMPLATE_ALERT = """
dbrp "telegraf"."autogen"
stream
    |from()
        .measurement('cpu')
        .groupBy('host')
    |alert()
        .id('{{ .TaskName }}/{{ index .Tags "host" }}')
        .message('{{ .ID }} is {{ .Level }}')
        .crit(lambda: "usage" > 90)
        .log('/var/lib/kapacitor/alerts.log')
"""


def reader(files):
    def read(path):
        if path not in files:
            raise OSError("no such file")
        return files[path]
    return read


def test_script_file_is_read_verbatim_into_script():
    read = reader({"alert.tick": GO_TEMPLATE_ALERT})
    tasks, errs = sp.read_script_files([{"id": "a", "script_file": "alert.tick", "status": "enabled"}],
                                       "task", "tickstack_kapacitor_tasks", read)
    assert errs == []
    assert tasks == [{"id": "a", "script": GO_TEMPLATE_ALERT, "status": "enabled"}]
    result = ok(kapacitor_tasks=tasks)
    assert result["kapacitor_tasks"][0]["script"] == GO_TEMPLATE_ALERT
    assert "{{ .ID }}" in result["kapacitor_tasks"][0]["script"]
    assert result["tasks"][0]["dbrps"] == pairs(("telegraf", "autogen"))


def test_template_script_file_is_read_and_handed_on():
    read = reader({"t.tick": STREAM})
    templates, errs = sp.read_script_files([{"id": "t", "script_file": "t.tick"}], "template", "kapacitor_templates",
                                           read)
    assert errs == []
    result = ok(kapacitor_templates=templates, kapacitor_tasks=[{"id": "x", "template_id": "t"}])
    assert result["kapacitor_templates"] == [{"id": "t", "script": STREAM}]
    assert result["tasks"][0]["writes"] == pairs(("my-db", "my-rp"))


@pytest.mark.parametrize("kind, variable, entry, expected", [
    ("task", "tickstack_kapacitor_tasks", {"id": "a", "script": STREAM, "script_file": "a.tick"},
     "Kapacitor task 'a' (tickstack_kapacitor_tasks[0]): needs exactly one of script, script_file and template_id "
     "(unless its state is absent), has script and script_file."),
    ("task", "tickstack_kapacitor_tasks", {"id": "a", "template_id": "t", "script_file": "a.tick"},
     "has script_file and template_id."),
    ("task", "tickstack_kapacitor_tasks", {"id": "a"}, "has none."),
    ("template", "kapacitor_templates", {"id": "t", "script": STREAM, "script_file": "a.tick"},
     "Kapacitor template 't' (kapacitor_templates[0]): needs exactly one of script and script_file"),
    ("template", "kapacitor_templates", {"id": "t"}, "has none."),
    ("task", "tickstack_kapacitor_tasks", {"id": "a", "script_file": ""},
     "script_file must be the path of a TICKscript file, got ''."),
    ("task", "tickstack_kapacitor_tasks", {"id": "a", "script_file": "missing.tick"},
     "Kapacitor task 'a' (tickstack_kapacitor_tasks[0]): cannot read its script_file missing.tick: no such file"),
])
def test_error_script_sources_name_the_entry_and_the_field(kind, variable, entry, expected):
    read = reader({"a.tick": STREAM})
    items, errs = sp.read_script_files([entry], kind, variable, read)
    assert len(errs) == 1 and expected in errs[0], errs
    assert items == [entry]


def test_absent_entries_need_no_script_and_their_file_is_not_read():
    def read(path):
        raise AssertionError("read %s" % path)
    tasks, errs = sp.read_script_files([{"id": "old", "state": "absent", "script_file": "gone.tick"}],
                                       "task", "tickstack_kapacitor_tasks", read)
    assert errs == [] and tasks == [{"id": "old", "state": "absent"}]


def test_every_script_file_error_is_listed_at_once():
    tasks, errs = sp.read_script_files([{"id": "a", "script_file": "x"}, {"id": "b", "script_file": "y"}, "bad"],
                                       "task", "tickstack_kapacitor_tasks", reader({}))
    assert len(errs) == 2 and "'a'" in errs[0] and "'b'" in errs[1]
    assert tasks[2] == "bad"


# --- placement, per-host tokens, Telegraf's routing -----------------------------------------------

GROUPS = {"all": ["i1", "k1", "k2", "k3", "t1", "t2"], "ungrouped": [], "influxdb": ["i1"],
          "kapacitor": ["k1", "k2", "k3"], "telegraf": ["t1", "t2"], "dc1": ["i1", "k1", "t1"], "dc2": ["k2", "k3"],
          "web": ["t1", "t2"]}
STREAM_TO = """
dbrp "telegraf"."autogen"
stream
    |from()
        .measurement('cpu')
    |influxDBOut()
        .database('%s')
        .retentionPolicy('autogen')
"""
BATCH_FROM = """
batch
    |query('SELECT mean(usage) FROM "%s"."autogen"."cpu"')
        .period(1m)
        .every(1m)
    |influxDBOut()
        .database('out')
        .retentionPolicy('autogen')
"""
PLACED_DATABASES = [{"database": "telegraf"}, {"database": "a"}, {"database": "b"}, {"database": "out"}]


def placed(tasks, **kwargs):
    kwargs.setdefault("databases", PLACED_DATABASES)
    kwargs.setdefault("kapacitor_hosts", GROUPS["kapacitor"])
    kwargs.setdefault("groups", GROUPS)
    return ok(kapacitor_tasks=tasks, **kwargs)


def test_without_placement_every_task_runs_on_every_kapacitor_host():
    result = placed([{"id": "s", "script": STREAM_TO % "a"}])
    assert result["placement"] == {"s": ["k1", "k2", "k3"]}
    for host in ("k1", "k2", "k3"):
        assert sp.host_kapacitor_tasks(result, host) == [{"id": "s", "script": STREAM_TO % "a"}]


def test_hosts_and_group_place_a_task_in_the_kapacitor_groups_order():
    result = placed([{"id": "s", "script": STREAM_TO % "a", "hosts": ["k3", "k1"]},
                     {"id": "b", "script": BATCH_FROM % "b", "group": "dc2"},
                     {"id": "c", "script": STREAM_TO % "out", "group": "dc1"}])
    assert result["placement"] == {"s": ["k1", "k3"], "b": ["k2", "k3"], "c": ["k1"]}


def test_a_task_placed_elsewhere_is_removed_from_the_host_and_placement_keys_never_reach_kapacitor():
    result = placed([{"id": "s", "script": STREAM_TO % "a", "hosts": ["k2"], "status": "enabled"},
                     {"id": "gone", "state": "absent", "hosts": ["k1"]}])
    on_k2 = [{"id": "s", "script": STREAM_TO % "a", "status": "enabled"}, {"id": "gone", "state": "absent"}]
    assert sp.host_kapacitor_tasks(result, "k2") == on_k2
    assert sp.host_kapacitor_tasks(result, "k1") == [{"id": "s", "state": "absent"}, {"id": "gone", "state": "absent"}]


@pytest.mark.parametrize("task, expected", [
    ({"hosts": ["k1"], "group": "dc2"}, "Kapacitor task 's': gives both hosts and group"),
    ({"hosts": ["nope"]}, "Kapacitor task 's': hosts names nope, not in the inventory; use inventory names of "
                          "Kapacitor hosts (k1, k2, k3)"),
    ({"hosts": ["t1", "k1"]}, "Kapacitor task 's': hosts names t1, not in tickstack_kapacitor_group (k1, k2, k3)"),
    ({"hosts": []}, "Kapacitor task 's': hosts is empty, so the task would run nowhere"),
    ({"hosts": "k1"}, "Kapacitor task 's': hosts must be a list of inventory names of Kapacitor hosts, got 'k1'"),
    ({"group": "nope"}, "Kapacitor task 's': group nope is not an inventory group (groups: dc1, dc2, influxdb, "
                        "kapacitor, telegraf, web)"),
    ({"group": "web"}, "Kapacitor task 's': group web has no host of tickstack_kapacitor_group (k1, k2, k3), so the "
                       "task would run nowhere"),
    ({"group": ""}, "Kapacitor task 's': group must be the name of an inventory group, got ''"),
])
def test_error_bad_placement_names_the_task_and_the_field(task, expected):
    text = errors(kapacitor_tasks=[dict(task, id="s", script=STREAM_TO % "a")], databases=PLACED_DATABASES,
                  kapacitor_hosts=GROUPS["kapacitor"], groups=GROUPS)
    assert expected in text


def test_each_kapacitor_token_covers_the_buckets_of_its_own_tasks_only():
    result = placed([{"id": "s", "script": STREAM_TO % "a", "hosts": ["k1"]},
                     {"id": "b", "script": BATCH_FROM % "b", "hosts": ["k2"]}])
    assert sp.host_tokens(result, "k1")["kapacitor"]["permissions"] == [
        {"action": "write", "resource": {"type": "buckets", "name": "a"}}]
    assert sp.host_tokens(result, "k2")["kapacitor"]["permissions"] == [
        {"action": "read", "resource": {"type": "buckets", "name": "b"}},
        {"action": "write", "resource": {"type": "buckets", "name": "out"}}]
    # A host without tasks gets the least a token can hold: read its organization.
    assert sp.host_tokens(result, "k3")["kapacitor"]["permissions"] == [
        {"action": "read", "resource": {"type": "orgs", "name": "acme"}}]
    # The stack's union stays what every task needs.
    assert result["read_buckets"] == ["b"] and result["write_buckets"] == ["a", "out"]


def test_telegraf_writes_to_the_hosts_of_stream_tasks_that_read_its_points_only():
    result = placed([{"id": "s1", "script": STREAM_TO % "a", "hosts": ["k3"]},
                     {"id": "s2", "script": STREAM_TO % "b", "group": "dc1"},
                     # batch only: no points from Telegraf for k2
                     {"id": "b", "script": BATCH_FROM % "telegraf", "hosts": ["k2"]},
                     # a stream task on another database: not Telegraf's points
                     {"id": "other", "script": 'dbrp "a"."autogen"\nstream\n    |from()\n', "hosts": ["k2"]}])
    assert result["kapacitor_write_targets"] == ["k1", "k3"]


def test_a_stream_task_without_dbrp_reads_what_telegraf_writes_and_no_stream_task_means_no_target():
    assert placed([{"id": "s", "script": "stream\n    |from()\n        .measurement('cpu')\n",
                    "hosts": ["k2"]}])["kapacitor_write_targets"] == ["k2"]
    assert placed([{"id": "b", "script": BATCH_FROM % "telegraf"}])["kapacitor_write_targets"] == []
    assert placed([])["kapacitor_write_targets"] == []


def test_a_task_whose_type_the_plan_cannot_tell_counts_as_a_stream_task():
    result = placed([{"id": "t", "template_id": "elsewhere", "dbrps": [{"db": "telegraf"}],
                      "reads": [], "hosts": ["k2"]}])
    assert result["kapacitor_write_targets"] == ["k2"]
