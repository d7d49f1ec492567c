"""core.snapshots without HTTP: create (the stale 'creating' answer, the volume's rules),
the policies on the loaded record, status updates, reset, delete and listing."""

from __future__ import annotations

import pytest

from fake_cinder.core import snapshots as core
from fake_cinder.core import volumes
from fake_cinder.core.clock import Clock
from fake_cinder.core.context import Caller, admin_caller
from fake_cinder.core.errors import BadRequest, InvalidVolume, PolicyNotAuthorized
from fake_cinder.core.listing import parse_list_query
from fake_cinder.core.store import Store

MEMBER = Caller(user_id="u", project_id="p1", roles=frozenset({"member"}))
READER = Caller(user_id="r", project_id="p1", roles=frozenset({"reader"}))
NO_ROLE = Caller(user_id="n", project_id="p1")
OTHER = Caller(user_id="o", project_id="p2", roles=frozenset({"member"}))
ADMIN = admin_caller("p9")


@pytest.fixture
def store() -> Store:
    return Store(Clock(seed=11))


@pytest.fixture
def volume_id(store: Store) -> str:
    return volumes.create_volume(store, MEMBER, 2).id


def snapshot(store: Store, volume_id: str, **kw: object) -> str:
    return core.create_snapshot(store, MEMBER, volume_id, **kw).id  # type: ignore[arg-type]


def test_create_answers_creating_and_stores_it_available(store: Store, volume_id: str) -> None:
    answered = core.create_snapshot(store, MEMBER, volume_id, name="s", metadata={"k": "v"})
    assert (answered.status, answered.progress, answered.updated_at) == ("creating", "0%", None)
    stored = store.snapshots[answered.id]
    assert (stored.status, stored.progress, stored.size) == ("available", "100%", 2)
    assert stored.project_id == "p1" and stored.metadata == {"k": "v"}


def test_an_in_use_volume_needs_force_or_3_66(store: Store, volume_id: str) -> None:
    store.volumes[volume_id].status = "in-use"
    with pytest.raises(InvalidVolume, match="status must be available, but current status "
                                            "is: in-use"):
        core.create_snapshot(store, MEMBER, volume_id)
    assert core.create_snapshot(store, MEMBER, volume_id, force=True).id
    assert core.create_snapshot(store, MEMBER, volume_id, allow_in_use=True).id
    store.volumes[volume_id].status = "error"
    with pytest.raises(InvalidVolume, match="in error status"):
        core.create_snapshot(store, MEMBER, volume_id, force=True)


def test_policies_are_asked_on_the_loaded_record(store: Store, volume_id: str) -> None:
    snap = snapshot(store, volume_id)
    with pytest.raises(PolicyNotAuthorized, match="volume:create_snapshot"):
        core.create_snapshot(store, READER, volume_id)
    assert core.show_snapshot(store, READER, snap).id == snap
    with pytest.raises(PolicyNotAuthorized, match="volume:get_snapshot"):
        core.show_snapshot(store, NO_ROLE, snap)
    with pytest.raises(PolicyNotAuthorized, match="volume:update_snapshot"):
        core.update_snapshot(store, READER, snap, {"name": "r"})
    with pytest.raises(PolicyNotAuthorized, match="volume:delete_snapshot"):
        core.delete_snapshot(store, READER, snap)
    with pytest.raises(PolicyNotAuthorized, match="snapshot_admin_actions:force_delete"):
        core.delete_snapshot(store, MEMBER, snap, force=True)
    with pytest.raises(PolicyNotAuthorized, match="snapshot_admin_actions:reset_status"):
        core.reset_status(store, MEMBER, snap, "error")
    with pytest.raises(core.SnapshotNotFound):
        core.show_snapshot(store, OTHER, snap)  # another project's: not found first
    assert store.snapshots[snap].status == "available"  # nothing refused changed it


def test_update_answers_the_old_updated_at(store: Store, volume_id: str) -> None:
    snap = snapshot(store, volume_id)
    before = store.snapshots[snap].updated_at
    answered = core.update_snapshot(store, MEMBER, snap, {"name": "new", "description": "d"})
    assert (answered.name, answered.description, answered.updated_at) == ("new", "d", before)
    assert store.snapshots[snap].name == "new"
    assert store.snapshots[snap].updated_at != before


def test_status_updates_only_while_creating_or_deleting(store: Store, volume_id: str) -> None:
    snap = snapshot(store, volume_id, status="creating", quota=False)
    core.update_status(store, MEMBER, snap, "creating", "50%")
    assert store.snapshots[snap].progress == "50%"
    with pytest.raises(BadRequest, match="Provided snapshot status deleting not allowed for "
                                         "snapshot with status creating."):
        core.update_status(store, MEMBER, snap, "deleting")
    core.update_status(store, MEMBER, snap, "available", "100%")
    with pytest.raises(BadRequest, match="Snapshot status available not allowed for "
                                         "update_snapshot_status"):
        core.update_status(store, MEMBER, snap, "error")


@pytest.mark.parametrize("progress", ["50%", "0%", "100%", None, ""])
def test_progress_in_cinders_format_passes(progress: object) -> None:
    core.check_progress(progress)


@pytest.mark.parametrize("progress", ["101%", "-1%", "half", "5.5%"])
def test_progress_outside_cinders_format_is_refused(progress: str) -> None:
    with pytest.raises(BadRequest):
        core.check_progress(progress)


def test_reset_takes_any_status_in_any_case(store: Store, volume_id: str) -> None:
    snap = snapshot(store, volume_id)
    core.reset_status(store, ADMIN, snap, "ERROR")
    assert store.snapshots[snap].status == "error"
    with pytest.raises(BadRequest, match="Snapshot status: bogus is invalid"):
        core.reset_status(store, ADMIN, snap, "bogus")


def test_delete_refuses_a_busy_snapshot_unless_forced(store: Store, volume_id: str) -> None:
    snap = snapshot(store, volume_id)
    core.reset_status(store, ADMIN, snap, "creating")
    with pytest.raises(core.InvalidSnapshot, match="must be available or error"):
        core.delete_snapshot(store, MEMBER, snap)
    core.delete_snapshot(store, ADMIN, snap, force=True)
    assert snap not in store.snapshots


def test_listing_is_the_projects_newest_first(store: Store, volume_id: str) -> None:
    first, second = snapshot(store, volume_id), snapshot(store, volume_id)
    other_volume = volumes.create_volume(store, OTHER, 1).id
    core.create_snapshot(store, OTHER, other_volume)
    query = parse_list_query({}, MEMBER, strict_filters=True,
                             allowed_filters=core.ALLOWED_FILTERS,
                             columns=core.MODEL_COLUMNS, bool_all_tenants=True)
    listed, total = core.list_snapshots(store, MEMBER, query, {})
    assert [s.id for s in listed] == [second, first] and total == 2
    with pytest.raises(PolicyNotAuthorized, match="volume:get_all_snapshots"):
        core.list_snapshots(store, NO_ROLE, query, {})
    everyone = parse_list_query({"all_tenants": "1"}, ADMIN, strict_filters=True,
                                allowed_filters=core.ALLOWED_FILTERS,
                                columns=core.MODEL_COLUMNS, bool_all_tenants=True)
    assert core.list_snapshots(store, ADMIN, everyone, {})[1] == 3
