"""Which project ids a /v3 URL may carry (core/projects.py): Cinder's router takes
[0-9a-f-]+ only; the fake also takes a readable id of a project it knows."""

from __future__ import annotations

import pytest

from fake_cinder.api.routing import Operation, Router
from tests.helpers.api import fault

MALFORMED_URL = (400, "Malformed request url")

WEBOB_404 = {"code": "404 Not Found", "title": "Not Found",
             "message": "The resource could not be found.<br /><br />\n\n\n"}


def routing_404(response) -> None:
    """Cinder's router's 404: WebOb's body, no version headers."""
    assert response.status_code == 404 and response.get_json() == WEBOB_404
    assert "OpenStack-API-Version" not in response.headers


def test_the_callers_own_readable_project_is_routed(api) -> None:
    assert api.get("volumes").status_code == 200  # project "demo", the caller's


@pytest.mark.parametrize("project", ["nobody", "Demo", "DEADBEEF", "dead_beef", "x-1"])
def test_a_readable_id_the_fake_does_not_know_is_cinders_routing_404(api, fake, project):
    routing_404(api.get("volumes", url_project=project))
    # Before the version header, the body and the action are looked at, as in Cinder.
    routing_404(api.get("volumes", url_project=project, version="3.99"))
    routing_404(api.post("volumes", url_project=project, data="{not json",
                         content_type="application/json"))
    assert [e.operation for e in fake.journal.entries()] == [None, None, None]


def test_a_hex_id_is_routed_and_must_be_the_callers(api) -> None:
    assert fault(api.get("volumes", url_project="0123abcd-00")) == MALFORMED_URL


@pytest.mark.parametrize("how", ["keystone directory", "volume", "snapshot", "quota",
                                 "private volume type"])
def test_a_readable_id_the_fake_knows_is_routed(api, fake, how) -> None:
    """Known through the state: then it is another project's URL (Cinder's 400)."""
    if how == "keystone directory":
        project = "service"  # in default.json's identity
    else:
        project = "elsewhere"
        volume = fake.add_volume(project_id=project)
        if how == "snapshot":
            fake.add_snapshot(volume["id"], project_id=project)
            fake.store.remove_volume(volume["id"])
        elif how == "quota":
            fake.store.clear(project)
            fake.set_quotas(project, volumes=3)
        elif how == "private volume type":
            fake.store.clear(project)
            fake.add_volume_type("mine", is_public=False, project_id=project)
    assert fault(api.get("volumes", url_project=project)) == MALFORMED_URL


def test_a_project_is_forgotten_with_its_records(api, fake) -> None:
    fake.add_volume(project_id="elsewhere")
    assert fault(api.get("volumes", url_project="elsewhere")) == MALFORMED_URL
    fake.reset(project_id="elsewhere")
    routing_404(api.get("volumes", url_project="elsewhere"))


def test_a_second_declaration_of_a_url_fails() -> None:
    router = Router()
    router.add_actions("things/<thing_id>/action", {"os-a": Operation("a", lambda r: (200, {}))})
    with pytest.raises(ValueError, match=r"POST things/<thing_id>/action already has "
                                         r"actions \(os-a\)"):
        router.add_actions("things/<thing_id>/action",
                           {"os-b": Operation("b", lambda r: (200, {}))})
    router.add("GET", "things", Operation("thing_list", lambda r: (200, {})))
    with pytest.raises(ValueError, match=r"GET things already has a route \(thing_list\)"):
        router.add("GET", "things", Operation("thing_list_again", lambda r: (200, {})))
    router.add("POST", "things", Operation("thing_create", lambda r: (200, {})))  # another method
