"""Injected faults at the one point of every API operation where they fire.

``dispatch`` calls ``fire`` after Cinder's validation and before the handler: it
works out what the call is about (the caller's project, and the volume, attachment
and snapshot its operation declares in ``Operation.fault_targets``), asks the fake's
``FaultRegistry`` for a fault that matches, and applies it: latency (without the
store's lock), a dropped connection, an HTTP error, or a backend failure that leaves
state behind as Cinder's volume manager does (``core.fault_injection``), or an
asynchronous failure, which the handler's transition ends in (``core.transitions``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core import fault_injection as fault_rules
from ..core import messages
from ..core.context import Caller

if TYPE_CHECKING:
    from ..fake import FakeCinder
    from .request_record import RequestRecord

# The records a URL can name, as the fault option that matches each.
URL_TARGETS = ("volume_id", "attachment_id", "snapshot_id")


@dataclass(frozen=True, slots=True)
class FaultTargets:
    """What a fault injected on one operation can be aimed at, besides the caller's
    project (always): the records its URL names (``url``), and the volume, which also
    comes from the URL's attachment or snapshot, or from the request body
    (``body_volume``: the object and key naming it)."""

    url: tuple[str, ...] = ()
    body_volume: tuple[str, str] | None = None

    @classmethod
    def of_rule(cls, rule: str) -> FaultTargets:
        """The targets a URL rule names (``volumes/<volume_id>/action``: the volume)."""
        return cls(tuple(key for key in URL_TARGETS if f"<{key}>" in rule))

    @property
    def options(self) -> tuple[str, ...]:
        """The fault options that can match a call (``project_id``, ``volume_id``...)."""
        volume = self.body_volume is not None or bool(self.url)
        return ("project_id", *(["volume_id"] if volume else []),
                *(key for key in self.url if key != "volume_id"))

    def of_call(self, fake: FakeCinder, caller: Caller, params: Mapping[str, str],
                body: Any) -> dict[str, str | None]:
        """This call's project and records, as the fault options name them."""
        found: dict[str, str | None] = {"project_id": caller.project_id}
        for key in self.url:
            found[key] = params.get(key)
        volume_id = found.get("volume_id")
        if volume_id is None and self.body_volume is not None:
            section = body.get(self.body_volume[0]) if isinstance(body, dict) else None
            named = section.get(self.body_volume[1]) if isinstance(section, dict) else None
            volume_id = named if isinstance(named, str) else None
        store = fake.store
        if volume_id is None and found.get("attachment_id") is not None:
            attachment = store.attachments.get(found["attachment_id"] or "")
            volume_id = attachment.volume_id if attachment is not None else None
        if volume_id is None and found.get("snapshot_id") is not None:
            snapshot = store.snapshots.get(found["snapshot_id"] or "")
            volume_id = snapshot.volume_id if snapshot is not None else None
        found["volume_id"] = volume_id
        return found


def check_targets(operation: str, targets: FaultTargets, options: Mapping[str, Any]) -> None:
    """A fault aimed at something its operation's calls are never about could never
    fire: refuse it, saying what the operation can be aimed at."""
    aimed = [key for key in fault_rules.MATCH_KEYS if options.get(key) is not None]
    wrong = [key for key in aimed if key not in targets.options]
    if wrong:
        raise ValueError(f"{operation} cannot be aimed at {', '.join(wrong)}; "
                         f"its calls have {', '.join(targets.options)}")


def _connector(body: Any) -> dict[str, Any]:
    section = body.get("attachment") if isinstance(body, dict) else None
    connector = section.get("connector") if isinstance(section, dict) else None
    return connector if isinstance(connector, dict) else {}


# -- backend failures: each operation that reaches the volume manager, and how it fails ----------
@dataclass(frozen=True, slots=True)
class BackendCall:
    """An operation's call of the volume manager, failing as its driver does."""

    params: Mapping[str, str]
    body: Any
    caller: Caller
    fault: fault_rules.Fault


