const DAY_OF = `((created_at AT TIME ZONE 'UTC')::date)`;
const CREDITED_DAY = `((credited_at AT TIME ZONE 'UTC')::date)`;

/** The last closed UTC day by the database's clock: a day closes `settleMinutes` after its UTC midnight. */
export const lastClosedSql = (settleMinutes: number): string =>
  `SELECT (((now() - interval '${settleMinutes} minutes') AT TIME ZONE 'UTC')::date - 1)::text AS last_closed`;

/** Days of [$1, $2] that have no aggregate yet, or whose aggregate is stale. */
export const PENDING_SQL = `
SELECT d.day::text AS day, EXISTS (SELECT 1 FROM analytics_rollup_days r WHERE r.day = d.day) AS computed
  FROM generate_series(0, $2::date - $1::date) AS i, LATERAL (SELECT $1::date + i AS day) d
 WHERE NOT EXISTS (SELECT 1 FROM analytics_rollup_days r WHERE r.day = d.day)
    OR EXISTS (SELECT 1 FROM analytics_stale_days s WHERE s.day = d.day)
 ORDER BY 1`;

/** $1 environment, [$2, $3] closed days: one row per day, zeros included. */
export const ROLLUP_USAGE_SQL = `
INSERT INTO analytics_usage_daily (environment, day, charges, paid_uses, daily_free_uses, one_time_free_uses,
                                   credits_spent, unique_charged_accounts, new_accounts, credit_checks, denied_credit_checks)
SELECT $1, d.day, COALESCE(ch.charges, 0), COALESCE(ch.paid_uses, 0), COALESCE(ch.daily_free_uses, 0),
       COALESCE(ch.one_time_free_uses, 0), COALESCE(ch.credits_spent, 0), COALESCE(ch.unique_charged_accounts, 0),
       COALESCE(acc.new_accounts, 0), COALESCE(chk.credit_checks, 0), COALESCE(chk.denied_credit_checks, 0)
  FROM (SELECT $2::date + i AS day FROM generate_series(0, $3::date - $2::date) AS i) d
  LEFT JOIN (
    SELECT ${DAY_OF} AS day, count(*) AS charges,
           count(*) FILTER (WHERE funding_source = 'balance') AS paid_uses,
           count(*) FILTER (WHERE funding_source = 'daily_free') AS daily_free_uses,
           count(*) FILTER (WHERE funding_source = 'free') AS one_time_free_uses,
           sum(balance_debit_minor) AS credits_spent,
           count(DISTINCT account_id) AS unique_charged_accounts
      FROM charges WHERE environment = $1 AND ${DAY_OF} BETWEEN $2::date AND $3::date GROUP BY 1
  ) ch ON ch.day = d.day
  LEFT JOIN (
    SELECT ${DAY_OF} AS day, count(*) AS new_accounts
      FROM accounts WHERE environment = $1 AND ${DAY_OF} BETWEEN $2::date AND $3::date GROUP BY 1
  ) acc ON acc.day = d.day
  LEFT JOIN (
    SELECT ${DAY_OF} AS day, count(*) AS credit_checks, count(*) FILTER (WHERE NOT has_credit) AS denied_credit_checks
      FROM credit_checks WHERE environment = $1 AND ${DAY_OF} BETWEEN $2::date AND $3::date GROUP BY 1
  ) chk ON chk.day = d.day`;

/** $1 environment, [$2, $3] closed days: one row per currency and day with credits or credited Stripe purchases. */
export const ROLLUP_REVENUE_SQL = `
INSERT INTO analytics_revenue_daily (environment, currency, day, purchases, purchase_amount_minor, grant_minor, refund_minor,
                                     adjustment_minor, credits_added_minor, stripe_paid_minor, stripe_uses_credited)
SELECT $1, currency, day, COALESCE(cr.purchases, 0), COALESCE(cr.purchase_amount_minor, 0), COALESCE(cr.grant_minor, 0),
       COALESCE(cr.refund_minor, 0), COALESCE(cr.adjustment_minor, 0), COALESCE(cr.credits_added_minor, 0),
       COALESCE(st.paid_minor, 0), COALESCE(st.uses_credited, 0)
  FROM (
    SELECT currency, ${DAY_OF} AS day,
           count(*) FILTER (WHERE transaction_type = 'purchase') AS purchases,
           sum(amount_minor) FILTER (WHERE transaction_type = 'purchase') AS purchase_amount_minor,
           sum(amount_minor) FILTER (WHERE transaction_type = 'grant') AS grant_minor,
           sum(amount_minor) FILTER (WHERE transaction_type = 'refund') AS refund_minor,
           sum(amount_minor) FILTER (WHERE transaction_type = 'adjustment') AS adjustment_minor,
           sum(amount_minor) AS credits_added_minor
      FROM credits WHERE environment = $1 AND ${DAY_OF} BETWEEN $2::date AND $3::date GROUP BY 1, 2
  ) cr
  FULL JOIN (
    SELECT currency, ${CREDITED_DAY} AS day, sum(amount_minor) AS paid_minor, sum(uses_purchased) AS uses_credited
      FROM purchases
     WHERE environment = $1 AND credit_id IS NOT NULL AND ${CREDITED_DAY} BETWEEN $2::date AND $3::date
     GROUP BY 1, 2
  ) st USING (currency, day)`;

