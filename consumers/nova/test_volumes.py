"""Nova's volume calls: create (boot from volume), get with and without a microversion,
get_all, the volume types list, delete, and update (which Nova never implemented)."""

from __future__ import annotations

import pytest
from nova import exception
from nova.volume import cinder

from .conftest import Nova


@pytest.mark.covers("create", "get")
def test_create_returns_nova_s_view_of_the_volume(nova: Nova) -> None:
    created = nova.api.create(nova.ctx, 2, "boot-volume", "for a server",
                              metadata={"purpose": "boot"})
    nova.created.append(created["id"])
    assert created["size"] == 2
    assert created["display_name"] == "boot-volume"
    assert created["display_description"] == "for a server"
    assert created["volume_metadata"] == {"purpose": "boot"}
    assert created["attach_status"] == "detached" and "attachments" not in created
    assert created["bootable"] is False and created["multiattach"] is False
    nova.wait_volume(created["id"], "available")
    shown = nova.api.get(nova.ctx, created["id"])
    assert {k: shown[k] for k in ("id", "size", "display_name", "volume_metadata")} == \
        {k: created[k] for k in ("id", "size", "display_name", "volume_metadata")}
    assert shown["availability_zone"]


@pytest.mark.covers("get")
def test_get_at_a_microversion_adds_shared_targets(nova: Nova) -> None:
    """Nova asks for 3.48 to learn shared_targets/service_uuid (locks around os-brick),
    and for a version the server lacks it gets CinderAPIVersionNotAvailable."""
    volume = nova.create_volume(1)
    assert "shared_targets" not in volume
    detailed = nova.api.get(nova.ctx, volume["id"], microversion="3.48")
    assert isinstance(detailed["shared_targets"], bool)
    assert "service_uuid" in detailed
    with pytest.raises(exception.CinderAPIVersionNotAvailable):
        nova.api.get(nova.ctx, volume["id"], microversion="3.999")
    # nova-api's own check before an attach (the module function, from the root URL).
    cinder.is_microversion_supported(nova.ctx, "3.44")
    with pytest.raises(exception.CinderAPIVersionNotAvailable):
        cinder.is_microversion_supported(nova.ctx, "3.999")


@pytest.mark.covers("get_all")
def test_get_all_lists_the_project_s_volumes_with_filters(nova: Nova) -> None:
    first = nova.create_volume(1, name="nova-consumer-first")
    second = nova.create_volume(1, name="nova-consumer-second")
    listed = {v["id"]: v for v in nova.api.get_all(nova.ctx)}
    assert {first["id"], second["id"]} <= set(listed)
    assert listed[first["id"]]["display_name"] == "nova-consumer-first"
    filtered = nova.api.get_all(nova.ctx, search_opts={"name": "nova-consumer-second"})
    assert [v["id"] for v in filtered] == [second["id"]]


@pytest.mark.covers("get_all_volume_types")
def test_get_all_volume_types_lists_id_and_name(nova: Nova) -> None:
    made = nova.multiattach_type()
    types = nova.api.get_all_volume_types(nova.ctx)
    assert {"id": made.id, "name": made.name} in types
    assert all(set(t) == {"id", "name"} for t in types)


@pytest.mark.covers("delete", "get")
def test_delete_removes_the_volume(nova: Nova) -> None:
    volume = nova.create_volume(1)
    nova.api.delete(nova.ctx, volume["id"])

    nova.wait_gone(volume["id"])
    with pytest.raises(exception.VolumeNotFound):
        nova.api.get(nova.ctx, volume["id"])
    with pytest.raises(exception.VolumeNotFound):
        nova.api.delete(nova.ctx, volume["id"])


@pytest.mark.covers("update")
def test_update_is_not_implemented_by_nova(nova: Nova) -> None:
    """Nova's update raises before any request: there is nothing for Cinder to serve."""
    volume = nova.create_volume(1)
    with pytest.raises(NotImplementedError):
        nova.api.update(nova.ctx, volume["id"], {"display_name": "renamed"})
    assert nova.api.get(nova.ctx, volume["id"])["display_name"] == volume["display_name"]
