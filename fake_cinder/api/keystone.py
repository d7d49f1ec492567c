"""A minimal Keystone v3 under /identity: version documents, tokens, projects.

Enough for keystoneauth's password and token plugins (python-cinderclient,
openstacksdk, the openstack CLI) to log in and find Cinder in the catalog.
The users and projects come from the fixture state's ``identity`` object.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from ..core import directory as core
from ..core import identity_admin
from ..core.context import Caller
from . import keystone_views as views
from .openapi import RouteDoc, documented
from .routing import Router, WebRequest

if TYPE_CHECKING:
    from ..fake import FakeCinder

JSON = "application/json"
UPDATED = "2020-04-07T00:00:00Z"
VERSION_ID = "v3.14"
MEDIA_TYPES = [{"base": "application/json",
                "type": "application/vnd.openstack.identity-v3+json"}]

PREFIX = "/identity"
# Its errors are Keystone's {"error": {...}} (a 413 over the size limit stays WebOb's).
ERRORS = "keystone_error.response"
TOKEN = "keystone_token.response"


def is_keystone_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def directory(fake: FakeCinder) -> core.Directory:
    # Read per request, so a reset or load of the state takes effect at once.
    return identity_admin.directory(fake.store)


def _current(fake: FakeCinder, token: core.Token | None) -> core.Token | None:
    """The token unless Keystone would have revoked it since (user, project or role gone)."""
    if token is None or not identity_admin.still_authorized(
            fake.store, token.user.id, token.project.id if token.project else None):
        return None
    return token


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, content_type=JSON)


def error_response(error: core.IdentityError, host_url: str) -> Response:
    """Keystone's error body; a 401 also says where to authenticate."""
    headers = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = f'Keystone uri="{host_url.rstrip("/")}/identity"'
    return _json({"error": {"code": error.status, "title": error.title,
                            "message": error.message}}, error.status, headers)


def _version(base_url: str) -> dict[str, Any]:
    return {"id": VERSION_ID, "status": "stable", "updated": UPDATED,
            "links": [{"rel": "self", "href": f"{base_url}/identity/v3/"}],
            "media-types": MEDIA_TYPES}


@documented(RouteDoc("keystone_versions", "Keystone: list identity API versions", 300))
def keystone_versions(req: WebRequest) -> Response:
    return _json({"versions": {"values": [_version(req.base_url)]}}, 300)


@documented(RouteDoc("keystone_version_show", "Keystone: the v3 version document"))
def keystone_version_show(req: WebRequest) -> Response:
    return _json({"version": _version(req.base_url)})


def _caller_token(req: WebRequest) -> core.Token:
    token = _current(req.fake, req.fake.tokens.valid(req.http.headers.get("X-Auth-Token", "")))
    if token is None:
        raise core.Unauthorized()
    return token


@documented(RouteDoc("keystone_token_issue", "Keystone: issue a token (password or token "
                     "method, optionally project-scoped)", 201, errors=(400, 401, 413),
                     response=TOKEN, fault=ERRORS))
def keystone_token_issue(req: WebRequest) -> Response:
    body = req.http.get_json(force=True, silent=True)
    found = directory(req.fake)
    token = req.fake.tokens.authenticate(found, body,
                                         subject_token=req.http.headers.get("X-Auth-Token"))
    document = views.token_body(found, token, req.base_url, req.fake.volume_endpoint)
    if "nocatalog" in req.http.args:
        document["token"].pop("catalog", None)
    return _json(document, 201, {"X-Subject-Token": token.id})


@documented(RouteDoc("keystone_token_show", "Keystone: validate the X-Subject-Token",
                     errors=(401, 404, 413), authenticated=True, response=TOKEN,
                     fault=ERRORS))
def keystone_token_show(req: WebRequest) -> Response:
    """What keystonemiddleware asks: is X-Subject-Token valid (asked with X-Auth-Token)?"""
    _caller_token(req)
    subject = _current(req.fake, req.fake.tokens.valid(req.http.headers.get("X-Subject-Token",
                                                                             "")))
    if subject is None:
        raise core.IdentityNotFound(
            f"Could not find token: {req.http.headers.get('X-Subject-Token', '')}.")
    document = views.token_body(directory(req.fake), subject, req.base_url,
                                req.fake.volume_endpoint)
    if "nocatalog" in req.http.args:
        document["token"].pop("catalog", None)
    return _json(document, 200, {"X-Subject-Token": subject.id})


@documented(RouteDoc("keystone_token_revoke", "Keystone: revoke the X-Subject-Token", 204,
                     errors=(401, 404, 413), authenticated=True, fault=ERRORS))
def keystone_token_revoke(req: WebRequest) -> Response:
    _caller_token(req)
    subject = req.http.headers.get("X-Subject-Token", "")
    if not req.fake.tokens.revoke(subject):
        raise core.IdentityNotFound(f"Could not find token: {subject}.")
    return Response(status=204)


def token_caller(req: WebRequest) -> Caller:
    """The caller of an identity request: its X-Auth-Token must be one this Keystone issued."""
    token = _caller_token(req)
    return Caller(user_id=token.user.id, project_id=token.project.id if token.project else "",
                  roles=frozenset(token.roles))


@documented(RouteDoc("keystone_project_list", "Keystone: the caller's projects (an admin's: "
                     "all; ?name=, ?domain_id=, ?enabled=)",
                     errors=(401, 413), authenticated=True, fault=ERRORS))
def keystone_project_list(req: WebRequest) -> Response:
    """What `openstack ... --project NAME` looks up (with ?name=)."""
    found = directory(req.fake)
    projects = identity_admin.list_projects(req.fake.store, token_caller(req),
                                            dict(req.http.args.items()))
    return _json({"projects": [views.project_view(found, p) for p in projects],
                  "links": {"self": req.http.base_url, "previous": None, "next": None}})


@documented(RouteDoc("keystone_project_show", "Keystone: one of the caller's projects",
                     errors=(401, 404, 413), authenticated=True, fault=ERRORS))
def keystone_project_show(req: WebRequest) -> Response:
    project = identity_admin.get_project(req.fake.store, token_caller(req),
                                         req.params["project_id"])
    return _json({"project": views.project_view(directory(req.fake), project)})


def register(router: Router) -> None:
    router.web("GET", f"{PREFIX}/", keystone_versions)
    router.web("GET", f"{PREFIX}/v3", keystone_version_show)
    router.web("POST", f"{PREFIX}/v3/auth/tokens", keystone_token_issue)
    router.web("GET", f"{PREFIX}/v3/auth/tokens", keystone_token_show)
    router.web("DELETE", f"{PREFIX}/v3/auth/tokens", keystone_token_revoke)
    router.web("GET", f"{PREFIX}/v3/projects", keystone_project_list)
    router.web("GET", f"{PREFIX}/v3/projects/<project_id>", keystone_project_show)
