"""A resident's browser on the application pages: forms posted with their CSRF token."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.applications.support import ADDRESS, INCOME, MEMBERS, pdf_bytes
from tests.web.conftest import BROWSER_ACCEPT

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def resident(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT"] = BROWSER_ACCEPT
    return client


def post(
    client: FlaskClient, path: str, data: dict[str, Any], form_page: str = "/aanvragen"
) -> TestResponse:
    match = TOKEN.search(client.get(form_page).get_data(as_text=True))
    assert match, f"no CSRF token on {form_page}"
    return client.post(path, data={**data, "csrf_token": match.group(1)})


def upload(client: FlaskClient, data: bytes, name: str = "loonstrook.pdf") -> TestResponse:
    match = TOKEN.search(client.get("/aanvragen/bewijs").get_data(as_text=True))
    assert match
    return client.post(
        "/aanvragen/bewijs",
        data={"csrf_token": match.group(1), "bestand": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def fill_in(client: FlaskClient) -> None:
    """Every step right, one PDF added: ready for the review."""
    assert post(client, "/aanvragen", {}).status_code == 303
    for path, data in (
        ("/aanvragen/huishouden", MEMBERS),
        ("/aanvragen/adres", ADDRESS),
        ("/aanvragen/inkomen", INCOME),
    ):
        done = post(client, path, {**data, "actie": "volgende"}, path)
        assert done.status_code == 303, done.get_data(as_text=True)[:2000]
    assert upload(client, pdf_bytes()).status_code == 303


def submit(client: FlaskClient) -> TestResponse:
    review = client.get("/aanvragen/controleren").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', review)
    csrf = TOKEN.search(review)
    assert token and csrf
    return client.post(
        "/aanvragen/versturen", data={"csrf_token": csrf.group(1), "token": token.group(1)}
    )
