# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``telegraf_model`` filter: what the telegraf role writes, from its variables, and what is wrong with them.

From the role's variables (``telegraf_*``, gathered into one dict by ``roles/telegraf/vars/main.yml``) it
works out, in one pass on the controller:

* ``config``: Telegraf's whole configuration as a dict (secret stores, global tags, agent, outputs -
  InfluxDB 2, each Kapacitor target, then ``telegraf_influxdb_outputs`` -, inputs, then
  ``telegraf_config_extra`` merged in), which ``telegraf_fragments`` splits into files;
* ``secrets``: name to value, for the secret store (the InfluxDB token, each Kapacitor output's
  password, ``telegraf_secrets``);
* ``secret_store``: ``systemd`` (LoadCredential=, systemd 250 or later) or ``files``;
* ``problems``: one message per wrong or missing setting, each naming the variable and the fix; the
  role's preflight fails listing them all, before anything is written.

The secrets themselves never go into ``config``: it says ``@{secrets:<name>}``. See
``telegraf_model.yml`` for the options.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.tickstack.influx.plugins.plugin_utils.variables import empty as _empty

SECRET_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
SECRET_STORES = ("auto", "systemd", "files")
# LoadCredential= with the $CREDENTIALS_DIRECTORY Telegraf's systemd store reads.
SYSTEMD_CREDENTIALS = 250
STORE_ID = "secrets"


def _merge(base: Any, extra: Any) -> Any:
    """Ansible's ``combine(recursive=True)``: mappings merged key by key, anything else replaced."""
    if not isinstance(base, Mapping) or not isinstance(extra, Mapping):
        return extra
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = _merge(merged[key], value) if key in merged else value
    return merged


def _secret(name: str) -> str:
    return "@{%s:%s}" % (STORE_ID, name)


