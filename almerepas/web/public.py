"""Server-rendered pages for residents and staff. Plain HTML that works without JavaScript."""

from __future__ import annotations

import mimetypes
from itertools import groupby
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import get_locale

from almerepas.contracts.offers import current_offers
from almerepas.core import clock, gemeente
from almerepas.core.elfproef import contains_bsn
from almerepas.core.session import get_session, transactional

blp = Blueprint("web", __name__)


@blp.app_template_global()
def language_url(code: str) -> str:
    """This page in another language, keeping its query (a search, a date) but not ``lang``,
    nor a value with a BSN in it (the search refuses it; a link must not carry it on)."""
    args = [
        (k, v) for k, v in request.args.items(multi=True) if k != "lang" and not contains_bsn(v)
    ]
    return f"{request.path}?{urlencode([*args, ('lang', code)])}"


@blp.route("/gemeente.css")
def gemeente_css() -> Response:
    """The gemeente's colours (its data folder) over the house style's defaults."""
    colours = gemeente.current().colours
    css = (
        f":root {{ --alm-color-primary: {colours.primary}; "
        f"--alm-color-primary-dark: {colours.primary_dark}; "
        f"--alm-color-focus: {colours.focus}; }}\n"
    )
    response = Response(css, content_type="text/css; charset=utf-8")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@blp.route("/gemeente/logo")
def gemeente_logo() -> Response:
    """The gemeente's logo from its data folder; a 404 when the folder has none."""
    logo = gemeente.current().logo
    if logo is None:
        abort(404)
    kind = mimetypes.guess_type(logo.name)[0] or "application/octet-stream"
    response = Response(logo.read_bytes(), content_type=kind)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@blp.route("/")
def index() -> str:
    return render_template("index.html")


@blp.route("/toegankelijkheid")
def accessibility() -> str:
    return render_template("accessibility.html")


@blp.route("/aanbod")
@transactional
def offers() -> str:
    """The basic pass catalogue: every partner's own discounts valid today, for everyone."""
    english = str(get_locale() or "nl") == "en"
    today = clock.today()
    shown = [
        {
            "partner": offer.partner.name,
            "title": offer.title_en if english else offer.title_nl,
            "description": offer.description_en if english else offer.description_nl,
            "conditions": (offer.conditions_en or offer.conditions_nl)
            if english
            else offer.conditions_nl,
            "valid_to": offer.valid_to,
        }
        for offer in current_offers(get_session(), today)
    ]
    by_partner = [(name, list(items)) for name, items in groupby(shown, key=lambda o: o["partner"])]
    return render_template("offers.html", by_partner=by_partner)
