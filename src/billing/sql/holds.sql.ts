/**
 * How every statement that spends or reserves sees holds (see the HoldsAndRefunds migration).
 *
 * The account row carries the totals of its `active` holds (`held_minor`, `held_free_uses`,
 * `held_daily_free_uses` for the day in `daily_free_uses_day`). A statement locks the row (FOR
 * UPDATE: PostgreSQL then reads its newest version, so the totals include every hold committed
 * while it waited), marks the account's holds that are past `expires_at` as `expired` (an UPDATE
 * re-checks `status = 'active'` on the newest version of each hold row, so a hold ended meanwhile
 * is not counted twice), and subtracts what those expired holds reserved. What remains is exactly
 * what the active, unexpired holds reserve; what a charge or a new hold may use is the rest.
 *
 * Lock order is always account row, then hold rows (an UPDATE of `holds` joined to the locked row
 * cannot touch a hold before the account row is locked), so these statements never deadlock.
 *
 * An UPDATE of the locked account sets every column the CHECK constraints compare (balance, free
 * uses, held totals) from the locked row, never from the row it updates: PostgreSQL builds and
 * checks the new row from the version in the statement's snapshot first and only then moves to the
 * newest one, so a mix of both would fail a constraint that the final row satisfies.
 */

/**
 * Columns of the locked account normalised to `today` (a new UTC day has the full daily limit and
 * no daily free use held yet). `a` is the accounts row.
 */
export const lockedAccountColumns = (today: string): string => `
  a.id, a.environment, a.status, a.currency, a.balance_minor, a.free_uses_remaining AS free_left,
  CASE WHEN a.daily_free_uses_day = ${today}::date THEN a.daily_free_uses_remaining
       ELSE a.daily_free_uses_limit END AS daily_left,
  a.held_minor, a.held_free_uses AS held_free,
  CASE WHEN a.daily_free_uses_day = ${today}::date THEN a.held_daily_free_uses ELSE 0 END AS held_daily`;

/**
 * CTEs `expired` (the holds of the `locked` account this statement expires) and `avail` (the
 * locked account with `held_now`, `held_free_now`, `held_daily_now`: what active, unexpired holds
 * reserve, and `expired_n`). A statement must write the account row whenever `expired_n > 0`, so
 * the totals lose what the expired holds reserved.
 */
export const expireDueHolds = (today: string, now: string): string => `
expired AS (
  UPDATE holds x
     SET status = 'expired', ended_at = x.expires_at
    FROM locked l
   WHERE x.account_id = l.id AND x.status = 'active' AND x.expires_at <= ${now}::timestamptz
  RETURNING x.funded_by, x.amount_minor, x.funded_day
), expired_totals AS (
  SELECT COALESCE(sum(amount_minor) FILTER (WHERE funded_by = 'balance'), 0)::bigint AS minor,
         count(*) FILTER (WHERE funded_by = 'free_use')::int AS free,
         count(*) FILTER (WHERE funded_by = 'daily_free_use' AND funded_day = ${today}::date)::int AS daily,
         count(*)::int AS n
    FROM expired
), avail AS (
  SELECT l.*,
         l.held_minor - t.minor AS held_now,
         l.held_free - t.free AS held_free_now,
         GREATEST(l.held_daily - t.daily, 0) AS held_daily_now,
         t.n AS expired_n
    FROM locked l CROSS JOIN expired_totals t
)`;

/**
 * What the active, unexpired holds of account `a` reserve by the clock at `now` (`minor`, `free`,
 * `daily`: balance, one-time and today's daily free uses), read from the statement's snapshot like
 * the account row beside it: the rule of the credit check and of the account body, which lock
 * nothing. A LATERAL subquery over `holds`, one row (`minor` null when nothing is held); skipped
 * when the account's held totals say it has no holds. `a` is the accounts row (or a row with its columns).
 */
export const activeHoldTotals = (a: string, today: string, now: string): string => `LATERAL (
      SELECT sum(x.amount_minor) FILTER (WHERE x.funded_by = 'balance')::bigint AS minor,
             count(*) FILTER (WHERE x.funded_by = 'free_use')::int AS free,
             count(*) FILTER (WHERE x.funded_by = 'daily_free_use' AND x.funded_day = ${today}::date)::int AS daily
        FROM holds x
       WHERE (${a}.held_minor > 0 OR ${a}.held_free_uses > 0 OR ${a}.held_daily_free_uses > 0)
         AND x.account_id = ${a}.id AND x.status = 'active' AND x.expires_at > ${now}::timestamptz
    )`;

