"""Server-rendered pages for residents and staff. Plain HTML that works without JavaScript."""

from __future__ import annotations

from flask import Blueprint, render_template

blp = Blueprint("web", __name__)


@blp.route("/")
def index() -> str:
    return render_template("index.html")


@blp.route("/toegankelijkheid")
def accessibility() -> str:
    return render_template("accessibility.html")
