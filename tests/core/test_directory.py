"""The pure identity module: the fixture's identity section, tokens, scopes, servers."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from fake_cinder.core import directory as identity
from fake_cinder.core.context import Caller
from fake_cinder.core.errors import NotFound
from fake_cinder.resources import fixture_path

DEFAULT = json.loads(fixture_path("default.json").read_text(encoding="utf-8"))["identity"]


def password_body(user: dict, password: str, scope: dict | None = None) -> dict:
    auth: dict = {"identity": {"methods": ["password"],
                               "password": {"user": {**user, "password": password}}}}
    if scope is not None:
        auth["scope"] = scope
    return {"auth": auth}


DEMO = {"name": "demo", "domain": {"name": "Default"}}
ADMIN = {"name": "admin", "domain": {"id": "default"}}


class Now:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.moment = dt.datetime(2030, 1, 1, 12, 0, 0)

    def __call__(self) -> dt.datetime:
        return self.moment


@pytest.fixture
def directory() -> identity.Directory:
    return identity.Directory.parse(DEFAULT)


@pytest.fixture
def now() -> Now:
    return Now()


@pytest.fixture
def tokens(now: Now) -> identity.TokenRegistry:
    return identity.TokenRegistry(now=now)


# -- the identity section ------------------------------------------------------------------------
def test_default_fixture_has_an_admin_and_a_member(directory):
    admin, demo = directory.users["admin"], directory.users["demo"]
    assert admin.password == "admin" and "admin" in admin.roles["admin"]
    assert demo.password == "demo" and demo.roles == {"demo": ("member", "reader")}
    assert {s.name for s in directory.servers.values()} >= {"demo-server", "admin-server"}
    assert directory.domains["default"].name == "Default"


@pytest.mark.parametrize(("data", "problem"), [
    ({"users": {}}, "identity.users: must be a list"),
    ({"projects": [{"id": "p"}]}, "identity.projects[0].name: must be a non-empty string"),
    ({"users": [{"id": "u", "name": "u", "password": "p", "roles": {"nope": ["member"]}}]},
     "identity.users[0].roles: unknown project 'nope'"),
    ({"projects": [{"id": "p", "name": "p"}],
      "users": [{"id": "u", "name": "u", "password": "p", "roles": {"p": "member"}}]},
     "identity.users[0].roles.p: must be a list of role names"),
    ({"users": [{"id": "u", "name": "u", "password": "p", "default_project_id": "x"}]},
     "identity.users[0].default_project_id: unknown project 'x'"),
    ({"projects": [{"id": "p", "name": "p"}, {"id": "p", "name": "q"}]},
     "identity.projects[1]: duplicate project id 'p'"),
    ({"projects": [{"id": "p", "name": "p", "domain_id": "elsewhere"}]},
     "identity.projects[0].domain_id: unknown domain 'elsewhere'"),
    ({"servers": [{"id": "s", "name": "s"}]},
     "identity.servers[0].project_id: must be a non-empty string"),
    ([], "identity: must be an object"),
])
def test_a_bad_identity_section_is_named_precisely(data, problem):
    with pytest.raises(ValueError) as raised:
        identity.Directory.parse(data)
    assert str(raised.value).startswith(problem)


# -- password and token authentication -----------------------------------------------------------
def test_password_by_name_and_domain_scoped_to_a_project_by_name(directory, tokens, now):
    token = tokens.authenticate(directory, password_body(
        DEMO, "demo", {"project": {"name": "demo", "domain": {"name": "Default"}}}))
    assert token.user.id == "demo" and token.project.id == "demo"
    assert token.roles == ("member", "reader") and token.methods == ("password",)
    assert token.expires_at - token.issued_at == identity.TOKEN_TTL
    assert tokens.resolve(token.id) == Caller(user_id="demo", project_id="demo",
                                              roles=frozenset({"member", "reader"}))


def test_password_by_ids(directory, tokens):
    token = tokens.authenticate(directory, password_body(
        {"id": "admin"}, "admin", {"project": {"id": "demo"}}))
    assert token.project.id == "demo" and "admin" in token.roles
    assert tokens.resolve(token.id).is_admin


def test_no_scope_means_the_default_project(directory, tokens):
    token = tokens.authenticate(directory, password_body(DEMO, "demo"))
    assert token.project.id == "demo"


def test_token_method_rescopes(directory, tokens):
    first = tokens.authenticate(directory, password_body(ADMIN, "admin"))
    assert first.project.id == "admin"
    again = tokens.authenticate(directory, {"auth": {
        "identity": {"methods": ["token"], "token": {"id": first.id}},
        "scope": {"project": {"id": "demo"}}}})
    assert again.id != first.id and again.user.id == "admin" and again.project.id == "demo"
    assert again.methods == ("password", "token")


@pytest.mark.parametrize("body", [
    password_body(DEMO, "wrong"),
    password_body({"name": "nobody", "domain": {"name": "Default"}}, "demo"),
    password_body({"name": "demo", "domain": {"name": "Elsewhere"}}, "demo"),
    password_body(DEMO, "demo", {"project": {"id": "admin"}}),      # no role there
    password_body(DEMO, "demo", {"project": {"id": "nope"}}),
    password_body(DEMO, "demo", {"domain": {"id": "default"}}),     # not supported here
    {"auth": {"identity": {"methods": ["totp"], "totp": {}}}},
    {"auth": {"identity": {"methods": ["token"], "token": {"id": "never-issued"}}}},
])
def test_bad_credentials_are_unauthorized(directory, tokens, body):
    with pytest.raises(identity.Unauthorized) as raised:
        tokens.authenticate(directory, body)
    assert raised.value.status == 401
    assert raised.value.message == "The request you have made requires authentication."


@pytest.mark.parametrize(("body", "missing"), [
    (None, "auth"), ({}, "auth"), ({"auth": {}}, "identity"),
    ({"auth": {"identity": {"methods": []}}}, "methods"),
    ({"auth": {"identity": {"methods": ["password"]}}}, "password"),
    ({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "demo"}}}}},
     "password"),
    (password_body({"name": "demo"}, "demo"), "domain"),
    (password_body({"password": "x"}, "demo"), "id or name"),
])
def test_malformed_requests_are_bad_requests(directory, tokens, body, missing):
    with pytest.raises(identity.ValidationError) as raised:
        tokens.authenticate(directory, body)
    assert raised.value.status == 400
    assert raised.value.message.startswith(f"Expecting to find {missing} in ")


def test_tokens_expire_and_are_then_refused_not_read_as_noauth(directory, tokens, now):
    token = tokens.authenticate(directory, password_body(DEMO, "demo"))
    now.moment += identity.TOKEN_TTL - dt.timedelta(seconds=1)
    assert tokens.valid(token.id) is token
    now.moment += dt.timedelta(seconds=1)
    assert tokens.valid(token.id) is None
    with pytest.raises(identity.Unauthorized):
        tokens.resolve(token.id)
    # A token this Keystone never issued is not its business: the API reads it as noauth.
    assert tokens.resolve("demo:demo") is None


def test_revoked_tokens_are_refused(directory, tokens):
    token = tokens.authenticate(directory, password_body(DEMO, "demo"))
    assert tokens.revoke(token.id)
    assert not tokens.revoke(token.id)
    with pytest.raises(identity.Unauthorized):
        tokens.resolve(token.id)


def test_unscoped_tokens_cannot_call_cinder(tokens):
    directory = identity.Directory.parse({"projects": [{"id": "p", "name": "p"}], "users": [
        {"id": "u", "name": "u", "password": "pw"}]})
    token = tokens.authenticate(directory, password_body({"id": "u"}, "pw"))
    assert token.project is None
    with pytest.raises(identity.Unauthorized):
        tokens.resolve(token.id)


# -- servers -------------------------------------------------------------------------------------
MEMBER = Caller(user_id="demo", project_id="demo", roles=frozenset({"member"}))
ADMIN_CALLER = Caller(user_id="admin", project_id="admin", roles=frozenset({"admin"}))


def test_any_uuid_is_a_server_and_named_ones_keep_their_names(directory):
    named = identity.get_server(directory, MEMBER, "5a1e0f6c-3b7d-4c2e-9f10-4d8a6b2c7e01")
    assert named.name == "demo-server"
    some = identity.get_server(directory, MEMBER, "11111111-2222-4333-8444-555555555555")
    assert some.id == "11111111-2222-4333-8444-555555555555" and some.project_id == "demo"


@pytest.mark.parametrize("server_id", ["demo-server", "7c3a2b8e-5d9f-4e4a-9b32-6fac8d4e9a03"])
def test_names_and_other_projects_servers_are_not_found_by_id(directory, server_id):
    with pytest.raises(NotFound, match=f"Instance {server_id} could not be found."):
        identity.get_server(directory, MEMBER, server_id)


def test_server_names_filter_like_novas_regular_expressions(directory):
    assert [s.name for s in identity.list_servers(directory, MEMBER, "demo-server")] == [
        "demo-server", "demo-server-2"]
    assert [s.name for s in identity.list_servers(directory, MEMBER, "^demo-server$")] == [
        "demo-server"]
    assert identity.list_servers(directory, MEMBER, "admin-server") == []
    assert [s.name for s in identity.list_servers(directory, ADMIN_CALLER, "admin")] == [
        "admin-server"]
    assert len(identity.list_servers(directory, ADMIN_CALLER, all_tenants=True)) == 3
    assert identity.list_servers(directory, MEMBER, "[unclosed") == []
