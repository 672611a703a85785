import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateBy } from 'class-validator';

/** Largest amount one request may move: 10^12 minor units keeps every sum exact in a JS number. */
export const MAX_AMOUNT_MINOR = 1_000_000_000_000;

export const AmountMinor = (): PropertyDecorator => applyDecorators(IsInt(), Min(1), Max(MAX_AMOUNT_MINOR));

/** Optional 3-letter code, upper-cased by the server. */
export const CurrencyCode = (): PropertyDecorator =>
  applyDecorators(
    IsOptional(),
    IsString(),
    Matches(/^[A-Za-z]{3}$/, { message: 'currency must be a 3-letter code' }),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toUpperCase() : value)),
  );

/**
 * Prefixes of the idempotency keys the service writes itself (Stripe webhook credits and refund
 * clawbacks). A client key with one could pre-empt them and block a purchase from being credited.
 */
export const RESERVED_IDEMPOTENCY_PREFIX = /^stripe(-refund)?:/;

const NotReservedIdempotencyKey = (): PropertyDecorator =>
  ValidateBy({
    name: 'notReservedIdempotencyKey',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || !RESERVED_IDEMPOTENCY_PREFIX.test(value),
      defaultMessage: () =>
        'idempotency_key must not start with "stripe:" or "stripe-refund:" (reserved for the service)',
    },
  });

export const IdempotencyKey = (): PropertyDecorator =>
  applyDecorators(IsOptional(), IsString(), MinLength(1), MaxLength(255), NotReservedIdempotencyKey());

/** A required idempotency key (admin adjustments). */
export const RequiredIdempotencyKey = (): PropertyDecorator =>
  applyDecorators(IsString(), MinLength(1), MaxLength(255), NotReservedIdempotencyKey());
