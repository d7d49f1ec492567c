"""Injected faults: which calls they hit, when they fire, and what they do.

Pure Python. The API layer asks ``FaultRegistry.fire`` once per operation
(after validation, before the core runs) and then applies the fault it gets:
an HTTP error, added latency, a backend failure, or a dropped connection.
Backend failures change state the way Cinder's volume manager leaves it when
the driver fails mid-call; those functions live here too.
"""

from __future__ import annotations

import copy
import itertools
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from . import attachments as core
from . import messages
from .context import Caller
from .errors import SERVER_ERROR, STATUS_MESSAGES, CinderError
from .models import ERROR_ATTACHING, ERROR_DETACHING, RESERVED, Attachment
from .store import Store
from .transitions import OPERATIONS as ASYNC_OPERATIONS
from .volumes import load_volume

# Operations a backend failure can hit: the ones that make the API call the volume manager.
BACKEND_OPERATIONS = ("attachment_create", "attachment_update", "attachment_delete",
                      "volume_create")
# DriverNotInitialized's message, what require_driver_initialized raises.
DRIVER_NOT_READY = "Volume driver not ready."
# What Cinder answers for a failure of that operation and status.
OPERATION_MESSAGES = {
    # attachments.py create/update: an exception that is no CinderException (an RPC timeout).
    ("attachment_create", 500): "Unable to create attachment for volume.",
    ("attachment_update", 500): "Unable to update the attachment.",
    # A QuotaError, rendered by FaultWrapper as "<class>: <message>" (it is "safe").
    ("volume_create", 413): ("VolumeLimitExceeded: Maximum number of volumes allowed (10) "
                             "exceeded for quota 'volumes'."),
}
MATCH_KEYS = ("project_id", "volume_id", "attachment_id", "snapshot_id")


class DroppedConnection(ConnectionError):
    """Raised to make the server close the connection without answering."""


class FaultError(CinderError):
    """An injected HTTP failure: rendered as Cinder's error body with ``status``."""


def default_message(operation: str, status: int) -> str:
    found = OPERATION_MESSAGES.get((operation, status)) or STATUS_MESSAGES.get(status)
    if found:
        return found
    return SERVER_ERROR if status >= 500 else STATUS_MESSAGES[400]


@dataclass(slots=True)
class Fault:
    """One injected fault. Exactly one effect among status, backend_failure,
    drop_connection and async_failure, or none of them with only latency; latency may
    go with any."""

    id: str
    operation: str
    status: int | None = None
    message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    latency: float = 0.0
    backend_failure: bool = False
    drop_connection: bool = False
    # The API answers as usual and the volume manager's work ends in the operation's
    # failure status (core/transitions.py).
    async_failure: bool = False
    times: int | None = 1  # None: every matching call
    probability: float | None = None
    seed: int | None = None
    project_id: str | None = None
    volume_id: str | None = None
    attachment_id: str | None = None
    snapshot_id: str | None = None
    fired: int = 0
    _random: random.Random | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._check_types()
        effects = [self.status is not None, self.backend_failure, self.drop_connection,
                   self.async_failure]
        if sum(effects) > 1:
            raise ValueError("a fault has one effect: status, backend_failure, "
                             "drop_connection or async_failure (latency may go with any)")
        if sum(effects) == 0 and not self.latency:
            raise ValueError("a fault needs an effect: status, latency, backend_failure, "
                             "drop_connection or async_failure")
        if self.async_failure and self.operation not in ASYNC_OPERATIONS:
            raise ValueError(f"an asynchronous failure can hit "
                             f"{', '.join(sorted(ASYNC_OPERATIONS))}, not {self.operation}")
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError(f"fault status must be 400..599, not {self.status}")
        if self.latency < 0:
            raise ValueError("latency must be >= 0 seconds")
        if self.backend_failure and self.operation not in BACKEND_OPERATIONS:
            raise ValueError(f"a backend failure can hit {', '.join(BACKEND_OPERATIONS)}, "
                             f"not {self.operation}")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be >= 1, or None for always")
        if self.probability is not None:
            if not 0.0 <= self.probability <= 1.0:
                raise ValueError("probability must be within 0..1")
            self._random = random.Random(self.seed or 0)
        if self.status is not None and self.message is None:
            self.message = default_message(self.operation, self.status)

    def _check_types(self) -> None:
        """Options also come as JSON (POST /_fake/faults): refuse wrong types clearly."""
        def wrong(name: str, expected: str) -> ValueError:
            return ValueError(f"{name} must be {expected}, not {getattr(self, name)!r}")

        for name in ("status", "times"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise wrong(name, "an integer")
        for name in ("latency", "probability"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, int | float)):
                raise wrong(name, "a number")
        for name in ("message", *MATCH_KEYS):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), str):
                raise wrong(name, "a string")
        for name in ("backend_failure", "drop_connection", "async_failure"):
            if not isinstance(getattr(self, name), bool):
                raise wrong(name, "true or false")
        if self.seed is not None and not isinstance(self.seed, int):
            raise wrong("seed", "an integer")
        if not isinstance(self.headers, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in self.headers.items()):
            raise wrong("headers", "an object of strings")

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def matches(self, operation: str, context: Mapping[str, str | None]) -> bool:
        if operation != self.operation:
            return False
        return all(getattr(self, key) is None or getattr(self, key) == context.get(key)
                   for key in MATCH_KEYS)

    def error(self) -> FaultError:
        assert self.status is not None and self.message is not None
        return FaultError(self.message, status=self.status, headers=self.headers)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "_random"}


# Keyword arguments ``FaultRegistry.add`` accepts (the JSON keys of POST /_fake/faults).
FAULT_OPTIONS = tuple(f.name for f in fields(Fault)
                      if f.name not in ("id", "operation", "fired", "_random"))


