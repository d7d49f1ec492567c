"""Keystone's documents: tokens with their service catalog, projects, and the admin
API's domains, users, roles and role assignments."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from ..core.directory import Directory, Domain, Project, Role, Token, User, stable_id
from ..core.identity_admin import Assignment

KEYSTONE_TIMESTAMP = "%Y-%m-%dT%H:%M:%S.%fZ"
REGION = "RegionOne"


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
VOLUME_SERVICE_TYPES = ("block-storage", "volumev3")
# Keystone's substitutions in an endpoint URL (its templated and SQL catalogs).
_PROJECT_ID_SUBSTITUTIONS = ("$(project_id)s", "%(project_id)s", "$(tenant_id)s",
                             "%(tenant_id)s")


def endpoint_url(template: str, project_id: str) -> str:
    """An endpoint URL as Keystone fills one in for a project-scoped token."""
    for substitution in _PROJECT_ID_SUBSTITUTIONS:
        template = template.replace(substitution, project_id)
    return template


def service_catalog(base_url: str, project_id: str, volume_endpoint: str | None = None
                    ) -> list[dict[str, Any]]:
    """The catalog; ``volume_endpoint`` names another Cinder (e.g. a real one) in place of
    the fake's own /v3 for both block-storage types."""
    catalog = []
    for service_type, name, path in CATALOG_SERVICES:
        if volume_endpoint is not None and service_type in VOLUME_SERVICE_TYPES:
            url = endpoint_url(volume_endpoint, project_id)
        else:
            url = base_url + path.format(project_id=project_id)
        catalog.append({
            "id": stable_id("service", service_type), "type": service_type, "name": name,
            "endpoints": [{"id": stable_id("endpoint", f"{service_type}:{interface}"),
                           "interface": interface, "region": REGION, "region_id": REGION,
                           "url": url} for interface in INTERFACES],
        })
    return catalog


def token_body(directory: Directory, token: Token, base_url: str,
               volume_endpoint: str | None = None) -> dict[str, Any]:
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
        body["roles"] = [{"id": directory.role_id(r), "name": r} for r in token.roles]
        body["catalog"] = service_catalog(base_url, token.project.id, volume_endpoint)
    return {"token": body}


def project_view(directory: Directory, project: Project, brief: bool = False) -> dict[str, Any]:
    domain = directory.domains[project.domain_id]
    if brief:
        return {"id": project.id, "name": project.name,
                "domain": {"id": domain.id, "name": domain.name}}
    return {"id": project.id, "name": project.name, "domain_id": domain.id,
            "description": project.description, "enabled": project.enabled, "is_domain": False,
            "parent_id": domain.id, "tags": [], "options": {}}


# -- the admin API's documents (api/keystone_admin.py) ---------------------------------------------
def _self_link(base_url: str, path: str) -> dict[str, str]:
    return {"self": f"{base_url}/identity/v3/{path}"}


def domain_view(domain: Domain, base_url: str) -> dict[str, Any]:
    return {"id": domain.id, "name": domain.name, "description": domain.description,
            "enabled": domain.enabled, "tags": [], "options": {},
            "links": _self_link(base_url, f"domains/{domain.id}")}


def user_view(user: User, base_url: str) -> dict[str, Any]:
    """Keystone's user: optional attributes only when set, never the password."""
    body: dict[str, Any] = {"id": user.id, "name": user.name, "domain_id": user.domain_id,
                            "enabled": user.enabled, "password_expires_at": None,
                            "options": {}, "links": _self_link(base_url, f"users/{user.id}")}
    for key in ("default_project_id", "email", "description"):
        if getattr(user, key) is not None:
            body[key] = getattr(user, key)
    return body


def role_view(role: Role, base_url: str) -> dict[str, Any]:
    body: dict[str, Any] = {"id": role.id, "name": role.name, "domain_id": None,
                            "options": {}, "links": _self_link(base_url, f"roles/{role.id}")}
    if role.description is not None:
        body["description"] = role.description
    return body


def assignment_view(directory: Directory, assignment: Assignment, base_url: str,
                    include_names: bool) -> dict[str, Any]:
    role: dict[str, Any] = {"id": assignment.role.id}
    user: dict[str, Any] = {"id": assignment.user.id}
    project: dict[str, Any] = {"id": assignment.project.id}
    if include_names:
        role["name"] = assignment.role.name
        for ref, record in ((user, assignment.user), (project, assignment.project)):
            domain = directory.domains[record.domain_id]
            ref.update(name=record.name, domain={"id": domain.id, "name": domain.name})
    path = (f"projects/{assignment.project.id}/users/{assignment.user.id}/roles/"
            f"{assignment.role.id}")
    return {"role": role, "user": user, "scope": {"project": project},
            "links": {"assignment": f"{base_url}/identity/v3/{path}"}}
