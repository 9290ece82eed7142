"""Page-based pagination with an RFC 8288 Link header, as the NL API pagination module asks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import request, url_for
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    page_size: int
    total: int

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.page_size))

    def link_header(self) -> str:
        """Links to first, prev, next and last; a relation without a target is left out."""

        def url(page: int) -> str:
            args: dict[str, Any] = {**request.view_args, **request.args.to_dict(), "page": page}  # type: ignore[dict-item]
            args["pageSize"] = self.page_size
            return url_for(str(request.endpoint), **args, _external=True)

        links = [(url(1), "first")]
        if self.page > 1:
            links.append((url(min(self.page - 1, self.last_page)), "prev"))
        if self.page < self.last_page:
            links.append((url(self.page + 1), "next"))
        links.append((url(self.last_page), "last"))
        return ", ".join(f'<{u}>; rel="{rel}"' for u, rel in links)


def paginate(session: Session, query: Select[Any], *, page: int, page_size: int) -> Page[Any]:
    """One page of ``query``; the query must have a deterministic ORDER BY."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = list(session.scalars(query.limit(page_size).offset((page - 1) * page_size)))
    return Page(items=items, page=page, page_size=page_size, total=total)
