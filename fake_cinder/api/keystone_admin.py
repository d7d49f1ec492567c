"""Keystone's admin API under /identity/v3: domains, projects, users, roles and role
assignments (core/identity_admin.py has the rules).

Enough for tempest's dynamic credentials (it creates a project, a user and role
assignments per test class, and looks its domain up by name) and the openstack CLI's
``project``, ``user`` and ``role`` commands. Errors are Keystone's ``{"error": ...}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jsonschema
from werkzeug.wrappers import Response

from ..core import identity_admin as core
from ..core.directory import IdentityError
from . import keystone_views as views
from . import microversions as mv
from .keystone import ERRORS, PREFIX, token_caller
from .openapi import RouteDoc, documented
from .routing import Router, WebRequest

JSON = "application/json"
V3 = f"{PREFIX}/v3"


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type=JSON)


def _no_content() -> Response:
    return Response(status=204)


def _listing(req: WebRequest, key: str, items: list[dict[str, Any]]) -> Response:
    return _json({key: items, "links": {"self": req.http.base_url, "previous": None,
                                        "next": None}})


def _body(req: WebRequest, operation: str, key: str) -> Mapping[str, Any]:
    """The request body checked against ``schemas/<operation>.request.json``, with
    Keystone's validation messages; the object under ``key``."""
    try:
        body = json.loads(req.http.get_data(cache=True) or b"null")
    except ValueError:
        raise IdentityError("Malformed request body: it must be JSON.") from None
    entry = req.fake.schemas.find(operation, "request", mv.MIN_VERSION)
    assert entry is not None, f"no request schema for {operation}"
    error = jsonschema.exceptions.best_match(entry.validator.iter_errors(body))
    if error is not None:
        path = "/".join(str(p) for p in error.absolute_path)
        # keystone.common.validation.validators.SchemaValidator.validate
        raise IdentityError(f"Invalid input for field '{path}': {error.message}" if path
                            else error.message)
    found: Mapping[str, Any] = body[key]
    return found


def _doc(operation: str, summary: str, success: int = 200, errors: tuple[int, ...] = (),
         response: str | None = None) -> RouteDoc:
    return RouteDoc(operation, f"Keystone: {summary}", success,
                    errors=(401, 403, 413, *errors), authenticated=True, fault=ERRORS,
                    response=response)


def _args(req: WebRequest) -> dict[str, str]:
    return {key: value for key, value in req.http.args.items()}


# -- domains --------------------------------------------------------------------------------------
@documented(_doc("keystone_domain_list", "domains (?name= finds one by name)"))
def keystone_domain_list(req: WebRequest) -> Response:
    found = core.list_domains(req.fake.store, token_caller(req), _args(req))
    return _listing(req, "domains", [views.domain_view(d, req.base_url) for d in found])


@documented(_doc("keystone_domain_show", "one domain", errors=(404,)))
def keystone_domain_show(req: WebRequest) -> Response:
    domain = core.get_domain(req.fake.store, token_caller(req), req.params["domain_id"])
    return _json({"domain": views.domain_view(domain, req.base_url)})


# -- projects -------------------------------------------------------------------------------------
@documented(_doc("keystone_project_create", "create a project", 201, (400, 404, 409),
                 response="keystone_project_show.response"))
def keystone_project_create(req: WebRequest) -> Response:
    caller = token_caller(req)
    body = _body(req, "keystone_project_create", "project")
    project = core.create_project(req.fake.store, caller, body)
    return _json({"project": views.project_view(core.directory(req.fake.store), project)}, 201)


@documented(_doc("keystone_project_update", "update a project", errors=(400, 404, 409),
                 response="keystone_project_show.response"))
def keystone_project_update(req: WebRequest) -> Response:
    caller = token_caller(req)
    body = _body(req, "keystone_project_update", "project")
    project = core.update_project(req.fake.store, caller, req.params["project_id"], body)
    return _json({"project": views.project_view(core.directory(req.fake.store), project)})


@documented(_doc("keystone_project_delete", "delete a project and its role assignments",
                 204, (404,)))
def keystone_project_delete(req: WebRequest) -> Response:
    core.delete_project(req.fake.store, token_caller(req), req.params["project_id"])
    return _no_content()


# -- users ----------------------------------------------------------------------------------------
@documented(_doc("keystone_user_list", "users (?name=, ?domain_id=, ?enabled=)"))
def keystone_user_list(req: WebRequest) -> Response:
    found = core.list_users(req.fake.store, token_caller(req), _args(req))
    return _listing(req, "users", [views.user_view(u, req.base_url) for u in found])


@documented(_doc("keystone_user_create", "create a user", 201, (400, 404, 409),
                 response="keystone_user_show.response"))
def keystone_user_create(req: WebRequest) -> Response:
    caller = token_caller(req)
    user = core.create_user(req.fake.store, caller, _body(req, "keystone_user_create", "user"))
    return _json({"user": views.user_view(user, req.base_url)}, 201)


@documented(_doc("keystone_user_show", "one user", errors=(404,)))
def keystone_user_show(req: WebRequest) -> Response:
    user = core.get_user(req.fake.store, token_caller(req), req.params["user_id"])
    return _json({"user": views.user_view(user, req.base_url)})


@documented(_doc("keystone_user_update", "update a user", errors=(400, 404, 409),
                 response="keystone_user_show.response"))
