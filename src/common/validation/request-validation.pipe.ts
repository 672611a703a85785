import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError, type ValidatorOptions } from 'class-validator';
import { RequestValidationError, type ValidationIssue } from '../errors/domain-error.js';
import { UnparsedBody } from './deferred-json-body.js';

const LOCATION: Record<string, string> = { body: 'body', query: 'query', param: 'path' };

function flatten(errors: ValidationError[], loc: (string | number)[]): ValidationIssue[] {
  return errors.flatMap((e) => {
    const here = [...loc, e.property];
    const own = Object.entries(e.constraints ?? {}).map(([type, msg]) => ({ loc: here, msg, type }));
    return [...own, ...flatten(e.children ?? [], here)];
  });
}

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Deepest nesting of arrays and objects accepted in a body or query (the DTOs need 3 levels).
 * Deeper input is refused before class-transformer, whose recursion would overflow the stack (a
 * `RangeError` and a 500) at a few thousand levels, well under the body-size limit.
 */
export const MAX_NESTING_DEPTH = 32;

/**
 * The first string (or object key) PostgreSQL could not store: NUL characters are refused by text
 * and jsonb columns, and lone surrogates would be stored as U+FFFD (two different idempotency keys
 * becoming one). Refused here as a 422 rather than failing later as a 500. The same walk removes
 * keys that could reach a prototype (`__proto__`, `constructor`, `prototype`) and refuses nesting
 * deeper than {@link MAX_NESTING_DEPTH}, so each body is walked once.
 */
function unstorableString(value: unknown, loc: (string | number)[], depth = 0): ValidationIssue | undefined {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return { loc, msg: 'must not contain NUL characters', type: 'string_unstorable' };
    if (LONE_SURROGATE.test(value)) return { loc, msg: 'must be well-formed Unicode', type: 'string_unstorable' };
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth > MAX_NESTING_DEPTH) return tooDeep(loc);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const issue = unstorableString(value[i], [...loc, i], depth + 1);
      if (issue) return issue;
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (UNSAFE_KEYS.has(key)) {
      delete (value as Record<string, unknown>)[key];
      continue;
    }
    const issue = unstorableString(key, [...loc, key], depth + 1) ?? unstorableString(item, [...loc, key], depth + 1);
    if (issue) return issue;
  }
  return undefined;
}

/** Reported at the top-level field that holds the nesting (its full path would be thousands long). */
function tooDeep(loc: (string | number)[]): ValidationIssue {
  return {
    loc: loc.slice(0, 2),
    msg: `must not be nested more than ${MAX_NESTING_DEPTH} levels deep`,
    type: 'json_too_deep',
  };
}

/** Parameter types that carry no rules: passed through as they are. */
const UNVALIDATED_TYPES = new Set<unknown>([String, Number, Boolean, Array, Object]);

const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: false,
  forbidUnknownValues: false,
  validationError: { target: false, value: false },
};

/**
 * class-validator with the service's rules: unknown fields are dropped (never rejected), no
 * implicit type coercion for bodies, keys that could reach a prototype are removed, and failures
 * become 422 with FastAPI-style `loc` lists.
 *
 * A lean pipe rather than Nest's ValidationPipe: it runs on every request of the agents' hot path,
 * and ValidationPipe's extra passes (binary values, sparse arrays, rule look-ups) serve inputs that
 * JSON bodies, query strings and path parameters never carry. All rules here are synchronous.
 */
@Injectable()
export class RequestValidationPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (value instanceof UnparsedBody) throw value.toError();
    // Custom parameter decorators (e.g. the principal) carry no DTO: nothing to validate.
    if (metadata.type === 'custom') return value;
    const location = LOCATION[metadata.type] ?? metadata.type;
    if (metadata.type === 'body' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw new RequestValidationError([
        { loc: [location], msg: 'Request body must be a JSON object', type: 'model_attributes_type' },
      ]);
    }
    const unstorable = unstorableString(value, [location]);
    if (unstorable) throw new RequestValidationError([unstorable]);
    const metatype = metadata.metatype;
    if (!metatype || UNVALIDATED_TYPES.has(metatype)) return value;
    const instance = plainToInstance(metatype as new () => object, value ?? {});
    const errors = validateSync(instance, VALIDATOR_OPTIONS);
    if (errors.length > 0) throw new RequestValidationError(flatten(errors, [location]));
    return instance;
  }
}
