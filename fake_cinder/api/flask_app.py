"""``fake.app``: a Flask app that serves the fake, and whatever a user adds to it.

``FakeFlask`` is a real Flask app: routes, blueprints, ``before_request``/
``after_request``/``teardown_request`` hooks, error handlers, signals and WSGI
middleware on ``app.wsgi_app`` work as in any Flask app, on every entry point (the
test clients, ``fake.serve()``, the plugin's server, ``fake-cinder serve``: each
serves the app).

The URLs the fake serves keep its own pipeline (``app.respond``) and Cinder's answers:

- while the app has no routes and no request hooks of a user's, a request goes
  straight to the pipeline (``FakeWsgi``), without Flask's request handling, which
  would cost as much as the fake's own work;
- with some, every request goes through Flask's: the app's routes are matched first;
  a URL none of them has (or has for another method, when the fake's has it) is
  the fake's, answered by its pipeline as the "view". Hooks run around both, as
  in any Flask app; error handlers see the errors of the app's routes and hooks (the
  fake's own answers are already Cinder's responses).

Every request is journaled, a user's route too: with ``operation`` None, or the name
given with ``@app.route(rule, operation="glance_image_show")``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, request
from flask import Request as FlaskRequest
from flask import Response as FlaskResponse
from flask.ctx import RequestContext
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Rule

from ..core.operations import check_operation
from . import microversions as mv
from .app import OPERATIONS, ROUTER, FakeWsgi, match, new_request_id, respond
from .fault_injection import check_targets
from .journaling import after_response
from .request_record import RequestRecord
from .validation import SchemaRegistry, schema_registry

if TYPE_CHECKING:
    from ..fake import FakeCinder

# Where each API operation's injected faults can be aimed.
_TARGETS = {op.name: op.fault_targets for route in ROUTER.routes for op in route.operations}


class UserRule(Rule):
    """A rule of a user's route: ``operation`` names it in the journal (or None)."""

    def __init__(self, string: str, *, operation: str | None = None, **options: Any) -> None:
        super().__init__(string, **options)
        self.operation = operation

    def get_empty_kwargs(self) -> Any:  # Rule.empty() copies a rule with these
        return {**super().get_empty_kwargs(), "operation": self.operation}


class AppRequest(FlaskRequest):
    """Flask's request, with the fake's record; its body limit can be set per request
    (as Flask 3.1's can; the pipeline sets Cinder's)."""

    record: RequestRecord
    _body_limit: int | None = None

    @property  # type: ignore[override]
    def max_content_length(self) -> int | None:
        if self._body_limit is not None:
            return self._body_limit
        return FlaskRequest.max_content_length.fget(self)  # type: ignore[attr-defined,no-any-return]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._body_limit = value


class FakeFlask(Flask):
    """A Flask app serving one fake (``app.fake``; also ``extensions["fake_cinder"]``)."""

    request_class = AppRequest
    url_rule_class = UserRule  # type: ignore[assignment]  # it takes operation= too
    # The names of the fake's API operations (what faults and the journal take).
    operations = OPERATIONS

    def __init__(self, fake: FakeCinder, max_version: str = str(mv.MAX_VERSION)) -> None:
        super().__init__("fake_cinder", static_folder=None)
        self.fake = fake
        self.extensions["fake_cinder"] = fake
        self.pipeline = FakeWsgi(fake)  # the fake's URLs without Flask
        self.max_version = mv.APIVersion.parse(max_version)
        if not mv.MIN_VERSION <= self.max_version <= mv.MAX_VERSION:
            raise ValueError(f"max_version must be between {mv.MIN_VERSION} and "
                             f"{mv.MAX_VERSION}, not {max_version}")
        self.schemas: SchemaRegistry = schema_registry()
        self._has_routes = False

    # -- serving ----------------------------------------------------------------------------
    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        """Straight to the fake's pipeline while Flask would add nothing to it."""
        if self._uses_flask():
            return super().wsgi_app(environ, start_response)  # type: ignore[arg-type]
        return self.pipeline(environ, start_response)

    def _uses_flask(self) -> bool:
        """Whether a user has added routes or request hooks (checked per request: hooks
        are lists anyone can append to)."""
        return (self._has_routes or any(self.before_request_funcs.values())
                or any(self.after_request_funcs.values())
                or any(self.teardown_request_funcs.values())
                or any(self.url_value_preprocessors.values())
                or bool(self.teardown_appcontext_funcs))

    def request_context(self, environ: dict[str, Any]) -> RequestContext:
        context = super().request_context(environ)  # type: ignore[arg-type]
        context.request.record = RequestRecord(  # type: ignore[attr-defined]
            self.fake, new_request_id())
        return context

    def dispatch_request(self) -> Any:
        """A user's route if one matched; else the fake's answer."""
        req: AppRequest = request._get_current_object()  # type: ignore[attr-defined]
        if self._fake_serves(req):
            return respond(self.fake, req, req.record)
        return super().dispatch_request()

    @staticmethod
    def _fake_serves(req: AppRequest) -> bool:
        missed = req.routing_exception
        if isinstance(missed, NotFound):
            return True
        if isinstance(missed, MethodNotAllowed):  # a user's URL; is it the fake's too?
            try:
                match(req.path, req.method)
            except HTTPException:  # not found, another method, a redirect: not the fake's
                return False
            return True
        return False

    def process_response(self, response: FlaskResponse) -> FlaskResponse:
        """After the app's after_request hooks: the fake's response hooks and journal."""
        response = super().process_response(response)
        req: AppRequest = request._get_current_object()  # type: ignore[attr-defined]
        record = req.record
        if isinstance(req.url_rule, UserRule):
            record.operation = req.url_rule.operation
        after_response(self.fake, req, response, record)
        return response

    # -- a user's routes ----------------------------------------------------------------------
    def add_url_rule(self, rule: str, endpoint: str | None = None,
                     view_func: Callable[..., Any] | None = None,
                     provide_automatic_options: bool | None = None, **options: Any) -> None:
        """Flask's, plus ``operation=``: the route's name in the journal."""
        operation = options.get("operation")
        if operation is not None:
            if not isinstance(operation, str) or not operation:
                raise TypeError(f"operation must be a name, not {operation!r}")
            if operation in OPERATIONS:
                raise ValueError(f"{operation!r} is the name of one of the fake's own "
                                 "operations: give the route a name of its own")
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options,
                             **options)
        self._has_routes = True
        if operation is not None:  # the journal's readers may name it now
            journal = self.fake.journal
            journal.known_operations = (journal.known_operations or frozenset()) | {operation}

    # -- what the facade asks of the HTTP layer -----------------------------------------------
    def check_fault(self, operation: str, options: dict[str, Any]) -> None:
        """Refuse a fault no call could match: an unknown operation, or a target its
        calls never have."""
        check_operation(operation, OPERATIONS)
        targets = _TARGETS[operation]
        assert targets is not None
        check_targets(operation, targets, options)


def create_app(fake: FakeCinder, max_version: str = str(mv.MAX_VERSION)) -> FakeFlask:
    """The app factory: the Flask app serving ``fake``."""
    return FakeFlask(fake, max_version)
