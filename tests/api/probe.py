"""A probe endpoint registered only in tests, to exercise the error shape on a request body."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate
from sqlalchemy import text

from almerepas.core.session import get_session, transactional
from almerepas.http.rest import Blueprint
from almerepas.ledger.errors import InsufficientBalance

blp = Blueprint("probe", __name__)


class ProbeSchema(ma.Schema):
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    note = fields.String(validate=validate.Length(max=20))


@blp.route("/probe", methods=["POST"], operation_id="createProbe")
@blp.arguments(ProbeSchema)
@blp.response(201, ProbeSchema)
@transactional
def create_probe(body: dict[str, Any]) -> dict[str, Any]:
    get_session().execute(text("SELECT 1"))  # opens the write transaction
    if body["amount"] > 1000:
        raise InsufficientBalance()
    return body


@blp.route("/probe/crash", operation_id="getProbeCrash")
def crash() -> None:
    get_session()
    raise RuntimeError("SELECT secret FROM household WHERE bsn = '123456782'")
