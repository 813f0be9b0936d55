"""A small HTTP proxy that injects one fault at the Nth request it relays.

It sits between the modules and a real influxd or kapacitord on loopback. Every request is counted;
when the count reaches the armed number, that one request gets the armed fault and every other one
is relayed untouched. Standard library only: ``http.server`` for the listening side (threaded),
``http.client`` for the upstream side.

Which faults reach the server first matters for what a module may assume afterwards:

- never forwarded (the server did not see the request): ``500`` (the server failed before acting),
  ``429`` (a rate limiter in front of it, with ``Retry-After: 0``), ``html`` (a proxy's or captive
  portal's page with status 200);
- forwarded, then the reply is lost or spoiled (the server did act): ``503`` (a gateway that gave up
  waiting), ``malformed`` (status 200 and a complete body that is not JSON), ``truncated`` (fewer
  bytes than the Content-Length promised, then the connection closes), ``reset`` (a TCP reset
  instead of any reply) and ``stall`` (no reply for ``stall_seconds``, then the connection closes;
  make it longer than the client's timeout).
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import struct
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FAULTS = ("500", "503", "429", "html", "malformed", "truncated", "reset", "stall")
FORWARDED = frozenset(("503", "malformed", "truncated", "reset", "stall"))
HOP_BY_HOP = frozenset(("connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
                        "upgrade", "content-length", "host"))
HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\n"
             b"<body><h1>Corporate proxy</h1><p>Please sign in to continue.</p></body></html>\n")


@dataclass
class Call:
    """One request the proxy saw: its number, method, path (with the query), the upstream status, the
    fault if any, the request body as sent, and who sent it (the Basic auth username, ``token`` for a
    token, None for none; never a secret)."""

    number: int
    method: str
    path: str
    status: int | None
    fault: str | None
    body: bytes | None = None
    who: str | None = None


def _who(authorization: str | None) -> str | None:
    """The username of a Basic Authorization header, ``token`` for a token, None without one."""
    if not authorization:
        return None
    scheme, _sep, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return "token"
    try:
        return base64.b64decode(value).decode("utf-8", "replace").partition(":")[0]
    except ValueError:
        return "basic"


class FaultProxy:
    """``with FaultProxy(upstream_url) as proxy:`` then point the module at ``proxy.url``.

    ``arm(kind, at)`` injects ``kind`` at the ``at``-th request counted from the last ``reset()``
    (1-based), once. ``calls`` lists what was seen since then.
    """

    def __init__(self, upstream: str, stall_seconds: float = 4.0, upstream_timeout: float = 30.0):
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError("upstream must be an http:// URL, got %r" % upstream)
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.stall_seconds = stall_seconds
        self.upstream_timeout = upstream_timeout
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._count = 0
        self._armed: tuple[str, int] | None = None
        self.calls: list[Call] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return "http://%s:%d" % (host, port)

    @property
    def count(self) -> int:
        with self._lock:
            return self._count

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()  # wakes stalled handlers
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def reset(self):
        """Forget the calls seen and disarm."""
        with self._lock:
            self._count = 0
            self._armed = None
            self.calls = []

    def arm(self, kind: str, at: int):
        if kind not in FAULTS:
            raise ValueError("unknown fault %r; one of %s" % (kind, ", ".join(FAULTS)))
        if at < 1:
            raise ValueError("at counts from 1")
        with self._lock:
            self._armed = (kind, self._count + at)

    def disarm(self):
        with self._lock:
            self._armed = None

    @property
    def fired(self) -> bool:
        """True once the armed fault was injected."""
        with self._lock:
            return any(c.fault for c in self.calls)

    # -- internals ---------------------------------------------------------------------------------

    def _next(self, method: str, path: str, body: bytes | None = None,
              who: str | None = None) -> tuple[Call, str | None]:
        with self._lock:
            self._count += 1
            fault = None
            if self._armed and self._armed[1] == self._count:
                fault = self._armed[0]
                self._armed = None
            call = Call(self._count, method, path, None, fault, body, who)
            self.calls.append(call)
            return call, fault

    def _forward(self, method: str, path: str, headers, body: bytes | None):
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=self.upstream_timeout)
        try:
            out = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
            out["Host"] = "%s:%d" % (self.upstream_host, self.upstream_port)
            out["Connection"] = "close"
            conn.request(method, path, body=body, headers=out)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.reason, [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP], data
        finally:
            conn.close()

    def _handler_class(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # with an explicit Content-Length, so a short body is detectable

            def log_message(self, *args):  # quiet
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                call, fault = proxy._next(self.command, self.path, body, _who(self.headers.get("Authorization")))
                upstream = None
                if fault is None or fault in FORWARDED:
                    try:
                        upstream = proxy._forward(self.command, self.path, self.headers, body)
                    except OSError as e:
                        self._reply(502, "Bad Gateway", [("Content-Type", "text/plain")],
                                    ("fault proxy: upstream failed: %s" % e).encode())
                        return
                    call.status = upstream[0]
                if fault is None:
                    self._reply(*upstream)
                else:
                    self._inject(fault, upstream)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

            def _reply(self, status, reason, headers, data, declared_length=None):
                self.send_response_only(status, reason)
                for key, value in headers:
                    self.send_header(key, value)
                if self.command != "HEAD" and status not in (204, 304):
                    self.send_header("Content-Length", str(len(data) if declared_length is None else declared_length))
                self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD" and status not in (204, 304):
                    self.wfile.write(data)
                self.wfile.flush()
                self.close_connection = True

            def _error_body(self, status):
                text = "fault injected: HTTP %d" % status
                # InfluxDB says {"code", "message"}, Kapacitor {"error"}.
                return json.dumps({"code": "internal error", "message": text, "error": text}).encode()

            def _inject(self, fault, upstream):
                json_type = [("Content-Type", "application/json; charset=utf-8")]
                if fault in ("500", "503"):
                    self._reply(int(fault), http.client.responses[int(fault)], json_type,
                                self._error_body(int(fault)))
                elif fault == "429":
                    self._reply(429, "Too Many Requests", json_type + [("Retry-After", "0")], self._error_body(429))
                elif fault == "html":
                    self._reply(200, "OK", [("Content-Type", "text/html; charset=utf-8")], HTML_PAGE)
                elif fault == "malformed":
                    data = upstream[3]
                    spoiled = data[: max(1, len(data) // 2)] + b'\x00,"' if data.strip() else b'{"id": "00'
                    self._reply(200, "OK", json_type, spoiled)
                elif fault == "truncated":
                    data = upstream[3] if upstream[3].strip() else b'{"id": "0000000000000000"}'
                    status = upstream[0] if upstream[0] not in (204, 304) else 200
                    headers = [(k, v) for k, v in upstream[2] if k.lower() != "content-type"] + json_type
                    self._reply(status, upstream[1], headers, data[: len(data) // 2], declared_length=len(data))
                    self._abort(reset=False)
                elif fault == "reset":
                    self._abort(reset=True)
                elif fault == "stall":
                    proxy._stop.wait(proxy.stall_seconds)
                    self._abort(reset=False)

            def _abort(self, reset):
                self.close_connection = True
                try:
                    if reset:  # SO_LINGER 0: close() sends RST instead of FIN
                        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    else:
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self.connection.close()

            def finish(self):
                try:
                    super().finish()
                except OSError:
                    pass

        return Handler
