"""Figures for policy staff through the API (docs/reports.md): the same protected tables as the
pages, one object per row; a count of fewer than 10 persons is the string "< 10". They read
through the read session (a replica when configured) and say up to when it has replayed."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from almerepas.core.session import get_read_freshness, get_read_session, transactional
from almerepas.http.guard import require_role
from almerepas.http.rest import Blueprint
from almerepas.http.schemas import DistrictCode, text
from almerepas.reports import snapshot, tables
from almerepas.reports.privacy import Hidden
from almerepas.reports.scope import ReportFilter

blp = Blueprint("reports", __name__, description="Cijfers: bereik en besteding")


class Count(fields.Field):  # type: ignore[type-arg]
    """A count of persons or households: a number, or "< 10" when it is hidden."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return str(value) if isinstance(value, Hidden) else value


def _count(description: str) -> Count:
    return Count(
        metadata={
            "description": f'{description}; "< 10" als het verborgen is',
            "oneOf": [{"type": "integer"}, {"type": "string", "enum": ["< 10"]}],
        }
    )


def _hidden_amount(description: str) -> fields.Integer:
    """An amount that is null for a district's scheme with fewer than 10 persons."""
    return _amount(f"{description}; leeg bij een wijkfilter met minder dan 10 personen met recht")


def _amount(description: str) -> fields.Integer:
    return fields.Integer(allow_none=True, metadata={"description": description})


class FilterSchema(ma.Schema):
    year = fields.Integer(
        required=True, strict=False, validate=validate.Range(min=2000, max=2100),
        metadata={"example": 2027},
    )  # fmt: skip
    month = fields.Integer(
        validate=validate.Range(min=1, max=12),
        metadata={"description": "Eén maand van het jaar; leeg: het hele jaar"},
    )
    district = fields.String(
        validate=DistrictCode(),
        metadata={"description": "Alleen deze wijk"},
    )


class DistrictFilterSchema(FilterSchema):
    scheme = text(40, metadata={"description": "De regeling", "example": "stadsfonds"})


class FunnelFields(ma.Schema):
    eligible = _count("Met een toekenning in de periode")
    granted = _count("Met een toekenning van meer dan 0, of een recht (bus)")
    activated = _count("Pas minstens één keer gescand of gebruikt in de bus")
    first_use = _count("Minstens één keer iets gebruikt")
    half_used = _count("Meer dan de helft van het bedrag gebruikt")
    take_up = fields.Integer(
        allow_none=True,
        metadata={"description": "Iets gebruikt als % van recht; leeg als verborgen"},
    )


class SchemeRowSchema(FunnelFields):
    scheme = fields.String()
    name = fields.String()
    unit = fields.String(metadata={"description": "EUR (centen) of een eenheid zoals PACK"})
    persons = _count("Personen met recht")
    households = _count("Huishoudens met recht")
    with_pass = _count("Met een pas die in het jaar geldig was")
    granted_amount = _hidden_amount("Toegekend, in de eenheid")
    redeemed = _hidden_amount("Besteed")
    reversed = _hidden_amount("Teruggedraaid")
    expired = _hidden_amount("Vervallen aan het eind van de periode")
    spent = _hidden_amount("Besteed min teruggedraaid")
    settled = _hidden_amount("In centen afgerekend met partners (goedgekeurde afrekeningen)")
    annual_budget = _amount("Jaarbudget in de eenheid; leeg zonder budget")
    budget_used = fields.Integer(allow_none=True, metadata={"description": "% van het jaarbudget"})


class DistrictRowSchema(FunnelFields):
    district = fields.String(metadata={"description": "De wijk, of Alle wijken"})
    persons = _count("Personen met recht")
    with_pass = _count("Met een pas")


class MonthRowSchema(ma.Schema):
    scheme = fields.String()
    name = fields.String()
    month = fields.String(metadata={"example": "2027-03"})
    eligible = _count("Met een toekenning die in de maand loopt")
    used = _count("Daarvan iets gebruikt tot het eind van de maand")
    take_up = fields.Integer(allow_none=True)


