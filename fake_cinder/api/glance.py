"""A minimal Glance v2 under /image: versions, the image schemas, images (create, list,
show, JSON-patch update, delete, deactivate and reactivate) and their data (upload,
download).

Enough for glanceclient (what Cinder and Nova use), openstacksdk and the openstack CLI.
The rules are core/images.py's; errors are Glance's WebOb bodies with its statuses.
A request with no identity at all is served as a Glance without authentication serves
it (an admin context): that is how a Cinder with ``auth_strategy = noauth`` calls it.
"""

from __future__ import annotations

import functools
import html
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MIMEAccept
from werkzeug.wrappers import Response

from ..core import images as core
from ..core.context import Caller
from ..core.models import Image
from .caller import caller_from_headers, wsgi_identity_headers
from .openapi import RouteDoc, documented
from .routing import Router, WebRequest
from .validation import SchemaRegistry

JSON = "application/json"
PREFIX = "/image"
ERRORS = "webob_fault.response"
IMAGE = "glance_image_show.response"
# The upload body limit: one image's data (the rest of the fake keeps Cinder's limit).
MAX_UPLOAD_BODY = core.MAX_IMAGE_BYTES
PATCH_TYPES = {"application/openstack-images-v2.0-json-patch": 4,
               "application/openstack-images-v2.1-json-patch": 10}
CURRENT_VERSION = 17  # Glance 2025.1's v2.17
_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           409: "Conflict", 413: "Request Entity Too Large", 415: "Unsupported Media Type"}


def is_image_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, content_type=JSON)


def error_response(status: int, message: str, headers: dict[str, str] | None = None,
                   accept: MIMEAccept | None = None) -> Response:
    """Glance's webob.exc error as WebOb renders it: JSON for a client that prefers it,
    else its HTML page (glanceclient sends no Accept and parses the page)."""
    title = _TITLES.get(status, "Error")
    if accept is not None and accept.best_match(["text/html", JSON]) == JSON:
        return _json({"code": f"{status} {title}", "title": title,
                      "message": f"{message}<br /><br />\n\n\n"}, status, headers)
    line = f"{status} {title}"
    page = (f"<html>\n <head>\n  <title>{line}</title>\n </head>\n <body>\n  <h1>{line}</h1>\n"
            f"  {html.escape(message, quote=False)}<br /><br />\n\n\n </body>\n</html>")
    return Response(page, status=status, headers=headers, content_type="text/html; charset=UTF-8")


View = Callable[[WebRequest], Response]


def _answers_errors(view: View) -> View:
    """Glance's errors become its bodies (the rest of the pipeline knows only Cinder's)."""

    @functools.wraps(view)
    def wrapped(req: WebRequest) -> Response:
        try:
            return view(req)
        except core.ImageError as error:
            return error_response(error.status, error.message,
                                  accept=_accepted(req))

    return wrapped


def _accepted(req: WebRequest) -> MIMEAccept | None:
    """The client's Accept header, None without one (WebOb then offers HTML first)."""
    return req.http.accept_mimetypes if "Accept" in req.http.headers else None


def _caller(req: WebRequest) -> Caller | None:
    return caller_from_headers(wsgi_identity_headers(req.http.environ), req.fake.resolve_token)


# -- documents ------------------------------------------------------------------------------------
def _versions(base_url: str) -> dict[str, Any]:
    href = f"{base_url}{PREFIX}/v2/"
    return {"versions": [
        {"id": f"v2.{minor}", "status": "CURRENT" if minor == CURRENT_VERSION else "SUPPORTED",
         "links": [{"rel": "self", "href": href}]}
        for minor in range(CURRENT_VERSION, -1, -1)]}


@documented(RouteDoc("glance_versions", "Glance: API versions (300 Multiple Choices)", 300))
def glance_versions(req: WebRequest) -> Response:
    return _json(_versions(req.base_url), 300)


@documented(RouteDoc("glance_versions_list", "Glance: API versions", response="glance_versions"
                     ".response"))
def glance_versions_list(req: WebRequest) -> Response:
    return _json(_versions(req.base_url))


def image_schema(schemas: SchemaRegistry) -> dict[str, Any]:
    """Glance's image schema: the create request's schema file, as Glance serves it."""
    schema = schemas.by_name["glance_image_create.request"].schema
    return {k: v for k, v in schema.items()
            if not k.startswith("x-") and k not in ("$schema", "title", "description")}


@documented(RouteDoc("glance_schema_show", "Glance: the image schema"))
def glance_schema_show(req: WebRequest) -> Response:
    return _json(image_schema(req.fake.schemas))


@documented(RouteDoc("glance_schema_images", "Glance: the image list's schema",
                     response="glance_schema_show.response"))
