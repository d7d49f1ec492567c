"""Cinder's list parameters (paging, sorting and filters) and its sorted pages, for
volumes and attachments alike.

The checks run in Cinder's order, so the first problem reported is the one
real Cinder reports. ``sorted_after`` orders records and applies a marker as
Cinder's database query does (cinder.common.sqlalchemyutils.paginate_query).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .context import Caller
from .errors import BadRequest, InvalidInput

MAX_LIMIT = 1000  # Cinder's osapi_max_limit default
DB_MAX_INT = 0x7FFFFFFF
ALLOWED_FILTERS = frozenset({"volume_id", "status", "instance_id", "attach_status"})
# Columns of Cinder's VolumeAttachment model mapped to the fake's attribute names.
MODEL_COLUMNS = {
    "id": "id", "volume_id": "volume_id", "instance_uuid": "instance_uuid",
    "attached_host": "attached_host", "mountpoint": "mountpoint",
    "attach_time": "attached_at", "detach_time": "detached_at",
    "attach_status": "attach_status", "attach_mode": "attach_mode",
    "connection_info": "connection_info", "connector": "connector",
    "created_at": "created_at", "updated_at": "updated_at",
}
DEFAULT_SORT_KEYS = ("created_at", "id")
# oslo's bool_from_string spellings (compared lower-cased).
TRUE_STRINGS = ("1", "t", "true", "on", "y", "yes")
FALSE_STRINGS = ("0", "f", "false", "off", "n", "no")


def bool_param(params: Mapping[str, str], name: str) -> bool:
    """Cinder's utils.get_bool_param: absent is False, else a strict boolean string."""
    raw = params.get(name)
    if raw is None:
        return False
    if raw.strip().lower() not in TRUE_STRINGS + FALSE_STRINGS:
        raise BadRequest(f"Value '{raw}' for '{name}' is not a boolean.")
    return raw.strip().lower() in TRUE_STRINGS


_PAGING_KEYS = ("limit", "marker", "offset", "sort", "sort_key", "sort_dir")


@dataclass(slots=True)
class ListQuery:
    """A validated list request: what to match, in which order, which page."""

    filters: dict[str, str] = field(default_factory=dict)
    sort_keys: list[str] = field(default_factory=lambda: list(DEFAULT_SORT_KEYS))
    sort_dirs: list[str] = field(default_factory=lambda: ["desc", "desc"])
    marker: str | None = None
    limit: int = MAX_LIMIT
    offset: int = 0
    all_tenants: bool = False
    # A filter Cinder's database layer cannot apply makes the whole list empty.
    matches_nothing: bool = False

    @property
    def default_order(self) -> bool:
        return self.sort_keys == list(DEFAULT_SORT_KEYS) and self.sort_dirs == ["desc", "desc"]


def _sort_params(params: dict[str, str]) -> tuple[list[str], list[str]]:
    if "sort" in params and ("sort_key" in params or "sort_dir" in params):
        raise BadRequest("The 'sort_key' and 'sort_dir' parameters are deprecated and "
                         "cannot be used with the 'sort' parameter.")
    keys: list[str] = []
    dirs: list[str] = []
    if "sort" in params:
        for item in params.pop("sort").strip().split(","):
            key, _sep, direction = item.partition(":")
            keys.append(key.strip())
            dirs.append((direction or "desc").strip())
    else:
        keys.append(params.pop("sort_key", "created_at").strip())
        dirs.append(params.pop("sort_dir", "desc").strip())
    return keys, dirs


def _limit(params: dict[str, str]) -> int:
    raw = params.pop("limit", None)
    if raw is None:
        return MAX_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise BadRequest("limit param must be an integer") from None
    if limit < 0:
        raise BadRequest("limit param must be positive")
    return min(limit, MAX_LIMIT)


def _offset(params: dict[str, str]) -> int:
    raw = params.pop("offset", "0")
    try:
        offset = int(str(raw))
    except ValueError:
        raise BadRequest("offset must be an integer") from None
    if offset < 0:
        raise BadRequest("offset must be >= 0")
    if offset > DB_MAX_INT:
        raise BadRequest(f"offset must be <= {DB_MAX_INT}")
    return offset


def _complete_sort(keys: list[str], dirs: list[str]) -> tuple[list[str], list[str]]:
    """Cinder's process_sort_params: validate directions, append created_at and id."""
    for direction in dirs:
        if direction not in ("asc", "desc"):
            raise InvalidInput("Unknown sort direction, must be 'desc' or 'asc'.")
    default_dir = dirs[0] if dirs else "desc"
    keys, dirs = list(keys), list(dirs)
    for key in DEFAULT_SORT_KEYS:
        if key not in keys:
            keys.append(key)
            dirs.append(default_dir)
    return keys, dirs


