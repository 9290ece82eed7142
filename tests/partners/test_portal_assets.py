"""The portal's camera reader is npm's jsqr, copied unchanged, and the page serves it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from tests.conftest import IN_CI
from tests.partners.portal_support import make_counter, portal_client

ROOT = Path(__file__).resolve().parents[2]
VENDORED = ROOT / "static" / "partners" / "vendor" / "jsqr" / "jsQR.js"
FROM_NPM = ROOT / "node_modules" / "jsqr" / "dist" / "jsQR.js"


def test_the_vendored_qr_reader_is_the_one_package_json_names() -> None:
    version = json.loads((ROOT / "package.json").read_text())["devDependencies"]["jsqr"]
    assert f"jsqr {version} " in (VENDORED.parent / "LICENSE").read_text()
    if not FROM_NPM.exists():
        missing = "node_modules has no jsqr: run npm ci"
        if IN_CI:
            pytest.fail(missing)
        pytest.skip(missing)
    assert VENDORED.read_bytes() == FROM_NPM.read_bytes()


def test_the_scan_page_serves_its_scripts_from_static(app: Flask, keyed: Session) -> None:
    client = portal_client(app, make_counter(keyed))
    html = client.get("/partner").get_data(as_text=True)
    scripts = re.findall(r'<script src="(/static/partners/[^"]+)"', html)
    assert scripts == ["/static/partners/vendor/jsqr/jsQR.js", "/static/partners/portal.js"]
    for path in scripts:
        with client.get(path) as asset:
            assert (asset.status_code, asset.mimetype) == (200, "text/javascript")
