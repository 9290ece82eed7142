"""Structured logs: one JSON line per request (id, method, endpoint, status, duration), nothing
that identifies a person: an error's message and traceback, which may quote a value, are written
with e-mail addresses and BSN-shaped numbers taken out (almerepas.core.redaction).

The request line names the Flask endpoint, never the path or query string (a path can hold a
pass number, a query a name or BSN) and never a body. ALMEREPAS_LOG_FORMAT chooses json (the
default in production) or text (elsewhere).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import time
from typing import Any

from flask import Flask, Response, g, request

from almerepas.core.redaction import redact
from almerepas.http.problems import request_id

ACCESS = logging.getLogger("almerepas.access")

#: Fields a log call may add with ``extra=``; nothing else of a record is written.
FIELDS = ("request_id", "method", "endpoint", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the request's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for field in FIELDS:
            if hasattr(record, field):
                line[field] = getattr(record, field)
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class TextFormatter(logging.Formatter):
    """Plain lines for a terminal, with the same redaction as the JSON lines."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def make_formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter(TEXT_FORMAT)


def configure(log_format: str) -> None:
    """Give the almerepas loggers one handler on stderr in the chosen format (once per process:
    the last app built decides, which in production is the only one)."""
    logger = logging.getLogger("almerepas")
    handler = next((h for h in logger.handlers if getattr(h, "almerepas", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.almerepas = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False
    handler.setFormatter(make_formatter(log_format))
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


def init_app(app: Flask) -> None:
    """Write the request line after every response (also an error's)."""
    if not app.testing:
        configure(app.config["LOG_FORMAT"])

    @app.before_request
    def _start() -> None:
        g.log_started = time.perf_counter()

    @app.after_request
    def _request_line(response: Response) -> Response:
        started = g.get("log_started", time.perf_counter())
        fields = {
            "request_id": request_id(),
            "method": request.method,
            "endpoint": request.endpoint or "unmatched",
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        ACCESS.info(
            "%(method)s %(endpoint)s %(status)s %(duration_ms)sms [%(request_id)s]",
            fields,
            extra=fields,
        )
        return response
