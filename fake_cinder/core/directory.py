"""The cloud around Cinder: Keystone's users, projects and roles, Nova's servers,
and the tokens the fake Keystone issues. Plain Python, never imports Flask.

The fixture state carries it as an optional top-level ``identity`` object::

    {"projects": [{"id": "demo", "name": "demo"}],
     "users": [{"id": "demo", "name": "demo", "password": "demo",
                "default_project_id": "demo", "roles": {"demo": ["member", "reader"]}}],
     "servers": [{"id": "<uuid>", "name": "web-1", "project_id": "demo"}],
     "domains": [{"id": "default", "name": "Default"}],
     "roles": [{"id": "<hex>", "name": "creator"}]}

A user's ``roles`` maps a project id to the names of the user's roles on it. Every key
but ``projects`` and ``users`` is optional; the ``Default`` domain and the roles admin,
member, reader and service always exist. Keystone's admin API (identity_admin.py) edits
this object; servers may also say their ``status`` (Nova's) and compute ``host``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .context import Caller
from .errors import NotFound

DEFAULT_DOMAIN_ID = "default"
TOKEN_TTL = _dt.timedelta(hours=1)  # Keystone's default [token] expiration
# Expired tokens are remembered this long, so they answer 401 instead of being
# read as noauth tokens; after that they are forgotten.
_FORGET_AFTER = _dt.timedelta(days=1)


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC).replace(tzinfo=None)


# -- errors (the API layer renders them in Keystone's error format) --------------------------------
class IdentityError(Exception):
    status = 400
    title = "Bad Request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthorized(IdentityError):
    status = 401
    title = "Unauthorized"

    def __init__(self, message: str = "The request you have made requires authentication."
                 ) -> None:
        super().__init__(message)


# The usual first mistake: password auth against a fake started without fixtures.
NO_USERS = ("The request you have made requires authentication. The fake's state has no "
            "users: load a state with an \"identity\" object, e.g. FakeCinder(\"default.json\"), "
            "fake-cinder serve --fixtures default.json, or PUT /_fake/state (users admin/admin, "
            "demo/demo and nova/nova are in default.json).")


class ValidationError(IdentityError):
    """Keystone's message for a malformed auth request."""

    def __init__(self, attribute: str, target: str) -> None:
        super().__init__(
            f"Expecting to find {attribute} in {target}. The server could not comply with the "
            "request since it is either malformed or otherwise incorrect. The client is "
            "assumed to be in error.")


def _id_and_name(reference: Mapping[str, Any], target: str) -> tuple[str | None, str | None]:
    """A reference's ``id`` and ``name``: each absent or a string, as Keystone's schema
    says (anything else is a 400, not a lookup)."""
    found = []
    for key in ("id", "name"):
        value = reference.get(key)
        if value is not None and not isinstance(value, str):
            raise IdentityError(f"Invalid input for field '{target}/{key}': {value!r} is not "
                                "of type 'string'")
        found.append(value)
    return found[0], found[1]


class IdentityNotFound(IdentityError):
    status = 404
    title = "Not Found"


class InstanceNotFound(NotFound):
    """Nova's 404 for a server: the same error body as Cinder's."""

    def __init__(self, server_id: str) -> None:
        super().__init__(f"Instance {server_id} could not be found.")


# -- the directory: what the fixture state says ----------------------------------------------------
@dataclass(frozen=True, slots=True)
class Domain:
    id: str
    name: str
    description: str = ""
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Project:
    id: str
    name: str
    domain_id: str = DEFAULT_DOMAIN_ID
    description: str = ""
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    password: str  # "" for a user created without one: it cannot log in
    domain_id: str = DEFAULT_DOMAIN_ID
    default_project_id: str | None = None
    enabled: bool = True
    # project id -> role names
    roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    email: str | None = None
    description: str | None = None


