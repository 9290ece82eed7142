"""Prometheus metrics at /metrics: requests and latency per endpoint, redemptions, refusals.

Labels are the Flask endpoint name (never the raw path, which holds ids) and the problem code,
so the number of series stays bounded. /metrics answers only a bearer token equal to
ALMEREPAS_METRICS_TOKEN; without one configured it does not exist (404). Loopback alone is no
protection: behind nginx on the same host every request comes from loopback.

With several gunicorn workers set PROMETHEUS_MULTIPROC_DIR (docs/operations.md): each worker
then writes its figures to files there and /metrics adds them up.
"""

from __future__ import annotations

import hmac
import os
import time

from flask import Flask, Response, abort, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "almerepas_http_requests",
    "HTTP requests answered, by Flask endpoint, method and status",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "almerepas_http_request_duration_seconds",
    "Time from the request's start to its response, by Flask endpoint and method",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REDEMPTIONS = Counter(
    "almerepas_redemptions",
    "Redemptions (and rides of a right) booked at partners through the API or the portal",
)
REFUSALS = Counter(
    "almerepas_refusals",
    "Problem answers (application/problem+json or the error page), by their stable code",
    ["code"],
)


def endpoint_label() -> str:
    """The Flask endpoint, or "unmatched" for a path no route knows (a 404 of any path)."""
    return request.endpoint or "unmatched"


def count_problem(code: str) -> None:
    """Remember the problem code this request answered with, for the refusal counter."""
    g.problem_code = code


def count_redemption() -> None:
    """Remember that this request booked a redemption; counted once its answer is a success
    (an idempotent replay does not run the view, so it is not counted again)."""
    g.redemption_booked = True


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def _authorised(token: str | None) -> bool:
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def init_app(app: Flask) -> None:
    """Time every request, count it when it is answered, and serve /metrics to the token."""

    @app.before_request
    def _start_clock() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        if request.endpoint == "metrics":
            return response
        endpoint = endpoint_label()
        started = g.get("started")
        if started is not None:
            LATENCY.labels(endpoint, request.method).observe(time.perf_counter() - started)
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        code = g.get("problem_code")
        if code:
            REFUSALS.labels(code).inc()
        elif g.get("redemption_booked") and response.status_code < 400:
            REDEMPTIONS.inc()
        return response

    @app.route("/metrics", endpoint="metrics")
    def metrics() -> Response:
        if not _authorised(app.config.get("METRICS_TOKEN")):
            abort(404)
        return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)
