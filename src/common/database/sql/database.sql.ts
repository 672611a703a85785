/** Answers when the database does. */
export const PING_SQL = 'SELECT 1';

/** $1 database name. */
export const FIND_DATABASE_SQL = 'SELECT 1 FROM pg_database WHERE datname = $1';

/** Creates the named database (a trusted constant: identifiers cannot be parameters). */
export const createDatabaseSql = (name: string): string => `CREATE DATABASE ${name}`;

/** $1 lock key. */
export const ADVISORY_LOCK_SQL = 'SELECT pg_advisory_lock($1)';

/** $1 lock key. */
export const ADVISORY_UNLOCK_SQL = 'SELECT pg_advisory_unlock($1)';
