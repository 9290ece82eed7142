"""GET /funding-accounts: what is left of each scheme's budget. Public: budgets are public money."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields
from sqlalchemy import select

from almerepas.core.paging import paginate
from almerepas.core.session import get_session
from almerepas.http.api_doc import PAGE_HEADERS
from almerepas.http.pagination import link_header
from almerepas.http.rest import Blueprint
from almerepas.http.schemas import PageArgsSchema, PageSchema
from almerepas.ledger.models import Account, AccountKind

blp = Blueprint("funding", __name__, description="Budgetten van de regelingen")


class FundingAccountSchema(ma.Schema):
    code = fields.String(required=True, metadata={"example": "funding:stadsfonds:2026"})
    name = fields.String(required=True)
    unit = fields.String(required=True, metadata={"description": "EUR (in centen) of een eenheid"})
    balance = fields.Integer(
        required=True, metadata={"description": "Wat er nog over is, in centen of eenheden"}
    )


class FundingAccountPageSchema(PageSchema):
    items = fields.List(fields.Nested(FundingAccountSchema), required=True)


@blp.route("/funding-accounts", operation_id="listFundingAccounts")
@blp.arguments(PageArgsSchema, location="query", as_kwargs=True)
@blp.response(200, FundingAccountPageSchema, headers=PAGE_HEADERS)
def list_funding_accounts(page: int, page_size: int) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Toon de budgetten van de regelingen en wat er nog van over is."""
    query = select(Account).where(Account.kind == AccountKind.funding).order_by(Account.code)
    result = paginate(get_session(), query, page=page, page_size=page_size)
    body = {
        "items": result.items,
        "page": result.page,
        "page_size": result.page_size,
        "total": result.total,
    }
    return body, 200, {"Link": link_header(result)}
