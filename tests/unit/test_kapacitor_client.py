"""Unit tests of module_utils/kapacitor.py: DBRPs, var typing, the client's requests, errors."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

import collection_path  # noqa: E402,F401 pylint: disable=unused-import  # the collection on sys.path

from ansible_collections.tickstack.influx.plugins.module_utils import kapacitor as k  # noqa: E402
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import (  # noqa: E402
    AuthenticationFailed,
    InvalidRequest,
    Response,
    ServerError,
    ServerUnreachable,
    WrongServer,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import failure  # noqa: E402


# ------------------------------------------------------------------------------------------------
# DBRPs (the TICKscript lexer and its tests are in test_tickscript.py)
# ------------------------------------------------------------------------------------------------

def test_dbrps_key():
    assert k.dbrps_key([{"db": "b", "rp": "x"}, {"db": "a", "rp": "y"}]) == [("a", "y"), ("b", "x")]


# ------------------------------------------------------------------------------------------------
# Vars
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,nanos", [
    ("90s", 90 * 10 ** 9), ("1h30m", 5400 * 10 ** 9), ("5ms", 5 * 10 ** 6), ("2w", 14 * 86400 * 10 ** 9),
    ("10u", 10000), ("7ns", 7), ("-5m", -300 * 10 ** 9), ("1d", 86400 * 10 ** 9),
])
def test_parse_duration(text, nanos):
    assert k.parse_duration(text) == nanos


@pytest.mark.parametrize("text", ["", "5", "m", "1.5h", "5 m", "5y", "-"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError):
        k.parse_duration(text)


def test_plain_values_get_their_own_type():
    wire = k.wire_vars({"on": True, "n": 3, "x": 0.5, "s": "cpu", "l": ["a", "b"]})
    assert wire["on"] == {"type": "bool", "value": True, "description": ""}
    assert wire["n"] == {"type": "int", "value": 3, "description": ""}
    assert wire["x"] == {"type": "float", "value": 0.5, "description": ""}
    assert wire["s"] == {"type": "string", "value": "cpu", "description": ""}
    assert wire["l"]["type"] == "list"
    assert wire["l"]["value"] == [{"type": "string", "value": "a", "description": ""},
                                  {"type": "string", "value": "b", "description": ""}]


def test_typed_vars_are_coerced_to_what_kapacitor_takes():
    wire = k.wire_vars({
        "window": {"type": "duration", "value": "5m", "description": "how long"},
        "raw_ns": {"type": "duration", "value": 1000},
        "crit": {"type": "lambda", "value": 'lambda: "usage" > 90'},
        "filter": {"type": "lambda", "value": '"host" == \'a\''},
        "hosts": {"type": "regex", "value": "^web[0-9]+$"},
        "groups": {"type": "list", "value": [{"type": "star"}, "host"]},
        "all": {"type": "star"},
        "limit": {"type": "int", "value": "42"},
        "ratio": {"type": "float", "value": "1.5"},
        "flag": {"type": "bool", "value": "yes"},
        "name": {"type": "string", "value": 5},
    })
    assert wire["window"] == {"type": "duration", "value": 300 * 10 ** 9, "description": "how long"}
    assert wire["raw_ns"]["value"] == 1000
    assert wire["crit"]["value"] == '"usage" > 90'
    assert wire["filter"]["value"] == '"host" == \'a\''
    assert wire["hosts"]["value"] == "^web[0-9]+$"
    assert wire["groups"]["value"] == [{"type": "star", "value": None, "description": ""},
                                       {"type": "string", "value": "host", "description": ""}]
    assert wire["all"] == {"type": "star", "value": None, "description": ""}
    assert wire["limit"]["value"] == 42 and wire["ratio"]["value"] == 1.5
    assert wire["flag"]["value"] is True and wire["name"]["value"] == "5"
    assert k.wire_vars(None) is None


@pytest.mark.parametrize("spec,message", [
    ({"type": "int", "value": "many"}, "var v: 'many' is not a valid int"),
    ({"type": "int", "value": True}, "is not a valid int"),
    ({"type": "int", "value": 1.5}, "is not a valid int"),
    ({"type": "duration", "value": "5 minutes"}, "invalid duration"),
    ({"type": "bool", "value": "maybe"}, "is not a valid bool"),
    ({"type": "decimal", "value": 1}, "unknown type 'decimal'"),
    ({"value": 1}, "a dict needs a type"),
    ({"type": "int", "value": 1, "default": 2}, "unknown keys default"),
    ({"type": "string"}, "needs a value"),
    ({"type": "star", "value": "x"}, "has no value"),
    ({"type": "list", "value": [{"type": "int", "value": "x"}]}, r"var v\[0\]"),
    (None, "cannot tell the type"),
])
def test_bad_vars_name_the_var(spec, message):
    with pytest.raises(ValueError, match=message):
        k.wire_var("v", spec)


def test_vars_compare_as_kapacitor_returns_them():
    desired = k.wire_vars({"ratio": 2.0, "window": {"type": "duration", "value": "5m"},
                           "crit": {"type": "lambda", "value": 'lambda: "x" > 1'}})
    returned = {  # floats come back without a fraction, durations in ns, lambdas as sent
        "ratio": {"type": "float", "value": 2, "description": ""},
        "window": {"type": "duration", "value": 300000000000, "description": ""},
        "crit": {"type": "lambda", "value": '"x">1', "description": ""},
    }
    assert k.vars_key(desired) == k.vars_key(returned)
    returned["window"]["value"] = 60000000000
    assert k.vars_key(desired) != k.vars_key(returned)
    returned["window"]["value"] = 300000000000
    returned["ratio"]["description"] = "set by hand"
    assert k.vars_key(desired) != k.vars_key(returned)


# ------------------------------------------------------------------------------------------------
# Connection options and errors
# ------------------------------------------------------------------------------------------------

class Transport:
    """Answers every request with the next reply and records what was sent."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.sent = []

    def __call__(self, method, url, headers, data, options):
        parts = urlsplit(url)
        self.sent.append({"method": method, "url": url, "path": parts.path, "query": parse_qs(parts.query),
                          "headers": headers, "body": json.loads(data) if data else None, "options": options})
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply


