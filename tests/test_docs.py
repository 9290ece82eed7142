"""docs/errors.md and docs/audit.md say what the code sends and writes. No database needed.

Error classes are found by walking ``DomainError``'s subclasses after importing every module of
the package, so these tests hold wherever the classes live. The codes that
``almerepas.http.problems`` emits itself are read from that module: its ``HTTP_CODES`` table and
every call in its source that passes a literal status and a literal code.
"""

from __future__ import annotations

import ast
import csv
import functools
import importlib
import itertools
import pkgutil
import re
from collections import defaultdict
from pathlib import Path

import almerepas
from almerepas.core.errors import DomainError
from almerepas.http import problems

ROOT = Path(__file__).resolve().parent.parent
ERRORS_MD = ROOT / "docs" / "errors.md"
AUDIT_MD = ROOT / "docs" / "audit.md"
PACKAGE = Path(almerepas.__file__).resolve().parent

#: The fallback for an HTTP status without a name in HTTP_CODES, as errors.md writes it.
HTTP_PATTERN = "http_<status>"

#: (code, status) pairs that problems.py can emit with another status than the DomainError of
#: the same code, on purpose or as a known quirk. validation_failed: HTTP_CODES maps 422 to it,
#: but a 422 from webargs carries messages and is answered as 400; only a bare werkzeug 422,
#: which nothing raises, would go out as 422.
KNOWN_STATUS_QUIRKS = {("validation_failed", 422)}


# -- what the code can send ----------------------------------------------------------------------


def _fail_import(name: str) -> None:
    raise ImportError(f"cannot import {name}")


@functools.cache
def error_classes() -> tuple[type[DomainError], ...]:
    """DomainError and every subclass of it, after importing every module of the package."""
    for info in pkgutil.walk_packages(almerepas.__path__, "almerepas.", onerror=_fail_import):
        importlib.import_module(info.name)
    found: list[type[DomainError]] = []

    def walk(cls: type[DomainError]) -> None:
        found.append(cls)
        for sub in cls.__subclasses__():
            walk(sub)

    walk(DomainError)
    return tuple(dict.fromkeys(found))


def class_statuses() -> dict[str, set[int]]:
    statuses: dict[str, set[int]] = defaultdict(set)
    for cls in error_classes():
        statuses[cls.code].add(cls.status)
    return dict(statuses)


@functools.cache
def problem_statuses() -> tuple[dict[str, set[int]], bool]:
    """Code -> statuses that problems.py emits itself, and whether it has the http_ fallback."""
    statuses: dict[str, set[int]] = defaultdict(set)
    for status, code in problems.HTTP_CODES.items():
        statuses[code].add(status)
    tree = ast.parse(Path(problems.__file__).read_text(encoding="utf-8"))
    fallback = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and len(node.args) >= 2:
            status, code = node.args[0], node.args[1]
            if (
                isinstance(status, ast.Constant)
                and type(status.value) is int
                and 400 <= status.value <= 599
                and isinstance(code, ast.Constant)
                and isinstance(code.value, str)
                and re.fullmatch(r"[a-z][a-z0-9_]*", code.value)
            ):
                statuses[code.value].add(status.value)
        if isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and first.value == "http_":
                fallback = True
    return dict(statuses), fallback


def emitted_statuses() -> dict[str, set[int]]:
    """Every code the service can send, with every status it can go out with."""
    statuses: dict[str, set[int]] = defaultdict(set)
    for source in (class_statuses(), problem_statuses()[0]):
        for code, found in source.items():
            statuses[code] |= found
    return dict(statuses)


def expected_codes() -> set[str]:
    codes = set(emitted_statuses())
    if problem_statuses()[1]:
        codes.add(HTTP_PATTERN)
    return codes


# -- what errors.md says ---------------------------------------------------------------------------

ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*([^|]*?)\s*\|")


def documented_rows() -> list[tuple[str, str]]:
    """(code, status) of every table row in the "Every code" section of errors.md."""
    text = ERRORS_MD.read_text(encoding="utf-8")
    _before, heading, section = text.partition("\n## Every code")
    assert heading, "docs/errors.md has no '## Every code' section"
    section = re.split(r"\n## ", section, maxsplit=1)[0]
    return [(m.group(1), m.group(2)) for m in map(ROW.match, section.splitlines()) if m]


def documented() -> dict[str, str]:
    return dict(documented_rows())


def test_the_code_lists_are_found() -> None:
    assert len(error_classes()) > 10
    assert {"internal_error", "not_found", "malformed_json"} <= set(problem_statuses()[0])
    assert len(documented_rows()) > 10


def test_every_code_is_documented() -> None:
    missing = sorted(expected_codes() - set(documented()))
    assert not missing, f"add these codes to the table in docs/errors.md: {missing}"


def test_no_documented_code_is_gone() -> None:
    gone = sorted(set(documented()) - expected_codes())
    assert not gone, f"docs/errors.md documents codes the service no longer sends: {gone}"


def test_each_code_is_documented_once() -> None:
    codes = [code for code, _status in documented_rows()]
    twice = sorted({code for code in codes if codes.count(code) > 1})
    assert not twice, f"docs/errors.md lists these codes more than once: {twice}"


