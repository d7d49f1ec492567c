"""What a user adds to ``fake.app``: a blueprint (a stub of a neighbouring service, with an
error handler), a before_request hook and a WSGI middleware.

``test_flask_app.py`` applies ``extend`` on every entry point: in process, and as
``fake-cinder serve --app-hook flask_extension:extend`` (this file copied beside it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, Flask, jsonify, request

neighbour = Blueprint("neighbour", __name__, url_prefix="/neighbour")


@neighbour.route("/images/<image_id>", operation="glance_image_show")
def image(image_id: str) -> Any:
    return jsonify(image={"id": image_id, "status": "active"})


@neighbour.route("/missing")
def missing() -> Any:
    raise LookupError("no such thing")


@neighbour.errorhandler(LookupError)
def not_found(error: LookupError) -> Any:
    return jsonify(error=str(error)), 404


class Stamp:
    """WSGI middleware: every response says it went through it."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        def stamped(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, ("X-Stamp", "middleware")], exc_info)

        return self.app(environ, stamped)


def refuse_blocked() -> Any:
    """A custom header check in front of every URL, the fake's too."""
    if request.headers.get("X-Block") == "yes":
        return jsonify(blocked=request.path), 418
    return None


def extend(app: Flask) -> None:
    app.register_blueprint(neighbour)
    app.before_request(refuse_blocked)
    app.wsgi_app = Stamp(app.wsgi_app)  # type: ignore[method-assign]
