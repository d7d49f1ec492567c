"""Whole-state import and export as plain JSON data (fixture files, /_fake/state).

Every state is checked against ``schemas/state.json`` and then for what a
schema cannot say (unknown references, duplicate ids); a problem is reported
as ``<source>: <JSON path>: <problem>``. Loading is all or nothing.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import json
import re
import threading
from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import fastjsonschema
import jsonschema

from ..resources import data_dir, fixture_path, shipped_fixtures
from . import backends as backend_rules
from . import groups as group_rules
from . import images as image_rules
from . import quotas as quota_rules
from . import transfers as transfer_rules
from . import transitions as transition_rules
from .directory import Directory, IdentityDataError
from .models import (
    Attachment,
    Backend,
    BlockDeviceMapping,
    Encryption,
    Group,
    GroupSnapshot,
    GroupType,
    Image,
    Message,
    QosSpecs,
    Service,
    Snapshot,
    Transfer,
    Volume,
    VolumeType,
    record_from_dict,
    record_to_dict,
)
from .store import Store

SECTIONS = ("volume_types", "volumes", "attachments", "snapshots", "encryption", "transfers",
            "messages", "images", "block_device_mappings", "qos_specs", *group_rules.SECTIONS)
_validator: jsonschema.protocols.Validator | None = None
# The same schema compiled to Python by fastjsonschema: many times faster on a large
# state (issue 24); jsonschema still finds the message of an invalid one.
_fast_check: Callable[[Any], Any] | None = None
_validator_lock = threading.Lock()
# Parsed and validated fixture files, by (path, mtime, size): read once per process.
_FILES: dict[tuple[str, int, int], dict[str, Any]] = {}


class StateError(ValueError):
    """A state that cannot be loaded: names its source, the JSON path and the problem."""

    def __init__(self, source: str, path: str, problem: str) -> None:
        super().__init__(f"{source}: {path}: {problem}")
        self.source = source
        self.path = path
        self.problem = problem


def state_validator() -> jsonschema.protocols.Validator:
    """schemas/state.json, compiled once per process."""
    global _validator, _fast_check
    with _validator_lock:
        if _validator is None:
            schema = json.loads((data_dir("schemas") / "state.json").read_text("utf-8"))
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            inlined = _inline_refs(schema, schema.get("$defs", {}))
            _fast_check = fastjsonschema.compile(
                {k: v for k, v in inlined.items() if k != "$schema"}, use_default=False)
            _validator = cls(inlined)
        return _validator


def _passes_fast_check(state: Any) -> bool:
    state_validator()
    assert _fast_check is not None
    try:
        _fast_check(state)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def _inline_refs(node: Any, definitions: dict[str, Any]) -> Any:
    """The schema with its local ``#/$defs/...`` references replaced by their targets:
    resolving references dominates validation time of large states otherwise."""
    if isinstance(node, list):
        return [_inline_refs(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = _inline_refs(definitions[ref.removeprefix("#/$defs/")], definitions)
        return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return {key: value if key == "$defs" else _inline_refs(value, definitions)
            for key, value in node.items()}


def validate(state: Any, source: str = "state") -> None:
    """Raise StateError for the most relevant schema violation, if any."""
    if _passes_fast_check(state):
        return
    error = jsonschema.exceptions.best_match(state_validator().iter_errors(state))
    if error is not None:
        raise StateError(source, error.json_path, error.message)


def check(state: Any, source: str = "state") -> None:
    """The schema, then what a schema cannot say (duplicates, references)."""
    validate(state, source)
    _check_references(state, source)
    if state.get("identity") is not None:
        try:
            Directory.parse(state["identity"])
        except IdentityDataError as exc:
            raise StateError(source, f"$.identity{exc.path}", exc.problem) from None


def find_state_file(source: str | Path) -> Path:
    """The path as given when it is a file, else the fixture shipped with fake-cinder of
    that name (``"default.json"``, as the pytest marker finds them); neither: StateError
    naming the shipped ones."""
    path = Path(source)
    if path.is_file():
        return path
    if path.name == str(source) and fixture_path(path.name).is_file():  # a bare name
        return fixture_path(path.name)
    raise StateError(str(source), "$", "no such file, nor a fixture shipped with fake-cinder "
                     f"(those are {', '.join(shipped_fixtures())})")


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Parsing and building a state makes millions of objects and no reference cycles:
    the cyclic collector's passes over the growing heap would cost as much as the work
    itself (about half of a 100 000-volume load). It resumes afterwards (unless it was
    off already), and then sees the new objects once."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_file(path: str | Path) -> dict[str, Any]:
    """A state file (a path, or the name of a shipped fixture), parsed and validated
    (cached until the file changes). Treat the result as read-only: ``load`` copies what
    it takes."""
    path = find_state_file(path)
    source = str(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise StateError(source, "$", f"cannot read the file: {exc.strerror}") from None
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    cached = _FILES.get(key)
    if cached is not None:
        return cached
    with _collector_paused():
        try:
            state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise StateError(source, f"line {exc.lineno} column {exc.colno}",
                             f"not valid JSON: {exc.msg}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise StateError(source, "$", f"cannot read the file: {exc}") from None
        check(state, source)
    _FILES[key] = state
    return state


def dump(store: Store) -> dict[str, Any]:
    with store.lock:
        state: dict[str, Any] = {
            "volume_types": [_type_data(t) for t in store.volume_types.values()],
            "volumes": [record_to_dict(v) for v in store.volumes.values()],
            "attachments": [record_to_dict(a) for a in
                            sorted(store.attachments.values(), key=lambda a: a.sort_key)],
        }
        # The newer sections only when they hold something: states without them stay as
        # they were written.
        if store.snapshots:
            state["snapshots"] = [record_to_dict(s) for s in sorted(
                store.snapshots.values(), key=lambda s: (s.created_at, s.id))]
        if store.encryptions:
            state["encryption"] = [record_to_dict(e) for e in store.encryptions.values()]
        if store.qos_specs:
            state["qos_specs"] = [record_to_dict(q) for q in store.qos_specs.values()]
        if store.images:
            state["images"] = image_rules.dump_images(store)
        if store.quota_defaults or store.project_quotas or store.quota_classes:
            state["quotas"] = {"defaults": dict(store.quota_defaults),
                               "projects": {project: dict(limits) for project, limits
                                            in store.project_quotas.items()}}
            if store.quota_classes:
                state["quotas"]["classes"] = {name: dict(limits) for name, limits
                                              in store.quota_classes.items()}
        if list(store.backends.values()) != list(backend_rules.default_backends().values()):
            state["backends"] = [record_to_dict(b) for b in store.backends.values()]
        if store.scheduler != backend_rules.default_scheduler():
            state["scheduler"] = record_to_dict(store.scheduler)
        if store.transfers:
            state["transfers"] = [record_to_dict(t) for t in sorted(
                store.transfers.values(), key=lambda t: (t.created_at, t.id))]
        if store.messages:
            state["messages"] = [record_to_dict(m) for m in sorted(
                store.messages.values(), key=lambda m: (m.created_at, m.id))]
        if store.identity is not None:
            state["identity"] = copy.deepcopy(store.identity)
        if store.block_devices:
            state["block_device_mappings"] = [record_to_dict(b) for b in sorted(
                store.block_devices.values(), key=lambda b: (b.created_at, b.id))]
        state.update(group_rules.dump_groups(store))
        pending = store.transitions.dump()
        if pending:
            state["transitions"] = pending  # the volume manager's unfinished work
        return state


def _type_data(volume_type: VolumeType) -> dict[str, Any]:
    """A type as data; the newer fields only when set (older states stay as written)."""
    data = record_to_dict(volume_type)
    if data["qos_specs_id"] is None:
        del data["qos_specs_id"]
    if not data["projects"]:
        del data["projects"]
    return data


# -- building records -----------------------------------------------------------------------------
def _check_references(state: dict[str, Any], source: str) -> None:
    """What the schema cannot check: duplicates and references between records."""
    type_ids: set[str] = set()
    type_refs: set[str] = set()
    for index, data in enumerate(state.get("volume_types", [])):
        where = f"$.volume_types[{index}]"
        if data["id"] in type_ids:
            raise StateError(source, f"{where}.id", f"duplicate volume type id {data['id']}")
        if data["name"] in type_refs:
            raise StateError(source, f"{where}.name",
                             f"duplicate volume type name {data['name']!r}")
        type_ids.add(data["id"])
        type_refs.update((data["id"], data["name"]))
    volume_projects: dict[str, str] = {}
    for index, data in enumerate(state.get("volumes", [])):
        where = f"$.volumes[{index}]"
        if data["id"] in volume_projects:
            raise StateError(source, f"{where}.id", f"duplicate volume id {data['id']}")
        for key, known in (("volume_type", type_refs), ("volume_type_id", type_ids)):
            if data.get(key) is not None and data[key] not in known:
                raise StateError(source, f"{where}.{key}",
                                 f"unknown volume type {data[key]!r}")
        volume_projects[data["id"]] = data["project_id"]
    attachment_ids: set[str] = set()
    for index, data in enumerate(state.get("attachments", [])):
        where = f"$.attachments[{index}]"
        if data["id"] in attachment_ids:
            raise StateError(source, f"{where}.id", f"duplicate attachment id {data['id']}")
        attachment_ids.add(data["id"])
        project = volume_projects.get(data["volume_id"])
        if project is None:
            raise StateError(source, f"{where}.volume_id",
                             f"unknown volume {data['volume_id']}")
        if data.get("project_id", project) != project:
            raise StateError(source, f"{where}.project_id",
                             f"{data['project_id']!r} is not the project of volume "
                             f"{data['volume_id']} ({project!r})")
    _check_snapshots_and_encryption(state, source, volume_projects, type_refs)
    _check_qos_specs(state, source)
    _check_quota_names(state, source)
    pending_problem = transition_rules.check_state(
        state.get("transitions", []), set(volume_projects),
        {data["id"] for data in state.get("snapshots", [])})
    if pending_problem is not None:
        index, key, text = pending_problem
        raise StateError(source, f"$.transitions[{index}].{key}", text)
    _check_transfers_and_messages(state, source, volume_projects)
    problem = image_rules.state_problem(state.get("images", []))
    if problem is not None:
        raise StateError(source, *problem)
    _check_block_devices(state, source, volume_projects, attachment_ids)
    _check_backends(state, source)
    problem = group_rules.state_problem(state)
    if problem is not None:
        raise StateError(source, *problem)


def _check_backends(state: dict[str, Any], source: str) -> None:
    hosts: set[str] = set()
    for index, data in enumerate(state.get("backends", [])):
        where = f"$.backends[{index}]"
        if data["host"] in hosts:
            raise StateError(source, f"{where}.host", f"duplicate backend host {data['host']!r}")
        hosts.add(data["host"])
        names = [pool["name"] for pool in data["pools"]]
        if len(set(names)) != len(names):
            raise StateError(source, f"{where}.pools", "a pool name appears twice")


def _check_block_devices(state: dict[str, Any], source: str, volume_projects: dict[str, str],
                         attachment_ids: set[str]) -> None:
    """Nova's volume mappings name a volume and (if any) an attachment of the state."""
    seen: set[str] = set()
    for index, data in enumerate(state.get("block_device_mappings", [])):
        where = f"$.block_device_mappings[{index}]"
        if data["id"] in seen:
            raise StateError(source, f"{where}.id", f"duplicate block device mapping id "
                             f"{data['id']}")
        seen.add(data["id"])
        if data["volume_id"] not in volume_projects:
            raise StateError(source, f"{where}.volume_id", f"unknown volume {data['volume_id']}")
        if data.get("attachment_id") is not None and data["attachment_id"] not in attachment_ids:
            raise StateError(source, f"{where}.attachment_id",
                             f"unknown attachment {data['attachment_id']}")


