"""State: load/dump, fixture-file errors, reset, seeds, adding and inspecting records."""

from __future__ import annotations

import gc
import json
import threading
from pathlib import Path

import pytest

import fake_cinder
from fake_cinder import FakeCinder, RecordNotFound
from fake_cinder.core import state_files
from fake_cinder.core.models import ATTACH_STATUSES
from fake_cinder.core.state_files import StateError
from fake_cinder.core.volumes import VOLUME_STATUSES
from fake_cinder.resources import data_dir, fixture_path
from tests.helpers.attach_calls import BASE, NOVA, AttachCalls

FIXTURES = sorted(p.name for p in data_dir("fixtures").glob("*.json"))
IDENTITY = {"users": [{"id": "u1", "name": "admin", "password": "secret"}],
            "projects": [{"id": "demo", "name": "demo"}],
            "servers": [{"id": "s1", "name": "web", "project_id": "demo"}]}


@pytest.mark.parametrize("name", FIXTURES)
def test_every_fixture_round_trips_exactly(name: str) -> None:
    fake = FakeCinder(fixture_path(name))
    state = fake.dump()
    again = FakeCinder(state)
    assert again.dump() == state
    again.load(json.loads(json.dumps(state)))
    assert again.dump() == state


def test_round_trip_after_api_calls_and_identity() -> None:
    fake = FakeCinder(fixture_path("multiattach.json"))
    api = AttachCalls(fake)
    api.attach(fake.add_volume(project_id="demo")["id"], "8a3c1b2d-0000-4000-8000-000000000009")
    fake.load({**fake.dump(), "identity": IDENTITY})
    state = fake.dump()
    assert state["identity"] == IDENTITY
    assert fake.store.identity == IDENTITY
    copy = FakeCinder()
    copy.load(state)
    assert copy.dump() == state
    IDENTITY["users"].append({"id": "u2"})  # the fake keeps its own copy
    assert len(copy.dump()["identity"]["users"]) == 1
    IDENTITY["users"].pop()


def test_state_schema_enums_are_the_models() -> None:
    schema = json.loads((data_dir("schemas") / "state.json").read_text())
    assert tuple(schema["$defs"]["volume"]["properties"]["status"]["enum"]) == VOLUME_STATUSES
    assert tuple(schema["$defs"]["attach_status"]["enum"]) == ATTACH_STATUSES


def _bad(tmp_path: Path, state: object, text: str | None = None) -> Path:
    path = tmp_path / "state.json"
    path.write_text(text if text is not None else json.dumps(state))
    return path


def _default() -> dict:
    return json.loads(fixture_path("default.json").read_text())


@pytest.mark.parametrize("change, where, problem", [
    (lambda s: s["volumes"][1].update(size="big"), "$.volumes[1].size",
     "'big' is not of type 'integer'"),
    (lambda s: s["volumes"][0].update(colour="red"), "$.volumes[0]",
     "Additional properties are not allowed ('colour' was unexpected)"),
    (lambda s: s["volumes"][2].update(status="broken"), "$.volumes[2].status",
     "'broken' is not one of"),
    (lambda s: s["volumes"][0].update(id="vol-1"), "$.volumes[0].id", "does not match"),
    (lambda s: s["volumes"][0].update(created_at="2024-01-01"), "$.volumes[0].created_at",
     "does not match"),
    (lambda s: s["volumes"][0].pop("project_id"), "$.volumes[0]",
     "'project_id' is a required property"),
    (lambda s: s.update(backups=[]), "$", "'backups' was unexpected"),
    (lambda s: s.update(identity=[]), "$.identity", "is not of type 'object'"),
    (lambda s: s["volumes"][1].update(volume_type="gold"), "$.volumes[1].volume_type",
     "unknown volume type 'gold'"),
    (lambda s: s["volumes"].append(dict(s["volumes"][0])), "$.volumes[3].id",
     "duplicate volume id"),
    (lambda s: s["volume_types"].append({**s["volume_types"][0],
                                         "id": "5f3c7e0a-9a57-4b52-8f0b-6c0b3f0f2a99"}),
     "$.volume_types[3].name", "duplicate volume type name '__DEFAULT__'"),
    (lambda s: s["attachments"].append({"id": "5f3c7e0a-9a57-4b52-8f0b-6c0b3f0f2a99",
                                        "volume_id": "5f3c7e0a-9a57-4b52-8f0b-6c0b3f0f2a98"}),
     "$.attachments[0].volume_id", "unknown volume 5f3c7e0a-9a57-4b52-8f0b-6c0b3f0f2a98"),
    (lambda s: s["attachments"].append({"id": "5f3c7e0a-9a57-4b52-8f0b-6c0b3f0f2a99",
                                        "volume_id": s["volumes"][0]["id"],
                                        "project_id": "other"}),
     "$.attachments[0].project_id", "'other' is not the project of volume"),
    (lambda s: s["attachments"].append({"id": "5f3c7e0a-9a57-4b52-8f0b-6c0b3f0f2a99",
                                        "volume_id": s["volumes"][0]["id"],
                                        "attach_status": "glued"}),
     "$.attachments[0].attach_status", "'glued' is not one of"),
])
def test_bad_files_name_the_file_the_path_and_the_problem(tmp_path: Path, change, where: str,
                                                          problem: str) -> None:
    state = _default()
    change(state)
    path = _bad(tmp_path, state)
    with pytest.raises(StateError) as raised:
        FakeCinder(path)
    assert str(raised.value).startswith(f"{path}: {where}: ")
    assert problem in raised.value.problem
    assert raised.value.path == where and raised.value.source == str(path)


