"""influxdb2_remote and influxdb2_replication against a fake server: payloads, check mode, masking, bad input and
bad replies. The shapes are those 2.7.12 and 2.9.1 answer (``"remotes": null`` for none, ``RemoteBucketName``)."""

from __future__ import annotations

import json

import pytest
from influxdb2_support import BUCKET2_ID, BUCKET_ID, ORG_ID, FakeInflux, FakeModule, bucket, client, error, reply, with_org

from module_args import patch_module_args
from ansible_collections.tickstack.influx.plugins.module_utils import http_client as http_module
from ansible_collections.tickstack.influx.plugins.module_utils.compare import MASK
from ansible_collections.tickstack.influx.plugins.module_utils.errors import OperationFailed
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import ServerError, UnexpectedResponse
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import InvalidInput
from ansible_collections.tickstack.influx.plugins.modules import influxdb2_remote, influxdb2_replication

REMOTE_ID = "00000000000000c1"
REMOTE2_ID = "00000000000000c2"
REMOTE_ORG_ID = "00000000000000e1"
REPLICATION_ID = "00000000000000f1"
NEW_REPLICATION_ID = "00000000000000f2"
CENTRAL = "https://central.test:8086"
SECRET = "central-write-token-s3cret"


def run(module_py, params, fake, check_mode=False):
    module = FakeModule(params, check_mode=check_mode)
    return module_py.ensure(module, client(fake)), module


def remote(remote_id=REMOTE_ID, name="central", url=CENTRAL, org_id=REMOTE_ORG_ID, insecure=False, description=None):
    found = {"id": remote_id, "orgID": ORG_ID, "name": name, "remoteURL": url, "remoteOrgID": org_id,
             "allowInsecureTLS": insecure}
    if description is not None:
        found["description"] = description
    return found


def remote_params(**overrides):
    params = {"name": "central", "remote_url": CENTRAL, "remote_token": SECRET, "update_token": "on_create",
              "remote_org_id": REMOTE_ORG_ID, "remote_org": None, "allow_insecure_tls": False, "description": None,
              "state": "present"}
    params.update(overrides)
    return params


def remotes_fake(*found):
    fake = with_org(FakeInflux())
    return fake.on("GET", "/api/v2/remotes", reply(200, {"remotes": list(found) if found else None}))


# -- influxdb2_remote ---------------------------------------------------------------------------

def test_remote_create_payload_and_masked_diff():
    fake = remotes_fake().on("POST", "/api/v2/remotes", reply(201, remote()))
    result, _unused = run(influxdb2_remote, remote_params(description="hq"), fake)
    sent = fake.last("POST", "/api/v2/remotes")
    assert sent.body == {"orgID": ORG_ID, "name": "central", "remoteURL": CENTRAL, "remoteAPIToken": SECRET,
                         "remoteOrgID": REMOTE_ORG_ID, "allowInsecureTLS": False, "description": "hq"}
    assert fake.last("GET", "/api/v2/remotes").query == {"orgID": ORG_ID, "name": "central"}
    assert result["changed"] and result["token_set"]
    assert result["diff"]["after"]["remote_token"] == MASK
    assert SECRET not in json.dumps(result)
    assert result["remote"]["id"] == REMOTE_ID


def test_remote_create_check_mode_writes_nothing():
    fake = remotes_fake()
    result, _unused = run(influxdb2_remote, remote_params(), fake, check_mode=True)
    assert result["changed"] and fake.writes() == []
    assert result["remote"]["remote_org_id"] == REMOTE_ORG_ID and SECRET not in json.dumps(result)


def test_remote_unchanged_sends_no_token_on_create_only():
    fake = remotes_fake(remote())
    result, _unused = run(influxdb2_remote, remote_params(), fake)
    assert not result["changed"] and not result["token_set"] and fake.writes() == []
    assert result["diff"] == {"before": {}, "after": {}}


def test_remote_url_and_tls_patched_in_place_without_the_token():
    fake = remotes_fake(remote()).on("PATCH", "/api/v2/remotes/%s" % REMOTE_ID,
                                     reply(200, remote(url="https://other.test:8086", insecure=True)))
    result, _unused = run(influxdb2_remote, remote_params(remote_url="https://other.test:8086/",
                                                          allow_insecure_tls=True), fake)
    assert fake.last("PATCH", "/api/v2/remotes/%s" % REMOTE_ID).body == {
        "remoteURL": "https://other.test:8086", "allowInsecureTLS": True}
    assert result["changed"] and result["diff"]["before"] == {"allow_insecure_tls": False, "remote_url": CENTRAL}


