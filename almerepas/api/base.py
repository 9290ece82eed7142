"""flask-smorest wired to our problem+json error shape; the strict Blueprint is in http.smorest."""

from __future__ import annotations

import http
from typing import Any

import flask_smorest
from flask import jsonify, request
from flask.typing import ResponseReturnValue
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import NotAcceptable, UnsupportedMediaType

from almerepas.api.schemas.common import ProblemSchema
from almerepas.http.problems import PROBLEM_MIME
from almerepas.http.smorest import API_PREFIX, GLOBAL_QUERY_KEYS, Blueprint, Parser

__all__ = ["API_PREFIX", "GLOBAL_QUERY_KEYS", "Api", "Blueprint", "Parser"]


class Api(flask_smorest.Api):  # type: ignore[misc]
    """flask-smorest's Api, documenting errors as they are sent: problem+json with a code."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        """Errors are handled by almerepas.problems, for pages and API alike."""

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM_MIME)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Fout (problem+json)", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_MIME)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)

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
