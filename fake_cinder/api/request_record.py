"""The request's record: what the HTTP layer learns of one request as it serves it.

The pipeline fills it in step by step (request id, caller, microversion, operation,
the injected fault that fired...); Cinder's response headers and the journal entry
are made from it, and ``FakeCinder.response_hooks`` get it with each response.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..core.context import Caller
    from ..fake import FakeCinder
    from .microversions import APIVersion
    from .routing import WebRoute


@dataclass(slots=True)
class RequestRecord:
    """One request as the fake understood it.

    Hooks written for the earlier dict record still work: ``record["operation"]``,
    ``record.get("api_version")`` and ``record["operation"] = ...`` read and write the
    fields of the same names (any other key is a ``KeyError``)."""

    fake: FakeCinder
    request_id: str
    caller: Caller | None = None  # /v3 requests only: who keystonemiddleware says it is
    api_version: APIVersion | None = None  # None: no version headers in the response
    operation: str | None = None  # the route table's name, a user route's, or None
    params: dict[str, str] = field(default_factory=dict)  # the URL's parameters
    payload: Any = None  # what the operation's handler answered
    body: bytes | None = None  # the request's body, once a /v3 operation's dispatch read it
    route: WebRoute | None = None  # a route outside /v3
    fault_id: str | None = None  # the injected fault that fired
    # The attachment an attachment_create left behind when its backend failed.
    created_attachment_id: str | None = None
    # An injected async_failure fired: the operation's transition ends in failure.
    async_failure: bool = False
    # A volume_create whose backend is to fail once Cinder has answered it (202).
    backend_fails_create: bool = False

    def __getitem__(self, key: str) -> Any:
        if key not in _FIELDS:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in _FIELDS:
            raise KeyError(key)
        setattr(self, key, value)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in _FIELDS else default


_FIELDS = frozenset(f.name for f in fields(RequestRecord))
