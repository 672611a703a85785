-- A synthetic ledger for checking the analytics plans: 200k accounts, 8M charges, 2M credits (10M ledger
-- rows) and 5M credit checks over the last 365 days, 90 % live / 10 % test, inserted in time order.
-- Run on a scratch database migrated with the service's migrations:
--   createdb scratch && DATABASE_URL=postgres://…/scratch node dist/cli migrate   (or any migrator)
--   psql postgres://…/scratch -f bench/analytics/generate-dataset.sql
--   node bench/analytics/explain.mjs postgres://…/scratch
-- then drop the database. Takes a few minutes; about 4 GB on disk.
\timing on
\set ON_ERROR_STOP 1
SET synchronous_commit = off;
SET work_mem = '256MB';
SET maintenance_work_mem = '2GB';
SET max_parallel_maintenance_workers = 2;
-- Bulk load without most indexes / FK checks, then build them (what a restore would do);
-- credits keeps its primary key, which purchases.credit_id references.
ALTER TABLE charges DROP CONSTRAINT charges_account_id_fkey;
ALTER TABLE credits DROP CONSTRAINT credits_account_id_fkey;
ALTER TABLE credit_checks DROP CONSTRAINT credit_checks_account_id_fkey;
ALTER TABLE charges DROP CONSTRAINT charges_pkey;
ALTER TABLE credit_checks DROP CONSTRAINT credit_checks_pkey;
DROP INDEX uq_charges_idempotency, idx_charges_account_created, idx_charges_env_day_usage,
           uq_credits_idempotency, idx_credits_account_created, idx_credits_env_day_revenue,
           idx_credit_checks_account_created, idx_credit_checks_env_day_usage;
INSERT INTO accounts (environment, oauth_provider, external_id, balance_minor, free_uses_remaining,
                      daily_free_uses_day, created_at, updated_at)
SELECT CASE WHEN g % 10 = 0 THEN 'test' ELSE 'live' END, 'oauth:google', 'user-' || g, 1000, 0, current_date,
       now() - interval '400 days' + (g * interval '400 days' / 200000), now()
  FROM generate_series(1, 200000) g;
CREATE TEMP TABLE acct_ids AS SELECT row_number() OVER (ORDER BY created_at) AS rn, id, environment FROM accounts;
CREATE UNIQUE INDEX ON acct_ids (rn);
ANALYZE acct_ids;
-- 8M charges over the last 365 days, in time order like real inserts
INSERT INTO charges (account_id, environment, amount_minor, balance_debit_minor, funding_source, currency, description, balance_after, created_at)
SELECT a.id, a.environment, s.amt, CASE WHEN s.src = 'balance' THEN s.amt ELSE 0 END, s.src, 'USD', 'msg', 100, s.ts
  FROM (SELECT g, 1 + (hashint4(g) & 2147483647) % 200000 AS rn,
               1 + g % 50 AS amt,
               CASE WHEN g % 7 < 2 THEN 'daily_free' WHEN g % 7 = 2 THEN 'free' ELSE 'balance' END AS src,
               now() - interval '365 days' + (g * (365 * 86400.0 / 8000000)) * interval '1 second' AS ts
          FROM generate_series(1, 8000000) g) s
  JOIN acct_ids a ON a.rn = s.rn
 ORDER BY s.g;
-- 2M credits over the last 365 days
INSERT INTO credits (account_id, environment, amount_minor, currency, transaction_type, description, balance_after, created_at)
SELECT a.id, a.environment,
       CASE WHEN s.typ = 'adjustment' AND s.g % 3 = 0 THEN -(1 + s.g % 100) ELSE 1 + s.g % 1000 END,
       'USD', s.typ, 'credit', 100, s.ts
  FROM (SELECT g, 1 + (hashint4(g + 17) & 2147483647) % 200000 AS rn,
               CASE WHEN g % 20 < 10 THEN 'purchase' WHEN g % 20 < 16 THEN 'grant' WHEN g % 20 = 16 THEN 'refund' ELSE 'adjustment' END AS typ,
               now() - interval '365 days' + (g * (365 * 86400.0 / 2000000)) * interval '1 second' AS ts
          FROM generate_series(1, 2000000) g) s
  JOIN acct_ids a ON a.rn = s.rn
 ORDER BY s.g;
-- 5M credit checks over the last 365 days
INSERT INTO credit_checks (account_id, environment, has_credit, reason, created_at)
SELECT a.id, a.environment, s.g % 9 <> 0, CASE WHEN s.g % 9 = 0 THEN 'No free uses or credits remaining' END, s.ts
  FROM (SELECT g, 1 + (hashint4(g + 31) & 2147483647) % 200000 AS rn,
               now() - interval '365 days' + (g * (365 * 86400.0 / 5000000)) * interval '1 second' AS ts
          FROM generate_series(1, 5000000) g) s
  JOIN acct_ids a ON a.rn = s.rn
 ORDER BY s.g;
ALTER TABLE charges ADD PRIMARY KEY (id);
ALTER TABLE credit_checks ADD PRIMARY KEY (id);
CREATE UNIQUE INDEX uq_charges_idempotency ON charges (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX idx_charges_account_created ON charges (account_id, created_at DESC);
CREATE INDEX idx_charges_env_day_usage ON charges (environment, ((created_at AT TIME ZONE 'UTC')::date), account_id)
  INCLUDE (created_at, funding_source, balance_debit_minor);
CREATE UNIQUE INDEX uq_credits_idempotency ON credits (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX idx_credits_account_created ON credits (account_id, created_at DESC);
CREATE INDEX idx_credits_env_day_revenue ON credits (environment, ((created_at AT TIME ZONE 'UTC')::date))
  INCLUDE (created_at, currency, transaction_type, amount_minor);
CREATE INDEX idx_credit_checks_account_created ON credit_checks (account_id, created_at DESC);
CREATE INDEX idx_credit_checks_env_day_usage ON credit_checks (environment, ((created_at AT TIME ZONE 'UTC')::date))
  INCLUDE (created_at, has_credit);
ALTER TABLE charges ADD CONSTRAINT charges_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;
ALTER TABLE credits ADD CONSTRAINT credits_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;
ALTER TABLE credit_checks ADD CONSTRAINT credit_checks_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;
VACUUM ANALYZE accounts;
VACUUM ANALYZE charges;
VACUUM ANALYZE credits;
VACUUM ANALYZE credit_checks;
SELECT (SELECT count(*) FROM charges) AS charges, (SELECT count(*) FROM credits) AS credits,
       (SELECT count(*) FROM credit_checks) AS checks, (SELECT count(*) FROM accounts) AS accounts,
       pg_size_pretty(pg_database_size(current_database())) AS size;
