"""The Nova lookups under /compute over HTTP (what `openstack volume attachment create`
calls to find its server)."""

from __future__ import annotations

import pytest

# A member of project demo, as keystonemiddleware describes one.
DEMO = {"X-User-Id": "demo", "X-Project-Id": "demo", "X-Roles": "member,reader"}
UNNAMED = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"


def test_version_documents_need_no_token(client):
    version = client.get("/compute/v2.1")
    assert version.status_code == 200
    assert version.json["version"]["id"] == "v2.1"
    assert version.json["version"]["min_version"] == "2.1"
    assert version.json["version"]["links"][0] == {
        "rel": "self", "href": "http://localhost/compute/v2.1/"}
    assert client.get("/compute/v2.1/").json == version.json
    assert client.get("/compute/").json["versions"] == [version.json["version"]]


def test_a_server_looked_up_by_uuid_always_exists(client):
    server = client.get(f"/compute/v2.1/servers/{UNNAMED}", headers=DEMO).json["server"]
    assert server["id"] == UNNAMED and server["status"] == "ACTIVE"
    assert server["tenant_id"] == "demo"


def test_named_servers_of_the_state(client):
    server = client.get("/compute/v2.1/servers/5a1e0f6c-3b7d-4c2e-9f10-4d8a6b2c7e01",
                        headers=DEMO).json["server"]
    assert server["name"] == "demo-server"
    found = client.get("/compute/v2.1/servers/detail?name=demo-server", headers=DEMO)
    assert [s["name"] for s in found.json["servers"]] == ["demo-server", "demo-server-2"]
    summary = client.get("/compute/v2.1/servers?name=^demo-server-2$", headers=DEMO)
    assert [set(s) for s in summary.json["servers"]] == [{"id", "name", "links"}]
    assert client.get("/compute/v2.1/servers/detail?name=admin-server",
                      headers=DEMO).json["servers"] == []
    admin = {"X-Auth-Token": "admin:admin"}
    assert len(client.get("/compute/v2.1/servers/detail?all_tenants=1",
                          headers=admin).json["servers"]) == 3
    assert len(client.get("/compute/v2.1/servers/detail?all_tenants=0",
                          headers=admin).json["servers"]) == 1


@pytest.mark.parametrize("server_id", ["demo-server", "7c3a2b8e-5d9f-4e4a-9b32-6fac8d4e9a03"])
def test_names_and_other_projects_servers_are_not_found(client, server_id):
    response = client.get(f"/compute/v2.1/servers/{server_id}", headers=DEMO)
    assert response.status_code == 404
    assert response.json == {"itemNotFound": {
        "code": 404, "message": f"Instance {server_id} could not be found."}}


def test_server_lookups_need_a_caller(client):
    response = client.get(f"/compute/v2.1/servers/{UNNAMED}")
    assert response.status_code == 401  # from keystonemiddleware in front of Nova: WebOb's
    assert response.json["code"] == "401 Unauthorized"
    assert response.headers["WWW-Authenticate"] == 'Keystone uri="http://localhost/identity"'
