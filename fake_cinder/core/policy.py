"""Cinder 29's default policies: one table of policy names, one ``authorize()``.

Every 403 the fake sends comes from here: a handler (or a core rule that needs the
record first) names the Cinder policy it enforces, and ``authorize`` raises Cinder's
``Policy doesn't allow <name> to be performed.`` when the caller's roles do not pass.

Roles follow Keystone's default implications (admin ⇒ member ⇒ reader), which
keystonemiddleware puts in ``X-Roles``; the fake's own noauth tokens imply them too.
"""

from __future__ import annotations

from enum import Enum

from .context import Caller
from .errors import PolicyNotAuthorized


class Rule(Enum):
    """Cinder's base check strings (cinder/policies/base.py), as personas."""

    ANY = "@"                    # no check
    READER = "project_reader_or_admin"    # reader (or member) of the target project, or admin
    MEMBER = "project_member_or_admin"    # member of the target project, or admin
    ADMIN = "admin_api"                   # admin only
    ADMIN_OR_SERVICE = "admin_or_service"  # admin, or a service token (Nova's calls)
    SERVICE_OR_ADMIN = "service_or_admin"  # Nova's: the service role (or admin) on the token


# Policy name -> rule. New routes add their rows here, never a message of their own.
POLICIES: dict[str, Rule] = {
    # volumes
    "volume:create": Rule.MEMBER,
    "volume:get": Rule.READER,
    "volume:get_all": Rule.READER,
    "volume:update": Rule.MEMBER,
    "volume:delete": Rule.MEMBER,
    "volume:force_delete": Rule.ADMIN,
    "volume:extend": Rule.MEMBER,
    "volume:extend_attached_volume": Rule.MEMBER,
    "volume:reimage": Rule.MEMBER,
    "volume:reimage_reserved": Rule.ADMIN_OR_SERVICE,
    "volume:update_readonly_flag": Rule.MEMBER,
    "volume_extension:volume_admin_actions:reset_status": Rule.ADMIN,
    "volume_extension:volume_admin_actions:force_detach": Rule.ADMIN,
    "volume_extension:volume_admin_actions:migrate_volume_completion": Rule.ADMIN,
    "volume_extension:volume_actions:reserve": Rule.MEMBER,
    "volume_extension:volume_actions:unreserve": Rule.MEMBER,
    "volume_extension:volume_actions:attach": Rule.MEMBER,
    "volume_extension:volume_actions:detach": Rule.MEMBER,
    "volume_extension:volume_actions:begin_detaching": Rule.MEMBER,
    "volume_extension:volume_actions:roll_detaching": Rule.MEMBER,
    "volume_extension:volume_actions:initialize_connection": Rule.MEMBER,
    "volume_extension:volume_actions:terminate_connection": Rule.MEMBER,
    # attachments
    "volume:attachment_create": Rule.MEMBER,
    "volume:attachment_update": Rule.MEMBER,
    "volume:attachment_delete": Rule.MEMBER,
    "volume:attachment_complete": Rule.MEMBER,
    # volume types
    "volume_extension:types_manage": Rule.ADMIN,
    "volume_extension:type_create": Rule.ADMIN,
    "volume_extension:type_update": Rule.ADMIN,
    "volume_extension:type_delete": Rule.ADMIN,
    "volume_extension:type_get": Rule.ANY,
    "volume_extension:type_get_all": Rule.ANY,
    # snapshots
    "volume:create_snapshot": Rule.MEMBER,
    "volume:get_snapshot": Rule.READER,
    "volume:get_all_snapshots": Rule.READER,
    "volume:update_snapshot": Rule.MEMBER,
    "volume:delete_snapshot": Rule.MEMBER,
    "snapshot_extension:snapshot_actions:update_snapshot_status": Rule.MEMBER,
    "volume_extension:snapshot_admin_actions:reset_status": Rule.ADMIN,
    "volume_extension:snapshot_admin_actions:force_delete": Rule.ADMIN,
    # quotas
    "volume_extension:quotas:show": Rule.READER,
    "volume_extension:quotas:update": Rule.ADMIN,
    "volume_extension:quotas:delete": Rule.ADMIN,
    # encryption
    "volume_extension:volume_type_encryption:create": Rule.ADMIN,
    "volume_extension:volume_type_encryption:get": Rule.ADMIN,
    "volume_extension:volume_type_encryption:update": Rule.ADMIN,
    "volume_extension:volume_type_encryption:delete": Rule.ADMIN,
    "volume_extension:volume_encryption_metadata": Rule.READER,
    # issue 20, types: type management, extra specs, type access, QoS specs, quota
    # classes and retype
    "volume_extension:access_types_qos_specs_id": Rule.ADMIN,
    "volume_extension:access_types_extra_specs": Rule.READER,
    "volume_extension:types_extra_specs:index": Rule.READER,
    "volume_extension:types_extra_specs:show": Rule.READER,
    "volume_extension:types_extra_specs:create": Rule.ADMIN,
    "volume_extension:types_extra_specs:update": Rule.ADMIN,
    "volume_extension:types_extra_specs:delete": Rule.ADMIN,
    "volume_extension:types_extra_specs:read_sensitive": Rule.ADMIN,
    "volume_extension:volume_type_access": Rule.MEMBER,
    "volume_extension:volume_type_access:addProjectAccess": Rule.ADMIN,
    "volume_extension:volume_type_access:removeProjectAccess": Rule.ADMIN,
    "volume_extension:volume_type_access:get_all_for_type": Rule.ADMIN,
    "volume_extension:qos_specs_manage:create": Rule.ADMIN,
    "volume_extension:qos_specs_manage:get": Rule.ADMIN,
    "volume_extension:qos_specs_manage:get_all": Rule.ADMIN,
    "volume_extension:qos_specs_manage:update": Rule.ADMIN,
    "volume_extension:qos_specs_manage:delete": Rule.ADMIN,
    "volume_extension:quota_classes:get": Rule.ADMIN,
    "volume_extension:quota_classes:update": Rule.ADMIN,
    "volume:retype": Rule.MEMBER,
    "volume:multiattach": Rule.MEMBER,
    # Keystone's admin API (issue 21): the fake's Keystone serves it to admins only; the
    # 403 is Keystone's (core/identity_admin.py), not Cinder's.
    "identity:list_domains": Rule.ADMIN,
    "identity:get_domain": Rule.ADMIN,
    "identity:create_project": Rule.ADMIN,
    "identity:update_project": Rule.ADMIN,
    "identity:delete_project": Rule.ADMIN,
    "identity:list_users": Rule.ADMIN,
    "identity:get_user": Rule.ADMIN,
    "identity:create_user": Rule.ADMIN,
    "identity:update_user": Rule.ADMIN,
    "identity:delete_user": Rule.ADMIN,
    "identity:list_user_projects": Rule.ADMIN,
    "identity:list_roles": Rule.ADMIN,
    "identity:get_role": Rule.ADMIN,
    "identity:create_role": Rule.ADMIN,
    "identity:create_grant": Rule.ADMIN,
    "identity:check_grant": Rule.ADMIN,
    "identity:revoke_grant": Rule.ADMIN,
    "identity:list_grants": Rule.ADMIN,
    "identity:list_role_assignments": Rule.ADMIN,
    # Nova's volume attachments (issue 21), nova/policies/volumes_attachments.py; Nova's
    # 403 body is Cinder's.
    "os_compute_api:os-volumes-attachments:index": Rule.READER,
    "os_compute_api:os-volumes-attachments:show": Rule.READER,
    "os_compute_api:os-volumes-attachments:create": Rule.MEMBER,
    "os_compute_api:os-volumes-attachments:update": Rule.MEMBER,
    "os_compute_api:os-volumes-attachments:swap": Rule.SERVICE_OR_ADMIN,
    "os_compute_api:os-volumes-attachments:delete": Rule.MEMBER,
    # volume and snapshot metadata, volume transfers, user messages (issue 19: volfeat)
    "volume:get_volume_metadata": Rule.READER,
    "volume:create_volume_metadata": Rule.MEMBER,
    "volume:update_volume_metadata": Rule.MEMBER,
    "volume:delete_volume_metadata": Rule.MEMBER,
    "volume:get_snapshot_metadata": Rule.READER,
    "volume:update_snapshot_metadata": Rule.MEMBER,
    "volume:delete_snapshot_metadata": Rule.MEMBER,
    "volume:create_transfer": Rule.MEMBER,
    "volume:get_transfer": Rule.READER,
    "volume:get_all_transfers": Rule.READER,
    "volume:accept_transfer": Rule.MEMBER,
    "volume:delete_transfer": Rule.MEMBER,
    "message:get": Rule.READER,
    "message:get_all": Rule.READER,
    "message:delete": Rule.MEMBER,
    # images (issue 21: uploads, image metadata, the volume metadata checks under them)
    "volume:create_from_image": Rule.MEMBER,
    "volume_extension:volume_actions:upload_image": Rule.MEMBER,
    "volume_extension:volume_actions:upload_public": Rule.ADMIN,
    "volume_extension:volume_image_metadata:show": Rule.READER,
    "volume_extension:volume_image_metadata:set": Rule.MEMBER,
    "volume_extension:volume_image_metadata:remove": Rule.MEMBER,
}


def passes(caller: Caller, rule: Rule, project_id: str | None = None) -> bool:
    """Whether ``caller`` passes ``rule`` on a record of ``project_id`` (None: the
    caller's own project, as Cinder's default target)."""
    if rule is Rule.ANY:
        return True
    if caller.is_admin:
        return True
    if rule is Rule.ADMIN:
        return False
    if rule is Rule.ADMIN_OR_SERVICE:
        return caller.is_service
    if rule is Rule.SERVICE_OR_ADMIN:
        return "service" in caller.roles
    if project_id is not None and project_id != caller.project_id:
        return False
    if rule is Rule.MEMBER:
        return "member" in caller.roles
    return bool({"member", "reader"} & caller.roles)


def authorize(caller: Caller, policy: str, project_id: str | None = None) -> None:
    """Raise Cinder's 403 for ``policy`` unless the caller passes its rule."""
    if not passes(caller, POLICIES[policy], project_id):
        raise PolicyNotAuthorized(policy)
