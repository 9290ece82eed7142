"""`almerepas norms import` tells how many households' verdicts the new table changes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.income import assessments
from almerepas.models import MemberRole, Norm
from tests.factories import born, make_household

#: A made-up January 2027 single-parent norm, higher than July 2026 (EUR 1.419,46).
JANUARY_2027 = (
    "valid_from,valid_to,household_type,age_band,children,norm_cents,source_url\n"
    "2027-01-01,2027-06-30,single_parent,21-pension,one_or_more,146000,https://example.org\n"
)


def test_the_dry_run_counts_households_whose_verdict_changes(
    runner: FlaskCliRunner, reference: Session, tmp_path: Path
) -> None:
    # EUR 1.580 is 111,31% of the last known norm (July 2026) and 108,22% of January 2027: the
    # child gets the Stadsfonds of 2027 only with the new table.
    family = make_household(
        reference, [(MemberRole.applicant, born(40)), (MemberRole.child, born(10))]
    )
    assessments.record_assessment(
        reference, family, net_income=158000, assessed_on=dt.date(2026, 11, 1), assessed_by="t"
    )
    # A household far above both limits keeps its verdicts.
    rich = make_household(reference, [(MemberRole.applicant, born(40))])
    assessments.record_assessment(
        reference, rich, net_income=900000, assessed_on=dt.date(2026, 11, 1), assessed_by="t"
    )
    norms = reference.scalar(select(func.count()).select_from(Norm))
    table = tmp_path / "normen-2027-01.csv"
    table.write_text(JANUARY_2027, encoding="utf-8")

    result = runner.invoke(args=["norms", "import", str(table), "--dry-run"])

    assert result.exit_code == 0, result.output
    text = " ".join(result.output.replace("│", " ").split())  # the table wraps its cells
    assert "proefrun" in text
    assert "1 toegevoegd" in text
    assert "besluiten: 1 huishoudens anders" in text
    assert reference.scalar(select(func.count()).select_from(Norm)) == norms