/** What a hold row reports; `status` and `ended_at` as of `now` (an active hold past expiry is `expired`). */
const holdBody = (h: string, now: string): string => `
  ${h}.id, ${h}.account_id, ${h}.amount_minor, ${h}.currency, ${h}.funded_by,
  CASE WHEN ${h}.status = 'active' AND ${h}.expires_at <= ${now}::timestamptz THEN 'expired' ELSE ${h}.status END AS status,
  ${h}.expires_at, ${h}.created_at, ${h}.description, ${h}.metadata,
  CASE WHEN ${h}.status = 'active' AND ${h}.expires_at <= ${now}::timestamptz THEN ${h}.expires_at ELSE ${h}.ended_at END AS ended_at`;

/**
 * Reserve for an interaction, in the order a charge consumes (SPEC §11): today's daily free use,
 * else a one-time free use, else `amount` of the balance not already held. One statement: find the
 * account, look for the idempotency key, lock the row, expire due holds, decide, add to the held
 * totals, insert the hold. A concurrent duplicate key violates uq_holds_idempotency and rolls back.
 *
 * Parameters: $1 environment, $2 oauth_provider, $3 external_id, $4 amount, $5 currency (null: the
 * account's), $6 idempotency key, $7 description, $8 metadata (jsonb), $9 today (UTC), $10 now,
 * $11 expires_at, $12 api key id.
 */
export const CREATE_HOLD_SQL = `
WITH acct AS (
  SELECT id, status, currency, balance_minor, held_minor
    FROM accounts
   WHERE environment = $1 AND oauth_provider = $2 AND external_id = $3
), existing AS (
  SELECT h.id, h.amount_minor, h.currency, h.description
    FROM holds h JOIN acct ON h.account_id = acct.id
   WHERE h.idempotency_key = $6::text
), locked AS (
  SELECT ${lockedAccountColumns('$9')}
    FROM accounts a JOIN acct ON a.id = acct.id
   WHERE NOT EXISTS (SELECT 1 FROM existing)
     AND a.status = 'active'
     AND a.currency = COALESCE($5::text, a.currency)
     FOR UPDATE OF a
), ${expireDueHolds('$9', '$10')}, funded AS (
  SELECT v.*,
         CASE WHEN v.daily_left - v.held_daily_now > 0 THEN 'daily_free_use'
              WHEN v.free_left - v.held_free_now > 0 THEN 'free_use'
              WHEN v.balance_minor - v.held_now >= $4::bigint THEN 'balance' END AS source
    FROM avail v
), reserved AS (
  UPDATE accounts a
     SET balance_minor = f.balance_minor,
         free_uses_remaining = f.free_left,
         daily_free_uses_remaining = f.daily_left,
         daily_free_uses_day = $9::date,
         held_minor = f.held_now + CASE WHEN f.source = 'balance' THEN $4::bigint ELSE 0 END,
         held_free_uses = f.held_free_now + CASE WHEN f.source = 'free_use' THEN 1 ELSE 0 END,
         held_daily_free_uses = f.held_daily_now + CASE WHEN f.source = 'daily_free_use' THEN 1 ELSE 0 END,
         updated_at = now()
    FROM funded f
   WHERE a.id = f.id AND (f.source IS NOT NULL OR f.expired_n > 0)
  RETURNING a.id, a.currency, f.source
), inserted AS (
  INSERT INTO holds (account_id, environment, amount_minor, funded_by, funded_day, currency, description,
                     idempotency_key, metadata, expires_at, api_key_id, created_at)
  SELECT r.id, $1, $4::bigint, r.source, $9::date, r.currency, $7, $6::text, $8::jsonb, $11::timestamptz,
         $12::uuid, $10::timestamptz
    FROM reserved r
   WHERE r.source IS NOT NULL
  RETURNING ${holdBody('holds', '$10')}
)
SELECT (SELECT row_to_json(i) FROM inserted i) AS hold,
       (SELECT row_to_json(e) FROM existing e) AS existing,
       (SELECT row_to_json(a) FROM acct a) AS account`;

/**
 * Capture: end the hold (only if still active and unexpired at `now`, re-checked on its newest
 * version), write the charge for the final amount (<= held; the hold's funding pays it: a free
 * use covers the whole charge), and free the rest, in one statement. An expired hold is marked
 * expired instead. uq_charges_hold makes a second charge for one hold impossible.
 *
 * Parameters: $1 hold id, $2 environment, $3 amount (null: the held amount), $4 description (null:
 * the hold's), $5 metadata (jsonb, merged over the hold's; null: none), $6 today (UTC), $7 now,
 * $8 api key id.
 */
