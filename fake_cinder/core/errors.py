"""Domain errors: each carries the HTTP status and the message real Cinder sends.

The API layer renders them as Cinder fault bodies; the core never imports Flask.
"""

from __future__ import annotations


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
        super().__init__(f"Detach volume from instance {instance_id} using the Compute API")


class PolicyNotAuthorized(CinderError):
    """Cinder's answer when a policy rule (most often admin-only) refuses the caller."""

    status = 403

    def __init__(self, action: str) -> None:
        super().__init__(f"Policy doesn't allow {action} to be performed.")
