"""BEHAVIOR.md section 5: fault bodies and Cinder's exact error messages."""

from __future__ import annotations

import json

import pytest

from tests.helpers.api import CONNECTOR, SERVER, UNKNOWN, VOLUME, fault

WEBOB_401 = {"code": "401 Unauthorized", "title": "Unauthorized", "message": (
    "This server could not verify that you are authorized to access the document you "
    "requested. Either you supplied the wrong credentials (e.g., bad password), or your "
    "browser does not understand how to supply the credentials required.<br /><br />\n\n\n")}
WEBOB_404 = {"code": "404 Not Found", "title": "Not Found",
             "message": "The resource could not be found.<br /><br />\n\n\n"}
WEBOB_413 = {"code": "413 Request Entity Too Large", "title": "Request Entity Too Large",
             "message": "Request is too large. Larger than max_request_body_size (%s)."
                        "<br /><br />\n\n\n"}
MAX_BODY = 114688


def not_found(attachment_id: str) -> tuple[int, str]:
    return 404, ("Volume attachment could not be found with filter: "
                 f"attachment_id = {attachment_id}.")


# -- fault names
def test_fault_names_by_status(api, admin):
    reserved = api.create()
    cases = [
        (api.post("attachments", {"attachment": {}}), "badRequest", 400),
        (api.get(f"attachments/{UNKNOWN}"), "itemNotFound", 404),
        (api.get("attachments", version="3.99"), "computeFault", 406),
        (api.post("attachments", data="{}", content_type="text/plain"), "badMediaType", 415),
        (admin.post("types", {"volume_type": {"name": "ceph"}}), "conflictingRequest", 409),
    ]
    api.update(reserved["id"], CONNECTOR)
    cases.append((api.delete(f"attachments/{reserved['id']}"), "conflictingRequest", 409))
    for response, name, status in cases:
        assert response.status_code == status
        body = response.get_json()
        assert list(body) == [name]
        assert body[name]["code"] == status
        assert isinstance(body[name]["message"], str)


# -- WebOb-shaped errors outside the router
@pytest.mark.parametrize("path", ["/v3/", "/v3/demo/attachments", "/v3/attachments",
                                  f"/v3/demo/volumes/{VOLUME}", "/v3/demo/nothing-here"])
def test_no_identity_is_a_webob_401(client, path):
    response = client.get(path, headers={"OpenStack-API-Version": "volume 3.27"})
    assert response.status_code == 401
    assert response.get_json() == WEBOB_401


def test_root_needs_no_identity(client):
    assert client.get("/").status_code == 300


@pytest.mark.parametrize("path", ["/", "/v3/", "/v3/demo/attachments"])
def test_options_is_not_routed(api, client, path):
    response = client.options(path, headers=api.headers())
    assert response.status_code == 404
    assert response.get_json() == WEBOB_404


@pytest.mark.parametrize("path", ["attachments/", "volumes/", f"volumes/{VOLUME}/",
                                  "volumes/detail/", "snapshots/", "messages/"])
def test_trailing_slashes_are_cinders_routing_404(api, path):
    """Observed on Cinder 29: its router matches /v3 paths exactly, so ``GET volumes/``
    (tempest's "volume without an id") is WebOb's 404, not the list."""
    response = api.get(path)
    assert response.status_code == 404
    assert response.get_json() == WEBOB_404


@pytest.mark.parametrize("path", ["/v3/demo/nothing", "/v3/demo/attachments/a/b/c",
                                  "/v2/demo/volumes", "/nothing", "/v3/demo/volumes/x/y"])
def test_unknown_paths_are_webob_404s(api, client, path):
    response = client.get(path, headers=api.headers())
    assert response.status_code == 404
    assert response.get_json() == WEBOB_404


@pytest.mark.parametrize("method", ["PATCH", "POST", "OPTIONS", "HEAD"])
def test_unrouted_methods_are_webob_404s(api, method):
    response = api.call(method, f"attachments/{UNKNOWN}")
    assert response.status_code == 404
    if method != "HEAD":  # a HEAD response has no body to compare
        assert response.get_json() == WEBOB_404
    assert "OpenStack-API-Version" not in response.headers


