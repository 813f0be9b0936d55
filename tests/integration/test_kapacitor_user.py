"""kapacitor_user against kapacitord 1.8.3 with [auth] enabled and [http] auth-enabled.

The admin is made the only way Kapacitor allows (while no request is authenticated yet, on loopback),
then every call authenticates. The test checks from the outside what the playbook's results claim:
the user's real password and permissions, and that the previous password stops working at once.
"""

from __future__ import annotations

import pytest

from harness import VERSIONS, http, start_kapacitor
from kapacitor_support import PLAYBOOKS

pytestmark = pytest.mark.integration

ADMIN = ("ansible", "admin-password-for-tests")
TG_PASSWORD, TG_PASSWORD_2 = "first-telegraf-password", "second-telegraf-password"
TASK = {"id": "intruder", "type": "stream", "dbrps": [{"db": "telegraf", "rp": "autogen"}],
        "script": "stream\n    |from()\n        .measurement('cpu')\n"}


@pytest.fixture(scope="module")
def kapacitor(tmp_path_factory):
    server = start_kapacitor(VERSIONS["KAPACITOR_VERSION"], tmp_path_factory.mktemp("kapacitor-users"), None,
                             admin=ADMIN)
    yield server
    server.process.stop()


def test_users_lifecycle(kapacitor, prefix, run_playbook):
    url = kapacitor.url + "/kapacitor/v1"
    name = f"{prefix}telegraf-web1"
    extra = {"kapacitor_url": kapacitor.url, "admin_password": ADMIN[1], "prefix": prefix,
             "tg_password": TG_PASSWORD, "tg_password_2": TG_PASSWORD_2}
    result = run_playbook(PLAYBOOKS / "kapacitor_user.yml", extra_vars=extra, diff=True, verbosity=2)
    output = result.stdout + result.stderr
    for secret in (ADMIN[1], TG_PASSWORD, TG_PASSWORD_2):
        assert secret not in output

    status, user = http("GET", f"{url}/users/{name}", basic=ADMIN)
    assert status == 200 and user["permissions"] == ["write_points"] and user["type"] == "normal"
    # The new password logs in; the first one, which logged in before the change, no longer does.
    assert http("GET", f"{url}/ping", basic=(name, TG_PASSWORD_2))[0] == 204
    assert http("GET", f"{url}/ping", basic=(name, TG_PASSWORD))[0] == 401
    # Nobody without credentials gets in; the write_points user cannot define a task.
    assert http("GET", f"{url}/tasks")[0] == 401
    status, body = http("POST", f"{url}/tasks", body=TASK, basic=(name, TG_PASSWORD_2))
    assert status == 403, (status, body)
    assert http("GET", f"{url}/tasks/intruder", basic=ADMIN)[0] == 404

    run_playbook(PLAYBOOKS / "kapacitor_user_remove.yml", extra_vars=extra)
    assert http("GET", f"{url}/users/{name}", basic=ADMIN)[0] == 404
    assert http("GET", f"{url}/ping", basic=(name, TG_PASSWORD_2))[0] == 401
