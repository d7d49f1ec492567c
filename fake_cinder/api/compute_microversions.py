"""Nova's microversions for the fake's /compute routes that have them.

Nova reads ``OpenStack-API-Version: compute X.Y`` or the older
``X-OpenStack-Nova-API-Version: X.Y`` (``latest`` is the maximum; none is 2.1) and
answers with both headers; a malformed version is its 400, one out of range its 406.
"""

from __future__ import annotations

from werkzeug.datastructures import Headers

from ..core.errors import CinderError
from .microversions import APIVersion, VersionError

MIN_VERSION = APIVersion(2, 1)
MAX_VERSION = APIVersion(2, 104)  # Nova 34.0.0's _MAX_API_VERSION
HEADER = "OpenStack-API-Version"
LEGACY_HEADER = "X-OpenStack-Nova-API-Version"
SERVICE = "compute"


def _requested(headers: Headers) -> str | None:
    for part in (headers.get(HEADER) or "").split(","):
        words = part.strip().split()
        if len(words) == 2 and words[0].lower() == SERVICE:
            return words[1]
    return headers.get(LEGACY_HEADER)


def negotiate(headers: Headers) -> APIVersion:
    """The compute microversion a request asks for, with Nova's 400 and 406."""
    text = _requested(headers)
    if text is None:
        return MIN_VERSION
    if text.lower() == "latest":
        return MAX_VERSION
    try:
        version = APIVersion.parse(text)
    except VersionError:
        raise CinderError(f"API Version String {text} is of invalid format. Must be of "
                          "format MajorNum.MinorNum.", 400) from None
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise CinderError(f"Version {version} is not supported by the API. Minimum is "
                          f"{MIN_VERSION} and maximum is {MAX_VERSION}.", 406)
    return version


def add_headers(headers: Headers, version: APIVersion) -> None:
    headers[HEADER] = f"{SERVICE} {version}"
    headers[LEGACY_HEADER] = str(version)
    headers["Vary"] = f"{HEADER}, {LEGACY_HEADER}"