def _check_snapshots_and_encryption(state: dict[str, Any], source: str,
                                    volume_projects: dict[str, str], type_refs: set[str]) -> None:
    snapshot_ids: set[str] = set()
    for index, data in enumerate(state.get("snapshots", [])):
        where = f"$.snapshots[{index}]"
        if data["id"] in snapshot_ids:
            raise StateError(source, f"{where}.id", f"duplicate snapshot id {data['id']}")
        snapshot_ids.add(data["id"])
        if data["volume_id"] not in volume_projects:
            raise StateError(source, f"{where}.volume_id", f"unknown volume {data['volume_id']}")
    encrypted: set[str] = set()
    for index, data in enumerate(state.get("encryption", [])):
        where = f"$.encryption[{index}].volume_type_id"
        if data["volume_type_id"] not in type_refs:
            raise StateError(source, where, f"unknown volume type {data['volume_type_id']!r}")
        if data["volume_type_id"] in encrypted:
            raise StateError(source, where,
                             f"duplicate encryption of volume type {data['volume_type_id']!r}")
        encrypted.add(data["volume_type_id"])


def _check_qos_specs(state: dict[str, Any], source: str) -> None:
    """QoS specs ids and names are unique; a type's qos_specs_id names one of them."""
    refs: set[str] = set()
    names: set[str] = set()
    for index, data in enumerate(state.get("qos_specs", [])):
        where = f"$.qos_specs[{index}]"
        if data["id"] in refs:
            raise StateError(source, f"{where}.id", f"duplicate QoS specs id {data['id']}")
        if data["name"] in names:
            raise StateError(source, f"{where}.name", f"duplicate QoS specs name {data['name']!r}")
        refs.update((data["id"], data["name"]))
        names.add(data["name"])
    for index, data in enumerate(state.get("volume_types", [])):
        if data.get("qos_specs_id") is not None and data["qos_specs_id"] not in refs:
            raise StateError(source, f"$.volume_types[{index}].qos_specs_id",
                             f"unknown QoS specs {data['qos_specs_id']!r}")