def reply(status=200, body=None, headers=None):
    """A reply; without ``headers``, one as kapacitord sends it (its version on every reply)."""
    return Response(status, {"Content-Type": "application/json", "X-Kapacitor-Version": "1.8.3"} if headers is None
                    else headers,
                    b"" if body is None else json.dumps(body).encode())


def ping_ok():
    return reply(204, headers={"X-Kapacitor-Version": "1.8.3"})


def client(transport, **params):
    return k.client_from_params(dict({"url": "http://kap.test:9092"}, **params), transport=transport,
                                sleep=lambda _s: None)


def test_argument_spec_env_fallbacks(monkeypatch):
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    monkeypatch.setenv("KAPACITOR_URL", "https://kap.example:9092")
    monkeypatch.setenv("KAPACITOR_USERNAME", "ops")
    monkeypatch.setenv("KAPACITOR_PASSWORD", "s3cret")
    monkeypatch.setenv("KAPACITOR_UNSAFE_SSL", "true")
    result = ArgumentSpecValidator(k.kapacitor_argument_spec()).validate({})
    assert not result.error_messages
    params = result.validated_parameters
    assert params["url"] == "https://kap.example:9092"
    assert (params["username"], params["password"]) == ("ops", "s3cret")
    assert params["validate_certs"] is False
    assert "s3cret" in result._no_log_values

    monkeypatch.delenv("KAPACITOR_UNSAFE_SSL")
    monkeypatch.delenv("KAPACITOR_URL")
    params = ArgumentSpecValidator(k.kapacitor_argument_spec()).validate({}).validated_parameters
    assert params["validate_certs"] is True and params["url"] == "http://localhost:9092"
    params = ArgumentSpecValidator(k.kapacitor_argument_spec()).validate(
        {"validate_certs": True}).validated_parameters
    assert params["validate_certs"] is True


def test_basic_auth_and_tls_options_reach_the_transport():
    transport = Transport(ping_ok())
    client(transport, username="ops", password="pw", validate_certs=False, ca_path="/ca.pem",
           client_cert="/c.pem", client_key="/k.pem", timeout=3).ping()
    options = transport.sent[0]["options"]
    assert (options["url_username"], options["url_password"]) == ("ops", "pw")
    assert options["validate_certs"] is False and options["ca_path"] == "/ca.pem"
    assert (options["client_cert"], options["client_key"], options["timeout"]) == ("/c.pem", "/k.pem", 3)
    assert transport.sent[0]["url"] == "http://kap.test:9092/kapacitor/v1/ping"


