"""Server-rendered pages for residents and staff: plain HTML that works without JavaScript."""

from __future__ import annotations

from flask import Flask

# households, household_forms, household_changes, assessment_forms and pass_forms add their
# routes to the caseworker blueprint; partner_admin_forms and partner_admin_keys add theirs
# to partner_admin's.
from almerepas.web import (
    application_queue,
    assessment_forms,
    caseworker,
    desk,
    finance,
    grant_runs,
    holder,
    household_changes,
    household_forms,
    households,
    outreach,
    partner_admin,
    partner_admin_forms,
    partner_admin_keys,
    pass_forms,
    policy,
    public,
    reimbursement_queue,
    reports,
    signals,
    sso,
    staff,
    staff_admin,
)

__all__ = [
    "assessment_forms",
    "household_changes",
    "household_forms",
    "households",
    "partner_admin_forms",
    "partner_admin_keys",
    "pass_forms",
]


def init_app(app: Flask) -> None:
    app.register_blueprint(public.blp)
    app.register_blueprint(desk.blp)
    app.before_request(desk.allow_uploads)  # before staff's CSRF check reads the form
    staff.init_app(app)
    app.register_blueprint(sso.blp)
    app.register_blueprint(caseworker.blp)
    app.register_blueprint(application_queue.blp)
    app.register_blueprint(reimbursement_queue.blp)
    app.register_blueprint(outreach.blp)
    grant_runs.init_app(app)
    finance.init_app(app)
    policy.init_app(app)
    reports.init_app(app)
    signals.init_app(app)
    partner_admin.init_app(app)
    staff_admin.init_app(app)
    holder.init_app(app)
