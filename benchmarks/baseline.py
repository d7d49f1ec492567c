"""The baseline: a bare Flask route that answers the same JSON as the fake.

It pays what any Flask JSON endpoint pays (routing, the request context, reading
and parsing the body, ``json.dumps`` of the payload, building the response) and
nothing of the fake's own work. It serves the fake's URLs (same path parameters,
so the same routing work) and each payload is what the fake really answered for
the operation being compared, so both sides send JSON of the same size.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, request
from werkzeug.wrappers import Response

JSON = "application/json"


def create_bare_app(payloads: dict[str, Any]) -> Flask:
    """Routes shaped like the fake's; ``payloads`` (by operation) may change later."""
    app = Flask("bare_baseline")

    def answer(name: str, status: int = 200) -> Response:
        return Response(json.dumps(payloads[name]), status=status, content_type=JSON)

    @app.get("/v3/<project_id>/attachments")
    def index(project_id: str) -> Response:
        request.args.to_dict()
        return answer("list")

    @app.get("/v3/<project_id>/attachments/<attachment_id>")
    def show(project_id: str, attachment_id: str) -> Response:
        return answer("show")

    @app.post("/v3/<project_id>/attachments")
    def create(project_id: str) -> Response:
        json.loads(request.get_data())
        return answer("create")

    @app.put("/v3/<project_id>/attachments/<attachment_id>")
    def update(project_id: str, attachment_id: str) -> Response:
        json.loads(request.get_data())
        return answer("update")

    @app.post("/v3/<project_id>/attachments/<attachment_id>/action")
    def action(project_id: str, attachment_id: str) -> Response:
        json.loads(request.get_data())
        return Response(b"", status=204, content_type=JSON)

    @app.delete("/v3/<project_id>/attachments/<attachment_id>")
    def delete(project_id: str, attachment_id: str) -> Response:
        return answer("delete")

    return app