def _driver_not_ready_message(fake: FakeCinder, call: BackendCall, attachment_id: str,
                              record: RequestRecord) -> None:
    """The user message Cinder's volume manager records when its attachment_update finds
    the driver not ready (an attachment_create with a connector goes through it too)."""
    messages.record(fake.store, call.caller.project_id, messages.Action.UPDATE_ATTACHMENT,
                    resource_uuid=fake.store.attachments[attachment_id].volume_id,
                    detail=messages.Detail.DRIVER_NOT_INITIALIZED,
                    request_id=record.request_id)


def _fail_create(fake: FakeCinder, call: BackendCall, record: RequestRecord
                 ) -> fault_rules.FaultError:
    attachment = call.body["attachment"]
    created, error = fault_rules.fail_create(
        fake.store, call.caller, attachment["volume_uuid"], attachment.get("instance_uuid"),
        _connector(call.body), call.fault.message)
    record.created_attachment_id = created
    _driver_not_ready_message(fake, call, created, record)
    return error


def _fail_update(fake: FakeCinder, call: BackendCall, record: RequestRecord
                 ) -> fault_rules.FaultError:
    error = fault_rules.fail_update(fake.store, call.caller, call.params["attachment_id"],
                                    _connector(call.body), call.fault.message)
    _driver_not_ready_message(fake, call, call.params["attachment_id"], record)
    return error


def _fail_delete(fake: FakeCinder, call: BackendCall, record: RequestRecord
                 ) -> fault_rules.FaultError:
    return fault_rules.fail_delete(fake.store, call.caller, call.params["attachment_id"],
                                   fake.protect_in_use_attachments, call.fault.message)


def _fail_volume_create(fake: FakeCinder, call: BackendCall, record: RequestRecord) -> None:
    """Cinder accepts the create; its volume service fails afterwards (``after_handler``)."""
    record.backend_fails_create = True


def after_handler(fake: FakeCinder, record: RequestRecord) -> None:
    """What a backend failure does once the operation's handler has answered: a created
    volume whose driver is not ready is rescheduled, finds no other backend and is
    errored out by the scheduler, with its user message."""
    if not record.backend_fails_create:
        return
    payload = record.payload
    volume = payload.get("volume") if isinstance(payload, dict) else None
    if isinstance(volume, dict):
        fault_rules.fail_created_volume(fake.store, volume["id"], record.request_id)


BackendFailure = Callable[["FakeCinder", BackendCall, "RequestRecord"],
                          fault_rules.FaultError | None]
BACKEND_FAILURES: dict[str, BackendFailure] = {
    "attachment_create": _fail_create,
    "attachment_update": _fail_update,
    "attachment_delete": _fail_delete,
    "volume_create": _fail_volume_create,
}
assert set(BACKEND_FAILURES) == set(fault_rules.BACKEND_OPERATIONS)


def fire(fake: FakeCinder, operation: str, targets: FaultTargets, caller: Caller,
         params: Mapping[str, str], body: Any, record: RequestRecord) -> None:
    """Apply the fault that fires on this call, if any (the record learns its id)."""
    found = targets.of_call(fake, caller, params, body)
    reaches_backend = fault_rules.reaches_backend(
        fake.store, operation, params.get("attachment_id"), _connector(body))
    fault = fake.faults.fire(operation, found, reaches_backend)
    if fault is None:
        return
    record.fault_id = fault.id
    if fault.latency:
        time.sleep(fault.latency)
    if fault.drop_connection:
        raise fault_rules.DroppedConnection(f"{fault.id} dropped the connection")
    if fault.status is not None:
        raise fault.error()
    if fault.backend_failure:
        error = BACKEND_FAILURES[operation](fake, BackendCall(params, body, caller, fault),
                                            record)
        if error is not None:
            raise error
    if fault.async_failure:
        record.async_failure = True  # the handler's transition ends in its failure status
