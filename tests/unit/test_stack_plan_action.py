"""The stack_plan action in ansible-playbook (no server): script_file and !unsafe scripts verbatim.

Kapacitor's Go templates (``{{ .ID }}``) in a TICKscript look like Jinja to Ansible. These runs prove
that a script_file (beside the playbook or beside the inventory) and an ``!unsafe`` inline script
come out of the plan exactly as written, through a further template (as the kapacitor role's module
arguments are), and that a task with both script and script_file stops the play naming it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ALERT = """dbrp "telegraf"."autogen"
stream
    |from()
        .measurement('cpu')
        .groupBy('host')
    |alert()
        .id('{{ .TaskName }}/{{ index .Tags "host" }}')
        .message('{{ .ID }} is {{ .Level }}')
        .crit(lambda: "usage_idle" < 10)
        .log('/var/lib/kapacitor/alerts.log')
"""
# The same script with another measurement and a comment Jinja cannot parse at all.
INVENTORY_ALERT = ALERT.replace("'cpu'", "'mem'") + "// {{ .Missing\n"
TEMPLATE = """var measurement string
stream
    |from()
        .measurement(measurement)
    |alert()
        .message('{{ .ID }}: {{ index .Fields "value" }}')
        .crit(lambda: "value" > 1)
        .log('/var/lib/kapacitor/template.log')
"""

PLAYBOOK = """
- hosts: all
  gather_facts: false
  tasks:
    - name: The plan
      tickstack.influx.stack_plan:
        databases: [{database: telegraf}]
        kapacitor_tasks: "{{ model_tasks }}"
        kapacitor_templates:
          - {id: tpl, script_file: template.tick}
      register: plan

    - name: The role's tasks and templates through one more template, as the kapacitor role passes them on
      ansible.builtin.copy:
        content: "{{ {'tasks': plan['kapacitor_tasks'], 'templates': plan['kapacitor_templates'],
                      'first': plan['kapacitor_tasks'][0]['script']} | to_json }}"
        dest: "{{ out }}"
        mode: "0600"
"""

MODEL_TASKS = """
model_tasks:
  - {id: from_playbook_files, script_file: alert.tick}
  - {id: from_inventory_files, script_file: inventory_alert.tick}
  - id: inline_unsafe
    script: !unsafe |
      dbrp "telegraf"."autogen"
      stream
          |from()
              .measurement('disk')
          |alert()
              .message('{{ .ID }} on {{ index .Tags "host" }}')
              .crit(lambda: "used_percent" > 95)
              .log('/var/lib/kapacitor/disk.log')
  - {id: from_template, template_id: tpl, vars: {measurement: {type: string, value: probe}}}
