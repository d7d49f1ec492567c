"""Volume type encryption (admins' types/{id}/encryption) and a volume's encryption
metadata, down to an encrypted attach."""

from __future__ import annotations

import pytest

from fake_cinder import FakeCinder
from fake_cinder.core.state_files import StateError
from tests.helpers.api import CONNECTOR, SERVER, UNKNOWN, VOLUME, fault

SPECS = {"provider": "luks", "control_location": "front-end", "cipher": "aes-xts-plain64",
         "key_size": 256}


def new_type(admin, name: str = "luks") -> str:
    response = admin.post("types", {"volume_type": {"name": name}})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["volume_type"]["id"]


def encrypt(admin, type_id: str, **specs):
    return admin.post(f"types/{type_id}/encryption", {"encryption": {**SPECS, **specs}})


def test_create_show_update_delete(admin):
    type_id = new_type(admin)
    assert admin.get(f"types/{type_id}/encryption").get_json() == {}
    response = encrypt(admin, type_id, key_size="512", extra="kept")
    assert response.status_code == 200
    created = response.get_json()["encryption"]
    assert created == {**SPECS, "key_size": 512, "extra": "kept", "volume_type_id": type_id,
                       "encryption_id": created["encryption_id"]}
    shown = admin.get(f"types/{type_id}/encryption").get_json()
    assert {k: shown[k] for k in SPECS} == {**SPECS, "key_size": 512}
    assert shown["volume_type_id"] == type_id
    assert (shown["deleted"], shown["deleted_at"], shown["updated_at"]) == (False, None, None)
    assert admin.get(f"types/{type_id}/encryption/cipher").get_json() == {
        "cipher": "aes-xts-plain64"}
    response = admin.get(f"types/{type_id}/encryption/colour")
    assert fault(response) == (404, f"Volume type encryption for type {type_id} does not "
                                    "exist.")
    response = admin.put(f"types/{type_id}/encryption/{shown['encryption_id']}",
                         {"encryption": {"control_location": "back-end"}})
    assert response.get_json() == {"encryption": {"control_location": "back-end"}}
    updated = admin.get(f"types/{type_id}/encryption").get_json()
    assert updated["control_location"] == "back-end" and updated["updated_at"] is not None
    response = admin.delete(f"types/{type_id}/encryption/{shown['encryption_id']}")
    assert (response.status_code, response.get_data()) == (202, b"")
    assert admin.get(f"types/{type_id}/encryption").get_json() == {}
    response = admin.delete(f"types/{type_id}/encryption/x")
    assert fault(response) == (404, f"Volume type encryption for type {type_id} does not "
                                    "exist.")


def test_a_type_is_encrypted_once(admin):
    type_id = new_type(admin)
    assert encrypt(admin, type_id).status_code == 200
    response = encrypt(admin, type_id)
    assert fault(response) == (400, f"Volume type encryption for type {type_id} already "
                                    "exists.")


def test_update_of_an_unencrypted_type_404s(admin):
    type_id = new_type(admin)
    response = admin.put(f"types/{type_id}/encryption/x", {"encryption": {"cipher": None}})
    assert fault(response) == (404, f"Volume type encryption for type {type_id} does not "
                                    "exist.")


def test_unknown_type(admin):
    response = admin.get(f"types/{UNKNOWN}/encryption")
    assert fault(response) == (404, f"Volume type {UNKNOWN} could not be found.")
    response = encrypt(admin, UNKNOWN)
    assert fault(response) == (404, f"Volume type {UNKNOWN} could not be found.")


def test_no_changes_while_volumes_of_the_type_exist(admin, api, fake):
    type_id = new_type(admin)
    assert encrypt(admin, type_id).status_code == 200
    api.new_volume("luks")
    before = fake.dump()
    response = admin.put(f"types/{type_id}/encryption/x", {"encryption": {"cipher": None}})
    assert fault(response) == (400, "Cannot update encryption specs. Volume type in use.")
    response = admin.delete(f"types/{type_id}/encryption/x")
    assert fault(response) == (400, "Cannot delete encryption specs. Volume type in use.")
    other = new_type(admin, "plain")
    api.new_volume("plain")
    response = encrypt(admin, other)
    assert fault(response) == (400, "Cannot create encryption specs. Volume type in use.")
    assert fake.dump()["encryption"] == before["encryption"]


@pytest.mark.parametrize(("method", "suffix", "action"), [
    ("GET", "", "get"), ("GET", "/cipher", "get"), ("POST", "", "create"),
    ("PUT", "/x", "update"), ("DELETE", "/x", "delete")])
def test_admins_only(admin, api, method, suffix, action):
    type_id = new_type(admin)
    response = api.call(method, f"types/{type_id}/encryption{suffix}",
                        {"encryption": SPECS} if method in ("POST", "PUT") else None)
    assert fault(response) == (403, "Policy doesn't allow volume_extension:volume_type_"
                                    f"encryption:{action} to be performed.")


@pytest.mark.parametrize(("specs", "message"), [
    ({"provider": None}, "Invalid input for field/attribute provider."),
    ({"control_location": "middle"}, "Invalid input for field/attribute control_location."),
    ({"key_size": "big"}, "Invalid input received: key_size must be an integer."),
    ({"key_size": 1.5}, "Invalid input for field/attribute key_size."),
])
def test_bad_specs_change_nothing(admin, fake, specs, message):
    type_id = new_type(admin)
    before = fake.dump()
    status, text = fault(encrypt(admin, type_id, **specs))
    assert status == 400 and message in text
    assert fake.dump() == before


