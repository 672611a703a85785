// Error bodies of the admin API as one readable sentence for the operator.
import type { ErrorBody, ValidationIssue } from '../../../src/admin-console/contract.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly body: Partial<ErrorBody>,
  ) {
    super(describeError(status, body));
    this.name = 'ApiError';
  }
}

/** The server's `detail` (validation issues as `field: message`), or a fallback naming the status. */
export function describeError(status: number, body: Partial<ErrorBody> | undefined): string {
  const detail = body?.detail;
  if (typeof detail === 'string' && detail.trim()) return detail;
  if (Array.isArray(detail) && detail.length > 0) return detail.map(describeIssue).join('; ');
  if (status === 0) return 'The service could not be reached. Check your connection and try again.';
  return `The request failed (HTTP ${status}).`;
}

function describeIssue(issue: ValidationIssue): string {
  const field = issue.loc.filter((part) => part !== 'body' && part !== 'query').join('.');
  return field ? `${field}: ${issue.msg}` : issue.msg;
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
