"""Offline rides for bus operators: ``POST /api/v1/partner/rides`` (docs/redemption.md).

A validator records rides while it is offline and sends them later, up to 10,000 in one call.
Every ride gets its own result, in the order sent; one bad ride never fails the batch:

- a ride the schema cannot read (a missing field, a time without a time zone, an id that is
  not 1 to 80 letters, digits, ``.``, ``_`` or ``-``) is ``ride_invalid`` with ``errors``, and
  is not stored: send it again once fixed;
- every other ride is judged and stored by ``almerepas.redemptions.rides.record_rides``.

The whole body is refused only when it is no batch at all (400 ``validation_failed``), has more
than 10,000 rides (413 ``too_many_rides``) or is larger than ``MAX_BODY`` (413
``payload_too_large``): this endpoint alone takes more than the app's ``MAX_CONTENT_LENGTH``.
"""

from __future__ import annotations

import datetime as dt
import re
from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask import request
from marshmallow import fields, validate

from almerepas.core import clock
from almerepas.core.session import get_session, transactional
from almerepas.http.rest import Blueprint
from almerepas.http.schemas import PLAIN, Pattern
from almerepas.partners.auth import Principal, require_partner
from almerepas.partners.schemas import MAX_CODE_FIELD
from almerepas.redemptions.errors import RideInvalid, TooManyRides
from almerepas.redemptions.rides import MAX_RIDES, OK, RideInput, record_rides

#: A ride takes at most about 650 bytes of JSON (a phone code is about 410 characters, a line
#: and a stop at their longest); 10,000 of them fit with room to spare.
MAX_BODY = 8 * 1024 * 1024
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
#: What a ride id may be; an invalid ride is answered with its id only when it is one of these.
RIDE_ID = r"[A-Za-z0-9._-]{1,80}"

blp = Blueprint(
    "partner_rides",
    __name__,
    description="Voor vervoerders: ritten die een validator zonder verbinding vastlegde",
)


@blp.before_request
def _take_a_whole_batch() -> None:
    """This endpoint alone reads a body of up to ``MAX_BODY`` (the app's limit is 64 KiB)."""
    request.max_content_length = MAX_BODY


class RideInSchema(ma.Schema):
    ride_id = fields.String(
        required=True,
        validate=Pattern(RIDE_ID),
        metadata={
            "description": "Het eigen nummer van de rit op de validator",
            "example": "v7-000123",
        },
    )
    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_CODE_FIELD),
        metadata={"description": "De tekst van de QR-code, zoals gescand"},
    )
    ridden_at = fields.AwareDateTime(
        required=True,
        # any time a database column holds in UTC; older than 60 days is ride_too_old
        validate=validate.Range(min=EARLIEST, max=LATEST),
        metadata={"description": "Wanneer, met tijdzone", "example": "2026-03-02T10:15:00+01:00"},
    )
    line = fields.String(
        allow_none=True,
        validate=[validate.Length(min=1, max=40), PLAIN],
        metadata={"example": "M1"},
    )
    stop = fields.String(
        allow_none=True,
        validate=[validate.Length(min=1, max=80), PLAIN],
        metadata={"example": "Centrum"},
    )


class RideBatchSchema(ma.Schema):
    rides = fields.List(
        fields.Raw(),
        required=True,
        metadata={
            "description": "Hoogstens 10.000 ritten: elk {ride_id, code, ridden_at, line, stop} "
            "(RideIn). Een rit die niet te lezen is krijgt ride_invalid; de rest telt gewoon."
        },
    )
    location_id = fields.Integer(
        strict=True, metadata={"description": "Alleen voor een gebruiker: waar de ritten waren"}
    )


class RideFieldErrorSchema(ma.Schema):
    field = fields.String(required=True)
    detail = fields.String(required=True)


class RideResultSchema(ma.Schema):
    ride_id = fields.String(allow_none=True, required=True)
    result = fields.String(
        required=True, metadata={"description": "ok, of de code van de weigering (docs/errors.md)"}
    )
    duplicate = fields.Boolean(
        required=True,
        metadata={
            "description": "Deze rit kwam al eerder binnen: het eerste antwoord, niets nieuw"
        },
    )
    errors = fields.List(
        fields.Nested(RideFieldErrorSchema), metadata={"description": "Bij ride_invalid"}
    )


class RideBatchResultSchema(ma.Schema):
    results = fields.List(fields.Nested(RideResultSchema), required=True)
    accepted = fields.Integer(required=True, metadata={"description": "Ritten met ok"})
    refused = fields.Integer(required=True, metadata={"description": "Alle andere ritten"})
    duplicates = fields.Integer(
        required=True, metadata={"description": "Ritten die al binnen waren"}
    )


_RIDE = RideInSchema()


def _field_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """marshmallow's nested messages as a flat list of {field, detail}."""
    if isinstance(messages, dict):
        found = []
        for name, inner in messages.items():
            found += _field_errors(inner, f"{prefix}.{name}" if prefix else str(name))
        return found
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [{"field": prefix, "detail": " ".join(messages)}]
    return [{"field": prefix, "detail": str(messages)}]


def _read(item: object) -> RideInput | list[dict[str, str]]:
    if not isinstance(item, dict):
        return [{"field": "", "detail": "Een rit is een object met ride_id, code en ridden_at."}]
    try:
        data = _RIDE.load(item)
    except ma.ValidationError as exc:
        return _field_errors(exc.messages)
    return RideInput(
        ride_ref=data["ride_id"],
        code=data["code"],
        ridden_at=data["ridden_at"],
        line=data.get("line"),
        stop=data.get("stop"),
    )


@blp.route("/partner/rides", methods=["POST"], operation_id="submitRides")
@transactional
@require_partner()
@blp.arguments(RideBatchSchema)
@blp.response(200, RideBatchResultSchema)
@blp.alt_response(413, response=HTTPStatus(413).name)  # too_many_rides, payload_too_large
def upload_rides(principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """Stuur ritten die een validator offline vastlegde; elke rit krijgt een eigen antwoord.

    Elke rit wordt beoordeeld zoals het was op het moment van de rit. Een rit met een
    ride_id die al binnen was, krijgt het eerste antwoord terug en verandert niets.
    """
    location = principal.location_for(body.get("location_id"))
    items = body["rides"]
    if len(items) > MAX_RIDES:
        raise TooManyRides()
    read = [_read(item) for item in items]
    rides = [r for r in read if isinstance(r, RideInput)]
    judged = iter(
        record_rides(
            get_session(),
            partner=principal.partner,
            location=location,
            device=principal.device,
            rides=rides,
            now=clock.now(),
            actor=principal.actor,
            invalid=len(read) - len(rides),
        )
    )
    results: list[dict[str, Any]] = []
    for item, ride in zip(items, read, strict=True):
        if isinstance(ride, RideInput):
            result = next(judged)
            results.append(
                {"ride_id": result.ride_ref, "result": result.result, "duplicate": result.duplicate}
            )
        else:
            sent = item.get("ride_id") if isinstance(item, dict) else None
            results.append(
                {
                    "ride_id": sent
                    if isinstance(sent, str) and re.fullmatch(RIDE_ID, sent)
                    else None,
                    "result": RideInvalid.code,
                    "duplicate": False,
                    "errors": ride,
                }
            )
    accepted = sum(r["result"] == OK for r in results)
    return {
        "results": results,
        "accepted": accepted,
        "refused": len(results) - accepted,
        "duplicates": sum(r["duplicate"] for r in results),
    }
