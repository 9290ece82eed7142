"""One error shape: every API error is application/problem+json (RFC 9457) with a stable code."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from flask import Flask, Response, g, json, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from werkzeug.exceptions import HTTPException

from almerepas.core.elfproef import passes_eleven_test
from almerepas.core.errors import DomainError
from almerepas.core.session import translate_db_error
from almerepas.http.i18n import translate
from almerepas.http.metrics import count_problem

PROBLEM_MIME = "application/problem+json"
log = logging.getLogger(__name__)

#: Stable codes for the HTTP errors that Flask and werkzeug raise themselves.
HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}


def _http_titles() -> dict[int, str]:
    return {
        400: _("Het verzoek klopt niet"),
        401: _("U bent niet ingelogd"),
        403: _("U mag dit niet doen"),
        404: _("Dit bestaat niet"),
        405: _("Deze methode kan hier niet"),
        406: _("Dit formaat kunnen we niet leveren"),
        409: _("Dit botst met de huidige gegevens"),
        413: _("Het verzoek is te groot"),
        415: _("Stuur de gegevens als JSON (Content-Type: application/json)"),
        429: _("Te veel verzoeken. Wacht even en probeer het opnieuw."),
        500: _("Er ging iets mis aan onze kant. Probeer het later opnieuw."),
        503: _("De dienst is even niet beschikbaar. Probeer het later opnieuw."),
    }


#: A client's request id: ASCII letters, digits, - and _ (a UUID is one), 8 to 64 of them.
REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


def is_well_formed_request_id(value: str) -> bool:
    """Whether a client's X-Request-ID may be kept: it goes unscrubbed into every audit row of
    the request, the response header and the log lines, so only plain ASCII, and never nine
    digits that could be a BSN (also when - or _ split them)."""
    if not REQUEST_ID.fullmatch(value):
        return False
    digit_runs = re.findall(r"[0-9]+", value.replace("-", "").replace("_", ""))
    return not any(passes_eleven_test(run) for run in digit_runs)


def request_id() -> str:
    """The id of this request, echoed in X-Request-ID and in 5xx problems for support.

    The client's X-Request-ID when it is well formed, otherwise a UUID of our own.
    """
    if "request_id" not in g:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if is_well_formed_request_id(incoming) else str(uuid.uuid4())
    rid: str = g.request_id
    return rid


def problem(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    count_problem(code)
    body: dict[str, Any] = {
        "type": f"urn:almerepas:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail or title,
        "code": code,
        **extensions,
    }
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIME)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def wants_html() -> bool:
    """Pages get an HTML error page; the API and clients that prefer JSON get problem+json."""
    if request.path.startswith("/api/"):
        return False
    best = request.accept_mimetypes.best_match(["text/html", "application/json", PROBLEM_MIME])
    return best == "text/html"


def _field_errors(messages: Any) -> list[dict[str, str]]:
    """Flatten webargs/marshmallow messages {location: {field: [msg]}} into a list."""
    errors: list[dict[str, str]] = []

    def walk(location: str, prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(location, f"{prefix}.{key}" if prefix else str(key), value)
        elif isinstance(node, list) and all(isinstance(m, str) for m in node):
            errors.extend({"field": prefix, "in": location, "detail": str(m)} for m in node)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(location, f"{prefix}.{index}", value)
        else:
            errors.append({"field": prefix, "in": location, "detail": str(node)})

    if isinstance(messages, dict):
        for location, fields in messages.items():
            walk(str(location), "", fields)
    return errors


def _render(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    if wants_html():
        count_problem(code)
        html = render_template("error.html", status=status, title=title, detail=detail, code=code)
        response = Response(html, status=status, mimetype="text/html")
        response.headers.update(headers or {})
        return response
    return problem(status, code, title, detail, headers=headers, **extensions)


def handle_domain_error(error: DomainError) -> Response:
    retry_after = getattr(error, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    errors = error.extensions.get("errors")
    extensions = {"errors": errors} if errors else {}
    return _render(
        error.status,
        error.code,
        translate(error.title),
        translate(error.detail),
        headers=headers,
        **extensions,
    )


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    code = HTTP_CODES.get(status, f"http_{status}")
    titles = _http_titles()
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if isinstance(messages, dict) and isinstance(messages.get("json"), list):
        # webargs reports a body it cannot parse as {"json": ["Invalid JSON body."]}.
        return _render(400, "malformed_json", _("De JSON in het verzoek is niet leesbaar"))
    if status in (400, 422) and messages is not None:
        # webargs: the request did not match its schema. ADR: invalid input is a 400.
        return _render(
            400,
            "validation_failed",
            _("De invoer klopt niet"),
            _("Een of meer velden kloppen niet. Zie 'errors' voor wat er mis is."),
            errors=_field_errors(messages),
        )
    # Keep headers werkzeug sets for a reason, such as Allow on a 405.
    keep = {k: v for k, v in error.get_headers() if k.lower() in ("allow", "retry-after")}
    return _render(status, code, titles.get(status, error.name), headers=keep)


def handle_unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    if isinstance(error, StatementError) and isinstance(error.orig, OverflowError):
        error = error.orig  # a date too far back to convert to UTC for the query (year 1)
    if isinstance(error, OverflowError | DataError):
        # A number or date too large for the database: bad input, whatever path it came by.
        return _render(400, "value_out_of_range", _("Een getal of datum is te groot"))
    if isinstance(error, DBAPIError):
        translated = translate_db_error(error)
        if isinstance(translated, DomainError):
            return handle_domain_error(translated)
        if isinstance(error, IntegrityError):
            # A database constraint caught what the domain should have: a conflict, not a crash.
            # The driver's message can hold the values (a keyed BSN hash): log the constraint.
            diag = getattr(error.orig, "diag", None)
            log.warning(
                "integrity error [%s]: %s",
                request_id(),
                getattr(diag, "constraint_name", None) or type(error.orig).__name__,
            )
            return _render(409, "conflict", _("Dit botst met de huidige gegevens"))
    log.exception("unexpected error [%s]", request_id())
    return _render(
        500,
        "internal_error",
        _("Er ging iets mis aan onze kant. Probeer het later opnieuw."),
        _("Noem deze code als u contact opneemt: %(rid)s", rid=request_id()),
        request_id=request_id(),
    )


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
