"""Nova's own resilience against the fake's injected faults: the retries Nova puts on
attachment_update, attachment_delete, detach and terminate_connection (5 tries on a
500), and CinderConnectionFailed when Cinder drops the connection. Fault injection is
the fake's: these tests are skipped against a real Cinder."""

from __future__ import annotations

import uuid

import pytest
from nova import exception

from .conftest import Nova
from .nova_setup import CONNECTOR
from .test_attach import attach


@pytest.fixture
def fake(nova: Nova) -> object:
    if nova.target.fake is None:
        pytest.skip("fault injection is the fake's")
    return nova.target.fake


@pytest.mark.covers("attachment_update", "attachment_delete")
def test_nova_retries_attachment_calls_on_500(nova: Nova, fake: object) -> None:
    volume = nova.create_volume(1)
    reserved = nova.api.attachment_create(nova.ctx, volume["id"], str(uuid.uuid4()))
    with fake.inject("attachment_update", status=500, times=4) as fault:
        nova.api.attachment_update(nova.compute_ctx, reserved["id"], CONNECTOR, "/dev/vdb")
    assert fault.fired == 4
    with fake.inject("attachment_delete", status=500, times=5) as fault, \
            pytest.raises(Exception, match="500"):
        nova.api.attachment_delete(nova.compute_ctx, reserved["id"])  # five tries: gives up
    assert fault.fired == 5
    with fake.inject("attachment_delete", status=504, times=1) as fault:
        nova.api.attachment_delete(nova.compute_ctx, reserved["id"])
    assert fault.fired == 1
    assert nova.api.attachment_get_all(nova.ctx, volume_id=volume["id"]) == []


@pytest.mark.covers("reserve_volume", "initialize_connection", "attach",
                    "terminate_connection", "detach", "get")
def test_nova_retries_legacy_detach_on_500(nova: Nova, fake: object) -> None:
    volume = nova.create_volume(1)
    instance = str(uuid.uuid4())
    nova.api.reserve_volume(nova.ctx, volume["id"])
    nova.api.initialize_connection(nova.compute_ctx, volume["id"], CONNECTOR)
    nova.api.attach(nova.compute_ctx, volume["id"], instance, "/dev/vdb")
    with fake.inject("volume_terminate_connection", status=500, times=2) as terminate, \
            fake.inject("volume_detach", status=500, times=3) as detach:
        nova.api.terminate_connection(nova.compute_ctx, volume["id"], CONNECTOR)
        nova.api.detach(nova.compute_ctx, volume["id"], instance)
    assert (terminate.fired, detach.fired) == (2, 3)
    assert nova.api.get(nova.ctx, volume["id"])["status"] == "available"


@pytest.mark.covers("attachment_get")
def test_nova_retries_a_dropped_connection(nova: Nova, fake: object) -> None:
    """[cinder] http_retries (3 by default) are keystoneauth's connect retries."""
    volume = nova.create_volume(1)
    attachment = attach(nova, volume["id"], str(uuid.uuid4()))
    with fake.inject("attachment_show", drop_connection=True, times=2) as fault:
        shown = nova.api.attachment_get(nova.ctx, attachment)
    assert fault.fired == 2 and shown["id"] == attachment


@pytest.mark.nova_config(http_retries=0)
@pytest.mark.covers("attachment_get", "attachment_complete")
def test_a_dropped_connection_is_cinder_connection_failed(nova: Nova, fake: object) -> None:
    volume = nova.create_volume(1)
    attachment = attach(nova, volume["id"], str(uuid.uuid4()))
    with fake.inject("attachment_show", drop_connection=True), \
            pytest.raises(exception.CinderConnectionFailed):
        nova.api.attachment_get(nova.ctx, attachment)
    with fake.inject("attachment_complete", drop_connection=True), \
            pytest.raises(exception.CinderConnectionFailed):
        nova.api.attachment_complete(nova.compute_ctx, attachment)
    assert nova.api.attachment_get(nova.ctx, attachment)["connection_info"]["status"] == \
        "attached"
