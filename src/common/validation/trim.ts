import { Transform } from 'class-transformer';

/** Trims a string field before validation, so `IsNotEmpty` refuses whitespace-only text. */
export const Trim = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));
