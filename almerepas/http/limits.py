"""Rate limits on the doors people try to force (docs/security.md, Rate limits): logging in,
one-time codes, scanning and the anonymous check.

Flask-Limiter counts in Redis when ``ALMEREPAS_REDIS_URL`` is set, so that every worker and
every app server counts together; otherwise in the process's memory. Which endpoint has which
limit is one table here, applied to the registered views, so the faces stay free of it and a
renamed endpoint fails the build (tests/http/test_limits.py) instead of losing its limit.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

#: endpoint -> (the config key of its limit, what the limit counts per)
LIMITED: dict[str, tuple[str, str]] = {
    # Staff and partners logging in, on pages and for API tokens.
    "staff.login": ("RATE_LIMIT_LOGIN", "address"),
    "tokens.create_token": ("RATE_LIMIT_LOGIN", "address"),
    "partner_login.login": ("RATE_LIMIT_LOGIN", "address"),
    "partner_tokens.create_partner_token": ("RATE_LIMIT_LOGIN", "address"),
    # Residents asking for and typing a one-time code.
    "holder.login": ("RATE_LIMIT_CODES", "address"),
    "holder.code": ("RATE_LIMIT_CODES", "address"),
    # A device scanning passes: counted per device (its token or session), not per address.
    "partner.scan": ("RATE_LIMIT_SCAN", "device"),
    "portal.scan": ("RATE_LIMIT_SCAN", "device"),
    # The anonymous "heb ik recht?" check.
    "desk.result": ("RATE_LIMIT_CHECK", "address"),
}


def _device() -> str:
    """The scanning device: its bearer token or session cookie, hashed; else its address."""
    credential = request.headers.get("Authorization") or request.cookies.get(
        current_app.config.get("SESSION_COOKIE_NAME", "session"), ""
    )
    if not credential:
        return get_remote_address()
    return "device:" + hashlib.sha256(credential.encode()).hexdigest()[:32]


def _limit_of(key: str) -> Any:
    return lambda: current_app.config[key]


def init_app(app: Flask) -> None:
    """After every blueprint: put each endpoint of ``LIMITED`` behind its limit (POST only)."""
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # Behind nginx: the client's address is the one the trusted proxies saw.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "almerepas")
    # One limiter per app (its counters and its enabled switch are its own), not per module.
    limiter = Limiter(
        get_remote_address,
        # Redis down: keep serving and count in memory until it is back (fail open, logged).
        swallow_errors=True,
        in_memory_fallback_enabled=True,
        headers_enabled=True,
    )
    limiter.init_app(app)
    # No default or application-wide limits: each limit is a decorator on its view and checks
    # there, so the check the limiter also hooks in before every request would find nothing.
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:  # not there when limits are off
        hooks.remove(limiter._check_request_limit)
    # Its limits hold it weakly: the app keeps it alive.
    app.extensions["almerepas.limiter"] = limiter
    for endpoint, (key, per) in LIMITED.items():
        view = app.view_functions[endpoint]  # a KeyError here: the table names a gone endpoint
        limited = limiter.limit(
            _limit_of(key), key_func=_device if per == "device" else None, methods=["POST"]
        )
        app.view_functions[endpoint] = limited(view)  # type: ignore[assignment]
