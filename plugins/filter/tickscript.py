# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``tickscript_dbrps`` filter: which databases and retention policies a TICKscript uses.

Kapacitor reaches InfluxDB 2 through its 1.x compatibility API, where every read and write names a
database and retention policy (a DBRP) that InfluxDB maps to a bucket. The stack role grants
Kapacitor's token exactly the buckets behind the DBRPs its tasks use, so it needs them from the
scripts: ``dbrp`` statements, the ``FROM`` clauses of batch ``query()`` nodes and the
``.database()``/``.retentionPolicy()`` properties of ``influxDBOut()`` nodes.

The scan follows Kapacitor's own lexer (tick/ast/lex.go) closely enough that strings, references,
regexes and comments never produce false matches; it is not a full TICKscript parser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # the unit tests also run the scanner without Ansible
    AnsibleFilterError = ValueError  # type: ignore[misc,assignment]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9][0-9.]*[A-Za-zµ]*")
# Tokens after which "/" divides; anywhere else it starts a regex (as in Kapacitor's lexer).
_VALUE_KINDS = frozenset({"ident", "string", "ref", "number", "rparen", "regex"})
_PUNCTUATION = {"(": "lparen", ")": "rparen", "|": "pipe", "@": "at", ",": "comma", ".": "dot",
                "[": "other", "]": "other", "=": "equals"}


class TickscriptError(AnsibleFilterError):
    """A script the scanner cannot read, or a DBRP it cannot determine."""


class Token(NamedTuple):
    kind: str
    value: str
    line: int


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _read_string(text: str, pos: int) -> tuple[str, int]:
    """A single- or triple-quoted TICKscript string starting at ``pos``; returns (value, end)."""
    if text.startswith("'''", pos):
        end = text.find("'''", pos + 3)
        if end < 0:
            raise TickscriptError("unterminated triple-quoted string at line %d" % _line_of(text, pos))
        return text[pos + 3:end], end + 3
    out = []
    i = pos + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and text.startswith("'", i + 1):
            out.append("'")
            i += 2
            continue
        if char == "'":
            return "".join(out), i + 1
        out.append(char)
        i += 1
    raise TickscriptError("unterminated string at line %d" % _line_of(text, pos))


def _read_delimited(text: str, pos: int, delimiter: str, what: str) -> tuple[str, int]:
    """A ``"reference"`` or ``/regex/`` starting at ``pos`` (backslash escapes the delimiter)."""
    out = []
    i = pos + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and text.startswith(delimiter, i + 1):
            out.append(delimiter)
            i += 2
            continue
        if char == delimiter:
            return "".join(out), i + 1
        out.append(char)
        i += 1
    raise TickscriptError("unterminated %s at line %d" % (what, _line_of(text, pos)))


def tokenize(script: str) -> list[Token]:
    """Split a TICKscript into tokens; comments and whitespace are dropped."""
    tokens: list[Token] = []
    i = 0
    while i < len(script):
        char = script[i]
        line = _line_of(script, i)
        if char.isspace():
            i += 1
        elif script.startswith("//", i):
            end = script.find("\n", i)
            i = len(script) if end < 0 else end
        elif char == "'":
            value, i = _read_string(script, i)
            tokens.append(Token("string", value, line))
        elif char == '"':
            value, i = _read_delimited(script, i, '"', "reference")
            tokens.append(Token("ref", value, line))
        elif char == "/" and not (tokens and tokens[-1].kind in _VALUE_KINDS):
            value, i = _read_delimited(script, i, "/", "regex")
            tokens.append(Token("regex", value, line))
        elif match := _IDENT.match(script, i):
            tokens.append(Token("ident", match.group(), line))
            i = match.end()
        elif match := _NUMBER.match(script, i):
            tokens.append(Token("number", match.group(), line))
            i = match.end()
        elif char in _PUNCTUATION:
            if char == "=" and script.startswith(("==", "=~"), i):
                tokens.append(Token("operator", script[i:i + 2], line))
                i += 2
            else:
                tokens.append(Token(_PUNCTUATION[char], char, line))
                i += 1
        else:
            tokens.append(Token("operator", char, line))
            i += 1
    return tokens


# --- InfluxQL FROM clauses ------------------------------------------------------------------------

_INFLUXQL_TOKEN = re.compile(
    r"""\s+|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|/(?:[^/\\]|\\.)*/|[A-Za-z_][A-Za-z0-9_]*|[0-9][0-9.]*[a-zµ]*|.""",
    re.DOTALL,
)


