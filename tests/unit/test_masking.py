"""The masking rules (plugins/module_utils/masking.py) and the runner's hiding of URL credentials,
rule by rule, then through the real module entry points: the whole JSON a module prints (result,
diff, ``invocation``: what ``-vvv`` shows) holds no secret."""

from __future__ import annotations

import json

import pytest

import collection_path  # noqa: E402,F401 pylint: disable=unused-import  # the collection on sys.path
from module_args import INJECT_INVOCATION, patch_module_args  # noqa: E402
import test_kapacitor_modules  # noqa: E402
from influxdb2_support import FakeInflux, org, reply  # noqa: E402
from test_kapacitor_modules import FakeKapacitor  # noqa: E402

from ansible_collections.tickstack.influx.plugins.module_utils import http_client as http_module  # noqa: E402
from ansible_collections.tickstack.influx.plugins.module_utils import kapacitor as k  # noqa: E402
from ansible_collections.tickstack.influx.plugins.module_utils.masking import (  # noqa: E402
    MASK,
    is_secret_name,
    mask,
    option_secrets,
    secret_values,
    url_secrets,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import param_secrets  # noqa: E402
from ansible_collections.tickstack.influx.plugins.modules import (  # noqa: E402
    influxdb1_info,
    influxdb2_org,
    kapacitor_info,
    kapacitor_task,
    kapacitor_topic_handler,
)

SLACK = "https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx"
ROUTING_KEY = "R0UT1NGKEY0123456789abcdefabcdef"
URL_PASSWORD = "kap-url-pw-8e2c"


# -- rule 1: the option's name ------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "url", "URL", "urls", "uri", "webhook", "webhook-url", "webhookUrl", "channel-url", "dsn", "sentry_dsn",
    "routing-key", "routing_key", "routingKey", "service-key", "api-key", "apikey", "api_key", "user-key", "key",
    "token", "auth-token", "access_token", "password", "passwd", "pass", "secret", "client-secret",
    "Authorization", "credentials",
])
def test_secret_names(name):
    assert is_secret_name(name)
    assert option_secrets(name, "v4lue") == {"v4lue"}


@pytest.mark.parametrize("name", [
    "channel", "username", "icon-emoji", "path", "topic", "topics", "workspace", "mention", "room", "to", "from",
    "host", "port", "security", "curly", "keyspace", "headers", "retries", "timeout", "skip-ssl-verification",
])
def test_names_that_are_not_secret(name):
    assert not is_secret_name(name)
    assert option_secrets(name, "plain value") == set()


def test_empty_and_boolean_values_are_never_secret():
    assert option_secrets("password", "") == set() and option_secrets("token", None) == set()
    assert option_secrets("key", True) == set()
    assert option_secrets("token", 12345) == {"12345"}


# -- rule 2: credentials inside URL-looking strings -----------------------------------------------

@pytest.mark.parametrize("text, secrets", [
    ("http://user:p4ss@host:9092", {"p4ss"}),
    ("http://user:p%40ss@host:9092/x", {"p%40ss", "p@ss"}),
    ("https://0123abcd@sentry.example.com/42", {"0123abcd"}),          # userinfo without a password: a key
    ("tcp://kap:pw1@a:1 and udp://kap:pw2@b:2", {"pw1", "pw2"}),        # every URL in the string
    (SLACK, {SLACK}),                                                   # a webhook URL is secret whole
    ("https://discord.com/api/webhooks/123/tok", {"https://discord.com/api/webhooks/123/tok"}),
    ("https://chat.example.com/hooks/xyz", {"https://chat.example.com/hooks/xyz"}),
    ("https://org.webhook.office.com/webhookb2/abc", {"https://org.webhook.office.com/webhookb2/abc"}),
    ("https://chat.googleapis.com/v1/spaces/S/messages?key=K1&token=T1", {"K1", "T1"}),
    ("https://x.example.com/api?sig=abc%2Fd&page=2", {"abc/d", "abc%2Fd"}),
    ("https://alerts.example.com/kapacitor", set()),                    # a plain URL has nothing to hide
    ("no url here: user:pass@host", set()),
])
def test_url_secrets(text, secrets):
    assert url_secrets(text) == secrets
    assert option_secrets("description", text) == secrets


def test_values_under_a_secret_name_are_secret_all_the_way_down():
    options = {"headers": {"Authorization": "Bearer abc", "X-Env": "prod"}, "urls": ["http://a", "http://b"]}
    assert secret_values(options) == {"Bearer abc", "http://a", "http://b"}


# -- mask() and secret_values() agree ------------------------------------------------------------

def test_mask_hides_exactly_what_secret_values_finds_and_keeps_the_rest():
    options = {
        "url": SLACK, "channel": "#alerts", "username": "kapacitor", "workspace": "ops",
        "routing-key": ROUTING_KEY, "headers": {"Authorization": "Bearer abc", "X-Env": "prod"},
        "note": "see http://u:notepw@wiki/x", "password": "", "retries": 3, "enabled": True,
    }
    masked = mask(options)
    assert masked == {
        "url": MASK, "channel": "#alerts", "username": "kapacitor", "workspace": "ops",
        "routing-key": MASK, "headers": {"Authorization": MASK, "X-Env": "prod"},
        "note": "see http://u:%s@wiki/x" % MASK, "password": "", "retries": 3, "enabled": True,
    }
    text = json.dumps(masked)
    assert not [s for s in secret_values(options) if s in text]
    assert k.mask_options(options) == masked and k.secret_option_values(options) == secret_values(options)
    assert k.is_secret_option("routing-key") and not k.is_secret_option("channel")


