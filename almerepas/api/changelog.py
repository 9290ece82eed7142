"""GET /changelog: what changed in each version of the API (ADR /core/changelog), newest first.

A release that changes the API adds its entry here and raises API_VERSION (almerepas.config) by
the rules of semantic versioning; tests/api/test_api_lifecycle.py checks that the two agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from marshmallow import fields

from almerepas.http.rest import Blueprint

blp = Blueprint("changelog", __name__, description="Wat er per versie van de API veranderde")


@dataclass(frozen=True)
class Release:
    version: str
    date: dt.date
    changes: tuple[str, ...]


#: Newest first. Written for the developers of clients, in Dutch like the rest of the document.
RELEASES: tuple[Release, ...] = (
    Release(
        "0.5.0",
        dt.date(2026, 12, 1),
        (
            "Een stadsdeel (district) in PUT /postcodes, in het filter van /reports en in de "
            "antwoorden is geen vaste opsomming meer maar een tekst: een van de stadsdelen die "
            "de gemeente in haar gegevens heeft (voor Almere dezelfde zes, en unknown). Een "
            "code die de gemeente niet kent geeft 400 met de codes die wel bestaan.",
        ),
    ),
    Release(
        "0.4.0",
        dt.date(2026, 12, 1),
        (
            "Nieuw in GET /reports/schemes, /reports/districts, /reports/months, "
            "/reports/partners en /signals: data_as_of, tot wanneer een kopie van de database "
            "(read replica) is bijgewerkt, en data_behind, true als die kopie meer achterloopt "
            "dan de ingestelde grens; data_as_of is leeg als de cijfers uit de database zelf "
            "komen.",
        ),
    ),
    Release(
        "0.3.0",
        dt.date(2026, 12, 1),
        (
            "Nieuw: GET /households/{id}/privacy-export, alles wat over een huishouden bewaard "
            "is, voor een inzageverzoek (AVG art. 15); alleen voor consulenten.",
            "In GET /audit-events en in de privacy-export staat een persoonsgegeven van een "
            'inwoner dat na de bewaartermijn gewist is als {"erased": true}, op de plaats van '
            "de waarde in changes.",
        ),
    ),
    Release(
        "0.2.0",
        dt.date(2026, 12, 1),
        (
            "Elke operatie heeft een vaste operationId en een beschrijving, met wie haar mag "
            "aanroepen.",
            "Het document noemt de headers API-Version, Link en Retry-After bij de antwoorden "
            "die ze sturen, en een absolute server-URL.",
            "Nieuw: GET /changelog, deze lijst.",
            "Nieuw: /staff-users, voor beheerders: accounts van medewerkers maken, uit- en "
            "aanzetten, een andere rol geven, een nieuwe tweede factor geven en deblokkeren.",
            "GET /audit-events schrijft nu zelf een regel in het auditlog (audit.read).",
            "Een operatie die verdwijnt wordt eerst `deprecated` en stuurt dan de headers "
            "Deprecation en Sunset, minstens een half jaar voor ze verdwijnt.",
            "Nieuw: GET /health/live (leeft het proces, zonder database) en GET /health/ready "
            "(database binnen twee seconden bereikbaar en bijgewerkt; anders 503).",
        ),
    ),
    Release(
        "0.1.0",
        dt.date(2026, 11, 23),
        ("De eerste versie van de API.",),
    ),
)


class ReleaseSchema(ma.Schema):
    version = fields.String(required=True, metadata={"example": "0.2.0"})
    date = fields.Date(required=True, metadata={"description": "De dag van de uitgave"})
    changes = fields.List(fields.String(), required=True)


class ChangelogSchema(ma.Schema):
    items = fields.List(fields.Nested(ReleaseSchema), required=True)


@blp.route("/changelog", operation_id="getChangelog")
@blp.response(200, ChangelogSchema)
def changelog() -> dict[str, Any]:
    """Toon wat er in elke versie van de API veranderde, de nieuwste eerst."""
    return {"items": RELEASES}