def test_required_specs(admin):
    type_id = new_type(admin)
    response = admin.post(f"types/{type_id}/encryption", {"encryption": {"provider": "luks"}})
    assert fault(response) == (400, "Invalid input for field/attribute encryption. Value: "
                                    "{'provider': 'luks'}. 'control_location' is a required "
                                    "property")


# -- volumes of an encrypted type ------------------------------------------------------------------
def test_encrypted_volume_metadata_and_attach(admin, api, fake):
    type_id = new_type(admin)
    assert encrypt(admin, type_id).status_code == 200
    volume_id = api.new_volume("luks")
    volume = api.volume(volume_id)
    assert volume["encrypted"] is True
    assert "encryption_key_id" not in api.as_(version="3.63").volume(volume_id)
    metadata = api.get(f"volumes/{volume_id}/encryption").get_json()
    assert metadata == {**SPECS, "encryption_key_id": metadata["encryption_key_id"]}
    assert len(metadata["encryption_key_id"]) == 36
    assert volume["encryption_key_id"] == metadata["encryption_key_id"]  # from 3.64
    attachment = api.create(volume_id, SERVER, connector=CONNECTOR)
    shown = api.show(attachment["id"])
    assert shown["connection_info"]["encrypted"] is True
    api.complete(attachment["id"])
    # A snapshot keeps the volume's key.
    response = api.post("snapshots", {"snapshot": {"volume_id": volume_id, "force": True}})
    assert response.status_code == 202
    snapshot = fake.snapshot(response.get_json()["snapshot"]["id"])
    assert snapshot["encryption_key_id"] == metadata["encryption_key_id"]
    # One item: Cinder hands the bare string to WebOb (no version headers).
    response = api.get(f"volumes/{volume_id}/encryption/encryption_key_id")
    assert (response.status_code, response.get_data(as_text=True)) == (
        200, metadata["encryption_key_id"])
    assert response.content_type == "text/html; charset=UTF-8"
    assert "OpenStack-API-Version" not in response.headers
    assert api.get(f"volumes/{volume_id}/encryption/provider").get_data() == b"luks"
    response = api.get(f"volumes/{volume_id}/encryption/colour")
    assert fault(response) == (404, "The volume's encryption metadata has no colour.")


def test_unencrypted_volume_metadata(api):
    assert api.get(f"volumes/{VOLUME}/encryption").get_json() == {"encryption_key_id": None}
    assert api.volume()["encrypted"] is False
    assert "encryption_key_id" not in api.volume()
    response = api.get(f"volumes/{UNKNOWN}/encryption")
    assert fault(response) == (404, f"Volume {UNKNOWN} could not be found.")
    response = api.get(f"volumes/{VOLUME}/encryption/encryption_key_id")
    assert (response.status_code, response.get_data()) == (200, b"")  # None: no body


def test_a_bad_key_size_is_reported_before_a_missing_property(admin):
    """Cinder's key_size format raises its own 400 while the schema is checked."""
    response = admin.post(f"types/{new_type(admin)}/encryption",
                          {"encryption": {"provider": "luks", "key_size": "x"}})
    assert fault(response) == (400, "Invalid input received: key_size must be an integer.")


def test_python_api_and_state_files(fake):
    with pytest.raises(ValueError, match="Volume type in use"):
        fake.set_volume_type_encryption("ceph")
    fake.add_volume_type("luks")
    fake.set_volume_type_encryption("luks", provider="nova.volume.encryptors.luks.LuksEncryptor")
    volume = fake.add_volume(volume_type="luks")
    assert volume["encryption_key_id"] is not None
    state = fake.dump()
    assert state["encryption"][0]["provider"] == "nova.volume.encryptors.luks.LuksEncryptor"
    again = FakeCinder(state)
    assert again.dump() == state
    with pytest.raises(ValueError, match="Volume type in use"):
        fake.set_volume_type_encryption("luks")
    with pytest.raises(ValueError, match="unknown volume type"):
        fake.set_volume_type_encryption("gold")
    with pytest.raises(StateError, match=r"\$\.encryption\[0\]\.volume_type_id: unknown"):
        FakeCinder({**state, "encryption": [{**state["encryption"][0],
                                             "volume_type_id": "gold"}]})


def test_a_state_names_the_type_by_name(fake):
    state = {**fake.dump(), "encryption": [{"volume_type_id": "ceph", "provider": "luks",
                                            "control_location": "front-end"}]}
    loaded = FakeCinder(state)
    (row,) = loaded.dump()["encryption"]
    assert row["volume_type_id"] == "c2b7d1ef-4e6f-4a8b-8d2c-3f5e7a9b1c03"
    assert row["cipher"] is None and row["key_size"] is None


@pytest.mark.parametrize(("key_size", "message"), [
    (" 12 ", "Invalid input received: key_size must be an integer."),
    ("-1", "Invalid input for field/attribute key_size. Value: -1. -1 is less than the "
           "minimum of 0"),
    ("2147483648", "Invalid input for field/attribute key_size. Value: 2147483648. "
                   "2147483648 is greater than the maximum of 2147483647"),
])
def test_key_size_strings_are_checked_as_numbers(admin, fake, key_size, message):
    type_id = new_type(admin)
    before = fake.dump()
    assert fault(encrypt(admin, type_id, key_size=key_size)) == (400, message)
    assert fake.dump() == before
