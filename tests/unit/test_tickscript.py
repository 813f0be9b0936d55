"""Unit tests of plugins/module_utils/tickscript.py: the one TICKscript lexer and what is read from it.

Expected tokens and errors are what Kapacitor 1.8.3's own lexer (tick/ast/lex.go) gives; the cases
marked "was:" are where the filter and kapacitor_task used to disagree.
"""

from __future__ import annotations


import pytest

import collection_path  # noqa: E402,F401 pylint: disable=unused-import  # the collection on sys.path

from ansible_collections.tickstack.influx.plugins.module_utils import tickscript as ts  # noqa: E402
from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput, TickstackError  # noqa: E402

TickscriptError = ts.TickscriptError

CPU_SCRIPT = """// CPU alert
dbrp "telegraf"."autogen"

var period = 5m
stream
    |from()
        .measurement('cpu')
        .where(lambda: "host" =~ /^web\\/[0-9]+/ AND "usage" / 2.5 > 10)
    |window()
        .period(period)
    |alert()
        .message('''it's {{ .Level }}''')
        .crit(lambda: "usage_idle" < 10)
"""

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


def pairs(*items):
    return [{"db": db, "rp": rp} for db, rp in items]


def kinds(script):
    return [(t.kind, t.value) for t in ts.tokens(script)]


# ------------------------------------------------------------------------------------------------
# Lexer
# ------------------------------------------------------------------------------------------------

def test_tokens_follow_kapacitors_lexer():
    tokens = kinds(CPU_SCRIPT)
    assert ("comment", "// CPU alert") in tokens
    assert tokens[1:5] == [("dbrp", "dbrp"), ("reference", '"telegraf"'), ("dot", "."), ("reference", '"autogen"')]
    assert ("var", "var") in tokens and ("duration", "5m") in tokens
    assert ("regex", "/^web\\/[0-9]+/") in tokens       # an escaped slash stays inside the regex
    assert ("op", "/") in tokens                          # after a reference "/" divides
    assert ("op", "AND") in tokens and ("number", "2.5") in tokens
    assert ("string", "'''it's {{ .Level }}'''") in tokens
    assert ("lambda", "lambda:") in tokens
    assert [v for k, v in tokens if k == "reference"] == ['"telegraf"', '"autogen"', '"host"', '"usage"', '"usage_idle"']


def test_line_numbers_count_multiline_tokens():
    script = "// a\n// b\nvar s = '''x\ny\nz'''\n\nstream\n  |from()"
    lines = {t.value: t.line for t in ts.tokens(script)}
    assert lines["// b"] == 2 and lines["var"] == 3 and lines["stream"] == 7 and lines["from"] == 8


@pytest.mark.parametrize("script, expected", [
    ('"a" / 2', [("reference", '"a"'), ("op", "/"), ("number", "2")]),          # division after an operand
    ("f() / 2", [("ident", "f"), ("lparen", "("), ("rparen", ")"), ("op", "/"), ("number", "2")]),
    ("var r = /a b/", [("var", "var"), ("ident", "r"), ("asgn", "="), ("regex", "/a b/")]),
    ("x =~ //", [("ident", "x"), ("op", "=~"), ("regex", "//")]),                 # Kapacitor: a regex, not a comment
    ("[/a/, /b/]", [("lsbracket", "["), ("regex", "/a/"), ("comma", ","), ("regex", "/b/"), ("rsbracket", "]")]),
    # Only "ms" is a two-letter unit: "3µs" is 3µ and s, "1.5m" a number and m (then a parse error).
    ("5ms 10u 3µs 1.5m", [("duration", "5ms"), ("duration", "10u"), ("duration", "3µ"), ("ident", "s"),
                          ("number", "1.5"), ("ident", "m")]),
    (".5 1. -1", [("number", ".5"), ("number", "1."), ("op", "-"), ("number", "1")]),
    ("lambda lambda: TRUE", [("ident", "lambda"), ("lambda", "lambda:"), ("true", "TRUE")]),
    ("'' 'it\\'s'", [("string", "''"), ("string", "'it\\'s'")]),
    ('"a\\"b"', [("reference", '"a\\"b"')]),
    ("a !~ /x/ OR !b", [("ident", "a"), ("op", "!~"), ("regex", "/x/"), ("op", "OR"), ("op", "!"), ("ident", "b")]),
    ("é_1", [("ident", "é_1")]),
    ("-1 (!x)", [("op", "-"), ("number", "1"), ("lparen", "("), ("op", "!"), ("ident", "x"), ("rparen", ")")]),
])
def test_kapacitor_token_rules(script, expected):
    assert kinds(script) == expected


