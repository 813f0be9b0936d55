"""Unit tests of the kapacitor_* modules against an in-memory Kapacitor.

``FakeKapacitor`` is a transport for HttpClient that keeps tasks, templates and handlers the way
kapacitord 1.8.3 does (services/task_store/service.go, services/alert/api.go): validation before
storing, PATCH that ignores empty vars and does not restart an enabled task, an enabled task that is
stored even when it cannot start. ``running`` holds the script each executing task actually runs, so
tests see whether an update reached the running task.
"""

from __future__ import annotations

import copy
import fnmatch
import json
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

import collection_path  # noqa: E402,F401 pylint: disable=unused-import  # the collection on sys.path

from module_args import patch_module_args  # noqa: E402

from ansible_collections.tickstack.influx.plugins.module_utils import http_client as http_module  # noqa: E402
from ansible_collections.tickstack.influx.plugins.module_utils.http_client import Response, ServerUnreachable  # noqa: E402
from ansible_collections.tickstack.influx.plugins.module_utils.tickscript import script_dbrps, script_type  # noqa: E402
from ansible_collections.tickstack.influx.plugins.modules import (  # noqa: E402
    kapacitor_info,
    kapacitor_task,
    kapacitor_template,
    kapacitor_topic_handler,
)

URL = "http://kap.test:9092"
API = "/kapacitor/v1"
WRITES = ("POST", "PATCH", "PUT", "DELETE")
HANDLER_KINDS = ("log", "post", "tcp", "exec", "slack")

STREAM = """dbrp "telegraf"."autogen"

stream
    |from()
        .measurement('cpu')
    |influxDBOut()
        .database('my-db')
        .retentionPolicy('my-rp')
"""

BATCH_NO_DBRP = """batch
    |query('SELECT mean("v") FROM "telegraf"."autogen"."m"')
        .period(10s)
        .every(1s)
    |httpOut('out')
"""

TEMPLATE = """dbrp "telegraf"."autogen"

var measurement string
var window = 5m

stream
    |from()
        .measurement(measurement)
    |window()
        .period(window)
"""


def answer(status, body=None, headers=None):
    """A reply as kapacitord sends it: every reply of its API, errors included, says its version."""
    raw = b"" if body is None else json.dumps(body).encode()
    return Response(status, dict({"Content-Type": "application/json", "X-Kapacitor-Version": "1.8.3"},
                                 **(headers or {})), raw)


def refuse(status, message):
    return answer(status, {"error": message, "message": message})


