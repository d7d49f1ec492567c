"""QoS specs (admins): create, list, show, set and unset keys, delete (force), and the
association with volume types, with Cinder 29's texts (qos_specs_manage.py,
cinder/volume/qos_specs.py)."""

from __future__ import annotations

from tests.helpers.api import UNKNOWN, fault


def make_qos(admin, name: str = "fast", **specs) -> dict:
    response = admin.post("qos-specs", {"qos_specs": {"name": name, **specs}})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["qos_specs"]


def make_type(admin, name: str) -> str:
    return admin.post("types", {"volume_type": {"name": name}}).get_json()["volume_type"]["id"]


def test_create_show_list(admin):
    response = admin.post("qos-specs", {"qos_specs": {
        "name": " fast ", "consumer": "front-end", "total_iops_sec": "1000"}})
    assert response.status_code == 200
    body = response.get_json()
    created = body["qos_specs"]
    assert created == {"id": created["id"], "name": "fast", "consumer": "front-end",
                       "specs": {"total_iops_sec": "1000"}}
    assert body["links"][0] == {"rel": "self", "href":
                                f"http://localhost/v3/admin/qos-specs/{created['id']}"}
    assert admin.get(f"qos-specs/{created['id']}").get_json()["qos_specs"] == created
    slow = make_qos(admin, "slow")
    assert slow["consumer"] == "back-end"
    listed = admin.get("qos-specs").get_json()["qos_specs"]
    assert [q["name"] for q in listed] == ["slow", "fast"]  # newest first
    assert admin.get("qos-specs", query={"id": slow["id"]}).get_json()["qos_specs"] == [slow]
    # Cinder's filter on its key/value rows finds nothing by name.
    assert admin.get("qos-specs", query={"name": "slow"}).get_json()["qos_specs"] == []
    page = admin.get("qos-specs", query={"limit": "1"}).get_json()
    assert [q["name"] for q in page["qos_specs"]] == ["slow"]
    assert "marker=" in page["qos_specs_links"][0]["href"]


def test_create_refusals(admin, api):
    make_qos(admin)
    assert fault(admin.post("qos-specs", {"qos_specs": {"name": "fast"}})) == (
        409, "QoS Specs fast already exists.")
    assert fault(admin.post("qos-specs", {"qos_specs": {"name": "  "}})) == (
        400, "An invalid 'name' value was provided. The 'name' can not be empty.")
    assert fault(admin.post("qos-specs", {"qos_specs": {"name": ""}})) == (
        400, "An invalid 'name' value was provided. The 'name' can not be None.")
    assert fault(admin.post("qos-specs", {"qos_specs": {"name": "x", "iops": 5}})) == (
        400, 'Invalid input received: Value for key "iops" is not a string or unicode')
    status, message = fault(admin.post("qos-specs", {"qos_specs": {"name": "x",
                                                                   "consumer": "middle"}}))
    assert status == 400 and message.startswith("Invalid qos specs: Valid consumer of QoS")
    assert fault(api.post("qos-specs", {"qos_specs": {"name": "x"}})) == (
        403, "Policy doesn't allow volume_extension:qos_specs_manage:create to be performed.")
    assert fault(api.get("qos-specs"))[0] == 403
    assert [q["name"] for q in admin.get("qos-specs").get_json()["qos_specs"]] == ["fast"]


def test_set_and_unset_keys(admin):
    qos_id = make_qos(admin, total_iops_sec="1000")["id"]
    body = {"qos_specs": {"total_iops_sec": "2000", "burst": "1", "consumer": "both"}}
    response = admin.put(f"qos-specs/{qos_id}", body)
    assert (response.status_code, response.get_json()) == (200, body)
    shown = admin.get(f"qos-specs/{qos_id}").get_json()["qos_specs"]
    assert (shown["consumer"], shown["specs"]) == ("both", {"total_iops_sec": "2000",
                                                             "burst": "1"})
    response = admin.put(f"qos-specs/{qos_id}/delete_keys", {"keys": ["burst"]})
    assert (response.status_code, response.get_data()) == (202, b"")
    # Cinder stops at the first missing key and keeps what it removed before.
    assert fault(admin.put(f"qos-specs/{qos_id}/delete_keys",
                           {"keys": ["total_iops_sec", "nope"]})) == (
        404, f"QoS spec {qos_id} has no spec with key nope.")
    assert admin.get(f"qos-specs/{qos_id}").get_json()["qos_specs"]["specs"] == {}
    assert fault(admin.put(f"qos-specs/{UNKNOWN}", {"qos_specs": {"a": "1"}})) == (
        404, f"No such QoS spec {UNKNOWN}.")


def test_associations(admin, api):
    qos_id = make_qos(admin)["id"]
    other_id = make_qos(admin, "other")["id"]
    type_id = make_type(admin, "gold")
    response = admin.get(f"qos-specs/{qos_id}/associate", query={"vol_type_id": type_id})
    assert (response.status_code, response.get_data()) == (202, b"")
    assert admin.get(f"types/{type_id}").get_json()["volume_type"]["qos_specs_id"] == qos_id
    assert "qos_specs_id" not in api.get(f"types/{type_id}").get_json()["volume_type"]
    assert admin.get(f"qos-specs/{qos_id}/associations").get_json() == {"qos_associations": [
        {"association_type": "volume_type", "name": "gold", "id": type_id}]}
    assert fault(admin.get(f"qos-specs/{other_id}/associate",
                           query={"vol_type_id": type_id})) == (
        400, f"Invalid volume type: Type {type_id} is already associated with another qos "
             f"specs: {qos_id}")
    assert fault(admin.get(f"qos-specs/{qos_id}/associate")) == (
        400, "Volume Type id must not be None.")
    assert fault(admin.get(f"qos-specs/{qos_id}/associate",
                           query={"vol_type_id": UNKNOWN})) == (
        404, f"Volume type {UNKNOWN} could not be found.")
    assert fault(admin.delete(f"qos-specs/{qos_id}")) == (400, "Qos specs still in use.")
    assert admin.get(f"qos-specs/{qos_id}/disassociate",
                     query={"vol_type_id": type_id}).status_code == 202
    assert admin.get(f"types/{type_id}").get_json()["volume_type"]["qos_specs_id"] is None
    admin.get(f"qos-specs/{qos_id}/associate", query={"vol_type_id": type_id})
    assert admin.get(f"qos-specs/{qos_id}/disassociate_all").status_code == 202
    assert admin.get(f"qos-specs/{qos_id}/associations").get_json() == {"qos_associations": []}


def test_force_delete_takes_the_associations_along(admin):
    qos_id = make_qos(admin)["id"]
    type_id = make_type(admin, "gold")
    admin.get(f"qos-specs/{qos_id}/associate", query={"vol_type_id": type_id})
    response = admin.delete(f"qos-specs/{qos_id}", query={"force": "True"})
    assert (response.status_code, response.get_data()) == (202, b"")
    assert admin.get(f"types/{type_id}").get_json()["volume_type"]["qos_specs_id"] is None
    assert fault(admin.get(f"qos-specs/{qos_id}")) == (404, f"No such QoS spec {qos_id}.")