def parse_list_query(params: Mapping[str, str], caller: Caller, strict_filters: bool,
                     allowed_filters: frozenset[str] = ALLOWED_FILTERS,
                     columns: Mapping[str, str] = MODEL_COLUMNS,
                     bool_all_tenants: bool = False) -> ListQuery:
    """Validate a list query string the way Cinder does (attachments by default).

    ``strict_filters`` is microversion 3.31 or later: non-admins get a 400 for
    unknown filters instead of having them dropped. ``allowed_filters`` are the
    resource's non-admin filters (resource_filters.json); ``columns`` maps the
    resource's database columns to the fake's attribute names. With
    ``bool_all_tenants`` (volumes) all_tenants is read as a boolean, else its
    presence counts (attachments).
    """
    params = dict(params)
    sort_keys, sort_dirs = _sort_params(params)
    limit = _limit(params)
    marker = params.pop("marker", None)
    offset = _offset(params)

    filters = {k: v for k, v in params.items() if k not in _PAGING_KEYS}
    if strict_filters and not all(key.isascii() for key in filters):
        # Cinder's reject_invalid_filters checks this first, for admins too.
        raise BadRequest("Filter keys can only contain ASCII characters.")
    if not caller.is_admin:
        unknown = [k for k in filters if k not in allowed_filters]
        if strict_filters:
            # cinderclient always sends all_tenants, so Cinder lets it pass silently.
            reported = [k for k in unknown if k != "all_tenants"]
            if reported:
                raise BadRequest(
                    f"Invalid filters {','.join(reported)} are found in query options.")
        for key in unknown:
            del filters[key]
    if filters.get("instance_id") and "instance_uuid" in columns:
        filters["instance_uuid"] = filters.pop("instance_id")
    all_tenants = caller.is_admin and "all_tenants" in filters
    if all_tenants and bool_all_tenants:
        # A false value stays a (non-column) filter.
        all_tenants = bool_param(filters, "all_tenants")
    if all_tenants:
        del filters["all_tenants"]

    sort_keys, sort_dirs = _complete_sort(sort_keys, sort_dirs)
    query = ListQuery(filters=filters, sort_keys=sort_keys, sort_dirs=sort_dirs,
                      marker=marker, limit=limit, offset=offset, all_tenants=all_tenants)
    query.matches_nothing = any(key not in columns for key in filters)
    return query


def check_sort_keys(query: ListQuery, columns: Mapping[str, str] = MODEL_COLUMNS) -> None:
    """Cinder checks sort keys last, when it builds the database query."""
    for key in query.sort_keys:
        if key not in columns:
            raise InvalidInput("Invalid sort key")


# -- sorting and markers ----------------------------------------------------------------------
Row = TypeVar("Row")
# Columns of the DateTime type in Cinder's models; a NULL one compares as 1900-01-01.
DATETIME_COLUMNS = frozenset({"created_at", "updated_at", "deleted_at", "attach_time",
                              "detach_time", "launched_at", "terminated_at", "scheduled_at"})
NULL_DATETIME = "1900-01-01T00:00:00.000000"  # the fake's timestamp format


def _column_value(value: Any) -> Any:
    """What the database holds: JSON columns (connector, connection_info) are text."""
    return json.dumps(value) if isinstance(value, dict | list) else value


def _null_default(column: str, other: Any) -> Any:
    """paginate_query's stand-in for a NULL in a marker comparison: the column type's
    default (1900-01-01 for dates, 0 for numbers, False for booleans, '' for text)."""
    if column in DATETIME_COLUMNS:
        return NULL_DATETIME
    if isinstance(other, bool):
        return False
    return 0 if isinstance(other, int | float) else ""


def _order_value(value: Any) -> tuple[bool, Any]:
    # ORDER BY puts NULLs first ascending and last descending (MySQL, Cinder's database).
    return (value is not None, "" if value is None else _column_value(value))


def _order_key(attribute: str) -> Callable[[Any], tuple[bool, Any]]:
    def order_key(row: Any) -> tuple[bool, Any]:
        return _order_value(getattr(row, attribute))
    return order_key


def _after(row_values: list[Any], marker_values: list[Any], columns: list[str],
           descending: list[bool]) -> bool:
    """paginate_query's marker criteria: (k1 > m1) or (k1 == m1 and k2 > m2) or ...,
    ``<`` for descending keys, each NULL compared as its column's default."""
    for value, marked, column, desc in zip(row_values, marker_values, columns, descending,
                                          strict=True):
        if value is None:
            value = _null_default(column, marked)
        if marked is None:
            marked = _null_default(column, value)
        if value != marked:
            return bool(value < marked) if desc else bool(value > marked)
    return False


def sorted_after(rows: Iterable[Row], query: ListQuery, columns: Mapping[str, str],
                 marker: Row | None = None) -> list[Row]:
    """``rows`` in the query's order (per-key directions), and with a ``marker`` only
    those after it, by its values (the marker row itself need not be among them)."""
    keys = list(zip(query.sort_keys, query.sort_dirs, strict=True))
    attributes = [columns[key] for key, _direction in keys]
    result = list(rows)
    # A stable sort per key, least significant first, gives the mixed directions.
    for attribute, (_key, direction) in reversed(list(zip(attributes, keys, strict=True))):
        result.sort(key=_order_key(attribute), reverse=direction == "desc")
    if marker is None:
        return result
    column_names = [key for key, _direction in keys]
    descending = [direction == "desc" for _key, direction in keys]

    def values(row: Row) -> list[Any]:
        return [None if (v := getattr(row, name)) is None else _column_value(v)
                for name in attributes]

    marked = values(marker)
    return [row for row in result
            if _after(values(row), marked, column_names, descending)]