def _check_transfers_and_messages(state: dict[str, Any], source: str,
                                  volume_projects: dict[str, str]) -> None:
    for section, kind in (("transfers", "transfer"), ("messages", "message")):
        seen: set[str] = set()
        for index, data in enumerate(state.get(section, [])):
            if data["id"] in seen:
                raise StateError(source, f"$.{section}[{index}].id",
                                 f"duplicate {kind} id {data['id']}")
            seen.add(data["id"])
    for index, data in enumerate(state.get("transfers", [])):
        where = f"$.transfers[{index}]"
        if data["volume_id"] not in volume_projects:
            raise StateError(source, f"{where}.volume_id", f"unknown volume {data['volume_id']}")
        if "auth_key" not in data and not (data.get("salt") and data.get("crypt_hash")):
            raise StateError(source, where, "a transfer needs auth_key, or salt and crypt_hash")


def _check_quota_names(state: dict[str, Any], source: str) -> None:
    """Quota names: Cinder's resources, and the three of each volume type of the state."""
    known = {*quota_rules.CINDER_DEFAULTS, *quota_rules.GROUP_DEFAULTS}
    known.update(f"{part}_{data['name']}" for data in state.get("volume_types", [])
                 for part in quota_rules.TYPE_RESOURCES)
    quotas = state.get("quotas") or {}
    places = [("$.quotas.defaults", quotas.get("defaults") or {})]
    places += [(f"$.quotas.classes.{name}", limits)
               for name, limits in (quotas.get("classes") or {}).items()]
    places += [(f"$.quotas.projects.{project}", limits)
               for project, limits in (quotas.get("projects") or {}).items()]
    for where, limits in places:
        for name in limits:
            if name not in known:
                raise StateError(source, f"{where}.{name}", f"unknown quota resource {name!r}")


