"""Nothing secret at -vvv: the proof for part 4 of issue 10.

``playbooks/no_secret_at_vvv.yml`` runs with ``-vvv --diff`` against a real kapacitord 1.8.3 (its
own ``[http] auth-enabled``, the Ansible user's password inside the ``url``) and the real InfluxDB
2.9.1. Its model holds a Slack incoming-webhook URL, a Teams webhook URL, a PagerDuty routing key,
the Kapacitor URL password (and a wrong one), the InfluxDB operator token and a v1 password, each
rotated once so that the diff has a before and an after. tools/leakcheck.py counts every one in the
whole output, raw, base64 and URL-encoded: the table is printed and every count must be 0.

The run must also have done its work with those secrets, and the output must hold what -vvv shows
(invocations, diffs, the masks, the non-secret options): otherwise a count of 0 would prove nothing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets as random_secrets

import pytest

from harness import REPO, VERSIONS, http
from kapacitor_support import PLAYBOOKS, kapacitor_api, start_kapacitor_with_config

pytestmark = pytest.mark.integration

_SPEC = importlib.util.spec_from_file_location("leakcheck", REPO / "tools" / "leakcheck.py")
leakcheck = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(leakcheck)

AUTH_SECTION = '[auth]\n  enabled = true\n  bcrypt-cost = 4\n  cache-expiration = "10m"\n'


def _token(length=24):
    return random_secrets.token_hex(length // 2)


def _slack_url():
    return "https://hooks.slack.com/services/T%s/B%s/%s" % (_token(8).upper(), _token(8).upper(), _token(24))


@pytest.fixture
def kapacitor_with_auth(influxdb, tmp_path):
    """kapacitord with [http] auth-enabled and an admin user ``ansible`` made while auth was off."""
    password = "kap-" + _token(16)
    version = VERSIONS["KAPACITOR_VERSION"]
    workdir = tmp_path / "kapacitor-auth"
    bootstrap = start_kapacitor_with_config(version, workdir, influxdb, auth={"token": influxdb.token},
                                            extra=AUTH_SECTION)
    try:
        status, body = kapacitor_api(bootstrap, "POST", "/users",
                                     body={"name": "ansible", "password": password, "type": "admin"})
        assert status == 200, (status, body)
    finally:
        bootstrap.process.stop()
    server = start_kapacitor_with_config(version, workdir, influxdb, auth={"token": influxdb.token},
                                         extra=AUTH_SECTION, http_auth=True, basic=("ansible", password))
    try:
        assert http("GET", server.url + "/kapacitor/v1/tasks")[0] == 401
        yield server, password
    finally:
        server.process.stop()


def test_no_secret_at_vvv(influxdb, kapacitor_with_auth, prefix, run_playbook, tmp_path):
    kapacitor, kapacitor_password = kapacitor_with_auth
    host = kapacitor.url.split("://", 1)[1]
    wrong_password = "wrong-" + _token(16)
    values = {
        "slack_webhook_url": _slack_url(),
        "slack_webhook_url_rotated": _slack_url(),
        "teams_webhook_url": "https://example.webhook.office.com/webhookb2/%s/IncomingWebhook/%s" % (_token(), _token()),
        "pagerduty_routing_key": _token(32),
        "pagerduty_routing_key_rotated": _token(32),
        "kapacitor_password": kapacitor_password,
        "kapacitor_url_with_password": "http://ansible:%s@%s" % (kapacitor_password, host),
        "kapacitor_url_with_wrong_password": "http://ansible:%s@%s" % (wrong_password, host),
        "influxdb_url": influxdb.url,
        "influxdb_token": influxdb.token,
        "influxdb_org": influxdb.org,
        "v1_password": "v1-" + _token(16),
        "v1_password_rotated": "v1-" + _token(16),
    }
    secrets = {
        "slack webhook url": [values["slack_webhook_url"], values["slack_webhook_url_rotated"]]
        + [url.split("/services/", 1)[1] for url in (values["slack_webhook_url"], values["slack_webhook_url_rotated"])],
        "teams webhook url": [values["teams_webhook_url"], values["teams_webhook_url"].split("/webhookb2/", 1)[1]],
        "pagerduty routing key": [values["pagerduty_routing_key"], values["pagerduty_routing_key_rotated"]],
        "kapacitor url password": [kapacitor_password, wrong_password],
        "influxdb operator token": [influxdb.token],
        "influxdb v1 password": [values["v1_password"], values["v1_password_rotated"]],
    }
    vars_file = tmp_path / "secrets.json"
    vars_file.touch(mode=0o600)
    vars_file.write_text(json.dumps(values))
    secrets_file = tmp_path / "leakcheck-secrets.json"
    secrets_file.touch(mode=0o600)
    secrets_file.write_text(json.dumps(secrets))

    # ansible-core 2.21 returns the invocation only when asked (inject_invocation, off by default);
    # it is asked here so the masked module_args are in the output to be counted (older cores ignore it).
    proc = run_playbook(PLAYBOOKS / "no_secret_at_vvv.yml", diff=True, verbosity=3,
                        extra_vars={"prefix": prefix, "leakcheck_vars": str(vars_file)},
                        env={"ANSIBLE_INJECT_INVOCATION": "1"})
    log = tmp_path / "vvv.log"
    log.write_text(proc.stdout + proc.stderr)
    try:
        # The secrets did their work: Kapacitor holds the rotated values, the v1 password is the new one.
        topic = prefix + "cpu"
        status, body = kapacitor_api(kapacitor, "GET", "/alerts/topics/%s/handlers" % topic,
                                     basic=("ansible", kapacitor_password))
        assert status == 200, (status, body)
        stored = dict((h["id"], h["options"]) for h in body["handlers"])
        assert stored == {"slack": {"workspace": "ops", "channel": "#ops", "username": "kapacitor"},
                          "slack-webhook": {"url": values["slack_webhook_url_rotated"]},
                          "teams": {"channel-url": values["teams_webhook_url"]}}
        assert http("GET", influxdb.url + "/query", basic=(prefix + "v1", values["v1_password_rotated"]))[0] == 400
        assert http("GET", influxdb.url + "/query", basic=(prefix + "v1", values["v1_password"]))[0] == 401

        # The output is -vvv with --diff: invocations, diffs, loop labels, masks and the open options.
        text = log.read_text()
        for shown in ('"module_args"', '"invocation"', '"diff"', "(item=%s/slack-webhook)" % topic,
                      '"channel": "#ops"', '"before"', "********", "HTTP 401", "<localhost> ESTABLISH LOCAL CONNECTION"):
            assert shown in text, "the -vvv output lacks %r: the leak count would prove nothing" % shown

        counts = leakcheck.count(text, secrets)
        print("\n" + leakcheck.table(counts))
        print("(%d bytes of ansible-playbook -vvv --diff output, %s)" % (len(text.encode()), log))
        assert leakcheck.main([str(log), "--secrets-file", str(secrets_file)]) == 0, leakcheck.table(counts)
        assert all(sum(by_form.values()) == 0 for by_form in counts.values()), leakcheck.table(counts)
    finally:
        _remove_influxdb_objects(influxdb, prefix)
        if os.environ.get("LEAKCHECK_KEEP_LOG") is None:
            log.unlink()


def _remove_influxdb_objects(influxdb, prefix):
    status, body = influxdb.api("GET", "/private/legacy/authorizations")
    for auth in (body or {}).get("authorizations", []) if status == 200 else []:
        if auth.get("token") == prefix + "v1":
            influxdb.api("DELETE", "/private/legacy/authorizations/%s" % auth["id"])
    status, body = influxdb.api("GET", "/api/v2/buckets?name=%s" % (prefix + "leakcheck"))
    for bucket in (body or {}).get("buckets", []) if status == 200 else []:
        influxdb.api("DELETE", "/api/v2/buckets/%s" % bucket["id"])
