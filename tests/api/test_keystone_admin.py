"""Keystone's admin API under /identity/v3: domains, projects, users, roles and role
assignments, admin-only with Keystone's bodies; what it creates is state."""

from __future__ import annotations

import pytest

from fake_cinder import FakeCinder
from fake_cinder.core.directory import stable_id

V3 = "/identity/v3"
MEMBER_ROLE = stable_id("role", "member")


def password(name: str, secret: str, project: str | None = None) -> dict:
    auth: dict = {"identity": {"methods": ["password"], "password": {"user": {
        "name": name, "domain": {"id": "default"}, "password": secret}}}}
    if project is not None:
        auth["scope"] = {"project": {"name": project, "domain": {"id": "default"}}}
    return {"auth": auth}


def login(client, name: str, secret: str, project: str | None = None) -> dict[str, str]:
    response = client.post(f"{V3}/auth/tokens", json=password(name, secret, project))
    assert response.status_code == 201, response.json
    return {"X-Auth-Token": response.headers["X-Subject-Token"]}


@pytest.fixture
def admin(client) -> dict[str, str]:
    return login(client, "admin", "admin")


@pytest.fixture
def member(client) -> dict[str, str]:
    return login(client, "demo", "demo")


def error(status: int, title: str, message: str) -> dict:
    return {"error": {"code": status, "title": title, "message": message}}


def test_domains_by_name_as_tempest_looks_them_up(client, admin):
    found = client.get(f"{V3}/domains?name=Default", headers=admin)
    assert found.status_code == 200
    assert [(d["id"], d["name"], d["enabled"]) for d in found.json["domains"]] == [
        ("default", "Default", True)]
    assert client.get(f"{V3}/domains?name=Nope", headers=admin).json["domains"] == []
    assert client.get(f"{V3}/domains/default", headers=admin).json["domain"]["name"] == \
        "Default"
    missing = client.get(f"{V3}/domains/nope", headers=admin)
    assert missing.status_code == 404
    assert missing.json == error(404, "Not Found", "Could not find domain: nope.")


def test_project_create_update_delete(client, admin, fake: FakeCinder):
    created = client.post(f"{V3}/projects", headers=admin, json={"project": {
        "name": "tempest-p1", "description": "tempest-p1-desc", "domain_id": "default"}})
    assert created.status_code == 201
    project = created.json["project"]
    assert len(project["id"]) == 32 and project["domain_id"] == "default"
    assert (project["name"], project["description"], project["enabled"]) == (
        "tempest-p1", "tempest-p1-desc", True)
    assert client.get(f"{V3}/projects/{project['id']}", headers=admin).json["project"] == \
        project
    updated = client.patch(f"{V3}/projects/{project['id']}", headers=admin,
                           json={"project": {"description": "new", "enabled": False}})
    assert updated.status_code == 200
    assert (updated.json["project"]["description"], updated.json["project"]["enabled"]) == (
        "new", False)
    listed = client.get(f"{V3}/projects?enabled=false", headers=admin).json["projects"]
    assert [p["id"] for p in listed] == [project["id"]]
    assert client.delete(f"{V3}/projects/{project['id']}", headers=admin).status_code == 204
    gone = client.get(f"{V3}/projects/{project['id']}", headers=admin)
    assert gone.status_code == 404
    assert gone.json == error(404, "Not Found", f"Could not find project: {project['id']}.")
    assert all(p["id"] != project["id"] for p in fake.dump()["identity"]["projects"])


def test_duplicates_conflict_with_keystones_409(client, admin):
    body = {"project": {"name": "twice"}}
    assert client.post(f"{V3}/projects", headers=admin, json=body).status_code == 201
    again = client.post(f"{V3}/projects", headers=admin, json=body)
    assert again.status_code == 409
    assert again.json == error(409, "Conflict", "Conflict occurred attempting to store "
                               "project - Duplicate entry found with name twice at domain "
                               "ID default.")
    user = client.post(f"{V3}/users", headers=admin, json={"user": {"name": "demo"}})
    assert user.status_code == 409
    assert user.json["error"]["message"] == ("Conflict occurred attempting to store user - "
                                             "Duplicate entry found with name demo at domain "
                                             "ID default.")
    role = client.post(f"{V3}/roles", headers=admin, json={"role": {"name": "Member"}})
    assert role.status_code == 409
    assert role.json["error"]["message"] == ("Conflict occurred attempting to store role - "
                                             "Duplicate entry found with name Member.")