def _type_index(types: list[VolumeType], store: Store) -> dict[str, VolumeType]:
    index = {t.name: t for t in store.volume_types.values()}
    index.update({t.id: t for t in store.volume_types.values()})
    index.update({t.name: t for t in types})
    index.update({t.id: t for t in types})
    return index


Stamped = TypeVar("Stamped", Volume, Attachment, Snapshot, Encryption, BlockDeviceMapping,
                  QosSpecs)


def _stamped(record: Stamped, store: Store) -> Stamped:
    """A record a state file gave no creation time is created now, as on the API."""
    if not record.created_at:
        record.created_at = store.clock.now()
    return record


def _volume_record(data: dict[str, Any], types: dict[str, VolumeType], store: Store) -> Volume:
    data = dict(data)
    type_ref = data.pop("volume_type", None)
    if type_ref is not None and data.get("volume_type_id") is None:
        data["volume_type_id"] = types[type_ref].id
    volume = record_from_dict(Volume, data)
    volume_type = types.get(volume.volume_type_id or "")
    if volume_type is not None and volume_type.multiattach:
        volume.multiattach = True
    return _stamped(volume, store)


def _attachment_record(data: dict[str, Any], volumes: Mapping[str, Volume],
                       store: Store) -> Attachment:
    data = dict(data)
    data.setdefault("project_id", volumes[data["volume_id"]].project_id)
    attachment = record_from_dict(Attachment, data)
    return _stamped(attachment, store)


