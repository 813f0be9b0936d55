"""The stack plan's tickstack_replications: what the role makes, every model error (naming the entry and the field,
never the token), and which of this stack's remotes and replications pruning removes."""

from __future__ import annotations

import json

import collection_path  # noqa: F401 pylint: disable=unused-import  # the collection on sys.path
import pytest

from ansible_collections.tickstack.influx.plugins.plugin_utils import stack_plan as sp

DATABASES = [{"database": "telegraf"}, {"database": "app", "retention_policy": "long", "bucket": "app-long"}]
TOKEN = "central-token-never-in-the-plan"
ORG_ID = "0123456789abcdef"


def entry(**overrides):
    item = {"name": "central", "local_buckets": ["telegraf", "app-long"], "remote_url": "https://hq.example:8086/",
            "remote_org_id": ORG_ID, "remote_token": TOKEN}
    item.update(overrides)
    return item


def plan(*entries, stack_name="edge1"):
    return sp.build_plan(databases=DATABASES, stack_name=stack_name, replications=sp.without_remote_tokens(entries))


def test_one_remote_and_a_replication_per_local_bucket():
    found = plan(entry(max_queue_size=134217728, max_age="7d", drop_non_retryable_data="yes",
                       remote_bucket="edge1"))
    assert found["errors"] == []
    assert found["remotes"] == [{"index": 0, "name": "central", "remote_url": "https://hq.example:8086",
                                 "remote_org_id": ORG_ID, "remote_org": None, "allow_insecure_tls": False,
                                 "description": "tickstack:edge1:replication:central"}]
    assert found["replications"] == [
        {"name": "central-%s" % bucket, "remote": "central", "local_bucket": bucket, "remote_bucket": "edge1",
         "max_queue_size": 134217728, "max_age": 604800, "drop_non_retryable_data": True,
         "description": "tickstack:edge1:replication:central"} for bucket in ("telegraf", "app-long")]
    assert TOKEN not in json.dumps(found)


def test_remote_bucket_defaults_to_each_local_bucket_and_settings_stay_unmanaged():
    found = plan(entry(remote_org_id=None, remote_org="hq"))
    assert [(r["local_bucket"], r["remote_bucket"]) for r in found["replications"]] == [
        ("telegraf", "telegraf"), ("app-long", "app-long")]
    assert {r["max_queue_size"] for r in found["replications"]} == {None}
    assert found["remotes"][0]["remote_org"] == "hq" and found["remotes"][0]["remote_org_id"] is None


def test_the_token_is_replaced_by_whether_it_is_set():
    stripped = sp.without_remote_tokens([entry(), entry(name="b", remote_token=""), "not a mapping"])
    assert [e.get("remote_token_set") for e in stripped[:2]] == [True, False]
    assert "remote_token" not in stripped[0] and stripped[2] == "not a mapping"


@pytest.mark.parametrize("overrides, message", [
    ({"name": "bad name"}, "tickstack_replications[0]: name must be letters, digits"),
    ({"local_buckets": "telegraf"}, "tickstack_replications[0] (central): local_buckets must be a non-empty list"),
    ({"local_buckets": []}, "local_buckets must be a non-empty list"),
    ({"local_buckets": ["telegraf", "missing"]}, "local_buckets missing is not among the buckets of "
                                                 "tickstack_databases (app-long, telegraf); add it there."),
    ({"remote_url": "hq.example:8086"}, "remote_url must be the http:// or https:// URL of the remote InfluxDB"),
    ({"remote_url": "https://u:pw@hq.example"}, "remote_url must not hold credentials"),
    ({"remote_org": "hq"}, "give exactly one of remote_org_id"),
    ({"remote_org_id": None}, "give exactly one of remote_org_id"),
    ({"remote_org_id": "hq"}, "remote_org_id must be an InfluxDB ID (16 hexadecimal digits), got 'hq'."),
    ({"remote_token": ""}, "remote_token is empty: set it from a vault variable"),
    ({"remote_token": None}, "remote_token is empty"),
    ({"remote_bucket": ""}, "remote_bucket must be a bucket name of the remote InfluxDB"),
    ({"max_queue_size": 1024}, "max_queue_size must be a number of bytes, at least 33554430"),
    ({"max_age": "30s"}, "max_age must be 0 (InfluxDB's default) or between 1m and 60d, got '30s'."),
    ({"max_age": "1mo"}, "max_age: '1mo' is not a duration"),
    ({"drop_non_retryable_data": "maybe"}, "drop_non_retryable_data must be true or false, got 'maybe'."),
    ({"remote_tokn": "x"}, "unknown key remote_tokn; the keys are name, local_buckets"),
])
def test_every_bad_entry_names_the_entry_and_the_field_and_never_the_token(overrides, message):
    found = plan(entry(**overrides))
    assert any(message in e for e in found["errors"]), found["errors"]
    assert found["remotes"] == [] and found["replications"] == []
    assert TOKEN not in json.dumps(found)


def test_not_a_mapping_and_duplicate_names():
    found = plan("central", entry(), entry(local_buckets=["telegraf"]))
    assert found["errors"] == [
        "tickstack_replications[0]: must be a mapping with name, local_buckets, remote_url, remote_org_id (or "
        "remote_org), remote_token and optionally remote_bucket, got a str.",
        "tickstack_replications[2] (central): the name is already used by tickstack_replications[1]; give each entry "
        "its own."]


def test_replication_names_that_collide_are_refused():
    databases = [{"database": "b-c"}, {"database": "c"}]
    found = sp.build_plan(databases=databases, replications=sp.without_remote_tokens([
        entry(name="a", local_buckets=["b-c"]), entry(name="a-b", local_buckets=["c"])]))
    assert any("would be called a-b-c like one of tickstack_replications entry a" in e for e in found["errors"])


def test_prune_removes_only_this_stacks_unlisted_remotes_and_replications():
    kept = plan(entry(local_buckets=["telegraf"]))
    mark = "tickstack:edge1:replication:"
    listed_remotes = [{"id": "r1", "name": "central", "description": mark + "central"},
                      {"id": "r2", "name": "old", "description": mark + "old"},
                      {"id": "r3", "name": "other-stack", "description": "tickstack:edge2:replication:x"},
                      {"id": "r4", "name": "hand-made", "description": ""}]
    listed_replications = [{"id": "p1", "name": "central-telegraf", "description": mark + "central"},
                           {"id": "p2", "name": "central-app-long", "description": mark + "central"},
                           {"id": "p3", "name": "old-telegraf", "description": mark + "old"},
                           {"id": "p4", "name": "manual", "description": None}]
    stale = sp.replications_to_prune(listed_remotes, listed_replications, "edge1", kept["remotes"],
                                     kept["replications"])
    assert stale == {"replications": [{"name": "central-app-long", "id": "p2"}, {"name": "old-telegraf", "id": "p3"}],
                     "remotes": [{"name": "old", "id": "r2"}]}
    assert sp.replications_to_prune(None, None, "edge1", [], []) == {"replications": [], "remotes": []}