def test_a_line_starting_with_slash_continues_a_comment():
    # Kapacitor's lexComment: after a comment line, a line whose first non-blank is "/" is comment too.
    assert kinds("// a\n  / b\nx") == [("comment", "// a"), ("comment", "/ b"), ("ident", "x")]
    assert kinds("// a\n\n/b/") == [("comment", "// a"), ("regex", "/b/")]
    assert kinds("// a\n/ b") == [("comment", "// a"), ("comment", "/ b")]


@pytest.mark.parametrize("script, message", [
    ("stream\n  |from() #\n", "line 2: unexpected character '#'"),   # was: the filter read "#" as an operator
    ("var x = 1;", "unexpected character ';'"),
    ("_x", "unexpected character '_'"),
    ("(+ 1)", r"unexpected character '\+'"),
    ("lambda : x", "unexpected character ':'"),
    ("x = 1.2.3", "multiple decimals in number"),
    ("\n'open", "line 2: unterminated string"),
    ("'''open", "unterminated string"),
    ("'a\\\\'", "unterminated string"),        # a backslash before a quote always escapes it
    ('"open', "unterminated field reference"),
    ("/open", "unterminated regex"),
])
def test_lexer_errors_are_kapacitors(script, message):
    with pytest.raises(TickscriptError, match=message):
        ts.tokens(script)


def test_errors_share_the_collection_root():
    assert issubclass(TickscriptError, InvalidInput) and issubclass(TickscriptError, TickstackError)
    assert issubclass(TickscriptError, ValueError)
    with pytest.raises(TickscriptError, match="expected the TICKscript as a string"):
        ts.tokens(None)


def test_literal_undoes_quotes_and_escapes():
    values = [ts.literal(t) for t in ts.tokens("'it\\'s' '''a'b''' \"r\\\"q\" =~ /a\\/b/ x")]
    assert values == ["it's", "a'b", 'r"q', "=~", "a/b", "x"]


def test_lexer_counts_lines_of_a_long_script():
    # Speed is measured by tools/bench/tickscript_scan.py (make bench), not asserted here: a timed
    # unit test flakes on a loaded machine.
    body = "".join("var v%d = 'x'\nstream|from().where(lambda: \"a\" / 2 > %d) // c\n" % (i, i) for i in range(10000))
    result = ts.tokens(body)
    assert result[-1].line == 20000


# ------------------------------------------------------------------------------------------------
# script_key, script_type, script_dbrps (kapacitor_task, kapacitor_template, kapacitor_topic_handler)
# ------------------------------------------------------------------------------------------------

def same(a, b):
    return ts.script_key(a) == ts.script_key(b)


def test_reindented_script_is_the_same():
    flat = ("// CPU alert\ndbrp \"telegraf\".\"autogen\" var period=5m stream|from().measurement('cpu')"
            ".where(lambda:\"host\"=~/^web\\/[0-9]+/ AND \"usage\"/2.5>10)|window().period(period)"
            "|alert().message('''it's {{ .Level }}''').crit(lambda: \"usage_idle\"<10)")
    assert same(CPU_SCRIPT, flat)
    assert same(CPU_SCRIPT, CPU_SCRIPT.replace("\n", "\r\n"))


@pytest.mark.parametrize("changed", [
    CPU_SCRIPT.replace("'cpu'", "'mem'"),                 # a string
    CPU_SCRIPT.replace("'cpu'", "' cpu'"),                # whitespace inside a string counts
    CPU_SCRIPT.replace("5m", "5 m"),                      # a duration is one token
    CPU_SCRIPT.replace("// CPU alert", "// CPU alerts"),  # comments are stored, so they count
    CPU_SCRIPT.replace("< 10", "<= 10"),
    CPU_SCRIPT.replace("/^web", "/^db"),
])
def test_real_changes_are_changes(changed):
    assert not same(CPU_SCRIPT, changed)


