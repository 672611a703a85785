import { IsISO8601, IsOptional, Matches } from 'class-validator';

/** `YYYY-MM-DD`, years 1000–9999 (PostgreSQL and JS agree on every such date). */
const DAY = /^[1-9]\d{3}-\d{2}-\d{2}$/;
const DAY_MESSAGE = (field: string) => `${field} must be a date in the form YYYY-MM-DD`;

/** `?start=YYYY-MM-DD&end=YYYY-MM-DD`: UTC days, both inclusive. */
export class DateRangeQueryDto {
  @IsOptional()
  @Matches(DAY, { message: DAY_MESSAGE('start') })
  @IsISO8601({ strict: true }, { message: DAY_MESSAGE('start') })
  start?: string;

  @IsOptional()
  @Matches(DAY, { message: DAY_MESSAGE('end') })
  @IsISO8601({ strict: true }, { message: DAY_MESSAGE('end') })
  end?: string;
}
