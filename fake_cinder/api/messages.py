"""HTTP handlers of the user messages API (3.3): list, show, delete."""

from __future__ import annotations

from typing import Any

from ..core import messages as core
from ..core.listing import parse_list_query
from ..core.models import Message
from . import microversions as mv
from .routing import ApiRequest, Operation, Router
from .views import bare_response, links, next_link

Result = tuple[int, Any]
MESSAGES = mv.APIVersion(3, 3)
MESSAGES_PAGINATION = mv.APIVersion(3, 5)


def message_view(req: ApiRequest, message: Message) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": message.id, "event_id": message.event_id,
        "user_message": core.user_message(message), "message_level": message.message_level,
        "created_at": message.created_at, "guaranteed_until": message.expires_at,
        "request_id": message.request_id,
        "links": links(req.base_url, req.url_project_id, "messages", message.id)}
    if message.resource_type:
        view["resource_type"] = message.resource_type
    if message.resource_uuid:
        view["resource_uuid"] = message.resource_uuid
    return view


def message_list(req: ApiRequest) -> Result:
    query = None
    if req.version >= MESSAGES_PAGINATION:
        strict = req.version >= mv.STRICT_FILTERS
        # Before 3.31 Cinder drops no filter: one that is no column matches nothing.
        query = parse_list_query(req.args, req.caller, strict_filters=strict,
                                 allowed_filters=core.ALLOWED_FILTERS if strict
                                 else frozenset(req.args),
                                 columns=core.MODEL_COLUMNS)
    messages = core.list_messages(req.fake.store, req.caller, query)
    body: dict[str, Any] = {"messages": [message_view(req, m) for m in messages]}
    # Cinder's next link reads the request's limit at every version (a bad one is a 400).
    limit = parse_list_query({k: v for k, v in req.args.items() if k == "limit"}, req.caller,
                             strict_filters=False).limit
    if messages and limit <= len(messages):
        body["messages_links"] = next_link(req, "messages", messages[-1].id)
    return 200, body


def message_show(req: ApiRequest) -> Result:
    message = core.get_message(req.fake.store, req.caller, req.params["message_id"])
    return 200, {"message": message_view(req, message)}


def message_delete(req: ApiRequest) -> Result:
    core.delete_message(req.fake.store, req.caller, req.params["message_id"])
    return 204, bare_response(204)


def register(router: Router) -> None:
    router.add("GET", "messages", Operation("message_list", message_list, min_version=MESSAGES,
                                            policies=("message:get_all",)))
    router.add("GET", "messages/<message_id>", Operation("message_show", message_show,
                                                         min_version=MESSAGES,
                                                         policies=("message:get",)))
    router.add("DELETE", "messages/<message_id>", Operation("message_delete", message_delete,
                                                            min_version=MESSAGES,
                                                            policies=("message:delete",)))
