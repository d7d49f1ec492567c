"""The fake Glance v2 under /image: versions and schemas, images (create, list with filters,
sorting and paging, show, JSON-patch update, delete) and their data; Glance's statuses,
checksums, visibility rules and error bodies. Every response is schema-checked."""

from __future__ import annotations

import hashlib
import struct
import threading
from typing import Any

import pytest

from fake_cinder.core import images as image_rules

CIRROS = "3e1a8f0c-5b7d-4a2e-9c61-7d2f4b8e0a15"  # fixtures/default.json's image
PATCH = "application/openstack-images-v2.1-json-patch"
OLD_PATCH = "application/openstack-images-v2.0-json-patch"


class Glance:
    """Requests to /image/v2 as a caller of a project (JSON errors: Accept JSON)."""

    def __init__(self, client: Any, project: str | None = "demo", roles: str = "member,reader",
                 accept: str | None = "application/json") -> None:
        self.client = client
        self.project = project
        self.roles = roles
        self.accept = accept

    def as_(self, project: str | None = "demo", roles: str = "member,reader") -> Glance:
        return Glance(self.client, project, roles, self.accept)

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.project:
            headers = {"X-User-Id": f"user-{self.project}", "X-Project-Id": self.project,
                       "X-Roles": self.roles}
        if self.accept:
            headers["Accept"] = self.accept
        return headers

    def call(self, method: str, path: str, **kw: Any) -> Any:
        return self.client.open(f"/image{path}", method=method, headers=self.headers(), **kw)

    def create(self, **fields: Any) -> dict:
        response = self.call("POST", "/v2/images", json=fields)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    def patch(self, image_id: str, changes: list, content_type: str = PATCH) -> Any:
        import json

        return self.call("PATCH", f"/v2/images/{image_id}", data=json.dumps(changes),
                         content_type=content_type)

    def upload(self, image_id: str, data: bytes,
               content_type: str = "application/octet-stream") -> Any:
        return self.call("PUT", f"/v2/images/{image_id}/file", data=data,
                         content_type=content_type)

    def listing(self, **query: Any) -> dict:
        response = self.call("GET", "/v2/images", query_string=query)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()


@pytest.fixture
def glance(client: Any) -> Glance:
    return Glance(client)


def error(response: Any) -> tuple[int, str]:
    body = response.get_json()
    assert body["code"].startswith(str(response.status_code)), body
    return response.status_code, body["message"].removesuffix("<br /><br />\n\n\n")


# -- versions and schemas -------------------------------------------------------------------------
def test_versions_and_the_image_schema(glance: Glance) -> None:
    root = glance.call("GET", "/")
    assert root.status_code == 300
    current = root.get_json()["versions"][0]
    assert current["status"] == "CURRENT" and current["links"][0]["href"].endswith("/image/v2/")
    assert glance.call("GET", "/versions").status_code == 200
    schema = glance.call("GET", "/v2/schemas/image").get_json()
    assert schema["name"] == "image"
    assert schema["additionalProperties"] == {"type": "string"}
    assert "x-operation" not in schema and "disk_format" in schema["properties"]
    listing = glance.call("GET", "/v2/schemas/images").get_json()
    assert listing["properties"]["images"]["items"]["name"] == "image"


# -- create, show, list ---------------------------------------------------------------------------
def test_create_is_queued_with_glance_s_defaults(glance: Glance, fake: Any) -> None:
    image = glance.create(name="mine", disk_format="qcow2", container_format="bare",
                          os_distro="debian", tags=["a", "a", "b"])
    assert image["status"] == "queued" and image["visibility"] == "shared"
    assert image["owner"] == "demo" and image["size"] is None and image["checksum"] is None
    assert image["os_distro"] == "debian" and image["tags"] == ["a", "b"]
    assert image["self"] == f"/v2/images/{image['id']}"
    assert image["created_at"].endswith("Z")
    shown = glance.call("GET", f"/v2/images/{image['id']}").get_json()
    assert shown == image
    assert fake.image(image["id"])["properties"] == {"os_distro": "debian"}


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"status": "active"}, 403, "Attribute 'status' is read-only."),
    ({"self": "x"}, 403, "Attribute 'self' is read-only."),
    ({"deleted": "x"}, 403, "Attribute 'deleted' is reserved."),
    ({"os_glance_import": "x"}, 403, "Attribute 'os_glance_import' is reserved."),
    ({"disk_format": "floppy"}, 400, "Provided object does not match schema 'image': "
                                     "'floppy' is not one of"),
    ({"custom": 1}, 400, "Provided object does not match schema 'image': 1 is not of type "
                         "'string'"),
    ({"visibility": "public"}, 403, "You are not authorized to complete publicize_image "
                                    "action."),
    ({"owner": "someone"}, 403, "You are not permitted to create images owned by 'someone'."),
    ({"id": CIRROS}, 409, f"An image with identifier {CIRROS} already exists"),
])
def test_create_refusals_change_nothing(glance: Glance, fake: Any, body: dict, status: int,
                                        message: str) -> None:
    before = fake.images()
    got_status, got = error(glance.call("POST", "/v2/images", json=body))
    assert (got_status, got[:len(message)]) == (status, message)
    assert fake.images() == before


