"""Keystone's admin API on the fake's identity: domains, projects, users, roles and
role assignments. Plain Python, never imports Flask.

The identity lives in the store as the state's ``identity`` object (plain JSON data,
so dump, load and reset carry what is created here). Every change is made on a copy
under the store's lock, checked by parsing it (``Directory.parse``) and only then put
in place: a refused request changes nothing. The rules and messages are Keystone's
(keystone/api/*.py, keystone/exception.py): admin-only calls answer its 403, unknown
ids its 404, duplicate names its 409.
"""

from __future__ import annotations

import copy
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import policy
from .context import Caller
from .directory import (
    DEFAULT_DOMAIN_ID,
    Directory,
    Domain,
    IdentityError,
    IdentityNotFound,
    Project,
    Role,
    User,
    visible_projects,
)
from .store import Store

# Keystone's boolean query values (keystone/common/provider_api... flask_RESTful helpers):
# "0" and "false" (any case) are false, anything else true.
_FALSE = ("0", "false")


class Forbidden(IdentityError):
    status = 403
    title = "Forbidden"

    def __init__(self, action: str) -> None:
        super().__init__(f"You are not authorized to perform the requested action: {action}.")


class Conflict(IdentityError):
    status = 409
    title = "Conflict"

    def __init__(self, kind: str, name: str, domain_id: str | None) -> None:
        # keystone.common.sql.core.handle_conflicts' details
        where = f" at domain ID {domain_id}" if domain_id else ""
        super().__init__(f"Conflict occurred attempting to store {kind} - Duplicate entry "
                         f"found with name {name}{where}.")


def _not_found(kind: str, record_id: str) -> IdentityNotFound:
    return IdentityNotFound(f"Could not find {kind}: {record_id}.")


def authorize(caller: Caller, action: str, allowed_self: bool = False) -> None:
    """Keystone's 403 unless the caller passes the action's rule (``allowed_self``: the
    call is about the caller itself, which Keystone's default policies allow)."""
    if allowed_self:
        return
    if not policy.allows(caller, action):
        raise Forbidden(action)


# The parsed identity of each store, while its identity object is the same one: every
# change puts a new object in place (``_change``, a load), so the identity object says
# whether the parse is still current. Requests with Keystone tokens read it each time.
_PARSED: weakref.WeakKeyDictionary[Store, tuple[object, Directory]] = (
    weakref.WeakKeyDictionary())
_PARSED_LOCK = threading.Lock()


def directory(store: Store) -> Directory:
    identity = store.identity
    with _PARSED_LOCK:
        cached = _PARSED.get(store)
    if cached is not None and cached[0] is identity:
        return cached[1]
    parsed = Directory.parse(identity)
    with _PARSED_LOCK:
        _PARSED[store] = (identity, parsed)
    return parsed


def still_authorized(store: Store, user_id: str | None, project_id: str | None) -> bool:
    """Whether a token's user still exists, is enabled and (for a project-scoped token)
    still has a role on its enabled project: Keystone revokes the tokens of deleted
    users and projects, and of revoked assignments."""
    found = directory(store)
    user = found.users.get(user_id or "")
    if user is None or not user.enabled:
        return False
    if project_id is None:
        return True
    project = found.projects.get(project_id)
    return project is not None and project.enabled and bool(user.roles.get(project_id))


def _new_id(store: Store) -> str:
    return store.clock.new_id().replace("-", "")  # Keystone's ids are bare hex UUIDs


def _change(store: Store, edit: Callable[[dict[str, Any]], Any]) -> Any:
    """Run ``edit`` on a copy of the identity data; put it in place if it still parses."""
    with store.lock:
        data = copy.deepcopy(store.identity) if store.identity is not None else {}
        data.setdefault("projects", [])
        data.setdefault("users", [])
        result = edit(data)
        Directory.parse(data)  # a bug here must not leave a state that cannot be read
        store.identity = data
        return result


