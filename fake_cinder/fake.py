"""FakeCinder: one fake Cinder with its own state, faults, journal and Flask app.

The facade: state, faults and the journal through plain Python. How requests are
served (the route table, the request pipeline, where faults fire, what the journal
records) is the HTTP layer's, reached through the app ``create_app`` makes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from .api.flask_app import create_app
from .core import backends as backend_rules
from .core import encryption as encryption_rules
from .core import fault_injection as fault_rules
from .core import groups as group_rules
from .core import identity_admin, state_files
from .core import images as image_rules
from .core import messages as message_rules
from .core import qos_specs as qos_rules
from .core import quotas as quota_rules
from .core import retype as retype_rules
from .core import snapshots as snapshot_rules
from .core import transfers as transfer_rules
from .core import transitions as transition_rules
from .core import volume_types as type_rules
from .core import volumes as volume_rules
from .core.clock import Clock
from .core.context import Caller, admin_caller
from .core.directory import TokenRegistry, Unauthorized
from .core.errors import CinderError, RecordNotFound
from .core.journal import DEFAULT_CAP, Journal
from .core.models import SNAPSHOT_STATUSES, record_to_dict
from .core.store import Store
from .server import Server

if TYPE_CHECKING:
    from .api.flask_app import FakeFlask
    from .api.microversions import APIVersion
    from .api.request_record import RequestRecord
    from .api.validation import SchemaRegistry

StateSource = str | Path | dict[str, Any]
ResponseHook = Callable[[Request, Response, "RequestRecord"], None]


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
    requests there must carry it in ``X-Fake-Control-Token``. ``transitions`` sets how
    long asynchronous operations take (``{"volume_create": "2s", "*": "1poll"}``, see
    ``set_transition``; ``reset()`` comes back to it); ``volume_delete_seconds`` is the
    older spelling of ``{"volume_delete": "<S>s"}``.

    ``app`` is the Flask app serving it (every server and test client runs it;
    routes, blueprints, hooks and middleware added to it work as in any Flask app).
    ``response_hooks`` are called with ``(request, response, record)`` for every
    response before it is sent; ``record`` (an ``api.request_record.RequestRecord``)
    holds what the fake learnt of the request (``operation``, ``api_version``,
    ``caller``, ``request_id``...).
    """

    def __init__(self, fixtures: StateSource | None = None, *, seed: int | None = None,
                 max_version: str = "3.71",
                 protect_in_use_attachments: bool = True, journal_size: int = DEFAULT_CAP,
                 raise_errors: bool = True, control_token: str | None = None,
                 volume_delete_seconds: float = 0.0,
                 transitions: Mapping[str, str] | None = None) -> None:
        self.clock = Clock(seed)
        # How long a deleted volume stays "deleting" (an alias of a volume_delete transition).
        self.volume_delete_seconds = volume_delete_seconds
        settings = dict(transitions or {})
        if volume_delete_seconds > 0:
            settings.setdefault("volume_delete", f"{volume_delete_seconds:g}s")
        self._transitions = transition_rules.parse_settings(settings)
        self.store = Store(self.clock)
        self.store.transitions.configure(self._transitions)
        self.protect_in_use_attachments = protect_in_use_attachments
        self.raise_errors = raise_errors
        self.app: FakeFlask = create_app(self, max_version)
        self.journal = Journal(journal_size, self.app.operations)
        self.journal.record_lifecycle = self.lifecycle
        self.faults = fault_rules.FaultRegistry()
        self.errors: list[BaseException] = []
        self.control_token = control_token
        self.response_hooks: list[ResponseHook] = []
        # The tokens the fake Keystone (/identity) issued; they identify API callers.
        self.tokens = TokenRegistry()
        # Another block-storage endpoint the fake Keystone's catalog names, if any.
        self.volume_endpoint: str | None = None
        self._baseline: dict[str, Any] = {}
        self._baseline_projects: state_files.ProjectIndex | None = None
        if fixtures is not None:
            self._baseline = self._checked_state(fixtures)
            state_files.load(self.store, self._baseline, checked=True)

    @property
    def wsgi(self) -> FakeFlask:
        """The WSGI application every server runs: the app."""
        return self.app

    @property
    def max_version(self) -> APIVersion:
        """The highest microversion offered."""
        return self.app.max_version

    @property
    def schemas(self) -> SchemaRegistry:
        """The JSON Schemas of requests and responses (``schemas/``)."""
        return self.app.schemas

    # -- state ------------------------------------------------------------------------------------
    @staticmethod
    def _checked_state(source: StateSource, name: str | None = None) -> dict[str, Any]:
        """A validated state that nothing else holds a reference to."""
        if isinstance(source, str | Path):
            return state_files.read_file(source)
        state = state_files.copy_data(source)
        state_files.check(state, name or "state")  # anything but an object is refused here
        return state

    def load(self, source: StateSource, replace: bool = True, *,
             name: str | None = None) -> None:
        """Replace the state with a state file or data (``replace=False`` adds to it).

        A bad state raises ``StateError`` naming the file (or ``name``), the JSON
        path and the problem, and changes nothing. ``reset()`` still goes back to
        the constructor's fixtures.
        """
        label = name or (str(source) if isinstance(source, str | Path) else "state")
        if replace and not isinstance(source, str | Path):
            # The load copies what it keeps, so the caller's data needs no copy first.
            state_files.check(source, label)
            state_files.load(self.store, source, checked=True)
        elif replace:
            state_files.load(self.store, self._checked_state(source, label), checked=True)
        else:
            data = state_files.read_file(source) if isinstance(source, str | Path) else source
            state_files.load(self.store, data, replace=False, source=label)

    def dump(self) -> dict[str, Any]:
        """The whole state as plain JSON data; ``load(dump())`` restores it exactly."""
        return state_files.dump(self.store)

    def reset(self, project_id: str | None = None) -> None:
        """Back to the constructor's fixtures in one step.

        Without ``project_id``: all state, the clock (a seeded fake repeats its
        ids), the faults, the journal and recorded errors. With it: only that
        project's volumes, attachments and private volume types.
        """
        if project_id is not None:
            if self._baseline_projects is None:
                self._baseline_projects = state_files.ProjectIndex(self._baseline)
            state_files.reset_project(self.store, self._baseline_projects, project_id)
            return
        with self.store.lock:
            self.clock.reset()
            state_files.load(self.store, self._baseline, checked=True)  # cancels pending work
            self.store.transitions.configure(self._transitions)
            self.faults.clear()
            self.journal.clear()
            self.errors.clear()

    def add_volume_type(self, name: str, *, extra_specs: dict[str, str | None] | None = None,
                        multiattach: bool = False, protocol: str | None = None,
                        description: str | None = None, is_public: bool = True,
                        project_id: str | None = None, id: str | None = None,
                        ) -> dict[str, Any]:
        """Create a volume type; ``multiattach`` and ``protocol`` set the extra specs
        Cinder reads (``multiattach``, ``storage_protocol``). Returns it as data."""
        specs: dict[str, str | None] = dict(extra_specs or {})
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
        fake's seed, else 0). Match: ``project_id``, ``volume_id``, ``attachment_id``,
        ``snapshot_id`` (those the operation's calls have: a fault that could never
        fire raises ``ValueError``).
        """
        self.app.check_fault(operation, options)
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
        server = Server(self.app, host, port, access_log=False).start()
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

    # -- called by the request pipeline ------------------------------------------------------
    def resolve_token(self, token: str) -> Caller | None:
        """The caller of a token the fake Keystone issued; None for any other token
        (read as a noauth ``user:project`` token). An expired one raises a 401, and so
        does one whose user, project or role assignment is gone."""
        caller = self.tokens.resolve(token)
        if caller is not None and not identity_admin.still_authorized(
                self.store, caller.user_id, caller.project_id):
            raise Unauthorized()
        return caller

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
        state_files.check({"backends": [data]}, "add_backend")
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
        from .api.microversions import MAX_VERSION
        with self.store.lock:
            states = backend_rules.pool_backend_states(self.store)
            return [service_view(s, states, MAX_VERSION, self.store.clock.now())
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

    # -- issue 19 (volfeat): metadata, transfers, user messages ----------------------------------
    def volume_metadata(self, volume_id: str) -> dict[str, str]:
        """A volume's user metadata (what GET /volumes/{id}/metadata answers)."""
        return dict(self._one("volume", "volumes", volume_id)["metadata"])

    def set_volume_metadata(self, volume_id: str, metadata: dict[str, str], *,
                            replace: bool = False) -> dict[str, str]:
        """Merge ``metadata`` into a volume's (``replace``: make it the whole metadata),
        whatever the volume's status; returns the result."""
        return self._set_metadata("volume", "volumes", volume_id, metadata, replace)

    def snapshot_metadata(self, snapshot_id: str) -> dict[str, str]:
        return dict(self._one("snapshot", "snapshots", snapshot_id)["metadata"])

    def set_snapshot_metadata(self, snapshot_id: str, metadata: dict[str, str], *,
                              replace: bool = False) -> dict[str, str]:
        return self._set_metadata("snapshot", "snapshots", snapshot_id, metadata, replace)

    def _set_metadata(self, kind: str, table: str, record_id: str, metadata: dict[str, str],
                      replace: bool) -> dict[str, str]:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise ValueError("metadata keys and values must be strings")
        with self.store.lock:
            record = getattr(self.store, table).get(record_id)
            if record is None:
                raise RecordNotFound(kind, record_id)
            record.metadata = dict(metadata) if replace else {**record.metadata, **metadata}
            return dict(record.metadata)

    def add_transfer(self, volume_id: str, *, name: str | None = None,
                     auth_key: str | None = None, no_snapshots: bool = False
                     ) -> dict[str, Any]:
        """Offer an available volume for transfer, as its project's POST
        os-volume-transfer does (the volume becomes awaiting-transfer). Returns the
        transfer as data, with its ``auth_key`` (generated unless given)."""
        with self.store.lock:
            volume = self.store.volumes.get(volume_id)
            if volume is None:
                raise RecordNotFound("volume", volume_id)
            owner = Caller(user_id=volume.user_id, project_id=volume.project_id,
                           roles=frozenset({"admin"}))
            try:
                transfer, key = transfer_rules.create_transfer(
                    self.store, owner, volume_id, name, no_snapshots=no_snapshots,
                    allow_encrypted=True, auth_key=auth_key)
            except CinderError as exc:
                raise ValueError(exc.message) from None
            return {**record_to_dict(transfer), "auth_key": key}

    def transfers(self, *, volume_id: str | None = None, project_id: str | None = None,
                  accepted: bool | None = None) -> list[dict[str, Any]]:
        """Transfers (pending and accepted), oldest first; ``project_id`` is the
        offering project."""
        with self.store.lock:
            found = [t for t in self.store.transfers.values()
                     if (volume_id is None or t.volume_id == volume_id)
                     and (project_id is None or t.source_project_id == project_id)
                     and (accepted is None or t.accepted == accepted)]
            return [record_to_dict(t) for t in sorted(found, key=lambda t: (t.created_at, t.id))]

    def transfer(self, transfer_id: str) -> dict[str, Any]:
        """One transfer; ``RecordNotFound`` (a ``KeyError``) when there is none."""
        return self._one("transfer", "transfers", transfer_id)

    def add_message(self, project_id: str, *, action: str = "UPDATE_ATTACHMENT",
                    detail: str = "UNKNOWN_ERROR", resource_uuid: str | None = None,
                    resource_type: str = message_rules.VOLUME, request_id: str | None = None,
                    level: str = "ERROR") -> dict[str, Any]:
        """Record a user message as Cinder's services do; ``action`` and ``detail`` are
        names of Cinder's message fields (``EXTEND_VOLUME``, ``DRIVER_FAILED_EXTEND``...)."""
        found_action = getattr(message_rules.Action, action, None)
        found_detail = getattr(message_rules.Detail, detail, None)
        if not isinstance(found_action, tuple) or not action.isupper():
            raise ValueError(f"unknown message action {action!r}")
        if not isinstance(found_detail, tuple) or not detail.isupper():
            raise ValueError(f"unknown message detail {detail!r}")
        message = message_rules.record(
            self.store, project_id, found_action, resource_uuid=resource_uuid,
            resource_type=resource_type, detail=found_detail, request_id=request_id,
            level=level)
        return record_to_dict(message)

    def messages(self, *, project_id: str | None = None,
                 resource_uuid: str | None = None) -> list[dict[str, Any]]:
        """User messages, oldest first, each with its ``user_message`` text."""
        with self.store.lock:
            found = [m for m in self.store.messages.values()
                     if (project_id is None or m.project_id == project_id)
                     and (resource_uuid is None or m.resource_uuid == resource_uuid)]
            return [{**record_to_dict(m), "user_message": message_rules.user_message(m)}
                    for m in sorted(found, key=lambda m: (m.created_at, m.id))]

    def message(self, message_id: str) -> dict[str, Any]:
        """One message; ``RecordNotFound`` (a ``KeyError``) when there is none."""
        with self.store.lock:
            found = self.store.messages.get(message_id)
            if found is None:
                raise RecordNotFound("message", message_id)
            return {**record_to_dict(found), "user_message": message_rules.user_message(found)}

    # -- issue 20, types: type management, QoS specs, quota classes, retype ---------------------
    def _type_id(self, volume_type: str) -> str:
        found = self.store.find_volume_type(volume_type)
        if found is None:
            raise ValueError(f"unknown volume type {volume_type!r}")
        return found.id

    def _qos_id(self, qos_specs: str) -> str:
        with self.store.lock:
            found = self.store.qos_specs.get(qos_specs) or next(
                (q for q in self.store.qos_specs.values() if q.name == qos_specs), None)
            if found is None:
                raise ValueError(f"unknown QoS specs {qos_specs!r}")
            return found.id

    def set_type_extra_specs(self, volume_type: str, extra_specs: dict[str, str | None]
                             ) -> dict[str, Any]:
        """Set extra specs of a volume type (name or id); a None value removes the key
        (the API keeps a null value as null, as Cinder does).
        Unlike the API, volumes of the type do not stop it. Returns the type as data."""
        with self.store.lock:
            found = self.store.volume_types[self._type_id(volume_type)]
            for key, value in extra_specs.items():
                if value is None:
                    found.extra_specs.pop(key, None)
                else:
                    found.extra_specs[key] = value
            return record_to_dict(found)

    def update_volume_type(self, volume_type: str, *, name: str | None = None,
                           description: str | None = None, is_public: bool | None = None
                           ) -> dict[str, Any]:
        """Rename a volume type (its quotas follow), or change its description or
        visibility, as PUT types/{id} does. Returns it as data."""
        with self.store.lock:
            try:
                updated = type_rules.update_volume_type(
                    self.store, self._type_id(volume_type), name, description, is_public)
            except CinderError as exc:
                raise ValueError(exc.message) from None
            return record_to_dict(updated)

    def delete_volume_type(self, volume_type: str) -> None:
        """Delete a volume type with Cinder's rules (not the default type, not in use)."""
        with self.store.lock:
            try:
                type_rules.delete_volume_type(self.store, self._type_id(volume_type))
            except CinderError as exc:
                raise ValueError(exc.message) from None

    def add_type_access(self, volume_type: str, project_id: str) -> None:
        """Share a private volume type with a project (addProjectAccess)."""
        self._type_access(type_rules.add_access, volume_type, project_id)

    def remove_type_access(self, volume_type: str, project_id: str) -> None:
        """Take a project's access to a private volume type away (removeProjectAccess)."""
        self._type_access(type_rules.remove_access, volume_type, project_id)

    def _type_access(self, change: Callable[[Store, str, str], None], volume_type: str,
                     project_id: str) -> None:
        with self.store.lock:
            try:
                change(self.store, self._type_id(volume_type), project_id)
            except CinderError as exc:
                raise ValueError(exc.message) from None

    def add_qos_specs(self, name: str, *, consumer: str = "back-end",
                      specs: dict[str, str] | None = None, id: str | None = None,
                      volume_types: tuple[str, ...] | list[str] = ()) -> dict[str, Any]:
        """Create QoS specs (consumer back-end, front-end or both) and associate them
        with ``volume_types`` (names or ids). Returns them as data."""
        with self.store.lock:
            try:
                created = qos_rules.create_qos_specs(
                    self.store, name, {**(specs or {}), "consumer": consumer}, specs_id=id)
                for volume_type in volume_types:
                    qos_rules.associate(self.store, created.id, self._type_id(volume_type))
            except CinderError as exc:
                raise ValueError(exc.message) from None
            return record_to_dict(created)

    def associate_qos_specs(self, qos_specs: str, volume_type: str) -> None:
        """Associate QoS specs (name or id) with a volume type (name or id)."""
        with self.store.lock:
            try:
                qos_rules.associate(self.store, self._qos_id(qos_specs),
                                    self._type_id(volume_type))
            except CinderError as exc:
                raise ValueError(exc.message) from None

    def disassociate_qos_specs(self, qos_specs: str, volume_type: str | None = None) -> None:
        """Disassociate QoS specs from a volume type, or from every type."""
        with self.store.lock:
            specs_id = self._qos_id(qos_specs)
            if volume_type is None:
                qos_rules.disassociate_all(self.store, specs_id)
            else:
                qos_rules.disassociate(self.store, specs_id, self._type_id(volume_type))

    def volume_types(self) -> list[dict[str, Any]]:
        """Every volume type as data (with ``qos_specs_id`` and its access ``projects``),
        oldest first."""
        with self.store.lock:
            return [record_to_dict(t) for t in self.store.volume_types.values()]

    def qos_specs(self) -> list[dict[str, Any]]:
        """Every QoS specs record, oldest first."""
        with self.store.lock:
            return [record_to_dict(q) for q in sorted(self.store.qos_specs.values(),
                                                      key=lambda q: (q.created_at, q.id))]

    def set_quota_class(self, quota_class: str, **limits: int) -> dict[str, int]:
        """Set limits of a quota class (``"default"``: every project's defaults), as
        PUT os-quota-class-sets/{class} does; returns the class's limits."""
        try:
            return quota_rules.update_class(self.store, quota_class, limits)
        except CinderError as exc:
            raise ValueError(exc.message) from None

    def retype_volume(self, volume_id: str, new_type: str, *,
                      migration_policy: str = "never") -> dict[str, Any]:
        """os-retype as an admin of the volume's project, with Cinder's rules: a retype
        Cinder's scheduler or volume manager refuses leaves the volume as it was.
        Returns the volume as data."""
        return self._as_volume_admin(volume_id, lambda caller: retype_rules.retype(
            self.store, caller, volume_id, new_type, migration_policy))

    def _as_volume_admin(self, volume_id: str, action: Callable[[Caller], object]
                         ) -> dict[str, Any]:
        """``action`` as an admin of the volume's project; Cinder's refusal as a
        ValueError. Returns the volume as data."""
        with self.store.lock:
            volume = self.store.volumes.get(volume_id)
            if volume is None:
                raise RecordNotFound("volume", volume_id)
            try:
                action(admin_caller(volume.project_id))
            except CinderError as exc:
                raise ValueError(exc.message) from None
            return record_to_dict(volume)

    # -- images (the fake Glance under /image) -------------------------------------------------
    def add_image(self, *, name: str | None = None, data: bytes | None = b"",
                  disk_format: str | None = "raw", container_format: str | None = "bare",
                  visibility: str = "public", owner: str | None = None, id: str | None = None,
                  min_disk: int = 0, min_ram: int = 0, protected: bool = False,
                  virtual_size: int | None = None,
                  properties: dict[str, str] | None = None) -> dict[str, Any]:
        """Put an image straight into the fake Glance: active with ``data`` (its size and
        checksums are the data's; a qcow2 header gives its virtual size), queued with
        ``data=None``. Returns it as data (without the data)."""
        fields: dict[str, Any] = {
            "name": name, "disk_format": disk_format, "container_format": container_format,
            "visibility": visibility, "owner": owner, "min_disk": min_disk,
            "min_ram": min_ram, "protected": protected, "virtual_size": virtual_size,
            "properties": dict(properties or {})}
        if id is not None:
            fields["id"] = id
        for value, allowed in ((visibility, image_rules.VISIBILITIES),
                               (disk_format, (None, *image_rules.DISK_FORMATS)),
                               (container_format, (None, *image_rules.CONTAINER_FORMATS))):
            if value not in allowed:
                raise ValueError(f"{value!r} is not one of {allowed}")
        with self.store.lock:
            if id is not None and id in self.store.images:
                raise ValueError(f"image {id} already exists")
            try:
                image = image_rules.image_from_data(self.store, fields, data)
                if virtual_size is not None:
                    image.virtual_size = virtual_size
                image_rules.add_image(self.store, image, data)
            except image_rules.ImageError as exc:
                raise ValueError(exc.message) from None
            return record_to_dict(image)

    def images(self, *, owner: str | None = None,
               status: str | None = None) -> list[dict[str, Any]]:
        """The fake Glance's images as data (without their data), oldest first."""
        with self.store.lock:
            found = [i for i in self.store.images.values()
                     if (owner is None or i.owner == owner)
                     and (status is None or i.status == status)]
            return [record_to_dict(i) for i in sorted(found, key=lambda i: (i.created_at, i.id))]

    def image(self, image_id: str) -> dict[str, Any]:
        """One image; ``RecordNotFound`` (a ``KeyError``) when there is none."""
        return self._one("image", "images", image_id)

    def image_data(self, image_id: str) -> bytes | None:
        """An image's data (None while it has none)."""
        with self.store.lock:
            if image_id not in self.store.images:
                raise RecordNotFound("image", image_id)
            return self.store.image_data.get(image_id)

    # -- Keystone's identities and Nova's volume attachments (issue 21) ---------------------------
    def add_project(self, name: str, *, description: str = "",
                    domain_id: str | None = None) -> dict[str, Any]:
        """Create a Keystone project, as an admin's POST /identity/v3/projects does;
        returns its id, name, domain_id and description."""
        project = identity_admin.create_project(
            self.store, admin_caller(), {"name": name, "description": description,
                                         "domain_id": domain_id})
        return {"id": project.id, "name": project.name, "domain_id": project.domain_id,
                "description": project.description}

    def add_user(self, name: str, password: str, *, project_id: str | None = None,
                 roles: tuple[str, ...] = ("member", "reader")) -> dict[str, Any]:
        """Create a Keystone user who logs in with ``password``; with ``project_id``, it
        is the user's default project and the user gets ``roles`` on it."""
        caller = admin_caller()
        user = identity_admin.create_user(self.store, caller, {
            "name": name, "password": password, "default_project_id": project_id})
        if project_id is not None:
            known = {r.name: r.id for r in identity_admin.list_roles(self.store, caller)}
            for role in roles:
                role_id = known.get(role.lower()) or identity_admin.create_role(
                    self.store, caller, {"name": role}).id
                identity_admin.grant(self.store, caller, project_id, user.id, role_id)
        return {"id": user.id, "name": user.name, "domain_id": user.domain_id,
                "default_project_id": user.default_project_id}

    def server_volumes(self, *, server_id: str | None = None,
                       volume_id: str | None = None) -> list[dict[str, Any]]:
        """Nova's volume mappings (what os-volume_attachments lists), oldest first."""
        with self.store.lock:
            found = [b for b in self.store.block_devices.values()
                     if (server_id is None or b.server_id == server_id)
                     and (volume_id is None or b.volume_id == volume_id)]
            return [record_to_dict(b) for b in sorted(found, key=lambda b: (b.created_at, b.id))]

    # -- asynchronous transitions (the volume manager's time) ---------------------------------
    def set_transition(self, operation: str, *, seconds: float | None = None,
                       polls: int | None = None, manual: bool = False,
                       immediate: bool = False) -> None:
        """How long ``operation``'s transitional status lasts (``"*"``: every operation
        without a setting of its own), one of: ``seconds=S``; ``polls=N`` (the first N
        reads of the record over the API show it, read N+1 the outcome); ``manual=True``
        (until ``advance``); ``immediate=True`` (the default). Work already pending keeps
        its progression. The operations: ``transition_operations()``."""
        progression = transition_rules.Progression.of(
            seconds=seconds, polls=polls, manual=manual, immediate=immediate)
        self.store.transitions.set(operation, progression)

    def transitions(self) -> dict[str, Any]:
        """The progressions set (``{"*": "1polls", ...}``) and the pending work."""
        return {"progressions": self.store.transitions.settings(),
                "pending": self.store.transitions.pending()}

    @staticmethod
    def transition_operations() -> dict[str, dict[str, Any]]:
        """Every asynchronous operation: its record kind, transitional, final and failure
        statuses (as Cinder 29's volume manager leaves them) and user message."""
        return {name: spec.describe()
                for name, spec in sorted(transition_rules.OPERATIONS.items())}

    def advance(self, *, volume_id: str | None = None, snapshot_id: str | None = None,
                operation: str | None = None) -> list[dict[str, Any]]:
        """Finish pending work now (all of it, or one volume's, snapshot's or
        operation's): each record takes its final status (or its failure status).
        Returns the work finished, as ``pending()`` described it."""
        return self.store.transitions.advance(operation=operation, volume_id=volume_id,
                                              snapshot_id=snapshot_id)

    def pending(self, *, volume_id: str | None = None, snapshot_id: str | None = None,
                operation: str | None = None) -> list[dict[str, Any]]:
        """The volume manager's unfinished work, oldest first: each with its ``operation``,
        record id, ``status`` now, ``outcome``, ``progression`` and what is left of it."""
        return self.store.transitions.pending(operation=operation, volume_id=volume_id,
                                              snapshot_id=snapshot_id)

    def lifecycle(self, record_id: str) -> list[str]:
        """The statuses a volume or snapshot went through in its transitions (ends with
        "deleted" once a delete finished)."""
        with self.store.lock:
            return list(self.store.transitions.history.get(record_id, []))

    # -- issue 19 (tempest): the catalog's block-storage endpoint ---------------------------------
    def set_volume_endpoint(self, url: str | None) -> None:
        """Make the fake Keystone's catalog name ``url`` as block storage (``block-storage``
        and ``volumev3``) instead of the fake's own ``/v3/{project_id}``: a real Cinder that
        uses this fake as its Keystone, for instance. Keystone's ``$(project_id)s`` or
        ``%(project_id)s`` in it is the token's project; None restores the fake's own."""
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"{url!r} is not an http(s) URL")
        self.volume_endpoint = url

    # -- generic volume groups (issue 20: groups) ------------------------------------------
    def add_group_type(self, name: str, *, group_specs: dict[str, str] | None = None,
                       is_public: bool = True, description: str | None = None
                       ) -> dict[str, Any]:
        """A group type (what POST /group_types makes), returned as data."""
        try:
            group_type = group_rules.create_group_type(self.store, None, name, group_specs,
                                                       is_public, description)
        except CinderError as exc:
            raise ValueError(exc.message) from None
        return record_to_dict(group_type)

    def add_group(self, *, project_id: str = "demo", group_type: str,
                  volume_types: list[str], name: str | None = None,
                  description: str | None = None, volumes: tuple[str, ...] = ()
                  ) -> dict[str, Any]:
        """A group of ``project_id`` (group type and volume types by name or id, as POST
        /groups takes them), available, with ``volumes`` (ids of the project's volumes of
        those types) added as PUT /groups/{id} adds them. Returns the group as data."""
        owner = Caller(user_id=None, project_id=project_id, roles=frozenset({"admin"}))
        try:
            with self.store.lock:
                group = group_rules.create_group(self.store, owner, group_type,
                                                 list(volume_types), name, description)
                if volumes:
                    group_rules.update_group(self.store, owner, group.id, None, None,
                                             ",".join(volumes), None)
        except CinderError as exc:
            raise ValueError(exc.message) from None
        return self.group(group.id)

    def group_types(self) -> list[dict[str, Any]]:
        """Every group type, oldest first."""
        with self.store.lock:
            return [record_to_dict(t) for t in sorted(self.store.group_types.values(),
                                                      key=lambda t: (t.created_at, t.id))]

    def groups(self, *, project_id: str | None = None) -> list[dict[str, Any]]:
        """Groups (of one project), oldest first."""
        with self.store.lock:
            found = [g for g in self.store.groups.values()
                     if project_id is None or g.project_id == project_id]
            return [record_to_dict(g) for g in sorted(found, key=lambda g: (g.created_at, g.id))]

    def group(self, group_id: str) -> dict[str, Any]:
        """One group; ``RecordNotFound`` (a ``KeyError``) when there is none."""
        return self._one("group", "groups", group_id)

    def group_snapshots(self, *, group_id: str | None = None) -> list[dict[str, Any]]:
        """Group snapshots (of one group), oldest first."""
        with self.store.lock:
            found = [s for s in self.store.group_snapshots.values()
                     if group_id is None or s.group_id == group_id]
            return [record_to_dict(s) for s in sorted(found, key=lambda s: (s.created_at, s.id))]

    # -- issue 20: volume migration and image deactivation ---------------------------------------
    def migrate_volume(self, volume_id: str, host: str) -> dict[str, Any]:
        """os-migrate_volume as an admin of the volume's project, with Cinder's rules
        (core/migration.py): to ``host`` (``host@backend`` or ``host@backend#pool``);
        ``migration_status`` is ``error`` when the scheduler refuses the destination.
        Returns the volume as data."""
        from .core import migration as migration_rules

        return self._as_volume_admin(volume_id, lambda caller: migration_rules.migrate_volume(
            self.store, caller, volume_id, host))

    def deactivate_image(self, image_id: str) -> dict[str, Any]:
        """The fake Glance's deactivate action, as an admin: an active image becomes
        ``deactivated`` (Cinder refuses it as a volume source). Returns the image."""
        return self._change_activation(image_id, "deactivate")

    def reactivate_image(self, image_id: str) -> dict[str, Any]:
        """The fake Glance's reactivate action, as an admin: ``active`` again."""
        return self._change_activation(image_id, "reactivate")

    def _change_activation(self, image_id: str, action: str) -> dict[str, Any]:
        with self.store.lock:
            if image_id not in self.store.images:
                raise RecordNotFound("image", image_id)
            try:
                image_rules.change_activation(self.store, None, image_id, action)
            except image_rules.ImageError as exc:
                raise ValueError(exc.message) from None
            return self.image(image_id)
