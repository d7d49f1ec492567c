"""What may differ between two correct servers is replaced by stable placeholders.

- ids: every UUID either server made is replaced by the label the harness gave the object
  (``vol-3``, ``att-12``, ``type-multiattach``); other UUIDs by ``<uuid>``;
- request ids (``req-<uuid>``), timestamps (kept apart by format: with or without
  fractional seconds, ``Z`` or an offset), the base URL and port;
- backend host names (``os-vol-host-attr:host``, ``cluster_name``), the volume service's
  uuid, the CHAP credentials of iSCSI connection info and a volume transfer's auth key
  (random in Cinder; their length is kept).
"""

from __future__ import annotations

import re
from typing import Any

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
REQUEST_ID = re.compile(r"req-" + UUID.pattern)
TIMESTAMP = re.compile(r"\b(20[2-9]\d)-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?")
# The version document's "updated" is a fixed date in Cinder's code: compared as is.
FIXED_DATES = ("2023-08-31T00:00:00Z",)
HOST_KEYS = {"os-vol-host-attr:host", "cluster_name"}
SECRET_KEYS = {"auth_username", "auth_password", "auth_key"}  # auth_key: a transfer's
SERVICE_UUID_KEYS = {"service_uuid"}


class Normaliser:
    """One per server: ``labels`` maps this server's ids to the harness's labels."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.labels: dict[str, str] = {}

    def _timestamp(self, found: re.Match[str]) -> str:
        if found.group(0) in FIXED_DATES:
            return found.group(0)
        shape = ("T" if "T" in found.group(0) else " ") + (".f" if found.group(2) else "")
        return f"<ts{shape}{found.group(3) or ''}>"

    def text(self, value: str) -> str:
        if self.base_url in value:
            value = value.replace(self.base_url, "<base>")
        value = REQUEST_ID.sub("<request-id>", value)
        value = UUID.sub(lambda m: self.labels.get(m.group(0), "<uuid>"), value)
        return TIMESTAMP.sub(self._timestamp, value)

    def value(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {self.text(k): self.value(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if not isinstance(value, str):
            return value
        if key in HOST_KEYS:
            return "<host>"
        if key in SECRET_KEYS:
            return f"<secret:{len(value)}>"
        if key in SERVICE_UUID_KEYS and UUID.fullmatch(value):
            return "<service-uuid>"
        return self.text(value)
