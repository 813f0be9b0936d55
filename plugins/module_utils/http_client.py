# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one HTTP layer every client in this collection stands on.

Standard library plus ``ansible.module_utils.urls`` only: nothing to install on managed nodes.
It never calls ``fail_json``: failures are raised as typed :class:`ApiError` subclasses so that
modules, lookups and action plugins can all share it and turn them into one clear message.
"""

from __future__ import annotations

import json
import socket
import time
from http.client import HTTPException
from ssl import SSLError
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode, urljoin, urlsplit, urlunsplit

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url

from ansible_collections.tickstack.influx.plugins.module_utils.errors import TickstackError

# How much of an unusable body an error quotes: enough to recognise a proxy's HTML page, never a dump.
EXCERPT_CHARS = 120
# Pagination stops here with an error instead of fetching forever from a server that ignores offset.
MAX_PAGES = 100
# Same-origin redirects followed for one request before it fails (a loop would otherwise never end).
MAX_REDIRECTS = 5


class ApiError(TickstackError):
    """A request failed. ``status`` is the HTTP status, or None when no response arrived.

    ``hint`` (default: the class's ``default_hint``) says what to check; a client for another service
    sets its own hints, and ``service`` names the server in "cannot reach ..." messages.
    """

    status = None
    default_hint = ""

    def __init__(self, message, status=None, method=None, url=None, body=None):
        super(ApiError, self).__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.method = method
        self.url = url
        self.body = body
        self.hint = self.default_hint
        self.service = None

    def __str__(self):
        where = "%s %s" % (self.method, self.url) if self.method and self.url else ""
        status = "HTTP %s" % self.status if self.status else ""
        prefix = ": ".join(p for p in (where, status) if p)
        text = "%s: %s" % (prefix, self.message) if prefix else self.message
        if self.hint:
            text = "%s (%s)" % (text, self.hint)
        return text

    def details(self):
        """The ``fail_json`` fields of the call behind the error."""
        found = {"status": self.status, "method": self.method, "url": self.url}
        return dict((k, v) for k, v in found.items() if v)


class ServerUnreachable(ApiError):
    default_hint = "check the url option and that the service is running and reachable"

    def __str__(self):
        if not self.service:
            return super(ServerUnreachable, self).__str__()
        text = "cannot reach %s at %s: %s" % (self.service, self.url or "the url", self.message)
        return "%s (%s)" % (text, self.hint) if self.hint else text


class AuthenticationFailed(ApiError):
    status = 401
    default_hint = "the token or credentials were rejected; check the token option"


class PermissionDenied(ApiError):
    status = 403
    default_hint = "the credentials are valid but lack permission for this operation"


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class InvalidRequest(ApiError):
    """400 or 422: the server rejected what was sent. ``message`` carries the server's reason."""


class RateLimited(ApiError):
    status = 429


class ServerError(ApiError):
    """5xx."""


class RedirectRefused(ApiError):
    """A 3xx the client will not follow: to another origin (scheme, host or port), which would receive
    the token or password, or one that would change the method (a POST turned into a GET)."""

    default_hint = ("set the url option to the address the server redirects to; a redirect to another origin "
                    "is a misconfigured proxy or an attack, and credentials are never sent along")


class WrongServer(ApiError):
    """The reply came from another server than the service (InfluxDB where Kapacitor was meant, a proxy's
    page): never taken for "not found", whatever its status."""


class UnexpectedResponse(ApiError):
    """A success status whose body is not what the API sends: not JSON, truncated, or the wrong shape
    (an HTML page from a proxy, a list where an object belongs). ``message`` quotes a short excerpt."""

    default_hint = "is a proxy or another service answering at this url?"


def excerpt(text, limit=EXCERPT_CHARS):
    """The start of a body on one line, for messages."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[:limit] + "..."


_STATUS_ERRORS = {
    400: InvalidRequest,
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: InvalidRequest,
    429: RateLimited,
}

RETRY_STATUSES = frozenset((429, 500, 502, 503, 504))
REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))
_DEFAULT_PORTS = {"http": 80, "https": 443}
IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "PUT", "DELETE", "OPTIONS"))


class Response(object):
    """One HTTP reply. ``method`` and ``url`` are set by :meth:`HttpClient.request` for its errors."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = dict((k.lower(), v) for k, v in (headers or {}).items())
        self.body = body if body is not None else b""
        self.method = None
        self.url = None

    @property
    def text(self):
        if isinstance(self.body, bytes):
            return self.body.decode("utf-8", "replace")
        return self.body

    def json(self):
        """The decoded body (None when empty); a body that is not JSON is an :class:`UnexpectedResponse`."""
        text = self.text
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise self.unexpected("the reply is not JSON") from None

    def check_json(self):
        """Raise unless the body is empty, JSON, or JSON lines (a chunked 1.x query): the APIs answer
        nothing else, so an HTML page or a cut-off body means the call never reached the service (or
        its answer was lost), even when the status says success."""
        try:
            self.json()
        except UnexpectedResponse:
            lines = [line for line in self.text.splitlines() if line.strip()]
            try:
                if len(lines) < 2 or not all(isinstance(json.loads(line), dict) for line in lines):
                    raise ValueError
            except ValueError:
                raise self.unexpected("the reply is not JSON") from None
        return self

    def json_object(self, *required):
        """The body as a JSON object (``{}`` when empty) holding every key in ``required``."""
        data = self.json()
        if data is None and not required:
            return {}
        if not isinstance(data, dict):
            raise self.unexpected("expected a JSON object, got %s" % _kind(data))
        missing = [key for key in required if data.get(key) in (None, "")]
        if missing:
            raise self.unexpected("the reply has no %s" % ", ".join(missing))
        return data

    def items(self, key, *required):
        """The list of objects under ``key`` (``[]`` when missing), each holding the ``required`` keys."""
        found = self.json_object().get(key)
        if found is None:
            return []
        if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
            raise self.unexpected("expected %r to be a list of objects, got %s" % (key, _kind(found)))
        for item in found:
            if any(item.get(k) in (None, "") for k in required):
                raise self.unexpected("an item of %r has no %s" % (key, ", ".join(required)))
        return found

    def unexpected(self, why):
        return UnexpectedResponse("%s: %r" % (why, excerpt(self.text)), status=self.status, method=self.method,
                                  url=self.url, body=self.text)


def _kind(value):
    if value is None:
        return "an empty body"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(type(value), "a number")


def urls_transport(method, url, headers, data, options):
    """Send one request with ``ansible.module_utils.urls.open_url``; return a :class:`Response`.

    HTTP error statuses are returned as responses, not raised: the client maps them.
    Network failures raise :class:`ServerUnreachable`. Redirects are never followed here: ``open_url``
    would resend the ``Authorization`` header (token or basic auth) to whatever host the ``Location``
    names, so a 3xx comes back as a response and :meth:`HttpClient.request` applies the redirect policy.
    """
    try:
        resp = open_url(
            url,
            method=method,
            data=data,
            headers=headers,
            validate_certs=options.get("validate_certs", True),
            ca_path=options.get("ca_path"),
            client_cert=options.get("client_cert"),
            client_key=options.get("client_key"),
            timeout=options.get("timeout", 10),
            url_username=options.get("url_username"),
            url_password=options.get("url_password"),
            force_basic_auth=bool(options.get("url_username")),
            follow_redirects="none",
            use_proxy=options.get("use_proxy", True),
        )
        return Response(resp.getcode(), dict(resp.headers.items()), resp.read())
    except HTTPException as e:  # a reply cut off mid-body (IncompleteRead) or not HTTP at all
        raise ServerUnreachable("broken reply: %s" % (type(e).__name__ if not str(e) else e),
                                method=method, url=url) from e
    except HTTPError as e:
        try:
            body = e.read()
        except Exception:  # the body of an error response is best effort
            body = b""
        headers = dict(e.headers.items()) if e.headers else {}
        return Response(e.code, headers, body)
    except (URLError, UrlsConnectionError, SSLError, socket.error, socket.timeout) as e:
        reason = getattr(e, "reason", None) or e
        raise ServerUnreachable("cannot connect: %s" % reason, method=method, url=url) from e


def origin(url):
    """``(scheme, host, port)`` of ``url``, the default port filled in; None when the URL has no usable
    origin (no host, or a port that is not a number)."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    if not parts.hostname or scheme not in _DEFAULT_PORTS:
        return None
    return scheme, parts.hostname.lower(), port


def redact_url(url):
    """``url`` without its userinfo (``user:password@``), for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable url>"
    if "@" not in parts.netloc:
        return url
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, parts.query, parts.fragment))


