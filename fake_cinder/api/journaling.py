"""The end of every request: the fake's response hooks, then its journal entry.

Called once per response, whichever way the request was served (the fake's own
pipeline or, for a user's Flask route, Flask's), with the request's record.
Requests under /_fake/ are not journaled.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from ..core.errors import SERVER_ERROR
from ..core.journal import DELETED, RESPONSE_BODY_LIMIT, Entry
from . import control
from .error_bodies import rewrite_as_cinder_error
from .routing import MAX_REQUEST_BODY_SIZE, body_absent

if TYPE_CHECKING:
    from ..fake import FakeCinder, ResponseHook
    from .request_record import RequestRecord

_LOG = logging.getLogger("fake_cinder")


def after_response(fake: FakeCinder, request: Request, response: Response,
                   record: RequestRecord) -> None:
    """The response hooks see the response first; then it is journaled."""
    for hook in fake.response_hooks:
        _run_response_hook(fake, hook, request, response, record)
    if getattr(response, "dropped", False):
        journal(fake, request, record, None, b"")
    else:
        journal(fake, request, record, response.status_code, _response_body(response))


def journal(fake: FakeCinder, request: Request, record: RequestRecord, status: int | None,
            raw_response: bytes) -> None:
    """The request's journal entry: ``status`` None when the connection was dropped."""
    path = request.path
    if path.startswith(control.PREFIX + "/"):
        return
    operation = record.operation
    attachment_id, attachment_status = None, None
    if operation is not None and operation.startswith("attachment_"):  # the API's names
        attachment_id, attachment_status = _attachment_after(fake, record, status)
    caller = record.caller
    version = record.api_version
    fake.journal.record(Entry(
        method=request.method, path=path, query=request.query_string.decode("latin-1"),
        operation=operation,
        project_id=caller.project_id if caller is not None else None,
        microversion=str(version) if version is not None else None,
        status=status,
        raw_body=_request_body(request, record),
        request_id=record.request_id, fault=record.fault_id,
        attachment_id=attachment_id, attachment_status=attachment_status,
        raw_response=raw_response[:RESPONSE_BODY_LIMIT]))


def _run_response_hook(fake: FakeCinder, hook: ResponseHook, request: Request,
                       response: Response, record: RequestRecord) -> None:
    """A hook that raises is a bug like any in the fake: recorded (so the test fails at
    teardown) and answered with Cinder's 500; later hooks see that answer."""
    try:
        hook(request, response, record)
    except Exception as error:  # noqa: BLE001  (any error of a user's hook)
        _LOG.exception("response hook %r failed on %s %s", hook, request.method,
                       request.path)
        fake.record_exception(error)
        if not getattr(response, "dropped", False):  # a dropped one still sends nothing
            rewrite_as_cinder_error(response, 500, SERVER_ERROR)


def _attachment_after(fake: FakeCinder, record: RequestRecord,
                      status: int | None) -> tuple[str | None, str | None]:
    """The attachment a request was about and its stored status afterwards."""
    operation = record.operation
    attachment_id = record.params.get("attachment_id")
    if operation == "attachment_create":
        attachment_id = record.created_attachment_id
        if attachment_id is None and status == 200:
            attachment_id = _created_id(record.payload)
    if attachment_id is None:
        return None, None
    stored = fake.store.attachments.get(attachment_id)
    if stored is not None:
        return attachment_id, stored.attach_status
    if operation == "attachment_delete" and status == 200:
        return attachment_id, DELETED
    return attachment_id, None


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
        return body[0]
    if response.is_streamed:
        return b""
    return response.get_data()


def _request_body(request: Request, record: RequestRecord) -> bytes:
    """The body to journal: the one dispatch read, else read now; an over-size one
    (answered 413 unread) is not read now either."""
    if record.body is not None:
        return record.body
    if (request.content_length or 0) > MAX_REQUEST_BODY_SIZE or body_absent(request):
        return b""
    try:
        return request.get_data(cache=True)
    except HTTPException:  # a chunked body over the limit, or the client went away
        return b""