def test_param_secrets_finds_url_credentials_anywhere_in_the_params():
    params = {"url": "http://ansible:%s@kap:9092" % URL_PASSWORD, "options": {"hosts": ["tcp://a:b@c:1"]},
              "script": "stream|alert().post('%s')" % SLACK, "timeout": 10, "validate_certs": True}
    assert param_secrets(params) == {URL_PASSWORD, "b", SLACK}
    assert param_secrets({"url": "http://localhost:9092"}) == set()


# -- through the real module entry points --------------------------------------------------------

@pytest.fixture
def kapacitor(monkeypatch):
    monkeypatch.setattr(test_kapacitor_modules, "HANDLER_KINDS", test_kapacitor_modules.HANDLER_KINDS + ("pagerduty2",))
    fake = FakeKapacitor()
    monkeypatch.setattr(http_module, "urls_transport", fake)
    return fake


def run(module, capsys, **args):
    """main() as Ansible runs it with --diff; the whole JSON line the module prints."""
    args.update(_ansible_check_mode=False, _ansible_diff=True, _ansible_verbosity=4, **INJECT_INVOCATION)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    out = capsys.readouterr().out
    return out, json.loads(out)


def test_a_password_in_the_url_is_nowhere_in_the_output(kapacitor, capsys):
    kapacitor.credentials = ("ansible", URL_PASSWORD)   # anything else is answered 401: the password is used
    url = "http://ansible:%s@kap.test:9092" % URL_PASSWORD
    out, result = run(kapacitor_info, capsys, url=url)
    assert "failed" not in result and result["changed"] is False and URL_PASSWORD not in out
    assert result["invocation"]["module_args"]["url"] == "http://ansible:%s@kap.test:9092" % MASK


def test_a_password_in_kapacitor_url_is_nowhere_in_the_output(kapacitor, capsys, monkeypatch):
    kapacitor.credentials = ("ansible", URL_PASSWORD)
    monkeypatch.setenv("KAPACITOR_URL", "http://ansible:%s@kap.test:9092" % URL_PASSWORD)
    out, result = run(kapacitor_task, capsys, id="t", state="absent")
    assert "failed" not in result and URL_PASSWORD not in out


def test_a_failure_before_validation_hides_the_url_password(kapacitor, capsys):
    out, result = run(kapacitor_info, capsys, url="http://ansible:%s@kap.test:9092" % URL_PASSWORD, timeout="soon")
    assert result["failed"] is True and "timeout" in result["msg"] and URL_PASSWORD not in out


def test_an_api_failure_hides_the_url_password(kapacitor, capsys):
    kapacitor.credentials = ("ansible", "another password")
    out, result = run(kapacitor_info, capsys, url="http://ansible:%s@kap.test:9092/" % URL_PASSWORD)
    assert result["failed"] is True and result["status"] == 401 and URL_PASSWORD not in out


def test_slack_and_pagerduty_handlers_show_no_secret_but_their_other_options(kapacitor, capsys):
    slack = {"url": SLACK, "channel": "#alerts", "username": "kapacitor"}
    out, result = run(kapacitor_topic_handler, capsys, topic="cpu", id="slack", kind="slack", options=slack)
    assert result["changed"] is True and SLACK not in out and "T0AAAAAAA" not in out
    assert result["handler"]["options"] == {"url": MASK, "channel": "#alerts", "username": "kapacitor"}
    assert result["diff"]["after"]["options"] == {"url": MASK, "channel": "#alerts", "username": "kapacitor"}
    assert kapacitor.handlers[("cpu", "slack")]["options"] == slack   # the real URL was sent

    new_slack = SLACK.replace("abcdefghijklmnop", "ZYXWVUTSRQPONMLK")
    out, result = run(kapacitor_topic_handler, capsys, topic="cpu", id="slack", kind="slack",
                      options=dict(slack, url=new_slack, channel="#ops"))
    assert result["changed"] is True and SLACK not in out and new_slack not in out
    assert result["diff"] == {"before": {"options": {"url": MASK, "channel": "#alerts", "username": "kapacitor"}},
                              "after": {"options": {"url": MASK, "channel": "#ops", "username": "kapacitor"}}}

    out, result = run(kapacitor_topic_handler, capsys, topic="pd", id="pd", kind="pagerduty2",
                      options={"routing-key": ROUTING_KEY})
    assert ROUTING_KEY not in out and result["handler"]["options"] == {"routing-key": MASK}

    out, result = run(kapacitor_topic_handler, capsys, topic="pd", id="pd", state="absent")
    assert ROUTING_KEY not in out and result["diff"]["before"]["options"] == {"routing-key": MASK}

    out, result = run(kapacitor_info, capsys, url="http://kap.test:9092")
    assert SLACK not in out and new_slack not in out and "#ops" in out


def test_influxdb2_and_influxdb1_modules_hide_url_passwords_too(monkeypatch, capsys):
    fake = FakeInflux().on("GET", "/api/v2/orgs", reply(200, {"orgs": [org()]}))
    monkeypatch.setattr(http_module, "urls_transport", fake)
    out, result = run(influxdb2_org, capsys, url="http://u:%s@influx.test:8086" % URL_PASSWORD, token="t0ken",
                      name="acme")
    assert "failed" not in result and result["changed"] is False and URL_PASSWORD not in out

    monkeypatch.setenv("INFLUXDB1_URL", "http://admin:%s@influx1.test:8086" % URL_PASSWORD)
    monkeypatch.setattr(http_module, "urls_transport", FakeInflux())   # answers nothing: the module fails
    out, result = run(influxdb1_info, capsys)
    assert result["failed"] is True and URL_PASSWORD not in out
