"""The stack role's Kapacitor write relay on real binaries: Telegraf 1.39.3 (inputs.influxdb_listener ->
outputs.influxdb) in front of kapacitord 1.8.3 with its own authentication on, TLS on both legs.

The relay's config is the role's template (rendered and validated by telegraf's checker through a
playbook); its two passwords come from the environment, as from the unit's root-only environment file.
Proven from the outside: a point written to the relay with the relay credential over HTTPS reaches a
stream task under the db/rp it was written with; no credential, a wrong password or plain HTTP is
refused; and the relay credential gets 401 on Kapacitor's own API.
"""

from __future__ import annotations

import base64
import json
import ssl
import time
import urllib.error
import urllib.request

import pytest

from harness import VERSIONS, binary, free_port, start
from kapacitor_support import PLAYBOOKS, make_tls_files, poll, start_kapacitor_with_config

pytestmark = pytest.mark.integration

ADMIN = ("ansible", "admin-password-for-relay-tests")
RELAY_USER = ("tickstack-test-write-relay", "relay-kapacitor-password-0123")
LISTENER = ("telegraf-relay", "listener-password-for-relay-tests")
USERS_ON = ('[auth]\n  enabled = true\n  bcrypt-cost = 4\n  cache-expiration = "10m"\n')
TASKS = {
    "relay_default": ("telegraf", "autogen"),
    "relay_other": ("other", "weekly"),
}


def answers(url, context, basic=None) -> bool:
    try:
        return request("GET", url, context, basic=basic)[0] == 204
    except (OSError, urllib.error.URLError):
        return False


def request(method, url, context, body: bytes | None = None, basic=None, headers=None):
    hdrs = dict(headers or {})
    if basic:
        hdrs["Authorization"] = "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
    req = urllib.request.Request(url, data=body, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=10, context=context) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.fixture(scope="module")
def relay(tmp_path_factory, run_playbook):
    telegraf_bin = binary("telegraf", VERSIONS["TELEGRAF_VERSION"], "telegraf")
    if telegraf_bin is None:
        raise FileNotFoundError("Telegraf was not built: run `make artifacts`")
    root = tmp_path_factory.mktemp("write-relay")
    tls = make_tls_files(root / "tls")
    ca = ssl.create_default_context(cafile=str(tls["ca"]))

    # Kapacitor with HTTPS and its user store; the admin and the relay's user are made before
    # [http] auth-enabled, the way the kapacitor role bootstraps (on loopback).
    kapacitor = start_kapacitor_with_config(VERSIONS["KAPACITOR_VERSION"], root / "kapacitor", None,
                                            extra=USERS_ON, tls=(tls["cert"], tls["key"]))
    for name, password in (ADMIN, RELAY_USER):
        status, body = request("POST", kapacitor.url + "/kapacitor/v1/users", ca, headers={
            "Content-Type": "application/json"},
            body=('{"name": "%s", "password": "%s", "type": "admin"}' % (name, password)).encode())
        assert status == 200, (status, body)
    kapacitor.process.stop()
    # The same config and port, now with every request authenticated (the helper's readiness probe
    # has no credentials, so the restart is waited for here).
    kapacitor.config.write_text(kapacitor.config.read_text().replace("[http]\n", "[http]\n  auth-enabled = true\n", 1))
    kapacitord = binary("kapacitor", VERSIONS["KAPACITOR_VERSION"], "kapacitord")
    kapacitor.process = start("kapacitord", [str(kapacitord), "-config", str(kapacitor.config)], kapacitor.workdir)
    poll(lambda: answers(kapacitor.url + "/kapacitor/v1/ping", ca, basic=ADMIN),
         "kapacitord with authentication", timeout=60)
    for task_id, (db, rp) in TASKS.items():
        script = f"dbrp \"{db}\".\"{rp}\"\nstream\n    |from()\n        .measurement('relayed')\n"
        status, body = request("POST", kapacitor.url + "/kapacitor/v1/tasks", ca, basic=ADMIN,
                               headers={"Content-Type": "application/json"},
                               body=('{"id": "%s", "type": "stream", "status": "enabled", "script": %s}'
                                     % (task_id, json.dumps(script))).encode())
        assert status == 200, (status, body)

    port = free_port()
    config = root / "relay.conf"
    run_playbook(PLAYBOOKS / "kapacitor_write_relay_conf.yml", extra_vars={
        "dest": str(config), "telegraf_bin": str(telegraf_bin), "listen": f"127.0.0.1:{port}",
        "kapacitor_username": RELAY_USER[0], "kapacitor_url": kapacitor.url, "tls_cert": str(tls["cert"]),
        "tls_key": str(tls["key"]), "tls_ca": str(tls["ca"])})
    text = config.read_text()
    assert LISTENER[1] not in text and RELAY_USER[1] not in text
    telegraf = start("telegraf", [str(telegraf_bin), "--config", str(config)], root,
                     env={"TICKSTACK_RELAY_LISTENER_PASSWORD": LISTENER[1],
                          "TICKSTACK_RELAY_KAPACITOR_PASSWORD": RELAY_USER[1]})
    url = f"https://127.0.0.1:{port}"
    poll(lambda: telegraf.proc.poll() is not None or answers(url + "/ping", ca),
         "the relay's listener", timeout=30)
    assert telegraf.proc.poll() is None, telegraf.log.read_text()[-3000:]
    yield {"url": url, "ca": ca, "kapacitor": kapacitor, "telegraf": telegraf}
    telegraf.stop()
    kapacitor.process.stop()


