"""HTTP handlers of ``GET /extensions`` and ``GET /extensions/{alias}``."""

from __future__ import annotations

from typing import Any

from ..core import extensions as core
from .routing import ApiRequest, Operation, Router

Result = tuple[int, Any]


def extension_list(req: ApiRequest) -> Result:
    return 200, {"extensions": core.list_extensions()}


def extension_show(req: ApiRequest) -> Result:
    return 200, {"extension": core.get_extension(req.params["alias"])}


def register(router: Router) -> None:
    # Cinder's extension documents have no policy.
    router.add("GET", "extensions", Operation("extension_list", extension_list, policies=()))
    router.add("GET", "extensions/<alias>",
               Operation("extension_show", extension_show, policies=()))
