# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one TICKscript lexer of the collection, and what is read from its tokens.

:func:`tokens` follows Kapacitor 1.8's own lexer (``tick/ast/lex.go``) rule for rule, so a script
lexes here exactly when it lexes in Kapacitor:

* after an operand (a word, keywords and ``lambda:`` included, a number, duration, string,
  reference or ``)``) a ``/`` divides; anywhere else it starts a regex, and so it does right
  after ``=``, ``=~`` and ``!~``;
* ``//`` starts a comment to the end of the line; a following line whose first non-blank
  character is ``/`` continues that comment (Kapacitor's lexer does the same);
* ``#``, ``;``, ``:`` (outside ``lambda:``), ``{``, ``_`` at the start of a word, and ``+``, ``=``,
  ``<`` ... where no operand precedes them are errors, as in Kapacitor;
* ``var``, ``dbrp``, ``lambda:``, ``TRUE``, ``FALSE``, ``AND`` and ``OR`` are keywords.

It was checked against Kapacitor 1.8.3's lexer itself on 110,000 generated scripts: the same
tokens on the same lines, and the same scripts refused.

The lexer is one pass; line numbers are counted as it goes, so its cost is linear in the
script's length. Every user of TICKscript in the collection (the ``kapacitor_*`` modules, the
``tickscript_dbrps`` filter and the stack's plan) reads scripts through this module, so they can
never disagree about a script.

``dbrp`` statements are read as Kapacitor's parser reads them (``tick/ast/parser.go``): the
keyword, a double-quoted reference, a dot and another reference: ``dbrp "telegraf"."autogen"``.
``dbrp telegraf.autogen`` is a parse error in Kapacitor, so it is one here.

InfluxQL inside ``query()`` is read with InfluxQL's rules (``influxql/scanner.go``): ``--`` and
``/* */`` comments, single-quoted strings, double-quoted identifiers, ``/`` dividing after a value
and starting a regex elsewhere, several comma-separated sources and subqueries (checked against
influxql's parser on 16,000 generated queries: the same sources).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from ansible_collections.tickstack.influx.plugins.module_utils.errors import InvalidInput

TASK_TYPES = ("stream", "batch")
ADVICE = "set reads and writes (and dbrps) on the task instead"


class TickscriptError(InvalidInput):
    """A script that does not lex or parse, or whose databases cannot be determined."""


class Token(NamedTuple):
    """One token: ``kind`` (see :data:`KINDS`), ``value`` (its source text), ``line`` (1-based)."""

    kind: str
    value: str
    line: int


# Token kinds, named after Kapacitor's token types. Operators (+ - * / % == != < > <= >= =~ !~
# ! AND OR) are all "op"; a comment is one token per line, trailing blanks dropped.
KINDS = ("var", "dbrp", "asgn", "dot", "pipe", "at", "ident", "reference", "lambda", "number",
         "string", "duration", "lparen", "rparen", "lsbracket", "rsbracket", "comma", "true",
         "false", "regex", "comment", "star", "op")

# One regex per lexer state. Kapacitor's strings, references and regexes end at the first
# delimiter not right after a backslash (a backslash escapes only the delimiter), so each body is
# "anything but delimiter/backslash, or a backslash and the delimiter, or a backslash before
# anything else": the alternatives never overlap, so a failed match cannot backtrack into a wrong one.
_BODY = r"(?:[^{q}\\]|\\{q}|\\(?=[^{q}]))*"
_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<comment>//[^\n]*)"
    r"|(?P<string>'''.*?'''|'(?!'')" + _BODY.format(q="'") + r"')"
    r'|(?P<reference>"' + _BODY.format(q='"') + r'")'
    r"|(?P<regex>/" + _BODY.format(q="/") + r"/)"
    r"|(?P<duration>\d+(?:ms|[uµsmhdw]))"
    r"|(?P<number>\d+(?:\.\d*)?|\.\d+)"
    r"|(?P<dot>\.)"
    r"|(?P<word>[^\W\d_]\w*)"
    r"|(?P<unary>[-!])"
    r"|(?P<punct>[()\[\]|@,*])"
    r")",
    re.DOTALL)
# After an operand (Kapacitor's tryLexBinaryOperator): an operator, or back to _TOKEN.
_BINARY = re.compile(r"\s*(?:(?P<op>==|=~|!=|!~|<=|>=|[+\-*%<>!]|/(?!/))|(?P<asgn>=))")
# Right after "=", "=~" or "!~" a "/" starts a regex, even "//".
_REGEX = re.compile(r"\s*(?P<regex>/" + _BODY.format(q="/") + r"/)")
_SPACE = re.compile(r"\s*")
_KEYWORDS = {"var": "var", "dbrp": "dbrp", "TRUE": "true", "FALSE": "false", "AND": "op", "OR": "op"}
_PUNCTUATION = {"(": "lparen", ")": "rparen", "[": "lsbracket", "]": "rsbracket", "|": "pipe", "@": "at",
                ",": "comma", "*": "star"}
_UNTERMINATED = {"'": "unterminated string", '"': "unterminated field reference", "/": "unterminated regex"}


def _fail(line: int, message: str) -> TickscriptError:
    return TickscriptError("line %d: %s" % (line, message))


def _lex_error(script: str, pos: int, line: int) -> TickscriptError:
    """The error Kapacitor's lexer gives at ``pos``, a non-blank character on ``line``."""
    char = script[pos]
    if char in _UNTERMINATED:
        return _fail(line, _UNTERMINATED[char])
    hint = "; TICKscript comments start with //" if char == "#" else ""
    return _fail(line, "unexpected character %r (Kapacitor's lexer refuses it here%s)" % (char, hint))


def tokens(script: str) -> list[Token]:
    """The tokens of ``script`` as Kapacitor's lexer splits it; whitespace is dropped.

    Raises :class:`TickscriptError` (with the line) where Kapacitor's lexer fails.
    """
    if not isinstance(script, str):
        raise TickscriptError("expected the TICKscript as a string, got %s" % type(script).__name__)
    out: list[Token] = []
    append = out.append
    count = script.count
    token_match, binary_match, regex_match = _TOKEN.match, _BINARY.match, _REGEX.match
    n = len(script)
    pos = 0
    line = 1
    counted = 0        # the newlines before this index are in ``line``
    operand = False    # Kapacitor's tryLexBinaryOperator state
    regex_next = False
    while pos < n:
        if operand:
            operand = False
            match = binary_match(script, pos)
            if match:
                kind = match.lastgroup
                start = match.start(kind)
                line += count("\n", counted, start)
                counted = start
                text = match.group(kind)
                append(Token(kind, text, line))
                pos = match.end()
                regex_next = kind == "asgn" or text in ("=~", "!~")
                continue
        if regex_next:
            regex_next = False
            match = regex_match(script, pos)
            if match:
                start = match.start("regex")
                line += count("\n", counted, start)
                counted = start
                append(Token("regex", match.group("regex"), line))
                pos = match.end()
                continue
        match = token_match(script, pos)
        if match is None:
            start = _SPACE.match(script, pos).end()
            if start >= n:
                break
            raise _lex_error(script, start, line + count("\n", counted, start))
        kind = match.lastgroup
        start = match.start(kind)
        line += count("\n", counted, start)
        counted = start
        text = match.group(kind)
        pos = match.end()
        if kind == "word":
            if text == "lambda" and script.startswith(":", pos):
                append(Token("lambda", "lambda:", line))
                pos += 1
            else:
                append(Token(_KEYWORDS.get(text, "ident"), text, line))
            # Kapacitor tries a binary operator after every word, keywords and "lambda:" included.
            operand = True
        elif kind == "punct":
            append(Token(_PUNCTUATION[text], text, line))
            operand = text == ")"
        elif kind == "number":
            if "." in text and script.startswith(".", pos):
                raise _fail(line, "multiple decimals in number")
            append(Token("number", text, line))
            operand = True
        elif kind == "unary":
            append(Token("op", text, line))
        elif kind == "comment":
            append(Token("comment", text.rstrip(), line))
            if script.startswith("\n", pos):
                pos = _comment_continuation(script, pos, line, append)
        else:  # string, reference, duration, regex, dot
            append(Token(kind, text, line))
            operand = kind in ("string", "reference", "duration")
    return out


def _comment_continuation(script: str, pos: int, line: int, append: Any) -> int:
    """Kapacitor keeps a comment going on the next line when that line starts with "/"."""
    n = len(script)
    while pos < n:
        # ``pos`` is at the "\n" that ended a comment line.
        start = pos + 1
        while start < n and script[start] != "\n" and script[start].isspace():
            start += 1
        if start >= n or script[start] != "/":
            return pos
        line += 1
        end = script.find("\n", start)
        end = n if end < 0 else end
        append(Token("comment", script[start:end].rstrip(), line))
        pos = end
    return pos


def literal(token: Token) -> str:
    """The text a string, reference or regex token stands for (quotes removed, escapes undone)."""
    value = token.value
    if token.kind == "string":
        if value.startswith("'''") and len(value) >= 6:
            return value[3:-3]
        return value[1:-1].replace("\\'", "'")
    if token.kind == "reference":
        return value[1:-1].replace('\\"', '"')
    if token.kind == "regex":
        return value[1:-1].replace("\\/", "/")
    return value


def _code(script: str) -> list[Token]:
    """The tokens without comments (Kapacitor's parser reads past them)."""
    return [token for token in tokens(script) if token.kind != "comment"]


# --- what the modules compare and infer -----------------------------------------------------------

def script_key(script: str | None) -> tuple[str, ...] | None:
    """What two scripts are compared by: same key, same task.

    The token texts, comments included (Kapacitor stores them), so indentation and line breaks do
    not count. A script that does not lex compares by its trimmed lines.
    """
    if script is None:
        return None
    try:
        return tuple(token.value for token in tokens(script))
    except TickscriptError:
        return ("<raw>",) + tuple(line.rstrip() for line in script.strip().splitlines())


# Tokens after which a word starts a new statement (they can end the one before).
_STATEMENT_END = frozenset(("ident", "reference", "number", "duration", "string", "true", "false", "regex",
                            "rparen", "rsbracket", "star"))


def _types(code: list[Token]) -> set[str]:
    """``stream``/``batch`` heading a top-level chain or declaration, as task_store's taskTypeFromProgram."""
    found = set()
    for index, token in enumerate(code):
        if token.kind != "ident" or token.value not in TASK_TYPES:
            continue
        before = code[index - 1] if index else None
        after = code[index + 1] if index + 1 < len(code) else None
        if before is not None and before.kind != "asgn" and before.kind not in _STATEMENT_END:
            continue
        if after is not None and after.kind in ("asgn", "lparen"):
            continue
        found.add(token.value)
    return found


def script_type(script: str | None) -> str | None:
    """``stream`` or ``batch`` as Kapacitor infers it; None when the script names neither, both, or does not lex."""
    try:
        found = _types(_code(script or ""))
    except TickscriptError:
        return None
    return found.pop() if len(found) == 1 else None


def _dbrp_statements(code: list[Token]) -> list[dict[str, str]]:
    dbrps = []
    for index, token in enumerate(code):
        if token.kind != "dbrp":
            continue
        parts = code[index + 1:index + 4]
        if len(parts) < 3 or parts[0].kind != "reference" or parts[1].kind != "dot" or parts[2].kind != "reference":
            shown = " ".join(t.value for t in code[index:index + 4])
            raise _fail(token.line, "cannot read the dbrp statement (%s): Kapacitor takes double-quoted names, "
                                    'as in dbrp "telegraf"."autogen"' % shown)
        dbrps.append({"db": literal(parts[0]), "rp": literal(parts[2])})
    return dbrps


def script_dbrps(script: str | None) -> list[dict[str, str]]:
    """The ``dbrp "db"."rp"`` statements of a script as ``[{"db", "rp"}]``, in script order.

    Raises :class:`TickscriptError` when the script does not lex or a dbrp statement is not one
    Kapacitor reads (``dbrp telegraf.autogen``): Kapacitor would refuse the script.
    """
    try:
        return _dbrp_statements(_code(script or ""))
    except TickscriptError as e:
        raise TickscriptError("invalid TICKscript: %s" % e.msg) from e


# --- InfluxQL -------------------------------------------------------------------------------------

# influxql/scanner.go: strings and quoted identifiers cannot span lines and a backslash escapes the
# next character; a regex is read only where no value precedes a "/" (the parser asks for one).
_QL_TOKEN = re.compile(
    r"(?:\s+|--[^\n]*|/\*.*?\*/)*(?:"
    r'(?P<qident>"(?:[^"\\\n]|\\[^\n])*")'
    r"|(?P<string>'(?:[^'\\\n]|\\[^\n])*')"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<number>[0-9]+(?:\.[0-9]+)?(?:[A-Za-zµ][A-Za-zµ0-9]*)?|\.[0-9]+)"
    r"|(?P<slash>/(?!\*))"
    r"|(?P<op>=~|!~|!=|<>|<=|>=|::|[^\s'\"/])"
    r")",
    re.DOTALL)
