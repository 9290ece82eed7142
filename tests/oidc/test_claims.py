"""From claims to a role or a BSN: the role map's notation, exactly one role, the BSN claim with
a broker's prefix. No provider and no database needed."""

from __future__ import annotations

import pytest

from almerepas.holders.errors import SsoNoBsn
from almerepas.holders.sso import bsn_from_claims
from almerepas.staff.errors import SsoNoRole, SsoSeveralRoles
from almerepas.staff.models import Role
from almerepas.staff.sso import parse_role_map, role_from_claims

MAP = parse_role_map(" GG-Consulent = caseworker, GG-Fin=finance ,GG=Fin=auditor,")


def test_the_role_map_reads_group_role_pairs() -> None:
    expected = {"GG-Consulent": Role.caseworker, "GG-Fin": Role.finance, "GG=Fin": Role.auditor}
    assert dict(MAP) == expected
    with pytest.raises(ValueError):
        parse_role_map("GG-Consulent=superuser")
    with pytest.raises(ValueError):
        parse_role_map("GG-Consulent")


@pytest.mark.parametrize(
    ("value", "role"),
    [
        (["GG-Iedereen", "GG-Consulent"], Role.caseworker),
        ("GG-Fin", Role.finance),  # a single group as a string
        (["GG-Consulent", "GG-Consulent"], Role.caseworker),
    ],
)
def test_one_mapped_group_gives_its_role(value: object, role: Role) -> None:
    assert role_from_claims({"groups": value}, "groups", MAP) == role


@pytest.mark.parametrize("value", [None, [], ["GG-Iedereen"], "gg-consulent", 7, [["GG-Fin"]]])
def test_no_mapped_group_is_no_role(value: object) -> None:
    with pytest.raises(SsoNoRole):
        role_from_claims({"groups": value}, "groups", MAP)


def test_two_mapped_roles_are_never_a_guess() -> None:
    with pytest.raises(SsoSeveralRoles):
        role_from_claims({"groups": ["GG-Consulent", "GG-Fin"]}, "groups", MAP)


def test_the_bsn_comes_from_the_configured_claim_after_its_prefix() -> None:
    assert bsn_from_claims({"bsn": "111222333"}, "bsn") == "111222333"
    assert bsn_from_claims({"sub": "s00000000:111222333"}, "sub", "s00000000:") == "111222333"
    for claims, claim, prefix in [
        ({"sub": "111222333"}, "sub", "s00000000:"),  # the prefix is missing
        ({"sub": "s00000001:111222333"}, "sub", "s00000000:"),  # another sector
        ({"bsn": "111222334"}, "bsn", ""),  # fails the eleven test
        ({"bsn": 111222333}, "bsn", ""),
        ({}, "bsn", ""),
    ]:
        with pytest.raises(SsoNoBsn):
            bsn_from_claims(claims, claim, prefix)
