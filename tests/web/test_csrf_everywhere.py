"""Every form a page posts to refuses a POST without its CSRF token, before it looks at who is
asking or what was sent; the JSON API (bearer tokens, no cookies to ride on) has none."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

PROBLEM = {"Accept": "application/problem+json"}


def _value(rule: Rule, name: str) -> object:
    """A plausible value for a variable of the rule: 1 for a number, "x" otherwise."""
    converter = type(rule._converters[name]).__name__  # werkzeug keeps them only here
    return 1 if converter in ("IntegerConverter", "NumberConverter") else "x"


def page_forms(app: Flask) -> list[str]:
    """The path of every non-API rule that takes a POST, its variables filled in."""
    urls = app.url_map.bind("localhost")
    return [
        urls.build(rule.endpoint, {n: _value(rule, n) for n in rule.arguments}, method="POST")
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or set()) and not rule.rule.startswith("/api/")
    ]


def test_every_page_form_refuses_a_post_without_its_token(app: Flask, client: FlaskClient) -> None:
    forms = page_forms(app)
    assert len(forms) > 30  # the staff, resident and partner pages
    answers = {path: client.post(path, data={"naam": "Anna"}, headers=PROBLEM) for path in forms}
    not_refused = {
        path: response.status_code
        for path, response in answers.items()
        if response.status_code != 400 or response.get_json()["code"] != "csrf_failed"
    }
    assert not_refused == {}


def test_a_wrong_token_is_refused_and_the_pages_own_token_passes(client: FlaskClient) -> None:
    wrong = client.post("/inloggen", data={"csrf_token": "nep", "username": "a"}, headers=PROBLEM)
    assert (wrong.status_code, wrong.get_json()["code"]) == (400, "csrf_failed")
    form = client.get("/inloggen").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert match
    right = client.post(
        "/inloggen", data={"csrf_token": match.group(1), "username": "a", "password": "b"}
    )
    # Past the token: the login form itself answers, with what was typed, not the CSRF check.
    assert 'id="username" name="username" type="text" value="a"' in right.get_data(as_text=True)