_QL_REGEX = re.compile(r"/((?:[^/\\\n]|\\/|\\(?=[^/\n]))*)/")
_QL_BLANK = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.DOTALL)
# After these words a "/" starts a regex (they cannot be the left operand of a division).
_QL_KEYWORDS = frozenset(("SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "BY", "GROUP", "ORDER", "ON", "AS",
                          "INTO", "FILL", "LIMIT", "OFFSET", "SLIMIT", "SOFFSET", "TZ"))
_QL_UNESCAPE = re.compile(r"\\(.)")


class QLToken(NamedTuple):
    kind: str   # word, qident, string, number, regex, op
    value: str  # identifiers and strings unquoted, regexes without their slashes


def _ql_unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return _QL_UNESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def _ql_error(query: str, pos: int) -> TickscriptError:
    pos = _QL_BLANK.match(query, pos).end()
    what = {'"': "identifier", "'": "string", "/": "/* comment" if query.startswith("/*", pos) else "regex"}
    return TickscriptError("unterminated %s in InfluxQL: %s" % (what.get(query[pos], "text"), query.strip()))


def influxql_tokens(query: str) -> list[QLToken]:
    """InfluxQL tokens as influxql's scanner reads them; comments and whitespace are dropped."""
    out: list[QLToken] = []
    append = out.append
    pos, n = 0, len(query)
    token_match = _QL_TOKEN.match
    previous: QLToken | None = None
    while pos < n:
        match = token_match(query, pos)
        if match is None:
            if _QL_BLANK.match(query, pos).end() >= n:
                break
            raise _ql_error(query, pos)
        kind = match.lastgroup
        text = match.group(kind)
        pos = match.end()
        if kind == "slash":
            divides = previous is not None and (
                previous.kind in ("qident", "string", "number")
                or (previous.kind == "word" and previous.value.upper() not in _QL_KEYWORDS)
                or (previous.kind == "op" and previous.value == ")"))
            if divides:
                previous = QLToken("op", "/")
            else:
                regex = _QL_REGEX.match(query, match.start(kind))
                if regex is None:
                    raise _ql_error(query, match.start(kind))
                previous = QLToken("regex", regex.group(1).replace("\\/", "/"))
                pos = regex.end()
        elif kind in ("qident", "string"):
            previous = QLToken(kind, _ql_unescape(text[1:-1]))
        else:
            previous = QLToken(kind, text)
        append(previous)
    return out