@pytest.mark.parametrize(("method", "path", "body", "action"), [
    ("POST", "projects", {"project": {"name": "x"}}, "identity:create_project"),
    ("DELETE", "projects/demo", None, "identity:delete_project"),
    ("GET", "users", None, "identity:list_users"),
    ("POST", "users", {"user": {"name": "x"}}, "identity:create_user"),
    ("GET", "users/admin", None, "identity:get_user"),
    ("GET", "roles", None, "identity:list_roles"),
    ("POST", "roles", {"role": {"name": "x"}}, "identity:create_role"),
    ("PUT", f"projects/demo/users/demo/roles/{MEMBER_ROLE}", None, "identity:create_grant"),
    ("GET", "role_assignments", None, "identity:list_role_assignments"),
    ("GET", "domains", None, "identity:list_domains"),
])
def test_members_get_keystones_403_and_nothing_changes(client, member, fake, method, path,
                                                       body, action):
    before = fake.dump()
    response = client.open(f"{V3}/{path}", method=method, headers=member, json=body)
    assert response.status_code == 403
    assert response.json == error(403, "Forbidden", "You are not authorized to perform the "
                                  f"requested action: {action}.")
    assert fake.dump() == before


def test_without_a_token_401(client):
    assert client.post(f"{V3}/projects", json={"project": {"name": "x"}}).status_code == 401
    assert client.get(f"{V3}/role_assignments").status_code == 401


@pytest.mark.parametrize("body", [{}, {"project": {}}, {"project": {"name": ""}},
                                  {"project": {"name": "x", "enabled": "yes"}}, []])
def test_bad_bodies_get_keystones_400(client, admin, fake, body):
    before = fake.dump()
    response = client.post(f"{V3}/projects", headers=admin, json=body)
    assert response.status_code == 400
    assert response.json["error"]["title"] == "Bad Request"
    assert fake.dump() == before


def test_a_created_user_logs_in_and_uses_cinder(client, admin, fake: FakeCinder):
    project = client.post(f"{V3}/projects", headers=admin,
                          json={"project": {"name": "team"}}).json["project"]
    created = client.post(f"{V3}/users", headers=admin, json={"user": {
        "name": "alice", "password": "secret", "email": "alice@example.org",
        "default_project_id": project["id"]}})
    assert created.status_code == 201
    user = created.json["user"]
    assert "password" not in user and user["email"] == "alice@example.org"
    # No role yet: Keystone gives no project-scoped token.
    refused = client.post(f"{V3}/auth/tokens", json=password("alice", "secret", "team"))
    assert refused.status_code == 401
    grant = f"{V3}/projects/{project['id']}/users/{user['id']}/roles/{MEMBER_ROLE}"
    assert client.head(grant, headers=admin).status_code == 404
    assert client.put(grant, headers=admin).status_code == 204
    assert client.put(grant, headers=admin).status_code == 204  # idempotent
    assert client.head(grant, headers=admin).status_code == 204
    alice = login(client, "alice", "secret", "team")
    volumes = client.get(f"/v3/{project['id']}/volumes", headers=alice)
    assert volumes.status_code == 200 and volumes.json["volumes"] == []
    made = client.post(f"/v3/{project['id']}/volumes", headers=alice,
                       json={"volume": {"size": 1, "name": "alice-data"}})
    assert made.status_code == 202
    assert fake.volumes(project_id=project["id"])[0]["name"] == "alice-data"
    # Someone else's project is still not hers (Cinder: a URL project not the token's).
    assert client.get("/v3/demo/volumes", headers=alice).status_code == 400
    assert client.get(f"{V3}/users/{user['id']}", headers=alice).json["user"]["name"] == "alice"
    assert [p["id"] for p in client.get(f"{V3}/users/{user['id']}/projects",
                                        headers=alice).json["projects"]] == [project["id"]]


