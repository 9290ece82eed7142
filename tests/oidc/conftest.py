"""A real OpenID Connect provider on loopback for the single sign-on tests, and a fake one.

``oidc_provider``: oidc-provider (npm, pinned in package.json) run by Node from
tests/oidc/provider.mjs on a free loopback port, with the test's own signing key, clients and
accounts, and stopped by its PID, as tests/fixtures.py does for redis-server. Without Node or
the package the tests are skipped, except under CI=true, where that is a failure.

``fake_provider``: a few lines of http.server on loopback that serve a discovery document, a
JWKS and a token endpoint answering with whatever ID token the test signed: for the tokens a
real provider never makes (a wrong audience or nonce, expired, an unknown key).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from flask import Flask
from joserfc.jwk import RSAKey
from sqlalchemy.orm import Session

from tests.conftest import Backend
from tests.fixtures import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("provider.mjs")
PUBLIC_URL = "https://almerepas.test"
STAFF_CLIENT = ("almerepas-medewerkers", "staff-secret-for-tests-only-0123456789")
RESIDENT_CLIENT = ("almerepas-digid", "resident-secret-for-tests-only-0123456789")
ROLE_MAP = "GG-Almerepas-Consulent=caseworker,GG-Almerepas-Financien=finance"
#: A BSN that passes the eleven test (as tests/web/conftest.py), and another one nobody has.
BSN = "111222333"
UNKNOWN_BSN = "123456782"
#: The provider's people: account id -> the claims of its tokens.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "jan": {
        "name": "Jan Jansen",
        "preferred_username": "j.jansen",
        "roles": ["GG-Iedereen", "GG-Almerepas-Consulent"],
    },
    "piet": {"name": "Piet Pieters", "preferred_username": "p.pieters", "roles": ["GG-Iedereen"]},
    "fien": {
        "name": "Fien Fransen",
        "roles": ["GG-Almerepas-Consulent", "GG-Almerepas-Financien"],
    },
    "inwoner": {"bsn": BSN},
    "nieuwkomer": {"bsn": UNKNOWN_BSN},
}


def _fail_or_skip(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true needs it: {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass
class OidcProvider:
    """oidc-provider under Node on 127.0.0.1; ``key`` is the private key it signs with."""

    port: int
    key: RSAKey
    process: Any = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        node = shutil.which("node")
        if node is None:
            _fail_or_skip("node is not installed (Debian package nodejs)")
        if not (ROOT / "node_modules" / "oidc-provider" / "package.json").exists():
            _fail_or_skip("oidc-provider is not installed: run npm ci")
        clients = [
            {
                "client_id": client_id,
                "client_secret": secret,
                "redirect_uris": [f"{PUBLIC_URL}{path}"],
            }
            for (client_id, secret), path in (
                (STAFF_CLIENT, "/inloggen/gemeente/terug"),
                (RESIDENT_CLIENT, "/mijn/inloggen/digid/terug"),
            )
        ]
        # Node runs on the real clock (under libfaketime it may not start, as redis-server did
        # not); the script shifts its own clock to the time the tests see (OIDC_CLOCK_MS).
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and "FAKETIME" not in k}
        env.update(
            OIDC_ISSUER=self.issuer,
            OIDC_JWKS=json.dumps({"keys": [self.key.as_dict(private=True)]}),
            OIDC_CLIENTS=json.dumps(clients),
            OIDC_ACCOUNTS=json.dumps(ACCOUNTS),
            # The machine's clock as this process sees it (faked or not), not the app's clock:
            # requests' cookie jar judges the provider's cookies by it.
            OIDC_CLOCK_MS=str(int(time.time() * 1000)),  # noqa: TID251
            NODE_NO_WARNINGS="1",
        )
        self.process = subprocess.Popen(
            [str(node), str(SCRIPT)], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port, self.process, "oidc-provider", 20, on_failure=self._failed)

    def _failed(self) -> str:
        self.stop()
        return ""

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def log_in(self, authorize_url: str, account: str) -> str:
        """Log in as ``account`` on the provider's own pages and consent, as a person does
        with a browser; return the URL the provider sends the browser back to (our callback)."""
        http = requests.Session()
        url = authorize_url
        for _ in range(20):
            answer = http.get(url, allow_redirects=False, timeout=10)
            while answer.is_redirect:
                url = urljoin(url, answer.headers["Location"])
                if not url.startswith(self.issuer):
                    return url
                answer = http.get(url, allow_redirects=False, timeout=10)
            action = re.search(r'<form[^>]*action="([^"]+)"', answer.text)
            prompt = re.search(r'name="prompt" value="(\w+)"', answer.text)
            assert action and prompt, f"no form on the provider's page {url}: {answer.text[:300]}"
            form = {"prompt": prompt.group(1)}
            if prompt.group(1) == "login":
                form |= {"login": account, "password": "any"}
            answer = http.post(
                urljoin(url, action.group(1)), data=form, allow_redirects=False, timeout=10
            )
            assert answer.is_redirect, answer.text[:300]
            url = urljoin(url, answer.headers["Location"])
            if not url.startswith(self.issuer):
                return url
        raise AssertionError("the provider never sent the browser back")


@pytest.fixture(scope="module")
def oidc_provider() -> Iterator[OidcProvider]:
    """One provider for a test module (it keeps no state a test could trip over)."""
    key = RSAKey.generate_key(2048, parameters={"kid": "almerepas-test", "use": "sig"})
    provider = OidcProvider(free_port(), key)
    provider.start()
    yield provider
    provider.stop()


# -- a fake provider for tokens no real provider makes ------------------------------------------


@dataclass
class FakeProvider:
    """Discovery, JWKS and a token endpoint on loopback; the token endpoint answers with
    ``id_token``, set by the test after it saw the nonce in the authorization request."""

    port: int
    key: RSAKey
    id_token: str = ""
    token_requests: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server's hook name
                if self.path == "/.well-known/openid-configuration":
                    self._json(
                        {
                            "issuer": fake.issuer,
                            "authorization_endpoint": f"{fake.issuer}/auth",
                            "token_endpoint": f"{fake.issuer}/token",
                            "jwks_uri": f"{fake.issuer}/jwks",
                            "response_types_supported": ["code"],
                            "subject_types_supported": ["public"],
                            "id_token_signing_alg_values_supported": ["RS256"],
                        }
                    )
                elif self.path == "/jwks":
                    self._json({"keys": [fake.key.as_dict(private=False)]})
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                fake.token_requests.append(self.rfile.read(length).decode())
                self._json({"access_token": "x", "token_type": "Bearer", "id_token": fake.id_token})

            def _json(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture(scope="module")
def fake_key() -> RSAKey:
    """One key per module: making an RSA key takes a moment."""
    return RSAKey.generate_key(2048, parameters={"kid": "fake-1", "use": "sig"})


@pytest.fixture
def fake_provider(fake_key: RSAKey) -> Iterator[FakeProvider]:
    provider = FakeProvider(free_port(), fake_key)
    provider.start()
    yield provider
    provider.stop()


# -- apps that log in through a provider ----------------------------------------------------------

MakeSsoApp = Callable[..., Flask]


@pytest.fixture
def make_sso_app(
    make_app: Callable[..., Flask],
    database_url: str,
    backend: Backend,
    session_factory: Callable[[], Session],
) -> MakeSsoApp:
    """An app on the test's database whose staff and residents log in at ``issuer``."""

    def build(issuer: str, **config: Any) -> Flask:
        settings: dict[str, Any] = dict(
            PUBLIC_URL=PUBLIC_URL,
            STAFF_OIDC_ISSUER=issuer,
            STAFF_OIDC_CLIENT_ID=STAFF_CLIENT[0],
            STAFF_OIDC_CLIENT_SECRET=STAFF_CLIENT[1],
            STAFF_OIDC_SCOPE="openid profile roles",
            STAFF_OIDC_ROLE_CLAIM="roles",
            STAFF_OIDC_ROLE_MAP=ROLE_MAP,
            RESIDENT_OIDC_ISSUER=issuer,
            RESIDENT_OIDC_CLIENT_ID=RESIDENT_CLIENT[0],
            RESIDENT_OIDC_CLIENT_SECRET=RESIDENT_CLIENT[1],
            RESIDENT_OIDC_SCOPE="openid bsn",
        )
        app = make_app(database_url, **(settings | config))
        app.extensions["almerepas.sessionmaker"] = session_factory
        app.config["OUTBOX_HAND_OVER"] = "close"
        return app

    return build
