"""Asynchronous transitions: the volume manager's time, which tests control.

Cinder's API answers at once and its volume manager finishes the work later: a volume
create is ``creating`` before it is ``available`` (or ``error``), an extend
``extending``, a delete ``deleting`` until the volume is gone. Each operation that works
so is declared once, in ``OPERATIONS``: the record it changes, its transitional status,
where it ends, and the failure status Cinder 29's volume manager leaves.

How long the transitional status lasts is the operation's ``Progression`` (``"*"``
sets the default of every operation without one of its own):

- ``immediate``: done before the API answers (the default);
- ``seconds``: a timer ends it;
- ``polls``: the first N reads of the record (a show, or a list the record is in the
  scope of, filtered or not) show the transitional status, read N+1 the outcome;
- ``manual``: it stays until ``advance``.

An asynchronous failure (a fault's ``async_failure``) ends the work in the failure
status instead of the final one, and records Cinder's user message where its manager
records one. Reads through the Python API (``FakeCinder.volume``...) do not count as
polls. Every change happens under the store's one lock.
"""

from __future__ import annotations

import contextvars
import itertools
import math
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .models import Snapshot, Volume

if TYPE_CHECKING:
    from .store import Store

VOLUME, SNAPSHOT = "volume", "snapshot"
# Where an operation ends besides a plain status.
GONE = "gone"  # the record is deleted
ATTACHED_OR_AVAILABLE = "in-use or available"  # in-use when it has attachments
PREVIOUS = "previous status"  # back to the status it had before (previous_status)
DEFAULT = "*"  # set_transition's name for the default of every operation
# Snapshot fields the store indexes or counts: a change of one goes through the store.
_SNAPSHOT_INDEXED = frozenset({"volume_type_id", "size", "project_id", "volume_id", "created_at"})
# Volume metadata that steers the fake backend for one volume and its snapshots (as
# ``fake_cinder:protocol`` picks its protocol; the conformance harness's driver reads the
# same keys): operation names that fail asynchronously ("volume_extend,snapshot_create"),
# and a progression for its operations ("0.5s", "2polls", "manual").
FAIL_METADATA_KEY = "fake_cinder:fail"
TRANSITION_METADATA_KEY = "fake_cinder:transition"

# The API request being served (Cinder's context.request_id, which the manager's user
# messages carry): the request pipeline sets it around each handler.
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "fake_cinder_request_id", default=None)


@dataclass(frozen=True, slots=True)
class AsyncOperation:
    """One operation Cinder's volume manager finishes in the background."""

    name: str  # the route table's operation name
    kind: str  # the record it changes: VOLUME or SNAPSHOT
    transitional: str  # the status while the manager works
    final: str  # a status, GONE, ATTACHED_OR_AVAILABLE or PREVIOUS
    failure: str  # the status a failure leaves (nothing else changes)
    # The user messages Cinder's services record on that failure: names of
    # core/messages.py's Action and Detail, e.g. ("EXTEND_VOLUME", "DRIVER_FAILED_EXTEND").
    messages: tuple[tuple[str, str], ...] = ()
    # A create: the record is never updated (updated_at None) until the manager is done.
    creates: bool = False
    # A variant of another operation (a create from an image): without a progression of
    # its own it takes that operation's.
    variant_of: str | None = None

    def describe(self) -> dict[str, Any]:
        from . import messages  # it imports the store, which imports this module

        return {"kind": self.kind, "transitional": self.transitional, "final": self.final,
                "failure": self.failure,
                "messages": [f"{getattr(messages.Action, action)[1]}:"
                             f"{getattr(messages.Detail, detail)[1]}"
                             for action, detail in self.messages]}