class FakeKapacitor(object):
    def __init__(self):
        self.tasks = {}
        self.templates = {}
        self.handlers = {}
        self.running = {}
        self.calls = []
        self.credentials = None
        self.down = False
        self.clock = 0

    # -- the transport ---------------------------------------------------------------------------
    def __call__(self, method, url, headers, data, options):
        parts = urlsplit(url)
        if self.down:
            raise ServerUnreachable("cannot connect: [Errno 111] Connection refused", method=method, url=url)
        segments = [unquote(s) for s in parts.path[len(API) + 1:].split("/")]
        body = json.loads(data) if data else None
        self.calls.append((method, "/".join(segments), body))
        if self.credentials and (options.get("url_username"), options.get("url_password")) != self.credentials:
            return refuse(401, "authorization failed")
        query = dict((key, values[0]) for key, values in parse_qs(parts.query).items())
        query["fields"] = parse_qs(parts.query).get("fields")
        if segments == ["ping"]:
            return answer(204, headers={"X-Kapacitor-Version": "1.8.3"})
        handler = getattr(self, "_%s_%s" % (segments[0], method.lower()), None)
        if segments[0] == "alerts":
            handler = getattr(self, "_handlers_%s" % method.lower())
            return handler(segments[2:], body)
        return handler(segments[1:], body, query)

    def writes(self):
        return [call for call in self.calls if call[0] in WRITES]

    def tick(self):
        self.clock += 1
        return "2025-01-01T00:00:%02dZ" % self.clock

    # -- tasks -----------------------------------------------------------------------------------
    @staticmethod
    def _validate(script):
        if "BROKEN" in script:
            return refuse(400, "invalid TICKscript: parser: unexpected identifier line 3 char 6 in \"BROKEN\". "
                               "expected: \"(\"")
        if script_type(script) is None:
            return refuse(400, "invalid task type: invalid")
        return None

    def _start(self, task):
        if "cluster('missing')" in task["script"]:
            task["error"] = 'failed to get InfluxDB client: unknown InfluxDB cluster "missing"'
            task["executing"] = False
            return refuse(500, task["error"])
        task["error"], task["executing"] = "", True
        self.running[task["id"]] = task["script"]
        return None

    def _stop(self, task):
        task["executing"] = False
        self.running.pop(task["id"], None)

    def _view(self, task):
        return copy.deepcopy(task)

    def _tasks_get(self, rest, body, query):
        if not rest or rest == [""]:
            items = [t for i, t in sorted(self.tasks.items()) if fnmatch.fnmatch(i, query.get("pattern") or "*")]
            offset, limit = int(query.get("offset", 0)), int(query.get("limit", 100))
            items = items[offset:offset + limit]
            if query.get("fields"):
                items = [dict((f, t.get(f)) for f in query["fields"] + ["id"] if f in t) for t in items]
            return answer(200, {"tasks": [self._view(t) for t in items]})
        task = self.tasks.get(rest[0])
        if task is None:
            return refuse(404, "no task exists")
        return answer(200, self._view(task))

    def _tasks_post(self, rest, body, query):
        task_id = body.get("id")
        if task_id in self.tasks:
            return refuse(400, "task %s already exists" % task_id)
        if body.get("template-id"):
            template = self.templates.get(body["template-id"])
            if template is None:
                return refuse(400, "unknown template %s" % body["template-id"])
            script = template["script"]
        else:
            script = body.get("script") or ""
            if not script:
                return refuse(400, "must provide TICKscript")
        error = self._validate(script)
        if error:
            return error
        implicit, explicit = script_dbrps(script), body.get("dbrps") or []
        if not implicit and not explicit:
            return refuse(400, "must specify dbrp")
        if implicit and explicit:
            return refuse(400, "cannot specify dbrp in both implicitly and explicitly")
        stamp = self.tick()
        task = {"id": task_id, "template-id": body.get("template-id") or "", "type": script_type(script),
                "dbrps": implicit or explicit, "script": script, "vars": body.get("vars") or {},
                "status": body.get("status") or "disabled", "executing": False, "error": "",
                "created": stamp, "modified": stamp, "last-enabled": stamp if body.get("status") == "enabled" else None}
        self.tasks[task_id] = task
        if task["status"] == "enabled":
            error = self._start(task)
            if error:
                return error
        return answer(200, self._view(task))

    def _tasks_patch(self, rest, body, query):
        original = self.tasks.get(rest[0])
        if original is None:
            return refuse(404, "task does not exist, cannot update")
        updated = copy.deepcopy(original)
        if body.get("template-id") or updated["template-id"]:
            template_id = body.get("template-id") or updated["template-id"]
            template = self.templates.get(template_id)
            if template is None:
                return refuse(400, "unknown template %s" % template_id)
            updated["template-id"], updated["script"] = template_id, template["script"]
        elif body.get("script"):
            if script_dbrps(original["script"]) and not script_dbrps(body["script"]) and not body.get("dbrps"):
                return refuse(400, "must specify dbrp")
            updated["script"] = body["script"]
        error = self._validate(updated["script"])
        if error:
            return error
        implicit = script_dbrps(updated["script"])
        if implicit and body.get("dbrps"):
            return refuse(400, "cannot specify dbrp in implicitly and explicitly")
        updated["dbrps"] = implicit or body.get("dbrps") or updated["dbrps"]
        if body.get("vars"):   # Kapacitor ignores an empty vars object
            updated["vars"] = body["vars"]
        if body.get("status"):
            updated["status"] = body["status"]
        updated["type"] = script_type(updated["script"])
        updated["modified"] = self.tick()
        self.tasks[updated["id"]] = updated   # stored before the task is started or stopped
        if updated["status"] != original["status"]:
            if updated["status"] == "enabled":
                error = self._start(updated)
                if error:
                    return error
            else:
                self._stop(updated)
        return answer(200, self._view(updated))

    def _tasks_delete(self, rest, body, query):
        task = self.tasks.pop(rest[0], None)
        if task:
            self._stop(task)
        return answer(204)

    # -- templates -------------------------------------------------------------------------------
    def _templates_get(self, rest, body, query):
        if not rest or rest == [""]:
            items = [t for i, t in sorted(self.templates.items()) if fnmatch.fnmatch(i, query.get("pattern") or "*")]
            return answer(200, {"templates": copy.deepcopy(items[int(query.get("offset", 0)):])})
        template = self.templates.get(rest[0])
        if template is None:
            return refuse(404, "no template exists")
        return answer(200, copy.deepcopy(template))

    def _templates_post(self, rest, body, query):
        if body["id"] in self.templates:
            return refuse(400, "template %s already exists" % body["id"])
        error = self._validate(body.get("script") or "")
        if error:
            return error
        template = {"id": body["id"], "type": script_type(body["script"]), "script": body["script"],
                    "vars": {"window": {"type": "duration", "value": 300000000000, "description": ""}},
                    "error": "", "created": self.tick(), "modified": None}
        self.templates[body["id"]] = template
        return answer(200, copy.deepcopy(template))

    def _templates_patch(self, rest, body, query):
        template = self.templates.get(rest[0])
        if template is None:
            return refuse(404, "template does not exist, cannot update")
        error = self._validate(body.get("script") or template["script"])
        if error:
            return error
        old_script = template["script"]
        template["script"] = body.get("script") or template["script"]
        template["type"] = body.get("type") or template["type"]
        users = [t for t in self.tasks.values() if t["template-id"] == template["id"]]
        for task in users:
            task["script"] = template["script"]
            if task["status"] == "enabled":
                self._stop(task)
                if self._start(task):
                    for other in users:   # Kapacitor rolls the tasks back, not the template
                        other["script"] = old_script
                        if other["status"] == "enabled":
                            self._start(other)
                    return refuse(500, "error reloading associated task %s" % task["id"])
        return answer(200, copy.deepcopy(template))

    def _templates_delete(self, rest, body, query):
        self.templates.pop(rest[0], None)
        return answer(204)

    # -- topics and handlers ---------------------------------------------------------------------
    def _handlers_get(self, rest, body):
        if not rest or rest == [""]:
            topics = sorted(set(topic for topic, handler_id in self.handlers))
            return answer(200, {"topics": [{"id": t, "level": "OK", "collected": 2} for t in topics]})
        topic = rest[0]
        if len(rest) == 2:
            handlers = [h for (t, handler_id), h in sorted(self.handlers.items()) if t == topic]
            return answer(200, {"topic": topic, "handlers": copy.deepcopy(handlers)})
        handler = self.handlers.get((topic, rest[2]))
        if handler is None:
            return refuse(404, "unknown handler: %r" % rest[2])
        return answer(200, copy.deepcopy(handler))

    def _check_handler(self, body):
        if body.get("kind") not in HANDLER_KINDS:
            return refuse(500, "failed to create handler: unsupported handler kind %r" % body.get("kind"))
        if body["kind"] == "log" and set(body.get("options") or {}) - {"path", "mode"}:
            return refuse(500, "failed to create handler: failed to decode options into *alert.LogHandlerConfig")
        return None

    def _handlers_post(self, rest, body):
        topic = rest[0]
        error = self._check_handler(body)
        if error:
            return error
        if (topic, body["id"]) in self.handlers:
            return refuse(500, "failed to create handler: handler with ID %r already exists" % body["id"])
        handler = {"id": body["id"], "kind": body["kind"], "options": body.get("options") or {},
                   "match": body.get("match") or ""}
        self.handlers[(topic, body["id"])] = handler
        return answer(200, copy.deepcopy(handler))

    def _handlers_put(self, rest, body):
        if (rest[0], rest[2]) not in self.handlers:
            return refuse(404, "unknown handler")
        error = self._check_handler(body)
        if error:
            return error
        handler = {"id": body["id"], "kind": body["kind"], "options": body.get("options") or {},
                   "match": body.get("match") or ""}
        self.handlers[(rest[0], rest[2])] = handler
        return answer(200, copy.deepcopy(handler))

    def _handlers_delete(self, rest, body):
        self.handlers.pop((rest[0], rest[2]), None)
        return answer(204)