def redirect_target(method, url, resp):
    """The URL a 3xx reply to ``method url`` may be followed to, or raise :class:`RedirectRefused`.

    The policy: follow only within the origin (same scheme, host and port), where the credentials were
    meant to go; a redirect anywhere else is refused before any byte is sent there, because following
    it would hand the ``Authorization`` header (or the URL's userinfo) to another server. A 301, 302 or
    303 answering anything but GET or HEAD is refused too: clients turn it into a GET, which would
    silently drop the change that was asked for.
    """
    location = resp.headers.get("location")
    if not location:
        raise RedirectRefused("HTTP %d redirect without a Location header" % resp.status,
                              status=resp.status, method=method, url=redact_url(url))
    target = urljoin(url, location.strip())
    shown = (redact_url(url), redact_url(target))
    here, there = origin(url), origin(target)
    if there is None or there != here:
        raise RedirectRefused("refused to follow the redirect from %s to %s: another origin (scheme, host or "
                              "port), which would receive the credentials" % shown,
                              status=resp.status, method=method, url=shown[0])
    if resp.status in (301, 302, 303) and method not in ("GET", "HEAD"):
        raise RedirectRefused("refused to follow the HTTP %d redirect from %s to %s: it would turn the %s into "
                              "a GET" % ((resp.status,) + shown + (method,)),
                              status=resp.status, method=method, url=shown[0])
    return target