# The one table: every asynchronous operation, as Cinder 29's manager (and flows) leave it.
OPERATIONS: dict[str, AsyncOperation] = {op.name: op for op in (
    # create_volume flow: CreateVolumeFromSpecTask records the driver's failure at each of
    # the scheduler's attempts (scheduler_max_attempts: 3), then the scheduler gives up,
    # records its own message and leaves "error" (and no host).
    AsyncOperation("volume_create", VOLUME, "creating", "available", "error",
                   (("CREATE_VOLUME_FROM_BACKEND", "DRIVER_FAILED_CREATE"),) * 3
                   + (("SCHEDULE_ALLOCATE_VOLUME", "NO_BACKEND_AVAILABLE"),), creates=True),
    # delete_volume: _clear_db(volume, 'error_deleting'); no user message.
    # retype: the scheduler's refusal (no backend for the new type) is no failure: the
    # volume goes back to its previous status with its old type; a failure of the
    # manager's retype likewise (no user message).
    AsyncOperation("volume_retype", VOLUME, "retyping", PREVIOUS, PREVIOUS),
    # A create from an image: the manager's flow is "downloading" while it copies the image.
    AsyncOperation("volume_create_from_image", VOLUME, "downloading", "available", "error",
                   (("CREATE_VOLUME_FROM_BACKEND", "DRIVER_FAILED_CREATE"),) * 3
                   + (("SCHEDULE_ALLOCATE_VOLUME", "NO_BACKEND_AVAILABLE"),), creates=True,
                   variant_of="volume_create"),
    AsyncOperation("volume_delete", VOLUME, "deleting", GONE, "error_deleting"),
    # extend_volume_completion(error=True): error_extending, size unchanged, quota rolled back.
    AsyncOperation("volume_extend", VOLUME, "extending", ATTACHED_OR_AVAILABLE,
                   "error_extending", (("EXTEND_VOLUME", "DRIVER_FAILED_EXTEND"),)),
    # reimage: downloading, then the previous status back; a failure: error (the manager
    # records a message only for an image it may not convert).
    AsyncOperation("volume_reimage", VOLUME, "downloading", PREVIOUS, "error"),
    # copy_volume_to_image: failed or not, the status follows the attachments again
    # (volume_update_status_based_on_attachment); a failure records its message.
    AsyncOperation("volume_upload_image", VOLUME, "uploading", ATTACHED_OR_AVAILABLE,
                   ATTACHED_OR_AVAILABLE,
                   (("COPY_VOLUME_TO_IMAGE", "FAILED_TO_UPLOAD_VOLUME"),)),
    AsyncOperation("snapshot_create", SNAPSHOT, "creating", "available", "error",
                   (("SNAPSHOT_CREATE", "SNAPSHOT_CREATE_ERROR"),), creates=True),
    AsyncOperation("snapshot_delete", SNAPSHOT, "deleting", GONE, "error_deleting",
                   (("SNAPSHOT_DELETE", "SNAPSHOT_DELETE_ERROR"),)),
    AsyncOperation("snapshot_force_delete", SNAPSHOT, "deleting", GONE, "error_deleting",
                   (("SNAPSHOT_DELETE", "SNAPSHOT_DELETE_ERROR"),)),
)}


# -- progressions -------------------------------------------------------------------------------
IMMEDIATE, SECONDS, POLLS, MANUAL = "immediate", "seconds", "polls", "manual"
_TEXT = re.compile(r"^\s*(?:(immediate|manual)|(\d+(?:\.\d+)?)\s*s|(\d+)\s*polls?)\s*$")


@dataclass(frozen=True, slots=True)
class Progression:
    """How long an operation's transitional status lasts."""

    mode: str = IMMEDIATE
    amount: float = 0  # seconds, or polls

    @classmethod
    def parse(cls, text: str) -> Progression:
        """``immediate``, ``manual``, ``2s``/``0.5s`` or ``3polls``/``1poll``."""
        found = _TEXT.match(text) if isinstance(text, str) else None
        if found is None:
            raise ValueError(f"{text!r} is not a progression: use immediate, manual, "
                             "<seconds>s (2s, 0.5s) or <N>polls (3polls)")
        word, seconds, polls = found.groups()
        if word:
            return cls(word)
        if seconds is not None:
            return cls.of(seconds=float(seconds))
        return cls.of(polls=int(polls))

    @classmethod
    def of(cls, *, seconds: float | None = None, polls: int | None = None,
           manual: bool = False, immediate: bool = False) -> Progression:
        """Exactly one of them (what ``set_transition`` takes)."""
        chosen = [name for name, value in (("seconds", seconds), ("polls", polls),
                                           ("manual", manual or None),
                                           ("immediate", immediate or None))
                  if value is not None]
        if len(chosen) != 1:
            raise ValueError("a transition takes exactly one of seconds=, polls=, "
                             "manual=True or immediate=True")
        if seconds is not None:
            if (isinstance(seconds, bool) or not isinstance(seconds, int | float)
                    or not math.isfinite(seconds) or seconds < 0):
                raise ValueError(f"seconds must be a number >= 0, not {seconds!r}")
            return cls(SECONDS, float(seconds)) if seconds > 0 else cls()
        if polls is not None:
            if isinstance(polls, bool) or not isinstance(polls, int) or polls < 0:
                raise ValueError(f"polls must be an integer >= 0, not {polls!r}")
            return cls(POLLS, polls) if polls > 0 else cls()
        if manual is not True and immediate is not True:
            raise ValueError("manual and immediate take True")
        return cls(MANUAL if manual else IMMEDIATE)

    def __str__(self) -> str:
        if self.mode == SECONDS:
            return f"{self.amount:g}s"
        if self.mode == POLLS:
            return f"{int(self.amount)}polls"
        return self.mode


