"""The attachment state machine and the store, without HTTP."""

from __future__ import annotations

import ast
import threading
import uuid
from pathlib import Path

import pytest

from fake_cinder.core import attachments as core
from fake_cinder.core import volumes
from fake_cinder.core.clock import Clock
from fake_cinder.core.context import Caller, admin_caller
from fake_cinder.core.errors import AttachmentNotFound, InvalidVolume, NovaUsingAttachment
from fake_cinder.core.listing import ListQuery, parse_list_query
from fake_cinder.core.models import Attachment
from fake_cinder.core.store import Store
from tests.helpers.threads import run_threads, slow_status

CORE = Path(core.__file__).parent
MEMBER = Caller(user_id="u", project_id="p1", roles=frozenset({"member"}))
OTHER = Caller(user_id="v", project_id="p2", roles=frozenset({"member"}))
NOVA = Caller(user_id="nova", project_id="p1", roles=frozenset({"member"}),
              service_roles=frozenset({"service"}))
CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:abc", "host": "compute-1"}


@pytest.fixture
def store() -> Store:
    return Store(Clock(seed=5))


def new_volume(store: Store, caller: Caller = MEMBER, multiattach: bool = False) -> str:
    return volumes.create_volume(store, caller, 1, multiattach=multiattach).id


def test_core_never_imports_flask_or_werkzeug():
    for path in CORE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in ("flask", "werkzeug"), (path.name, name)


@pytest.mark.parametrize(("statuses", "expected"), [
    ([], ("available", "detached")),
    (["reserved"], ("reserved", "reserved")),
    (["attaching", "reserved"], ("attaching", "attaching")),
    (["detaching", "reserved"], ("detaching", "detaching")),
    (["attached", "detaching", "attaching", "reserved"], ("in-use", "attached")),
    (["error_attaching"], ("available", "detached")),
    (["error_detaching", "reserved"], ("reserved", "reserved")),
])
def test_volume_statuses_from_attachments(statuses, expected):
    records = [Attachment(id=str(i), volume_id="v", project_id="p", attach_status=s)
               for i, s in enumerate(statuses)]
    assert core.volume_statuses_from(records) == expected


def test_create_returns_a_copy_not_the_stored_record(store):
    volume_id = new_volume(store)
    response = core.create_attachment(store, MEMBER, volume_id, str(uuid.uuid4()),
                                      connector=CONNECTOR)
    stored = store.attachments[response.id]
    assert response is not stored
    assert response.attach_status == "reserved"
    assert stored.attach_status == "attaching"
    assert stored.connector["host"] == "compute-1"
    assert stored.attached_host == "compute-1"


def test_show_returns_a_copy(store):
    volume_id = new_volume(store)
    created = core.create_attachment(store, MEMBER, volume_id, None)
    shown = core.show_attachment(store, MEMBER, created.id)
    shown.attach_status = "attached"
    assert store.attachments[created.id].attach_status == "reserved"


def test_other_projects_cannot_find_attachments(store):
    volume_id = new_volume(store)
    created = core.create_attachment(store, MEMBER, volume_id, None)
    with pytest.raises(AttachmentNotFound):
        core.show_attachment(store, OTHER, created.id)
    assert core.show_attachment(store, admin_caller("elsewhere"), created.id).id == created.id


def test_delete_protection_and_the_service_caller(store):
    volume_id = new_volume(store)
    created = core.create_attachment(store, MEMBER, volume_id, "i-1", connector=CONNECTOR)
    with pytest.raises(NovaUsingAttachment):
        core.delete_attachment(store, MEMBER, created.id)
    assert core.delete_attachment(store, MEMBER, created.id, protect_in_use=False) == []
    created = core.create_attachment(store, MEMBER, volume_id, "i-1", connector=CONNECTOR)
    assert core.delete_attachment(store, NOVA, created.id) == []
    assert store.volumes[volume_id].status == "available"


def test_delete_keeps_the_indexes_consistent(store):
    volume_id = new_volume(store, multiattach=True)
    made = [core.create_attachment(store, MEMBER, volume_id, "i-1").id for _ in range(5)]
    core.delete_attachment(store, MEMBER, made[2])
    assert [a.id for a in store.project_attachments("p1")] == made[:2] + made[3:]
    assert [a.id for a in store.volume_attachments(volume_id)] == made[:2] + made[3:]
    assert set(store.attachments) == set(made) - {made[2]}


def test_list_pages_across_projects_for_admins(store):
    first = core.create_attachment(store, MEMBER, new_volume(store), None).id
    second = core.create_attachment(store, OTHER, new_volume(store, OTHER), None).id
    admin = admin_caller()
    query = parse_list_query({"all_tenants": "1"}, admin, strict_filters=True)
    assert [a.id for a in core.list_attachments(store, admin, query)] == [second, first]
    assert [a.id for a in core.list_attachments(store, MEMBER, ListQuery())] == [first]
    query = parse_list_query({"all_tenants": "1", "marker": second}, admin, strict_filters=True)
    assert [a.id for a in core.list_attachments(store, admin, query)] == [first]


def test_list_returns_copies(store):
    volume_id = new_volume(store)
    created = core.create_attachment(store, MEMBER, volume_id, None)
    (listed,) = core.list_attachments(store, MEMBER, ListQuery())
    listed.attach_status = "attached"
    assert store.attachments[created.id].attach_status == "reserved"


def test_concurrent_reserves_in_the_core(store):
    volume_id = new_volume(store)
    slow_status(store, volume_id)
    threads_count = 16
    barrier = threading.Barrier(threads_count)
    outcomes: list[str] = []

    def reserve() -> None:
        barrier.wait(timeout=10)
        try:
            core.create_attachment(store, MEMBER, volume_id, str(uuid.uuid4()))
            outcomes.append("ok")
        except InvalidVolume:
            outcomes.append("refused")

    run_threads(reserve, [()] * threads_count)
    assert sorted(outcomes) == ["ok"] + ["refused"] * (threads_count - 1)
    assert len(store.attachments) == 1
