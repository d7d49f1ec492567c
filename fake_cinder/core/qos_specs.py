"""QoS specs (Cinder's qos_specs_manage extension and cinder/volume/qos_specs.py):
create, update and unset keys, delete (with force), and their association with volume
types (a type has at most one, its ``qos_specs_id``).

Every function takes the store's lock for its checks and writes together, and checks
everything before it changes anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .errors import BadRequest, Conflict, InvalidInput, NotFound, VolumeTypeNotFound
from .listing import ListQuery, check_sort_keys, sorted_after
from .models import QosSpecs, VolumeType
from .store import Store

CONSUMERS = ("back-end", "front-end", "both")
# str() of Cinder's QoSConsumerField, which its refusal of another consumer shows.
_CONSUMER_FIELD = ("QoSConsumerValues(default=<class 'oslo_versionedobjects.fields."
                   f"UnspecifiedDefault'>,nullable=False,valid_values={CONSUMERS!r})")
COLUMNS = {"id": "id", "name": "name", "consumer": "consumer", "created_at": "created_at",
           "updated_at": "updated_at"}


class InvalidQosSpecs(BadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid qos specs: {reason}")


def _not_found(specs_id: str) -> NotFound:
    return NotFound(f"No such QoS spec {specs_id}.")


def _check_consumer(consumer: Any) -> str:
    if consumer not in CONSUMERS:
        raise InvalidQosSpecs(f"Valid consumer of QoS specs are: {_CONSUMER_FIELD}")
    return str(consumer)


def _check_lengths(specs: Mapping[str, Any]) -> None:
    """Cinder's validate_dictionary_string_length (its InvalidInput)."""
    for key, value in specs.items():
        if not 1 <= len(key) <= 255:
            raise InvalidInput(f'Key "{key}" has {len(key)} characters, '
                               f"{'less than 1' if not key else 'more than 255'}.")
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidInput(f'Value for key "{key}" is not a string or unicode')
        if len(value) > 255:
            raise InvalidInput(f'Value for key "{key}" has {len(value)} characters, '
                               "more than 255.")


def check_name(name: str) -> None:
    """Cinder's name_skip_leading_trailing_spaces format (part of its schema)."""
    prefix = "An invalid 'name' value was provided. "
    if not name:
        raise BadRequest(prefix + "The 'name' can not be None.")
    if not name.strip():
        raise BadRequest(prefix + "The 'name' can not be empty.")
    if len(name.strip()) > 255:
        raise BadRequest(prefix + "The 'name' can not be greater than 255 characters.")


def get_qos_specs(store: Store, specs_id: str) -> QosSpecs:
    with store.lock:
        found = store.qos_specs.get(specs_id)
        if found is None:
            raise _not_found(specs_id)
        return found


def create_qos_specs(store: Store, name: str, specs: Mapping[str, Any],
                     specs_id: str | None = None) -> QosSpecs:
    """``specs`` may hold the ``consumer`` (default back-end); ``name`` is stripped."""
    with store.lock:
        specs = dict(specs)
        _check_lengths(specs)
        # Cinder's object takes a missing (or null) consumer as back-end, and refuses
        # any other before the name is looked at.
        consumer = specs.pop("consumer", None)
        consumer = _check_consumer("back-end" if consumer is None else consumer)
        name = name.strip()
        if any(q.name == name for q in store.qos_specs.values()):
            raise Conflict(f"QoS Specs {name} already exists.")
        if specs_id is not None and specs_id in store.qos_specs:
            raise Conflict(f"QoS Specs {specs_id} already exists.")
        created = QosSpecs(id=specs_id or store.clock.new_id(), name=name, consumer=consumer,
                           specs=specs, created_at=store.clock.now())
        store.qos_specs[created.id] = created
        return created


def update_qos_specs(store: Store, specs_id: str, specs: Mapping[str, str | None]) -> None:
    """PUT qos-specs/{id}: keys set (a ``consumer`` key sets the consumer)."""
    with store.lock:
        qos = get_qos_specs(store, specs_id)
        specs = dict(specs)
        if "consumer" in specs:
            qos.consumer = _check_consumer(specs.pop("consumer"))
        qos.specs.update(specs)
        qos.updated_at = store.clock.now()


def delete_keys(store: Store, specs_id: str, keys: Iterable[str]) -> None:
    """PUT qos-specs/{id}/delete_keys: Cinder deletes the keys in order and stops at the
    first missing one (404), keeping the deletions before it."""
    with store.lock:
        qos = get_qos_specs(store, specs_id)
        try:
            for key in keys:
                if key not in qos.specs:
                    raise NotFound(f"QoS spec {specs_id} has no spec with key {key}.")
                del qos.specs[key]
        finally:
            qos.updated_at = store.clock.now()


def associated_types(store: Store, specs_id: str) -> list[VolumeType]:
    with store.lock:
        return [t for t in store.volume_types.values() if t.qos_specs_id == specs_id]


def delete_qos_specs(store: Store, specs_id: str, force: bool = False) -> None:
    """Without ``force``, specs associated with a type stay (400); with it, the
    associations go with them."""
    with store.lock:
        get_qos_specs(store, specs_id)
        associated = associated_types(store, specs_id)
        if associated and not force:
            raise BadRequest("Qos specs still in use.")
        for volume_type in associated:
            volume_type.qos_specs_id = None
        del store.qos_specs[specs_id]


def _volume_type(store: Store, type_id: str) -> VolumeType:
    found = store.volume_types.get(type_id)
    if found is None:
        raise VolumeTypeNotFound(type_id)
    return found


def associate(store: Store, specs_id: str, type_id: str) -> None:
    """A type has one QoS specs: associating other specs with it is refused."""
    with store.lock:
        get_qos_specs(store, specs_id)
        volume_type = _volume_type(store, type_id)
        if volume_type.qos_specs_id not in (None, specs_id):
            raise BadRequest(f"Invalid volume type: Type {type_id} is already associated "
                             f"with another qos specs: {volume_type.qos_specs_id}")
        volume_type.qos_specs_id = specs_id


def disassociate(store: Store, specs_id: str, type_id: str) -> None:
    with store.lock:
        get_qos_specs(store, specs_id)
        volume_type = _volume_type(store, type_id)
        if volume_type.qos_specs_id == specs_id:
            volume_type.qos_specs_id = None


def disassociate_all(store: Store, specs_id: str) -> None:
    with store.lock:
        for volume_type in associated_types(store, specs_id):
            volume_type.qos_specs_id = None
        get_qos_specs(store, specs_id)


def list_qos_specs(store: Store, query: ListQuery) -> list[QosSpecs]:
    """One page of QoS specs in Cinder's order (default: newest first). Cinder filters
    its key/value rows: only ``id`` finds specs (``name`` and ``consumer`` are keys
    there, not columns, and match nothing)."""
    with store.lock:
        marker = get_qos_specs(store, query.marker) if query.marker else None
        check_sort_keys(query, COLUMNS)
        if any(key != "id" for key in query.filters):
            return []
        rows = [q for q in store.qos_specs.values()
                if query.filters.get("id", q.id) == q.id]
        rows = sorted_after(rows, query, COLUMNS, marker)
        return rows[query.offset:query.offset + query.limit]


def front_end_specs(store: Store, volume_type: VolumeType | None) -> QosSpecs | None:
    """The type's QoS specs when their consumer includes the front end (Nova applies
    those: an in-use volume may not change them by retype)."""
    if volume_type is None or volume_type.qos_specs_id is None:
        return None
    qos = store.qos_specs.get(volume_type.qos_specs_id)
    return qos if qos is not None and qos.consumer in ("front-end", "both") else None