def test_head_on_a_collection_is_a_webob_404(api):
    response = api.call("HEAD", "attachments")
    assert response.status_code == 404
    assert "OpenStack-API-Version" not in response.headers


def test_oversize_body_is_a_webob_413(api, fake):
    payload = json.dumps({"attachment": {"volume_uuid": VOLUME, "pad": "x" * MAX_BODY}})
    response = api.post("attachments", data=payload, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json() == WEBOB_413
    assert fake.store.attachments == {}


def test_413_comes_before_authentication(api):
    response = api.post("attachments", data="x" * (MAX_BODY + 1),
                        content_type="application/json", project=None)
    assert response.status_code == 413


def test_a_body_of_exactly_the_limit_is_read(api):
    body = json.dumps({"attachment": {"volume_uuid": VOLUME}})
    body += " " * (MAX_BODY - len(body))
    response = api.post("attachments", data=body, content_type="application/json")
    assert response.status_code == 200


# -- not found
@pytest.mark.parametrize("attachment_id", [UNKNOWN, "not-a-uuid"])
@pytest.mark.parametrize(("method", "suffix", "body"), [
    ("GET", "", None), ("PUT", "", {"attachment": {"connector": CONNECTOR}}),
    ("DELETE", "", None), ("POST", "/action", {"os-complete": None})])
def test_unknown_attachment(api, attachment_id, method, suffix, body):
    response = api.call(method, f"attachments/{attachment_id}{suffix}", body)
    assert fault(response) == not_found(attachment_id)


def test_unknown_marker(api):
    api.create()
    assert fault(api.get("attachments", query={"marker": UNKNOWN})) == not_found(UNKNOWN)
    assert fault(api.get("attachments/detail", query={"marker": "x"})) == not_found("x")


def test_unknown_volume_on_create(api):
    response = api.post("attachments", {"attachment": {"volume_uuid": UNKNOWN}})
    assert fault(response) == (404, f"Volume {UNKNOWN} could not be found.")


# -- schema messages
def test_volume_uuid_must_be_a_uuid(api):
    response = api.post("attachments", {"attachment": {"volume_uuid": "not-a-uuid"}})
    assert fault(response) == (400, "Invalid input for field/attribute volume_uuid. "
                                    "Value: not-a-uuid. 'not-a-uuid' is not a 'uuid'")


def test_instance_uuid_must_be_a_uuid(api):
    response = api.post("attachments", {"attachment": {"volume_uuid": VOLUME,
                                                       "instance_uuid": "vm-1"}})
    assert fault(response) == (400, "Invalid input for field/attribute instance_uuid. "
                                    "Value: vm-1. 'vm-1' is not a 'uuid'")


def test_additional_properties_are_refused(api):
    # Sent as text, so the keys keep this order in Cinder's "Value: {...}".
    body = json.dumps({"attachment": {"volume_uuid": VOLUME, "foo": 1}})
    response = api.post("attachments", data=body, content_type="application/json")
    assert fault(response) == (400, "Invalid input for field/attribute attachment. Value: "
                                    f"{{'volume_uuid': '{VOLUME}', 'foo': 1}}. Additional "
                                    "properties are not allowed ('foo' was unexpected)")


def test_attachment_is_required(api):
    # Cinder's schema lists "required" before "additionalProperties": that error comes first.
    assert fault(api.post("attachments", {"volume_uuid": VOLUME})) == (
        400, "'attachment' is a required property")
    assert fault(api.post("attachments", {})) == (400, "'attachment' is a required property")


def test_update_connector_must_be_non_empty(api):
    reserved = api.create()
    response = api.put(f"attachments/{reserved['id']}", {"attachment": {"connector": {}}})
    assert fault(response) == (400, "Invalid input for field/attribute connector. Value: {}. "
                                    "{} should be non-empty")
    assert api.show(reserved["id"])["status"] == "reserved"


def test_update_connector_is_required(api):
    reserved = api.create()
    response = api.put(f"attachments/{reserved['id']}", {"attachment": {}})
    assert fault(response) == (400, "Invalid input for field/attribute attachment. Value: {}. "
                                    "'connector' is a required property")


def test_create_accepts_connector_null(api):
    response = api.post("attachments", {"attachment": {"volume_uuid": VOLUME,
                                                       "connector": None}})
    assert response.status_code == 200


@pytest.mark.parametrize("version", ["3.27", "3.44", "3.53"])
def test_mode_below_3_54_is_an_additional_property(api, version):
    body = json.dumps({"attachment": {"volume_uuid": VOLUME, "mode": "ro"}})
    response = api.post("attachments", data=body, content_type="application/json",
                        version=version)
    assert fault(response) == (400, "Invalid input for field/attribute attachment. Value: "
                                    f"{{'volume_uuid': '{VOLUME}', 'mode': 'ro'}}. Additional "
                                    "properties are not allowed ('mode' was unexpected)")


def test_mode_must_be_rw_or_ro(api):
    response = api.post("attachments", {"attachment": {"volume_uuid": VOLUME, "mode": "wo"}})
    assert fault(response) == (400, "Invalid input for field/attribute mode. Value: wo. "
                                    "'wo' is not one of ['rw', 'ro']")


def test_mode_in_an_update_body_is_refused(api):
    reserved = api.create()
    body = '{"attachment": {"connector": {"initiator": "iqn.x"}, "mode": "ro"}}'
    response = api.put(f"attachments/{reserved['id']}", data=body,
                       content_type="application/json")
    assert fault(response) == (400, "Invalid input for field/attribute attachment. Value: "
                                    "{'connector': {'initiator': 'iqn.x'}, 'mode': 'ro'}. "
                                    "Additional properties are not allowed ('mode' was "
                                    "unexpected)")


# -- create and update without a body (Cinder answers 500; the fake a clear 400)
def test_create_without_a_body(api, fake):
    response = api.post("attachments")
    assert fault(response) == (400, "'attachment' is a required property")
    assert fake.store.attachments == {}


def test_a_json_null_body_is_validated_as_a_body(api):
    response = api.post("attachments", data="null", content_type="application/json")
    assert fault(response) == (400, "None is not of type 'object'")


def test_update_without_a_body(api):
    reserved = api.create()
    response = api.put(f"attachments/{reserved['id']}")
    assert fault(response) == (400, "'attachment' is a required property")


# -- os-complete
@pytest.mark.parametrize("value", [None, "yes", {"any": "thing"}, [], 0])
def test_os_complete_value_is_not_validated(api, value):
    reserved = api.create()
    response = api.post(f"attachments/{reserved['id']}/action", {"os-complete": value})
    assert response.status_code == 204
    assert api.show(reserved["id"])["status"] == "attached"


@pytest.mark.parametrize(("body", "message"), [
    ('{"os-complete": null, "extra": 1}', "Malformed request body"),
    ("{}", "Malformed request body"),
    # An empty body is no body: Cinder looks up the action None.
    ("", "There is no such action: None. Verify the request body and Content-Type header "
         "and try again.")])
def test_os_complete_malformed_body(api, body, message):
    reserved = api.create()
    response = api.post(f"attachments/{reserved['id']}/action", data=body,
                        content_type="application/json")
    assert fault(response) == (400, message)
    assert api.show(reserved["id"])["status"] == "reserved"


def test_unknown_action(api):
    reserved = api.create()
    response = api.post(f"attachments/{reserved['id']}/action", {"os-foo": None})
    assert fault(response) == (400, "There is no such action: os-foo. Verify the request body "
                                    "and Content-Type header and try again.")


@pytest.mark.parametrize("body", ["[1]", '"x"', "5"])
def test_action_body_that_is_not_an_object_404s(api, body):
    # Cinder's action_peek fails with an AttributeError/TypeError: its router answers 404.
    reserved = api.create()
    response = api.post(f"attachments/{reserved['id']}/action", data=body,
                        content_type="application/json")
    assert fault(response) == (404, "The resource could not be found.")


# -- bodies and content types
@pytest.mark.parametrize("path", ["attachments", f"attachments/{UNKNOWN}/action"])
@pytest.mark.parametrize("body", ["{bad json", '{"attachment": ', "\xff"])
def test_non_json_body(api, path, body):
    response = api.post(path, data=body, content_type="application/json")
    assert fault(response) == (400, "Malformed request body")


@pytest.mark.parametrize("path", ["attachments", f"attachments/{UNKNOWN}/action"])
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-32"])
def test_a_body_that_is_not_plain_utf8_is_malformed(api, fake, path, encoding):
    """Cinder decodes a body as strict UTF-8 before parsing it (oslo's jsonutils): a
    byte-order mark or a UTF-16 or UTF-32 body is malformed there (seen on Cinder 29),
    though Python's json.loads of bytes would take them."""
    body = {"attachment": {"volume_uuid": VOLUME}} if path == "attachments" else {
        "os-complete": None}
    response = api.post(path, data=json.dumps(body).encode(encoding),
                        content_type="application/json")
    assert fault(response) == (400, "Malformed request body")
    assert fake.store.attachments == {}


def test_non_json_body_on_put(api):
    reserved = api.create()
    response = api.put(f"attachments/{reserved['id']}", data="nope",
                       content_type="application/json")
    assert fault(response) == (400, "Malformed request body")


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml",
                                          "application/x-www-form-urlencoded"])
