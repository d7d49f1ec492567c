"""The records the fake stores: volume types, volumes, attachments, snapshots and
volume type encryption.

Plain slotted dataclasses, so a stored attachment costs a few hundred bytes.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

MULTIATTACH_SPEC = "multiattach"
PROTOCOL_SPEC = "storage_protocol"
TRUE_SPEC = "<is> True"

# Cinder's attachment statuses (VolumeAttachStatus).
RESERVED = "reserved"
ATTACHING = "attaching"
ATTACHED = "attached"
DETACHING = "detaching"
DETACHED = "detached"
ERROR_ATTACHING = "error_attaching"
ERROR_DETACHING = "error_detaching"
ATTACH_STATUSES = (RESERVED, ATTACHING, ATTACHED, DETACHING, DETACHED,
                   ERROR_ATTACHING, ERROR_DETACHING, "deleted")


@dataclass(slots=True)
class VolumeType:
    id: str
    name: str
    description: str | None = None
    is_public: bool = True
    # Cinder keeps a spec set to null (and shows it as null).
    extra_specs: dict[str, str | None] = field(default_factory=dict)
    project_id: str | None = None
    # The QoS specs associated with the type (Cinder's volume_types.qos_specs_id).
    qos_specs_id: str | None = None
    # Projects a private type is shared with (Cinder's volume_type_projects); a private
    # type's own project_id (the Python API's) has access too.
    projects: list[str] = field(default_factory=list)

    @property
    def multiattach(self) -> bool:
        return self.extra_specs.get(MULTIATTACH_SPEC) == TRUE_SPEC

    @property
    def protocol(self) -> str | None:
        return self.extra_specs.get(PROTOCOL_SPEC)

    @property
    def access_projects(self) -> list[str]:
        """The projects that see the type when private: its own, and its access list."""
        owner = [self.project_id] if self.project_id else []
        return owner + [p for p in self.projects if p not in owner]


class Watched:
    """A record that, while stored, reports every change of its fields to the store's
    indexes (core/column_index.py): its ``watcher`` sets the field and re-indexes it.
    Copies (``copy.copy``, ``shallow_copy``) report nothing."""

    __slots__ = ("watcher",)
    watcher: Callable[[Any, str, Any], None] | None

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        record = object.__new__(cls)
        object.__setattr__(record, "watcher", None)
        return record

    def __setattr__(self, name: str, value: Any) -> None:
        if self.watcher is None:
            object.__setattr__(self, name, value)
        else:
            self.watcher(self, name, value)


@dataclass(slots=True)
class Volume(Watched):
    id: str
    project_id: str
    size: int = 1
    status: str = "available"
    attach_status: str = DETACHED
    name: str | None = None
    description: str | None = None
    snapshot_id: str | None = None  # the snapshot it was created from
    user_id: str | None = None
    volume_type_id: str | None = None
    multiattach: bool = False
    bootable: bool = False
    availability_zone: str = "nova"
    metadata: dict[str, str] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str | None = None
    # The fake backend's connection protocol; None follows the volume type.
    protocol: str | None = None
    # The pool the scheduler placed it on (host@backend#pool); None when none fitted.
    host: str | None = "fake-host@fake-backend#fake-pool"
    encryption_key_id: str | None = None
    migration_status: str | None = None
    # Cinder's volume_admin_metadata: "readonly" and "attached_mode" (the legacy os-attach
    # flow's), which volume views show merged over ``metadata``.
    admin_metadata: dict[str, str] = field(default_factory=dict)
    # The status an extend, reimage or migration started from (Cinder's previous_status).
    previous_status: str | None = None
    source_volid: str | None = None  # the volume it was cloned from
    # Cinder's volume_glance_metadata (volume_image_metadata in views): strings.
    image_metadata: dict[str, str] = field(default_factory=dict)
    group_id: str | None = None  # the generic volume group it belongs to (core/groups.py)

    def __copy__(self) -> Volume:
        return shallow_copy(self)


@dataclass(slots=True)
class Attachment(Watched):
    id: str
    volume_id: str
    project_id: str
    instance_uuid: str | None = None
    attach_status: str = RESERVED
    attach_mode: str = "null"
    attached_at: str | None = None
    detached_at: str | None = None
    # None for attachments of the legacy os-attach flow, which never stores one.
    connection_info: dict[str, Any] | None = field(default_factory=dict)
    connector: dict[str, Any] | None = None
    attached_host: str | None = None
    mountpoint: str | None = None
    created_at: str = ""
    updated_at: str | None = None

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.created_at, self.id)

    def __copy__(self) -> Attachment:
        return shallow_copy(self)


_FIELD_GETTERS: dict[type[Any], operator.attrgetter[Any]] = {}
Record = TypeVar("Record", bound="DataclassInstance")
# Cinder's snapshot statuses (SnapshotStatus).
SNAPSHOT_STATUSES = ("error", "available", "creating", "deleting", "deleted", "updating",
                     "error_deleting", "unmanaging", "backing-up", "restoring")


@dataclass(slots=True)
class Snapshot(Watched):
    id: str
    volume_id: str
    project_id: str
    user_id: str | None = None
    status: str = "available"
    progress: str = "100%"
    size: int = 1  # the volume's size when the snapshot was taken (Cinder's volume_size)
    name: str | None = None
    description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str | None = None
    volume_type_id: str | None = None
    encryption_key_id: str | None = None
    group_snapshot_id: str | None = None  # the group snapshot it is a member of

    def __copy__(self) -> Snapshot:
        return shallow_copy(self)


@dataclass(slots=True)
class Encryption:
    """A volume type's encryption specs (Cinder's encryption table, one row per type)."""

    volume_type_id: str
    encryption_id: str
    provider: str
    control_location: str
    cipher: str | None = None
    key_size: int | None = None
    created_at: str = ""
    updated_at: str | None = None


# -- backends (core/backends.py) ------------------------------------------------------------------
@dataclass(slots=True)
class Pool:
    """One pool of a backend: what its driver reports for it (capacity is reported as
    ``total_capacity_gb``; allocated and free follow from the volumes placed on it)."""

    name: str
    total_capacity_gb: float = 10000
    reserved_percentage: int = 0
    max_over_subscription_ratio: float = 1.0
    thin_provisioning_support: bool = False
    thick_provisioning_support: bool = True
    multiattach: bool = True
    QoS_support: bool = False
    # Any further capability the pool reports (the capabilities filter reads them too).
    capabilities: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Service:
    """A Cinder service's row (os-services, os-hosts): the scheduler's, and the fields a
    backend's cinder-volume service shares with it."""

    host: str
    binary: str = "cinder-scheduler"
    availability_zone: str = "nova"
    disabled: bool = False
    disabled_reason: str | None = None
    frozen: bool = False
    state: str = "up"  # "down": its heartbeats stopped (Cinder's service_down_time passed)
    created_at: str = ""
    updated_at: str | None = None