/*
 * Charged accounts, for the distinct count over a range: per environment and account, a bit per day
 * in overlapping periods of 732 days, period k covering days [366k, 366k + 731] counted from
 * 2000-01-01. Every day lies in two periods (k = floor(n / 366) and k - 1), so any range of at most
 * 366 days lies within period floor(start / 366): the distinct count is one row per account of that
 * period, with no de-duplication across rows.
 */
const PERIOD_DAYS = 366;
const PERIOD_BITS = 2 * PERIOD_DAYS;
const dayIndex = (day: string): string => `(${day} - DATE '2000-01-01')`;
const periodOf = (day: string): string => `floor(${dayIndex(day)}::numeric / ${PERIOD_DAYS})::int`;
/** The bits of days [first, last] in period k (first <= last, both within the period's days). */
const maskOf = (k: string, first: string, last: string): string => `(
  repeat('0', GREATEST(${dayIndex(first)} - ${k} * ${PERIOD_DAYS}, 0))
  || repeat('1', LEAST(${dayIndex(last)} - ${k} * ${PERIOD_DAYS}, ${PERIOD_BITS - 1}) - GREATEST(${dayIndex(first)} - ${k} * ${PERIOD_DAYS}, 0) + 1)
  || repeat('0', ${PERIOD_BITS - 1} - LEAST(${dayIndex(last)} - ${k} * ${PERIOD_DAYS}, ${PERIOD_BITS - 1}))
)::bit(${PERIOD_BITS})`;

/** $1 environment, [$2, $3] days being recomputed: clears their bits (rows moved or deleted since). */
export const CLEAR_CHARGED_ACCOUNTS_SQL = `
WITH m AS MATERIALIZED (
  SELECT k AS period, ${maskOf('k', '$2::date', '$3::date')} AS mask
    FROM generate_series(${periodOf('$2::date')} - 1, ${periodOf('$3::date')}) AS k
)
UPDATE analytics_charged_accounts a SET days = a.days & ~m.mask
  FROM m
 WHERE a.environment = $1 AND a.period = m.period AND bit_count(a.days & m.mask) > 0`;

/** $1 environment, [$2, $3] closed days: sets each day's bit, in both its periods, for every account charged that day. */
export const ROLLUP_CHARGED_ACCOUNTS_SQL = `
INSERT INTO analytics_charged_accounts (environment, period, account_id, days)
SELECT $1, p.period, c.account_id, bit_or(set_bit(B'0'::bit(${PERIOD_BITS}), c.n - p.period * ${PERIOD_DAYS}, 1))
  FROM (SELECT DISTINCT ${dayIndex(DAY_OF)} AS n, account_id FROM charges
         WHERE environment = $1 AND ${DAY_OF} BETWEEN $2::date AND $3::date) c,
       LATERAL (VALUES (floor(c.n::numeric / ${PERIOD_DAYS})::int), (floor(c.n::numeric / ${PERIOD_DAYS})::int - 1)) AS p(period)
 GROUP BY p.period, c.account_id
ON CONFLICT (environment, period, account_id) DO UPDATE SET days = analytics_charged_accounts.days | EXCLUDED.days`;

/*
 * The reports. $1 environment, [$2, $3] the report's days, $4 the last day read from the aggregates
 * (every day of [$2, min($3, $4)] has one); the days after it are computed from the ledger as the
 * original single-pass queries did. The last row (day 'infinity') holds the totals.
 */
const AGG_END = `LEAST($3::date, $4::date)`;
const LIVE_START = `GREATEST($2::date, $4::date + 1)`;
const DAYS = `days AS (
  SELECT $2::date + i AS day FROM generate_series(0, $3::date - $2::date) AS i
  UNION ALL SELECT 'infinity'::date
)`;

