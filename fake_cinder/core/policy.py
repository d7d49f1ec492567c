"""Cinder 29's default policies: one table of policy names, one ``authorize()``.

Every 403 the fake sends for a policy comes from here: a handler (or a core rule that
needs the record first, as Cinder checks it on the loaded record) names the Cinder policy
it enforces, and ``authorize`` raises Cinder's 403 naming that policy
(``errors.PolicyNotAuthorized``) when the caller does not pass its rule. ``allows`` is Cinder's
``authorize(..., fatal=False)``: the views' optional attributes ask it.

The rules are Cinder's base check strings (cinder/policies/base.py), read with its
defaults (no system scope; ``is_admin_project`` true):

- ``xena_system_admin_or_project_reader``: ``role:admin or (role:reader and
  project_id:%(project_id)s)``;
- ``xena_system_admin_or_project_member``: the same with ``role:member``;
- ``admin_api``: ``role:admin`` (``is_admin:True``, i.e. ``context_is_admin``).

The target's project is the record's (a volume, a snapshot, a quota set's project) or,
where Cinder passes no target, the caller's own. The roles a caller has are Keystone's
after its default implied roles (admin ⇒ member ⇒ reader): a token lists them all, and
the fake reads a bare ``X-Roles: member`` header as such a token (Cinder reads headers
literally: departure ``implied-roles``).
"""

from __future__ import annotations

from enum import Enum

from .context import Caller
from .errors import PolicyNotAuthorized


class Rule(Enum):
    """Cinder's base check strings, as the personas that pass them."""

    READER = "xena_system_admin_or_project_reader"  # a reader of the target's project, admin
    MEMBER = "xena_system_admin_or_project_member"  # a member of the target's project, admin
    ADMIN = "admin_api"                             # an admin (of any project)
    # Nova's service_api (nova/policies/base.py): the service role on the token, or admin.
    SERVICE_OR_ADMIN = "service_or_admin"


# Keystone's default role implications (keystone-manage bootstrap).
IMPLIED_ROLES = {"admin": frozenset({"member", "reader"}), "member": frozenset({"reader"})}