def test_documented_status_matches_the_code() -> None:
    by_class = class_statuses()
    emitted = emitted_statuses()
    wrong = []
    for code, status in documented().items():
        if code == HTTP_PATTERN or code not in emitted:
            continue  # the pattern has no one status; a gone code fails its own test
        if not status.isdigit():
            wrong.append(f"{code}: status {status!r} is not a number")
        elif code in by_class and {int(status)} != by_class[code]:
            wrong.append(f"{code}: documented {status}, class status {sorted(by_class[code])}")
        elif int(status) not in emitted[code]:
            wrong.append(f"{code}: documented {status}, sent as {sorted(emitted[code])}")
    assert not wrong, "docs/errors.md has the wrong status:\n" + "\n".join(wrong)


def test_codes_are_unique_across_classes() -> None:
    """Two classes may share a code only when one inherits from the other, with one status."""
    by_code: dict[str, list[type[DomainError]]] = defaultdict(list)
    for cls in error_classes():
        by_code[cls.code].append(cls)
    clashes = []
    for code, classes in sorted(by_code.items()):
        for a, b in itertools.combinations(classes, 2):
            related = issubclass(a, b) or issubclass(b, a)
            if not related or a.status != b.status:
                clashes.append(
                    f"{code}: {a.__module__}.{a.__name__} ({a.status}) and "
                    f"{b.__module__}.{b.__name__} ({b.status})"
                )
    assert not clashes, "error classes share a code:\n" + "\n".join(clashes)


def test_problems_emit_a_class_code_with_the_class_status() -> None:
    by_class = class_statuses()
    clashes = [
        f"{code}: problems.py sends {status}, the class has {sorted(by_class[code])}"
        for code, statuses in sorted(problem_statuses()[0].items())
        if code in by_class
        for status in sorted(statuses)
        if {status} != by_class[code] and (code, status) not in KNOWN_STATUS_QUIRKS
    ]
    assert not clashes, "\n".join(clashes)


# -- audit actions ---------------------------------------------------------------------------------

#: ``action="x.y"``, also ``action="x.lock" if locked else "x.failed"`` (over lines, in brackets).
ACTION = re.compile(
    r'\baction\s*=\s*\(?\s*"([^"\n]*)"(?:\s+if\s+[^"]+?\s+else\s+"([^"\n]*)")?', re.MULTILINE
)
#: The CLI's ``record_batch(session, "norms.import", {...})``, which passes the action on.
BATCH = re.compile(r'\brecord_batch\(\s*\w+\s*,\s*"([^"\n]*)"')
#: A kind of account's refusals for the shared login rules (almerepas/staff/login_rules.py):
#: ``LoginActions("staff_user", failed="staff.login_failed", lock="staff.lock")``.
LOGIN_ACTIONS = re.compile(
    r'\bLoginActions\(\s*"[^"\n]*"\s*,\s*failed\s*=\s*"([^"\n]*)"\s*,\s*lock\s*=\s*"([^"\n]*)"'
)


def actions_in(source: str) -> set[str]:
    found = {action for match in ACTION.findall(source) for action in match if action}
    logins = {action for match in LOGIN_ACTIONS.findall(source) for action in match}
    return found | logins | set(BATCH.findall(source))


def audit_actions() -> dict[str, list[str]]:
    """Every literal audit action in the package -> the files that write it."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(PACKAGE.rglob("*.py")):
        for action in actions_in(path.read_text(encoding="utf-8")):
            found[action].append(str(path.relative_to(PACKAGE.parent)))
    return dict(found)


def test_the_action_patterns_catch_every_form() -> None:
    source = """
        audit.record(session, action="household.view", entity_type="household")
        audit.record(
            session,
            action="staff.lock" if locked else "staff.login_failed",
        )
        audit.record(
            session,
            action=(
                "a.long_one"
                if some_condition and another
                else "b.long_one"
            ),
        )
        record_batch(
            session, "grants.expire", {"period": period}
        )
        action = form["action"] or None
        ACTIONS = LoginActions(
            "partner_user", failed="partner.user_login_failed", lock="partner.user_lock"
        )
    """
    assert actions_in(source) == {
        "household.view",
        "staff.lock",
        "staff.login_failed",
        "a.long_one",
        "b.long_one",
        "grants.expire",
        "partner.user_login_failed",
        "partner.user_lock",
    }


def test_every_audit_action_is_documented() -> None:
    actions = audit_actions()
    assert actions, "no audit action found in almerepas/: has record() changed its signature?"
    text = AUDIT_MD.read_text(encoding="utf-8")
    missing = {a: files for a, files in sorted(actions.items()) if f"`{a}`" not in text}
    assert not missing, f"document these audit actions in docs/audit.md: {missing}"


# -- what counts as income -------------------------------------------------------------------------

ELIGIBILITY_MD = ROOT / "docs" / "eligibility.md"


def income_kinds_documented() -> list[list[str]]:
    """The rows of the kinds table in the "Wat telt als inkomen" section of eligibility.md."""
    text = ELIGIBILITY_MD.read_text(encoding="utf-8")
    _before, heading, section = text.partition("\n## Wat telt als inkomen\n")
    assert heading, "docs/eligibility.md has no '## Wat telt als inkomen' section"
    section = section.split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    cells = [[cell.strip().strip("`") for cell in row.strip("|").split(" | ")] for row in rows]
    return [row for row in cells if row[0] != "kind"]


def test_every_kind_of_income_is_documented_as_the_table_says() -> None:
    with (PACKAGE / "income" / "income_kinds.csv").open(encoding="utf-8", newline="") as f:
        table = [list(row.values()) for row in csv.DictReader(f)]
    assert len(table) >= 14
    assert income_kinds_documented() == table, (
        "docs/eligibility.md, 'Wat telt als inkomen': the table must list income_kinds.csv as it "
        "is, row for row (kind, label, treatment, minors, rule, source)"
    )
