/** `created_at` as PostgreSQL text with microseconds, so a page starts exactly after the last row. */
export const CURSOR_TIME_SQL = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