def _snapshot_record(data: dict[str, Any], volumes: Mapping[str, Volume],
                     store: Store) -> Snapshot:
    """A snapshot; what it leaves out comes from its volume, as Cinder copies it."""
    volume = volumes[data["volume_id"]]
    data = {"project_id": volume.project_id, "size": volume.size,
            "volume_type_id": volume.volume_type_id,
            "encryption_key_id": volume.encryption_key_id, **data}
    snapshot = record_from_dict(Snapshot, data)
    return _stamped(snapshot, store)


def _encryption_record(data: dict[str, Any], types: dict[str, VolumeType],
                       store: Store) -> Encryption:
    data = {**data, "volume_type_id": types[data["volume_type_id"]].id}
    data.setdefault("encryption_id", store.clock.new_id())
    encryption = record_from_dict(Encryption, data)
    return _stamped(encryption, store)


def _transfer_record(data: dict[str, Any], volumes: Mapping[str, Volume],
                     store: Store) -> Transfer:
    """A transfer; an ``auth_key`` is stored as Cinder stores it, salted and hashed."""
    data = {"source_project_id": volumes[data["volume_id"]].project_id, **data}
    auth_key = data.pop("auth_key", None)
    if auth_key is not None:
        data["salt"] = data.get("salt") or store.clock.new_id().replace("-", "")[
            :transfer_rules.SALT_LENGTH]
        data["crypt_hash"] = transfer_rules.crypt_hash(data["salt"], auth_key)
    transfer = record_from_dict(Transfer, data)
    if not transfer.created_at:
        transfer.created_at = store.clock.now()
    return transfer


def _message_record(data: dict[str, Any], store: Store) -> Message:
    """A message; its action and detail ids default to those its event id names."""
    parts = data["event_id"].rsplit("_", 2)
    action, detail = (parts[1], parts[2]) if len(parts) == 3 else ("", "")
    message = record_from_dict(Message, {"action_id": action, "detail_id": detail, **data})
    if not message.created_at:
        message.created_at = store.clock.now()
    return message


@dataclass(slots=True)
class _Records:
    types: list[VolumeType]
    volumes: list[Volume]
    attachments: list[Attachment]
    snapshots: list[Snapshot]
    encryptions: list[Encryption]
    quotas: dict[str, Any]
    qos_specs: list[QosSpecs]
    transfers: list[Transfer]
    messages: list[Message]
    images: list[tuple[Image, bytes | None]]
    block_devices: list[BlockDeviceMapping]
    backends: list[Backend] | None
    scheduler: Service | None
    groups: tuple[list[GroupType], list[Group], list[GroupSnapshot]]


_ATOMS = (str, int, float, bool, type(None))


def copy_data(value: Any) -> Any:
    """A deep copy of JSON-like data: dicts and lists rebuilt, anything but JSON's
    scalars deep-copied; several times faster than copy.deepcopy on a large state."""
    kind = type(value)
    if kind is dict:
        return {key: copy_data(item) for key, item in value.items()}
    if kind is list:
        return [copy_data(item) for item in value]
    return value if kind in _ATOMS else copy.deepcopy(value)


