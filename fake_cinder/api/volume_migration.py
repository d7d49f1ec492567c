"""HTTP handler of os-migrate_volume (POST volumes/{id}/action, admins): the rules are
core/migration.py's; from 3.16 the destination is a host or a cluster."""

from __future__ import annotations

from typing import Any

from ..core import migration
from . import microversions as mv
from .routing import ApiRequest, Operation

VOLUME_MIGRATE_CLUSTER = mv.APIVersion(3, 16)


def volume_migrate(req: ApiRequest) -> tuple[int, Any]:
    body = req.body["os-migrate_volume"]
    migration.migrate_volume(req.fake.store, req.caller, req.params["volume_id"],
                             body.get("host"), body.get("cluster"),
                             clusters=req.version >= VOLUME_MIGRATE_CLUSTER)
    return 202, None


def migrate_action() -> dict[str, Operation]:
    """The os-migrate_volume entry of POST volumes/<volume_id>/action."""
    return {"os-migrate_volume": Operation(
        "volume_migrate", volume_migrate, validates_body=True,
        policies=("volume:get", migration.MIGRATE_POLICY))}