def test_create_needs_a_json_object(glance: Glance) -> None:
    assert error(glance.call("POST", "/v2/images", data=b"")) == (
        400, "Body expected in request.")
    assert error(glance.call("POST", "/v2/images", json=[1]))[0] == 400


def test_a_reader_may_not_create(glance: Glance) -> None:
    assert error(glance.as_(roles="reader").call("POST", "/v2/images", json={})) == (
        403, "You are not authorized to complete add_image action.")


def test_visibility_rules(glance: Glance) -> None:
    private = glance.create(name="private", visibility="private")
    community = glance.create(name="community", visibility="community")
    other = glance.as_("other")
    assert other.call("GET", f"/v2/images/{private['id']}").status_code == 404
    assert error(other.call("GET", f"/v2/images/{private['id']}")) == (
        404, f"No image found with ID {private['id']}")
    assert other.call("GET", f"/v2/images/{community['id']}").status_code == 200
    names = {i["name"] for i in other.listing()["images"]}
    assert names == {"cirros"}  # public; community only on request
    assert {i["name"] for i in other.listing(visibility="community")["images"]} == {
        "community"}
    admin = glance.as_("admin", "admin,member,reader")
    assert {"private", "community", "cirros"} <= {i["name"] for i in admin.listing()["images"]}


def test_list_filters(glance: Glance) -> None:
    glance.create(name="a", disk_format="raw", container_format="bare", tags=["x"],
                  os_distro="ubuntu")
    glance.create(name="b", disk_format="qcow2", container_format="bare", os_hidden=True)
    assert [i["name"] for i in glance.listing(name="a")["images"]] == ["a"]
    assert [i["name"] for i in glance.listing(tag="x")["images"]] == ["a"]
    assert [i["name"] for i in glance.listing(os_distro="ubuntu")["images"]] == ["a"]
    assert [i["name"] for i in glance.listing(disk_format="qcow2")["images"]] == []
    assert [i["name"] for i in glance.listing(os_hidden="true")["images"]] == ["b"]
    assert [i["name"] for i in glance.listing(status="active")["images"]] == ["cirros"]
    assert [i["name"] for i in glance.listing(size_min="1000",
                                              size_max="2000")["images"]] == ["cirros"]
    assert [i["name"] for i in glance.listing(visibility="public")["images"]] == ["cirros"]
    assert [i["name"] for i in glance.listing(owner="demo",
                                              sort="name:asc")["images"]] == ["a"]


def test_paging_and_sorting(glance: Glance) -> None:
    for name in ("c", "a", "b"):
        glance.create(name=name)
    page = glance.listing(limit=2, sort_key="name", sort_dir="asc")
    assert [i["name"] for i in page["images"]] == ["a", "b"]
    assert page["first"] == "/v2/images?limit=2&sort_key=name&sort_dir=asc"
    marker = page["images"][-1]["id"]
    assert page["next"] == f"/v2/images?limit=2&sort_key=name&sort_dir=asc&marker={marker}"
    rest = glance.listing(limit=2, sort_key="name", sort_dir="asc", marker=marker)
    assert [i["name"] for i in rest["images"]] == ["c", "cirros"]
    newest_first = glance.listing()["images"]  # created_at, then id, descending
    assert newest_first == sorted(newest_first, key=lambda i: (i["created_at"], i["id"]),
                                  reverse=True)
    assert "next" not in glance.listing(limit=10)


