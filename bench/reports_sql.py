"""The SQL of bench/reports.py: the year of data, made with ``generate_series``, and each figure
written by hand (independently of ``almerepas.reports``) to check and time ours against."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from almerepas.reports.scope import ReportFilter, month_end

DISTRICTS = (
    "'almere_stad','almere_stad','almere_stad','almere_buiten','almere_buiten','almere_haven',"
    "'almere_poort','almere_hout','almere_pampus','unknown'"
)


def _scheme(code: str) -> str:
    return f"(SELECT id FROM scheme WHERE code = '{code}')"


def _grants(code: str, beneficiary: str, ids: str, periods: str, amount: int) -> str:
    """One grant per beneficiary (from ``ids``, a query of ``b``) and period."""
    column = "person_id" if beneficiary == "person" else "household_id"
    return f"""
INSERT INTO entitlement_grant (scheme_id, period, beneficiary_key, {column}, amount, created_at)
SELECT {_scheme(code)}, per, '{beneficiary}:' || b, b, {amount}, now()
FROM ({ids}) AS beneficiaries (b) CROSS JOIN (VALUES {periods}) AS periods (per)
"""


MONTHS = ", ".join(f"('2026-{m:02d}')" for m in range(1, 13))


def seed_sql(holders: int, redemptions: int, rides: int, per_scheme: int) -> list[str]:
    """Statements that fill a migrated database with partners already in it (one transaction)."""
    n = holders
    h = max(n * 2 // 5, 1)
    persons = f"SELECT p FROM generate_series(1, {n}) p"
    households = f"SELECT x FROM generate_series(1, {h}) x"
    moment = "(to_date(u.period, 'YYYY-MM')::timestamp AT TIME ZONE 'UTC')"
    return [
        "SELECT setseed(0.42)",
        f"""INSERT INTO person (id, given_name, family_name, date_of_birth, created_at)
        SELECT p, 'Bench', 'Holder ' || p, date '1950-01-01' + (p * 7919 % 25000), now()
        FROM generate_series(1, {n}) p""",
        f"""INSERT INTO household (id, postcode, house_number, street, district, language,
                                   letters_by_post, created_at)
        SELECT x, '1315AB', x, 'Benchstraat', (ARRAY[{DISTRICTS}])[1 + x % 10], 'nl', false,
               now()
        FROM generate_series(1, {h}) x""",
        # Most live in one household all year; some moved in April (their latest membership
        # decides the district), some left another household before the year; every 50th
        # has no household (district unknown).
        f"""INSERT INTO membership (household_id, person_id, role, valid_from, valid_to)
        SELECT 1 + (p - 1) % {h}, p, 'other',
               CASE WHEN p % 20 = 0 THEN date '2026-04-01' ELSE date '2020-01-01' END, NULL
        FROM generate_series(1, {n}) p WHERE p % 50 <> 0
        UNION ALL
        SELECT 1 + p * 7 % {h}, p, 'other', date '2020-01-01', date '2026-03-31'
        FROM generate_series(1, {n}) p WHERE p % 20 = 0 AND p % 50 <> 0
        UNION ALL
        SELECT 1 + p * 11 % {h}, p, 'other', date '2019-01-01', date '2025-06-30'
        FROM generate_series(1, {n}) p WHERE p % 33 = 0 AND p % 50 <> 0""",
        f"""INSERT INTO pass (id, number, person_id, status, generation, valid_from, valid_until,
                              issued_at)
        SELECT p, 'B' || p, p, CASE WHEN p % 25 = 0 THEN 'expired' ELSE 'active' END, 1,
               CASE WHEN p % 25 = 0 THEN date '2024-01-01' ELSE date '2026-01-01' END,
               CASE WHEN p % 25 = 0 THEN date '2025-12-31' ELSE date '2026-12-31' END, now()
        FROM generate_series(1, {n}) p WHERE p % 25 <> 0 OR p % 2 = 0""",
        _grants("ov", "person", f"{persons} WHERE p % 5 IN (0, 1)", MONTHS + ", ('2025-12')", 0),
        _grants("stadsfonds", "person", f"{persons} WHERE p % 10 IN (2, 3, 4)", "('2026')", 80000),
        _grants("stadsfonds", "person", f"{persons} WHERE p % 10 = 2", "('2025')", 80000),
        _grants("menstruatie", "person", f"{persons} WHERE p % 20 IN (5, 6, 7)", MONTHS, 3),
        _grants("supermarkt", "household", f"{households} WHERE x % 2 = 0", MONTHS, 5000),
        _grants("basis", "person", f"{persons} WHERE p % 3 = 0", "('2026')", 0),
        _grants("volwassenenfonds", "person", f"{persons} WHERE p % 10 >= 5", "('2026')", 70000),
        _grants("volwassenenfonds", "person", f"{persons} WHERE p % 10 = 5", "('2025')", 70000),
        _grants("vroegschool", "person", f"{persons} WHERE p % 33 = 1", "('2026')", 50000),
        # Ledger rows the figures read: entitlement accounts, one redemption entry and payee,
        # and the expiry of a tenth of the yearly grants.
        """INSERT INTO journal_entry (kind, natural_key, created_by, created_at, effective_at)
        VALUES ('redemption', 'bench:redemption', 'bench', now(), now()),
               ('expiry', 'bench:expiry', 'bench', now(), now())""",
        """INSERT INTO account (code, name, kind, unit, balance, created_at)
        SELECT 'bench:grant:' || g.id, 'grant', 'entitlement', s.unit, 0, now()
        FROM entitlement_grant g JOIN scheme s ON s.id = g.scheme_id
        WHERE g.amount > 0
        UNION ALL
        SELECT 'bench:' || v.what || ':' || u.unit, v.what, v.kind, u.unit, 0, now()
        FROM (VALUES ('payee', 'payable'), ('expired', 'expired')) v (what, kind)
        CROSS JOIN (SELECT DISTINCT unit FROM scheme) u""",
        """UPDATE entitlement_grant g SET account_id = a.id,
               expiry_entry_id = CASE WHEN g.id % 10 = 0 AND length(g.period) = 4
                   THEN (SELECT id FROM journal_entry WHERE natural_key = 'bench:expiry') END
        FROM account a WHERE a.code = 'bench:grant:' || g.id""",
        """INSERT INTO transfer (entry_id, debit_account_id, credit_account_id, unit, amount)
        SELECT g.expiry_entry_id, g.account_id, x.id, a.unit, 1000 + g.id % 5000
        FROM entitlement_grant g JOIN account a ON a.id = g.account_id
        JOIN account x ON x.code = 'bench:expired:' || a.unit
        WHERE g.expiry_entry_id IS NOT NULL""",
        """CREATE TEMP TABLE counter ON COMMIT DROP AS
        SELECT c.scheme_id, row_number() OVER (PARTITION BY c.scheme_id ORDER BY c.id) - 1 AS k,
               c.partner_id, c.id AS contract_id,
               (SELECT min(l.id) FROM partner_location l WHERE l.partner_id = c.partner_id)
                   AS location_id
        FROM contract c""",
        f"DELETE FROM counter WHERE k >= {per_scheme}",
        # Three in four grants with an amount are used; each redemption on a random one of
        # them, in its period, of up to a twentieth of it.
        """CREATE TEMP TABLE usable ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY id) AS rn, id, scheme_id, amount, period
        FROM entitlement_grant WHERE amount > 0 AND id % 4 <> 0""",
        f"""INSERT INTO redemption (grant_id, entry_id, amount, reversed, payee_account_id,
                                    reference, created_at, partner_id, location_id)
        SELECT u.id, (SELECT id FROM journal_entry WHERE natural_key = 'bench:redemption'),
               1 + (x.k::bigint * 7919) % greatest(u.amount / 20, 1), 0,
               (SELECT id FROM account WHERE code = 'bench:payee:' || s.unit), 'bench:' || x.k,
               CASE WHEN length(u.period) = 7
                   THEN {moment} + (x.k % 27) * interval '1 day'
                   ELSE make_date(u.period::int, 1, 1)::timestamp AT TIME ZONE 'UTC'
                        + (x.k % 360) * interval '1 day' END
                   + (x.k % 50000) * interval '1 second',
               c.partner_id, c.location_id
        FROM (SELECT k, 1 + floor(random() * (SELECT count(*) FROM usable))::int AS rn
              FROM generate_series(1, {redemptions}) k) x
        JOIN usable u ON u.rn = x.rn JOIN scheme s ON s.id = u.scheme_id
        JOIN counter c ON c.scheme_id = u.scheme_id AND c.k = x.k % {per_scheme}""",
        # What each redemption took from its grant's entitlement account.
        """INSERT INTO transfer (entry_id, debit_account_id, credit_account_id, unit, amount)
        SELECT r.entry_id, g.account_id, r.payee_account_id, a.unit, r.amount
        FROM redemption r JOIN entitlement_grant g ON g.id = r.grant_id
        JOIN account a ON a.id = g.account_id""",
        # One in a hundred is partly given back.
        """UPDATE redemption SET reversed = greatest(amount / 2, 1) WHERE id % 100 = 0""",
        """INSERT INTO journal_entry (kind, natural_key, created_by, created_at, effective_at)
        SELECT 'reversal', 'bench:reversal:' || id, 'bench', created_at, created_at
        FROM redemption WHERE reversed > 0""",
        """INSERT INTO redemption_reversal (redemption_id, entry_id, amount, created_at)
        SELECT r.id, e.id, r.reversed, r.created_at + interval '1 hour'
        FROM redemption r JOIN journal_entry e ON e.natural_key = 'bench:reversal:' || r.id
        WHERE r.reversed > 0""",
        # Scans: a quarter as many as redemptions, on six in seven passes.
        """CREATE TEMP TABLE scanned ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY id) AS rn, id FROM pass
        WHERE person_id % 7 <> 0 AND status = 'active'""",
        f"""INSERT INTO scan (reference, pass_id, partner_id, location_id, method, scanned_at,
                              expires_at)
        SELECT 'bench:' || x.k, p.id, c.partner_id, c.location_id, 'phone', at,
               at + interval '5 minutes'
        FROM (SELECT k, 1 + floor(random() * (SELECT count(*) FROM scanned))::int AS rn,
                     timestamptz '2026-01-01 00:00+00' + (k % 31000000) * interval '1 second'
                         AS at
              FROM generate_series(1, {redemptions // 4}) k) x
        JOIN scanned p ON p.rn = x.rn
        JOIN counter c ON c.scheme_id = {_scheme("stadsfonds")} AND c.k = x.k % {per_scheme}""",
        # Bus rides on four in five bus grants, with the pass of the grant's person; one in
        # twenty refused.
        """CREATE TEMP TABLE riders ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY g.id) AS rn, g.id, g.period, p.id AS pass_id
        FROM entitlement_grant g JOIN pass p ON p.person_id = g.person_id
        WHERE g.scheme_id = (SELECT id FROM scheme WHERE code = 'ov') AND g.id % 5 <> 0""",
        f"""INSERT INTO ride (partner_id, ride_ref, location_id, pass_id, grant_id, line, stop,
                              ridden_at, received_at, result, online)
        SELECT c.partner_id, 'bench:' || x.k, c.location_id, u.pass_id, u.id, 'M1', 'Centrum',
               {moment} + (x.k % 27) * interval '1 day' + (x.k % 80000) * interval '1 second',
               {moment} + interval '28 days',
               CASE WHEN x.k % 20 = 0 THEN 'pass_blocked' ELSE 'ok' END, false
        FROM (SELECT k, 1 + floor(random() * (SELECT count(*) FROM riders))::int AS rn
              FROM generate_series(1, {rides}) k) x
        JOIN riders u ON u.rn = x.rn
        JOIN counter c ON c.scheme_id = {_scheme("ov")} AND c.k = x.k % {per_scheme}""",
        # Settled: an approved run over January and February; a draft run (not counted) over
        # the first week of March.
        """INSERT INTO settlement_run (period, status, cutoff_at, lines_hash, total, prepared_by,
                                       prepared_at, approved_by, approved_at)
        VALUES ('2026-02', 'approved', '2026-03-01', 'bench', 0, 'a', now(), 'b', now()),
               ('2026-03', 'draft', '2026-03-08', 'bench', 0, 'a', now(), NULL, NULL)""",
        """INSERT INTO settlement_payment (run_id, partner_id, method, amount, status)
        SELECT r.id, c.partner_id, 'sepa', 1, 'pending' FROM settlement_run r CROSS JOIN counter c
        """,
        # Redemptions and reversals are settled by windows of time per partner; rides by a
        # line each.
        """INSERT INTO settlement_window (run_id, partner_id, starts_at, ends_at)
        SELECT r.id, c.partner_id,
               CASE r.period WHEN '2026-02' THEN timestamptz '2000-01-01 00:00+00'
                             ELSE timestamptz '2026-03-01 00:00+00' END, r.cutoff_at
        FROM settlement_run r CROSS JOIN counter c""",
        """INSERT INTO settlement_line (run_id, payment_id, partner_id, source_key, kind,
                                        contract_id, scheme_id, ride_id, occurred_at, quantity,
                                        amount)
        SELECT sr.id, p.id, d.partner_id, 'ride:' || d.id, 'ride', c.contract_id, g.scheme_id,
               d.id, d.ridden_at, 1, 150
        FROM ride d JOIN entitlement_grant g ON g.id = d.grant_id
        JOIN counter c ON c.partner_id = d.partner_id
        JOIN settlement_run sr ON sr.period = CASE WHEN d.ridden_at < '2026-03-01'
                                                   THEN '2026-02' ELSE '2026-03' END
        JOIN settlement_payment p ON p.run_id = sr.id AND p.partner_id = d.partner_id
        WHERE d.result = 'ok' AND d.ridden_at < '2026-03-08'""",
        *(
            f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))"
            for t in ("person", "household", "pass")
        ),
    ]


def _facts(f: ReportFilter) -> tuple[str, dict[str, Any]]:
    """CTEs: the grants in scope with their home and district (``homed``), and their persons."""
    params: dict[str, Any] = {
        "labels": f.labels,
        "start": f.start,
        "end": f.end,
        "start_day": f.start.date(),
        "end_day": f.end.date(),
        "district": f.district,
    }
    sql = """
WITH latest AS (
    SELECT DISTINCT ON (person_id) person_id, household_id FROM membership
    ORDER BY person_id, valid_from DESC, id DESC
), homed AS (
    SELECT g.*, s.kind AS scheme_kind, s.code,
           coalesce(g.household_id, l.household_id) AS home_id,
           coalesce(h.district, 'unknown') AS district
    FROM entitlement_grant g
    JOIN scheme s ON s.id = g.scheme_id
    LEFT JOIN latest l ON g.household_id IS NULL AND l.person_id = g.person_id
    LEFT JOIN household h ON h.id = coalesce(g.household_id, l.household_id)
    WHERE g.period = ANY(:labels)
      AND (CAST(:district AS text) IS NULL OR coalesce(h.district, 'unknown') = :district)
), people AS (
    SELECT id AS grant_id, person_id FROM homed WHERE person_id IS NOT NULL
    UNION
    SELECT g.id, m.person_id FROM homed g JOIN membership m ON m.household_id = g.household_id
    WHERE m.valid_from < :end_day AND (m.valid_to IS NULL OR m.valid_to >= :start_day)
), used AS (
    SELECT grant_id, sum(amount) AS redeemed, sum(reversed) AS reversed,
           min(created_at) AS first_at
    FROM redemption WHERE grant_id IN (SELECT id FROM homed) GROUP BY grant_id
), first_ride AS (
    SELECT grant_id, min(ridden_at) AS first_at FROM ride
    WHERE result = 'ok' AND grant_id IN (SELECT id FROM homed) GROUP BY grant_id
)
"""
    return sql, params


def raw_by_scheme(
    conn: Connection, f: ReportFilter, *, per_district: bool
) -> list[tuple[Any, ...]]:
    """``figures.by_scheme`` by hand: the same tuple per row as bench/reports.py makes."""
    facts, params = _facts(f)
    district = "g.district" if per_district else "NULL"
    sql = (
        facts
        + f"""
, with_pass AS (
    SELECT DISTINCT p.grant_id FROM people p JOIN pass ON pass.person_id = p.person_id
    WHERE pass.valid_from < :end_day AND pass.valid_until >= :start_day
), activated AS (
    SELECT DISTINCT p.grant_id FROM people p WHERE p.person_id IN (
        SELECT pass.person_id FROM pass
        WHERE EXISTS (SELECT 1 FROM scan WHERE scan.pass_id = pass.id AND scan.scanned_at < :end)
           OR EXISTS (SELECT 1 FROM ride WHERE ride.pass_id = pass.id AND ride.result = 'ok'
                      AND ride.ridden_at < :end))
), settled AS (
    -- settlement windows (docs/settlement.md): what a partner recorded in an approved run's
    -- window is settled, priced at the tariff of its contract; rides keep a line each
    SELECT grant_id, sum(amount) AS settled FROM (
        SELECT r.grant_id,
               CASE c.tariff_kind WHEN 'amount_redeemed' THEN r.amount
                                  WHEN 'per_unit' THEN r.amount * c.tariff
                                  ELSE div(r.amount * c.tariff + 5000, 10000) END AS amount
        FROM settlement_window w JOIN settlement_run sr ON sr.id = w.run_id
        JOIN redemption r ON r.partner_id = w.partner_id
             AND r.created_at >= w.starts_at AND r.created_at < w.ends_at
        JOIN entitlement_grant g ON g.id = r.grant_id
        JOIN contract c ON c.partner_id = r.partner_id AND c.scheme_id = g.scheme_id
        WHERE sr.status IN ('approved', 'paid_out', 'confirmed')
        UNION ALL
        SELECT r.grant_id,
               CASE c.tariff_kind WHEN 'amount_redeemed' THEN -v.amount
                                  WHEN 'per_unit' THEN -v.amount * c.tariff
                                  ELSE div((b.left_before - v.amount) * c.tariff + 5000, 10000)
                                       - div(b.left_before * c.tariff + 5000, 10000) END
        FROM settlement_window w JOIN settlement_run sr ON sr.id = w.run_id
        JOIN redemption_reversal v ON v.created_at >= w.starts_at AND v.created_at < w.ends_at
        JOIN redemption r ON r.id = v.redemption_id AND r.partner_id = w.partner_id
        CROSS JOIN LATERAL (
            SELECT r.amount - coalesce(sum(e.amount), 0) AS left_before
            FROM redemption_reversal e WHERE e.redemption_id = v.redemption_id AND e.id < v.id
        ) b
        JOIN entitlement_grant g ON g.id = r.grant_id
        JOIN contract c ON c.partner_id = r.partner_id AND c.scheme_id = g.scheme_id
        WHERE sr.status IN ('approved', 'paid_out', 'confirmed')
        UNION ALL
        SELECT d.grant_id, l.amount FROM settlement_line l JOIN ride d ON d.id = l.ride_id
        JOIN settlement_run sr ON sr.id = l.run_id
        WHERE sr.status IN ('approved', 'paid_out', 'confirmed')
    ) x GROUP BY grant_id
), expired AS (
    SELECT g.id AS grant_id, sum(t.amount) AS expired FROM homed g
    JOIN transfer t ON t.entry_id = g.expiry_entry_id AND t.debit_account_id = g.account_id
    GROUP BY g.id
), persons AS (
    SELECT g.code, {district} AS district, count(DISTINCT p.person_id) AS n
    FROM people p JOIN homed g ON g.id = p.grant_id GROUP BY 1, 2
), counted AS (
    SELECT g.code, {district} AS district,
           count(DISTINCT g.home_id) AS households,
           count(DISTINCT g.beneficiary_key) FILTER (WHERE wp.grant_id IS NOT NULL) AS with_pass,
           count(DISTINCT g.beneficiary_key) AS eligible,
           count(DISTINCT g.beneficiary_key)
               FILTER (WHERE g.amount > 0 OR g.scheme_kind = 'right') AS granted,
           count(DISTINCT g.beneficiary_key) FILTER (WHERE a.grant_id IS NOT NULL) AS activated,
           count(DISTINCT g.beneficiary_key)
               FILTER (WHERE u.grant_id IS NOT NULL OR fr.grant_id IS NOT NULL) AS first_use,
           count(DISTINCT g.beneficiary_key) FILTER (
               WHERE g.amount > 0 AND (coalesce(u.redeemed, 0) - coalesce(u.reversed, 0)) * 2
                     > g.amount) AS half_used,
           sum(g.amount) AS granted_amount, coalesce(sum(u.redeemed), 0) AS redeemed,
           coalesce(sum(u.reversed), 0) AS reversed, coalesce(sum(e.expired), 0) AS expired,
           coalesce(sum(st.settled), 0) AS settled
    FROM homed g
    LEFT JOIN with_pass wp ON wp.grant_id = g.id
    LEFT JOIN activated a ON a.grant_id = g.id
    LEFT JOIN used u ON u.grant_id = g.id
    LEFT JOIN first_ride fr ON fr.grant_id = g.id
    LEFT JOIN settled st ON st.grant_id = g.id
    LEFT JOIN expired e ON e.grant_id = g.id
    GROUP BY 1, 2
)
SELECT c.code, c.district, coalesce(p.n, 0), c.households, c.with_pass, c.eligible,
       c.granted, c.activated, c.first_use, c.half_used, c.granted_amount, c.redeemed,
       c.reversed, c.expired, c.settled
FROM counted c LEFT JOIN persons p ON p.code = c.code AND p.district IS NOT DISTINCT FROM c.district
"""
    )
    return sorted(tuple(row) for row in conn.execute(text(sql), params))


def raw_months(conn: Connection, f: ReportFilter) -> list[tuple[Any, ...]]:
    """``figures.take_up_by_month`` by hand: per scheme and month with a running grant."""
    facts, params = _facts(ReportFilter(f.year, None, f.district))
    params["year"] = str(f.year)
    params["ends"] = [month_end(f.year, m) for m in range(1, 13)]
    sql = (
        facts
        + """
SELECT g.code, m.month::int,
       count(DISTINCT g.beneficiary_key),
       count(DISTINCT g.beneficiary_key)
           FILTER (WHERE coalesce(u.first_at, fr.first_at) < (:ends)[m.month])
FROM homed g
JOIN generate_series(1, 12) AS m (month)
  ON g.period = :year OR g.period = CAST(:year AS text) || '-' || lpad(m.month::text, 2, '0')
LEFT JOIN used u ON u.grant_id = g.id
LEFT JOIN first_ride fr ON fr.grant_id = g.id
GROUP BY 1, 2
"""
    )
    return sorted(tuple(row) for row in conn.execute(text(sql), params))


def raw_by_partner(conn: Connection, f: ReportFilter) -> list[tuple[Any, ...]]:
    """``figures.by_partner`` by hand: redemptions on grants in scope per partner and scheme."""
    facts, params = _facts(f)
    sql = (
        facts
        + """
SELECT p.name, g.code, count(*), sum(r.amount), sum(r.reversed)
FROM redemption r JOIN homed g ON g.id = r.grant_id JOIN partner p ON p.id = r.partner_id
GROUP BY 1, 2
"""
    )
    return sorted(tuple(row) for row in conn.execute(text(sql), params))
