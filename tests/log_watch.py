"""The logs of a whole test run hold nobody: no BSN, e-mail address, phone number or name.

Every record of the ``almerepas`` loggers is written, as production writes it (JSON, level INFO),
to ``app.log`` in the session's temporary folder; at the end the plugin reads that file and every
``*.log`` under the folder (the servers the tests start write there), and fails the run, naming
file and line, when one holds a BSN that passes the eleven test, an e-mail address other than the
service's own, a Dutch mobile number or a name of the demo (reference/demo.py). docs/privacy.md.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from almerepas.core.elfproef import bsn_shaped, passes_eleven_test
from almerepas.http.logs import JsonFormatter
from almerepas.reference.demo import FAMILY, GIVEN

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
#: The service's own senders may appear (the SMTP envelope, configuration).
OWN_ADDRESS = re.compile(r"^noreply@")
PHONE = re.compile(r"(?<![0-9])(?:\+31|0031|0)6[ -]?[0-9]{8}(?![0-9])")
_given, _family = ("|".join(map(re.escape, names)) for names in (GIVEN, FAMILY))
NAME = re.compile(rf"\b(?:{_given}) (?:{_family})\b")
#: Request ids and other random hex (keys, hashes) hold digit runs by chance: taken out first.
RANDOM_HEX = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-fA-F]{16,}"
)
_handler_key = pytest.StashKey[logging.Handler]()


@dataclass(frozen=True)
class Finding:
    where: str
    kind: str
    text: str


def personal_data(line: str) -> Iterator[tuple[str, str]]:
    """What in one log line identifies a person: (kind, the text found)."""
    line = RANDOM_HEX.sub("<hex>", line)
    for digits in bsn_shaped(line):
        if passes_eleven_test(digits):
            yield "BSN", digits
    for match in EMAIL.finditer(line):
        if not OWN_ADDRESS.match(match.group()):
            yield "e-mail", match.group()
    for match in PHONE.finditer(line):
        yield "phone", match.group()
    for match in NAME.finditer(line):
        yield "name", match.group()


def scan(paths: list[Path]) -> list[Finding]:
    found = []
    for path in paths:
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, 1):
                found += [
                    Finding(f"{path}:{number}", kind, text)
                    for kind, text in dict.fromkeys(personal_data(line))  # each once a line
                ]
    return found


def pytest_sessionstart(session: pytest.Session) -> None:
    base = session.config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
    handler = logging.FileHandler(base / "app.log", encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.INFO)
    logger = logging.getLogger("almerepas")
    logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)  # as production (almerepas/http/logs.py)
    session.config.stash[_handler_key] = handler


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    handler = session.config.stash.get(_handler_key, None)
    if handler is None:
        return
    logging.getLogger("almerepas").removeHandler(handler)
    handler.close()
    base = Path(handler.baseFilename).parent
    found = scan(sorted(base.rglob("*.log")))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", f"logs checked for personal data: {len(found)} found")
        for finding in found[:50]:
            reporter.write_line(f"{finding.where}: {finding.kind} {finding.text!r}")
    if found:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