"""


@pytest.fixture
def project(tmp_path):
    play = tmp_path / "play"
    (play / "files").mkdir(parents=True)
    (play / "files" / "alert.tick").write_text(ALERT)
    (play / "files" / "template.tick").write_text(TEMPLATE)
    (play / "site.yml").write_text(PLAYBOOK)
    inventory = tmp_path / "inventory"
    (inventory / "files").mkdir(parents=True)
    (inventory / "files" / "inventory_alert.tick").write_text(INVENTORY_ALERT)
    (inventory / "hosts.yml").write_text("all:\n  hosts:\n    k1:\n      ansible_connection: local\n"
                                         "      ansible_python_interpreter: %s\n" % sys.executable)
    (inventory / "group_vars").mkdir()
    return tmp_path


def run(project: Path, collections_path: Path, model: str) -> subprocess.CompletedProcess:
    (project / "inventory" / "group_vars" / "all.yml").write_text(model)
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(collections_path), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_LOCAL_TEMP": str(project / "tmp"), "ANSIBLE_RETRY_FILES_ENABLED": "0",
           "ANSIBLE_DEPRECATION_WARNINGS": "0"}
    argv = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(project / "inventory" / "hosts.yml"),
            str(project / "play" / "site.yml"), "-e", json.dumps({"out": str(project / "out.json")})]
    return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=project, check=False)


def test_script_files_and_unsafe_scripts_reach_the_role_verbatim(project, collections_path):
    proc = run(project, collections_path, MODEL_TASKS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = json.loads((project / "out.json").read_text())
    scripts = {task["id"]: task.get("script") for task in out["tasks"]}
    assert scripts["from_playbook_files"] == ALERT
    assert scripts["from_inventory_files"] == INVENTORY_ALERT
    assert "message('{{ .ID }} on {{ index .Tags \"host\" }}')" in scripts["inline_unsafe"]
    assert scripts["from_template"] is None
    assert all("script_file" not in task for task in out["tasks"])
    assert out["templates"] == [{"id": "tpl", "script": TEMPLATE}]
    assert out["first"] == ALERT


def test_both_script_and_script_file_stop_the_play_naming_the_task(project, collections_path):
    proc = run(project, collections_path, MODEL_TASKS.replace(
        "{id: from_playbook_files, script_file: alert.tick}",
        "{id: from_playbook_files, script_file: alert.tick, script: 'stream |from()'}").replace(
        "script_file: inventory_alert.tick", "script_file: nowhere.tick"))
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert ("Kapacitor task 'from_playbook_files' (tickstack_kapacitor_tasks[0]): needs exactly one of script, "
            "script_file and template_id (unless its state is absent), has script and script_file.") in output
    assert "Kapacitor task 'from_inventory_files' (tickstack_kapacitor_tasks[1]): cannot read its script_file " \
           "nowhere.tick: not found" in output
    assert not (project / "out.json").exists()


PLACEMENT_PLAYBOOK = """
- hosts: all
  gather_facts: false
  tasks:
    - name: The plan
      tickstack.influx.stack_plan:
        databases: [{database: telegraf}, {database: a}]
        kapacitor_tasks:
          - id: on_k2
            group: dc2
            script: |
              dbrp "telegraf"."autogen"
              stream
                  |from()
                      .measurement('cpu')
                  |influxDBOut()
                      .database('a')
                      .retentionPolicy('autogen')
      register: plan

    - name: This host's share
      ansible.builtin.copy:
        content: "{{ {'tasks': plan['kapacitor_tasks'], 'tokens': plan['host_tokens'],
                      'targets': plan['kapacitor_write_targets']} | to_json }}"
        dest: "{{ out }}/{{ inventory_hostname }}.json"
        mode: "0600"
"""


def test_each_host_gets_its_share_of_the_tasks_its_token_and_the_write_targets(project, collections_path):
    local = "ansible_connection: local, ansible_python_interpreter: %s" % sys.executable
    (project / "inventory" / "hosts.yml").write_text(
        "all:\n  children:\n    kapacitor:\n      hosts:\n        k1: {%s}\n        k2: {%s}\n"
        "    dc2:\n      hosts:\n        k2: {}\n    telegraf:\n      hosts:\n        t1: {%s}\n" % (local, local, local))
    (project / "play" / "site.yml").write_text(PLACEMENT_PLAYBOOK)
    (project / "out").mkdir()
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(collections_path), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_LOCAL_TEMP": str(project / "tmp"), "ANSIBLE_RETRY_FILES_ENABLED": "0"}
    argv = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(project / "inventory" / "hosts.yml"),
            str(project / "play" / "site.yml"), "-e", json.dumps({"out": str(project / "out")})]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=project, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    share = {host: json.loads((project / "out" / ("%s.json" % host)).read_text()) for host in ("k1", "k2", "t1")}
    assert share["k1"]["tasks"] == [{"id": "on_k2", "state": "absent"}]
    assert [t["id"] for t in share["k2"]["tasks"]] == ["on_k2"] and "group" not in share["k2"]["tasks"][0]
    assert share["k1"]["tokens"]["kapacitor"]["permissions"] == [
        {"action": "read", "resource": {"type": "orgs", "name": ""}}]
    assert share["k2"]["tokens"]["kapacitor"]["permissions"] == [
        {"action": "write", "resource": {"type": "buckets", "name": "a"}}]
    assert share["k2"]["tokens"]["kapacitor"]["description"] == "tickstack:tickstack:kapacitor:k2"
    assert share["t1"]["targets"] == ["k2"] and share["t1"]["tokens"]["telegraf"]["permissions"] == [
        {"action": "write", "resource": {"type": "buckets", "name": "telegraf"}}]