def test_unlexable_script_compares_by_trimmed_lines():
    broken = "stream\n  |from(\n  .measurement('cpu)  \n"
    assert ts.script_key(broken)[0] == "<raw>"
    assert same(broken, broken.replace("  \n", "\n"))
    assert not same(broken, broken.replace("cpu", "mem"))
    assert ts.script_key(None) is None


@pytest.mark.parametrize("script,expected", [
    (CPU_SCRIPT, "stream"),
    ("batch\n  |query('SELECT 1')\n  .every(10s)", "batch"),
    ("var data = batch\n|query('SELECT 1')\ndata|httpOut('x')", "batch"),
    ("var stream_name = 'x'\nstream|from().measurement(stream_name)", "stream"),
    ("var x = 5m\nstream|from()", "stream"),
    ("stream|from()\nbatch|query('SELECT 1')", None),   # Kapacitor refuses mixed sources
    ("var x = 5m", None),
    ("stream|from().where(lambda: \"batch\" > 1)", "stream"),
    ("stream|from()|join(batch)", "stream"),              # an argument, not a source
    ("stream(1)", None),                                   # a call, not a source
    ("stream|from(", "stream"),
    ("stream|from() #", None),                            # does not lex
    (None, None),
])
def test_script_type(script, expected):
    assert ts.script_type(script) == expected


def test_script_dbrps():
    script = 'dbrp "tele\\"graf"."autogen"\ndbrp "b" // why\n  ."one_week"\n// dbrp "c"."d"\nstream|from()'
    assert ts.script_dbrps(script) == pairs(('tele"graf', "autogen"), ("b", "one_week"))
    assert ts.script_dbrps("stream|from()") == []
    assert ts.script_dbrps(None) == []


@pytest.mark.parametrize("script", [
    "dbrp telegraf.autogen\nstream|from()",   # was: the filter found telegraf/autogen, kapacitor_task none
    "dbrp 'telegraf'.'autogen'\nstream|from()",
    'dbrp "telegraf"\nstream|from()',
    'stream|from()\n  .dbrp("a")',
])
def test_dbrp_statements_kapacitor_refuses_are_refused(script):
    # Kapacitor's parser (tick/ast/parser.go dbrp()) wants reference "." reference after the keyword.
    with pytest.raises(TickscriptError, match=r'^invalid TICKscript: line \d+: cannot read the dbrp statement.*'
                                              r'dbrp "telegraf"\."autogen"'):
        ts.script_dbrps(script)
    with pytest.raises(TickscriptError, match="cannot read the dbrp statement"):
        ts.scan(script, name="t")


def test_hash_fails_in_both_users():
    # was: the filter scanned "#" as an operator while kapacitor_task's lexer refused it
    script = 'dbrp "a"."b"\nstream|from() # note'
    with pytest.raises(TickscriptError, match="^invalid TICKscript: line 2: unexpected character '#'"):
        ts.script_dbrps(script)
    with pytest.raises(TickscriptError, match="t: line 2: unexpected character '#'"):
        ts.scan(script, name="t")


