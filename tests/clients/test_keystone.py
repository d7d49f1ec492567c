"""The fake Keystone under /identity over HTTP, and its tokens on the Cinder API."""

from __future__ import annotations

import datetime as dt

import pytest

from fake_cinder import FakeCinder
from fake_cinder.api import keystone_views
from fake_cinder.core import directory as identity

UNAUTHORIZED = {"error": {"code": 401, "title": "Unauthorized",
                          "message": "The request you have made requires authentication."}}


def password(name: str, secret: str, project: str | None = None) -> dict:
    auth: dict = {"identity": {"methods": ["password"], "password": {"user": {
        "name": name, "domain": {"name": "Default"}, "password": secret}}}}
    if project is not None:
        auth["scope"] = {"project": {"name": project, "domain": {"id": "default"}}}
    return {"auth": auth}


def issue(client, name: str = "demo", secret: str = "demo", project: str | None = None) -> str:
    response = client.post("/identity/v3/auth/tokens", json=password(name, secret, project))
    assert response.status_code == 201, response.json
    return response.headers["X-Subject-Token"]


def test_version_documents(client):
    root = client.get("/identity")
    assert root.status_code == 300
    (version,) = root.json["versions"]["values"]
    assert version["id"] == "v3.14" and version["status"] == "stable"
    assert version["links"] == [{"rel": "self", "href": "http://localhost/identity/v3/"}]
    v3 = client.get("/identity/v3/")
    assert v3.status_code == 200 and v3.json["version"]["id"] == "v3.14"
    assert client.get("/identity/v3").json == v3.json


def test_password_auth_answers_201_with_the_token_and_catalog(client):
    response = client.post("/identity/v3/auth/tokens", json=password("demo", "demo", "demo"))
    assert response.status_code == 201
    assert len(response.headers["X-Subject-Token"]) >= 32
    token = response.json["token"]
    assert token["methods"] == ["password"]
    assert token["user"]["name"] == "demo" and token["project"]["name"] == "demo"
    assert {r["name"] for r in token["roles"]} == {"member", "reader"}
    issued = dt.datetime.strptime(token["issued_at"], keystone_views.KEYSTONE_TIMESTAMP)
    expires = dt.datetime.strptime(token["expires_at"], keystone_views.KEYSTONE_TIMESTAMP)
    assert expires - issued == dt.timedelta(hours=1)
    public = {s["type"]: e["url"] for s in token["catalog"] for e in s["endpoints"]
              if e["interface"] == "public"}
    assert public == {"block-storage": "http://localhost/v3/demo",
                      "volumev3": "http://localhost/v3/demo",
                      "identity": "http://localhost/identity",
                      "compute": "http://localhost/compute/v2.1",
                      "image": "http://localhost/image"}
    nocatalog = client.post("/identity/v3/auth/tokens?nocatalog",
                            json=password("demo", "demo"))
    assert "catalog" not in nocatalog.json["token"]


def test_token_method(client):
    first = issue(client, "admin", "admin")
    response = client.post("/identity/v3/auth/tokens", headers={"X-Auth-Token": first}, json={
        "auth": {"identity": {"methods": ["token"], "token": {"id": first}},
                 "scope": {"project": {"id": "demo"}}}})
    assert response.status_code == 201
    assert response.json["token"]["project"]["id"] == "demo"
    assert response.json["token"]["methods"] == ["password", "token"]


@pytest.mark.parametrize("body", [password("demo", "nope"), password("ghost", "demo"),
                                  password("demo", "demo", "admin")])
def test_wrong_credentials_get_keystones_401(client, body):
    response = client.post("/identity/v3/auth/tokens", json=body)
    assert response.status_code == 401
    assert response.json == UNAUTHORIZED
    assert response.headers["WWW-Authenticate"] == 'Keystone uri="http://localhost/identity"'
    assert "X-Subject-Token" not in response.headers