def test_other_content_type_415(api, fake, content_type):
    body = json.dumps({"attachment": {"volume_uuid": VOLUME}})
    response = api.post("attachments", data=body, content_type=content_type)
    assert fault(response) == (415, "Unsupported Content-Type")
    assert "badMediaType" in response.get_json()
    assert fake.store.attachments == {}


def test_missing_content_type_with_a_body_415(api, client, fake):
    body = json.dumps({"attachment": {"volume_uuid": VOLUME}}).encode()
    response = client.post("/v3/demo/attachments", data=body, headers=api.headers())
    assert "Content-Type" not in response.request.headers
    assert fault(response) == (415, "Unsupported Content-Type")
    assert fake.store.attachments == {}


@pytest.mark.parametrize("content_type", ["application/json",
                                          "application/json; charset=UTF-8",
                                          "application/vnd.openstack.volume+json"])
def test_json_content_types_are_accepted(api, content_type):
    body = json.dumps({"attachment": {"volume_uuid": VOLUME, "instance_uuid": SERVER}})
    response = api.post("attachments", data=body, content_type=content_type)
    assert response.status_code == 200


def test_content_type_on_an_empty_body_is_ignored(api):
    reserved = api.create()
    response = api.delete(f"attachments/{reserved['id']}", content_type="text/plain")
    assert response.status_code == 200