def test_remote_update_token_always_sends_it_and_masks_it():
    fake = remotes_fake(remote()).on("PATCH", "/api/v2/remotes/%s" % REMOTE_ID, reply(200, remote()))
    result, _unused = run(influxdb2_remote, remote_params(update_token="always"), fake)
    assert fake.last("PATCH", "/api/v2/remotes/%s" % REMOTE_ID).body == {"remoteAPIToken": SECRET}
    assert result["changed"] and result["token_set"]
    assert result["diff"] == {"before": {"remote_token": MASK}, "after": {"remote_token": MASK}}


def test_remote_update_token_always_in_check_mode_writes_nothing():
    fake = remotes_fake(remote())
    result, _unused = run(influxdb2_remote, remote_params(update_token="always"), fake, check_mode=True)
    assert result["changed"] and result["token_set"] and fake.writes() == []


def test_remote_create_needs_the_token():
    with pytest.raises(InvalidInput, match="remote_token: required to create the remote connection 'central'"):
        run(influxdb2_remote, remote_params(remote_token=None), remotes_fake())


@pytest.mark.parametrize("overrides, message", [
    ({"remote_url": "central.test:8086"}, "remote_url: 'central.test:8086' is not an http:// or https:// URL"),
    ({"remote_url": "ftp://central.test"}, "remote_url: 'ftp://central.test' is not an http"),
    ({"remote_url": "https://u:p@central.test"}, "remote_url: give the remote's credentials as remote_token"),
    ({"remote_url": None}, "remote_url: required with state=present"),
    ({"remote_org_id": "acme"}, "remote_org_id: 'acme' is not an InfluxDB ID"),
    ({"remote_org_id": None}, "remote_org_id, remote_org: give one of them"),
])
def test_remote_bad_input_fails_before_any_request(overrides, message):
    fake = FakeInflux()
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace("?", r"\?")):
        run(influxdb2_remote, remote_params(**overrides), fake)
    assert fake.sent == []


def test_remote_org_by_name_is_looked_up_on_the_remote_with_the_remote_token(monkeypatch):
    seen = []

    def central(method, url, headers, data, options):
        seen.append((method, url, headers.get("Authorization"), options["validate_certs"]))
        return reply(200, {"orgs": [{"id": REMOTE_ORG_ID, "name": "hq"}]})

    real = influxdb2_remote.remote_client
    monkeypatch.setattr(influxdb2_remote, "remote_client", lambda params: real(params, transport=central))
    fake = remotes_fake(remote())
    result, _unused = run(influxdb2_remote, remote_params(remote_org_id=None, remote_org="hq", allow_insecure_tls=True),
                          fake.on("PATCH", "/api/v2/remotes/%s" % REMOTE_ID, reply(200, remote(insecure=True))))
    assert seen == [("GET", CENTRAL + "/api/v2/orgs?org=hq", "Token " + SECRET, False)]
    assert result["remote"]["remote_org_id"] == REMOTE_ORG_ID


def test_remote_org_not_readable_with_the_remote_token_says_to_give_the_id(monkeypatch):
    real = influxdb2_remote.remote_client
    monkeypatch.setattr(influxdb2_remote, "remote_client",
                        lambda params: real(params, transport=lambda *a: reply(200, {"orgs": []})))
    with pytest.raises(InvalidInput, match="remote_org: organization 'hq' not found on https://central.test:8086 "
                                           r"with remote_token .*give remote_org_id instead"):
        run(influxdb2_remote, remote_params(remote_org_id=None, remote_org="hq"), remotes_fake())


def test_remote_absent_and_absent_again():
    fake = remotes_fake(remote()).on("DELETE", "/api/v2/remotes/%s" % REMOTE_ID, reply(204))
    result, _unused = run(influxdb2_remote, {"name": "central", "state": "absent", "remote_url": None,
                                             "remote_token": None, "remote_org_id": None, "remote_org": None}, fake)
    assert result["changed"] and fake.last("DELETE", "/api/v2/remotes/%s" % REMOTE_ID)
    result, _unused = run(influxdb2_remote, {"name": "central", "state": "absent", "remote_url": None,
                                             "remote_token": None, "remote_org_id": None, "remote_org": None},
                          remotes_fake())
    assert not result["changed"]


def test_remote_list_of_the_wrong_shape_is_an_api_error():
    fake = with_org(FakeInflux()).on("GET", "/api/v2/remotes", reply(200, {"remotes": {"id": REMOTE_ID}}))
    with pytest.raises(UnexpectedResponse, match="expected 'remotes' to be a list of objects"):
        run(influxdb2_remote, remote_params(), fake)


