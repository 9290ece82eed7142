"""One page of a query and how many rows there are in all: for the API, the pages and the domain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

#: No one pages this far; a larger number is a typing error or a probe, answered with page 1.
MAX_PAGE = 100_000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    page_size: int
    total: int

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.page_size))


def paginate(session: Session, query: Select[Any], *, page: int, page_size: int) -> Page[Any]:
    """One page of ``query``; the query must have a deterministic ORDER BY."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = list(session.scalars(query.limit(page_size).offset((page - 1) * page_size)))
    return Page(items=items, page=page, page_size=page_size, total=total)
