"""A minimal Keystone v3 under /identity: version documents, tokens, projects.

Enough for keystoneauth's password and token plugins (python-cinderclient,
openstacksdk, the openstack CLI) to log in and find Cinder in the catalog.
The users and projects come from the fixture state's ``identity`` object.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, request
from werkzeug.wrappers import Response

from ..core import identity as core
from ..core.context import Caller
from . import keystone_views as views
from .fault_bodies import token_refused
from .openapi import RouteDoc, documented

if TYPE_CHECKING:
    from ..fake import FakeCinder

JSON = "application/json"
UPDATED = "2020-04-07T00:00:00Z"
VERSION_ID = "v3.14"
MEDIA_TYPES = [{"base": "application/json",
                "type": "application/vnd.openstack.identity-v3+json"}]

blueprint = Blueprint("keystone", __name__, url_prefix="/identity")
# Its errors are Keystone's {"error": {...}} (a 413 over the size limit stays WebOb's).
ERRORS = "keystone_error.response"
TOKEN = "keystone_token.response"


def _fake() -> FakeCinder:
    return current_app.extensions["fake_cinder"]


def base_url() -> str:
    return request.host_url.rstrip("/")


def directory() -> core.Directory:
    # Read per request, so a reset or load of the state takes effect at once.
    return core.Directory.parse(getattr(_fake().store, "identity", None))


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, content_type=JSON)


def error_response(error: core.IdentityError) -> Response:
    """Keystone's error body; a 401 also says where to authenticate."""
    headers = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = f'Keystone uri="{base_url()}/identity"'
    return _json({"error": {"code": error.status, "title": error.title,
                            "message": error.message}}, error.status, headers)


@blueprint.app_errorhandler(core.IdentityError)
def _identity_error(error: core.IdentityError) -> Response:
    if request.path == "/identity" or request.path.startswith("/identity/"):
        return error_response(error)
    return token_refused(request.host_url)  # a token refused on /compute


def _version() -> dict[str, Any]:
    return {"id": VERSION_ID, "status": "stable", "updated": UPDATED,
            "links": [{"rel": "self", "href": f"{base_url()}/identity/v3/"}],
            "media-types": MEDIA_TYPES}


@blueprint.get("/")
@documented(RouteDoc("keystone_versions", "Keystone: list identity API versions", 300))
def versions() -> Response:
    return _json({"versions": {"values": [_version()]}}, 300)


@blueprint.get("/v3")
@documented(RouteDoc("keystone_version_show", "Keystone: the v3 version document"))
def version_v3() -> Response:
    return _json({"version": _version()})


def _caller_token() -> core.Token:
    token = _fake().tokens.valid(request.headers.get("X-Auth-Token", ""))
    if token is None:
        raise core.Unauthorized()
    return token


@blueprint.post("/v3/auth/tokens")
@documented(RouteDoc("keystone_token_issue", "Keystone: issue a token (password or token "
                     "method, optionally project-scoped)", 201, errors=(400, 401, 413),
                     response=TOKEN, fault=ERRORS))
def issue_token() -> Response:
    body = request.get_json(force=True, silent=True)
    found = directory()
    token = _fake().tokens.authenticate(found, body,
                                        subject_token=request.headers.get("X-Auth-Token"))
    document = views.token_body(found, token, base_url())
    if "nocatalog" in request.args:
        document["token"].pop("catalog", None)
    return _json(document, 201, {"X-Subject-Token": token.id})


@blueprint.get("/v3/auth/tokens")
@documented(RouteDoc("keystone_token_show", "Keystone: validate the X-Subject-Token",
                     errors=(401, 404, 413), authenticated=True, response=TOKEN,
                     fault=ERRORS))
def validate_token() -> Response:
    """What keystonemiddleware asks: is X-Subject-Token valid (asked with X-Auth-Token)?"""
    _caller_token()
    subject = _fake().tokens.valid(request.headers.get("X-Subject-Token", ""))
    if subject is None:
        raise core.IdentityNotFound(
            f"Could not find token: {request.headers.get('X-Subject-Token', '')}.")
    document = views.token_body(directory(), subject, base_url())
    if "nocatalog" in request.args:
        document["token"].pop("catalog", None)
    return _json(document, 200, {"X-Subject-Token": subject.id})


@blueprint.delete("/v3/auth/tokens")
@documented(RouteDoc("keystone_token_revoke", "Keystone: revoke the X-Subject-Token", 204,
                     errors=(401, 404, 413), authenticated=True, fault=ERRORS))
def revoke_token() -> Response:
    _caller_token()
    subject = request.headers.get("X-Subject-Token", "")
    if not _fake().tokens.revoke(subject):
        raise core.IdentityNotFound(f"Could not find token: {subject}.")
    return Response(status=204)


def _token_caller() -> Caller:
    token = _caller_token()
    return Caller(user_id=token.user.id, project_id=token.project.id if token.project else "",
                  roles=frozenset(token.roles))


@blueprint.get("/v3/projects")
@documented(RouteDoc("keystone_project_list", "Keystone: the caller's projects",
                     errors=(401, 413), authenticated=True, fault=ERRORS))
def list_projects() -> Response:
    """What `openstack ... --project NAME` looks up (with ?name=)."""
    found = directory()
    projects = core.visible_projects(found, _token_caller())
    name = request.args.get("name")
    if name is not None:
        projects = [p for p in projects if p.name == name]
    return _json({"projects": [views.project_view(found, p) for p in projects],
                  "links": {"self": request.base_url, "previous": None, "next": None}})


@blueprint.get("/v3/projects/<project_id>")
@documented(RouteDoc("keystone_project_show", "Keystone: one of the caller's projects",
                     errors=(401, 404, 413), authenticated=True, fault=ERRORS))
def show_project(project_id: str) -> Response:
    found = directory()
    project = next((p for p in core.visible_projects(found, _token_caller())
                    if p.id == project_id), None)
    if project is None:
        raise core.IdentityNotFound(f"Could not find project: {project_id}.")
    return _json({"project": views.project_view(found, project)})


def register(app: Any) -> None:
    app.register_blueprint(blueprint)
