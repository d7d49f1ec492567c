"""The caller of a request, from keystonemiddleware-style headers or a token."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..core.context import Caller

# Resolves an X-Auth-Token to a Caller (the fake Keystone's tokens); None if unknown.
TokenResolver = Callable[[str], Caller | None]


def _split_roles(value: str | None) -> frozenset[str]:
    return frozenset(r.strip().lower() for r in (value or "").split(",") if r.strip())


def _service_roles(headers: Mapping[str, str],
                   resolve_token: TokenResolver | None) -> frozenset[str]:
    """X-Service-Roles, plus the roles of an X-Service-Token the fake Keystone issued
    (what keystonemiddleware turns a service token into)."""
    roles = _split_roles(headers.get("X-Service-Roles"))
    service_token = headers.get("X-Service-Token")
    if service_token and resolve_token is not None:
        service = resolve_token(service_token)
        if service is not None:
            roles |= service.roles
    return roles


def caller_from_headers(headers: Mapping[str, str],
                        resolve_token: TokenResolver | None = None) -> Caller | None:
    """Headers first (what keystonemiddleware passes on), then the token.

    A token the fake did not issue is read as Cinder's noauth form
    ``user:project`` (or a bare user name, whose project is the same name),
    and such a caller is an admin, as in Cinder's noauth mode.
    """
    project_id = headers.get("X-Project-Id") or headers.get("X-Tenant-Id")
    if project_id:
        return Caller(user_id=headers.get("X-User-Id"), project_id=project_id,
                      roles=_split_roles(headers.get("X-Roles")),
                      service_roles=_service_roles(headers, resolve_token))
    token = headers.get("X-Auth-Token")
    if not token:
        return None
    if resolve_token is not None:
        known = resolve_token(token)
        if known is not None:
            return Caller(user_id=known.user_id, project_id=known.project_id,
                          roles=known.roles,
                          service_roles=_service_roles(headers, resolve_token))
    user_id, _sep, project = token.partition(":")
    return Caller(user_id=user_id, project_id=project or user_id,
                  roles=frozenset({"admin"}),
                  service_roles=_service_roles(headers, resolve_token))
