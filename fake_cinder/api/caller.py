"""The caller of a request, from keystonemiddleware-style headers or a token."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any

from ..core.context import Caller

# Resolves an X-Auth-Token to a Caller (the fake Keystone's tokens); None if unknown.
TokenResolver = Callable[[str], Caller | None]


# What caller_from_headers reads, and each header's key in a WSGI environ.
IDENTITY_HEADERS = tuple(
    (name, "HTTP_" + name.upper().replace("-", "_"))
    for name in ("X-Project-Id", "X-Tenant-Id", "X-Auth-Token", "X-Roles", "X-User-Id",
                 "X-Service-Roles", "X-Service-Token"))


def wsgi_identity_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """The identity headers of a WSGI request, read straight from its environ (what
    ``caller_from_headers`` takes: werkzeug's headers view pays a KeyError for each
    absent one, and most are absent)."""
    return {name: environ[key] for name, key in IDENTITY_HEADERS if key in environ}


# Callers repeat the same few identities: parse each set of header values once.
@functools.lru_cache(maxsize=1024)
def _split_roles(value: str | None) -> frozenset[str]:
    return frozenset(r.strip().lower() for r in (value or "").split(",") if r.strip())


@functools.lru_cache(maxsize=1024)
def _header_caller(user_id: str | None, project_id: str, roles: str | None,
                   service_roles: str | None) -> Caller:
    return Caller(user_id=user_id, project_id=project_id, roles=_split_roles(roles),
                  service_roles=_split_roles(service_roles))


@functools.lru_cache(maxsize=1024)
def _noauth_caller(token: str, service_roles: str | None) -> Caller:
    user_id, _sep, project = token.partition(":")
    return Caller(user_id=user_id, project_id=project or user_id,
                  roles=frozenset({"admin"}), service_roles=_split_roles(service_roles))


def _with_service_token(caller: Caller | None, headers: Mapping[str, str],
                        resolve_token: TokenResolver | None) -> Caller | None:
    """keystonemiddleware turns a valid X-Service-Token into X-Service-Roles: one the
    fake Keystone issued adds its roles (Nova's token has the service role)."""
    service_token = headers.get("X-Service-Token")
    if caller is None or not service_token or resolve_token is None:
        return caller
    service = resolve_token(service_token)
    if service is None:
        return caller
    return dataclasses.replace(caller, service_roles=caller.service_roles | service.roles)


def caller_from_headers(headers: Mapping[str, str],
                        resolve_token: TokenResolver | None = None) -> Caller | None:
    """The caller the headers name, with the roles of a service token if one came."""
    return _with_service_token(_user_caller(headers, resolve_token), headers, resolve_token)


def _user_caller(headers: Mapping[str, str],
                 resolve_token: TokenResolver | None) -> Caller | None:
    """Headers first (what keystonemiddleware passes on), then the token.

    A token the fake did not issue is read as Cinder's noauth form
    ``user:project`` (or a bare user name, whose project is the same name),
    and such a caller is an admin, as in Cinder's noauth mode. Identity headers
    without ``X-Roles`` next to a token are what python-cinderclient's noauth plugin
    sends: Cinder's noauth middleware reads the token alone, and so does the fake.
    """
    project_id = headers.get("X-Project-Id") or headers.get("X-Tenant-Id")
    token = headers.get("X-Auth-Token")
    if project_id and (not token or headers.get("X-Roles") is not None):
        return _header_caller(headers.get("X-User-Id"), project_id, headers.get("X-Roles"),
                              headers.get("X-Service-Roles"))
    if not token:
        return None
    if resolve_token is not None:
        known = resolve_token(token)
        if known is not None:
            return Caller(user_id=known.user_id, project_id=known.project_id,
                          roles=known.roles,
                          service_roles=_split_roles(headers.get("X-Service-Roles")))
    return _noauth_caller(token, headers.get("X-Service-Roles"))
