export interface ScratchDatabase {
  /** The new database. */
  url: string;
  /** Drops the database, and stops and deletes the embedded server if one was started for it. */
  drop(): Promise<void>;
}

/**
 * A throwaway database for a test run or a benchmark: created on `serverUrl`, or on an embedded
 * PostgreSQL started in a temporary directory when none is given, and migrated unless asked not to.
 */
export function createScratchDatabase(options: {
  serverUrl?: string;
  prefix: string;
  migrate?: boolean;
}): Promise<ScratchDatabase>;