def test_role_assignments_list_and_filters(client, admin):
    everything = client.get(f"{V3}/role_assignments", headers=admin).json["role_assignments"]
    assert {(a["user"]["id"], a["scope"]["project"]["id"]) for a in everything} >= {
        ("demo", "demo"), ("admin", "admin"), ("nova", "service")}
    demo = client.get(f"{V3}/role_assignments?user.id=demo&scope.project.id=demo"
                      "&include_names", headers=admin).json["role_assignments"]
    assert sorted(a["role"]["name"] for a in demo) == ["member", "reader"]
    assert demo[0]["user"] == {"id": "demo", "name": "demo",
                               "domain": {"id": "default", "name": "Default"}}
    assert demo[0]["links"]["assignment"].endswith(
        f"/identity/v3/projects/demo/users/demo/roles/{demo[0]['role']['id']}")
    by_role = client.get(f"{V3}/role_assignments?role.id={MEMBER_ROLE}&effective",
                         headers=admin).json["role_assignments"]
    assert by_role and all(a["role"] == {"id": MEMBER_ROLE} for a in by_role)
    assert client.get(f"{V3}/role_assignments?group.id=g", headers=admin).json[
        "role_assignments"] == []
    grants = client.get(f"{V3}/projects/demo/users/demo/roles", headers=admin).json["roles"]
    assert sorted(r["name"] for r in grants) == ["member", "reader"]


def test_revoke_and_the_404s_of_grants(client, admin):
    grant = f"{V3}/projects/demo/users/demo/roles/{MEMBER_ROLE}"
    assert client.delete(grant, headers=admin).status_code == 204
    again = client.delete(grant, headers=admin)
    assert again.status_code == 404
    assert again.json == error(404, "Not Found", "Could not find role assignment with role: "
                               f"{MEMBER_ROLE}, user or group: demo, project, domain, or "
                               "system: demo.")
    assert client.put(f"{V3}/projects/demo/users/demo/roles/nope",
                      headers=admin).json["error"]["message"] == "Could not find role: nope."
    assert client.put(f"{V3}/projects/nope/users/demo/roles/{MEMBER_ROLE}",
                      headers=admin).json["error"]["message"] == "Could not find project: nope."
    assert client.put(f"{V3}/projects/demo/users/nope/roles/{MEMBER_ROLE}",
                      headers=admin).json["error"]["message"] == "Could not find user: nope."


def test_roles_create_list_show(client, admin):
    created = client.post(f"{V3}/roles", headers=admin,
                          json={"role": {"name": "Creator", "description": "makes"}})
    assert created.status_code == 201
    role = created.json["role"]
    assert (role["name"], role["description"], role["domain_id"]) == ("creator", "makes", None)
    names = [r["name"] for r in client.get(f"{V3}/roles", headers=admin).json["roles"]]
    assert {"admin", "member", "reader", "service", "creator"} <= set(names)
    assert client.get(f"{V3}/roles?name=creator", headers=admin).json["roles"] == [role]
    assert client.get(f"{V3}/roles/{role['id']}", headers=admin).json["role"] == role
    assert client.get(f"{V3}/roles/nope", headers=admin).status_code == 404


def test_users_update_filters_and_delete(client, admin):
    user = client.post(f"{V3}/users", headers=admin, json={"user": {
        "name": "bob", "password": "one"}}).json["user"]
    assert "default_project_id" not in user
    changed = client.patch(f"{V3}/users/{user['id']}", headers=admin,
                           json={"user": {"password": "two", "description": "Bob"}})
    assert changed.status_code == 200 and changed.json["user"]["description"] == "Bob"
    assert client.post(f"{V3}/auth/tokens", json=password("bob", "one")).status_code == 401
    login(client, "bob", "two")
    assert [u["id"] for u in client.get(f"{V3}/users?name=bob", headers=admin).json[
        "users"]] == [user["id"]]
    bad_default = client.patch(f"{V3}/users/{user['id']}", headers=admin,
                               json={"user": {"default_project_id": "nope"}})
    assert bad_default.status_code == 404
    assert client.delete(f"{V3}/users/{user['id']}", headers=admin).status_code == 204
    assert client.delete(f"{V3}/users/{user['id']}", headers=admin).json == error(
        404, "Not Found", f"Could not find user: {user['id']}.")
    assert client.post(f"{V3}/auth/tokens", json=password("bob", "two")).status_code == 401


