"""Nova's waits on Cinder's asynchronous work, with the fake's volume manager taking its
time (fake_cinder/core/transitions.py): the wait for a created volume through polls, and
an extend that fails in the background. Transitions are the fake's: these tests are
skipped against a real Cinder."""

from __future__ import annotations

import pytest

from .conftest import Nova


@pytest.fixture
def fake(nova: Nova) -> object:
    if nova.target.fake is None:
        pytest.skip("transitions are the fake's")
    return nova.target.fake


@pytest.mark.covers("create")
def test_nova_waits_for_a_created_volume_through_polls(nova: Nova, fake: object) -> None:
    fake.set_transition("volume_create", polls=3)
    created = nova.api.create(nova.ctx, 1, "polled", "a boot volume")
    nova.created.append(created["id"])
    assert created["status"] == "creating"
    assert nova.wait_volume(created["id"], "available")["status"] == "available"
    # Nova's get read it three times creating, and once available.
    shows = fake.journal.entries("volume_show", path=f"/v3/demo/volumes/{created['id']}")
    assert [entry.response["volume"]["status"] for entry in shows] == (
        ["creating"] * 3 + ["available"])


@pytest.mark.covers("get")
def test_an_extend_that_fails_in_the_background(nova: Nova, fake: object) -> None:
    volume = nova.create_volume(1)
    fake.set_transition("volume_extend", polls=1)
    fake.inject("volume_extend", async_failure=True)
    nova.operator.volumes.extend(volume["id"], 2)  # accepted: 202
    assert nova.api.get(nova.ctx, volume["id"])["status"] == "extending"
    with pytest.raises(AssertionError, match="went error_extending"):
        nova.wait_volume(volume["id"], "available")
    assert nova.api.get(nova.ctx, volume["id"])["size"] == 1
