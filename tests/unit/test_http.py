"""HttpClient (plugins/module_utils/http_client.py): URLs, bodies, retries, error mapping, pagination, transport."""

from __future__ import annotations

import socket
import urllib.error
from io import BytesIO

import pytest
from influxdb2_support import FakeInflux, error, reply

from ansible_collections.tickstack.influx.plugins.module_utils import http_client as http_module
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import (
    ApiError,
    AuthenticationFailed,
    Conflict,
    HttpClient,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    RateLimited,
    Response,
    ServerError,
    ServerUnreachable,
    path_quote,
    urls_transport,
)

BASE = "http://svc.test:9092/"


def make(fake, **kwargs):
    sleeps = []
    c = HttpClient(BASE, headers={"Authorization": "Token t"}, transport=fake, sleep=sleeps.append, **kwargs)
    return c, sleeps


def test_base_url_must_be_absolute():
    with pytest.raises(InvalidRequest, match="url must be an absolute"):
        HttpClient("localhost:8086")
    assert HttpClient(BASE).base_url == "http://svc.test:9092"


def test_url_for_drops_none_and_spells_booleans():
    c, _unused = make(FakeInflux())
    assert c.url_for("/p", {"a": None, "b": True, "c": False, "d": "x y"}) == "http://svc.test:9092/p?b=true&c=false&d=x+y"
    assert c.url_for("/p", {"a": None}) == "http://svc.test:9092/p"


def test_json_body_headers_and_decoding():
    fake = FakeInflux().on("POST", "/things", reply(201, {"id": "1"}))
    c, _unused = make(fake)
    assert c.post("/things", {"b": 2, "a": 1}) == {"id": "1"}
    sent = fake.sent[0]
    assert sent.headers["Content-Type"] == "application/json" and sent.headers["Accept"] == "application/json"
    assert sent.headers["Authorization"] == "Token t" and sent.body == {"a": 1, "b": 2}


def test_raw_body_with_content_type():
    seen = {}

    def transport(method, url, headers, data, options):
        seen.update(headers=headers, data=data)
        return reply(204)

    c = HttpClient(BASE, transport=transport)
    assert c.request("POST", "/write", data="m v=1", content_type="text/plain").status == 204
    assert seen["data"] == b"m v=1" and seen["headers"]["Content-Type"] == "text/plain"


def test_empty_body_is_none():
    assert Response(204, {}, b"").json() is None
    assert Response(200, {}, b"  \n").json() is None
    assert Response(200, {"X-A": "1"}, b"{}").headers == {"x-a": "1"}


@pytest.mark.parametrize("status, cls", [
    (400, InvalidRequest), (401, AuthenticationFailed), (403, PermissionDenied), (404, NotFound),
    (409, Conflict), (422, InvalidRequest), (429, RateLimited), (500, ServerError), (502, ServerError), (418, ApiError),
])
def test_status_to_error(status, cls):
    fake = FakeInflux().on("POST", "/x", error(status, "server says no"))
    c, _unused = make(fake)
    with pytest.raises(cls) as caught:
        c.post("/x", {})
    assert type(caught.value) is cls  # pylint: disable=unidiomatic-typecheck  # the exact class, not a base
    assert caught.value.status == status and caught.value.message == "server says no"
    assert str(caught.value).startswith("POST http://svc.test:9092/x: HTTP %d: server says no" % status)


@pytest.mark.parametrize("body, message", [
    (b'{"code":"invalid","message":"influx says"}', "influx says"),
    (b'{"error":"kapacitor says"}', "kapacitor says"),
    (b"plain text problem\n", "plain text problem"),
    (b"", "no message from the server"),
    (b'["odd"]', '["odd"]'),
])
def test_server_message_extraction(body, message):
    fake = FakeInflux().on("GET", "/x", Response(400, {}, body))
    c, _unused = make(fake)
    with pytest.raises(InvalidRequest) as caught:
        c.get("/x")
    assert caught.value.message == message


def test_expect_accepts_other_statuses():
    fake = FakeInflux().on("GET", "/x", error(404, "nope"))
    c, _unused = make(fake)
    assert c.request("GET", "/x", expect=(404,)).status == 404
    assert c.get_or_none("/x") is None


def test_idempotent_requests_retry_with_backoff_then_succeed():
    fake = FakeInflux().on("GET", "/x", error(503, "busy"), ServerUnreachable("refused"), error(500, "oops"), reply(200, {"ok": 1}))
    c, sleeps = make(fake, retries=3, backoff=0.5)
    assert c.get("/x") == {"ok": 1}
    assert sleeps == [0.5, 1.0, 2.0]