def test_a_user_without_a_password_cannot_log_in(client, admin):
    client.post(f"{V3}/users", headers=admin, json={"user": {"name": "nopw"}})
    assert client.post(f"{V3}/auth/tokens", json=password("nopw", "")).status_code == 401


def test_created_identities_are_state(fake: FakeCinder):
    project = fake.add_project("carol-team", description="Carol's")
    user = fake.add_user("carol", "pw", project_id=project["id"], roles=("member", "auditor"))
    state = fake.dump()
    assert {"id": project["id"], "name": "carol-team", "domain_id": "default",
            "description": "Carol's", "enabled": True} in state["identity"]["projects"]
    carol = next(u for u in state["identity"]["users"] if u["id"] == user["id"])
    assert carol["roles"] == {project["id"]: ["member", "auditor"]}
    assert [r["name"] for r in state["identity"]["roles"]] == ["auditor"]
    other = FakeCinder()
    other.load(state)
    assert other.dump() == state
    client = other.app.test_client()
    token = login(client, "carol", "pw", "carol-team")
    assert client.get(f"/v3/{project['id']}/volumes", headers=token).status_code == 200
    fake.reset()
    assert all(u["name"] != "carol" for u in fake.dump()["identity"]["users"])


def test_deleting_a_project_drops_its_assignments_and_defaults(fake: FakeCinder):
    project = fake.add_project("short-lived")
    user = fake.add_user("dave", "pw", project_id=project["id"])
    client = fake.app.test_client()
    admin = login(client, "admin", "admin")
    assert client.delete(f"{V3}/projects/{project['id']}", headers=admin).status_code == 204
    dave = next(u for u in fake.dump()["identity"]["users"] if u["id"] == user["id"])
    assert dave["roles"] == {} and dave["default_project_id"] is None
    assert client.get(f"{V3}/role_assignments?user.id={user['id']}",
                      headers=admin).json["role_assignments"] == []


def test_tokens_of_deleted_users_and_revoked_roles_stop_working(client, admin, fake):
    project = fake.add_project("temp")
    user = fake.add_user("erin", "pw", project_id=project["id"], roles=("member",))
    erin = login(client, "erin", "pw", "temp")
    volumes = f"/v3/{project['id']}/volumes"
    assert client.get(volumes, headers=erin).status_code == 200
    subject = {**admin, "X-Subject-Token": erin["X-Auth-Token"]}
    assert client.get(f"{V3}/auth/tokens", headers=subject).status_code == 200
    grant = f"{V3}/projects/{project['id']}/users/{user['id']}/roles/{MEMBER_ROLE}"
    assert client.delete(grant, headers=admin).status_code == 204
    assert client.get(volumes, headers=erin).status_code == 401
    assert client.get(f"{V3}/auth/tokens", headers=subject).status_code == 404
    assert client.put(grant, headers=admin).status_code == 204
    erin = login(client, "erin", "pw", "temp")
    assert client.delete(f"{V3}/users/{user['id']}", headers=admin).status_code == 204
    assert client.get(volumes, headers=erin).status_code == 401


def test_an_unknown_domain_is_not_found(client, admin, fake):
    before = fake.dump()
    for kind in ("project", "user"):
        response = client.post(f"{V3}/{kind}s", headers=admin,
                               json={kind: {"name": "x", "domain_id": "nope"}})
        assert response.json == error(404, "Not Found", "Could not find domain: nope.")
    assert fake.dump() == before


def test_empty_optional_strings_are_kept_as_keystone_keeps_them(client, admin, fake):
    created = client.post(f"{V3}/users", headers=admin, json={"user": {
        "name": "empty", "password": "", "email": "", "description": ""}})
    assert created.status_code == 201
    assert (created.json["user"]["email"], created.json["user"]["description"]) == ("", "")
    assert client.post(f"{V3}/auth/tokens", json=password("empty", "")).status_code == 401
    role = client.post(f"{V3}/roles", headers=admin,
                       json={"role": {"name": "blank", "description": ""}})
    assert role.status_code == 201 and role.json["role"]["description"] == ""
    other = FakeCinder()
    other.load(fake.dump())
    assert other.dump() == fake.dump()