# ------------------------------------------------------------------------------------------------
# InfluxQL
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("query, expected", [
    ('SELECT * FROM "db"."rp"."m"', [("db", "rp", "m")]),
    ("SELECT * FROM db..m, rp.m, m", [("db", "", "m"), ("", "rp", "m"), ("", "", "m")]),
    ('SELECT count(v) FROM telegraf.autogen./cpu.*/, "my-db"."my rp"."m\\"x"',
     [("telegraf", "autogen", "/cpu.*/"), ("my-db", "my rp", 'm"x')]),
    ('SELECT a / b FROM "d"."r"."m" WHERE "t" =~ /FROM x.y.z/ AND c / 2 > 1', [("d", "r", "m")]),
    ("SELECT * -- FROM x.y.z\nFROM a.b.c", [("a", "b", "c")]),
    ("SELECT * /* FROM x.y.z */ FROM a.b.c", [("a", "b", "c")]),
    ("SELECT * FROM a.b.c WHERE t = 'FROM x.y.z'", [("a", "b", "c")]),
    ('SELECT "from" FROM a.b."from"', [("a", "b", "from")]),
    ("select * from a.b.c", [("a", "b", "c")]),
    ("SELECT max(v) FROM (SELECT mean(v) AS v FROM a.b.c GROUP BY time(1m)), d.e.f",
     [("a", "b", "c"), ("d", "e", "f")]),
    ("SELECT * FROM (SELECT * FROM (SELECT * FROM a.b.c), d.e.f)", [("a", "b", "c"), ("d", "e", "f")]),
    ("SELECT 1", []),
])
def test_query_sources(query, expected):
    assert ts.query_sources(query) == expected


@pytest.mark.parametrize("query, message", [
    ("SELECT * FROM a.b.c.d", "cannot read the FROM clause"),
    ("SELECT * FROM /a/.b.c", "cannot read the FROM clause"),
    ("SELECT * FROM", "FROM without a source"),
    ("SELECT * FROM a.b.c WHERE t = 'open", "unterminated string"),
    ('SELECT "open FROM a.b.c', "unterminated identifier"),
    ("SELECT * FROM /open", "unterminated regex"),
    ("SELECT * /* FROM a.b.c", "unterminated /"),
    ("SELECT * INTO x.y.z FROM a.b.c", "INTO"),
])
def test_query_errors(query, message):
    with pytest.raises(TickscriptError, match=message):
        ts.query_sources(query)


# ------------------------------------------------------------------------------------------------
# scan(): what a task reads and writes (the tickscript_dbrps filter and the stack's plan)
# ------------------------------------------------------------------------------------------------

def test_scan_returns_exactly_the_filter_keys():
    assert set(ts.scan(STREAM)) == {"type", "dbrps", "dbrps_in_script", "queries", "reads", "writes"}


def test_stream_task_dbrp_and_write_back():
    result = ts.scan(STREAM)
    assert result["type"] == "stream"
    assert result["dbrps"] == pairs(("telegraf", "autogen"))
    assert result["dbrps_in_script"] is True
    # A stream task gets its points from Kapacitor's write API: it reads nothing from InfluxDB.
    assert result["reads"] == [] and result["queries"] == []
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
    result = ts.scan(script, default_rps={"other": "forever", "rollups": "one_year"})
    assert result["type"] == "batch"
    assert result["queries"] == pairs(("other", "forever"), ("telegraf", "autogen"))
    assert result["reads"] == pairs(("other", "forever"), ("telegraf", "autogen"))
    assert result["writes"] == pairs(("rollups", "one_year"))


def test_missing_retention_policy_without_default_stays_empty():
    result = ts.scan("batch|query('SELECT * FROM db..m')|influxDBOut().database('x')")
    assert result["reads"] == pairs(("db", ""))
    assert result["writes"] == pairs(("x", ""))


def test_subquery_sources_are_reads():
    # Kapacitor sends the whole query to InfluxDB, which reads the subquery's sources.
    script = "batch|query('SELECT max(v) FROM (SELECT mean(v) AS v FROM \"a\".\"b\".\"c\")')"
    assert ts.scan(script)["reads"] == pairs(("a", "b"))


def test_reference_page_query_without_database_names_the_task_and_asks_for_reads():
    with pytest.raises(TickscriptError, match=r"errors_task: line 3: the batch query reads requests without naming "
                                              r"its database.*set reads and writes \(and dbrps\) on the task"):
        ts.scan(REFERENCE_BATCH, name="errors_task")