def _influxql_tokens(query: str) -> list[str]:
    return [t for t in _INFLUXQL_TOKEN.findall(query) if not t.isspace()]


def _identifier(token: str) -> str | None:
    """The name an InfluxQL identifier token stands for, None for anything else."""
    if token.startswith('"') and len(token) >= 2:
        return re.sub(r'\\(.)', r'\1', token[1:-1])
    if _IDENT.fullmatch(token):
        return token
    return None


def query_sources(query: str) -> list[tuple[str, str, str]]:
    """(database, retention policy, measurement) of each source in the FROM clause of ``query``.

    Missing parts are empty strings: ``FROM cpu`` is ("", "", "cpu"), ``FROM "db".."cpu"`` is
    ("db", "", "cpu"). Kapacitor accepts only measurements as batch sources (no subqueries).
    """
    tokens = _influxql_tokens(query)
    sources: list[tuple[str, str, str]] = []
    i = 0
    while i < len(tokens):
        if tokens[i].upper() != "FROM" or (i > 0 and tokens[i - 1] == "."):
            i += 1
            continue
        i += 1
        while i < len(tokens):
            if tokens[i] == "(":
                raise TickscriptError("a batch query cannot use a subquery as its source: %s" % query.strip())
            segments = [""]
            while i < len(tokens):
                token = tokens[i]
                if token == ".":
                    segments.append("")
                elif token.startswith("/") and len(token) >= 2:
                    segments[-1] = token
                else:
                    name = _identifier(token)
                    if name is None or segments[-1]:
                        break
                    segments[-1] = name
                i += 1
            if len(segments) > 3 or not segments[-1]:
                raise TickscriptError("cannot read the FROM clause of query: %s" % query.strip())
            padded = [""] * (3 - len(segments)) + segments
            sources.append((padded[0], padded[1], padded[2]))
            if i < len(tokens) and tokens[i] == ",":
                i += 1
                continue
            break
    return sources


# --- TICKscript analysis --------------------------------------------------------------------------

def _skip_parens(tokens: list[Token], i: int) -> tuple[list[list[Token]], int]:
    """Arguments of the call whose "(" is at ``i``, each a token list; returns (args, index after ")")."""
    depth = 0
    args: list[list[Token]] = [[]]
    start = i
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "lparen":
            depth += 1
            if depth > 1:
                args[-1].append(token)
        elif token.kind == "rparen":
            depth -= 1
            if depth == 0:
                return ([] if args == [[]] else args), i + 1
            args[-1].append(token)
        elif token.kind == "comma" and depth == 1:
            args.append([])
        else:
            args[-1].append(token)
        i += 1
    raise TickscriptError("unbalanced parentheses after line %d" % tokens[start].line)


def _var_value(var: Any) -> Any:
    """The value of a task var as given to kapacitor_task (plain, or {type, value})."""
    if isinstance(var, Mapping):
        return var.get("value")
    return var


class _Scope:
    """String values of the script's ``var`` declarations, overridden by the task's vars."""

    def __init__(self, tokens: list[Token], overrides: Mapping[str, Any]):
        self.values: dict[str, str] = {}
        for i, token in enumerate(tokens[:-3]):
            if (token.kind == "ident" and token.value == "var" and tokens[i + 1].kind == "ident"
                    and tokens[i + 2].kind == "equals" and tokens[i + 3].kind == "string"):
                self.values[tokens[i + 1].value] = tokens[i + 3].value
        for name, var in (overrides or {}).items():
            value = _var_value(var)
            if isinstance(value, str):
                self.values[str(name)] = value

    def resolve(self, arg: list[Token], what: str, task: str) -> str:
        if len(arg) == 1 and arg[0].kind == "string":
            return arg[0].value
        if len(arg) == 1 and arg[0].kind == "ident" and arg[0].value in self.values:
            return self.values[arg[0].value]
        shown = " ".join(t.value for t in arg) or "nothing"
        raise TickscriptError(
            "%s: cannot tell the %s at line %d (%s): use a string literal, a var declared with a "
            "string value, or give the var's value in the task's vars"
            % (task, what, arg[0].line if arg else 0, shown))


def _pair(db: str, rp: str) -> dict[str, str]:
    return {"db": db, "rp": rp}