# The roles every Keystone has after `keystone-manage bootstrap` (admin, member, reader)
# and the one devstack adds for services; more come from the state's "roles" list.
BUILTIN_ROLES = ("admin", "member", "reader", "service")
_NAMESPACE = uuid.UUID("6f1bd3a2-0c55-4a47-9a1e-2d6f1c7e5b90")  # derives stable ids from names


def stable_id(kind: str, name: str) -> str:
    """A Keystone-style hex id that stays the same for one name (roles, services)."""
    return uuid.uuid5(_NAMESPACE, f"{kind}:{name}").hex


# Keystone's default role implications (keystone-manage bootstrap): a token lists the
# roles its assignments imply too.
IMPLIED_ROLES = {"admin": ("member",), "member": ("reader",)}


def with_implied_roles(names: tuple[str, ...]) -> tuple[str, ...]:
    found = list(names)
    for name in found:  # grows while it is read: implications of implications
        found.extend(i for i in IMPLIED_ROLES.get(name, ()) if i not in found)
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Role:
    id: str
    name: str  # lower case: assignments name roles case-insensitively, as Keystone does
    description: str | None = None


_Named = TypeVar("_Named", User, Project)  # what a reference finds by id, or name and domain


@dataclass(frozen=True, slots=True)
class Server:
    id: str
    name: str
    project_id: str
    user_id: str | None = None
    status: str = "ACTIVE"
    host: str = "compute-0"  # its nova-compute host: the connector Nova attaches with