@pytest.mark.parametrize(("query", "message"), [
    ({"limit": "x"}, "limit param must be an integer"),
    ({"limit": "-1"}, "limit param must be positive"),
    ({"sort_key": "owner"}, "Invalid sort key: owner. It must be one of the following: "
                            "name, status, container_format, disk_format, size, id, "
                            "created_at, updated_at."),
    ({"sort_dir": "up"}, "Invalid sort direction: up"),
    ({"sort": "name", "sort_key": "name"}, "Old and new sorting syntax cannot be combined"),
    ({"visibility": "everyone"}, "Invalid visibility value: everyone"),
    ({"marker": "deadbeef-0000-4000-8000-00000000dead"},
     "No image found with ID deadbeef-0000-4000-8000-00000000dead"),
    ({"changes-since": "2020"}, 'The "changes-since" filter is no longer available on v2.'),
    ({"member_status": "maybe"}, "Invalid status: maybe"),
])
def test_list_refusals(glance: Glance, query: dict, message: str) -> None:
    assert error(glance.call("GET", "/v2/images", query_string=query)) == (400, message)


# -- update ---------------------------------------------------------------------------------------
def test_json_patch_updates(glance: Glance) -> None:
    image = glance.create(name="old", os_distro="x")
    response = glance.patch(image["id"], [
        {"op": "replace", "path": "/name", "value": "new"},
        {"op": "add", "path": "/hw_disk_bus", "value": "scsi"},
        {"op": "remove", "path": "/os_distro"},
        {"op": "replace", "path": "/min_disk", "value": 3},
        {"op": "add", "path": "/tags", "value": ["t"]},
    ])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["name"] == "new" and body["hw_disk_bus"] == "scsi" and "os_distro" not in body
    assert body["min_disk"] == 3 and body["tags"] == ["t"]
    draft4 = glance.patch(image["id"], [{"replace": "/name", "value": "v2.0"}], OLD_PATCH)
    assert draft4.get_json()["name"] == "v2.0"


@pytest.mark.parametrize(("changes", "status", "message"), [
    ([{"op": "replace", "path": "/status", "value": "active"}], 403,
     "Attribute 'status' is read-only."),
    ([{"op": "remove", "path": "/name"}], 403, "Property name may not be removed."),
    ([{"op": "remove", "path": "/nothing"}], 409, "Property nothing does not exist."),
    ([{"op": "replace", "path": "/nothing", "value": "x"}], 409,
     "Property nothing does not exist."),
    ([{"op": "move", "path": "/name"}], 400,
     "Invalid operation: `move`. It must be one of the following: add, remove, replace."),
    ([{"path": "/name"}], 400, "Unable to find `op` in JSON Schema change. It must be one "
                               "of the following: add, remove, replace."),
    ([{"op": "add", "path": "name", "value": "x"}], 400,
     'Pointer `name` does not start with "/".'),
    ([{"op": "add", "path": "/a/b", "value": "x"}], 400,
     "Invalid JSON pointer for this resource: '/a/b'"),
    ([{"op": "add", "path": "/name"}], 400, 'Operation "add" requires a member named '
                                            '"value".'),
    ([{"op": "replace", "path": "/disk_format", "value": "floppy"}], 400,
     "Provided object does not match schema 'image': 'floppy' is not one of"),
    ([{"op": "replace", "path": "/owner", "value": "x"}], 403,
     "Owner can't be updated by non admin."),
    ([{"op": "replace", "path": "/visibility", "value": "public"}], 403,
     "You are not authorized to complete publicize_image action."),
    ({"op": "add"}, 400, "Request body must be a JSON array of operation objects."),
    ([1], 400, "Operations must be JSON objects."),
])
def test_patch_refusals_change_nothing(glance: Glance, fake: Any, changes: Any, status: int,
                                       message: str) -> None:
    image = glance.create(name="keep")
    before = fake.image(image["id"])
    got_status, got = error(glance.patch(image["id"], [
        {"op": "replace", "path": "/name", "value": "changed"}, *changes]
        if isinstance(changes, list) else changes))
    assert (got_status, got[:len(message)]) == (status, message)
    assert fake.image(image["id"]) == before


def test_patch_needs_the_json_patch_media_type(glance: Glance) -> None:
    image = glance.create(name="x")
    response = glance.patch(image["id"], [], content_type="application/json")
    assert response.status_code == 415
    assert "application/openstack-images-v2.1-json-patch" in response.headers["Accept-Patch"]


def test_only_the_owner_or_an_admin_changes_an_image(glance: Glance) -> None:
    other = glance.as_("other")
    assert error(other.patch(CIRROS, [{"op": "replace", "path": "/name", "value": "x"}])) == (
        403, "You are not authorized to complete modify_image action.")
    assert error(other.call("DELETE", f"/v2/images/{CIRROS}")) == (
        403, "You are not authorized to complete delete_image action.")
    admin = glance.as_("admin", "admin,member,reader")
    assert admin.patch(CIRROS, [{"op": "add", "path": "/k", "value": "v"}]).status_code == 200