def glance_schema_images(req: WebRequest) -> Response:
    return _json({"name": "images",
                  "properties": {"images": {"type": "array", "items": image_schema(
                      req.fake.schemas)}, "schema": {"type": "string"},
                                 "first": {"type": "string"}, "next": {"type": "string"}},
                  "links": [{"rel": "first", "href": "{first}"},
                            {"rel": "next", "href": "{next}"},
                            {"rel": "describedby", "href": "{schema}"}]})


def image_view(image: Image) -> dict[str, Any]:
    """Glance's image document: custom properties, then the base ones and links."""
    view: dict[str, Any] = dict(image.properties)
    view.update({
        "name": image.name, "disk_format": image.disk_format,
        "container_format": image.container_format, "visibility": image.visibility,
        "size": image.size, "virtual_size": image.virtual_size, "status": image.status,
        "checksum": image.checksum, "protected": image.protected, "min_ram": image.min_ram,
        "min_disk": image.min_disk, "owner": image.owner, "os_hidden": image.os_hidden,
        "os_hash_algo": image.os_hash_algo, "os_hash_value": image.os_hash_value,
        "id": image.id, "created_at": image.created_at, "updated_at": image.updated_at,
        "tags": list(image.tags), "self": f"/v2/images/{image.id}",
        "file": f"/v2/images/{image.id}/file", "schema": "/v2/schemas/image"})
    return view


# -- images ---------------------------------------------------------------------------------------
def _schema_check(req: WebRequest, body: Any) -> None:
    """Glance's schema validation, with its message."""
    entry = req.fake.schemas.by_name["glance_image_create.request"]
    error = next(iter(entry.validator.iter_errors(body)), None)
    if error is not None:
        raise core.ImageError(400, f"Provided object does not match schema 'image': "
                                   f"{error.message}")


def _body(req: WebRequest) -> Any:
    raw = req.http.get_data()
    if not raw:
        raise core.ImageError(400, "Body expected in request.")
    try:
        return json.loads(raw)
    except ValueError:
        raise core.ImageError(400, "Malformed JSON in request body.") from None


@documented(RouteDoc("glance_image_create", "Glance: create an image (queued)", 201,
                     errors=(400, 401, 403, 409, 413), response=IMAGE, fault=ERRORS,
                     error_pages=True))
@_answers_errors
def glance_image_create(req: WebRequest) -> Response:
    caller = _caller(req)
    body = _body(req)
    if not isinstance(body, dict):
        raise core.ImageError(400, "Provided object does not match schema 'image': "
                                   f"{json.dumps(body)} is not of type 'object'")
    core.check_create_body(body)
    _schema_check(req, body)
    image = core.create_image(req.fake.store, caller, body)
    return _json(image_view(image), 201,
                 {"Location": f"{req.base_url}{PREFIX}/v2/images/{image.id}"})


@documented(RouteDoc("glance_image_list", "Glance: list images (filters, sorting, paging)",
                     errors=(400, 401, 413), fault=ERRORS, error_pages=True))
@_answers_errors
def glance_image_list(req: WebRequest) -> Response:
    caller = _caller(req)
    params = list(req.http.args.items(multi=True))
    query = core.parse_list_query(params)
    images = core.list_images(req.fake.store, caller, query)
    kept = [(k, v) for k, v in params if k != "marker"]
    body: dict[str, Any] = {"images": [image_view(i) for i in images],
                            "schema": "/v2/schemas/images",
                            "first": "/v2/images" + (f"?{urlencode(kept)}" if kept else "")}
    if images and len(images) == query.limit:
        body["next"] = "/v2/images?" + urlencode([*kept, ("marker", images[-1].id)])
    return _json(body)


@documented(RouteDoc("glance_image_get", "Glance: show an image", errors=(401, 404, 413),
                     response=IMAGE, fault=ERRORS, error_pages=True))
@_answers_errors
def glance_image_get(req: WebRequest) -> Response:
    image = core.get_image(req.fake.store, _caller(req), req.params["image_id"])
    return _json(image_view(image))


@documented(RouteDoc("glance_image_update", "Glance: update an image (JSON patch: "
                     "application/openstack-images-v2.1-json-patch)",
                     errors=(400, 401, 403, 404, 409, 413, 415), response=IMAGE,
                     fault=ERRORS, error_pages=True))
@_answers_errors
def glance_image_update(req: WebRequest) -> Response:
    caller = _caller(req)
    draft = PATCH_TYPES.get(req.http.mimetype)
    if draft is None:
        allowed = ", ".join(sorted(PATCH_TYPES))
        return error_response(
            415, f"Image PATCH expects Content-Type one of: {allowed}",
            {"Accept-Patch": allowed}, _accepted(req))
    changes = core.parse_changes(_body(req), draft)

    def validate(view: dict[str, Any]) -> None:
        _schema_check(req, view)

    image = core.update_image(req.fake.store, caller, req.params["image_id"], changes,
                              validate)
    return _json(image_view(image))


