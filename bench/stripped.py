"""The scan + redeem pair without the web framework's extras: a ceiling, never a server to run.

    .venv/bin/python bench/redeem.py --stripped

``bench/redeem.py --stripped`` serves this app as "ours" (with ``ALMEREPAS_RATE_LIMITS=off``)
to measure how far the pair could get if everything around the domain were free. It keeps what
the issue asks of the pair itself: the device's key, the same marshmallow schemas in and out,
``Idempotency-Key``, the scan, the replay guard, the ledger and the audit row. It drops what a
production service may not drop, so its figures say what those parts cost, nothing more:

- flask-smorest's and webargs' wrappers around the two views (the schemas run directly);
- every ``before_request`` and ``after_request`` hook: security and language headers, the
  request line in the log, the metrics, the content negotiation, the request-size check;
- the rate limits (``ALMEREPAS_RATE_LIMITS=off``).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from almerepas import create_app
from almerepas.core.session import transactional
from almerepas.partners import api, schemas
from almerepas.partners.auth import PartnerNotAuthenticated, Principal, current_principal
from almerepas.partners.idempotency import idempotent

app = create_app()


def _unwrapped(view: Any) -> Any:
    """The view's own function, without the decorators of almerepas.partners.api."""
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    return view


_scan, _redeem = _unwrapped(api.scan), _unwrapped(api.redeem)
_scan_in, _scan_out = schemas.ScanInSchema(), schemas.ScanOutSchema()
_redeem_in, _redeem_out = schemas.RedeemInSchema(), schemas.PartnerRedemptionSchema()


def _principal() -> Principal:
    principal = current_principal()
    if principal is None:
        raise PartnerNotAuthenticated()
    return principal


@transactional
def scan() -> tuple[Response, int]:
    body = _scan_in.load(request.get_json())
    return jsonify(_scan_out.dump(_scan(_principal(), body))), 201


@idempotent
def _booked(principal: Principal) -> tuple[Response, int]:
    body = _redeem_in.load(request.get_json())
    return jsonify(_redeem_out.dump(_redeem(principal, body))), 201


@transactional
def redeem() -> Response:
    response: Response = _booked(_principal())
    return response


app.view_functions["partner.scan"] = scan
app.view_functions["partner.redeem"] = redeem
app.before_request_funcs.clear()
app.after_request_funcs.clear()
