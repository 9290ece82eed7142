"""The bulk-loaded parts of bench/city.py's year of Almere, in SQL (``generate_series``): the
residents before the grant runs, and a year's use of the grants the runs made.

Only set-up is loaded here; what the bench measures (grant runs, settlement runs, the reports)
goes through the product. Deterministic: fixed arithmetic on ids and ``setseed``.
"""

from __future__ import annotations

from bench.reports_sql import DISTRICTS

#: the moment of the ledger rows written here, and their author (to find them again)
AUTHOR = "bench:city"


def residents_sql(holders: int, *, norm_id: int, norm: int) -> list[str]:
    """Households (two in five of the holders), persons, memberships, passes and an income
    assessment per household for 2026 at 60 to 139 % of the couple norm (one transaction)."""
    n = holders
    h = max(n * 2 // 5, 1)
    return [
        f"""INSERT INTO household (id, postcode, house_number, street, district, language,
                                   letters_by_post, created_at)
        SELECT x, '1315AB', x, 'Benchstraat', (ARRAY[{DISTRICTS}])[1 + x % 10], 'nl', false,
               now()
        FROM generate_series(1, {h}) x""",
        # Person p lives in household 1 + (p - 1) % h: the first is the applicant, the second a
        # partner in one household of three (else a child), the third a child. Adults are 26 to
        # 76 at the start of 2026, children 0 to 17.
        f"""INSERT INTO person (id, given_name, family_name, date_of_birth, created_at)
        SELECT p, 'Bench', 'Holder ' || p,
               CASE WHEN (p - 1) / {h} = 0 OR ((p - 1) / {h} = 1 AND p % 3 = 0)
                   THEN date '1950-01-01' + (p * 7919 % 18250)
                   ELSE date '2008-06-01' + (p * 7919 % 6570) END,
               now()
        FROM generate_series(1, {n}) p""",
        f"""INSERT INTO membership (household_id, person_id, role, valid_from, valid_to)
        SELECT 1 + (p - 1) % {h}, p,
               CASE WHEN (p - 1) / {h} = 0 THEN 'applicant'
                    WHEN (p - 1) / {h} = 1 AND p % 3 = 0 THEN 'partner' ELSE 'child' END,
               date '2020-01-01', NULL
        FROM generate_series(1, {n}) p""",
        f"""INSERT INTO pass (id, number, person_id, status, generation, valid_from, valid_until,
                              issued_at)
        SELECT p, 'C' || p, p, 'active', 1, date '2026-01-01', date '2026-12-31', now()
        FROM generate_series(1, {n}) p WHERE p % 25 <> 0""",
        f"""INSERT INTO income_assessment (household_id, assessed_on, valid_from, valid_to,
            net_income, norm_id, norm_amount, household_type, percentage_bp, assessed_by,
            created_at)
        SELECT x, date '2025-10-01' + x % 90, date '2026-01-01', date '2026-12-31',
               {norm} * (60 + x * 37 % 80) / 100, {norm_id}, {norm}, 'couple',
               (60 + x * 37 % 80) * 100, 'bench', now()
        FROM generate_series(1, {h}) x""",
        *(
            f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))"
            for t in ("person", "household", "pass")
        ),
    ]


def _scheme(code: str) -> str:
    return f"(SELECT id FROM scheme WHERE code = '{code}')"