class PartnerRowSchema(ma.Schema):
    partner = fields.String()
    scheme = fields.String()
    unit = fields.String()
    redemptions = fields.Integer(metadata={"description": "Aantal keer gebruikt (geen personen)"})
    redeemed = fields.Integer()
    reversed = fields.Integer()


def _page(rows: type[ma.Schema]) -> type[ma.Schema]:
    return ma.Schema.from_dict(
        {
            "rows": fields.List(fields.Nested(rows)),
            "total": fields.Nested(rows, allow_none=True),
            "counted_at": fields.AwareDateTime(
                allow_none=True,
                metadata={
                    "description": "Wanneer het jaar is geteld (`almerepas reports refresh`); "
                    "wat daarna gebeurde staat er nog niet in. Leeg: nu geteld."
                },
            ),
            "data_as_of": fields.AwareDateTime(
                allow_none=True,
                metadata={
                    "description": "Gelezen uit een kopie van de database (read replica): alles "
                    "wat tot dit moment is vastgelegd staat erin. Leeg: gelezen uit de database "
                    "zelf (actueel), of de kopie weet het niet (dan is data_behind true)."
                },
            ),
            "data_behind": fields.Boolean(
                metadata={
                    "description": "De kopie loopt meer achter dan ALMEREPAS_REPLICA_MAX_LAG "
                    "seconden: de cijfers lopen mogelijk achter."
                },
            ),
        },
        name=f"{rows.__name__.removesuffix('Schema')}PageSchema",
    )


def _filter(args: dict[str, Any]) -> ReportFilter:
    return ReportFilter(args["year"], args.get("month"), args.get("district") or None)


def _rows(table: tables.Table, f: ReportFilter) -> dict[str, Any]:
    keys = [c.key for c in table.columns]
    fresh = get_read_freshness()
    total = dict(zip(keys, table.totals, strict=True)) if table.totals else None
    return {
        "rows": [dict(zip(keys, row, strict=True)) for row in table.rows],
        "total": total,
        "counted_at": snapshot.taken_at(get_read_session(), f.year),
        "data_as_of": fresh.as_of if fresh else None,
        "data_behind": fresh is not None and fresh.behind,
    }


@blp.route("/reports/schemes", operation_id="getSchemeReport")
@require_role("reports.read")
@blp.arguments(FilterSchema, location="query")
@blp.response(200, _page(SchemeRowSchema))
@transactional
def schemes(args: dict[str, Any]) -> dict[str, Any]:
    """Per regeling: bereik, de trechter en de bedragen. Kleine aantallen als "< 10"."""
    f = _filter(args)
    return _rows(tables.schemes_table(get_read_session(), f), f)


@blp.route("/reports/districts", operation_id="getDistrictReport")
@require_role("reports.read")
@blp.arguments(DistrictFilterSchema, location="query")
@blp.response(200, _page(DistrictRowSchema))
@transactional
def districts(args: dict[str, Any]) -> dict[str, Any]:
    """Eén regeling per wijk, met het totaal; ook wat een klein getal verraadt is verborgen."""
    f = _filter(args)
    return _rows(tables.districts_table(get_read_session(), f, args["scheme"]), f)


@blp.route("/reports/months", operation_id="getMonthReport")
@require_role("reports.read")
@blp.arguments(FilterSchema, location="query")
@blp.response(200, _page(MonthRowSchema))
@transactional
def months(args: dict[str, Any]) -> dict[str, Any]:
    """Per regeling en maand: recht, en wie er tot het eind van de maand iets van gebruikte."""
    f = _filter(args)
    return _rows(tables.months_table(get_read_session(), f), f)


@blp.route("/reports/partners", operation_id="getPartnerReport")
@require_role("reports.read")
@blp.arguments(FilterSchema, location="query")
@blp.response(200, _page(PartnerRowSchema))
@transactional
def partners(args: dict[str, Any]) -> dict[str, Any]:
    """Per partner en regeling: hoe vaak en hoeveel er is gebruikt."""
    f = _filter(args)
    return _rows(tables.partners_table(get_read_session(), f), f)
