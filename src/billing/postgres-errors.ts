import { QueryFailedError } from 'typeorm';

/** The constraint a statement violated, if it failed on one (unique 23505 or check 23514). */
export function violatedConstraint(error: unknown): string | null {
  if (!(error instanceof QueryFailedError)) return null;
  const driver = error.driverError as { code?: string; constraint?: string };
  return driver.code === '23505' || driver.code === '23514' ? (driver.constraint ?? null) : null;
}
