"""The redirect policy of the HTTP layer, against real HTTP servers on loopback.

Server ``a`` is the API the client is configured for; ``b`` listens on another port (another origin)
and records every request it gets. Credentials must never reach ``b``: the client refuses a redirect
to another scheme, host or port before it sends anything there, and follows one within its origin.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import collection_path  # noqa: E402,F401 pylint: disable=unused-import  # the collection on sys.path
from ansible.module_utils.urls import open_url

from ansible_collections.tickstack.influx.plugins.module_utils.http_client import (
    MAX_REDIRECTS,
    HttpClient,
    RedirectRefused,
    Response,
    redact_url,
    redirect_target,
)

TOKEN = "tok-3f9a1c0e-redirect-test"
USER, PASSWORD = "ansible", "pw-7d41-redirect-test"
CREDENTIALS = (TOKEN, PASSWORD, base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode())


class Recorder(object):
    """A real HTTP server in a thread. ``routes`` maps a path to ``(status, headers)``; every request
    is recorded with its method, path, headers and body."""

    def __init__(self):
        self.requests = []
        self.routes = {}
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.requests.append({"method": self.command, "path": self.path,
                                          "headers": dict(self.headers.items()), "body": body})
                status, headers = recorder.routes.get(self.path.split("?")[0], (200, {}))
                payload = json.dumps({"path": self.path}).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def leaked(self):
        """How many credential occurrences reached this server, in any header or body."""
        found = 0
        for request in self.requests:
            seen = " ".join("%s: %s" % kv for kv in request["headers"].items()) + request["body"].decode("latin-1")
            found += sum(seen.count(secret) for secret in CREDENTIALS)
        return found


@pytest.fixture
def servers():
    a, b = Recorder(), Recorder()
    yield a, b
    a.close()
    b.close()


def token_client(url):
    return HttpClient(url, headers={"Authorization": "Token %s" % TOKEN}, retries=0, timeout=5)


def basic_client(url):
    return HttpClient(url, url_username=USER, url_password=PASSWORD, retries=0, timeout=5)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("make_client", [token_client, basic_client], ids=["token", "basic"])
def test_no_credential_reaches_another_port(servers, status, make_client):
    a, b = servers
    a.routes["/api/v2/buckets"] = (status, {"Location": b.url + "/api/v2/buckets"})
    with pytest.raises(RedirectRefused) as caught:
        make_client(a.url).get("/api/v2/buckets")
    assert b.requests == [] and b.leaked() == 0
    message = str(caught.value)
    assert a.url + "/api/v2/buckets" in message and b.url + "/api/v2/buckets" in message
    assert "another origin" in message and caught.value.status == status
    # The request did reach the configured server, with its credentials: the policy is not "send none".
    assert a.leaked() >= 1


@pytest.mark.parametrize("make_client", [token_client, basic_client], ids=["token", "basic"])
@pytest.mark.parametrize("status", [307, 308])
def test_a_post_is_not_resent_to_another_origin(servers, status, make_client):
    a, b = servers
    a.routes["/kapacitor/v1/tasks"] = (status, {"Location": b.url + "/kapacitor/v1/tasks"})
    with pytest.raises(RedirectRefused):
        make_client(a.url).post("/kapacitor/v1/tasks", {"id": "t"})
    assert b.requests == [] and b.leaked() == 0


@pytest.mark.parametrize("target", [
    "https://127.0.0.1:{a}/x",          # another scheme, same host and port
    "http://localhost:{a}/x",           # another host name for the same address
    "http://127.0.0.1:{b}/x",           # another port
    "//127.0.0.1:{b}/x",                # scheme-relative
    "http://evil:{a}@127.0.0.1:{b}/x",  # userinfo does not make it the same origin
])
def test_every_kind_of_other_origin_is_refused(servers, target):
    a, b = servers
    a.routes["/p"] = (302, {"Location": target.format(a=a.port, b=b.port)})
    with pytest.raises(RedirectRefused, match="another origin"):
        token_client(a.url).get("/p")
    assert b.requests == []


@pytest.mark.parametrize("make_client, expected", [
    (token_client, "Token %s" % TOKEN),
    (basic_client, "Basic %s" % CREDENTIALS[2]),
], ids=["token", "basic"])
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_same_origin_redirects_are_followed_with_the_credentials(servers, status, make_client, expected):
    a, _b = servers
    a.routes["/old"] = (status, {"Location": "/new"})
    assert make_client(a.url).get("/old") == {"path": "/new"}
    assert [r["path"] for r in a.requests] == ["/old", "/new"]
    assert a.requests[1]["headers"]["Authorization"] == expected


@pytest.mark.parametrize("status", [307, 308])
def test_307_and_308_keep_the_method_and_body(servers, status):
    a, _b = servers
    a.routes["/old"] = (status, {"Location": a.url + "/new"})
    token_client(a.url).post("/old", {"id": "t"})
    assert a.requests[1]["method"] == "POST" and json.loads(a.requests[1]["body"]) == {"id": "t"}


@pytest.mark.parametrize("status", [301, 302, 303])
def test_a_redirect_that_would_turn_a_post_into_a_get_is_refused(servers, status):
    a, _b = servers
    a.routes["/old"] = (status, {"Location": "/new"})
    with pytest.raises(RedirectRefused, match="turn the POST into a GET"):
        token_client(a.url).post("/old", {"id": "t"})
    assert [r["path"] for r in a.requests] == ["/old"]


def test_a_redirect_loop_stops(servers):
    a, _b = servers
    a.routes["/loop"] = (302, {"Location": "/loop"})
    with pytest.raises(RedirectRefused, match="more than %d redirects" % MAX_REDIRECTS):
        token_client(a.url).get("/loop")
    assert len(a.requests) == MAX_REDIRECTS + 1


def test_the_recorder_sees_a_leak_when_redirects_are_followed_blindly(servers):
    """The control: open_url's own 'safe' policy sends the token to the other port, and the recorder
    counts it. Without this, the tests above could pass with a recorder that never sees anything."""
    a, b = servers
    a.routes["/p"] = (302, {"Location": b.url + "/p"})
    open_url(a.url + "/p", headers={"Authorization": "Token %s" % TOKEN}, follow_redirects="safe").read()
    assert b.leaked() == 1


def test_redirect_target_and_messages_never_show_userinfo():
    resp = Response(302, {"Location": "http://u:secret@other:1/x"}, b"")
    with pytest.raises(RedirectRefused) as caught:
        redirect_target("GET", "http://me:pw@host:9092/a", resp)
    assert "secret" not in str(caught.value) and "pw" not in str(caught.value)
    assert "http://host:9092/a" in str(caught.value) and "http://other:1/x" in str(caught.value)
    assert redirect_target("GET", "http://host:9092/a/b", Response(308, {"Location": "c"}, b"")) == "http://host:9092/a/c"
    assert redirect_target("GET", "http://host/a", Response(301, {"Location": "http://HOST:80/b"}, b"")) == "http://HOST:80/b"
    with pytest.raises(RedirectRefused, match="without a Location"):
        redirect_target("GET", "http://host/a", Response(302, {}, b""))
    assert redact_url("https://u:p@h:1/x?q=1") == "https://h:1/x?q=1"
