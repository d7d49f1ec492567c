"""``fake-cinder shadow``: the consumer's Cinder answers, the fake is compared off its path.

Every request goes to the upstream Cinder and its answer goes back to the consumer as it
came (status, headers, body). The request is then queued for one replayer thread, which
sends it to an in-process fake with the caller's identity (validated once per token against
the upstream Keystone) and compares the two answers (``compare.judge``).

The fake keeps in step with the cloud: what is created through the proxy takes the cloud's
id in the fake's state; a resource the fake has never seen is taken from the cloud's answer
(``adopt``); anything still unknown is reported "not compared: unknown resource".
"""

from __future__ import annotations

import http.client
import json
import queue
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import WSGIRequestHandler
from werkzeug.test import Client

from conformance.normalise import UUID, Normaliser

from ..fake import FakeCinder
from . import adopt, redact
from .cassette import CassetteWriter
from .compare import Answer, judge, not_compared
from .report import Report

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Admin-only actions that destroy or force state: each must be allowed by name.
DESTRUCTIVE_ACTIONS = {"os-force_delete", "os-reset_status", "os-force_detach",
                       "os-migrate_volume", "os-migrate_volume_completion", "os-unmanage",
                       "os-retype", "os-update_snapshot_status"}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authenticate", "proxy-authorization"}
FAKE_BASE = "http://shadow-fake.invalid"
NOAUTH_TOKEN = re.compile(r"^[^:\s]+:[^:\s]+$")  # Cinder's noauth "user:project"
PROJECT_IN_PATH = re.compile(r"^/v3/([^/]+)/")
# First segments after /v3/ that are Cinder's collections, not a project id (Cinder serves
# its URLs with or without the project id).
COLLECTIONS = {"volumes", "attachments", "types", "snapshots", "backups", "messages",
               "volume-transfers", "os-volume-transfer", "groups", "group_types",
               "group_snapshots", "qos-specs", "os-quota-sets", "os-quota-class-sets",
               "os-services", "limits", "extensions", "workers", "scheduler-stats", "os-hosts",
               "manageable_volumes", "manageable_snapshots", "os-availability-zone",
               "capabilities", "clusters", "default-types", "consistencygroups",
               "cgsnapshots", "os-backup-services", "resource_filters"}


@dataclass(frozen=True)
class Identity:
    """The caller Keystone says a token is; handed to the fake as keystonemiddleware would."""

    user_id: str
    project_id: str
    roles: tuple[str, ...]

    def headers(self) -> dict[str, str]:
        return {"X-User-Id": self.user_id, "X-Project-Id": self.project_id,
                "X-Roles": ",".join(self.roles)}

    def as_dict(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "project_id": self.project_id,
                "roles": list(self.roles)}