def _systemd_version(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _influxdb_v2(model: Mapping, problems: list) -> dict:
    names = ("urls", "token", "organization", "bucket")
    missing = ["telegraf_influxdb_v2_" + name for name in names if _empty(model.get("influxdb_v2_" + name))]
    if missing:
        problems.append(
            "telegraf_influxdb_v2_enabled is true, so telegraf_influxdb_v2_urls, telegraf_influxdb_v2_token (from a "
            "vault), telegraf_influxdb_v2_organization and telegraf_influxdb_v2_bucket must be set. Empty now: %s."
            % ", ".join(missing))
    output = {
        "urls": model.get("influxdb_v2_urls"),
        "token": _secret("influx_token"),
        "organization": model.get("influxdb_v2_organization"),
        "bucket": model.get("influxdb_v2_bucket"),
    }
    if not _empty(model.get("influxdb_v2_tls_ca")):
        output["tls_ca"] = model["influxdb_v2_tls_ca"]
    if model.get("influxdb_v2_insecure_skip_verify"):
        output["insecure_skip_verify"] = True
    return _merge(output, model.get("influxdb_v2_extra") or {})


def _kapacitor_targets(model: Mapping) -> list:
    """telegraf_kapacitor_outputs, else the one output of telegraf_kapacitor_urls."""
    outputs = model.get("kapacitor_outputs") or []
    if outputs:
        return list(outputs)
    return [{"urls": model.get("kapacitor_urls"), "username": model.get("kapacitor_username"),
             "password": model.get("kapacitor_password")}]


def _kapacitor(model: Mapping, problems: list) -> tuple[list, dict]:
    """One [[outputs.influxdb]] per target, and the passwords of those with a username: the first one's
    is kapacitor_password, the others' kapacitor_password_<n>."""
    targets = _kapacitor_targets(model)
    common = {
        "database": model.get("kapacitor_database"),
        "retention_policy": model.get("kapacitor_retention_policy"),
        "skip_database_creation": True,
    }
    if not _empty(model.get("kapacitor_namepass")):
        common["namepass"] = model["kapacitor_namepass"]
    if not _empty(model.get("kapacitor_tls_ca")):
        common["tls_ca"] = model["kapacitor_tls_ca"]
    if model.get("kapacitor_insecure_skip_verify"):
        common["insecure_skip_verify"] = True
    outputs, secrets, wrong = [], {}, False
    for index, target in enumerate(targets):
        if not isinstance(target, Mapping) or _empty(target.get("urls")):
            wrong = True
            continue
        output = dict({"urls": target["urls"]}, **common)
        if not _empty(target.get("username")):
            name = "kapacitor_password" if index == 0 else "kapacitor_password_%d" % index
            secrets[name] = target.get("password") or ""
            wrong = wrong or _empty(secrets[name])
            output.update(username=target["username"], password=_secret(name))
        outputs.append(_merge(output, model.get("kapacitor_extra") or {}))
    if wrong or _empty(model.get("kapacitor_database")):
        problems.append(
            "telegraf_kapacitor_enabled is true, so telegraf_kapacitor_urls (or the urls of every item of "
            "telegraf_kapacitor_outputs) and telegraf_kapacitor_database (the database the stream tasks' dbrp names) "
            "must be set, and telegraf_kapacitor_password (or the item's password) too where a username is.")
    return outputs, secrets


def _influxdb_outputs(value: Any, problems: list) -> list:
    """telegraf_influxdb_outputs: further [[outputs.influxdb]] tables (a 1.x server), each with its urls."""
    if _empty(value):
        return []
    if (not isinstance(value, (list, tuple))
            or any(not isinstance(item, Mapping) or _empty(item.get("urls")) or isinstance(item.get("urls"), str)
                   for item in value)):
        problems.append("telegraf_influxdb_outputs must be a list of [[outputs.influxdb]] settings, each a dict with "
                        "urls (a list); a password there is a reference to telegraf_secrets (@{secrets:<name>}).")
        return []
    return [dict(item) for item in value]


def _inputs(value: Any, problems: list) -> dict:
    """Each input as a list of instances ([[inputs.<name>]] per item); a dict (or null) is one instance."""
    if not isinstance(value, Mapping):
        problems.append("telegraf_inputs must map plugin names to settings (a dict, or a list of dicts for several "
                        "instances of one plugin).")
        return {}
    return {name: [conf or {}] if conf is None or isinstance(conf, Mapping) else conf
            for name, conf in value.items()}


def telegraf_model(model: Any) -> dict:
    if not isinstance(model, Mapping):
        raise AnsibleFilterError("telegraf_model: expected the telegraf role's variables as a dict, got %s"
                                 % type(model).__name__)
    problems: list[str] = []
    secrets: dict[str, Any] = {}
    outputs: dict[str, list] = {}
    if model.get("influxdb_v2_enabled"):
        outputs["influxdb_v2"] = [_influxdb_v2(model, problems)]
        secrets["influx_token"] = model.get("influxdb_v2_token")
    if model.get("kapacitor_enabled"):
        outputs["influxdb"], kapacitor_secrets = _kapacitor(model, problems)
        secrets.update(kapacitor_secrets)
    influxdb = _influxdb_outputs(model.get("influxdb_outputs"), problems)
    if influxdb:
        outputs["influxdb"] = outputs.get("influxdb", []) + influxdb

    own = model.get("secrets")
    if isinstance(own, Mapping):
        secrets = {**own, **secrets}
    version = _systemd_version(model.get("systemd_version"))
    store = model.get("secret_store")
    resolved = store if store != "auto" else "systemd" if version >= SYSTEMD_CREDENTIALS else "files"
    if (not isinstance(own, Mapping) or store not in SECRET_STORES
            or any(not SECRET_NAME.match(str(name)) for name in secrets)
            or (resolved == "systemd" and secrets and version < SYSTEMD_CREDENTIALS)):
        problems.append(
            "telegraf_secrets must map names (letters, digits, _ . -) to values, telegraf_secret_store must be auto, "
            "systemd or files, and with systemd the secrets (%s) are systemd credentials (LoadCredential=), which need "
            "systemd %d or later (Debian 12 has 252); this host has %s. Set telegraf_secret_store to files on older "
            "hosts." % (", ".join(sorted(str(name) for name in secrets)), SYSTEMD_CREDENTIALS,
                        model.get("systemd_version") or "no systemd version in its facts (gather facts)"))

    if resolved == "systemd":
        stores = {"systemd": [{"id": STORE_ID, "prefix": ""}]}
    else:
        stores = {"docker": [{"id": STORE_ID, "path": model.get("credentials_dir")}]}
    config = {
        "secretstores": stores if secrets else {},
        "global_tags": model.get("global_tags"),
        "agent": model.get("agent"),
        "outputs": outputs,
        "inputs": _inputs(model.get("inputs"), problems),
    }
    config = _merge(config, model.get("config_extra") or {})
    if _empty(config.get("outputs")):
        problems.append("Telegraf would have no output: set telegraf_influxdb_v2_enabled or telegraf_kapacitor_enabled, "
                        "or add outputs with telegraf_config_extra.")
    return {"config": config, "secrets": secrets, "secret_store": resolved, "problems": problems}


class FilterModule:
    def filters(self):
        return {"telegraf_model": telegraf_model}