@documented(RouteDoc("glance_image_delete", "Glance: delete an image", 204,
                     errors=(401, 403, 404, 413), fault=ERRORS, error_pages=True))
@_answers_errors
def glance_image_delete(req: WebRequest) -> Response:
    core.delete_image(req.fake.store, _caller(req), req.params["image_id"])
    return Response(status=204)


@documented(RouteDoc("glance_image_upload", "Glance: upload an image's data "
                     "(application/octet-stream; queued -> active)", 204,
                     errors=(400, 401, 403, 404, 409, 413, 415), fault=ERRORS, fuzz=False,
                     error_pages=True))
@_answers_errors
def glance_image_upload(req: WebRequest) -> Response:
    caller = _caller(req)
    if req.http.mimetype != "application/octet-stream":
        return error_response(415, "Unsupported Content-Type", accept=_accepted(req))
    store = req.fake.store
    # Refused before a byte is read when it cannot be stored (status, formats, size).
    core.check_upload(store, caller, req.params["image_id"], req.http.content_length)
    data = req.http.get_data()
    core.upload(store, caller, req.params["image_id"], data)
    return Response(status=204)


@documented(RouteDoc("glance_image_download", "Glance: download an image's data (204 "
                     "while it has none)", errors=(401, 403, 404, 413), fault=ERRORS,
                     fuzz=False, error_pages=True))
@_answers_errors
def glance_image_download(req: WebRequest) -> Response:
    data, checksum = core.download(req.fake.store, _caller(req), req.params["image_id"])
    if data is None:
        return Response(status=204)
    return Response(data, status=200, content_type="application/octet-stream",
                    headers={"Content-MD5": checksum or ""})


@documented(RouteDoc("glance_image_locations", "Glance: an image's store locations (none: "
                     "the fake keeps data in memory)", errors=(401, 404, 413), fault=ERRORS,
                     error_pages=True))
@_answers_errors
def glance_image_locations(req: WebRequest) -> Response:
    """Glance 2024.2's location list, which Cinder asks for before downloading."""
    core.get_image(req.fake.store, _caller(req), req.params["image_id"])
    return _json([])


@documented(RouteDoc("glance_image_deactivate", "Glance: deactivate an image (admins and "
                     "members of its owner; active -> deactivated)", 204,
                     errors=(401, 403, 404, 413), fault=ERRORS, error_pages=True))
@_answers_errors
def glance_image_deactivate(req: WebRequest) -> Response:
    core.change_activation(req.fake.store, _caller(req), req.params["image_id"], "deactivate")
    return Response(status=204)


@documented(RouteDoc("glance_image_reactivate", "Glance: reactivate an image (admins and "
                     "members of its owner; deactivated -> active)", 204,
                     errors=(401, 403, 404, 413), fault=ERRORS, error_pages=True))
@_answers_errors
def glance_image_reactivate(req: WebRequest) -> Response:
    core.change_activation(req.fake.store, _caller(req), req.params["image_id"], "reactivate")
    return Response(status=204)


def register(router: Router) -> None:
    router.web("GET", f"{PREFIX}/", glance_versions)
    router.web("GET", f"{PREFIX}/versions", glance_versions_list)
    router.web("GET", f"{PREFIX}/v2/schemas/image", glance_schema_show)
    router.web("GET", f"{PREFIX}/v2/schemas/images", glance_schema_images)
    router.web("POST", f"{PREFIX}/v2/images", glance_image_create)
    router.web("GET", f"{PREFIX}/v2/images", glance_image_list)
    router.web("GET", f"{PREFIX}/v2/images/<image_id>", glance_image_get)
    router.web("PATCH", f"{PREFIX}/v2/images/<image_id>", glance_image_update)
    router.web("DELETE", f"{PREFIX}/v2/images/<image_id>", glance_image_delete)
    router.web("PUT", f"{PREFIX}/v2/images/<image_id>/file", glance_image_upload)
    router.web("GET", f"{PREFIX}/v2/images/<image_id>/file", glance_image_download)
    router.web("GET", f"{PREFIX}/v2/images/<image_id>/locations", glance_image_locations)
    router.web("POST", f"{PREFIX}/v2/images/<image_id>/actions/deactivate",
               glance_image_deactivate)
    router.web("POST", f"{PREFIX}/v2/images/<image_id>/actions/reactivate",
               glance_image_reactivate)
