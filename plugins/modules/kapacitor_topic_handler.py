#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: kapacitor_topic_handler
short_description: Manage handlers of Kapacitor alert topics
description:
  - Create, update and delete a handler of a Kapacitor alert topic. Alerts published to the topic
    (C(|alert().topic('name')) in a TICKscript) are sent to each of its handlers.
  - Kapacitor creates the topic with its first handler.
author:
  - tickstack.influx contributors (@tickstack)
extends_documentation_fragment: [tickstack.influx.attributes, tickstack.influx.kapacitor, tickstack.influx.tls]
options:
  state:
    description:
      - V(present) creates or updates the handler, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  topic:
    description:
      - The topic (letters, digits, V(-), V(.) and V(_)).
    type: str
    required: true
  id:
    description:
      - ID of the handler within the topic.
    type: str
    required: true
    aliases: [name]
  kind:
    description:
      - The kind of handler, such as V(log), V(post), V(tcp), V(exec), V(slack), V(smtp),
        V(pagerduty2), V(opsgenie2), V(telegram), V(teams), V(discord), V(kafka), V(mqtt),
        V(publish) or V(aggregate). Kapacitor rejects a kind it does not know.
      - Required with O(state=present).
    type: str
  options:
    description:
      - Options of the handler kind, with Kapacitor's names (for example C(path) for V(log),
        C(url) and C(headers) for V(post), C(channel) for V(slack), C(topics) for V(publish)).
        Kapacitor rejects options the kind does not have.
      - Secrets are masked in the output, the diff and the logged invocation (one rule,
        C(option_secrets) in C(module_utils/masking.py)). An option is secret as a whole when its
        name contains C(password), C(passwd), C(secret), C(token), C(authorization), C(credential),
        C(webhook), C(apikey) or C(dsn), or has a word C(key), C(url), C(uri) or C(pass) or one
        ending in C(key) or C(url) (C(routing-key) of V(pagerduty2), C(channel-url) of V(teams),
        C(url) of V(post); a chat webhook's URL is its credential). In every other string the
        password of a URL's userinfo, a URL whose host or path says webhook (C(hooks.slack.com),
        C(/hooks/), C(/webhooks/)) and secret query values (C(?token=)) are masked.
        Other options (C(channel), C(username), C(path)...) stay visible.
      - Compared as a whole.
    type: dict
    default: {}
  match:
    description:
      - A lambda expression that selects the alerts this handler gets, for example
        V(changed() AND level() >= CRITICAL). Empty means every alert of the topic.
      - Compared token by token, so spacing is not a change.
    type: str
    default: ""
seealso:
  - module: tickstack.influx.kapacitor_task
  - name: Kapacitor alert handlers
    description: The handler kinds and their options.
    link: https://docs.influxdata.com/kapacitor/v1/reference/event_handlers/
"""

EXAMPLES = r"""
- name: Write every critical alert of the cpu topic to a file
  tickstack.influx.kapacitor_topic_handler:
    url: http://localhost:9092
    topic: cpu
    id: log-critical
    kind: log
    options:
      path: /var/log/kapacitor/cpu-alerts.log
    match: level() == CRITICAL

- name: Post alerts to a webhook with a bearer token (the token is masked in the output)
  tickstack.influx.kapacitor_topic_handler:
    topic: cpu
    id: webhook
    kind: post
    options:
      url: https://alerts.example.com/kapacitor
      headers:
        Authorization: "Bearer {{ alert_webhook_token }}"

