"""The phone pass's files: the vendored QR generator is npm's, the service worker is served
from /mijn with the right scope, and what it keeps offline exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
VENDORED = ROOT / "static" / "holder" / "vendor" / "qrcode-generator" / "qrcode.mjs"
FROM_NPM = ROOT / "node_modules" / "qrcode-generator" / "dist" / "qrcode.mjs"


def test_the_vendored_qr_generator_is_the_one_package_json_names() -> None:
    version = json.loads((ROOT / "package.json").read_text())["devDependencies"]["qrcode-generator"]
    assert f"qrcode-generator {version}" in (VENDORED.parent / "LICENSE").read_text()
    if not FROM_NPM.exists():
        # A developer who has not run npm ci yet gets a skip with the reason; CI installs it
        # (scripts/test runs npm ci), so there a missing package is a failure.
        missing = "node_modules has no qrcode-generator: run npm ci"
        if IN_CI:
            pytest.fail(missing)
        pytest.skip(missing)
    assert VENDORED.read_bytes() == FROM_NPM.read_bytes()


def test_the_service_worker_is_served_under_mijn(client: FlaskClient) -> None:
    response = client.get("/mijn/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert "Service-Worker-Allowed" not in response.headers  # its folder is its scope: /mijn/
    kept = re.search(r"const ASSETS = \[(.*?)\];", response.get_data(as_text=True), re.S)
    assert kept
    for path in re.findall(r'"(/static/[^"]+)"', kept.group(1)):
        with client.get(path) as asset:
            assert asset.status_code == 200, path


def test_the_manifest_starts_at_mijn(client: FlaskClient) -> None:
    response = client.get("/mijn/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert (manifest["start_url"], manifest["scope"]) == ("/mijn", "/mijn/")