def test_vars_resolve_names_and_task_vars_override():
    script = """
    var rp = 'autogen'
    var out_db = 'scratch'
    var q = 'SELECT max(v) FROM "telegraf"."autogen"."m"'
    batch
        |query(q)
        |influxDBOut()
            .database(out_db)
            .retentionPolicy(rp)
    """
    result = ts.scan(script, vars={"out_db": {"type": "string", "value": "results"}})
    assert result["reads"] == pairs(("telegraf", "autogen"))
    assert result["writes"] == pairs(("results", "autogen"))
    assert ts.scan(script, vars={"out_db": "plain"})["writes"] == pairs(("plain", "autogen"))
    # A var that is not a string does not resolve a name.
    with pytest.raises(TickscriptError, match="cannot tell the database of influxDBOut"):
        ts.scan(script.replace("var out_db = 'scratch'", ""), vars={"out_db": {"type": "int", "value": 3}})


def test_template_var_declared_without_value_comes_from_the_task_vars():
    template = "var db string\nvar rp string\nstream|from()|influxDBOut().database(db).retentionPolicy(rp)"
    result = ts.scan(template, vars={"db": {"type": "string", "value": "d"}, "rp": {"type": "string", "value": "r"}})
    assert result["writes"] == pairs(("d", "r"))


@pytest.mark.parametrize("script, message", [
    ("batch|queryFlux('from(bucket: \"b\")')", r"line 1: queryFlux\(\) reads with Flux"),
    ("var q string\nbatch|query(q)", r"line 2: cannot tell the query of query\(\) \(q\)"),
    ("var db = 'x'\nbatch|query('SELECT * FROM ' + db + '.rp.m')", r"cannot tell the query of query\(\) \('SELECT"),
    ("stream|from()|influxDBOut().database(somewhere)", r"cannot tell the database of influxDBOut\(\) \(somewhere\)"),
    ("stream|from()|influxDBOut().database('d').retentionPolicy(r)", "cannot tell the retention policy"),
    ("batch|query('SELECT 1')", "no FROM clause"),
])
def test_unreadable_sources_name_the_task_and_ask_for_reads_and_writes(script, message):
    with pytest.raises(TickscriptError, match=r"^copy_task: .*" + message + r".*set reads and writes \(and dbrps\) on "
                                              r"the task instead$"):
        ts.scan(script, name="copy_task")


def test_unreadable_sources_are_left_out_when_the_caller_has_reads_and_writes():
    script = ("batch|queryFlux('x')\nvar q string\nbatch|query(q)|influxDBOut().database(elsewhere)\n"
              "batch|query('SELECT * FROM a.b.c, m')|influxDBOut().database('w')")
    result = ts.scan(script, name="t", allow_unreadable=True)
    assert result["reads"] == pairs(("a", "b")) and result["writes"] == pairs(("w", ""))
    with pytest.raises(TickscriptError, match="unterminated string"):  # syntax errors still fail
        ts.scan("batch|query('x", allow_unreadable=True)


@pytest.mark.parametrize("script, message", [
    ("stream|from()|influxDBOut().measurement('x')", r"t: line 1: influxDBOut\(\) has no .database\(\); Kapacitor needs one"),
    ("stream|from()|influxDBOut().database('')", "empty .database"),
    ("batch|query('SELECT * FROM a.b.c', 'extra')", "takes one argument"),
    ("stream|from()|influxDBOut(.database('x')", "unbalanced parentheses"),
    ("stream|from()\nbatch|query('SELECT * FROM a.b.c')", "both stream and batch"),
    ("batch|query('SELECT * FROM a.b.c.d')", r"t: line 1: cannot read the FROM clause"),
    ("stream|from().where(lambda: \"x\" == 'open)", "t: line 1: unterminated string"),
])
def test_malformed_scripts_fail_clearly(script, message):
    with pytest.raises(TickscriptError, match=message):
        ts.scan(script, name="t")


def test_dbrps_from_the_model_when_the_script_has_no_dbrp_statement():
    script = "stream|from().measurement('cpu')|alert().crit(lambda: \"usage_idle\" < 10)"
    result = ts.scan(script, dbrps=[{"db": "telegraf", "rp": "autogen"}])
    assert result["dbrps"] == pairs(("telegraf", "autogen"))
    assert result["dbrps_in_script"] is False
    assert result["writes"] == []


