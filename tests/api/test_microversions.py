"""BEHAVIOR.md section 2: microversion negotiation, one test per row of the table."""

from __future__ import annotations

import pytest

from tests.helpers.api import CONNECTOR, UNKNOWN, VOLUME, fault

NOT_FOUND = (404, "The resource could not be found.")
# Every attachments route: (method, path, body). Unknown ids: the 404 must come first.
ROUTES = [
    ("GET", "attachments", None),
    ("GET", "attachments/detail", None),
    ("POST", "attachments", {"attachment": {"volume_uuid": VOLUME}}),
    ("GET", f"attachments/{UNKNOWN}", None),
    ("PUT", f"attachments/{UNKNOWN}", {"attachment": {"connector": CONNECTOR}}),
    ("DELETE", f"attachments/{UNKNOWN}", None),
    ("POST", f"attachments/{UNKNOWN}/action", {"os-complete": None}),
]
ROUTE_IDS = [f"{m} {p.replace(UNKNOWN, '{id}')}" for m, p, _ in ROUTES]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize("url_project", [True, None], ids=["project", "projectless"])
def test_no_header_is_3_0_and_every_attachments_route_404s(api, method, path, body,
                                                            url_project):
    response = api.call(method, path, body, version=None, url_project=url_project)
    assert fault(response) == NOT_FOUND
    assert response.get_json() == {"itemNotFound": {"code": 404, "message": NOT_FOUND[1]}}
    assert response.headers["OpenStack-API-Version"] == "volume 3.0"


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=ROUTE_IDS)
def test_3_26_on_any_attachments_route_404s(api, method, path, body):
    response = api.call(method, path, body, version="3.26")
    assert fault(response) == NOT_FOUND


def test_3_26_404s_before_any_lookup_or_validation(api, fake):
    attachment = api.create()
    # An existing attachment, a bad body and an unknown volume all give the generic 404.
    assert fault(api.get(f"attachments/{attachment['id']}", version="3.26")) == NOT_FOUND
    assert fault(api.post("attachments", {"attachment": {"volume_uuid": "bad", "x": 1}},
                          version="3.26")) == NOT_FOUND
    assert fault(api.post("attachments", {"attachment": {"volume_uuid": UNKNOWN}},
                          version="3.26")) == NOT_FOUND
    assert len(fake.store.attachments) == 1


@pytest.mark.parametrize("version", ["3.27", "3.30", "3.43"])
def test_os_complete_below_3_44_404s(api, version):
    attachment = api.create(connector=CONNECTOR)
    response = api.post(f"attachments/{attachment['id']}/action", {"os-complete": None},
                        version=version)
    assert fault(response) == NOT_FOUND
    assert api.show(attachment["id"])["status"] == "attaching"


@pytest.mark.parametrize("version", ["3.44", "3.54", "3.71", "latest"])
def test_os_complete_from_3_44(api, version):
    attachment = api.create(connector=CONNECTOR)
    response = api.post(f"attachments/{attachment['id']}/action", {"os-complete": None},
                        version=version)
    assert response.status_code == 204


@pytest.mark.parametrize("version", ["3.27", "3.43"])
def test_other_attachment_routes_work_from_3_27(api, version):
    attachment = api.create(version=version)
    assert api.show(attachment["id"], version=version)["status"] == "reserved"
    assert api.update(attachment["id"], version=version)["id"] == attachment["id"]
    assert [a["id"] for a in api.listing(version=version)] == [attachment["id"]]
    assert api.remove(attachment["id"], version=version) == []


def test_latest_is_3_71(api):
    response = api.get("attachments", version="latest")
    assert response.status_code == 200
    assert response.headers["OpenStack-API-Version"] == "volume 3.71"


@pytest.mark.parametrize("version", ["3.99", "3.72", "4.0"])
def test_unsupported_versions_406(api, version):
    response = api.get("attachments", version=version)
    assert response.get_json() == {"computeFault": {
        "code": 406, "message": f"Version {version} is not supported by the API. "
                                "Minimum is 3.0 and maximum is 3.71."}}
    assert response.status_code == 406
    assert response.headers["OpenStack-API-Version"] == f"volume {version}"


def test_version_2_0_406_without_version_header(api):
    response = api.get("attachments", version="2.0")
    assert fault(response) == (406, "Version 2.0 is not supported by the API. "
                                    "Minimum is 3.0 and maximum is 3.71.")
    assert "computeFault" in response.get_json()
    assert "OpenStack-API-Version" not in response.headers