def keystone_user_update(req: WebRequest) -> Response:
    caller = token_caller(req)
    body = _body(req, "keystone_user_update", "user")
    user = core.update_user(req.fake.store, caller, req.params["user_id"], body)
    return _json({"user": views.user_view(user, req.base_url)})


@documented(_doc("keystone_user_delete", "delete a user", 204, (404,)))
def keystone_user_delete(req: WebRequest) -> Response:
    core.delete_user(req.fake.store, token_caller(req), req.params["user_id"])
    return _no_content()


@documented(_doc("keystone_user_projects", "the projects a user has a role on", errors=(404,),
                 response="keystone_project_list.response"))
def keystone_user_projects(req: WebRequest) -> Response:
    found = core.user_projects(req.fake.store, token_caller(req), req.params["user_id"])
    directory = core.directory(req.fake.store)
    return _listing(req, "projects", [views.project_view(directory, p) for p in found])


# -- roles ----------------------------------------------------------------------------------------
@documented(_doc("keystone_role_list", "roles (?name=)"))
def keystone_role_list(req: WebRequest) -> Response:
    found = core.list_roles(req.fake.store, token_caller(req), req.http.args.get("name"))
    return _listing(req, "roles", [views.role_view(r, req.base_url) for r in found])


@documented(_doc("keystone_role_show", "one role", errors=(404,)))
def keystone_role_show(req: WebRequest) -> Response:
    role = core.get_role(req.fake.store, token_caller(req), req.params["role_id"])
    return _json({"role": views.role_view(role, req.base_url)})


@documented(_doc("keystone_role_create", "create a role", 201, (400, 409),
                 response="keystone_role_show.response"))
def keystone_role_create(req: WebRequest) -> Response:
    caller = token_caller(req)
    role = core.create_role(req.fake.store, caller, _body(req, "keystone_role_create", "role"))
    return _json({"role": views.role_view(role, req.base_url)}, 201)


# -- role assignments -----------------------------------------------------------------------------
def _grant_params(req: WebRequest) -> tuple[str, str, str]:
    return req.params["project_id"], req.params["user_id"], req.params["role_id"]


@documented(_doc("keystone_grant_create", "give a user a role on a project", 204, (404,)))
def keystone_grant_create(req: WebRequest) -> Response:
    core.grant(req.fake.store, token_caller(req), *_grant_params(req))
    return _no_content()


@documented(_doc("keystone_grant_check", "whether a user has a role on a project (also "
                 "HEAD)", 204, (404,)))
def keystone_grant_check(req: WebRequest) -> Response:
    core.check_grant(req.fake.store, token_caller(req), *_grant_params(req))
    return _no_content()


@documented(_doc("keystone_grant_delete", "take a user's role on a project away", 204,
                 (404,)))
def keystone_grant_delete(req: WebRequest) -> Response:
    core.revoke(req.fake.store, token_caller(req), *_grant_params(req))
    return _no_content()


@documented(_doc("keystone_grant_list", "a user's roles on a project", errors=(404,),
                 response="keystone_role_list.response"))
def keystone_grant_list(req: WebRequest) -> Response:
    found = core.user_roles_on_project(req.fake.store, token_caller(req),
                                       req.params["project_id"], req.params["user_id"])
    return _listing(req, "roles", [views.role_view(r, req.base_url) for r in found])


@documented(_doc("keystone_role_assignment_list", "role assignments (?user.id=, ?role.id=, "
                 "?scope.project.id=, ?include_names, ?effective)"))
def keystone_role_assignment_list(req: WebRequest) -> Response:
    args = _args(req)
    found = core.list_assignments(req.fake.store, token_caller(req), args)
    # Keystone reads a present include_names as true unless it says otherwise.
    include_names = "include_names" in args and core.is_true(args["include_names"] or "1")
    directory = core.directory(req.fake.store)
    return _listing(req, "role_assignments", [
        views.assignment_view(directory, a, req.base_url, include_names) for a in found])


def register(router: Router) -> None:
    router.web("GET", f"{V3}/domains", keystone_domain_list)
    router.web("GET", f"{V3}/domains/<domain_id>", keystone_domain_show)
    router.web("POST", f"{V3}/projects", keystone_project_create)
    router.web("PATCH", f"{V3}/projects/<project_id>", keystone_project_update)
    router.web("DELETE", f"{V3}/projects/<project_id>", keystone_project_delete)
    router.web("GET", f"{V3}/users", keystone_user_list)
    router.web("POST", f"{V3}/users", keystone_user_create)
    router.web("GET", f"{V3}/users/<user_id>", keystone_user_show)
    router.web("PATCH", f"{V3}/users/<user_id>", keystone_user_update)
    router.web("DELETE", f"{V3}/users/<user_id>", keystone_user_delete)
    router.web("GET", f"{V3}/users/<user_id>/projects", keystone_user_projects)
    router.web("GET", f"{V3}/roles", keystone_role_list)
    router.web("POST", f"{V3}/roles", keystone_role_create)
    router.web("GET", f"{V3}/roles/<role_id>", keystone_role_show)
    grants = f"{V3}/projects/<project_id>/users/<user_id>/roles"
    router.web("GET", grants, keystone_grant_list)
    router.web("PUT", f"{grants}/<role_id>", keystone_grant_create)
    router.web("GET", f"{grants}/<role_id>", keystone_grant_check)
    router.web("DELETE", f"{grants}/<role_id>", keystone_grant_delete)
    router.web("GET", f"{V3}/role_assignments", keystone_role_assignment_list)
