"""flask-smorest wired to our problem+json error shape and strict parsing, for every API face."""

from __future__ import annotations

import copy
import functools
import http
from collections.abc import Callable
from typing import Any

import flask_smorest
import marshmallow as ma
from apispec import APISpec
from flask import Request, jsonify, request
from flask.typing import ResponseReturnValue
from flask_smorest.utils import load_info_from_docstring, prepare_response
from marshmallow import RAISE, missing
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotAcceptable, UnsupportedMediaType

from almerepas.http.api_doc import (
    RESPONSE_HEADERS,
    RETRY_AFTER_STATUSES,
    access_sentence,
    with_success_headers,
)
from almerepas.http.guard import enforce
from almerepas.http.problems import PROBLEM_MIME
from almerepas.http.request_input import load_json
from almerepas.http.schemas import ProblemSchema

API_PREFIX = "/api/v1"


#: The one query key every view takes: the language of the answer (as on the pages).
GLOBAL_QUERY_KEYS = ("lang",)


class Parser(FlaskParser):
    """Invalid input is a 400 (ADR /core/error-handling/invalid-input), unknown query keys too.

    JSON bodies are read by almerepas.http.request_input.load_json: too deep, a lone surrogate or an
    unreadable number is a 400 there, before the schema sees the body.
    """

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE}

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            return missing
        return load_json(req.get_data(cache=True))

    def load_querystring(self, req: Request, schema: ma.Schema) -> Any:
        args = MultiDict(req.args)
        for key in GLOBAL_QUERY_KEYS:
            args.poplist(key)
        return self._makeproxy(args, schema)


class _NoQuery(ma.Schema):
    """The query of a view that declares no query arguments: any key is unknown."""


def _declares_query(view: Callable[..., Any]) -> bool:
    parameters = getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    return any(parameter.get("in") == "query" for parameter in parameters)


def _refusing_query_keys(view: Callable[..., Any]) -> Callable[..., Any]:
    """``view``, refusing unknown query keys as a view with query arguments does: after the
    permission check (401 and 403 come first), a 400 validation_failed naming each key."""
    permission = getattr(view, "permission", None)

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if permission is not None and (refusal := enforce(permission)) is not None:
            return refusal
        if any(key not in GLOBAL_QUERY_KEYS for key in request.args):  # none: nothing to refuse
            Blueprint.ARGUMENTS_PARSER.parse(_NoQuery(), location="query")
        return view(*args, **kwargs)

    doc = copy.deepcopy(getattr(view, "_apidoc", {}))
    doc.setdefault("response", {}).setdefault("responses", {}).setdefault(400, []).append(
        "BAD_REQUEST"
    )
    wrapper._apidoc = doc  # type: ignore[attr-defined]
    return wrapper


def _description(view: Callable[..., Any]) -> str:
    """The operation's description: the docstring after its first line, who may call it, and
    (when retired) until when."""
    parts = [load_info_from_docstring(view.__doc__ or "").get("description", "")]
    parts.append(access_sentence(view))
    retirement = getattr(view, "retirement", None)
    if retirement is not None:
        parts.append(retirement.sentence())
    return "\n\n".join(part for part in parts if part)


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    """flask-smorest's Blueprint with our parser; every view refuses unknown query keys, names
    its operation, and documents API-Version on its 2xx and 3xx responses."""

    ARGUMENTS_PARSER = Parser()

    def route(
        self, rule: str, *, operation_id: str, **options: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register a view as flask-smorest does, under a stable ``operation_id`` (lowerCamelCase,
        verb first: a generated client's method name, never derived from the Python name)."""
        register = super().route(rule, **options)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            doc = copy.deepcopy(getattr(view, "_apidoc", {}))
            manual = doc.setdefault("manual_doc", {})
            manual["operationId"] = operation_id
            manual["description"] = _description(view)
            view._apidoc = doc  # type: ignore[attr-defined]
            registered: Callable[..., Any] = register(view)
            return registered

        return decorator

    def response(
        self, status_code: int, schema: Any = None, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        kwargs["headers"] = with_success_headers(status_code, kwargs.get("headers"))
        decorator: Callable[[Callable[..., Any]], Callable[..., Any]] = super().response(
            status_code, schema, **kwargs
        )
        return decorator

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        if view_func is not None and not _declares_query(view_func):
            view_func = _refusing_query_keys(view_func)
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)


class Api(flask_smorest.Api):  # type: ignore[misc]
    """flask-smorest's Api, documenting errors as they are sent: problem+json with a code.

    A blueprint's views are documented when the spec is first read, not when it is registered:
    that is most of the cost of making an app, and most apps (the tests', a command's) never
    serve the document.
    """

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._undocumented: list[tuple[Any, str, Any]] = []
        super().__init__(*args, **kwargs)

    @property
    def spec(self) -> APISpec:
        while self._undocumented:
            blp, name, parameters = self._undocumented.pop(0)
            blp.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
            self._spec.tag({"name": name, "description": blp.description})
        return self._spec

    @spec.setter
    def spec(self, value: APISpec) -> None:
        self._spec = value

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        """As flask-smorest's, with the documentation left for the first read of ``spec``."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def _register_error_handlers(self) -> None:
        """Errors are handled by almerepas.problems, for pages and API alike."""

    def _register_responses(self) -> None:
        for name, header in RESPONSE_HEADERS.items():
            self.spec.components.header(name, header, lazy=True)  # listed once used
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM_MIME)
            response["headers"] = {"API-Version": "API-Version"}
            if status in RETRY_AFTER_STATUSES:
                response["headers"]["Retry-After"] = "Retry-After"
            self.spec.components.response(status.name, response, lazy=True)
        default = {
            "description": "Fout (problem+json)",
            "schema": self.ERROR_SCHEMA,
            "headers": {"API-Version": "API-Version"},
        }
        prepare_response(default, self.spec, PROBLEM_MIME)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)

    def _register_pagination_header(self) -> None:
        """Not flask-smorest's X-Pagination (and its unused schema): lists send an RFC 8288 Link."""

    def openapi_document(self) -> dict[str, Any]:
        """The spec with paths relative to the server URL /api/v1, as clients expect."""
        document: dict[str, Any] = self.spec.to_dict()
        document["paths"] = {
            path.removeprefix(API_PREFIX) or "/": item for path, item in document["paths"].items()
        }
        return document

    def _openapi_json(self) -> ResponseReturnValue:
        response = jsonify(self.openapi_document())
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response


JSON_MIMES = ("application/json", PROBLEM_MIME)


def check_content_negotiation() -> None:
    """415 for a body that is not JSON, 406 for an Accept header we cannot satisfy."""
    if not request.path.startswith(API_PREFIX):
        return
    has_body = bool(request.content_length) or "chunked" in request.headers.get(
        "Transfer-Encoding", ""
    )
    if request.method in ("POST", "PUT", "PATCH") and has_body and not request.is_json:
        raise UnsupportedMediaType()
    accept = request.headers.get("Accept")
    if accept and request.accept_mimetypes.best_match(JSON_MIMES) is None:
        if request.path.endswith("/docs"):
            return
        raise NotAcceptable()
