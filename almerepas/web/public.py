"""Server-rendered pages for residents and staff. Plain HTML that works without JavaScript."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, render_template, request

from almerepas.core.elfproef import contains_bsn

blp = Blueprint("web", __name__)


@blp.app_template_global()
def language_url(code: str) -> str:
    """This page in another language, keeping its query (a search, a date) but not ``lang``,
    nor a value with a BSN in it (the search refuses it; a link must not carry it on)."""
    args = [
        (k, v) for k, v in request.args.items(multi=True) if k != "lang" and not contains_bsn(v)
    ]
    return f"{request.path}?{urlencode([*args, ('lang', code)])}"


@blp.route("/")
def index() -> str:
    return render_template("index.html")


@blp.route("/toegankelijkheid")
def accessibility() -> str:
    return render_template("accessibility.html")
