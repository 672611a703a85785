/*
 * A row's UTC day is (created_at AT TIME ZONE 'UTC')::date: the same whatever the session's TimeZone
 * (AT TIME ZONE with a fixed zone name is immutable). The days of the range are generated as
 * date + integer, never through timestamptz, for the same reason.
 *
 * Each table has an index on (environment, <that day>) INCLUDE (created_at and the columns the report
 * reads): the range is an index range, the rows arrive grouped by day (no sort), and the scan is
 * index-only. created_at is included because PostgreSQL only plans an index-only scan when every
 * column the query mentions, including those inside the indexed expression, is in the index.
 * The days are LEFT JOINed to the per-day aggregates, so days without activity are zeros; the last row
 * (day 'infinity') holds the totals for the range, with a true distinct count of charged accounts.
 */
const DAY_OF = `((created_at AT TIME ZONE 'UTC')::date)`;
const IN_RANGE = `${DAY_OF} BETWEEN $2::date AND $3::date`;
const DAYS = `days AS (
  SELECT $2::date + i AS day FROM generate_series(0, $3::date - $2::date) AS i
  UNION ALL SELECT 'infinity'::date
)`;

export const USAGE_SQL = `
WITH ${DAYS}, ch_day AS (
  SELECT ${DAY_OF} AS day,
         count(*) AS charges,
         count(*) FILTER (WHERE funding_source = 'balance') AS paid_uses,
         count(*) FILTER (WHERE funding_source = 'daily_free') AS daily_free_uses,
         count(*) FILTER (WHERE funding_source = 'free') AS one_time_free_uses,
         sum(balance_debit_minor) AS credits_spent,
         count(DISTINCT account_id) AS unique_charged_accounts
    FROM charges
   WHERE environment = $1 AND ${IN_RANGE}
   GROUP BY 1
), ch AS (
  SELECT * FROM ch_day
  UNION ALL
  SELECT 'infinity', sum(charges), sum(paid_uses), sum(daily_free_uses), sum(one_time_free_uses), sum(credits_spent),
         (SELECT count(*) FROM (SELECT DISTINCT account_id FROM charges WHERE environment = $1 AND ${IN_RANGE}) u)
    FROM ch_day
), acc_day AS (
  SELECT ${DAY_OF} AS day, count(*) AS new_accounts
    FROM accounts
   WHERE environment = $1 AND ${IN_RANGE}
   GROUP BY 1
), acc AS (
  SELECT * FROM acc_day UNION ALL SELECT 'infinity', sum(new_accounts) FROM acc_day
), chk_day AS (
  SELECT ${DAY_OF} AS day, count(*) AS credit_checks, count(*) FILTER (WHERE NOT has_credit) AS denied_credit_checks
    FROM credit_checks
   WHERE environment = $1 AND ${IN_RANGE}
   GROUP BY 1
), chk AS (
  SELECT * FROM chk_day
  UNION ALL SELECT 'infinity', sum(credit_checks), sum(denied_credit_checks) FROM chk_day
)
SELECT d.day::text AS day,
       COALESCE(ch.charges, 0)::text AS charges,
       COALESCE(ch.paid_uses, 0)::text AS paid_uses,
       COALESCE(ch.daily_free_uses, 0)::text AS daily_free_uses,
       COALESCE(ch.one_time_free_uses, 0)::text AS one_time_free_uses,
       COALESCE(ch.credits_spent, 0)::text AS credits_spent,
       COALESCE(ch.unique_charged_accounts, 0)::text AS unique_charged_accounts,
       COALESCE(acc.new_accounts, 0)::text AS new_accounts,
       COALESCE(chk.credit_checks, 0)::text AS credit_checks,
       COALESCE(chk.denied_credit_checks, 0)::text AS denied_credit_checks
  FROM days d
  LEFT JOIN ch ON ch.day = d.day
  LEFT JOIN acc ON acc.day = d.day
  LEFT JOIN chk ON chk.day = d.day
 ORDER BY d.day`;

export const REVENUE_SQL = `
WITH ${DAYS}, cr_day AS (
  SELECT ${DAY_OF} AS day,
         count(*) FILTER (WHERE transaction_type = 'purchase') AS purchases,
         sum(amount_minor) FILTER (WHERE transaction_type = 'purchase') AS purchase_amount_minor,
         sum(amount_minor) FILTER (WHERE transaction_type = 'grant') AS grant_minor,
         sum(amount_minor) FILTER (WHERE transaction_type = 'refund') AS refund_minor,
         sum(amount_minor) FILTER (WHERE transaction_type = 'adjustment') AS adjustment_minor,
         sum(amount_minor) AS credits_added_minor
    FROM credits
   WHERE environment = $1 AND ${IN_RANGE} AND currency = $4
   GROUP BY 1
), cr AS (
  SELECT * FROM cr_day
  UNION ALL
  SELECT 'infinity', sum(purchases), sum(purchase_amount_minor), sum(grant_minor), sum(refund_minor),
         sum(adjustment_minor), sum(credits_added_minor)
    FROM cr_day
), stripe_day AS (
  -- A Stripe purchase credits the uses it bought (its purchase credit is written in the same
  -- statement, so credited_at is that credit's created_at) but was paid its price: kept apart from
  -- the credits scan so that one stays index-only. The purchases table has a row per purchase.
  SELECT ((credited_at AT TIME ZONE 'UTC')::date) AS day, sum(amount_minor) AS paid_minor, sum(uses_purchased) AS uses_credited
    FROM purchases
   WHERE environment = $1 AND credit_id IS NOT NULL AND currency = $4
     AND ((credited_at AT TIME ZONE 'UTC')::date) BETWEEN $2::date AND $3::date
   GROUP BY 1
), stripe AS (
  SELECT * FROM stripe_day
  UNION ALL
  SELECT 'infinity', sum(paid_minor), sum(uses_credited) FROM stripe_day
)
SELECT d.day::text AS day,
       COALESCE(cr.purchases, 0)::text AS purchases,
       COALESCE(cr.purchase_amount_minor, 0)::text AS purchase_amount_minor,
       -- Money received: a Stripe purchase's price; a purchase credited by another system through
       -- POST /credits counts its credited amount (1 credit = 1 minor unit).
       (COALESCE(cr.purchase_amount_minor, 0) - COALESCE(st.uses_credited, 0) + COALESCE(st.paid_minor, 0))::text AS revenue_minor,
       COALESCE(cr.grant_minor, 0)::text AS grant_minor,
       COALESCE(cr.refund_minor, 0)::text AS refund_minor,
       COALESCE(cr.adjustment_minor, 0)::text AS adjustment_minor,
       COALESCE(cr.credits_added_minor, 0)::text AS credits_added_minor
  FROM days d
  LEFT JOIN cr ON cr.day = d.day
  LEFT JOIN stripe st ON st.day = d.day
 ORDER BY d.day`;

/** A report's transaction: read-only, with `work_mem` sort/hash memory (SET LOCAL: it ends with the transaction). */
export const reportSettingsSql = (workMem: string): string =>
  `SET TRANSACTION READ ONLY; SET LOCAL work_mem = '${workMem}'`;
