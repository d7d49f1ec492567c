"""The request journal: what was called, in order, in a bounded ring buffer.

Pure Python: the API layer appends one ``Entry`` per response; tests read the
entries and assert on them. The assertion helpers raise ``AssertionError`` with
the journal in the message, so a failing test shows what was really called.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from .operations import check_operation

DEFAULT_CAP = 1000
CREATED = "reserved"  # every attachment is born reserved (Cinder's _attachment_reserve)
DELETED = "deleted"
# Response bodies are kept up to this size (a page of a big list can be large); longer
# ones are cut there and then read as text.
RESPONSE_BODY_LIMIT = 64 * 1024
_UNSET: Any = object()


def _decoded(raw: bytes) -> Any:
    """A body as JSON data; text when it is not JSON; None when empty."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


@dataclass(slots=True)
class Entry:
    """One request: what was asked, by whom, at which microversion, and the answer."""

    method: str
    path: str
    operation: str | None = None
    project_id: str | None = None
    microversion: str | None = None
    status: int | None = None  # None: the connection was dropped without a response
    query: str = ""
    raw_body: bytes = b""
    request_id: str | None = None
    fault: str | None = None  # id of the injected fault that fired, if any
    attachment_id: str | None = None
    # The attachment's stored status right after the request ("deleted" once gone).
    attachment_status: str | None = None
    # The response body (at most RESPONSE_BODY_LIMIT bytes of it).
    raw_response: bytes = b""
    seq: int = 0  # its place in the journal: set when journaled (from 1)
    _body: Any = field(default=_UNSET, repr=False)
    _response: Any = field(default=_UNSET, repr=False)

    @property
    def body(self) -> Any:
        """The request body as JSON data (decoded on first use); None when empty."""
        if self._body is _UNSET:
            self._body = _decoded(self.raw_body)
        return self._body

    @property
    def response(self) -> Any:
        """The response body as JSON data (decoded on first use); None when empty."""
        if self._response is _UNSET:
            self._response = _decoded(self.raw_response)
        return self._response

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "operation": self.operation, "method": self.method,
                "path": self.path, "query": self.query, "project_id": self.project_id,
                "microversion": self.microversion, "status": self.status, "body": self.body,
                "request_id": self.request_id, "fault": self.fault,
                "attachment_id": self.attachment_id,
                "attachment_status": self.attachment_status, "response": self.response}

    def matches(self, operation: str | None, filters: dict[str, Any]) -> bool:
        if operation is not None and self.operation != operation:
            return False
        return all(getattr(self, key) == value for key, value in filters.items())


FILTER_KEYS = ("method", "path", "project_id", "microversion", "status", "attachment_id",
               "fault")