def _is_word(token: QLToken, word: str) -> bool:
    return token.kind == "word" and token.value.upper() == word


def _measurement(toks: list[QLToken], i: int, query: str) -> tuple[tuple[str, str, str], int]:
    """One ``[db.][rp.]measurement`` source at ``i``; returns ((db, rp, measurement), index after it)."""
    segments: list[str] = []
    current: str | None = None
    while i < len(toks):
        token = toks[i]
        if current is None and (token.kind in ("qident", "regex")
                                or (token.kind == "word" and token.value.upper() not in _QL_KEYWORDS)):
            current = "/%s/" % token.value if token.kind == "regex" else token.value
        elif token.kind == "op" and token.value == ".":
            segments.append(current or "")
            current = None
        else:
            break
        i += 1
    segments.append(current or "")
    if len(segments) > 3 or not segments[-1] or any(s.startswith("/") for s in segments[:-1]):
        raise TickscriptError("cannot read the FROM clause of: %s" % query.strip())
    padded = [""] * (3 - len(segments)) + segments
    return (padded[0], padded[1], padded[2]), i


def query_sources(query: str) -> list[tuple[str, str, str]]:
    """(database, retention policy, measurement) of every source the SELECT ``query`` reads.

    Missing parts are empty strings: ``FROM cpu`` is ("", "", "cpu"), ``FROM "db".."cpu"`` is
    ("db", "", "cpu"); a regex measurement is kept with its slashes. Subqueries are read through:
    their sources are what the query reads.
    """
    toks = influxql_tokens(query)
    sources: list[tuple[str, str, str]] = []
    depth = 0
    resume: set[int] = set()  # paren depths where a FROM list goes on after a subquery

    def from_list(i: int) -> int:
        while i < len(toks):
            if toks[i].kind == "op" and toks[i].value == "(":
                resume.add(depth)
                return i
            source, i = _measurement(toks, i, query)
            sources.append(source)
            if i < len(toks) and toks[i].kind == "op" and toks[i].value == ",":
                i += 1
                continue
            return i
        raise TickscriptError("FROM without a source in: %s" % query.strip())

    i = 0
    while i < len(toks):
        token = toks[i]
        if token.kind == "op" and token.value == "(":
            depth += 1
        elif token.kind == "op" and token.value == ")":
            depth -= 1
            if depth in resume:
                resume.discard(depth)
                if i + 1 < len(toks) and toks[i + 1].kind == "op" and toks[i + 1].value == ",":
                    i = from_list(i + 2)
                    continue
        elif _is_word(token, "FROM"):
            i = from_list(i + 1)
            continue
        elif _is_word(token, "INTO"):
            raise TickscriptError("SELECT ... INTO writes from inside the query, which InfluxDB 2's InfluxQL "
                                  "does not run: %s" % query.strip())
        i += 1
    return sources


