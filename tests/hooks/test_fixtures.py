"""The shipped fixture files: current, small enough, and what they promise."""

from __future__ import annotations

import pytest

from fake_cinder import FakeCinder
from fake_cinder.resources import fixture_path

from . import fixture_builder
from .readme import ROOT


@pytest.mark.parametrize("name", sorted(fixture_builder.BUILDERS))
def test_example_fixtures_are_what_the_builder_makes(name: str) -> None:
    committed = fixture_path(name).read_text(encoding="utf-8")
    assert committed == fixture_builder.build(name), (
        f"fixtures/{name} is stale: run python tests/hooks/fixture_builder.py {name}")


def test_large_is_large_but_under_a_megabyte() -> None:
    assert fixture_path("large.json").stat().st_size < 1_000_000
    fake = FakeCinder(fixture_path("large.json"))
    assert len(fake.volumes()) == 480 and len(fake.attachments()) == 520
    assert {v["project_id"] for v in fake.volumes()} == {f"project-{n}" for n in range(8)}
    statuses = {a["attach_status"] for a in fake.attachments()}
    assert statuses == {"reserved", "attached"}


def test_multiattach_state() -> None:
    fake = FakeCinder(fixture_path("multiattach.json"))
    [shared] = fake.volumes(name="shared-data")
    assert shared["multiattach"] and shared["status"] == "attaching"
    instances = {a["instance_uuid"] for a in fake.attachments(volume_id=shared["id"])}
    assert len(instances) == 3


def test_error_states() -> None:
    fake = FakeCinder(fixture_path("error-states.json"))
    assert {v["status"] for v in fake.volumes()} >= {
        "error", "error_deleting", "error_extending", "error_restoring"}
    assert sorted(a["attach_status"] for a in fake.attachments()) == [
        "error_attaching", "error_detaching", "reserved"]


def test_default_fixture_is_what_make_run_serves() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "FIXTURES ?= fixtures/default.json" in makefile
    fake = FakeCinder(fixture_path("default.json"))
    assert [v["name"] for v in fake.volumes()] == ["demo-volume", "demo-shared", "demo-ceph"]