def write(relay, db, rp, basic, scheme_url=None):
    now = int(time.time())
    return request("POST", f"{scheme_url or relay['url']}/write?db={db}&rp={rp}&precision=s", relay["ca"],
                   body=f"relayed,host=web1 value=1 {now}\n".encode(), basic=basic,
                   headers={"Content-Type": "text/plain"})


def processed(relay, task_id) -> int:
    status, body = request("GET", relay["kapacitor"].url + f"/kapacitor/v1/tasks/{task_id}", relay["ca"],
                           basic=ADMIN)
    assert status == 200, (status, body)
    stats = json.loads(body)["stats"]["node-stats"]
    return stats.get("from1", {}).get("collected", 0)


def test_points_reach_the_stream_task_of_their_db_and_rp(relay):
    for db, rp in TASKS.values():
        status, body = write(relay, db, rp, LISTENER)
        assert status == 204, (status, body)
    for task_id in TASKS:
        poll(lambda task_id=task_id: processed(relay, task_id) > 0, f"task {task_id} gets the relayed point",
             timeout=30)


def test_the_relay_refuses_writes_without_the_credential(relay):
    assert write(relay, "telegraf", "autogen", None)[0] == 401
    assert write(relay, "telegraf", "autogen", (LISTENER[0], "wrong-password"))[0] == 401
    assert write(relay, "telegraf", "autogen", ("someone-else", LISTENER[1]))[0] == 401
    # Plain HTTP to the TLS listener, even with the credential: Go's TLS server answers 400.
    status, body = write(relay, "telegraf", "autogen", LISTENER, scheme_url=relay["url"].replace("https://", "http://"))
    assert status == 400, (status, body)


def test_the_relay_credential_is_nothing_on_kapacitors_api(relay):
    api = relay["kapacitor"].url + "/kapacitor/v1"
    for method, path, body in (("GET", "/tasks", None), ("GET", "/config", None),
                               ("POST", "/tasks", b'{"id": "intruder", "type": "batch", "script": ""}'),
                               ("POST", "/write?db=telegraf&rp=autogen", b"x v=1\n")):
        status, text = request(method, api + path, relay["ca"], body=body, basic=LISTENER,
                               headers={"Content-Type": "application/json"})
        assert status == 401, (method, path, status, text)