export const USAGE_FROM_AGGREGATES_SQL = `
WITH ${DAYS}, ch_live AS (
  SELECT ${DAY_OF} AS day,
         count(*) AS charges,
         count(*) FILTER (WHERE funding_source = 'balance') AS paid_uses,
         count(*) FILTER (WHERE funding_source = 'daily_free') AS daily_free_uses,
         count(*) FILTER (WHERE funding_source = 'free') AS one_time_free_uses,
         sum(balance_debit_minor) AS credits_spent,
         count(DISTINCT account_id) AS unique_charged_accounts
    FROM charges
   WHERE environment = $1 AND ${DAY_OF} BETWEEN ${LIVE_START} AND $3::date
   GROUP BY 1
), acc_live AS (
  SELECT ${DAY_OF} AS day, count(*) AS new_accounts
    FROM accounts
   WHERE environment = $1 AND ${DAY_OF} BETWEEN ${LIVE_START} AND $3::date
   GROUP BY 1
), chk_live AS (
  SELECT ${DAY_OF} AS day, count(*) AS credit_checks, count(*) FILTER (WHERE NOT has_credit) AS denied_credit_checks
    FROM credit_checks
   WHERE environment = $1 AND ${DAY_OF} BETWEEN ${LIVE_START} AND $3::date
   GROUP BY 1
), per_day AS (
  SELECT day, charges, paid_uses, daily_free_uses, one_time_free_uses, credits_spent::numeric AS credits_spent,
         unique_charged_accounts, new_accounts, credit_checks, denied_credit_checks
    FROM analytics_usage_daily
   WHERE environment = $1 AND day BETWEEN $2::date AND ${AGG_END}
  UNION ALL
  SELECT d.day, COALESCE(ch.charges, 0), COALESCE(ch.paid_uses, 0), COALESCE(ch.daily_free_uses, 0),
         COALESCE(ch.one_time_free_uses, 0), COALESCE(ch.credits_spent, 0), COALESCE(ch.unique_charged_accounts, 0),
         COALESCE(acc.new_accounts, 0), COALESCE(chk.credit_checks, 0), COALESCE(chk.denied_credit_checks, 0)
    FROM days d
    LEFT JOIN ch_live ch ON ch.day = d.day
    LEFT JOIN acc_live acc ON acc.day = d.day
    LEFT JOIN chk_live chk ON chk.day = d.day
   WHERE d.day BETWEEN ${LIVE_START} AND $3::date
), mask AS MATERIALIZED (
  -- The aggregated days' bits in the period that holds the range (none when no day is aggregated).
  SELECT ${periodOf('$2::date')} AS period, ${maskOf(periodOf('$2::date'), '$2::date', AGG_END)} AS mask
   WHERE $2::date <= ${AGG_END}
), charged_agg AS (
  SELECT a.account_id
    FROM analytics_charged_accounts a, mask m
   WHERE a.environment = $1 AND a.period = m.period AND bit_count(a.days & m.mask) > 0
), charged_live AS (
  SELECT DISTINCT account_id FROM charges WHERE environment = $1 AND ${DAY_OF} BETWEEN ${LIVE_START} AND $3::date
), charged_count AS (
  SELECT (SELECT count(*) FROM charged_agg)
       + (SELECT count(*) FROM charged_live l
           WHERE NOT EXISTS (SELECT 1 FROM analytics_charged_accounts a, mask m
                              WHERE a.environment = $1 AND a.period = m.period AND a.account_id = l.account_id
                                AND bit_count(a.days & m.mask) > 0)) AS n
), all_rows AS (
  SELECT * FROM per_day
  UNION ALL
  SELECT 'infinity', sum(charges), sum(paid_uses), sum(daily_free_uses), sum(one_time_free_uses), sum(credits_spent),
         (SELECT n FROM charged_count), sum(new_accounts), sum(credit_checks), sum(denied_credit_checks)
    FROM per_day
)
SELECT d.day::text AS day,
       COALESCE(r.charges, 0)::text AS charges,
       COALESCE(r.paid_uses, 0)::text AS paid_uses,
       COALESCE(r.daily_free_uses, 0)::text AS daily_free_uses,
       COALESCE(r.one_time_free_uses, 0)::text AS one_time_free_uses,
       COALESCE(r.credits_spent, 0)::text AS credits_spent,
       COALESCE(r.unique_charged_accounts, 0)::text AS unique_charged_accounts,
       COALESCE(r.new_accounts, 0)::text AS new_accounts,
       COALESCE(r.credit_checks, 0)::text AS credit_checks,
       COALESCE(r.denied_credit_checks, 0)::text AS denied_credit_checks
  FROM days d
  LEFT JOIN all_rows r ON r.day = d.day
 ORDER BY d.day`;

/** $1 environment, [$2, $3] days, $4 currency, $5 the last day read from the aggregates. */
const REV_AGG_END = `LEAST($3::date, $5::date)`;
const REV_LIVE_START = `GREATEST($2::date, $5::date + 1)`;