def test_credentials_in_the_url_are_used_and_taken_out_of_it():
    transport = Transport(ping_ok())
    api = k.client_from_params({"url": "http://ops:p%40ss@kap.test:9092/"}, transport=transport)
    assert api.ping() == "1.8.3"
    sent = transport.sent[0]
    assert sent["url"] == "http://kap.test:9092/kapacitor/v1/ping"
    assert (sent["options"]["url_username"], sent["options"]["url_password"]) == ("ops", "p@ss")
    assert api.url == "http://kap.test:9092"


@pytest.mark.parametrize("empty", [{"username": "", "password": ""}, {"password": ""}, {"username": None, "password": None}])
def test_empty_options_leave_the_credentials_in_the_url(empty):
    transport = Transport(ping_ok())
    k.client_from_params(dict({"url": "http://ops:pw@kap.test:9092"}, **empty), transport=transport).ping()
    assert (transport.sent[0]["options"]["url_username"], transport.sent[0]["options"]["url_password"]) == ("ops", "pw")


def test_password_without_username_is_refused():
    with pytest.raises(ValueError, match="username"):
        k.client_from_params({"url": "http://kap.test:9092", "password": "x"}, transport=Transport(ping_ok()))


def test_ping_tells_a_non_kapacitor_server_apart():
    with pytest.raises(WrongServer, match="not Kapacitor"):
        client(Transport(reply(204, headers={}))).ping()
    with pytest.raises(WrongServer, match="points at kapacitord"):
        client(Transport(reply(404, {"code": "not found", "message": "path not found"}, headers={}))).ping()


def test_the_first_real_reply_proves_kapacitor_without_a_ping():
    transport = Transport(reply(404, {"error": "no task exists"}, headers={"X-Kapacitor-Version": "1.8.3"}),
                          reply(200, {"id": "cpu"}, headers={}))
    api = client(transport)
    assert api.get_task("cpu") is None
    assert api.version == "1.8.3"
    # Proven once: later replies are not asked for the header again (a spoiled one fails on its own terms).
    api.create_task({"id": "cpu"})
    assert [(s["method"], s["path"]) for s in transport.sent] == [
        ("GET", "/kapacitor/v1/tasks/cpu"), ("POST", "/kapacitor/v1/tasks")]
    assert api.server_version() == "1.8.3" and len(transport.sent) == 2


@pytest.mark.parametrize("answer, message", [
    # InfluxDB on 8086: /kapacitor/v1/... is not one of its routes.
    (reply(404, {"code": "not found", "message": "path not found"}, headers={"Content-Type": "application/json"}),
     "no Kapacitor API here; check that the url points at kapacitord"),
    # Something that answers everything with 200: a proxy's page.
    (Response(200, {"Content-Type": "text/html"}, b"<html>Sign in</html>"),
     "is not Kapacitor (no X-Kapacitor-Version header)"),
    (reply(401, {"error": "unauthorized"}, headers={}), "is not Kapacitor"),
])
def test_a_first_reply_without_the_version_header_names_the_wrong_server(answer, message):
    transport = Transport(answer)
    api = client(transport)
    # Not a NotFound: the GET of a missing task must not read as "no such task, create it".
    with pytest.raises(WrongServer, match=re.escape(message)) as caught:
        api.get_task("cpu")
    assert caught.value.url == "http://kap.test:9092/kapacitor/v1/tasks/cpu?dot-view=attributes&script-format=raw"
    assert caught.value.status == answer.status and len(transport.sent) == 1


def test_a_retried_5xx_is_not_taken_for_another_server():
    transport = Transport(reply(503, {"error": "busy"}, headers={}), reply(200, {"tasks": []}))
    assert client(transport).list_tasks() == []
    assert len(transport.sent) == 2


def test_unreachable_message_names_the_url_and_the_reason():
    transport = Transport(ServerUnreachable("cannot connect: [Errno 111] Connection refused", method="GET",
                                            url="http://kap.test:9092/kapacitor/v1/ping"))
    with pytest.raises(ServerUnreachable) as caught:
        client(transport).ping()
    assert len(transport.sent) == 4   # a GET is retried
    message = failure(caught.value, "task cpu")["msg"]
    assert message.startswith("task cpu: cannot reach Kapacitor at http://kap.test:9092/kapacitor/v1/ping")
    assert "Connection refused" in message and "kapacitord is running" in message
    assert "token" not in message


def test_401_message_speaks_of_kapacitor_auth():
    with pytest.raises(AuthenticationFailed) as caught:
        client(Transport(reply(401, {"error": "authorization failed"}))).ping()
    message = str(caught.value)
    assert "HTTP 401: authorization failed" in message and "auth-enabled" in message
    fields = failure(caught.value, "task x")
    assert fields["status"] == 401 and fields["url"].endswith("/kapacitor/v1/ping")