# -- paging errors
@pytest.mark.parametrize(("query", "message"), [
    ({"limit": "-1"}, "limit param must be positive"),
    ({"limit": "abc"}, "limit param must be an integer"),
    ({"limit": "1.5"}, "limit param must be an integer"),
    ({"offset": "-1"}, "offset must be >= 0"),
    ({"offset": "abc"}, "offset must be an integer"),
    ({"offset": "2147483648"}, "offset must be <= 2147483647"),
    ({"sort": "foo"}, "Invalid input received: Invalid sort key"),
    ({"sort_key": "foo"}, "Invalid input received: Invalid sort key"),
    ({"sort": "id:up"}, "Invalid input received: Unknown sort direction, must be 'desc' or "
                        "'asc'."),
    ({"sort_dir": "down"}, "Invalid input received: Unknown sort direction, must be 'desc' or "
                           "'asc'."),
    ({"sort": "id", "sort_key": "id"}, "The 'sort_key' and 'sort_dir' parameters are "
                                       "deprecated and cannot be used with the 'sort' "
                                       "parameter."),
    ({"sort": "id", "sort_dir": "asc"}, "The 'sort_key' and 'sort_dir' parameters are "
                                        "deprecated and cannot be used with the 'sort' "
                                        "parameter."),
])
@pytest.mark.parametrize("detail", [False, True], ids=["index", "detail"])
def test_paging_errors(api, query, message, detail):
    api.create()
    response = api.get("attachments/detail" if detail else "attachments", query=query)
    assert fault(response) == (400, message)


@pytest.mark.parametrize("detail", [False, True], ids=["index", "detail"])
def test_limit_0_is_an_empty_list(api, detail):
    api.create()
    assert api.listing(detail=detail, query={"limit": "0"}) == []


def test_huge_limit_is_capped_not_refused(api):
    api.create()
    assert len(api.listing(query={"limit": "99999999999"})) == 1
