"""The RFC 8288 Link header for a page of results, as the NL API pagination module asks."""

from __future__ import annotations

from typing import Any

from flask import request, url_for

from almerepas.core.paging import Page


def link_header(page: Page[Any]) -> str:
    """Links to first, prev, next and last; a relation without a target is left out."""

    def url(number: int) -> str:
        args: dict[str, Any] = {**request.view_args, **request.args.to_dict(), "page": number}  # type: ignore[dict-item]
        args["pageSize"] = page.page_size
        return url_for(str(request.endpoint), **args, _external=True)

    links = [(url(1), "first")]
    if page.page > 1:
        links.append((url(min(page.page - 1, page.last_page)), "prev"))
    if page.page < page.last_page:
        links.append((url(page.page + 1), "next"))
    links.append((url(page.last_page), "last"))
    return ", ".join(f'<{u}>; rel="{rel}"' for u, rel in links)