# --- what a task reads and writes -----------------------------------------------------------------

def _var_value(var: Any) -> Any:
    """The value of a task var as kapacitor_task takes it: plain, or {type, value}."""
    if isinstance(var, Mapping):
        return var.get("value")
    return var


def _call_args(code: list[Token], i: int) -> tuple[list[list[Token]], int]:
    """Arguments of the call whose "(" is at ``i``, each a token list; returns (args, index after ")")."""
    depth = 0
    args: list[list[Token]] = [[]]
    start = i
    while i < len(code):
        token = code[i]
        kind = token.kind
        if kind == "lparen":
            depth += 1
            if depth > 1:
                args[-1].append(token)
        elif kind == "rparen":
            depth -= 1
            if depth == 0:
                return ([] if args == [[]] else args), i + 1
            args[-1].append(token)
        elif kind == "comma" and depth == 1:
            args.append([])
        else:
            args[-1].append(token)
        i += 1
    raise _fail(code[start].line, "unbalanced parentheses")


class _Scan:
    """One pass over a script's code tokens, collecting its DBRPs, reads and writes."""

    def __init__(self, code: list[Token], variables: Mapping[str, Any], name: str, allow_unreadable: bool):
        self.code = code
        self.name = name
        self.allow_unreadable = allow_unreadable
        self.values: dict[str, str] = {}
        self.queries: list[tuple[str, str]] = []
        self.writes: list[tuple[str, str]] = []
        for i in range(len(code) - 3):
            if (code[i].kind == "var" and code[i + 1].kind == "ident" and code[i + 2].kind == "asgn"
                    and code[i + 3].kind == "string"):
                self.values[code[i + 1].value] = literal(code[i + 3])
        for var_name, var in (variables or {}).items():
            value = _var_value(var)
            if isinstance(value, str):
                self.values[str(var_name)] = value

    def unreadable(self, line: int, what: str) -> None:
        if not self.allow_unreadable:
            raise TickscriptError("%s: line %d: %s; %s" % (self.name, line, what, ADVICE))

    def resolve(self, arg: list[Token] | None, what: str, line: int) -> str | None:
        """A string argument: a literal, or a var with a string value (the task's vars win)."""
        if arg and len(arg) == 1 and arg[0].kind == "string":
            return literal(arg[0])
        if arg and len(arg) == 1 and arg[0].kind == "ident" and arg[0].value in self.values:
            return self.values[arg[0].value]
        shown = " ".join(t.value for t in arg or []) or "nothing"
        self.unreadable(line, "cannot tell the %s (%s): use a string literal or a var with a string value, "
                              "or give the var's value in the task's vars" % (what, shown))
        return None

    def run(self) -> None:
        code = self.code
        i = 0
        while i < len(code):
            token = code[i]
            if (token.kind == "ident" and i and code[i - 1].kind == "pipe"
                    and i + 1 < len(code) and code[i + 1].kind == "lparen"):
                args, i = _call_args(code, i + 1)
                if token.value == "query":
                    self.query(token, args)
                elif token.value == "queryFlux":
                    self.unreadable(token.line, "queryFlux() reads with Flux, which the scanner does not read")
                elif token.value == "influxDBOut":
                    i = self.influxdb_out(token, i)
                continue
            i += 1

    def query(self, token: Token, args: list[list[Token]]) -> None:
        if len(args) != 1:
            raise TickscriptError("%s: line %d: query() takes one argument" % (self.name, token.line))
        text = self.resolve(args[0], "query of query()", token.line)
        if text is None:
            return
        try:
            sources = query_sources(text)
        except TickscriptError as e:
            raise TickscriptError("%s: line %d: %s" % (self.name, token.line, e.msg)) from e
        if not sources:
            self.unreadable(token.line, "the batch query has no FROM clause the scanner can read")
        for db, rp, measurement in sources:
            if not db:
                self.unreadable(token.line, 'the batch query reads %s without naming its database; write FROM '
                                            '"db"."rp"."measurement"' % measurement)
                continue
            self.queries.append((db, rp))

    def influxdb_out(self, token: Token, i: int) -> int:
        code = self.code
        database = retention_policy = None
        have_database = False
        # The node's properties: .name(args) or .name, up to the next chain or statement.
        while i + 1 < len(code) and code[i].kind == "dot" and code[i + 1].kind == "ident":
            prop = code[i + 1]
            i += 2
            prop_args: list[list[Token]] = []
            if i < len(code) and code[i].kind == "lparen":
                prop_args, i = _call_args(code, i)
            if prop.value == "database":
                have_database = True
                database = self.resolve(prop_args[0] if prop_args else None, "database of influxDBOut()", prop.line)
            elif prop.value == "retentionPolicy":
                retention_policy = self.resolve(prop_args[0] if prop_args else None,
                                                "retention policy of influxDBOut()", prop.line) or ""
        if not have_database:
            raise TickscriptError("%s: line %d: influxDBOut() has no .database(); Kapacitor needs one"
                                  % (self.name, token.line))
        if database:
            self.writes.append((database, retention_policy or ""))
        elif database is not None:
            raise TickscriptError("%s: line %d: influxDBOut() has an empty .database()" % (self.name, token.line))
        return i


