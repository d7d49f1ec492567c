"""Cinder's list parameters for attachments: paging, sorting and filters.

The checks run in Cinder's order, so the first problem reported is the one
real Cinder reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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
