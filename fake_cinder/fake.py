"""FakeCinder: one fake Cinder with its own state, schemas, app, faults and journal."""

from __future__ import annotations

import contextlib
import copy
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from .api import control
from .api import microversions as mv
from .api.app import ROUTER, FakeWsgi, create_app
from .api.fault_bodies import rewrite_as_fault
from .api.routing import MAX_REQUEST_BODY_SIZE, body_absent
from .api.validation import SchemaRegistry
from .core import backends as backend_rules
from .core import encryption as encryption_rules
from .core import fault_injection as fault_rules
from .core import quotas as quota_rules
from .core import snapshot
from .core import snapshots as snapshot_rules
from .core import volumes as volume_rules
from .core.clock import Clock
from .core.context import Caller
from .core.errors import SERVER_ERROR, CinderError, RecordNotFound
from .core.identity import TokenRegistry
from .core.journal import DEFAULT_CAP, DELETED, RESPONSE_BODY_LIMIT, Journal
from .core.models import SNAPSHOT_STATUSES, record_to_dict
from .core.operations import check_operation
from .core.state import Store
from .server import Server

if TYPE_CHECKING:
    from flask import Flask

_LOG = logging.getLogger("fake_cinder")
_SCHEMAS: dict[str, SchemaRegistry] = {}
# Every API operation name, from the route table (what faults and the journal name).
OPERATIONS = frozenset(op.name for route in ROUTER.routes for op in route.operations)
ATTACHMENT_OPERATIONS = frozenset(name for name in OPERATIONS if name.startswith("attachment_"))

StateSource = str | Path | dict[str, Any]
ResponseHook = Callable[[Request, Response, dict[str, Any]], None]


def schema_registry(directory: Path | None = None) -> SchemaRegistry:
    """Schemas are compiled once per process and shared by every fake."""
    key = str(directory)
    if key not in _SCHEMAS:
        _SCHEMAS[key] = SchemaRegistry(directory)
    return _SCHEMAS[key]


class FaultHandle:
    """An injected fault: ``remove()`` takes it out (also as a context manager)."""

    def __init__(self, fake: FakeCinder, fault: fault_rules.Fault) -> None:
        self._fake = fake
        self.fault = fault

    @property
    def id(self) -> str:
        return self.fault.id

    @property
    def fired(self) -> int:
        """How many calls it has hit so far."""
        return self.fault.fired

    def remove(self) -> None:
        self._fake.faults.remove(self.fault.id)

    def __enter__(self) -> FaultHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<FaultHandle {self.fault.id} {self.fault.operation} fired={self.fired}>"


