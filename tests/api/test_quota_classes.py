"""Quota classes (os-quota-class-sets, admins; the default class is every project's
defaults) and a project's quotas deleted (DELETE os-quota-sets/{project})."""

from __future__ import annotations

from tests.helpers.api import fault


def test_the_default_class_feeds_every_projects_defaults(admin, api):
    shown = admin.get("os-quota-class-sets/default").get_json()["quota_class_set"]
    assert (shown["id"], shown["volumes"], shown["groups"]) == ("default", 10, 10)
    response = admin.put("os-quota-class-sets/default", {"quota_class_set": {"volumes": 4}})
    assert response.status_code == 200
    updated = response.get_json()["quota_class_set"]
    assert updated["volumes"] == 4 and "id" not in updated
    assert api.get("os-quota-sets/demo/defaults").get_json()["quota_set"]["volumes"] == 4
    assert api.get("os-quota-sets/demo").get_json()["quota_set"]["volumes"] == 4


def test_other_classes_start_from_the_defaults(admin, fake):
    response = admin.put("os-quota-class-sets/gold", {"quota_class_set": {
        "volumes": 20, "gigabytes": "500", "volumes_ceph": -1}})
    limits = response.get_json()["quota_class_set"]
    assert (limits["volumes"], limits["gigabytes"], limits["snapshots"]) == (20, 500, 10)
    shown = admin.get("os-quota-class-sets/gold").get_json()["quota_class_set"]
    assert shown == {**limits, "id": "gold"}
    assert fake.quotas("demo")["volumes"] == 10  # a class of its own changes no project


def test_refusals(admin, api):
    assert fault(api.get("os-quota-class-sets/default")) == (
        403, "Policy doesn't allow volume_extension:quota_classes:get to be performed.")
    assert fault(api.put("os-quota-class-sets/gold", {"quota_class_set": {"volumes": 1}})) == (
        403, "Policy doesn't allow volume_extension:quota_classes:update to be performed.")
    assert fault(admin.put("os-quota-class-sets/gold", {"quota_class_set": {"colour": 1}})) == (
        400, "Invalid input received: Bad key(s) in quota class set: colour")
    for value in (-2, "-1", "ten"):
        assert fault(admin.put("os-quota-class-sets/gold",
                               {"quota_class_set": {"volumes": value}}))[0] == 400
    assert admin.get("os-quota-class-sets/gold").get_json()["quota_class_set"]["volumes"] == 10


def test_delete_a_projects_quotas(admin, api, fake):
    fake.set_quotas("demo", volumes=3)
    assert fault(api.delete("os-quota-sets/demo")) == (
        403, "Policy doesn't allow volume_extension:quotas:delete to be performed.")
    response = admin.delete("os-quota-sets/demo", url_project="admin")
    assert (response.status_code, response.get_data()) == (200, b"")
    assert fake.quotas("demo")["volumes"] == 10