class FaultRegistry:
    """The faults of one fake, in the order they were injected."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}
        self._ids = itertools.count(1)

    def add(self, operation: str, **options: Any) -> Fault:
        unknown = set(options) - set(FAULT_OPTIONS)
        if unknown:
            raise TypeError(f"unknown fault options: {', '.join(sorted(unknown))}")
        with self._lock:
            fault = Fault(id=f"fault-{next(self._ids)}", operation=operation, **options)
            self._faults[fault.id] = fault
            return fault

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            return self._faults.pop(fault_id, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults.values())

    def get(self, fault_id: str) -> Fault | None:
        return self._faults.get(fault_id)

    def __bool__(self) -> bool:
        return bool(self._faults)

    def fire(self, operation: str, context: Mapping[str, str | None],
             backend_applicable: bool = True) -> Fault | None:
        """The first matching fault that fires on this call (counted), or None.

        A backend failure only matches calls that reach the volume manager.
        """
        with self._lock:
            for fault in self._faults.values():
                if fault.exhausted or not fault.matches(operation, context):
                    continue
                if fault.backend_failure and not backend_applicable:
                    continue
                if fault._random is not None and fault._random.random() >= (
                        fault.probability or 0.0):
                    continue
                fault.fired += 1
                return fault
        return None


# -- backend failures: the state Cinder's volume manager leaves behind -----------------------------
def _restore(record: Any, saved: Any) -> None:
    for item in fields(record):
        setattr(record, item.name, getattr(saved, item.name))


def fail_create(store: Store, caller: Caller, volume_id: str, instance_uuid: str | None,
                connector: dict[str, Any], message: str | None) -> tuple[str, FaultError]:
    """attachment_create with a connector whose manager call fails after reserving.

    Cinder reserves (the volume becomes ``reserved``), the manager records the
    connector and ``attaching``, then its driver check fails and it sets
    ``error_attaching``; the API answers 500 and saves nothing more. Returns the
    attachment's id and the 500 to raise.
    """
    with store.lock:
        volume = load_volume(store, caller, volume_id)
        saved = copy.copy(volume)
        reserved = core.create_attachment(store, caller, volume_id, instance_uuid)
        try:
            # The same connector check the core makes, so a bad connector still gets its 400.
            core.build_connection_info(store, volume, reserved.id, connector)
        except CinderError:
            store.remove_attachment(reserved.id)
            _restore(volume, saved)
            raise
        _fail_attaching(store, store.attachments[reserved.id], connector)
    return reserved.id, FaultError(
        message or f"Unable to create attachment for volume ({DRIVER_NOT_READY}).", status=500)


def fail_update(store: Store, caller: Caller, attachment_id: str,
                connector: dict[str, Any], message: str | None) -> FaultError:
    """attachment_update whose manager call fails: the attachment is left in
    ``error_attaching`` with the connector recorded, connection_info unsaved and
    the volume untouched. Cinder's checks (404, 409, bad connector) come first."""
    with store.lock:
        attachment = core.get_attachment(store, caller, attachment_id)
        volume = store.volumes[attachment.volume_id]
        saved_attachment, saved_volume = copy.copy(attachment), copy.copy(volume)
        core.update_attachment(store, caller, attachment_id, connector)
        recorded = attachment.connector
        _restore(attachment, saved_attachment)
        _restore(volume, saved_volume)
        _fail_attaching(store, attachment, recorded or connector)
    return FaultError(message or f"Unable to update attachment ({DRIVER_NOT_READY}).",
                      status=500)


def _fail_attaching(store: Store, attachment: Attachment, connector: dict[str, Any]) -> None:
    attachment.connector = dict(connector)
    attachment.attach_status = ERROR_ATTACHING
    attachment.updated_at = store.clock.now()


def fail_delete(store: Store, caller: Caller, attachment_id: str, protect_in_use: bool,
                message: str | None) -> FaultError:
    """attachment_delete whose manager call fails: the attachment stays, in
    ``error_detaching``; the volume is unchanged. Cinder's FaultWrapper hides the
    driver's exception behind its generic 500 message."""
    with store.lock:
        attachment = core.get_attachment(store, caller, attachment_id)
        core.check_deletion_allowed(store, caller, attachment, protect_in_use)
        attachment.attach_status = ERROR_DETACHING
        attachment.updated_at = store.clock.now()
    return FaultError(message or SERVER_ERROR, status=500)


def reaches_backend(store: Store, operation: str, attachment_id: str | None,
                    connector: dict[str, Any] | None) -> bool:
    """Whether Cinder's API would call the volume manager for this request."""
    if operation == "attachment_create":
        return bool(connector)
    if operation == "attachment_delete":
        # Deleting a reserved attachment never reaches the manager.
        found = store.attachments.get(attachment_id or "")
        return found is not None and found.attach_status != RESERVED
    return operation in ("attachment_update", "volume_create")


def fail_created_volume(store: Store, volume_id: str, request_id: str | None) -> None:
    """A created volume whose volume service finds its driver not ready: the manager's
    flow reschedules it, the scheduler finds no other backend, records its user message
    (``VOLUME_VOLUME_001_003``) and errors the volume out."""
    with store.lock:
        volume = store.volumes.get(volume_id)
        if volume is None:
            return
        store.transitions.cancel_record("volume", volume.id)  # its create ends here
        volume.host = None  # never scheduled
        volume.status = "error"
        volume.updated_at = store.clock.now()
        messages.record(store, volume.project_id, messages.Action.SCHEDULE_ALLOCATE_VOLUME,
                        resource_uuid=volume.id, detail=messages.Detail.NO_BACKEND_AVAILABLE,
                        request_id=request_id)
