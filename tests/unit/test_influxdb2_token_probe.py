"""Unit tests of influxdb2_token_probe against scripted replies (the shapes of influxd 2.9.1's: 200 with
a bucket list for a valid token, 401 with {"code": "unauthorized"} for an unknown one). The module runs
for real against a real influxd in tests/integration/test_influxdb2_token_probe.py."""

from __future__ import annotations

import functools
import json
import os

import pytest

from influxdb2_support import BASE, FakeInflux, error, reply
from module_args import patch_module_args

from ansible_collections.tickstack.influx.plugins.module_utils import http_client as http_module
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import InfluxDB2Client
from ansible_collections.tickstack.influx.plugins.modules import influxdb2_token_probe

OK = reply(200, {"buckets": []})
REFUSED = error(401, "unauthorized access", "unauthorized")
HTML = reply(502, b"<html>Bad gateway</html>", {"Content-Type": "text/html"})
BUCKETS = "/api/v2/buckets"


def run(capsys, monkeypatch, fake, **args):
    monkeypatch.setattr(http_module, "urls_transport", fake)
    monkeypatch.setattr(influxdb2_token_probe, "InfluxDB2Client", functools.partial(InfluxDB2Client, sleep=lambda s: None))
    args.setdefault("url", BASE)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            influxdb2_token_probe.main()
    return json.loads(capsys.readouterr().out)


def token_file(path, text, mode=0o600):
    path.write_text(text)
    os.chmod(path, mode)
    return str(path)


def test_each_copy_is_read_and_sent_as_its_own_token(tmp_path, capsys, monkeypatch):
    copies = {"kapacitor": token_file(tmp_path / "kapacitor.token", "kap-token-0123\n"),
              "telegraf": token_file(tmp_path / "telegraf.token", "tel-token-4567", 0o640),
              "missing": str(tmp_path / "none.token"),
              "empty": token_file(tmp_path / "empty.token", "\n")}
    fake = FakeInflux().on("GET", BUCKETS, lambda sent: OK if sent.headers["Authorization"] == "Token kap-token-0123"
                           else REFUSED)
    result = run(capsys, monkeypatch, fake, copies=copies, token="operator-unused")
    assert [(r.method, r.path, r.query, r.headers["Authorization"]) for r in fake.sent] == [
        ("GET", BUCKETS, {"limit": "1"}, "Token kap-token-0123"),
        ("GET", BUCKETS, {"limit": "1"}, "Token tel-token-4567")]
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
    fake = FakeInflux().on("GET", BUCKETS, HTML)
    result = run(capsys, monkeypatch, fake, copies=copies)
    assert result["failed"] is True and len(fake.sent) == 4
    assert "cannot check this host's kapacitor token with InfluxDB" in result["msg"]
    assert result["status"] == 502
    assert "kap-token-0123" not in json.dumps(result)


def test_a_success_that_is_not_a_bucket_list_fails(tmp_path, capsys, monkeypatch):
    copies = {"kapacitor": token_file(tmp_path / "kapacitor.token", "kap-token-0123\n")}
    fake = FakeInflux().on("GET", BUCKETS, reply(200, b"<html>Sign in</html>", {"Content-Type": "text/html"}))
    result = run(capsys, monkeypatch, fake, copies=copies)
    assert result["failed"] is True and "cannot check this host's kapacitor token with InfluxDB" in result["msg"]
    assert "kap-token-0123" not in json.dumps(result)


def test_a_relative_path_is_refused_before_any_request(tmp_path, capsys, monkeypatch):
    fake = FakeInflux()
    result = run(capsys, monkeypatch, fake, copies={"kapacitor": "tokens/kapacitor.token"})
    assert result["failed"] is True and fake.sent == []
    assert result["msg"] == "copies: the file of kapacitor must be an absolute path, not 'tokens/kapacitor.token'"


def test_absent_reports_the_files_there_without_reading_them(tmp_path, capsys, monkeypatch):
    left = token_file(tmp_path / ".kapacitor-password", "a-kapacitor-password\n")
    result = run(capsys, monkeypatch, FakeInflux(), copies={}, absent=[left, str(tmp_path / "gone")])
    assert result["present"] == [left] and result["changed"] is False
    assert "a-kapacitor-password" not in json.dumps(result)
    result = run(capsys, monkeypatch, FakeInflux(), copies={}, absent=["relative/path"])
    assert result["failed"] is True and result["msg"] == "absent: 'relative/path' is not an absolute path"


def test_read_returns_the_files_content_in_the_same_call(tmp_path, capsys, monkeypatch):
    env = token_file(tmp_path / "environment", "TICKSTACK_RELAY_LISTENER_PASSWORD=abc\n")
    result = run(capsys, monkeypatch, FakeInflux(), copies={}, read=[env, str(tmp_path / "gone")])
    assert result["read"] == {env: "TICKSTACK_RELAY_LISTENER_PASSWORD=abc\n", str(tmp_path / "gone"): None}
    assert run(capsys, monkeypatch, FakeInflux(), copies={}, read=["env"])["msg"] == "read: 'env' is not an absolute path"
