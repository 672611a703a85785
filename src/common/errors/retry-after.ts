/** Seconds a client should wait before retrying after a database failure (`Retry-After`). */
export const DATABASE_RETRY_AFTER_S = 2;