def _entry(data: dict[str, Any], key: str, record_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(item for item in data.get(key, [])
                                 if item.get("id") == record_id)
    return found


def is_true(value: str) -> bool:
    return value.lower() not in _FALSE


# -- domains --------------------------------------------------------------------------------------
def list_domains(store: Store, caller: Caller, filters: Mapping[str, str]) -> list[Domain]:
    authorize(caller, "identity:list_domains")
    found = directory(store).domains.values()
    return [d for d in found if ("name" not in filters or d.name == filters["name"])
            and ("enabled" not in filters or d.enabled == is_true(filters["enabled"]))]


def get_domain(store: Store, caller: Caller, domain_id: str) -> Domain:
    authorize(caller, "identity:get_domain")
    found = directory(store).domains.get(domain_id)
    if found is None:
        raise _not_found("domain", domain_id)
    return found


def _domain_for(found: Directory, domain_id: str | None) -> str:
    """The domain a new project or user goes to: the named one (it must exist)."""
    domain_id = domain_id or DEFAULT_DOMAIN_ID
    if domain_id not in found.domains:
        raise _not_found("domain", domain_id)
    return domain_id


# -- projects -------------------------------------------------------------------------------------
def list_projects(store: Store, caller: Caller, filters: Mapping[str, str]) -> list[Project]:
    """Admins see every project, others the projects they have a role on; filtered by
    ``name``, ``domain_id`` and ``enabled`` as Keystone filters."""
    projects = visible_projects(directory(store), caller)
    return [p for p in projects if ("name" not in filters or p.name == filters["name"])
            and ("domain_id" not in filters or p.domain_id == filters["domain_id"])
            and ("enabled" not in filters or p.enabled == is_true(filters["enabled"]))]


def get_project(store: Store, caller: Caller, project_id: str) -> Project:
    """A project the caller may see; any other is not found (as the fake always said)."""
    found = next((p for p in visible_projects(directory(store), caller)
                  if p.id == project_id), None)
    if found is None:
        raise _not_found("project", project_id)
    return found


def _check_name_free(data: dict[str, Any], key: str, kind: str, name: str, domain_id: str,
                     record_id: str | None = None) -> None:
    for item in data.get(key, []):
        if (item.get("name") == name and (item.get("domain_id") or DEFAULT_DOMAIN_ID)
                == domain_id and item.get("id") != record_id):
            raise Conflict(kind, name, domain_id)


def create_project(store: Store, caller: Caller, body: Mapping[str, Any]) -> Project:
    authorize(caller, "identity:create_project")

    def edit(data: dict[str, Any]) -> str:
        domain_id = _domain_for(Directory.parse(data), body.get("domain_id"))
        _check_name_free(data, "projects", "project", body["name"], domain_id)
        project_id = _new_id(store)
        data["projects"].append({"id": project_id, "name": body["name"],
                                 "domain_id": domain_id,
                                 "description": body.get("description") or "",
                                 "enabled": body.get("enabled", True)})
        return project_id

    created = _change(store, edit)
    return directory(store).projects[created]


def update_project(store: Store, caller: Caller, project_id: str,
                   changes: Mapping[str, Any]) -> Project:
    authorize(caller, "identity:update_project")

    def edit(data: dict[str, Any]) -> None:
        if project_id not in Directory.parse(data).projects:
            raise _not_found("project", project_id)
        entry = _entry(data, "projects", project_id)
        if "name" in changes:
            _check_name_free(data, "projects", "project", changes["name"],
                             entry.get("domain_id") or DEFAULT_DOMAIN_ID, project_id)
        entry.update({key: changes[key] for key in ("name", "description", "enabled")
                      if key in changes})

    _change(store, edit)
    return directory(store).projects[project_id]


def delete_project(store: Store, caller: Caller, project_id: str) -> None:
    """Gone with its role assignments; users that defaulted to it keep no default (the
    fake's Cinder records of the project stay, as Cinder's do)."""
    authorize(caller, "identity:delete_project")

    def edit(data: dict[str, Any]) -> None:
        if project_id not in Directory.parse(data).projects:
            raise _not_found("project", project_id)
        data["projects"] = [p for p in data["projects"] if p.get("id") != project_id]
        for user in data["users"]:
            (user.get("roles") or {}).pop(project_id, None)
            if user.get("default_project_id") == project_id:
                user["default_project_id"] = None

    _change(store, edit)


# -- users ----------------------------------------------------------------------------------------
def list_users(store: Store, caller: Caller, filters: Mapping[str, str]) -> list[User]:
    authorize(caller, "identity:list_users")
    return [u for u in directory(store).users.values()
            if ("name" not in filters or u.name == filters["name"])
            and ("domain_id" not in filters or u.domain_id == filters["domain_id"])
            and ("enabled" not in filters or u.enabled == is_true(filters["enabled"]))]


def get_user(store: Store, caller: Caller, user_id: str) -> User:
    authorize(caller, "identity:get_user", allowed_self=caller.user_id == user_id)
    found = directory(store).users.get(user_id)
    if found is None:
        raise _not_found("user", user_id)
    return found


_USER_FIELDS = ("name", "password", "enabled", "email", "description", "default_project_id")


def _check_default_project(found: Directory, project_id: Any) -> None:
    if project_id is not None and project_id not in found.projects:
        raise _not_found("project", project_id)


def create_user(store: Store, caller: Caller, body: Mapping[str, Any]) -> User:
    authorize(caller, "identity:create_user")

    def edit(data: dict[str, Any]) -> str:
        found = Directory.parse(data)
        domain_id = _domain_for(found, body.get("domain_id"))
        _check_default_project(found, body.get("default_project_id"))
        _check_name_free(data, "users", "user", body["name"], domain_id)
        user_id = _new_id(store)
        entry = {"id": user_id, "domain_id": domain_id, "roles": {},
                 **{key: body[key] for key in _USER_FIELDS if body.get(key) is not None}}
        data["users"].append(entry)
        return user_id

    created = _change(store, edit)
    return directory(store).users[created]


def update_user(store: Store, caller: Caller, user_id: str,
                changes: Mapping[str, Any]) -> User:
    authorize(caller, "identity:update_user")

    def edit(data: dict[str, Any]) -> None:
        found = Directory.parse(data)
        if user_id not in found.users:
            raise _not_found("user", user_id)
        entry = _entry(data, "users", user_id)
        if "name" in changes:
            _check_name_free(data, "users", "user", changes["name"],
                             entry.get("domain_id") or DEFAULT_DOMAIN_ID, user_id)
        _check_default_project(found, changes.get("default_project_id"))
        entry.update({key: changes[key] for key in _USER_FIELDS if key in changes})

    _change(store, edit)
    return directory(store).users[user_id]


def delete_user(store: Store, caller: Caller, user_id: str) -> None:
    authorize(caller, "identity:delete_user")

    def edit(data: dict[str, Any]) -> None:
        if user_id not in Directory.parse(data).users:
            raise _not_found("user", user_id)
        data["users"] = [u for u in data["users"] if u.get("id") != user_id]

    _change(store, edit)


def user_projects(store: Store, caller: Caller, user_id: str) -> list[Project]:
    """GET /v3/users/{id}/projects: the projects the user has a role on."""
    authorize(caller, "identity:list_user_projects", allowed_self=caller.user_id == user_id)
    found = directory(store)
    user = found.users.get(user_id)
    if user is None:
        raise _not_found("user", user_id)
    return [p for p in found.projects.values() if user.roles.get(p.id)]


# -- roles ----------------------------------------------------------------------------------------
def list_roles(store: Store, caller: Caller, name: str | None = None) -> list[Role]:
    authorize(caller, "identity:list_roles")
    roles = directory(store).roles.values()
    return [r for r in roles if name is None or r.name == name.lower()]


def get_role(store: Store, caller: Caller, role_id: str) -> Role:
    authorize(caller, "identity:get_role")
    return _role(directory(store), role_id)


def _role(found: Directory, role_id: str) -> Role:
    role = found.roles.get(role_id)
    if role is None:
        raise _not_found("role", role_id)
    return role


def create_role(store: Store, caller: Caller, body: Mapping[str, Any]) -> Role:
    authorize(caller, "identity:create_role")
    name = body["name"].lower()

    def edit(data: dict[str, Any]) -> str:
        if any(r.name == name for r in Directory.parse(data).roles.values()):
            raise Conflict("role", body["name"], None)
        role_id = _new_id(store)
        entry = {"id": role_id, "name": name}
        if body.get("description") is not None:
            entry["description"] = body["description"]
        data.setdefault("roles", []).append(entry)
        return role_id

    created = _change(store, edit)
    return directory(store).roles[created]


# -- role assignments -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Assignment:
    role: Role
    user: User
    project: Project


def _grant_target(found: Directory, project_id: str, user_id: str,
                  role_id: str) -> tuple[Project, User, Role]:
    """The grant's project, user and role, each a 404 when unknown (Keystone's order)."""
    role = _role(found, role_id)
    project = found.projects.get(project_id)
    if project is None:
        raise _not_found("project", project_id)
    user = found.users.get(user_id)
    if user is None:
        raise _not_found("user", user_id)
    return project, user, role


def _assignment_missing(role_id: str, user_id: str, project_id: str) -> IdentityNotFound:
    return IdentityNotFound(f"Could not find role assignment with role: {role_id}, user or "
                            f"group: {user_id}, project, domain, or system: {project_id}.")


def grant(store: Store, caller: Caller, project_id: str, user_id: str, role_id: str) -> None:
    """PUT /v3/projects/{p}/users/{u}/roles/{r}: idempotent, as Keystone's."""
    authorize(caller, "identity:create_grant")

    def edit(data: dict[str, Any]) -> None:
        _project, _user, role = _grant_target(Directory.parse(data), project_id, user_id,
                                              role_id)
        roles = _entry(data, "users", user_id).setdefault("roles", {})
        names = roles.setdefault(project_id, [])
        if role.name not in [n.lower() for n in names]:
            names.append(role.name)

    _change(store, edit)


def check_grant(store: Store, caller: Caller, project_id: str, user_id: str,
                role_id: str) -> None:
    authorize(caller, "identity:check_grant")
    _project, user, role = _grant_target(directory(store), project_id, user_id, role_id)
    if role.name not in user.roles.get(project_id, ()):
        raise _assignment_missing(role_id, user_id, project_id)


def revoke(store: Store, caller: Caller, project_id: str, user_id: str, role_id: str) -> None:
    authorize(caller, "identity:revoke_grant")

    def edit(data: dict[str, Any]) -> None:
        _project, user, role = _grant_target(Directory.parse(data), project_id, user_id,
                                             role_id)
        if role.name not in user.roles.get(project_id, ()):
            raise _assignment_missing(role_id, user_id, project_id)
        roles = _entry(data, "users", user_id)["roles"]
        roles[project_id] = [n for n in roles[project_id] if n.lower() != role.name]
        if not roles[project_id]:
            del roles[project_id]

    _change(store, edit)


def user_roles_on_project(store: Store, caller: Caller, project_id: str,
                          user_id: str) -> list[Role]:
    """GET /v3/projects/{p}/users/{u}/roles."""
    authorize(caller, "identity:list_grants")
    found = directory(store)
    if project_id not in found.projects:
        raise _not_found("project", project_id)
    user = found.users.get(user_id)
    if user is None:
        raise _not_found("user", user_id)
    names = user.roles.get(project_id, ())
    return [r for r in found.roles.values() if r.name in names]


# The filters of GET /v3/role_assignments that can match a project role of a user.
ASSIGNMENT_FILTERS = ("user.id", "role.id", "scope.project.id")
# Filters that only match what the fake has none of (groups, domain and system roles).
ASSIGNMENT_FILTERS_MATCHING_NOTHING = ("group.id", "scope.domain.id", "scope.system")


def list_assignments(store: Store, caller: Caller,
                     filters: Mapping[str, str]) -> list[Assignment]:
    """GET /v3/role_assignments: every user's project roles (no groups, no inheritance:
    ``effective`` lists the same)."""
    authorize(caller, "identity:list_role_assignments")
    if any(key in filters for key in ASSIGNMENT_FILTERS_MATCHING_NOTHING):
        return []
    found = directory(store)
    by_name = {r.name: r for r in found.roles.values()}
    assignments = [Assignment(by_name[name], user, found.projects[project_id])
                   for user in found.users.values()
                   for project_id, names in user.roles.items() for name in names]
    return [a for a in assignments
            if filters.get("user.id", a.user.id) == a.user.id
            and filters.get("role.id", a.role.id) == a.role.id
            and filters.get("scope.project.id", a.project.id) == a.project.id]