def test_remote_create_html_reply_is_an_api_error():
    fake = remotes_fake().on("POST", "/api/v2/remotes", reply(200, b"<html>proxy</html>", {"Content-Type": "text/html"}))
    with pytest.raises(UnexpectedResponse, match="the reply is not JSON"):
        run(influxdb2_remote, remote_params(), fake)


# -- influxdb2_replication ----------------------------------------------------------------------

def replication(replication_id=REPLICATION_ID, name="to-central", remote_id=REMOTE_ID, bucket_id=BUCKET_ID,
                remote_bucket="edge", remote_bucket_id=None, queue=67108860, max_age=0, drop=False, **status):
    found = {"id": replication_id, "orgID": ORG_ID, "name": name, "remoteID": remote_id, "localBucketID": bucket_id,
             "remoteBucketID": remote_bucket_id, "RemoteBucketName": remote_bucket, "maxQueueSizeBytes": queue,
             "currentQueueSizeBytes": 8, "remainingBytesToBeSynced": 0, "dropNonRetryableData": drop,
             "maxAgeSeconds": max_age}
    found.update(status)
    return found


def replication_params(**overrides):
    params = {"name": "to-central", "remote": "central", "local_bucket": "metrics", "remote_bucket": "edge",
              "remote_bucket_id": None, "max_queue_size": None, "max_age": None, "drop_non_retryable_data": None,
              "description": None, "validate": False, "state": "present"}
    params.update(overrides)
    return params


def replications_fake(*found, buckets=None):
    fake = remotes_fake(remote())
    fake.on("GET", "/api/v2/buckets", reply(200, {"buckets": buckets or [bucket()]}))
    return fake.on("GET", "/api/v2/replications", reply(200, {"replications": list(found) if found else None}))


def test_replication_create_payload_names_and_status():
    fake = replications_fake().on("POST", "/api/v2/replications", reply(201, replication(max_age=604800, drop=True)))
    result, _unused = run(influxdb2_replication, replication_params(max_queue_size=134217728, max_age="7d",
                                                                    drop_non_retryable_data=True), fake)
    assert fake.last("POST", "/api/v2/replications").body == {
        "orgID": ORG_ID, "name": "to-central", "remoteID": REMOTE_ID, "localBucketID": BUCKET_ID,
        "remoteBucketName": "edge", "maxQueueSizeBytes": 134217728, "maxAgeSeconds": 604800,
        "dropNonRetryableData": True}
    assert fake.last("GET", "/api/v2/replications").query == {"orgID": ORG_ID, "name": "to-central"}
    made = result["replication"]
    assert result["changed"] and not result["replaced"]
    assert (made["remote"], made["local_bucket"], made["remote_bucket_name"]) == ("central", "metrics", "edge")
    assert made["current_queue_size_bytes"] == 8 and made["remaining_bytes_to_be_synced"] == 0
    assert result["diff"]["after"]["remote"] == "central" and "current_queue_size_bytes" not in result["diff"]["after"]


def test_replication_create_by_remote_bucket_id_sends_no_name():
    fake = replications_fake().on("POST", "/api/v2/replications",
                                  reply(201, replication(remote_bucket="", remote_bucket_id=BUCKET2_ID)))
    run(influxdb2_replication, replication_params(remote_bucket=None, remote_bucket_id=BUCKET2_ID), fake)
    body = fake.last("POST", "/api/v2/replications").body
    assert body["remoteBucketID"] == BUCKET2_ID and "remoteBucketName" not in body


def test_replication_create_check_mode_writes_nothing():
    fake = replications_fake()
    result, _unused = run(influxdb2_replication, replication_params(), fake, check_mode=True)
    assert result["changed"] and fake.writes() == []
    assert result["replication"]["remote_bucket_name"] == "edge"


def test_replication_unchanged_returns_the_status_fields():
    found = replication(latestResponseCode=503, latestErrorMessage="central down", remainingBytesToBeSynced=45)
    fake = replications_fake(found)
    result, _unused = run(influxdb2_replication, replication_params(), fake)
    assert not result["changed"] and fake.writes() == []
    assert result["replication"]["latest_response_code"] == 503
    assert result["replication"]["latest_error_message"] == "central down"
    assert result["replication"]["remaining_bytes_to_be_synced"] == 45