export const CAPTURE_HOLD_SQL = `
WITH target AS (
  SELECT id, account_id, amount_minor, funded_by, funded_day, description, metadata, status
    FROM holds
   WHERE id = $1 AND environment = $2
), locked AS (
  SELECT ${lockedAccountColumns('$6')}
    FROM accounts a JOIN target t ON a.id = t.account_id
   WHERE t.status = 'active'
     FOR UPDATE OF a
), ${expireDueHolds('$6', '$7')}, captured AS (
  UPDATE holds h
     SET status = 'captured', ended_at = $7::timestamptz
    FROM avail v
   WHERE h.id = $1 AND h.account_id = v.id
     AND h.status = 'active' AND h.expires_at > $7::timestamptz
     AND v.status = 'active'
     AND COALESCE($3::bigint, h.amount_minor) <= h.amount_minor
  RETURNING h.id, h.funded_by, h.funded_day, h.amount_minor, COALESCE($3::bigint, h.amount_minor) AS charge_minor
), settled AS (
  SELECT v.*, c.id AS hold_id, c.charge_minor,
         CASE WHEN c.funded_by = 'balance' THEN c.charge_minor ELSE 0 END AS debit_minor,
         CASE WHEN c.funded_by = 'balance' THEN c.amount_minor ELSE 0 END AS unheld_minor,
         CASE WHEN c.funded_by = 'free_use' THEN 1 ELSE 0 END AS free_used,
         CASE WHEN c.funded_by = 'daily_free_use' AND c.funded_day = $6::date THEN 1 ELSE 0 END AS daily_used,
         CASE c.funded_by WHEN 'balance' THEN 'balance' WHEN 'free_use' THEN 'free' WHEN 'daily_free_use' THEN 'daily_free' END
           AS funding_source
    FROM avail v LEFT JOIN captured c ON true
), debit AS (
  UPDATE accounts a
     SET balance_minor = s.balance_minor - s.debit_minor,
         held_minor = s.held_now - s.unheld_minor,
         free_uses_remaining = s.free_left - s.free_used,
         held_free_uses = s.held_free_now - s.free_used,
         daily_free_uses_remaining = GREATEST(s.daily_left - s.daily_used, 0),
         held_daily_free_uses = GREATEST(s.held_daily_now - s.daily_used, 0),
         daily_free_uses_day = $6::date,
         total_uses = a.total_uses + CASE WHEN s.hold_id IS NULL THEN 0 ELSE 1 END,
         updated_at = now()
    FROM settled s
   WHERE a.id = s.id AND (s.hold_id IS NOT NULL OR s.expired_n > 0)
  RETURNING a.id, a.environment, a.currency, a.balance_minor, s.hold_id, s.charge_minor, s.debit_minor, s.funding_source
), inserted AS (
  INSERT INTO charges (account_id, environment, amount_minor, balance_debit_minor, funding_source, currency,
                       description, metadata, balance_after, api_key_id, hold_id)
  SELECT d.id, d.environment, d.charge_minor, d.debit_minor, d.funding_source, d.currency,
         COALESCE($4::text, t.description), t.metadata || COALESCE($5::jsonb, '{}'::jsonb), d.balance_minor,
         $8::uuid, d.hold_id
    FROM debit d JOIN target t ON t.id = d.hold_id
  RETURNING id, account_id, amount_minor, currency, balance_after, funding_source, created_at, description, metadata,
            hold_id
)
SELECT (SELECT row_to_json(i) FROM inserted i) AS charge,
       (SELECT row_to_json(t) FROM target t) AS hold`;

/**
 * Release: end an active, unexpired hold as `released` and take it out of the held totals. A hold
 * already ended (or past expiry, which this statement records) is left as it is.
 *
 * Parameters: $1 hold id, $2 environment, $3 today (UTC), $4 now.
 */
