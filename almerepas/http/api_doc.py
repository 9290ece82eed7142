"""What the OpenAPI document says beyond flask-smorest, so the NL API Design Rules hold for it:
response headers declared once, who may call an operation, and a retired operation's dates."""

from __future__ import annotations

import copy
import datetime as dt
import email.utils
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, Response, request

F = TypeVar("F", bound=Callable[..., Any])

#: The response headers of the API, declared once in components/headers and referenced by name
#: (a header's name is its component's name). ADR /core/version-header: API-Version on every one.
RESPONSE_HEADERS: dict[str, dict[str, Any]] = {
    "API-Version": {
        "description": "De volledige versie van de API (major.minor.patch); op elk antwoord.",
        "schema": {"type": "string", "example": "1.0.0"},
    },
    "Link": {
        "description": (
            "RFC 8288: de eerste, vorige en volgende pagina van een lijst (rel first, prev, "
            "next); bij een verouderde operatie ook de wijzigingen (rel deprecation)."
        ),
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Over hoeveel seconden een nieuwe poging zin heeft.",
        "schema": {"type": "integer", "minimum": 1},
    },
    "Deprecation": {
        "description": "RFC 9745: deze operatie is verouderd sinds dit moment (@Unix-tijd).",
        "schema": {"type": "string", "example": "@1767225600"},
    },
    "Sunset": {
        "description": "RFC 8594: na dit moment verdwijnt deze operatie (HTTP-datum).",
        "schema": {"type": "string", "example": "Thu, 01 Jul 2027 00:00:00 GMT"},
    },
}

#: Every 2xx and 3xx response carries these.
SUCCESS_HEADERS = {"API-Version": "API-Version"}
#: The headers of a page of a list (almerepas.http.pagination), for ``@blp.response(headers=)``.
PAGE_HEADERS = {"Link": "Link"}
#: Error responses that may say when to try again: a locked account (401), too many requests,
#: a service that is away for a while.
RETRY_AFTER_STATUSES = frozenset({401, 429, 503})

#: ADR /core/transition-period: a retired operation keeps working this long after it is marked.
MIN_TRANSITION = dt.timedelta(days=180)


def is_success(status: int | str) -> bool:
    return str(status)[:1] in ("2", "3")


def with_success_headers(
    status: int | str, headers: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """The headers to document for a response: API-Version added to every 2xx and 3xx."""
    if not is_success(status):
        return dict(headers) if headers is not None else None
    return {**SUCCESS_HEADERS, **(headers or {})}


def access_sentence(view: Callable[..., Any]) -> str:
    """Who may call ``view``, in Dutch, from the guard it carries (so it stays true)."""
    permission = getattr(view, "permission", None)
    if permission is not None:
        return (
            f"Voor medewerkers met het recht `{permission}` (docs/roles.md), "
            "met een token uit POST /tokens."
        )
    if getattr(view, "partner_view", False):
        return "Voor partners: met de sleutel van een apparaat of het token van een gebruiker."
    if "security" in getattr(view, "_apidoc", {}).get("manual_doc", {}):
        return "Met het token waarmee u bent ingelogd."
    return "Openbaar: zonder token."


@dataclass(frozen=True)
class Retirement:
    """ADR /core/deprecation-schedule: since when an operation is deprecated, and its sunset."""

    deprecated_since: dt.datetime
    sunset: dt.datetime
    successor: str | None = None

    def headers(self) -> list[tuple[str, str]]:
        """Deprecation (RFC 9745), Sunset (RFC 8594) and a link to the changelog."""
        return [
            ("Deprecation", f"@{int(self.deprecated_since.timestamp())}"),
            ("Sunset", email.utils.format_datetime(self.sunset.astimezone(dt.UTC), usegmt=True)),
            ("Link", '</api/v1/changelog>; rel="deprecation"'),
        ]

    def sentence(self) -> str:
        text = (
            f"Verouderd sinds {self.deprecated_since.date().isoformat()}: deze operatie "
            f"verdwijnt na {self.sunset.date().isoformat()}."
        )
        return f"{text} Gebruik {self.successor}." if self.successor else text


def retired(
    deprecated_since: dt.datetime, sunset: dt.datetime, successor: str | None = None
) -> Callable[[F], F]:
    """Mark an API view as retired: ``deprecated: true`` in the document, and its answers carry
    Deprecation and Sunset. Put it directly under ``@blp.route``. The sunset is at least
    MIN_TRANSITION after the deprecation (README, API Design Rules)."""
    if deprecated_since.tzinfo is None or sunset.tzinfo is None:
        raise ValueError("retired(): give both moments with a time zone")
    if sunset - deprecated_since < MIN_TRANSITION:
        raise ValueError(f"retired(): the sunset is less than {MIN_TRANSITION.days} days away")
    retirement = Retirement(deprecated_since, sunset, successor)

    def decorator(view: F) -> F:
        doc = copy.deepcopy(getattr(view, "_apidoc", {}))
        manual = doc.setdefault("manual_doc", {})
        manual["deprecated"] = True
        for status, responses in doc.get("response", {}).get("responses", {}).items():
            for response in responses:
                if is_success(status) and isinstance(response, dict):
                    extra = {"Deprecation": "Deprecation", "Sunset": "Sunset", "Link": "Link"}
                    response["headers"] = {**response.get("headers", {}), **extra}
        view._apidoc = doc  # type: ignore[attr-defined]
        view.retirement = retirement  # type: ignore[attr-defined]
        return view

    return decorator


def init_app(app: Flask) -> None:
    """Every answer of a retired operation, errors too, says that it is retired and when it goes."""

    @app.after_request
    def _retirement_headers(response: Response) -> Response:
        view = app.view_functions.get(request.endpoint or "")
        retirement: Retirement | None = getattr(view, "retirement", None)
        if retirement is not None:
            for name, value in retirement.headers():
                response.headers.add(name, value)
        return response
