"""Test support for the InfluxDB 2 client and modules: the collection on the import path, a fake server.

The fake is a transport for :class:`HttpClient` (``(method, url, headers, data, options) -> Response``):
it answers from routes the test declares and records every request, so tests assert on real payloads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import collection_path  # noqa: E402,F401 pylint: disable=unused-import  # the collection on sys.path

from ansible_collections.tickstack.influx.plugins.module_utils.http_client import Response  # noqa: E402
from ansible_collections.tickstack.influx.plugins.module_utils.influxdb2 import InfluxDB2Client  # noqa: E402

BASE = "http://influx.test:8086"
ORG_ID = "0000000000000001"
OTHER_ORG_ID = "0000000000000002"
BUCKET_ID = "00000000000000b1"
BUCKET2_ID = "00000000000000b2"
USER_ID = "00000000000000a1"


@dataclass
class Sent:
    method: str
    path: str
    query: dict
    headers: dict
    body: object = None
    options: dict = field(default_factory=dict)  # the transport options (TLS, url_username/url_password)


def reply(status=200, body=None, headers=None):
    raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    return Response(status, headers or {"Content-Type": "application/json"}, raw)


def error(status, message, code="invalid"):
    return reply(status, {"code": code, "message": message})


@dataclass
class FakeInflux:
    """Routes ``(METHOD, path)`` to replies; a list of replies is served in order, the last one repeats."""

    routes: dict = field(default_factory=dict)
    sent: list = field(default_factory=list)

    def on(self, method, path, *replies):
        self.routes[(method, path)] = list(replies)
        return self

    def __call__(self, method, url, headers, data, options):
        parts = urlsplit(url)
        body = json.loads(data) if data and headers.get("Content-Type") == "application/json" else data
        request = Sent(method, parts.path, dict(parse_qsl(parts.query)), dict(headers), body, dict(options))
        self.sent.append(request)
        queue = self.routes.get((method, parts.path))
        if not queue:
            return error(404, "no fake route for %s %s" % (method, parts.path), "not found")
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    def writes(self):
        """Requests that would change something."""
        return [s for s in self.sent if s.method in ("POST", "PATCH", "PUT", "DELETE")
                and s.path != "/api/v2/query"]

    def last(self, method, path):
        return [s for s in self.sent if s.method == method and s.path == path][-1]


def client(fake, token="t0ken", **kwargs):
    return InfluxDB2Client(BASE, token=token, transport=fake, sleep=lambda _s: None, **kwargs)


class FakeModule:
    """What the modules' ``ensure`` functions use of AnsibleModule."""

    def __init__(self, params, check_mode=False, diff=True):
        defaults = {"url": BASE, "token": "t0ken", "org": "acme", "org_id": None, "validate_certs": True,
                    "ca_path": None, "client_cert": None, "client_key": None, "timeout": 10}
        self.params = dict(defaults, **params)
        self.check_mode = check_mode
        self._diff = diff
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)


def org(org_id=ORG_ID, name="acme", description=""):
    return {"id": org_id, "name": name, "description": description}


def bucket(bucket_id=BUCKET_ID, name="metrics", org_id=ORG_ID, every=0, shard=604800, description="", btype="user"):
    rules = [{"type": "expire", "everySeconds": every, "shardGroupDurationSeconds": shard}]
    return {"id": bucket_id, "name": name, "orgID": org_id, "type": btype, "description": description,
            "retentionRules": rules}


def with_org(fake, the_org=None):
    """The org lookup every org-scoped module does first."""
    return fake.on("GET", "/api/v2/orgs", reply(200, {"orgs": [the_org or org()]}))