def test_replication_settings_are_patched_in_place():
    fake = replications_fake(replication()).on("PATCH", "/api/v2/replications/%s" % REPLICATION_ID,
                                               reply(200, replication(queue=134217728, max_age=3600, drop=True)))
    result, _unused = run(influxdb2_replication, replication_params(max_queue_size=134217728, max_age="1h",
                                                                    drop_non_retryable_data=True), fake)
    assert fake.last("PATCH", "/api/v2/replications/%s" % REPLICATION_ID).body == {
        "maxQueueSizeBytes": 134217728, "maxAgeSeconds": 3600, "dropNonRetryableData": True}
    assert result["changed"] and result["diff"]["before"] == {
        "drop_non_retryable_data": False, "max_age_seconds": 0, "max_queue_size_bytes": 67108860}


def test_replication_from_remote_bucket_name_to_id_clears_the_name():
    fake = replications_fake(replication()).on("PATCH", "/api/v2/replications/%s" % REPLICATION_ID,
                                               reply(200, replication(remote_bucket="", remote_bucket_id=BUCKET2_ID)))
    result, _unused = run(influxdb2_replication, replication_params(remote_bucket=None, remote_bucket_id=BUCKET2_ID),
                          fake)
    assert fake.last("PATCH", "/api/v2/replications/%s" % REPLICATION_ID).body == {
        "remoteBucketID": BUCKET2_ID, "remoteBucketName": ""}
    assert result["changed"]


def test_replication_another_remote_is_patched_by_id():
    fake = replications_fake(replication(remote_id=REMOTE2_ID))
    fake.on("PATCH", "/api/v2/replications/%s" % REPLICATION_ID, reply(200, replication()))
    run(influxdb2_replication, replication_params(), fake)
    assert fake.last("PATCH", "/api/v2/replications/%s" % REPLICATION_ID).body == {"remoteID": REMOTE_ID}


def test_replication_another_local_bucket_replaces_it():
    fake = replications_fake(replication(bucket_id=BUCKET2_ID))
    fake.on("DELETE", "/api/v2/replications/%s" % REPLICATION_ID, reply(204))
    fake.on("POST", "/api/v2/replications", reply(201, replication(replication_id=NEW_REPLICATION_ID)))
    result, _unused = run(influxdb2_replication, replication_params(), fake)
    assert result["changed"] and result["replaced"]
    assert [(s.method, s.path) for s in fake.writes()] == [
        ("DELETE", "/api/v2/replications/%s" % REPLICATION_ID), ("POST", "/api/v2/replications")]
    assert result["replication"]["id"] == NEW_REPLICATION_ID


def test_replication_replace_whose_create_fails_says_what_was_left():
    fake = replications_fake(replication(bucket_id=BUCKET2_ID))
    fake.on("DELETE", "/api/v2/replications/%s" % REPLICATION_ID, reply(204))
    fake.on("POST", "/api/v2/replications", error(500, "disk full", "internal error"))
    with pytest.raises(OperationFailed, match="cannot create replication 'to-central' again on local bucket 'metrics' "
                                              "after deleting the one on bucket %s .*disk full.*the next run creates it"
                                              % BUCKET2_ID):
        run(influxdb2_replication, replication_params(), fake)


def test_replication_replace_in_check_mode_writes_nothing():
    fake = replications_fake(replication(bucket_id=BUCKET2_ID))
    result, _unused = run(influxdb2_replication, replication_params(), fake, check_mode=True)
    assert result["changed"] and result["replaced"] and fake.writes() == []


def test_replication_validate_asks_the_server():
    fake = replications_fake(replication())
    fake.on("POST", "/api/v2/replications/%s/validate" % REPLICATION_ID,
            error(400, "replication failed validation: bucket \"edge\" not found"))
    with pytest.raises(Exception, match="replication failed validation"):
        run(influxdb2_replication, replication_params(validate=True), fake)


def test_replication_check_mode_predicts_a_remote_and_bucket_an_earlier_task_would_make():
    fake = replications_fake(buckets=[bucket(name="other")])
    fake.on("GET", "/api/v2/remotes", reply(200, {"remotes": None}))
    result, module = run(influxdb2_replication, replication_params(), fake, check_mode=True)
    assert result["changed"] and fake.writes() == []
    assert result["replication"]["remote"] == "central" and result["replication"]["local_bucket"] == "metrics"
    assert [w.split(":")[0] for w in module.warnings] == ["remote", "local_bucket"]


def test_replication_unknown_remote_names_the_option_and_the_fix():
    fake = replications_fake()
    fake.on("GET", "/api/v2/remotes", reply(200, {"remotes": None}))
    with pytest.raises(Exception, match="remote: remote connection 'central' not found in organization 'acme'; "
                                        "create it first"):
        run(influxdb2_replication, replication_params(), fake)
    assert fake.writes() == []