def _records(state: dict[str, Any], store: Store) -> _Records:
    """Fresh records for a checked state (its dicts are not shared with the store)."""
    state = copy_data(state)
    qos_specs = [_stamped(record_from_dict(QosSpecs, d), store)
                 for d in state.get("qos_specs", [])]
    qos_ids = {q.name: q.id for q in [*store.qos_specs.values(), *qos_specs]}
    types = [record_from_dict(VolumeType, d) for d in state.get("volume_types", [])]
    for volume_type in types:  # a type may name its QoS specs
        if volume_type.qos_specs_id is not None:
            volume_type.qos_specs_id = qos_ids.get(volume_type.qos_specs_id,
                                                   volume_type.qos_specs_id)
    type_index = _type_index(types, store)
    volumes = [_volume_record(d, type_index, store) for d in state.get("volumes", [])]
    # The state's volumes, then the store's (looked up, not copied: a project's reset
    # beside a large state).
    by_id = ChainMap({v.id: v for v in volumes}, store.volumes)
    attachments = [_attachment_record(d, by_id, store) for d in state.get("attachments", [])]
    snapshots = [_snapshot_record(d, by_id, store) for d in state.get("snapshots", [])]
    encryptions = [_encryption_record(d, type_index, store)
                   for d in state.get("encryption", [])]
    transfers = [_transfer_record(d, by_id, store) for d in state.get("transfers", [])]
    messages = [_message_record(d, store) for d in state.get("messages", [])]
    backends = ([backend_rules.backend_from_dict(d) for d in state["backends"]]
                if "backends" in state else None)
    scheduler = (record_from_dict(Service, state["scheduler"]) if state.get("scheduler")
                 else None)
    block_devices = [_stamped(record_from_dict(BlockDeviceMapping, d), store)
                     for d in state.get("block_device_mappings", [])]
    return _Records(types, volumes, attachments, snapshots, encryptions,
                    state.get("quotas") or {}, qos_specs, transfers, messages,
                    image_rules.image_records(store, state.get("images", [])), block_devices,
                    backends, scheduler, group_rules.group_records(state, store))


def _install(store: Store, records: _Records) -> None:
    for volume_type in records.types:
        store.add_volume_type(volume_type)
    for volume in records.volumes:
        store.add_volume(volume)
    for attachment in records.attachments:
        store.add_attachment(attachment)
    for snapshot in records.snapshots:
        store.add_snapshot(snapshot)
    for encryption in records.encryptions:
        store.encryptions[encryption.volume_type_id] = encryption
    for qos in records.qos_specs:
        store.qos_specs[qos.id] = qos
    store.quota_defaults.update(records.quotas.get("defaults") or {})
    for name, limits in (records.quotas.get("classes") or {}).items():
        store.quota_classes.setdefault(name, {}).update(limits)
    for project, limits in (records.quotas.get("projects") or {}).items():
        store.project_quotas.setdefault(project, {}).update(limits)
    if records.backends is not None or records.scheduler is not None:
        backend_rules.install(store, records.backends if records.backends is not None
                              else store.backends.values(), records.scheduler)
    store.transfers.update((t.id, t) for t in records.transfers)
    store.messages.update((m.id, m) for m in records.messages)
    for image, data in records.images:
        image_rules.add_image(store, image, data)
    for mapping in records.block_devices:
        store.block_devices[mapping.id] = mapping
    group_rules.install(store, records.groups)


# -- loading --------------------------------------------------------------------------------------
def load(store: Store, state: dict[str, Any], replace: bool = True, source: str = "state",
         checked: bool = False) -> None:
    """Load state: all of it, or nothing (a bad record leaves the store as it was).

    Records take the fields of ``dump``'s output; volumes may name their type
    with ``volume_type`` (name or id), and attachments may omit ``project_id``
    (they belong to their volume's project). ``replace=False`` adds to what is
    there. ``checked`` skips the checks for a state ``read_file`` returned.
    """
    with store.lock:
        if not replace:
            validate(state, source)  # before merging: paths point into the added state
            current = dump(store)
            merged = {key: current.get(key, []) + list(state.get(key, []))
                      for key in (*SECTIONS, "transitions")}
            if "quotas" in state or "quotas" in current:
                merged["quotas"] = _merged_quotas(current.get("quotas") or {},
                                                  state.get("quotas") or {})
            if "identity" in state or "identity" in current:
                merged["identity"] = state.get("identity", current.get("identity"))
            if "backends" in state or "backends" in current:
                # Added backends replace those of the same host.
                by_host = {b["host"]: b for b in current.get("backends")
                           or [record_to_dict(b) for b in store.backends.values()]}
                by_host.update((b["host"], b) for b in state.get("backends", []))
                merged["backends"] = list(by_host.values())
            if "scheduler" in state or "scheduler" in current:
                merged["scheduler"] = state.get("scheduler", current.get("scheduler"))
            try:
                _check_references(merged, source)
            except StateError as exc:
                raise _in_added_part(exc, current) from None
            state, checked = merged, True
        with _collector_paused():
            if not checked:
                check(state, source)
            empty = Store(clock=store.clock)
            records = _records(state, empty)
            store.clear()
            _install(store, records)
            store.identity = copy.deepcopy(state.get("identity"))
            store.transitions.load(state.get("transitions", []))


