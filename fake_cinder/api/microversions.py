"""OpenStack-API-Version negotiation, as Cinder's wsgi layer does it."""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

HEADER = "OpenStack-API-Version"
ENVIRON_KEY = "HTTP_OPENSTACK_API_VERSION"  # the header in a WSGI environ
SERVICE = "volume"
_VERSION_RE = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)$")


# A tuple: every request compares and hashes versions (its gates, the negotiation and
# schema caches), and a tuple's comparisons and hash run in C.
class APIVersion(NamedTuple):
    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> APIVersion:
        match = _VERSION_RE.match(text)
        if match is None:
            raise InvalidVersionString(text)
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


MIN_VERSION = APIVersion(3, 0)
MAX_VERSION = APIVersion(3, 71)
# The gates of the attachments API.
NEW_ATTACH = APIVersion(3, 27)
STRICT_FILTERS = APIVersion(3, 31)
ATTACH_COMPLETION = APIVersion(3, 44)
ATTACH_MODE = APIVersion(3, 54)


class VersionError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidVersionString(VersionError):
    def __init__(self, text: str | None) -> None:
        super().__init__(f"API Version String {text} is of invalid format. "
                         "Must be of format MajorNum.MinorNum.")


class NoVolumeVersion(VersionError):
    """The header names no volume service: Cinder answers webob's generic 400."""

    def __init__(self) -> None:
        super().__init__("The server could not comply with the request since it is either "
                         "malformed or otherwise incorrect.")


class UnsupportedVersion(VersionError):
    status = 406

    def __init__(self, requested: APIVersion, maximum: APIVersion) -> None:
        super().__init__(f"Version {requested} is not supported by the API. "
                         f"Minimum is {MIN_VERSION} and maximum is {maximum}.")
        self.requested = requested


# Clients send the same few headers over and over: parse each once (errors are not cached).
@functools.lru_cache(maxsize=512)
def negotiate(header: str | None, maximum: APIVersion = MAX_VERSION) -> APIVersion:
    """The version a request asks for; raises VersionError subclasses like Cinder."""
    if header is None:
        return MIN_VERSION
    requested = None
    for part in header.split(","):
        # Cinder looks for the service name anywhere in each comma-separated part.
        if SERVICE in part:
            words = part.split()
            if len(words) != 2:
                raise InvalidVersionString(part.strip())
            requested = words[1]
            break
    if not requested:
        raise NoVolumeVersion()
    if requested == "latest":
        return maximum
    version = APIVersion.parse(requested)
    if not MIN_VERSION <= version <= maximum:
        raise UnsupportedVersion(version, maximum)
    return version


@functools.lru_cache(maxsize=128)
def header_value(version: APIVersion) -> str:
    return f"{SERVICE} {version}"
