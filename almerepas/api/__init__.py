"""The versioned JSON API under /api/v1: one blueprint per resource, registered here."""

from __future__ import annotations

from flask import Flask

from almerepas.api import (
    audit,
    changelog,
    funding,
    grant_runs,
    health,
    households,
    keys,
    partners,
    passes,
    policy,
    reports,
    schemes,
    settlements,
    signals,
    staff_users,
    tokens,
)
from almerepas.http import api_doc
from almerepas.http.guard import SECURITY_SCHEME, add_www_authenticate
from almerepas.http.rest import API_PREFIX, Api, check_content_negotiation


def init_api(app: Flask) -> Api:
    """Create this app's Api (one per app: the spec belongs to the app) and its blueprints."""
    api = Api(app)
    app.extensions["almerepas.api"] = api
    api.spec.components.security_scheme(
        SECURITY_SCHEME,
        {"type": "http", "scheme": "bearer", "description": "Token uit POST /tokens"},
    )
    api.register_blueprint(health.blp, url_prefix=API_PREFIX)
    api.register_blueprint(changelog.blp, url_prefix=API_PREFIX)
    api.register_blueprint(funding.blp, url_prefix=API_PREFIX)
    api.register_blueprint(tokens.blp, url_prefix=API_PREFIX)
    api.register_blueprint(audit.blp, url_prefix=API_PREFIX)
    api.register_blueprint(households.blp, url_prefix=API_PREFIX)
    api.register_blueprint(schemes.blp, url_prefix=API_PREFIX)
    api.register_blueprint(grant_runs.blp, url_prefix=API_PREFIX)
    api.register_blueprint(policy.blp, url_prefix=API_PREFIX)
    api.register_blueprint(passes.blp, url_prefix=API_PREFIX)
    api.register_blueprint(keys.blp, url_prefix=API_PREFIX)
    api.register_blueprint(partners.blp, url_prefix=API_PREFIX)
    api.register_blueprint(settlements.blp, url_prefix=API_PREFIX)
    api.register_blueprint(reports.blp, url_prefix=API_PREFIX)
    api.register_blueprint(signals.blp, url_prefix=API_PREFIX)
    api.register_blueprint(staff_users.blp, url_prefix=API_PREFIX)
    app.before_request(check_content_negotiation)
    app.after_request(add_www_authenticate)
    api_doc.init_app(app)
    return api
