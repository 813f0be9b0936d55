#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Documentation only: the code is the action plugin plugins/action/stack_plan.py (it runs on the
# controller) and the rules are in plugins/plugin_utils/stack_plan.py.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_plan
short_description: Work out the stack's buckets, DBRP mappings, task DBRPs and least-privilege tokens from its model
description:
  - The plan the P(tickstack.influx.stack#role) role acts on, computed on the controller from the model
    (O(databases), O(kapacitor_tasks), O(kapacitor_templates), the database Telegraf writes to) and the
    inventory groups O(kapacitor_group) and O(telegraf_group). It changes nothing.
  - Each O(databases) entry is a 1.x database/retention policy mapped to a bucket (the retention policy
    defaults to C(autogen), the bucket to the database for C(autogen), else C(<database>/<retention policy>)).
    A database's default retention policy is the one with C(default=true), else the first listed.
  - What each present task reads and writes is read from its TICKscript (or, for a task with
    C(template_id), from the template's script with the task's C(vars)) - C(dbrp) statements, batch
    C(query()) C(FROM) clauses, C(influxDBOut().database().retentionPolicy()) - plus its C(reads) and
    C(writes). A task whose script names no DBRP and that gives no C(dbrps) gets derived ones - its batch
    queries' sources, or for a stream task O(telegraf_database)/O(telegraf_retention_policy).
  - Each present task runs on the Kapacitor hosts of its C(hosts) (inventory names) or C(group) (the Kapacitor
    hosts of that inventory group), at most one of them; with neither, on every host of O(kapacitor_group). On
    the other Kapacitor hosts it is removed (RV(kapacitor_tasks) lists it there with C(state=absent)), so a task
    moved from one host to another leaves the first. Templates and topic handlers are defined on every
    Kapacitor host.
  - Each Kapacitor host may read the buckets its own tasks read and write the buckets they write (a host
    without tasks may only read the organization, as InfluxDB refuses a token without permissions); every
    Telegraf host may write its bucket. Nothing else.
  - Telegraf writes to the Kapacitor hosts whose stream tasks read what it writes
    (O(telegraf_database)/O(telegraf_retention_policy)), and to no other (RV(kapacitor_write_targets)).
  - Each token is marked by its description C(tickstack:<stack_name>:<service>:<host>). With
    O(authorizations) (the organization's tokens, for example from M(tickstack.influx.influxdb2_info)) and
    O(tokens) (the plan's RV(tokens)) it returns instead which of this stack's tokens are stale (RV(prune)).
  - Each O(replications) entry is a remote connection and one replication per local bucket (RV(remotes),
    RV(replications)), checked before anything is written. With O(listed_remotes) and O(listed_replications)
    (for example from M(tickstack.influx.influxdb2_info)) it returns instead which of this stack's are no longer
    listed (RV(prune)).
  - Fails once, listing every problem of the model (RV(errors)), each naming the entry or task and the fix.
author:
  - tickstack.influx contributors (@tickstack)
options:
  databases:
    description: The stack role's C(tickstack_databases)
      (C({database, retention_policy, bucket, retention, description, default})).
    type: list
    elements: raw
    default: []
  kapacitor_tasks:
    description:
      - The stack role's C(tickstack_kapacitor_tasks) (the keys of M(tickstack.influx.kapacitor_task) plus
        C(reads), C(writes) and C(script_file)).
      - A present task needs exactly one of C(script), C(script_file) and C(template_id).
      - A present task may give C(hosts) (a non-empty list of inventory names, each in O(kapacitor_group)) or
        C(group) (an inventory group with at least one host of O(kapacitor_group)), not both; neither places it
        on every Kapacitor host. Both are checked against the inventory's groups before anything is written.
      - A C(script_file) is read on the controller and never templated, so Kapacitor's Go templates
        (C({{ .ID }})) reach Kapacitor as written. A relative path is looked up as the C(file) lookup does
        (C(files/) of the role and of the playbook's directory, that directory), then in the directory of
        the host's inventory source and its C(files/).
    type: list
    elements: raw
    default: []
  kapacitor_templates:
    description:
      - The kapacitor role's C(kapacitor_templates); a present template needs exactly one of C(script) and
        C(script_file), read as for O(kapacitor_tasks).
    type: list
    elements: raw
    default: []
  telegraf_database:
    description: The database Telegraf writes to; stream tasks without DBRPs get it.
    type: str
    default: telegraf
  telegraf_retention_policy:
    description: The retention policy Telegraf writes to.
    type: str
    default: autogen
  kapacitor_group:
    description: Inventory group of the Kapacitor hosts.
    type: str
    default: kapacitor
  telegraf_group:
    description: Inventory group of the Telegraf hosts.
    type: str
    default: telegraf
  org:
    description: The organization; a Kapacitor whose tasks neither read nor write gets read access to it.
    type: str
    default: ""
  stack_name:
    description:
      - Marks this stack's tokens. Two inventories that share one organization need different names.
      - Letters, digits, V(_), V(.) and V(-).
    type: str
    default: tickstack
  required:
    description:
      - "Settings that must not be empty, as C({name: value}); each empty one is reported with a hint."
      - Pass a stand-in (for example V(set)) rather than a secret's value.
    type: dict
    default: {}
  authorizations:
    description:
      - The organization's tokens (C(id), C(description)). With it the module returns only RV(prune).
    type: list
    elements: dict
  credential_urls:
    description:
      - Variable name to URL, for every URL the stack sends a token or password to. Each C(http://) URL whose host
        is not a loopback address (C(localhost), C(127.0.0.0/8), C(::1)) gets a warning naming the variable; a
        C(user:password@) in the URL is not shown.
    type: dict
    default: {}
  tokens:
    description: The plan's RV(tokens); required with O(authorizations).
    type: list
    elements: dict
  replications:
    description:
      - The stack role's C(tickstack_replications) (C({name, local_buckets, remote_url, remote_org_id or remote_org,
        remote_token, remote_bucket, allow_insecure_tls, max_queue_size, max_age, drop_non_retryable_data})).
      - Every local bucket must be one of the buckets of O(databases).
      - C(remote_token) never reaches the plan or the result; the action passes on only whether it is set.
    type: list
    elements: raw
    default: []
  listed_remotes:
    description:
      - The organization's remote connections (C(id), C(name), C(description)). With O(listed_replications) the
        module returns only RV(prune).
    type: list
    elements: dict
  listed_replications:
    description: The organization's replications (C(id), C(name), C(description)).
    type: list
    elements: dict
  remotes_planned:
    description: The plan's RV(remotes); required with O(listed_remotes).
    type: list
    elements: dict
  replications_planned:
    description: The plan's RV(replications); required with O(listed_replications).
    type: list
    elements: dict
attributes:
  action:
    description: Runs on the controller as an action plugin.
    support: full
  async:
    description: Cannot run asynchronously.
    support: none
  check_mode:
    description: Runs the same in check mode; it only computes.
    support: full
  diff_mode:
    description: Returns no diff.
    support: N/A
notes:
  - The TICKscript scanner reads strings, references, regexes and comments as Kapacitor's lexer does; a
    source it cannot resolve fails naming the task and asks for C(reads)/C(writes).
seealso:
  - module: tickstack.influx.influxdb2_token
  - module: tickstack.influx.influxdb2_info
"""

EXAMPLES = r"""
- name: Work out the plan (per host; its host_tokens are this host's)
  tickstack.influx.stack_plan:
    databases:
      - {database: telegraf, retention: 30d}
      - {database: my-db, retention_policy: my-rp, bucket: my-bucket}
    kapacitor_tasks:
      - id: copy
        script: |
          dbrp "telegraf"."autogen"
          stream |from().measurement('cpu') |influxDBOut().database('my-db').retentionPolicy('my-rp')
    org: tickstack
  register: plan

- name: List the organization's tokens
  tickstack.influx.influxdb2_info:
    url: http://127.0.0.1:8086
    token: "{{ vault_operator_token }}"
    org: tickstack
    gather: [tokens]
  register: listed
  run_once: true

- name: Which of this stack's tokens are stale
  tickstack.influx.stack_plan:
    authorizations: "{{ listed.tokens }}"
    tokens: "{{ plan.tokens }}"
  register: stale
  run_once: true
"""

RETURN = r"""
errors:
  description: Every problem of the model, each naming the entry or task and the fix; empty on success.
  returned: always
  type: list
  elements: str
databases:
  description: O(databases) with C(retention_policy), C(bucket) and C(default) filled in.
  returned: without O(authorizations)
  type: list
  elements: dict
default_rps:
  description: The default retention policy of each database.
  returned: without O(authorizations)
  type: dict
  sample: {telegraf: autogen, my-db: my-rp}
buckets:
  description: One C({bucket, retention, description}) per bucket (C(retention) and C(description) only when given).
  returned: without O(authorizations)
  type: list
  elements: dict
dbrps:
  description: The DBRP mappings, C({database, retention_policy, bucket, default}).
  returned: without O(authorizations)
  type: list
  elements: dict
telegraf_bucket:
  description: The bucket Telegraf writes to; empty when O(databases) lacks its database/retention policy.
  returned: without O(authorizations)
  type: str
tasks:
  description:
    - Each present task's C(id), C(type), C(dbrps), C(derived_dbrps) (null unless derived), C(reads) and C(writes);
      pairs are C({db, rp}).
  returned: without O(authorizations)
  type: list
  elements: dict
kapacitor_tasks:
  description:
    - The kapacitor role's C(kapacitor_tasks) - the tasks without C(reads)/C(writes)/C(hosts)/C(group), with
      derived C(dbrps), each C(script_file) read into C(script).
    - On a Kapacitor host, this host's share - a task placed on other hosts only as C({id, state=absent}).
  returned: without O(authorizations)
  type: list
  elements: dict
placement:
  description: Each present task's id and the Kapacitor hosts it runs on, in O(kapacitor_group)'s order.
  returned: without O(authorizations)
  type: dict
  sample: {cpu_alert: [kapacitor1, kapacitor2], disk_alert: [kapacitor2]}
kapacitor_write_targets:
  description:
    - The Kapacitor hosts Telegraf writes to - those with a stream task (or a task whose type the plan cannot
      tell) whose DBRPs include O(telegraf_database)/O(telegraf_retention_policy), in O(kapacitor_group)'s order.
      Empty when no stream task reads Telegraf's points.
  returned: without O(authorizations)
  type: list
  elements: str
  sample: [kapacitor2]
kapacitor_templates:
  description: The kapacitor role's C(kapacitor_templates), each C(script_file) read into C(script).
  returned: without O(authorizations)
  type: list
  elements: dict
read_buckets:
  description: The buckets Kapacitor reads (all hosts together).
  returned: without O(authorizations)
  type: list
  elements: str
write_buckets:
  description: The buckets Kapacitor writes (all hosts together).
  returned: without O(authorizations)
  type: list
  elements: str
permissions:
  description:
    - The permissions of C(kapacitor) (the union over its hosts) and of every C(telegraf) host, as
      M(tickstack.influx.influxdb2_token) takes them. Each Kapacitor host's own are in RV(tokens).
  returned: without O(authorizations)
  type: dict
tokens:
  description: One C({service, host, description, permissions}) per Kapacitor and Telegraf host (a Kapacitor host's
    permissions cover its own tasks).
  returned: without O(authorizations)
  type: list
  elements: dict
host_tokens:
  description: This host's tokens by service, C({description, permissions}).
  returned: without O(authorizations)
  type: dict
  sample: {telegraf: {description: "tickstack:tickstack:telegraf:web1", permissions: []}}
prune:
  description:
    - With O(authorizations), this stack's stale tokens, C({description, ids, reason}) - hosts no longer in the
      inventory, and 0.1.0 descriptions (C(tickstack <service> <host>)) once the host has its new token.
    - With O(listed_remotes) and O(listed_replications), C({replications, remotes}), each a list of C({name, id}) -
      those marked C(tickstack:<stack_name>:replication:<name>) that the plan no longer lists.
  returned: with O(authorizations), or with O(listed_remotes) and O(listed_replications)
  type: raw
remotes:
  description:
    - One remote connection per O(replications) entry, C({index, name, remote_url, remote_org_id, remote_org,
      allow_insecure_tls, description}), never its token (C(index) is the entry's position, for the role to find the
      token).
  returned: without O(authorizations)
  type: list
  elements: dict
replications:
  description:
    - One replication per local bucket of each O(replications) entry, C({name, remote, local_bucket, remote_bucket,
      max_queue_size, max_age, drop_non_retryable_data, description}); C(name) is C(<entry name>-<local bucket>) and
      C(max_age) is in seconds.
  returned: without O(authorizations)
  type: list
  elements: dict
"""
