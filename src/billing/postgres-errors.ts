import { QueryFailedError } from 'typeorm';

/** The constraint a statement violated, if it failed on one (unique 23505 or check 23514). */
export function violatedConstraint(error: unknown): string | null {
  if (!(error instanceof QueryFailedError)) return null;
  const driver = error.driverError as { code?: string; constraint?: string };
  return driver.code === '23505' || driver.code === '23514' ? (driver.constraint ?? null) : null;
}

/**
 * A write refused by a unique index because a concurrent duplicate committed first (the index
 * rolled the losing statement back): find the row that won and answer as for any duplicate, via
 * `duplicate`, which throws. Anything else, or a winner that cannot be found, is rethrown as is.
 */
export async function rethrowAsDuplicate<T>(
  error: unknown,
  uniqueIndex: string,
  findExisting: () => Promise<T | null>,
  duplicate: (existing: T) => never,
): Promise<never> {
  if (violatedConstraint(error) === uniqueIndex) {
    const existing = await findExisting();
    if (existing) duplicate(existing);
  }
  throw error;
}
