// The console's extra analytics figures (ConsoleAnalyticsRepository).

const DAY_OF = `((created_at AT TIME ZONE 'UTC')::date)`;

/** $1 environment, [$2, $3] days, $4 bucket unit. */
export const UNIQUE_CHARGED_BY_BUCKET_SQL = `SELECT to_char(date_trunc($4, ${DAY_OF}::timestamp), 'YYYY-MM-DD') AS bucket, count(DISTINCT account_id) AS accounts
         FROM charges WHERE environment = $1 AND ${DAY_OF} BETWEEN $2::date AND $3::date
        GROUP BY 1`;

export const TOP_ACCOUNTS_SQL = `SELECT c.account_id, a.oauth_provider, a.external_id, c.uses FROM (
         SELECT account_id, count(*) AS uses FROM charges
          WHERE environment = $1 AND ${DAY_OF} BETWEEN $2::date AND $3::date
          GROUP BY account_id ORDER BY uses DESC, account_id LIMIT $4
       ) c JOIN accounts a ON a.id = c.account_id ORDER BY c.uses DESC, c.account_id`;

export const OVERVIEW_COUNTS_SQL = `SELECT (SELECT count(*) FROM accounts WHERE environment = $1) AS accounts,
              (SELECT count(*) FROM accounts WHERE environment = $1 AND created_at >= $2) AS new_accounts,
              (SELECT count(*) FROM charges WHERE environment = $1 AND created_at >= $2 AND funding_source = 'balance') AS paid_charges,
              (SELECT count(*) FROM charges WHERE environment = $1 AND created_at >= $2 AND funding_source <> 'balance') AS free_charges`;