export const RELEASE_HOLD_SQL = `
WITH target AS (
  SELECT id, account_id, status FROM holds WHERE id = $1 AND environment = $2
), locked AS (
  SELECT ${lockedAccountColumns('$3')}
    FROM accounts a JOIN target t ON a.id = t.account_id
   WHERE t.status = 'active'
     FOR UPDATE OF a
), ${expireDueHolds('$3', '$4')}, released AS (
  UPDATE holds h
     SET status = 'released', ended_at = $4::timestamptz
    FROM avail v
   WHERE h.id = $1 AND h.account_id = v.id AND h.status = 'active' AND h.expires_at > $4::timestamptz
  RETURNING h.id, h.funded_by, h.funded_day, h.amount_minor
), settled AS (
  SELECT v.*, r.id AS released_id,
         CASE WHEN r.funded_by = 'balance' THEN r.amount_minor ELSE 0 END AS unheld_minor,
         CASE WHEN r.funded_by = 'free_use' THEN 1 ELSE 0 END AS unheld_free,
         CASE WHEN r.funded_by = 'daily_free_use' AND r.funded_day = $3::date THEN 1 ELSE 0 END AS unheld_daily
    FROM avail v LEFT JOIN released r ON true
), freed AS (
  UPDATE accounts a
     SET balance_minor = s.balance_minor,
         free_uses_remaining = s.free_left,
         held_minor = s.held_now - s.unheld_minor,
         held_free_uses = s.held_free_now - s.unheld_free,
         held_daily_free_uses = GREATEST(s.held_daily_now - s.unheld_daily, 0),
         daily_free_uses_remaining = s.daily_left,
         daily_free_uses_day = $3::date,
         updated_at = now()
    FROM settled s
   WHERE a.id = s.id AND (s.released_id IS NOT NULL OR s.expired_n > 0)
  RETURNING s.released_id
)
SELECT (SELECT released_id FROM freed) AS released_id`;

/**
 * A hold as it is now, with the charge that captured it and its account's status.
 * Parameters: $1 hold id, $2 environment, $3 now.
 */
export const FIND_HOLD_SQL = `
SELECT ${holdBody('h', '$3')}, c.id AS charge_id, c.amount_minor AS captured_minor, a.status AS account_status
  FROM holds h
  JOIN accounts a ON a.id = h.account_id
  LEFT JOIN charges c ON c.hold_id = h.id
 WHERE h.id = $1 AND h.environment = $2`;

/**
 * An account's active, unexpired holds at `now` (what its held totals are made of), newest first,
 * with `total`, how many there are beyond the limit too: for the console's account page. Reads
 * only the partial index `idx_holds_active`, however many holds the account ever had.
 * Parameters: $1 account id, $2 limit, $3 now.
 */
export const ACTIVE_HOLDS_OF_ACCOUNT_SQL = `
SELECT h.id, h.amount_minor, h.currency, h.funded_by, h.description, h.metadata, h.created_at, h.expires_at,
       count(*) OVER () AS total
  FROM holds h
 WHERE h.account_id = $1 AND h.status = 'active' AND h.expires_at > $3::timestamptz
 ORDER BY h.created_at DESC, h.id DESC
 LIMIT $2`;

/**
 * Lock an account, record its holds past expiry, and say what holds leave of its balance: for the
 * statements that take money out without going through a charge (admin adjustments, Stripe refund
 * clawbacks), which may take only `available_minor`. `where` selects the account row `a`.
 */
const lockAvailable = (where: string, today: string, now: string): string => `
WITH locked AS (
  SELECT ${lockedAccountColumns(today)}
    FROM accounts a
   WHERE ${where}
     FOR UPDATE OF a
), ${expireDueHolds(today, now)}, recorded AS (
  UPDATE accounts a
     SET balance_minor = v.balance_minor,
         free_uses_remaining = v.free_left,
         daily_free_uses_remaining = v.daily_left,
         daily_free_uses_day = ${today}::date,
         held_minor = v.held_now,
         held_free_uses = v.held_free_now,
         held_daily_free_uses = v.held_daily_now,
         updated_at = now()
    FROM avail v
   WHERE a.id = v.id AND v.expired_n > 0
  RETURNING a.id
)
SELECT v.id, v.balance_minor, v.held_now AS held_minor, v.balance_minor - v.held_now AS available_minor,
       (SELECT count(*)::int FROM recorded) AS recorded
  FROM avail v`;

/** {@link lockAvailable} by identity. Parameters: $1 environment, $2 oauth_provider, $3 external_id, $4 today, $5 now. */
export const LOCK_AVAILABLE_BY_KEY_SQL = lockAvailable(
  'a.environment = $1 AND a.oauth_provider = $2 AND a.external_id = $3',
  '$4',
  '$5',
);

/** {@link lockAvailable} by account id. Parameters: $1 account id, $2 today, $3 now. */
export const LOCK_AVAILABLE_BY_ID_SQL = lockAvailable('a.id = $1', '$2', '$3');

/** The hold holding an idempotency key on the account: $1 environment, $2 oauth_provider, $3 external_id, $4 key. */
export const FIND_HOLD_BY_IDEMPOTENCY_KEY_SQL = `SELECT h.id, h.amount_minor::float8 AS amount_minor, h.currency, h.description
         FROM holds h JOIN accounts a ON a.id = h.account_id
        WHERE a.environment = $1 AND a.oauth_provider = $2 AND a.external_id = $3 AND h.idempotency_key = $4`;