def _pairs(pairs: Any, defaults: Mapping[str, str]) -> list[dict[str, str]]:
    """Sorted unique {db, rp}; an empty rp is the database's default one (as InfluxDB resolves it)."""
    unique = sorted({(db, rp or defaults.get(db, "")) for db, rp in pairs})
    return [{"db": db, "rp": rp} for db, rp in unique]


def _model_dbrps(dbrps: Any, name: str) -> list[tuple[str, str]]:
    out = []
    for item in dbrps or []:
        if not isinstance(item, Mapping) or not item.get("db"):
            raise TickscriptError("%s: every item of dbrps needs a db (and an rp), got %r" % (name, item))
        out.append((str(item["db"]), str(item.get("rp") or "")))
    return out


def scan(script: str, vars: Any = None, default_rps: Any = None, name: str | None = None,  # noqa: A002
         dbrps: Any = None, allow_unreadable: bool = False) -> dict[str, Any]:
    """What ``script`` reads from and writes to InfluxDB, as lists of ``{db, rp}``.

    Returns ``type`` (``stream``, ``batch`` or None), ``dbrps`` (its dbrp statements, else the
    model's ``dbrps``), ``dbrps_in_script``, ``queries`` (the sources of its batch queries),
    ``reads`` (a batch task's queries and DBRPs; nothing for a stream task, whose points Telegraf
    writes to Kapacitor) and ``writes`` (its ``influxDBOut()`` nodes). An empty rp becomes the
    database's default from ``default_rps``. ``vars`` are the task's vars as kapacitor_task takes
    them ({name: {type, value}} or {name: value}); they override the script's ``var`` values.

    A source the scanner cannot read (``queryFlux()``, a query or database built from something it
    cannot resolve, a FROM without a database) raises :class:`TickscriptError` naming the task and
    asking for ``reads``/``writes`` on it; with ``allow_unreadable`` (the caller has them) such a
    source is left out instead. Syntax errors always raise.
    """
    task = name or "the TICKscript"
    if not isinstance(script, str):
        raise TickscriptError("%s: expected the TICKscript as a string, got %s" % (task, type(script).__name__))
    defaults = {str(k): str(v) for k, v in (default_rps or {}).items()}
    try:
        code = _code(script)
        declared = [(d["db"], d["rp"]) for d in _dbrp_statements(code)]
    except TickscriptError as e:
        raise TickscriptError("%s: %s" % (task, e.msg)) from e
    found = _types(code)
    if len(found) > 1:
        raise TickscriptError("%s: the script has both stream and batch sources; Kapacitor refuses it" % task)
    task_type = found.pop() if found else None
    scanner = _Scan(code, vars or {}, task, allow_unreadable)
    scanner.run()
    in_script = bool(declared)
    bound = declared if in_script else _model_dbrps(dbrps, task)
    reads = scanner.queries + bound if task_type == "batch" else []
    return {
        "type": task_type,
        "dbrps": _pairs(bound, defaults),
        "dbrps_in_script": in_script,
        "queries": _pairs(scanner.queries, defaults),
        "reads": _pairs(reads, defaults),
        "writes": _pairs(scanner.writes, defaults),
    }