def request_answer(base_url: str, method: str, path: str, headers: dict[str, str],
                   body: bytes | None, timeout: float = 120) -> tuple[int, list[tuple[str, str]],
                                                                      bytes]:
    """One HTTP request; the answer's status, headers (in order) and raw body."""
    url = urllib.parse.urlsplit(base_url)
    connection_class = (http.client.HTTPSConnection if url.scheme == "https"
                        else http.client.HTTPConnection)
    connection = connection_class(url.netloc, timeout=timeout)
    try:
        connection.request(method, url.path.rstrip("/") + path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


class Keystone:
    """Validates each token once (``GET /v3/auth/tokens``, the token as its own subject)."""

    def __init__(self, url: str | None) -> None:
        self.url = url.rstrip("/") if url else None
        self._known: dict[str, Identity | None] = {}
        self._lock = threading.Lock()

    def identity(self, token: str) -> Identity | None:
        with self._lock:
            if token in self._known:
                return self._known[token]
        found = self._validate(token)
        with self._lock:
            self._known[token] = found
        return found

    def _validate(self, token: str) -> Identity | None:
        if self.url is None:
            return None
        path = "/auth/tokens" if self.url.endswith("/v3") else "/v3/auth/tokens"
        status, _headers, payload = request_answer(
            self.url, "GET", path, {"X-Auth-Token": token, "X-Subject-Token": token,
                                    "Accept": "application/json"}, None)
        if status != 200:
            return None
        document = json.loads(payload).get("token", {})
        return Identity(document.get("user", {}).get("id", ""),
                        (document.get("project") or {}).get("id", ""),
                        tuple(role["name"] for role in document.get("roles", [])))


@dataclass
class WritePolicy:
    """What the proxy lets through to the cloud: reads always; writes only when allowed,
    to the listed projects, and destructive admin actions one by one."""

    allow_writes: bool = False
    projects: frozenset[str] = frozenset()  # empty: any project
    allowed_actions: frozenset[str] = frozenset()

    def refusal(self, method: str, path: str, body: bytes,
                identity: Identity | None) -> str | None:
        if method not in WRITE_METHODS:
            return None
        if not self.allow_writes:
            return (f"fake-cinder shadow is read-only: {method} {path} was not sent to the "
                    "cloud. Start the shadow with --allow-writes to let writes through.")
        in_path = project_of(path)
        projects = {in_path} if in_path else set()
        if identity is not None:
            projects.add(identity.project_id)
        if self.projects and not projects <= self.projects:
            return (f"fake-cinder shadow: writes are allowed only to projects "
                    f"{', '.join(sorted(self.projects))}; {method} {path} was not sent.")
        action = _action(path, body)
        if action in DESTRUCTIVE_ACTIONS and action not in self.allowed_actions:
            return (f"fake-cinder shadow: {action} is a destructive admin action; allow it "
                    f"with --allow-action {action}. It was not sent to the cloud.")
        return None


def _action(path: str, body: bytes) -> str | None:
    if not path.rstrip("/").endswith("/action"):
        return None
    try:
        document = json.loads(body or b"null")
    except ValueError:
        return None
    return next(iter(document)) if isinstance(document, dict) and len(document) == 1 else None


@dataclass
class LedgerEntry:
    """Something created through the proxy: where to delete it and with whose token."""

    path: str
    version: str | None
    token: str | None = field(repr=False)
    upstream: str | None = None  # the listener it was made through (None: the main one)
    deleted: bool = False


class Ledger:
    """Everything created through the proxy, in order; deleted in reverse by ``cleanup``."""

    def __init__(self) -> None:
        self.entries: list[LedgerEntry] = []
        self._lock = threading.Lock()

    def note(self, method: str, path: str, headers: dict[str, str], status: int,
             payload: bytes, upstream: str | None = None) -> None:
        if status >= 300:
            return
        route = path.split("?", 1)[0].rstrip("/")
        with self._lock:
            if method == "DELETE":
                for entry in self.entries:
                    if entry.path == route:
                        entry.deleted = True
                return
        if method != "POST" or route.endswith("/action"):
            return
        created = created_id(payload)
        if created is None:
            return
        with self._lock:
            self.entries.append(LedgerEntry(f"{route}/{created}",
                                            headers.get("OpenStack-API-Version"),
                                            headers.get("X-Auth-Token"), upstream))

    def lines(self) -> list[str]:
        with self._lock:
            return [f"{'deleted' if e.deleted else 'exists '} DELETE {e.path}"
                    for e in self.entries]

    def cleanup(self, upstream: str) -> list[str]:
        """DELETE what still exists, newest first; one line per request."""
        done = []
        for entry in reversed(self.entries):
            if entry.deleted:
                continue
            headers = {"Accept": "application/json"}
            if entry.token:
                headers["X-Auth-Token"] = entry.token
            if entry.version:
                headers["OpenStack-API-Version"] = entry.version
            status, _, _ = request_answer(entry.upstream or upstream, "DELETE", entry.path,
                                          headers, None)
            entry.deleted = status < 300 or status == 404
            done.append(f"DELETE {entry.path}: {status}")
        return done


def created_id(payload: bytes) -> str | None:
    """The id of what a create made: ``{"volume": {"id": ...}}`` and the like."""
    try:
        document = json.loads(payload or b"null")
    except ValueError:
        return None
    if isinstance(document, dict) and len(document) == 1:
        (inner,) = document.values()
        if isinstance(inner, dict) and isinstance(inner.get("id"), str):
            return inner["id"]
    return None


@dataclass
class Exchange:
    """One request the consumer made and the upstream's answer, queued for the fake."""

    method: str
    path: str  # with the query string
    headers: dict[str, str]
    body: bytes
    identity: Identity | None
    upstream: Answer
    service_roles: tuple[str, ...] = ()  # of a valid X-Service-Token (Nova's)
    upstream_url: str | None = None  # the listener that answered (None: the main one)


class Replayer:
    """The fake's side: replays exchanges in order on one thread and compares."""

    def __init__(self, fake: FakeCinder, report: Report, upstream_url: str) -> None:
        self.fake = fake
        self.report = report
        self.client = Client(fake.app)
        self.upstream_norm = Normaliser(upstream_url)
        self.fake_norm = Normaliser(FAKE_BASE)
        # Another listener's answers (noauth) link to its own URL; the same ids.
        self._listener_norms: dict[str, Normaliser] = {}
        self._queue: queue.Queue[Exchange | None] = queue.Queue()
        self._operation: str | None = None
        # Every id the fake has shown or taken: one it has since deleted (Cinder is still
        # deleting it) is not "unknown".
        self._seen: set[str] = set()
        self._attachments_taken: set[str] = set()  # without their mountpoint yet
        fake.response_hooks.append(self._note_operation)
        self._thread = threading.Thread(target=self._run, name="shadow-replayer", daemon=True)
        self._thread.start()

    def _note_operation(self, _request: Any, _response: Any, record: Any) -> None:
        self._operation = record.operation

    def submit(self, exchange: Exchange) -> None:
        self._queue.put(exchange)

    def drain(self) -> None:
        """Wait until every queued exchange is compared."""
        self._queue.join()

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(30)

    def _run(self) -> None:
        while True:
            exchange = self._queue.get()
            try:
                if exchange is None:
                    return
                self.report.add(self.replay(exchange))
            except Exception as exc:  # a bug of the shadow's own: reported, never lost
                assert exchange is not None
                self.report.add(not_compared("-", describe(exchange),
                                             f"shadow error: {type(exc).__name__}: {exc}"))
            finally:
                self._queue.task_done()

    def replay(self, exchange: Exchange) -> Any:
        request = describe(exchange)
        unknown = self._take_unknown(exchange)
        if unknown:
            return not_compared(_operation_guess(exchange), request,
                                "unknown resource " + "; ".join(unknown))
        headers = {name: value for name, value in exchange.headers.items()
                   if name.lower() not in redact.SECRET_HEADERS | {"host"}
                   and not name.lower().startswith("x-")}
        if exchange.identity is not None:
            headers.update(exchange.identity.headers())
            if exchange.service_roles:
                headers["X-Service-Roles"] = ",".join(exchange.service_roles)
        else:
            headers.update({name: value for name, value in exchange.headers.items()
                            if name.lower().startswith("x-")})
        self._operation = None
        response = self.client.open(exchange.path, method=exchange.method, headers=headers,
                                    data=exchange.body or None, base_url=FAKE_BASE)
        fake = Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()},
                      response.get_data())
        operation = self._operation or _operation_guess(exchange)
        self._keep_in_step(exchange, fake)
        self._seen.update(UUID.findall(fake.body.decode("utf-8", "replace")))
        return judge(operation, request, exchange.upstream, fake,
                     self._upstream_normaliser(exchange.upstream_url), self.fake_norm)

    def _upstream_normaliser(self, url: str | None) -> Normaliser:
        if url is None:
            return self.upstream_norm
        if url not in self._listener_norms:
            normaliser = Normaliser(url)
            normaliser.labels = self.upstream_norm.labels  # one set of adopted ids
            self._listener_norms[url] = normaliser
        return self._listener_norms[url]

    def _take_unknown(self, exchange: Exchange) -> list[str]:
        """Take what the cloud's answer shows and the fake has never seen into the fake
        (``adopt``); what the request names or the answer lists and is still unknown, each
        with why (empty: the request can be replayed)."""
        route = exchange.path.split("?", 1)[0]
        named = set(UUID.findall(route))
        known = json.dumps(self.fake.dump())
        unknown: dict[str, str] = {}
        if exchange.upstream.status < 300:
            project = (exchange.identity.project_id if exchange.identity else None) or \
                project_of(exchange.path)
            for kind, document in adopt.described(exchange.upstream.reply().body):
                object_id = document["id"]
                if kind == "volume":
                    for taken in adopt.sync_attachment_ids(self.fake, document):
                        self._same_id(taken)
                    adopt.fill_mountpoints(self.fake, document, self._attachments_taken)
                    known = json.dumps(self.fake.dump())
                # A write's answer shows what it made or changed: only the resource it
                # names is taken (the fake makes its own, then takes the cloud's id).
                if (exchange.method != "GET" and object_id not in named) or \
                        object_id in known or object_id in self._seen:
                    continue
                try:
                    adopt.adopt(self.fake, kind, document, project,
                                _accepted_key(exchange) if object_id in named else None)
                except adopt.Unadoptable as exc:
                    unknown[object_id] = f"{object_id} ({kind}): {exc}"
                    continue
                self._same_id(object_id)
                if kind == "attachment":
                    self._attachments_taken.add(object_id)
                known = json.dumps(self.fake.dump())
        if exchange.upstream.status == 404:
            return []  # the cloud does not know it either: both answers are compared
        for object_id in sorted(named | body_references(exchange.body)):
            if object_id not in known and object_id not in self._seen:
                unknown.setdefault(object_id, f"{object_id}: the fake has never seen it and "
                                              "the cloud's answer does not describe it")
        return [unknown[object_id] for object_id in sorted(unknown)]

    def _keep_in_step(self, exchange: Exchange, fake: Answer) -> None:
        """What the cloud created takes the cloud's id in the fake's state."""
        if exchange.method != "POST" or exchange.upstream.status >= 300 or fake.status >= 300:
            return
        cloud_id, fake_id = created_id(exchange.upstream.body), created_id(fake.body)
        if cloud_id is None or fake_id is None:
            return
        if cloud_id != fake_id:
            adopt.take_cloud_id(self.fake, fake_id, cloud_id)
            fake.body = fake.body.replace(fake_id.encode(), cloud_id.encode())
        self._same_id(cloud_id)

    def _same_id(self, object_id: str) -> None:
        # Both sides now use this id: compared as itself, not as a shape.
        self._seen.add(object_id)
        self.upstream_norm.labels[object_id] = object_id
        self.fake_norm.labels[object_id] = object_id


