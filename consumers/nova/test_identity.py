"""Nova's identity, done Nova's way: a user's Keystone token through nova-api's
keystonemiddleware, nova-compute's token-less admin context that logs in with the
``[cinder]`` section, a noauth ``user:project`` token with ``endpoint_template``, and the
service token of ``[service_user] send_service_user_token``."""

from __future__ import annotations

import uuid

import pytest
from cinderclient import exceptions as cinder_exceptions

from .conftest import Nova
from .nova_setup import CONNECTOR, noauth_context, password_session
from .target import Credentials, Target


def _project_id(target: Target, credentials: Credentials) -> str:
    return password_session(target, credentials).get_project_id()


def _owner(nova: Nova, volume_id: str) -> str:
    """The volume's project, as the cloud admin sees it."""
    return getattr(nova.operator.volumes.get(volume_id), "os-vol-tenant-attr:tenant_id")


def _attach(nova: Nova, api_context: object, compute_context: object, volume_id: str) -> str:
    created = nova.api.attachment_create(api_context, volume_id, str(uuid.uuid4()))
    nova.api.attachment_update(compute_context, created["id"], CONNECTOR, "/dev/vdb")
    nova.api.attachment_complete(compute_context, created["id"])
    return created["id"]


@pytest.mark.covers("create", "get_all")
def test_user_token_through_nova_api_finds_cinder_in_the_catalog(nova: Nova) -> None:
    """keystonemiddleware validated the user's token; Nova's context finds the
    volumev3 endpoint in the token's catalog and acts in the user's project."""
    member_project = _project_id(nova.target, nova.target.member)
    assert nova.ctx.project_id == member_project
    assert nova.ctx.auth_token and nova.ctx.user_auth_plugin is not None
    created = nova.api.create(nova.ctx, 1, "by-the-user", "")
    nova.created.append(created["id"])
    assert _owner(nova, created["id"]) == member_project
    assert created["id"] in {v["id"] for v in nova.api.get_all(nova.ctx)}


@pytest.mark.covers("create", "get")
def test_admin_context_without_token_logs_in_with_the_cinder_section(nova: Nova) -> None:
    """nova-compute's periodic tasks: get_admin_context() has no token, so Nova loads
    the [cinder] auth plugin (its service user) and finds Cinder in that catalog."""
    assert nova.admin_ctx.auth_token is None
    created = nova.api.create(nova.admin_ctx, 1, "by-nova-itself", "")
    nova.created.append(created["id"])
    nova.wait_volume(created["id"], "available", context=nova.admin_ctx)
    assert nova.api.get(nova.admin_ctx, created["id"])["display_name"] == "by-nova-itself"
    assert _owner(nova, created["id"]) == _project_id(nova.target, nova.target.service)


@pytest.mark.nova_config(noauth=True, send_service_user_token=False)
@pytest.mark.covers("create", "get", "attachment_create", "attachment_update",
                    "attachment_complete", "attachment_delete")
def test_noauth_token_with_endpoint_template(nova: Nova) -> None:
    """A ``user:project`` token and ``[cinder] endpoint_template``: no catalog, and no
    service token (a noauth Cinder has no keystonemiddleware to read one)."""
    context = noauth_context("demo", "demo")
    created = nova.api.create(context, 1, "by-noauth", "")
    nova.created.append(created["id"])
    nova.wait_volume(created["id"], "available", context=context)
    assert _owner(nova, created["id"]) == "demo"
    reserved = nova.api.attachment_create(context, created["id"], str(uuid.uuid4()))
    assert nova.api.get(context, created["id"])["status"] == "reserved"
    nova.api.attachment_delete(context, reserved["id"])  # not connected: no token needed
    assert nova.api.get(context, created["id"])["status"] == "available"
    _attach(nova, context, context, created["id"])
    assert nova.api.get(context, created["id"])["status"] == "in-use"


@pytest.mark.covers("attachment_delete", "attachment_get")
def test_service_token_lets_nova_compute_delete_a_connected_attachment(nova: Nova) -> None:
    """[service_user] send_service_user_token = True: nova-compute's detach."""
    volume = nova.create_volume(1)
    attachment = _attach(nova, nova.ctx, nova.compute_ctx, volume["id"])
    nova.api.attachment_delete(nova.compute_ctx, attachment)
    with pytest.raises(Exception, match="could not be found"):
        nova.api.attachment_get(nova.ctx, attachment)
    assert nova.wait_volume(volume["id"], "available")["attach_status"] == "detached"


@pytest.mark.nova_config(send_service_user_token=False)
@pytest.mark.covers("attachment_create", "attachment_delete", "attachment_get")
def test_without_service_token_a_connected_attachment_stays(nova: Nova) -> None:
    """Cinder's fix for bug 2004555: only Nova, known by its service token, may delete
    a connected attachment; a reserved one anybody may. Without [service_user],
    nova-compute's call is refused; nova-api's still carries the service token that
    keystonemiddleware's auth plugin adds ([keystone_authtoken]'s user)."""
    volume = nova.create_volume(1)
    attachment = _attach(nova, nova.ctx, nova.compute_ctx, volume["id"])
    with pytest.raises(cinder_exceptions.ClientException,
                       match="using the Compute API") as refused:
        nova.api.attachment_delete(nova.compute_ctx, attachment)
    assert refused.value.code == 409
    assert nova.api.attachment_get(nova.ctx, attachment)["connection_info"]["status"] == \
        "attached"
    nova.api.attachment_delete(nova.ctx, attachment)
    with pytest.raises(Exception, match="could not be found"):
        nova.api.attachment_get(nova.ctx, attachment)

    other = nova.create_volume(1)
    reserved = nova.api.attachment_create(nova.ctx, other["id"], str(uuid.uuid4()))
    nova.api.attachment_delete(nova.ctx, reserved["id"])
    assert nova.wait_volume(other["id"], "available")["status"] == "available"
