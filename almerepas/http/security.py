"""Headers every response carries: the API version, the request id, security and language."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_babel import get_locale

from almerepas.http.problems import request_id


def init_app(app: Flask) -> None:
    """ADR: API-Version on every response; security headers (ADR transport rules, BIO)."""

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["API-Version"] = app.config["API_VERSION"]
        response.headers["X-Request-ID"] = request_id()
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.path == "/api/v1/docs":
            # Swagger UI starts itself with an inline script.
            csp = "default-src 'self'; script-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            csp += "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
        else:
            csp = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
            csp += "form-action 'self'"
        # No plugins, and no <base> that would send relative links and forms elsewhere.
        csp += "; object-src 'none'; base-uri 'none'"
        response.headers["Content-Security-Policy"] = csp
        if app.config["SESSION_COOKIE_SECURE"]:
            # Production is https only (its cookies are Secure): browsers keep to it for a year.
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if request.path.startswith("/api/") and "Cache-Control" not in response.headers:
            # Not stored anywhere, unless a view says it is public (the JWKS, GET /keys).
            response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Language"] = str(get_locale() or "nl")
        response.vary.add("Accept-Language")
        lang = request.args.get("lang")
        if lang and lang in app.config["LANGUAGES"] and request.cookies.get("lang") != lang:
            response.set_cookie(
                "lang",
                lang,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=app.config["SESSION_COOKIE_SECURE"],
                httponly=True,
            )
        return response