# Policy name -> rule, as cinder/policies/*.py define them in Cinder 29.0.0 (and the rows
# of the fake's Keystone and Nova, ``identity:`` and ``os_compute_api:``, theirs). New routes
# add their rows here, under a comment naming their feature, never a message of their own.
POLICIES: dict[str, Rule] = {
    # volumes (cinder/policies/volumes.py, volume_actions.py, volume_access.py)
    "volume:create": Rule.MEMBER,
    "volume:get": Rule.READER,
    "volume:get_all": Rule.READER,
    "volume:update": Rule.MEMBER,
    "volume:delete": Rule.MEMBER,
    "volume:force_delete": Rule.ADMIN,
    "volume:multiattach": Rule.MEMBER,
    "volume_extension:volume_tenant_attribute": Rule.READER,
    "volume_extension:volume_host_attribute": Rule.ADMIN,
    "volume_extension:volume_mig_status_attribute": Rule.ADMIN,
    # volume actions (cinder/policies/volume_actions.py)
    "volume:extend": Rule.MEMBER,
    "volume:extend_attached_volume": Rule.MEMBER,
    "volume:reimage": Rule.MEMBER,
    "volume:reimage_reserved": Rule.MEMBER,
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
    # attachments (cinder/policies/attachments.py; show and list have no policy)
    "volume:attachment_create": Rule.MEMBER,
    "volume:attachment_update": Rule.MEMBER,
    "volume:attachment_delete": Rule.MEMBER,
    "volume:attachment_complete": Rule.MEMBER,
    # volume types (cinder/policies/volume_type.py, type_extra_specs.py, volume_access.py)
    "volume_extension:type_create": Rule.ADMIN,
    "volume_extension:type_update": Rule.ADMIN,
    "volume_extension:type_delete": Rule.ADMIN,
    "volume_extension:type_get": Rule.READER,
    "volume_extension:type_get_all": Rule.READER,
    "volume_extension:access_types_extra_specs": Rule.READER,
    "volume_extension:access_types_qos_specs_id": Rule.ADMIN,
    "volume_extension:types_extra_specs:read_sensitive": Rule.ADMIN,
    "volume_extension:volume_type_access": Rule.MEMBER,
    # snapshots (cinder/policies/snapshots.py, snapshot_actions.py)
    "volume:create_snapshot": Rule.MEMBER,
    "volume:get_snapshot": Rule.READER,
    "volume:get_all_snapshots": Rule.READER,
    "volume:update_snapshot": Rule.MEMBER,
    "volume:delete_snapshot": Rule.MEMBER,
    "volume_extension:extended_snapshot_attributes": Rule.READER,
    "snapshot_extension:snapshot_actions:update_snapshot_status": Rule.MEMBER,
    "volume_extension:snapshot_admin_actions:reset_status": Rule.ADMIN,
    "volume_extension:snapshot_admin_actions:force_delete": Rule.ADMIN,
    # quotas and limits (cinder/policies/quotas.py, limits.py)
    "volume_extension:quotas:show": Rule.READER,
    "volume_extension:quotas:update": Rule.ADMIN,
    "volume_extension:quotas:delete": Rule.ADMIN,
    "limits_extension:used_limits": Rule.READER,
    # encryption (cinder/policies/volume_type.py, volumes.py)
    "volume_extension:volume_type_encryption:create": Rule.ADMIN,
    "volume_extension:volume_type_encryption:get": Rule.ADMIN,
    "volume_extension:volume_type_encryption:update": Rule.ADMIN,
    "volume_extension:volume_type_encryption:delete": Rule.ADMIN,
    "volume_extension:volume_encryption_metadata": Rule.READER,
    # backends: services, pools, capabilities, hosts
    "volume_extension:services:index": Rule.ADMIN,
    "volume_extension:services:update": Rule.ADMIN,
    "volume:freeze_host": Rule.ADMIN,
    "volume:thaw_host": Rule.ADMIN,
    "scheduler_extension:scheduler_stats:get_pools": Rule.ADMIN,
    "volume_extension:capabilities": Rule.ADMIN,
    "volume_extension:hosts": Rule.ADMIN,
    # issue 20, types: type management, extra specs, type access, QoS specs, quota
    # classes and retype
    "volume_extension:types_extra_specs:index": Rule.READER,
    "volume_extension:types_extra_specs:show": Rule.READER,
    "volume_extension:types_extra_specs:create": Rule.ADMIN,
    "volume_extension:types_extra_specs:update": Rule.ADMIN,
    "volume_extension:types_extra_specs:delete": Rule.ADMIN,
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
    # generic volume groups (issue 20: groups): group types and specs, groups, group snapshots
    "group:group_types:create": Rule.ADMIN,
    "group:group_types:update": Rule.ADMIN,
    "group:group_types:delete": Rule.ADMIN,
    "group:access_group_types_specs": Rule.ADMIN,
    "group:group_types_specs:get": Rule.ADMIN,
    "group:group_types_specs:get_all": Rule.ADMIN,
    "group:group_types_specs:create": Rule.ADMIN,
    "group:group_types_specs:update": Rule.ADMIN,
    "group:group_types_specs:delete": Rule.ADMIN,
    "group:get_all": Rule.READER,
    "group:create": Rule.MEMBER,
    "group:get": Rule.READER,
    "group:update": Rule.MEMBER,
    "group:group_project_attribute": Rule.ADMIN,
    "group:delete": Rule.MEMBER,
    "group:reset_status": Rule.ADMIN,
    "group:get_all_group_snapshots": Rule.READER,
    "group:create_group_snapshot": Rule.MEMBER,
    "group:get_group_snapshot": Rule.READER,
    "group:delete_group_snapshot": Rule.MEMBER,
    "group:group_snapshot_project_attribute": Rule.ADMIN,
    "group:reset_group_snapshot_status": Rule.ADMIN,
    # Volume migration (issue 20: os-migrate_volume, cinder/policies/volume_actions.py)
    "volume_extension:volume_admin_actions:migrate_volume": Rule.ADMIN,
}


def roles_of(caller: Caller) -> frozenset[str]:
    """The caller's roles with the ones Keystone implies."""
    roles = set(caller.roles)
    for role in caller.roles:
        roles |= IMPLIED_ROLES.get(role, frozenset())
    return frozenset(roles)


def passes(caller: Caller, rule: Rule, project_id: str | None = None) -> bool:
    """Whether ``caller`` passes ``rule`` on a target of ``project_id`` (None: the
    caller's own project, Cinder's default target)."""
    roles = roles_of(caller)
    if "admin" in roles:
        return True  # every rule's first alternative
    if rule is Rule.ADMIN:
        return False
    if rule is Rule.SERVICE_OR_ADMIN:
        return "service" in roles
    if project_id is not None and project_id != caller.project_id:
        return False
    return ("member" if rule is Rule.MEMBER else "reader") in roles


def allows(caller: Caller, policy: str, project_id: str | None = None) -> bool:
    """Cinder's ``authorize(policy, fatal=False)``: whether the caller passes."""
    return passes(caller, POLICIES[policy], project_id)


def authorize(caller: Caller, policy: str, project_id: str | None = None) -> None:
    """Raise Cinder's 403 for ``policy`` unless the caller passes its rule."""
    if not allows(caller, policy, project_id):
        raise PolicyNotAuthorized(policy)