def test_retries_exhausted_raise_the_last_error():
    fake = FakeInflux().on("DELETE", "/x", error(503, "still busy"))
    c, sleeps = make(fake, retries=2)
    with pytest.raises(ServerError, match="still busy"):
        c.delete("/x")
    assert len(fake.sent) == 3 and len(sleeps) == 2


def test_connection_errors_exhausted():
    fake = FakeInflux().on("GET", "/x", ServerUnreachable("cannot connect: refused", method="GET", url=BASE + "x"))
    c, _unused = make(fake, retries=1)
    with pytest.raises(ServerUnreachable, match="check the url option"):
        c.get("/x")
    assert len(fake.sent) == 2


def test_retry_after_is_honoured_and_capped():
    fake = FakeInflux().on("GET", "/x", Response(429, {"Retry-After": "7"}, b""), Response(429, {"Retry-After": "99"}, b""),
                           reply(200, {}))
    c, sleeps = make(fake)
    c.get("/x")
    assert sleeps == [7.0, 30.0]


def test_post_is_not_retried_unless_declared_idempotent():
    fake = FakeInflux().on("POST", "/x", error(503, "busy"), reply(200, {}))
    c, _unused = make(fake)
    with pytest.raises(ServerError):
        c.post("/x", {})
    assert len(fake.sent) == 1
    fake = FakeInflux().on("POST", "/q", error(503, "busy"), reply(200, {}))
    c, _unused = make(fake)
    assert c.request("POST", "/q", json_body={}, idempotent=True).status == 200
    assert len(fake.sent) == 2


def test_client_errors_are_not_retried():
    fake = FakeInflux().on("GET", "/x", error(401, "unauthorized access"))
    c, _unused = make(fake)
    with pytest.raises(AuthenticationFailed):
        c.get("/x")
    assert len(fake.sent) == 1


def test_paginate_stops_on_a_short_page():
    fake = FakeInflux().on("GET", "/items", reply(200, {"items": [1, 2]}), reply(200, {"items": [3, 4]}), reply(200, {"items": [5]}))
    c, _unused = make(fake)
    assert list(c.paginate("/items", "items", query={"org": "o"}, limit=2)) == [1, 2, 3, 4, 5]
    assert [s.query for s in fake.sent] == [{"org": "o", "offset": str(o), "limit": "2"} for o in (0, 2, 4)]


def test_paginate_empty_and_missing_key():
    fake = FakeInflux().on("GET", "/items", reply(200, {}))
    c, _unused = make(fake)
    assert list(c.paginate("/items", "items")) == []


def test_path_quote_keeps_user_input_in_one_segment():
    assert path_quote("a/b c?d") == "a%2Fb%20c%3Fd"
    assert path_quote(42) == "42"


# -- the real transport, with open_url replaced ----------------------------------------------------

class FakeResponse:
    def __init__(self, status, body, headers):
        self.status, self.body, self.headers = status, body, headers

    def getcode(self):
        return self.status

    def read(self):
        return self.body


def test_urls_transport_passes_tls_options(monkeypatch):
    seen = {}

    def open_url(url, **kwargs):
        seen.update(kwargs, url=url)
        return FakeResponse(200, b'{"a": 1}', {"Content-Type": "application/json"})

    monkeypatch.setattr(http_module, "open_url", open_url)
    c = HttpClient(BASE, validate_certs=False, ca_path="/ca.pem", client_cert="/c.pem", client_key="/k.pem", timeout=3)
    assert c.get("/x") == {"a": 1}
    assert seen["validate_certs"] is False and seen["ca_path"] == "/ca.pem" and seen["client_key"] == "/k.pem"
    assert seen["timeout"] == 3 and seen["force_basic_auth"] is False and seen["method"] == "GET"


def test_urls_transport_turns_http_errors_into_responses(monkeypatch):
    def open_url(url, **kwargs):
        raise urllib.error.HTTPError(url, 422, "Unprocessable", {"Content-Type": "application/json"},
                                     BytesIO(b'{"message": "bad retention"}'))

    monkeypatch.setattr(http_module, "open_url", open_url)
    resp = urls_transport("GET", "http://x/y", {}, None, {})
    assert resp.status == 422 and resp.json() == {"message": "bad retention"}


@pytest.mark.parametrize("exc", [urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")),
                                 socket.timeout("timed out"), OSError("network down")])
def test_urls_transport_network_failures_are_unreachable(monkeypatch, exc):
    def open_url(url, **kwargs):
        raise exc

    monkeypatch.setattr(http_module, "open_url", open_url)
    with pytest.raises(ServerUnreachable) as caught:
        urls_transport("GET", "http://x/y", {}, None, {})
    assert caught.value.url == "http://x/y" and "cannot connect" in caught.value.message
