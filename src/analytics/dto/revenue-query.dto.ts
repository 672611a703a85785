import { CurrencyCode } from '../../billing/dto/common-fields.js';
import { DateRangeQueryDto } from './date-range.dto.js';

/** Revenue is money: one currency per report (default: DEFAULT_CURRENCY). */
export class RevenueQueryDto extends DateRangeQueryDto {
  @CurrencyCode()
  currency?: string;
}