class FakeCinder:
    """An in-memory Cinder.

    ``fixtures`` preloads state (a path to a JSON state file, or the data); it
    is also what ``reset()`` goes back to. ``seed`` makes ids and timestamps
    repeat from run to run. ``protect_in_use_attachments`` is Cinder's
    bug-2004555 rule (deleting a connected attachment needs a service token);
    turn it off for suites that do not send service tokens. ``journal_size``
    caps the request journal. ``raise_errors``: an unexpected exception while
    handling a request is re-raised in the test (by ``serve()`` and the pytest
    fixtures, or ``check_errors()``). ``control_token`` guards ``/_fake/``:
    requests there must carry it in ``X-Fake-Control-Token``.

    ``response_hooks`` are called with ``(request, response, record)`` for every
    response before it is sent; ``record`` holds what the fake learnt of the
    request (``operation``, ``api_version``, ``caller``, ``request_id``).
    """

    def __init__(self, fixtures: StateSource | None = None, *, seed: int | None = None,
                 max_version: str = str(mv.MAX_VERSION),
                 protect_in_use_attachments: bool = True, journal_size: int = DEFAULT_CAP,
                 raise_errors: bool = True, control_token: str | None = None,
                 volume_delete_seconds: float = 0.0) -> None:
        self.clock = Clock(seed)
        # How long a deleted volume stays "deleting" (Cinder deletes in the background).
        self.volume_delete_seconds = volume_delete_seconds
        self.store = Store(self.clock)
        self.schemas = schema_registry()
        self.max_version = mv.APIVersion.parse(max_version)
        self.protect_in_use_attachments = protect_in_use_attachments
        self.raise_errors = raise_errors
        self.journal = Journal(journal_size, OPERATIONS)
        self.faults = fault_rules.FaultRegistry()
        self.errors: list[BaseException] = []
        self.control_token = control_token
        self.response_hooks: list[ResponseHook] = []
        # The tokens the fake Keystone (/identity) issued; they identify API callers.
        self.tokens = TokenRegistry()
        self.wsgi = FakeWsgi(self)  # the WSGI application every server runs
        self._app: Flask | None = None
        self._baseline: dict[str, Any] = {}
        self._baseline_projects: snapshot.ProjectIndex | None = None
        if fixtures is not None:
            self._baseline = self._checked_state(fixtures)
            snapshot.load(self.store, self._baseline, checked=True)

    @property
    def app(self) -> Flask:
        """A Flask app serving this fake (for Flask's test client and pytest-flask's
        ``client``), created on first use. It only wraps ``wsgi``: Flask's routes and
        request hooks take no part (``response_hooks`` see every response)."""
        if self._app is None:
            self._app = create_app(self)
        return self._app

    # -- state ------------------------------------------------------------------------------------
    @staticmethod
    def _checked_state(source: StateSource, name: str | None = None) -> dict[str, Any]:
        """A validated state that nothing else holds a reference to."""
        if isinstance(source, str | Path):
            return snapshot.read_file(source)
        state = copy.deepcopy(source)
        snapshot.check(state, name or "state")  # anything but an object is refused here
        return state

    def load(self, source: StateSource, replace: bool = True, *,
             name: str | None = None) -> None:
        """Replace the state with a state file or data (``replace=False`` adds to it).

        A bad state raises ``StateError`` naming the file (or ``name``), the JSON
        path and the problem, and changes nothing. ``reset()`` still goes back to
        the constructor's fixtures.
        """
        label = name or (str(source) if isinstance(source, str | Path) else "state")
        if replace:
            snapshot.load(self.store, self._checked_state(source, label), checked=True)
        else:
            data = snapshot.read_file(source) if isinstance(source, str | Path) else source
            snapshot.load(self.store, data, replace=False, source=label)

    def dump(self) -> dict[str, Any]:
        """The whole state as plain JSON data; ``load(dump())`` restores it exactly."""
        return snapshot.dump(self.store)

    def reset(self, project_id: str | None = None) -> None:
        """Back to the constructor's fixtures in one step.

        Without ``project_id``: all state, the clock (a seeded fake repeats its
        ids), the faults, the journal and recorded errors. With it: only that
        project's volumes, attachments and private volume types.
        """
        if project_id is not None:
            if self._baseline_projects is None:
                self._baseline_projects = snapshot.ProjectIndex(self._baseline)
            snapshot.reset_project(self.store, self._baseline_projects, project_id)
            return
        with self.store.lock:
            self.clock.reset()
            snapshot.load(self.store, self._baseline, checked=True)
            self.faults.clear()
            self.journal.clear()
            self.errors.clear()

    def add_volume_type(self, name: str, *, extra_specs: dict[str, str] | None = None,
                        multiattach: bool = False, protocol: str | None = None,
                        description: str | None = None, is_public: bool = True,
                        project_id: str | None = None, id: str | None = None,
                        ) -> dict[str, Any]:
        """Create a volume type; ``multiattach`` and ``protocol`` set the extra specs
        Cinder reads (``multiattach``, ``storage_protocol``). Returns it as data."""
        specs = dict(extra_specs or {})
        if multiattach:
            specs["multiattach"] = "<is> True"
        if protocol is not None:
            specs["storage_protocol"] = protocol
        if not is_public and project_id is None:
            raise ValueError("a private volume type needs a project_id")
        owner = Caller(user_id=None, project_id=project_id) if project_id else None
        volume_type = volume_rules.create_volume_type(
            self.store, owner, name, description=description, extra_specs=specs,
            is_public=is_public, type_id=id)
        return record_to_dict(volume_type)

    def add_volume(self, *, project_id: str = "demo", size: int = 1, name: str | None = None,
                   volume_type: str | None = None, status: str = "available",
                   id: str | None = None, multiattach: bool | None = None,
                   metadata: dict[str, str] | None = None, protocol: str | None = None,
                   bootable: bool = False, availability_zone: str | None = None,
                   description: str | None = None, user_id: str | None = None,
                   host: str | None = None) -> dict[str, Any]:
        """Create a volume directly in ``status`` (no API rules, no quota); ``volume_type``
        is a name or id (default: ``__DEFAULT__``). The scheduler places it on a pool
        (``error`` when none fits) unless ``host`` names one. Returns it as data."""
        if status not in volume_rules.VOLUME_STATUSES:
            raise ValueError(f"unknown volume status {status!r}")
        owner = Caller(user_id=user_id or project_id, project_id=project_id,
                       roles=frozenset({"admin"}))
        volume = volume_rules.create_volume(
            self.store, owner, size, name=name, description=description,
            volume_type=volume_type, metadata=metadata,
            availability_zone=availability_zone, bootable=bootable, protocol=protocol,
            status=status, volume_id=id, multiattach=multiattach, host=host)
        return record_to_dict(volume)

    def add_snapshot(self, volume_id: str, *, name: str | None = None,
                     description: str | None = None, status: str = "available",
                     metadata: dict[str, str] | None = None, id: str | None = None,
                     project_id: str | None = None) -> dict[str, Any]:
        """Snapshot a volume directly in ``status`` (no quota; an in-use volume too), e.g.
        ``status="creating"`` for a snapshot Nova is still to report on with
        os-update_snapshot_status. Returns it as data."""
        with self.store.lock:
            volume = self.store.volumes.get(volume_id)
            if volume is None:
                raise ValueError(f"unknown volume {volume_id!r}")
            if status not in SNAPSHOT_STATUSES:
                raise ValueError(f"unknown snapshot status {status!r}")
            project = project_id or volume.project_id
            owner = Caller(user_id=project, project_id=project, roles=frozenset({"admin"}))
            try:
                created = snapshot_rules.create_snapshot(
                    self.store, owner, volume_id, name=name, description=description,
                    metadata=metadata, force=True, quota=False, status=status,
                    snapshot_id=id)
            except CinderError as exc:
                raise ValueError(exc.message) from None
            return record_to_dict(self.store.snapshots[created.id])

    def set_volume_type_encryption(self, volume_type: str, *, provider: str = "luks",
                                   control_location: str = "front-end",
                                   cipher: str | None = "aes-xts-plain64",
                                   key_size: int | None = 256) -> dict[str, Any]:
        """Give a volume type (name or id) encryption specs, as an admin's
        POST types/{id}/encryption does; its new volumes get encryption keys."""
        with self.store.lock:
            found = self.store.find_volume_type(volume_type)
            if found is None:
                raise ValueError(f"unknown volume type {volume_type!r}")
            try:
                encryption_rules.create(self.store, found.id, {
                    "provider": provider, "control_location": control_location,
                    "cipher": cipher, "key_size": key_size})
            except CinderError as exc:
                raise ValueError(exc.message) from None
            return record_to_dict(self.store.encryptions[found.id])

    def set_quotas(self, project_id: str | None = None, **limits: int) -> None:
        """Set quota limits (-1: unlimited) of one project, or without ``project_id`` the
        defaults of every project (Cinder's default quota class), e.g.
        ``set_quotas("demo", volumes=2, gigabytes_ceph=10)``. Unknown names raise ValueError."""
        try:
            quota_rules.set_quotas(self.store, limits, project_id)
        except CinderError as exc:
            raise ValueError(exc.message) from None

    def quotas(self, project_id: str, *, usage: bool = False) -> dict[str, Any]:
        """A project's quota limits (with ``usage``: {limit, in_use, reserved} each)."""
        return quota_rules.quota_set(self.store, project_id, usage)

    # -- inspection (plain data, oldest first) ---------------------------------------------------
    def volumes(self, *, project_id: str | None = None, status: str | None = None,
                name: str | None = None) -> list[dict[str, Any]]:
        with self.store.lock:
            found = [v for v in self.store.project_volumes(project_id)
                     if (status is None or v.status == status)
                     and (name is None or v.name == name)]
            return [record_to_dict(v) for v in sorted(found, key=lambda v: (v.created_at, v.id))]

    def _one(self, kind: str, table: str, record_id: str) -> dict[str, Any]:
        with self.store.lock:
            found = getattr(self.store, table).get(record_id)
            if found is None:
                raise RecordNotFound(kind, record_id)
            return record_to_dict(found)

    def volume(self, volume_id: str) -> dict[str, Any]:
        """One volume; ``RecordNotFound`` (a ``KeyError``) when there is none."""
        return self._one("volume", "volumes", volume_id)

    def attachments(self, *, volume_id: str | None = None, instance_id: str | None = None,
                    project_id: str | None = None,
                    status: str | None = None) -> list[dict[str, Any]]:
        with self.store.lock:
            if volume_id is not None:
                candidates = self.store.volume_attachments(volume_id)
            elif project_id is not None:
                candidates = list(self.store.project_attachments(project_id))
            else:
                candidates = list(self.store.attachments.values())
            found = [a for a in candidates
                     if (project_id is None or a.project_id == project_id)
                     and (instance_id is None or a.instance_uuid == instance_id)
                     and (status is None or a.attach_status == status)]
            return [record_to_dict(a) for a in sorted(found, key=lambda a: a.sort_key)]

    def attachment(self, attachment_id: str) -> dict[str, Any]:
        """One attachment; ``RecordNotFound`` (a ``KeyError``) when there is none."""
        return self._one("attachment", "attachments", attachment_id)

    def snapshots(self, *, volume_id: str | None = None, project_id: str | None = None,
                  status: str | None = None) -> list[dict[str, Any]]:
        with self.store.lock:
            found = [s for s in self.store.snapshots.values()
                     if (volume_id is None or s.volume_id == volume_id)
                     and (project_id is None or s.project_id == project_id)
                     and (status is None or s.status == status)]
            return [record_to_dict(s) for s in sorted(found, key=lambda s: (s.created_at, s.id))]

    def snapshot(self, snapshot_id: str) -> dict[str, Any]:
        """One snapshot; ``RecordNotFound`` (a ``KeyError``) when there is none."""
        return self._one("snapshot", "snapshots", snapshot_id)

    # -- faults -----------------------------------------------------------------------------------
    def inject(self, operation: str, *, retry_after: int | str | None = None,
               **options: Any) -> FaultHandle:
        """Make calls of ``operation`` fail; see the README's "Faults" for the options.

        Effect (one): ``status`` (+ ``message``, ``headers``, ``retry_after``),
        ``backend_failure=True``, ``drop_connection=True``; ``latency`` (seconds)
        alone or with any. When: ``times=1`` (default), ``times=N``,
        ``times=None`` (always); ``probability=p`` (seeded by ``seed``, else the
        fake's seed, else 0). Match: ``project_id``, ``volume_id``, ``attachment_id``.
        """
        check_operation(operation, OPERATIONS)
        if retry_after is not None:
            if isinstance(retry_after, bool) or not isinstance(retry_after, int | str):
                raise ValueError(f"retry_after must be seconds or an HTTP date, "
                                 f"not {retry_after!r}")
            options["headers"] = {**(options.get("headers") or {}),
                                  "Retry-After": str(retry_after)}
        if options.get("probability") is not None and options.get("seed") is None:
            options["seed"] = self.clock.seed
        return FaultHandle(self, self.faults.add(operation, **options))

    # -- live server ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def serve(self, *, host: str = "127.0.0.1", port: int = 0,
              raise_errors: bool | None = None) -> Iterator[Server]:
        """A threaded server on ``host`` (ephemeral port) sharing this fake's state.

        Leaving the block stops it and re-raises the first exception the fake hit
        while handling a request (unless ``raise_errors`` is False).
        """
        check = self.raise_errors if raise_errors is None else raise_errors
        server = Server(self.wsgi, host, port, access_log=False).start()
        try:
            yield server
        except BaseException as exc:
            server.stop()
            if check and self.errors:
                exc.add_note(f"fake-cinder also failed handling a request: {self.errors[0]!r}")
                self.errors.clear()
            raise
        server.stop()
        if check:
            self.check_errors()

    def check_errors(self) -> None:
        """Raise the first exception recorded while handling a request (then forget them)."""
        if not self.errors:
            return
        first, rest = self.errors[0], self.errors[1:]
        self.errors.clear()
        if rest:
            first.add_note(f"fake-cinder hit {len(rest)} more error(s): {rest!r}")
        raise first

    # -- hooks of the request pipeline ------------------------------------------------------------
    def resolve_token(self, token: str) -> Caller | None:
        """The caller of a token the fake Keystone issued; None for any other token
        (read as a noauth ``user:project`` token). An expired one raises a 401."""
        return self.tokens.resolve(token)

    def before_operation(self, operation: str, caller: Caller, params: dict[str, str],
                         body: Any, state: dict[str, Any] | None = None) -> None:
        """Called once per API operation after validation, before the core runs: the one
        place injected faults fire. Latency sleeps without holding the store lock.
        ``state`` is the request's record: the journal learns the fault from it."""
        state = {} if state is None else state
        if not self.faults:
            return
        attachment_body = body.get("attachment") if isinstance(body, dict) else None
        connector = (attachment_body or {}).get("connector") if isinstance(
            attachment_body, dict) else None
        attachment_id = params.get("attachment_id")
        volume_id = params.get("volume_id")
        if volume_id is None and operation == "attachment_create":
            volume_id = attachment_body.get("volume_uuid") if attachment_body else None
        elif volume_id is None and operation == "snapshot_create":
            volume_id = (body.get("snapshot") or {}).get("volume_id")
        elif volume_id is None and attachment_id is not None:
            found = self.store.attachments.get(attachment_id)
            volume_id = found.volume_id if found else None
        context = {"project_id": caller.project_id, "volume_id": volume_id,
                   "attachment_id": attachment_id}
        fault = self.faults.fire(operation, context, fault_rules.reaches_backend(
            self.store, operation, attachment_id, connector))
        if fault is None:
            return
        state["fake_fault"] = fault.id
        if fault.latency:
            time.sleep(fault.latency)
        if fault.drop_connection:
            raise fault_rules.DroppedConnection(f"{fault.id} dropped the connection")
        if fault.status is not None:
            raise fault.error()
        if fault.backend_failure:
            raise self._backend_failure(fault, operation, caller, attachment_id,
                                        attachment_body or {}, connector or {}, state)

    def _backend_failure(self, fault: fault_rules.Fault, operation: str, caller: Caller,
                         attachment_id: str | None, attachment_body: dict[str, Any],
                         connector: dict[str, Any], state: dict[str, Any]
                         ) -> fault_rules.FaultError:
        if operation == "attachment_create":
            created, error = fault_rules.fail_create(
                self.store, caller, attachment_body["volume_uuid"],
                attachment_body.get("instance_uuid"), connector, fault.message)
            state["fake_attachment_id"] = created
            return error
        assert attachment_id is not None
        if operation == "attachment_update":
            return fault_rules.fail_update(self.store, caller, attachment_id, connector,
                                           fault.message)
        return fault_rules.fail_delete(self.store, caller, attachment_id,
                                       self.protect_in_use_attachments, fault.message)

    def after_request(self, request: Request, response: Response,
                      state: dict[str, Any]) -> None:
        """Called for every response with the request's record: journal it (except
        /_fake/ requests), after the response hooks."""
        for hook in self.response_hooks:
            self._run_response_hook(hook, request, response, state)
        path = request.path
        if path.startswith(control.PREFIX + "/"):
            return
        operation = state.get("operation")
        dropped = getattr(response, "dropped", False)
        status = None if dropped else response.status_code
        attachment_id, attachment_status = None, None
        if operation in ATTACHMENT_OPERATIONS:
            attachment_id, attachment_status = self._attachment_after(operation, state, status)
        caller = state.get("caller")
        version = state.get("api_version")
        self.journal.record({
            "method": request.method, "path": path,
            "query": request.query_string.decode("latin-1"),
            "operation": operation,
            "project_id": caller.project_id if caller is not None else None,
            "microversion": str(version) if version is not None else None,
            "status": status, "raw_body": _request_body(request),
            "request_id": state.get("request_id"), "fault": state.get("fake_fault"),
            "attachment_id": attachment_id, "attachment_status": attachment_status,
            "raw_response": b"" if dropped else _response_body(response),
        })

    def _run_response_hook(self, hook: ResponseHook, request: Request, response: Response,
                           state: dict[str, Any]) -> None:
        """A hook that raises is a bug like any in the fake: recorded (so the test fails at
        teardown) and answered with Cinder's 500; later hooks see that answer."""
        try:
            hook(request, response, state)
        except Exception as error:  # noqa: BLE001  (any error of a user's hook)
            _LOG.exception("response hook %r failed on %s %s", hook, request.method,
                           request.path)
            self.record_exception(error)
            if not getattr(response, "dropped", False):  # a dropped one still sends nothing
                rewrite_as_fault(response, 500, SERVER_ERROR)

    def _attachment_after(self, operation: str, state: dict[str, Any],
                          status: int | None) -> tuple[str | None, str | None]:
        """The attachment a request was about and its stored status afterwards."""
        attachment_id = state.get("params", {}).get("attachment_id")
        if operation == "attachment_create":
            attachment_id = state.get("fake_attachment_id")
            if attachment_id is None and status == 200:
                attachment_id = _created_id(state.get("payload"))
        if attachment_id is None:
            return None, None
        stored = self.store.attachments.get(attachment_id)
        if stored is not None:
            return attachment_id, stored.attach_status
        if operation == "attachment_delete" and status == 200:
            return attachment_id, DELETED
        return attachment_id, None

    def record_exception(self, error: Exception) -> None:
        """Called when handling a request raised an unexpected exception."""
        self.errors.append(error)

    # -- backends and services (docs/backends.md) -----------------------------------------------
    def add_backend(self, host: str, *, storage_protocol: str = "iSCSI",
                    pools: list[dict[str, Any]] | None = None,
                    availability_zone: str = "nova", volume_backend_name: str | None = None,
                    vendor_name: str = "Open Source", driver_version: str = "3.0.0",
                    state: str = "up", backend_state: str = "up", disabled: bool = False,
                    disabled_reason: str | None = None) -> dict[str, Any]:
        """Add a backend (a cinder-volume service, ``host@backend``) with its pools
        (records of ``Pool``'s fields; default: one pool named as the backend), or
        replace the one of that host. ``state="down"``: its service stopped reporting.
        Returns it as data."""
        backend_name = host.partition("@")[2]
        data = {
            "host": host, "volume_backend_name": volume_backend_name or backend_name or host,
            "storage_protocol": storage_protocol, "vendor_name": vendor_name,
            "driver_version": driver_version, "availability_zone": availability_zone,
            "state": state, "backend_state": backend_state, "disabled": disabled,
            "disabled_reason": disabled_reason,
            "pools": pools if pools is not None else [{"name": backend_name or host}]}
        snapshot.check({"backends": [data]}, "add_backend")
        record = backend_rules.add_backend(self.store, backend_rules.backend_from_dict(data))
        return record_to_dict(record)

    def backends(self) -> list[dict[str, Any]]:
        """Every backend, with its pools, as data."""
        with self.store.lock:
            return [record_to_dict(b) for b in self.store.backends.values()]

    def services(self) -> list[dict[str, Any]]:
        """Every service (the scheduler, then each backend's cinder-volume) as
        os-services shows it at the newest microversion."""
        from .api.backends import service_view
        with self.store.lock:
            states = backend_rules.pool_backend_states(self.store)
            return [service_view(s, states, mv.MAX_VERSION, self.store.clock.now())
                    for s in backend_rules.services(self.store)]

    def set_service(self, host: str, binary: str = "cinder-volume", *,
                    disabled: bool | None = None, disabled_reason: str | None = None,
                    state: str | None = None, frozen: bool | None = None) -> None:
        """Change a service: disable or enable it, stop (``state="down"``) or restart its
        heartbeats, freeze it. A disabled, down or frozen backend takes no new volumes."""
        try:
            backend_rules.set_service(self.store, host, binary, disabled=disabled,
                                      disabled_reason=disabled_reason, state=state,
                                      frozen=frozen)
        except CinderError as exc:
            raise ValueError(exc.message) from None


def _created_id(payload: Any) -> str | None:
    """The new attachment's id from the payload a create answered."""
    found = payload.get("attachment") if isinstance(payload, dict) else None
    return found.get("id") if isinstance(found, dict) else None


def _response_body(response: Response) -> bytes:
    """The body to journal: none of a streamed response (reading it would consume it)."""
    body = response.response
    # The fake's own responses hold their body as one bytes item: take it as it is
    # (get_data() would join and re-wrap it, ~0.7 us a request).
    if type(body) is list and len(body) == 1 and type(body[0]) is bytes:
        return body[0][:RESPONSE_BODY_LIMIT]
    if response.is_streamed:
        return b""
    return response.get_data()[:RESPONSE_BODY_LIMIT]


def _request_body(request: Request) -> bytes:
    """The body to journal; an over-size one (answered 413 unread) is not read now either."""
    if (request.content_length or 0) > MAX_REQUEST_BODY_SIZE or body_absent(request):
        return b""
    try:
        return request.get_data(cache=True)
    except HTTPException:  # a chunked body over the limit, or the client went away
        return b""
