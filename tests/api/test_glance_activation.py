"""The fake Glance's image deactivation (glance/api/v2/image_actions.py and its domain's
Image.deactivate/reactivate): POST /image/v2/images/{id}/actions/deactivate|reactivate,
204, by admins and members of the image's owner (Glance's default policies); a
deactivated image is refused as a volume's source, as Cinder refuses any image that is
not active."""

from __future__ import annotations

import pytest

IMAGE_URL = "/image/v2/images"


def headers(project: str = "demo", roles: str = "member") -> dict[str, str]:
    return {"X-Project-Id": project, "X-Roles": roles, "X-User-Id": "u",
            "Accept": "application/json"}


@pytest.fixture
def image(fake):
    return fake.add_image(name="cirros", data=b"x" * 1024, owner="demo",
                          visibility="private")


def act(client, image_id: str, action: str, **kw):
    return client.post(f"{IMAGE_URL}/{image_id}/actions/{action}", headers=headers(**kw))


def status(client, image_id: str) -> str:
    return client.get(f"{IMAGE_URL}/{image_id}", headers=headers(roles="admin")).get_json()[
        "status"]


def test_deactivate_and_reactivate(client, fake, image):
    response = act(client, image["id"], "deactivate")
    assert (response.status_code, response.get_data()) == (204, b"")
    assert status(client, image["id"]) == "deactivated"
    assert fake.image(image["id"])["status"] == "deactivated"
    # Again: nothing to do, still 204.
    assert act(client, image["id"], "deactivate").status_code == 204
    # Only admins download a deactivated image's data.
    download = client.get(f"{IMAGE_URL}/{image['id']}/file", headers=headers())
    assert download.status_code == 403
    assert act(client, image["id"], "reactivate", roles="admin").status_code == 204
    assert act(client, image["id"], "reactivate").status_code == 204
    assert status(client, image["id"]) == "active"


def test_who_may(client, image):
    reader = act(client, image["id"], "deactivate", roles="reader")
    assert reader.status_code == 403
    assert reader.get_json()["message"].startswith(
        "You are not authorized to complete deactivate action.")
    # Another project does not see a private image at all.
    other = act(client, image["id"], "deactivate", project="other")
    assert other.status_code == 404
    assert other.get_json()["message"].startswith(f"No image found with ID {image['id']}")
    assert act(client, "00000000-0000-0000-0000-000000000000", "reactivate",
               roles="admin").status_code == 404
    assert status(client, image["id"]) == "active"


def test_only_active_and_deactivated_images_change(client, image):
    queued = client.post(IMAGE_URL, json={"name": "empty", "disk_format": "raw",
                                          "container_format": "bare"},
                         headers=headers()).get_json()
    for action in ("deactivate", "reactivate"):
        response = act(client, queued["id"], action)
        assert response.status_code == 403
        assert response.get_json()["message"].startswith(
            f"Not allowed to {action} image in status 'queued'")
    assert status(client, queued["id"]) == "queued"


def test_a_deactivated_image_is_no_volume_source(api, client, fake, image):
    assert act(client, image["id"], "deactivate").status_code == 204
    volumes = len(fake.volumes())
    response = api.post("volumes", {"volume": {"size": 1, "imageRef": image["id"]}})
    assert response.status_code == 400
    assert response.get_json()["badRequest"]["message"] == (
        f"Invalid input received: Image {image['id']} is not active.")
    assert len(fake.volumes()) == volumes  # refused: nothing created
    assert act(client, image["id"], "reactivate").status_code == 204
    assert api.post("volumes", {"volume": {"size": 1, "imageRef": image["id"]}}
                    ).status_code == 202


def test_a_deactivated_image_survives_dump_and_load(client, fake, image):
    assert act(client, image["id"], "deactivate").status_code == 204
    state = fake.dump()
    fake.reset()
    fake.load(state)
    assert fake.image(image["id"])["status"] == "deactivated"
    assert act(client, image["id"], "reactivate").status_code == 204
    assert client.get(f"{IMAGE_URL}/{image['id']}/file", headers=headers()).get_data() == (
        b"x" * 1024)


def test_the_python_api(fake, image):
    assert fake.deactivate_image(image["id"])["status"] == "deactivated"
    assert fake.deactivate_image(image["id"])["status"] == "deactivated"
    assert fake.reactivate_image(image["id"])["status"] == "active"
    queued = fake.add_image(name="empty", data=None)
    with pytest.raises(ValueError, match="Not allowed to deactivate image in status 'queued'"):
        fake.deactivate_image(queued["id"])
    with pytest.raises(KeyError):
        fake.reactivate_image("no-such-image")