- name: Send critical alerts to Slack (its webhook URL is set in kapacitor.conf's [[slack]], not here)
  tickstack.influx.kapacitor_topic_handler:
    topic: cpu
    id: slack
    kind: slack
    options:
      channel: "#alerts"
    match: level() == CRITICAL

- name: Send them to a Teams channel (the webhook URL is masked everywhere, the other options are shown)
  tickstack.influx.kapacitor_topic_handler:
    topic: cpu
    id: teams
    kind: teams
    options:
      channel-url: "{{ vault_teams_webhook_url }}"

- name: Remove a handler
  tickstack.influx.kapacitor_topic_handler:
    topic: cpu
    id: webhook
    state: absent
"""

RETURN = r"""
handler:
  description: The handler after the run (what it would be, in check mode). Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    topic:
      description: The topic.
      type: str
      sample: cpu
    id:
      description: Handler ID.
      type: str
      sample: log-critical
    kind:
      description: Handler kind.
      type: str
      sample: log
    options:
      description: Its options, secrets masked (see O(options)).
      type: dict
      sample: {"path": "/var/log/kapacitor/cpu-alerts.log"}
    match:
      description: Its match expression, empty when none.
      type: str
      sample: level() == CRITICAL
diff:
  description: The changed keys before and after, secrets in the options masked (see O(options)).
  returned: in diff mode
  type: dict
"""

from ansible_collections.tickstack.influx.plugins.module_utils.compare import Differ, normalize, state_diff
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import ApiError
from ansible_collections.tickstack.influx.plugins.module_utils.kapacitor import (
    KapacitorFailure,
    connect,
    handler_summary,
    kapacitor_argument_spec,
    mask_options,
    script_key,
    secret_option_values,
)
from ansible_collections.tickstack.influx.plugins.module_utils.runner import STATE, run_module


def masked(summary):
    if not summary:
        return summary
    shown = dict(summary)
    shown["options"] = mask_options(summary.get("options") or {})
    return shown


def ensure(module, client):
    params = module.params
    topic, handler_id = params["topic"], params["id"]
    current = client.get_handler(topic, handler_id)
    if current is not None:
        module.no_log_values.update(secret_option_values(current.get("options")))

    if params["state"] == "absent":
        if current is None:
            return {"changed": False, "handler": {}, "diff": state_diff({}, {})}
        if not module.check_mode:
            client.delete_handler(topic, handler_id)
        return {"changed": True, "handler": {}, "diff": state_diff(masked(handler_summary(topic, current)), {})}

    if not params["kind"]:
        raise KapacitorFailure("kind is required to create or update a handler")
    options = params["options"] or {}
    module.no_log_values.update(secret_option_values(options))
    body = {"id": handler_id, "kind": params["kind"], "options": options, "match": params["match"] or ""}
    desired = handler_summary(topic, body)

    if current is None:
        if module.check_mode:
            return {"changed": True, "handler": masked(desired), "diff": state_diff({}, masked(desired))}
        try:
            created = client.create_handler(topic, body)
        except ApiError as e:
            raise KapacitorFailure("Kapacitor refused to create handler %s of topic %s: %s"
                                   % (handler_id, topic, e), e) from e
        return {"changed": True, "handler": masked(handler_summary(topic, created)),
                "diff": state_diff({}, masked(desired))}

    before = handler_summary(topic, current)
    differ = Differ()
    differ.compare("kind", before["kind"], desired["kind"])
    if normalize(before["options"]) != normalize(desired["options"]):
        differ.add("options", mask_options(before["options"]), mask_options(desired["options"]))
    if script_key(before["match"]) != script_key(desired["match"]):
        differ.add("match", before["match"], desired["match"])
    if not differ.changed:
        return {"changed": False, "handler": masked(before), "diff": differ.diff()}
    if module.check_mode:
        return {"changed": True, "handler": masked(desired), "diff": differ.diff()}
    try:
        updated = client.replace_handler(topic, handler_id, body)
    except ApiError as e:
        # Kapacitor builds the new handler before it stores it: a refused update changes nothing.
        raise KapacitorFailure("Kapacitor refused to update handler %s of topic %s: %s"
                               % (handler_id, topic, e), e) from e
    return {"changed": True, "handler": masked(handler_summary(topic, updated)), "diff": differ.diff()}


def main():
    run_module(kapacitor_argument_spec(
        topic=dict(type="str", required=True),
        id=dict(type="str", required=True, aliases=["name"]),
        kind=dict(type="str"),
        options=dict(type="dict", default={}),
        match=dict(type="str", default=""),
        state=STATE,
    ), ensure, connect, action=lambda p: "handler %s of topic %s" % (p["id"], p["topic"]),
        natural_keys=("topic", "id"), secrets=lambda p: secret_option_values(p.get("options")),
        required_if=[("state", "present", ("kind",))])


if __name__ == "__main__":
    main()