class Journal:
    """A thread-safe ring buffer of entries, oldest first; the oldest fall off at ``cap``.

    With ``operations`` (the API's operation names), reading or asserting on any other
    name raises ``ValueError`` listing them: a typo must not pass as "never called".
    """

    def __init__(self, cap: int = DEFAULT_CAP,
                 operations: Collection[str] | None = None) -> None:
        if cap < 1:
            raise ValueError("the journal cap must be at least 1")
        self.known_operations = frozenset(operations) if operations is not None else None
        self._lock = threading.Lock()
        self._entries: deque[Entry] = deque(maxlen=cap)
        self._seq = itertools.count(1)
        # The statuses a volume or snapshot went through in the volume manager's
        # transitions (core/transitions.py), for ids that are no attachment's.
        self.record_lifecycle: Callable[[str], list[str]] | None = None

    @property
    def cap(self) -> int:
        return self._entries.maxlen or 0

    @cap.setter
    def cap(self, value: int) -> None:
        if value < 1:
            raise ValueError("the journal cap must be at least 1")
        with self._lock:
            self._entries = deque(self._entries, maxlen=value)

    def record(self, entry: Entry) -> Entry:
        """Append the entry, numbered next."""
        with self._lock:
            entry.seq = next(self._seq)
            self._entries.append(entry)
            return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    # -- reading --------------------------------------------------------------------------------
    def entries(self, operation: str | None = None, **filters: Any) -> list[Entry]:
        """Entries oldest first, optionally only one operation and matching ``filters``
        (method, path, project_id, microversion, status, attachment_id, fault)."""
        unknown = set(filters) - set(FILTER_KEYS)
        if unknown:
            raise TypeError(f"unknown journal filters: {', '.join(sorted(unknown))}")
        if operation is not None:
            self._check(operation)
        with self._lock:
            snapshot = list(self._entries)
        return [e for e in snapshot if e.matches(operation, filters)]

    def operations(self) -> list[str | None]:
        return [e.operation for e in self.entries()]

    def count(self, operation: str | None = None, **filters: Any) -> int:
        return len(self.entries(operation, **filters))

    def lifecycle(self, record_id: str) -> list[str]:
        """The statuses an attachment went through, as stored after each request on it:
        starts with "reserved" when its create is in the journal, ends with "deleted"
        once deleted; repeats collapsed. Requests that fell off the ring are not seen.
        For a volume or snapshot: the statuses its asynchronous operations moved it
        through (``FakeCinder.lifecycle``)."""
        found = self.lifecycles().get(record_id)
        if found is None and self.record_lifecycle is not None:
            return self.record_lifecycle(record_id)
        return found or []

    def lifecycles(self) -> dict[str, list[str]]:
        """``lifecycle`` of every attachment the journal saw, in one pass."""
        found: dict[str, list[str]] = {}
        for entry in self.entries():
            if entry.attachment_id is None or not entry.attachment_status:
                continue
            statuses = found.setdefault(entry.attachment_id, [])
            observed = [entry.attachment_status]
            if entry.operation == "attachment_create":
                observed.insert(0, CREATED)
            for status in observed:
                if not statuses or statuses[-1] != status:
                    statuses.append(status)
        return found

    def _check(self, operation: str) -> None:
        if self.known_operations is not None:
            check_operation(operation, self.known_operations)

    # -- assertions ------------------------------------------------------------------------------
    def _describe(self) -> str:
        """One line per entry; the microversion and the fault show the usual surprises
        (attachments below 3.27 answer a bare 404; an injected fault fired)."""
        lines = [f"  #{e.seq} {e.operation or '-'} {e.method} {e.path}"
                 f" microversion={e.microversion or '-'} -> {e.status}"
                 + (f" fault={e.fault}" if e.fault else "")
                 for e in self.entries()]
        return "journal:\n" + ("\n".join(lines) if lines else "  (empty)")

    def assert_called(self, operation: str, times: int | None = None,
                      **filters: Any) -> list[Entry]:
        """At least once (or exactly ``times``); returns the matching entries."""
        found = self.entries(operation, **filters)
        if (times is None and not found) or (times is not None and len(found) != times):
            wanted = ("at least once" if times is None else "never" if times == 0
                      else f"exactly {times} time(s)")
            where = f" with {filters}" if filters else ""
            raise AssertionError(f"expected {operation}{where} to be called {wanted}, "
                                 f"called {len(found)} time(s)\n" + self._describe())
        return found

    def assert_not_called(self, operation: str, **filters: Any) -> None:
        self.assert_called(operation, times=0, **filters)

    def assert_order(self, *operations: str) -> None:
        """The operations happened in this order (others may come between them)."""
        for operation in operations:
            self._check(operation)
        remaining = iter(self.operations())
        for position, operation in enumerate(operations):
            if not any(name == operation for name in remaining):
                raise AssertionError(
                    f"expected {' -> '.join(operations)} in that order; "
                    f"{operation} (step {position + 1}) not found after the previous ones\n"
                    + self._describe())

    def assert_lifecycle(self, attachment_id: str, statuses: Iterable[str]) -> None:
        expected = list(statuses)
        actual = self.lifecycle(attachment_id)
        if actual != expected:
            raise AssertionError(f"{attachment_id} went through {actual}, "
                                 f"expected {expected}\n" + self._describe())
