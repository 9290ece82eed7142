"""Schemas shared by every audience: the problem body, pagination, and the checks on text."""

from __future__ import annotations

from typing import Any, overload

import marshmallow as ma
from marshmallow import fields, validate

from almerepas.core import gemeente
from almerepas.core import text as plain_text

#: Every e-mail column is 254 characters (RFC 5321's longest address).
MAX_EMAIL_LENGTH = 254


class Pattern(validate.Regexp):
    """marshmallow's Regexp matched against the whole value.

    ``re.match`` lets ``$`` match before a trailing newline, so ``^[0-9]{9}$`` accepted
    ``"111222333\n"``. The pattern stays as written for OpenAPI, where ``$`` is the end.
    """

    @overload
    def __call__(self, value: str) -> str: ...

    @overload
    def __call__(self, value: bytes) -> bytes: ...

    def __call__(self, value: str | bytes) -> str | bytes:
        if self.regex.fullmatch(value) is None:  # type: ignore[arg-type]
            raise ma.ValidationError(self._format_error(value))
        return value


#: No control characters (a trailing newline neither) in one line of text.
PLAIN = Pattern(plain_text.PLAIN, error="Gebruik alleen gewone tekens, zonder regeleinde of tab.")
#: Text of several lines: newlines and tabs are fine, other control characters (NUL) not.
MULTILINE = Pattern(plain_text.MULTILINE, error="Gebruik alleen gewone tekens.")


def text(
    max_length: int, *, required: bool = True, multiline: bool = False, **kw: Any
) -> fields.String:
    """A text field that fits its column on every database: 1 to ``max_length`` characters,
    no control characters (newlines only where ``multiline``)."""
    return fields.String(
        required=required,
        validate=[validate.Length(min=1, max=max_length), MULTILINE if multiline else PLAIN],
        **kw,
    )


def matching(pattern: str, **kw: Any) -> fields.String:
    """A string that matches ``pattern`` entirely."""
    return fields.String(validate=Pattern(pattern), **kw)


def email(**kw: Any) -> fields.Email:
    """An e-mail address that fits the column on PostgreSQL as on SQLite."""
    return fields.Email(validate=[validate.Length(max=MAX_EMAIL_LENGTH), PLAIN], **kw)


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


class DistrictCode(validate.Validator):
    """One of the gemeente's district codes (its data folder), or ``unknown``: checked when a
    request comes, since the districts are data, not a list in the code."""

    error = "Kies een van de wijken van de gemeente: {choices}."

    def __call__(self, value: str) -> str:
        codes = gemeente.current().district_codes()
        if value not in codes:
            raise ma.ValidationError(self.error.format(choices=", ".join(codes)))
        return value