@dataclass(slots=True)
class Backend:
    """A cinder-volume service (host ``host@backend``) and its driver's pools."""

    host: str
    volume_backend_name: str
    storage_protocol: str = "iSCSI"
    vendor_name: str = "Open Source"
    driver_version: str = "3.0.0"
    pools: list[Pool] = field(default_factory=list)
    availability_zone: str = "nova"
    disabled: bool = False
    disabled_reason: str | None = None
    frozen: bool = False
    state: str = "up"
    backend_state: str = "up"  # what the driver reports of its storage (from 3.49)
    replication_status: str = "disabled"
    active_backend_id: str | None = None
    created_at: str = ""
    updated_at: str | None = None
    binary: str = "cinder-volume"
@dataclass(slots=True)
class BlockDeviceMapping:
    """Nova's record of a volume attached to a server (its block device mapping): what
    the fake's Nova (api/server_volumes.py) keeps beside Cinder's attachment."""

    id: str  # the BDM's uuid (Nova's bdm_uuid)
    server_id: str
    project_id: str  # the server's
    volume_id: str
    attachment_id: str | None  # Cinder's attachment (None: never for the fake's Nova)
    device: str | None = None  # /dev/vdb, ...
    tag: str | None = None
    delete_on_termination: bool = False
    created_at: str = ""


@dataclass(slots=True)
class Transfer:
    """An offer to hand a volume to another project (Cinder's transfers table). The auth
    key itself is never stored: ``crypt_hash`` is its HMAC-SHA1 under ``salt``.
    An accepted transfer is kept (Cinder soft-deletes it) but no longer served."""

    id: str
    volume_id: str
    source_project_id: str
    name: str | None = None
    salt: str = ""
    crypt_hash: str = ""
    no_snapshots: bool = False
    destination_project_id: str | None = None
    accepted: bool = False
    created_at: str = ""


