"""Keystone's documents: tokens with their service catalog, projects."""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Any

from ..core.identity import Directory, Domain, Project, Token

KEYSTONE_TIMESTAMP = "%Y-%m-%dT%H:%M:%S.%fZ"
REGION = "RegionOne"
_NAMESPACE = uuid.UUID("6f1bd3a2-0c55-4a47-9a1e-2d6f1c7e5b90")  # derives stable ids from names


def stable_id(kind: str, name: str) -> str:
    """A Keystone-style hex id that stays the same for one name (roles, services)."""
    return uuid.uuid5(_NAMESPACE, f"{kind}:{name}").hex


def keystone_time(moment: _dt.datetime) -> str:
    return moment.strftime(KEYSTONE_TIMESTAMP)


# (type, name, path under the base URL); "{project_id}" is filled in per token.
CATALOG_SERVICES: tuple[tuple[str, str, str], ...] = (
    ("block-storage", "cinder", "/v3/{project_id}"),
    # python-cinderclient asks for "volumev3"; os-service-types matches it to
    # block-storage, but devstack registers both and so does the fake.
    ("volumev3", "cinderv3", "/v3/{project_id}"),
    ("identity", "keystone", "/identity"),
    ("compute", "nova", "/compute/v2.1"),
    ("image", "glance", "/image"),
)
INTERFACES = ("public", "internal", "admin")


def service_catalog(base_url: str, project_id: str) -> list[dict[str, Any]]:
    catalog = []
    for service_type, name, path in CATALOG_SERVICES:
        url = base_url + path.format(project_id=project_id)
        catalog.append({
            "id": stable_id("service", service_type), "type": service_type, "name": name,
            "endpoints": [{"id": stable_id("endpoint", f"{service_type}:{interface}"),
                           "interface": interface, "region": REGION, "region_id": REGION,
                           "url": url} for interface in INTERFACES],
        })
    return catalog


def token_body(directory: Directory, token: Token, base_url: str) -> dict[str, Any]:
    """Keystone's token document, with the catalog when the token has a project."""
    user_domain = directory.domains.get(token.user.domain_id,
                                        Domain(token.user.domain_id, token.user.domain_id))
    body: dict[str, Any] = {
        "methods": list(token.methods),
        "user": {"id": token.user.id, "name": token.user.name,
                 "domain": {"id": user_domain.id, "name": user_domain.name},
                 "password_expires_at": None},
        "audit_ids": [token.audit_id],
        "expires_at": keystone_time(token.expires_at),
        "issued_at": keystone_time(token.issued_at),
    }
    if token.project is not None:
        body["project"] = project_view(directory, token.project, brief=True)
        body["is_domain"] = False
        body["roles"] = [{"id": stable_id("role", r), "name": r} for r in token.roles]
        body["catalog"] = service_catalog(base_url, token.project.id)
    return {"token": body}


def project_view(directory: Directory, project: Project, brief: bool = False) -> dict[str, Any]:
    domain = directory.domains[project.domain_id]
    if brief:
        return {"id": project.id, "name": project.name,
                "domain": {"id": domain.id, "name": domain.name}}
    return {"id": project.id, "name": project.name, "domain_id": domain.id,
            "description": project.description, "enabled": True, "is_domain": False,
            "parent_id": domain.id, "tags": [], "options": {}}