@pytest.fixture
def kapacitor(monkeypatch):
    fake = FakeKapacitor()
    monkeypatch.setattr(http_module, "urls_transport", fake)
    return fake


def run(module, capsys, check=False, diff=True, **args):
    """Run a module's main() as Ansible would; return its JSON result (failed ones too)."""
    args.setdefault("url", URL)
    args.update(_ansible_check_mode=check, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    out = capsys.readouterr().out
    return json.loads(out)


def task(capsys, **args):
    return run(kapacitor_task, capsys, **args)


# ------------------------------------------------------------------------------------------------
# kapacitor_task
# ------------------------------------------------------------------------------------------------

def test_create_in_check_mode_predicts_and_writes_nothing(kapacitor, capsys):
    result = task(capsys, id="cpu", script=STREAM, check=True)
    assert result["changed"] is True
    assert kapacitor.writes() == [] and kapacitor.tasks == {}
    assert result["task"]["status"] == "enabled" and result["task"]["type"] == "stream"
    assert result["task"]["dbrps"] == [{"db": "telegraf", "rp": "autogen"}]
    assert result["diff"] == {"before": {}, "after": {"id": "cpu", "type": "stream", "status": "enabled",
                                                      "dbrps": [{"db": "telegraf", "rp": "autogen"}],
                                                      "script": STREAM}}


def test_create_then_repeat_is_unchanged(kapacitor, capsys):
    result = task(capsys, id="cpu", script=STREAM)
    assert result["changed"] is True
    assert kapacitor.writes() == [("POST", "tasks", {"id": "cpu", "script": STREAM, "type": "stream",
                                                     "status": "enabled"})]
    assert kapacitor.running["cpu"] == STREAM
    assert result["task"]["executing"] is True and result["task"]["script"] == STREAM

    kapacitor.calls.clear()
    reindented = "\n".join(line.strip() for line in STREAM.splitlines())
    for script in (STREAM, reindented):
        again = task(capsys, id="cpu", script=script)
        assert again["changed"] is False, again["diff"]
        assert again["diff"] == {"before": {}, "after": {}}
    check = task(capsys, id="cpu", script=STREAM, check=True)
    assert check["changed"] is False
    assert kapacitor.writes() == []


def test_diff_only_when_asked(kapacitor, capsys):
    assert "diff" not in task(capsys, id="cpu", script=STREAM, diff=False)


def test_script_update_of_an_enabled_task_reloads_it(kapacitor, capsys):
    task(capsys, id="cpu", script=STREAM)
    kapacitor.calls.clear()
    new_script = STREAM.replace("'cpu'", "'mem'")
    check = task(capsys, id="cpu", script=new_script, check=True)
    assert check["changed"] is True and kapacitor.writes() == []
    assert check["diff"] == {"before": {"script": STREAM}, "after": {"script": new_script}}
    assert check["task"]["script"] == new_script

    result = task(capsys, id="cpu", script=new_script)
    assert result["changed"] is True
    assert result["diff"] == check["diff"]
    assert kapacitor.writes() == [
        ("PATCH", "tasks/cpu", {"script": new_script, "type": "stream"}),
        ("PATCH", "tasks/cpu", {"status": "disabled"}),
        ("PATCH", "tasks/cpu", {"status": "enabled"}),
    ]
    assert kapacitor.running["cpu"] == new_script   # the running task runs the new script
    assert result["task"]["script"] == new_script


def test_disable_and_enable_touch_only_the_status(kapacitor, capsys):
    task(capsys, id="cpu", script=STREAM)
    kapacitor.calls.clear()
    result = task(capsys, id="cpu", status="disabled")   # no script: the definition is kept
    assert result["changed"] is True
    assert result["diff"] == {"before": {"status": "enabled"}, "after": {"status": "disabled"}}
    assert kapacitor.writes() == [("PATCH", "tasks/cpu", {"status": "disabled"})]
    assert "cpu" not in kapacitor.running and result["task"]["executing"] is False
    assert task(capsys, id="cpu", script=STREAM, status="disabled")["changed"] is False
    result = task(capsys, id="cpu", script=STREAM, status="enabled")
    assert result["changed"] is True and kapacitor.running["cpu"] == STREAM


def test_update_of_a_disabled_task_sends_definition_and_status_at_once(kapacitor, capsys):
    task(capsys, id="cpu", script=STREAM, status="disabled")
    kapacitor.calls.clear()
    new_script = STREAM.replace("'cpu'", "'mem'")
    task(capsys, id="cpu", script=new_script, status="enabled")
    assert kapacitor.writes() == [("PATCH", "tasks/cpu", {"script": new_script, "type": "stream",
                                                          "status": "enabled"})]
    assert kapacitor.running["cpu"] == new_script


def test_dbrps_option_for_a_script_without_dbrp(kapacitor, capsys):
    dbrps = [{"db": "telegraf", "rp": "autogen"}]
    result = task(capsys, id="b", script=BATCH_NO_DBRP, dbrps=dbrps)
    assert result["task"]["type"] == "batch"
    assert kapacitor.writes()[0][2]["dbrps"] == dbrps
    assert task(capsys, id="b", script=BATCH_NO_DBRP, dbrps=dbrps)["changed"] is False
    assert task(capsys, id="b", script=BATCH_NO_DBRP)["changed"] is False   # dbrps not managed: kept
    kapacitor.calls.clear()
    other = [{"db": "telegraf", "rp": "autogen"}, {"db": "other", "rp": "autogen"}]
    result = task(capsys, id="b", script=BATCH_NO_DBRP, dbrps=other)
    assert result["diff"] == {"before": {"dbrps": dbrps}, "after": {"dbrps": other}}
    assert kapacitor.writes()[0] == ("PATCH", "tasks/b", {"script": BATCH_NO_DBRP, "type": "batch",
                                                          "dbrps": other})


def test_dbrps_with_a_dbrp_statement_is_refused_before_any_write(kapacitor, capsys):
    result = task(capsys, id="cpu", script=STREAM, dbrps=[{"db": "x", "rp": "y"}])
    assert result["failed"] is True
    assert 'dbrp statements ("telegraf"."autogen") and dbrps is set too' in result["msg"]
    assert kapacitor.writes() == []


def test_missing_dbrps_is_refused_with_advice(kapacitor, capsys):
    result = task(capsys, id="b", script=BATCH_NO_DBRP)
    assert result["failed"] is True and "set dbrps" in result["msg"]
    assert kapacitor.writes() == []


@pytest.mark.parametrize("script, message", [
    # was: the tickscript_dbrps filter read telegraf/autogen here while this module found no dbrp at all
    ("dbrp telegraf.autogen\nstream|from()",
     'line 1: cannot read the dbrp statement (dbrp telegraf . autogen): Kapacitor takes double-quoted names, '
     'as in dbrp "telegraf"."autogen"'),
    ('dbrp "telegraf"."autogen"\nstream|from() # note', "line 2: unexpected character '#'"),
])
def test_scripts_kapacitor_cannot_read_fail_before_any_write(kapacitor, capsys, script, message):
    result = task(capsys, id="t", script=script)
    assert result["failed"] is True and message in result["msg"], result["msg"]
    assert kapacitor.writes() == []


def test_type_must_agree_with_the_script(kapacitor, capsys):
    result = task(capsys, id="cpu", script=STREAM, type="batch")
    assert result["failed"] is True and "type is batch but the script is a stream task" in result["msg"]
    assert task(capsys, id="cpu", script=STREAM, type="stream")["changed"] is True


def test_broken_script_fails_with_kapacitors_message_and_leaves_no_task(kapacitor, capsys):
    broken = STREAM.replace("|from()", "|from()\n  BROKEN")
    result = task(capsys, id="cpu", script=broken)
    assert result["failed"] is True
    assert "Kapacitor refused to create task cpu" in result["msg"]
    assert "line 3 char 6" in result["msg"] and result["status"] == 400
    assert "Traceback" not in json.dumps(result)
    assert kapacitor.tasks == {}


def test_broken_update_leaves_the_old_task_running(kapacitor, capsys):
    task(capsys, id="cpu", script=STREAM)
    before = copy.deepcopy(kapacitor.tasks["cpu"])
    result = task(capsys, id="cpu", script=STREAM + "\nBROKEN")
    assert result["failed"] is True and "line 3 char 6" in result["msg"]
    assert "left unchanged" in result["msg"]
    assert kapacitor.tasks["cpu"] == before and kapacitor.running["cpu"] == STREAM


def test_create_that_cannot_start_is_deleted(kapacitor, capsys):
    script = STREAM.replace(".retentionPolicy('my-rp')", ".retentionPolicy('my-rp')\n        .cluster('missing')")
    result = task(capsys, id="cpu", script=script)
    assert result["failed"] is True
    assert 'unknown InfluxDB cluster "missing"' in result["msg"]
    assert "half-created task was deleted" in result["msg"]
    assert kapacitor.tasks == {}


def test_update_that_cannot_start_restores_the_previous_task(kapacitor, capsys):
    task(capsys, id="cpu", script=STREAM)
    before = copy.deepcopy(kapacitor.tasks["cpu"])
    bad = STREAM.replace(".retentionPolicy('my-rp')", ".retentionPolicy('my-rp')\n        .cluster('missing')")
    result = task(capsys, id="cpu", script=bad)
    assert result["failed"] is True
    assert "previous definition of the task was restored" in result["msg"]
    restored = kapacitor.tasks["cpu"]
    assert (restored["script"], restored["status"], restored["executing"]) == (STREAM, "enabled", True)
    assert restored["dbrps"] == before["dbrps"] and kapacitor.running["cpu"] == STREAM


def test_enable_that_cannot_start_puts_the_status_back(kapacitor, capsys):
    bad = STREAM.replace(".retentionPolicy('my-rp')", ".retentionPolicy('my-rp')\n        .cluster('missing')")
    task(capsys, id="cpu", script=bad, status="disabled")
    result = task(capsys, id="cpu", script=bad, status="enabled")
    assert result["failed"] is True and "status was put back to disabled" in result["msg"]
    assert kapacitor.tasks["cpu"]["status"] == "disabled"


def test_typed_vars_are_sent_and_compared(kapacitor, capsys):
    kapacitor.templates["tpl"] = {"id": "tpl", "type": "stream", "script": TEMPLATE, "vars": {}}
    variables = {"measurement": "cpu", "window": {"type": "duration", "value": "1m"}}
    result = task(capsys, id="t1", template_id="tpl", vars=variables)
    assert result["changed"] is True
    body = kapacitor.writes()[0][2]
    assert body == {"id": "t1", "template-id": "tpl", "status": "enabled", "vars": {
        "measurement": {"type": "string", "value": "cpu", "description": ""},
        "window": {"type": "duration", "value": 60000000000, "description": ""}}}
    assert result["task"]["template_id"] == "tpl" and result["task"]["script"] == TEMPLATE
    kapacitor.calls.clear()
    assert task(capsys, id="t1", template_id="tpl", vars=variables)["changed"] is False
    assert task(capsys, id="t1", template_id="tpl",
                vars={"measurement": "cpu", "window": {"type": "duration", "value": 60000000000}})["changed"] is False
    changed = task(capsys, id="t1", template_id="tpl", vars={"measurement": "mem", "window": "1m"}, check=True)
    assert changed["changed"] is True
    assert changed["diff"]["after"]["vars"]["window"] == {"type": "string", "value": "1m", "description": ""}
    assert kapacitor.writes() == []


def test_template_task_update_reloads_with_new_vars(kapacitor, capsys):
    kapacitor.templates["tpl"] = {"id": "tpl", "type": "stream", "script": TEMPLATE, "vars": {}}
    task(capsys, id="t1", template_id="tpl", vars={"measurement": "cpu"})
    kapacitor.calls.clear()
    task(capsys, id="t1", template_id="tpl", vars={"measurement": "mem"})
    assert kapacitor.writes() == [
        ("PATCH", "tasks/t1", {"template-id": "tpl",
                               "vars": {"measurement": {"type": "string", "value": "mem", "description": ""}}}),
        ("PATCH", "tasks/t1", {"status": "disabled"}),
        ("PATCH", "tasks/t1", {"status": "enabled"}),
    ]


def test_clearing_vars_recreates_the_task(kapacitor, capsys):
    kapacitor.templates["tpl"] = {"id": "tpl", "type": "stream", "script": TEMPLATE, "vars": {}}
    task(capsys, id="t1", template_id="tpl", vars={"measurement": "cpu"})
    kapacitor.calls.clear()
    result = task(capsys, id="t1", template_id="tpl", vars={})
    assert result["changed"] is True
    assert [c[0] for c in kapacitor.writes()] == ["DELETE", "POST"]
    assert kapacitor.tasks["t1"]["vars"] == {}
    assert task(capsys, id="t1", template_id="tpl", vars={})["changed"] is False


def test_template_task_to_script_task_recreates_it(kapacitor, capsys):
    kapacitor.templates["tpl"] = {"id": "tpl", "type": "stream", "script": TEMPLATE, "vars": {}}
    task(capsys, id="t1", template_id="tpl", vars={"measurement": "cpu"})
    kapacitor.calls.clear()
    result = task(capsys, id="t1", script=STREAM)
    assert result["diff"]["before"]["template_id"] == "tpl" and result["diff"]["after"]["template_id"] == ""
    assert [c[0] for c in kapacitor.writes()] == ["DELETE", "POST"]
    assert kapacitor.tasks["t1"]["template-id"] == "" and kapacitor.tasks["t1"]["script"] == STREAM


def test_moving_a_task_to_another_template_recreates_it(kapacitor, capsys):
    # Kapacitor 1.8's PATCH keeps the old template association: a moved task would miss updates.
    kapacitor.templates["tpl"] = {"id": "tpl", "type": "stream", "script": TEMPLATE, "vars": {}}
    kapacitor.templates["tpl2"] = {"id": "tpl2", "type": "stream", "script": TEMPLATE.replace("5m", "1m"), "vars": {}}
    task(capsys, id="t1", template_id="tpl", vars={"measurement": "cpu"})
    kapacitor.calls.clear()
    result = task(capsys, id="t1", template_id="tpl2", vars={"measurement": "cpu"})
    assert result["diff"] == {"before": {"template_id": "tpl"}, "after": {"template_id": "tpl2"}}
    assert [c[0] for c in kapacitor.writes()] == ["DELETE", "POST"]
    assert kapacitor.tasks["t1"]["template-id"] == "tpl2" and kapacitor.running["t1"] == TEMPLATE.replace("5m", "1m")


def test_vars_without_a_definition_keep_the_template(kapacitor, capsys):
    kapacitor.templates["tpl"] = {"id": "tpl", "type": "stream", "script": TEMPLATE, "vars": {}}
    task(capsys, id="t1", template_id="tpl", vars={"measurement": "cpu"})
    kapacitor.calls.clear()
    result = task(capsys, id="t1", vars={})
    assert result["changed"] is True and [c[0] for c in kapacitor.writes()] == ["DELETE", "POST"]
    assert kapacitor.writes()[1][2] == {"id": "t1", "template-id": "tpl", "status": "enabled", "vars": {}}
    assert task(capsys, id="t1", vars={})["changed"] is False


def test_missing_template_fails_also_in_check_mode(kapacitor, capsys):
    result = task(capsys, id="t1", template_id="nope", check=True)
    assert result["failed"] is True and "template nope does not exist" in result["msg"]


def test_bad_var_fails_before_any_write(kapacitor, capsys):
    result = task(capsys, id="cpu", script=STREAM, vars={"w": {"type": "duration", "value": "soon"}})
    assert result["failed"] is True and result["msg"].startswith("task cpu: var w: invalid duration")
    assert kapacitor.writes() == []


def test_creating_needs_a_script(kapacitor, capsys):
    result = task(capsys, id="cpu")
    assert result["failed"] is True and "script or template_id is needed" in result["msg"]


def test_absent(kapacitor, capsys):
    task(capsys, id="cpu", script=STREAM)
    check = task(capsys, id="cpu", state="absent", check=True)
    assert check["changed"] is True and "cpu" in kapacitor.tasks
    assert check["diff"]["before"]["script"] == STREAM and check["diff"]["after"] == {}
    result = task(capsys, id="cpu", state="absent")
    assert result["changed"] is True and kapacitor.tasks == {} and kapacitor.running == {}
    assert task(capsys, id="cpu", state="absent")["changed"] is False


def test_unreachable_server_fails_with_url_and_reason(kapacitor, capsys):
    kapacitor.down = True
    result = task(capsys, id="cpu", script=STREAM)
    assert result["failed"] is True
    # The first real request (no ping before it) is the one that names the server.
    assert "cannot reach Kapacitor at http://kap.test:9092/kapacitor/v1/tasks/cpu" in result["msg"]
    assert "Connection refused" in result["msg"]


def test_wrong_credentials_fail_with_401(kapacitor, capsys):
    kapacitor.credentials = ("ops", "right")
    result = task(capsys, id="cpu", script=STREAM, username="ops", password="wrong")
    assert result["failed"] is True and result["status"] == 401
    assert "auth-enabled" in result["msg"] and "wrong" not in result["msg"]
    assert task(capsys, id="cpu", script=STREAM, username="ops", password="right")["changed"] is True


def test_task_enabled_but_not_running_is_reported(kapacitor, capsys, monkeypatch):
    from ansible.module_utils.basic import AnsibleModule

    warnings = []
    monkeypatch.setattr(AnsibleModule, "warn", lambda self, message: warnings.append(message))
    task(capsys, id="cpu", script=STREAM)
    assert warnings == []
    kapacitor._stop(kapacitor.tasks["cpu"])
    kapacitor.tasks["cpu"]["error"] = "write failed"
    result = task(capsys, id="cpu", script=STREAM)
    assert result["changed"] is False
    assert warnings == ["task cpu is enabled but not executing: write failed"]
    result = task(capsys, id="cpu", script=STREAM.replace("'cpu'", "'mem'"))
    assert result["changed"] is True and result["task"]["executing"] is True
    assert len(warnings) == 1


# ------------------------------------------------------------------------------------------------
# kapacitor_template
# ------------------------------------------------------------------------------------------------

def template(capsys, **args):
    return run(kapacitor_template, capsys, **args)


def test_tasks_in_one_run_list_once_and_change_only_what_differs(kapacitor, capsys):
    entries = [{"id": "cpu", "script": STREAM}, {"id": "batch", "script": BATCH_NO_DBRP,
                                                 "dbrps": [{"db": "telegraf", "rp": "autogen"}]}]
    first = task(capsys, tasks=entries)
    assert first["changed"] is True and [t["changed"] for t in first["tasks"]] == [True, True]
    assert sorted(kapacitor.tasks) == ["batch", "cpu"] and kapacitor.running["cpu"] == STREAM
    assert [d["before_header"] for d in first["diff"]] == ["task cpu", "task batch"]

    kapacitor.calls.clear()
    again = task(capsys, tasks=entries)
    assert again["changed"] is False and [t["task"]["executing"] for t in again["tasks"]] == [True, True]
    # The whole idempotent run: one listing, nothing else.
    assert [(c[0], c[1]) for c in kapacitor.calls] == [("GET", "tasks")]

    kapacitor.calls.clear()
    changed = task(capsys, tasks=[dict(entries[0], status="disabled"), {"id": "batch", "state": "absent"},
                                  {"id": "gone", "state": "absent"}])
    assert [t["changed"] for t in changed["tasks"]] == [True, True, False]
    assert kapacitor.tasks["cpu"]["status"] == "disabled" and "batch" not in kapacitor.tasks
    assert ("PATCH", "tasks/cpu", {"status": "disabled"}) in kapacitor.writes()


def test_tasks_in_check_mode_write_nothing(kapacitor, capsys):
    result = task(capsys, tasks=[{"id": "cpu", "script": STREAM}], check=True)
    assert result["changed"] is True and result["tasks"][0]["task"]["status"] == "enabled"
    assert kapacitor.writes() == [] and kapacitor.tasks == {}


@pytest.mark.parametrize("entries, message", [
    ([{"id": "cpu", "script": STREAM}, {"id": "cpu", "script": STREAM}], "tasks[1]: the task cpu is listed twice"),
    ([{"id": " ", "script": STREAM}], "tasks[0].id: cannot be empty"),
    ([{"id": "cpu", "script": STREAM, "template_id": "tpl"}], "tasks[0] (cpu): script and template_id are mutually"),
])
def test_bad_tasks_entries_are_refused_before_any_request(kapacitor, capsys, entries, message):
    result = task(capsys, tasks=entries)
    assert result["failed"] is True and message in result["msg"]
    assert kapacitor.calls == []


def test_a_failing_entry_is_named_and_those_before_it_are_done(kapacitor, capsys):
    result = task(capsys, tasks=[{"id": "cpu", "script": STREAM}, {"id": "broken", "script": "stream\n    |nope()"},
                                 {"id": "after", "script": STREAM}])
    assert result["failed"] is True and result["msg"].startswith("tasks[1] (broken): ")
    assert sorted(kapacitor.tasks) == ["cpu"]
    # The next run goes on from the failed entry (here, fixed).
    again = task(capsys, tasks=[{"id": "cpu", "script": STREAM}, {"id": "broken", "script": STREAM},
                                {"id": "after", "script": STREAM}])
    assert [t["changed"] for t in again["tasks"]] == [False, True, True]


def test_tasks_and_a_single_task_do_not_mix(kapacitor, capsys):
    result = task(capsys, tasks=[{"id": "cpu", "script": STREAM}], id="cpu")
    assert result["failed"] is True and "mutually exclusive" in result["msg"]
    result = task(capsys)
    assert result["failed"] is True and "one of the following is required: id, tasks" in result["msg"]


def test_template_lifecycle(kapacitor, capsys):
    check = template(capsys, id="tpl", script=TEMPLATE, check=True)
    assert check["changed"] is True and kapacitor.writes() == []
    assert check["template"]["type"] == "stream"
    result = template(capsys, id="tpl", script=TEMPLATE)
    assert result["changed"] is True
    assert kapacitor.writes() == [("POST", "templates", {"id": "tpl", "script": TEMPLATE, "type": "stream"})]
    assert result["template"]["vars"]["window"]["type"] == "duration"
    assert template(capsys, id="tpl", script=TEMPLATE.replace("    ", "  "))["changed"] is False

    kapacitor.calls.clear()
    new_script = TEMPLATE.replace("5m", "10m")
    result = template(capsys, id="tpl", script=new_script)
    assert result["diff"] == {"before": {"script": TEMPLATE}, "after": {"script": new_script}}
    assert kapacitor.writes() == [("PATCH", "templates/tpl", {"script": new_script, "type": "stream"})]


def test_template_delete_refuses_while_tasks_use_it(kapacitor, capsys):
    template(capsys, id="tpl", script=TEMPLATE)
    task(capsys, id="t1", template_id="tpl", vars={"measurement": "cpu"})
    result = template(capsys, id="tpl", state="absent")
    assert result["failed"] is True and "used by task(s) t1" in result["msg"]
    assert "tpl" in kapacitor.templates
    result = template(capsys, id="tpl", state="absent", force=True)
    assert result["changed"] is True and result["tasks"] == ["t1"] and kapacitor.templates == {}
    assert template(capsys, id="tpl", state="absent")["changed"] is False


def test_broken_template_is_refused(kapacitor, capsys):
    result = template(capsys, id="tpl", script=TEMPLATE + "\nBROKEN")
    assert result["failed"] is True and "line 3 char 6" in result["msg"]
    assert kapacitor.templates == {}


def test_template_update_that_breaks_a_task_is_undone(kapacitor, capsys):
    template(capsys, id="tpl", script=TEMPLATE)
    task(capsys, id="t1", template_id="tpl", vars={"measurement": "cpu"})
    bad = TEMPLATE.replace(".period(window)", ".period(window)\n    |influxDBOut().cluster('missing')")
    result = template(capsys, id="tpl", script=bad)
    assert result["failed"] is True and "previous script was restored" in result["msg"]
    assert kapacitor.templates["tpl"]["script"] == TEMPLATE
    assert kapacitor.tasks["t1"]["script"] == TEMPLATE and kapacitor.running["t1"] == TEMPLATE


# ------------------------------------------------------------------------------------------------
# kapacitor_topic_handler
# ------------------------------------------------------------------------------------------------

def handler(capsys, **args):
    return run(kapacitor_topic_handler, capsys, **args)


def test_handler_lifecycle(kapacitor, capsys):
    args = dict(topic="cpu", id="log", kind="log", options={"path": "/tmp/a.log"}, match="level() == CRITICAL")
    check = handler(capsys, check=True, **args)
    assert check["changed"] is True and kapacitor.writes() == []
    result = handler(capsys, **args)
    assert result["changed"] is True
    assert kapacitor.writes() == [("POST", "alerts/topics/cpu/handlers",
                                   {"id": "log", "kind": "log", "options": {"path": "/tmp/a.log"},
                                    "match": "level() == CRITICAL"})]
    assert result["handler"] == {"topic": "cpu", "id": "log", "kind": "log", "options": {"path": "/tmp/a.log"},
                                 "match": "level() == CRITICAL"}
    assert handler(capsys, **{**args, "match": "level()==CRITICAL"})["changed"] is False

    kapacitor.calls.clear()
    result = handler(capsys, **{**args, "options": {"path": "/tmp/b.log"}})
    assert result["diff"] == {"before": {"options": {"path": "/tmp/a.log"}},
                              "after": {"options": {"path": "/tmp/b.log"}}}
    assert kapacitor.writes()[0][0] == "PUT"

    result = handler(capsys, topic="cpu", id="log", state="absent")
    assert result["changed"] is True and kapacitor.handlers == {}
    assert handler(capsys, topic="cpu", id="log", state="absent")["changed"] is False


def test_handler_refused_option_fails_with_kapacitors_message(kapacitor, capsys):
    result = handler(capsys, topic="cpu", id="log", kind="log", options={"pth": "/x"})
    assert result["failed"] is True and "failed to decode options" in result["msg"]
    assert kapacitor.handlers == {}


def test_handler_secrets_are_masked_everywhere(kapacitor, capsys):
    options = {"url": "https://hooks.test/k", "headers": {"Authorization": "Bearer tok-123456"}}
    result = handler(capsys, topic="cpu", id="hook", kind="post", options=options)
    assert "tok-123456" not in json.dumps(result)
    assert result["handler"]["options"]["headers"]["Authorization"] == "********"
    assert kapacitor.handlers[("cpu", "hook")]["options"] == options   # the real value was sent
    changed = dict(options, headers={"Authorization": "Bearer tok-654321"})
    result = handler(capsys, topic="cpu", id="hook", kind="post", options=changed)
    assert result["changed"] is True
    assert "tok-123456" not in json.dumps(result) and "tok-654321" not in json.dumps(result)


# ------------------------------------------------------------------------------------------------
# kapacitor_info
# ------------------------------------------------------------------------------------------------

def test_info(kapacitor, capsys):
    template(capsys, id="tpl", script=TEMPLATE)
    task(capsys, id="b_task", script=STREAM)
    task(capsys, id="a_task", script=STREAM, status="disabled")
    handler(capsys, topic="cpu", id="hook", kind="post", options={"routing-key": "rk-secret-1"})
    kapacitor.tasks["b_task"]["stats"] = {"task-stats": {"throughput": 2}, "node-stats": {"stream0": {"emitted": 5}}}
    kapacitor.calls.clear()
    result = run(kapacitor_info, capsys)
    assert result["changed"] is False and kapacitor.writes() == []
    assert result["version"] == "1.8.3"
    assert [t["id"] for t in result["tasks"]] == ["a_task", "b_task"]
    b_task = result["tasks"][1]
    assert (b_task["status"], b_task["executing"], b_task["error"]) == ("enabled", True, "")
    assert b_task["stats"]["node_stats"]["stream0"]["emitted"] == 5
    assert b_task["dbrps"] == [{"db": "telegraf", "rp": "autogen"}]
    assert result["templates"][0]["id"] == "tpl"
    assert result["topics"] == [{"id": "cpu", "level": "OK", "collected": 2, "handlers": [
        {"topic": "cpu", "id": "hook", "kind": "post", "options": {"routing-key": "********"}, "match": ""}]}]
    assert "rk-secret-1" not in json.dumps(result)

    only = run(kapacitor_info, capsys, gather=["tasks"], pattern="a_*", include_scripts=False)
    assert [t["id"] for t in only["tasks"]] == ["a_task"] and "script" not in only["tasks"][0]
    assert "templates" not in only and "topics" not in only