# Body keys that name an existing Cinder resource (not instances, hosts or images).
REFERENCE_KEYS = {"volume_id", "volume_uuid", "snapshot_id", "source_volid", "group_id",
                  "group_type", "source_group_id", "group_snapshot_id", "new_volume",
                  "attachment_id", "backup_id", "transfer_id", "volume_type",
                  "consistencygroup_id"}


def body_references(body: bytes) -> set[str]:
    """The ids of Cinder resources a request body names."""
    try:
        document = json.loads(body or b"null")
    except ValueError:
        return set()
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in REFERENCE_KEYS and isinstance(item, str) and UUID.fullmatch(item):
                    found.add(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
    walk(document)
    return found


def _accepted_key(exchange: Exchange) -> str | None:
    """The auth key of a transfer accept (``{"accept": {"auth_key": ...}}``)."""
    if exchange.method != "POST" or not exchange.path.split("?", 1)[0].endswith("/accept"):
        return None
    try:
        document = json.loads(exchange.body or b"null")
    except ValueError:
        return None
    accept = document.get("accept") if isinstance(document, dict) else None
    key = accept.get("auth_key") if isinstance(accept, dict) else None
    return key if isinstance(key, str) else None


def project_of(path: str) -> str | None:
    """The project id a /v3 URL names, if it names one (Cinder's URLs may leave it out)."""
    found = PROJECT_IN_PATH.match(path)
    return found.group(1) if found and found.group(1) not in COLLECTIONS else None


def describe(exchange: Exchange) -> str:
    """The request as the report names it: project and ids as placeholders."""
    route = exchange.path.split("?", 1)[0]
    project = project_of(route)
    if project:
        route = route.replace(f"/v3/{project}/", "/v3/{project}/", 1)
    route = UUID.sub("<id>", route)
    action = _action(route, exchange.body)
    if action:
        route += f" {action}"
    version = exchange.headers.get("OpenStack-API-Version", "-").rsplit(" ", 1)[-1]
    roles = exchange.identity.roles if exchange.identity else ()
    caller = "admin" if "admin" in roles else "member"
    return f"{exchange.method} {route} as {caller} at {version}"


def _operation_guess(exchange: Exchange) -> str:
    route = UUID.sub("<id>", exchange.path.split("?", 1)[0])
    return f"{exchange.method} {route}"


class ShadowProxy:
    """The WSGI application the consumer talks to."""

    def __init__(self, upstream: str, keystone: str | None, *, fake: FakeCinder | None,
                 policy: WritePolicy | None = None, report: Report | None = None,
                 cassette: CassetteWriter | None = None,
                 noauth_upstream: str | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        # A Cinder listener with the noauth pipeline, for callers whose token is Cinder's
        # noauth ``user:project`` (Nova's endpoint_template without Keystone): one fake
        # sees both paths, as the cloud does.
        self.noauth_upstream = noauth_upstream.rstrip("/") if noauth_upstream else None
        self.keystone = Keystone(keystone)
        self.policy = policy or WritePolicy()
        self.report = report or Report()
        self.ledger = Ledger()
        self.cassette = cassette
        self.replayer = (Replayer(fake, self.report, self.upstream)
                         if fake is not None else None)
        self._secrets: set[str] = set()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = urllib.parse.quote(environ.get("PATH_INFO", ""), safe="/:@!$&'()*+,;=-._~")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        if path.split("?", 1)[0] == "/_shadow/report" and method == "GET":
            return _json(start_response, 200, self.report.summary())
        headers = _request_headers(environ)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        token = headers.get("X-Auth-Token")
        identity = self.keystone.identity(token) if token else None
        if token:
            self._secrets.add(token)
        forwarded = {name: value for name, value in headers.items()
                     if name.lower() not in HOP_BY_HOP and name.lower() != "host"}
        upstream_url = self.upstream
        if (identity is None and token and self.noauth_upstream
                and NOAUTH_TOKEN.match(token)):
            upstream_url = self.noauth_upstream
            # Who Cinder's noauth pipeline makes of it: that user and project, an admin.
            user, _, project = token.partition(":")
            identity = Identity(user, project, ("admin",))
        refusal = self.policy.refusal(method, path, body, identity)
        if refusal is not None:
            return _json(start_response, 403, {"forbidden": {"code": 403,
                                                              "message": refusal}})
        status, answer_headers, payload = request_answer(upstream_url, method, path,
                                                         forwarded, body or None)
        self.ledger.note(method, path, headers, status, payload, upstream_url)
        upstream = Answer(status, {k.lower(): v for k, v in answer_headers}, payload)
        service_token = headers.get("X-Service-Token")
        service = self.keystone.identity(service_token) if service_token else None
        if service_token:
            self._secrets.add(service_token)
        exchange = Exchange(method, path, headers, body, identity, upstream,
                            service.roles if service else (),
                            upstream_url if upstream_url != self.upstream else None)
        if self.cassette is not None:
            self.cassette.write(exchange, tuple(self._secrets))
        if self.replayer is not None:
            self.replayer.submit(exchange)
        start_response(f"{status} {http.client.responses.get(status, '')}".rstrip(),
                       [(k, v) for k, v in answer_headers if k.lower() not in HOP_BY_HOP])
        return [payload]

    def finish(self) -> None:
        if self.replayer is not None:
            self.replayer.drain()
            self.replayer.stop()
        self.report.close()
        if self.cassette is not None:
            self.cassette.close()


def _request_headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").title()] = value
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").title()] = environ[key]
    # OpenStack's header is spelt as clients send it (names are case-insensitive).
    if "Openstack-Api-Version" in headers:
        headers["OpenStack-API-Version"] = headers.pop("Openstack-Api-Version")
    return headers


def _json(start_response: Callable[..., Any], status: int, document: Any) -> list[bytes]:
    payload = json.dumps(document).encode()
    start_response(f"{status} {http.client.responses[status]}",
                   [("Content-Type", "application/json"),
                    ("Content-Length", str(len(payload)))])
    return [payload]


class VerbatimHandler(WSGIRequestHandler):
    """The proxy's request handler: the upstream's Server and Date headers go back as they
    came (the base handler would add its own before them), and no log line per request."""

    def send_response(self, code: int, message: str | None = None) -> None:
        self.send_response_only(code, message)

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def upstream_max_version(upstream: str) -> str | None:
    """The upstream's highest volume microversion (its version document at ``GET /``)."""
    base = urllib.parse.urlsplit(upstream)
    root = f"{base.scheme}://{base.netloc}"
    try:
        _status, _headers, payload = request_answer(root, "GET", "/",
                                                    {"Accept": "application/json"}, None)
        versions = json.loads(payload).get("versions", [])
    except (OSError, ValueError, AttributeError):
        return None
    found = [v.get("version") for v in versions if v.get("id") == "v3.0" and v.get("version")]
    return found[0] if found else None
