"""Unit tests for plugins/filter/tickscript.py (the tickscript_dbrps filter)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "plugins" / "filter" / "tickscript.py"
_SPEC = importlib.util.spec_from_file_location("tickstack_filter_tickscript", _PATH)
tickscript = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(tickscript)
tickscript_dbrps = tickscript.tickscript_dbrps
TickscriptError = tickscript.TickscriptError


def pairs(*items):
    return [{"db": db, "rp": rp} for db, rp in items]


STREAM = """
// CPU alert on the points Telegraf writes to Kapacitor
dbrp "telegraf"."autogen"

stream
    |from()
        .measurement('cpu')
    |influxDBOut()
        .database('my-db')
        .retentionPolicy('my-rp')
        .measurement('cpu_copy')
        .tag('kapacitor', 'true')
"""

# The example of InfluxData's "Use Kapacitor with InfluxDB OSS" page.
REFERENCE_BATCH = """
batch
  |query('SELECT errors / total AS error_percent from requests')
  // Write the transformed data to InfluxDB
  |influxDBOut()
    .database('my-db')
    .retentionPolicy('my-rp')
    .measurement('errors')
    .tag('kapacitor', 'true')
    .tag('version', '0.2')
"""


def test_stream_task_dbrp_and_write_back():
    result = tickscript_dbrps(STREAM)
    assert result["type"] == "stream"
    assert result["dbrps"] == pairs(("telegraf", "autogen"))
    # A stream task gets its points from Kapacitor's write API: it reads nothing from InfluxDB.
    assert result["reads"] == []
    assert result["writes"] == pairs(("my-db", "my-rp"))


def test_batch_query_sources_are_reads():
    script = """
    batch
        |query('''
            SELECT mean("usage_idle") AS idle
            FROM "telegraf"."autogen"."cpu", "telegraf"."autogen"."mem", "other".."disk"
            WHERE "cpu" = 'cpu-total'
        ''')
            .period(5m)
            .every(1m)
        |influxDBOut()
            .database('rollups')
    """
    result = tickscript_dbrps(script, default_rps={"other": "forever", "rollups": "one_year"})
    assert result["type"] == "batch"
    assert result["queries"] == pairs(("other", "forever"), ("telegraf", "autogen"))
    assert result["reads"] == pairs(("other", "forever"), ("telegraf", "autogen"))
    assert result["writes"] == pairs(("rollups", "one_year"))


def test_missing_retention_policy_without_default_stays_empty():
    result = tickscript_dbrps("batch|query('SELECT * FROM db..m')|influxDBOut().database('x')")
    assert result["reads"] == pairs(("db", ""))
    assert result["writes"] == pairs(("x", ""))


def test_bare_and_quoted_identifiers_and_regex_measurement():
    script = """batch|query('SELECT count(v) FROM telegraf.autogen./cpu.*/, "my-db"."my rp"."m\\"x"')"""
    result = tickscript_dbrps(script)
    assert result["reads"] == pairs(("my-db", "my rp"), ("telegraf", "autogen"))
    assert result["writes"] == []


def test_reference_page_query_without_database_is_refused_with_task_name():
    with pytest.raises(TickscriptError, match=r"errors_task: the batch query at line 3 reads requests"):
        tickscript_dbrps(REFERENCE_BATCH, name="errors_task")


def test_vars_resolve_database_names_and_task_vars_override():
    script = """
    var db = 'telegraf'
    var rp = 'autogen'
    var out_db = 'scratch'
    var q = 'SELECT max(v) FROM "telegraf"."autogen"."m"'
    batch
        |query(q)
        |influxDBOut()
            .database(out_db)
            .retentionPolicy(rp)
    """
    result = tickscript_dbrps(script, vars={"out_db": {"type": "string", "value": "results"}})
    assert result["reads"] == pairs(("telegraf", "autogen"))
    assert result["writes"] == pairs(("results", "autogen"))


def test_unresolvable_database_names_the_task():
    script = "stream|from()|influxDBOut().database(somewhere)"
    with pytest.raises(TickscriptError, match=r"copy_task: cannot tell the database of influxDBOut\(\) at line 1"):
        tickscript_dbrps(script, name="copy_task")


def test_influxdbout_without_database_is_refused():
    with pytest.raises(TickscriptError, match="has no .database"):
        tickscript_dbrps("stream|from()|influxDBOut().measurement('x')")


def test_dbrps_from_the_model_when_the_script_has_no_dbrp_statement():
    script = "stream|from().measurement('cpu')|alert().crit(lambda: \"usage_idle\" < 10)"
    result = tickscript_dbrps(script, dbrps=[{"db": "telegraf", "rp": "autogen"}])
    assert result["dbrps"] == pairs(("telegraf", "autogen"))
    assert result["dbrps_in_script"] is False
    assert result["writes"] == []


def test_script_dbrp_statements_win_over_model_dbrps():
    result = tickscript_dbrps('dbrp "a"."b"\nstream|from()', dbrps=[{"db": "c", "rp": "d"}])
    assert result["dbrps"] == pairs(("a", "b"))
    assert result["dbrps_in_script"] is True


def test_batch_dbrp_statements_are_reads():
    result = tickscript_dbrps('dbrp "a"."b"\nbatch|query(\'SELECT * FROM "a"."b"."m"\')')
    assert result["reads"] == pairs(("a", "b"))


@pytest.mark.parametrize("decoy", [
    "// influxDBOut().database('commented')",
    "var s = '|influxDBOut().database(\\'in a string\\')'",
    "var s = '''|query('SELECT * FROM \"x\".\"y\".\"z\"')'''",
    'var r = lambda: "dbrp" =~ /influxDBOut().database(\'r\')/',
])
def test_comments_strings_and_regexes_are_not_code(decoy):
    result = tickscript_dbrps(decoy + "\nstream|from()|influxDBOut().database('real').retentionPolicy('rp')")
    assert result["writes"] == pairs(("real", "rp"))
    assert result["reads"] == [] and result["dbrps"] == []


def test_division_is_not_a_regex():
    script = "stream|from()|eval(lambda: \"a\" / 2, lambda: \"b\" / \"c\").as('x', 'y')|influxDBOut().database('d')"
    assert tickscript_dbrps(script)["writes"] == pairs(("d", ""))


def test_several_outputs_are_deduplicated_and_sorted():
    script = """
    var data = stream|from()
    data|influxDBOut().database('b').retentionPolicy('r')
    data|influxDBOut().database('a').retentionPolicy('r')
    data|influxDBOut().database('b').retentionPolicy('r')
    """
    assert tickscript_dbrps(script)["writes"] == pairs(("a", "r"), ("b", "r"))


def test_from_in_a_where_clause_string_is_ignored():
    script = """batch|query('SELECT * FROM "a"."b"."m" WHERE "t" = \\'FROM x\\'')"""
    assert tickscript_dbrps(script)["reads"] == pairs(("a", "b"))


@pytest.mark.parametrize("script, message", [
    ("stream|from().where(lambda: \"x\" == 'open)", "unterminated string at line 1"),
    ("var q = '''SELECT", "unterminated triple-quoted string"),
    ("stream|from().where(lambda: \"x", "unterminated reference"),
    ("batch|query('SELECT * FROM (SELECT * FROM \"a\".\"b\".\"c\")')", "subquery"),
    ("dbrp telegraf autogen\nstream|from()", "cannot read the dbrp statement at line 1"),
    ("batch|query('SELECT * FROM \"a\".\"b\".\"c\"', 'extra')", "takes one argument"),
    ("stream|from()|influxDBOut(.database('x')", "unbalanced parentheses"),
])
def test_malformed_scripts_fail_clearly(script, message):
    with pytest.raises(TickscriptError, match=message):
        tickscript_dbrps(script, name="t")


def test_non_string_script_is_refused():
    with pytest.raises(TickscriptError, match="expected the TICKscript as a string"):
        tickscript_dbrps(None, name="t")


def test_model_dbrps_need_a_database():
    with pytest.raises(TickscriptError, match="every item of dbrps needs a db"):
        tickscript_dbrps("stream|from()", dbrps=[{"rp": "autogen"}], name="t")


def test_filter_is_registered():
    assert tickscript.FilterModule().filters()["tickscript_dbrps"] is tickscript_dbrps