class IdentityDataError(ValueError):
    """A bad ``identity`` object: ``path`` inside it (``.users[0].name``) and the problem."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"identity{path}: {problem}")
        self.path = path
        self.problem = problem


def _fail(path: str, problem: str) -> IdentityDataError:
    return IdentityDataError(path, problem)


def _string(record: Mapping[str, Any], key: str, path: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value:
        raise _fail(f"{path}.{key}", "must be a non-empty string")
    return value


def _optional_string(record: Mapping[str, Any], key: str, path: str) -> str | None:
    return None if record.get(key) is None else _string(record, key, path)


def _optional_text(record: Mapping[str, Any], key: str, path: str) -> str | None:
    """A string that may be empty (Keystone stores "" as given), or absent."""
    value = record.get(key)
    if value is not None and not isinstance(value, str):
        raise _fail(f"{path}.{key}", "must be a string")
    return value


def _records(data: Mapping[str, Any], key: str) -> list[tuple[str, Mapping[str, Any]]]:
    items = data.get(key, [])
    if not isinstance(items, list):
        raise _fail(f".{key}", "must be a list")
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise _fail(f".{key}[{index}]", "must be an object")
        out.append((f".{key}[{index}]", item))
    return out


def _unique(seen: dict[Any, Any], key: Any, path: str, what: str) -> None:
    if key in seen:
        raise _fail(path, f"duplicate {what} {key!r}")


@dataclass(frozen=True, slots=True)
class Directory:
    """Domains, projects, users, roles and servers, indexed by id."""

    domains: dict[str, Domain]
    projects: dict[str, Project]
    users: dict[str, User]
    servers: dict[str, Server]
    roles: dict[str, Role] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: Mapping[str, Any] | None) -> Directory:
        """Read (and check) the ``identity`` object; ValueError names the bad path."""
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise _fail("", "must be an object")
        domains = {DEFAULT_DOMAIN_ID: Domain(DEFAULT_DOMAIN_ID, "Default",
                                             "The default domain")}
        for path, item in _records(data, "domains"):
            domain = Domain(_string(item, "id", path), _string(item, "name", path),
                            item.get("description") or "", item.get("enabled", True) is not False)
            domains[domain.id] = domain
        projects: dict[str, Project] = {}
        for path, item in _records(data, "projects"):
            project = Project(_string(item, "id", path), _string(item, "name", path),
                              _optional_string(item, "domain_id", path) or DEFAULT_DOMAIN_ID,
                              item.get("description") or "",
                              item.get("enabled", True) is not False)
            _unique(projects, project.id, path, "project id")
            if project.domain_id not in domains:
                raise _fail(f"{path}.domain_id", f"unknown domain {project.domain_id!r}")
            projects[project.id] = project
        users: dict[str, User] = {}
        for path, item in _records(data, "users"):
            users_roles = item.get("roles", {})
            if not isinstance(users_roles, Mapping):
                raise _fail(f"{path}.roles", "must map project ids to lists of role names")
            roles: dict[str, tuple[str, ...]] = {}
            for project_id, names in users_roles.items():
                if project_id not in projects:
                    raise _fail(f"{path}.roles", f"unknown project {project_id!r}")
                if not isinstance(names, list) or not all(
                        isinstance(n, str) and n for n in names):
                    raise _fail(f"{path}.roles.{project_id}", "must be a list of role names")
                roles[project_id] = tuple(dict.fromkeys(n.lower() for n in names))
            user = User(_string(item, "id", path), _string(item, "name", path),
                        _optional_text(item, "password", path) or "",
                        _optional_string(item, "domain_id", path) or DEFAULT_DOMAIN_ID,
                        _optional_string(item, "default_project_id", path),
                        bool(item.get("enabled", True)), roles,
                        _optional_text(item, "email", path),
                        _optional_text(item, "description", path))
            _unique(users, user.id, path, "user id")
            if user.default_project_id and user.default_project_id not in projects:
                raise _fail(f"{path}.default_project_id",
                            f"unknown project {user.default_project_id!r}")
            users[user.id] = user
        servers: dict[str, Server] = {}
        for path, item in _records(data, "servers"):
            server = Server(_string(item, "id", path), _string(item, "name", path),
                            _string(item, "project_id", path),
                            _optional_string(item, "user_id", path),
                            _optional_string(item, "status", path) or "ACTIVE",
                            _optional_string(item, "host", path) or "compute-0")
            _unique(servers, server.id, path, "server id")
            servers[server.id] = server
        return cls(domains, projects, users, servers, _roles(data, users))

    def role_id(self, name: str) -> str:
        """The id of the role of this name (a stable one for roles the state only names)."""
        found = next((r for r in self.roles.values() if r.name == name), None)
        return found.id if found is not None else stable_id("role", name)

    # -- lookups of the auth request's references --------------------------------------------------
    def _domain_of(self, reference: Any, target: str) -> Domain:
        if not isinstance(reference, Mapping):
            raise ValidationError("domain", target)
        domain_id, name = _id_and_name(reference, f"{target}/domain")
        if not (domain_id or name):
            raise ValidationError("domain", target)
        if domain_id:
            found = self.domains.get(domain_id)
        else:
            found = next((d for d in self.domains.values() if d.name == name), None)
        if found is None:
            raise Unauthorized()
        return found

    def _lookup(self, reference: Mapping[str, Any], kind: str,
                records: Mapping[str, _Named]) -> _Named | None:
        """A user or project by ``id``, or by ``name`` within its ``domain``; None if unknown."""
        record_id, name = _id_and_name(reference, kind)
        if record_id:
            return records.get(record_id)
        if not name:
            raise ValidationError("id or name", kind)
        domain = self._domain_of(reference.get("domain"), kind)
        return next((r for r in records.values()
                     if r.name == name and r.domain_id == domain.id), None)

    def find_user(self, reference: Mapping[str, Any]) -> User:
        """A user by ``id``, or by ``name`` and ``domain``; unknown → 401."""
        found = self._lookup(reference, "user", self.users)
        if found is None or not found.enabled:
            raise Unauthorized()
        return found

    def find_project(self, reference: Mapping[str, Any]) -> Project:
        found = self._lookup(reference, "project", self.projects)
        if found is None:
            raise Unauthorized()
        return found


def _roles(data: Mapping[str, Any], users: Mapping[str, User]) -> dict[str, Role]:
    """The built-in roles, the state's ``roles`` and any role an assignment names."""
    roles: dict[str, Role] = {}
    for path, item in _records(data, "roles"):
        role = Role(_string(item, "id", path), _string(item, "name", path).lower(),
                    _optional_text(item, "description", path))
        _unique(roles, role.id, path, "role id")
        if any(r.name == role.name for r in roles.values()):
            raise _fail(f"{path}.name", f"duplicate role name {role.name!r}")
        roles[role.id] = role
    named = {r.name for r in roles.values()}
    used = [n for u in users.values() for names in u.roles.values() for n in names]
    for name in dict.fromkeys((*BUILTIN_ROLES, *used)):
        if name not in named:
            role = Role(stable_id("role", name), name)
            roles[role.id] = role
            named.add(name)
    return roles


