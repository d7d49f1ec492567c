"""HTTP handlers of volume transfers: the ``os-volume-transfer`` extension and v3's
``volume-transfers`` (create, list, detail, show, accept, delete).

Both serve every microversion. Their views add ``no_snapshots`` from 3.55 and the
history (``accepted``, ``source_project_id``, ``destination_project_id``) from 3.57;
only ``volume-transfers`` takes ``no_snapshots`` (3.55), encrypted volumes (3.70) and
paging and sorting parameters (3.59). Before 3.59, and always on
``os-volume-transfer``, Cinder passes every query parameter to its database as a
filter, so ``limit`` or ``marker`` there match nothing; ``offset`` and ``limit`` then
slice the (empty) page once more, as Cinder's ``common.limited`` does.
"""

from __future__ import annotations

from typing import Any

from ..core import transfers as core
from ..core.errors import BadRequest
from ..core.listing import MAX_LIMIT, TRUE_STRINGS, ListQuery, parse_list_query
from ..core.models import Transfer
from . import microversions as mv
from .routing import ApiRequest, Handler, Operation, Router
from .views import bare_accepted, links, next_link

Result = tuple[int, Any]
TRANSFER_WITH_SNAPSHOTS = mv.APIVersion(3, 55)
TRANSFER_WITH_HISTORY = mv.APIVersion(3, 57)
TRANSFER_PAGINATION = mv.APIVersion(3, 59)
TRANSFER_ENCRYPTED_VOLUME = mv.APIVersion(3, 70)
COLLECTION = "os-volume-transfer"  # Cinder's links name it for both routes


def _links(req: ApiRequest, transfer: Transfer) -> list[dict[str, str]]:
    return links(req.base_url, req.url_project_id, COLLECTION, transfer.id)


def summary(req: ApiRequest, transfer: Transfer) -> dict[str, Any]:
    return {"id": transfer.id, "volume_id": transfer.volume_id, "name": transfer.name,
            "links": _links(req, transfer)}


