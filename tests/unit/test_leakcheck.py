"""tools/leakcheck.py: every form of a secret is counted, and the exit status says whether any was."""

from __future__ import annotations

import base64
import importlib.util
import json
from pathlib import Path
from urllib.parse import quote

import pytest

SPEC = importlib.util.spec_from_file_location("leakcheck", Path(__file__).resolve().parents[2] / "tools" / "leakcheck.py")
leakcheck = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(leakcheck)

PASSWORD = "s3cr3t-P@ss/word"


@pytest.mark.parametrize("prefix", ["", "a", "ab", "user:", "Basic ", "xyz0123"])
def test_base64_is_found_at_every_alignment(prefix):
    encoded = base64.b64encode((prefix + PASSWORD + "tail").encode()).decode()
    counts = leakcheck.count("Authorization: Basic %s\n" % encoded, {"pw": [PASSWORD]})
    assert counts["pw"]["base64"] == 1 and counts["pw"]["raw"] == 0


def test_urlsafe_base64_and_url_encoding():
    text = "x=%s y=%s" % (base64.urlsafe_b64encode(PASSWORD.encode()).decode(), quote(PASSWORD, safe=""))
    assert leakcheck.count(text, {"pw": [PASSWORD]})["pw"] == {"raw": 0, "base64": 1, "urlencoded": 1}


def test_raw_and_json_escaped():
    quoted = 'pass"word\\x'
    text = "a %s b %s" % (quoted, json.dumps({"v": quoted}))
    assert leakcheck.count(text, {"q": [quoted]})["q"]["raw"] == 2


def test_nothing_found_is_zero_everywhere_and_a_form_equal_to_raw_counts_once():
    counts = leakcheck.count("token=abcdef123456", {"token": ["abcdef123456"], "other": ["zzzzzzzzzz"]})
    assert counts == {"token": {"raw": 1, "base64": 0, "urlencoded": 0},
                      "other": {"raw": 0, "base64": 0, "urlencoded": 0}}


def test_short_values_are_searched_raw_only():
    assert leakcheck.forms("abc")["base64"] == set()


def test_cli_exit_status_table_and_secrets_file(tmp_path, capsys):
    log = tmp_path / "run.log"
    log.write_text("ok: masked ******** and Token tok-0123456789\n")
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"influxdb token": "tok-0123456789", "slack webhook": ["https://hooks/x1", "https://hooks/x2"]}))
    assert leakcheck.main([str(log), "--secrets-file", str(secrets)]) == 1
    out = capsys.readouterr().out
    assert "influxdb token" in out and "1 occurrence(s) of 2 secret kind(s)" in out
    log.write_text("ok: masked ********\n")
    assert leakcheck.main([str(log), "--secrets-file", str(secrets), "--secret", "pw=hunter22"]) == 0
    assert "0 occurrence(s) of 3 secret kind(s)" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--secret", "novalue"], "use KIND=VALUE"),
    (["--secret", "empty="], "an empty value"),
    ([], "no secrets given"),
])
def test_cli_usage_errors(tmp_path, capsys, argv, message):
    log = tmp_path / "run.log"
    log.write_text("")
    assert leakcheck.main([str(log)] + argv) == 2
    assert message in capsys.readouterr().err