# -- tokens --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Token:
    id: str
    user: User
    project: Project | None
    roles: tuple[str, ...]
    methods: tuple[str, ...]
    issued_at: _dt.datetime
    expires_at: _dt.datetime
    audit_id: str

    def caller(self) -> Caller:
        if self.project is None:
            # An unscoped token names no project: Cinder has nothing to act on.
            raise Unauthorized()
        return Caller(user_id=self.user.id, project_id=self.project.id,
                      roles=frozenset(self.roles))


def _section(parent: Mapping[str, Any], key: str, target: str) -> Mapping[str, Any]:
    value = parent.get(key)
    if not isinstance(value, Mapping):
        raise ValidationError(key, target)
    return value


class TokenRegistry:
    """The tokens the fake Keystone issued; thread-safe, in memory."""

    def __init__(self, ttl: _dt.timedelta = TOKEN_TTL,
                 now: Callable[[], _dt.datetime] = _utcnow) -> None:
        self.ttl = ttl
        self._now = now
        self._lock = threading.Lock()
        self._tokens: dict[str, Token] = {}

    def authenticate(self, directory: Directory, body: Any,
                     subject_token: str | None = None) -> Token:
        """POST /v3/auth/tokens: check the methods, pick the scope, issue a token."""
        if not isinstance(body, Mapping):
            raise ValidationError("auth", "request body")
        auth = _section(body, "auth", "request body")
        identity = _section(auth, "identity", "auth")
        methods = identity.get("methods")
        if not isinstance(methods, list) or not methods or not all(
                isinstance(m, str) for m in methods):
            raise ValidationError("methods", "identity")
        user: User | None = None
        inherited: tuple[str, ...] = ()
        for method in methods:
            found: User | None
            if method == "password":
                found = self._password_user(directory, _section(identity, "password", "identity"))
            elif method == "token":
                section = _section(identity, "token", "identity")
                original = self.valid(str(section.get("id") or subject_token or ""))
                if original is None:
                    raise Unauthorized()
                found = directory.users.get(original.user.id)
                if found is None or not found.enabled:
                    raise Unauthorized()
                inherited = original.methods
            else:
                raise Unauthorized()  # Keystone's answer to a method it does not run
            if user is not None and found.id != user.id:
                raise Unauthorized()
            user = found
        assert user is not None
        project = self._scope(directory, user, auth.get("scope"))
        roles = with_implied_roles(user.roles.get(project.id, ())) if project else ()
        now = self._now()
        token = Token(id=secrets.token_hex(24), user=user, project=project, roles=roles,
                      methods=tuple(dict.fromkeys((*inherited, *methods))), issued_at=now,
                      expires_at=now + self.ttl,
                      audit_id=secrets.token_urlsafe(16)[:22])
        with self._lock:
            self._forget_old(now)
            self._tokens[token.id] = token
        return token

    @staticmethod
    def _password_user(directory: Directory, section: Mapping[str, Any]) -> User:
        reference = _section(section, "user", "password")
        password = reference.get("password")
        if not isinstance(password, str):
            raise ValidationError("password", "user")
        if not directory.users:
            raise Unauthorized(NO_USERS)
        user = directory.find_user(reference)
        if not user.password:
            raise Unauthorized()  # created without a password: no password logs it in
        # surrogatepass: a JSON string may hold lone surrogates (they just do not match).
        if not secrets.compare_digest(user.password.encode("utf-8", "surrogatepass"),
                                      password.encode("utf-8", "surrogatepass")):
            raise Unauthorized()
        return user

    @staticmethod
    def _scope(directory: Directory, user: User, scope: Any) -> Project | None:
        """The project the token is for; Keystone falls back to the default project."""
        if scope == "unscoped":
            return None  # Keystone's explicit request for an unscoped token
        if scope is None:
            default = user.default_project_id
            if default and user.roles.get(default):
                return directory.projects[default]
            return None
        if not isinstance(scope, Mapping) or set(scope) - {"project"}:
            # Domain, system and trust scopes are beyond this fake's Keystone.
            raise Unauthorized()
        project = directory.find_project(_section(scope, "project", "scope"))
        if not user.roles.get(project.id) or not project.enabled:
            raise Unauthorized()  # no role on the project
        return project

    def _forget_old(self, now: _dt.datetime) -> None:
        for token_id in [t.id for t in self._tokens.values()
                         if t.expires_at + _FORGET_AFTER < now]:
            del self._tokens[token_id]

    def valid(self, token_id: str) -> Token | None:
        """The token if this Keystone issued it and it has not expired."""
        with self._lock:
            token = self._tokens.get(token_id)
        if token is None or token.expires_at <= self._now():
            return None
        return token

    def resolve(self, token_id: str) -> Caller | None:
        """The caller a Cinder request's token names; None for tokens not issued here
        (they are read as noauth tokens); 401 for expired or unscoped ones."""
        with self._lock:
            token = self._tokens.get(token_id)
        if token is None:
            return None
        if token.expires_at <= self._now():
            raise Unauthorized()
        return token.caller()

    def revoke(self, token_id: str) -> bool:
        """Expire a valid token now (so it answers 401 from then on, like an expired one)."""
        with self._lock:
            token = self._tokens.get(token_id)
            now = self._now()
            if token is None or token.expires_at <= now:
                return False
            self._tokens[token_id] = dataclasses.replace(token, expires_at=now)
            return True