# -- data -----------------------------------------------------------------------------------------
def test_upload_makes_the_image_active_with_glance_s_checksums(glance: Glance,
                                                               fake: Any) -> None:
    image = glance.create(name="data", disk_format="raw", container_format="bare")
    assert glance.call("GET", f"/v2/images/{image['id']}/file").status_code == 204
    data = b"\x01\x02" * 3000
    assert glance.upload(image["id"], data).status_code == 204
    shown = glance.call("GET", f"/v2/images/{image['id']}").get_json()
    assert shown["status"] == "active" and shown["size"] == len(data)
    assert shown["virtual_size"] == len(data)
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    assert shown["os_hash_algo"] == "sha512"
    assert shown["os_hash_value"] == hashlib.sha512(data).hexdigest()
    download = glance.call("GET", f"/v2/images/{image['id']}/file")
    assert download.status_code == 200 and download.data == data
    assert download.headers["Content-MD5"] == shown["checksum"]
    assert fake.image_data(image["id"]) == data
    assert error(glance.upload(image["id"], b"again")) == (
        409, "Image status transition from active to saving is not allowed")


def test_a_qcow2_header_gives_the_virtual_size(glance: Glance) -> None:
    image = glance.create(name="q", disk_format="qcow2", container_format="bare")
    header = b"QFI\xfb" + struct.pack(">IQII", 3, 0, 0, 16) + struct.pack(">Q", 5 * 2**30)
    glance.upload(image["id"], header + b"\0" * 100)
    assert glance.call("GET", f"/v2/images/{image['id']}").get_json()["virtual_size"] == (
        5 * 2**30)


def test_upload_refusals(glance: Glance, fake: Any) -> None:
    bare = glance.create(name="no formats")
    assert error(glance.upload(bare["id"], b"x")) == (
        400, "Properties disk_format, container_format must be set prior to saving data.")
    image = glance.create(name="x", disk_format="raw", container_format="bare")
    assert glance.upload(image["id"], b"x", content_type="application/json").status_code == 415
    too_big = b"\0" * (image_rules.MAX_IMAGE_BYTES + 1)
    assert glance.upload(image["id"], too_big).status_code == 413
    assert error(glance.as_("other").upload(image["id"], b"x"))[0] == 404
    assert fake.image(image["id"])["status"] == "queued"


def test_delete(glance: Glance, fake: Any) -> None:
    image = glance.create(name="gone", disk_format="raw", container_format="bare")
    glance.upload(image["id"], b"data")
    assert glance.call("DELETE", f"/v2/images/{image['id']}").status_code == 204
    assert glance.call("GET", f"/v2/images/{image['id']}").status_code == 404
    assert image["id"] not in {i["id"] for i in fake.images()}
    kept = glance.create(name="kept", protected=True)
    assert error(glance.call("DELETE", f"/v2/images/{kept['id']}")) == (
        403, f"Image {kept['id']} is protected and cannot be deleted.")


def test_errors_are_html_pages_for_clients_that_do_not_ask_for_json(client: Any) -> None:
    """WebOb's page, which glanceclient (no Accept header) reads the message from."""
    response = Glance(client, accept=None).call(
        "GET", "/v2/images/deadbeef-0000-4000-8000-00000000dead")
    assert response.status_code == 404 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<h1>404 Not Found</h1>" in page
    assert "No image found with ID deadbeef-0000-4000-8000-00000000dead" in page


def test_unauthenticated_requests_are_served_as_an_unauthenticated_glance(client: Any) -> None:
    """No identity at all: Glance without authentication (an admin context), as the
    conformance harness's noauth Cinder calls it."""
    anonymous = Glance(client, project=None)
    created = anonymous.create(name="anyone's", visibility="private")
    assert created["owner"] is None
    assert created["id"] in {i["id"] for i in anonymous.listing()["images"]}


def test_locations_are_empty(glance: Glance) -> None:
    response = glance.call("GET", f"/v2/images/{CIRROS}/locations")
    assert response.status_code == 200 and response.get_json() == []


def test_concurrent_uploads_to_one_image_make_it_active_once(glance: Glance,
                                                             fake: Any) -> None:
    image = glance.create(name="race", disk_format="raw", container_format="bare")
    statuses: list[int] = []

    def upload(n: int) -> None:
        statuses.append(glance.upload(image["id"], bytes([n]) * 100).status_code)

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [204] + [409] * 7
    data = fake.image_data(image["id"])
    assert fake.image(image["id"])["checksum"] == hashlib.md5(data).hexdigest()
