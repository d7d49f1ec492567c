"""The store's indexes and usage counters (issue 24) always agree with a full scan.

A hypothesis state machine creates, extends, retypes, snapshots, transfers, migrates and
deletes volumes of two projects through the API (and resets a project, reloads the
state); the volume manager's work may stay pending (manual transitions) and finish
later, by ``advance``. After every step ``Store.check_indexes`` compares every index and
counter with a scan of the records, and the volume list read from the sorted index (pages
after markers, offsets, all tenants) equals the same list sorted the old way, by
``sorted_after``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from fake_cinder import FakeCinder
from fake_cinder.core.listing import ListQuery, sorted_after
from fake_cinder.core.volumes import SORT_COLUMNS
from fake_cinder.resources import fixture_path

PROJECTS = ("alpha", "beta")
TYPES = ("__DEFAULT__", "ceph", "multiattach")
VERSION = "volume 3.55"


def _headers(project: str) -> dict[str, str]:
    return {"X-Project-Id": project, "X-User-Id": f"admin-{project}", "X-Roles": "admin",
            "OpenStack-API-Version": VERSION}


class IndexMachine(RuleBasedStateMachine):
    volumes = Bundle("volumes")
    snapshots = Bundle("snapshots")

    def __init__(self) -> None:
        super().__init__()
        self.fake = FakeCinder(fixture_path("default.json"), seed=11)
        self.fake.set_quotas(volumes=-1, snapshots=-1, gigabytes=-1)
        self.client = self.fake.app.test_client()

    def _send(self, method: str, project: str, path: str, body: Any = None) -> Any:
        response = self.client.open(f"/v3/{project}/{path}", method=method, json=body,
                                    headers=_headers(project))
        assert response.status_code < 500, response.get_data(as_text=True)
        return response

    def _project_of(self, volume_id: str) -> str | None:
        volume = self.fake.store.volumes.get(volume_id)
        return volume.project_id if volume is not None else None

    @rule(target=volumes, project=st.sampled_from(PROJECTS), size=st.integers(1, 5),
          volume_type=st.sampled_from(TYPES))
    def create_volume(self, project: str, size: int, volume_type: str) -> Any:
        response = self._send("POST", project, "volumes",
                              {"volume": {"size": size, "volume_type": volume_type}})
        return response.get_json()["volume"]["id"] if response.status_code == 202 else ""

    @rule(volume_id=volumes, grow=st.integers(1, 3))
    def extend(self, volume_id: str, grow: int) -> None:
        project = self._project_of(volume_id)
        if project is not None:
            size = self.fake.store.volumes[volume_id].size
            self._send("POST", project, f"volumes/{volume_id}/action",
                       {"os-extend": {"new_size": size + grow}})

    @rule(target=snapshots, volume_id=volumes)
    def snapshot(self, volume_id: str) -> Any:
        project = self._project_of(volume_id)
        if project is None:
            return ""
        response = self._send("POST", project, "snapshots",
                              {"snapshot": {"volume_id": volume_id, "force": True}})
        return response.get_json()["snapshot"]["id"] if response.status_code == 202 else ""

    @rule(snapshot_id=consumes(snapshots))
    def delete_snapshot(self, snapshot_id: str) -> None:
        snapshot = self.fake.store.snapshots.get(snapshot_id)
        if snapshot is not None:
            self._send("DELETE", snapshot.project_id, f"snapshots/{snapshot_id}")

    @rule(volume_id=consumes(volumes), cascade=st.booleans())
    def delete_volume(self, volume_id: str, cascade: bool) -> None:
        project = self._project_of(volume_id)
        if project is not None:
            self._send("DELETE", project, f"volumes/{volume_id}?cascade={cascade}")

    @rule(volume_id=volumes, no_snapshots=st.booleans())
    def transfer(self, volume_id: str, no_snapshots: bool) -> None:
        project = self._project_of(volume_id)
        if project is None or self.fake.store.volumes[volume_id].status != "available":
            return
        offer = self._send("POST", project, "volume-transfers", {"transfer": {
            "volume_id": volume_id, "no_snapshots": no_snapshots}})
        if offer.status_code != 202:
            return
        transfer = offer.get_json()["transfer"]
        receiver = next(p for p in PROJECTS if p != project)
        self._send("POST", receiver, f"volume-transfers/{transfer['id']}/accept",
                   {"accept": {"auth_key": transfer["auth_key"]}})

    @rule(volume_id=volumes, size=st.integers(1, 5), volume_type=st.sampled_from(TYPES),
          error=st.booleans())
    def migrate(self, volume_id: str, size: int, volume_type: str, error: bool) -> None:
        """A finished migration swaps the two volumes' fields (created_at, size, type)."""
        project = self._project_of(volume_id)
        if project is None or self.fake.store.transitions.pending_operation("volume", volume_id):
            return
        target = self.create_volume(project, size, volume_type)
        if not target:
            return
        self.fake.advance(volume_id=target)  # a migration's target is created first
        # What os-migrate_volume would leave (the fake serves only its completion).
        with self.fake.store.lock:
            self.fake.store.volumes[volume_id].migration_status = "migrating"
            self.fake.store.volumes[target].migration_status = f"target:{volume_id}"
        completion = self._send("POST", project, f"volumes/{volume_id}/action", {
            "os-migrate_volume_completion": {"new_volume": target, "error": error}})
        assert completion.status_code == 200, completion.get_data(as_text=True)

    @rule(volume_id=volumes, volume_type=st.sampled_from(TYPES))
    def retype(self, volume_id: str, volume_type: str) -> None:
        project = self._project_of(volume_id)
        if project is not None:
            self._send("POST", project, f"volumes/{volume_id}/action", {
                "os-retype": {"new_type": volume_type, "migration_policy": "on-demand"}})

    @rule(manual=st.booleans())
    def set_progression(self, manual: bool) -> None:
        """From now on the manager's work ends at once, or when advanced (not when polled:
        the invariant's own list reads would finish work while it pages)."""
        self.fake.set_transition("*", manual=manual, immediate=not manual)

    @rule(volume_id=st.none() | volumes)
    def advance(self, volume_id: str | None) -> None:
        """Pending work finishes: an extend's size, a retype's type, a delete's removal
        (a cascade's snapshots too) reach the store after the API answered."""
        if volume_id is None:
            self.fake.advance()
        elif volume_id:
            self.fake.advance(volume_id=volume_id)

    @rule(project=st.sampled_from(PROJECTS))
    def reset_project(self, project: str) -> None:
        self.fake.reset(project)

    @rule(same_time=st.booleans())
    def reload(self, same_time: bool) -> None:
        state = self.fake.dump()
        if same_time:
            # Every volume created in the same instant: their ids order them, and the
            # load inserts them out of order.
            for volume in state["volumes"]:
                volume["created_at"] = "2020-01-01T00:00:00.000000"
        self.fake.load(state)

    @invariant()
    def indexes_agree_with_a_scan(self) -> None:
        assert self.fake.store.check_indexes() == []

    @invariant()
    def pages_agree_with_a_full_sort(self) -> None:
        store = self.fake.store
        for project, all_tenants, direction in (
                (PROJECTS[0], False, "desc"), (PROJECTS[1], False, "asc"),
                (PROJECTS[0], True, "desc"), (PROJECTS[1], True, "asc")):
            everyone = [v for v in store.volumes.values()
                        if all_tenants or v.project_id == project]
            order = ListQuery(sort_dirs=[direction, direction])
            expected = [v.id for v in sorted_after(everyone, order, SORT_COLUMNS)]
            query = f"sort=created_at:{direction},id:{direction}&limit=2" + (
                "&all_tenants=1" if all_tenants else "")
            seen: list[str] = []
            marker = ""
            while True:
                page = self._send("GET", project, f"volumes?{query}{marker}").get_json()
                seen.extend(v["id"] for v in page["volumes"])
                if not page.get("volumes_links"):
                    break
                marker = f"&marker={page['volumes'][-1]['id']}"
            assert seen == expected
            offset = self._send("GET", project, f"volumes?{query}&offset=1").get_json()
            assert [v["id"] for v in offset["volumes"]] == expected[1:3]
            count = self._send("GET", project, f"volumes?{query}&with_count=true").get_json()
            assert count["count"] == len(expected)


IndexMachine.TestCase.settings = settings(
    max_examples=50, stateful_step_count=20, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestIndexes = IndexMachine.TestCase
