"""Mijn: the holder's own pages under /mijn (pages.py) and the phone pass (phone.py).

Plain HTML without JavaScript, except the pass page, whose QR code changes every 30 seconds
(static/holder/): that needs the browser's own key, so it needs JavaScript. The printed card
is the way without it.
"""

from __future__ import annotations

from flask import Flask

from almerepas.web.holder import declare, lost, pages, phone, recent, reminders, renew
from almerepas.web.holder.words import JINJA_HELPERS

#: Their routes are on pages.blp: importing them is what adds them.
__all__ = ["declare", "lost", "phone", "recent", "reminders", "renew"]


def init_app(app: Flask) -> None:
    app.register_blueprint(pages.blp)
    app.jinja_env.globals.update(words=JINJA_HELPERS)
