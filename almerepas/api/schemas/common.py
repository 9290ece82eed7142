"""Schemas shared by every audience: the problem body and pagination."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate


class FieldErrorSchema(ma.Schema):
    field = fields.String(required=True, metadata={"description": "Het veld dat niet klopt"})
    in_ = fields.String(
        data_key="in",
        required=True,
        metadata={"description": "Waar het veld staat: json, query, headers of path"},
    )
    detail = fields.String(required=True, metadata={"description": "Wat er mis is"})


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, with a stable machine code."""

    type = fields.String(
        required=True,
        metadata={
            "description": "URN van het soort fout",
            "example": "urn:almerepas:problem:not_found",
        },
    )
    title = fields.String(required=True, metadata={"description": "Korte omschrijving"})
    status = fields.Integer(required=True, metadata={"description": "De HTTP-statuscode"})
    detail = fields.String(required=True, metadata={"description": "Uitleg voor deze keer"})
    code = fields.String(
        required=True,
        metadata={
            "description": "Vaste code voor programma's; verandert nooit",
            "example": "not_found",
        },
    )
    errors = fields.List(
        fields.Nested(FieldErrorSchema),
        metadata={"description": "Per veld wat er mis is (alleen bij code validation_failed)"},
    )
    request_id = fields.String(
        metadata={"description": "Id van het verzoek (bij een fout aan onze kant)"}
    )


MAX_PAGE_SIZE = 100
#: Far beyond any real list; keeps OFFSET inside a 64-bit integer on every database.
MAX_PAGE = 1_000_000


class PageArgsSchema(ma.Schema):
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": "Welke pagina (vanaf 1)"},
    )
    page_size = fields.Integer(
        data_key="pageSize",
        load_default=20,
        validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
        metadata={"description": f"Aantal per pagina (hoogstens {MAX_PAGE_SIZE})"},
    )


class PageSchema(ma.Schema):
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "Aantal in totaal"})