IMMEDIATE_PROGRESSION = Progression()


def check_operation(name: str) -> AsyncOperation | None:
    """The operation (None for ``"*"``); any other name raises, listing them."""
    if name == DEFAULT:
        return None
    found = OPERATIONS.get(name)
    if found is None:
        raise ValueError(f"{name!r} is not an asynchronous operation; they are "
                         f"{DEFAULT} (all) and {', '.join(sorted(OPERATIONS))}")
    return found


def parse_settings(settings: Mapping[str, str | Progression]) -> dict[str, Progression]:
    """``{"volume_create": "2s", "*": "1poll"}`` checked (the command line's, the
    constructor's and the pytest marker's form)."""
    parsed: dict[str, Progression] = {}
    for name, value in settings.items():
        check_operation(name)
        parsed[name] = value if isinstance(value, Progression) else Progression.parse(value)
    return parsed


# -- pending work -------------------------------------------------------------------------------
Record = Volume | Snapshot


@dataclass(slots=True, eq=False)
class Pending:
    """One operation the manager has not finished."""

    id: str
    operation: AsyncOperation
    record: Record
    progression: Progression
    failing: bool = False
    changes: dict[str, Any] = field(default_factory=dict)  # fields set when it succeeds
    failure_changes: dict[str, Any] = field(default_factory=dict)  # set when it fails
    request_id: str | None = None  # the API request that started it
    reads: int = 0
    deadline: float | None = None  # time.monotonic() when a seconds progression ends
    timer: threading.Timer | None = None

    @property
    def outcome(self) -> str:
        """What it ends in: the failure status, or the final one (GONE...)."""
        return self.operation.failure if self.failing else self.operation.final

    def describe(self) -> dict[str, Any]:
        """Plain data: the control API's, ``pending()``'s and the dashboard's."""
        left: dict[str, Any] = {}
        if self.progression.mode == POLLS:
            # Reads that will still show the transitional status.
            left["polls_left"] = max(0, int(self.progression.amount) - self.reads)
        if self.deadline is not None:
            left["seconds_left"] = round(max(0.0, self.deadline - time.monotonic()), 3)
        record = self.record
        return {"id": self.id, "operation": self.operation.name,
                "kind": self.operation.kind, f"{self.operation.kind}_id": record.id,
                "volume_id": record.volume_id if isinstance(record, Snapshot) else record.id,
                "project_id": record.project_id, "status": record.status,
                "outcome": self.outcome, "failing": self.failing,
                "progression": str(self.progression), "reads": self.reads, **left}

    def dump(self) -> dict[str, Any]:
        """The state file's form: enough to start it again after a load."""
        data: dict[str, Any] = {"operation": self.operation.name, "record_id": self.record.id,
                                "progression": str(self.progression), "reads": self.reads,
                                "failing": self.failing, "changes": dict(self.changes)}
        if self.failure_changes:
            data["failure_changes"] = dict(self.failure_changes)
        if self.request_id is not None:
            data["request_id"] = self.request_id
        if self.deadline is not None:
            data["seconds_left"] = round(max(0.0, self.deadline - time.monotonic()), 3)
        return data