def test_password_auth_against_an_empty_fake_says_how_to_load_users(checked_fake):
    client = checked_fake().app.test_client()
    response = client.post("/identity/v3/auth/tokens", json=password("demo", "demo", "demo"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Keystone uri="http://localhost/identity"'
    error = response.json["error"]
    assert (set(response.json), set(error)) == ({"error"}, {"code", "title", "message"})
    assert (error["code"], error["title"]) == (401, "Unauthorized")
    assert error["message"].startswith(UNAUTHORIZED["error"]["message"] + " The fake's state "
                                       "has no users: load a state with an \"identity\" object")
    assert 'FakeCinder("default.json")' in error["message"]
    assert "--fixtures default.json" in error["message"]


@pytest.mark.parametrize("data", [b"not json", b"[]", b'{"auth": {"identity": 3}}'])
def test_malformed_auth_requests_get_keystones_400(client, data):
    response = client.post("/identity/v3/auth/tokens", data=data,
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"]["code"] == 400
    assert response.json["error"]["title"] == "Bad Request"
    assert response.json["error"]["message"].startswith("Expecting to find ")


def _user(**user) -> dict:
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": user}}}}


@pytest.mark.parametrize("body", [
    _user(id=["demo"], password="demo"),
    _user(name="demo", domain={"id": {"x": 1}}, password="demo"),
    {"auth": {**_user(id="demo", password="demo")["auth"], "scope": {"project": {"id": {}}}}}])
def test_references_that_are_not_strings_get_keystones_400(client, body):
    response = client.post("/identity/v3/auth/tokens", json=body)
    assert response.status_code == 400
    assert response.json["error"]["message"].startswith("Invalid input for field ")


def test_a_password_with_a_lone_surrogate_is_just_wrong(client):
    response = client.post("/identity/v3/auth/tokens",
                           data=b'{"auth": {"identity": {"methods": ["password"], "password": '
                                b'{"user": {"id": "demo", "password": "\\ud800"}}}}}',
                           content_type="application/json")
    assert response.status_code == 401
    assert response.json == UNAUTHORIZED


def test_an_unscoped_request_gets_an_unscoped_token(client):
    body = _user(id="demo", password="demo")
    body["auth"]["scope"] = "unscoped"
    response = client.post("/identity/v3/auth/tokens", json=body)
    assert response.status_code == 201
    assert "project" not in response.json["token"]
    assert "catalog" not in response.json["token"]

def test_tokens_identify_cinder_callers(client):
    member = {"X-Auth-Token": issue(client), "OpenStack-API-Version": "volume 3.71"}
    assert client.get("/v3/demo/attachments", headers=member).status_code == 200
    assert client.get("/v3/attachments", headers=member).status_code == 200
    # The token is demo's, in project demo: another project's URL is malformed,
    # and a member may not manage volume types.
    assert client.get("/v3/admin/attachments", headers=member).json["badRequest"][
        "message"] == "Malformed request url"
    assert client.post("/v3/demo/types", headers=member,
                       json={"volume_type": {"name": "x"}}).status_code == 403
    admin = {"X-Auth-Token": issue(client, "admin", "admin"),
             "OpenStack-API-Version": "volume 3.71"}
    assert client.post("/v3/admin/types", headers=admin,
                       json={"volume_type": {"name": "x"}}).status_code == 200


def test_unknown_tokens_are_still_noauth_tokens(client):
    response = client.get("/v3/demo/volumes", headers={"X-Auth-Token": "demo:demo"})
    assert response.status_code == 200 and len(response.json["volumes"]) == 3


def test_expired_tokens_get_401_on_cinder(fake: FakeCinder, client):
    clock = {"now": dt.datetime(2030, 1, 1)}
    fake.tokens = identity.TokenRegistry(now=lambda: clock["now"])
    token = issue(client)
    assert client.get("/v3/demo/volumes", headers={"X-Auth-Token": token}).status_code == 200
    clock["now"] += dt.timedelta(hours=1)
    expired = client.get("/v3/demo/volumes", headers={"X-Auth-Token": token})
    # keystonemiddleware refuses it before Cinder: WebOb's 401, as without any identity.
    assert expired.status_code == 401
    assert expired.json == client.get("/v3/demo/volumes").json
    assert expired.json["title"] == "Unauthorized"
    assert expired.headers["WWW-Authenticate"] == 'Keystone uri="http://localhost/identity"'


def test_validate_and_revoke(client):
    caller = issue(client, "admin", "admin")
    subject = issue(client)
    checked = client.get("/identity/v3/auth/tokens",
                         headers={"X-Auth-Token": caller, "X-Subject-Token": subject})
    assert checked.status_code == 200 and checked.headers["X-Subject-Token"] == subject
    assert checked.json["token"]["user"]["name"] == "demo"
    assert client.get("/identity/v3/auth/tokens",
                      headers={"X-Subject-Token": subject}).status_code == 401
    assert client.delete("/identity/v3/auth/tokens", headers={
        "X-Auth-Token": caller, "X-Subject-Token": subject}).status_code == 204
    gone = client.get("/identity/v3/auth/tokens",
                      headers={"X-Auth-Token": caller, "X-Subject-Token": subject})
    assert gone.status_code == 404 and gone.json["error"]["title"] == "Not Found"
    revoked = client.get("/v3/demo/volumes", headers={"X-Auth-Token": subject})
    assert revoked.status_code == 401


def test_project_lookups(client):
    admin = {"X-Auth-Token": issue(client, "admin", "admin")}
    member = {"X-Auth-Token": issue(client)}
    by_name = client.get("/identity/v3/projects?name=demo", headers=admin).json["projects"]
    assert [(p["id"], p["name"], p["domain_id"]) for p in by_name] == [
        ("demo", "demo", "default")]
    assert {p["id"] for p in client.get("/identity/v3/projects", headers=admin).json[
        "projects"]} == {"admin", "demo", "service"}
    assert [p["id"] for p in client.get("/identity/v3/projects", headers=member).json[
        "projects"]] == ["demo"]
    assert client.get("/identity/v3/projects/demo", headers=member).json["project"][
        "name"] == "demo"
    hidden = client.get("/identity/v3/projects/admin", headers=member)
    assert hidden.status_code == 404
    assert hidden.json["error"]["message"] == "Could not find project: admin."
    assert client.get("/identity/v3/projects").status_code == 401


def test_identity_comes_from_the_state(fake: FakeCinder, client):
    state = fake.dump()
    assert state["identity"]["users"][0]["name"] == "admin"
    state["identity"]["users"][1]["password"] = "changed"
    fake.load(state)
    assert client.post("/identity/v3/auth/tokens",
                       json=password("demo", "demo")).status_code == 401
    assert client.post("/identity/v3/auth/tokens",
                       json=password("demo", "changed")).status_code == 201
    del state["identity"]
    fake.load(state)
    assert "identity" not in fake.dump()
    assert client.post("/identity/v3/auth/tokens",
                       json=password("demo", "changed")).status_code == 401


def test_a_bad_identity_section_fails_the_whole_load(fake: FakeCinder):
    state = fake.dump()
    broken = {**state, "volumes": [], "identity": {"users": [{"id": "x"}]}}
    with pytest.raises(ValueError, match=r"identity\.users\[0\]\.name"):
        fake.load(broken)
    assert fake.dump() == state


def test_a_service_token_of_the_fake_keystone_lets_nova_delete(client):
    """keystonemiddleware turns X-Service-Token into X-Service-Roles; Cinder's bug-2004555
    rule lets a caller with the service role delete a connected attachment."""
    user = issue(client)
    headers = {"X-Auth-Token": user, "OpenStack-API-Version": "volume 3.54"}

    def connected_attachment() -> str:
        created = client.post("/v3/demo/attachments", headers=headers, json={"attachment": {
            "volume_uuid": "1d7f3c52-6c2b-4e1f-8b58-2a7e4d3c9f22",
            "instance_uuid": "5a1e0f6c-3b7d-4c2e-9f10-4d8a6b2c7e01",
            "connector": {"initiator": "iqn.1993-08.org.debian:01:abc", "host": "h"}}})
        assert created.status_code == 200
        return created.json["attachment"]["id"]

    first = connected_attachment()
    assert client.delete(f"/v3/demo/attachments/{first}", headers=headers).status_code == 409
    not_a_service = {**headers, "X-Service-Token": issue(client)}
    assert client.delete(f"/v3/demo/attachments/{first}",
                         headers=not_a_service).status_code == 409
    nova = {**headers, "X-Service-Token": issue(client, "nova", "nova")}
    assert client.delete(f"/v3/demo/attachments/{first}", headers=nova).status_code == 200


# -- the token document (the API's view) ----------------------------------------------------------
def test_token_body_has_the_catalog_of_the_project(fake: FakeCinder):
    directory = identity.Directory.parse(fake.store.identity)
    token = fake.tokens.authenticate(directory, password("demo", "demo"))
    body = keystone_views.token_body(directory, token, "http://127.0.0.1:8776")["token"]
    assert body["user"] == {"id": "demo", "name": "demo",
                            "domain": {"id": "default", "name": "Default"},
                            "password_expires_at": None}
    assert body["project"]["id"] == "demo" and body["expires_at"].endswith("Z")
    assert [r["name"] for r in body["roles"]] == ["member", "reader"]
    urls = {(s["type"], e["interface"]): e["url"] for s in body["catalog"]
            for e in s["endpoints"]}
    assert urls[("block-storage", "public")] == "http://127.0.0.1:8776/v3/demo"
    assert urls[("volumev3", "public")] == "http://127.0.0.1:8776/v3/demo"
    assert urls[("identity", "public")] == "http://127.0.0.1:8776/identity"
    assert urls[("compute", "internal")] == "http://127.0.0.1:8776/compute/v2.1"
