"""The migrations make the schema, both ways, and say the same as the models."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import delete, insert, inspect, select
from sqlalchemy.orm import Session

from almerepas.contracts.models import Location, Partner
from almerepas.core import migrate
from almerepas.core.db import Base, UTCDateTime, make_engine
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from almerepas.settlements import runs, windows
from almerepas.settlements.errors import NothingToSettle
from almerepas.settlements.models import SettlementLine, SettlementWindow
from tests.conftest import Backend
from tests.redemptions.support import child_budget
from tests.settlements.support import JULY, PREPARER, contracted, redeem_at


def test_upgrade_to_head_matches_models_and_downgrades_to_base(backend: Backend) -> None:
    engine = make_engine(backend.empty_database())
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert migrate.current_revisions(conn) == migrate.head_revisions()
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
            assert diff == [], f"models and migrations differ: {diff}"
            tables = set(inspect(conn).get_table_names())
        assert set(Base.metadata.tables) <= tables

        migrate.downgrade(engine, "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
            assert migrate.current_revisions(conn) == frozenset()

        migrate.upgrade(engine)  # and up again: downgrade left nothing behind that blocks it
        with engine.connect() as conn:
            assert migrate.current_revisions(conn) == migrate.head_revisions()
    finally:
        engine.dispose()


def test_each_migration_steps_down_and_up_again(backend: Backend) -> None:
    engine = make_engine(backend.empty_database())
    try:
        migrate.upgrade(engine)
        migrate.downgrade(engine, "-1")
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert migrate.current_revisions(conn) == migrate.head_revisions()
    finally:
        engine.dispose()


def test_there_is_one_head() -> None:
    assert len(migrate.head_revisions()) == 1


def _a_partner(session: Session) -> tuple[Partner, Location]:
    """The reference data of a settlement, and a partner with a contract for the Stadsfonds."""
    load_postcodes(session)
    load_norms(session)
    load_schemes(session)
    return contracted(session, "stadsfonds")


def test_settlement_windows_fold_the_lines_of_earlier_runs(backend: Backend, app: Flask) -> None:
    """f3a4b5c6d7e8: a run made before it keeps what it settled, as a window from the beginning
    to its cutoff and one line per contract and location; nothing is settled again; stepping
    down refuses while a line sums redemptions."""
    engine = make_engine(backend.empty_database())
    try:
        migrate.upgrade(engine)
        with app.app_context(), Session(engine) as session:
            partner, place = _a_partner(session)
            grant = child_budget(session)
            made = [redeem_at(session, grant, partner, place, cents) for cents in (10_00, 2_50)]
            run, _ = runs.prepare(session, period="2026-06", actor=PREPARER, now=JULY)
            [summed] = session.scalars(select(SettlementLine)).all()
            # the lines as the schema before windows wrote them: one per redemption
            per_source = [
                {
                    "run_id": run.id, "payment_id": summed.payment_id, "partner_id": partner.id,
                    "source_key": f"redemption:{r.id}", "kind": "redemption",
                    "contract_id": summed.contract_id, "scheme_id": summed.scheme_id,
                    "location_id": place.id, "redemption_id": r.id, "occurred_at": r.created_at,
                    "quantity": r.amount, "amount": r.amount,
                }
                for r in made
            ]  # fmt: skip
            session.execute(delete(SettlementWindow))
            session.execute(delete(SettlementLine))
            session.execute(insert(SettlementLine), per_source)
            session.commit()
            run_id, cutoff, contract_id = run.id, run.cutoff_at, summed.contract_id
            partner_id, place_id = partner.id, place.id
        migrate.downgrade(engine, "e2f3a4b5c6d7")  # the revision before windows
        migrate.upgrade(engine)

        with app.app_context(), Session(engine) as session:
            [line] = session.scalars(select(SettlementLine)).all()
            assert (line.sources, line.quantity, line.amount) == (2, 12_50, 12_50)
            assert (line.redemption_id, line.source_key) == (
                None,
                f"redemptions:{run_id}:{contract_id}:{place_id}",
            )
            assert windows.of_run(session, run_id) == [
                windows.Span(partner_id, windows.BEGINNING, cutoff)
            ]
            with pytest.raises(NothingToSettle):
                runs.prepare(session, period="2026-06", actor=PREPARER, now=JULY)
        with pytest.raises(RuntimeError, match="would settle them again"):
            migrate.downgrade(engine, "e2f3a4b5c6d7")
    finally:
        engine.dispose()


def _staff_table(*more: sa.ColumnClause[object]) -> sa.TableClause:
    """staff_user with only the columns the migration test writes (later revisions add more)."""
    return sa.table(
        "staff_user",
        sa.column("username", sa.String),
        sa.column("display_name", sa.String),
        sa.column("role", sa.String),
        sa.column("password_hash", sa.String),
        sa.column("totp_secret_encrypted", sa.LargeBinary),
        sa.column("failed_logins", sa.Integer),
        sa.column("active", sa.Boolean),
        sa.column("created_at", UTCDateTime()),
        sa.column("sso_subject", sa.String),
        *more,
    )


_STAFF = _staff_table()


def _staff(username: str, subject: str | None, **more: object) -> dict[str, object]:
    return {
        "username": username,
        "display_name": username,
        "role": "caseworker",
        "password_hash": "!sso",
        "totp_secret_encrypted": b"",
        "failed_logins": 0,
        "active": True,
        "created_at": dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        "sso_subject": subject,
    } | more


def test_staff_sso_issuer_keeps_accounts_and_steps_down_only_while_subjects_stay_apart(
    backend: Backend,
) -> None:
    """e2f3a4b5c6d7: accounts of single sign-on keep their subject with no issuer (their next
    login binds it); stepping down refuses, changing nothing, while one subject has accounts at
    two issuers, which sso_subject alone cannot tell apart."""
    engine = make_engine(backend.empty_database())
    with_issuer = _staff_table(sa.column("sso_issuer", sa.String))
    try:
        migrate.upgrade(engine, "e2f3a4b5c6d7-1")
        with engine.begin() as conn:
            conn.execute(_STAFF.insert(), [_staff("jan", "jan"), _staff("beheerder", None)])
        migrate.upgrade(engine, "e2f3a4b5c6d7")
        listed = sa.select(
            with_issuer.c.username, with_issuer.c.sso_issuer, with_issuer.c.sso_subject
        )
        with engine.begin() as conn:
            rows = conn.execute(listed.order_by(with_issuer.c.username)).all()
            assert [tuple(row) for row in rows] == [("beheerder", None, None), ("jan", None, "jan")]
            other = _staff("jan.nieuw", "jan") | {"sso_issuer": "https://login.nieuw.example"}
            conn.execute(with_issuer.insert(), [other])

        with pytest.raises(RuntimeError, match="more than one issuer"):
            migrate.downgrade(engine, "e2f3a4b5c6d7-1")
        with engine.connect() as conn:
            assert migrate.current_revisions(conn) == {"e2f3a4b5c6d7"}
            assert "sso_issuer" in {c["name"] for c in inspect(conn).get_columns("staff_user")}

        with engine.begin() as conn:
            conn.execute(_STAFF.delete().where(_STAFF.c.username == "jan.nieuw"))
        migrate.downgrade(engine, "e2f3a4b5c6d7-1")
        with engine.connect() as conn:
            assert "sso_issuer" not in {c["name"] for c in inspect(conn).get_columns("staff_user")}
            subjects = conn.execute(sa.select(_STAFF.c.username, _STAFF.c.sso_subject)).all()
            assert sorted(tuple(row) for row in subjects) == [("beheerder", None), ("jan", "jan")]
    finally:
        engine.dispose()


def test_composite_keys_refuse_to_upgrade_over_a_line_at_another_partners_location(
    backend: Backend, app: Flask
) -> None:
    """a4b5c6d7e8f9: a line whose location is another partner's stops the upgrade with a
    count and where to look, instead of the database's bare error; once corrected it runs."""
    engine = make_engine(backend.empty_database())
    try:
        migrate.upgrade(engine)
        with app.app_context(), Session(engine) as session:
            partner, place = _a_partner(session)
            _, elsewhere = contracted(session, "stadsfonds", name="Zwemclub")
            redeem_at(session, child_budget(session), partner, place, 10_00)
            runs.prepare(session, period="2026-06", actor=PREPARER, now=JULY)
            session.commit()
            place_id, elsewhere_id = place.id, elsewhere.id
        migrate.downgrade(engine, "f3a4b5c6d7e8")
        with engine.begin() as conn:
            conn.execute(sa.update(SettlementLine.__table__).values(location_id=elsewhere_id))

        with pytest.raises(RuntimeError, match="1 settlement lines and 0 windows do not belong"):
            migrate.upgrade(engine)

        with engine.begin() as conn:
            conn.execute(sa.update(SettlementLine.__table__).values(location_id=place_id))
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert migrate.current_revisions(conn) == migrate.head_revisions()
    finally:
        engine.dispose()