class Transitions:
    """The progressions set and the pending work of one store (its ``transitions``)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._progressions: dict[str, Progression] = {}
        self._pending: dict[tuple[str, str], Pending] = {}  # (kind, record id) -> work
        self._ids = itertools.count(1)
        # Statuses each record went through, as its transitions moved it
        # (FakeCinder.lifecycle).
        self.history: dict[str, list[str]] = {}

    # -- progressions -------------------------------------------------------------------------
    def set(self, operation: str, progression: Progression) -> None:
        check_operation(operation)
        with self._store.lock:
            self._progressions[operation] = progression

    def configure(self, settings: Mapping[str, Progression]) -> None:
        """Replace every progression set (an empty mapping: all immediate)."""
        with self._store.lock:
            self._progressions = dict(settings)

    def progression(self, operation: str) -> Progression:
        with self._store.lock:
            found = self._progressions.get(operation)
            variant_of = OPERATIONS[operation].variant_of if operation in OPERATIONS else None
            if found is None and variant_of is not None:
                found = self._progressions.get(variant_of)
            if found is None:
                found = self._progressions.get(DEFAULT, IMMEDIATE_PROGRESSION)
            return found

    def settings(self) -> dict[str, str]:
        """The progressions set, as text (``{"*": "1polls", "volume_delete": "manual"}``)."""
        with self._store.lock:
            return {name: str(value) for name, value in self._progressions.items()}

    # -- starting and finishing -----------------------------------------------------------------
    def begin(self, operation: str, record: Record, *, failing: bool = False,
              changes: Mapping[str, Any] | None = None,
              failure_changes: Mapping[str, Any] | None = None) -> None:
        """The API's part is done: ``record`` takes the operation's transitional status;
        the manager's part (``changes`` and the final status, or ``failure_changes`` and
        the failure status) follows as the operation's progression says. Call under the
        store's lock."""
        spec = OPERATIONS[operation]
        store = self._store
        with store.lock:
            self._drop(spec.kind, record.id)  # a forced delete overtakes a create
            self._set_status(record, spec.transitional)
            if spec.creates:
                record.updated_at = None
            progression, failing = self._steered(spec, record, failing)
            pending = Pending(f"transition-{next(self._ids)}", spec, record, progression,
                              failing, dict(changes or {}), dict(failure_changes or {}),
                              REQUEST_ID.get())
            if pending.progression.mode == IMMEDIATE:
                self._finish(pending)
                return
            self._add(pending, pending.progression.amount
                      if pending.progression.mode == SECONDS else None)

    def _steered(self, spec: AsyncOperation, record: Record,
                 failing: bool) -> tuple[Progression, bool]:
        """The operation's progression and failure, unless the volume's metadata
        (FAIL_METADATA_KEY, TRANSITION_METADATA_KEY) says otherwise."""
        volume = record if isinstance(record, Volume) else self._store.volumes.get(
            record.volume_id)
        metadata = volume.metadata if volume is not None else {}
        failing = failing or spec.name in (
            name.strip() for name in metadata.get(FAIL_METADATA_KEY, "").split(","))
        try:
            return Progression.parse(metadata[TRANSITION_METADATA_KEY]), failing
        except (KeyError, ValueError):  # none, or not a progression: the operation's
            return self.progression(spec.name), failing

    def _add(self, pending: Pending, seconds: float | None) -> None:
        self._pending[(pending.operation.kind, pending.record.id)] = pending
        if seconds is not None:
            pending.deadline = time.monotonic() + seconds
            timer = threading.Timer(seconds, self._expire, (pending,))
            timer.daemon = True
            pending.timer = timer
            timer.start()

    def _expire(self, pending: Pending) -> None:
        with self._store.lock:
            if self._pending.get((pending.operation.kind, pending.record.id)) is pending:
                self._complete(pending)

    def _drop(self, kind: str, record_id: str) -> Pending | None:
        pending = self._pending.pop((kind, record_id), None)
        if pending is not None and pending.timer is not None:
            pending.timer.cancel()
        return pending

    def _complete(self, pending: Pending) -> None:
        self._drop(pending.operation.kind, pending.record.id)
        if self._live(pending.record):
            self._finish(pending)

    def _live(self, record: Record) -> bool:
        """Still the stored record (a reset or load may have replaced it)."""
        table: Mapping[str, Record] = (self._store.volumes if isinstance(record, Volume)
                                       else self._store.snapshots)
        return table.get(record.id) is record

    def _set_status(self, record: Record, status: str) -> None:
        record.status = status
        record.updated_at = self._store.clock.now()
        statuses = self.history.setdefault(record.id, [])
        if not statuses or statuses[-1] != status:
            statuses.append(status)

    def _finish(self, pending: Pending) -> None:
        """The manager's part: the outcome written to the record."""
        spec, record, store = pending.operation, pending.record, self._store
        if pending.failing:
            if spec.final == GONE and isinstance(record, Volume):
                self._remove_snapshots(record)  # a cascade deletes them before the volume
            self._apply(record, pending.failure_changes)
            self._set_status(record, self._resolved(spec.failure, record))
            self._record_messages(pending)
            return
        if spec.final == GONE:
            self.history.setdefault(record.id, []).append("deleted")
            if isinstance(record, Volume):
                self._remove_snapshots(record)
                store.remove_volume(record.id)
            else:
                store.remove_snapshot(record.id)
            return
        self._apply(record, pending.changes)
        self._set_status(record, self._resolved(spec.final, record))

    def _apply(self, record: Record, changes: Mapping[str, Any]) -> None:
        """The fields the manager sets, through the store so that its indexes and usage
        counters follow (an extend's size, a retype's type)."""
        if not changes:
            return
        store = self._store
        if isinstance(record, Volume):
            for name, value in changes.items():
                setattr(record, name, value)  # a stored volume re-indexes itself
        elif set(changes) & _SNAPSHOT_INDEXED:
            store.remove_snapshot(record.id)
            for name, value in changes.items():
                setattr(record, name, value)
            store.add_snapshot(record)
        else:  # a snapshot's progress: nothing the store indexes
            for name, value in changes.items():
                setattr(record, name, value)

    def _resolved(self, outcome: str, record: Record) -> str:
        """The status an outcome (a status, ATTACHED_OR_AVAILABLE, PREVIOUS) means now."""
        if outcome == ATTACHED_OR_AVAILABLE:
            return "in-use" if self._store.volume_attachments(record.id) else "available"
        if outcome == PREVIOUS:
            return getattr(record, "previous_status", None) or "available"
        return outcome

    def _record_messages(self, pending: Pending) -> None:
        """The user messages Cinder's services record on this failure."""
        from . import messages  # it imports the store, which imports this module

        resource_type = (messages.VOLUME if pending.operation.kind == VOLUME
                         else messages.VOLUME_SNAPSHOT)
        for action, detail in pending.operation.messages:
            messages.record(self._store, pending.record.project_id,
                            getattr(messages.Action, action),
                            resource_uuid=pending.record.id, resource_type=resource_type,
                            detail=getattr(messages.Detail, detail),
                            request_id=pending.request_id)

    def pending_changes(self, operation: str) -> list[tuple[Record, dict[str, Any]]]:
        """Each record ``operation`` is working on, with the fields it will set."""
        with self._store.lock:
            return [(p.record, dict(p.changes)) for p in self._pending.values()
                    if p.operation.name == operation]

    def cancel_record(self, kind: str, record_id: str) -> None:
        """Forget one record's pending work (another path finished it)."""
        with self._store.lock:
            self._drop(kind, record_id)

    def _remove_snapshots(self, volume: Volume) -> None:
        for snapshot in self._store.volume_snapshots(volume.id):
            self._drop(SNAPSHOT, snapshot.id)
            self.history.setdefault(snapshot.id, []).append("deleted")
            self._store.remove_snapshot(snapshot.id)

    def pending_operation(self, kind: str, record_id: str) -> str | None:
        """The operation the record is in the middle of, if any."""
        with self._store.lock:
            pending = self._pending.get((kind, record_id))
            return pending.operation.name if pending is not None else None

    # -- reads ----------------------------------------------------------------------------------
    def observe(self, kind: str, record_ids: Iterable[str]) -> None:
        """A read of these records (a show, or the scope of a list): polls count, and
        work whose time is up ends, before the read is served."""
        if not self._pending:
            return
        with self._store.lock:
            now = time.monotonic()
            for record_id in record_ids:
                pending = self._pending.get((kind, record_id))
                if pending is None:
                    continue
                pending.reads += 1
                if ((pending.progression.mode == POLLS
                     and pending.reads > pending.progression.amount)
                        or (pending.deadline is not None and now >= pending.deadline)):
                    self._complete(pending)

    def observe_scope(self, kind: str, project_id: str | None) -> None:
        """A list of one project's records (every project's when None)."""
        if not self._pending:
            return
        with self._store.lock:
            self.observe(kind, [p.record.id for (k, _), p in list(self._pending.items())
                                if k == kind and (project_id is None
                                                  or p.record.project_id == project_id)])

    # -- control --------------------------------------------------------------------------------
    def _matching(self, operation: str | None, volume_id: str | None,
                  snapshot_id: str | None) -> list[Pending]:
        return [p for p in self._pending.values()
                if (operation is None or p.operation.name == operation)
                and (volume_id is None or (p.operation.kind == VOLUME
                                           and p.record.id == volume_id))
                and (snapshot_id is None or (p.operation.kind == SNAPSHOT
                                             and p.record.id == snapshot_id))]

    def advance(self, *, operation: str | None = None, volume_id: str | None = None,
                snapshot_id: str | None = None) -> list[dict[str, Any]]:
        """Finish pending work now: all of it, or one operation's, volume's or
        snapshot's. Returns what was finished (as ``pending()`` described it)."""
        if operation is not None:
            check_operation(operation)
        with self._store.lock:
            done = []
            for pending in self._matching(operation, volume_id, snapshot_id):
                done.append(pending.describe())
                self._complete(pending)
            return done

    def pending(self, *, operation: str | None = None, volume_id: str | None = None,
                snapshot_id: str | None = None) -> list[dict[str, Any]]:
        """The work the manager has not finished, oldest first."""
        with self._store.lock:
            return [p.describe() for p in self._matching(operation, volume_id, snapshot_id)]

    def cancel(self, project_id: str | None = None) -> None:
        """Forget pending work (one project's), leaving its records as they are."""
        with self._store.lock:
            for key, pending in list(self._pending.items()):
                if project_id is None or pending.record.project_id == project_id:
                    self._drop(*key)
            if project_id is None:
                self.history.clear()

    # -- state files ----------------------------------------------------------------------------
    def dump(self) -> list[dict[str, Any]]:
        with self._store.lock:
            return [p.dump() for p in self._pending.values()]

    def load(self, pending: Iterable[Mapping[str, Any]], replace: bool = True) -> None:
        """Start the work of a state file again (after its records are in the store)."""
        with self._store.lock:
            if replace:
                self.cancel()
            for data in pending:
                spec = OPERATIONS[data["operation"]]
                table: Mapping[str, Record] = (self._store.volumes if spec.kind == VOLUME
                                               else self._store.snapshots)
                progression = Progression.parse(data["progression"])
                work = Pending(f"transition-{next(self._ids)}", spec,
                               table[data["record_id"]], progression,
                               bool(data.get("failing", False)),
                               dict(data.get("changes") or {}),
                               dict(data.get("failure_changes") or {}),
                               data.get("request_id"), int(data.get("reads", 0)))
                seconds = (float(data.get("seconds_left", progression.amount))
                           if progression.mode == SECONDS else None)
                self._drop(spec.kind, work.record.id)
                self._add(work, seconds)


