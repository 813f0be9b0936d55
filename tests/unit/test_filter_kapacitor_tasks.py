"""Unit tests of the kapacitor_task_entries filter (roles/kapacitor/tasks/objects.yml)."""

from __future__ import annotations

import pytest

import collection_path  # noqa: E402,F401 pylint: disable=unused-import  # the collection on sys.path

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.tickstack.influx.plugins.filter.kapacitor_tasks import (  # noqa: E402
    kapacitor_task_entries, kapacitor_task_script_files)


def test_entries_keep_the_module_keys_and_read_script_files():
    tasks = [{"id": "cpu", "script_file": "cpu.tick", "vars": {"crit": 5}, "status": None},
             {"id": "mem", "script": "stream", "dbrps": [{"db": "t", "rp": "a"}], "status": "disabled"},
             {"id": "old", "script_file": "old.tick", "state": "absent"},
             {"id": "tpl", "template_id": "threshold", "vars": {}}]
    assert kapacitor_task_entries(tasks, {"cpu.tick": "stream |from()"}) == [
        {"id": "cpu", "vars": {"crit": 5}, "script": "stream |from()"},
        {"id": "mem", "script": "stream", "dbrps": [{"db": "t", "rp": "a"}], "status": "disabled"},
        {"id": "old", "state": "absent"},
        {"id": "tpl", "template_id": "threshold", "vars": {}}]
    assert kapacitor_task_entries([]) == []
    # What the role reads is what the entries need: the same rule for both.
    assert kapacitor_task_script_files(tasks + [{"id": "again", "script_file": "cpu.tick"},
                                                {"id": "own", "script": None, "script_file": "own.tick"}]) == [
        "cpu.tick", "own.tick"]


def test_a_script_file_that_was_not_read_is_named():
    with pytest.raises(AnsibleFilterError, match=r"kapacitor_tasks\[0\] \(cpu\): script_file cpu.tick was not read"):
        kapacitor_task_entries([{"id": "cpu", "script_file": "cpu.tick"}], {})
    with pytest.raises(AnsibleFilterError, match="a list of dicts"):
        kapacitor_task_entries("cpu")