def visible_projects(directory: Directory, caller: Caller) -> list[Project]:
    """Admins see every project; others the projects they have a role on."""
    if caller.is_admin:
        return list(directory.projects.values())
    user = directory.users.get(caller.user_id or "")
    return [p for p in directory.projects.values() if user is not None and user.roles.get(p.id)]


# -- servers (the Nova lookups a volume attach makes) ---------------------------------------------
def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def get_server(directory: Directory, caller: Caller, server_id: str) -> Server:
    """A named server of the fixture state, or, for any other UUID, a server that
    exists just because it was asked for: the fake has no Nova to say otherwise."""
    server = directory.servers.get(server_id)
    if server is not None:
        if not caller.can_see(server.project_id):
            raise InstanceNotFound(server_id)
        return server
    if not _is_uuid(server_id):
        raise InstanceNotFound(server_id)
    return Server(id=server_id, name=f"server-{server_id[:8]}", project_id=caller.project_id,
                  user_id=caller.user_id)


def list_servers(directory: Directory, caller: Caller, name: str | None = None,
                 all_tenants: bool = False) -> list[Server]:
    """The fixture's servers of the caller's project (all projects for an admin who asks),
    filtered like Nova by ``name`` as a regular expression."""
    pattern: re.Pattern[str] | None = None
    if name is not None:
        try:
            pattern = re.compile(name)
        except re.error:
            pattern = re.compile(re.escape(name))
    return [s for s in directory.servers.values()
            if (s.project_id == caller.project_id or (all_tenants and caller.is_admin))
            and (pattern is None or pattern.search(s.name))]