def _unique(pairs: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    seen = sorted({(p["db"], p["rp"]) for p in pairs})
    return [_pair(db, rp) for db, rp in seen]


def _normalize_dbrps(dbrps: Any, task: str) -> list[dict[str, str]]:
    out = []
    for item in dbrps or []:
        if not isinstance(item, Mapping) or not item.get("db"):
            raise TickscriptError("%s: every item of dbrps needs a db (and an rp), got %r" % (task, item))
        out.append(_pair(str(item["db"]), str(item.get("rp") or "")))
    return out


def analyze(script: str, dbrps: Any = None, variables: Any = None, default_rps: Any = None,
            name: str = "the TICKscript") -> dict[str, Any]:
    """What ``script`` reads and writes, as db/rp pairs; see the filter's documentation."""
    if not isinstance(script, str):
        raise TickscriptError("%s: expected the TICKscript as a string, got %s" % (name, type(script).__name__))
    defaults = {str(k): str(v) for k, v in (default_rps or {}).items()}
    tokens = tokenize(script)
    scope = _Scope(tokens, variables or {})

    task_type = None
    declared: list[dict[str, str]] = []
    queried: list[dict[str, str]] = []
    written: list[dict[str, str]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        previous = tokens[i - 1].kind if i > 0 else None
        if token.kind == "ident" and token.value == "dbrp" and previous not in ("dot", "pipe", "at"):
            parts = tokens[i + 1:i + 4]
            if (len(parts) < 3 or parts[1].kind != "dot"
                    or any(p.kind not in ("ref", "ident") for p in (parts[0], parts[2]))):
                raise TickscriptError('%s: cannot read the dbrp statement at line %d; write it as dbrp "db"."rp"'
                                      % (name, token.line))
            declared.append(_pair(parts[0].value, parts[2].value))
            i += 4
            continue
        if (token.kind == "ident" and token.value in ("stream", "batch") and task_type is None
                and previous not in ("dot", "pipe", "at")):
            task_type = token.value
        if token.kind == "ident" and previous == "pipe" and i + 1 < len(tokens) and tokens[i + 1].kind == "lparen":
            args, after = _skip_parens(tokens, i + 1)
            if token.value == "query":
                if len(args) != 1:
                    raise TickscriptError("%s: query() at line %d takes one argument" % (name, token.line))
                query = scope.resolve(args[0], "query", name)
                for db, rp, measurement in query_sources(query):
                    if not db:
                        raise TickscriptError(
                            '%s: the batch query at line %d reads %s without naming its database; '
                            'write FROM "db"."rp"."measurement"' % (name, token.line, measurement))
                    queried.append(_pair(db, rp))
            elif token.value == "influxDBOut":
                database = retention_policy = None
                while (after + 2 < len(tokens) and tokens[after].kind == "dot"
                       and tokens[after + 1].kind == "ident" and tokens[after + 2].kind == "lparen"):
                    prop = tokens[after + 1].value
                    prop_args, after = _skip_parens(tokens, after + 2)
                    if prop == "database" and prop_args:
                        database = scope.resolve(prop_args[0], "database of influxDBOut()", name)
                    elif prop == "retentionPolicy" and prop_args:
                        retention_policy = scope.resolve(prop_args[0], "retention policy of influxDBOut()", name)
                if not database:
                    raise TickscriptError("%s: influxDBOut() at line %d has no .database(); Kapacitor needs one"
                                          % (name, token.line))
                written.append(_pair(database, retention_policy or ""))
            i = after
            continue
        i += 1

    in_script = bool(declared)
    declared = declared or _normalize_dbrps(dbrps, name)

    def with_default(pairs: list[dict[str, str]]) -> list[dict[str, str]]:
        # An empty rp means the database's default retention policy, as InfluxDB resolves it.
        return _unique([_pair(p["db"], p["rp"] or defaults.get(p["db"], "")) for p in pairs])

    reads = queried + declared if task_type == "batch" else []
    return {
        "type": task_type,
        "dbrps": with_default(declared),
        "dbrps_in_script": in_script,
        "queries": with_default(queried),
        "reads": with_default(reads),
        "writes": with_default(written),
    }


def tickscript_dbrps(script: str, dbrps: Any = None, vars: Any = None, default_rps: Any = None,  # noqa: A002
                     name: str = "the TICKscript") -> dict[str, Any]:
    """Ansible filter entry point (``vars`` is the option name users know from kapacitor_task)."""
    try:
        return analyze(script, dbrps=dbrps, variables=vars, default_rps=default_rps, name=name)
    except TickscriptError:
        raise
    except Exception as e:  # a bug in the scanner must still name the task
        raise TickscriptError("%s: cannot analyse the TICKscript: %s" % (name, e)) from e


class FilterModule:
    """TICKscript analysis filters."""

    def filters(self) -> dict[str, Any]:
        return {"tickscript_dbrps": tickscript_dbrps}