def _server_message(body_text):
    """Pull the human message out of an error body (InfluxDB: {"code","message"}; Kapacitor: {"error"})."""
    if not body_text:
        return ""
    try:
        data = json.loads(body_text)
    except ValueError:  # an HTML error page from a proxy, or plain text: its start is enough
        return excerpt(body_text, 2 * EXCERPT_CHARS)
    if isinstance(data, dict):
        for key in ("message", "error", "err"):
            if data.get(key):
                return str(data[key])
    return excerpt(body_text, 2 * EXCERPT_CHARS)


class HttpClient(object):
    """JSON over HTTP with auth headers, TLS options, retries and typed errors.

    ``transport`` is a callable ``(method, url, headers, data, options) -> Response``; tests pass a fake.
    ``sleep`` is injectable so retry tests do not wait. ``service`` names the server in "cannot reach"
    messages and ``hints`` (error class -> text) replaces the default hints for another service.
    ``identify``, when set, is called with every reply that is final (not about to be retried) before
    its status is looked at; it raises an :class:`ApiError` when the reply is not from the service
    (see ``KapacitorClient``: the first reply must carry ``X-Kapacitor-Version``).
    """

    def __init__(self, base_url, headers=None, validate_certs=True, ca_path=None, client_cert=None,
                 client_key=None, timeout=10, url_username=None, url_password=None, retries=3,
                 backoff=0.5, transport=None, sleep=time.sleep, service=None, hints=None):
        if not base_url or "://" not in base_url:
            raise InvalidRequest("url must be an absolute http:// or https:// URL, got %r" % (base_url,))
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.options = {
            "validate_certs": validate_certs,
            "ca_path": ca_path,
            "client_cert": client_cert,
            "client_key": client_key,
            "timeout": timeout,
            "url_username": url_username,
            "url_password": url_password,
        }
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.transport = transport or urls_transport
        self.sleep = sleep
        self.service = service
        self.hints = dict(hints or {})
        self.identify = None

    def url_for(self, path, query=None):
        """``path`` under the base URL; a list value repeats its key (``fields=a&fields=b``)."""
        url = self.base_url + path
        if query:
            pairs = []
            for key, value in query.items():
                for item in value if isinstance(value, (list, tuple)) else [value]:
                    if item is None:
                        continue
                    if isinstance(item, bool):
                        item = "true" if item else "false"
                    pairs.append((key, item))
            if pairs:
                url += "?" + urlencode(pairs)
        return url

    def request(self, method, path, query=None, json_body=None, data=None, content_type=None,
                expect=None, idempotent=None):
        """Send a request; return the :class:`Response` or raise an :class:`ApiError`.

        ``expect``: statuses that count as success (default: any 2xx).
        ``idempotent``: retry on connection errors, 429 and 5xx. Defaults to True for GET, PUT,
        DELETE; pass True for a POST that is safe to repeat (a query). A DELETE answered 404 after a
        retry is done: the attempt that seemed to fail had deleted it.
        """
        method = method.upper()
        url = self.url_for(path, query)
        try:
            return self._send(method, url, json_body, data, content_type, expect, idempotent)
        except ApiError as e:
            e.service = self.service
            if type(e) in self.hints:
                e.hint = self.hints[type(e)]
            raise

    def _send(self, method, url, json_body, data, content_type, expect, idempotent):
        headers = dict(self.headers)
        headers.setdefault("Accept", "application/json")
        if json_body is not None:
            data = json.dumps(json_body, sort_keys=True)
            headers["Content-Type"] = "application/json"
        elif content_type:
            headers["Content-Type"] = content_type
        if isinstance(data, str):
            data = data.encode("utf-8")
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        attempts = 1 + (self.retries if idempotent else 0)

        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                resp = self._exchange(method, url, headers, data, expect)
            except ServerUnreachable:
                if last:
                    raise
                self._pause(attempt, None)
                continue
            if resp.status in RETRY_STATUSES and not last:
                self._pause(attempt, resp)
                continue
            if self.identify is not None and resp.status not in RETRY_STATUSES:
                self.identify(resp)
            if (expect is not None and resp.status in expect) or (expect is None and 200 <= resp.status < 300):
                return resp.check_json()
            if method == "DELETE" and resp.status == 404 and attempt > 0:
                return resp
            raise self._error(method, url, resp)
        raise ServerUnreachable("no response after %d attempts" % attempts, method=method, url=url)  # pragma: no cover

    def _exchange(self, method, url, headers, data, expect):
        """One request and the same-origin redirects it gets (see :func:`redirect_target`)."""
        for _hop in range(MAX_REDIRECTS + 1):
            resp = self.transport(method, url, headers, data, self.options)
            resp.method, resp.url = method, url
            if resp.status not in REDIRECT_STATUSES or (expect is not None and resp.status in expect):
                return resp
            url = redirect_target(method, url, resp)
        raise RedirectRefused("more than %d redirects" % MAX_REDIRECTS, status=resp.status, method=method,
                              url=redact_url(url))

    def _pause(self, attempt, resp):
        delay = self.backoff * (2 ** attempt)
        if resp is not None:
            retry_after = resp.headers.get("retry-after")
            if retry_after and retry_after.isdigit():
                delay = min(float(retry_after), 30.0)
        self.sleep(delay)

    @staticmethod
    def _error(method, url, resp):
        message = _server_message(resp.text) or "no message from the server"
        if resp.status in _STATUS_ERRORS:
            cls = _STATUS_ERRORS[resp.status]
        elif resp.status >= 500:
            cls = ServerError
        else:
            cls = ApiError
        return cls(message, status=resp.status, method=method, url=url, body=resp.text)

    # Convenience wrappers: the reply as a JSON object ({} for an empty body) holding ``required`` keys.
    def get(self, path, query=None, required=(), **kwargs):
        return self.request("GET", path, query=query, **kwargs).json_object(*required)

    def post(self, path, body=None, query=None, required=(), **kwargs):
        return self.request("POST", path, query=query, json_body=body, **kwargs).json_object(*required)

    def patch(self, path, body=None, query=None, required=(), **kwargs):
        return self.request("PATCH", path, query=query, json_body=body, **kwargs).json_object(*required)

    def delete(self, path, query=None, verify=False, **kwargs):
        """DELETE ``path``. With ``verify``, when the answer leaves it unclear whether the server acted
        (lost, spoiled, 5xx or 429 after the retries), a GET of the same path decides: 404 means gone."""
        try:
            self.request("DELETE", path, query=query, **kwargs)
        except (UnexpectedResponse, ServerUnreachable, ServerError, RateLimited):
            if not verify:
                raise
            try:
                self.request("GET", path, query=query)
            except NotFound:
                return
            except ApiError:
                pass
            raise

    def items(self, path, key, query=None, required=("id",)):
        """GET a list: the objects under ``key``, each holding the ``required`` keys."""
        return self.request("GET", path, query=query).items(key, *required)

    def get_or_none(self, path, query=None, required=("id",)):
        """GET one object; None for 404 instead of raising."""
        try:
            return self.get(path, query=query, required=required)
        except NotFound:
            return None

    def paginate(self, path, key, query=None, limit=100, offset_param="offset", limit_param="limit",
                 required=()):
        """Yield every item of an offset-paginated list (InfluxDB lists default to 20 a page).

        Stops with an :class:`UnexpectedResponse` after :data:`MAX_PAGES` pages or when a page repeats
        the one before (a server that ignores the offset would otherwise be read forever).
        """
        offset, previous = 0, None
        for _page in range(MAX_PAGES):
            page_query = dict(query or {})
            page_query[offset_param] = offset
            page_query[limit_param] = limit
            resp = self.request("GET", path, query=page_query)
            items = resp.items(key, *required) if required else _plain_items(resp, key)
            if items and items == previous:
                raise resp.unexpected("page at offset %d repeats the page before it (the server ignores %s)"
                                      % (offset, offset_param))
            yield from items
            if len(items) < limit:
                return
            offset += len(items)
            previous = items
        raise UnexpectedResponse("more than %d pages of %d; stopped reading (the server ignores %s?)"
                                 % (MAX_PAGES, limit, offset_param), method="GET", url=self.url_for(path, query))


def _plain_items(resp, key):
    found = resp.json_object().get(key)
    if found is None:
        return []
    if not isinstance(found, list):
        raise resp.unexpected("expected %r to be a list, got %s" % (key, _kind(found)))
    return found


def tls_argument_spec(**options):
    """The TLS and timeout options of every module (both connection doc fragments document them)."""
    spec = dict(
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        client_cert=dict(type="path"),
        client_key=dict(type="path", no_log=False),
        timeout=dict(type="int", default=10),
    )
    spec.update(options)
    return spec


def tls_options(params):
    """:class:`HttpClient` keyword arguments from the :func:`tls_argument_spec` parameters."""
    return dict(validate_certs=params.get("validate_certs", True), ca_path=params.get("ca_path"),
                client_cert=params.get("client_cert"), client_key=params.get("client_key"),
                timeout=params.get("timeout") or 10)


def path_quote(value):
    """Quote one path segment (IDs and names from user input must not change the path)."""
    return quote(str(value), safe="")
