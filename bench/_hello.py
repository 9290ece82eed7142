"""The cheapest apps gunicorn can serve, for bench/overhead.py: what a request costs before any
application code runs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, request

BODY = json.dumps({"ok": True}).encode()


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Bare WSGI: read the body, answer a small JSON."""
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("201 Created", [("Content-Type", "application/json")])
    return [BODY]


flask_app = Flask(__name__)


@flask_app.post("/hello")
def hello() -> tuple[dict[str, Any], int]:
    """Bare Flask: parse the JSON body, answer a small JSON."""
    return {"ok": True, "got": len(request.get_json() or {})}, 201
