"""Domain errors: each carries the HTTP status and the message real Cinder sends.

The API layer renders them as Cinder error bodies; the core never imports Flask.
"""

from __future__ import annotations

SERVER_ERROR = ("The server has either erred or is incapable of performing the requested "
                "operation.")
# WebOb's explanations: Cinder's error body carries them when its API raises webob.exc errors.
STATUS_MESSAGES = {
    400: ("The server could not comply with the request since it is either malformed or "
          "otherwise incorrect."),
    403: "Access was denied to this resource.",
    404: "The resource could not be found.",
    409: "There was a conflict when trying to complete your request.",
    413: "The body of your request was too large for this server.",
    429: "The client has sent too many requests in a given amount of time.",
    500: SERVER_ERROR,
    502: "Bad gateway.",
    503: "The server is currently unavailable. Please try again at a later time.",
    504: "The gateway has timed out.",
}


class CinderError(Exception):
    """A failure Cinder reports to the caller with a status and a message."""

    status: int = 400

    def __init__(self, message: str, status: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.headers = dict(headers or {})


class BadRequest(CinderError):
    status = 400


class NotFound(CinderError):
    status = 404


class Conflict(CinderError):
    status = 409


class InvalidVolume(BadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid volume: {reason}")


class InvalidInput(BadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid input received: {reason}")


class ResourceConflict(Conflict):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Resource conflict: {reason}")


class VolumeNotFound(NotFound):
    def __init__(self, volume_id: str) -> None:
        super().__init__(f"Volume {volume_id} could not be found.")


class VolumeTypeNotFound(NotFound):
    def __init__(self, type_id: str) -> None:
        super().__init__(f"Volume type {type_id} could not be found.")


class AttachmentNotFound(NotFound):
    def __init__(self, attachment_id: str) -> None:
        super().__init__(
            "Volume attachment could not be found with filter: "
            f"attachment_id = {attachment_id}.")


class NovaUsingAttachment(Conflict):
    """Cinder's fix for bug 2004555: only Nova (with a service token) may delete."""

    def __init__(self, instance_id: str) -> None:
        # The exception escapes Cinder's API resource, so its fault middleware prefixes
        # the exception's class name.
        super().__init__("ConflictNovaUsingAttachment: Detach volume from instance "
                         f"{instance_id} using the Compute API")


class PolicyNotAuthorized(CinderError):
    """Cinder's answer when a policy rule refuses the caller (raised by
    ``policy.authorize`` only: the policy table names every policy)."""

    status = 403

    def __init__(self, action: str) -> None:
        super().__init__(f"Policy doesn't allow {action} to be performed.")


class RecordNotFound(KeyError):
    """The Python API (``fake.volume(id)``, ``fake.attachment(id)``) has no such record.

    A ``KeyError`` (what these lookups raised before), whose message names the kind of
    record and the id; ``kind`` and ``id`` are attributes too. Not an HTTP error: the
    API answers a missing record with Cinder's 404 (``NotFound`` above).
    """

    def __init__(self, kind: str, record_id: object) -> None:
        super().__init__(kind, record_id)
        self.kind = kind
        self.id = record_id

    def __str__(self) -> str:  # KeyError's would show the repr of the args tuple
        return f"the fake has no {self.kind} {self.id!r}"