def use_sql(redemptions: int, rides: int, per_scheme: int) -> list[str]:
    """A year's use of the grants in the database: redemptions (never more than a grant holds)
    with their ledger transfers, one in a hundred partly reversed, scans and bus rides
    (one transaction)."""
    moment = "(to_date(u.period, 'YYYY-MM')::timestamp AT TIME ZONE 'Europe/Amsterdam')"
    return [
        "SELECT setseed(0.16)",
        f"""INSERT INTO journal_entry (kind, natural_key, created_by, created_at, effective_at)
        VALUES ('redemption', 'bench:city:redemption', '{AUTHOR}', now(), now())""",
        # The payee account of each contracted partner, as booking.payee_account names it.
        """INSERT INTO account (code, name, kind, unit, balance, cached, created_at)
        SELECT DISTINCT CASE WHEN s.unit = 'EUR' THEN 'payable' ELSE 'consumed' END
                        || ':partner:' || c.partner_id || ':' || lower(s.unit),
               'partner:' || c.partner_id || ' (' || s.unit || ')',
               CASE WHEN s.unit = 'EUR' THEN 'payable' ELSE 'consumed' END, s.unit, 0, false,
               now()
        FROM contract c JOIN scheme s ON s.id = c.scheme_id
        ON CONFLICT DO NOTHING""",
        """CREATE TEMP TABLE counter ON COMMIT DROP AS
        SELECT c.scheme_id, row_number() OVER (PARTITION BY c.scheme_id ORDER BY c.id) - 1 AS k,
               c.partner_id,
               (SELECT min(l.id) FROM partner_location l WHERE l.partner_id = c.partner_id)
                   AS location_id
        FROM contract c""",
        f"DELETE FROM counter WHERE k >= {per_scheme}",
        # Three in four grants with an amount are used. Each is cut into slots (a pack each, or
        # a twentieth of a budget); the redemptions are the first slots in a random order, so
        # no grant is overdrawn.
        """CREATE TEMP TABLE slot ON COMMIT DROP AS
        SELECT g.id AS grant_id, g.scheme_id, g.period, g.account_id, s.unit,
               CASE WHEN s.unit = 'PACK' THEN 1
                    ELSE 1 + (g.id * 7919 + k * 104729) % greatest(g.amount / 20, 1) END
                   AS amount,
               row_number() OVER (ORDER BY random()) AS k
        FROM entitlement_grant g JOIN scheme s ON s.id = g.scheme_id
        CROSS JOIN LATERAL generate_series(1, CASE WHEN s.unit = 'PACK' THEN g.amount ELSE 20
                                                   END) k
        WHERE g.amount > 0 AND g.account_id IS NOT NULL AND g.id % 4 <> 0""",
        f"DELETE FROM slot WHERE k > {redemptions}",
        f"""INSERT INTO redemption (grant_id, entry_id, amount, reversed, payee_account_id,
                                    reference, created_at, partner_id, location_id)
        SELECT u.grant_id,
               (SELECT id FROM journal_entry WHERE natural_key = 'bench:city:redemption'),
               u.amount, 0, a.id, 'bench:' || u.k,
               CASE WHEN length(u.period) = 7
                   THEN {moment} + (u.k % 27) * interval '1 day'
                   ELSE make_date(u.period::int, 3, 1)::timestamp AT TIME ZONE 'UTC'
                        + (u.k % 290) * interval '1 day' END
                   + (8 * 3600 + u.k % 36000) * interval '1 second',
               c.partner_id, c.location_id
        FROM slot u
        JOIN counter c ON c.scheme_id = u.scheme_id AND c.k = u.k % {per_scheme}
        JOIN account a ON a.code = CASE WHEN u.unit = 'EUR' THEN 'payable' ELSE 'consumed' END
                                   || ':partner:' || c.partner_id || ':' || lower(u.unit)""",
        """INSERT INTO transfer (entry_id, debit_account_id, credit_account_id, unit, amount)
        SELECT r.entry_id, g.account_id, r.payee_account_id, a.unit, r.amount
        FROM redemption r JOIN entitlement_grant g ON g.id = r.grant_id
        JOIN account a ON a.id = g.account_id""",
        # One in a hundred is partly given back an hour later, with its entry and transfer.
        "UPDATE redemption SET reversed = greatest(amount / 2, 1) WHERE id % 100 = 0",
        f"""INSERT INTO journal_entry (kind, natural_key, created_by, created_at, effective_at)
        SELECT 'reversal', 'bench:reversal:' || id, '{AUTHOR}', created_at + interval '1 hour',
               created_at + interval '1 hour'
        FROM redemption WHERE reversed > 0""",
        """INSERT INTO redemption_reversal (redemption_id, entry_id, amount, created_at)
        SELECT r.id, e.id, r.reversed, e.created_at
        FROM redemption r JOIN journal_entry e ON e.natural_key = 'bench:reversal:' || r.id
        WHERE r.reversed > 0""",
        """INSERT INTO transfer (entry_id, debit_account_id, credit_account_id, unit, amount)
        SELECT v.entry_id, r.payee_account_id, g.account_id, a.unit, v.amount
        FROM redemption_reversal v JOIN redemption r ON r.id = v.redemption_id
        JOIN entitlement_grant g ON g.id = r.grant_id JOIN account a ON a.id = g.account_id""",
        # The cached balances of the entitlement accounts follow their transfers.
        f"""UPDATE account a SET balance = a.balance + d.delta
        FROM (SELECT account_id, sum(delta) AS delta FROM (
                  SELECT t.debit_account_id AS account_id, -t.amount AS delta
                  FROM transfer t JOIN journal_entry e ON e.id = t.entry_id
                  WHERE e.created_by = '{AUTHOR}'
                  UNION ALL
                  SELECT t.credit_account_id, t.amount
                  FROM transfer t JOIN journal_entry e ON e.id = t.entry_id
                  WHERE e.created_by = '{AUTHOR}') m GROUP BY account_id) d
        WHERE a.id = d.account_id AND a.cached""",
        # Scans: a quarter as many as redemptions, on six in seven passes.
        """CREATE TEMP TABLE scanned ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY id) AS rn, id FROM pass WHERE person_id % 7 <> 0""",
        f"""INSERT INTO scan (reference, pass_id, partner_id, location_id, method, scanned_at,
                              expires_at)
        SELECT 'bench:' || x.k, p.id, c.partner_id, c.location_id, 'phone', at,
               at + interval '5 minutes'
        FROM (SELECT k, 1 + floor(random() * (SELECT count(*) FROM scanned))::int AS rn,
                     timestamptz '2026-01-01 07:00+00' + (k % 31000000) * interval '1 second'
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
               {moment} + (x.k % 27) * interval '1 day' + interval '1 day',
               CASE WHEN x.k % 20 = 0 THEN 'pass_blocked' ELSE 'ok' END, false
        FROM (SELECT k, 1 + floor(random() * (SELECT count(*) FROM riders))::int AS rn
              FROM generate_series(1, {rides}) k) x
        JOIN riders u ON u.rn = x.rn
        JOIN counter c ON c.scheme_id = {_scheme("ov")} AND c.k = x.k % {per_scheme}""",
    ]