def _merged_quotas(current: dict[str, Any], added: dict[str, Any]) -> dict[str, Any]:
    """Added quota limits override the current ones, name by name."""
    projects = {project: dict(limits)
                for project, limits in (current.get("projects") or {}).items()}
    for project, limits in (added.get("projects") or {}).items():
        projects.setdefault(project, {}).update(limits)
    classes = {name: dict(limits) for name, limits in (current.get("classes") or {}).items()}
    for name, limits in (added.get("classes") or {}).items():
        classes.setdefault(name, {}).update(limits)
    return {"defaults": {**(current.get("defaults") or {}), **(added.get("defaults") or {})},
            "projects": projects, "classes": classes}


def _in_added_part(error: StateError, current: dict[str, Any]) -> StateError:
    """Point an error about the merged state at the record of the added state."""
    match = re.match(r"^\$\.(\w+)\[(\d+)\](.*)$", error.path)
    if match is None or match.group(1) not in (*SECTIONS, "transitions"):
        return error
    index = int(match.group(2)) - len(current.get(match.group(1), []))
    return StateError(error.source, f"$.{match.group(1)}[{index}]{match.group(3)}",
                      error.problem)


class ProjectIndex:
    """One checked state split by project, for resetting a single project quickly."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self._by_project: dict[str, dict[str, Any]] | None = None

    def part(self, project_id: str) -> dict[str, Any]:
        if self._by_project is None:
            split: dict[str, dict[str, Any]] = {}
            volume_projects: dict[str, str] = {}
            for data in self.state.get("volume_types", []):
                if data.get("project_id"):
                    split.setdefault(data["project_id"], _empty())["volume_types"].append(data)
            for data in self.state.get("volumes", []):
                volume_projects[data["id"]] = data["project_id"]
                split.setdefault(data["project_id"], _empty())["volumes"].append(data)
            for data in self.state.get("attachments", []):
                project = volume_projects[data["volume_id"]]
                split.setdefault(project, _empty())["attachments"].append(data)
            for data in self.state.get("snapshots", []):
                project = data.get("project_id") or volume_projects[data["volume_id"]]
                split.setdefault(project, _empty())["snapshots"].append(data)
            private = {ref: data["project_id"] for data in self.state.get("volume_types", [])
                       if data.get("project_id") for ref in (data["id"], data["name"])}
            for data in self.state.get("encryption", []):
                if data["volume_type_id"] in private:
                    project = private[data["volume_type_id"]]
                    split.setdefault(project, _empty())["encryption"].append(data)
            for data in self.state.get("transfers", []):
                project = volume_projects[data["volume_id"]]
                split.setdefault(project, _empty())["transfers"].append(data)
            for data in self.state.get("messages", []):
                split.setdefault(data["project_id"], _empty())["messages"].append(data)
            for data in self.state.get("images", []):
                if data.get("owner"):
                    split.setdefault(data["owner"], _empty())["images"].append(data)
            for data in self.state.get("block_device_mappings", []):
                split.setdefault(data["project_id"], _empty())["block_device_mappings"].append(
                    data)
            for section in ("groups", "group_snapshots"):
                for data in self.state.get(section, []):
                    split.setdefault(data["project_id"], _empty())[section].append(data)
            quotas = (self.state.get("quotas") or {}).get("projects") or {}
            for project, limits in quotas.items():
                split.setdefault(project, _empty())["quotas"] = {"projects": {project: limits}}
            self._by_project = split
        return self._by_project.get(project_id) or _empty()


def _empty() -> dict[str, Any]:
    return {key: [] for key in SECTIONS}


def reset_project(store: Store, index: ProjectIndex, project_id: str) -> None:
    """Put one project's volumes, attachments and private types back as in a checked
    state, in one step; other projects are not touched."""
    with store.lock:
        store.transitions.cancel(project_id)
        store.clear(project_id)
        _install(store, _records(index.part(project_id), store))
        def project_of(record_id: str) -> str | None:
            # Looked up one by one: a copy of every volume and snapshot costs O(n).
            record = store.volumes.get(record_id) or store.snapshots.get(record_id)
            return record.project_id if record is not None else None

        store.transitions.load(
            [data for data in index.state.get("transitions", [])
             if project_of(data["record_id"]) == project_id], replace=False)