def detail(req: ApiRequest, transfer: Transfer, auth_key: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {"id": transfer.id, "created_at": transfer.created_at,
                            "name": transfer.name, "volume_id": transfer.volume_id}
    if auth_key is not None:
        view["auth_key"] = auth_key
    view["links"] = _links(req, transfer)
    if req.version >= TRANSFER_WITH_SNAPSHOTS:
        view["no_snapshots"] = transfer.no_snapshots
    if req.version >= TRANSFER_WITH_HISTORY:
        view.update(destination_project_id=transfer.destination_project_id,
                    source_project_id=transfer.source_project_id, accepted=transfer.accepted)
    return view


def _name(raw: str | None) -> str | None:
    """Cinder's name_skip_leading_trailing_spaces format, inside a oneOf with null."""
    if raw is None:
        return None
    name = raw.strip()
    if not name or len(name) > 255:
        raise BadRequest(f"Invalid input for field/attribute name. Value: {raw}. {raw!r} is "
                         "not valid under any of the given schemas")
    return name


def _create(req: ApiRequest, v3: bool) -> Result:
    body = req.body["transfer"]
    no_snapshots = str(body.get("no_snapshots", False)).lower() in TRUE_STRINGS
    transfer, auth_key = core.create_transfer(
        req.fake.store, req.caller, body["volume_id"], _name(body.get("name")),
        no_snapshots=no_snapshots,
        allow_encrypted=v3 and req.version >= TRANSFER_ENCRYPTED_VOLUME)
    return 202, {"transfer": detail(req, transfer, auth_key)}


def _query(req: ApiRequest, paginated: bool) -> ListQuery:
    """The database query Cinder builds (see the module's docstring)."""
    params = dict(req.args)
    all_tenants = params.pop("all_tenants", "false").strip().lower() in TRUE_STRINGS
    if "name" in params:
        params["display_name"] = params.pop("name")
    if paginated:
        # No filter is refused or dropped: any that is no column matches nothing.
        query = parse_list_query(params, req.caller, strict_filters=False,
                                 allowed_filters=frozenset(params), columns=core.MODEL_COLUMNS)
    else:
        query = ListQuery(filters=params, sort_keys=["created_at", "id"],
                          sort_dirs=["asc", "asc"])
    query.all_tenants = all_tenants and req.caller.is_admin
    return query


def _list(req: ApiRequest, show_detail: bool, paginated: bool) -> Result:
    query = _query(req, paginated)
    # Cinder's common.limited: the request's offset and limit, checked and applied again.
    page = parse_list_query({k: v for k, v in req.args.items() if k in ("limit", "offset")},
                            req.caller, strict_filters=False)
    transfers = core.list_transfers(req.fake.store, req.caller, query)
    count = len(transfers)
    transfers = transfers[page.offset:page.offset + (page.limit or MAX_LIMIT)]
    body: dict[str, Any] = {"transfers": [detail(req, t) if show_detail else summary(req, t)
                                          for t in transfers]}
    if transfers and page.limit <= count:
        body["transfers_links"] = next_link(req, COLLECTION, transfers[-1].id)
    return 200, body


def transfer_show(req: ApiRequest) -> Result:
    transfer = core.get_transfer(req.fake.store, req.caller, req.params["transfer_id"])
    return 200, {"transfer": detail(req, transfer)}


def transfer_accept(req: ApiRequest) -> Result:
    transfer, _volume = core.accept_transfer(req.fake.store, req.caller,
                                             req.params["transfer_id"],
                                             req.body["accept"]["auth_key"])
    return 202, {"transfer": summary(req, transfer)}


def transfer_delete(req: ApiRequest) -> Result:
    core.delete_transfer(req.fake.store, req.caller, req.params["transfer_id"])
    return 202, bare_accepted()


# One function per operation where the two URLs differ: os-volume-transfer (transfer_*) and,
# from 3.55, volume-transfers (volume_transfer_*), which adds paging and encrypted volumes.
# Show, accept and delete are the same under both.
def transfer_create(req: ApiRequest) -> Result:
    return _create(req, v3=False)


def volume_transfer_create(req: ApiRequest) -> Result:
    return _create(req, v3=True)


def transfer_list(req: ApiRequest) -> Result:
    return _list(req, show_detail=False, paginated=False)


def volume_transfer_list(req: ApiRequest) -> Result:
    return _list(req, show_detail=False, paginated=req.version >= TRANSFER_PAGINATION)


def transfer_list_detail(req: ApiRequest) -> Result:
    return _list(req, show_detail=True, paginated=False)


def volume_transfer_list_detail(req: ApiRequest) -> Result:
    return _list(req, show_detail=True, paginated=req.version >= TRANSFER_PAGINATION)


def _register(router: Router, collection: str, prefix: str,
              create: Handler, list_: Handler, list_detail: Handler) -> None:
    def op(name: str, handler: Handler, *policies: str, body: bool = False) -> Operation:
        return Operation(f"{prefix}_{name}", handler, validates_body=body, policies=policies)

    # The volume is read as Cinder's transfer API does (Volume.get_by_id: no volume:get).
    router.add("POST", collection, op("create", create, "volume:create_transfer", body=True))
    router.add("GET", collection, op("list", list_, "volume:get_all_transfers"))
    router.add("GET", f"{collection}/detail",
               op("list_detail", list_detail, "volume:get_all_transfers"))
    router.add("GET", f"{collection}/<transfer_id>",
               op("show", transfer_show, "volume:get_transfer"))
    router.add("POST", f"{collection}/<transfer_id>/accept",
               op("accept", transfer_accept, "volume:accept_transfer", body=True))
    router.add("DELETE", f"{collection}/<transfer_id>",
               op("delete", transfer_delete, "volume:delete_transfer"))


def register(router: Router) -> None:
    _register(router, "os-volume-transfer", "transfer",
              transfer_create, transfer_list, transfer_list_detail)
    _register(router, "volume-transfers", "volume_transfer",
              volume_transfer_create, volume_transfer_list, volume_transfer_list_detail)