export const REVENUE_FROM_AGGREGATES_SQL = `
WITH ${DAYS}, cr_live AS (
  SELECT ${DAY_OF} AS day,
         count(*) FILTER (WHERE transaction_type = 'purchase') AS purchases,
         sum(amount_minor) FILTER (WHERE transaction_type = 'purchase') AS purchase_amount_minor,
         sum(amount_minor) FILTER (WHERE transaction_type = 'grant') AS grant_minor,
         sum(amount_minor) FILTER (WHERE transaction_type = 'refund') AS refund_minor,
         sum(amount_minor) FILTER (WHERE transaction_type = 'adjustment') AS adjustment_minor,
         sum(amount_minor) AS credits_added_minor
    FROM credits
   WHERE environment = $1 AND ${DAY_OF} BETWEEN ${REV_LIVE_START} AND $3::date AND currency = $4
   GROUP BY 1
), st_live AS (
  SELECT ${CREDITED_DAY} AS day, sum(amount_minor) AS paid_minor, sum(uses_purchased) AS uses_credited
    FROM purchases
   WHERE environment = $1 AND credit_id IS NOT NULL AND currency = $4
     AND ${CREDITED_DAY} BETWEEN ${REV_LIVE_START} AND $3::date
   GROUP BY 1
), per_day AS (
  SELECT day, purchases, purchase_amount_minor, grant_minor, refund_minor, adjustment_minor, credits_added_minor,
         stripe_paid_minor AS paid_minor, stripe_uses_credited AS uses_credited
    FROM analytics_revenue_daily
   WHERE environment = $1 AND currency = $4 AND day BETWEEN $2::date AND ${REV_AGG_END}
  UNION ALL
  SELECT COALESCE(cr.day, st.day), COALESCE(cr.purchases, 0), COALESCE(cr.purchase_amount_minor, 0),
         COALESCE(cr.grant_minor, 0), COALESCE(cr.refund_minor, 0), COALESCE(cr.adjustment_minor, 0),
         COALESCE(cr.credits_added_minor, 0), COALESCE(st.paid_minor, 0), COALESCE(st.uses_credited, 0)
    FROM cr_live cr FULL JOIN st_live st ON st.day = cr.day
), all_rows AS (
  SELECT * FROM per_day
  UNION ALL
  SELECT 'infinity', sum(purchases), sum(purchase_amount_minor), sum(grant_minor), sum(refund_minor),
         sum(adjustment_minor), sum(credits_added_minor), sum(paid_minor), sum(uses_credited)
    FROM per_day
)
SELECT d.day::text AS day,
       COALESCE(r.purchases, 0)::text AS purchases,
       COALESCE(r.purchase_amount_minor, 0)::text AS purchase_amount_minor,
       -- Money received: a Stripe purchase's price; a purchase credited by another system through
       -- POST /credits counts its credited amount (1 credit = 1 minor unit).
       (COALESCE(r.purchase_amount_minor, 0) - COALESCE(r.uses_credited, 0) + COALESCE(r.paid_minor, 0))::text AS revenue_minor,
       COALESCE(r.grant_minor, 0)::text AS grant_minor,
       COALESCE(r.refund_minor, 0)::text AS refund_minor,
       COALESCE(r.adjustment_minor, 0)::text AS adjustment_minor,
       COALESCE(r.credits_added_minor, 0)::text AS credits_added_minor
  FROM days d
  LEFT JOIN all_rows r ON r.day = d.day
 ORDER BY d.day`;

/** The roll-up's own transaction, on its own connection. */
export const BEGIN_SQL = 'BEGIN';
export const COMMIT_SQL = 'COMMIT';
export const ROLLBACK_SQL = 'ROLLBACK';

/** Takes the roll-up lock ($1), waiting for it; `locked` is always true. */
export const WAIT_ROLLUP_LOCK_SQL = `SELECT pg_advisory_xact_lock($1) IS NOT NULL AS locked`;
/** Takes the roll-up lock ($1) if it is free; `locked` says whether it was. */
export const TRY_ROLLUP_LOCK_SQL = `SELECT pg_try_advisory_xact_lock($1) AS locked`;

/** Sort/hash memory for the roll-up transaction (SET LOCAL: it ends with the transaction). */
export const rollupWorkMemSql = (workMem: string): string => `SET LOCAL work_mem = '${workMem}'`;

/** Clears what is recomputed for [$1, $2]: stale marks first, then the day rows. */
export const CLEAR_STALE_DAYS_SQL = `DELETE FROM analytics_stale_days WHERE day BETWEEN $1::date AND $2::date`;
export const CLEAR_USAGE_DAYS_SQL = `DELETE FROM analytics_usage_daily WHERE day BETWEEN $1::date AND $2::date`;
export const CLEAR_REVENUE_DAYS_SQL = `DELETE FROM analytics_revenue_daily WHERE day BETWEEN $1::date AND $2::date`;

/** Marks [$1, $2] computed. */
export const MARK_DAYS_COMPUTED_SQL = `INSERT INTO analytics_rollup_days (day)
       SELECT $1::date + i FROM generate_series(0, $2::date - $1::date) AS i
       ON CONFLICT (day) DO UPDATE SET computed_at = now()`;
