import { RequestValidationError } from '../common/errors/domain-error.js';

/** Maximum days in one report (a leap year and a day to spare for "the last year"). */
export const MAX_REPORT_DAYS = 366;

/** start after end, or more than {@link MAX_REPORT_DAYS} days: a 422 like any other bad query value. */
export class InvalidDateRangeError extends RequestValidationError {
  constructor(msg: string) {
    super([{ loc: ['query', 'end'], msg, type: 'value_error.date_range' }]);
  }
}