def test_replication_unknown_local_bucket_names_the_option():
    fake = replications_fake(buckets=[bucket(name="other")])
    with pytest.raises(Exception, match="local_bucket: bucket 'metrics' not found"):
        run(influxdb2_replication, replication_params(), fake)


@pytest.mark.parametrize("overrides, message", [
    ({"max_queue_size": 1024}, "max_queue_size: 1024 bytes is too small; InfluxDB requires at least 33554430"),
    ({"max_age": "30s"}, "max_age: 30s is out of range"),
    ({"max_age": "61d"}, "max_age: 61d is out of range"),
    ({"max_age": "1mo"}, "max_age: '1mo' is not a duration"),
    ({"remote_bucket_id": "central"}, "remote_bucket_id: 'central' is not an InfluxDB ID"),
    ({"remote_bucket": None}, "remote_bucket, remote_bucket_id: give one of them"),
    ({"remote": None}, "remote: required with state=present"),
])
def test_replication_bad_input_fails_before_any_request(overrides, message):
    fake = FakeInflux()
    with pytest.raises(InvalidInput, match=message):
        run(influxdb2_replication, replication_params(**overrides), fake)
    assert fake.sent == []


def test_replication_absent():
    fake = replications_fake(replication()).on("DELETE", "/api/v2/replications/%s" % REPLICATION_ID, reply(204))
    result, _unused = run(influxdb2_replication, replication_params(state="absent"), fake)
    assert result["changed"] and result["replication"] == {}
    result, _unused = run(influxdb2_replication, replication_params(state="absent"), replications_fake())
    assert not result["changed"]


def test_replication_create_5xx_is_not_retried_and_is_an_api_error():
    fake = replications_fake().on("POST", "/api/v2/replications", error(500, "UNIQUE constraint failed", "internal"))
    with pytest.raises(ServerError, match="UNIQUE constraint failed"):
        run(influxdb2_replication, replication_params(), fake)
    assert len([s for s in fake.sent if s.method == "POST"]) == 1


def test_replication_item_without_an_id_is_an_api_error():
    fake = replications_fake().on("GET", "/api/v2/replications", reply(200, {"replications": [{"name": "to-central"}]}))
    with pytest.raises(UnexpectedResponse, match="an item of 'replications' has no id"):
        run(influxdb2_replication, replication_params(), fake)


# -- main(): the token never leaves the module ------------------------------------------------------

def run_main(module_py, args, fake, monkeypatch, capsys):
    monkeypatch.setattr(http_module, "urls_transport", fake)
    with patch_module_args(args), pytest.raises(SystemExit) as caught:
        module_py.main()
    return caught.value.code, json.loads(capsys.readouterr().out)


def test_main_remote_token_is_nowhere_in_the_result(monkeypatch, capsys):
    fake = remotes_fake().on("POST", "/api/v2/remotes", reply(201, remote()))
    code, out = run_main(influxdb2_remote, {"url": "http://influx.test:8086", "token": "x", "org": "acme",
                                            "name": "central", "remote_url": CENTRAL, "remote_token": SECRET,
                                            "remote_org_id": REMOTE_ORG_ID, "_ansible_diff": True},
                         fake, monkeypatch, capsys)
    assert code == 0 and out["changed"] and out["diff"]["after"]["remote_token"] == MASK
    assert SECRET not in json.dumps(out)


def test_main_remote_org_and_id_are_mutually_exclusive(monkeypatch, capsys):
    code, out = run_main(influxdb2_remote, {"url": "http://influx.test:8086", "token": "local-token", "org": "acme",
                                            "name": "central", "remote_url": CENTRAL, "remote_token": SECRET,
                                            "remote_org_id": REMOTE_ORG_ID, "remote_org": "hq"},
                         FakeInflux(), monkeypatch, capsys)
    assert code == 1 and "mutually exclusive" in out["msg"] and SECRET not in json.dumps(out)


def test_main_replication_failure_names_what_it_was_doing(monkeypatch, capsys):
    fake = replications_fake().on("POST", "/api/v2/replications", reply(200, b"<html>", {"Content-Type": "text/html"}))
    code, out = run_main(influxdb2_replication, {"url": "http://influx.test:8086", "token": "x", "org": "acme",
                                                 "name": "to-central", "remote": "central", "local_bucket": "metrics",
                                                 "remote_bucket": "edge"}, fake, monkeypatch, capsys)
    assert code == 1 and out["msg"].startswith("cannot manage replication 'to-central': POST ")
    assert "the reply is not JSON" in out["msg"]