def test_script_dbrp_statements_win_over_model_dbrps():
    result = ts.scan('dbrp "a"."b"\nstream|from()', dbrps=[{"db": "c", "rp": "d"}])
    assert result["dbrps"] == pairs(("a", "b"))
    assert result["dbrps_in_script"] is True


def test_batch_dbrps_are_reads():
    assert ts.scan('dbrp "a"."b"\nbatch|query(\'SELECT * FROM "a"."b"."m"\')')["reads"] == pairs(("a", "b"))
    model = ts.scan("batch|query('SELECT * FROM x.y.m')", dbrps=[{"db": "c", "rp": ""}], default_rps={"c": "cc"})
    assert model["reads"] == pairs(("c", "cc"), ("x", "y")) and model["dbrps"] == pairs(("c", "cc"))


@pytest.mark.parametrize("decoy", [
    "// influxDBOut().database('commented')",
    "var s = '|influxDBOut().database(\\'in a string\\')'",
    "var s = '''|query('SELECT * FROM \"x\".\"y\".\"z\"')'''",
    'var r = lambda: "dbrp" =~ /influxDBOut().database(\'r\')/',
    "var r = /|influxDBOut().database('r')/",
])
def test_comments_strings_and_regexes_are_not_code(decoy):
    result = ts.scan(decoy + "\nstream|from()|influxDBOut().database('real').retentionPolicy('rp')")
    assert result["writes"] == pairs(("real", "rp"))
    assert result["reads"] == [] and result["dbrps"] == []


def test_division_is_not_a_regex():
    script = "stream|from()|eval(lambda: \"a\" / 2, lambda: \"b\" / \"c\").as('x', 'y')|influxDBOut().database('d')"
    assert ts.scan(script)["writes"] == pairs(("d", ""))


def test_several_outputs_are_deduplicated_and_sorted():
    script = """
    var data = stream|from()
    data|influxDBOut().database('b').retentionPolicy('r')
    data|influxDBOut().database('a').retentionPolicy('r')
    data|influxDBOut().database('b').retentionPolicy('r')
    """
    assert ts.scan(script)["writes"] == pairs(("a", "r"), ("b", "r"))


def test_non_string_script_and_bad_model_dbrps_are_refused():
    with pytest.raises(TickscriptError, match="t: expected the TICKscript as a string"):
        ts.scan(None, name="t")
    with pytest.raises(TickscriptError, match="t: every item of dbrps needs a db"):
        ts.scan("stream|from()", dbrps=[{"rp": "autogen"}], name="t")


def test_scan_of_a_long_script():
    script = "dbrp \"a\".\"b\"\nbatch\n" + "".join(
        "|query('SELECT mean(v) / 2 FROM \"a\".\"b\".\"m%d\" -- c') // c\n|influxDBOut().database('w%d')\n" % (i, i % 7)
        for i in range(10000))
    result = ts.scan(script)
    assert len(result["writes"]) == 7


# ------------------------------------------------------------------------------------------------
# The tickscript_dbrps filter is scan() under Ansible's error type
# ------------------------------------------------------------------------------------------------

def test_filter_is_scan_and_fails_as_a_filter_error():
    from ansible.errors import AnsibleFilterError

    from ansible_collections.tickstack.influx.plugins.filter import tickscript as tickscript_filter

    tickscript_dbrps = tickscript_filter.FilterModule().filters()["tickscript_dbrps"]
    script = "stream|from()|influxDBOut().database(db)"
    assert tickscript_dbrps(script, dbrps=[{"db": "t", "rp": "a"}], vars={"db": "w"}, default_rps={"w": "r"},
                            name="x") == ts.scan(script, vars={"db": "w"}, default_rps={"w": "r"}, name="x",
                                                 dbrps=[{"db": "t", "rp": "a"}])
    with pytest.raises(AnsibleFilterError, match="^cpu_alert: line 1: cannot tell the database") as raised:
        tickscript_dbrps(script, name="cpu_alert")
    assert isinstance(raised.value.__cause__, TickscriptError)
    assert tickscript_dbrps(script, name="cpu_alert", allow_unreadable=True)["writes"] == []