def check_state(pending: Iterable[Mapping[str, Any]], volume_ids: set[str],
                snapshot_ids: set[str]) -> tuple[int, str, str] | None:
    """What a schema cannot say of a state's pending work: (index, key, problem)."""
    seen: set[tuple[str, str]] = set()
    for index, data in enumerate(pending):
        spec = OPERATIONS.get(data["operation"])
        if spec is None:
            return index, "operation", f"{data['operation']!r} is not an asynchronous " \
                                       f"operation ({', '.join(sorted(OPERATIONS))})"
        known = volume_ids if spec.kind == VOLUME else snapshot_ids
        if data["record_id"] not in known:
            return index, "record_id", f"unknown {spec.kind} {data['record_id']}"
        if (spec.kind, data["record_id"]) in seen:
            return index, "record_id", f"a second pending operation of {data['record_id']}"
        seen.add((spec.kind, data["record_id"]))
        try:
            Progression.parse(data["progression"])
        except ValueError as exc:
            return index, "progression", str(exc)
        for key in ("changes", "failure_changes"):
            unknown = set(data.get(key) or {}) - set(
                (Volume if spec.kind == VOLUME else Snapshot).__slots__)
            if unknown:
                return index, key, f"unknown fields {', '.join(sorted(unknown))}"
    return None
