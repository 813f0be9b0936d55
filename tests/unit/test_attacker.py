"""extensions/molecule/shared/files/attacker.py: what counts as refused, on real sockets, and the racer's verdict."""

from __future__ import annotations

import http.server
import importlib.util
import json
import socket
import threading
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location(
    "attacker", Path(__file__).resolve().parents[2] / "extensions" / "molecule" / "shared" / "files" / "attacker.py"
)
attacker = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(attacker)


class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers with the status in the path (/401 -> 401) and records the Authorization header."""

    seen: list = []

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        _Handler.seen.append(self.headers.get("Authorization"))
        self.send_response(int(self.path.strip("/").split("/")[0]))
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture(name="server")
def fixture_server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("status, refused", [(401, True), (403, True), (400, True), (200, False), (204, False),
                                             (404, False), (500, False)])
def test_http_status(server, status, refused):
    outcome = attacker.call("POST", f"http://{server}/{status}", {"id": "x"}, "user", "pw")
    assert outcome == f"HTTP {status}"
    assert attacker.is_refused(outcome) is refused
    assert _Handler.seen[-1] == "Basic dXNlcjpwdw=="


def test_plain_http_server_spoken_to_over_https_is_a_tls_failure(server):
    outcome = attacker.call("GET", f"https://{server}/200")
    assert outcome == "TLS handshake failed" and attacker.is_refused(outcome)


def test_closed_port_is_connection_refused():
    outcome = attacker.call("GET", f"http://127.0.0.1:{_closed_port()}/")
    assert outcome == "connection refused" and attacker.is_refused(outcome)


def test_unresolved_name_is_not_refused():
    assert not attacker.is_refused(attacker.call("GET", "http://tickstack-no-such-host.invalid/"))


def _race_log(tmp_path, outcomes):
    log = tmp_path / "race.log"
    log.write_text("".join(json.dumps({"t": 0, "scheme": s, "outcome": o}) + "\n" for s, o in outcomes))
    return str(log)


def test_race_refused_when_it_tried_and_never_won(tmp_path):
    row = attacker.race_row(_race_log(tmp_path, [("http", "connection refused"), ("https", "HTTP 422")]))
    assert row["refused"] and row["race_attempts"] == 2 and row["race_created"] == 0
    assert "first: http connection refused" in row["outcome"]


def test_race_not_refused_when_setup_answered_201(tmp_path):
    row = attacker.race_row(_race_log(tmp_path, [("http", "connection refused"), ("https", "HTTP 201")]))
    assert not row["refused"] and row["race_created"] == 1


def test_race_without_attempts_is_not_refused(tmp_path):
    assert not attacker.race_row(str(tmp_path / "missing.log"))["refused"]


def test_attack_table_counts_and_never_shows_the_password(server, tmp_path):
    spec = {
        "attempts": [
            {"attempt": "2 define", "expected": 401, "method": "POST", "url": f"http://{server}/401", "body": {"a": 1},
             "user": "u", "password": "s3cret-password"},
            {"attempt": "1 list", "expected": 401, "method": "GET", "url": f"http://{server}/200"},
        ],
        "race_log": _race_log(tmp_path, [("https", "HTTP 422")]),
    }
    result = attacker.attack(spec)
    assert [row["attempt"].split()[0] for row in result["rows"]] == ["1", "2", "7"]
    assert (result["tried"], result["refused"]) == (3, 2)
    assert result["table"][-1] == "3 tried, 2 refused"
    assert "s3cret-password" not in json.dumps(result)
