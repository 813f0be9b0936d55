"""Unit tests of influxdb2_token_probe against scripted replies (the shapes of influxd 2.9.1's: 200 with
a bucket list for a valid token, 401 with {"code": "unauthorized"} for an unknown one). The module runs
for real against a real influxd in tests/integration/test_influxdb2_token_probe.py."""

from __future__ import annotations

import functools
import json
import os
from urllib.parse import parse_qs, urlsplit

import pytest

import collection_path  # noqa: F401 pylint: disable=unused-import  # the collection on sys.path

from module_args import patch_module_args

from ansible_collections.tickstack.influx.plugins.module_utils import http_client as http_module
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import Response
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import InfluxDB2Client
from ansible_collections.tickstack.influx.plugins.modules import influxdb2_token_probe

OK = Response(200, {"Content-Type": "application/json"}, json.dumps({"buckets": []}).encode())
REFUSED = Response(401, {"Content-Type": "application/json"},
                   json.dumps({"code": "unauthorized", "message": "unauthorized access"}).encode())
HTML = Response(502, {"Content-Type": "text/html"}, b"<html>Bad gateway</html>")


class Script(object):
    def __init__(self, replies):
        self.replies = list(replies)
        self.requests = []

    def __call__(self, method, url, headers, data, options):
        parts = urlsplit(url)
        self.requests.append({"method": method, "path": parts.path, "query": parse_qs(parts.query),
                              "token": dict(headers).get("Authorization")})
        return self.replies.pop(0)


def run(capsys, monkeypatch, replies, **args):
    script = Script(replies)
    monkeypatch.setattr(http_module, "urls_transport", script)
    monkeypatch.setattr(influxdb2_token_probe, "InfluxDB2Client", functools.partial(InfluxDB2Client, sleep=lambda s: None))
    args.setdefault("url", "http://influx.test:8086")
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            influxdb2_token_probe.main()
    return json.loads(capsys.readouterr().out), script


def token_file(path, text, mode=0o600):
    path.write_text(text)
    os.chmod(path, mode)
    return str(path)


def test_each_copy_is_read_and_sent_as_its_own_token(tmp_path, capsys, monkeypatch):
    copies = {"kapacitor": token_file(tmp_path / "kapacitor.token", "kap-token-0123\n"),
              "telegraf": token_file(tmp_path / "telegraf.token", "tel-token-4567", 0o640),
              "missing": str(tmp_path / "none.token"),
              "empty": token_file(tmp_path / "empty.token", "\n")}
    result, script = run(capsys, monkeypatch, [OK, REFUSED], copies=copies, token="operator-unused")
    assert [(r["method"], r["path"], r["query"], r["token"]) for r in script.requests] == [
        ("GET", "/api/v2/buckets", {"limit": ["1"]}, "Token kap-token-0123"),
        ("GET", "/api/v2/buckets", {"limit": ["1"]}, "Token tel-token-4567")]
    found = result["copies"]
    assert result["changed"] is False
    here = {"mode": "%04o" % (os.stat(tmp_path).st_mode & 0o7777), "uid": os.getuid(), "gid": os.getgid()}
    assert found["kapacitor"] == {"exists": True, "accepted": True, "value": "kap-token-0123", "mode": "0600",
                                  "uid": os.getuid(), "gid": os.getgid(), "directory": here}
    assert found["telegraf"]["accepted"] is False and found["telegraf"]["mode"] == "0640"
    assert found["missing"] == {"exists": False, "accepted": False, "value": None, "mode": None, "uid": None,
                                "gid": None, "directory": here}
    assert found["empty"]["exists"] is False and found["empty"]["mode"] == "0600"


def test_an_answer_that_judges_nothing_fails_naming_the_copy_not_the_token(tmp_path, capsys, monkeypatch):
    copies = {"kapacitor": token_file(tmp_path / "kapacitor.token", "kap-token-0123\n")}
    # The client retries a 5xx (3 retries); then the module fails.
    result, script = run(capsys, monkeypatch, [HTML] * 4, copies=copies)
    assert result["failed"] is True and len(script.requests) == 4
    assert "cannot check this host's kapacitor token with InfluxDB" in result["msg"]
    assert result["status"] == 502
    assert "kap-token-0123" not in json.dumps(result)


def test_a_relative_path_is_refused_before_any_request(tmp_path, capsys, monkeypatch):
    result, script = run(capsys, monkeypatch, [], copies={"kapacitor": "tokens/kapacitor.token"})
    assert result["failed"] is True and script.requests == []
    assert result["msg"] == "copies: the file of kapacitor must be an absolute path, not 'tokens/kapacitor.token'"