def test_400_keeps_kapacitors_message():
    text = 'invalid TICKscript: parser: unexpected identifier line 2 char 4 in "|frm()". expected: "("'
    with pytest.raises(InvalidRequest) as caught:
        client(Transport(reply(400, {"error": text, "message": text}))).create_task({"id": "x"})
    assert text in str(caught.value)


def test_task_requests():
    transport = Transport(reply(200, {"id": "a/b"}))
    api = client(transport)
    api.get_task("a/b")
    api.create_task({"id": "a/b", "script": "stream|from()"})
    api.update_task("a/b", {"status": "enabled"})
    transport.replies = [reply(204)]
    api.delete_task("a/b")
    get, post, patch, delete = transport.sent
    assert get["path"] == "/kapacitor/v1/tasks/a%2Fb"   # an ID never changes the path
    assert get["query"] == {"script-format": ["raw"], "dot-view": ["attributes"]}
    assert (post["method"], post["path"], post["body"]) == ("POST", "/kapacitor/v1/tasks",
                                                            {"id": "a/b", "script": "stream|from()"})
    assert (patch["method"], patch["body"]) == ("PATCH", {"status": "enabled"})
    assert patch["headers"]["Content-Type"] == "application/json"
    assert delete["method"] == "DELETE"


def test_missing_task_is_none_and_delete_of_missing_is_fine():
    transport = Transport(reply(404, {"error": "no task exists"}))
    api = client(transport)
    assert api.get_task("gone") is None
    api.delete_task("gone")


def test_list_tasks_pages_and_asks_for_fields():
    page1 = reply(200, {"tasks": [{"id": "t%03d" % i} for i in range(100)]})
    page2 = reply(200, {"tasks": [{"id": "t100"}]})
    transport = Transport(page1, page2)
    tasks = client(transport).list_tasks(fields=["template-id"])
    assert len(tasks) == 101
    assert transport.sent[0]["query"]["fields"] == ["template-id"]
    assert transport.sent[1]["query"]["offset"] == ["100"]
    transport = Transport(reply(200, {"tasks": [{"id": "cpu"}]}))
    client(transport).list_tasks(pattern="cpu*")
    assert transport.sent[0]["query"]["pattern"] == ["cpu*"]
    assert transport.sent[0]["query"]["script-format"] == ["raw"]


def test_handler_requests_and_no_retry_of_a_refused_put():
    transport = Transport(reply(500, {"error": "failed to update handler: unknown option"}))
    api = client(transport)
    with pytest.raises(ServerError):
        api.replace_handler("cpu", "log", {"id": "log", "kind": "log", "options": {"pth": "/x"}})
    assert len(transport.sent) == 1
    assert transport.sent[0]["path"] == "/kapacitor/v1/alerts/topics/cpu/handlers/log"
    transport = Transport(reply(503, {"error": "busy"}), reply(200, {"handlers": [{"id": "log"}]}))
    assert client(transport).list_handlers("cpu") == [{"id": "log"}]
    assert len(transport.sent) == 2   # a GET is retried


def test_summaries_use_snake_case_and_stats():
    task = {"id": "t", "type": "stream", "status": "enabled", "executing": True, "error": "", "script": "s",
            "dbrps": [{"db": "a", "rp": "b"}], "vars": None, "template-id": "tpl", "last-enabled": "now",
            "link": {"href": "/x"}, "dot": "digraph",
            "stats": {"task-stats": {"throughput": 1}, "node-stats": {"stream0": {"emitted": 3}}}}
    summary = k.task_summary(task, include_stats=True)
    assert summary["template_id"] == "tpl" and summary["last_enabled"] == "now" and summary["vars"] == {}
    assert summary["stats"] == {"task_stats": {"throughput": 1}, "node_stats": {"stream0": {"emitted": 3}}}
    assert "dot" not in summary and "link" not in summary
    assert "stats" not in k.task_summary(task)


def test_secret_looking_options_are_found_and_masked():
    options = {"url": "https://hooks", "headers": {"Authorization": "Bearer abc", "X-Env": "prod"},
               "routing-key": "rk-1", "password": "", "retries": 3}
    assert k.secret_option_values(options) == {"https://hooks", "Bearer abc", "rk-1"}
    masked = k.mask_options(options)
    assert masked == {"url": "********", "headers": {"Authorization": "********", "X-Env": "prod"},
                      "routing-key": "********", "password": "", "retries": 3}