@dataclass(slots=True)
class Message:
    """A user message (Cinder's messages table): what failed in the background."""

    id: str
    project_id: str
    event_id: str
    action_id: str
    detail_id: str
    resource_type: str = "VOLUME"
    resource_uuid: str | None = None
    request_id: str | None = None
    message_level: str = "ERROR"
    created_at: str = ""
    expires_at: str | None = None
@dataclass(slots=True)
class GroupType:
    """A group type (Cinder's group_types table) with its group specs."""

    id: str
    name: str
    description: str | None = None
    is_public: bool = True
    group_specs: dict[str, str] = field(default_factory=dict)
    created_at: str = ""


@dataclass(slots=True)
class Group:
    """A generic volume group (Cinder's groups table): volumes of the listed volume
    types, on one backend, snapshotted together."""

    id: str
    project_id: str
    group_type_id: str
    volume_type_ids: list[str] = field(default_factory=list)
    user_id: str | None = None
    name: str | None = None
    description: str | None = None
    status: str = "available"
    availability_zone: str = "nova"
    host: str = "fake-host@fake-backend#fake-pool"
    group_snapshot_id: str | None = None  # the group snapshot it was created from
    source_group_id: str | None = None    # the group it was cloned from
    created_at: str = ""
    updated_at: str | None = None


@dataclass(slots=True)
class GroupSnapshot:
    """A snapshot of every volume of a group at once (Cinder's group_snapshots table);
    its member snapshots name it in ``group_snapshot_id``."""

    id: str
    group_id: str
    project_id: str
    group_type_id: str
    user_id: str | None = None
    name: str | None = None
    description: str | None = None
    status: str = "available"
    created_at: str = ""
    updated_at: str | None = None


# Glance's image statuses (deleted images are gone from every answer, as Glance hides them).
IMAGE_STATUSES = ("queued", "saving", "active", "killed", "deleted", "pending_delete",
                  "deactivated", "uploading", "importing")


@dataclass(slots=True)
class Image:
    """A Glance v2 image; its data is kept apart (``Store.image_data``)."""

    id: str
    owner: str | None = None
    name: str | None = None
    status: str = "queued"
    visibility: str = "shared"
    disk_format: str | None = None
    container_format: str | None = None
    size: int | None = None
    virtual_size: int | None = None
    checksum: str | None = None
    os_hash_algo: str | None = None
    os_hash_value: str | None = None
    min_disk: int = 0
    min_ram: int = 0
    protected: bool = False
    os_hidden: bool = False
    tags: list[str] = field(default_factory=list)
    # Custom (additional) properties: Glance shows them beside the base ones.
    properties: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str | None = None

@dataclass(slots=True)
class QosSpecs:
    """Cinder's QualityOfServiceSpecs: a name, its consumer and key/value specs."""

    id: str
    name: str
    consumer: str = "back-end"
    specs: dict[str, str | None] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str | None = None


def _field_getter(cls: type[Any]) -> operator.attrgetter[Any]:
    getter = _FIELD_GETTERS.get(cls)
    if getter is None:
        getter = _FIELD_GETTERS[cls] = operator.attrgetter(*(f.name for f in fields(cls)))
    return getter


def shallow_copy(record: Record) -> Record:
    """copy.copy of a record, several times faster than its __reduce_ex__ path:
    reads copy an attachment for every item they return."""
    return type(record)(*_field_getter(type(record))(record))


def _copy_value(value: Any) -> Any:
    # Records hold JSON data: dicts and lists of scalars (connector, metadata), and a
    # backend its pools (records too).
    if type(value) is dict:
        return {key: _copy_value(item) for key, item in value.items()}
    if type(value) is list:
        return [_copy_value(item) for item in value]
    if is_dataclass(value) and not isinstance(value, type):
        return record_to_dict(value)
    return value


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def _field_names(cls: type[Any]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def record_to_dict(record: Any) -> dict[str, Any]:
    """A deep, JSON-ready copy of a record (what dataclasses.asdict gives, for records
    of plain data, several times faster: a state file holds thousands)."""
    names = _field_names(type(record))
    values = _field_getter(type(record))(record)
    return {name: value if type(value) not in (dict, list) else _copy_value(value)
            for name, value in zip(names, values, strict=True)}


def record_from_dict(cls: type[Record], data: dict[str, Any]) -> Record:
    """Build a record from plain data, ignoring no unknown key silently."""
    unknown = data.keys() - _field_names(cls)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields: {', '.join(sorted(unknown))}")
    return cls(**data)
