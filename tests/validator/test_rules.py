"""The pyjwt rules of the research note (§3, §8.8), held to by reading the source: one
registry-derived algorithm per call, never "none" or HS*, never an unchecked signature, never a
key fetched from the network; and a pyjwt with the fixes the note lists."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import almerepas

PACKAGE = Path(almerepas.__file__).resolve().parent
#: The only algorithm lists the code may pass to pyjwt: the key's own, or the bundle's.
ALLOWED_LISTS = {"[record.alg]", "[BUNDLE_ALGORITHM]"}


def sources() -> dict[str, str]:
    """Every module of the package that uses pyjwt."""
    texts = {
        str(path.relative_to(PACKAGE.parent)): path.read_text(encoding="utf-8")
        for path in sorted(PACKAGE.rglob("*.py"))
    }
    return {
        name: text for name, text in texts.items() if re.search(r"^(import|from) jwt", text, re.M)
    }


def code_lines(text: str) -> list[str]:
    """Lines of code, without comments and docstrings' prose (lines inside triple quotes)."""
    lines, in_doc = [], False
    for line in text.splitlines():
        stripped = line.strip()
        quotes = stripped.count('"""')
        if in_doc or stripped.startswith('"""'):
            in_doc = in_doc != (quotes % 2 == 1)
            continue
        lines.append(line.split("#", 1)[0])
    return lines


def test_every_pyjwt_call_gets_one_algorithm_from_the_registry() -> None:
    found = []
    for name, text in sources().items():
        for line in code_lines(text):
            for match in re.finditer(r"algorithms\s*=\s*(\[[^\]]*\]|[A-Za-z_.]+)", line):
                found.append((name, match.group(1).strip()))
    assert len(found) == 2, f"the two pyjwt verifications (kit, bundle) moved? {found}"
    wrong = [(name, value) for name, value in found if value not in ALLOWED_LISTS]
    assert not wrong, f"an algorithm list that is not the key's own: {wrong}"


def test_no_unchecked_signature_no_network_keys_no_symmetric_algorithms() -> None:
    banned = {
        "verify_signature": "a signature must always be checked",
        "PyJWKClient": "validators never fetch keys over the network",
        "get_unverified": "headers are read by the kit's own strict parser",
        '"HS256"': "no symmetric algorithm",
        '"none"': "never the none algorithm",
        "jwt.decode(": "credentials are verified with PyJWS and our own claim checks",
    }
    hits = [
        f"{name}: {needle} ({why})"
        for name, text in sources().items()
        for line in code_lines(text)
        for needle, why in banned.items()
        if needle in line
    ]
    assert not hits, "\n".join(hits)


def test_pyjwt_has_the_fixes_the_note_lists() -> None:
    major, minor, *_ = (int(part) for part in version("pyjwt").split(".")[:2])
    assert (major, minor) >= (2, 15), "pyjwt>=2.15: crit headers, JWK-as-HMAC, exact issuer"
    assert "pyjwt[crypto]>=2.15,<3" in (PACKAGE.parent / "setup.cfg").read_text()