def test_not_json_and_missing_files(tmp_path: Path) -> None:
    path = _bad(tmp_path, None, text='{\n  "volumes": [,]\n}')
    with pytest.raises(StateError, match=rf"^{path}: line 2 column 15: not valid JSON"):
        FakeCinder(path)
    with pytest.raises(StateError, match="nowhere.json: \\$: no such file, nor a fixture "
                       "shipped with fake-cinder \\(those are default.json, error-states.json"):
        FakeCinder(tmp_path / "nowhere.json")


def test_shipped_fixtures_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside a checkout, a shipped fixture is found by its name, as the marker finds it."""
    monkeypatch.chdir(tmp_path)
    fake = FakeCinder("multiattach.json")
    assert fake.dump() == FakeCinder(fixture_path("multiattach.json")).dump()
    fake.load("default.json")
    assert [v["name"] for v in fake.volumes()] == [
        v["name"] for v in FakeCinder(fixture_path("default.json")).volumes()]
    fake.load("error-states.json")
    assert fake.volumes(status="error_deleting")
    fake.reset()  # back to the constructor's fixture
    assert fake.dump() == FakeCinder(fixture_path("multiattach.json")).dump()
    # A file of that name in the working directory comes first.
    (tmp_path / "default.json").write_text(json.dumps({"volumes": []}))
    assert FakeCinder("default.json").volumes() == []
    with pytest.raises(StateError, match=r"^nope.json: \$: no such file"):
        fake.load("nope.json")
    with pytest.raises(StateError, match=r"^sub/default.json: \$: no such file"):
        fake.load("sub/default.json")  # a path, not a name: not looked up


def test_a_bad_load_changes_nothing(tmp_path: Path) -> None:
    fake = FakeCinder(fixture_path("multiattach.json"))
    before = fake.dump()
    state = _default()
    state["attachments"] = [{"id": "5f3c7e0a-9a57-4b52-8f0b-6c0b3f0f2a99",
                             "volume_id": "5f3c7e0a-9a57-4b52-8f0b-6c0b3f0f2a98"}]
    with pytest.raises(StateError, match=r"^state: \$.attachments\[0\].volume_id"):
        fake.load(state)
    with pytest.raises(StateError, match=r"^mine: "):
        fake.load(state, name="mine")
    assert fake.dump() == before


@pytest.mark.parametrize("collector_on", [True, False])
def test_loads_leave_the_cyclic_collector_as_they_found_it(tmp_path: Path,
                                                           collector_on: bool) -> None:
    """Loading pauses the collector (millions of objects, no cycles); afterwards, and
    after a load that fails, it is on again only if it was."""
    bad = _default()
    bad["attachments"] = [{"id": "5f3c7e0a-9a57-4b52-8f0b-6c0b3f0f2a99",
                           "volume_id": "5f3c7e0a-9a57-4b52-8f0b-6c0b3f0f2a98"}]
    good_file, bad_file, broken_file = (tmp_path / "good.json", tmp_path / "bad.json",
                                        tmp_path / "broken.json")
    good_file.write_text(json.dumps(_default()))
    bad_file.write_text(json.dumps(bad))
    broken_file.write_text("{")
    was = gc.isenabled()
    (gc.enable if collector_on else gc.disable)()
    try:
        fake = FakeCinder(good_file)
        assert gc.isenabled() is collector_on
        for source in (bad, bad_file, broken_file):
            with pytest.raises(StateError):
                fake.load(source)
            assert gc.isenabled() is collector_on
        fake.load({"volumes": []}, replace=False)
        assert gc.isenabled() is collector_on
    finally:
        (gc.enable if was else gc.disable)()


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = _default()
    path.write_text(json.dumps(state))
    assert len(FakeCinder(path).volumes()) == 3
    state["volumes"].pop()
    path.write_text(json.dumps(state) + "\n")
    assert len(FakeCinder(path).volumes()) == 2


def test_load_without_replace_adds() -> None:
    fake = FakeCinder(fixture_path("default.json"))
    fake.load({"volumes": [{"id": "7b1e2f6a-0000-4000-8000-000000000001",
                            "project_id": "other", "volume_type": "ceph"}]}, replace=False)
    assert len(fake.volumes()) == 4
    assert fake.volumes(project_id="other")[0]["volume_type_id"] == (
        "c2b7d1ef-4e6f-4a8b-8d2c-3f5e7a9b1c03")
    with pytest.raises(StateError, match="duplicate volume id"):
        fake.load({"volumes": [{"id": "7b1e2f6a-0000-4000-8000-000000000001",
                                "project_id": "other"}]}, replace=False)


def test_reset_goes_back_to_the_constructor_fixtures() -> None:
    fake = FakeCinder(fixture_path("default.json"), seed=5)
    baseline = fake.dump()
    api = AttachCalls(fake)
    first_id = api.create("0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11").json["attachment"]["id"]
    fake.inject("attachment_show", status=500)
    fake.load(fixture_path("large.json"))
    fake.reset()
    assert fake.dump() == baseline
    assert fake.faults.list() == [] and len(fake.journal) == 0
    # The clock starts over too: a seeded fake repeats its ids after a reset.
    assert api.create("0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11").json["attachment"][
        "id"] == first_id
    empty = FakeCinder()
    empty.add_volume()
    empty.reset()
    assert empty.dump() == {"volume_types": [], "volumes": [], "attachments": []}


def test_reset_of_one_project() -> None:
    fake = FakeCinder(fixture_path("large.json"))
    baseline = fake.dump()
    api = AttachCalls(fake, {**NOVA, "X-Auth-Token": "nova:project-3"})
    other = AttachCalls(fake, {**NOVA, "X-Auth-Token": "nova:project-4"})
    project_3 = [v for v in fake.volumes(project_id="project-3", status="available")]
    project_4 = [v for v in fake.volumes(project_id="project-4", status="available")]
    api.client.post("/v3/project-3/attachments", headers=api.headers,
                    json={"attachment": {"volume_uuid": project_3[0]["id"]}})
    api.client.delete(f"/v3/project-3/volumes/{project_3[1]['id']}", headers=api.headers)
    fake.add_volume(project_id="project-3", name="new")
    other.client.post("/v3/project-4/attachments", headers=other.headers,
                      json={"attachment": {"volume_uuid": project_4[0]["id"]}})
    fake.add_volume_type("private-3", is_public=False, project_id="project-3")
    changed_4 = fake.attachments(project_id="project-4")
    fake.reset(project_id="project-3")
    assert fake.attachments(project_id="project-4") == changed_4
    for project in ("project-3", "project-0"):
        assert _sorted(fake.volumes(project_id=project)) == _sorted(
            [v for v in baseline["volumes"] if v["project_id"] == project])
        assert fake.attachments(project_id=project) == [
            a for a in baseline["attachments"] if a["project_id"] == project]
    assert "private-3" not in [t["name"] for t in fake.dump()["volume_types"]]
    fake.reset(project_id="nobody")  # nothing to do
    # The API sees the restored records (indexes rebuilt).
    listed = api.client.get("/v3/project-3/attachments?limit=1000", headers=api.headers)
    assert len(listed.json["attachments"]) == len(
        [a for a in baseline["attachments"] if a["project_id"] == "project-3"])


def _sorted(volumes: list[dict]) -> list[dict]:
    return sorted(volumes, key=lambda v: v["id"])


def test_reset_is_atomic_for_concurrent_readers() -> None:
    fake = FakeCinder(fixture_path("multiattach.json"))
    expected = len(fake.attachments())
    seen: list[int] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            with fake.store.lock:
                seen.append(len(fake.store.attachments))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(50):
            fake.reset(project_id="demo")
            fake.reset()
    finally:
        stop.set()
        reader.join()
    assert set(seen) == {expected}


def test_seeded_fakes_repeat_ids_and_timestamps() -> None:
    def run() -> dict:
        fake = FakeCinder(seed=9)
        fake.add_volume_type("t")
        volume = fake.add_volume(project_id="demo", volume_type="t")
        AttachCalls(fake).attach(volume["id"])
        return fake.dump()

    first = run()
    assert first == run()
    assert first["attachments"][0]["created_at"].startswith("2024-01-01T00:00:00.")


def test_add_volume_type_and_volume() -> None:
    fake = FakeCinder()
    shared = fake.add_volume_type("shared", multiattach=True, protocol="ceph",
                                  extra_specs={"cacheable": "<is> True"})
    assert shared["extra_specs"] == {"cacheable": "<is> True", "multiattach": "<is> True",
                                     "storage_protocol": "ceph"}
    private = fake.add_volume_type("mine", is_public=False, project_id="demo")
    assert private["project_id"] == "demo"
    with pytest.raises(ValueError, match="private volume type needs a project_id"):
        fake.add_volume_type("orphan", is_public=False)
    volume = fake.add_volume(project_id="demo", volume_type="shared", size=3, name="v",
                             status="error", metadata={"k": "v"}, bootable=True,
                             id="7b1e2f6a-0000-4000-8000-000000000001")
    assert (volume["multiattach"], volume["status"], volume["volume_type_id"]) == (
        True, "error", shared["id"])
    assert fake.add_volume(project_id="demo", volume_type="mine")["volume_type_id"] == (
        private["id"])
    with pytest.raises(ValueError, match="unknown volume status"):
        fake.add_volume(status="sleepy")
    # A default type is created on first need, as Cinder always has one.
    assert fake.add_volume()["volume_type_id"] == fake.dump()["volume_types"][-1]["id"]
    # Volumes added from Python are seen by the API.
    shown = fake.app.test_client().get(f"{BASE}/volumes/{volume['id']}", headers=NOVA)
    assert shown.json["volume"]["status"] == "error"


def test_inspection_returns_copies() -> None:
    fake = FakeCinder(fixture_path("multiattach.json"))
    shared = fake.volumes(name="shared-data")[0]
    attachments = fake.attachments(volume_id=shared["id"])
    assert [a["attach_status"] for a in attachments] == ["attached", "attached", "attaching"]
    assert fake.attachments(volume_id=shared["id"], status="attaching") == attachments[2:]
    instance = attachments[0]["instance_uuid"]
    assert {a["volume_id"] for a in fake.attachments(instance_id=instance)} == {
        shared["id"], fake.volumes(name="boot-disk")[0]["id"]}
    assert fake.attachments(project_id="other") == []
    attachments[0]["connection_info"]["target_lun"] = 99
    shared["status"] = "gone"
    assert fake.attachments(volume_id=shared["id"])[0]["connection_info"]["target_lun"] != 99
    assert fake.volume(shared["id"])["status"] == "attaching"  # the third is attaching


@pytest.mark.parametrize("kind", ["volume", "attachment"])
def test_inspecting_a_missing_record_names_the_kind_and_the_id(kind: str) -> None:
    fake = FakeCinder(fixture_path("multiattach.json"))
    with pytest.raises(RecordNotFound) as raised:
        getattr(fake, kind)("nope")
    assert str(raised.value) == f"the fake has no {kind} 'nope'"
    assert (raised.value.kind, raised.value.id) == (kind, "nope")
    assert isinstance(raised.value, KeyError)  # what these lookups raised before
    assert fake_cinder.RecordNotFound is RecordNotFound and "RecordNotFound" in fake_cinder.__all__


def test_read_file_caches_parsed_state() -> None:
    first = state_files.read_file(fixture_path("default.json"))
    assert state_files.read_file(fixture_path("default.json")) is first
