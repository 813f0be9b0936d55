"""The fault proxy itself, against a tiny upstream on loopback (no real servers needed)."""

from __future__ import annotations

import http.client
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fault_proxy import FAULTS, FORWARDED, FaultProxy


class Upstream:
    """Answers every request with JSON naming its method and path; counts what reached it."""

    def __init__(self):
        self.seen: list[tuple[str, str]] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                upstream.seen.append((self.command, self.path))
                if self.command == "DELETE":
                    self.send_response(204)
                    self.end_headers()
                    return
                data = json.dumps({"method": self.command, "path": self.path, "body": body.decode()}).encode()
                self.send_response(201 if self.command == "POST" else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def upstream():
    server = Upstream()
    yield server
    server.stop()


@pytest.fixture
def proxy(upstream):
    with FaultProxy(upstream.url, stall_seconds=2.0) as p:
        yield p


def call(proxy, method="GET", path="/api/v2/things?x=1", body=None, timeout=5.0):
    """(status, headers, body bytes) through the proxy; raises what http.client raises."""
    port = int(proxy.url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def test_relays_untouched_when_not_armed(proxy, upstream):
    status, _headers, data = call(proxy, "POST", "/api/v2/buckets", {"name": "b"})
    assert status == 201
    assert json.loads(data) == {"method": "POST", "path": "/api/v2/buckets", "body": '{"name": "b"}'}
    status, _headers, data = call(proxy, "DELETE", "/api/v2/buckets/1")
    assert (status, data) == (204, b"")
    assert [(c.number, c.method, c.status, c.fault) for c in proxy.calls] == [
        (1, "POST", 201, None), (2, "DELETE", 204, None)]
    assert upstream.seen == [("POST", "/api/v2/buckets"), ("DELETE", "/api/v2/buckets/1")]


def test_the_nth_call_only_gets_the_fault(proxy, upstream):
    proxy.arm("500", at=2)
    assert call(proxy)[0] == 200
    status, _headers, data = call(proxy)
    assert status == 500 and json.loads(data)["message"] == "fault injected: HTTP 500"
    assert call(proxy)[0] == 200
    assert [c.fault for c in proxy.calls] == [None, "500", None]
    assert len(upstream.seen) == 2  # a 500 never reaches the server
    assert proxy.fired


@pytest.mark.parametrize("kind", ["500", "503", "429", "html", "malformed"])
def test_complete_replies(proxy, upstream, kind):
    proxy.arm(kind, at=1)
    status, headers, data = call(proxy, "POST", "/api/v2/buckets", {"name": "b"})
    assert len(upstream.seen) == (1 if kind in FORWARDED else 0)
    assert int(headers["Content-Length"]) == len(data)
    if kind in ("500", "503", "429"):
        assert status == int(kind)
        assert json.loads(data)["error"] == "fault injected: HTTP %s" % kind
    if kind == "429":
        assert headers["Retry-After"] == "0"
    if kind == "html":
        assert status == 200 and headers["Content-Type"].startswith("text/html") and b"<html>" in data
    if kind == "malformed":
        assert status == 200 and headers["Content-Type"].startswith("application/json")
        with pytest.raises(ValueError):
            json.loads(data)


def test_malformed_reply_to_an_empty_body(proxy):
    proxy.arm("malformed", at=1)
    status, _headers, data = call(proxy, "DELETE", "/api/v2/buckets/1")
    assert status == 200 and data
    with pytest.raises(ValueError):
        json.loads(data)


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_truncated_body(proxy, upstream, method):
    proxy.arm("truncated", at=1)
    with pytest.raises(http.client.IncompleteRead):
        call(proxy, method, "/api/v2/buckets/1")
    assert len(upstream.seen) == 1


def test_reset(proxy, upstream):
    proxy.arm("reset", at=1)
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        call(proxy, "POST", "/api/v2/buckets", {"name": "b"})
    assert len(upstream.seen) == 1
    assert call(proxy)[0] == 200


def test_stall_outlasts_the_client_timeout(proxy, upstream):
    proxy.arm("stall", at=1)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        call(proxy, timeout=0.5)
    assert 0.4 < time.monotonic() - started < 1.5
    assert len(upstream.seen) == 1
    assert call(proxy)[0] == 200  # the next call is not held up by the stalled one


def test_arm_rejects_unknown_faults(proxy):
    with pytest.raises(ValueError):
        proxy.arm("teapot", at=1)
    assert set(FORWARDED) < set(FAULTS)
