"""HTTP handler of ``GET /volumes/summary`` (3.12; distinct metadata from 3.36)."""

from __future__ import annotations

from typing import Any

from ..core import volume_summary as core
from ..core.listing import TRUE_STRINGS
from . import microversions as mv
from .routing import ApiRequest, Operation, Router

Result = tuple[int, Any]
VOLUME_SUMMARY = mv.APIVersion(3, 12)
VOLUME_SUMMARY_METADATA = mv.APIVersion(3, 36)


def volume_summary(req: ApiRequest) -> Result:
    all_tenants = req.args.get("all_tenants", "false").strip().lower() in TRUE_STRINGS
    found = core.summarize(req.fake.store, req.caller, all_tenants,
                           with_metadata=req.version >= VOLUME_SUMMARY_METADATA)
    view: dict[str, Any] = {"total_count": found.total_count, "total_size": found.total_size}
    if req.version >= VOLUME_SUMMARY_METADATA:
        view["metadata"] = found.metadata
    return 200, {"volume-summary": view}


def register(router: Router) -> None:
    router.add("GET", "volumes/summary", Operation("volume_summary", volume_summary,
                                                   min_version=VOLUME_SUMMARY,
                                                   policies=("volume:get_all",)))