@pytest.mark.parametrize("requested", ["foo", "3.27.1", "3."])
def test_invalid_version_strings_400(api, requested):
    response = api.get("attachments", version=None,
                       extra={"OpenStack-API-Version": f"volume {requested}"})
    assert fault(response) == (400, f"API Version String {requested} is of invalid format. "
                                     "Must be of format MajorNum.MinorNum.")
    assert "badRequest" in response.get_json()


@pytest.mark.parametrize("value", ["3.27", "compute 3.27", "VOLUME 3.27"])
def test_header_without_the_volume_service_400(api, value):
    response = api.get("attachments", version=None, extra={"OpenStack-API-Version": value})
    assert fault(response) == (400, "The server could not comply with the request since it "
                                    "is either malformed or otherwise incorrect.")


def test_version_check_comes_before_routing_to_a_handler(api):
    # An unsupported version is refused even on a route that would 404 for the attachment.
    response = api.get(f"attachments/{UNKNOWN}", version="3.99")
    assert response.status_code == 406


@pytest.mark.parametrize("version", [None, "3.0", "3.27", "3.66", "3.67", "3.71"])
def test_projectless_urls_work_at_every_version(api, version):
    volume = api.get(f"volumes/{VOLUME}", url_project=None, version=version)
    assert volume.status_code == 200
    assert volume.get_json()["volume"]["id"] == VOLUME


@pytest.mark.parametrize("version", ["3.27", "3.31", "3.44", "3.66", "3.67", "3.71"])
def test_projectless_attachment_urls_work_from_3_27(api, version):
    attachment = api.create(version=version, url_project=None)
    assert api.show(attachment["id"], version=version, url_project=None)["id"] == \
        attachment["id"]
    listed = api.listing(version=version, url_project=None)
    assert [a["id"] for a in listed] == [attachment["id"]]


@pytest.mark.parametrize("version", ["3.54", "3.55", "3.60", "3.71"])
def test_3_55_to_3_71_behave_like_3_54(api, version):
    attachment = api.create(mode="ro", version=version)
    assert attachment["attach_mode"] == "ro"


def test_the_fake_can_advertise_a_lower_maximum(checked_fake):
    low = checked_fake(max_version="3.60").app.test_client()
    headers = {"X-Project-Id": "demo", "OpenStack-API-Version": "volume 3.61"}
    response = low.get("/v3/demo/attachments", headers=headers)
    assert response.status_code == 406
    assert "maximum is 3.60" in response.get_json()["computeFault"]["message"]
    headers["OpenStack-API-Version"] = "volume latest"
    response = low.get("/v3/demo/attachments", headers=headers)
    assert response.headers["OpenStack-API-Version"] == "volume 3.60"


@pytest.mark.parametrize(("value", "echoed"), [
    ("volume 3.44, compute 2.1", "3.44"), ("compute 2.1, volume 3.27", "3.27"),
    ("volume 3.0", "3.0")])
def test_the_volume_part_of_a_header_list_is_used(api, value, echoed):
    response = api.get("attachments", version=None, extra={"OpenStack-API-Version": value})
    assert response.headers["OpenStack-API-Version"] == f"volume {echoed}"
    assert response.status_code == (404 if echoed == "3.0" else 200)


@pytest.mark.parametrize("requested", ["03.27", "3.027", "-3.27"])
def test_leading_zeros_and_signs_are_invalid(api, requested):
    response = api.get("attachments", version=requested)
    assert fault(response) == (400, f"API Version String {requested} is of invalid format. "
                                     "Must be of format MajorNum.MinorNum.")


def test_body_parsing_and_action_lookup_come_before_the_version_gate(api):
    # Cinder's wsgi.Resource parses the body and finds the action before dispatching to
    # the versioned method, so these 400s win over the 3.26 404.
    response = api.post("attachments", data="{nope", content_type="application/json",
                        version="3.26")
    assert fault(response) == (400, "Malformed request body")
    response = api.post(f"attachments/{UNKNOWN}/action", {"os-foo": None}, version="3.26")
    assert fault(response) == (400, "There is no such action: os-foo. Verify the request "
                                    "body and Content-Type header and try again.")
    response = api.post("attachments", data="{}", content_type="text/plain", version="3.26")
    assert fault(response) == (415, "Unsupported Content-Type")
